"""Nightly fuzzing of the scenario schema: many more mutated examples than the test suite runs.

The strategy is the one of ``tests/scenario/test_fuzz_scenarios.py`` (imported from it, so the
two never drift apart): an example scenario of ``scenarios/*.yaml`` with 1 to 4 structural
mutations (a key or list item deleted, a value replaced by a random scalar, list or mapping,
huge numbers, NaN, booleans, null, dates, control characters; a list item duplicated, a value
nested deeper, a key misspelt, an unknown key added). Every case must validate or raise
``hdsim.scenario.ScenarioError`` with printable lines; anything else is a defect, and
hypothesis shrinks it to a minimal failing case, printed with its traceback (exit code 1).

Usage::

    python benchmarks/fuzz_scenarios.py                    # 20,000 cases on the data
    python benchmarks/fuzz_scenarios.py --examples 200000 --files 0.2 --seed 7

``--files F`` sends a fraction F of the cases through a YAML file and ``load_scenario`` (the
loader's YAML rules too; slower), the rest straight to ``scenario_from_dict``. ``--seed``
makes a run reproducible (default: a random seed, printed). Prints the number of cases, how
many were valid, and the rate. No hypothesis database is written, so runs are independent.
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[1]
_TEST = ROOT / "tests" / "scenario" / "test_fuzz_scenarios.py"


def _strategy_module():
    spec = importlib.util.spec_from_file_location("_fuzz_scenarios_strategy", _TEST)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--examples", type=int, default=20_000, help="cases to run")
    ap.add_argument("--files", type=float, default=0.1,
                    help="fraction of the cases loaded from a YAML file (default 0.1)")
    ap.add_argument("--mutations", type=int, default=4, help="most mutations per case")
    ap.add_argument("--seed", type=int, default=None, help="seed of the run (default random)")
    args = ap.parse_args(argv)
    fuzz = _strategy_module()
    run_seed = args.seed if args.seed is not None else random.randrange(2**32)
    outcomes: Counter[str] = Counter()
    folder = Path(tempfile.mkdtemp(prefix="hdsim-fuzz-"))

    @seed(run_seed)
    @settings(max_examples=args.examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=fuzz.mutated_scenarios(max_mutations=args.mutations),
           as_file=st.floats(0.0, 1.0))
    def run(case, as_file):
        name, data = case
        if as_file < args.files:
            got = fuzz.load_mutated_file(name, data, folder)
        else:
            got = fuzz.validate_mutated(name, data)
        outcomes["valid" if isinstance(got, fuzz.Scenario) else "ScenarioError"] += 1

    print(f"fuzzing {args.examples:,} mutated scenarios (seed {run_seed}) ...", flush=True)
    start = time.perf_counter()
    try:
        run()
    except Exception:  # hypothesis has printed the minimal failing case
        import traceback

        traceback.print_exc()
        print(f"FAILED after {sum(outcomes.values()):,} cases (seed {run_seed})")
        return 1
    wall = time.perf_counter() - start
    n = sum(outcomes.values())
    print(f"{n:,} cases in {wall:.1f} s ({n / wall:,.0f}/s): {outcomes['valid']:,} valid, "
          f"{outcomes['ScenarioError']:,} ScenarioError, no other exception")
    return 0


if __name__ == "__main__":
    sys.exit(main())
