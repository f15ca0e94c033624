"""Campaign benchmark: draws per second on 1 and 2 Dask workers, and the campaign's overhead
per draw against bare ``hdsim.run`` calls of the same draws.

Scenario: one short-range ballistic missile (≈260 km, 4.5 min of flight), one X-band radar, an
EKF tracker, one railgun defending the target (``SCENARIO`` below, the campaign tests' own).
``--runs`` draws, the launch time varied uniformly on [0, 20) s. Four timings:

* bare: ``hdsim.run`` of each planned draw (its seed and values) in a loop, in this process;
* campaign, in process (``workers=0``): the same draws through the campaign machinery (plan,
  validation of every draw, atomic run folders, catalog, summary), so
  overhead = (campaign − bare) / draws;
* campaign on a ``LocalCluster`` of 1 and of 2 worker processes (cluster start included).

The fly-out table cache is warmed first, so every timing has the same cache state.
Usage: ``python benchmarks/bench_campaign.py [--runs 16]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import hdsim
from hdsim.campaign.plan import plan_draws
from hdsim.campaign.runner import load_campaign, run_campaign

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "campaign"))
from test_campaign_run import SCENARIO  # noqa: E402  (the tests' scenario, one definition)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=16)
    args = ap.parse_args()
    sc = dict(SCENARIO, campaign={"runs": args.runs, "vary": {
        "threats.bm-1.launch_time_s": {"uniform": {"low": 0, "high": 20}}}})
    inp = load_campaign(sc)
    draws = plan_draws(inp.section, inp.scenario_seed)
    base = {k: v for k, v in sc.items() if k != "campaign"}
    load = os.getloadavg()
    print(f"{os.cpu_count()} CPUs, load {load[0]:.2f}; {len(draws)} draws")
    hdsim.run(base)  # warm the fly-out table cache and the compiled kernels
    t0 = time.perf_counter()
    for d in draws:
        hdsim.run(base, overrides=d.overrides())
    bare = time.perf_counter() - t0
    rows = [("bare hdsim.run loop", bare)]
    with tempfile.TemporaryDirectory() as tmp:
        for label, workers in (("campaign, in process", 0), ("campaign, 1 Dask worker", 1),
                               ("campaign, 2 Dask workers", 2)):
            t0 = time.perf_counter()
            run_campaign(inp, Path(tmp) / f"w{workers}", workers=workers)
            rows.append((label, time.perf_counter() - t0))
    print(f"{'':28s} {'wall s':>8s} {'draws/s':>8s}")
    for label, t in rows:
        print(f"{label:28s} {t:8.2f} {len(draws) / t:8.2f}")
    over = (rows[1][1] - bare) / len(draws)
    share = 100 * over / (bare / len(draws))
    print(f"campaign overhead per draw: {1e3 * over:.0f} ms ({share:.1f} % of a draw); "
          f"2 workers vs 1: {rows[2][1] / rows[3][1]:.2f}x")


if __name__ == "__main__":
    main()
