"""Analytic orbit propagation: two-body and J2 secular (mean-element) drift.

The J2 model keeps a, e, i constant and lets Ω, ω and M drift at their first-order secular rates
(Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed., eq. 9-41 and Algorithm 65
PKEPLER; Curtis, *Orbital Mechanics for Engineering Students*, 3rd ed., eqs. 4.52-4.53):

    Ω̇ = -3/2 n J2 (R/p)² cos i
    ω̇ = +3/4 n J2 (R/p)² (5 cos² i - 1)
    Ṁ = n [1 + 3/4 J2 (R/p)² sqrt(1 - e²) (3 cos² i - 1)]

with ``n = sqrt(mu / a³)`` and ``p = a (1 - e²)``. Short-period terms (amplitude ~J2 (R/a)² a,
a few km in LEO) are not modelled, so the elements are *mean* elements. ``j2=0`` gives two-body
motion.

The returned velocity is the exact time derivative of the returned position (so positions and
velocities are consistent for interpolation and range-rate):

    v = v_2body (Ṁ / n) + ω̇ (W × r) + Ω̇ (z × r)

It differs from the two-body velocity of the current mean elements by the drift terms, about
10 m/s in LEO.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.earth.constants import J2, MU_M3PS2, WGS84_A_M
from hdsim.space.elements import KeplerElements, kepler_to_eci, orbit_normal


def j2_secular_rates(
    elements: KeplerElements,
    mu: float = MU_M3PS2,
    j2: float = J2,
    r_eq_m: float = WGS84_A_M,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """First-order J2 secular rates ``(raan_dot, argp_dot, mean_anomaly_dot)``, rad/s, ``(n,)``.

    Vallado eq. 9-41 (``mean_anomaly_dot`` includes the two-body mean motion).
    """
    n = elements.mean_motion_radps(mu)
    k = j2 * (r_eq_m / elements.p_m) ** 2
    ci = np.cos(elements.i_rad)
    raan_dot = -1.5 * n * k * ci
    argp_dot = 0.75 * n * k * (5.0 * ci**2 - 1.0)
    m_dot = n * (1.0 + 0.75 * k * np.sqrt(1.0 - elements.e**2) * (3.0 * ci**2 - 1.0))
    return raan_dot, argp_dot, m_dot


def propagate_j2(
    elements: KeplerElements,
    t_s: ArrayLike,
    mu: float = MU_M3PS2,
    j2: float = J2,
    r_eq_m: float = WGS84_A_M,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """ECI positions and velocities of ``n`` satellites at times ``t_s`` under J2 secular drift.

    Args:
        elements: mean elements of ``n`` satellites at ``t_s = 0``.
        t_s: times since the element epoch, s; any shape (typically ``(T,)``).
        mu: gravitational parameter, m³/s².
        j2: second zonal harmonic (0 for two-body motion).
        r_eq_m: equatorial radius the J2 coefficient is referred to, m.

    Returns:
        ``(pos_eci_m, vel_eci_mps)``, each of shape ``(n,) + shape(t_s) + (3,)``
        (``(nsat, T, 3)`` for a 1-D time array).
    """
    t = np.asarray(t_s, dtype=np.float64)
    raan_dot, argp_dot, m_dot = j2_secular_rates(elements, mu=mu, j2=j2, r_eq_m=r_eq_m)
    expand = (slice(None),) + (None,) * t.ndim  # (n,) -> (n, 1, ..., 1)
    raan = elements.raan_rad[expand] + raan_dot[expand] * t
    argp = elements.argp_rad[expand] + argp_dot[expand] * t
    mean_anom = elements.mean_anomaly_rad[expand] + m_dot[expand] * t
    a = elements.a_m[expand]
    inc = elements.i_rad[expand]
    pos, vel_2body = kepler_to_eci(a, elements.e[expand], inc, raan, argp, mean_anom, mu=mu)
    if j2 == 0.0:
        return pos, vel_2body
    # v = v_2body (Ṁ/n) + ω̇ (W × r) + Ω̇ (z × r)
    scale = (m_dot / elements.mean_motion_radps(mu))[expand]
    w_hat = orbit_normal(raan, inc)
    wx, wy, wz = w_hat[..., 0], w_hat[..., 1], w_hat[..., 2]
    x, y, z = pos[..., 0], pos[..., 1], pos[..., 2]
    wd, od = argp_dot[expand], raan_dot[expand]
    vel = np.empty_like(vel_2body)
    vel[..., 0] = vel_2body[..., 0] * scale + wd * (wy * z - wz * y) - od * y
    vel[..., 1] = vel_2body[..., 1] * scale + wd * (wz * x - wx * z) + od * x
    vel[..., 2] = vel_2body[..., 2] * scale + wd * (wx * y - wy * x)
    return pos, vel


def propagate_two_body(
    elements: KeplerElements, t_s: ArrayLike, mu: float = MU_M3PS2
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Keplerian (two-body) ECI positions and velocities, ``(n,) + shape(t_s) + (3,)``."""
    return propagate_j2(elements, t_s, mu=mu, j2=0.0)
