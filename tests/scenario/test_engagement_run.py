"""End-to-end engagement outcomes that physics makes certain, and reproducibility.

* A defense without sensors has no tracks, so it never fires (fire control reads tracks only).
* A weapon thousands of kilometres from every threat's path never fires.
* A cruise missile flying at a radar-covered interceptor battery is engaged and killed.
* The same seed gives identical result tables, bit for bit.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from hdsim.results import read_summary
from hdsim.scenario import scenario_from_dict
from hdsim.scenario.run import run_scenario

BASE = {
    "name": "cruise-vs-sam",
    "epoch": "2027-03-01T00:00:00Z",
    "duration_s": 900,
    "seed": 5,
    "threats": [{
        "id": "hcm-1", "type": "cruise",
        "launch": {"lat_deg": 35.0, "lon_deg": 134.5},
        "target": {"lat_deg": 35.68, "lon_deg": 139.77},
        "cruise": {"mach": 5, "altitude_m": 26000},
    }],
    "sensors": {"radars": [{"id": "xband", "preset": "xband_long_range",
                            "site": {"lat_deg": 35.4, "lon_deg": 139.4, "alt_m": 50}}]},
    "weapons": [{"id": "sam-1", "type": "interceptor",
                 "site": {"lat_deg": 35.70, "lon_deg": 139.90, "alt_m": 10}}],
    "fire_control": {"doctrine": "shoot_look_shoot"},
    "defended_assets": [{"id": "capital", "lat_deg": 35.68, "lon_deg": 139.77,
                         "radius_m": 20000}],
}


def _run(data: dict, out: Path) -> dict:
    run_scenario(scenario_from_dict(data), out, quiet=True)
    return read_summary(out)


def test_defended_city_kills_a_cruise_missile(tmp_path: Path) -> None:
    s = _run(BASE, tmp_path / "a")
    row = s["threats"][0]
    assert row["outcome"] == "killed", row
    assert s["engagement"]["kills"] == 1 and s["engagement"]["shots"] >= 1
    shots = pq.read_table(tmp_path / "a" / "engagements.parquet").to_pylist()
    kill = [r for r in shots if r["outcome"] == "kill"]
    assert len(kill) == 1 and kill[0]["miss_m"] <= 5.0  # the interceptor's lethal radius
    truth = pq.read_table(tmp_path / "a" / "truth.parquet").to_pylist()
    assert truth[-1]["phase"] == "killed"
    assert abs(truth[-1]["t_s"] - row["kill_t_s"]) < 1e-6


def test_sensorless_defense_never_fires(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["sensors"] = {}
    s = _run(data, tmp_path / "b")
    assert s["engagement"]["shots"] == 0
    assert s["threats"][0]["outcome"] == "leaked" and s["threats"][0]["in_asset"]


def test_weapon_out_of_range_never_fires(tmp_path: Path) -> None:
    data = copy.deepcopy(BASE)
    data["weapons"][0]["site"] = {"lat_deg": -30.0, "lon_deg": 20.0}  # South Africa
    s = _run(data, tmp_path / "c")
    assert s["engagement"]["shots"] == 0
    assert s["weapons"][0]["shots"] == 0


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory) -> tuple[Path, Path]:
    a = tmp_path_factory.mktemp("seed-a")
    b = tmp_path_factory.mktemp("seed-b")
    _run(BASE, a / "run")
    _run(BASE, b / "run")
    return a / "run", b / "run"


@pytest.mark.parametrize("table", ["truth", "detections", "tracks", "engagements"])
def test_same_seed_same_results_bit_for_bit(two_runs, table: str) -> None:
    ta, tb = (pq.read_table(d / f"{table}.parquet") for d in two_runs)
    assert ta.column_names == tb.column_names and ta.num_rows == tb.num_rows > 0
    for name in ta.column_names:
        ca, cb = ta[name].to_numpy(zero_copy_only=False), tb[name].to_numpy(zero_copy_only=False)
        if ca.dtype.kind == "f":
            # Bit for bit: identical bytes (NaN padding included).
            assert ca.tobytes() == cb.tobytes(), name
        else:
            assert list(ca) == list(cb), name
