"""The `hdsim` command line: exit codes, messages without tracebacks, lazy run/coverage hooks.

Oracle: the documented CLI contract (cli.py docstring; DESIGN.md "Errors name the field path,
the bad value and what is allowed"): exit code 2 and a message naming path and value.
"""

from __future__ import annotations

import sys
import textwrap
import types

import pytest
from typer.testing import CliRunner

from hdsim.cli import app

runner = CliRunner()

GOOD = """
name: cli-demo
epoch: "2027-03-01T00:00:00Z"
sensors:
  space_layers:
    - {id: leo, preset: leo_tracking_layer}
  radars:
    - {id: r1, preset: xband_long_range, site: {lat_deg: 37.9, lon_deg: 139.0, alt_m: 10}}
weapons:
  - {id: rg, type: railgun, site: {lat_deg: 35.5, lon_deg: 139.6}}
defended_assets:
  - {id: capital, lat_deg: 35.68, lon_deg: 139.77, radius_m: 20000}
"""

THREAT = """
  - id: {id}
    type: {type}
    launch: {{lat_deg: {lat}, lon_deg: 125.5, alt_m: 0}}
    target: {{lat_deg: 35.68, lon_deg: 139.77, alt_m: 0}}
    burnout: {{speed_mps: 3016.1, flight_path_deg: 42.75, altitude_m: 0}}
    vehicle: {{mass_kg: {mass}, reference_area_m2: 0.3, cd: 0.3}}
"""


def scenario_file(tmp_path, text: str):
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def with_threats(*threats: dict) -> str:
    body = "".join(
        THREAT.format(**({"id": "bm-1", "type": "ballistic", "lat": 39.0, "mass": 500} | t))
        for t in threats
    )
    return GOOD + "threats:" + body


def invoke(*args):
    result = runner.invoke(app, [str(a) for a in args])
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result


def test_validate_good_file(tmp_path):
    result = invoke("validate", scenario_file(tmp_path, GOOD))
    assert result.exit_code == 0
    assert result.stdout.strip() == (
        "OK: cli-demo: 0 threats, 1 space layer, 1 radar, 1 weapon, 1 defended asset"
    )


BAD_CASES = {
    "radar latitude 120": (
        GOOD.replace("lat_deg: 37.9", "lat_deg: 120"),
        "sensors.radars[0].site.lat_deg = 120: must be between -90 and 90",
    ),
    "negative radius": (
        GOOD.replace("radius_m: 20000", "radius_m: -5"),
        "defended_assets[0].radius_m = -5: must be at least 0",
    ),
    "unknown weapon type": (
        GOOD.replace("type: railgun", "type: rocket"),
        "weapons[0].type = 'rocket': must be one of railgun, interceptor",
    ),
    "field typo": (
        GOOD.replace("radius_m:", "radius_mm:"),
        "defended_assets[0].radius_mm: unknown field (did you mean 'radius_m'?)",
    ),
    "duplicate id": (
        GOOD + "  - {id: capital, lat_deg: 1, lon_deg: 2}\n",
        "defended_assets[1].id = 'capital': duplicate id (already used by defended_assets[0])",
    ),
    "bad yaml": (GOOD + "seed: [1, 2\n", "could not parse the YAML"),
    "walker in the atmosphere": (
        GOOD.replace("preset: leo_tracking_layer", "walker: {total: 4, planes: 2, "
                     "altitude_m: 50000, inclination_deg: 80}"),
        "sensors.space_layers[0].walker.altitude_m = 50000: must be at least 150000 m "
        "(above the sensible atmosphere)",
    ),
    "radar below the sea": (
        GOOD.replace("alt_m: 10", "alt_m: -5000"),
        "sensors.radars[0].site.alt_m = -5000: a radar site must be at or above the sea "
        "surface (≥ -500 m)",
    ),
}
THREAT_CASES = {
    "threat latitude 120": (
        with_threats({"lat": 120}),
        "threats[0].launch.lat_deg = 120: must be between -90 and 90",
    ),
    "negative mass": (
        with_threats({"mass": -5}),
        "threats[0].vehicle.mass_kg = -5: must be greater than 0",
    ),
    "unknown threat type": (
        with_threats({}, {"id": "x", "type": "rocket"}),
        "threats[1].type = 'rocket': must be one of ballistic, boost_glide, cruise",
    ),
    "threat typo": (
        with_threats({}).replace("launch:", "lanch:"),
        "threats[0].lanch: unknown field (did you mean 'launch'?)",
    ),
    "duplicate threat id": (
        with_threats({}, {}),
        "threats[1].id = 'bm-1': duplicate id (already used by threats[0])",
    ),
}


