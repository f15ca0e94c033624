"""The fly-out tables' disk cache: a later process reads what an earlier one computed.

Oracle: the table computed directly by :func:`build_flyout_table` (the cached one must hold the
same arrays), and the file system (what is written, where, and that nothing partial is left).
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from hdsim.earth import EarthModel
from hdsim.engagement import RailgunParams
from hdsim.engagement.flyout_table import TableSpec, build_flyout_table, flyout_table

SPEC = TableSpec(max_range_m=20e3, max_alt_m=10e3, n_range=11, n_alt=11, max_tof_s=20.0,
                 n_elevation=31)
PARAMS = RailgunParams(muzzle_speed_mps=2100.0)
# the module (the package re-exports its function under the same name)
flyout_table_module = importlib.import_module("hdsim.engagement.flyout_table")


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("HDSIM_CACHE_DIR", str(tmp_path / "cache"))
    flyout_table_module._cached.cache_clear()
    yield tmp_path / "cache" / "flyout_tables"
    flyout_table_module._cached.cache_clear()


def _same(a, b):
    for k in ("range_m", "alt_m", "tof_s", "speed_mps", "elevation_rad"):
        np.testing.assert_array_equal(getattr(a, k), getattr(b, k))
    assert a.kind == b.kind and a.max_tof_s == b.max_tof_s


def _no_build(*args, **kwargs):
    raise AssertionError("the table should come from the disk cache")


def test_a_second_process_reads_the_table_from_disk(cache, monkeypatch):
    earth = EarthModel()
    direct = build_flyout_table(PARAMS, earth, 0.0, 0.0, spec=SPEC)
    first = flyout_table(PARAMS, earth, 0.0, 0.0, spec=SPEC)
    _same(first, direct)
    files = list(cache.iterdir())
    assert len(files) == 1 and files[0].suffix == ".npz"
    flyout_table_module._cached.cache_clear()          # as if a new process started
    monkeypatch.setattr(flyout_table_module, "build_flyout_table", _no_build)
    _same(flyout_table(PARAMS, earth, 0.0, 0.0, spec=SPEC), direct)
    # a different muzzle speed or Earth is another key
    with pytest.raises(AssertionError, match="disk cache"):
        flyout_table(RailgunParams(muzzle_speed_mps=2200.0), earth, 0.0, 0.0, spec=SPEC)
    with pytest.raises(AssertionError, match="disk cache"):
        flyout_table(PARAMS, EarthModel(rotation=False), 0.0, 0.0, spec=SPEC)


def test_a_damaged_file_is_rebuilt_and_nothing_partial_is_left(cache):
    earth = EarthModel()
    flyout_table(PARAMS, earth, 0.0, 0.0, spec=SPEC)
    (path,) = cache.iterdir()
    path.write_bytes(b"not a zip")
    flyout_table_module._cached.cache_clear()
    _same(flyout_table(PARAMS, earth, 0.0, 0.0, spec=SPEC),
          build_flyout_table(PARAMS, earth, 0.0, 0.0, spec=SPEC))
    assert [p.name for p in cache.iterdir()] == [path.name]   # rewritten, no temporary left
    assert path.read_bytes()[:2] == b"PK"


def test_cache_off_or_unwritable_still_gives_the_table(tmp_path, monkeypatch):
    earth = EarthModel()
    direct = build_flyout_table(PARAMS, earth, 0.0, 0.0, spec=SPEC)
    for value in ("off", str(tmp_path / "a-file")):
        (tmp_path / "a-file").write_text("x")   # a file where the folder should be
        monkeypatch.setenv("HDSIM_CACHE_DIR", value)
        flyout_table_module._cached.cache_clear()
        _same(flyout_table(PARAMS, earth, 0.0, 0.0, spec=SPEC), direct)
    assert (tmp_path / "a-file").read_text() == "x"
    flyout_table_module._cached.cache_clear()
