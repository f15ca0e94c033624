"""Scores of a run's tracking against truth: errors, NEES, PCRLB, OSPA/GOSPA, the timeline.

The run loop calls :func:`score_tracking` after the stages; no stage imports this module. The
tracker never sees truth: the labels of its track rows come from :mod:`hdsim.metrics.labels`.

* per threat: the timeline (first detection, first track, first confirmed and first
  fire-control-quality track, custody, breaks, swaps; :func:`hdsim.metrics.threat_timeline`),
  position/velocity RMSE and average NEES of the confirmed/coasting rows labelled with the
  threat, and the RMS of its position PCRLB;
* over time: OSPA and GOSPA (Schuhmacher et al. 2008; Rahmathullah et al. 2017) of the confirmed
  tracks against the flying threats, every ``metrics_step_s``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from hdsim.earth import ecef_to_geodetic, enu_rotation
from hdsim.metrics.ospa import gospa_series, ospa_series
from hdsim.metrics.pcrlb import pcrlb, transition_matrices
from hdsim.metrics.timeline import threat_timeline
from hdsim.sensors.detections import RADAR, Detections, nadir_frame
from hdsim.threats import TrajectorySet
from hdsim.tracking import NearlyConstantVelocity, TrackHistory
from hdsim.tracking.history import TrackStatus
from hdsim.tracking.measurement import ir_jacobian, radar_jacobian

__all__ = ["TrackingScores", "accuracy_by_threat", "detection_summary", "pcrlb_by_threat",
           "score_tracking", "track_errors", "track_positions_at", "truth_samples"]


@dataclass
class TrackingScores:
    """What :func:`score_tracking` returns."""

    timeline: list[dict[str, Any]]
    """One row per threat (scenario order is not kept: rows are sorted by threat id)."""
    metrics: pa.Table
    """``metrics.parquet``: OSPA/GOSPA and counts over time."""
    pcrlb: dict[int, tuple[np.ndarray, np.ndarray]]
    """Per threat index: PCRLB times and position bound, m."""


def truth_samples(trajs: TrajectorySet, step_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Common metric times and truth positions ``(N, K, 3)`` (NaN when not flying)."""
    t0 = min(tr.t_start for tr in trajs)
    t1 = max(tr.t_end for tr in trajs)
    times = np.arange(np.ceil(t0), t1 + 1e-9, step_s)
    return times, trajs.states_at(times)


