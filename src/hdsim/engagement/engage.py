"""The engagement simulation: fire control on tracks, shots flown against the truth, kills.

:func:`simulate_engagements` runs a decision loop at the fire-control cadence over the
scenario time covered by the tracks.  At each decision (:func:`fire_control.plan_shots`)
fire control sees only the tracks; the shots it orders are then flown with the weapon models
(:func:`~hdsim.engagement.interceptor.fly_interceptors`,
:func:`~hdsim.engagement.railgun.fly_projectiles`):

* the **target** of a shot is the threat (truth) its track follows: the row's label in
  :attr:`TrackColumns.truth_idx <hdsim.engagement.tracks.TrackColumns.truth_idx>`, computed by
  the run loop with :func:`hdsim.metrics.labels.track_truth_labels` (−1: a false track, the
  shot has no target and ends ``no_intercept``).  The label is used for physics and scoring
  only, never for decisions;
* a homing shot steers on the **uplinked track**: the latest row of its track at each
  instant (rows after launch included, as midcourse updates), extrapolated to the instant
  with the fire-control motion model (``ncv``: straight line; ``ballistic``: constant
  free-fall acceleration of the row state, second order); its seeker switches to the truth
  within seeker range (:mod:`interceptor`);
* closest approach is found between integration steps; the kill is a Bernoulli draw with the
  weapon's kill model at the miss distance, one uniform per shot from the scenario ``rng``,
  drawn in shot order when the shot is flown.

**Kill resolution**: for each threat, its shots are taken in order of closest-approach time;
the first that kills ends the threat (its truth ends at the kill time); shots reaching their
closest approach later are ``no_intercept`` (nothing left to hit).  Shots are flown in batches,
lazily: pending shots are flown together (each with its own launch time) once a decision
time comes within ``flush_margin_s`` of a pending shot's predicted intercept plus the
assessment delay, and at the end.

**Approximation (kill assessment).**  The tracks are computed before the engagement, from
detections of threats that were never killed.  A killed threat's tracks are therefore taken
out of fire control's view from the kill time plus ``assess_delay_s`` on (all tracks that
follow that threat, by the labels above): this is how shoot-look-shoot "sees" the track
disappear.  A surviving threat's track simply persists, and is re-engaged after its
assessment time if a feasible intercept remains.  The assessment time is the predicted
intercept plus ``assess_delay_s`` until the shot is flown, then its actual closest approach
(or end of flight) plus ``assess_delay_s`` (fire control knows when its own shot arrived).

Outputs (:class:`EngagementResult`): the ``engagements`` table (columns
``shot_id, weapon_id, track_id, threat_id, launch_t_s, intercept_t_s, miss_m, outcome`` with
outcome ∈ {kill, miss, no_intercept}, plus the PIP and the decision's Pk), per-threat
outcomes (killed at time/altitude, or leaked with the impact point and the distance to the
nearest defended asset) and per-weapon shots and kills.  The same ``rng`` seed gives the same
result bit for bit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hdsim.earth import EarthModel, ecef_to_aer, ecef_to_geodetic
from hdsim.engagement.fire_control import (
    R_AWAITING,
    R_BUSY,
    R_EMPTY,
    REASONS,
    plan_shots,
)
from hdsim.engagement.flyout import FlyoutStatus
from hdsim.engagement.flyout_table import FlyoutTable, flyout_table, site_range_alt
from hdsim.engagement.interceptor import fly_interceptors, launch_state
from hdsim.engagement.railgun import fly_projectiles, railgun_launch_state
from hdsim.engagement.tracks import TrackColumns, TrackUplink, latest_rows
from hdsim.engagement.weapons import DefendedAsset, FireControlConfig, Weapon, ground_distance_m
from hdsim.threats.trajectory import Trajectory, TrajectorySet

__all__ = ["OUTCOMES", "EngagementResult", "simulate_engagements", "truncated_truth"]

OUTCOMES: tuple[str, ...] = ("kill", "miss", "no_intercept")
"""Shot outcomes of the ``engagements`` table."""
_KILL, _MISS, _NOINT = 0, 1, 2


@dataclass(frozen=True)
class EngagementResult:
    """Result of :func:`simulate_engagements` (columnar tables: dicts of equal-length arrays,
    ready for ``pyarrow.table``).

    Attributes:
        engagements: one row per shot: ``shot_id, weapon_id, track_id, threat_id,
            launch_t_s, intercept_t_s, miss_m, outcome`` (docs/results.md), plus
            ``predicted_intercept_t_s, pip_lat_deg, pip_lon_deg, pip_alt_m, pk`` (the decision's
            expected single-shot Pk) and ``flyout_status``.  ``threat_id`` is None for a shot at
            a false track; ``intercept_t_s``/``miss_m`` are the closest approach (NaN when the
            shot had no target).
        threats: one row per threat: ``threat_id, outcome`` (killed | leaked: reached the
            ground | in_flight: neither by the end of the scenario), ``kill_t_s,
            kill_alt_m, kill_lat_deg, kill_lon_deg, impact_t_s, impact_lat_deg, impact_lon_deg,
            impacted`` (truth ended on the ground), ``nearest_asset_id, asset_distance_m,
            in_asset, shots``.
        weapons: one row per weapon: ``weapon_id, kind, shots, kills, rounds_left``.
        kill_t_s: ``(N,)`` kill time of each threat of the truth (NaN: not killed), s.
        shot_times: per shot, recorded fly-out times, s.
        shot_states: per shot, recorded fly-out ECEF states ``(T_i, 6)``.
        reasons: per weapon and threat, the decisions (at which the threat had a live track)
            by reason the weapon fired or not (:data:`~hdsim.engagement.fire_control.REASONS`):
            ``weapon_id, threat_id, reason, decisions``.  ``threats`` also gets
            ``why_not_engaged``: for a threat never fired at, each weapon's most frequent
            reason.
    """

    engagements: dict[str, NDArray]
    threats: dict[str, NDArray]
    weapons: dict[str, NDArray]
    kill_t_s: NDArray
    shot_times: list[NDArray] = field(default_factory=list)
    shot_states: list[NDArray] = field(default_factory=list)
    reasons: dict[str, NDArray] = field(default_factory=dict)


def truncated_truth(truth: TrajectorySet, kill_t_s: NDArray) -> TrajectorySet:
    """The truth with each killed threat's trajectory ending at its kill time (the last node
    is the interpolated state at the kill, ``impacted=False``); others unchanged."""
    out = []
    for tr, tk in zip(truth, np.asarray(kill_t_s, float), strict=True):
        if not (np.isfinite(tk) and tr.t_start <= tk < tr.t_end):
            out.append(tr)
            continue
        keep = tr.times < tk
        t = np.append(tr.times[keep], tk)
        x_k = tr.state_at(np.array([tk]))
        # acceleration at the kill: linear between the neighbouring nodes
        i = int(np.searchsorted(tr.times, tk, side="right")) - 1
        s = (tk - tr.times[i]) / (tr.times[i + 1] - tr.times[i])
        a_k = (1.0 - s) * tr.accels[i] + s * tr.accels[i + 1]
        extras = {k: np.append(v[keep], v[i]) for k, v in tr.extras.items()}
        out.append(Trajectory(tr.threat_id, t, np.vstack([tr.states[keep], x_k]),
                              np.vstack([tr.accels[keep], a_k]),
                              np.append(tr.phase[keep], tr.phase[i]), impacted=False,
                              kind=tr.kind, extras=extras))
    return TrajectorySet(out)


# ---------------------------------------------------------------------------------------------
# Callables of the fly-outs: truth and uplink, per shot
# ---------------------------------------------------------------------------------------------


class _TruthFn:
    """Each shot's target truth at per-shot times (NaN for no target / not flying)."""

    def __init__(self, truth: TrajectorySet, threat: NDArray):
        self.truth = truth
        self.threat = threat
        self.groups = [(k, np.flatnonzero(threat == k)) for k in np.unique(threat[threat >= 0])]

    accepts_blocks = True
    """Times may be ``(n, ...)`` (several per shot): the fly-out evaluates steps ahead at once."""

    def __call__(self, t: NDArray) -> NDArray:
        t = np.asarray(t, float)
        out = np.full(t.shape + (6,), np.nan)
        for k, m in self.groups:
            out[m] = self.truth[int(k)].state_at(t[m])
        return out


