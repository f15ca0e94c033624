"""Two-body closed forms for orbital threats: vis-viva, the retro burn that lowers a perigee, the
conic from a state to a radius, and the inclination of a ground track.

Sources: R. R. Bate, D. D. Mueller, J. E. White, *Fundamentals of Astrodynamics*, Dover 1971
(BMW), ch. 1 (vis-viva ``v² = μ (2/r − 1/a)``, angular momentum ``h = r v cos γ``, conic
``r = p / (1 + e cos ν)``, flight-path angle ``tan γ = e sin ν / (1 + e cos ν)``) and ch. 4
(Kepler's equation ``M = E − e sin E``, ``tan(E/2) = sqrt((1 − e)/(1 + e)) tan(ν/2)``);
D. A. Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed., 2013, §2.2 and §6.3
(the tangential burn to a new perigee).  Vectorized; radians; SI.  The inertial velocity of an
Earth-fixed state is ``v + ω × r`` (:func:`inertial_velocity`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.earth import MU_M3PS2

__all__ = [
    "conic_to_radius",
    "deorbit_delta_v_mps",
    "inclination_rad",
    "inertial_velocity",
    "retro_speed_for_perigee_mps",
    "vis_viva_speed_mps",
]


def vis_viva_speed_mps(r_m: ArrayLike, a_m: ArrayLike, mu: float = MU_M3PS2) -> NDArray:
    """Orbital speed at radius ``r_m`` on a conic of semi-major axis ``a_m`` (BMW eq. 1.6-4),
    ``v = sqrt(μ (2/r − 1/a))``, m/s."""
    r, a = np.asarray(r_m, float), np.asarray(a_m, float)
    return np.sqrt(mu * (2.0 / r - 1.0 / a))


def inertial_velocity(pos_ecef: NDArray, vel_ecef: NDArray, omega_radps: float) -> NDArray:
    """Inertial velocity ``v + ω × r`` of ECEF states ``(..., 3)`` (ω about z), in the inertial
    frame that coincides with ECEF at that instant, m/s."""
    w = omega_radps
    return vel_ecef + np.stack(np.broadcast_arrays(-w * pos_ecef[..., 1], w * pos_ecef[..., 0],
                                                   np.zeros_like(pos_ecef[..., 2])), axis=-1)


def retro_speed_for_perigee_mps(r_m: ArrayLike, flight_path_rad: ArrayLike,
                                perigee_r_m: ArrayLike, mu: float = MU_M3PS2) -> NDArray:
    """Speed after a burn along the velocity (flight-path angle γ kept) that puts the perigee
    at radius ``perigee_r_m``, m/s; NaN where no such speed exists (``r cos γ ≤ r_p``).

    From ``h = r v cos γ = r_p v_p`` and the energy ``v²/2 − μ/r = v_p²/2 − μ/r_p``:
    ``v² = 2μ (1/r_p − 1/r) / ((r cos γ / r_p)² − 1)``; for γ = 0 this is vis-viva on the
    ellipse of apsides r and r_p, ``v² = 2 μ r_p / (r (r + r_p))`` (Vallado §6.3).
    """
    r, g, rp = (np.asarray(x, float) for x in (r_m, flight_path_rad, perigee_r_m))
    k = (r * np.cos(g) / rp) ** 2 - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        v2 = 2.0 * mu * (1.0 / rp - 1.0 / r) / k
    return np.where((k > 0.0) & (v2 > 0.0), np.sqrt(np.abs(v2)), np.nan)


def _perigee_r(r: NDArray, v: NDArray, g: NDArray, mu: float) -> NDArray:
    """Perigee radius of the conic through (r, v, γ)."""
    h = r * v * np.cos(g)
    p = h * h / mu
    e = np.sqrt(np.maximum(1.0 + (v * v / mu - 2.0 / r) * p, 0.0))
    return p / (1.0 + e)


def deorbit_delta_v_mps(pos_m: NDArray, vel_mps: NDArray, perigee_r_m: ArrayLike,
                        mu: float = MU_M3PS2) -> NDArray:
    """Δv of the retro burn along the inertial velocity that lowers the perigee of the conic
    through the inertial state ``(pos_m, vel_mps)`` ``(..., 3)`` to radius ``perigee_r_m``
    (impulsive), m/s: ``|v| − v'`` with v' of :func:`retro_speed_for_perigee_mps`.  0 where the
    perigee is already that low; NaN where no retro burn reaches it."""
    r = np.linalg.norm(pos_m, axis=-1)
    v = np.linalg.norm(vel_mps, axis=-1)
    g = np.arcsin(np.clip(np.sum(pos_m * vel_mps, axis=-1) / (r * v), -1.0, 1.0))
    rp = np.asarray(perigee_r_m, float)
    v_new = retro_speed_for_perigee_mps(r, g, rp, mu)
    already = _perigee_r(r, v, g, mu) <= rp
    return np.where(already, 0.0, v - v_new)


def conic_to_radius(r_m: ArrayLike, speed_mps: ArrayLike, flight_path_rad: ArrayLike,
                    to_r_m: ArrayLike, mu: float = MU_M3PS2) -> tuple[NDArray, NDArray]:
    """Central angle (rad) and time (s) from a state (radius, speed, flight-path angle) to the
    first later point of its conic at radius ``to_r_m`` on the descending branch (BMW ch. 1
    and 4); NaN where the conic never comes down to that radius.  Bound (elliptic) conics only.
    """
    r, v, g, rt = (np.asarray(x, float) for x in (r_m, speed_mps, flight_path_rad, to_r_m))
    h = r * v * np.cos(g)
    p = h * h / mu
    a = 1.0 / (2.0 / r - v * v / mu)
    e = np.sqrt(np.maximum(1.0 - p / a, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        cos0 = np.clip((p / r - 1.0) / e, -1.0, 1.0)
        nu0 = np.where(g >= 0.0, np.arccos(cos0), 2.0 * np.pi - np.arccos(cos0))
        cos1 = (p / rt - 1.0) / e
        nu1 = 2.0 * np.pi - np.arccos(np.clip(cos1, -1.0, 1.0))  # descending: ν in (π, 2π)
    ok = (np.abs(cos1) <= 1.0) & (a > 0.0) & (e > 0.0)
    dnu = np.mod(nu1 - nu0, 2.0 * np.pi)
    n = np.sqrt(mu / np.abs(a) ** 3)

    def mean_anomaly(nu: NDArray) -> NDArray:
        ecc = 2.0 * np.arctan(np.sqrt((1.0 - e) / (1.0 + e)) * np.tan(nu / 2.0))
        return ecc - e * np.sin(ecc)

    m0 = np.mod(mean_anomaly(nu0), 2.0 * np.pi)
    m1 = np.mod(mean_anomaly(nu1), 2.0 * np.pi)
    dt = np.mod(m1 - m0, 2.0 * np.pi) / n
    return np.where(ok, dnu, np.nan), np.where(ok, dt, np.nan)


def inclination_rad(lat_rad: ArrayLike, heading_rad: ArrayLike) -> NDArray:
    """Inclination of the great circle (an orbit's inertial ground track) that crosses
    geocentric latitude φ with inertial heading α (clockwise from north): ``cos i = cos φ sin α``
    (Clairaut's relation; BMW §2.2), rad in [0, π]."""
    lat, hdg = np.asarray(lat_rad, float), np.asarray(heading_rad, float)
    return np.arccos(np.clip(np.cos(lat) * np.sin(hdg), -1.0, 1.0))
