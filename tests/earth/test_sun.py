"""Low-precision Sun position against published values.

Oracles:
- Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed. (2013), Example 5-1:
  2006-04-02 00:00 UTC (JD 2453827.5) -> r_sun = (0.9771945, 0.1924424, 0.0834308) AU, mean
  equator of date (the same tolerance of 2e-6 AU per component as SatelliteToolbox.jl's test
  of its implementation of the algorithm).
- The 2024 equinoxes and solstices (U.S. Naval Observatory, "Earth's Seasons and Apsides"):
  Mar 20 03:06, Jun 20 20:51, Sep 22 12:44, Dec 21 09:21 UTC — the Sun's declination is 0 or
  ±ε and its right ascension 0h/6h/12h/18h. Perihelion Jan 3 00:38 UTC (0.98331 AU) and aphelion
  Jul 5 05:06 UTC (1.01673 AU), 2024, same source.
- sgp4's ``gstime`` (IAU-82 GMST) for the ECI -> ECEF step; the equation of time of
  2024-03-20 (-7.5 min, NOAA solar calculator) for the sub-solar longitude.
"""

from datetime import UTC, datetime

import numpy as np
import pytest
from sgp4.api import jday
from sgp4.propagation import gstime

from hdsim.earth import sun_position_ecef, sun_position_eci
from hdsim.earth.sun import AU_M

SEASONS_2024 = [  # (UTC, declination sign, right ascension deg)
    (datetime(2024, 3, 20, 3, 6, tzinfo=UTC), 0, 0.0),
    (datetime(2024, 6, 20, 20, 51, tzinfo=UTC), 1, 90.0),
    (datetime(2024, 9, 22, 12, 44, tzinfo=UTC), 0, 180.0),
    (datetime(2024, 12, 21, 9, 21, tzinfo=UTC), -1, 270.0),
]


def _ra_dec_deg(r):
    return (np.degrees(np.arctan2(r[..., 1], r[..., 0])) % 360.0,
            np.degrees(np.arcsin(r[..., 2] / np.linalg.norm(r, axis=-1))))


def test_against_vallado_example_5_1():
    r = sun_position_eci(0.0, datetime(2006, 4, 2, tzinfo=UTC)) / AU_M
    np.testing.assert_allclose(r, [0.9771945, 0.1924424, 0.0834308], atol=2e-6)


@pytest.mark.parametrize(("when", "sign", "ra_deg"), SEASONS_2024)
def test_equinoxes_and_solstices_2024(when, sign, ra_deg):
    ra, dec = _ra_dec_deg(sun_position_eci(0.0, when))
    # Mean obliquity of 2024 (IAU 1980 series, 23°26'21.448" - 46.815" T): 23.4361°.
    obliquity = 23.4392911 - 0.0130042 * 0.2446
    assert abs(dec - sign * obliquity) < 0.01  # deg; the formula's stated accuracy
    assert abs((ra - ra_deg + 180.0) % 360.0 - 180.0) < 0.01


def test_apsides_2024_distance():
    # The published instants are those of the Earth's centre, which the Moon moves by up to
    # ~1 day against the smooth series; the distance is what the formula must reproduce.
    r_peri = np.linalg.norm(sun_position_eci(0.0, datetime(2024, 1, 3, 0, 38, tzinfo=UTC)))
    r_aph = np.linalg.norm(sun_position_eci(0.0, datetime(2024, 7, 5, 5, 6, tzinfo=UTC)))
    assert abs(r_peri / AU_M - 0.98331) < 2e-4
    assert abs(r_aph / AU_M - 1.01673) < 2e-4


def test_ecef_is_eci_rotated_by_sgp4_gmst_and_subsolar_longitude():
    epoch = datetime(2024, 3, 20, 3, 6, tzinfo=UTC)
    t = np.linspace(0.0, 86400.0, 7)
    eci = sun_position_eci(t, epoch)
    ecef = sun_position_ecef(t, epoch)
    jd, fr = jday(2024, 3, 20, 3, 6, 0.0)
    theta = np.array([gstime(jd + fr + tk / 86400.0) for tk in t])
    lon_eci = np.arctan2(eci[:, 1], eci[:, 0])
    lon_ecef = np.arctan2(ecef[:, 1], ecef[:, 0])
    err = (lon_ecef - (lon_eci - theta) + np.pi) % (2 * np.pi) - np.pi
    assert np.max(np.abs(err)) < 1e-8  # rad; gstime takes one float64 Julian date
    np.testing.assert_allclose(ecef[:, 2], eci[:, 2], rtol=0, atol=1e-3)
    # Sub-solar longitude = 15°/h × (12 h − UTC − equation of time), EoT = −7.5 min.
    expected = 15.0 * (12.0 - (3.0 + 6.0 / 60.0) + 7.5 / 60.0)
    assert abs(np.degrees(lon_ecef[0]) - expected) < 0.2
