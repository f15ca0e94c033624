"""Motion models against closed forms, numerical integration (scipy) and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.linalg import expm

from hdsim.earth import OMEGA_EARTH_RADPS, gravity_ecef
from hdsim.tracking.motion import (
    Augmented,
    CoordinatedTurn3D,
    HypersonicEcef,
    NearlyConstantAcceleration,
    NearlyConstantVelocity,
    Singer,
    gauss_markov_axis,
)


def van_loan(A: np.ndarray, G: np.ndarray, q: float, T: float) -> tuple[np.ndarray, np.ndarray]:
    """Discretise ẋ = A x + G w, E[w wᵀ] = q δ, by Van Loan's method (IEEE TAC 23(3), 1978)."""
    k = A.shape[0]
    M = np.zeros((2 * k, 2 * k))
    M[:k, :k] = -A
    M[:k, k:] = q * G @ G.T
    M[k:, k:] = A.T
    E = expm(M * T)
    F = E[k:, k:].T
    return F, F @ E[:k, k:]


def singer_closed_form(alpha: float, T: float, sigma: float) -> np.ndarray:
    """Singer Q per axis as printed in Li & Jilkov, "Survey of maneuvering target tracking,
    Part I", IEEE TAES 39(4) 2003, Singer model (from Singer, IEEE TAES 6(4) 1970):
    Q = 2ασ² [q_ij] with the q_ij below."""
    a, e1, e2 = alpha, np.exp(-alpha * T), np.exp(-2 * alpha * T)
    aT = a * T
    q11 = (1 - e2 + 2 * aT + 2 * aT**3 / 3 - 2 * aT**2 - 4 * aT * e1) / (2 * a**5)
    q12 = (e2 + 1 - 2 * e1 + 2 * aT * e1 - 2 * aT + aT**2) / (2 * a**4)
    q13 = (1 - e2 - 2 * aT * e1) / (2 * a**3)
    q22 = (4 * e1 - 3 - e2 + 2 * aT) / (2 * a**3)
    q23 = (e2 + 1 - 2 * e1) / (2 * a**2)
    q33 = (1 - e2) / (2 * a)
    return 2 * a * sigma**2 * np.array([[q11, q12, q13], [q12, q22, q23], [q13, q23, q33]])


A_CV = np.array([[0.0, 1.0], [0.0, 0.0]])
A_CA = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]])


def _axis(M: np.ndarray, k: int) -> np.ndarray:
    """x-axis block of a full (3k, 3k) matrix of layout [p, v, (a)] ⊗ I3."""
    return M[..., ::3, ::3][..., :k, :k]


@pytest.mark.parametrize("T", [0.01, 0.5, 3.0, 20.0])
def test_ncv_nca_against_van_loan(T: float) -> None:
    dt = np.array([T, T])
    F, Q = van_loan(A_CV, np.array([[0.0], [1.0]]), 2.5, T)
    m = NearlyConstantVelocity(2.5)
    np.testing.assert_allclose(_axis(m.F(dt), 2)[0], F, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_axis(m.Q(dt), 2)[1], Q, rtol=1e-10, atol=0)
    F, Q = van_loan(A_CA, np.array([[0.0], [0.0], [1.0]]), 0.7, T)
    m = NearlyConstantAcceleration(0.7)
    np.testing.assert_allclose(_axis(m.F(dt), 3)[0], F, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(_axis(m.Q(dt), 3)[0], Q, rtol=1e-9, atol=0)
    # axes are decoupled and identical
    full = m.Q(dt)[0]
    np.testing.assert_array_equal(full[1::3, 1::3], full[::3, ::3])
    assert np.all(full[0::3, 1::3] == 0)


@pytest.mark.parametrize("alpha_T", [0.3, 0.6, 1.0, 3.0, 30.0])
def test_singer_q_against_published_closed_form(alpha_T: float) -> None:
    """Where the printed closed form is well conditioned (αT ≳ 0.3) it is the oracle."""
    tau, sigma = 20.0, 30.0
    T = alpha_T * tau
    m = Singer(tau_s=tau, sigma_mps2=sigma)
    Q = _axis(m.Q(np.array([T])), 3)[0]
    np.testing.assert_allclose(Q, singer_closed_form(1 / tau, T, sigma), rtol=1e-9)
    a = 1 / tau
    F_ref = np.array([[1, T, (a * T - 1 + np.exp(-a * T)) / a**2],
                      [0, 1, (1 - np.exp(-a * T)) / a], [0, 0, np.exp(-a * T)]])
    np.testing.assert_allclose(_axis(m.F(np.array([T])), 3)[0], F_ref, rtol=1e-12)


@pytest.mark.parametrize("alpha_T", [0.0, 1e-8, 1e-4, 0.01, 0.3, 0.49, 0.51, 2.0, 8.0])
def test_singer_q_against_van_loan_all_regimes(alpha_T: float) -> None:
    """Small αT (where the printed formula cancels catastrophically) checked by Van Loan (whose
    e^{+αT} blocks limit it to moderate αT; large αT is covered by the closed-form test)."""
    T = 2.0
    alpha = alpha_T / T
    q = 3.0
    A = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, -alpha]])
    F_ref, Q_ref = van_loan(A, np.array([[0.0], [0.0], [1.0]]), q, T)
    F, Q = gauss_markov_axis(np.array([T]), alpha, q)
    np.testing.assert_allclose(F[0], F_ref, rtol=1e-11, atol=1e-12)
    np.testing.assert_allclose(Q[0], Q_ref, rtol=1e-8)


