"""Free flight of shots: the one integrator of interceptors and railgun rounds, batched.

Equations of motion in ECEF, the same as the threats' (:mod:`hdsim.threats.flight`; Vinh,
Busemann & Culp 1980 ch. 2; Vallado 4th ed. §3.7), plus the guidance-lag state::

    dr/dt   = v
    dv/dt   = g(r) − 2 ω×v − ω×(ω×r) − (ρ |v| CD A / 2m) v + T v̂ + a_L⊥
    da_L/dt = (a_c − a_L) / τ          (a_L = a_c when τ = 0)

* gravity: point mass + J2 (:func:`hdsim.earth.gravity_ecef`); rotation and J2 follow the
  :class:`~hdsim.earth.EarthModel` switches; ``gravity=False`` turns gravity off entirely (a
  textbook setting for guidance tests).  :func:`free_fall_accel` (gravity, Coriolis,
  centrifugal) is also the motion model of fire control's ballistic track prediction
  (:mod:`hdsim.engagement.prediction`, with :func:`free_fall_rk4_step`).
* atmosphere at rest with the Earth, 1976 standard density
  (:func:`hdsim.earth.atmosphere.atmosphere_table`), drag with a constant CD and reference
  area, constant (burnout) mass.
* thrust: a constant acceleration along the velocity during the burn (interceptors; see
  :mod:`hdsim.engagement.interceptor`).  Burnout is exact when it falls on a step boundary (a
  step straddling it is first-order accurate there).
* guidance (:mod:`hdsim.engagement.guidance`): true PN (or augmented PN) on the relative state
  to the target, evaluated at every Runge–Kutta stage (continuous guidance), projected
  perpendicular to the shot's velocity, magnitude-limited, then lagged with the guidance time
  constant.  Before the target is within seeker range (of the truth), guidance uses the
  *uplinked* target state (``uplink_state``, e.g. a track estimate; the truth when none is
  given); once within seeker range (latched) it uses the truth (an ideal seeker).  For APN the
  target maneuver is the target's acceleration minus the shot's free-fall acceleration.

Integration: classical RK4 at a fixed step, every shot in lockstep in its own time since launch.
Closest approach is found *between* steps: when the range rate to the target (truth) changes
sign from closing to opening over a step, the relative position is the cubic Hermite
interpolant of the relative positions and velocities at the ends of the step
(:func:`hdsim.threats.trajectory.hermite_on_step`; de Boor, ch. IV), and ``|r(s)|`` is
minimized on it (grid, then Newton on ``r·r' = 0``): exact to the interpolation error,
``O(dt⁴)`` (sub-millimetre at dt = 0.01 s).  The same Hermite interpolant locates a ground
impact by bisection, as :func:`hdsim.threats.flight.fly` does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.earth import EarthModel, ecef_to_geodetic, gravity_ecef
from hdsim.earth.atmosphere import atmosphere_table
from hdsim.earth.vectors import dot as _dot
from hdsim.earth.vectors import rotating_frame_accel
from hdsim.engagement.guidance import lateral, limit_magnitude, pn_command
from hdsim.engagement.shot_kernel import rk4_shot_step, shot_derivative
from hdsim.threats.trajectory import hermite, hermite_on_step, hermite_on_step_derivatives

__all__ = [
    "FlyoutResult",
    "FlyoutStatus",
    "ShotVehicles",
    "TargetFn",
    "fly_shots",
    "free_fall_accel",
    "free_fall_derivative",
    "free_fall_rk4_step",
]


class FlyoutStatus(IntEnum):
    """Why a shot's flight ended (int8 codes of :attr:`FlyoutResult.status`); not a track
    status (that is :class:`hdsim.tracking.history.TrackStatus`)."""

    CLOSEST_APPROACH = 0
    TIMEOUT = 1
    GROUND = 2
    TARGET_LOST = 3

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Lower-case names in code order: ``("closest_approach", "timeout", "ground",
        "target_lost")`` (the ``flyout_status`` column of the engagements table)."""
        return tuple(s.name.lower() for s in cls)


