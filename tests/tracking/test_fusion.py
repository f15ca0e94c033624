"""Covariance intersection against its closed forms and its consistency theorem.

Oracles: the scalar CI formula and its 1-D optimum (the better of the two estimates, since
``1/P = ω/a + (1-ω)/b`` is linear in ω); the trace-minimising ω from
``scipy.optimize.minimize_scalar``; the consistency property of Julier & Uhlmann (ACC 1997):
for every ω and every admissible cross-covariance the actual error covariance of the fused
estimate is bounded by the CI covariance (checked with the exact error covariance).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from hdsim.tracking import covariance_intersection, fuse_track_lists


def _spd(rng, d, scale=1.0):
    A = rng.normal(size=(d, d))
    return scale * (A @ A.T + 0.3 * np.eye(d))


def test_ci_scalar_closed_form():
    xa, a, xb, b = np.array([1.0]), np.array([[4.0]]), np.array([3.0]), np.array([[9.0]])
    for w in (0.0, 0.3, 0.7, 1.0):
        x, P, _ = covariance_intersection(xa, a, xb, b, omega=w)
        p_ref = 1.0 / (w / 4.0 + (1 - w) / 9.0)
        assert P[0, 0] == pytest.approx(p_ref, rel=1e-12)
        assert x[0] == pytest.approx(p_ref * (w * 1.0 / 4.0 + (1 - w) * 3.0 / 9.0), rel=1e-12)
    # optimal ω in 1-D: the smaller variance wins outright
    x, P, w = covariance_intersection(xa, a, xb, b)
    assert w == pytest.approx(1.0) and P[0, 0] == pytest.approx(4.0) and x[0] == pytest.approx(1.0)
    x, P, w = covariance_intersection(xb, b, xa, a)
    assert w == pytest.approx(0.0) and P[0, 0] == pytest.approx(4.0)


def test_ci_optimal_omega_matches_scipy():
    rng = np.random.default_rng(0)
    Pa = np.stack([_spd(rng, 3) for _ in range(20)])
    Pb = np.stack([_spd(rng, 3) for _ in range(20)])
    xa, xb = rng.normal(size=(20, 3)), rng.normal(size=(20, 3))
    _, P, w = covariance_intersection(xa, Pa, xb, Pb)
    for i in range(20):
        def tr(om, i=i):
            return np.trace(np.linalg.inv(om * np.linalg.inv(Pa[i])
                                          + (1 - om) * np.linalg.inv(Pb[i])))
        ref = minimize_scalar(tr, bounds=(0, 1), method="bounded", options={"xatol": 1e-10})
        best = min(ref.fun, tr(0.0), tr(1.0))
        assert np.trace(P[i]) == pytest.approx(best, rel=1e-8)


def test_ci_is_consistent_for_any_correlation():
    rng = np.random.default_rng(1)
    d = 3
    for _ in range(200):
        Pa, Pb = _spd(rng, d), _spd(rng, d)
        # random admissible cross-covariance: Pab = La C Lbᵀ with ‖C‖ ≤ 1
        La, Lb = np.linalg.cholesky(Pa), np.linalg.cholesky(Pb)
        C = rng.normal(size=(d, d))
        C *= rng.uniform(0, 1) / np.linalg.norm(C, 2)
        Pab = La @ C @ Lb.T
        joint = np.block([[Pa, Pab], [Pab.T, Pb]])
        for w in (None, 0.2, 0.8):
            _, P, om = covariance_intersection(np.zeros(d), Pa, np.zeros(d), Pb, omega=w)
            # fused error e = P (ω Pa⁻¹ ea + (1-ω) Pb⁻¹ eb) = W [ea; eb]
            W = P @ np.hstack([om * np.linalg.inv(Pa), (1 - om) * np.linalg.inv(Pb)])
            E = W @ joint @ W.T
            assert np.linalg.eigvalsh(P - E).min() > -1e-9 * np.trace(P)


def test_track_to_track_fusion_pairs_and_shrinks():
    rng = np.random.default_rng(2)
    n = 12
    truth = rng.uniform(-1e5, 1e5, (n, 6))
    Pa = np.stack([_spd(rng, 6, 100.0) for _ in range(n)])
    Pb = np.stack([_spd(rng, 6, 100.0) for _ in range(n)])
    xa = truth + np.einsum("nij,nj->ni", np.linalg.cholesky(Pa), rng.normal(size=(n, 6)))
    xb = truth + np.einsum("nij,nj->ni", np.linalg.cholesky(Pb), rng.normal(size=(n, 6)))
    perm = rng.permutation(n)
    ia, ib, x, P = fuse_track_lists(xa, Pa, xb[perm], Pb[perm])
    assert ia.size == n
    np.testing.assert_array_equal(perm[ib], ia)  # every track met its twin
    assert np.all(np.trace(P, axis1=1, axis2=2) <= np.minimum(
        np.trace(Pa[ia], axis1=1, axis2=2), np.trace(Pb[perm][ib], axis1=1, axis2=2)) + 1e-9)
