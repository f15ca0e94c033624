"""Bad input, one field at a time: ``hdsim validate`` exits 2 with one located line.

Oracle: the CLI contract (``docs/cli.md``, exit code 2) and the loader's message form
(``hdsim.scenario.loading``: ``path = value: what is allowed (line N)``). Each row is the valid
scenario ``BASE`` (every section present) with one field changed or deleted; ``hdsim
validate`` (typer's ``CliRunner``, in process) must exit with code 2, print exactly one
problem, on one line that starts with the field's path and says what is allowed, ending with
the YAML line of that field (taken from PyYAML's own composer, not from the loader), with no
traceback and no raw control character.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from hdsim.cli import app
from hdsim.space import SAMPLE_TLE_PATH

runner = CliRunner()

DELETE = object()
"""A change that removes the field."""

TARGET = {"lat_deg": 35.68, "lon_deg": 139.77, "alt_m": 0}

BASE: dict[str, Any] = {
    "name": "table",
    "epoch": "2027-03-01T00:00:00Z",
    "duration_s": 1800,
    "seed": 3,
    "step_s": 1.0,
    "earth": {"shape": "wgs84", "rotation": True, "j2": True, "atmosphere": True},
    "threats": [
        {"id": "bm", "type": "ballistic", "launch": {"lat_deg": 39.0, "lon_deg": 125.5},
         "target": dict(TARGET), "launch_time_s": 0, "rcs_m2": 0.05,
         "burnout": {"speed_mps": 3016.1, "flight_path_deg": 42.75, "altitude_m": 0},
         "vehicle": {"mass_kg": 500, "reference_area_m2": 0.3, "cd": 0.3}},
        {"id": "hgv", "type": "boost_glide", "launch": {"lat_deg": 40.0, "lon_deg": 122.0},
         "target": dict(TARGET), "burnout": {"speed_mps": 5000, "altitude_m": 45000},
         "vehicle": "cav_h",
         "glide": {"guidance": "to_target", "maneuvers": [
             {"type": "bank_reversals", "count": 3, "max_bank_deg": 30},
             {"type": "skip", "amplitude_m": 2000, "period_s": 200},
             {"type": "crossrange_offset", "offset_m": 5e4, "at_fraction": 0.5},
             {"type": "terminal_dive", "start_range_m": 8e4}]}},
        {"id": "hcm", "type": "cruise", "launch": {"lat_deg": 36.0, "lon_deg": 133.0},
         "target": dict(TARGET), "cruise": {"mach": 5, "altitude_m": 26000}},
    ],
    "sensors": {
        "space_layers": [
            {"id": "leo", "walker": {"total": 24, "planes": 4, "phasing": 1,
                                     "altitude_m": 1.0e6, "inclination_deg": 70},
             "infrared": {"frame_rate_hz": 1, "band_um": [3, 5]}},
            {"id": "few", "elements": [{"semi_major_axis_m": 7.378137e6,
                                        "inclination_deg": 80, "eccentricity": 0.001}]},
            {"id": "tle", "tle_file": str(SAMPLE_TLE_PATH), "max_tle_age_days": None},
        ],
        "radars": [
            {"id": "r1", "site": {"lat_deg": 37.9, "lon_deg": 139.0, "alt_m": 10},
             "revisit_s": 1.0, "swerling": 1, "reference": {"snr_db": 20, "range_m": 1e6},
             "noise": {"range_m": 20, "floor_fraction": 0.1}},
            {"id": "r2", "preset": "xband_long_range",
             "site": {"lat_deg": 36.5, "lon_deg": 138.5}},
        ],
    },
    "coverage": {"grid_deg": 5, "region": {"lat_min_deg": -60, "lat_max_deg": 60},
                 "start_s": 0, "end_s": 3600, "step_s": 60},
    "tracking": {"filter": "imm", "association": "gnn", "gate_probability": 0.99,
                 "confirm_m": 3, "confirm_n": 5},
    "weapons": [
        {"id": "rg", "type": "railgun", "site": {"lat_deg": 35.5, "lon_deg": 139.6},
         "muzzle_speed_mps": 2300, "min_elevation_deg": 5, "max_elevation_deg": 80},
        {"id": "sam", "type": "interceptor", "site": {"lat_deg": 35.4, "lon_deg": 139.5},
         "nav_ratio": 4, "guidance_law": "pn"},
    ],
    "fire_control": {"doctrine": "shoot_look_shoot", "cadence_s": 2, "min_pk": 0.05},
    "defended_assets": [{"id": "city", "lat_deg": 35.68, "lon_deg": 139.77,
                         "radius_m": 20000}],
    "campaign": {"runs": 10, "seed": 1, "batch": 1,
                 "vary": {"threats.hgv.burnout.speed_mps": {"normal": {"mean": 5000,
                                                                        "sd": 100}}}},
}

# (id, changes as {dotted path: value or DELETE}, path named, fragment of what is allowed)
ROWS: list[tuple[str, dict[str, Any], str, str]] = [
    # ---- top level
    ("name missing", {"name": DELETE}, "name", "required field is missing"),
    ("name empty", {"name": ""}, "name", "must not be empty"),
    ("name a number", {"name": 5}, "name", "must be a string"),
    ("name with ESC", {"name": "x\x1b[2J"}, "name", r"= 'x\x1b[2J': must not contain control"),
    ("name with a bidi override", {"name": "x\u202eevil"}, "name",
     r"must not contain control characters (found '\u202e')"),
    ("name with a line separator", {"name": "a\u2028b"}, "name", "must not contain control"),
    ("epoch not a date", {"epoch": "yesterday"}, "epoch", "must be a UTC date and time"),
    ("epoch a number", {"epoch": 12345}, "epoch", "not a number"),
    ("epoch day 30 of February", {"epoch": "2027-02-30T00:00:00Z"}, "epoch",
     "must be a UTC date and time"),
    ("duration negative", {"duration_s": -1}, "duration_s", "must be greater than 0"),
    ("duration text", {"duration_s": "long"}, "duration_s", "must be a number"),
    ("duration true", {"duration_s": True}, "duration_s", "not true or false"),
    ("duration a list", {"duration_s": [1, 2]}, "duration_s", "must be a number"),
    ("seed negative", {"seed": -1}, "seed", "at least 0"),
    ("seed fractional", {"seed": 1.5}, "seed", "must be a whole number"),
    ("seed text", {"seed": "abc"}, "seed", "must be an integer"),
    ("step zero", {"step_s": 0}, "step_s", "greater than 0"),
    ("step longer than the run", {"step_s": 2000}, "step_s", "must not exceed duration_s"),
    ("unknown top-level field", {"durration_s": 5}, "durration_s",
     "unknown field (did you mean 'duration_s'?)"),
    ("threats a number", {"threats": 5}, "threats", "must be a list"),
    ("sensors a list", {"sensors": [1]}, "sensors", "must be a mapping of fields"),
    # ---- earth
    ("earth shape", {"earth.shape": "flat"}, "earth.shape", "must be one of wgs84, sphere"),
    ("earth rotation yes", {"earth.rotation": "yes"}, "earth.rotation",
     "= 'yes': must be true or false (text such as 'yes', 'on' or 'off' is not a boolean"),
    ("earth rotation off", {"earth.rotation": "off"}, "earth.rotation", "must be true or false"),
    ("earth j2 zero", {"earth.j2": 0}, "earth.j2", "= 0: must be true or false, not a number"),
    ("guided 1", {"weapons.0.guided": 1}, "weapons[0].guided", "must be true or false"),
    ("earth atmosphere null", {"earth.atmosphere": None}, "earth.atmosphere",
     "must be true or false"),
    ("earth unknown field", {"earth.j3": True}, "earth.j3", "unknown field"),
    # ---- a ballistic threat
    ("threat id missing", {"threats.0.id": DELETE}, "threats[0].id",
     "required field is missing"),
    ("threat id empty", {"threats.0.id": ""}, "threats[0].id", "must not be empty"),
    ("threat id with a newline", {"threats.0.id": "a\nb"}, "threats[0].id",
     r"= 'a\nb': must not contain control characters"),
    ("threat id with a tab", {"threats.0.id": "a\tb"}, "threats[0].id", "control characters"),
    ("threat id duplicated", {"threats.1.id": "bm"}, "threats[1].id",
     "duplicate id (already used by threats[0])"),
    ("threat type unknown", {"threats.0.type": "rocket"}, "threats[0].type",
     "must be one of ballistic, boost_glide, cruise"),
    ("threat type missing", {"threats.0.type": DELETE}, "threats[0].type",
     "required field is missing"),
    ("launch latitude 91", {"threats.0.launch.lat_deg": 91}, "threats[0].launch.lat_deg",
     "between -90 and 90"),
    ("launch longitude 400", {"threats.0.launch.lon_deg": 400}, "threats[0].launch.lon_deg",
     "less than 360"),
    ("launch latitude text", {"threats.0.launch.lat_deg": "north"},
     "threats[0].launch.lat_deg", "must be a number"),
    ("launch missing", {"threats.0.launch": DELETE}, "threats[0].launch",
     "required field is missing"),
    ("launch too high", {"threats.0.launch.alt_m": 30000}, "threats[0].launch.alt_m",
     "[-500, 20,000]"),
    ("target latitude -91", {"threats.0.target.lat_deg": -91}, "threats[0].target.lat_deg",
     "between -90 and 90"),
    ("target in the air", {"threats.0.target.alt_m": 10000}, "threats[0].target.alt_m",
     "[-500, 9,000]"),
    ("target at the launch point", {"threats.0.target": {"lat_deg": 39.0, "lon_deg": 125.5}},
     "threats[0].target", "must differ from launch"),
    ("launch time negative", {"threats.0.launch_time_s": -5}, "threats[0].launch_time_s",
     "at least 0"),
    ("launch after the end", {"threats.0.launch_time_s": 1800}, "threats[0].launch_time_s",
     "must be before the end of the simulation"),
    ("rcs zero", {"threats.0.rcs_m2": 0}, "threats[0].rcs_m2", "greater than 0"),
    ("aim unknown", {"threats.0.burnout.aim": "high"}, "threats[0].burnout.aim",
     "must be one of fixed, minimum_energy, lofted, depressed"),
    ("burnout speed zero", {"threats.0.burnout.speed_mps": 0}, "threats[0].burnout.speed_mps",
     "(0, 11,000) m/s"),
    ("burnout angle 90", {"threats.0.burnout.flight_path_deg": 90},
     "threats[0].burnout.flight_path_deg", "less than 90"),
    ("burnout altitude 600 km", {"threats.0.burnout.altitude_m": 6e5},
     "threats[0].burnout.altitude_m", "between 0 and 500000"),
    ("burn time 700 s", {"threats.0.burnout.burn_time_s": 700},
     "threats[0].burnout.burn_time_s", "between 0 and 600"),
    ("fixed aim without angle", {"threats.0.burnout.flight_path_deg": DELETE,
                                 "threats.0.burnout.aim": "fixed"},
     "threats[0].burnout.flight_path_deg", "required when aim is 'fixed'"),
    ("vehicle mass zero", {"threats.0.vehicle.mass_kg": 0}, "threats[0].vehicle.mass_kg",
     "greater than 0"),
    ("vehicle preset unknown", {"threats.0.vehicle": "saucer"}, "threats[0].vehicle",
     "unknown vehicle preset"),
    ("vehicle cd zero", {"threats.0.vehicle.cd": 0}, "threats[0].vehicle.cd", "greater than 0"),
    ("vehicle cl negative", {"threats.0.vehicle.cl": -1}, "threats[0].vehicle.cl", "at least 0"),
    ("vehicle unknown field", {"threats.0.vehicle.mass_kgg": 1}, "threats[0].vehicle.mass_kgg",
     "did you mean 'mass_kg'?"),
    # ---- a boost-glide threat
    ("glide burnout missing", {"threats.1.burnout": DELETE}, "threats[1].burnout",
     "required field is missing"),
    ("glide burnout altitude zero", {"threats.1.burnout.altitude_m": 0},
     "threats[1].burnout.altitude_m", "greater than 0"),
    ("glide burnout angle 89", {"threats.1.burnout.flight_path_deg": 89},
     "threats[1].burnout.flight_path_deg", "less than 89"),
    ("glide guidance unknown", {"threats.1.glide.guidance": "smart"},
     "threats[1].glide.guidance", "must be one of to_target, none"),
    ("glide bank 90", {"threats.1.glide.bank_deg": 90}, "threats[1].glide.bank_deg",
     "between -89 and 89"),
    ("glide end speed 100", {"threats.1.glide.end_speed_mps": 100},
     "threats[1].glide.end_speed_mps", "greater than 300"),
    ("maneuver type unknown", {"threats.1.glide.maneuvers.0.type": "loop"},
     "threats[1].glide.maneuvers[0].type", "must be one of bank_reversals, skip"),
    ("bank reversals zero", {"threats.1.glide.maneuvers.0.count": 0},
     "threats[1].glide.maneuvers[0].count", "between 1 and 50"),
    ("bank reversals 51", {"threats.1.glide.maneuvers.0.count": 51},
     "threats[1].glide.maneuvers[0].count", "between 1 and 50"),
    ("bank reversal angle 85", {"threats.1.glide.maneuvers.0.max_bank_deg": 85},
     "threats[1].glide.maneuvers[0].max_bank_deg", "less than 85"),
    ("skip amplitude 40 km", {"threats.1.glide.maneuvers.1.amplitude_m": 40000},
     "threats[1].glide.maneuvers[1].amplitude_m", "at most 30000"),
    ("skip period 5 s", {"threats.1.glide.maneuvers.1.period_s": 5},
     "threats[1].glide.maneuvers[1].period_s", "greater than 10"),
    ("crossrange fraction 1", {"threats.1.glide.maneuvers.2.at_fraction": 1.0},
     "threats[1].glide.maneuvers[2].at_fraction", "less than 1"),
    ("dive range zero", {"threats.1.glide.maneuvers.3.start_range_m": 0},
     "threats[1].glide.maneuvers[3].start_range_m", "greater than 0"),
    # ---- a cruise threat
    ("cruise mach 1", {"threats.2.cruise.mach": 1.0}, "threats[2].cruise.mach",
     "greater than 1"),
    ("cruise mach 16", {"threats.2.cruise.mach": 16}, "threats[2].cruise.mach", "at most 15"),
    ("cruise altitude 4 km", {"threats.2.cruise.altitude_m": 4000},
     "threats[2].cruise.altitude_m", "greater than 5000 and at most 50000"),
    ("cruise altitude 60 km", {"threats.2.cruise.altitude_m": 60000},
     "threats[2].cruise.altitude_m", "greater than 5000 and at most 50000"),
    ("cruise missing", {"threats.2.cruise": DELETE}, "threats[2].cruise",
     "required field is missing"),
    # ---- space layers
    ("layer id missing", {"sensors.space_layers.0.id": DELETE}, "sensors.space_layers[0].id",
     "required field is missing"),
    ("walker total zero", {"sensors.space_layers.0.walker.total": 0},
     "sensors.space_layers[0].walker.total", "greater than 0"),
    ("walker planes not dividing", {"sensors.space_layers.0.walker.planes": 5},
     "sensors.space_layers[0].walker.planes", "must divide total = 24"),
    ("walker phasing too big", {"sensors.space_layers.0.walker.phasing": 9},
     "sensors.space_layers[0].walker.phasing", "between 0 and planes - 1 = 3"),
    ("walker altitude 100 km", {"sensors.space_layers.0.walker.altitude_m": 1e5},
     "sensors.space_layers[0].walker.altitude_m", "at least 150000 m"),
    ("walker inclination 181", {"sensors.space_layers.0.walker.inclination_deg": 181},
     "sensors.space_layers[0].walker.inclination_deg", "at most 180"),
    ("layer preset unknown", {"sensors.space_layers.0.preset": "geo_layer"},
     "sensors.space_layers[0].preset", "must be one of leo_tracking_layer"),
    ("layer preset a list", {"sensors.space_layers.0.preset": ["leo_tracking_layer"]},
     "sensors.space_layers[0].preset", "must be one of leo_tracking_layer"),
    ("frame rate zero", {"sensors.space_layers.0.infrared.frame_rate_hz": 0},
     "sensors.space_layers[0].infrared.frame_rate_hz", "greater than 0"),
    ("angle noise zero", {"sensors.space_layers.0.infrared.angle_noise_rad": 0},
     "sensors.space_layers[0].infrared.angle_noise_rad", "greater than 0"),
    ("field of regard 181", {"sensors.space_layers.0.infrared.field_of_regard_deg": 181},
     "sensors.space_layers[0].infrared.field_of_regard_deg", "at most 180"),
    ("sun exclusion 180", {"sensors.space_layers.0.infrared.sun_exclusion_deg": 180},
     "sensors.space_layers[0].infrared.sun_exclusion_deg", "less than 180"),
    ("infrared pfa 1", {"sensors.space_layers.0.infrared.pfa": 1},
     "sensors.space_layers[0].infrared.pfa", "less than 1"),
    ("band reversed", {"sensors.space_layers.0.infrared.band_um": [5, 3]},
     "sensors.space_layers[0].infrared.band_um", "0 < min < max"),
    ("band of one value", {"sensors.space_layers.0.infrared.band_um": [3]},
     "sensors.space_layers[0].infrared.band_um[1]", "required field is missing"),
    ("elements eccentricity 1", {"sensors.space_layers.1.elements.0.eccentricity": 1},
     "sensors.space_layers[1].elements[0].eccentricity", "less than 1"),
    ("elements perigee low", {"sensors.space_layers.1.elements.0.semi_major_axis_m": 6.4e6},
     "sensors.space_layers[1].elements[0].semi_major_axis_m", "perigee altitude"),
    ("elements inclination negative", {"sensors.space_layers.1.elements.0.inclination_deg": -1},
     "sensors.space_layers[1].elements[0].inclination_deg", "at least 0"),
    ("elements empty", {"sensors.space_layers.1.elements": []},
     "sensors.space_layers[1].elements", "must list at least one satellite"),
    ("walker and elements", {"sensors.space_layers.1.walker": {
        "total": 4, "planes": 1, "altitude_m": 1e6, "inclination_deg": 50}},
     "sensors.space_layers[1]", "give exactly one of walker, tle_file, elements"),
    ("tle file missing", {"sensors.space_layers.2.tle_file": "no_such.tle"},
     "sensors.space_layers[2].tle_file", "file not found"),
    ("tle age zero", {"sensors.space_layers.2.max_tle_age_days": 0},
     "sensors.space_layers[2].max_tle_age_days", "greater than 0"),
    # ---- radars
    ("radar site missing", {"sensors.radars.0.site": DELETE}, "sensors.radars[0].site",
     "required field is missing"),
    ("radar site high", {"sensors.radars.0.site.alt_m": 10000}, "sensors.radars[0].site.alt_m",
     "[-500, 9,000]"),
    ("radar elevation 90", {"sensors.radars.0.min_elevation_deg": 90},
     "sensors.radars[0].min_elevation_deg", "less than 90"),
    ("radar range zero", {"sensors.radars.0.max_range_m": 0}, "sensors.radars[0].max_range_m",
     "greater than 0"),
    ("radar revisit 1 ms", {"sensors.radars.0.revisit_s": 0.001}, "sensors.radars[0].revisit_s",
     "at least 0.01 s"),
    ("radar pfa zero", {"sensors.radars.0.pfa": 0}, "sensors.radars[0].pfa", "greater than 0"),
    ("radar swerling 5", {"sensors.radars.0.swerling": 5}, "sensors.radars[0].swerling",
     "must be one of 0, 1, 2, 3, 4"),
    ("radar reference range zero", {"sensors.radars.0.reference.range_m": 0},
     "sensors.radars[0].reference.range_m", "greater than 0"),
    ("radar noise floor 2", {"sensors.radars.0.noise.floor_fraction": 2},
     "sensors.radars[0].noise.floor_fraction", "between 0 and 1"),
    ("radar preset unknown", {"sensors.radars.1.preset": "sband"}, "sensors.radars[1].preset",
     "must be one of xband_long_range"),
    ("radar preset a mapping", {"sensors.radars.1.preset": {"name": "x"}},
     "sensors.radars[1].preset", "must be one of xband_long_range"),
    ("sensor id shared", {"sensors.radars.0.id": "leo"}, "sensors.radars[0].id",
     "duplicate sensor id (already used by sensors.space_layers[0])"),
    # ---- coverage
    ("coverage grid zero", {"coverage.grid_deg": 0}, "coverage.grid_deg", "greater than 0"),
    ("coverage grid 100", {"coverage.grid_deg": 100}, "coverage.grid_deg", "at most 90"),
    ("coverage latitudes reversed", {"coverage.region.lat_max_deg": -70},
     "coverage.region.lat_max_deg", "greater than lat_min_deg = -60"),
    ("coverage longitude 400", {"coverage.region.lon_max_deg": 400},
     "coverage.region.lon_max_deg", "at most 360"),
    ("coverage altitude negative", {"coverage.altitude_m": -1}, "coverage.altitude_m",
     "at least 0"),
    ("coverage end before start", {"coverage.end_s": 0}, "coverage.end_s", "greater than 0"),
    ("coverage start negative", {"coverage.start_s": -1}, "coverage.start_s", "at least 0"),
    # ---- tracking
    ("tracking filter unknown", {"tracking.filter": "kalman"}, "tracking.filter",
     "must be one of imm, ekf, ukf"),
    ("tracking motion unknown", {"tracking.motion": "zigzag"}, "tracking.motion",
     "must be one of ncv, nca, singer, hypersonic, maneuver"),
    ("tracking imm model unknown", {"tracking.imm_models": ["ncv", "foo"]},
     "tracking.imm_models[1]", "must be one of ncv"),
    ("tracking gate probability 1.5", {"tracking.gate_probability": 1.5},
     "tracking.gate_probability", "less than 1"),
    ("tracking pd zero", {"tracking.pd": 0}, "tracking.pd", "greater than 0"),
    ("tracking association unknown", {"tracking.association": "mht"}, "tracking.association",
     "must be one of gnn, jpda"),
    ("tracking angle_only maybe", {"tracking.angle_only": "maybe"}, "tracking.angle_only",
     "must be true or false"),
    ("tracking angle_only on", {"tracking.angle_only": "on"}, "tracking.angle_only",
     "must be true or false"),
    ("tracking unknown field", {"tracking.filtre": "imm"}, "tracking.filtre",
     "did you mean 'filter'?"),
    # ---- weapons
    ("weapon type unknown", {"weapons.0.type": "laser"}, "weapons[0].type",
     "must be one of railgun, interceptor"),
    ("weapon id missing", {"weapons.0.id": DELETE}, "weapons[0].id", "required field"),
    ("weapon site missing", {"weapons.0.site": DELETE}, "weapons[0].site", "required field"),
    ("weapon id duplicated", {"weapons.1.id": "rg"}, "weapons[1].id", "duplicate id"),
    ("magazine zero", {"weapons.0.magazine": 0}, "weapons[0].magazine", "at least 1"),
    ("salvo of 17", {"weapons.0.salvo_size": 17}, "weapons[0].salvo_size", "between 1 and 16"),
    ("salvo interval zero", {"weapons.0.salvo_interval_s": 0}, "weapons[0].salvo_interval_s",
     "greater than 0"),
    ("railgun preset unknown", {"weapons.0.preset": "big"}, "weapons[0].preset",
     "must be one of atla_40mm, us_navy_emrg"),
    ("muzzle speed 9 km/s", {"weapons.0.muzzle_speed_mps": 9000},
     "weapons[0].muzzle_speed_mps", "greater than 0 and at most 8000"),
    ("gun elevations reversed", {"weapons.0.max_elevation_deg": 4},
     "weapons[0].min_elevation_deg", "max_elevation_deg"),
    ("divert negative", {"weapons.0.max_divert_g": -1}, "weapons[0].max_divert_g",
     "at least 0"),
    ("pk max zero", {"weapons.0.pk_max": 0}, "weapons[0].pk_max", "greater than 0"),
    ("intercept altitudes reversed", {"weapons.0.max_intercept_alt_m": 500},
     "weapons[0].min_intercept_alt_m", "must be below max_intercept_alt_m = 500"),
    ("nav ratio 2", {"weapons.1.nav_ratio": 2}, "weapons[1].nav_ratio", "greater than 2"),
    ("guidance law unknown", {"weapons.1.guidance_law": "pursuit"},
     "weapons[1].guidance_law", "must be one of pn, apn"),
    ("interceptor field on a railgun", {"weapons.0.nav_ratio": 4}, "weapons[0].nav_ratio",
     "unknown field"),
    # ---- fire control
    ("doctrine unknown", {"fire_control.doctrine": "pray"}, "fire_control.doctrine",
     "must be one of salvo, shoot_look_shoot, required_pk"),
    ("required pk 1", {"fire_control.required_pk": 1}, "fire_control.required_pk",
     "less than 1"),
    ("cadence zero", {"fire_control.cadence_s": 0}, "fire_control.cadence_s", "greater than 0"),
    ("prediction model unknown", {"fire_control.motion_model": "x"},
     "fire_control.motion_model", "must be one of ncv, ballistic"),
    ("min pk 1", {"fire_control.min_pk": 1}, "fire_control.min_pk", "less than 1"),
    ("asset weight 0.5", {"fire_control.asset_weight": 0.5}, "fire_control.asset_weight",
     "at least 1"),
    ("fire control unknown field", {"fire_control.cadense_s": 1}, "fire_control.cadense_s",
     "did you mean 'cadence_s'?"),
    # ---- defended assets
    ("asset id missing", {"defended_assets.0.id": DELETE}, "defended_assets[0].id",
     "required field is missing"),
    ("asset latitude 100", {"defended_assets.0.lat_deg": 100}, "defended_assets[0].lat_deg",
     "between -90 and 90"),
    ("asset radius negative", {"defended_assets.0.radius_m": -1}, "defended_assets[0].radius_m",
     "at least 0"),
    ("asset id with ESC", {"defended_assets.0.id": "c\x1bity"}, "defended_assets[0].id",
     r"'c\x1bity': must not contain control characters"),
    # ---- campaign
    ("campaign runs zero", {"campaign.runs": 0}, "campaign.runs", "at least 1"),
    ("campaign seed negative", {"campaign.seed": -1}, "campaign.seed", "at least 0"),
    ("campaign batch zero", {"campaign.batch": 0}, "campaign.batch", "at least 1"),
    ("campaign workers zero", {"campaign.workers": 0}, "campaign.workers", "at least 1"),
    ("campaign normal sd negative",
     {"campaign.vary": {"seed": {"normal": {"mean": 1, "sd": -1}}}},
     "campaign.vary.seed.normal.sd", "at least 0"),
    ("campaign uniform reversed",
     {"campaign.vary": {"seed": {"uniform": {"low": 2, "high": 1}}}},
     "campaign.vary.seed.uniform", "must be greater than low"),
    ("campaign vary empty", {"campaign.vary": {"seed": {}}}, "campaign.vary.seed",
     "give exactly one of normal, uniform, choice, list"),
    ("campaign choice empty", {"campaign.vary": {"seed": {"choice": []}}},
     "campaign.vary.seed.choice", "at least 1 item"),
]


def scenario(changes: dict[str, Any]) -> dict[str, Any]:
    """BASE with each dotted path set (or deleted); list items by index (``threats.0.id``)."""
    data = copy.deepcopy(BASE)
    for path, value in changes.items():
        *head, last = [int(k) if k.isdigit() else k for k in path.split(".")]
        node: Any = data
        for key in head:
            node = node[key]
        if value is DELETE:
            del node[last]
        else:
            node[last] = copy.deepcopy(value)
    return data


class _Dumper(yaml.SafeDumper):
    """Writes shared values out in full: a scenario may not use anchors or aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def key_line(text: str, path: str) -> int:
    """The 1-based line of the deepest part of ``path`` found in the YAML ``text`` (a mapping
    key's line, or a list item's first line), by PyYAML's composer."""
    node = yaml.compose(text)
    line = 1
    for part in path.replace("[", ".").replace("]", "").split("."):
        if isinstance(node, yaml.MappingNode):
            match = [(k, v) for k, v in node.value if k.value == part]
            if not match:
                break
            line, node = match[0][0].start_mark.line + 1, match[0][1]
        elif isinstance(node, yaml.SequenceNode) and part.isdigit():
            if int(part) >= len(node.value):
                break
            node = node.value[int(part)]
            line = node.start_mark.line + 1
        else:
            break
    return line