COMPILED = True
BLOCK_STEPS = 128
"""Steps whose target and uplink states are evaluated in one call (see :func:`fly_shots`)."""
"""Whether :func:`fly_shots` steps with the compiled kernel (:mod:`shot_kernel`); False runs
the NumPy reference right-hand side (the tests run both)."""

TargetFn = Callable[[NDArray[np.float64]], NDArray[np.float64]]
"""``f(t_s (n,)) -> (n, 6)``: ECEF state of the target of each shot at absolute times ``t_s``
(row i is shot i's target at ``t_s[i]``); NaN rows where the target does not exist."""


# ---------------------------------------------------------------------------------------------
# Free fall (shared with fire control's ballistic prediction)
# ---------------------------------------------------------------------------------------------


def free_fall_accel(pos: NDArray, vel: NDArray, earth: EarthModel, gravity: bool = True
                    ) -> NDArray:
    """Gravity (point mass + J2) + Coriolis + centrifugal acceleration in ECEF, m/s².

    ``pos (..., 3)`` m, ``vel (..., 3)`` m/s (Earth-relative); rotation and J2 follow the
    Earth model's switches, ``gravity=False`` leaves only the rotating-frame terms.
    """
    a = gravity_ecef(pos, earth.mu, earth.j2, earth.r_eq_m) if gravity else np.zeros_like(pos)
    if earth.rotation:
        a = a + rotating_frame_accel(pos, vel, earth.omega_radps)
    return a


def free_fall_derivative(x: NDArray, earth: EarthModel) -> NDArray:
    """``dx/dt = (v, a_free)`` of ECEF states ``x (..., 6)`` in free fall (no drag)."""
    pos, vel = x[..., :3], x[..., 3:]
    return np.concatenate([vel, free_fall_accel(pos, vel, earth)], axis=-1)


def free_fall_rk4_step(x: NDArray, h: NDArray, earth: EarthModel) -> NDArray:
    """One classical RK4 step of length ``h (...)`` s of free fall for states ``x (..., 6)``."""
    h = h[..., None]
    k1 = free_fall_derivative(x, earth)
    k2 = free_fall_derivative(x + 0.5 * h * k1, earth)
    k3 = free_fall_derivative(x + 0.5 * h * k2, earth)
    k4 = free_fall_derivative(x + h * k3, earth)
    return x + (h / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)


# ---------------------------------------------------------------------------------------------
# Shots
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShotVehicles:
    """Per-shot parameter arrays, each ``(n,)`` (the integrator's view of the weapon
    parameters, SI units): mass kg, drag area m² and CD, thrust m/s² during ``burn_time_s``,
    lateral limit m/s², navigation ratio, guidance lag s, seeker range m, flight-time limit s,
    lethal radius m, ``guided`` and ``apn`` flags."""

    mass_kg: NDArray
    area_m2: NDArray
    cd: NDArray
    thrust_mps2: NDArray
    burn_time_s: NDArray
    max_lat_mps2: NDArray
    nav_ratio: NDArray
    tau_s: NDArray
    seeker_range_m: NDArray
    max_time_s: NDArray
    lethal_radius_m: NDArray
    guided: NDArray
    apn: NDArray
    lift_cl_max: NDArray | None = None
    """Largest lift (normal-force) coefficient of an aerodynamically steered shot, on the drag
    reference area: its lateral acceleration is also limited to ``q A CL_max / m`` with the
    dynamic pressure ``q = ρ |v|² / 2`` (none in vacuum). ``inf`` or ``None``: no
    aerodynamic limit (divert thrusters, or the textbook loop)."""



