"""Scenario schema: the reference example, documented defaults, frozen/forbid, cross-field rules.

Oracles: the example YAML of the scenario reference (the public contract; copied below), the
documented defaults, ``hdsim.earth.EarthModel`` for the Earth switches, and modular arithmetic
for the longitude wrap (hypothesis).
"""

from __future__ import annotations

import math
import typing
from datetime import UTC, datetime, timedelta, timezone

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from hdsim.scenario import config as schema
from hdsim.scenario.config import (  # noqa: I001
    EarthConfig,
    GeoPoint,
    OrbitalElements,
    RadarConfig,
    Scenario,
    SpaceLayerConfig,
    TrackingSection,
    WalkerConfig,
)
from hdsim.space import SAMPLE_TLE_PATH

_SAMPLE_TLE = open(SAMPLE_TLE_PATH).read()

# The scenario reference, "Scenario YAML" (the threats are in THREATS_YAML, validated only
# once the threat schema exists).
EXAMPLE_YAML = """
name: hgv-demo
epoch: "2027-03-01T00:00:00Z"
duration_s: 3600
seed: 1
step_s: 1.0
earth: {shape: wgs84, rotation: true, j2: true, atmosphere: true}
sensors:
  space_layers:
    - id: tracking-layer
      walker: {total: 40, planes: 8, phasing: 1, altitude_m: 1000000, inclination_deg: 80}
      infrared: {frame_rate_hz: 1, angle_noise_rad: 5.0e-5, field_of_regard_deg: 120,
                 max_range_m: 5.0e6, grazing_altitude_m: 20000}
  radars:
    - id: radar-1
      site: {lat_deg: 37.9, lon_deg: 139.0, alt_m: 10}
      min_elevation_deg: 0.5
      max_range_m: 2.0e6
      revisit_s: 1.0
      pfa: 1.0e-6
      reference: {snr_db: 20, range_m: 1.0e6, rcs_m2: 0.1}
      noise: {range_m: 20, angle_rad: 1.0e-3, range_rate_mps: 5}
coverage:
  region: {lat_min_deg: -60, lat_max_deg: 60, lon_min_deg: 100, lon_max_deg: 160}
  grid_deg: 2
  altitude_m: 40000
  start_s: 0
  end_s: 86400
  step_s: 60
tracking: {}
weapons:
  - id: railgun-1
    type: railgun
    site: {lat_deg: 35.5, lon_deg: 139.6, alt_m: 5}
    muzzle_speed_mps: 2300
  - id: sam-1
    type: interceptor
    site: {lat_deg: 35.6, lon_deg: 139.9}
fire_control: {doctrine: shoot_look_shoot}
defended_assets:
  - {id: capital, lat_deg: 35.68, lon_deg: 139.77, radius_m: 20000}
"""

THREATS_YAML = """
threats:
  - id: bm-1
    type: ballistic
    launch: {lat_deg: 39.0, lon_deg: 125.5, alt_m: 0}
    target: {lat_deg: 35.68, lon_deg: 139.77, alt_m: 0}
    launch_time_s: 0
    burnout: {speed_mps: 3016.1, flight_path_deg: 42.75, altitude_m: 0}
    vehicle: {mass_kg: 500, reference_area_m2: 0.3, cd: 0.3}
  - id: hgv-1
    type: boost_glide
    launch: {lat_deg: 40.0, lon_deg: 127.0}
    target: {lat_deg: 35.68, lon_deg: 139.77}
    burnout: {speed_mps: 6000, altitude_m: 49300, flight_path_deg: 0}
    vehicle: cav_h
    glide:
      guidance: to_target
      bank_deg: 0
      maneuvers:
        - {type: bank_reversals, count: 3, max_bank_deg: 30}
        - {type: skip, amplitude_m: 5000}
        - {type: terminal_dive, start_range_m: 100000}
  - id: hcm-1
    type: cruise
    launch: {lat_deg: 38.0, lon_deg: 128.0}
    target: {lat_deg: 35.0, lon_deg: 136.0}
    cruise: {mach: 6, altitude_m: 28000}
"""


def example() -> dict:
    return yaml.safe_load(EXAMPLE_YAML)


def test_scenario_md_example_validates_with_its_values():
    s = Scenario.model_validate(example())
    assert s.name == "hgv-demo"
    assert s.epoch == datetime(2027, 3, 1, tzinfo=UTC)
    assert (s.duration_s, s.seed, s.step_s) == (3600.0, 1, 1.0)
    layer = s.sensors.space_layers[0]
    assert (layer.walker.total, layer.walker.planes, layer.walker.phasing) == (40, 8, 1)
    assert layer.walker.altitude_m == 1.0e6 and layer.walker.inclination_deg == 80.0
    assert layer.infrared.angle_noise_rad == 5.0e-5 and layer.infrared.max_range_m == 5.0e6
    radar = s.sensors.radars[0]
    assert (radar.site.lat_deg, radar.site.lon_deg, radar.site.alt_m) == (37.9, 139.0, 10.0)
    assert radar.reference.rcs_m2 == 0.1 and radar.noise.range_rate_mps == 5.0
    assert s.coverage.region.lon_max_deg == 160.0 and s.coverage.end_s == 86400.0
    assert [w.type for w in s.weapons] == ["railgun", "interceptor"]
    assert s.weapons[0].muzzle_speed_mps == 2300.0
    assert s.fire_control.doctrine == "shoot_look_shoot"
    assert s.defended_assets[0].radius_m == 20000.0
    assert s.threats == ()


