"""PCRLB: Kalman covariance (linear-Gaussian), Tichavský's D-form, triangulation closed form.

* Linear-Gaussian model: the PCRLB equals the Kalman filter covariance (Tichavský, Muravchik &
  Nehorai, IEEE TSP 46(5), 1998, §IV; Ristic, Arulampalam & Gordon 2004, §4.3) — checked against
  a Joseph-form Kalman filter written here.
* Nonlinear measurements: the recursion ``J+ = D22 - D21 (J + D11)^-1 D12`` of Tichavský et al.
  eq. (21) written literally with the D matrices (the module evaluates an equivalent form).
* Static target seen by bearing-only sensors: ``J = Σ 1/(σ² ρ²) (I - u u^T)`` (the information of
  a line of sight with isotropic angular noise σ at range ρ).
"""

from __future__ import annotations

import numpy as np
import pytest

from hdsim.earth import enu_rotation, geodetic_to_ecef
from hdsim.metrics import measurement_information, pcrlb, transition_matrices
from hdsim.tracking import (
    HypersonicEcef,
    NearlyConstantVelocity,
    RadarMeasurement,
    ir_jacobian,
    sensor_frame,
)

DEG = np.pi / 180


def _kf_covariances(F, Q, meas, P0):
    """Joseph-form KF covariance recursion (independent of hdsim)."""
    P = P0.copy()
    out = []
    for k, sensors in enumerate(meas):
        if k > 0:
            P = F[k - 1] @ P @ F[k - 1].T + Q[k - 1]
        for H, R in sensors:
            S = H @ P @ H.T + R
            K = P @ H.T @ np.linalg.inv(S)
            A = np.eye(P.shape[0]) - K @ H
            P = A @ P @ A.T + K @ R @ K.T
        out.append(P)
    return np.array(out)