# ---------------------------------------------------------------------------------------------
# The loop
# ---------------------------------------------------------------------------------------------


class _Shots:
    """Growing per-shot columns."""

    def __init__(self) -> None:
        self.cols: dict[str, list] = {k: [] for k in (
            "weapon", "track", "threat", "t_launch", "t_pred", "pip", "pk", "state0")}
        self.flown = 0
        self.t_ca: list[float] = []
        self.miss: list[float] = []
        self.status: list[int] = []
        self.t_end: list[float] = []
        self.u: list[float] = []
        self.times: list[NDArray] = []
        self.states: list[NDArray] = []

    def __len__(self) -> int:
        return len(self.cols["weapon"])

    def add(self, **kw: Any) -> None:
        for k, v in kw.items():
            self.cols[k].append(v)

    def arr(self, name: str) -> NDArray:
        return np.asarray(self.cols[name])


def _resolve(shots: _Shots, weapons: Sequence[Weapon], n_threats: int
             ) -> tuple[NDArray, NDArray]:
    """Kill time of each threat and the outcome code of each flown shot."""
    nf = shots.flown
    kill_t = np.full(n_threats, np.nan)
    if nf == 0:
        return kill_t, np.empty(0, np.int8)
    thr = shots.arr("threat")[:nf]
    w = shots.arr("weapon")[:nf]
    t_ca = np.asarray(shots.t_ca)
    miss = np.asarray(shots.miss)
    status = np.asarray(shots.status)
    u = np.asarray(shots.u)
    pk = np.zeros(nf)
    for wi in np.unique(w):
        m = w == wi
        pk[m] = weapons[wi].kill_model.pk(miss[m])
    reached = (status == FlyoutStatus.CLOSEST_APPROACH) & (thr >= 0)
    hit = reached & (u < pk)
    outcome = np.where(reached, _MISS, _NOINT).astype(np.int8)
    # the first hit of each threat, by closest-approach time then shot id, kills it
    h = np.flatnonzero(hit)
    order = h[np.lexsort((h, t_ca[h], thr[h]))]
    firsts = order[np.r_[True, thr[order][1:] != thr[order][:-1]]] if order.size else order
    kill_t[thr[firsts]] = t_ca[firsts]
    outcome[firsts] = _KILL
    later = reached & (thr >= 0)
    later[later] = t_ca[later] > np.nan_to_num(kill_t[thr[later]], nan=np.inf)
    later[firsts] = False
    outcome[later] = _NOINT
    # simultaneous hits of an already killed threat (not the first): nothing left to hit
    dup = hit & (outcome != _KILL) & ~later
    dup &= np.isfinite(kill_t[np.maximum(thr, 0)])
    outcome[dup] = _NOINT
    return kill_t, outcome


