"""Railgun presets carry the published figures, and the battery limits reach the weapon.

Oracles: the published muzzle energies (US Navy EMRG 2008 record shot, 10.64 MJ with 3.35 kg at
2,520 m/s; ATLA 40 mm, 320 g at 2,230 m/s, 0.796 MJ) from ``m v² / 2``; a solid steel rod
of 3.35 kg, 6 diameters long, is 4.5 cm across (``m = ρ π d²/4 · 6 d``).
"""

from __future__ import annotations

import math

import pytest

from hdsim.engagement.railgun import RAILGUN_PRESETS, muzzle_energy_j
from hdsim.scenario import build
from hdsim.scenario.config import RailgunConfig
from hdsim.scenario.loading import ScenarioError, scenario_from_dict

SITE = {"lat_deg": 35.6, "lon_deg": 139.6, "alt_m": 5}


@pytest.mark.parametrize(("name", "energy_mj"), [("us_navy_emrg", 10.64), ("atla_40mm", 0.796)])
def test_preset_muzzle_energy_is_the_published_one(name, energy_mj):
    p = RAILGUN_PRESETS[name]
    e = muzzle_energy_j(p["projectile_mass_kg"], p["muzzle_speed_mps"]) / 1e6
    assert e == pytest.approx(energy_mj, rel=0.005)


def test_emrg_diameter_is_a_steel_rod_of_the_published_mass():
    m = RAILGUN_PRESETS["us_navy_emrg"]["projectile_mass_kg"]
    d = (m / (7850.0 * math.pi / 4.0 * 6.0)) ** (1.0 / 3.0)
    assert RAILGUN_PRESETS["us_navy_emrg"]["diameter_m"] == pytest.approx(d, abs=5e-4)


def test_preset_fields_reach_the_weapon_and_can_be_overridden():
    cfg = RailgunConfig(id="g", type="railgun", preset="us_navy_emrg", site=SITE,
                        magazine=12)
    w = build.weapon(cfg)
    assert w.params.muzzle_speed_mps == 2520.0 and w.params.mass_kg == 3.35
    assert w.params.guided is True
    assert w.rail_life_rounds == 1000
    assert w.reload_s >= 6.0 and w.salvo_interval_s >= 6.0     # 10 rounds a minute
    assert w.magazine == 12
    cfg2 = RailgunConfig(id="g", type="railgun", preset="atla_40mm", site=SITE,
                         muzzle_speed_mps=2297.0)
    w2 = build.weapon(cfg2)
    assert w2.params.muzzle_speed_mps == 2297.0 and w2.params.guided is False
    assert w2.rail_life_rounds == 120


def test_unknown_preset_is_a_located_error():
    data = {"name": "x", "epoch": "2027-03-01T00:00:00Z", "duration_s": 10,
            "threats": [], "weapons": [{"id": "g", "type": "railgun", "preset": "atla",
                                        "site": SITE}]}
    with pytest.raises(ScenarioError) as err:
        scenario_from_dict(data)
    assert "weapons[0].preset" in str(err.value) and "atla_40mm" in str(err.value)


def test_pk_max_sets_the_kill_model():
    cfg = RailgunConfig(id="g", type="railgun", site=SITE, pk_max=0.7, lethal_radius_m=2.0)
    km = build.weapon(cfg).kill_model
    assert km.pk_max == 0.7 and km.lethal_radius_m == 2.0
    assert km.pk([1.0, 3.0]).tolist() == [0.7, 0.0]
