"""The swap of a result folder under faults: out is always the whole old or the whole new run.

Oracle: the contract of ``hdsim.results.folder`` (module docstring). After a failure injected
at each step of a write (files written, manifest, the exchange, the renames of the fallback,
the parent's fsync, the removal of the previous run), and after a real ``SIGKILL`` of a child
process in the middle of writing big runs, the run folder is one of the two runs in full: its
``_SUCCESS`` manifest matches its files and every table holds that run's own value. The next
start (``check_out_dir``, ``write_run``) leaves no ``.tmp-`` / ``.old-`` folder behind (and
puts a finished previous run back where the folder is missing). Both swaps are tested: the
atomic ``renameat2(RENAME_EXCHANGE)`` of Linux, and the fallback of two renames, forced by
making ``renameat2`` unavailable or answer ``ENOSYS``/``EINVAL``.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hdsim.results import (
    SUCCESS_MARKER,
    check_out_dir,
    clean_leftovers,
    is_finished_run,
    read_manifest,
    read_run,
    read_summary,
    write_run,
)
from hdsim.results import folder as rf

HAS_EXCHANGE = rf._RENAMEAT2 is not None
MODES = ["exchange", "fallback"] if HAS_EXCHANGE else ["fallback"]


class Fault(Exception):
    """The injected failure."""


def tables(v: int, n: int = 50) -> dict[str, pa.Table]:
    """A run whose every value is ``v`` (so a mix of two runs is seen at once)."""
    return {"truth": pa.table({"v": np.full(n, v, dtype=np.int64)}),
            "tracks": pa.table({"v": [v] * (v % 3 + 1)})}


def write(out: Path, v: int) -> Path:
    return write_run(out, tables(v), {"v": v}, extra_files={"plots/v.txt": str(v).encode()})


def version_of(out: Path) -> int:
    """The run in ``out``, checked whole: manifest matching, every file of the same run."""
    manifest = read_manifest(out)
    v = read_summary(out)["v"]
    got = read_run(out)
    assert set(got) == {"truth", "tracks"}
    for table in got.values():
        assert set(table["v"].to_pylist()) == {v}
    assert got["tracks"].num_rows == v % 3 + 1
    assert (out / "plots" / "v.txt").read_text() == str(v)
    assert manifest["tables"] == {"truth": 50, "tracks": v % 3 + 1}
    return v


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


@pytest.fixture(params=MODES)
def mode(request, monkeypatch):
    """Each test once with the exchange (where the OS has it) and once with the fallback."""
    if request.param == "fallback":
        monkeypatch.setattr(rf, "_RENAMEAT2", None)
    return request.param


# ---------------------------------------------------------------------------------------------
# Which swap runs
# ---------------------------------------------------------------------------------------------


@pytest.mark.skipif(not HAS_EXCHANGE, reason="no renameat2 on this system")
def test_linux_swaps_with_one_exchange_and_no_old_folder(tmp_path, monkeypatch):
    out = tmp_path / "run"
    write(out, 1)
    calls, renames = [], []
    real_exchange, real_rename = rf._exchange, os.rename
    monkeypatch.setattr(rf, "_exchange", lambda a, b: calls.append((a, b)) or real_exchange(a, b))
    monkeypatch.setattr(os, "rename", lambda a, b: renames.append((a, b)) or real_rename(a, b))
    write(out, 2)
    assert len(calls) == 1 and calls[0][1] == out
    assert renames == []  # no rename aside: out was never missing
    assert version_of(out) == 2 and leftovers(tmp_path) == []


@pytest.mark.parametrize("err", [errno.ENOSYS, errno.EINVAL])
def test_renameat2_refused_falls_back_to_renames(tmp_path, monkeypatch, err):
    """A kernel without the call (ENOSYS) or a file system without the flag (EINVAL)."""
    out = tmp_path / "run"
    write(out, 1)

    def refused(*args):
        ctypes.set_errno(err)
        return -1

    monkeypatch.setattr(rf, "_RENAMEAT2", refused)
    renames = []
    real_rename = os.rename
    monkeypatch.setattr(os, "rename", lambda a, b: renames.append((a, b)) or real_rename(a, b))
    write(out, 2)
    assert [Path(b).name.startswith(".run.old-") for _, b in renames] == [True, False]
    assert version_of(out) == 2 and leftovers(tmp_path) == []


def test_renameat2_other_error_is_raised_and_nothing_changes(tmp_path, monkeypatch):
    out = tmp_path / "run"
    write(out, 1)

    def denied(*args):
        ctypes.set_errno(errno.EACCES)
        return -1

    monkeypatch.setattr(rf, "_RENAMEAT2", denied)
    with pytest.raises(PermissionError):
        write(out, 2)
    assert version_of(out) == 1 and leftovers(tmp_path) == []


def test_first_write_is_one_rename(tmp_path, mode):
    out = tmp_path / "deeper" / "run"
    write(out, 4)
    assert version_of(out) == 4 and leftovers(out.parent) == []


# ---------------------------------------------------------------------------------------------
# A failure at each step
# ---------------------------------------------------------------------------------------------


def _fail_nth(real, n):
    calls = []

    def wrapper(*args, **kwargs):
        calls.append(args)
        if len(calls) == n:
            raise Fault(f"injected at call {n}")
        return real(*args, **kwargs)
    return wrapper


def inject(step: str, monkeypatch, out: Path) -> None:
    """Make ``step`` of the next write raise :class:`Fault`."""
    if step == "second table written":
        monkeypatch.setattr(pq, "write_table", _fail_nth(pq.write_table, 2))
    elif step == "manifest":
        monkeypatch.setattr(rf, "write_manifest", _fail_nth(rf.write_manifest, 1))
    elif step == "temp folder written, before the swap":
        monkeypatch.setattr(rf, "_swap_in", _fail_nth(rf._swap_in, 1))
    elif step == "exchange":
        monkeypatch.setattr(rf, "_exchange", _fail_nth(rf._exchange, 1))
    elif step == "just after the exchange":
        real = rf._exchange

        def exchanged_then_fault(a, b):
            assert real(a, b)
            raise Fault("after the exchange")
        monkeypatch.setattr(rf, "_exchange", exchanged_then_fault)
    elif step == "rename aside":
        monkeypatch.setattr(os, "rename", _fail_nth(os.rename, 1))
    elif step == "rename in":
        monkeypatch.setattr(os, "rename", _fail_nth(os.rename, 2))
    elif step == "parent fsync after the swap":
        real_fsync_dir = rf._fsync_dir

        def fsync_dir(path):
            if Path(path) == out.parent:
                raise Fault("parent fsync")
            return real_fsync_dir(path)
        monkeypatch.setattr(rf, "_fsync_dir", fsync_dir)
    elif step == "before the old run is removed":
        monkeypatch.setattr(rf, "_remove_tree", _fail_nth(rf._remove_tree, 1))
    else:
        raise AssertionError(step)


BEFORE_SWAP = ["second table written", "manifest", "temp folder written, before the swap"]
STEPS = {
    "exchange": [*BEFORE_SWAP, "exchange", "just after the exchange",
                 "parent fsync after the swap", "before the old run is removed"],
    "fallback": [*BEFORE_SWAP, "rename aside", "rename in", "parent fsync after the swap",
                 "before the old run is removed"],
}
CASES = [(m, s) for m in MODES for s in STEPS[m]]


@pytest.mark.parametrize(("swap", "step"), CASES, ids=[f"{m}: {s}" for m, s in CASES])
def test_a_failure_at_each_step_leaves_a_whole_run(tmp_path, monkeypatch, swap, step):
    if swap == "fallback":
        monkeypatch.setattr(rf, "_RENAMEAT2", None)
    out = tmp_path / "run"
    write(out, 1)
    with monkeypatch.context() as m:
        inject(step, m, out)
        with pytest.raises(Fault):
            write(out, 2)
    v = version_of(out)
    if step in BEFORE_SWAP or step in ("exchange", "rename aside", "rename in"):
        assert v == 1, "the swap had not happened: the previous run must be there"
    else:
        assert v == 2, "the swap had happened: the new run must be there"
    check_out_dir(out)  # the next start cleans up
    assert leftovers(tmp_path) == []
    assert version_of(out) == v
    write(out, 3)
    assert version_of(out) == 3 and leftovers(tmp_path) == []


def test_killed_between_the_two_renames_puts_the_old_run_back(tmp_path, monkeypatch):
    """The fallback's one moment without ``out``: rename in fails and so does putting the old
    run back (as if the process died there). The next start restores it."""
    monkeypatch.setattr(rf, "_RENAMEAT2", None)
    out = tmp_path / "run"
    write(out, 1)
    with monkeypatch.context() as m:
        real = os.rename
        calls = []

        def rename(a, b):
            calls.append(b)
            if len(calls) >= 2:
                raise Fault("killed")
            return real(a, b)
        m.setattr(os, "rename", rename)
        with pytest.raises(Fault):
            write(out, 2)
    assert not out.exists()
    (old,) = [p for p in tmp_path.iterdir() if p.name.startswith(".run.old-")]
    assert is_finished_run(old)
    assert clean_leftovers(out) == [f"restored {old.name}"]
    assert version_of(out) == 1 and leftovers(tmp_path) == []
    write(out, 2)
    assert version_of(out) == 2


# ---------------------------------------------------------------------------------------------
# Leftovers
# ---------------------------------------------------------------------------------------------


def _fake_leftover(parent: Path, name: str, v: int | None) -> Path:
    """A leftover folder: a finished run of version ``v``, or half-written (``None``)."""
    path = parent / name
    if v is None:
        path.mkdir()
        (path / "truth.parquet").write_bytes(b"PAR1 half")
    else:
        write(path, v)
    return path


def test_next_start_removes_leftovers_and_touches_nothing_else(tmp_path):
    out = tmp_path / "run"
    write(out, 1)
    _fake_leftover(tmp_path, ".run.tmp-abcd1234", None)
    _fake_leftover(tmp_path, ".run.old-x_y9z000", 0)
    others = [".run.tmp-short", ".runs.tmp-abcd1234", ".other.old-abcd1234", "run.tmp-abcd1234",
              ".run.tmp-abcd1234.keep"]
    for name in others:
        (tmp_path / name).mkdir()
    check_out_dir(out)
    assert leftovers(tmp_path) == sorted(n for n in others if n.startswith("."))
    assert (tmp_path / "run.tmp-abcd1234").is_dir() and version_of(out) == 1


def test_missing_out_gets_the_newest_finished_old_run_back(tmp_path):
    out = tmp_path / "run"
    _fake_leftover(tmp_path, ".run.old-aaaaaaaa", 5)
    time.sleep(0.01)
    _fake_leftover(tmp_path, ".run.old-bbbbbbbb", 6)
    broken = _fake_leftover(tmp_path, ".run.old-cccccccc", 7)
    (broken / "truth.parquet").write_bytes(b"cut")  # size no longer matches the manifest
    _fake_leftover(tmp_path, ".run.tmp-dddddddd", None)
    assert check_out_dir(out) == out
    assert version_of(out) == 6 and leftovers(tmp_path) == []


def test_a_write_in_progress_is_left_alone(tmp_path):
    """A temporary folder locked by a live writer (another open file) is not removed."""
    fcntl = pytest.importorskip("fcntl")
    out = tmp_path / "run"
    live = _fake_leftover(tmp_path, ".run.tmp-live0000", None)
    fd = os.open(live, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        check_out_dir(out)
        assert live.is_dir()
    finally:
        os.close(fd)
    check_out_dir(out)
    assert not live.exists()


def test_campaign_resume_cleans_up_and_reruns_damaged_draws(tmp_path):
    from hdsim.campaign import runner

    runs = tmp_path / "runs"
    write(runs / "g0000-r000000", 1)
    write(runs / "g0000-r000001", 2)
    _fake_leftover(runs, ".g0000-r000002.old-abcdefgh", 3)  # killed mid-swap: restored
    _fake_leftover(runs, ".g0000-r000001.tmp-abcdefgh", None)
    (runs / "g0000-r000000" / "truth.parquet").write_bytes(b"damaged")
    runner._clean_stale_temporaries(runs)
    assert leftovers(runs) == []
    assert runner._finished(runs) == {"g0000-r000001", "g0000-r000002"}
    write(runs / "g0000-r000000", 4)  # a damaged draw folder is replaced by its rerun
    assert version_of(runs / "g0000-r000000") == 4


# ---------------------------------------------------------------------------------------------
# The manifest
# ---------------------------------------------------------------------------------------------


def test_manifest_lists_every_file_with_its_size_and_the_version(tmp_path):
    import hdsim

    out = write(tmp_path / "run", 1)
    manifest = json.loads((out / SUCCESS_MARKER).read_text())
    assert manifest["format"] == rf.MANIFEST_FORMAT
    assert manifest["hdsim_version"] == hdsim.__version__
    assert manifest["files"] == ["truth.parquet", "tracks.parquet", "summary.json",
                                 "plots/v.txt"]
    assert manifest["bytes"] == {f: (out / f).stat().st_size for f in manifest["files"]}


@pytest.mark.parametrize(("damage", "fragment"), [
    (lambda out: (out / "tracks.parquet").unlink(),
     "'tracks.parquet', listed in its _SUCCESS manifest, is missing"),
    (lambda out: (out / "truth.parquet").write_bytes((out / "truth.parquet").read_bytes()[:-9]),
     "'truth.parquet' is "),
    (lambda out: (out / "summary.json").write_text('{"v": 10}\n'),
     "'summary.json' is 10 bytes, its _SUCCESS manifest says 13"),
    (lambda out: (out / "plots" / "v.txt").unlink(), "'plots/v.txt', listed in"),
    (lambda out: (out / SUCCESS_MARKER).write_text("{not json"),
     "its _SUCCESS manifest cannot be read (not JSON)"),
    (lambda out: (out / SUCCESS_MARKER).write_bytes(b"\xff\xfe"),
     "its _SUCCESS manifest cannot be read (not JSON)"),
    (lambda out: (out / SUCCESS_MARKER).write_text('{"files": "x"}'),
     "is not an hdsim manifest (no list of files)"),
    (lambda out: (out / SUCCESS_MARKER).write_text('{"files": ["../escape"]}'),
     "lists '../escape', a path outside the folder"),
    (lambda out: (out / SUCCESS_MARKER).write_text('{"files": ["summary.json"], "bytes": {}}'),
     "gives no size for 'summary.json'"),
], ids=["missing table", "cut table", "changed summary", "missing extra file", "not JSON",
        "not UTF-8", "no file list", "path outside", "no size"])
def test_readers_refuse_a_folder_whose_manifest_does_not_match(tmp_path, damage, fragment):
    out = write(tmp_path / "run", 1)
    damage(out)
    for reader in (read_run, read_summary, read_manifest):
        with pytest.raises(ValueError, match="not a (finished|complete) hdsim run") as info:
            reader(out)
        assert fragment in str(info.value)
        assert str(out) in str(info.value)
    assert not is_finished_run(out)


def test_a_format_1_manifest_is_still_read(tmp_path):
    """Folders written before the sizes were recorded: their listed files must exist."""
    out = write(tmp_path / "run", 1)
    manifest = json.loads((out / SUCCESS_MARKER).read_text())
    del manifest["bytes"], manifest["format"], manifest["hdsim_version"]
    (out / SUCCESS_MARKER).write_text(json.dumps(manifest))
    assert version_of(out) == 1
    (out / "tracks.parquet").unlink()
    with pytest.raises(ValueError, match="'tracks.parquet', listed in"):
        read_run(out)


def test_a_damaged_run_of_hdsim_files_may_be_replaced(tmp_path):
    out = write(tmp_path / "run", 1)
    (out / "truth.parquet").write_bytes(b"cut")
    write(out, 2)
    assert version_of(out) == 2


# ---------------------------------------------------------------------------------------------
# A real SIGKILL in the middle of writing
# ---------------------------------------------------------------------------------------------

CHILD = textwrap.dedent("""
    import itertools, sys
    import numpy as np, pyarrow as pa
    from hdsim.results import folder, write_run
    out, mode, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "fallback":
        folder._RENAMEAT2 = None
    rng = np.random.default_rng(0)
    noise = rng.random(n)  # not compressible: each write is megabytes
    for v in itertools.count(1):
        tables = {"truth": pa.table({"v": np.full(n, v, dtype=np.int64), "x": noise}),
                  "tracks": pa.table({"v": [v] * (v % 3 + 1)})}
        write_run(out, tables, {"v": v}, extra_files={"plots/v.txt": str(v).encode()})
        if v == 1:
            print("one written", flush=True)  # the kill then lands in the steady loop
