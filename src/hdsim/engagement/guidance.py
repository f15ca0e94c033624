"""Homing guidance laws (true and augmented proportional navigation), the guidance lag, and
Zarchan's planar linearized homing loop with its adjoint.

References: P. Zarchan, *Tactical and Strategic Missile Guidance*, AIAA Progress in
Astronautics and Aeronautics (6th ed. 2012): ch. 2 (proportional navigation and its planar
linearization), ch. 3 (method of adjoints and the homing loop), ch. 4 (closed-form miss
distances), ch. 6 (closed-form solutions; PN vs augmented PN against a maneuvering target).

Three-dimensional laws (vectorized over leading batch axes, SI units, any inertial-enough
Cartesian frame; the engagement code uses ECEF)::

    r = r_T − r_M,  v = v_T − v_M                      relative position and velocity
    ω = r × v / |r|²                                   line-of-sight (LOS) rate vector, rad/s
    V_c = −r·v / |r|                                   closing speed, m/s
    a_PN  = N V_c ω × r̂                                true PN (Zarchan ch. 2, 3-D form)
    a_APN = a_PN + (N/2) a_T⊥                          augmented PN (Zarchan ch. 6, 8)

``a_T⊥`` is the target's (maneuver) acceleration component perpendicular to the LOS.  True PN
commands an acceleration perpendicular to the LOS.  An airframe with aerodynamic or divert
control can only accelerate perpendicular to its own velocity, so when the interceptor velocity
is given the command is projected onto the plane perpendicular to it ("lateral" command);
for the near-collision geometries of homing the two planes differ by the lead angle and the
difference is second order.  The acceleration limit clips the vector's magnitude, keeping its
direction (after the projection).

Guidance lag: the achieved lateral acceleration ``a_L`` follows the (limited) command through a
first-order lag ``da_L/dt = (a_c − a_L)/τ`` (Zarchan's single-time-constant flight control
system, ch. 3).  ``a_L`` is a state the integrator carries; with ``τ = 0`` the command is
achieved at once.  A first-order lag of a command bounded by ``a_max`` stays bounded by it.

Planar linear homing loop (Zarchan ch. 2–3), relative displacement ``y = y_T − y_M`` normal
to the initial LOS, ``t_go = t_F − t``::

    ÿ = n_T − n_L
    n_c = N' V_c λ̇ = N' (y + ẏ t_go) / t_go²          (+ N' n_T / 2 for APN)
    ṅ_L = (n_c − n_L) / τ                              (n_L = n_c when τ = 0)
    heading error HE:  ẏ(0) = −V_M HE;   target step maneuver n_T from t = 0
    miss = y(t_F)

The adjoint of this loop, integrated once in adjoint time (= time to go), gives the miss for
every flight time at once (Zarchan ch. 3).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.earth.vectors import cross as _cross
from hdsim.earth.vectors import dot as _dot

__all__ = [
    "LinearHomingRun",
    "AdjointMiss",
    "closing_speed",
    "los_rate",
    "lateral",
    "limit_magnitude",
    "pn_command",
    "apn_command",
    "lag_derivative",
    "lag_step",
    "linear_homing",
    "linear_homing_adjoint",
]




def closing_speed(r_rel: ArrayLike, v_rel: ArrayLike) -> NDArray:
    """Closing speed ``V_c = −r·v/|r|`` (m/s, positive when closing), shape ``(...)``."""
    r, v = np.asarray(r_rel, float), np.asarray(v_rel, float)
    rn = np.linalg.norm(r, axis=-1)
    return -_dot(r, v) / np.where(rn > 0.0, rn, 1.0)


def los_rate(r_rel: ArrayLike, v_rel: ArrayLike) -> NDArray:
    """Line-of-sight rate vector ``ω = r × v / |r|²`` (rad/s), shape ``(..., 3)``."""
    r, v = np.asarray(r_rel, float), np.asarray(v_rel, float)
    rr = _dot(r, r)
    return _cross(r, v) / np.where(rr > 0.0, rr, 1.0)[..., None]


def lateral(a: ArrayLike, direction: ArrayLike) -> NDArray:
    """Component of ``a (..., 3)`` perpendicular to ``direction (..., 3)`` (any length)."""
    a, d = np.asarray(a, float), np.asarray(direction, float)
    dd = _dot(d, d)
    return a - (_dot(a, d) / np.where(dd > 0.0, dd, 1.0))[..., None] * d


def limit_magnitude(a: ArrayLike, a_max: ArrayLike | None) -> NDArray:
    """Clip the magnitude of ``a (..., 3)`` to ``a_max (...)`` keeping its direction."""
    a = np.asarray(a, float)
    if a_max is None:
        return a
    n = np.linalg.norm(a, axis=-1)
    a_max = np.asarray(a_max, float)
    scale = np.where(n > a_max, a_max / np.where(n > 0.0, n, 1.0), 1.0)
    return a * scale[..., None]


def pn_command(
    r_rel: ArrayLike,
    v_rel: ArrayLike,
    n_gain: ArrayLike,
    max_accel_mps2: ArrayLike | None = None,
    v_interceptor: ArrayLike | None = None,
) -> NDArray:
    """True proportional navigation command ``N V_c ω × r̂`` (m/s², ``(..., 3)``).

    Args:
        r_rel: target minus interceptor position, ``(..., 3)``, m.
        v_rel: target minus interceptor velocity, ``(..., 3)``, m/s.
        n_gain: effective navigation ratio N' (dimensionless), broadcast to ``(...)``.
        max_accel_mps2: magnitude limit, m/s² (None: no limit).
        v_interceptor: interceptor velocity ``(..., 3)``; when given, the command is made
            perpendicular to it (lateral acceleration) before the limit.

    Returns:
        Commanded acceleration, perpendicular to the LOS (or to ``v_interceptor``), Zarchan
        ch. 2 (``n_c = N' V_c λ̇``).
    """
    r = np.asarray(r_rel, float)
    v = np.asarray(v_rel, float)
    rn = np.linalg.norm(r, axis=-1, keepdims=True)
    u = r / np.where(rn > 0.0, rn, 1.0)
    a = (np.asarray(n_gain, float) * closing_speed(r, v))[..., None] * _cross(los_rate(r, v), u)
    if v_interceptor is not None:
        a = lateral(a, v_interceptor)
    return limit_magnitude(a, max_accel_mps2)


def apn_command(
    r_rel: ArrayLike,
    v_rel: ArrayLike,
    n_gain: ArrayLike,
    target_accel: ArrayLike,
    max_accel_mps2: ArrayLike | None = None,
    v_interceptor: ArrayLike | None = None,
) -> NDArray:
    """Augmented PN: true PN plus ``(N/2) a_T⊥`` (m/s², ``(..., 3)``), Zarchan ch. 6 and 8.

    ``target_accel (..., 3)`` is the target maneuver acceleration (the part the interceptor
    does not share: in a gravity field, the target's acceleration minus the interceptor's
    free-fall acceleration); only its component perpendicular to the LOS is used.  The other
    arguments are those of :func:`pn_command`.
    """
    r = np.asarray(r_rel, float)
    n_gain = np.asarray(n_gain, float)
    a = pn_command(r, v_rel, n_gain)
    a = a + (0.5 * n_gain)[..., None] * lateral(target_accel, r)
    if v_interceptor is not None:
        a = lateral(a, v_interceptor)
    return limit_magnitude(a, max_accel_mps2)


def lag_derivative(a_achieved: ArrayLike, a_command: ArrayLike, tau_s: ArrayLike) -> NDArray:
    """Rate of the achieved acceleration of a first-order lag, ``(a_c − a_L)/τ`` (m/s³)."""
    tau = np.asarray(tau_s, float)
    return (np.asarray(a_command, float) - np.asarray(a_achieved, float)) / tau[..., None]


def lag_step(a_achieved: ArrayLike, a_command: ArrayLike, tau_s: ArrayLike, dt_s: float
             ) -> NDArray:
    """Exact step of the first-order lag over ``dt_s`` with the command held (zero-order hold).

    ``a_L(t+dt) = a_c + (a_L(t) − a_c) e^{−dt/τ}``; ``τ = 0`` gives ``a_c``.
    """
    tau = np.asarray(tau_s, float)
    with np.errstate(divide="ignore", over="ignore"):
        decay = np.where(tau > 0.0, np.exp(-dt_s / np.where(tau > 0.0, tau, 1.0)), 0.0)
    ac = np.asarray(a_command, float)
    return ac + (np.asarray(a_achieved, float) - ac) * decay[..., None]


# ---------------------------------------------------------------------------------------------
# Planar linear homing loop (Zarchan ch. 2-3)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinearHomingRun:
    """Forward runs of the linear homing loop, one row per engagement.

    Attributes:
        t_s: ``(m, K+1)`` times, s (each row its own uniform grid from 0 to t_F).
        y_m: ``(m, K+1)`` relative displacement ``y_T − y_M``, m.
        ydot_mps: ``(m, K+1)`` its rate, m/s.
        n_c_mps2: ``(m, K+1)`` commanded acceleration (NaN at t_F, where t_go = 0).
        n_l_mps2: ``(m, K+1)`` achieved acceleration.
        miss_m: ``(m,)`` ``y(t_F)``, m.
    """

    t_s: NDArray
    y_m: NDArray
    ydot_mps: NDArray
    n_c_mps2: NDArray
    n_l_mps2: NDArray
    miss_m: NDArray


def _command_linear(y, yd, nt, tgo, n_gain, apn):
    return n_gain * (y + yd * tgo) / (tgo * tgo) + np.where(apn, 0.5 * n_gain * nt, 0.0)


def linear_homing(
    t_f_s: ArrayLike,
    n_gain: ArrayLike,
    tau_s: ArrayLike = 0.0,
    n_target_mps2: ArrayLike = 0.0,
    heading_error_rad: ArrayLike = 0.0,
    v_m_mps: ArrayLike = 1.0,
    apn: ArrayLike = False,
    steps: int = 2000,
) -> LinearHomingRun:
    """Integrate Zarchan's planar linear homing loop forward (RK4), batched over engagements.

    All parameters broadcast to a common shape ``(m,)``; each engagement has its own step
    ``t_F/steps``.  Guidance is continuous (evaluated at every Runge–Kutta stage).  The command
    ``∝ 1/t_go²`` is evaluated with ``t_go`` floored at ``1e-9 t_F``; that only reaches the last
    stage of the last step, which does not enter ``y(t_F)``.

    Args:
        t_f_s: flight time t_F, s.
        n_gain: effective navigation ratio N'.
        tau_s: guidance (flight control) time constant τ, s (0: no lag).
        n_target_mps2: target step maneuver n_T, m/s², applied from t = 0.
        heading_error_rad: heading error HE, rad (``ẏ(0) = −V_M HE``).
        v_m_mps: interceptor speed V_M, m/s.
        apn: use augmented PN (``+ N' n_T / 2``, target acceleration known exactly).
        steps: RK4 steps per engagement.
    """
    tf, n_gain, tau, nt, he, vm, apn = (
        np.atleast_1d(a).astype(float if i < 6 else bool)
        for i, a in enumerate(np.broadcast_arrays(t_f_s, n_gain, tau_s, n_target_mps2,
                                                  heading_error_rad, v_m_mps, apn)))
    lag = tau > 0.0
    tau_safe = np.where(lag, tau, 1.0)
    dt = tf / steps
    tgo_min = 1e-9 * tf

    def deriv(t, x):
        y, yd, nl = x
        tgo = np.maximum(tf - t, tgo_min)
        nc = _command_linear(y, yd, nt, tgo, n_gain, apn)
        nl_eff = np.where(lag, nl, nc)
        return np.stack([yd, nt - nl_eff, np.where(lag, (nc - nl) / tau_safe, 0.0)])

    m = tf.size
    x = np.zeros((3, m))
    x[1] = -vm * he
    out = np.empty((steps + 1, 3, m))
    out[0] = x
    for k in range(steps):
        t = k * dt
        k1 = deriv(t, x)
        k2 = deriv(t + 0.5 * dt, x + 0.5 * dt * k1)
        k3 = deriv(t + 0.5 * dt, x + 0.5 * dt * k2)
        k4 = deriv(t + dt, x + dt * k3)
        x = x + (dt / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        out[k + 1] = x
    t_grid = np.arange(steps + 1)[None, :] * dt[:, None]
    y, yd, nl = out[:, 0].T, out[:, 1].T, out[:, 2].T
    tgo = tf[:, None] - t_grid
    with np.errstate(divide="ignore", invalid="ignore"):
        nc = _command_linear(y, yd, nt[:, None], tgo, n_gain[:, None], apn[:, None])
    nc[:, -1] = np.nan
    nl = np.where(lag[:, None], nl, nc)
    return LinearHomingRun(t_s=t_grid, y_m=y, ydot_mps=yd, n_c_mps2=nc, n_l_mps2=nl,
                           miss_m=y[:, -1])


@dataclass(frozen=True)
class AdjointMiss:
    """Miss distance of the single-lag linear homing loop for every flight time (adjoint).

    Attributes:
        t_f_s: ``(K+1,)`` flight times, s (the adjoint time grid, from 0).
        miss_per_target_accel_s2: ``(K+1,)`` miss per unit target step maneuver, m/(m/s²).
        miss_per_heading_error_m: ``(K+1,)`` miss per unit ``V_M HE``, m/(m/s), i.e. the miss
            due to an initial relative velocity ``ẏ(0) = −1`` m/s.
    """

    t_f_s: NDArray
    miss_per_target_accel_s2: NDArray
    miss_per_heading_error_m: NDArray

    def miss_m(self, n_target_mps2: float = 0.0, heading_error_rad: float = 0.0,
               v_m_mps: float = 1.0) -> NDArray:
        """Total miss (m) for a target step ``n_T`` and a heading error ``HE`` (superposition)."""
        return (n_target_mps2 * self.miss_per_target_accel_s2
                + v_m_mps * heading_error_rad * self.miss_per_heading_error_m)


def linear_homing_adjoint(
    t_f_max_s: float,
    n_gain: float,
    tau_s: float,
    apn: bool = False,
    steps: int = 4000,
) -> AdjointMiss:
    """Adjoint of the single-lag linear homing loop (Zarchan ch. 3), one run for all t_F.

    The loop ``ẋ = A(t_go) x`` with ``x = (y, ẏ, n_L, n_T)`` has the adjoint
    ``dλ/dt_go = A(t_go)ᵀ λ``, ``λ(0) = (1, 0, 0, 0)``; the miss of a flight of duration t_F is
    ``y(t_F) = λ(t_F) · x(0)`` with ``x(0) = (0, −V_M HE, 0, n_T)``.  The adjoint starts at
    ``t_go = s = 0`` where ``A`` is singular; its Taylor series
    ``λ ≈ (1 − N' s/(2τ), s − N' s²/(2τ), −s²/2, s²/2)`` starts the integration at
    ``s0 = 1e-4 h``, so the 1/t_go² terms are never evaluated at 0.

    Args:
        t_f_max_s: largest flight time of interest, s.
        n_gain: effective navigation ratio N'.
        tau_s: guidance time constant τ > 0, s.
        apn: augmented PN with exactly known target acceleration.
        steps: RK4 steps over ``[0, t_f_max_s]``.
    """
    if not tau_s > 0.0:
        raise ValueError(f"tau_s = {tau_s!r}: the adjoint loop needs a guidance lag tau_s > 0")
    h = t_f_max_s / steps
    nn, tau = float(n_gain), float(tau_s)
    k_apn = 0.5 * nn / tau if apn else 0.0

    def deriv(s, lam):
        l1, l2, l3, _ = lam
        return np.array([
            nn / (tau * s * s) * l3,
            l1 + nn / (tau * s) * l3,
            -l2 - l3 / tau,
            l2 + k_apn * l3,
        ])

    # Series start at s0 << h, then RK4 on a geometric sub-grid up to the first node s = h
    # (step/s ≈ 0.15, so the 1/s terms are resolved).
    s0 = h * 1e-4
    lam = np.array([1.0 - 0.5 * nn * s0 / tau, s0 - 0.5 * nn * s0 * s0 / tau, -0.5 * s0 * s0,
                    0.5 * s0 * s0])
    grid = s0 * (h / s0) ** (np.arange(61) / 60.0)
    for s_a, s_b in zip(grid[:-1], grid[1:], strict=True):
        lam = _rk4(deriv, s_a, lam, s_b - s_a)
    out = np.empty((steps + 1, 4))
    out[0] = (1.0, 0.0, 0.0, 0.0)
    out[1] = lam
    for k in range(1, steps):
        lam = _rk4(deriv, k * h, lam, h)
        out[k + 1] = lam
    return AdjointMiss(t_f_s=np.arange(steps + 1) * h, miss_per_target_accel_s2=out[:, 3],
                       miss_per_heading_error_m=-out[:, 1])


def _rk4(f, t, x, h):
    k1 = f(t, x)
    k2 = f(t + 0.5 * h, x + 0.5 * h * k1)
    k3 = f(t + 0.5 * h, x + 0.5 * h * k2)
    k4 = f(t + h, x + h * k3)
    return x + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
