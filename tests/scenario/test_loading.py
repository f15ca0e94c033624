"""Scenario loading: every problem listed as ``path = value: what is allowed``.

The oracle here is the message format promised in docs (loading.py docstring, DESIGN.md
"Errors name the field path, the bad value and what is allowed"): exact expected lines.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hdsim.scenario import ScenarioError, load_scenario, scenario_from_dict
from hdsim.scenario.config import located_error
from hdsim.scenario.loading import format_validation_error
from hdsim.space import SAMPLE_TLE_PATH


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(write(tmp_path, text))
    assert isinstance(info.value, ValueError)
    return info.value.problems


def test_good_file_loads(tmp_path):
    s = load_scenario(write(tmp_path, """
        name: demo
        epoch: 2027-03-01T00:00:00Z
        sensors:
          radars:
            - {id: r, site: {lat_deg: 35, lon_deg: 139}, pfa: 1e-6, max_range_m: 3e6}
    """))
    assert s.name == "demo" and s.sensors.radars[0].pfa == 1e-6
    assert s.sensors.radars[0].max_range_m == 3.0e6  # '3e6' is a number (YAML 1.2), not text


def test_every_problem_is_listed_with_path_value_and_line(tmp_path):
    got = problems(tmp_path, """
        name: demo
        earth: {shape: wgs84, rotaton: true}
        sensors:
          space_layers:
            - id: layer
              walker: {total: 40, planes: 8, phasing: 9, altitude_m: 50000, inclination_deg: 80}
          radars:
            - id: radar-1
              site: {lat_deg: 120, lon_deg: 139.0, alt_m: -5000}
              swerling: 7
        weapons:
          - {id: rg, type: rocket, site: {lat_deg: 1, lon_deg: 2}}
          - {id: rg2, type: railgun, site: {lat_deg: 1, lon_deg: 2}, muzzle_speed_mps: -3}
          - {id: rg2, type: interceptor, site: {lat_deg: 1, lon_deg: 2}}
        fire_control: {doctrine: fire}
    """)
    assert got == [
        "earth.rotaton: unknown field (did you mean 'rotation'?) (line 2)",
        "sensors.space_layers[0].walker.phasing = 9: must be between 0 and planes - 1 = 7 (line 6)",
        "sensors.space_layers[0].walker.altitude_m = 50000: must be at least 150000 m "
        "(above the sensible atmosphere) (line 6)",
        "sensors.radars[0].site.lat_deg = 120: must be between -90 and 90 (line 9)",
        "sensors.radars[0].site.alt_m = -5000: a radar site must be at or above the sea "
        "surface (≥ -500 m) (line 9)",
        "sensors.radars[0].swerling = 7: must be one of 0, 1, 2, 3, 4 (line 10)",
        "weapons[0].type = 'rocket': must be one of railgun, interceptor (line 12)",
        "weapons[1].muzzle_speed_mps = -3: must be greater than 0 and at most 8000 (line 13)",
        "weapons[2].id = 'rg2': duplicate id (already used by weapons[1]) (line 14)",
        "fire_control.doctrine = 'fire': must be one of salvo, shoot_look_shoot, required_pk "
        "(line 15)",
    ]


def test_missing_required_and_wrong_types(tmp_path):
    got = problems(tmp_path, """
        duration_s: soon
        seed: -1
        epoch: yesterday
        sensors:
          radars:
            - {id: r}
    """)
    assert got == [
        "duration_s = 'soon': must be a number (line 1)",
        "seed = -1: must be at least 0 (line 2)",
        "epoch = 'yesterday': must be a UTC date and time such as '2027-03-01T00:00:00Z' (line 3)",
        "sensors.radars[0].site: required field is missing (line 6)",
        "name: required field is missing",
    ]


def test_unknown_field_without_close_match_lists_allowed(tmp_path):
    (line,) = problems(tmp_path, "name: x\nearth: {colour: blue}\n")
    assert line == (
        "earth.colour: unknown field (allowed: shape, rotation, j2, atmosphere) (line 2)"
    )


def test_duplicate_sensor_ids_reported_with_other_errors(tmp_path):
    got = problems(tmp_path, """
        name: x
        sensors:
          space_layers:
            - {id: a, preset: leo_tracking_layer}
          radars:
            - {id: a, site: {lat_deg: 95, lon_deg: 0}}
    """)
    assert got == [
        "sensors.radars[0].site.lat_deg = 95: must be between -90 and 90 (line 6)",
        "sensors.radars[0].id = 'a': duplicate sensor id (already used by "
        "sensors.space_layers[0]) (line 6)",
    ]


def test_bad_yaml_names_line_and_column(tmp_path):
    (line,) = problems(tmp_path, "name: x\nearth: {shape: wgs84\nseed: 1\n")
    assert line.startswith("line 3, column 5: could not parse the YAML:")


def test_duplicate_yaml_key_is_an_error(tmp_path):
    (line,) = problems(tmp_path, "name: x\nseed: 1\nseed: 2\n")
    assert line == (
        "line 3, column 1: could not parse the YAML: duplicate key 'seed' (first given on line 2)"
    )


@pytest.mark.parametrize("text, kind", [("", "empty"), ("- a\n- b\n", "a list")])
def test_top_level_must_be_a_mapping(tmp_path, text, kind):
    (line,) = problems(tmp_path, text)
    assert line.endswith(f"got {kind}")


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="scenario file not found: .*nope.yaml"):
        load_scenario(tmp_path / "nope.yaml")


def test_tle_file_relative_to_the_scenario_folder(tmp_path, monkeypatch):
    sub = tmp_path / "scen"
    sub.mkdir()
    (sub / "sats.tle").write_text(open(SAMPLE_TLE_PATH).read())
    monkeypatch.chdir(tmp_path)  # the cwd must not matter
    path = write(sub, """
        name: x
        sensors:
          space_layers: [{id: a, tle_file: sats.tle, max_tle_age_days: null}]
    """)
    assert load_scenario(path).sensors.space_layers[0].tle_file == (sub / "sats.tle").resolve()
    path.write_text("name: x\nsensors:\n  space_layers: [{id: a, tle_file: other.tle}]\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    (line,) = info.value.problems
    assert line.startswith("sensors.space_layers[0].tle_file = 'other.tle': file not found")


def test_scenario_from_dict_without_file():
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict({"name": "x", "step_s": 0}, source="inline")
    assert info.value.problems == ["step_s = 0: must be greater than 0"]
    assert str(info.value) == "inline: 1 problem:\n  step_s = 0: must be greater than 0"


# --- unions: the shapes threat configs use (a discriminated union on `type`, preset|inline) ----


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Vehicle(_Base):
    mass_kg: float = Field(gt=0)
    cd: float = 0.3


class _Glide(_Base):
    bank_deg: float = 0.0


class _A(_Base):
    type: Literal["ballistic"]
    lat_deg: float = Field(0.0, ge=-90, le=90)
    vehicle: Literal["cav_h", "htv2"] | _Vehicle = "cav_h"


class _B(_Base):
    type: Literal["boost_glide"]
    glide: _Glide = _Glide()
    speed_mps: float = 6000.0

    @model_validator(mode="after")
    def _check(self):
        if self.glide.bank_deg > 80:
            raise located_error(("glide", "bank_deg"), self.glide.bank_deg, "too steep")
        if self.speed_mps > 8000:
            raise ValueError("out of reach")
        return self


class _Holder(_Base):
    threats: tuple[Annotated[_A | _B, Field(discriminator="type")], ...] = ()


def _union_problems(data: dict) -> list[str]:
    with pytest.raises(ValidationError) as info:
        _Holder.model_validate(data)
    return format_validation_error(info.value, data, model=_Holder)


def test_union_errors_are_readable():
    data = {"threats": [
        {"type": "ballistic", "lat_deg": 120, "vehicle": {"mass_kg": -5}},
        {"type": "boost_glide", "glide": {"bank_degg": 10}},
        {"type": "rocket"},
        {"lat_deg": 1},
        {"type": "ballistic", "vehicle": "cav_x"},
        {"type": "ballistic", "vehicle": 5},
        {"type": "boost_glide", "glide": {"bank_deg": 85}},
        {"type": "boost_glide", "speed_mps": 9000},
    ]}
    assert _union_problems(data) == [
        "threats[0].lat_deg = 120: must be between -90 and 90",
        "threats[0].vehicle.mass_kg = -5: must be greater than 0",
        "threats[1].glide.bank_degg: unknown field (did you mean 'bank_deg'?)",
        "threats[2].type = 'rocket': must be one of ballistic, boost_glide",
        "threats[3].type: required field is missing (one of ballistic, boost_glide)",
        "threats[4].vehicle = 'cav_x': must be one of cav_h, htv2",
        "threats[5].vehicle = 5: must be one of cav_h, htv2, or must be a mapping of fields "
        "(key: value)",
        "threats[6].glide.bank_deg = 85.0: too steep",
        "threats[7]: out of reach",
    ]


# --- the real threat schema (written by the threats owner) ---------------------------------

THREAT_CASES = [
    ("launch: {lat_deg: 120, lon_deg: 125.5}",
     "threats[0].launch.lat_deg = 120: must be between -90 and 90"),
    ("vehicle: {mass_kg: -5, reference_area_m2: 0.3, cd: 0.3}",
     "threats[0].vehicle.mass_kg = -5: must be greater than 0"),
    ("vehicle: cav_x",
     "threats[0].vehicle = 'cav_x': unknown vehicle preset"),
    ("type: rocket",
     "threats[0].type = 'rocket': must be one of ballistic, boost_glide, cruise"),
]


@pytest.mark.parametrize("override, expected", THREAT_CASES)
def test_threat_errors(tmp_path, override, expected):
    base = {
        "id": "bm-1", "type": "ballistic",
        "launch": "{lat_deg: 39.0, lon_deg: 125.5}",
        "target": "{lat_deg: 35.68, lon_deg: 139.77}",
        "burnout": "{speed_mps: 3016.1, flight_path_deg: 42.75, altitude_m: 0}",
        "vehicle": "{mass_kg: 500, reference_area_m2: 0.3, cd: 0.3}",
    }
    key, value = override.split(": ", 1)
    base[key] = value
    body = "\n".join(f"    {k}: {v}" for k, v in base.items())
    got = problems(tmp_path, f"name: x\nthreats:\n  -\n{body}\n")
    assert any(p.startswith(expected) for p in got), got


def test_threat_field_typo_and_duplicate_id(tmp_path):
    got = problems(tmp_path, """
        name: x
        threats:
          - id: hgv-1
            type: boost_glide
            launch: {lat_deg: 40.0, lon_deg: 127.0}
            target: {lat_deg: 35.68, lon_deg: 139.77}
            burnout: {speed_mps: 6000, altitude_m: 49300, flight_path_deg: 0}
            vehicle: cav_h
            glide: {guidance: to_target, bank_degg: 0}
          - id: hgv-1
            type: cruise
            launch: {lat_deg: 38.0, lon_deg: 128.0}
            target: {lat_deg: 35.0, lon_deg: 136.0}
            cruise: {mach: 6, altitude_m: 28000}
    """)
    assert "threats[0].glide.bank_degg: unknown field (did you mean 'bank_deg'?) (line 9)" in got
    assert "threats[1].id = 'hgv-1': duplicate id (already used by threats[0]) (line 10)" in got


def test_threat_checks_after_the_fields(tmp_path):
    got = problems(tmp_path, """
        name: x
        duration_s: 600
        threats:
          - id: hcm-1
            type: cruise
            launch: {lat_deg: 38.0, lon_deg: 128.0}
            target: {lat_deg: 35.0, lon_deg: 136.0}
            cruise: {mach: 6, altitude_m: 28000}
            launch_time_s: 900
    """)
    assert got == [
        "threats[0].launch_time_s = 900.0: must be before the end of the simulation "
        "(duration_s = 600) (line 9)"
    ]
