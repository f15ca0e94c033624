"""Compare two result folders table by table: the check that a refactor changed no result.

    python benchmarks/compare_results.py BEFORE_DIR AFTER_DIR [BEFORE_DIR2 AFTER_DIR2 ...]

Every Parquet table must hold the same columns, types and values (NaN equal to NaN), in the
same row order; ``summary.json`` must be equal except for ``timings_s`` (wall times). Prints one
line per folder and exits 1 on the first difference it cannot explain.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


def _same_column(a: pa.ChunkedArray, b: pa.ChunkedArray) -> bool:
    """Equal values, nulls in the same places, NaN equal to NaN."""
    if a.equals(b):
        return True
    if not pa.types.is_floating(a.type) or len(a) != len(b):
        return False
    a, b = a.combine_chunks(), b.combine_chunks()
    nan_a, nan_b = pc.is_nan(a).fill_null(False), pc.is_nan(b).fill_null(False)
    if not nan_a.equals(nan_b):
        return False
    keep = pc.invert(nan_a)
    return a.filter(keep).equals(b.filter(keep))


def _strip(summary: dict) -> dict:
    return {k: v for k, v in summary.items() if k != "timings_s"}


def compare(before: Path, after: Path) -> list[str]:
    """Differences between two result folders (empty: identical results)."""
    problems = []
    names_b = sorted(p.name for p in before.glob("*.parquet"))
    names_a = sorted(p.name for p in after.glob("*.parquet"))
    if names_b != names_a:
        problems.append(f"tables differ: {names_b} vs {names_a}")
    for name in sorted(set(names_b) & set(names_a)):
        tb = pq.read_table(before / name)
        ta = pq.read_table(after / name)
        if tb.schema != ta.schema:
            problems.append(f"{name}: schema {tb.schema} vs {ta.schema}")
        else:
            for col in tb.column_names:
                if not _same_column(tb[col], ta[col]):
                    problems.append(f"{name}: column {col} differs")
    sb = json.loads((before / "summary.json").read_text())
    sa = json.loads((after / "summary.json").read_text())
    if _strip(sb) != _strip(sa):
        keys = sorted(k for k in set(sb) | set(sa) if k != "timings_s" and sb.get(k) != sa.get(k))
        problems.append(f"summary.json differs in {keys}")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) < 2 or len(argv) % 2:
        print(__doc__)
        return 2
    status = 0
    for before, after in zip(argv[::2], argv[1::2], strict=True):
        problems = compare(Path(before), Path(after))
        print(f"{after}: {'identical' if not problems else 'DIFFERENT'}")
        for p in problems:
            print(f"  {p}")
        status |= bool(problems)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