@dataclass(frozen=True)
class FlyoutResult:
    """Outcome of a batch of shots, one entry per shot (arrays ``(n, ...)``).

    Attributes:
        t_ca_s: absolute time of closest approach (status ``closest_approach``), or of the
            smallest range seen at an integration node (other statuses; NaN without target), s.
        miss_m: miss distance at that time, m (refined between steps only for
            ``closest_approach``; NaN without target).
        status: int8 :class:`FlyoutStatus` codes: why the flight ended.
        t_end_s: absolute time the flight ended, s.
        state_ca: ``(n, 6)`` interceptor ECEF state at ``t_ca_s``.
        state_end: ``(n, 6)`` interceptor ECEF state at ``t_end_s`` (impact point for
            ``ground``).
        lethal_radius_m: ``(n,)`` each shot's lethal radius, m.
        times: per shot, the recorded absolute times ``(T_i,)``, s (last = ``t_end_s``).
        states: per shot, the recorded ECEF states ``(T_i, 6)``.
    """

    t_ca_s: NDArray
    miss_m: NDArray
    status: NDArray
    t_end_s: NDArray
    state_ca: NDArray
    state_end: NDArray
    lethal_radius_m: NDArray
    times: list[NDArray]
    states: list[NDArray]

    @property
    def within_lethal_radius(self) -> NDArray:
        """Closest approach reached within the lethal radius (the step kill model)."""
        return ((self.status == FlyoutStatus.CLOSEST_APPROACH)
                & (self.miss_m <= self.lethal_radius_m))



# ---------------------------------------------------------------------------------------------
# The integrator
# ---------------------------------------------------------------------------------------------


