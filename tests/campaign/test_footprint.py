"""Defended footprints (`hdsim footprint`): the grid, the checks before any work, a footprint
that is symmetric when the geometry is, and a salvo Pk that matches the closed form.

Oracles: mirror symmetry of the geometry (a threat flying down a meridian at the equator of a
non-rotating Earth without J2, the weapon, radar and asset on that meridian: aim points mirrored
east-west see mirrored engagements); the salvo kill probability ``1 − (1 − p)^n`` of ``n``
independent rounds of single-shot kill probability ``p`` (every round flies well within a large
lethal radius), with its binomial (Wilson) interval over the runs.
"""

from __future__ import annotations

import copy

import numpy as np
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from hdsim.campaign.footprint import footprint_input, grid_offsets_km, run_footprint
from hdsim.campaign.summary import wilson_interval
from hdsim.cli import app
from hdsim.scenario.loading import ScenarioError

SCENARIO = {
    "name": "footprint-test", "epoch": "2027-03-01T00:00:00Z", "duration_s": 300, "seed": 5,
    "earth": {"rotation": False, "j2": False},
    "threats": [{"id": "bm-1", "type": "ballistic",
                 "launch": {"lat_deg": 2.0, "lon_deg": 140.0},
                 "target": {"lat_deg": 0.0, "lon_deg": 140.0},
                 "burnout": {"aim": "minimum_energy", "altitude_m": 25000, "burn_time_s": 25},
                 "vehicle": "rv_generic"}],
    "sensors": {"radars": [{"id": "xband-1", "preset": "xband_long_range",
                            "site": {"lat_deg": 0.5, "lon_deg": 140.0, "alt_m": 100}}]},
    "tracking": {"filter": "ekf"},
    "weapons": [{"id": "sam-1", "type": "interceptor",
                 "site": {"lat_deg": 0.0, "lon_deg": 140.0, "alt_m": 0},
                 "magazine": 2, "salvo_size": 2, "lethal_radius_m": 5000,
                 "max_range_m": 40000},
                {"id": "gun-1", "type": "railgun",
                 "site": {"lat_deg": 0.0, "lon_deg": 140.1, "alt_m": 0}}],
    "fire_control": {"doctrine": "salvo", "min_pk": 0.0, "target_maneuver_mps2": 0.0},
    "defended_assets": [{"id": "capital", "lat_deg": 0.0, "lon_deg": 140.0,
                         "radius_m": 10000}],
}


def test_grid_is_symmetric_and_bounded():
    assert grid_offsets_km(40, 20).tolist() == [-40, -20, 0, 20, 40]
    assert grid_offsets_km(10, 20).tolist() == [0]
    inp, info = footprint_input(SCENARIO, weapon_id="sam-1", threat_id="bm-1", radius_km=40,
                                step_km=20, runs=3)
    assert [w["id"] for w in inp.data["weapons"]] == ["sam-1"]      # the other weapon is out
    assert inp.section.runs == 3
    lats = inp.section.vary[info["lat_path"]].list
    lons = inp.section.vary[info["lon_path"]].list
    assert len(lats) == len(lons) == 5
    assert lons[2] == 140.0 and lats[2] == 0.0
    assert np.allclose(np.array(lons) - 140.0, -(np.array(lons[::-1]) - 140.0))


@pytest.mark.parametrize(("kw", "needle"), [
    ({"weapon_id": "nope"}, "--weapon 'nope': not among the scenario's weapons (sam-1, gun-1)"),
    ({"threat_id": "x"}, "--threat 'x': not among the scenario's threats (bm-1)"),
    ({"radius_km": -1.0}, "--radius-km = -1.0: must be > 0"),
    ({"step_km": 0.0}, "--step-km = 0.0: must be > 0"),
    ({"radius_km": 1000.0, "step_km": 1.0}, "aim points: at most 2601"),
])
def test_bad_arguments_are_refused_before_any_work(kw, needle, tmp_path):
    args = {"weapon_id": "sam-1", "threat_id": "bm-1"} | kw
    with pytest.raises(ScenarioError) as err:
        run_footprint(SCENARIO, tmp_path / "fp", **args)
    assert needle in str(err.value)
    assert not (tmp_path / "fp").exists()


def test_cli_names_the_unknown_weapon(tmp_path):
    import yaml

    (tmp_path / "s.yaml").write_text(yaml.safe_dump(SCENARIO))
    res = CliRunner().invoke(app, ["footprint", str(tmp_path / "s.yaml"), "--weapon", "w9",
                                   "--threat", "bm-1", "--out", str(tmp_path / "fp")])
    assert res.exit_code == 2
    assert "--weapon 'w9'" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "fp").exists()


@pytest.mark.slow
def test_symmetric_geometry_gives_a_symmetric_footprint(tmp_path):
    table, info = run_footprint(SCENARIO, tmp_path / "fp", weapon_id="sam-1", threat_id="bm-1",
                                radius_km=40, step_km=40, runs=1, workers=2)
    rows = {(round(r["east_km"]), round(r["north_km"])): r for r in table.to_pylist()}
    assert len(rows) == 9
    for (e, n), r in rows.items():
        m = rows[(-e, n)]
        assert r["pk"] == m["pk"], ((e, n), r, m)
        assert r["rounds_mean"] == m["rounds_mean"]
    pks = {r["pk"] for r in rows.values()}
    assert pks == {0.0, 1.0}, "the grid should show both kills and leaks (the weapon's range)"
    assert rows[(0, 0)]["pk"] == 1.0
    for name in ("footprint.parquet", "envelope.parquet", "footprint.png", "envelope.png",
                 "catalog.duckdb", "footprint.json"):
        assert (tmp_path / "fp" / name).is_file(), name
    env = pq.read_table(tmp_path / "fp" / "envelope.parquet")
    assert env.num_rows == sum(r["rounds_mean"] for r in rows.values())
    assert np.all(np.asarray(env["ground_range_m"]) <= 40_000 * 1.001)   # max_range_m


@pytest.mark.slow
def test_salvo_pk_matches_the_closed_form(tmp_path):
    p, n, runs = 0.5, 2, 30
    scen = copy.deepcopy(SCENARIO)
    scen["weapons"][0].update({"pk_max": p, "max_range_m": 200_000})
    table, _ = run_footprint(scen, tmp_path / "fp", weapon_id="sam-1", threat_id="bm-1",
                             radius_km=10, step_km=20, runs=runs, workers=2)
    (cell,) = table.to_pylist()
    assert cell["runs"] == runs
    assert cell["rounds_mean"] == n            # a salvo of n, magazine n: one engagement
    lo, hi = wilson_interval(cell["kills"], runs, z=2.576)                # 99 %
    closed = 1.0 - (1.0 - p) ** n
    assert lo <= closed <= hi, (cell["kills"], runs, closed)
    w_lo, w_hi = wilson_interval(cell["kills"], runs)
    assert cell["pk_lo"] == pytest.approx(float(w_lo), abs=1e-12)
    assert cell["pk_hi"] == pytest.approx(float(w_hi), abs=1e-12)