def validate(tmp_path: Path, data: dict[str, Any]) -> tuple[str, Any]:
    text = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=False)
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return text, runner.invoke(app, ["validate", str(path)])


def test_there_are_enough_rows():
    assert len(ROWS) >= 100
    assert len({r[0] for r in ROWS}) == len(ROWS)


def test_base_is_valid(tmp_path):
    _, result = validate(tmp_path, BASE)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: table: 3 threats, 3 space layers, 2 radars")


@pytest.mark.parametrize(("changes", "path", "allowed"), [r[1:] for r in ROWS],
                         ids=[r[0] for r in ROWS])
def test_one_bad_field_one_located_line(tmp_path, changes, path, allowed):
    text, result = validate(tmp_path, scenario(changes))
    output = result.output
    assert result.exit_code == 2, output
    assert "Traceback" not in output and result.exception is None or isinstance(
        result.exception, SystemExit), output
    assert "\x1b" not in output and all(line.isprintable() for line in output.splitlines())
    head, *problems = output.rstrip("\n").split("\n")
    assert head.endswith(": 1 problem:"), output
    assert len(problems) == 1, output
    line = problems[0].strip()
    assert line.startswith((path + " = ", path + ": ")), output
    assert allowed in line, output
    if "." in path or "[" in path or changes.get(path) is not DELETE:
        assert line.endswith(f"(line {key_line(text, path)})"), (key_line(text, path), output)
    else:  # a missing top-level field has no line of its own
        assert not line.endswith(")"), output