class _Dynamics:
    """Right-hand side of the flyout equations for one batch."""

    def __init__(self, veh: ShotVehicles, earth: EarthModel, gravity: bool):
        self.veh = veh
        self.earth = earth
        self.gravity = gravity
        self.atm = atmosphere_table() if earth.atmosphere else None
        self.cda_2m = 0.5 * veh.cd * veh.area_m2 / veh.mass_kg
        self.lag = veh.tau_s > 0.0
        self.tau_safe = np.where(self.lag, veh.tau_s, 1.0)
        cl = (np.full(veh.mass_kg.shape, np.inf) if veh.lift_cl_max is None
              else np.asarray(veh.lift_cl_max, float))
        self.aero = np.isfinite(cl)
        self.cla_2m = np.where(self.aero, 0.5 * cl * veh.area_m2 / veh.mass_kg, 0.0)

        # The compiled step's view of the same model (hdsim.engagement.shot_kernel).
        ell = earth.ellipsoid
        self.pv = np.stack([self.cda_2m, np.asarray(veh.thrust_mps2, float),
                            np.asarray(veh.burn_time_s, float),
                            np.asarray(veh.max_lat_mps2, float) * np.ones_like(self.cda_2m),
                            np.asarray(veh.nav_ratio, float) * np.ones_like(self.cda_2m),
                            self.tau_safe, self.cla_2m, np.zeros_like(self.cda_2m)], axis=1)
        self.pb = np.stack([np.asarray(veh.guided, bool) & np.ones(len(self.cda_2m), bool),
                            np.asarray(veh.apn, bool) & np.ones(len(self.cda_2m), bool),
                            self.lag, self.aero, np.ones(len(self.cda_2m), bool)], axis=1)
        self.earth_v = np.array([earth.mu, earth.j2, earth.r_eq_m, earth.omega_radps,
                                 float(gravity), float(earth.rotation),
                                 float(self.atm is not None), ell.a_m, ell.e2])
        if self.atm is not None:
            self.atm_v = (self.atm.alt, self.atm.log_rho, float(self.atm.top))
        else:
            self.atm_v = (np.zeros(2), np.zeros(2), 0.0)

    def altitude(self, pos: NDArray) -> NDArray:
        ell = self.earth.ellipsoid
        if ell.f == 0.0:
            return np.linalg.norm(pos, axis=-1) - ell.a_m
        return ecef_to_geodetic(pos, ell)[2]

    def step(self, tl: float, x: NDArray, dt: float, s0, sh, s1, c0, ch, c1
             ) -> tuple[NDArray, NDArray]:
        """One RK4 step: ``(x_next, k1)`` (compiled, or the NumPy reference where
        :data:`COMPILED` is False)."""
        if not COMPILED:
            k1 = self(tl, x, s0, c0, tl)
            k2 = self(tl + 0.5 * dt, x + 0.5 * dt * k1, sh, ch, tl)
            k3 = self(tl + 0.5 * dt, x + 0.5 * dt * k2, sh, ch, tl)
            k4 = self(tl + dt, x + dt * k3, s1, c1, tl)
            return x + (dt / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4), k1
        n = len(x)
        use_src, use_acc = s0 is not None, c0 is not None
        z6, z3 = np.zeros((n, 6)), np.zeros((n, 3))
        return rk4_shot_step(
            np.ascontiguousarray(x), float(tl), float(dt),
            *(np.ascontiguousarray(v) if v is not None else z6 for v in (s0, sh, s1)),
            *(np.ascontiguousarray(v) if v is not None else z3 for v in (c0, ch, c1)),
            use_src, use_acc, self.pv, self.pb, self.earth_v, *self.atm_v)

    def accel(self, tl: float, x: NDArray, src, acc, t_step: float) -> NDArray:
        """The acceleration part of ``dx/dt`` (compiled, or the NumPy reference)."""
        if not COMPILED:
            return self(tl, x, src, acc, t_step)[:, 3:6]
        n = len(x)
        return shot_derivative(
            np.ascontiguousarray(x), np.ascontiguousarray(src) if src is not None
            else np.zeros((n, 6)), src is not None,
            np.ascontiguousarray(acc) if acc is not None else np.zeros((n, 3)),
            acc is not None, float(tl), float(t_step), self.pv, self.pb, self.earth_v,
            *self.atm_v)[:, 3:6]

    def free_fall(self, pos: NDArray, vel: NDArray) -> NDArray:
        """Gravity + Coriolis + centrifugal acceleration in ECEF, m/s²."""
        return free_fall_accel(pos, vel, self.earth, self.gravity)

    def __call__(self, t_local: float, x: NDArray, src: NDArray | None,
                 src_acc: NDArray | None, t_step: float | None = None) -> NDArray:
        """``dx/dt`` for states ``x (n, 9)`` with the guidance source ``src (n, 6)``.

        ``t_local`` is the stage time; ``t_step`` the start of the step it belongs to: a step
        that starts before burnout thrusts at all its stages up to burnout inclusive (so a
        step ending exactly at burnout is integrated exactly).
        """
        veh = self.veh
        pos, vel, a_l = x[:, :3], x[:, 3:6], x[:, 6:9]
        a_free = self.free_fall(pos, vel)
        a = a_free
        speed = np.linalg.norm(vel, axis=-1)
        vhat = vel / np.where(speed > 0.0, speed, 1.0)[:, None]
        rho = None
        if self.atm is not None:
            rho = self.atm.density(self.altitude(pos))
            a = a - (rho * speed * self.cda_2m)[:, None] * vel
        t0 = t_local if t_step is None else t_step
        burning = (t0 < veh.burn_time_s) & (t_local <= veh.burn_time_s)
        thrust = np.where(burning, veh.thrust_mps2, 0.0)
        a = a + thrust[:, None] * vhat
        a_l_dot = np.zeros_like(a_l)
        if src is not None:
            r_rel = src[:, :3] - pos
            v_rel = src[:, 3:] - vel
            cmd = pn_command(r_rel, v_rel, veh.nav_ratio)
            if src_acc is not None and veh.apn.any():
                aug = (0.5 * veh.nav_ratio)[:, None] * lateral(src_acc - a_free, r_rel)
                cmd = cmd + np.where(veh.apn[:, None], aug, 0.0)
            limit = veh.max_lat_mps2
            if self.aero.any():              # lift-limited divert: q A CL_max / m
                q_term = (0.0 if rho is None else rho) * speed * speed * self.cla_2m
                limit = np.where(self.aero, np.minimum(limit, q_term), limit)
            cmd = limit_magnitude(lateral(cmd, vel), limit)
            ok = veh.guided & np.isfinite(cmd).all(axis=-1)
            cmd = np.where(ok[:, None], cmd, 0.0)
            a_l_dot = np.where(self.lag[:, None], (cmd - a_l) / self.tau_safe[:, None], 0.0)
            a = a + np.where(self.lag[:, None], lateral(a_l, vel), cmd)
        return np.concatenate([vel, a, a_l_dot], axis=1)



