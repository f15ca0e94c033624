"""Guidance laws and the linear homing loop against closed forms of
P. Zarchan, *Tactical and Strategic Missile Guidance* (AIAA): ch. 2 (zero-lag PN: step target
maneuver, heading error), ch. 3 (adjoint of the homing loop), ch. 4 and 6 (closed-form miss of a
single-time-constant guidance system; augmented PN against a constant maneuver).

The single-lag closed forms are derived here from the adjoint in the Laplace domain (Zarchan's
method, ch. 3–4): with ``x = t_F/τ`` and integer N' ≥ 3 the miss is the inverse transform of
``(sτ/(1+sτ))^N'`` times ``n_T/s³`` (step maneuver) or ``−V_M HE/s²`` (heading error)::

    miss / (n_T τ²)    =  d^(N'−3)/dx^(N'−3) [ x^(N'−1) e^(−x) / (N'−1)! ]
    miss / (V_M HE τ)  = −d^(N'−2)/dx^(N'−2) [ x^(N'−1) e^(−x) / (N'−1)! ]

e.g. N' = 3: ``x² e^(−x)/2`` and ``−x e^(−x)(1 − x/2)``.  The forward simulation, the adjoint
and these formulas are three independent computations.
"""

from math import factorial

import numpy as np
import numpy.polynomial.polynomial as P
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from hdsim.engagement import (
    apn_command,
    closing_speed,
    lag_step,
    limit_magnitude,
    linear_homing,
    linear_homing_adjoint,
    los_rate,
    pn_command,
)

T_F = 10.0


def single_lag_miss(x, n_gain, kind):
    """Closed-form normalized miss of the single-lag loop (see the module docstring)."""
    p = np.zeros(n_gain)
    p[n_gain - 1] = 1.0 / factorial(n_gain - 1)
    k = n_gain - 3 if kind == "target" else n_gain - 2
    for _ in range(k):  # d/dx [p(x) e^-x] = (p' - p) e^-x
        p = P.polysub(P.polyder(p), p)
    sign = 1.0 if kind == "target" else -1.0
    return sign * P.polyval(x, p) * np.exp(-x)


# ---------------------------------------------------------------------------------------------
# Zero-lag closed forms (Zarchan ch. 2, ch. 6)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_gain", [3, 4, 5])
def test_zero_lag_pn_step_maneuver(n_gain):
    """n_c/n_T = N/(N−2) [1 − (1 − t/t_F)^(N−2)], and it tends to N/(N−2) at intercept."""
    run = linear_homing(T_F, n_gain, 0.0, n_target_mps2=9.80665, steps=2000)
    t = run.t_s[0]
    # The command N'·ZEM/t_go² is 0/0 in the last steps (ZEM ~ t_go²): compare to 0.99 t_F.
    m = t <= 0.99 * T_F
    closed = n_gain / (n_gain - 2) * (1.0 - (1.0 - t / T_F) ** (n_gain - 2))
    # Measured: max error 3.4e-6 n_T (N = 5).
    np.testing.assert_allclose(run.n_c_mps2[0][m] / 9.80665, closed[m], atol=2e-5)
    # At 0.99 t_F the command is within 1 % of its limit N/(N−2) (closed form: 1 − 0.01^(N−2)).
    limit = n_gain / (n_gain - 2)
    assert abs(run.n_c_mps2[0][m][-1] / 9.80665 - limit) <= 0.0101 * limit
    assert abs(run.miss_m[0]) < 1e-3  # zero lag: no miss (m, for a 1 g maneuver)


@pytest.mark.parametrize("n_gain", [3, 4, 5])
def test_zero_lag_pn_heading_error(n_gain):
    """n_c = −V_M HE N/t_F (1 − t/t_F)^(N−2)."""
    vm, he = 3000.0, np.radians(10.0)
    run = linear_homing(T_F, n_gain, 0.0, heading_error_rad=he, v_m_mps=vm, steps=2000)
    t = run.t_s[0]
    m = t <= 0.99 * T_F
    closed = -vm * he * n_gain / T_F * (1.0 - t / T_F) ** (n_gain - 2)
    # Measured: max error 4e-9 of the initial command.
    np.testing.assert_allclose(run.n_c_mps2[0][m], closed[m], atol=1e-6 * abs(closed[0]))


