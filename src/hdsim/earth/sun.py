"""Low-precision position of the Sun (Astronomical Almanac formula), ECI and ECEF.

Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed. (2013), Algorithm 29
(from the *Astronomical Almanac*), valid 1950-2050 to about 0.01°::

    T       = Julian centuries of UT1 since J2000 (TDB taken = UT1: < 70 s, ~1e-6 deg here)
    λ_M     = 280.460°      + 36000.771 T          mean longitude
    M       = 357.5291092°  + 35999.05034 T        mean anomaly
    λ_ecl   = λ_M + 1.914666471° sin M + 0.019994643° sin 2M
    r       = 1.000140612 − 0.016708617 cos M − 0.000139589 cos 2M   (AU)
    ε       = 23.439291° − 0.0130042° T            obliquity of the ecliptic
    r_sun   = r (cos λ_ecl, cos ε sin λ_ecl, sin ε sin λ_ecl)        (AU, mean equator of date)

The result is in the mean-of-date equatorial frame; hdsim's ECI (GMST rotation of ECEF, TEME
up to the equation of the equinoxes, see :mod:`hdsim.earth.rotation`) differs from it by less
than 1e-4 rad, well inside the formula's own 0.01°. For sensor geometry (sun exclusion angles of
degrees) this is ample. The Earth-to-Sun vector is returned; from a satellite the parallax is at
most ``|r_sat| / 1 AU`` (3e-4 rad at GEO).
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.earth.rotation import eci_to_ecef, julian_date

AU_M: float = 149_597_870_700.0
"""Astronomical unit (IAU 2012 Resolution B2, exact), m."""

_J2000_JD = 2451545.0
_SECONDS_PER_DAY = 86400.0

__all__ = ["AU_M", "sun_position_ecef", "sun_position_eci"]


def sun_position_eci(t_s: ArrayLike, epoch: datetime) -> NDArray[np.float64]:
    """Earth-to-Sun vector in ECI (mean equator of date), m, shape ``shape(t_s) + (3,)``.

    Vallado (2013) Algorithm 29 (module docstring), ~0.01° in direction.

    Args:
        t_s: seconds since ``epoch``, any shape.
        epoch: timezone-aware UTC datetime (UT1 and TDB taken = UTC).
    """
    jd, fr = julian_date(epoch)
    t = np.asarray(t_s, dtype=np.float64)
    cent = ((jd - _J2000_JD) + (fr + t / _SECONDS_PER_DAY)) / 36525.0
    mean_lon = np.radians(np.mod(280.460 + 36000.771 * cent, 360.0))
    mean_anom = np.radians(np.mod(357.5291092 + 35999.05034 * cent, 360.0))
    ecl_lon = (mean_lon + np.radians(1.914666471) * np.sin(mean_anom)
               + np.radians(0.019994643) * np.sin(2.0 * mean_anom))
    dist_au = (1.000140612 - 0.016708617 * np.cos(mean_anom)
               - 0.000139589 * np.cos(2.0 * mean_anom))
    obliquity = np.radians(23.439291 - 0.0130042 * cent)
    sin_l = np.sin(ecl_lon)
    r = dist_au * AU_M
    return np.stack([r * np.cos(ecl_lon), r * np.cos(obliquity) * sin_l,
                     r * np.sin(obliquity) * sin_l], axis=-1)


def sun_position_ecef(t_s: ArrayLike, epoch: datetime) -> NDArray[np.float64]:
    """Earth-to-Sun vector in ECEF, m, shape ``shape(t_s) + (3,)``.

    :func:`sun_position_eci` rotated by GMST (:func:`hdsim.earth.eci_to_ecef`).
    """
    t = np.asarray(t_s, dtype=np.float64)
    return eci_to_ecef(sun_position_eci(t, epoch), t, epoch)