def _closest_on_step(p0, p1, v0, v1, dt):
    """Fraction ``s ∈ [0, 1]`` of the step minimizing ``|p(s)|`` on the Hermite interpolant."""
    grid = np.linspace(0.0, 1.0, 33)
    sg = np.broadcast_to(grid, (len(p0), grid.size))
    pg = hermite_on_step(sg, dt, p0[:, None], p1[:, None], v0[:, None], v1[:, None])
    s = grid[np.argmin(_dot(pg, pg), axis=1)]
    for _ in range(12):
        p, dp, ddp = hermite_on_step_derivatives(s, dt, p0, p1, v0, v1)
        f = _dot(p, dp)
        fp = _dot(dp, dp) + _dot(p, ddp)
        step = np.where(fp > 0.0, f / np.where(fp > 0.0, fp, 1.0), 0.0)
        s = np.clip(s - step, 0.0, 1.0)
    return s


def _state_on_step(x0, x1, a0, a1, dt, s):
    """Interceptor state at fraction ``s`` of a step (cubic Hermite, as threats' trajectories)."""
    t = s * dt
    z = np.zeros_like(s)
    dtv = np.full_like(s, dt)
    pos = hermite(z, dtv, x0[:, :3], x1[:, :3], x0[:, 3:6], x1[:, 3:6], t)
    vel = hermite(z, dtv, x0[:, 3:6], x1[:, 3:6], a0, a1, t)
    return np.concatenate([pos, vel], axis=1)