def _fly_pending(shots: _Shots, weapons: Sequence[Weapon], truth: TrajectorySet,
                 tracks: TrackColumns, config: FireControlConfig, earth: EarthModel,
                 rng: np.random.Generator) -> None:
    lo, hi = shots.flown, len(shots)
    if hi == lo:
        return
    w = shots.arr("weapon")[lo:hi]
    thr = shots.arr("threat")[lo:hi]
    trk = shots.arr("track")[lo:hi]
    t0 = shots.arr("t_launch")[lo:hi]
    st0 = np.asarray(shots.cols["state0"][lo:hi])
    kinds = np.array([weapons[i].kind for i in w])
    n = hi - lo
    t_ca, miss, t_end = np.full(n, np.nan), np.full(n, np.nan), np.full(n, np.nan)
    status = np.zeros(n, np.int8)
    times: list[NDArray | None] = [None] * n
    states: list[NDArray | None] = [None] * n
    for kind in ("interceptor", "railgun"):
        m = np.flatnonzero(kinds == kind)
        if m.size == 0:
            continue
        params = [weapons[i].params for i in w[m]]
        target = _TruthFn(truth, thr[m])
        uplink = TrackUplink(tracks, trk[m], config.motion_model, earth, t_launch=t0[m],
                           period_s=np.array([weapons[i].uplink_period_s for i in w[m]]),
                           latency_s=np.array([weapons[i].uplink_latency_s for i in w[m]]))
        if kind == "interceptor":
            res = fly_interceptors(st0[m], t0[m], params, target, earth, uplink_state=uplink,
                                   dt_s=config.flyout_dt_s)
        else:
            res = fly_projectiles(st0[m], t0[m], params, earth, target, uplink_state=uplink,
                                  dt_s=config.flyout_dt_s)
        t_ca[m], miss[m], status[m], t_end[m] = res.t_ca_s, res.miss_m, res.status, res.t_end_s
        for j, i in enumerate(m):
            times[i], states[i] = res.times[j], res.states[j]
    u = rng.random(n)
    shots.t_ca.extend(t_ca.tolist())
    shots.miss.extend(miss.tolist())
    shots.status.extend(status.tolist())
    shots.t_end.extend(t_end.tolist())
    shots.u.extend(u.tolist())
    shots.times.extend(times)  # type: ignore[arg-type]
    shots.states.extend(states)  # type: ignore[arg-type]
    shots.flown = hi


