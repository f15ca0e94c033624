"""Measurement models: radar against pymap3d, IR LOS against its geometric inverse, Jacobians
against central finite differences (relative ≤ 1e-6)."""

from __future__ import annotations

import numpy as np
import pymap3d
from hypothesis import given, settings
from hypothesis import strategies as st

from hdsim.earth import enu_rotation, geodetic_to_ecef
from hdsim.tracking.measurement import (
    ir_jacobian,
    ir_measure,
    ir_residual,
    radar_jacobian,
    radar_measure,
    radar_residual,
    sensor_frame,
    wrap_angle,
)

LAT, LON, ALT = np.radians(38.0), np.radians(-122.5), 50.0


def _site():
    site = np.asarray(geodetic_to_ecef(LAT, LON, ALT))
    return site, enu_rotation(LAT, LON)


def _targets(rng: np.random.Generator, n: int, site: np.ndarray) -> np.ndarray:
    """ECEF states 50–800 km from the site, above its horizon, with hypersonic velocities."""
    rot = enu_rotation(LAT, LON)
    az = rng.uniform(0, 2 * np.pi, n)
    el = rng.uniform(0.02, 1.4, n)
    rng_m = rng.uniform(5e4, 8e5, n)
    enu = np.stack([rng_m * np.cos(el) * np.sin(az), rng_m * np.cos(el) * np.cos(az),
                    rng_m * np.sin(el)], -1)
    pos = site + enu @ rot
    vel = rng.normal(size=(n, 3)) * 2000.0
    acc = rng.normal(size=(n, 3)) * 30.0
    return np.concatenate([pos, vel, acc], axis=1)


def test_radar_against_pymap3d() -> None:
    rng = np.random.default_rng(10)
    site, rot = _site()
    x = _targets(rng, 200, site)
    z = radar_measure(x, site, rot)
    az, el, sr = pymap3d.ecef2aer(x[:, 0], x[:, 1], x[:, 2], LAT, LON, ALT, deg=False)
    np.testing.assert_allclose(z[:, 0], sr, rtol=0, atol=1e-6)  # m
    np.testing.assert_allclose(wrap_angle(z[:, 1] - az), 0.0, atol=1e-11)  # rad
    np.testing.assert_allclose(z[:, 2], el, rtol=0, atol=1e-11)
    assert np.all((z[:, 1] >= 0) & (z[:, 1] < 2 * np.pi))
    # range rate = d(range)/dt along the straight-line motion, by pymap3d ranges at t ± 1 ms
    h = 1e-3
    p_plus, p_minus = x[:, :3] + h * x[:, 3:6], x[:, :3] - h * x[:, 3:6]
    r_plus = pymap3d.ecef2aer(*p_plus.T, LAT, LON, ALT, deg=False)[2]
    r_minus = pymap3d.ecef2aer(*p_minus.T, LAT, LON, ALT, deg=False)[2]
    np.testing.assert_allclose(z[:, 3], (r_plus - r_minus) / (2 * h), rtol=0, atol=1e-3)  # m/s
    np.testing.assert_array_equal(radar_measure(x, site, rot, range_rate=False), z[:, :3])


def _fd(f, x: np.ndarray, steps: np.ndarray) -> np.ndarray:
    J = np.empty(x.shape[:-1] + (f(x).shape[-1], x.shape[-1]))
    for j in range(x.shape[-1]):
        e = np.zeros_like(x)
        e[..., j] = steps[j]
        J[..., :, j] = (f(x + e) - f(x - e)) / (2 * steps[j])
    return J


def _assert_rel(J: np.ndarray, J_fd: np.ndarray, rtol: float = 1e-6) -> None:
    scale = np.max(np.abs(J), axis=-1, keepdims=True)
    assert np.max(np.abs(J - J_fd) / scale) <= rtol


def test_radar_jacobian_against_finite_differences() -> None:
    rng = np.random.default_rng(11)
    site, rot = _site()
    x = _targets(rng, 100, site)
    steps = np.array([1.0] * 3 + [1e-2] * 3 + [1.0] * 3)
    J = radar_jacobian(x, site, rot)
    assert J.shape == (100, 4, 9)
    _assert_rel(J, _fd(lambda s: radar_measure(s, site, rot), x, steps))
    np.testing.assert_array_equal(J[..., 6:], 0.0)
    # per-track sites broadcast the same way
    sites = np.broadcast_to(site, (100, 3))
    rots = np.broadcast_to(rot, (100, 3, 3))
    np.testing.assert_allclose(radar_jacobian(x, sites, rots, range_rate=False), J[:, :3],
                               rtol=1e-15, atol=0)


