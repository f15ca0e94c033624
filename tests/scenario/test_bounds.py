"""Bounds on sizes and physics: refused by `hdsim validate`, before anything runs.

Oracle: the documented allowed ranges of docs/scenario.md. Each refused case is a small valid
scenario with one field (or one pair of fields) changed; `hdsim validate` must exit 2 without a
traceback, name the field's path and say the allowed range, quickly (a size estimate, never an
allocation). The positive cases sit on the bounds and must validate.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from hdsim.cli import app

runner = CliRunner()

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))

LAUNCH = {"lat_deg": 39.0, "lon_deg": 125.5, "alt_m": 0}
TARGET = {"lat_deg": 35.68, "lon_deg": 139.77, "alt_m": 0}

BASE: dict[str, Any] = {
    "name": "bounds",
    "duration_s": 1800,
    "step_s": 1.0,
    "sensors": {
        "space_layers": [{"id": "leo", "walker": {"total": 24, "planes": 4, "phasing": 1,
                                                  "altitude_m": 1.0e6, "inclination_deg": 70}}],
        "radars": [{"id": "r1", "site": {"lat_deg": 37.9, "lon_deg": 139.0, "alt_m": 10}}],
    },
    "coverage": {"grid_deg": 5},
    "threats": [
        {"id": "bm", "type": "ballistic", "launch": dict(LAUNCH), "target": dict(TARGET),
         "burnout": {"speed_mps": 3016.1, "flight_path_deg": 42.75, "altitude_m": 0},
         "vehicle": {"mass_kg": 500, "reference_area_m2": 0.3, "cd": 0.3}},
        {"id": "hgv", "type": "boost_glide", "launch": {"lat_deg": 40.0, "lon_deg": 122.0},
         "target": dict(TARGET), "burnout": {"speed_mps": 5000, "altitude_m": 45000},
         "glide": {"maneuvers": [{"type": "bank_reversals", "count": 3}]}},
        {"id": "hcm", "type": "cruise", "launch": {"lat_deg": 36.0, "lon_deg": 133.0},
         "target": dict(TARGET), "cruise": {"mach": 5, "altitude_m": 26000}},
    ],
    "weapons": [{"id": "rg", "type": "railgun", "site": {"lat_deg": 35.5, "lon_deg": 139.6}}],
}

ELEMENTS_LAYER = {"id": "leo", "elements": [{"semi_major_axis_m": 7.378137e6,
                                             "inclination_deg": 80}]}
BOOST = {"aim": "minimum_energy", "altitude_m": 60000, "burn_time_s": 70}


def scenario(*changes: tuple[str, Any]) -> dict[str, Any]:
    """BASE with each ``(dotted path, value)`` set; list items by index (``threats.0.id``)."""
    data = copy.deepcopy(BASE)
    for path, value in changes:
        *head, last = [int(k) if k.isdigit() else k for k in path.split(".")]
        node: Any = data
        for key in head:
            node = node[key]
        node[last] = copy.deepcopy(value)
    return data


class _Dumper(yaml.SafeDumper):
    """Writes shared values out in full: a scenario may not use anchors or aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def validate(tmp_path: Path, data: dict[str, Any]):
    path = tmp_path / "s.yaml"
    path.write_text(yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True))
    start = time.perf_counter()
    result = runner.invoke(app, ["validate", str(path)])
    elapsed = time.perf_counter() - start
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit), result.exception
    assert elapsed < 5.0, f"validate took {elapsed:.1f} s"
    return result


