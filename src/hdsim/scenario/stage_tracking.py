"""Run-loop stage 3: one centralized tracker over all sensors' reports, and its scoring.

The tracker sees only the detections table (never truth).  Scoring uses truth: the per-threat
timeline (first detection, first track, first confirmed track, first fire-control-quality
track, custody, breaks, swaps), position/velocity RMSE of the confirmed tracks associated to
each threat, and OSPA/GOSPA per second against the flying threats.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from hdsim.earth import ecef_to_geodetic, enu_rotation
from hdsim.metrics import gospa_series, ospa_series, pcrlb, threat_timeline, transition_matrices
from hdsim.sensors.detections import RADAR, Detections, nadir_frame
from hdsim.threats import TrajectorySet
from hdsim.tracking import NearlyConstantVelocity, Tracker, TrackerConfig
from hdsim.tracking.measurement import ir_jacobian, radar_jacobian
from hdsim.tracking.tracker import TrackHistory

__all__ = ["TrackingOutput", "tracker_config", "run_tracking", "track_errors", "SCORING_DEFAULTS"]

SCORING_DEFAULTS = {
    "fire_control_sigma_m": 1000.0,  # 1-sigma position error of a fire-control-quality track
    "ospa_cutoff_m": 50_000.0,       # OSPA/GOSPA cutoff c
    "metrics_step_s": 1.0,           # step of the OSPA/GOSPA series and custody sampling
}


def tracker_config(section: dict[str, Any]) -> tuple[TrackerConfig, dict[str, float]]:
    """Split the scenario's ``tracking:`` section into the tracker's configuration and the
    scoring settings; errors name ``tracking.<field>``, the value and what is allowed."""
    names = {f.name for f in dataclasses.fields(TrackerConfig)}
    scoring = dict(SCORING_DEFAULTS)
    kw: dict[str, Any] = {}
    for key, value in section.items():
        if key in SCORING_DEFAULTS:
            if not isinstance(value, int | float) or value <= 0:
                raise ValueError(f"tracking.{key} = {value!r}: must be a number > 0")
            scoring[key] = float(value)
        elif key in names:
            kw[key] = tuple(value) if isinstance(value, list) else value
        else:
            close = difflib.get_close_matches(key, sorted(names | set(SCORING_DEFAULTS)), 1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"tracking.{key}: unknown field{hint}")
    try:
        cfg = TrackerConfig(**kw)
    except ValueError as exc:
        raise ValueError(f"tracking.{exc}") from None
    return cfg, scoring


@dataclass
class TrackingOutput:
    history: TrackHistory
    tracks: pa.Table
    metrics: pa.Table
    timeline: list[dict[str, Any]]
    pcrlb: dict[int, tuple[np.ndarray, np.ndarray]]


def _truth_samples(trajs: TrajectorySet, step_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Common metric times and truth positions ``(N, K, 3)`` (NaN when not flying)."""
    t0 = min(tr.t_start for tr in trajs)
    t1 = max(tr.t_end for tr in trajs)
    times = np.arange(np.ceil(t0), t1 + 1e-9, step_s)
    return times, trajs.states_at(times)


def _track_positions_at(hist: TrackHistory, times: np.ndarray, confirmed: np.ndarray,
                        max_age_s: float) -> list[np.ndarray]:
    """Positions of the confirmed tracks at each time: each track's latest confirmed row at or
    before the time (no older than ``max_age_s``), extrapolated at constant velocity."""
    if not np.any(confirmed):
        return [np.empty((0, 3)) for _ in times]
    idx = np.flatnonzero(confirmed)
    idx = idx[np.lexsort((hist.t_s[idx], hist.track_id[idx]))]
    tid, t, st = hist.track_id[idx], hist.t_s[idx], hist.state[idx]
    starts = np.flatnonzero(np.r_[True, tid[1:] != tid[:-1]])
    ends = np.r_[starts[1:], tid.size]
    time_idx, points = [], []
    for lo, hi in zip(starts, ends, strict=True):
        k = np.searchsorted(t[lo:hi], times, side="right") - 1
        ok = (k >= 0) & (times - t[lo:hi][np.maximum(k, 0)] <= max_age_s)
        j = np.flatnonzero(ok)
        rows = lo + k[j]
        time_idx.append(j)
        points.append(st[rows, :3] + (times[j] - t[rows])[:, None] * st[rows, 3:])
    time_idx_a = np.concatenate(time_idx)
    points_a = np.concatenate(points)
    order = np.argsort(time_idx_a, kind="stable")
    cuts = np.searchsorted(time_idx_a[order], np.arange(times.size + 1))
    points_a = points_a[order]
    return [points_a[cuts[i]:cuts[i + 1]] for i in range(times.size)]


