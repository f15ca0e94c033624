"""Campaign plans (which draws, seeds and values) and the Wilson interval.

Oracles: Newcombe (1998), "Two-sided confidence intervals for the single proportion",
Stat. Med. 17:857-872, Table II, method 3 (Wilson score): 81/263 → [0.2553, 0.3662],
15/148 → [0.0624, 0.1605], 0/20 → [0, 0.1611], 1/29 → [0.0061, 0.1718]; and numpy's own
``SeedSequence``/``Generator`` for the draws' seeds and values.
"""

from __future__ import annotations

import numpy as np
import pytest

from hdsim.campaign.plan import check_vary, plan_draws
from hdsim.campaign.summary import wilson_interval
from hdsim.scenario import ScenarioError
from hdsim.scenario.build import id_words
from hdsim.scenario.config import CampaignSection

BASE = {
    "name": "plan", "duration_s": 600, "seed": 3,
    "threats": [{"id": "bm-1", "type": "ballistic", "launch": {"lat_deg": 35, "lon_deg": 130},
                 "target": {"lat_deg": 36, "lon_deg": 133},
                 "burnout": {"aim": "minimum_energy", "altitude_m": 40000, "burn_time_s": 40},
                 "vehicle": "rv_generic"}],
    "weapons": [{"id": "rg-1", "type": "railgun", "site": {"lat_deg": 36, "lon_deg": 133},
                 "muzzle_speed_mps": 2300}],
}


@pytest.mark.parametrize(("x", "n", "lo", "hi"), [(81, 263, 0.2553, 0.3662),
                                                  (15, 148, 0.0624, 0.1605),
                                                  (0, 20, 0.0, 0.1611),
                                                  (1, 29, 0.0061, 0.1718)])
def test_wilson_interval_against_newcombe_1998(x, n, lo, hi):
    a, b = wilson_interval(x, n)
    assert round(float(a), 4) == lo and round(float(b), 4) == hi


def test_wilson_interval_without_runs_is_nan():
    a, b = wilson_interval([0], [0])
    assert np.isnan(a[0]) and np.isnan(b[0])


def _section(**vary):
    return CampaignSection(runs=3, seed=42, vary=vary)


def test_grid_of_sweeps_and_common_random_numbers():
    sec = _section(**{"weapons.rg-1.muzzle_speed_mps": {"list": [2000, 2600]},
                      "threats.bm-1.burnout.altitude_m": {"list": [30000, 40000, 50000]},
                      "threats.bm-1.launch_time_s": {"uniform": {"low": 0, "high": 30}}})
    draws = plan_draws(sec, scenario_seed=3)
    assert len(draws) == 2 * 3 * 3 and len({d.run_id for d in draws}) == 18
    # paths sorted: altitude first, so grid point 1 = (30 km, 2600 m/s)
    assert draws[3].values["threats.bm-1.burnout.altitude_m"] == 30000
    assert draws[3].values["weapons.rg-1.muzzle_speed_mps"] == 2600
    # draw r has the same seed and random values at every grid point
    for d in draws:
        ref = draws[d.draw]
        assert d.seed == ref.seed
        assert d.values["threats.bm-1.launch_time_s"] == ref.values["threats.bm-1.launch_time_s"]
    # the documented derivation
    ss = np.random.SeedSequence(42, spawn_key=(1, 0))
    assert draws[1].seed == int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))
    rng = np.random.default_rng(np.random.SeedSequence(
        42, spawn_key=(1, 1, *id_words("threats.bm-1.launch_time_s"))))
    assert draws[1].values["threats.bm-1.launch_time_s"] == rng.uniform(0, 30)


def test_adding_a_varied_field_keeps_the_others_draws():
    a = plan_draws(_section(**{"threats.bm-1.launch_time_s": {"normal": {"mean": 10, "sd": 2}}}), 3)
    b = plan_draws(_section(**{"threats.bm-1.launch_time_s": {"normal": {"mean": 10, "sd": 2}},
                               "weapons.rg-1.muzzle_speed_mps": {"choice": [2000, 2400]}}), 3)
    assert [d.values["threats.bm-1.launch_time_s"] for d in a] == \
        [d.values["threats.bm-1.launch_time_s"] for d in b]
    assert {d.values["weapons.rg-1.muzzle_speed_mps"] for d in b} <= {2000, 2400}
    # the campaign seed defaults to the scenario's
    c = plan_draws(CampaignSection(runs=2), 3)
    d = plan_draws(CampaignSection(runs=2, seed=3), 3)
    assert [x.seed for x in c] == [x.seed for x in d]


def test_bad_paths_and_supports_are_named_before_anything_runs():
    sec = _section(**{"weapons.rg-9.muzzle_speed_mps": {"list": [2000]},
                      "weapons.rg-1.muzzle_speed_mps": {"normal": {"mean": 500, "sd": 200}},
                      "threats.bm-1.burnout.altitude_m": {"uniform": {"low": 1e4, "high": 3e4}},
                      "seed": {"list": [1, 2]}})
    with pytest.raises(ScenarioError) as err:
        check_vary(BASE, sec, source="c.yaml")
    text = str(err.value)
    assert "campaign.vary.weapons.rg-9.muzzle_speed_mps" in text and "rg-9" in text
    assert ("campaign.vary.weapons.rg-1.muzzle_speed_mps: normal reaches -300.0, which is not "
            "allowed: weapons[0].muzzle_speed_mps = -300.0") in text
    assert "campaign.vary.seed: cannot be varied" in text
    assert "altitude_m" not in text  # an allowed range is not a problem


def test_distribution_fields_are_validated():
    with pytest.raises(ValueError, match="exactly one of normal, uniform, choice, list"):
        CampaignSection(vary={"x": {"normal": {"mean": 1, "sd": 1}, "list": [1]}})
    with pytest.raises(ValueError, match="high = 1 must be greater than low = 2"):
        CampaignSection(vary={"x": {"uniform": {"low": 2, "high": 1}}})
    with pytest.raises(ValueError, match="greater than or equal to 0"):
        CampaignSection(vary={"x": {"normal": {"mean": 1, "sd": -1}}})
