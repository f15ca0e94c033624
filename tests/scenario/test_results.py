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
    """The fallback swap (two renames, where renameat2's exchange is not available)."""
    from hdsim.results import folder

    out = tmp_path / "run"
    write_run(out, tables(), {"v": 1})
    monkeypatch.setattr(folder, "_RENAMEAT2", None)
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


def test_user_files_in_a_finished_run_are_never_deleted(tmp_path):
    """``hdsim run a --out r; echo notes > r/notes.txt; hdsim run b --out r`` must refuse, not
    delete the notes; hdsim's own additions (report.html) do not block a rerun."""
    import pyarrow as pa

    from hdsim.results import check_out_dir, write_run

    out = tmp_path / "r"
    write_run(out, {"t": pa.table({"a": [1]})}, {"k": 1})
    (out / "report.html").write_text("<html></html>")
    write_run(out, {"t": pa.table({"a": [2]})}, {"k": 2})       # replaced: only hdsim files
    (out / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match=r"holds files hdsim did not write \(notes.txt\)"):
        check_out_dir(out)
    with pytest.raises(ValueError, match="notes.txt"):
        write_run(out, {"t": pa.table({"a": [3]})}, {"k": 3})
    assert (out / "notes.txt").read_text() == "mine"


def test_out_dir_problems_are_found_before_any_work(tmp_path, monkeypatch):
    from hdsim.results import check_out_dir
    from hdsim.scenario import load_scenario
    from hdsim.scenario import run as run_loop

    (tmp_path / "afile").write_text("x")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        check_out_dir(tmp_path / "afile" / "sub" / "out")
    with pytest.raises(ValueError, match="exists and is not a folder"):
        check_out_dir(tmp_path / "afile")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        import os

        if os.geteuid() != 0:  # root writes anywhere: the permission check cannot be seen
            with pytest.raises(ValueError, match="permission denied"):
                check_out_dir(ro / "out")
    finally:
        ro.chmod(0o700)
    assert check_out_dir(tmp_path / "new" / "deeper") == (tmp_path / "new" / "deeper")

    def boom(*a, **k):
        raise AssertionError("the run started before the folder was checked")

    monkeypatch.setattr(run_loop, "build", boom)
    from pathlib import Path

    sc = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "cruise.yaml")
    with pytest.raises(ValueError, match="is a file, not a folder"):
        run_loop.run_scenario(sc, tmp_path / "afile" / "x")


def test_result_folders_follow_the_umask(tmp_path):
    import os
    import stat

    import pyarrow as pa

    from hdsim.results import write_run

    old = os.umask(0o027)
    try:
        out = write_run(tmp_path / "r", {"t": pa.table({"a": [1]})}, {"k": 1})
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o750
    assert stat.S_IMODE((out / "t.parquet").stat().st_mode) == 0o640


def test_a_non_finite_flight_fails_the_run_naming_the_threat(tmp_path, monkeypatch):
    """No NaN reaches a result file: a threat whose integration went non-finite stops the run
    with its id and time, and nothing is written."""
    from pathlib import Path

    import numpy as np

    from hdsim.scenario import load_scenario
    from hdsim.scenario import run as run_loop
    from hdsim.threats.trajectory import TrajectorySet

    real = run_loop.fly_specs

    def poisoned(specs, comp, progress=None):
        trajs = real(specs, comp, progress)
        tr = trajs[0]
        tr.states[5:] = np.nan
        return TrajectorySet(list(trajs))

    monkeypatch.setattr(run_loop, "fly_specs", poisoned)
    sc = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "cruise.yaml")
    with pytest.raises(ValueError, match=r"threats\['hcm-1'\]: the flight became non-finite at "
                                         r"t = \d+\.\d{3} s"):
        run_loop.run_scenario(sc, tmp_path / "out")
    assert not (tmp_path / "out").exists()
