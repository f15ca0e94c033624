"""Vector helpers against NumPy's own (independent) implementations."""

import numpy as np

from hdsim.earth.vectors import cross, dot, rotating_frame_accel, unit


def test_against_numpy():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(2, 50, 3)) * 1e6
    np.testing.assert_allclose(cross(a, b), np.cross(a, b), rtol=1e-15, atol=1e-3)
    np.testing.assert_allclose(dot(a, b), np.sum(a * b, axis=-1), rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(unit(a), axis=-1), 1.0, rtol=1e-15)
    assert np.all(unit(np.zeros((2, 3))) == 0.0)


def test_rotating_frame_accel_is_minus_2w_x_v_minus_w_x_w_x_r():
    rng = np.random.default_rng(2)
    r = rng.normal(size=(20, 3)) * 7e6
    v = rng.normal(size=(20, 3)) * 3e3
    w = np.array([0.0, 0.0, 7.292115e-5])
    expected = -2.0 * np.cross(w, v) - np.cross(w, np.cross(w, r))
    np.testing.assert_allclose(rotating_frame_accel(r, v, w[2]), expected, rtol=1e-12,
                               atol=1e-15)
    # Centrifugal at the equator on the surface: ω² a ≈ 0.0339 m/s², pointing outward.
    acc = rotating_frame_accel(np.array([6378137.0, 0, 0]), np.zeros(3), w[2])
    assert abs(acc[0] - w[2] ** 2 * 6378137.0) < 1e-12 and acc[1] == acc[2] == 0.0
