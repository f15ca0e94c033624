"""Gating against scipy: the batched Mahalanobis matrix vs scipy.spatial.distance.mahalanobis
pair by pair, and the chi-square gate's coverage by Monte Carlo (Bar-Shalom, Li & Kirubarajan 2001,
validation region)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import mahalanobis

from hdsim.earth import enu_rotation, geodetic_to_ecef
from hdsim.tracking import (
    RadarMeasurement,
    chi2_gate,
    gate,
    mahalanobis_matrix,
    predicted_measurement,
    radar_residual,
)


def _spd(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    A = rng.normal(size=(n, d, d))
    return A @ np.swapaxes(A, -1, -2) + 0.1 * np.eye(d)


def test_mahalanobis_matrix_against_scipy() -> None:
    rng = np.random.default_rng(40)
    n, k, dz = 7, 11, 3
    zp = rng.normal(size=(n, dz)) * 10
    S = _spd(rng, n, dz)
    Z = rng.normal(size=(k, dz)) * 10
    d2 = mahalanobis_matrix(zp, S, Z)
    assert d2.shape == (n, k)
    ref = np.array([[mahalanobis(Z[j], zp[i], np.linalg.inv(S[i])) ** 2 for j in range(k)]
                    for i in range(n)])
    np.testing.assert_allclose(d2, ref, rtol=1e-10)
    # per-pair covariances (per-detection R)
    S4 = _spd(rng, n * k, dz).reshape(n, k, dz, dz)
    ref4 = np.array([[mahalanobis(Z[j], zp[i], np.linalg.inv(S4[i, j])) ** 2 for j in range(k)]
                     for i in range(n)])
    np.testing.assert_allclose(mahalanobis_matrix(zp, S4, Z), ref4, rtol=1e-10)


def test_mahalanobis_wraps_azimuth_and_flags_bad_tracks() -> None:
    zp = np.array([[1e5, 2 * np.pi - 1e-3, 0.3, 0.0], [1e5, 1.0, 0.3, 0.0]])
    S = np.broadcast_to(np.diag([100.0, 1e-6, 1e-6, 1.0]), (2, 4, 4)).copy()
    Z = np.array([[1e5, 1e-3, 0.3, 0.0]])  # 2 mrad away across north
    d2 = mahalanobis_matrix(zp, S, Z, radar_residual)
    np.testing.assert_allclose(d2[0, 0], (2e-3) ** 2 / 1e-6, rtol=1e-9)
    S[1] = -np.eye(4)
    assert mahalanobis_matrix(zp, S, Z, radar_residual)[1, 0] == np.inf


def test_chi2_gate_values_and_coverage() -> None:
    """Published χ² percentage points (Abramowitz & Stegun, Table 26.8): 99 % for 2 and 4 d.o.f.
    = 9.21034, 13.2767; and the gate keeps true radar detections at the stated rate."""
    assert chi2_gate(0.99, 2) == pytest.approx(9.2103, abs=1e-4)
    assert chi2_gate(0.99, 4) == pytest.approx(13.2767, abs=1e-4)
    with pytest.raises(ValueError, match="probability"):
        chi2_gate(1.0, 3)
    rng = np.random.default_rng(41)
    lat, lon = np.radians(10.0), np.radians(50.0)
    site = geodetic_to_ecef(lat, lon, 0.0)
    radar = RadarMeasurement(site, enu_rotation(lat, lon))
    n = 4000
    x = np.concatenate([site + np.array([80e3, 120e3, 60e3]) @ enu_rotation(lat, lon),
                        [1000.0, 500.0, -100.0]])
    P = np.diag([50.0] * 3 + [5.0] * 3) ** 2
    R = np.diag([20.0, 1e-3, 1e-3, 1.0]) ** 2
    truth = x + rng.normal(size=(n, 6)) @ np.linalg.cholesky(P).T
    z = radar.h(truth) + rng.normal(size=(n, 4)) * np.sqrt(np.diag(R))
    zp, S = predicted_measurement(np.tile(x, (1, 1)), P[None], R, radar.h, radar.jacobian)
    d2 = mahalanobis_matrix(zp, S, z, radar_residual)[0]
    frac = gate(d2, 0.95, 4).mean()
    assert abs(frac - 0.95) < 3 * np.sqrt(0.95 * 0.05 / n)
