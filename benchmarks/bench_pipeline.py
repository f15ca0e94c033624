"""End-to-end pipeline benchmark: the run loop's stage wall times, on the raid example and at scale.

Two cases, both through :func:`hdsim.scenario.run.run_scenario` (the same code as ``hdsim run``,
result folder written to a temporary directory and deleted afterwards):

* ``raid``: ``scenarios/raid_defense.yaml`` end to end (6 threats, 96-satellite layer, 2 radars,
  IMM tracker, railgun + interceptor): total wall time, each stage's (threats, sensors,
  tracking, engagement; "other" = detection_summary, truth table, to_arrow, parquet write), the
  engagement outcome (shots, kills, leakers) from the summary.
* ``scale``: ``--threats`` boost-glide vehicles built programmatically (seeded
  ``np.random.default_rng``): launches uniform in 35-45 N × 100-115 E, targets in 30-40 N ×
  130-140 E, burnout 5.0-6.0 km/s at 45 km, flight-path 0°, instantaneous burnout (no boost
  flown), launch times uniform over ``--launch-window-s``, vehicles alternating ``cav_h`` /
  ``htv2``, guided to the target, no maneuvers; draws that the scenario's reach check rejects
  are redrawn (their count is printed).  Sensors: one space layer ``preset: leo_tracking_layer``
  (Walker 168/12/1, 1,000 km, 80°; ``--walker T/P/F`` makes it sparser) and three radars
  ``preset: xband_long_range`` (notional sites in Japan and Korea).  Tracking:
  ``tracking: {filter: imm}`` by default, the tracker's default IMM (its default models, each
  an EKF) with GNN association; ``--filter ekf`` sets ``tracking: {filter: ekf}``, the
  single-model EKF with the nearly-constant-velocity model (much faster).  No weapons, so the
  run loop stops after tracking.  ``--duration`` is the scenario's ``duration_s`` (threats
  still flying at the end are cut there).

For the scale case the tracking stage is split into the tracker itself (``Tracker.run``, timed
by a subclass patched into the run loop's module; library code is unchanged) and the scoring that
follows it (timeline, RMSE, NEES, PCRLB, OSPA/GOSPA).  Rate = detections / tracker wall time.
Accuracy: number of distinct track ids, mean custody over threats (held samples / flight
samples, :mod:`hdsim.metrics.timeline`) and the median over threats of the position RMSE of
confirmed/coasting rows.  ``--profile`` reruns nothing: it wraps the tracking stage in cProfile
(so that stage's time includes the profiler's overhead) and prints the top functions by tottime,
then the top hdsim functions by cumulative time.  The run loop's ``detection_summary`` (per
threat and layer, outside the stage timings) is timed on its own and shown under "other".

Usage: ``python benchmarks/bench_pipeline.py [--case raid scale] [--threats 1000]
[--duration 300] [--walker 168/12/1] [--filter imm|ekf] [--profile]``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import resource
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

import numpy as np
from pydantic import ValidationError

import hdsim.scenario.run as run_loop
from hdsim.scenario import load_scenario, scenario_from_dict
from hdsim.scenario.config import BoostGlideThreat, TrackingSection
from hdsim.tracking import Tracker

ROOT = Path(__file__).resolve().parents[1]
RAID = ROOT / "scenarios" / "raid_defense.yaml"
STAGES = ("threats", "sensors", "tracking", "engagement")
RADAR_SITES = {  # notional X-band sites: Honshu west coast, northern Honshu, south-east Korea
    "xband-kyoto": {"lat_deg": 35.77, "lon_deg": 135.20, "alt_m": 100.0},
    "xband-aomori": {"lat_deg": 40.89, "lon_deg": 140.29, "alt_m": 50.0},
    "xband-korea": {"lat_deg": 35.92, "lon_deg": 128.28, "alt_m": 400.0},
}


def _context() -> str:
    load = os.getloadavg()
    return (f"{os.cpu_count()} CPUs visible, load average {load[0]:.2f} / {load[1]:.2f} / "
            f"{load[2]:.2f} (1 / 5 / 15 min) — shared machine, timings are indicative")


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _run(scenario, profile: bool = False, live: bool = False) -> dict:
    """Run ``scenario`` through ``run_scenario`` into a temporary folder; return its result,
    the total wall time, the wall times of ``Tracker.run`` and ``detection_summary`` (timed by
    wrappers patched into their modules; library code unchanged) and, with ``profile``,
    cProfile stats of the tracking stage.  ``live`` prints each timed step as it ends (to
    stderr), so that a run stopped by a time limit still tells how far it got."""
    walls: dict[str, float] = {}
    t_start = time.perf_counter()

    def _done(name: str, t0: float) -> None:
        walls[name] = time.perf_counter() - t0
        if live:
            print(f"  [{time.perf_counter() - t_start:7.1f} s] {name} took {walls[name]:.2f} s "
                  f"(peak RSS {_peak_rss_mib():,.0f} MiB)", file=sys.stderr, flush=True)

    class _TimedTracker(Tracker):
        def run(self, detections, **kwargs):
            t0 = time.perf_counter()
            try:
                return super().run(detections, **kwargs)
            finally:
                _done(f"Tracker.run ({len(detections):,} detections)", t0)
                walls["tracker"] = walls.pop(f"Tracker.run ({len(detections):,} detections)")

    real_summary = run_loop.detection_summary

    def _timed_summary(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return real_summary(*args, **kwargs)
        finally:
            _done("detection_summary", t0)

    prof = cProfile.Profile() if profile else None
    if profile:
        timed_run = _TimedTracker.run

        def _profiled_run(self, detections, **kwargs):
            prof.enable()
            try:
                return timed_run(self, detections, **kwargs)
            finally:
                prof.disable()

        _TimedTracker.run = _profiled_run

    # run_scenario looks these names up in its module at call time, so the patches apply.
    patches = [mock.patch.object(run_loop, "Tracker", _TimedTracker),
               mock.patch.object(run_loop, "detection_summary", _timed_summary)]
    with tempfile.TemporaryDirectory(prefix="hdsim-bench-") as tmp:
        for p in patches:
            p.start()
        try:
            t0 = time.perf_counter()
            res = run_loop.run_scenario(scenario, Path(tmp) / "out", quiet=True)
            total = time.perf_counter() - t0
        finally:
            for p in reversed(patches):
                p.stop()
    return {"result": res, "total_s": total, "tracker_s": walls.get("tracker", float("nan")),
            "summary_s": walls.get("detection_summary", 0.0), "profile": prof}


def _stage_lines(timings: dict[str, float], total: float, summary_s: float
                 ) -> list[tuple[str, float]]:
    rows = [(s, timings[s]) for s in STAGES if s in timings]
    rows.append(("other: detection_summary", summary_s))
    rows.append(("other: truth table, to_arrow, parquet write",
                 total - sum(v for _, v in rows)))
    rows.append(("total", total))
    return rows


def bench_raid(path: Path) -> None:
    """Case 1: the raid example end to end."""
    scenario = load_scenario(path)
    out = _run(scenario)
    res, total = out["result"], out["total_s"]
    s = res.summary
    name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    print(f"\n== raid: {name} ({len(scenario.threats)} threats, "
          f"tracking filter {scenario.tracking.filter}) ==")
    print(f"{'stage':44s} {'wall s':>8s} {'share':>6s}")
    for name, v in _stage_lines(res.timings_s, total, out["summary_s"]):
        print(f"{name:44s} {v:8.2f} {100 * v / total:5.0f}%")
    eng = s.get("engagement", {})
    print(f"detections {s.get('n_detections')}, tracks {s.get('tracking', {}).get('n_tracks')}, "
          f"shots {eng.get('shots')}, kills {eng.get('kills')}, leakers {eng.get('leakers')} "
          f"(in defended assets {eng.get('leakers_in_assets')}); tracker alone "
          f"{out['tracker_s']:.2f} s; peak RSS {_peak_rss_mib():.0f} MiB")


def _glider(k: int, rng: np.random.Generator, launch_window_s: float) -> dict:
    return {
        "id": f"hgv-{k:04d}",
        "type": "boost_glide",
        "launch": {"lat_deg": float(rng.uniform(35, 45)), "lon_deg": float(rng.uniform(100, 115))},
        "target": {"lat_deg": float(rng.uniform(30, 40)), "lon_deg": float(rng.uniform(130, 140))},
        "launch_time_s": float(rng.uniform(0.0, launch_window_s)),
        "burnout": {"speed_mps": float(rng.uniform(5000, 6000)), "altitude_m": 45_000.0,
                    "flight_path_deg": 0.0},
        "vehicle": "cav_h" if k % 2 == 0 else "htv2",
    }


def scale_scenario_dict(n_threats: int, duration_s: float, seed: int = 1,
                        launch_window_s: float = 60.0, walker: tuple[int, int, int] | None = None,
                        filter_name: str = "imm") -> tuple[dict, int]:
    """The scale scenario as a dict (see the module docstring) and the number of redrawn
    (out-of-reach) threats; ``filter_name`` is the ``tracking.filter`` (``imm`` or ``ekf``)."""
    rng = np.random.default_rng(seed)
    threats, redrawn = [], 0
    for k in range(n_threats):
        for _ in range(100):
            t = _glider(k, rng, launch_window_s)
            try:
                BoostGlideThreat.model_validate(t)
                break
            except ValidationError:
                redrawn += 1
        else:
            raise RuntimeError(f"threat {k}: no reachable draw in 100 tries")
        threats.append(t)
    layer: dict = {"id": "leo-track", "preset": "leo_tracking_layer"}
    if walker is not None:
        total, planes, phasing = walker
        layer["walker"] = {"total": total, "planes": planes, "phasing": phasing}
    return {
        "name": f"bench-scale-{n_threats}",
        "epoch": "2027-03-01T00:00:00Z",
        "duration_s": duration_s,
        "seed": seed,
        "step_s": 1.0,
        "threats": threats,
        "sensors": {
            "space_layers": [layer],
            "radars": [{"id": rid, "preset": "xband_long_range", "site": site}
                       for rid, site in RADAR_SITES.items()],
        },
        "tracking": {"filter": filter_name},
    }, redrawn


def _tracker_text(cfg: TrackingSection) -> str:
    models = (f"models {', '.join(cfg.imm_models)}, per-model {cfg.imm_filter}"
              if cfg.filter == "imm" else f"motion {cfg.motion}")
    return f"filter {cfg.filter}: {models}, association {cfg.association}"


def _median(values) -> float:
    v = np.array([x for x in values if x is not None], float)
    return float(np.median(v)) if v.size else float("nan")


def _mean(values) -> float:
    v = np.array([x for x in values if x is not None], float)
    v = v[np.isfinite(v)]
    return float(np.mean(v)) if v.size else float("nan")


def bench_scale(n_threats: int, duration_s: float, seed: int, launch_window_s: float,
                walker: tuple[int, int, int] | None, profile: bool, top: int,
                filter_name: str = "imm") -> None:
    """Case 2: many boost-glide vehicles against the full sensor set, threats → tracking."""
    t0 = time.perf_counter()
    data, redrawn = scale_scenario_dict(n_threats, duration_s, seed, launch_window_s, walker,
                                        filter_name)
    scenario = scenario_from_dict(data)
    build = time.perf_counter() - t0
    layer = scenario.sensors.space_layers[0].walker
    print(f"\n== scale: {n_threats} boost-glide threats ({redrawn} out-of-reach draws redrawn), "
          f"duration {duration_s:g} s, launches over {launch_window_s:g} s, seed {seed} ==")
    print(f"sensors: LEO layer Walker {layer.total}/{layer.planes}/{layer.phasing} at "
          f"{layer.altitude_m / 1e3:.0f} km, {layer.inclination_deg:g}° + "
          f"{len(scenario.sensors.radars)} xband_long_range radars; tracking "
          f"({_tracker_text(scenario.tracking)}); no weapons")
    print(f"scenario build + validation {build:.2f} s")
    out = _run(scenario, profile=profile, live=True)
    res, total = out["result"], out["total_s"]
    s = res.summary
    det = res.tables["detections"]
    n_det = int(s["n_detections"])
    kinds = {d["values"]: d["counts"] for d in det["sensor_type"].value_counts().to_pylist()}
    trk = res.timings_s.get("tracking", float("nan"))
    tracker = out["tracker_s"]
    rows = _stage_lines(res.timings_s, total, out["summary_s"])
    idx = [name for name, _ in rows].index("tracking") + 1 if "tracking" in res.timings_s else None
    if idx is not None:
        rows[idx:idx] = [("  of which tracker (Tracker.run)", tracker),
                         ("  of which scoring", trk - tracker)]
    print(f"{'stage':44s} {'wall s':>8s} {'share':>6s}"
          + ("   (tracking stage under cProfile)" if profile else ""))
    for name, v in rows:
        share = "" if name.startswith("  ") else f"{100 * v / total:5.0f}%"
        print(f"{name:44s} {v:8.2f} {share:>6s}")
    threats = s["threats"]
    flying = [r["flight_time_s"] for r in threats]
    print(f"mean flight recorded {np.mean(flying):.0f} s "
          f"({sum(bool(r['impacted']) for r in threats)} of {len(threats)} impacted in the run)")
    table = [
        ("detections", f"{n_det:,}"),
        ("  by sensor type", ", ".join(f"{k} {v:,}" for k, v in kinds.items())),
        ("  false alarms", f"{s.get('n_false_alarms', 0):,}"),
        ("tracks (distinct ids)", f"{s.get('tracking', {}).get('n_tracks', 0):,}"),
        ("mean custody over threats", f"{100 * _mean(r.get('custody') for r in threats):.1f} %"),
        ("median position RMSE", f"{_median(r.get('rmse_pos_m') for r in threats):.1f} m"),
        ("median velocity RMSE", f"{_median(r.get('rmse_vel_mps') for r in threats):.1f} m/s"),
        ("threats never confirmed",
         f"{sum(r.get('first_confirmed_s') is None for r in threats)}"),
        ("rate through the tracker", f"{n_det / tracker:,.0f} detections/s"),
        ("rate through the tracking stage", f"{n_det / trk:,.0f} detections/s"),
        ("peak RSS", f"{_peak_rss_mib():,.0f} MiB"),
    ]
    for name, v in table:
        print(f"{name:44s} {v}")
    if profile and out["profile"] is not None:
        print(f"\ncProfile of the tracking stage (tracker + scoring), top {top} by tottime:")
        _print_stats(out["profile"], "tottime", top)
        print(f"\n... and the top {2 * top} hdsim functions by cumulative time:")
        _print_stats(out["profile"], "cumulative", 2 * top, "src/hdsim")


def _print_stats(prof: cProfile.Profile, key: str, top: int, only: str | None = None) -> None:
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf).sort_stats(key)
    stats.print_stats(*([only] if only else []), top)
    lines = buf.getvalue().splitlines()
    start = next(i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls"))
    print("\n".join(ln.replace(str(ROOT) + "/", "") for ln in lines[start:] if ln.strip()))


def _walker(text: str) -> tuple[int, int, int]:
    try:
        t, p, f = (int(v) for v in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--walker {text!r}: expected T/P/F, e.g. 168/12/1") from None
    return t, p, f


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", nargs="+", choices=["raid", "scale"], default=["raid", "scale"])
    ap.add_argument("--raid-file", type=Path, default=RAID)
    ap.add_argument("--threats", type=int, default=1000, help="scale case: boost-glide vehicles")
    ap.add_argument("--duration", type=float, default=300.0,
                    help="scale case: scenario duration_s (full flights need ~1,000 s)")
    ap.add_argument("--launch-window-s", type=float, default=60.0,
                    help="scale case: launch times uniform over [0, this]")
    ap.add_argument("--walker", type=_walker, default=None,
                    help="scale case: override the layer's Walker T/P/F (preset 168/12/1)")
    ap.add_argument("--filter", choices=["imm", "ekf"], default="imm",
                    help="scale case: tracking.filter (imm: the tracker's default; ekf: "
                    "single-model NCV EKF, faster)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--profile", action="store_true",
                    help="scale case: cProfile the tracking stage, print the top functions")
    ap.add_argument("--top", type=int, default=10, help="functions shown with --profile")
    args = ap.parse_args()
    print(_context())
    if "raid" in args.case:
        bench_raid(args.raid_file.resolve())
    if "scale" in args.case:
        bench_scale(args.threats, args.duration, args.seed, args.launch_window_s, args.walker,
                    args.profile, args.top, args.filter)


if __name__ == "__main__":
    main()