@pytest.mark.parametrize("n_gain", [3, 4, 5])
def test_zero_lag_apn_does_not_grow(n_gain):
    """APN with the target acceleration known: n_c/n_T = (N/2)(1 − t/t_F)^(N−2) (ch. 6):
    largest at launch (N/2), falling to 0 at intercept, while PN's grows to N/(N−2)."""
    nt = 9.80665
    apn = linear_homing(T_F, n_gain, 0.0, n_target_mps2=nt, apn=True, steps=2000)
    pn = linear_homing(T_F, n_gain, 0.0, n_target_mps2=nt, steps=2000)
    t = apn.t_s[0]
    m = t <= 0.99 * T_F
    closed = 0.5 * n_gain * (1.0 - t / T_F) ** (n_gain - 2)
    np.testing.assert_allclose(apn.n_c_mps2[0][m] / nt, closed[m], atol=2e-5)
    assert np.nanmax(apn.n_c_mps2[0]) / nt == pytest.approx(0.5 * n_gain, abs=1e-6)
    assert np.all(np.diff(apn.n_c_mps2[0][m]) <= 2e-5 * nt)  # non-increasing (to roundoff)
    # End game: APN's command has fallen to ~0 while PN's has grown to ~N/(N−2) n_T.
    assert apn.n_c_mps2[0][m][-1] / nt < 0.011 * 0.5 * n_gain  # closed form: ≤ 0.01 N/2
    assert np.all(np.diff(pn.n_c_mps2[0][m]) >= -2e-5 * nt)
    assert pn.n_c_mps2[0][m][-1] / nt > 0.98 * n_gain / (n_gain - 2)


# ---------------------------------------------------------------------------------------------
# Single-lag loop: adjoint vs forward sweeps vs closed form (Zarchan ch. 3-4)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n_gain", [3, 4, 5])
def test_adjoint_matches_forward_sweep_and_closed_form(n_gain):
    tau = 1.0
    adj = linear_homing_adjoint(20.0, n_gain, tau, steps=4000)
    t_f = np.linspace(0.5, 20.0, 40)  # on the adjoint grid (step 5 ms)
    i = np.round(t_f / adj.t_f_s[1]).astype(int)
    fwd_nt = linear_homing(t_f, n_gain, tau, n_target_mps2=1.0, steps=2000).miss_m
    fwd_he = linear_homing(t_f, n_gain, tau, heading_error_rad=1.0, v_m_mps=1.0,
                           steps=2000).miss_m
    adj_nt = adj.miss_per_target_accel_s2[i]
    adj_he = adj.miss_per_heading_error_m[i]
    cf_nt = single_lag_miss(t_f / tau, n_gain, "target")
    cf_he = single_lag_miss(t_f / tau, n_gain, "heading")
    peak_nt, peak_he = np.abs(cf_nt).max(), np.abs(cf_he).max()
    # Adjoint vs forward: < 1 % of the peak everywhere, and < 1 % pointwise where the miss is
    # larger than 10 % of the peak.  Measured: 5.4e-4 of the peak (N' = 5).
    for a, f, pk in ((adj_nt, fwd_nt, peak_nt), (adj_he, fwd_he, peak_he)):
        assert np.abs(a - f).max() < 0.01 * pk
        big = np.abs(a) > 0.1 * pk
        assert np.all(np.abs(a - f)[big] < 0.01 * np.abs(a[big]))
    # Adjoint vs closed form: measured 7e-6 of the peak.
    assert np.abs(adj_nt - cf_nt).max() < 1e-4 * peak_nt
    assert np.abs(adj_he - cf_he).max() < 1e-4 * peak_he