def test_linear_gaussian_equals_kalman_covariance():
    rng = np.random.default_rng(3)
    times = np.cumsum(rng.uniform(0.5, 2.0, 30))
    model = NearlyConstantVelocity(q_m2ps3=4.0)
    F, Q = transition_matrices(model, times)
    H = np.hstack([np.eye(3), np.zeros((3, 3))])
    R1 = np.diag([100.0, 400.0, 900.0])
    R2 = np.array([[50.0, 10.0, 0.0], [10.0, 60.0, 5.0], [0.0, 5.0, 70.0]])
    meas = []
    for k in range(times.size):
        s = [] if k % 7 == 3 else [(H, R1)]  # some scans miss
        if k % 4 == 0:
            s.append((H, R2))  # a second sensor at some times
        meas.append(s)
    P0 = np.diag([1e6, 1e6, 1e6, 1e4, 1e4, 1e4])
    truth = np.zeros((times.size, 6))  # H is constant: the truth does not matter
    res = pcrlb(truth, meas, F, Q, prior_cov=P0)
    P_kf = _kf_covariances(F, Q, meas, P0)
    np.testing.assert_allclose(res.cov, P_kf, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(res.pos_rmse_m, np.sqrt(np.trace(P_kf[:, :3, :3], axis1=1, axis2=2)),
                               rtol=1e-9)
    np.testing.assert_allclose(res.vel_rmse_mps,
                               np.sqrt(np.trace(P_kf[:, 3:, 3:], axis1=1, axis2=2)), rtol=1e-9)
    assert res.pos_rmse_m[-1] < 20.0  # steady state well below the 10-30 m noise


def test_nonlinear_against_tichavsky_d_form():
    """Radar-tracked hypersonic target, nonlinear motion linearised at the truth."""
    lat, lon = 35.0 * DEG, 139.0 * DEG
    site = geodetic_to_ecef(lat, lon, 0.0)
    radar = RadarMeasurement(site, enu_rotation(lat, lon))
    motion = HypersonicEcef(q_m2ps5=1.0, max_step_s=2.0)
    x0 = np.zeros(9)
    x0[:3] = geodetic_to_ecef(36.0 * DEG, 138.0 * DEG, 40e3)
    east = enu_rotation(36.0 * DEG, 138.0 * DEG)[0]
    x0[3:6] = 2000.0 * east
    times = np.arange(0.0, 40.0, 2.0)
    truth = [x0]
    for dt in np.diff(times):
        truth.append(motion.f(truth[-1], dt))
    truth = np.array(truth)
    F, Q = transition_matrices(motion, times, truth)
    R = np.diag([30.0**2, (1e-3) ** 2, (1e-3) ** 2, 5.0**2])
    meas = [[(radar.jacobian, R, 0.9)] for _ in times]
    P0 = np.diag([1e6] * 3 + [1e4] * 3 + [100.0] * 3)
    res = pcrlb(truth, meas, F, Q, prior_cov=P0)

    # literal Tichavský recursion with D11, D12, D22 (np.linalg.inv allowed in the oracle)
    J = np.linalg.inv(P0) + 0.9 * radar.jacobian(truth[0]).T @ np.linalg.inv(R) @ radar.jacobian(
        truth[0])
    Js = [J]
    for k in range(1, times.size):
        Qi = np.linalg.inv(Q[k - 1])
        D11 = F[k - 1].T @ Qi @ F[k - 1]
        D12 = -F[k - 1].T @ Qi
        Hk = radar.jacobian(truth[k])
        D22 = Qi + 0.9 * Hk.T @ np.linalg.inv(R) @ Hk
        J = D22 - D12.T @ np.linalg.inv(J + D11) @ D12
        Js.append(J)
    Js = np.array(Js)
    scale = np.sqrt(np.einsum("kii,kjj->kij", Js, Js))  # normalise by sqrt(J_ii J_jj)
    assert np.max(np.abs(res.info - Js) / scale) < 1e-7
    assert res.pos_rmse_m[-1] < res.pos_rmse_m[0]


def _two_satellites():
    target = geodetic_to_ecef(30.0 * DEG, 140.0 * DEG, 30e3)
    sats = np.array([geodetic_to_ecef(20.0 * DEG, 130.0 * DEG, 1000e3),
                     geodetic_to_ecef(40.0 * DEG, 155.0 * DEG, 1200e3)])
    frames = sensor_frame(sats, target - sats)  # boresight on the target
    return target, sats, frames


@pytest.mark.parametrize("n_scans", [1, 5])
def test_static_triangulation_closed_form(n_scans):
    target, sats, frames = _two_satellites()
    sigma = np.array([20e-6, 35e-6])  # rad
    R = [np.eye(2) * s**2 for s in sigma]
    meas = [[(lambda x, i=i: ir_jacobian(x, sats[i], frames[i])[:, :3], R[i]) for i in (0, 1)]
            for _ in range(n_scans)]
    res = pcrlb(np.tile(target, (n_scans, 1)), meas, np.eye(3), np.zeros((3, 3)))
    J = np.zeros((3, 3))
    for s, sg in zip(sats, sigma, strict=True):
        d = target - s
        rho = np.linalg.norm(d)
        u = d / rho
        J += n_scans / (sg**2 * rho**2) * (np.eye(3) - np.outer(u, u))
    cov = np.linalg.inv(J)
    np.testing.assert_allclose(res.cov[-1], cov, rtol=1e-6, atol=1e-6 * np.abs(cov).max())
    assert np.isnan(res.vel_rmse_mps).all()
    # a single line of sight leaves the range unobservable: no finite bound
    one = pcrlb(target[None], [[meas[0][0]]], np.eye(3), np.zeros((3, 3)))
    assert np.isnan(one.cov).all() and np.isnan(one.pos_rmse_m[0])


def test_detection_probability_weight_scales_information():
    target, sats, frames = _two_satellites()
    R = np.eye(2) * (20e-6) ** 2
    H = [ir_jacobian(target, sats[i], frames[i])[:, :3] for i in (0, 1)]
    full = pcrlb(target[None], [[(H[0], R), (H[1], R)]], np.eye(3), np.zeros((3, 3)))
    pd = 0.7
    weak = pcrlb(target[None], [[(H[0], R, pd), (H[1], R, pd)]], np.eye(3), np.zeros((3, 3)))
    np.testing.assert_allclose(weak.cov, full.cov / pd, rtol=1e-9)
    np.testing.assert_allclose(measurement_information(H[0], R, pd),
                               pd * H[0].T @ np.linalg.inv(R) @ H[0], rtol=1e-9)


def test_more_sensors_never_loosen_the_bound():
    target0, sats, frames = _two_satellites()
    lat, lon = 30.0 * DEG, 141.0 * DEG
    radar = RadarMeasurement(geodetic_to_ecef(lat, lon, 0.0), enu_rotation(lat, lon))
    motion = NearlyConstantVelocity(q_m2ps3=25.0)
    times = np.arange(0.0, 60.0, 2.0)
    vel = 2500.0 * enu_rotation(30.0 * DEG, 140.0 * DEG)[0]
    truth = np.hstack([target0 + times[:, None] * vel, np.tile(vel, (times.size, 1))])
    F, Q = transition_matrices(motion, times)
    R_ir = np.eye(2) * (30e-6) ** 2
    R_radar = np.diag([50.0**2, (2e-3) ** 2, (2e-3) ** 2, 10.0**2])

    def ir(i):
        return (lambda x: ir_jacobian(x, sats[i], frames[i]), R_ir)

    sets = [[ir(0)], [ir(0), ir(1)], [ir(0), ir(1), (radar.jacobian, R_radar)]]
    P0 = np.diag([1e8] * 3 + [1e6] * 3)
    res = [pcrlb(truth, [s] * times.size, F, Q, prior_cov=P0) for s in sets]
    for a, b in zip(res[:-1], res[1:], strict=True):
        assert np.all(b.pos_rmse_m <= a.pos_rmse_m * (1 + 1e-12))
        assert np.all(b.vel_rmse_mps <= a.vel_rmse_mps * (1 + 1e-12))
        diff = a.cov - b.cov  # Loewner order: a - b is positive semi-definite
        lam = np.linalg.eigvalsh(0.5 * (diff + np.swapaxes(diff, 1, 2)))
        assert np.all(lam[:, 0] >= -1e-9 * np.abs(a.cov).max(axis=(1, 2)))
    assert res[2].pos_rmse_m[-1] < 0.5 * res[0].pos_rmse_m[-1]
