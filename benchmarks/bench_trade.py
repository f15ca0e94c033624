"""Trade-study benchmark: candidate evaluations per hour in this process and on 1 and 2 Dask
workers, side by side.

Scenario and trade: the end-to-end test's (``tests/campaign/test_trade.py``: a 240 s
ballistic missile, one X-band radar chosen from two candidate sites, one railgun whose
magazine is traded; objectives P(no leaker) and cost, custody constrained), with ``--runs``
draws per candidate and ``--budget`` candidates. Each timing is a fresh trade folder (cluster
start included); the fly-out table cache is warmed first, so every timing has the same cache
state. Candidates run one after another, each with its draws on the workers, so the scaling
with workers needs ``--runs`` at least the number of workers.

Usage: ``python benchmarks/bench_trade.py [--runs 4] [--budget 6]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import hdsim
from hdsim.campaign.trade import run_trade

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "campaign"))
from test_trade import SCENARIO, TRADE, _write  # noqa: E402  (the tests' trade, one definition)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=4)
    ap.add_argument("--budget", type=int, default=6)
    args = ap.parse_args()
    load = os.getloadavg()
    print(f"{os.cpu_count()} CPUs, load {load[0]:.2f}; {args.budget} candidates x "
          f"{args.runs} runs")
    hdsim.run(SCENARIO)  # warm the fly-out table cache and the compiled kernels
    rows, tables = [], []
    with tempfile.TemporaryDirectory() as tmp:
        path = _write(Path(tmp) / "in", dict(TRADE, runs=args.runs, budget=args.budget))
        for label, workers in (("in process", 0), ("1 Dask worker", 1),
                               ("2 Dask workers", 2)):
            t0 = time.perf_counter()
            res = run_trade(path, Path(tmp) / f"w{workers}", workers=workers, plots=True)
            wall = time.perf_counter() - t0
            n = res.info["evaluated_now"]
            rows.append((label, wall, n, n * args.runs))
            tables.append((Path(tmp) / f"w{workers}" / "trade.parquet").read_bytes())
    print(f"{'':16s} {'wall s':>8s} {'candidates':>10s} {'draws':>6s} {'eval/h':>8s} "
          f"{'draws/h':>8s}")
    for label, wall, n, draws in rows:
        print(f"{label:16s} {wall:8.1f} {n:10d} {draws:6d} {3600 * n / wall:8.0f} "
              f"{3600 * draws / wall:8.0f}")
    print(f"2 workers vs 1: {rows[1][1] / rows[2][1]:.2f}x; vs in process: "
          f"{rows[0][1] / rows[2][1]:.2f}x; trade.parquet identical in all three: "
          f"{len(set(tables)) == 1}")


if __name__ == "__main__":
    main()