# (id, changes, path named, allowed range said)
REFUSED: list[tuple[str, tuple[tuple[str, Any], ...], str, str]] = [
    # sizes
    ("duration huge", (("duration_s", 1e12),), "duration_s", "(0, 604,800] s"),
    ("duration past a week", (("duration_s", 604_801),), "duration_s", "(0, 604,800] s"),
    ("step tiny", (("step_s", 1e-9),), "step_s",
     "duration_s / step_s = 1.8e12 steps: at most 1e7"),
    ("steps just over 1e7", (("step_s", 1.7e-4),), "step_s", "steps: at most 1e7"),
    ("radar revisit tiny", (("sensors.radars.0.revisit_s", 1e-9),),
     "sensors.radars[0].revisit_s", "at least 0.01 s"),
    ("radar revisit below 0.01", (("sensors.radars.0.revisit_s", 0.009),),
     "sensors.radars[0].revisit_s", "at least 0.01 s"),
    ("walker total huge", (("sensors.space_layers.0.walker.total", 10_000_000),),
     "sensors.space_layers[0].walker.total", "[1, 10,000]"),
    ("walker total 10,004", (("sensors.space_layers.0.walker.total", 10_004),),
     "sensors.space_layers[0].walker.total", "[1, 10,000]"),
    ("elements over 10,000", (("sensors.space_layers.0", {
        "id": "leo", "elements": [{"semi_major_axis_m": 7.378137e6, "inclination_deg": 80,
                                   "mean_anomaly_deg": i * 0.01} for i in range(10_001)]}),),
     "sensors.space_layers[0].elements", "at most 10,000 satellites"),
    ("infrared frame rate", (("sensors.space_layers.0.infrared", {"frame_rate_hz": 1000}),),
     "sensors.space_layers[0].infrared.frame_rate_hz", "(0, 100] Hz"),
    ("coverage grid tiny", (("coverage.grid_deg", 1e-6),), "coverage.grid_deg",
     "at most 2,000,000 cells"),
    ("coverage grid 0.1 global", (("coverage.grid_deg", 0.1),
                                  ("coverage.region", {"lat_min_deg": -90, "lat_max_deg": 90})),
     "coverage.grid_deg", "at most 2,000,000 cells"),
    ("coverage samples", (("coverage.step_s", 0.1),), "coverage.step_s",
     "time samples: at most 100,000"),
    ("coverage end far", (("coverage.end_s", 1e12),), "coverage.step_s",
     "time samples: at most 100,000"),
    # physics: speeds
    ("ballistic speed 1e9", (("threats.0.burnout.speed_mps", 1e9),),
     "threats[0].burnout.speed_mps", "(0, 11,000) m/s"),
    ("ballistic speed 11,000", (("threats.0.burnout.speed_mps", 11_000),),
     "threats[0].burnout.speed_mps", "(0, 11,000) m/s"),
    ("lofted speed 12,000", (("threats.0.burnout", {"aim": "lofted", "speed_mps": 12_000}),),
     "threats[0].burnout.speed_mps", "(0, 11,000) m/s"),
    ("glide speed 11,000", (("threats.1.burnout.speed_mps", 11_000),),
     "threats[1].burnout.speed_mps", "(0, 11,000) m/s"),
    ("glide end speed", (("threats.1.glide.end_speed_mps", 20_000),),
     "threats[1].glide.end_speed_mps", "(300, 11,000) m/s"),
    # physics: altitudes
    ("launch deep", (("threats.0.launch.alt_m", -1e7),), "threats[0].launch.alt_m", "≥ -500 m"),
    ("launch above air launch", (("threats.0.launch.alt_m", 20_001),),
     "threats[0].launch.alt_m", "[-500, 20,000]"),
    ("target in the air", (("threats.0.target.alt_m", 9_001),), "threats[0].target.alt_m",
     "[-500, 9,000]"),
    ("target underground", (("threats.2.target.alt_m", -501),), "threats[2].target.alt_m",
     "≥ -500 m"),
    ("radar site high", (("sensors.radars.0.site.alt_m", 9_001),),
     "sensors.radars[0].site.alt_m", "[-500, 9,000]"),
    ("weapon site high", (("weapons.0.site.alt_m", 1e5),), "weapons[0].site.alt_m",
     "[-500, 9,000]"),
    ("walker beyond the Moon's pull", (("sensors.space_layers.0.walker.altitude_m", 1e9),),
     "sensors.space_layers[0].walker.altitude_m", "at most 1e8 m"),
    ("elements apogee far", (("sensors.space_layers.0", {
        "id": "leo", "elements": [{"semi_major_axis_m": 6.0e7, "eccentricity": 0.8,
                                   "inclination_deg": 80}]}),),
     "sensors.space_layers[0].elements[0].semi_major_axis_m", "at most 1e8 m"),
    # physics: vehicle
    ("mass 1e-300", (("threats.0.vehicle.mass_kg", 1e-300),), "threats[0].vehicle.mass_kg",
     "[1, 1,000,000] kg"),
    ("mass 0.5", (("threats.0.vehicle.mass_kg", 0.5),), "threats[0].vehicle.mass_kg",
     "[1, 1,000,000] kg"),
    ("mass 2e6", (("threats.0.vehicle.mass_kg", 2e6),), "threats[0].vehicle.mass_kg",
     "[1, 1,000,000] kg"),
    ("area 1e-4", (("threats.0.vehicle.reference_area_m2", 1e-4),),
     "threats[0].vehicle.reference_area_m2", "(0.0001, 100] m²"),
    ("area 101", (("threats.0.vehicle.reference_area_m2", 101),),
     "threats[0].vehicle.reference_area_m2", "(0.0001, 100] m²"),
    ("cd 10.5", (("threats.0.vehicle.cd", 10.5),), "threats[0].vehicle.cd", "(0, 10]"),
    ("cl 5.5", (("threats.0.vehicle.cl", 5.5),), "threats[0].vehicle.cl", "[0, 5]"),
    # maneuvers
    ("two bank_reversals", (("threats.1.glide.maneuvers", [
        {"type": "bank_reversals", "count": 3}, {"type": "bank_reversals", "count": 5}]),),
     "threats[1].glide.maneuvers[1].type", "each type at most once"),
    ("two skips after others", (("threats.1.glide.maneuvers", [
        {"type": "skip", "amplitude_m": 2000}, {"type": "terminal_dive", "start_range_m": 8e4},
        {"type": "skip", "amplitude_m": 3000}]),),
     "threats[1].glide.maneuvers[2].type", "each type at most once"),
    ("crossrange offset huge", (("threats.1.glide.maneuvers", [
        {"type": "bank_reversals", "count": 3}, {"type": "crossrange_offset", "offset_m": 1e9}]),),
     "threats[1].glide.maneuvers[1].offset_m", "[-5,000,000, 5,000,000] m"),
    # the pole
    ("north pole, aimed, boost", (("threats.0.launch.lat_deg", 90),
                                  ("threats.0.target.lat_deg", 80),
                                  ("threats.0.burnout", BOOST)),
     "threats[0].launch.lat_deg", "at least 0.01° from a pole (|lat_deg| ≤ 89.99)"),
    ("south pole, fixed, boost", (("threats.0.launch.lat_deg", -89.995),
                                  ("threats.0.target.lat_deg", -80),
                                  ("threats.0.burnout.altitude_m", 50_000),
                                  ("threats.0.burnout.burn_time_s", 60)),
     "threats[0].launch.lat_deg", "at least 0.01° from a pole"),
    ("pole, glide boost", (("threats.1.launch.lat_deg", 90), ("threats.1.target.lat_deg", 82),
                           ("threats.1.burnout.burn_time_s", 90)),
     "threats[1].launch.lat_deg", "at least 0.01° from a pole"),
    ("pole, crossrange waypoint", (("threats.1.launch.lat_deg", 90),
                                   ("threats.1.target.lat_deg", 82),
                                   ("threats.1.glide.maneuvers",
                                    [{"type": "crossrange_offset", "offset_m": 5e4}])),
     "threats[1].launch.lat_deg", "crossrange_offset"),
]


