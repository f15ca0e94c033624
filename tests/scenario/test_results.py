"""Atomic result folders: round trip, crash mid-write, refusal of unfinished folders, JSON.

Oracles: pyarrow's own reader (``pyarrow.parquet.read_table``) and the standard ``json`` module,
plus the file system state after simulated crashes.
"""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hdsim.results import SUCCESS_MARKER, read_run, read_summary, to_jsonable, write_run


def tables(offset: float = 0.0) -> dict[str, pa.Table]:
    t = np.arange(5.0) + offset
    return {
        "truth": pa.table({"threat_id": ["bm-1"] * 5, "t_s": t, "x_m": 2.0 * t}),
        "tracks": pa.table({"track_id": np.arange(3), "sigma_pos_m": [1.0, np.nan, 3.0]}),
    }


def assert_same(got: pa.Table, want: pa.Table) -> None:
    assert got.schema.equals(want.schema)
    for name in want.column_names:  # NaN equals NaN here
        np.testing.assert_array_equal(got[name].to_numpy(), want[name].to_numpy())


def leftovers(parent) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def test_round_trip(tmp_path):
    out = tmp_path / "run"
    written = write_run(out, tables(), {"threats": {"bm-1": {"range_m": 1.0e6}}},
                        extra_files={"report/index.html": b"<html></html>"})
    assert written == out.absolute()
    got = read_run(out)
    assert set(got) == {"truth", "tracks"}
    for name, table in tables().items():
        assert_same(got[name], table)
    assert (out / "report" / "index.html").read_bytes() == b"<html></html>"
    assert read_summary(out) == {"threats": {"bm-1": {"range_m": 1.0e6}}}
    manifest = json.loads((out / SUCCESS_MARKER).read_text())
    assert manifest["tables"] == {"truth": 5, "tracks": 3}
    assert leftovers(tmp_path) == []


def test_summary_json_numpy_and_nan():
    summary = {
        "n": np.int64(3), "x": np.float32(1.5), "nan": float("nan"), "inf": np.inf,
        "arr": np.array([1.0, np.nan]), "flag": np.bool_(True), 7: "seven", "t": (1, 2),
    }
    text = json.dumps(to_jsonable(summary), allow_nan=False)  # strict JSON: no NaN tokens
    assert json.loads(text) == {
        "n": 3, "x": 1.5, "nan": None, "inf": None, "arr": [1.0, None], "flag": True,
        "7": "seven", "t": [1, 2],
    }
    with pytest.raises(TypeError):
        to_jsonable({"obj": object()})


def test_replaces_previous_run(tmp_path):
    out = tmp_path / "run"
    write_run(out, tables(), {"v": 1})
    write_run(out, {"truth": tables(10.0)["truth"]}, {"v": 2})
    got = read_run(out)
    assert set(got) == {"truth"}  # the old tracks table is gone with the old folder
    assert got["truth"]["t_s"].to_pylist() == [10.0, 11.0, 12.0, 13.0, 14.0]
    assert read_summary(out) == {"v": 2}
    assert leftovers(tmp_path) == []


def test_crash_mid_write_keeps_previous_results(tmp_path, monkeypatch):
    out = tmp_path / "run"
    write_run(out, tables(), {"v": 1})
    real_write = pq.write_table
    calls = []

    def failing_write(table, where, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full (simulated)")
        return real_write(table, where, **kwargs)

    monkeypatch.setattr(pq, "write_table", failing_write)
    with pytest.raises(OSError, match="simulated"):
        write_run(out, tables(100.0), {"v": 2})
    assert len(calls) == 2
    assert leftovers(tmp_path) == []  # no temporary folder left behind
    got = read_run(out)
    for name, table in tables().items():
        assert_same(got[name], table)
    assert read_summary(out) == {"v": 1}


def test_crash_on_first_write_leaves_no_folder(tmp_path, monkeypatch):
    def failing_write(*args, **kwargs):
        raise OSError("simulated")

    monkeypatch.setattr(pq, "write_table", failing_write)
    with pytest.raises(OSError):
        write_run(tmp_path / "run", tables(), {})
    assert list(tmp_path.iterdir()) == []


def test_failed_swap_restores_previous_results(tmp_path, monkeypatch):
    out = tmp_path / "run"
    write_run(out, tables(), {"v": 1})
    real_rename = os.rename
    calls = []

    def rename(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:  # 1: old aside, 2: new into place
            raise OSError("simulated")
        return real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(OSError):
        write_run(out, tables(1.0), {"v": 2})
    monkeypatch.undo()
    assert read_summary(out) == {"v": 1}
    assert leftovers(tmp_path) == []


def test_read_refuses_unfinished_folder(tmp_path):
    out = tmp_path / "run"
    write_run(out, tables(), {})
    (out / SUCCESS_MARKER).unlink()
    with pytest.raises(ValueError, match="not a finished hdsim run"):
        read_run(out)
    with pytest.raises(ValueError, match="no such run folder"):
        read_run(tmp_path / "missing")


def test_refuses_to_replace_a_foreign_folder(tmp_path):
    (tmp_path / "notes.txt").write_text("precious")
    with pytest.raises(ValueError, match="refusing to replace it"):
        write_run(tmp_path, tables(), {})
    assert (tmp_path / "notes.txt").read_text() == "precious"
    empty = tmp_path / "empty"
    empty.mkdir()
    write_run(empty, tables(), {})  # an empty folder may be filled
    assert set(read_run(empty)) == {"truth", "tracks"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"tables": {"../evil": pa.table({"a": [1]})}},
        {"tables": {"t": [1, 2]}},
        {"extra_files": {"../x.txt": b""}},
        {"extra_files": {"summary.json": b""}},
    ],
)
def test_bad_names_rejected_before_writing(tmp_path, kwargs):
    args = {"tables": {}, "extra_files": None} | kwargs
    with pytest.raises(ValueError):
        write_run(tmp_path / "run", args["tables"], {}, extra_files=args["extra_files"])
    assert list(tmp_path.iterdir()) == []


def test_nan_in_parquet_survives(tmp_path):
    write_run(tmp_path / "run", tables(), {})
    sigma = read_run(tmp_path / "run")["tracks"]["sigma_pos_m"].to_pylist()
    assert sigma[0] == 1.0 and math.isnan(sigma[1])