""")
BIG_ROWS = 400_000


def whole_big_run(out: Path) -> int:
    read_manifest(out)
    v = read_summary(out)["v"]
    got = read_run(out)
    assert got["truth"].num_rows in (BIG_ROWS, 50)
    for table in got.values():
        assert set(table["v"].to_pylist()) == {v}
    assert (out / "plots" / "v.txt").read_text() == str(v)
    return v


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("swap", MODES)
def test_sigkill_mid_write_leaves_a_whole_run(tmp_path, swap):
    out = tmp_path / "run"
    write(out, 0)
    rng = random.Random(20270301)
    seen, mid_write = [], 0
    for _ in range(4):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(out), swap, str(BIG_ROWS)],
                                 stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout.readline().strip() == "one written"
            time.sleep(rng.uniform(0.0, 0.5))
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
            child.stdout.close()
        mid_write += bool(leftovers(tmp_path))
        if not out.exists():  # the fallback's moment between its renames
            assert swap == "fallback"
            assert any(is_finished_run(p) for p in tmp_path.iterdir() if ".old-" in p.name)
        check_out_dir(out)  # what the next start does
        assert leftovers(tmp_path) == []
        seen.append(whole_big_run(out))
    assert mid_write >= 1, "no kill landed in the middle of a write"
    write(out, 99)
    assert version_of(out) == 99 and leftovers(tmp_path) == []