def test_scenario_md_example_with_threats_validates():
    data = example() | yaml.safe_load(THREATS_YAML)
    s = Scenario.model_validate(data)
    assert [t.id for t in s.threats] == ["bm-1", "hgv-1", "hcm-1"]
    assert [t.type for t in s.threats] == ["ballistic", "boost_glide", "cruise"]


def test_documented_defaults():
    s = Scenario(name="x")
    assert s.epoch == datetime(2000, 1, 1, 12, tzinfo=UTC)  # J2000.0
    assert (s.duration_s, s.seed, s.step_s) == (3600.0, 0, 1.0)
    assert (s.earth.shape, s.earth.rotation, s.earth.j2, s.earth.atmosphere) == (
        "wgs84", True, True, True,
    )
    assert s.threats == () and s.weapons == () and s.defended_assets == ()
    assert s.sensors.space_layers == () and s.sensors.radars == ()
    assert s.tracking == TrackingSection() and s.fire_control.doctrine == "shoot_look_shoot"
    ir = schema.InfraredConfig()
    assert ir.band_um == (3.0, 5.0) and ir.field_of_regard_deg == 120.0
    radar = RadarConfig(id="r", site={"lat_deg": 0, "lon_deg": 0})
    assert radar.swerling == 1 and radar.pfa == 1e-6 and radar.site.alt_m == 0.0


def _models() -> list[type[BaseModel]]:
    """Every pydantic model reachable from Scenario (threat models included once they exist)."""
    seen: list[type[BaseModel]] = []

    def visit(tp: typing.Any) -> None:
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            if tp not in seen:
                seen.append(tp)
                for f in tp.model_fields.values():
                    visit(f.annotation)
            return
        for arg in typing.get_args(tp):
            visit(arg)

    visit(Scenario)
    return seen


def test_every_field_is_documented():
    # the models of this module; threat models (threat_schema.py) are tested by their owner
    undocumented = [
        f"{m.__name__}.{name}"
        for m in _models()
        if m.__module__ == schema.__name__
        for name, f in m.model_fields.items()
        if not (f.description and f.description.strip())
    ]
    assert undocumented == []


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.__name__)
def test_models_are_frozen_and_forbid_unknown_fields(model):
    assert model.model_config.get("frozen") is True
    assert model.model_config.get("extra") == "forbid"


def test_frozen_assignment_fails():
    s = Scenario(name="x")
    with pytest.raises(ValidationError):
        s.name = "y"


def test_weapon_field_typo_is_an_error():
    data = example()
    data["weapons"][1]["max_speed_mps"] = 3000
    with pytest.raises(ValidationError):
        Scenario.model_validate(data)


def test_earth_model_switches_match_hdsim_earth():
    from hdsim.earth import EarthModel
    from hdsim.scenario.build import earth_model

    assert earth_model(EarthConfig()) == EarthModel()
    textbook = earth_model(EarthConfig(shape="sphere", rotation=False, j2=False,
                                       atmosphere=False))
    assert textbook == EarthModel.textbook()
    assert textbook.ellipsoid.a_m == 6_371_000.0 and textbook.omega_radps == 0.0  # docs/scenario.md


@given(st.floats(min_value=-180.0, max_value=360.0, exclude_max=True))
def test_longitude_wraps_to_half_open_interval(lon):
    p = GeoPoint(lat_deg=0.0, lon_deg=lon)
    assert -180.0 < p.lon_deg <= 180.0
    turns = (lon - p.lon_deg) / 360.0
    assert abs(turns - round(turns)) * 360.0 < 1e-9  # same meridian (degrees)


@pytest.mark.parametrize("lon", [-180.0001, 360.0, math.nan])
def test_longitude_out_of_range_rejected(lon):
    with pytest.raises(ValidationError):
        GeoPoint(lat_deg=0.0, lon_deg=lon)


def test_epoch_is_utc_aware():
    for text, expect in [
        ("2027-03-01T00:00:00Z", datetime(2027, 3, 1, tzinfo=UTC)),
        ("2027-03-01T09:00:00+09:00", datetime(2027, 3, 1, tzinfo=UTC)),
        ("2027-03-01T00:00:00", datetime(2027, 3, 1, tzinfo=UTC)),  # no offset: UTC
    ]:
        epoch = Scenario(name="x", epoch=text).epoch
        assert epoch == expect and epoch.utcoffset() == timedelta(0)
    local = datetime(2027, 3, 1, 9, tzinfo=timezone(timedelta(hours=9)))
    assert Scenario(name="x", epoch=local).epoch.tzinfo == UTC