def track_errors(hist: TrackHistory, trajs: TrajectorySet
                 ) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per threat index: the history rows of the confirmed/coasting tracks associated to it
    (while it flies), their state error (estimate minus truth, ``(r, 6)``) and NEES ``(r,)``.
    One grouping pass over the history (rows sorted by threat)."""
    rows = np.flatnonzero(np.isin(hist.status, [1, 2]) & (hist.truth_idx >= 0))
    rows = rows[np.argsort(hist.truth_idx[rows], kind="stable")]
    bounds = np.searchsorted(hist.truth_idx[rows], np.arange(len(trajs) + 1))
    out = {}
    for k, tr in enumerate(trajs):
        r = rows[bounds[k]:bounds[k + 1]]
        truth = tr.state_at(hist.t_s[r]) if r.size else np.empty((0, 6))
        ok = np.isfinite(truth[:, 0])
        r = r[ok]
        err = hist.state[r] - truth[ok]
        nees = np.sum(err * np.linalg.solve(hist.cov[r], err[..., None])[..., 0], axis=1)
        out[k] = (r, err, nees)
    return out


def _accuracy(hist: TrackHistory, trajs: TrajectorySet
              ) -> dict[int, tuple[float | None, float | None, float | None]]:
    """Per threat: position RMSE, velocity RMSE and average NEES (6 states; 6 for a consistent
    filter, Bar-Shalom, Li & Kirubarajan 2001 §5.4) of the confirmed/coasting track rows
    associated to it."""
    out: dict[int, tuple[float | None, float | None, float | None]] = {}
    for k, (r, err, nees) in track_errors(hist, trajs).items():
        if not r.size:
            out[k] = (None, None, None)
            continue
        out[k] = (float(np.sqrt(np.mean(np.sum(err[:, :3] ** 2, axis=1)))),
                  float(np.sqrt(np.mean(np.sum(err[:, 3:] ** 2, axis=1)))),
                  float(np.mean(nees)))
    return out


def _pcrlb_by_threat(detections: Detections, trajs: TrajectorySet, q_m2ps3: float
                     ) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Posterior Cramér-Rao bound of each threat's position error at its detection times,
    with the same reports (Jacobians at the true state, Tichavský et al. 1998) and a
    nearly-constant-velocity motion model of the tracker's process noise.  The bound is
    conditional on the detection sequence that occurred (each report weight 1).

    The reports of one time are summed into one information matrix ``J = Σ Hᵀ R⁻¹ H`` (all
    reports at once with einsum) and handed to :func:`hdsim.metrics.pcrlb` as one equivalent
    measurement ``H = diag(√λ) Vᵀ``, ``R = I`` from ``J = V diag(λ) Vᵀ``."""
    out = {}
    motion = NearlyConstantVelocity(q_m2ps3)
    real = np.flatnonzero(detections.truth_idx >= 0)
    real = real[np.argsort(detections.truth_idx[real], kind="stable")]
    bounds = np.searchsorted(detections.truth_idx[real], np.arange(len(trajs) + 1))
    for k, tr in enumerate(trajs):
        rows = real[bounds[k]:bounds[k + 1]]
        if rows.size == 0:
            continue
        times, inv = np.unique(detections.t_s[rows], return_inverse=True)
        truth = tr.state_at(times)
        ok_t = np.isfinite(truth[:, 0])
        if ok_t.sum() < 2:
            continue
        x_rows = truth[inv]
        pos = detections.sensor_pos_ecef[rows]
        radar = detections.sensor_type[rows] == RADAR
        H = np.zeros((rows.size, 4, 6))
        if radar.any():
            lat, lon, _ = ecef_to_geodetic(pos[radar])
            H[radar] = radar_jacobian(x_rows[radar], pos[radar], enu_rotation(lat, lon), True)
        if (~radar).any():
            H[~radar, :2] = ir_jacobian(x_rows[~radar], pos[~radar], nadir_frame(pos[~radar]))
        w = np.nan_to_num(1.0 / detections.sigma[rows] ** 2)  # 0 for the padding
        w[~np.isfinite(x_rows[:, 0])] = 0.0
        info = np.einsum("kzi,kz,kzj->kij", np.nan_to_num(H), w, np.nan_to_num(H))
        J = np.zeros((times.size, 6, 6))
        np.add.at(J, inv, info)
        lam, vec = np.linalg.eigh(J)
        H_eq = np.sqrt(np.maximum(lam, 0.0))[..., None] * np.swapaxes(vec, -1, -2)
        keep = np.flatnonzero(ok_t)
        meas = [[(H_eq[i], np.eye(6))] for i in keep]
        F, Q = transition_matrices(motion, times[keep])
        res = pcrlb(truth[keep], meas, F, Q)
        out[k] = (times[keep], res.pos_rmse_m)
    return out


