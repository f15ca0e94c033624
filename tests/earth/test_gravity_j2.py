"""Point-mass + J2 gravity against closed forms, a finite-difference potential gradient and
WGS-84 normal gravity.

Oracles: ``-mu r/|r|^3``; ``U = -mu/r [1 - J2 (R/r)^2 P2(sin phi)]`` (Vallado 2013 eq. 8-30
integrated form) differentiated numerically; WGS-84 normal gravity at the equator
(9.7803253359 m/s^2) and pole (9.8321849378 m/s^2), NIMA TR8350.2 Table 3.4, with the
centrifugal term omega^2 a added back at the equator.
"""

import numpy as np
import pytest

from hdsim.earth import J2, MU_M3PS2, OMEGA_EARTH_RADPS, WGS84, WGS84_A_M, gravity_ecef


def _random_positions(rng, n):
    d = rng.normal(size=(n, 3))
    d /= np.linalg.norm(d, axis=-1, keepdims=True)
    return d * rng.uniform(6.35e6, 4.5e7, size=(n, 1))


def test_point_mass_when_j2_is_zero():
    pos = _random_positions(np.random.default_rng(0), 1000)
    ref = -MU_M3PS2 * pos / np.linalg.norm(pos, axis=-1, keepdims=True) ** 3
    np.testing.assert_allclose(gravity_ecef(pos, j2=0.0), ref, rtol=1e-14, atol=0.0)


def _potential(pos):
    r = np.linalg.norm(pos, axis=-1)
    sin_phi = pos[..., 2] / r
    p2 = 0.5 * (3.0 * sin_phi**2 - 1.0)
    return -MU_M3PS2 / r * (1.0 - J2 * (WGS84_A_M / r) ** 2 * p2)


def test_j2_is_minus_gradient_of_potential():
    pos = _random_positions(np.random.default_rng(1), 500)
    h = 10.0  # m; central differences: truncation ~1e-11, rounding ~1e-9 m/s^2
    grad = np.empty_like(pos)
    for k in range(3):
        dp = np.zeros(3)
        dp[k] = h
        grad[:, k] = (_potential(pos + dp) - _potential(pos - dp)) / (2 * h)
    acc = gravity_ecef(pos)
    assert np.max(np.abs(acc + grad)) < 1e-7
    # and J2 matters at that level: the J2 part is far larger than the tolerance
    assert np.max(np.abs(acc - gravity_ecef(pos, j2=0.0))) > 1e-3


def test_surface_magnitude_matches_wgs84_normal_gravity():
    g_eq = np.linalg.norm(gravity_ecef(np.array([WGS84_A_M, 0.0, 0.0])))
    # gravitation = normal gravity + centrifugal at the equator
    assert g_eq == pytest.approx(9.7803253359 + OMEGA_EARTH_RADPS**2 * WGS84_A_M, abs=1e-3)
    assert g_eq == pytest.approx(9.814, abs=1e-3)
    g_pole = np.linalg.norm(gravity_ecef(np.array([0.0, 0.0, WGS84.b_m])))
    assert g_pole == pytest.approx(9.8321849378, abs=1e-3)


def test_shapes_broadcast():
    pos = np.ones((2, 3, 4, 3)) * 7e6
    assert gravity_ecef(pos).shape == (2, 3, 4, 3)