def test_walker_rules():
    ok = dict(total=40, planes=8, phasing=7, altitude_m=1.0e6, inclination_deg=80)
    assert WalkerConfig(**ok).phasing == 7
    for bad in (dict(phasing=8), dict(total=42), dict(altitude_m=149_999.0), dict(planes=0)):
        with pytest.raises(ValidationError):
            WalkerConfig(**(ok | bad))


def test_leo_tracking_layer_preset_is_walker_168_12_1():
    layer = SpaceLayerConfig(id="leo", preset="leo_tracking_layer")
    w = layer.walker
    assert (w.total, w.planes, w.phasing, w.altitude_m, w.inclination_deg) == (
        168, 12, 1, 1.0e6, 80.0,
    )
    # fields beside the preset override it, nested ones merged
    layer = SpaceLayerConfig.model_validate(
        {"id": "leo", "preset": "leo_tracking_layer", "walker": {"altitude_m": 1.2e6},
         "infrared": {"frame_rate_hz": 10}}
    )
    assert layer.walker.altitude_m == 1.2e6 and layer.walker.total == 168
    assert layer.infrared.frame_rate_hz == 10.0 and layer.infrared.max_range_m == 5.0e6


def test_space_layer_needs_exactly_one_orbit_source(tmp_path):
    walker = dict(total=4, planes=2, altitude_m=1.0e6, inclination_deg=50)
    tle = tmp_path / "sats.tle"
    tle.write_text(_SAMPLE_TLE)
    with pytest.raises(ValidationError, match="exactly one of walker, tle_file, elements"):
        SpaceLayerConfig(id="a")
    with pytest.raises(ValidationError, match="got walker, tle_file"):
        SpaceLayerConfig(id="a", walker=walker, tle_file=tle)
    # a TLE file beside a preset replaces the preset's Walker orbits
    layer = SpaceLayerConfig(id="a", preset="leo_tracking_layer", tle_file=tle)
    assert layer.walker is None and layer.tle_file == tle.resolve()


def test_tle_file_is_resolved_against_the_context_folder(tmp_path):
    (tmp_path / "sats.tle").write_text(_SAMPLE_TLE)
    layer = SpaceLayerConfig.model_validate(
        {"id": "a", "tle_file": "sats.tle"}, context={"base_dir": tmp_path}
    )
    assert layer.tle_file == (tmp_path / "sats.tle").resolve()
    with pytest.raises(ValidationError, match="file not found"):
        SpaceLayerConfig.model_validate({"id": "a", "tle_file": "nope.tle"},
                                        context={"base_dir": tmp_path})


def test_orbital_elements_perigee_above_atmosphere():
    a_ok = 6378137.0 + 500e3
    assert OrbitalElements(semi_major_axis_m=a_ok, inclination_deg=53).eccentricity == 0.0
    # perigee a(1 - e) - R = 6878137 * 0.95 - 6378137 = 156,093 m: accepted; e = 0.06 is not
    OrbitalElements(semi_major_axis_m=a_ok, eccentricity=0.05, inclination_deg=53)
    with pytest.raises(ValidationError, match="perigee altitude"):
        OrbitalElements(semi_major_axis_m=a_ok, eccentricity=0.06, inclination_deg=53)


def test_radar_preset_with_overrides():
    radar = RadarConfig.model_validate(
        {"id": "r", "preset": "xband_long_range", "site": {"lat_deg": 40, "lon_deg": 140},
         "noise": {"range_m": 3.0}, "max_range_m": 2.5e6}
    )
    assert radar.max_range_m == 2.5e6 and radar.noise.range_m == 3.0
    preset = schema.RADAR_PRESETS["xband_long_range"]
    assert radar.noise.angle_rad == preset["noise"]["angle_rad"]
    assert radar.reference.rcs_m2 == preset["reference"]["rcs_m2"]


def test_radar_site_below_sea_surface_rejected():
    RadarConfig(id="r", site={"lat_deg": 31.5, "lon_deg": 35.5, "alt_m": -430})  # Dead Sea shore
    with pytest.raises(ValidationError, match="at or above the sea surface"):
        RadarConfig(id="r", site={"lat_deg": 0, "lon_deg": 0, "alt_m": -5000})


def test_duplicate_ids_rejected():
    data = example()
    data["weapons"][1]["id"] = "railgun-1"
    with pytest.raises(ValidationError, match="duplicate id"):
        Scenario.model_validate(data)
    data = example()
    data["sensors"]["radars"][0]["id"] = "tracking-layer"
    with pytest.raises(ValidationError, match="duplicate sensor id"):
        Scenario.model_validate(data)


def test_coverage_and_clock_cross_checks():
    with pytest.raises(ValidationError, match="greater than start_s"):
        schema.CoverageConfig(start_s=100, end_s=50)
    with pytest.raises(ValidationError, match="greater than lon_min_deg"):
        schema.CoverageRegion(lon_min_deg=100, lon_max_deg=90)
    assert schema.CoverageRegion(lon_min_deg=160, lon_max_deg=200).lon_max_deg == 200.0
    with pytest.raises(ValidationError, match="must not exceed duration_s"):
        Scenario(name="x", duration_s=10, step_s=20)