def fly_shots(
    state0: NDArray,
    t0_s: ArrayLike,
    veh: ShotVehicles,
    target_state: TargetFn | None,
    earth: EarthModel,
    *,
    uplink_state: TargetFn | None = None,
    target_accel: Callable[[NDArray], NDArray] | None = None,
    dt_s: float = 0.01,
    gravity: bool = True,
    ground_alt_m: float = 0.0,
    record_every: int = 10,
) -> FlyoutResult:
    """Fly ``n`` shots (interceptors, railgun rounds) until closest approach to their targets.

    Args:
        state0: ``(n, 6)`` ECEF launch states (position m, velocity m/s, non-zero velocity).
        t0_s: ``(n,)`` or scalar absolute launch times, s.
        veh: the shots' parameters (:class:`ShotVehicles`).
        target_state: truth of each shot's target (:data:`TargetFn`), or None (no target:
            fly to the ground or the time limit, miss NaN).
        earth: Earth model (shape, rotation, J2, atmosphere switches).
        uplink_state: target state the guidance uses before seeker lock; default the truth.
        target_accel: ``f(t_s (n,)) -> (n, 3)`` ECEF acceleration of the target, for APN
            (default: central difference of the guidance source's velocity, ±10 ms).
        dt_s: integration step, s.
        gravity: False switches gravity off (textbook guidance tests).
        ground_alt_m: altitude of the ground; crossing it downward ends the flight, m.
        record_every: keep every k-th integration node in the recorded trajectories.

    Returns:
        :class:`FlyoutResult`.  A shot ends at closest approach (range rate to the truth turns
        from closing to opening), at the ground, at its flight-time limit, or when its target
        disappears (NaN state).
    """
    n = len(state0)
    if state0.shape != (n, 6):
        raise ValueError(f"state0_ecef: shape {state0.shape}, expected (n, 6)")
    if not dt_s > 0.0:
        raise ValueError(f"dt_s = {dt_s!r}: must be > 0")
    if record_every < 1:
        raise ValueError(f"record_every = {record_every!r}: must be >= 1")
    t0 = np.broadcast_to(np.asarray(t0_s, dtype=float), (n,)).copy()
    dyn = _Dynamics(veh, earth, gravity)
    has_target = target_state is not None
    need_acc = has_target and bool(veh.apn.any())

    def truth_at(t: NDArray) -> NDArray:
        return np.asarray(target_state(t), dtype=float).reshape(n, 6)  # type: ignore[misc]

    def source_at(t: NDArray, truth: NDArray, locked: NDArray) -> NDArray:
        if uplink_state is None:
            return truth
        up = np.asarray(uplink_state(t), dtype=float).reshape(n, 6)
        return np.where(locked[:, None], truth, up)

    def source_acc(t: NDArray, locked: NDArray) -> NDArray | None:
        if not need_acc:
            return None
        if target_accel is not None:
            return np.asarray(target_accel(t), dtype=float).reshape(n, 3)
        h = 0.01
        tp, tm = t + h, t - h
        vp = source_at(tp, truth_at(tp), locked)[:, 3:]
        vm = source_at(tm, truth_at(tm), locked)[:, 3:]
        return (vp - vm) / (2.0 * h)

    # Callables that take (n, ...) times are evaluated BLOCK_STEPS steps ahead in one call
    # (the same times, so the same values, as step by step).
    blocks = (has_target and not need_acc and getattr(target_state, "accepts_blocks", False)
              and (uplink_state is None or getattr(uplink_state, "accepts_blocks", False)))
    truth_b = up_b = None
    x = np.zeros((n, 9))
    x[:, :6] = state0
    alive = np.ones(n, bool)
    locked = np.zeros(n, bool)
    status = np.full(n, FlyoutStatus.TIMEOUT, np.int8)
    t_end = np.full(n, np.nan)
    state_end = np.full((n, 6), np.nan)
    t_ca = np.full(n, np.nan)
    miss = np.full(n, np.inf if has_target else np.nan)
    state_ca = np.full((n, 6), np.nan)
    alt = dyn.altitude(x[:, :3])
    n_steps = int(np.ceil(veh.max_time_s.max() / dt_s - 1e-9))
    rec_t: list[float] = []
    rec_x: list[NDArray] = []
    rec_alive: list[NDArray] = []
    dt = dt_s
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        tr0 = truth_at(t0) if has_target else None
        for k in range(n_steps):
            if not alive.any():
                break
            tl = k * dt
            ta = t0 + tl
            if k % record_every == 0:
                rec_t.append(tl)
                rec_x.append(x[:, :6].copy())
                rec_alive.append(alive.copy())
            if has_target:
                lost = alive & ~np.isfinite(tr0).all(axis=1)
                if lost.any():
                    status[lost] = FlyoutStatus.TARGET_LOST
                    t_end[lost] = ta[lost]
                    state_end[lost] = x[lost, :6]
                    alive &= ~lost
                    if not alive.any():
                        break
                rel0 = tr0[:, :3] - x[:, :3]
                rng0 = np.linalg.norm(rel0, axis=1)
                locked |= rng0 <= veh.seeker_range_m
                better = alive & (rng0 < miss)
                miss[better] = rng0[better]
                t_ca[better] = ta[better]
                state_ca[better] = x[better, :6]
                if blocks:
                    j = k % BLOCK_STEPS
                    if j == 0:                 # the next BLOCK_STEPS steps' sources at once
                        tk = t0[:, None] + (np.arange(k, k + BLOCK_STEPS) * dt)[None, :]
                        tb = np.stack([tk, tk + 0.5 * dt, tk + dt], axis=-1)
                        truth_b = np.asarray(target_state(tb), dtype=float)  # type: ignore[misc]
                        up_b = (None if uplink_state is None
                                else np.asarray(uplink_state(tb), dtype=float))
                    th, tr1 = truth_b[:, j, 1], truth_b[:, j, 2]
                    if up_b is None:
                        s0, sh, s1 = tr0, th, tr1
                    else:
                        lk = locked[:, None]
                        s0 = np.where(lk, tr0, up_b[:, j, 0])
                        sh = np.where(lk, th, up_b[:, j, 1])
                        s1 = np.where(lk, tr1, up_b[:, j, 2])
                else:
                    th = truth_at(ta + 0.5 * dt)
                    tr1 = truth_at(ta + dt)
                    s0, sh, s1 = (source_at(ta, tr0, locked),
                                  source_at(ta + 0.5 * dt, th, locked),
                                  source_at(ta + dt, tr1, locked))
                c0, ch, c1 = (source_acc(ta, locked), source_acc(ta + 0.5 * dt, locked),
                              source_acc(ta + dt, locked))
            else:
                s0 = sh = s1 = c0 = ch = c1 = None
            xn, k1 = dyn.step(tl, x, dt, s0, sh, s1, c0, ch, c1)
            alt_n = dyn.altitude(xn[:, :3])

            # Events inside this step: fraction s of the step, inf when none.
            s_event = np.full(n, np.inf)
            kind = np.full(n, -1)
            hit = alive & (alt >= ground_alt_m) & (alt_n < ground_alt_m)
            a1 = None
            if hit.any():
                a1 = dyn.accel(tl + dt, xn, s1, c1, tl)
                h = np.flatnonzero(hit)
                sg = _bisect_ground(dyn, x[h], xn[h], k1[h, 3:6], a1[h], dt, ground_alt_m)
                s_event[h] = sg
                kind[h] = FlyoutStatus.GROUND
            if has_target:
                rel0 = tr0[:, :3] - x[:, :3]
                vr0 = tr0[:, 3:] - x[:, 3:6]
                rel1 = tr1[:, :3] - xn[:, :3]
                vr1 = tr1[:, 3:] - xn[:, 3:6]
                cpa = alive & (_dot(rel0, vr0) < 0.0) & (_dot(rel1, vr1) >= 0.0)
                if cpa.any():
                    c = np.flatnonzero(cpa)
                    sc = _closest_on_step(rel0[c], rel1[c], vr0[c], vr1[c], dt)
                    first = sc < s_event[c]
                    s_event[c[first]] = sc[first]
                    kind[c[first]] = FlyoutStatus.CLOSEST_APPROACH
            timeout = alive & ~np.isfinite(s_event) & ((k + 1) * dt >= veh.max_time_s - 1e-9)
            ended = alive & np.isfinite(s_event)
            if ended.any():
                e = np.flatnonzero(ended)
                if a1 is None:
                    a1 = dyn.accel(tl + dt, xn, s1, c1, tl)
                se = s_event[e]
                xs = _state_on_step(x[e], xn[e], k1[e, 3:6], a1[e], dt, se)
                status[e] = kind[e]
                t_end[e] = ta[e] + se * dt
                state_end[e] = xs
                cp = e[kind[e] == FlyoutStatus.CLOSEST_APPROACH]
                if cp.size:
                    sc = s_event[cp]
                    p = hermite_on_step(sc, dt, tr0[cp, :3] - x[cp, :3], tr1[cp, :3] - xn[cp, :3],
                                        tr0[cp, 3:] - x[cp, 3:6], tr1[cp, 3:] - xn[cp, 3:6])
                    miss[cp] = np.linalg.norm(p, axis=1)
                    t_ca[cp] = ta[cp] + sc * dt
                    state_ca[cp] = state_end[cp]
            if timeout.any():
                status[timeout] = FlyoutStatus.TIMEOUT
                t_end[timeout] = ta[timeout] + dt
                state_end[timeout] = xn[timeout, :6]
            upd = alive & ~ended
            x[upd] = xn[upd]
            alt[upd] = alt_n[upd]
            alive &= ~(ended | timeout)
            if has_target:
                tr0 = tr1
        if has_target:
            # Timed-out shots: the range at their final node also counts.
            rel = tr0[:, :3] - x[:, :3] if tr0 is not None else None
            if rel is not None:
                rng = np.linalg.norm(rel, axis=1)
                better = (status == FlyoutStatus.TIMEOUT) & (rng < miss)
                miss[better] = rng[better]
                t_ca[better] = t_end[better]
                state_ca[better] = state_end[better]
    miss = np.where(np.isinf(miss), np.nan, miss)
    times: list[NDArray] = []
    states: list[NDArray] = []
    rt = np.asarray(rec_t)
    rx = np.stack(rec_x, axis=1) if rec_x else np.empty((n, 0, 6))
    ra = np.stack(rec_alive, axis=1) if rec_alive else np.empty((n, 0), bool)
    for j in range(n):
        m = ra[j] & (rt + t0[j] < t_end[j] - 1e-12)
        times.append(np.append(t0[j] + rt[m], t_end[j]))
        states.append(np.vstack([rx[j, m], state_end[j]]))
    return FlyoutResult(t_ca_s=t_ca, miss_m=miss, status=status, t_end_s=t_end,
                        state_ca=state_ca, state_end=state_end,
                        lethal_radius_m=veh.lethal_radius_m, times=times, states=states)


def _bisect_ground(dyn, x0, x1, a0, a1, dt, ground, iters: int = 40):
    """Fraction of the step at which the Hermite path crosses the ground altitude."""
    lo = np.zeros(len(x0))
    hi = np.ones(len(x0))
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        xs = _state_on_step(x0, x1, a0, a1, dt, mid)
        above = dyn.altitude(xs[:, :3]) >= ground
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    return 0.5 * (lo + hi)