def _launch_states(weapon: Weapon, table: FlyoutTable, pip: NDArray, earth: EarthModel
                   ) -> NDArray:
    """Launch states ``(m, 6)`` of shots of one weapon aimed at PIPs ``(m, 6)``."""
    site = weapon.site_ecef(earth)
    if weapon.kind == "interceptor":
        return launch_state(site, pip[:, :3], weapon.launch_speed_mps)
    ell = earth.ellipsoid
    az, _, _ = ecef_to_aer(pip[:, :3], weapon.site_lat_rad, weapon.site_lon_rad,
                           weapon.site_alt_m, ell)
    r, h, _ = site_range_alt(pip[:, :3], weapon.site_lat_rad, weapon.site_lon_rad,
                             weapon.site_alt_m, ell)
    el = table.lookup(r, h)[2]
    p = weapon.params
    el = np.clip(el, p.min_elevation_rad, p.max_elevation_rad)
    return railgun_launch_state(weapon.site_lat_rad, weapon.site_lon_rad, weapon.site_alt_m,
                                az, el, p, earth)


def simulate_engagements(
    tracks: TrackColumns,
    truth: TrajectorySet,
    weapons: Sequence[Weapon],
    config: FireControlConfig,
    earth: EarthModel,
    rng: np.random.Generator,
    defended_assets: Sequence[DefendedAsset] = (),
    tables: Sequence[FlyoutTable] | None = None,
    progress: Callable[[float], None] | None = None,
) -> EngagementResult:
    """Run fire control on ``tracks`` and fly the shots against ``truth`` (see module doc).

    Args:
        tracks: the track history as columns (:class:`~hdsim.engagement.tracks.TrackColumns`),
            with each row's threat label (physics and scoring only).
        truth: the threats' trajectories (physics and scoring only).
        weapons: the weapons.
        config: fire-control settings.
        earth: Earth model.
        rng: the scenario's generator (kill draws).
        defended_assets: defended assets (priority and leaker scoring).
        tables: fly-out tables per weapon (default: :func:`flyout_table`, cached).
        progress: called with the fraction of decision times done.
    """
    tr = tracks
    weapons = list(weapons)
    ids = list(truth.ids)
    if len(set(w.weapon_id for w in weapons)) != len(weapons):
        raise ValueError("weapons: weapon_id values must be unique")
    if tables is None:
        tables = [flyout_table(w.params, earth, w.site_lat_rad, w.site_alt_m,
                               launch_speed_mps=w.launch_speed_mps, spec=w.table_spec)
                  for w in weapons]
    n_w = len(weapons)
    rounds = np.array([w.magazine for w in weapons], np.int64)
    next_ready = np.full(n_w, -np.inf)
    rail_rounds = np.zeros(n_w, np.int64)  # rounds through the current rails
    last_aim = np.full((n_w, 3), np.nan)    # line of sight to the last round's PIP
    rail_life = np.array([w.rail_life_rounds or np.iinfo(np.int64).max for w in weapons],
                         np.int64)
    reasons = np.zeros((n_w, len(ids), len(REASONS)), np.int64)  # decisions by reason
    busy_until: dict[int, float] = {}
    shots = _Shots()
    kill_t = np.full(len(ids), np.nan)

    if len(tr) and n_w:
        t_a = config.t_start_s if config.t_start_s is not None else float(tr.t_s.min())
        t_b = config.t_end_s if config.t_end_s is not None else float(tr.t_s.max())
        n_dec = int(np.floor((t_b - t_a) / config.cadence_s + 1e-9)) + 1
    else:
        t_a, n_dec = 0.0, 0
    every = max(1, n_dec // 200)
    for k in range(max(n_dec, 0)):
        if progress is not None and k % every == 0:
            progress(0.9 * k / n_dec)   # the last shots are flown after the loop
        t_d = t_a + k * config.cadence_s
        # fly pending shots whose assessment is near, and resolve the kills
        if len(shots) > shots.flown:
            t_pred = shots.arr("t_pred")[shots.flown:]
            if np.min(t_pred) + config.assess_delay_s - config.flush_margin_s <= t_d:
                lo = shots.flown
                _fly_pending(shots, weapons, truth, tr, config, earth, rng)
                kill_t, _ = _resolve(shots, weapons, len(ids))
                # the assessment follows the shot's actual end of flight
                for i in range(lo, shots.flown):
                    tid = int(shots.cols["track"][i])
                    end = shots.t_ca[i] if np.isfinite(shots.t_ca[i]) else shots.t_end[i]
                    busy_until[tid] = max(busy_until.get(tid, -np.inf),
                                          end + config.assess_delay_s)
        ready = (rounds > 0) & (next_ready <= t_d)
        rows = latest_rows(tr, t_d, config.max_track_age_s)
        if rows.size == 0:
            continue
        thr = tr.truth_idx[rows]
        # why each weapon does not fire at each live track (fire control fills the rest)
        why = np.full((n_w, rows.size), R_BUSY, np.int8)
        why[rounds <= 0] = R_EMPTY
        if not ready.any():
            _count_reasons(reasons, why, thr)
            continue
        busy = np.array([busy_until.get(int(i), -np.inf) > t_d for i in tr.track_id[rows]])
        known_dead = np.zeros(rows.size, bool)
        has = thr >= 0
        known_dead[has] = kill_t[thr[has]] + config.assess_delay_s <= t_d
        free = ~busy & ~known_dead
        why[np.ix_(ready, ~free)] = R_AWAITING
        if not free.any():
            _count_reasons(reasons, why, thr)
            continue
        candidate = ready[:, None] & free[None, :]
        usable = np.minimum(rounds, rail_life - rail_rounds)  # a salvo never outlasts the rails
        orders = plan_shots(t_d, tr, rows, candidate, weapons, tables, usable, config, earth,
                            defended_assets, why=why, last_aim=last_aim)
        _count_reasons(reasons, why, thr)
        if len(orders) == 0:
            continue
        row_thr = dict(zip(rows.tolist(), thr.tolist(), strict=True))
        for wi in np.unique(orders.weapon_idx):
            m = np.flatnonzero(orders.weapon_idx == wi)
            st0 = _launch_states(weapons[wi], tables[wi], orders.pip[m], earth)
            for j, i in enumerate(m):
                shots.add(weapon=int(wi), track=int(orders.track_id[i]),
                          threat=int(row_thr[int(orders.row[i])]),
                          t_launch=float(orders.t_launch_s[i]),
                          t_pred=float(orders.t_intercept_s[i]), pip=orders.pip[i],
                          pk=float(orders.pk[i]), state0=st0[j])
            rounds[wi] -= m.size
            aim = orders.pip[m[-1], :3] - weapons[wi].site_ecef(earth)
            last_aim[wi] = aim / np.linalg.norm(aim)
            last = float(orders.t_launch_s[m].max())
            next_ready[wi] = last + weapons[wi].reload_s
            life = weapons[wi].rail_life_rounds
            rail_rounds[wi] += m.size
            if life is not None and rail_rounds[wi] >= life:
                # worn rails: the battery stops until they are changed
                next_ready[wi] = max(next_ready[wi], last + weapons[wi].rail_change_s)
                rail_rounds[wi] = 0
        for tid in np.unique(orders.track_id):
            m = orders.track_id == tid
            busy_until[int(tid)] = float(orders.t_intercept_s[m].max()) + config.assess_delay_s
    _fly_pending(shots, weapons, truth, tr, config, earth, rng)
    kill_t, outcome = _resolve(shots, weapons, len(ids))
    res = _result(shots, outcome, kill_t, weapons, rounds, truth, earth, defended_assets)
    res.reasons.update(_reason_table(reasons, weapons, ids))
    res.threats["why_not_engaged"] = _why_not(reasons, weapons, res.threats["shots"])
    return res


def _count_reasons(counts: NDArray, why: NDArray, thr: NDArray) -> None:
    """Add one decision's reasons of the tracks of real threats to ``counts (W, T, R)``."""
    has = thr >= 0
    if not has.any():
        return
    w, j = np.nonzero(np.broadcast_to(has, why.shape))
    np.add.at(counts, (w, thr[j], why[w, j]), 1)


def _reason_table(counts: NDArray, weapons: Sequence[Weapon], ids: Sequence[str]
                  ) -> dict[str, NDArray]:
    w, t, r = np.nonzero(counts)
    return {"weapon_id": np.array([weapons[i].weapon_id for i in w], dtype=object),
            "threat_id": np.array([ids[i] for i in t], dtype=object),
            "reason": np.array([REASONS[i] for i in r], dtype=object),
            "decisions": counts[w, t, r].astype(np.int64)}


def _why_not(counts: NDArray, weapons: Sequence[Weapon], shots: NDArray) -> NDArray:
    """For each threat no round was fired at: each weapon's most frequent reason, e.g.
    ``railgun-1: no_intercept (212 of 230 decisions)``; None for threats engaged or never
    tracked."""
    out = np.full(counts.shape[1], None, dtype=object)
    for t in np.flatnonzero(np.asarray(shots) == 0):
        parts = []
        for w, weapon in enumerate(weapons):
            c = counts[w, t]
            if c.sum():
                r = int(np.argmax(c))
                parts.append(f"{weapon.weapon_id}: {REASONS[r]} ({c[r]} of {c.sum()} decisions)")
        out[t] = "; ".join(parts) or None
    return out


def _result(shots: _Shots, outcome: NDArray, kill_t: NDArray, weapons: Sequence[Weapon],
            rounds: NDArray, truth: TrajectorySet, earth: EarthModel,
            assets: Sequence[DefendedAsset]) -> EngagementResult:
    ids = list(truth.ids)
    ell = earth.ellipsoid
    n = len(shots)
    w = shots.arr("weapon").astype(np.int64) if n else np.empty(0, np.int64)
    thr = shots.arr("threat").astype(np.int64) if n else np.empty(0, np.int64)
    pip = np.asarray(shots.cols["pip"]).reshape(n, 6)
    lat, lon, alt = ecef_to_geodetic(pip[:, :3], ell)
    status = np.asarray(shots.status, np.int64)
    engagements = {
        "shot_id": np.arange(n, dtype=np.int64),
        "weapon_id": np.array([weapons[i].weapon_id for i in w], dtype=object),
        "track_id": shots.arr("track").astype(np.int64) if n else np.empty(0, np.int64),
        "threat_id": np.array([ids[k] if k >= 0 else None for k in thr], dtype=object),
        "launch_t_s": shots.arr("t_launch").astype(float) if n else np.empty(0),
        "intercept_t_s": np.asarray(shots.t_ca, float),
        "miss_m": np.asarray(shots.miss, float),
        "outcome": np.array([OUTCOMES[o] for o in outcome], dtype=object),
        "predicted_intercept_t_s": shots.arr("t_pred").astype(float) if n else np.empty(0),
        "pip_lat_deg": np.degrees(lat), "pip_lon_deg": np.degrees(lon), "pip_alt_m": alt,
        "pk": shots.arr("pk").astype(float) if n else np.empty(0),
        # the same numbers under the name that says what they are (pk: the earlier name)
        "planned_pk": shots.arr("pk").astype(float) if n else np.empty(0),
        "flyout_status": np.array([FlyoutStatus.names()[s] for s in status], dtype=object),
    }
    # threats
    n_thr = len(ids)
    kill_state = np.full((n_thr, 6), np.nan)
    end_t = np.array([t.t_end for t in truth]) if n_thr else np.empty(0)
    end_pos = np.array([t.states[-1, :3] for t in truth]).reshape(n_thr, 3)
    impacted = np.array([bool(t.impacted) for t in truth], bool)
    for k in np.flatnonzero(np.isfinite(kill_t)):
        kill_state[k] = truth[int(k)].state_at(kill_t[k])
    klat, klon, kalt = ecef_to_geodetic(kill_state[:, :3], ell)
    killed = np.isfinite(kill_t)
    ilat, ilon, _ = ecef_to_geodetic(end_pos, ell)
    if assets and n_thr:
        d = ground_distance_m(end_pos, assets, earth)
        near = np.argmin(d, axis=1)
        dist = d[np.arange(n_thr), near]
        radius = np.array([a.radius_m for a in assets])[near]
        near_id = np.array([assets[i].id for i in near], dtype=object)
        in_asset = ~killed & impacted & (dist <= radius)
    else:
        dist = np.full(n_thr, np.nan)
        near_id = np.full(n_thr, None, dtype=object)
        in_asset = np.zeros(n_thr, bool)
    leak = ~killed
    threats = {
        "threat_id": np.array(ids, dtype=object),
        "outcome": np.where(killed, "killed", np.where(impacted, "leaked", "in_flight")
                            ).astype(object),
        "kill_t_s": kill_t, "kill_alt_m": kalt,
        "kill_lat_deg": np.degrees(klat), "kill_lon_deg": np.degrees(klon),
        "impact_t_s": np.where(leak, end_t, np.nan),
        "impact_lat_deg": np.where(leak, np.degrees(ilat), np.nan),
        "impact_lon_deg": np.where(leak, np.degrees(ilon), np.nan),
        "impacted": leak & impacted,
        "nearest_asset_id": np.where(leak, near_id, None),
        "asset_distance_m": np.where(leak, dist, np.nan),
        "in_asset": in_asset,
        "shots": np.bincount(thr[thr >= 0], minlength=n_thr).astype(np.int64),
    }
    kills = outcome == _KILL
    weapons_t = {
        "weapon_id": np.array([x.weapon_id for x in weapons], dtype=object),
        "kind": np.array([x.kind for x in weapons], dtype=object),
        "shots": np.bincount(w, minlength=len(weapons)).astype(np.int64),
        "kills": np.bincount(w[kills], minlength=len(weapons)).astype(np.int64),
        "rounds_left": rounds.astype(np.int64),
    }
    return EngagementResult(engagements, threats, weapons_t, kill_t,
                            list(shots.times), list(shots.states))