def check_bad(tmp_path, text, expected):
    result = invoke("validate", scenario_file(tmp_path, text))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert expected in result.stderr, result.stderr
    assert result.stderr.startswith(str(tmp_path / "s.yaml"))


@pytest.mark.parametrize("text, expected", BAD_CASES.values(), ids=BAD_CASES.keys())
def test_validate_bad_files(tmp_path, text, expected):
    check_bad(tmp_path, text, expected)


@pytest.mark.parametrize("text, expected", THREAT_CASES.values(), ids=THREAT_CASES.keys())
def test_validate_bad_threats(tmp_path, text, expected):
    check_bad(tmp_path, text, expected)


def test_validate_missing_file(tmp_path):
    result = invoke("validate", tmp_path / "nope.yaml")
    assert result.exit_code == 2
    assert "scenario file not found" in result.stderr


def fake_module(monkeypatch, name, **funcs):
    mod = types.ModuleType(name)
    for k, v in funcs.items():
        setattr(mod, k, v)
    monkeypatch.setitem(sys.modules, name, mod)


def test_run_calls_run_scenario(tmp_path, monkeypatch):
    calls = []
    fake_module(monkeypatch, "hdsim.scenario.run",
                run_scenario=lambda s, out, quiet: calls.append((s.name, out, quiet)))
    out = tmp_path / "out"
    result = invoke("run", scenario_file(tmp_path, GOOD), "--out", out, "--quiet")
    assert result.exit_code == 0 and result.stdout == ""
    assert calls == [("cli-demo", out, True)]


def test_run_validates_before_running(tmp_path, monkeypatch):
    calls = []
    fake_module(monkeypatch, "hdsim.scenario.run", run_scenario=lambda *a, **k: calls.append(a))
    bad = GOOD.replace("lat_deg: 37.9", "lat_deg: 120")
    result = invoke("run", scenario_file(tmp_path, bad), "--out", tmp_path / "out")
    assert result.exit_code == 2 and calls == []