@pytest.mark.parametrize(("n_gain", "x_peak", "peak"), [
    # Peak of the positive lobe of miss/(n_T τ²), where d/dx of the closed form vanishes:
    # N' = 3: x = 2, value 2 e^-2 = 0.2707;  N' = 4: x = 3 − √3 = 1.268;
    # N' = 5: root of 1 − 1.5x + x²/2 − x³/24 (found here on a fine grid of the closed form).
    (3, 2.0, 2.0 * np.exp(-2.0)),
    (4, 3.0 - np.sqrt(3.0), None),
    (5, None, None),
])
def test_normalized_miss_curve_features(n_gain, x_peak, peak):
    """Features of the normalized miss due to a step maneuver, single lag (Zarchan ch. 3-4).

    Measured (τ = 1, adjoint): the largest |miss|/(n_T τ²) is 0.2707 at t_F/τ = 2.00 (N' = 3),
    0.1306 at 1.27 (N' = 4), 0.0771 at 0.94 (N' = 5): the peak moves to shorter flights and
    drops as N' grows; for t_F/τ > 10 |miss| stays below 0.8 %, 4.0 %, 7.8 % of the peak, and
    below 1 % of it for t_F/τ > 15 (all three).  For N' ≥ 4 the miss changes sign (at t_F/τ = 3
    for N' = 4).
    """
    adj = linear_homing_adjoint(30.0, n_gain, 1.0, steps=6000)
    x, m = adj.t_f_s, adj.miss_per_target_accel_s2
    k = np.argmax(np.abs(m))
    fine = np.linspace(0.01, 10.0, 100_000)
    cf = single_lag_miss(fine, n_gain, "target")
    x_peak = fine[np.argmax(cf)] if x_peak is None else x_peak
    peak = cf.max() if peak is None else peak
    assert x[k] == pytest.approx(x_peak, abs=0.01)
    assert abs(m[k]) == pytest.approx(peak, rel=1e-4)
    assert 0.5 < x[k] < 2.5
    assert m[k] > 0.0
    assert np.abs(m[x > 10.0]).max() < 0.1 * abs(m[k])
    assert np.abs(m[x > 15.0]).max() < 0.01 * abs(m[k])
    if n_gain >= 4:
        assert m[x > 5.0].min() < 0.0  # sign change
    if n_gain == 4:
        z = x[np.flatnonzero(np.diff(np.sign(m[1:])))[0] + 1]
        assert z == pytest.approx(3.0, abs=0.01)


def test_heading_error_closed_form_n3():
    """Single lag, N' = 3: miss/(V_M HE τ) = −x e^(−x)(1 − x/2), x = t_F/τ (zero at x = 2)."""
    tau, vm, he = 0.5, 3000.0, np.radians(5.0)
    t_f = np.array([0.25, 0.5, 1.0, 1.5, 2.0, 3.0])
    x = t_f / tau
    run = linear_homing(t_f, 3, tau, heading_error_rad=he, v_m_mps=vm, steps=4000)
    closed = -vm * he * tau * x * np.exp(-x) * (1.0 - x / 2.0)
    # Measured: max error 2.4 mm on misses up to 30 m.
    np.testing.assert_allclose(run.miss_m, closed, atol=0.02)
    assert abs(run.miss_m[2]) < 0.02  # t_F = 1 s, x = 2: zero miss


def test_adjoint_needs_a_lag():
    with pytest.raises(ValueError, match="tau_s"):
        linear_homing_adjoint(10.0, 3, 0.0)


# ---------------------------------------------------------------------------------------------
# 3-D laws
# ---------------------------------------------------------------------------------------------


def test_pn_command_against_finite_difference_los_rate():
    """3-D TPN magnitude equals N V_c λ̇ with λ̇ from finite differences of the LOS direction,
    and it points along the LOS rotation (perpendicular to the LOS)."""
    rng = np.random.default_rng(1)
    r = rng.normal(size=(50, 3)) * 1e4
    v = rng.normal(size=(50, 3)) * 1e3
    n_gain = 4.0
    a = pn_command(r, v, n_gain)
    h = 1e-4
    u_p = (r + h * v) / np.linalg.norm(r + h * v, axis=1, keepdims=True)
    u_m = (r - h * v) / np.linalg.norm(r - h * v, axis=1, keepdims=True)
    udot = (u_p - u_m) / (2 * h)  # = λ̇ × perpendicular unit vector
    vc = -np.einsum("ij,ij->i", r, v) / np.linalg.norm(r, axis=1)
    expected = n_gain * vc[:, None] * udot
    np.testing.assert_allclose(a, expected, rtol=1e-6, atol=1e-9 * np.abs(expected).max())
    np.testing.assert_allclose(np.linalg.norm(los_rate(r, v), axis=1),
                               np.linalg.norm(udot, axis=1), rtol=1e-6)
    np.testing.assert_allclose(closing_speed(r, v), vc)