@pytest.mark.parametrize(("changes", "path", "allowed"), [c[1:] for c in REFUSED],
                         ids=[c[0] for c in REFUSED])
def test_refused_with_path_and_range(tmp_path, changes, path, allowed):
    result = validate(tmp_path, scenario(*changes))
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip().startswith(path + " ")]
    assert lines, result.output
    assert any(" = " in line and allowed in line for line in lines), result.output


ACCEPTED: list[tuple[str, tuple[tuple[str, Any], ...]]] = [
    ("base", ()),
    ("ballistic speed 10,999", (("threats.0.burnout.speed_mps", 10_999),)),
    ("glide speed 10,999", (("threats.1.burnout.speed_mps", 10_999),)),
    ("duration 7 days", (("duration_s", 604_800),)),
    ("exactly 1e7 steps", (("duration_s", 1000), ("step_s", 1e-4))),
    ("revisit 0.01", (("sensors.radars.0.revisit_s", 0.01),)),
    ("frame rate 100", (("sensors.space_layers.0.infrared", {"frame_rate_hz": 100}),)),
    ("walker 10,000", (("sensors.space_layers.0.walker",
                        {"total": 10_000, "planes": 100, "altitude_m": 1e8,
                         "inclination_deg": 50}),)),
    ("elements apogee 1e8", (("sensors.space_layers.0", ELEMENTS_LAYER),
                             ("sensors.space_layers.0.elements.0.semi_major_axis_m",
                              6_378_137 + 1e8),)),
    ("global 0.25 grid", (("coverage.grid_deg", 0.25),
                          ("coverage.region", {"lat_min_deg": -90, "lat_max_deg": 90}))),
    ("coverage 1e5 samples", (("coverage.step_s", 0.864),)),
    ("vehicle light corner", (("threats.0.vehicle",
                               {"mass_kg": 1, "reference_area_m2": 100, "cd": 10, "cl": 5}),)),
    ("vehicle heavy corner", (("threats.0.vehicle",
                               {"mass_kg": 1e6, "reference_area_m2": 1.0001e-4, "cd": 1e-3}),)),
    ("altitudes at the bounds", (("threats.0.launch.alt_m", 20_000),
                                 ("threats.0.target.alt_m", 9_000),
                                 ("threats.2.launch.alt_m", -500),
                                 ("threats.2.target.alt_m", -500),
                                 ("sensors.radars.0.site.alt_m", 9_000),
                                 ("weapons.0.site.alt_m", 9_000))),
    ("one of each maneuver", (("threats.1.glide.maneuvers", [
        {"type": "bank_reversals", "count": 2}, {"type": "skip", "amplitude_m": 2000},
        {"type": "crossrange_offset", "offset_m": -5e6},
        {"type": "terminal_dive", "start_range_m": 8e4}]),)),
    ("pole launch without a boost", (("threats.0.launch.lat_deg", 90),
                                     ("threats.0.target.lat_deg", 80),
                                     ("threats.0.burnout", {"aim": "minimum_energy"}))),
    ("boost 0.01° from the pole", (("threats.0.launch.lat_deg", -89.99),
                                   ("threats.0.target.lat_deg", -80),
                                   ("threats.0.burnout", BOOST))),
    ("boost to a target at the pole", (("threats.0.target.lat_deg", 90),
                                       ("threats.0.launch.lat_deg", 80),
                                       ("threats.0.burnout", BOOST))),
]


