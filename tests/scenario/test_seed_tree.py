"""The run's seed tree is keyed by id: adding a sensor changes no other stream.

Oracle: numpy's own ``SeedSequence`` (a stream is ``SeedSequence(seed, spawn_key=...)``) and the
reports of a run without the added radar, which must come back identical.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from hdsim.scenario import scenario_from_dict
from hdsim.scenario.build import SEED_STREAMS, RunSeeds, build
from hdsim.scenario.run import fly_scenario_threats
from hdsim.scenario.stage_sensors import simulate_sensors

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def _draws(seq: np.random.SeedSequence) -> np.ndarray:
    return np.random.default_rng(seq).random(8)


def test_streams_do_not_depend_on_the_other_sensors():
    alone = RunSeeds(7, ("xband-1",))
    more = RunSeeds(7, ("leo", "xband-0", "xband-1"))
    np.testing.assert_array_equal(_draws(alone.sensor("xband-1")), _draws(more.sensor("xband-1")))
    np.testing.assert_array_equal(_draws(alone.engagement()), _draws(more.engagement()))
    assert alone.engagement().spawn_key == (SEED_STREAMS["engagement"],)
    # distinct ids, streams and seeds give distinct draws
    outs = [_draws(more.sensor(s)) for s in more.sensor_ids]
    outs += [_draws(more.engagement()), _draws(RunSeeds(8, ()).engagement()),
             _draws(more.threat("xband-1"))]
    assert len({o.tobytes() for o in outs}) == len(outs)


def test_unknown_sensor_is_an_error():
    with pytest.raises(KeyError, match="no sensor 'x'"):
        RunSeeds(1, ("a",)).sensor("x")


def test_adding_a_radar_keeps_the_other_sensors_reports():
    raw = yaml.safe_load((SCENARIOS / "hgv_defense.yaml").read_text())
    raw["duration_s"] = 700
    raw.pop("weapons"), raw.pop("fire_control"), raw.pop("defended_assets")
    base = scenario_from_dict(raw)
    extra = dict(raw, sensors=dict(raw["sensors"], radars=[
        {"id": "xband-0", "preset": "xband_long_range",
         "site": {"lat_deg": 38.0, "lon_deg": 132.0, "alt_m": 50}},
        *raw["sensors"]["radars"]]))
    more = scenario_from_dict(extra)

    def reports(scenario):
        comp = build(scenario)
        det = simulate_sensors(comp, fly_scenario_threats(scenario, comp)).detections
        names = np.asarray(det.sensor_ids, dtype=object)[det.sensor_idx]
        return det, names

    d0, n0 = reports(base)
    d1, n1 = reports(more)
    assert np.any(n1 == "xband-0"), "the added radar should see the threat"
    keep = n1 != "xband-0"
    assert keep.sum() == len(d0) > 0
    np.testing.assert_array_equal(n1[keep], n0)
    np.testing.assert_array_equal(d1.t_s[keep], d0.t_s)
    np.testing.assert_array_equal(d1.truth_idx[keep], d0.truth_idx)
    np.testing.assert_array_equal(d1.z[keep], d0.z)