def test_planar_pn_command_is_n_vc_lambda_dot():
    """Planar head-on case: LOS along y, relative crossing speed w: a = N V_c (w/R) ẑ."""
    r = np.array([0.0, 10_000.0, 0.0])
    v = np.array([0.0, -3000.0, 30.0])
    a = pn_command(r, v, 3.0)
    np.testing.assert_allclose(a, [0.0, 0.0, 3.0 * 3000.0 * 30.0 / 10_000.0], atol=1e-12)


def test_apn_adds_half_n_times_perpendicular_target_accel():
    r = np.array([0.0, 10_000.0, 0.0])
    v = np.array([0.0, -3000.0, 0.0])  # no LOS rate: PN commands nothing
    at = np.array([5.0, 7.0, 9.80665])  # along-LOS component (7) is ignored
    np.testing.assert_allclose(apn_command(r, v, 4.0, at), [10.0, 0.0, 2 * 9.80665],
                               atol=1e-12)


def test_limit_and_lateral_projection():
    r = np.array([[0.0, 1000.0, 0.0]])
    v = np.array([[0.0, -3000.0, 3000.0]])
    vm = np.array([[0.0, 1.0, 1.0]])  # interceptor velocity not along the LOS
    a = pn_command(r, v, 4.0, max_accel_mps2=100.0, v_interceptor=vm)
    assert np.linalg.norm(a) == pytest.approx(100.0)
    assert abs(a[0] @ vm[0]) < 1e-9
    np.testing.assert_allclose(limit_magnitude([[3.0, 4.0, 0.0]], 1.0), [[0.6, 0.8, 0.0]])


def test_lag_step_is_the_exponential_response():
    """First-order lag to a step command: a(t) = a_c (1 − e^(−t/τ))."""
    tau, dt = 0.3, 0.01
    a = np.zeros((1, 3))
    cmd = np.array([[0.0, 50.0, 0.0]])
    for _ in range(100):
        a = lag_step(a, cmd, tau, dt)
    assert a[0, 1] == pytest.approx(50.0 * (1.0 - np.exp(-1.0 / tau)), rel=1e-12)
    np.testing.assert_allclose(lag_step(a, cmd, 0.0, dt), cmd)


vec3 = st.tuples(*[st.floats(-1e5, 1e5, allow_nan=False)] * 3)


@settings(max_examples=200, deadline=None)
@given(r=vec3, v=vec3, vm=vec3, a_max=st.floats(1.0, 1e3))
def test_pn_command_geometry_properties(r, v, vm, a_max):
    """TPN is perpendicular to the LOS; the lateral, limited command is perpendicular to the
    interceptor velocity and within the limit."""
    r, v, vm = np.array(r), np.array(v), np.array(vm)
    assume(np.linalg.norm(r) > 1.0 and np.linalg.norm(vm) > 1.0)
    a = pn_command(r, v, 4.0)
    assert abs(a @ r) <= 1e-9 * (np.linalg.norm(a) * np.linalg.norm(r) + 1.0)
    b = pn_command(r, v, 4.0, max_accel_mps2=a_max, v_interceptor=vm)
    assert np.linalg.norm(b) <= a_max * (1.0 + 1e-12)
    # rounding of the projection scales with the unprojected command |a|, not with |b|
    scale = (np.linalg.norm(a) + np.linalg.norm(b)) * np.linalg.norm(vm)
    assert abs(b @ vm) <= 1e-9 * (scale + 1.0)
