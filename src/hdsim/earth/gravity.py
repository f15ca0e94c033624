"""Gravitational acceleration of the Earth: point mass plus the J2 zonal harmonic.

Reference: Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed. (2013), eq. 8-30
(also Curtis, *Orbital Mechanics for Engineering Students*, eq. 12.30). The potential is
``U = -μ/r [1 - J2 (R/r)² P2(sin φ)]`` with ``P2(x) = (3x² - 1)/2`` and geocentric latitude φ;
the acceleration is ``-∇U``. Gravitation only: the centrifugal term of a rotating frame is not
included (the dynamics add it).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.earth.constants import J2, MU_M3PS2, WGS84_A_M


def gravity_ecef(
    pos_ecef: ArrayLike,
    mu: float = MU_M3PS2,
    j2: float = J2,
    r_eq_m: float = WGS84_A_M,
) -> NDArray[np.float64]:
    """Gravitational acceleration (m/s²) at ECEF positions, point mass + J2.

    ``a = -μ r/|r|³ - (3/2) J2 μ R²/|r|⁵ [x (1 - 5z²/r²), y (1 - 5z²/r²), z (3 - 5z²/r²)]``.

    Args:
        pos_ecef: position, ``(..., 3)``, m (any Earth-centred frame with z on the spin axis).
        mu: gravitational parameter, m³/s².
        j2: J2 coefficient (0 for a point mass).
        r_eq_m: reference (equatorial) radius of the J2 term, m.

    Returns:
        Acceleration, ``(..., 3)``, m/s². The origin gives non-finite values.
    """
    pos = np.asarray(pos_ecef, dtype=np.float64)
    r2 = np.einsum("...i,...i->...", pos, pos)
    r = np.sqrt(r2)
    with np.errstate(divide="ignore", invalid="ignore"):
        k = -mu / (r2 * r)
        if j2 == 0.0:
            return k[..., None] * pos
        z2_r2 = pos[..., 2] ** 2 / r2
        c = 1.5 * j2 * (r_eq_m * r_eq_m) / r2
        fxy = k * (1.0 + c * (1.0 - 5.0 * z2_r2))
        fz = k * (1.0 + c * (3.0 - 5.0 * z2_r2))
    return np.stack([fxy * pos[..., 0], fxy * pos[..., 1], fz * pos[..., 2]], axis=-1)