# ---------------------------------------------------------------------------------------------
# Control characters are escaped in every error the command prints
# ---------------------------------------------------------------------------------------------


def test_yaml_escapes_in_a_name_and_an_id_are_shown_escaped(tmp_path):
    """``name: "x\\e[2J"`` and an id with a newline (YAML escapes, so the file itself is clean
    text): one line each, the characters written as escapes, no raw ESC byte."""
    path = tmp_path / "s.yaml"
    path.write_text('name: "x\\e[2J"\nthreats:\n  - {id: "a\\nb", type: cruise}\n')
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "\x1b" not in result.output and "a\nb" not in result.output
    assert r"name = 'x\x1b[2J': must not contain control characters (found '\x1b') (line 1)" \
        in result.output
    assert r"threats[0].id = 'a\nb': must not contain control characters (found '\n') (line 3)" \
        in result.output


def test_fail_escapes_what_other_errors_quote(tmp_path):
    """A ValueError whose text holds a raw escape (here a folder's path, quoted as it is by
    ``hdsim campaign summary``) is printed escaped; so are the paths of the other commands."""
    bad = tmp_path / "x\x1b[2Jrun\rover"
    result = runner.invoke(app, ["campaign", "summary", str(bad)])
    assert result.exit_code == 2, result.output
    assert "\x1b" not in result.output and "\r" not in result.output
    assert r"x\x1b[2Jrun\rover: not an hdsim campaign folder" in result.output
    result = runner.invoke(app, ["report", str(bad)])
    assert result.exit_code == 2, result.output
    assert "\x1b" not in result.output and "\r" not in result.output
    validate_result = runner.invoke(app, ["validate", str(tmp_path / "s\x1b]0;t\x07.yaml")])
    assert validate_result.exit_code == 2
    assert "\x1b" not in validate_result.output and "\x07" not in validate_result.output


def test_fail_keeps_the_lines_of_a_message():
    import typer

    import hdsim.cli as cli

    with runner.isolation() as streams:
        exit_ = cli._fail("first \x1b[31mred\nsecond\tline")
        err = streams[1] if streams[1] is not None else streams[0]  # stderr
        text = err.getvalue().decode()
    assert isinstance(exit_, typer.Exit) and exit_.exit_code == 2
    assert text.splitlines() == [r"first \x1b[31mred", r"second\tline"]
