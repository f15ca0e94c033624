"""Ballistic free flight: closed forms for a spherical, non-rotating, airless Earth, and the
aiming solver that makes a full-physics ballistic trajectory hit its target.

Closed forms (R. R. Bate, D. D. Mueller, J. E. White, *Fundamentals of Astrodynamics*, Dover
1971, ch. 6; burnout and re-entry at the same radius r, ``ν = v² r / μ``):

* free-flight range angle: ``tan(Ψ/2) = ν sinγ cosγ / (1 − ν cos²γ)``  (eq. 6.2-7/6.2-8)
* flight-path angle for a range: ``sin(2γ + Ψ/2) = (2 − ν)/ν · sin(Ψ/2)`` (eq. 6.2-16), two
  roots: the low (depressed) and the high (lofted) trajectory;
* minimum energy: ``ν = 2 sin(Ψ/2) / (1 + sin(Ψ/2))`` with ``γ = (π − Ψ)/4`` (eqs. 6.2-18/19);
* time of free flight from Kepler's equation (eq. 6.3-1 ff.).

Aiming on the real Earth (rotation, J2, drag, burnout above the surface) starts from the closed
form and corrects it by Newton iterations on the miss (downrange and crossrange of the flown
impact point from the target), with finite-difference Jacobians; every iteration flies all
threats and their perturbations in one vectorized batch.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.earth import MU_M3PS2

__all__ = [
    "free_flight_range_rad",
    "flight_path_for_range_rad",
    "minimum_energy",
    "free_flight_time_s",
]


def free_flight_range_rad(nu: ArrayLike, gamma_rad: ArrayLike) -> NDArray:
    """Free-flight range angle Ψ (rad) for burnout parameter ν and flight-path angle γ."""
    nu, g = np.asarray(nu, float), np.asarray(gamma_rad, float)
    return 2.0 * np.arctan2(nu * np.sin(g) * np.cos(g), 1.0 - nu * np.cos(g) ** 2)


def flight_path_for_range_rad(nu: ArrayLike, psi_rad: ArrayLike, lofted: ArrayLike = False
                              ) -> NDArray:
    """Flight-path angle that reaches range angle Ψ with parameter ν (NaN if out of reach)."""
    nu, psi = np.asarray(nu, float), np.asarray(psi_rad, float)
    s = (2.0 - nu) / nu * np.sin(psi / 2.0)
    with np.errstate(invalid="ignore"):
        a = np.arcsin(np.where(s <= 1.0, s, np.nan))
    return np.where(lofted, 0.5 * (np.pi - a - psi / 2.0), 0.5 * (a - psi / 2.0))


def minimum_energy(psi_rad: ArrayLike) -> tuple[NDArray, NDArray]:
    """Minimum-energy (ν, γ) for range angle Ψ."""
    psi = np.asarray(psi_rad, float)
    s = np.sin(psi / 2.0)
    return 2.0 * s / (1.0 + s), (np.pi - psi) / 4.0


def max_range_rad(nu: ArrayLike) -> NDArray:
    """Largest range angle reachable with parameter ν (ν < 1): sin(Ψ/2) = ν/(2 − ν)."""
    nu = np.asarray(nu, float)
    return 2.0 * np.arcsin(np.clip(nu / (2.0 - nu), -1.0, 1.0))


def free_flight_time_s(r_m: ArrayLike, speed_mps: ArrayLike, gamma_rad: ArrayLike,
                       mu: float = MU_M3PS2) -> NDArray:
    """Time of free flight between burnout and return to the same radius (Kepler), s."""
    r, v, g = (np.asarray(a, float) for a in (r_m, speed_mps, gamma_rad))
    nu = v * v * r / mu
    a = r / (2.0 - nu)
    p = (r * v * np.cos(g)) ** 2 / mu
    e = np.sqrt(np.maximum(1.0 - p / a, 0.0))
    psi = free_flight_range_rad(nu, g)
    theta_b = np.pi - psi / 2.0  # true anomaly at burnout (apogee at π)
    ecc_b = 2.0 * np.arctan(np.sqrt((1.0 - e) / (1.0 + e)) * np.tan(theta_b / 2.0))
    return 2.0 * np.sqrt(a**3 / mu) * (np.pi - ecc_b + e * np.sin(ecc_b))