def test_run_value_error_is_a_clean_exit(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise ValueError("tracking.gate = -1: must be positive")

    fake_module(monkeypatch, "hdsim.scenario.run", run_scenario=boom)
    result = invoke("run", scenario_file(tmp_path, GOOD), "--out", tmp_path / "out")
    assert result.exit_code == 2
    assert "tracking.gate = -1: must be positive" in result.stderr


def test_run_and_coverage_unavailable(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "hdsim.scenario.run", None)  # import fails
    monkeypatch.setitem(sys.modules, "hdsim.scenario.coverage", None)
    path = scenario_file(tmp_path, GOOD)
    for cmd, module in (("run", "hdsim.scenario.run"), ("coverage", "hdsim.scenario.coverage")):
        result = invoke(cmd, path, "--out", tmp_path / "out")
        assert result.exit_code == 1
        assert f"hdsim {cmd} is not available" in result.stderr and module in result.stderr


def test_coverage_calls_run_coverage(tmp_path, monkeypatch):
    calls = []
    fake_module(monkeypatch, "hdsim.scenario.coverage",
                run_coverage=lambda s, out: calls.append((s.coverage.grid_deg, out)))
    out = tmp_path / "cov"
    result = invoke("coverage", scenario_file(tmp_path, GOOD), "--out", out)
    assert result.exit_code == 0 and calls == [(2.0, out)]


def test_version():
    from importlib.metadata import version

    result = invoke("version")
    assert result.exit_code == 0 and result.stdout.strip() == f"hdsim {version('hdsim')}"


def test_nees_needs_threats_and_sensors(tmp_path):
    result = invoke("nees", scenario_file(tmp_path, GOOD), "--out", tmp_path / "n", "--runs", 2)
    assert result.exit_code == 2
    assert "needs threats and sensors" in result.stderr
    assert not (tmp_path / "n").exists()


def test_nees_writes_tables_plot_and_verdicts(tmp_path, monkeypatch):
    import json

    import numpy as np
    import pyarrow.parquet as pq

    from hdsim.campaign import nees as consistency

    def fake(scenario, runs, jobs, progress):
        progress(1.0)
        g = np.arange(5.0)
        return consistency.NeesRuns(
            threat_ids=["a", "b"], seeds=np.arange(runs), n_rows=np.full((runs, 2), 50),
            mean_nees=np.tile([6.1, 20.0], (runs, 1)), rmse_pos_m=np.full((runs, 2), 40.0),
            t_s=g, nees_t=np.array([[6.0, 5.0, 7.0, 30.0, 6.0], [20.0] * 5]),
            runs_t=np.full((2, 5), runs))

    monkeypatch.setattr(consistency, "nees_runs", fake)
    out = tmp_path / "n"
    result = invoke("nees", scenario_file(tmp_path, with_threats({})), "--out", out, "-n", 10)
    assert result.exit_code == 0, result.output
    assert "consistent" in result.stdout and "INCONSISTENT" in result.stdout
    summary = json.loads((out / "summary.json").read_text())
    verdict = {r["threat_id"]: (r["inside"], r["fraction_of_seconds_inside"])
               for r in summary["threats"]}
    assert verdict == {"a": (True, 0.8), "b": (False, 0.0)}
    assert pq.read_table(out / "nees.parquet").num_rows == 20
    assert pq.read_table(out / "nees_series.parquet").num_rows == 10
    assert (out / "nees.png").read_bytes()[:4] == b"\x89PNG"


def test_version_option_and_command_agree():
    from importlib.metadata import version

    for args in (("--version",), ("-V",), ("version",)):
        result = invoke(*args)
        assert result.exit_code == 0 and result.stdout.strip() == f"hdsim {version('hdsim')}"


def test_run_prints_a_headline_first_and_nothing_blank_before_it(tmp_path):
    from hdsim.viz.console import headline

    result = invoke("run", scenario_file(tmp_path, with_threats({})), "--out", tmp_path / "r")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("cli-demo: ")
    # The headline wraps at the terminal's width (80 when piped), continued 4 columns in.
    n = 1 + next(i for i, line in enumerate(lines[1:]) if not line.startswith("    "))
    assert " ".join(line.strip() for line in lines[:n]) == (
        "cli-demo: 0 of 1 threat killed, 1 leaked (0 inside defended assets), 0 rounds fired")
    assert all(len(line) <= 80 for line in lines[:-1])  # the last names the folder
    assert any(line.startswith("  bm-1: first detection ") for line in
               result.stdout.splitlines()[1:5])
    summary = {"scenario": "s", "threats": [{"threat_id": "a", "impacted": True,
                                             "first_detection_s": 12.0,
                                             "first_fire_control_s": None, "outcome": "killed"}],
               "tracking": {}, "engagement": {"kills": 1, "leakers": 0, "leakers_in_assets": 0,
                                              "shots": 2},
               "weapons": [{"weapon_id": "rg", "kind": "railgun", "shots": 2, "kills": 1,
                            "rounds_left": 38}]}
    assert headline(summary) == [
        "s: 1 of 1 threat killed, 0 leaked (0 inside defended assets), 2 rounds fired",
        "  rg (railgun): 2 fired, 1 killed, 38 left",
        "  a: first detection t = 12 s, first fire-control track never, killed"]
