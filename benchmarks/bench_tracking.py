"""Tracker speed and accuracy: hdsim vs Stone Soup on the same multi-target radar scenario.

Scenario: ``n`` nearly-constant-velocity targets (1-3 km/s, 20-60 km altitude, 80-600 km ground
range, at least 3 km apart) seen by one radar at 1 Hz for ``scans`` scans; reports are range,
azimuth/bearing, elevation (σ = 20 m, 1 mrad, 1 mrad), detection probability 0.9, and
``0.2 n`` false alarms per scan, uniform in range (50-700 km), azimuth and elevation (0-0.6 rad).

Both trackers use the same NCV model (``q`` = 1 m²/s³), the same noises, an EKF, GNN with a
χ² gate at 0.9997 (4.0 Mahalanobis for 3 dof) and need 3 updates to report a track:

* hdsim: ``Tracker(TrackerConfig(q_ncv_m2ps3=1, max_speed_mps=4000))`` in ECEF, two-point
  initiation + 3-of-5 confirmation;
* Stone Soup 1.9: ``ExtendedKalmanPredictor/Updater``, ``DistanceHypothesiser`` (Mahalanobis,
  ``missed_distance`` √γ), ``GNNWith2DAssignment`` — or its KD-tree variant
  ``DetectionKDTreeGNN2D`` (candidate reports within 3× the largest predicted-measurement
  variance, capped at 10 km, in (elevation, bearing, range) space) —, ``MultiMeasurementInitiator``
  (``min_points=3``, velocity prior σ = 3 km/s) and ``UpdateTimeStepsDeleter``, in the radar's
  local east-north-up frame (the same straight lines; ``bearing = π/2 − azimuth``). The loop is
  that of ``MultiTargetTracker.__next__``.

Rate: *target-updates per second* = targets × scans processed / wall time of the tracker (so both
trackers are charged the same work; each reports also its actual filter updates). Stone Soup is
run on fewer scans (``--ss-scans``) because it is slow; its rate is per scan, so the comparison
holds. Accuracy: tracks reported at the end and position RMSE of reported-track estimates against
the nearest truth (within 2 km) over the second half of the scans processed.

Usage: ``python benchmarks/bench_tracking.py [--targets 100 1000] [--scans 200] [--ss-scans 10]``.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import time

import numpy as np
from scipy.spatial import cKDTree

from hdsim.earth import enu_rotation, geodetic_to_ecef
from hdsim.sensors.detections import RADAR, Detections
from hdsim.tracking import NearlyConstantVelocity, Tracker, TrackerConfig, radar_measure

SIGMA = np.array([20.0, 1.0e-3, 1.0e-3])
Q = 1.0
GATE = 0.9997


def scenario(n: int, scans: int, rng: np.random.Generator) -> dict:
    """Truth and radar reports (see the module docstring)."""
    lat, lon = np.radians(35.0), np.radians(139.0)
    site = geodetic_to_ecef(lat, lon, 0.0)
    rot = enu_rotation(lat, lon)

    def draw(k):
        az = rng.uniform(0, 2 * np.pi, k)
        gr = np.sqrt(rng.uniform(80e3**2, 600e3**2, k))
        return np.stack([gr * np.sin(az), gr * np.cos(az), rng.uniform(20e3, 60e3, k)], -1)

    pos = draw(n)
    while True:  # resample targets closer than 3 km to another
        bad = np.unique(cKDTree(pos).query_pairs(3e3, output_type="ndarray")[:, :1])
        if bad.size == 0:
            break
        pos[bad] = draw(bad.size)
    hd = rng.uniform(0, 2 * np.pi, n)
    sp = rng.uniform(1000, 3000, n)
    venu = np.stack([sp * np.sin(hd), sp * np.cos(hd), rng.uniform(-50, 50, n)], -1)
    x = np.concatenate([site + pos @ rot, venu @ rot], -1)
    model = NearlyConstantVelocity(Q)
    F, L = model.F(1.0), np.linalg.cholesky(model.Q(1.0))
    truth = np.empty((scans, n, 6))
    for k in range(scans):
        truth[k] = x
        x = x @ F.T + rng.standard_normal(x.shape) @ L.T
    parts: dict[str, list] = {"t": [], "truth": [], "z": []}
    for k in range(scans):
        idx = np.flatnonzero(rng.random(n) < 0.9)
        z = radar_measure(truth[k, idx], site, rot, range_rate=False)
        z += rng.standard_normal(z.shape) * SIGMA
        z[:, 1] = np.mod(z[:, 1], 2 * np.pi)
        nfa = rng.poisson(0.2 * n)
        zc = np.stack([rng.uniform(50e3, 700e3, nfa), rng.uniform(0, 2 * np.pi, nfa),
                       rng.uniform(0, 0.6, nfa)], -1)
        parts["t"].append(np.full(idx.size + nfa, float(k)))
        parts["truth"].append(np.r_[idx, np.full(nfa, -1)])
        parts["z"].append(np.concatenate([z, zc]))
    t = np.concatenate(parts["t"])
    K = t.size
    z4 = np.full((K, 4), np.nan)
    z4[:, :3] = np.concatenate(parts["z"])
    s4 = np.full((K, 4), np.nan)
    s4[:, :3] = SIGMA
    det = Detections(t, np.zeros(K, np.int32), np.full(K, RADAR, np.int8),
                     np.concatenate(parts["truth"]).astype(np.int32), z4, s4,
                     np.broadcast_to(site, (K, 3)).copy(), np.full(K, 20.0), ["radar"], ["radar"])
    return {"truth": truth, "det": det, "site": site, "rot": rot, "n": n, "scans": scans}


def _rmse(est_pos: np.ndarray, est_t: np.ndarray, truth_pos: np.ndarray, t0: float) -> float:
    """Position RMSE of estimates (time = scan index) vs the nearest truth within 2 km."""
    sel = est_t >= t0
    errs = []
    for k in np.unique(est_t[sel]).astype(int):
        m = sel & (est_t == k)
        d, _ = cKDTree(truth_pos[k]).query(est_pos[m], distance_upper_bound=2e3)
        errs.append(d[np.isfinite(d)])
    e = np.concatenate(errs) if errs else np.zeros(0)
    return float(np.sqrt(np.mean(e**2))) if e.size else float("nan")


def run_hdsim(sc: dict, scans: int) -> dict:
    det = sc["det"].take(sc["det"].t_s < scans)
    cfg = TrackerConfig(filter="ekf", q_ncv_m2ps3=Q, gate_probability=GATE, max_speed_mps=4000.0)
    t0 = time.perf_counter()
    hist = Tracker(cfg).run(det)
    wall = time.perf_counter() - t0
    last = hist.last()
    n_tracks = int(np.sum((last.status == 1) | (last.status == 2)))
    conf = hist.status == 1
    rmse = _rmse(hist.state[conf, :3], hist.t_s[conf], sc["truth"][:scans, :, :3], scans / 2)
    return {"wall_s": wall, "rate": sc["n"] * scans / wall, "updates": int(hist.assoc_row.size),
            "tracks": n_tracks, "rmse_m": rmse}


def run_stonesoup(sc: dict, scans: int, kdtree: bool) -> dict:
    from stonesoup.dataassociator.neighbour import GNNWith2DAssignment
    from stonesoup.dataassociator.tree import DetectionKDTreeGNN2D
    from stonesoup.deleter.time import UpdateTimeStepsDeleter
    from stonesoup.hypothesiser.distance import DistanceHypothesiser
    from stonesoup.initiator.simple import MultiMeasurementInitiator
    from stonesoup.measures import Mahalanobis
    from stonesoup.models.measurement.nonlinear import CartesianToElevationBearingRange
    from stonesoup.models.transition.linear import (
        CombinedLinearGaussianTransitionModel,
        ConstantVelocity,
    )
    from stonesoup.predictor.kalman import ExtendedKalmanPredictor
    from stonesoup.types.detection import Detection
    from stonesoup.types.state import GaussianState
    from stonesoup.types.update import Update
    from stonesoup.updater.kalman import ExtendedKalmanUpdater

    trans = CombinedLinearGaussianTransitionModel([ConstantVelocity(Q)] * 3)
    meas = CartesianToElevationBearingRange(
        ndim_state=6, mapping=(0, 2, 4), noise_covar=np.diag([SIGMA[2], SIGMA[1], SIGMA[0]]) ** 2)
    predictor = ExtendedKalmanPredictor(trans)
    updater = ExtendedKalmanUpdater(meas)
    gate = float(np.sqrt(__import__("scipy.stats").stats.chi2.ppf(GATE, 3)))
    hyp = DistanceHypothesiser(predictor, updater, Mahalanobis(), missed_distance=gate)

    def associator():
        if kdtree:
            return DetectionKDTreeGNN2D(hyp, predictor, updater, max_distance=10e3,
                                        max_distance_covariance_multiplier=3.0)
        return GNNWith2DAssignment(hyp)

    prior = GaussianState(np.zeros((6, 1)), np.diag([0.0, 3e3, 0.0, 3e3, 0.0, 3e3]) ** 2)
    initiator = MultiMeasurementInitiator(prior, UpdateTimeStepsDeleter(2), associator(), updater,
                                          measurement_model=meas, min_points=3)
    deleter = UpdateTimeStepsDeleter(12)
    assoc = associator()
    det = sc["det"]
    epoch = _dt.datetime(2027, 1, 1)
    tracks: set = set()
    n_upd = 0
    wall = 0.0
    for k in range(scans):
        m = det.t_s == k
        z = det.z[m, :3]
        stamp = epoch + _dt.timedelta(seconds=k)
        zs = np.stack([z[:, 2], np.pi / 2 - z[:, 1], z[:, 0]], -1)
        zs[:, 1] = np.pi - np.mod(np.pi - zs[:, 1], 2 * np.pi)
        dets = {Detection(v.reshape(3, 1), timestamp=stamp, measurement_model=meas) for v in zs}
        t0 = time.perf_counter()
        hyps = assoc.associate(tracks, dets, stamp)
        used = set()
        for track, h in hyps.items():
            if h:
                track.append(updater.update(h))
                used.add(h.measurement)
                n_upd += 1
            else:
                track.append(h.prediction)
        tracks -= deleter.delete_tracks(tracks)
        tracks |= initiator.initiate(dets - used, stamp)
        wall += time.perf_counter() - t0
    # estimates of reported tracks, ENU -> ECEF, vs truth
    pos, tt = [], []
    for track in tracks:
        for s in track.states:
            if isinstance(s, Update):
                enu = np.asarray(s.state_vector, float)[[0, 2, 4], 0]
                pos.append(sc["site"] + enu @ sc["rot"])
                tt.append((s.timestamp - epoch).total_seconds())
    rmse = _rmse(np.array(pos).reshape(-1, 3), np.array(tt), sc["truth"][:scans, :, :3],
                 scans / 2)
    return {"wall_s": wall, "rate": sc["n"] * scans / wall, "updates": n_upd,
            "tracks": len(tracks), "rmse_m": rmse}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", type=int, nargs="+", default=[100, 1000])
    ap.add_argument("--scans", type=int, default=200)
    ap.add_argument("--ss-scans", type=int, nargs="+", default=[10, 3],
                    help="Stone Soup scans per target count (last value repeats)")
    ap.add_argument("--no-kdtree", action="store_true", help="skip the Stone Soup KD-tree run")
    ap.add_argument("--ss-plain-max-targets", type=int, default=100,
                    help="run Stone Soup's plain GNN2D only up to this many targets (it forms "
                         "every track-report hypothesis: ~minutes per scan at 1,000)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    try:
        import stonesoup  # noqa: F401
        have_ss = True
    except ImportError:
        have_ss = False
    print(f"{'tracker':32s} {'targets':>7s} {'scans':>5s} {'wall s':>8s} {'tgt-upd/s':>10s} "
          f"{'updates':>8s} {'tracks':>6s} {'RMSE m':>7s}")
    for i, n in enumerate(args.targets):
        sc = scenario(n, args.scans, np.random.default_rng(args.seed))
        res = {"hdsim EKF+GNN": (run_hdsim(sc, args.scans), args.scans)}
        ss = args.ss_scans[min(i, len(args.ss_scans) - 1)]
        if have_ss and ss > 0:
            res["hdsim EKF+GNN (same scans as SS)"] = (run_hdsim(sc, ss), ss)
            if n <= args.ss_plain_max_targets:
                res["Stone Soup EKF+GNN2D"] = (run_stonesoup(sc, ss, kdtree=False), ss)
            if not args.no_kdtree:
                res["Stone Soup EKF+KDTreeGNN2D"] = (run_stonesoup(sc, ss, kdtree=True), ss)
        for name, (r, s) in res.items():
            print(f"{name:32s} {n:7d} {s:5d} {r['wall_s']:8.2f} {r['rate']:10.0f} "
                  f"{r['updates']:8d} {r['tracks']:6d} {r['rmse_m']:7.1f}", flush=True)
        base = res["hdsim EKF+GNN"][0]["rate"]
        for name, (r, _) in res.items():
            if name.startswith("Stone Soup"):
                print(f"  speed-up of hdsim over {name}: {base / r['rate']:.0f}x")


if __name__ == "__main__":
    main()
