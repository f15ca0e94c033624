"""Tracker consistency of a scenario: NEES over Monte Carlo runs of the sensor noise.

``nees_runs(scenario, runs)`` flies the threats once (their flight is deterministic), then for
each of ``runs`` seeds simulates every sensor's reports again (noise, detections and false
alarms drawn anew), runs the scenario's tracker on them and scores each threat's
confirmed/coasting track rows against truth (:func:`hdsim.metrics.scoring.track_errors`).

Per threat it returns the time-averaged NEES of every run and the per-second NEES averaged over
runs.  The test (Bar-Shalom, Li & Kirubarajan 2001, §5.4.2) is
:func:`hdsim.metrics.run_average_nees`: the average over runs of the per-run time averages must
lie inside the two-sided 95 % χ² interval of ``M`` runs, ``[χ²_{6M}(0.025)/M, χ²_{6M}(0.975)/M]``
(conservative for time-averaged values; see :mod:`hdsim.metrics.consistency`).  The per-second
series is compared with the same interval, second by second, for the fraction of the flight
inside it.

This is what ``hdsim nees SCENARIO --runs M`` runs and writes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from hdsim.campaign.executor import run_tasks
from hdsim.metrics.consistency import ConsistencyTest, chi2_interval, run_average_nees
from hdsim.metrics.labels import track_truth_labels
from hdsim.metrics.scoring import track_errors
from hdsim.scenario.build import build
from hdsim.scenario.config import Scenario
from hdsim.scenario.run import fly_scenario_threats
from hdsim.scenario.stage_sensors import simulate_sensors
from hdsim.threats import TrajectorySet
from hdsim.tracking import Tracker

__all__ = ["NeesRuns", "nees_runs", "run_seeds"]

NEES_DOF = 6


@dataclass
class NeesRuns:
    """NEES of the scenario's tracker over ``M`` Monte Carlo runs of the sensors.

    Attributes:
        threat_ids: ``T`` threat ids, scenario order.
        seeds: ``(M,)`` scenario seed of each run.
        mean_nees: ``(M, T)`` time-averaged NEES of each threat's track rows in each run (NaN
            when the threat had no confirmed track in that run).
        rmse_pos_m: ``(M, T)`` position RMSE of the same rows, m.
        n_rows: ``(M, T)`` number of track rows scored.
        t_s: ``(G,)`` start of each one-second bin of the per-second series, s.
        nees_t: ``(T, G)`` NEES per second averaged over the runs' rows in that second (NaN
            where no run had a row).
        runs_t: ``(T, G)`` number of runs with a row in that second.
    """

    threat_ids: list[str]
    seeds: np.ndarray
    mean_nees: np.ndarray
    rmse_pos_m: np.ndarray
    n_rows: np.ndarray
    t_s: np.ndarray
    nees_t: np.ndarray
    runs_t: np.ndarray

    def test(self, confidence: float = 0.95) -> ConsistencyTest:
        """Per threat: run average of the time-averaged NEES and its interval."""
        return run_average_nees(self.mean_nees, NEES_DOF, axis=0, confidence=confidence)

    def pooled(self, confidence: float = 0.95) -> ConsistencyTest:
        """All threats and runs together (threats' errors are independent: own reports)."""
        return run_average_nees(self.mean_nees.reshape(-1), NEES_DOF, confidence=confidence)

    def fraction_inside(self, confidence: float = 0.95) -> np.ndarray:
        """Per threat: fraction of the seconds flown with a track in every run in which the
        run-averaged NEES of that second lies in the ``M``-run interval (``(T,)``)."""
        m = self.seeds.size
        lo, hi = chi2_interval(NEES_DOF, m, confidence)
        full = self.runs_t == m
        inside = full & (self.nees_t >= lo) & (self.nees_t <= hi)
        with np.errstate(invalid="ignore", divide="ignore"):
            return inside.sum(axis=1) / full.sum(axis=1)

    def to_arrow(self) -> pa.Table:
        """One row per (threat, run): ``threat_id, run, seed, mean_nees, rmse_pos_m, n_rows``."""
        m, t = self.mean_nees.shape
        return pa.table({
            "threat_id": np.repeat(np.array(self.threat_ids, dtype=object)[None], m, 0).ravel(),
            "run": np.repeat(np.arange(m), t),
            "seed": np.repeat(self.seeds, t),
            "mean_nees": self.mean_nees.ravel(),
            "rmse_pos_m": self.rmse_pos_m.ravel(),
            "n_rows": self.n_rows.ravel(),
        })

    def series_arrow(self) -> pa.Table:
        """One row per (threat, second): ``threat_id, t_s, nees, n_runs``."""
        t, g = self.nees_t.shape
        return pa.table({
            "threat_id": np.repeat(np.array(self.threat_ids, dtype=object), g),
            "t_s": np.tile(self.t_s, t),
            "nees": self.nees_t.ravel(),
            "n_runs": self.runs_t.ravel(),
        })


def run_seeds(scenario: Scenario, runs: int) -> np.ndarray:
    """``runs`` independent 32-bit seeds derived from the scenario's seed (reproducible)."""
    if runs < 1:
        raise ValueError(f"runs = {runs!r}: must be >= 1")
    return np.random.SeedSequence(scenario.seed).generate_state(runs).astype(np.int64)


def _one_run(scenario: Scenario, trajs: TrajectorySet, seed: int, t0: float, n_bins: int):
    sc = scenario.model_copy(update={"seed": int(seed)})
    comp = build(sc)
    det = simulate_sensors(comp, trajs).detections
    hist = Tracker(comp.tracking).run(det)
    labels = track_truth_labels(hist, det.truth_idx)
    n_t = len(trajs)
    mean = np.full(n_t, np.nan)
    rmse = np.full(n_t, np.nan)
    count = np.zeros(n_t, np.int64)
    bin_sum = np.zeros((n_t, n_bins))
    bin_n = np.zeros((n_t, n_bins), np.int64)
    for k, (rows, err, nees) in track_errors(hist, labels, trajs).items():
        count[k] = rows.size
        if not rows.size:
            continue
        mean[k] = float(np.mean(nees))
        rmse[k] = float(np.sqrt(np.mean(np.sum(err[:, :3] ** 2, axis=1))))
        b = np.clip(np.floor(hist.t_s[rows] - t0).astype(np.int64), 0, n_bins - 1)
        np.add.at(bin_sum[k], b, nees)
        np.add.at(bin_n[k], b, 1)
    return mean, rmse, count, bin_sum, bin_n


def nees_runs(scenario: Scenario, runs: int = 10, jobs: int = 1,
              progress: Callable[[float], None] | None = None,
              seeds: Sequence[int] | None = None) -> NeesRuns:
    """NEES of the scenario's tracker over ``runs`` Monte Carlo runs of its sensors.

    Args:
        scenario: a scenario with threats and sensors.
        runs: number of runs ``M`` (ignored when ``seeds`` is given).
        jobs: worker processes (1: in this process; more: a local Dask cluster, as campaigns).
        progress: called with the fraction of runs done.
        seeds: explicit seeds (default :func:`run_seeds`).
    """
    if not scenario.threats or not (scenario.sensors.space_layers or scenario.sensors.radars):
        raise ValueError(f"scenario {scenario.name!r}: needs threats and sensors to track")
    if jobs < 1:
        raise ValueError(f"jobs = {jobs!r}: must be >= 1")
    seed_arr = np.asarray(seeds if seeds is not None else run_seeds(scenario, runs), np.int64)
    trajs = fly_scenario_threats(scenario)
    t0 = float(np.floor(min(tr.t_start for tr in trajs)))
    n_bins = int(np.ceil(max(tr.t_end for tr in trajs) - t0)) + 1
    results: list = [None] * seed_arr.size
    done = 0

    def _keep(i: int, res) -> None:
        nonlocal done
        results[i] = res
        done += 1
        if progress:
            progress(done / seed_arr.size)

    # the campaigns' execution path: in this process for one job, else a local Dask cluster
    run_tasks(_one_run, [(int(s), t0, n_bins) for s in seed_arr], _keep,
              workers=0 if jobs == 1 else jobs, shared=(scenario, trajs))
    mean, rmse, count, bin_sum, bin_n = (np.stack(x) for x in zip(*results, strict=True))
    # each run's mean NEES in each second, then the average over the runs with a row there
    per_run_t = np.divide(bin_sum, bin_n, out=np.zeros_like(bin_sum), where=bin_n > 0)
    runs_t = np.sum(bin_n > 0, axis=0)  # (T, G)
    nees_t = np.divide(per_run_t.sum(axis=0), runs_t, out=np.full(runs_t.shape, np.nan),
                       where=runs_t > 0)
    return NeesRuns(threat_ids=list(trajs.ids), seeds=seed_arr, mean_nees=mean,
                    rmse_pos_m=rmse, n_rows=count, t_s=t0 + np.arange(n_bins, dtype=float),
                    nees_t=nees_t, runs_t=runs_t)
