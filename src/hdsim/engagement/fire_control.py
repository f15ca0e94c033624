"""Fire control: engageability, predicted intercept point, weapon-target assignment, doctrine.

Fire control decides from **tracks only** (never from truth).  At each decision time it

1. takes the latest row of every track (no older than ``max_track_age_s``);
2. **engageability**: a track is engageable by a weapon when it is ``confirmed`` and its 1-σ
   position error ``sqrt(trace P_pos)`` is below the weapon's ``fire_control_sigma_m``
   (default 1,000 m for a railgun, 3,000 m for an interceptor with a seeker), and it is not
   waiting for a kill assessment;
3. **predicted intercept point (PIP)**: the track is predicted forward on a time grid with a
   motion model — ``ncv`` (straight line, constant velocity) or ``ballistic`` (free fall:
   point-mass + J2 gravity :func:`hdsim.earth.gravity_ecef`, plus the Coriolis and centrifugal
   terms of the rotating frame, RK4) — and the earliest intercept time ``t_i`` solves
   ``tof(PIP(t_i)) = t_i − t_launch`` with ``t_launch = t_decision + launch_delay_s`` and ``tof``
   the weapon's **fly-out table** (:mod:`hdsim.engagement.flyout_table`).  The first grid node
   where the weapon arrives no later than the target brackets the root with the node before it,
   and the root is refined by the Illinois (modified regula falsi) method on the cubic Hermite
   interpolant of the predicted track (Dowell & Jarratt, BIT 11, 1971).  If the node before is
   outside the envelope the target enters it already reachable: ``t_i`` is that node (late by
   at most one grid step).  Vectorized over tracks × (weapons, salvo slots);
4. **feasibility**: range, altitude window, time-of-flight limit (the table's and the
   weapon's), elevation limits (railgun: built into the table), magazine, time between firings
   (``reload_s``), and at most one engagement per weapon per decision;
5. **weapon-target assignment** (WTA): the value of assigning weapon w to track t is
   ``V_t · Pk_wt``, ``Pk_wt`` the expected kill probability of the weapon's shots (salvo:
   ``1 − (1 − pk)^k``, independent shots) and ``V_t`` the threat priority.  With at most one
   weapon per track per decision, maximizing ``Σ V_t Pk_wt`` over one-to-one assignments is
   exactly minimizing the expected (priority-weighted) leakers of the decision; it is a linear
   assignment problem solved optimally by ``scipy.optimize.linear_sum_assignment`` (checked
   against brute-force enumeration in the tests).  Pairs below ``min_pk`` are not assigned;
6. **doctrine**: ``salvo`` fires ``salvo_size`` shots per engagement, ``shoot_look_shoot``
   one, ``required_pk`` the fewest shots ``n ≤ salvo_size`` whose cumulative Pk
   ``1 − (1 − pk)^n`` reaches ``required_pk`` (:func:`rounds_for_pk`; all ``salvo_size``
   when even those fall short), spaced by ``salvo_interval_s`` so that each gets its own
   intercept point from the latest track; either way the track is not re-engaged until its
   kill assessment, at the predicted intercept time plus ``assess_delay_s``; if the track
   persists and a feasible intercept remains, it is engaged again.

Expected Pk of a shot (the decision's estimate, not the outcome): with the track's position
covariance predicted to the intercept time under constant velocity without process noise,
``P(τ) = P_pp + τ (P_pv + P_vp) + τ² P_vv``, the per-axis error is ``σ² = trace P(τ) / 3``;

* an unguided weapon's miss is circular normal with ``σ_m² = σ² + dispersion²`` per axis;
* a homing weapon (interceptor, guided railgun) hands over to its seeker when the target is
  within the ``handover_basket_m`` of the uplinked track (probability
  ``1 − exp(−b²/(2σ²))``, Rayleigh in the cross plane), then misses with
  ``σ_m = homing_miss_sigma_m``;

and the kill model's closed-form mean Pk over a Rayleigh miss (see :mod:`kill`):
``pk_max (1 − exp(−R²/(2σ_m²)))`` (lethal radius) or ``pk_max σ_k²/(σ_k² + σ_m²)`` (Gaussian).

Threat priority ``V = w_asset · (1 + τ_ref/(τ_ref + t_impact))``: ``w_asset = asset_weight``
when the track's predicted impact point (same motion model, ``impact_horizon_s``) is inside
a defended asset's radius, else 1; the urgency factor runs from 2 (impact now) to 1 (no
predicted impact).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment

from hdsim.earth import EarthModel
from hdsim.engagement.flyout_table import FlyoutTable, ground_range_alt
from hdsim.engagement.prediction import (
    position_sigma_m,
    predict_impact,
    predict_states,
    predicted_position_sigma_m,
)
from hdsim.engagement.tracks import TrackColumns
from hdsim.engagement.weapons import DefendedAsset, FireControlConfig, Weapon, ground_distance_m
from hdsim.threats.trajectory import hermite
from hdsim.tracking.history import TrackStatus

__all__ = [
    "REASONS",
    "FireOrders",
    "InterceptSolution",
    "TofFn",
    "assign_weapons",
    "engageable",
    "expected_pk",
    "rounds_for_pk",
    "slew_time_s",
    "plan_shots",
    "solve_intercepts",
    "threat_priority",
    "weapon_tof_fn",
]


def engageable(status: ArrayLike, cov: ArrayLike, sigma_threshold_m: ArrayLike) -> NDArray:
    """Track is confirmed and its ``sqrt(trace P_pos)`` is at most the threshold.

    ``status (n,)`` codes or names, ``cov (n, 6, 6)``; ``sigma_threshold_m`` broadcast against
    ``(n,)`` (e.g. ``(W, 1)`` for a weapons × tracks mask).
    """
    st = np.asarray(status)
    conf = ((st == TrackStatus.CONFIRMED) if st.dtype.kind in "iu"
            else (st.astype(str) == TrackStatus.CONFIRMED.name.lower()))
    return conf & (position_sigma_m(cov) <= np.asarray(sigma_threshold_m, float))


# ---------------------------------------------------------------------------------------------
# Track prediction
# ---------------------------------------------------------------------------------------------
# Predicted intercept point
# ---------------------------------------------------------------------------------------------

TofFn = Callable[[NDArray], NDArray]
"""``f(pos_ecef (..., 3)) -> tof_s (...)``: a weapon's time of flight to points, NaN where the
point is out of its envelope."""


def weapon_tof_fn(weapon: Weapon, table: FlyoutTable, earth: EarthModel) -> TofFn:
    """The weapon's time of flight from its fly-out table, NaN outside its feasibility window
    (intercept altitude window, ``max_range_m``, ``max_tof_s``)."""
    ell = earth.ellipsoid

    def tof(pos: NDArray) -> NDArray:
        r, h = ground_range_alt(pos, weapon.site_lat_rad, weapon.site_lon_rad,
                                weapon.site_alt_m, ell)
        t = table.tof_at(r, h)
        ok = ((h >= weapon.min_intercept_alt_m) & (h <= weapon.max_intercept_alt_m)
              & (r <= weapon.max_range_m) & (t <= weapon.max_tof_s))
        return np.where(ok, t, np.nan)
    return tof


@dataclass(frozen=True)
class InterceptSolution:
    """Earliest intercepts, arrays ``(n_tracks, n_launchers)``.

    Attributes:
        t_intercept_s: intercept time (NaN: no feasible intercept), s.
        tof_s: the weapon's time of flight to the PIP, s.
        pip: ``(n, W, 6)`` predicted target state at the intercept (the PIP), ECEF.
        feasible: whether an intercept was found.
    """

    t_intercept_s: NDArray
    tof_s: NDArray
    pip: NDArray
    feasible: NDArray


def _eval_grid(t_grid: NDArray, states: NDArray, t: NDArray) -> NDArray:
    """Track states ``(n, W, 6)`` at times ``t (n, W)`` from grid states ``(n, K, 6)``: cubic
    Hermite in position (from positions and velocities), linear in velocity."""
    k = np.clip(np.searchsorted(t_grid, t, side="right") - 1, 0, t_grid.size - 2)
    rows = np.arange(states.shape[0])[:, None]
    x0, x1 = states[rows, k], states[rows, k + 1]
    t0, t1 = t_grid[k], t_grid[k + 1]
    pos = hermite(t0, t1, x0[..., :3], x1[..., :3], x0[..., 3:], x1[..., 3:], t)
    s = ((t - t0) / (t1 - t0))[..., None]
    vel = x0[..., 3:] + s * (x1[..., 3:] - x0[..., 3:])
    return np.concatenate([pos, vel], axis=-1)


def solve_intercepts(
    t_grid_s: ArrayLike,
    states: ArrayLike,
    t_launch_s: ArrayLike,
    tof_fns: Sequence[TofFn],
    iterations: int = 12,
) -> InterceptSolution:
    """Earliest ``t_i ≥ t_launch`` with ``tof(PIP(t_i)) = t_i − t_launch`` for every track and
    launcher (see the module doc for the method).

    Args:
        t_grid_s: ``(K,)`` increasing prediction times, s (K ≥ 2).
        states: ``(n, K, 6)`` predicted track states on the grid (NaN: not predicted).
        t_launch_s: ``(W,)`` launch time of each launcher (weapon or salvo slot), or
            ``(n, W)`` per track and launcher (a mount that must slew first), s.
        tof_fns: one time-of-flight function per launcher (:data:`TofFn`).
        iterations: Illinois refinement iterations.
    """
    tg = np.asarray(t_grid_s, float)
    xs = np.asarray(states, float)
    n, n_k = xs.shape[0], tg.size
    tl = np.asarray(t_launch_s, float)
    if tl.ndim < 2:
        tl = np.broadcast_to(np.atleast_1d(tl)[None, :], (n, np.atleast_1d(tl).size))
    n_w = tl.shape[1]
    if len(tof_fns) != n_w:
        raise ValueError(f"tof_fns: {len(tof_fns)} given for {n_w} launch times")
    tof = np.full((n, n_w, n_k), np.nan)
    for w, fn in enumerate(tof_fns):
        tof[:, w] = fn(xs[..., :3])
    with np.errstate(invalid="ignore"):
        g = tof - (tg[None, None, :] - tl[:, :, None])
        hit = np.isfinite(g) & (g <= 0.0)
    feasible = hit.any(axis=-1)
    j = np.argmax(hit, axis=-1)
    jm = np.maximum(j - 1, 0)
    g_prev = np.take_along_axis(g, jm[..., None], -1)[..., 0]
    g_hit = np.take_along_axis(g, j[..., None], -1)[..., 0]
    bracket = feasible & (j > 0) & np.isfinite(g_prev)
    a, b = tg[jm], tg[j]
    ga, gb = np.where(bracket, g_prev, 1.0), np.where(feasible, g_hit, -1.0)

    def g_at(t: NDArray) -> NDArray:
        st = _eval_grid(tg, xs, t)
        out = np.empty(t.shape)
        for w, fn in enumerate(tof_fns):
            out[:, w] = fn(st[:, w, :3]) - (t[:, w] - tl[:, w])
        return out

    side = np.zeros((n, n_w), np.int8)
    if bracket.any():
        for _ in range(iterations):
            with np.errstate(invalid="ignore", divide="ignore"):
                c = b - gb * (b - a) / (gb - ga)
            c = np.where(bracket & np.isfinite(c), np.clip(c, a, b), b)
            gc = g_at(c)
            gc = np.where(np.isfinite(gc), gc, np.abs(ga))  # unreachable: treat as too late
            left = bracket & (gc <= 0.0)   # new point is a feasible end: replaces b
            right = bracket & (gc > 0.0)
            ga = np.where(left & (side == -1), 0.5 * ga, ga)
            gb = np.where(right & (side == 1), 0.5 * gb, gb)
            b, gb = np.where(left, c, b), np.where(left, gc, gb)
            a, ga = np.where(right, c, a), np.where(right, gc, ga)
            side = np.where(left, -1, np.where(right, 1, side)).astype(np.int8)
    t_int = np.where(feasible, b, np.nan)
    pip = _eval_grid(tg, xs, np.where(feasible, t_int, tg[0]))
    pip[~feasible] = np.nan
    tof_i = np.full((n, n_w), np.nan)
    for w, fn in enumerate(tof_fns):
        tof_i[:, w] = fn(pip[:, w, :3])
    feasible = feasible & np.isfinite(tof_i)
    t_int = np.where(feasible, t_int, np.nan)
    return InterceptSolution(t_int, np.where(feasible, tof_i, np.nan), pip, feasible)


# ---------------------------------------------------------------------------------------------
# Kill probability, priority, assignment
# ---------------------------------------------------------------------------------------------


def rounds_for_pk(pk: ArrayLike, required_pk: float, max_rounds: ArrayLike) -> NDArray:
    """The fewest independent shots of single-shot Pk ``pk`` whose cumulative kill probability
    ``1 − (1 − pk)^n`` reaches ``required_pk``, capped at ``max_rounds`` (≥ 1); int array.

    ``n = ⌈ln(1 − P_req) / ln(1 − pk)⌉``; a shot of Pk 1 needs one, a shot of Pk 0 (or NaN)
    gets ``max_rounds`` (it is not assigned anyway).
    """
    p = np.clip(np.nan_to_num(np.asarray(pk, float), nan=0.0), 0.0, 1.0)
    cap = np.maximum(np.asarray(max_rounds, np.int64), 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        n = np.ceil(np.log1p(-required_pk) / np.log1p(-p) - 1e-12)
    n = np.where(p >= 1.0, 1.0, np.where(p <= 0.0, np.inf, n))
    return np.minimum(np.maximum(n, 1.0), cap).astype(np.int64)


def expected_pk(weapon: Weapon, sigma_pos_m: ArrayLike) -> NDArray:
    """Expected single-shot Pk of a weapon's shot at a track whose ``sqrt(trace P_pos)`` at
    the intercept is ``sigma_pos_m`` (see the module doc)."""
    sig2 = np.asarray(sigma_pos_m, float) ** 2 / 3.0  # per axis
    km = weapon.kill_model
    if weapon.homing:
        sm2 = np.full_like(sig2, weapon.homing_miss_sigma_m**2)
        with np.errstate(divide="ignore"):
            p_acq = 1.0 - np.exp(-weapon.basket_m**2 / (2.0 * np.maximum(sig2, 1e-300)))
    else:
        sm2 = sig2 + weapon.dispersion_sigma_m**2
        p_acq = np.ones_like(sig2)
    sm2 = np.maximum(sm2, 1e-300)
    if km.kind == "lethal_radius":
        pk = km.pk_max * (1.0 - np.exp(-km.lethal_radius_m**2 / (2.0 * sm2)))
    else:
        pk = km.pk_max * km.sigma_m**2 / (km.sigma_m**2 + sm2)
    return p_acq * pk


def threat_priority(
    t_impact_s: ArrayLike,
    impact_ecef: ArrayLike,
    t_now_s: float,
    assets: Sequence[DefendedAsset],
    earth: EarthModel,
    asset_weight: float = 10.0,
    tti_ref_s: float = 60.0,
) -> NDArray:
    """Threat priority ``w_asset (1 + τ_ref/(τ_ref + tti))`` (see the module doc), ``(n,)``."""
    tti = np.maximum(np.asarray(t_impact_s, float) - t_now_s, 0.0)
    urgency = 1.0 + np.where(np.isfinite(tti), tti_ref_s / (tti_ref_s + tti), 0.0)
    w = np.ones_like(urgency)
    p = np.atleast_2d(np.asarray(impact_ecef, float))
    if assets and p.size:
        d = ground_distance_m(p, assets, earth)
        radius = np.array([a.radius_m for a in assets])
        inside = (d <= radius[None, :]).any(axis=1)
        w = np.where(inside, asset_weight, 1.0)
    return w * urgency


def assign_weapons(pk: ArrayLike, value: ArrayLike, min_pk: float = 0.0
                   ) -> tuple[NDArray, NDArray]:
    """Optimal one-to-one weapon-target assignment maximizing ``Σ value_t pk_wt``.

    Args:
        pk: ``(W, T)`` kill probability of weapon w's engagement of target t (0 or NaN:
            infeasible).
        value: ``(T,)`` target values (priorities).
        min_pk: pairs below this Pk are not assigned.

    Returns:
        ``(weapon_idx, target_idx)``: the assigned pairs (each weapon and target at most once),
        sorted by weapon; pairs of zero value are dropped.  Solved exactly by
        ``scipy.optimize.linear_sum_assignment``.
    """
    p = np.nan_to_num(np.asarray(pk, float), nan=0.0)
    p = np.where(p >= min_pk, p, 0.0)
    benefit = p * np.asarray(value, float)[None, :]
    if benefit.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    w, t = linear_sum_assignment(benefit, maximize=True)
    keep = benefit[w, t] > 0.0
    return w[keep].astype(np.int64), t[keep].astype(np.int64)


# ---------------------------------------------------------------------------------------------
# One decision
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FireOrders:
    """Shots ordered at one decision, one row per shot.

    Attributes:
        weapon_idx: ``(m,)`` index into the weapons.
        row: ``(m,)`` track row the decision used.
        track_id: ``(m,)``.
        t_launch_s: ``(m,)`` launch time, s.
        t_intercept_s: ``(m,)`` predicted intercept time, s.
        pip: ``(m, 6)`` predicted intercept point (target state), ECEF.
        pk: ``(m,)`` expected single-shot Pk.
        value: ``(m,)`` priority of the target.
    """

    weapon_idx: NDArray
    row: NDArray
    track_id: NDArray
    t_launch_s: NDArray
    t_intercept_s: NDArray
    pip: NDArray
    pk: NDArray
    value: NDArray

    def __len__(self) -> int:
        return int(self.weapon_idx.size)


REASONS: tuple[str, ...] = ("fired", "weapon_busy", "magazine_empty",
                            "track_awaiting_assessment", "track_not_fire_control_quality",
                            "no_intercept", "pk_below_min", "assigned_elsewhere")
"""Why a weapon did or did not fire at a live track at a decision (the codes are indices):
``fired``; ``weapon_busy`` (reloading, recharging between rounds, or changing rails);
``magazine_empty``; ``track_awaiting_assessment`` (a shot at it is in flight or being
assessed, or it is known killed); ``track_not_fire_control_quality`` (not confirmed, or its
position error above the weapon's threshold); ``no_intercept`` (no predicted intercept point
inside the weapon's envelope: range, altitude, time of flight, elevation); ``pk_below_min``
(the engagement's planned Pk below ``min_pk``); ``assigned_elsewhere`` (the weapon-target
assignment gave the weapon to another track, or the track to another weapon)."""
(R_FIRED, R_BUSY, R_EMPTY, R_AWAITING, R_NOT_FCQ, R_NO_INTERCEPT, R_LOW_PK,
 R_ELSEWHERE) = range(len(REASONS))


def slew_time_s(weapons: Sequence[Weapon], target_pos: NDArray, last_aim: NDArray | None,
                earth: EarthModel) -> NDArray:
    """Time each weapon needs to re-lay on each target before its first round, ``(n, W)`` s:
    ``angle / slew_rate + settle`` between its last aim (the line of sight to its last round's
    predicted intercept point) and the line of sight to the target's position now; 0 for a
    weapon with no slew limit or that has not fired yet (it is laid on its first target while
    the track matures)."""
    pos = np.atleast_2d(np.asarray(target_pos, float))
    out = np.zeros((pos.shape[0], len(weapons)))
    if last_aim is None:
        return out
    for w, wp in enumerate(weapons):
        rate = wp.slew_rate_deg_s
        if rate is None or not np.isfinite(last_aim[w]).all():
            continue
        los = pos - wp.site_ecef(earth)
        los /= np.linalg.norm(los, axis=1, keepdims=True)
        ang = np.degrees(np.arccos(np.clip(los @ last_aim[w], -1.0, 1.0)))
        out[:, w] = ang / rate + wp.settle_s
    return out


def _empty_orders() -> FireOrders:
    e = np.empty(0)
    i = np.empty(0, np.int64)
    return FireOrders(i, i, i, e, e, np.empty((0, 6)), e, e)


def plan_shots(
    t_s: float,
    tracks: TrackColumns,
    rows: NDArray,
    candidate: NDArray,
    weapons: Sequence[Weapon],
    tables: Sequence[FlyoutTable],
    rounds: NDArray,
    config: FireControlConfig,
    earth: EarthModel,
    assets: Sequence[DefendedAsset] = (),
    why: NDArray | None = None,
    last_aim: NDArray | None = None,
) -> FireOrders:
    """One fire-control decision at time ``t_s`` from the track rows ``rows``.

    Args:
        t_s: decision time, s.
        tracks: the track history.
        rows: ``(n,)`` latest row of each live track (:func:`latest_rows`).
        candidate: ``(W, n)`` bool: weapon w may engage track i (ready, track not blocked);
            engageability (status, σ) is applied here.
        weapons, tables: the weapons and their fly-out tables.
        rounds: ``(W,)`` rounds left.
        config: fire-control settings.
        earth: Earth model.
        assets: defended assets (threat priority).
        why: optional ``(W, n)`` int array of :data:`REASONS` codes, filled in place for the
            candidate pairs (the caller sets the others: busy weapon, empty magazine, track
            awaiting assessment).
        last_aim: optional ``(W, 3)`` ECEF unit vectors: the line of sight from each
            weapon's site to the predicted intercept point of its last round (NaN: none yet).
            A weapon with a finite ``slew_rate_deg_s`` first slews from there to the line of
            sight of the track's current position and settles (:func:`slew_time_s`), which
            delays its first round at that track.
    """
    n, n_w = rows.size, len(weapons)
    if n == 0 or n_w == 0:
        return _empty_orders()
    status, cov = tracks.status[rows], tracks.cov[rows]
    thr = np.array([w.sigma_threshold_m for w in weapons])
    quality = engageable(status[None, :], cov[None], thr[:, None])
    ok = candidate & quality & (np.asarray(rounds) > 0)[:, None]
    if why is not None:
        why[candidate] = R_ELSEWHERE
        why[candidate & ~quality] = R_NOT_FCQ
    if not ok.any():
        return _empty_orders()
    sel = np.flatnonzero(ok.any(axis=0))
    rows_s, ok_s = rows[sel], ok[:, sel]
    state, t_row = tracks.state[rows_s], tracks.t_s[rows_s]

    # launchers: (weapon, salvo slot)
    multi = config.doctrine in ("salvo", "required_pk")
    k_shots = np.array([min(w.salvo_size if multi else 1, int(r))
                        for w, r in zip(weapons, rounds, strict=True)])
    lw, ls = [], []
    for w, k in enumerate(k_shots):
        for s in range(max(k, 1)):
            lw.append(w)
            ls.append(s)
    lw_a, ls_a = np.array(lw), np.array(ls)
    t_launch = np.array([t_s + weapons[w].launch_delay_s + s * weapons[w].salvo_interval_s
                         for w, s in zip(lw, ls, strict=True)])
    slew = slew_time_s(weapons, state[:, :3], last_aim, earth)          # (n_sel, W)
    t_launch = t_launch[None, :] + slew[:, lw_a]                         # (n_sel, launchers)
    fns = [weapon_tof_fn(weapons[w], tables[w], earth) for w in range(n_w)]
    max_tof = np.array([min(tables[w].max_tof_s, weapons[w].max_tof_s) for w in lw])
    horizon = float(np.max(t_launch + max_tof[None, :]) - t_s)
    step = config.pip_step_s
    t_grid = t_s + np.arange(0.0, horizon + step, step)
    xs = predict_states(state, t_row, t_grid, config.motion_model, earth, max_step_s=step)
    sol = solve_intercepts(t_grid, xs, t_launch, [fns[w] for w in lw],
                           iterations=config.pip_iterations)

    # expected Pk of slot 0 of each weapon, salvo Pk for the assignment
    first = np.flatnonzero(ls_a == 0)
    t_go = sol.t_intercept_s[:, first] - t_row[:, None]
    sig = predicted_position_sigma_m(cov[sel][:, None], t_go)
    # Unknown target maneuvers: a constant lateral acceleration a_m over the prediction moves
    # the target 0.5 a_m t² on each of the two axes across the velocity, so far predicted
    # intercept points of a maneuvering target are worth little (and are not shot at).
    sig = np.hypot(sig, np.sqrt(2.0) * 0.5 * config.target_maneuver_mps2 * np.square(t_go))
    pk1 = np.stack([expected_pk(weapons[lw_a[f]], sig[:, i]) for i, f in enumerate(first)])
    pk1 = np.where(sol.feasible[:, first].T & ok_s, pk1, 0.0)            # (W, n_sel)
    if config.doctrine == "required_pk":
        n_fire = rounds_for_pk(pk1, config.required_pk, np.maximum(k_shots, 1)[:, None])
    else:
        n_fire = np.broadcast_to(np.maximum(k_shots, 1)[:, None], pk1.shape)
    pk_salvo = 1.0 - (1.0 - pk1) ** n_fire
    t_imp, p_imp = predict_impact(state, t_row, config.motion_model, earth,
                                  config.impact_horizon_s, config.impact_step_s)
    value = threat_priority(t_imp, p_imp, t_s, assets, earth, config.asset_weight,
                            config.tti_ref_s)
    wi, ti = assign_weapons(pk_salvo, value, config.min_pk)
    if why is not None:
        sub = why[:, sel]
        feas = sol.feasible[:, first].T                                   # (W, n_sel)
        sub[ok_s & ~feas] = R_NO_INTERCEPT
        sub[ok_s & feas & ~(pk_salvo >= max(config.min_pk, 1e-300))] = R_LOW_PK
        sub[wi, ti] = R_FIRED
        why[:, sel] = sub

    out: dict[str, list] = {k: [] for k in ("w", "row", "tl", "ti", "pip", "pk", "v")}
    for w, t in zip(wi, ti, strict=True):
        fired = 0
        for li in np.flatnonzero(lw_a == w):
            if not sol.feasible[t, li] or fired >= n_fire[w, t]:
                continue
            fired += 1
            out["w"].append(w)
            out["row"].append(rows_s[t])
            out["tl"].append(t_launch[t, li])
            out["ti"].append(sol.t_intercept_s[t, li])
            out["pip"].append(sol.pip[t, li])
            out["pk"].append(pk1[w, t])
            out["v"].append(value[t])
    if not out["w"]:
        return _empty_orders()
    row_a = np.array(out["row"], np.int64)
    return FireOrders(np.array(out["w"], np.int64), row_a, tracks.track_id[row_a],
                      np.array(out["tl"]), np.array(out["ti"]), np.array(out["pip"]),
                      np.array(out["pk"]), np.array(out["v"]))
