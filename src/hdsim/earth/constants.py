"""Physical constants of the Earth model (SI units).

Sources:
- WGS-84 semi-major axis and flattening: NIMA TR8350.2, 3rd ed. (2000), Table 3.1.
- ``MU_M3PS2``: WGS-84 GM including the atmosphere, TR8350.2 Table 3.1 (3.986004418e14 m^3/s^2).
- ``J2``: EGM-96 / Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed., Table D-1
  (J2 = 0.0010826267); the value here is the one used in the design contract.
- ``OMEGA_EARTH_RADPS``: WGS-84 nominal mean angular velocity, TR8350.2 Table 3.1
  (7.292115e-5 rad/s).
- ``G0_MPS2``: standard gravity (CGPM 1901), 9.80665 m/s^2.
"""

from __future__ import annotations

WGS84_A_M: float = 6378137.0
"""WGS-84 semi-major (equatorial) axis, m."""

WGS84_F: float = 1.0 / 298.257223563
"""WGS-84 flattening, dimensionless."""

POLAR_RADIUS_M: float = 6356752.3
"""WGS-84 semi-minor (polar) axis ``b = a (1 - f)`` = 6,356,752.314 m (TR8350.2 Table 3.3),
to 0.1 m: the smallest radius of the ellipsoid, the floor of tracker altitudes (angle-only
placement, rejection of triangulated ghosts below ground)."""

SPHERE_RADIUS_M: float = 6371000.0
"""Radius of the spherical Earth model (mean radius), m."""

MU_M3PS2: float = 3.986004418e14
"""Earth gravitational parameter GM, m^3/s^2."""

J2: float = 1.08262668e-3
"""Second zonal harmonic (unnormalized), dimensionless."""

OMEGA_EARTH_RADPS: float = 7.292115e-5
"""Earth rotation rate, rad/s."""

G0_MPS2: float = 9.80665
"""Standard gravity, m/s^2."""

__all__ = [
    "G0_MPS2",
    "J2",
    "MU_M3PS2",
    "OMEGA_EARTH_RADPS",
    "POLAR_RADIUS_M",
    "SPHERE_RADIUS_M",
    "WGS84_A_M",
    "WGS84_F",
]
