"""Benchmark: fly 1, 100 and 1,000 guided boost-glide vehicles (full flight, RK4 at 0.5 s,
which matches a 0.1 s step to well under a metre — see docs/design.md) and report wall time
and peak memory.  Usage: ``python benchmarks/bench_threats.py [--sizes 1 100 1000]``.

Each size runs in a fresh subprocess so that peak RSS is that size's own.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def hgv_specs(n: int, seed: int = 0) -> list:
    """``n`` guided boost-glide vehicles (CAV-H and HTV-2 alternating, S-turns), launched over
    China at Japan: the benchmark raid, shared with ``bench_sensors.py``."""
    import numpy as np

    from hdsim.threats import ThreatSpec, vehicle_preset

    rng = np.random.default_rng(seed)
    specs = []
    for k in range(n):
        lat0, lon0 = np.radians(rng.uniform(35, 45)), np.radians(rng.uniform(100, 110))
        lat1, lon1 = np.radians(rng.uniform(30, 40)), np.radians(rng.uniform(135, 140))
        specs.append(ThreatSpec(
            threat_id=f"hgv-{k}", kind="boost_glide",
            vehicle=vehicle_preset("cav_h" if k % 2 else "htv2"),
            launch_lat_rad=lat0, launch_lon_rad=lon0, target_lat_rad=lat1, target_lon_rad=lon1,
            burnout_speed_mps=float(rng.uniform(5200, 6000)), burnout_alt_m=45_000.0,
            burnout_flight_path_rad=0.0, sturn_count=int(k % 4), sturn_bank_rad=0.4))
    return specs


def _one(n: int, dt: float) -> dict:
    import numpy as np

    from hdsim.earth import EarthModel
    from hdsim.threats import fly_threats

    specs = hgv_specs(n)
    t0 = time.perf_counter()
    trajs = fly_threats(specs, EarthModel(), dt_s=dt, max_time_s=3000.0)
    wall = time.perf_counter() - t0
    nodes = sum(len(t.times) for t in trajs)
    flight = float(np.mean([t.t_end - t.t_start for t in trajs]))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return {"n": n, "dt_s": dt, "wall_s": wall, "peak_rss_mib": peak_mib,
            "mean_flight_s": flight, "nodes": nodes,
            "vehicle_steps_per_s": n * flight / dt / wall}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[1, 100, 1000])
    ap.add_argument("--dt", type=float, default=0.5)
    ap.add_argument("--child", type=int, default=None)
    args = ap.parse_args()
    if args.child is not None:
        print(json.dumps(_one(args.child, args.dt)))
        return
    print(f"{'n':>6} {'dt s':>5} {'wall s':>8} {'peak MiB':>9} {'mean flight s':>14} "
          f"{'vehicle-steps/s':>16}")
    for n in args.sizes:
        out = subprocess.run([sys.executable, __file__, "--child", str(n), "--dt", str(args.dt)],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['n']:>6} {r['dt_s']:>5} {r['wall_s']:>8.2f} {r['peak_rss_mib']:>9.0f} "
              f"{r['mean_flight_s']:>14.0f} {r['vehicle_steps_per_s']:>16.0f}")


if __name__ == "__main__":
    main()