def track_positions_at(hist: TrackHistory, times: np.ndarray, confirmed: np.ndarray,
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


def track_errors(hist: TrackHistory, labels: NDArray[np.int64], trajs: TrajectorySet
                 ) -> dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Per threat index: the history rows of the confirmed/coasting tracks labelled with it
    (``labels``: threat index of each history row, −1 none; :mod:`hdsim.metrics.labels`) while
    it flies, their state error (estimate minus truth, ``(r, 6)``) and NEES ``(r,)``.
    One grouping pass over the history (rows sorted by threat)."""
    rows = np.flatnonzero(np.isin(hist.status, TrackStatus.firm()) & (labels >= 0))
    rows = rows[np.argsort(labels[rows], kind="stable")]
    bounds = np.searchsorted(labels[rows], np.arange(len(trajs) + 1))
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


def accuracy_by_threat(hist: TrackHistory, labels: NDArray[np.int64], trajs: TrajectorySet
                       ) -> dict[int, tuple[float | None, float | None, float | None]]:
    """Per threat: position RMSE, velocity RMSE and average NEES (6 states; 6 for a consistent
    filter, Bar-Shalom, Li & Kirubarajan 2001 §5.4) of the confirmed/coasting track rows
    associated to it."""
    out: dict[int, tuple[float | None, float | None, float | None]] = {}
    for k, (r, err, nees) in track_errors(hist, labels, trajs).items():
        if not r.size:
            out[k] = (None, None, None)
            continue
        out[k] = (float(np.sqrt(np.mean(np.sum(err[:, :3] ** 2, axis=1)))),
                  float(np.sqrt(np.mean(np.sum(err[:, 3:] ** 2, axis=1)))),
                  float(np.mean(nees)))
    return out


def pcrlb_by_threat(detections: Detections, trajs: TrajectorySet, q_m2ps3: float
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


def score_tracking(hist: TrackHistory, labels: NDArray[np.int64], tracks: pa.Table,
                   detections: Detections, trajs: TrajectorySet, truth: pa.Table, *,
                   fire_control_sigma_m: float, ospa_cutoff_m: float, metrics_step_s: float,
                   coast_after_s: float, q_ncv_m2ps3: float) -> TrackingScores:
    """Score the tracker's output against truth.

    Args:
        hist: the tracker's history; ``labels`` its rows' threat indices (−1: none).
        tracks: ``tracks.parquet`` (``hist`` as a table, with ``truth_id``).
        detections: every sensor's reports (their ``truth_idx`` is used, scoring only).
        trajs, truth: the flown threats and ``truth.parquet``.
        fire_control_sigma_m: 1-sigma position error of a fire-control-quality track, m.
        ospa_cutoff_m: OSPA/GOSPA cutoff c, m; ``metrics_step_s``: step of the series, s.
        coast_after_s: how long a confirmed track's last row holds its position (the tracker's
            coasting time), s; ``q_ncv_m2ps3``: process noise of the PCRLB's NCV model.
    """
    ids = trajs.ids
    det_table = detections.to_arrow(ids).select(["t_s", "truth_id"])
    tl = threat_timeline(truth, det_table, tracks, dt_s=metrics_step_s,
                         fire_control_sigma_m=fire_control_sigma_m)
    accuracy = accuracy_by_threat(hist, labels, trajs)
    bounds = pcrlb_by_threat(detections, trajs, q_ncv_m2ps3)
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

    times, truth_states = truth_samples(trajs, metrics_step_s)
    confirmed = np.isin(hist.status, TrackStatus.firm())
    est_sets = track_positions_at(hist, times, confirmed, max_age_s=coast_after_s)
    truth_sets = [truth_states[np.isfinite(truth_states[:, j, 0]), j, :3]
                  for j in range(times.size)]
    c = ospa_cutoff_m
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
    return TrackingScores(timeline=timeline, metrics=metrics, pcrlb=bounds)


def detection_summary(detections: Detections, trajs: TrajectorySet,
                      layers: list[str], gap_s: float = 10.0) -> list[dict]:
    """Per threat and per sensor layer: first detection, fraction of the flight detected
    (1-s bins with at least one report), number of gaps longer than ``gap_s`` and the longest.
    """
    layer_index = {name: i for i, name in enumerate(layers)}
    sensor_layer = np.array([layer_index.get(lid, -1) for lid in detections.layer_ids] + [-1])
    lay = sensor_layer[detections.sensor_idx] if len(detections) else np.empty(0, int)
    real = (detections.truth_idx >= 0) & (lay >= 0)
    # One sort by (threat, layer, time), then contiguous groups: no per-pair scans of all rows.
    key = detections.truth_idx[real].astype(np.int64) * len(layers) + lay[real]
    t_all = detections.t_s[real]
    order = np.lexsort((t_all, key))
    key, t_all = key[order], t_all[order]
    bounds = np.searchsorted(key, np.arange(len(trajs) * len(layers) + 1))
    rows = []
    for k, tr in enumerate(trajs):
        flight = max(tr.t_end - tr.t_start, 1e-9)
        n_bins = int(np.ceil(flight))
        for j, layer in enumerate(layers):
            g = k * len(layers) + j
            t = t_all[bounds[g]:bounds[g + 1]]
            if t.size == 0:
                rows.append({"threat_id": tr.threat_id, "layer_id": layer,
                             "first_detection_s": None, "fraction_detected": 0.0,
                             "n_gaps": 1, "longest_gap_s": flight})
                continue
            bins = np.unique(np.floor(t - tr.t_start).astype(int))
            gaps = np.diff(np.concatenate([[tr.t_start], t, [tr.t_end]]))
            rows.append({
                "threat_id": tr.threat_id, "layer_id": layer,
                "first_detection_s": float(t[0]),
                "fraction_detected": float(min(1.0, bins.size / max(n_bins, 1))),
                "n_gaps": int(np.sum(gaps > gap_s)),
                "longest_gap_s": float(gaps.max()),
            })
    return rows