def _sat_geometry(rng: np.random.Generator, n: int):
    """LEO satellites at 1000 km with nadir sensor frames and targets 20-60 km altitude below,
    up to ~2000 km away (LOS within ~70° of nadir)."""
    lat = rng.uniform(-1.4, 1.4, n)
    lon = rng.uniform(-np.pi, np.pi, n)
    sat = geodetic_to_ecef(lat, lon, 1.0e6)
    frame = sensor_frame(sat, -sat)
    tlat = lat + rng.uniform(-0.25, 0.25, n)
    tlon = lon + rng.uniform(-0.25, 0.25, n)
    pos = geodetic_to_ecef(tlat, tlon, rng.uniform(2e4, 6e4, n))
    x = np.concatenate([pos, rng.normal(size=(n, 3)) * 2000.0], axis=1)
    return sat, frame, x


def test_sensor_frame_is_orthonormal_and_right_handed() -> None:
    rng = np.random.default_rng(12)
    sat, frame, _ = _sat_geometry(rng, 50)
    np.testing.assert_allclose(frame @ np.swapaxes(frame, -1, -2), np.broadcast_to(np.eye(3),
                               (50, 3, 3)), atol=1e-14)
    np.testing.assert_allclose(np.linalg.det(frame), 1.0, atol=1e-14)
    np.testing.assert_allclose(frame[:, 2], -sat / np.linalg.norm(sat, axis=1, keepdims=True),
                               atol=1e-15)
    polar = sensor_frame(np.array([0.0, 0.0, 7e6]), np.array([0.0, 0.0, -1.0]))  # hint ∥ b
    np.testing.assert_allclose(polar @ polar.T, np.eye(3), atol=1e-15)


@settings(max_examples=200, deadline=None)
@given(a1=st.floats(-1.3, 1.3), a2=st.floats(-1.3, 1.3), dist=st.floats(1e4, 5e6))
def test_ir_angles_round_trip(a1: float, a2: float, dist: float) -> None:
    """Geometric inverse: the point sat + s (b + tan a1 e1 + tan a2 e2) has angles (a1, a2)."""
    sat = np.array([1.2e6, -3.0e6, 6.5e6])
    frame = sensor_frame(sat, -sat)
    e1, e2, b = frame
    pos = sat + dist * (b + np.tan(a1) * e1 + np.tan(a2) * e2)
    z = ir_measure(np.concatenate([pos, np.zeros(3)]), sat, frame)
    np.testing.assert_allclose(z, [a1, a2], rtol=0, atol=1e-12)


def test_ir_jacobian_against_finite_differences() -> None:
    rng = np.random.default_rng(13)
    sat, frame, x = _sat_geometry(rng, 100)
    J = ir_jacobian(x, sat, frame)
    assert J.shape == (100, 2, 6)
    _assert_rel(J, _fd(lambda s: ir_measure(s, sat, frame), x, np.array([1.0] * 3 + [1.0] * 3)))
    np.testing.assert_array_equal(J[..., 3:], 0.0)


def test_residuals_wrap_angles() -> None:
    assert wrap_angle(np.pi) == np.pi
    assert wrap_angle(-np.pi) == np.pi
    np.testing.assert_allclose(wrap_angle(np.array([3 * np.pi / 2, -3 * np.pi / 2, 0.1])),
                               [-np.pi / 2, np.pi / 2, 0.1], atol=1e-15)
    z = np.array([1000.0, 0.01, 0.2, 5.0])
    zp = np.array([990.0, 2 * np.pi - 0.01, 0.1, 7.0])
    np.testing.assert_allclose(radar_residual(z, zp), [10.0, 0.02, 0.1, -2.0], atol=1e-12)
    np.testing.assert_allclose(ir_residual(np.array([3.1, -3.1]), np.array([-3.1, 3.1])),
                               [6.2 - 2 * np.pi, 2 * np.pi - 6.2], atol=1e-12)
