"""Hypersonic cruise missile: Mach 6 at 28 km on the full Earth.

Oracle for the speed of sound: ``ambiance`` (ICAO 1993 standard atmosphere, identical to the
U.S. Standard Atmosphere 1976 below 80 km geopotential); at 28 km geometric altitude
(27,877 m geopotential, T = 224.53 K) a = 300.39 m/s.  During the ``cruise`` phase the speed
must be within 1 % of Mach 6 there and the geodetic altitude within 500 m of 28 km; the dive
ends within 1 km of the target (measured: < 1 mm; speed within 0.01 %; altitude within 250 m,
which is where the cruise phase begins, and within 1 m once settled).
"""

import numpy as np
import pytest
from ambiance import Atmosphere as AmbianceAtmosphere

from hdsim.earth import EarthModel, ecef_to_geodetic, geodetic_to_ecef
from hdsim.threats import PHASES, ThreatSpec, fly_threats, vehicle_preset

D = np.radians


@pytest.mark.parametrize("target_deg", [(36.0, 68.0)])
def test_mach6_cruise(target_deg):
    spec = ThreatSpec("hcm", "cruise", D(30.0), D(60.0), D(target_deg[0]), D(target_deg[1]),
                      vehicle_preset("hcm_generic"), cruise_mach=6.0, cruise_alt_m=28_000.0)
    tr = fly_threats([spec], EarthModel(), dt_s=0.5, record_every=2)[0]
    sound = float(AmbianceAtmosphere(28_000.0).speed_of_sound[0])
    names = np.array([PHASES[p] for p in tr.phase])
    cruise = names == "cruise"
    assert cruise.sum() * 1.0 > 100.0  # at least 100 s of cruise (nodes every 1 s)
    speed = np.linalg.norm(tr.states[cruise, 3:], axis=1)
    alt = ecef_to_geodetic(tr.states[cruise, :3])[2]
    assert np.all(np.abs(speed - 6.0 * sound) <= 0.01 * 6.0 * sound)
    assert np.all(np.abs(alt - 28_000.0) <= 500.0)
    seq = [names[0]] + [b for a, b in zip(names, names[1:], strict=False) if a != b]
    assert seq == ["boost", "cruise", "terminal", "impact"]
    target = geodetic_to_ecef(spec.target_lat_rad, spec.target_lon_rad, 0.0)
    assert tr.impacted
    assert np.linalg.norm(tr.states[-1, :3] - target) < 1000.0
