"""Multi-sensor multi-target tracker: centralized measurement fusion of radar and space-IR reports.

``Tracker(config).run(detections) -> TrackHistory``. All sensors feed one set of tracks (ECEF
state ``[x, y, z, vx, vy, vz]`` plus, for 9-state models, acceleration). The loop is over scans
— groups of reports with the same time and sensor, in time order — and every step inside a
scan is batched over tracks (no Python loop over tracks):

1. **predict** all eligible tracks to the scan time (per-track ``dt``; EKF, UKF or IMM);
2. **gate**: predicted measurement and ``H P Hᵀ`` of every track (of every IMM model: a report
   is in the gate of a track when it is in the gate of one of its models), chi-square gate on all
   track-detection pairs (:func:`hdsim.tracking.association.gate_sparse`, identical to the full
   matrix), each detection with its own noise ``R = diag(σ²)``;
3. **associate**: GNN (default) or JPDA (:mod:`hdsim.tracking.association`);
4. **update** the associated tracks (EKF/UKF/IMM update, or the JPDA combined update);
5. **initiate** from what is left: radar reports become position fixes, IR lines of sight of
   the same epoch (within ``ir_sync_tol_s``) are triangulated across satellites; a fix is paired
   with an earlier fix by two-point differencing (:mod:`hdsim.tracking.initiation`); IR lines of
   sight that find no partner start or update *angle-only* tentative tracks of that satellite;
6. **manage**: M-of-N confirmation, coasting after ``coast_after_s`` without an update,
   deletion (too long without update, position sigma too large, tentative failing M-of-N),
   merging of duplicates (Mahalanobis distance of the 6-states below ``merge_d2``).

Track status: tentative → confirmed ⇄ coasting → deleted. An M-of-N *opportunity* is a scan of a
sensor that has already updated the track (or that updates it now), so a target outside a
sensor's coverage is not penalised by that sensor's scans.

**Out-of-sequence reports.** :meth:`Tracker.process` accepts chunks of reports in any order and
keeps them in a reorder buffer; a scan is processed once the newest time seen exceeds it by
``reorder_lag_s``, so reports that are late by less than the lag are processed exactly in time
order (same result as sorted input). Reports later than the lag are still processed (never
dropped) by *retrodiction*: the tracks are predicted backwards to the report time (negative
``dt``: the motion models give the exact ``F(dt)`` and ``Q(|dt|)``), updated there, and
predicted forward again at the next scan. For linear dynamics this is exact when ``q = 0``;
with process noise it is an approximation — it neglects the correlation between the process
noise over the late interval and the current estimate, which the exact OOSM update accounts for
(Bar-Shalom, "Update with out-of-sequence measurements in tracking: exact solution", IEEE TAES
38(3), 2002) — and it counts that noise twice (back and forth), inflating the covariance.
:meth:`Tracker.run` is ``process`` + ``finish``.

**Truth is never read.** ``Detections.truth_idx`` is not read at all: the tracker records which
input rows started or updated which track (``TrackHistory.assoc_track``, ``assoc_row``); the
threat each track follows is computed from those rows afterwards, for scoring and engagement
only, by :func:`hdsim.metrics.labels.track_truth_labels`.

Settings: :class:`~hdsim.tracking.config.TrackerConfig`; filter bank (single model or IMM):
:mod:`hdsim.tracking.bank`; output: :class:`~hdsim.tracking.history.TrackHistory`.
"""


from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray
from scipy.spatial import cKDTree
from threadpoolctl import threadpool_limits

from hdsim.earth import ecef_to_geodetic, enu_rotation
from hdsim.earth.constants import POLAR_RADIUS_M
from hdsim.sensors.detections import RADAR, SPACE_IR, Detections, nadir_frame
from hdsim.tracking.association import (
    GatedPairs,
    gate_any_model,
    gate_sparse,
    gnn_assign,
    jpda_update,
    jpda_weights,
)
from hdsim.tracking.bank import FilterBank, measurement_moments
from hdsim.tracking.config import TrackerConfig
from hdsim.tracking.gating import chi2_gate
from hdsim.tracking.history import TrackHistory, TrackStatus
from hdsim.tracking.initiation import (
    angle_only_state,
    hits_in_window,
    pair_fixes,
    radar_fix,
    ray_sphere_range,
    two_point_state,
)
from hdsim.tracking.kalman import safe_cholesky, solve_lower
from hdsim.tracking.measurement import (
    IrLosMeasurement,
    RadarMeasurement,
    ir_residual,
    radar_residual,
)
from hdsim.tracking.triangulation import associate_los, ir_los_direction