def run_tracking(detections: Detections, trajs: TrajectorySet, truth: pa.Table,
                 section: dict[str, Any]) -> TrackingOutput:
    """Track, then score against truth."""
    cfg, scoring = tracker_config(section)
    hist = Tracker(cfg).run(detections)
    ids = trajs.ids
    tracks = hist.to_arrow(ids)
    det_table = detections.to_arrow(ids).select(["t_s", "truth_id"])
    tl = threat_timeline(truth, det_table, tracks, dt_s=scoring["metrics_step_s"],
                         fire_control_sigma_m=scoring["fire_control_sigma_m"])
    accuracy = _accuracy(hist, trajs)
    bounds = _pcrlb_by_threat(detections, trajs, cfg.q_ncv_m2ps3)
    timeline = []
    index_of = {tid: k for k, tid in enumerate(ids)}
    for i in range(len(tl["threat_id"])):
        row = {key: (v[i].item() if hasattr(v[i], "item") else v[i]) for key, v in tl.items()}
        for key, v in list(row.items()):
            if isinstance(v, float) and not np.isfinite(v):
                row[key] = None
        # The timeline's rows need not be in scenario order: match the threat by its id.
        k = index_of[str(row["threat_id"])]
        row["rmse_pos_m"], row["rmse_vel_mps"], row["mean_nees"] = accuracy[k]
        b = bounds.get(k)
        finite = b[1][np.isfinite(b[1])] if b is not None else np.empty(0)
        row["pcrlb_pos_m"] = float(np.sqrt(np.mean(finite**2))) if finite.size else None
        timeline.append(row)

    times, truth_states = _truth_samples(trajs, scoring["metrics_step_s"])
    confirmed = np.isin(hist.status, [1, 2])
    est_sets = _track_positions_at(hist, times, confirmed, max_age_s=cfg.coast_after_s)
    truth_sets = [truth_states[np.isfinite(truth_states[:, j, 0]), j, :3]
                  for j in range(times.size)]
    c = scoring["ospa_cutoff_m"]
    ospa = ospa_series(est_sets, truth_sets, c=c, p=2.0)
    gospa = gospa_series(est_sets, truth_sets, c=c, p=2.0)
    metrics = pa.table({
        "t_s": times,
        "n_truth": np.array([len(s) for s in truth_sets]),
        "n_confirmed_tracks": np.array([len(s) for s in est_sets]),
        "ospa_m": ospa,
        "gospa_m": gospa.distance,
        "gospa_localization_m2": gospa.localization,
        "gospa_missed_m2": gospa.missed,
        "gospa_false_m2": gospa.false,
    })
    return TrackingOutput(history=hist, tracks=tracks, metrics=metrics, timeline=timeline,
                          pcrlb=bounds)
