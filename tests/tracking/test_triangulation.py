"""Triangulation of lines of sight: closed-form geometry, Monte Carlo covariance, LOS association.

Oracles: the exact intersection of noise-free rays; the closed-form covariance of two orthogonal
rays at equal range (diag(σ²ρ², σ²ρ², σ²ρ²/2)); the first-order covariance
``(Σ (I - u uᵀ)/(σ² ρ²))⁻¹`` evaluated independently here from the true geometry and compared
with the sample covariance of a seeded Monte Carlo; the known miss distance of two skew lines.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdsim.sensors.detections import nadir_frame
from hdsim.tracking import (
    associate_los,
    ir_los_direction,
    ir_measure,
    ray_miss_distance,
    sensor_frame,
    triangulate,
)

R_SAT = 6378137.0 + 1.0e6


def _unit(v):
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def test_noise_free_rays_meet_at_the_target():
    target = np.array([4.0e6, 3.0e6, 3.5e6])
    sats = np.array([[5.5e6, 4.0e6, 1.0e6], [3.0e6, 1.0e6, 6.5e6], [7.0e6, 1.0e6, 2.0e6]])
    u = _unit(target - sats)
    pos, cov, chi, ok = triangulate(sats, u, np.full(3, 5e-5))
    assert ok
    np.testing.assert_allclose(pos, target, atol=1e-5)
    assert chi < 1e-12


def test_orthogonal_rays_closed_form_covariance():
    rho, sigma = 2.0e6, 4e-5
    target = np.array([1.0e6, 2.0e6, 3.0e6])
    sats = target - rho * np.eye(3)[:2]  # rays along +x and +y, both at range ρ
    _, cov, _, ok = triangulate(sats, np.eye(3)[:2], np.full(2, sigma))
    assert ok
    s2 = (sigma * rho) ** 2
    np.testing.assert_allclose(cov, np.diag([s2, s2, s2 / 2]), rtol=1e-9)


def test_ray_miss_distance_skew_lines():
    miss, s1, s2 = ray_miss_distance([0, 0, 0], [1, 0, 0], [3, -2, 5], [0, 1, 0])
    assert miss == pytest.approx(5.0)
    assert s1 == pytest.approx(3.0) and s2 == pytest.approx(2.0)


@settings(max_examples=50, deadline=None)
@given(st.floats(-1.2, 1.2), st.floats(-1.2, 1.2), st.floats(0.1, 6.2), st.floats(-1.4, 1.4))
def test_los_direction_inverts_ir_measure(u, v, lon, lat):
    sat = R_SAT * np.array([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])
    frame = nadir_frame(sat)
    d = frame.T @ np.array([np.tan(u), np.tan(v), 1.0])
    target = sat + 1.5e6 * _unit(d)
    z = ir_measure(target, sat, frame)
    np.testing.assert_allclose(ir_los_direction(z, frame), _unit(target - sat), atol=1e-12)


def test_monte_carlo_covariance_matches_predicted_geometry():
    rng = np.random.default_rng(7)
    target = 6.4186e6 * _unit(np.array([0.6, 0.5, 0.62]))  # ~40 km altitude
    sats = R_SAT * _unit(np.array([[0.75, 0.45, 0.55], [0.45, 0.65, 0.66]]))
    sigma = np.array([5e-5, 8e-5])
    # frames whose boresight points at the target: tangent-plane angle noise = LOS noise
    frames = sensor_frame(sats, target - sats)
    z0 = ir_measure(target, sats, frames)
    n_mc = 4000
    z = z0 + rng.standard_normal((n_mc, 2, 2)) * sigma[None, :, None]
    u = ir_los_direction(z, frames)
    pos, cov, chi, ok = triangulate(np.broadcast_to(sats, (n_mc, 2, 3)), u,
                                    np.broadcast_to(sigma, (n_mc, 2)))
    assert ok.all()
    # independent first-order prediction from the true geometry
    ut = _unit(target - sats)
    rho = np.linalg.norm(target - sats, axis=-1)
    A = sum((np.eye(3) - np.outer(ut[i], ut[i])) / (sigma[i] * rho[i]) ** 2 for i in range(2))
    C_pred = np.linalg.solve(A, np.eye(3))
    err = pos - target
    C_mc = np.cov(err.T)
    # mean error within 4 standard errors, per axis
    se = np.sqrt(np.diag(C_pred) / n_mc)
    assert np.all(np.abs(err.mean(0)) < 4 * se)
    # sample covariance within 8 % of the prediction (sampling error ~ sqrt(2/n) ≈ 2 %)
    assert np.linalg.norm(C_mc - C_pred) / np.linalg.norm(C_pred) < 0.08
    # the returned covariance is the same first-order one (evaluated at the estimate)
    np.testing.assert_allclose(np.median(cov, axis=0), C_pred, rtol=0.02, atol=1e-3 * C_pred.max())
    # reprojection χ² has 2·2 - 3 = 1 degree of freedom
    assert chi.mean() == pytest.approx(1.0, abs=0.1)
    print(f"triangulation MC: sqrt tr C_mc = {np.sqrt(np.trace(C_mc)):.1f} m, "
          f"predicted {np.sqrt(np.trace(C_pred)):.1f} m")


def test_associate_los_three_satellites_no_ghosts():
    rng = np.random.default_rng(3)
    n = 15
    center = _unit(np.array([0.6, 0.5, 0.62]))
    east = _unit(np.cross([0, 0, 1.0], center))
    north = np.cross(center, east)
    off = rng.uniform(-300e3, 300e3, (n, 2))
    targets = (6.4186e6 * center + off[:, :1] * east + off[:, 1:] * north)
    sats = R_SAT * _unit(center + np.array([[0.12, 0, 0], [0, 0.12, 0], [-0.1, -0.05, 0.08]]))
    sigma = 5e-5
    o, u, sen, truth = [], [], [], []
    for s, sat in enumerate(sats):
        seen = np.flatnonzero(rng.random(n) < 0.9)
        z = ir_measure(targets[seen], sat, nadir_frame(sat)) + sigma * rng.standard_normal(
            (seen.size, 2))
        u.append(ir_los_direction(z, nadir_frame(sat)))
        o.append(np.broadcast_to(sat, (seen.size, 3)))
        sen.append(np.full(seen.size, s))
        truth.append(seen)
    o, u, sen, truth = map(np.concatenate, (o, u, sen, truth))
    fixes = associate_los(o, u, np.full(u.shape[0], sigma), sen)
    seen_twice = np.flatnonzero(np.bincount(truth, minlength=n) >= 2)
    assert fixes.pos.shape[0] == seen_twice.size
    for f in range(fixes.pos.shape[0]):
        mem = fixes.members[f][fixes.members[f] >= 0]
        assert np.unique(truth[mem]).size == 1  # no ghost: all rays of one target
        t = truth[mem[0]]
        assert mem.size == np.sum(truth == t)  # every ray of that target joined
        err = fixes.pos[f] - targets[t]
        assert err @ np.linalg.solve(fixes.cov[f], err) < 25.0  # within 5σ (3 dof)
