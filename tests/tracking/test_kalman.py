"""KF / EKF / UKF against independent oracles.

* batch least squares (information form over the whole trajectory) on a linear-Gaussian problem;
* UKF ≡ KF on a linear model (the unscented transform is exact for linear maps);
* EKF radar update against an importance-sampling (Monte Carlo) posterior;
* NEES of simulated NCV targets inside the 95 % chi-square bounds (Bar-Shalom, Li &
  Kirubarajan 2001, §5.4, filter consistency);
* symmetric positive definite covariances after 1,000 steps.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chi2

from hdsim.earth import enu_rotation, geodetic_to_ecef
from hdsim.tracking import (
    CartesianPosition,
    HypersonicEcef,
    NearlyConstantVelocity,
    RadarMeasurement,
    ekf_predict,
    ekf_update,
    kf_predict,
    kf_update,
    ukf_predict,
    ukf_update,
)

FILTERS = ["kf", "ekf", "ukf"]


def _predict(method, model, x, P, dt):
    if method == "kf":
        return kf_predict(x, P, model.F(dt), model.Q(dt))
    if method == "ekf":
        return ekf_predict(x, P, lambda s: model.f(s, dt), lambda s: model.jacobian(s, dt),
                           model.Q(dt))
    return ukf_predict(x, P, lambda s: model.f(s, dt), model.Q(dt))


def _update(method, meas, x, P, z, R):
    if method == "kf":
        return kf_update(x, P, z, R, meas.H)
    if method == "ekf":
        return ekf_update(x, P, z, R, meas.h, meas.jacobian, meas.residual)
    return ukf_update(x, P, z, R, meas.h, meas.residual)


def _batch_posterior(m0, P0, Fs, Qs, H, R, zs):
    """Posterior of x_K given z_0..z_K by solving the joint information system over all states
    (x_0..x_K) — a smoother-free, recursion-free oracle (e.g. Bierman, *Factorization Methods for
    Discrete Sequential Estimation*, 1977, ch. II; Bar-Shalom et al. 2001 §3.3)."""
    K1, d = len(zs), m0.size
    Lam = np.zeros((K1 * d, K1 * d))
    eta = np.zeros(K1 * d)
    P0i = np.linalg.inv(P0)
    Ri = np.linalg.inv(R)
    Lam[:d, :d] += P0i
    eta[:d] += P0i @ m0
    for k in range(K1):
        s = slice(k * d, (k + 1) * d)
        Lam[s, s] += H.T @ Ri @ H
        eta[s] += H.T @ Ri @ zs[k]
        if k > 0:
            p = slice((k - 1) * d, k * d)
            F, Qi = Fs[k - 1], np.linalg.inv(Qs[k - 1])
            Lam[p, p] += F.T @ Qi @ F
            Lam[p, s] -= F.T @ Qi
            Lam[s, p] -= Qi @ F
            Lam[s, s] += Qi
    cov = np.linalg.inv(Lam)
    mean = cov @ eta
    return mean[-d:], cov[-d:, -d:]


@pytest.mark.parametrize("method", FILTERS)
def test_linear_gaussian_matches_batch_least_squares(method: str) -> None:
    rng = np.random.default_rng(20)
    n, K = 4, 12
    model = NearlyConstantVelocity(q_m2ps3=4.0)
    meas = CartesianPosition(6)
    R = np.diag([30.0, 40.0, 50.0]) ** 2
    dts = rng.uniform(0.5, 3.0, size=(K, n))  # per-track, per-step intervals
    m0 = rng.normal(size=(n, 6)) * np.array([1e4] * 3 + [300.0] * 3)
    P0 = np.broadcast_to(np.diag([500.0] * 3 + [50.0] * 3) ** 2, (n, 6, 6)).copy()
    zs = m0[None, :, :3] + rng.normal(size=(K + 1, n, 3)) * 100.0
    x, P, _ = _update(method, meas, m0, P0, zs[0], R)
    for k in range(K):
        x, P = _predict(method, model, x, P, dts[k])
        x, P, info = _update(method, meas, x, P, zs[k + 1], R)
    assert info.ok.all()
    for i in range(n):
        Fs = model.F(dts[:, i])
        Qs = model.Q(dts[:, i])
        mean, cov = _batch_posterior(m0[i], P0[i], Fs, Qs, meas.H, R, zs[:, i])
        np.testing.assert_allclose(x[i], mean, rtol=0, atol=1e-6)  # m, m/s
        np.testing.assert_allclose(P[i], cov, rtol=1e-8, atol=1e-8)


def test_ukf_equals_kf_on_linear_model() -> None:
    rng = np.random.default_rng(21)
    n = 50
    model = NearlyConstantVelocity(q_m2ps3=10.0)
    meas = CartesianPosition(6)
    R = np.diag([20.0, 20.0, 60.0]) ** 2
    x0 = rng.normal(size=(n, 6)) * 1e3
    P0 = np.broadcast_to(np.eye(6) * 1e4, (n, 6, 6))
    xk, Pk, xu, Pu = x0, P0, x0, P0
    for _ in range(30):
        dt = rng.uniform(0.1, 5.0, n)
        z = xk[:, :3] + rng.normal(size=(n, 3)) * 50
        xk, Pk = kf_predict(xk, Pk, model.F(dt), model.Q(dt))
        xk, Pk, ik = kf_update(xk, Pk, z, R, meas.H)
        xu, Pu = ukf_predict(xu, Pu, lambda s, dt=dt: model.f(s, dt), model.Q(dt))
        xu, Pu, iu = ukf_update(xu, Pu, z, R, meas.h)
        np.testing.assert_allclose(iu.log_likelihood, ik.log_likelihood, rtol=1e-9)
    np.testing.assert_allclose(xu, xk, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(Pu, Pk, rtol=1e-9, atol=1e-9)


def _radar_setup():
    lat, lon = np.radians(30.0), np.radians(20.0)
    site = geodetic_to_ecef(lat, lon, 0.0)
    rot = enu_rotation(lat, lon)
    return site, rot, RadarMeasurement(site, rot)


def test_ekf_radar_update_against_importance_sampling() -> None:
    """One radar update of a Gaussian prior at 300 km; the posterior mean by self-normalised
    importance sampling (2e5 samples, weights from the exact nonlinear likelihood) is the
    oracle; tolerance = 5 Monte Carlo standard errors (a few cm, cm/s)."""
    rng = np.random.default_rng(22)
    site, rot, radar = _radar_setup()
    enu = np.array([150e3, 200e3, 180e3])
    x_true = np.concatenate([site + enu @ rot, [1500.0, -2000.0, 300.0]])
    P0 = np.diag([200.0] * 3 + [30.0] * 3) ** 2
    R = np.diag([20.0, 5e-4, 5e-4, 2.0]) ** 2
    m0 = x_true + np.linalg.cholesky(P0) @ rng.normal(size=6)
    z = radar.h(x_true) + np.sqrt(np.diag(R)) * rng.normal(size=4)
    x_e, P_e, info = ekf_update(m0[None], P0[None], z[None], R, radar.h, radar.jacobian,
                                radar.residual)
    # proposal: the EKF posterior widened 2x (heavier than the target); weights are exact
    # prior × likelihood / proposal, so the estimate is unbiased whatever the proposal
    N = 200_000
    Lq = 2.0 * np.linalg.cholesky(P_e[0])
    U = rng.normal(size=(N, 6))
    X = x_e[0] + U @ Lq.T
    L0 = np.linalg.cholesky(P0)
    u0 = np.linalg.solve(L0, (X - m0).T).T
    nu = radar.residual(z, radar.h(X)) / np.sqrt(np.diag(R))
    logw = -0.5 * np.sum(nu**2, axis=1) - 0.5 * np.sum(u0**2, axis=1) + 0.5 * np.sum(U**2, axis=1)
    w = np.exp(logw - logw.max())
    w /= w.sum()
    ess = 1.0 / np.sum(w**2)
    assert ess > 5000
    mean = w @ X
    se = np.sqrt(w**2 @ (X - mean) ** 2)  # delta-method s.e. of self-normalised IS
    assert np.all(np.abs(x_e[0] - mean) < 5 * se), (x_e[0] - mean) / se
    cov = (X - mean).T @ (w[:, None] * (X - mean))
    np.testing.assert_allclose(np.sqrt(np.diag(P_e[0])), np.sqrt(np.diag(cov)), rtol=0.1)
    assert info.ok[0] and 0 < info.nis[0] < chi2.ppf(0.9999, 4)


def _simulate_ncv(rng, n, K, dt, q, x0):
    model = NearlyConstantVelocity(q)
    F, Q = model.F(dt), model.Q(dt)
    L = np.linalg.cholesky(Q)
    xs = [x0]
    for _ in range(K):
        xs.append(np.einsum("nij,nj->ni", F, xs[-1])
                  + np.einsum("nij,nj->ni", L, rng.normal(size=(n, 6))))
    return np.stack(xs)  # (K+1, n, 6)


@pytest.mark.parametrize("method,sensor", [("kf", "pos"), ("ekf", "radar"), ("ukf", "radar")])
def test_nees_within_chi2_bounds(method: str, sensor: str) -> None:
    """Average NEES over N = 100 seeded runs per step must lie in the two-sided 95 % bounds
    [χ²_{Nd}(0.025), χ²_{Nd}(0.975)]/N for ≥ 85 % of the steps (95 % expected), and the
    time-averaged NEES must be within 10 % of d = 6 (BLK 2001 §5.4)."""
    rng = np.random.default_rng(23)
    n, K, dt, q = 100, 60, np.full(100, 2.0), 5.0
    site, rot, radar = _radar_setup()
    if sensor == "pos":
        meas, R = CartesianPosition(6), np.diag([50.0, 50.0, 80.0]) ** 2
        p0 = np.zeros(3)
    else:
        meas, R = radar, np.diag([30.0, 3e-4, 3e-4, 1.0]) ** 2
        p0 = site + np.array([100e3, 250e3, 120e3]) @ rot
    P0 = np.diag([300.0] * 3 + [40.0] * 3) ** 2
    truth0 = np.tile(np.concatenate([p0, [1200.0, -800.0, 100.0]]), (n, 1))
    truth = _simulate_ncv(rng, n, K, dt, q, truth0)
    model = NearlyConstantVelocity(q)
    x = truth0 + rng.normal(size=(n, 6)) @ np.linalg.cholesky(P0).T
    P = np.broadcast_to(P0, (n, 6, 6)).copy()
    nees = []
    for k in range(1, K + 1):
        x, P = _predict(method, model, x, P, dt)
        z = meas.h(truth[k]) + rng.normal(size=(n, meas.dim_z)) * np.sqrt(np.diag(R))
        x, P, _ = _update(method, meas, x, P, z, R)
        e = truth[k] - x
        nees.append(np.mean(np.einsum("ni,ni->n", e, np.linalg.solve(P, e[..., None])[..., 0])))
    nees = np.array(nees)
    lo, hi = chi2.ppf([0.025, 0.975], n * 6) / n
    assert np.mean((nees >= lo) & (nees <= hi)) >= 0.85
    assert abs(nees.mean() / 6.0 - 1.0) < 0.1


@pytest.mark.parametrize("method", ["ekf", "ukf"])
def test_hypersonic_ecef_filter_is_consistent(method: str) -> None:
    """Glide-like ECEF target at 40 km altitude following the hypersonic model itself
    (x_{k+1} = f(x_k) + w_k, w_k ~ N(0, Q)) seen by a radar: the time-averaged NEES over
    40 runs × 25 steps must be within 15 % of d = 9 (BLK 2001 §5.4)."""
    rng = np.random.default_rng(26)
    n, K = 40, 25
    dt = np.full(n, 2.0)
    site, rot, radar = _radar_setup()
    model = HypersonicEcef(q_m2ps5=0.5, tau_s=60.0)
    R = np.diag([30.0, 3e-4, 3e-4, 1.0]) ** 2
    up = site / np.linalg.norm(site)
    p0 = site + 4e4 * up + np.array([150e3, 100e3, 0.0]) @ rot
    v0 = np.array([-3000.0, -2000.0, 0.0]) @ rot
    P0 = np.diag([200.0] * 3 + [20.0] * 3 + [5.0] * 3) ** 2
    truth = np.tile(np.concatenate([p0, v0, [0.0, 0.0, 0.0]]), (n, 1))
    truth = truth + rng.normal(size=(n, 9)) @ np.linalg.cholesky(P0).T
    x = truth + rng.normal(size=(n, 9)) @ np.linalg.cholesky(P0).T
    P = np.broadcast_to(P0, (n, 9, 9)).copy()
    LQ = np.linalg.cholesky(model.Q(dt))
    nees = []
    for _ in range(K):
        truth = model.f(truth, dt) + np.einsum("nij,nj->ni", LQ, rng.normal(size=(n, 9)))
        x, P = _predict(method, model, x, P, dt)
        z = radar.h(truth) + rng.normal(size=(n, 4)) * np.sqrt(np.diag(R))
        x, P, info = _update(method, radar, x, P, z, R)
        e = truth - x
        nees.append(np.mean(np.einsum("ni,ni->n", e, np.linalg.solve(P, e[..., None])[..., 0])))
    assert info.ok.all()
    assert abs(np.mean(nees) / 9.0 - 1.0) < 0.15, np.mean(nees)


@pytest.mark.parametrize("method", FILTERS)
def test_covariance_spd_after_1000_steps(method: str) -> None:
    """Nearly deterministic target (q = 1e-6 m²/s³) with accurate measurements: the covariance
    shrinks by orders of magnitude; it must stay exactly symmetric and positive definite."""
    rng = np.random.default_rng(24)
    n = 20
    site, rot, radar = _radar_setup()
    model = NearlyConstantVelocity(1e-6)
    if method == "kf":
        meas, R = CartesianPosition(6), np.diag([1.0, 1.0, 1.0])
    else:
        meas, R = radar, np.diag([1.0, 1e-6, 1e-6, 0.01]) ** 2
    x = np.tile(np.concatenate([site + np.array([50e3, 80e3, 60e3]) @ rot, [200.0, 100.0, 0.0]]),
                (n, 1)) + rng.normal(size=(n, 6)) * 100
    P = np.broadcast_to(np.diag([1e3] * 3 + [1e2] * 3) ** 2, (n, 6, 6)).copy()
    truth = x.copy()
    dt = np.full(n, 1.0)
    for _ in range(1000):
        truth = model.f(truth, dt)
        x, P = _predict(method, model, x, P, dt)
        z = meas.h(truth) + rng.normal(size=(n, meas.dim_z)) * np.sqrt(np.diag(R))
        x, P, info = _update(method, meas, x, P, z, R)
        assert info.ok.all()
    np.testing.assert_array_equal(P, np.swapaxes(P, -1, -2))
    assert np.all(np.linalg.eigvalsh(P)[:, 0] > 0)
    np.linalg.cholesky(P)
    # and the estimate converged (position error ≪ initial 100 m)
    assert np.max(np.abs(truth[:, :3] - x[:, :3])) < 5.0


def test_failed_update_is_reported_per_track() -> None:
    rng = np.random.default_rng(25)
    n = 5
    meas = CartesianPosition(6)
    x = rng.normal(size=(n, 6))
    P = np.broadcast_to(np.eye(6), (n, 6, 6)).copy()
    z = rng.normal(size=(n, 3))
    R = np.broadcast_to(np.eye(3) * 0.5, (n, 3, 3)).copy()
    R[2] = -10 * np.eye(3)  # S = HPH' + R not positive definite for track 2
    for upd in (lambda R: kf_update(x, P, z, R, meas.H),
                lambda R: ukf_update(x, P, z, R, meas.h)):
        x1, P1, info = upd(R)
        np.testing.assert_array_equal(info.ok, [True, True, False, True, True])
        np.testing.assert_array_equal(x1[2], x[2])
        np.testing.assert_array_equal(P1[2], P[2])
        assert np.isnan(info.nis[2]) and info.log_likelihood[2] == -np.inf
        # the good tracks get the closed-form scalar-covariance update: P+ = P R/(P+R) = 1/3
        np.testing.assert_allclose(P1[0, :3, :3], np.eye(3) / 3, atol=1e-15)
        np.testing.assert_allclose(x1[0, :3], x[0, :3] + (z[0] - x[0, :3]) * 2 / 3, atol=1e-15)