__all__ = ["Tracker"]

_SEED_W = 8  # max detections remembered per seed fix


class _Prediction(NamedTuple):
    """Tracks predicted to a scan: per model ``xp (n, m, d)``, ``Pp``, ``mup (n, m)`` and
    combined ``xc (n, d)``, ``Pc (n, d, d)``."""

    xp: NDArray
    Pp: NDArray
    mup: NDArray
    xc: NDArray
    Pc: NDArray


class _Update(NamedTuple):
    """Result of association and update: gated-track indices ``tracks (a,)`` (sorted), their
    reports ``dets (a,)`` and new states (None when ``a = 0``)."""

    tracks: NDArray
    dets: NDArray
    x: NDArray | None
    P: NDArray | None
    mu: NDArray | None


class _Scan(NamedTuple):
    t: float
    sensor: int
    stype: int
    rows: NDArray[np.int64]
    z: NDArray[np.float64]
    sigma: NDArray[np.float64]
    pos: NDArray[np.float64]


# ------------------------------------------------------------------------------------------
# Tracker
# ------------------------------------------------------------------------------------------
@dataclass
class Tracker:
    """Centralized multi-sensor tracker (see the module docstring).

    Usage::

        history = Tracker(TrackerConfig()).run(detections)
        table = history.to_arrow(threat_ids)

    or streaming: ``tr.process(chunk)`` as reports arrive (any order), then ``tr.finish()``.
    """

    config: TrackerConfig = field(default_factory=TrackerConfig)

    def __post_init__(self) -> None:
        cfg = self.config
        self.bank = FilterBank(cfg)
        self._unscented = self.bank.method == "ukf"
        self.gamma = {dz: chi2_gate(cfg.gate_probability, dz) for dz in (2, 3, 4)}
        m, d = self.bank.m, self.bank.d
        self.tr = {
            "id": np.zeros(0, np.int64), "x": np.zeros((0, m, d)), "P": np.zeros((0, m, d, d)),
            "mu": np.zeros((0, m)), "t": np.zeros(0), "status": np.zeros(0, np.int8),
            "hist": np.zeros(0, np.uint8), "nhist": np.zeros(0, np.int16),
            "hits": np.zeros(0, np.int64), "t_hit": np.zeros(0), "los": np.zeros(0, np.int64),
            "seen": np.zeros((0, 1), bool),
            # each track's prediction to the current scan time, reused by the other sensors'
            # scans at that time (NaN: none; cleared when the track is updated)
            "pt": np.zeros(0), "px": np.zeros((0, m, d)), "pP": np.zeros((0, m, d, d)),
            "pmu": np.zeros((0, m)),
        }
        self.seeds = {"pos": np.zeros((0, 3)), "cov": np.zeros((0, 3, 3)), "t": np.zeros(0),
                      "rows": np.zeros((0, _SEED_W), np.int64),
                      "sensors": np.zeros((0, _SEED_W), np.int64)}
        self._next_id = 0
        self._rec: list[tuple] = []
        self._assoc: list[tuple[NDArray, NDArray]] = []
        self._ir_pool: list[tuple[_Scan, NDArray]] = []
        self._radar_geom: dict[int, tuple[NDArray, NDArray]] = {}
        self._last_merge = -math.inf
        self._progress: Callable[[float], None] | None = None
        self._prog_span = (0.0, 0.0)
        # reorder buffer (never holds truth)
        self._buf: list[dict[str, NDArray]] = []
        self._n_rows = 0
        self._t_max = -math.inf

    # ------------------------------------------------------------------ public driver
    def run(self, detections: Detections,
            progress: Callable[[float], None] | None = None) -> TrackHistory:
        """Track all reports (any order) and return the history; ``progress`` is called with
        the fraction of the reports' time span processed (a few hundred times at most)."""
        self._progress = progress
        if len(detections):
            self._prog_span = (float(np.min(detections.t_s)), float(np.max(detections.t_s)))
        try:
            self.process(detections)
            return self.finish()
        finally:
            self._progress = None

    def process(self, detections: Detections) -> None:
        """Add reports (any order); process every scan older than ``newest - reorder_lag_s``."""
        k = len(detections)
        rows = self._n_rows + np.arange(k, dtype=np.int64)
        self._n_rows += k
        if k == 0:
            return
        self._buf.append({  # the tracker's own view: no truth
            "t": np.asarray(detections.t_s, np.float64), "sensor": np.asarray(
                detections.sensor_idx, np.int64), "stype": np.asarray(detections.sensor_type),
            "z": np.asarray(detections.z, np.float64), "sigma": np.asarray(detections.sigma,
                                                                             np.float64),
            "pos": np.asarray(detections.sensor_pos_ecef, np.float64), "row": rows})
        self._t_max = max(self._t_max, float(np.max(detections.t_s)))
        self._drain(self._t_max - self.config.reorder_lag_s)

    def finish(self) -> TrackHistory:
        """Process everything buffered, flush the IR pool and return the history."""
        self._drain(math.inf)
        self._flush_ir()
        return self._history()

    # ------------------------------------------------------------------ scan loop
    def _drain(self, watermark: float) -> None:
        if not self._buf:
            return
        # Every matrix here is tiny (≤ 9×9, batched): a multithreaded BLAS only adds thread
        # hand-offs (raid example: 40 s with 2 OpenBLAS threads, 15 s with 1).
        with threadpool_limits(limits=1, user_api="blas"):
            self._drain_scans(watermark)

    def _drain_scans(self, watermark: float) -> None:
        buf = {key: np.concatenate([b[key] for b in self._buf]) for key in self._buf[0]}
        ready = buf["t"] <= watermark
        rest = {key: v[~ready] for key, v in buf.items()}
        self._buf = [rest] if rest["t"].size else []
        if not ready.any():
            return
        b = {key: v[ready] for key, v in buf.items()}
        # canonical order inside a scan (by the measurement itself, not by arrival), so that
        # the result does not depend on the order in which reports were delivered
        order = np.lexsort((b["z"][:, 1], b["z"][:, 0], b["sensor"], b["t"]))
        b = {key: v[order] for key, v in b.items()}
        new = np.r_[True, (np.diff(b["t"]) != 0) | (np.diff(b["sensor"]) != 0)]
        starts = np.flatnonzero(new)
        ends = np.r_[starts[1:], b["t"].size]
        every = max(1, starts.size // 200)
        t_lo, t_hi = self._prog_span
        for j, (s, e) in enumerate(zip(starts, ends, strict=True)):
            if self._progress is not None and j % every == 0 and t_hi > t_lo:
                self._progress(min(max((float(b["t"][s]) - t_lo) / (t_hi - t_lo), 0.0), 0.999))
            sc = _Scan(float(b["t"][s]), int(b["sensor"][s]), int(b["stype"][s]), b["row"][s:e],
                       b["z"][s:e], b["sigma"][s:e], b["pos"][s])
            self._scan(sc)

    def _scan(self, sc: _Scan) -> None:
        cfg = self.config
        if self._ir_pool and abs(sc.t - self._ir_pool[0][0].t) > cfg.ir_sync_tol_s:
            self._flush_ir()
        self._ensure_sensor(sc.sensor)
        eligible = (self.tr["status"] != TrackStatus.DELETED) & (self.tr["los"] == -1)
        used, blocked = self._associate(sc, np.flatnonzero(eligible))
        free = ~(used | blocked)
        if sc.stype == RADAR:
            self._initiate_radar(sc, free)
        elif sc.stype == SPACE_IR and free.any():
            self._ir_pool.append((sc, free))
        self._manage(sc.t)

    def _meas(self, sc: _Scan):
        if sc.stype == RADAR:
            if sc.sensor not in self._radar_geom:
                lat, lon, _ = ecef_to_geodetic(sc.pos)
                self._radar_geom[sc.sensor] = (sc.pos.copy(), enu_rotation(lat, lon))
            site, rot = self._radar_geom[sc.sensor]
            rr = bool(np.all(np.isfinite(sc.sigma[:, 3])))
            return RadarMeasurement(site, rot, rr), radar_residual, True, (4 if rr else 3)
        return IrLosMeasurement(sc.pos, nadir_frame(sc.pos)), ir_residual, False, 2

    def _associate(self, sc: _Scan, idx: NDArray) -> tuple[NDArray, NDArray]:
        """Predict tracks ``idx`` to the scan, gate, associate, update, count M-of-N and delete
        the diverged. Returns masks over the scan's reports: used (associated) and blocked
        (gated by a confirmed/coasting track)."""
        k = sc.rows.size
        used = np.zeros(k, bool)
        blocked = np.zeros(k, bool)
        if idx.size == 0:
            return used, blocked
        meas, resid, wrap1, dz = self._meas(sc)
        z = sc.z[:, :dz]
        r_var = sc.sigma[:, :dz] ** 2
        pred = self._predict(idx, sc.t)
        pairs = self._gate(pred, meas, z, r_var, resid, wrap1)
        firm = self.tr["status"][idx] != TrackStatus.TENTATIVE
        blocked[pairs.det[firm[pairs.track]]] = True
        if self.config.association == "gnn":
            upd = self._update_gnn(pred, pairs, meas, z, r_var, dz)
        else:
            upd = self._update_jpda(pred, pairs, meas, r_var, k)
        hit = np.zeros(idx.size, bool)
        hit[upd.tracks] = True
        used[upd.dets] = True
        self._store(sc, idx, upd)
        self._count_hits(sc, idx, hit)
        self._delete_diverged(idx, pred.Pc, hit, sc.t)
        return used, blocked

    def _predict(self, idx: NDArray, t: float) -> _Prediction:
        """Tracks ``idx`` predicted to ``t`` (s): per model and combined.

        Many scans share a time (the satellites of a layer report on one frame clock): a
        track's prediction to ``t`` is computed once and reused by the later scans at ``t``
        until the track is updated (the same numbers: the prediction depends only on the
        track's own state)."""
        tr = self.tr
        # updated at t already (by another sensor's scan at t): its state is the prediction
        now = tr["t"][idx] == t
        if now.any():
            ti = idx[now]
            tr["pt"][ti], tr["px"][ti], tr["pP"][ti], tr["pmu"][ti] = \
                t, tr["x"][ti], tr["P"][ti], tr["mu"][ti]
        fresh = tr["pt"][idx] != t
        if fresh.any():
            ti = idx[fresh]
            xp, Pp, mup = self.bank.predict(tr["x"][ti], tr["P"][ti], tr["mu"][ti],
                                            t - tr["t"][ti])
            tr["pt"][ti], tr["px"][ti], tr["pP"][ti], tr["pmu"][ti] = t, xp, Pp, mup
        xp, Pp, mup = tr["px"][idx], tr["pP"][idx], tr["pmu"][idx]
        xc, Pc = self.bank.combine(xp, Pp, mup)
        return _Prediction(xp, Pp, mup, xc, Pc)

    def _gate(self, pred: _Prediction, meas, z, r_var, resid, wrap1) -> GatedPairs:
        """Gated (track, report) pairs: on the combined moments for one model, on the union
        of the models' gates for the IMM (:func:`~hdsim.tracking.association.gate_any_model`)."""
        p_g = self.config.gate_probability
        if self.bank.m == 1:
            zp, HPHt = measurement_moments(pred.xc, pred.Pc, meas, self._unscented)
            return gate_sparse(zp, HPHt, z, r_var, p_g, resid, wrap1)
        n, m, d = pred.xp.shape
        zp, HPHt = measurement_moments(pred.xp.reshape(n * m, d), pred.Pp.reshape(n * m, d, d),
                                       meas, self._unscented)
        return gate_any_model(zp, HPHt, m, z, r_var, p_g, resid, wrap1)

    def _update_gnn(self, pred: _Prediction, pairs: GatedPairs, meas, z, r_var, dz: int
                    ) -> _Update:
        """GNN assignment (miss cost: the gate) and the filter update of the assigned tracks."""
        n, k = pred.xp.shape[0], z.shape[0]
        dot = gnn_assign(pairs.track, pairs.det, pairs.d2, n, k, self.gamma[dz])
        a = np.flatnonzero(dot >= 0)
        da = dot[a]
        if not a.size:
            return _Update(a, da, None, None, None)
        R = np.zeros((a.size, dz, dz))
        R[:, np.arange(dz), np.arange(dz)] = r_var[da]
        xn, Pn, mun = self.bank.update(pred.xp[a], pred.Pp[a], pred.mup[a], z[da], R, meas)
        return _Update(a, da, xn, Pn, mun)

    def _update_jpda(self, pred: _Prediction, pairs: GatedPairs, meas, r_var, k: int
                     ) -> _Update:
        """JPDA weights and combined update of every gated track (single model); the report
        of largest ``β`` of each track is recorded as its association."""
        cfg = self.config
        n = pred.xp.shape[0]
        w = jpda_weights(pairs.track, pairs.det, pairs.log_likelihood, n, k,
                         cfg.pd * cfg.gate_probability, cfg.clutter_density,
                         cfg.jpda_max_hypotheses)
        a = np.unique(pairs.track)
        o = np.lexsort((-w.beta, pairs.track))
        first = np.r_[True, pairs.track[o][1:] != pairs.track[o][:-1]][: o.size]
        da = pairs.det[o][first]
        if not a.size:
            return _Update(a, da, None, None, None)
        x, P = pred.xp[a, 0], pred.Pp[a, 0]
        H = meas.jacobian(pred.xc[a])[..., : x.shape[-1]]
        xn, Pn = jpda_update(x, P, H, pairs, w, a, r_var, n)
        return _Update(a, da, xn[:, None], Pn[:, None], pred.mup[a])

    def _store(self, sc: _Scan, idx: NDArray, upd: _Update) -> None:
        """Write the updated states of tracks ``idx[upd.tracks]`` and record the association."""
        if not upd.tracks.size:
            return
        tr = self.tr
        ti = idx[upd.tracks]
        tr["x"][ti], tr["P"][ti], tr["mu"][ti] = upd.x, upd.P, upd.mu
        tr["t"][ti] = sc.t
        tr["pt"][ti] = np.nan
        self._assoc.append((tr["id"][ti], sc.rows[upd.dets]))

    def _count_hits(self, sc: _Scan, idx: NDArray, hit: NDArray) -> None:
        """M-of-N bookkeeping of tracks ``idx``: an *opportunity* is a scan of a sensor that
        has already updated the track, or that updates it now (``hit``); the hit register
        shifts by one at each opportunity. Updated tracks record a history row."""
        tr = self.tr
        opp = hit | tr["seen"][idx, sc.sensor]
        oi = idx[opp]
        tr["hist"][oi] = (tr["hist"][oi] << np.uint8(1)) | hit[opp].astype(np.uint8)
        tr["nhist"][oi] += 1
        if hit.any():
            ti = idx[hit]
            tr["seen"][ti, sc.sensor] = True
            tr["hits"][ti] += 1
            tr["t_hit"][ti] = sc.t
            self._record(ti)

    def _delete_diverged(self, idx: NDArray, Pc: NDArray, hit: NDArray, t: float) -> None:
        """Delete 3-D tracks ``idx`` not updated now whose predicted position sigma exceeds
        ``max_sigma_pos_m``."""
        big = np.trace(Pc[:, :3, :3], axis1=-2, axis2=-1) > self.config.max_sigma_pos_m**2
        big &= ~hit & (self.tr["los"][idx] == -1)
        if big.any():
            self._set_status(idx[big], TrackStatus.DELETED, t)

    # ------------------------------------------------------------------ initiation
    def _initiate_radar(self, sc: _Scan, free: NDArray) -> None:
        if not free.any():
            self._expire_seeds(sc.t)
            return
        _, _, _, dz = self._meas(sc)
        site, rot = self._radar_geom[sc.sensor]
        pos, cov = radar_fix(sc.z[free], sc.sigma[free], site, rot)
        rows = np.full((pos.shape[0], _SEED_W), -1, np.int64)
        rows[:, 0] = sc.rows[free]
        sens = np.full_like(rows, -1)
        sens[:, 0] = sc.sensor
        rr = sc.z[free, 3] if dz == 4 else np.full(pos.shape[0], np.nan)
        ell = pos - site
        ell /= np.linalg.norm(ell, axis=-1, keepdims=True)
        self._pair_and_start(pos, cov, np.full(pos.shape[0], sc.t), rows, sens, sc.t,
                             (ell, rr, sc.sigma[free, 3]))

    def _flush_ir(self) -> None:
        pool, self._ir_pool = self._ir_pool, []
        if not pool:
            return
        cfg = self.config
        parts = []
        for sc, free in pool:
            fi = np.flatnonzero(free)
            parts.append((sc, fi))
        o = np.concatenate([np.broadcast_to(sc.pos, (fi.size, 3)) for sc, fi in parts])
        frames = np.concatenate([np.broadcast_to(nadir_frame(sc.pos), (fi.size, 3, 3))
                                 for sc, fi in parts])
        z = np.concatenate([sc.z[fi, :2] for sc, fi in parts])
        sig = np.concatenate([np.sqrt(np.mean(sc.sigma[fi, :2] ** 2, axis=1))
                              for sc, fi in parts])
        sen = np.concatenate([np.full(fi.size, sc.sensor) for sc, fi in parts])
        rows = np.concatenate([sc.rows[fi] for sc, fi in parts])
        tt = np.concatenate([np.full(fi.size, sc.t) for sc, fi in parts])
        u = ir_los_direction(z, frames)
        fixes = associate_los(o, u, sig, sen, cfg.ir_gate_probability, cfg.ir_min_alt_m)
        t_now = float(tt.max())
        used = np.zeros(rows.size, bool)
        if fixes.pos.shape[0]:
            mem = fixes.members[:, :_SEED_W]
            valid = mem >= 0
            mi = np.where(valid, mem, 0)
            used[mem[valid]] = True
            frow = np.where(valid, rows[mi], -1)
            fsen = np.where(valid, sen[mi], -1)
            ft = np.max(np.where(valid, tt[mi], -np.inf), axis=1)
            pad = _SEED_W - frow.shape[1]
            frow = np.pad(frow, ((0, 0), (0, pad)), constant_values=-1)
            fsen = np.pad(fsen, ((0, 0), (0, pad)), constant_values=-1)
            self._pair_and_start(fixes.pos, fixes.cov, ft, frow, fsen, t_now)
        else:
            self._expire_seeds(t_now)
        if not cfg.angle_only:
            return
        # lines of sight seen once: update angle-only tracks of their satellite, or start them
        start = 0
        for sc, fi in parts:
            left = ~used[start:start + fi.size]
            start += fi.size
            if not left.any():
                continue
            sub = _Scan(sc.t, sc.sensor, sc.stype, sc.rows[fi[left]], sc.z[fi[left]],
                        sc.sigma[fi[left]], sc.pos)
            mine = np.flatnonzero((self.tr["status"] != TrackStatus.DELETED)
                                  & (self.tr["los"] == sc.sensor))
            u_sub, _ = self._associate(sub, mine)
            new = ~u_sub
            if new.any():
                self._start_angle_only(sub, new)
        self._manage(t_now)

    def _start_angle_only(self, sc: _Scan, new: NDArray) -> None:
        cfg = self.config
        frame = nadir_frame(sc.pos)
        u = ir_los_direction(sc.z[new, :2], frame)
        o = np.broadcast_to(sc.pos, u.shape)
        rho = ray_sphere_range(o, u, POLAR_RADIUS_M + cfg.angle_only_alt_m)
        sig = np.sqrt(np.mean(sc.sigma[new, :2] ** 2, axis=1))
        x6, P6 = angle_only_state(o, u, sig, rho, np.full(rho.shape, cfg.angle_only_sigma_range_m),
                                  cfg.max_speed_mps)
        ids = self._add_tracks(x6, P6, sc.t, los=sc.sensor, sensors=[sc.sensor], n_hits=1)
        self._assoc.append((ids, sc.rows[new]))

    def _expire_seeds(self, t: float) -> None:
        keep = (t - self.seeds["t"]) <= self.config.seed_max_age_s
        if not keep.all():
            self.seeds = {key: v[keep] for key, v in self.seeds.items()}

    def _pair_and_start(self, pos, cov, t_fix, rows, sens, t_now, radial=(None, None, None)
                        ) -> None:
        cfg = self.config
        self._expire_seeds(t_now)
        sd = self.seeds
        match = pair_fixes(pos, cov, t_fix, sd["pos"], sd["cov"], sd["t"], cfg.max_speed_mps,
                           max_dt_s=cfg.seed_max_age_s, los_new=radial[0],
                           range_rate_new=radial[1], sigma_range_rate_new=radial[2])
        m = np.flatnonzero(match >= 0)
        if m.size:
            j = match[m]
            x6, P6 = two_point_state(sd["pos"][j], sd["cov"][j], sd["t"][j], pos[m], cov[m],
                                     t_fix[m])
            both_rows = np.concatenate([rows[m], sd["rows"][j]], axis=1)
            both_sens = np.concatenate([sens[m], sd["sensors"][j]], axis=1)
            ids = self._add_tracks(x6, P6, t_fix[m], los=-1, sensors=both_sens, n_hits=2)
            ok = both_rows >= 0
            self._assoc.append((np.broadcast_to(ids[:, None], both_rows.shape)[ok],
                                both_rows[ok]))
            keep = np.ones(sd["t"].size, bool)
            keep[j] = False
            self.seeds = {key: v[keep] for key, v in sd.items()}
        rest = match < 0
        if rest.any():
            add = {"pos": pos[rest], "cov": cov[rest], "t": t_fix[rest], "rows": rows[rest],
                   "sensors": sens[rest]}
            self.seeds = {key: np.concatenate([self.seeds[key], add[key]]) for key in add}

    # ------------------------------------------------------------------ track store
    def _ensure_sensor(self, s: int) -> None:
        seen = self.tr["seen"]
        if s >= seen.shape[1]:
            self.tr["seen"] = np.pad(seen, ((0, 0), (0, s + 1 - seen.shape[1])))

    def _add_tracks(self, x6, P6, t, los: int, sensors, n_hits: int) -> NDArray[np.int64]:
        n = x6.shape[0]
        ids = self._next_id + np.arange(n, dtype=np.int64)
        self._next_id += n
        x, P, mu = self.bank.init(x6, P6)
        sens = np.asarray(sensors).reshape(n, -1) if np.ndim(sensors) == 2 else \
            np.broadcast_to(np.asarray(sensors), (n, len(sensors)))
        smax = int(sens.max(initial=-1))
        self._ensure_sensor(max(smax, 0))
        seen = np.zeros((n, self.tr["seen"].shape[1]), bool)
        rr, cc = np.nonzero(sens >= 0)
        seen[rr, sens[rr, cc]] = True
        add = {"id": ids, "x": x, "P": P, "mu": mu, "t": np.broadcast_to(t, (n,)).astype(float),
               "status": np.full(n, TrackStatus.TENTATIVE, np.int8),
               "hist": np.full(n, (1 << n_hits) - 1, np.uint8),
               "nhist": np.full(n, n_hits, np.int16), "hits": np.full(n, n_hits, np.int64),
               "t_hit": np.broadcast_to(t, (n,)).astype(float),
               "los": np.full(n, los, np.int64), "seen": seen, "pt": np.full(n, np.nan),
               "px": np.zeros_like(x), "pP": np.zeros_like(P), "pmu": np.zeros_like(mu)}
        start = self.tr["id"].size
        self.tr = {key: np.concatenate([self.tr[key], add[key]]) for key in self.tr}
        self._record(np.arange(start, start + n))
        return ids

    def _record(self, ti: NDArray, x=None, P=None, t=None) -> None:
        tr = self.tr
        if x is None:
            x, P = self.bank.combine(tr["x"][ti], tr["P"][ti], tr["mu"][ti])
            t = tr["t"][ti]
        self._rec.append((tr["id"][ti], np.broadcast_to(t, ti.shape).astype(float),
                          x[:, :6].copy(), P[:, :6, :6].copy(), tr["status"][ti].copy(),
                          tr["mu"][ti].copy()))

    def _set_status(self, ti: NDArray, status: int, t: float) -> None:
        """Change status of tracks ``ti`` and record a row at ``t`` (predicted state)."""
        if ti.size == 0:
            return
        tr = self.tr
        tr["status"][ti] = status
        xp, Pp, mup = self.bank.predict(tr["x"][ti], tr["P"][ti], tr["mu"][ti], t - tr["t"][ti])
        xc, Pc = self.bank.combine(xp, Pp, mup)
        self._record(ti, xc, Pc, t)

    def _manage(self, now: float) -> None:
        cfg = self.config
        tr = self.tr
        st = tr["status"]
        since = now - tr["t_hit"]
        three_d = tr["los"] == -1
        hw = hits_in_window(tr["hist"], cfg.confirm_n)
        tent = (st == TrackStatus.TENTATIVE) & three_d
        confirm = tent & (hw >= cfg.confirm_m)
        self._set_status(np.flatnonzero(confirm), TrackStatus.CONFIRMED, now)
        drop = tent & ~confirm & (((tr["nhist"] >= cfg.confirm_n) & (hw < cfg.confirm_m))
                                  | (since > cfg.tentative_delete_after_s))
        drop |= (st == TrackStatus.TENTATIVE) & ~three_d & (since > cfg.angle_only_delete_after_s)
        firm = (st == TrackStatus.CONFIRMED) | (st == TrackStatus.COASTING)
        drop |= firm & (since > cfg.delete_after_s)
        self._set_status(np.flatnonzero(drop), TrackStatus.DELETED, now)
        coast = (st == TrackStatus.CONFIRMED) & (since > cfg.coast_after_s)
        self._set_status(np.flatnonzero(coast), TrackStatus.COASTING, now)
        back = (st == TrackStatus.COASTING) & (since <= 0.0)
        self._set_status(np.flatnonzero(back), TrackStatus.CONFIRMED, now)
        if now - self._last_merge >= cfg.merge_interval_s:
            self._last_merge = now
            self._merge(now)
        alive = tr["status"] != TrackStatus.DELETED
        if not alive.all():
            self.tr = {key: v[alive] for key, v in tr.items()}

    def _merge(self, now: float) -> None:
        cfg = self.config
        tr = self.tr
        idx = np.flatnonzero((tr["status"] != TrackStatus.DELETED) & (tr["los"] == -1))
        if idx.size < 2:
            return
        xp, Pp, mup = self.bank.predict(tr["x"][idx], tr["P"][idx], tr["mu"][idx],
                                        now - tr["t"][idx])
        xc, Pc = self.bank.combine(xp, Pp, mup)
        x6, P6 = xc[:, :6], Pc[:, :6, :6]
        tr_pos = np.trace(P6[:, :3, :3], axis1=-2, axis2=-1)
        r = min(cfg.merge_max_radius_m, math.sqrt(cfg.merge_d2 * 2.0 * float(tr_pos.max())))
        pairs = cKDTree(x6[:, :3]).query_pairs(r, output_type="ndarray")
        if pairs.shape[0] == 0:
            return
        a, b = pairs[:, 0], pairs[:, 1]
        L, ok = safe_cholesky(P6[a] + P6[b])
        w = solve_lower(L, (x6[a] - x6[b])[..., None])[..., 0]
        d2 = np.where(ok, np.einsum("pi,pi->p", w, w), np.inf)
        sel = np.flatnonzero(d2 < cfg.merge_d2)
        if sel.size == 0:
            return
        rank = np.stack([tr["status"][idx] != TrackStatus.TENTATIVE, tr["hits"][idx],
                         -tr["id"][idx]], 1)
        dead = np.zeros(idx.size, bool)
        for p in sel[np.argsort(d2[sel])]:
            i, j = a[p], b[p]
            if dead[i] or dead[j]:
                continue
            loser = j if tuple(rank[i]) > tuple(rank[j]) else i
            dead[loser] = True
        self._set_status(idx[dead], TrackStatus.DELETED, now)

    # ------------------------------------------------------------------ output
    def _history(self) -> TrackHistory:
        m = self.bank.m
        if self._rec:
            cols = list(zip(*self._rec, strict=True))
            tid, t, x, P, st, mu = (np.concatenate(c) for c in cols)
        else:
            tid, t, x, P = np.zeros(0, np.int64), np.zeros(0), np.zeros((0, 6)), np.zeros((0, 6, 6))
            st, mu = np.zeros(0, np.int8), np.zeros((0, m))
        if self._assoc:
            at = np.concatenate([a for a, _ in self._assoc]).astype(np.int64)
            ar = np.concatenate([r for _, r in self._assoc]).astype(np.int64)
        else:
            at = ar = np.zeros(0, np.int64)
        order = np.lexsort((np.arange(t.size), t, tid))
        return TrackHistory(tid, t, x, P, st, mu, self.bank.names, at, ar).take(order)