@pytest.mark.parametrize("changes", [c[1] for c in ACCEPTED], ids=[c[0] for c in ACCEPTED])
def test_accepted_at_the_bounds(tmp_path, changes):
    result = validate(tmp_path, scenario(*changes))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: bounds")


def test_reviewer_cases_together(tmp_path):
    """The reviewer's values, all in one file: each reported at its own field."""
    data = scenario(("duration_s", 1e5), ("step_s", 1e-9), ("coverage.grid_deg", 1e-6),
                    ("sensors.radars.0.revisit_s", 1e-9),
                    ("sensors.space_layers.0.walker.total", 10_000_000),
                    ("threats.0.burnout.speed_mps", 1e9), ("threats.2.launch.alt_m", -1e7),
                    ("threats.0.vehicle.mass_kg", 1e-300),
                    ("threats.1.glide.maneuvers", [{"type": "bank_reversals", "count": 3},
                                                   {"type": "bank_reversals", "count": 2}]))
    result = validate(tmp_path, data)
    assert result.exit_code == 2
    for path in ("step_s", "coverage.grid_deg", "sensors.radars[0].revisit_s",
                 "sensors.space_layers[0].walker.total", "threats[0].burnout.speed_mps",
                 "threats[2].launch.alt_m", "threats[0].vehicle.mass_kg",
                 "threats[1].glide.maneuvers[1].type"):
        assert f"  {path} = " in result.output, (path, result.output)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_example_scenarios_still_validate(path):
    assert SCENARIOS
    start = time.perf_counter()
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: ")
    assert time.perf_counter() - start < 5.0
