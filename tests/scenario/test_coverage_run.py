"""``hdsim coverage`` end to end: result folder contract (docs/results.md) and a closed-form check.

Oracle for the numbers: averaged over the whole sphere (area weights cos latitude), the mean
number of satellites in view is ``N (1 - cos λ) / 2`` at every instant (each satellite covers
a cap of Earth central angle λ; closed-form λ for the limb, Wertz, *Space Mission Analysis and
Design*, 3rd ed., §5.2); the time fraction seen by ≥ 1 satellite is at most that mean (union
bound). On WGS-84 and a 10° grid the mean count agrees to 0.03 % (tolerance 2 %).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

from hdsim.earth import WGS84_A_M
from hdsim.results import read_summary
from hdsim.scenario import load_scenario, scenario_from_dict
from hdsim.scenario.build import constellation as build_constellation
from hdsim.scenario.coverage import (
    coverage_grid_deg,
    coverage_times_s,
    run_coverage,
)
from hdsim.space import SAMPLE_TLE_PATH

ROOT = Path(__file__).resolve().parents[2]
COLUMNS = ["lat_deg", "lon_deg", "alt_m", "fraction_1", "fraction_2", "max_gap_s",
           "mean_gap_s", "best_triangulation_deg", "mean_n_sats"]


def _scenario_dict(**coverage):
    cov = {"region": {"lat_min_deg": -90, "lat_max_deg": 90, "lon_min_deg": -180,
                      "lon_max_deg": 180},
           "grid_deg": 10, "altitude_m": 40_000, "start_s": 0, "end_s": 7200, "step_s": 120}
    cov.update(coverage)
    return {
        "name": "cov-test",
        "sensors": {"space_layers": [
            {"id": "a", "walker": {"total": 12, "planes": 3, "phasing": 1,
                                   "altitude_m": 1_000_000, "inclination_deg": 60},
             "infrared": {"field_of_regard_deg": 180, "max_range_m": 1.0e8,
                          "grazing_altitude_m": 20_000}},
            {"id": "b", "walker": {"total": 6, "planes": 2, "phasing": 1,
                                   "altitude_m": 1_000_000, "inclination_deg": 90},
             "infrared": {"field_of_regard_deg": 180, "max_range_m": 1.0e8,
                          "grazing_altitude_m": 20_000}},
        ]},
        "coverage": cov,
    }


def test_run_coverage_end_to_end(tmp_path: Path) -> None:
    out = tmp_path / "cov"
    summary = run_coverage(scenario_from_dict(_scenario_dict()), out, quiet=True)
    for name in ("coverage.parquet", "summary.json", "coverage.png", "_SUCCESS"):
        assert (out / name).is_file(), name
    assert (out / "coverage.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "coverage.png").stat().st_size > 10_000
    table = pq.read_table(out / "coverage.parquet")
    assert table.column_names == COLUMNS
    df = {k: np.asarray(v) for k, v in table.to_pydict().items()}
    assert table.num_rows == 19 * 36  # -90..90 every 10°, 36 meridians (no repeat of -180)
    assert np.all((df["lon_deg"] > -180) & (df["lon_deg"] <= 180))
    for name in ("fraction_1", "fraction_2"):
        assert np.all((df[name] >= 0) & (df[name] <= 1)), name
    assert np.all(df["fraction_2"] <= df["fraction_1"])
    span = 7200.0
    assert np.all((df["max_gap_s"] >= 0) & (df["max_gap_s"] <= span))
    assert np.all(df["mean_gap_s"] <= df["max_gap_s"])
    tri = df["best_triangulation_deg"][np.isfinite(df["best_triangulation_deg"])]
    assert tri.size > 0 and np.all((tri >= 0) & (tri <= 90))
    np.testing.assert_array_equal(df["alt_m"], 40_000.0)

    # closed-form check: area-weighted mean count = N (1 - cos λ) / 2
    r_s, r_t, rho = WGS84_A_M + 1.0e6, 6_371e3 + 40e3, 6_371e3 + 20e3
    lam = math.acos(rho / r_s) + math.acos(rho / r_t)
    expect_n = 18 * (1 - math.cos(lam)) / 2
    means = summary["area_weighted_mean"]
    assert means["mean_n_sats"] == pytest.approx(expect_n, rel=0.02)
    assert means["fraction_1"] <= min(1.0, means["mean_n_sats"])
    assert 0.3 < means["fraction_1"] < 1.0
    assert summary == read_summary(out) | {"timings_s": summary["timings_s"]}
    assert summary["satellites"] == 18 and summary["samples"] == 60
    assert summary["min_fraction_1"] == pytest.approx(df["fraction_1"].min())
    assert summary["worst_max_gap_s"] == pytest.approx(df["max_gap_s"].max())


def test_no_space_layer_is_a_clear_error(tmp_path: Path) -> None:
    data = _scenario_dict()
    data["sensors"] = {}
    with pytest.raises(ValueError, match="sensors.space_layers: coverage needs at least one"):
        run_coverage(scenario_from_dict(data), tmp_path / "x", quiet=True)


def test_grid_and_times() -> None:
    sc = scenario_from_dict(_scenario_dict(
        region={"lat_min_deg": -10, "lat_max_deg": 10, "lon_min_deg": 170, "lon_max_deg": 190},
        grid_deg=5, start_s=100, end_s=1000, step_s=60))
    lat, lon = coverage_grid_deg(sc.coverage)
    assert sorted(set(lat)) == [-10, -5, 0, 5, 10]
    assert sorted(set(lon)) == [170, 175, 180, 185, 190]  # crosses the antimeridian
    times, step = coverage_times_s(sc.coverage)
    assert step == 60 and times[0] == 100 and times.size == 15 and times[-1] < 1000


def test_build_constellation_from_elements_and_tles() -> None:
    a_m = WGS84_A_M + 800e3
    data = _scenario_dict()
    data["sensors"] = {"space_layers": [
        {"id": "el", "elements": [
            {"semi_major_axis_m": a_m, "inclination_deg": 30.0, "raan_deg": 10.0},
            {"sat_id": "named", "semi_major_axis_m": a_m, "inclination_deg": 30.0,
             "mean_anomaly_deg": 90.0}]},
        {"id": "tle", "tle_file": str(SAMPLE_TLE_PATH), "max_tle_age_days": None},
    ]}
    sc = scenario_from_dict(data)
    el = build_constellation(sc.sensors.space_layers[0])
    assert el.sat_ids == ("el-0", "named")
    pos, _ = el.states_eci(np.linspace(0, 6000, 200), sc.epoch)
    np.testing.assert_allclose(np.linalg.norm(pos, axis=-1), a_m, rtol=2e-3)  # circular
    # degrees wired to radians: the highest latitude reached is the inclination
    assert np.degrees(np.arcsin(np.abs(pos[..., 2]).max() / a_m)) == pytest.approx(30.0, abs=0.2)
    tle = build_constellation(sc.sensors.space_layers[1])
    assert tle.propagator == "sgp4" and len(tle) == 9


def test_cli_coverage_and_example_scenario(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from hdsim.cli import app

    example = load_scenario(ROOT / "scenarios" / "coverage_leo.yaml")
    assert example.sensors.space_layers[0].walker.total == 36   # a sparse tranche: gaps
    assert example.coverage.region.lon_min_deg == 100
    # the CLI on a shortened copy of the example (the full day takes ~15 s of CPU)
    data = yaml.safe_load((ROOT / "scenarios" / "coverage_leo.yaml").read_text())
    data["coverage"].update(grid_deg=10, end_s=1800, step_s=300)
    path = tmp_path / "short.yaml"
    path.write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["coverage", str(path), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "Coverage" in res.output
    s = read_summary(out)
    assert s["grid_points"] == 13 * 7 and s["samples"] == 6
    assert 0.3 < s["area_weighted_mean"]["fraction_1"] < 1.0      # gaps on the sparse layer