def test_singer_tends_to_nca_for_long_tau() -> None:
    T = np.array([1.0, 5.0])
    s = Singer(tau_s=1e9, sigma_mps2=np.sqrt(0.5 * 1e9 * 4.0))  # q = 2σ²/τ = 4
    np.testing.assert_allclose(s.Q(T), NearlyConstantAcceleration(4.0).Q(T), rtol=1e-7)
    np.testing.assert_allclose(s.F(T), NearlyConstantAcceleration(4.0).F(T), rtol=1e-8)


def _fd_jacobian(f, x: np.ndarray, steps) -> np.ndarray:
    """Central differences with one absolute step per state component (units of the state)."""
    d = x.shape[-1]
    J = np.empty(x.shape[:-1] + (f(x).shape[-1], d))
    for j in range(d):
        e = np.zeros_like(x)
        e[..., j] = steps[j]
        J[..., :, j] = (f(x + e) - f(x - e)) / (2 * steps[j])
    return J


def _assert_jac_close(J: np.ndarray, J_fd: np.ndarray, rtol: float = 1e-6) -> None:
    scale = np.max(np.abs(J), axis=-1, keepdims=True)  # per output row
    err = np.abs(J - J_fd) / scale
    assert np.max(err) <= rtol, np.max(err)


def _circle_states(rng: np.random.Generator, n: int, omega: np.ndarray, speed: np.ndarray):
    """Uniform circular motion in random 3D planes: p = c + ρ(cos φ u + sin φ w)."""
    u = rng.normal(size=(n, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    w = np.cross(u, rng.normal(size=(n, 3)))
    w /= np.linalg.norm(w, axis=1, keepdims=True)
    c = rng.normal(size=(n, 3)) * 1e5
    rho = speed / omega

    def state(t):
        ph = (omega * t)[:, None]
        p = c + rho[:, None] * (np.cos(ph) * u + np.sin(ph) * w)
        v = speed[:, None] * (-np.sin(ph) * u + np.cos(ph) * w)
        a = -(omega**2 * rho)[:, None] * (np.cos(ph) * u + np.sin(ph) * w)
        return np.concatenate([p, v, a], axis=1)

    return state


def test_coordinated_turn_follows_exact_circle() -> None:
    """Closed-form circle in random planes (turn rates 1e-4 … 0.3 rad/s, small-z series and
    closed-form branches) is reproduced by f to rounding."""
    rng = np.random.default_rng(1)
    omega = np.array([1e-4, 0.01, 0.05, 0.1, 0.3, 0.2])
    speed = np.array([2000.0, 1500.0, 3000.0, 300.0, 250.0, 1000.0])
    state = _circle_states(rng, 6, omega, speed)
    dt = np.array([1.0, 4.0, 10.0, 30.0, 20.0, 0.5])
    x1 = CoordinatedTurn3D(1.0).f(state(np.zeros(6)), dt)
    ref = state(dt)
    np.testing.assert_allclose(x1[:, :3], ref[:, :3], rtol=0, atol=1e-6)  # m
    np.testing.assert_allclose(x1[:, 3:6], ref[:, 3:6], rtol=0, atol=1e-8)  # m/s
    np.testing.assert_allclose(x1[:, 6:], ref[:, 6:], rtol=0, atol=1e-9)  # m/s²


def test_coordinated_turn_straight_line_is_nca() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=(4, 9)) * 100
    x[:, 6:9] = 3.0 * x[:, 3:6] / np.linalg.norm(x[:, 3:6], axis=1, keepdims=True)  # a ∥ v
    dt = np.array([0.1, 1.0, 5.0, 10.0])
    np.testing.assert_allclose(CoordinatedTurn3D(1.0).f(x, dt),
                               NearlyConstantAcceleration(1.0).f(x, dt), rtol=1e-13, atol=1e-9)


def test_coordinated_turn_jacobian_against_finite_differences() -> None:
    rng = np.random.default_rng(3)
    omega = np.array([1e-3, 0.02, 0.1, 0.3])
    speed = np.array([2000.0, 1500.0, 300.0, 250.0])
    x = _circle_states(rng, 4, omega, speed)(np.zeros(4))
    x[:, 6:] += rng.normal(size=(4, 3))  # not exactly coordinated
    dt = np.array([2.0, 5.0, 3.0, 8.0])
    m = CoordinatedTurn3D(1.0)
    steps = [1.0] * 3 + [1e-2] * 3 + [1e-3] * 3  # m, m/s, m/s²
    _assert_jac_close(m.jacobian(x, dt), _fd_jacobian(lambda s: m.f(s, dt), x, steps))


def _hgv_states() -> np.ndarray:
    # Glide at ~40 km altitude over two latitudes, plus a ballistic-like state at 300 km
    r = np.array([[6_418_137.0, 0.0, 0.0],
                  [3_000_000.0, 2_000_000.0, 5_200_000.0],
                  [0.0, -4_800_000.0, 4_800_000.0]])
    v = np.array([[0.0, 5000.0, 1000.0], [-2500.0, 4000.0, 800.0], [3000.0, 2000.0, 2500.0]])
    a = np.array([[-20.0, -5.0, 15.0], [1.0, -30.0, 3.0], [0.0, 0.0, 0.0]])
    return np.concatenate([r, v, a], axis=1)


def test_hypersonic_against_inertial_integration() -> None:
    """ECEF model vs an independent ECI integration (scipy DOP853, rtol 1e-12): with a_ng = 0
    and τ = inf the vehicle falls freely in inertial space under point-mass + J2 gravity, which
    is axisymmetric about z and thus has the same form in ECI and ECEF."""
    x0 = _hgv_states()
    x0[:, 6:] = 0.0
    T = 10.0
    w = OMEGA_EARTH_RADPS
    m = HypersonicEcef(q_m2ps5=1.0, max_step_s=0.5)
    x1 = m.f(x0, np.full(3, T))
    for i in range(3):
        r0, v0 = x0[i, :3], x0[i, 3:6]
        y0 = np.concatenate([r0, v0 + np.cross([0, 0, w], r0)])  # ECI = ECEF at t = 0
        sol = solve_ivp(lambda t, y: np.concatenate([y[3:], gravity_ecef(y[:3])]), (0, T), y0,
                        method="DOP853", rtol=1e-12, atol=1e-9)
        ri, vi = sol.y[:3, -1], sol.y[3:, -1]
        c, s = np.cos(w * T), np.sin(w * T)
        Rz = np.array([[c, s, 0], [-s, c, 0], [0, 0, 1]])  # ECI -> ECEF after rotation wT
        r1 = Rz @ ri
        v1 = Rz @ vi - np.cross([0, 0, w], r1)
        np.testing.assert_allclose(x1[i, :3], r1, rtol=0, atol=1e-4)  # 0.1 mm
        np.testing.assert_allclose(x1[i, 3:6], v1, rtol=0, atol=1e-7)


def test_hypersonic_specific_force_and_decay() -> None:
    """The specific force decays as e^{-T/τ} (Gauss-Markov closed form) and adds
    Δv = ∫ a e^{-t/τ} dt to the free-fall velocity (up to its small coupling through the
    Coriolis term and gravity gradient)."""
    x0 = _hgv_states()
    T = np.full(3, 2.0)
    m0 = HypersonicEcef(q_m2ps5=1.0, tau_s=50.0)
    x1 = m0.f(x0, T)
    np.testing.assert_allclose(x1[:, 6:], x0[:, 6:] * np.exp(-2.0 / 50.0), rtol=1e-9)  # RK4
    free = x0.copy()
    free[:, 6:] = 0
    dv = (x1[:, 3:6] - m0.f(free, T)[:, 3:6])
    expected = x0[:, 6:] * 50.0 * (1 - np.exp(-2.0 / 50.0))  # ∫ a e^{-t/τ} dt
    # the Coriolis coupling is at most ~2 ω_E |Δv| T ≈ 0.02 m/s here
    np.testing.assert_allclose(dv, expected, rtol=0, atol=0.02)


def test_hypersonic_jacobian_against_finite_differences() -> None:
    x = _hgv_states()
    dt = np.array([1.0, 3.0, 5.0])
    m = HypersonicEcef(q_m2ps5=1.0, tau_s=30.0, max_step_s=1.0)
    J = m.jacobian(x, dt)
    _assert_jac_close(J, _fd_jacobian(lambda s: m.f(s, dt), x, [1.0] * 3 + [0.1] * 6))


def test_augmented_model_pads_with_decoupled_zero_mean_states() -> None:
    ncv = NearlyConstantVelocity(2.0)
    aug = Augmented(ncv, 9, extra_var=25.0)
    dt = np.array([1.0, 2.0])
    x = np.arange(18.0).reshape(2, 9)
    y = aug.f(x, dt)
    np.testing.assert_array_equal(y[:, :6], ncv.f(x[:, :6], dt))
    np.testing.assert_array_equal(y[:, 6:], 0.0)
    Q = aug.Q(dt)
    np.testing.assert_array_equal(Q[:, :6, :6], ncv.Q(dt))
    np.testing.assert_array_equal(Q[:, 6:, 6:], np.broadcast_to(25.0 * np.eye(3), (2, 3, 3)))
    assert np.all(Q[:, :6, 6:] == 0) and np.all(aug.F(dt)[:, :, 6:] == 0)
    with pytest.raises(ValueError, match="dim"):
        Augmented(NearlyConstantAcceleration(1.0), 6, 1.0)


def test_hypersonic_prediction_does_not_depend_on_the_batch() -> None:
    """Each state takes its own ceil(|dt|/max_step) RK4 substeps: predicted alone or with
    tracks of longer gaps, a track gets the same state and transition matrix (to rounding), and
    that state agrees with DOP853 on the same free-fall equations."""
    x = _hgv_states()
    x[:, 6:] = 0.0
    dt = np.array([0.7, 4.0, 9.5])
    m = HypersonicEcef(q_m2ps5=1.0, max_step_s=1.0)
    xb, Jb = m.f(x, dt), m.jacobian(x, dt)
    for i in range(3):
        xi, Ji = m.f(x[i:i + 1], dt[i:i + 1]), m.jacobian(x[i:i + 1], dt[i:i + 1])
        np.testing.assert_allclose(xb[i], xi[0], rtol=1e-15, atol=1e-9)
        np.testing.assert_allclose(Jb[i], Ji[0], rtol=1e-12, atol=1e-12)
    # the 0.7 s gap takes one 0.7 s step (not ten 0.07 s steps set by the batch's 9.5 s): RK4's
    # error over one 0.7 s step of free fall is far below a millimetre (DOP853 as the oracle)
    wv = np.array([0.0, 0.0, OMEGA_EARTH_RADPS])

    def rhs(t, y):
        r, v = y[:3], y[3:6]
        return np.concatenate([v, gravity_ecef(r) - 2 * np.cross(wv, v)
                               - np.cross(wv, np.cross(wv, r))])

    sol = solve_ivp(rhs, (0, 0.7), x[0, :6], method="DOP853", rtol=1e-13, atol=1e-9)
    np.testing.assert_allclose(xb[0, :3], sol.y[:3, -1], rtol=0, atol=1e-6)


@pytest.mark.parametrize(("tau_s", "max_step_s", "j2", "omega"),
                         [(float("inf"), 1.0, None, OMEGA_EARTH_RADPS), (30.0, 0.5, None, 0.0),
                          (60.0, 2.0, 0.0, OMEGA_EARTH_RADPS)])
def test_compiled_hypersonic_integration_equals_the_numpy_form(tau_s, max_step_s, j2, omega):
    """The compiled RK4 (state and variational equations) and the NumPy form it replaced give
    the same state and transition matrix to rounding, for mixed gaps in one batch; the
    oracle tests above (DOP853, Gauss-Markov closed form, finite differences) run on the
    compiled one."""
    rng = np.random.default_rng(9)
    n = 40
    u = rng.normal(size=(n, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    x = np.c_[u * (6.4e6 + rng.uniform(2e4, 8e4, (n, 1))), rng.normal(0, 3000, (n, 3)),
              rng.normal(0, 20, (n, 3))]
    dt = rng.uniform(-3.0, 12.0, n)
    m = HypersonicEcef(q_m2ps5=1.0, tau_s=tau_s, max_step_s=max_step_s, j2=j2,
                       omega_radps=omega)
    xa, pa = m._integrate(x, dt, True)
    xb, pb = m._integrate_numpy(x, dt, True)
    np.testing.assert_allclose(xa, xb, rtol=1e-13, atol=1e-9)
    np.testing.assert_allclose(pa, pb, rtol=1e-11, atol=1e-12)
