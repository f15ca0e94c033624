"""Vectorized 3-DOF point-mass flight over a rotating, oblate Earth, many vehicles at once.

Equations of motion in the Earth-fixed (ECEF) frame (Vinh, Busemann & Culp, *Hypersonic and
Planetary Entry Flight Mechanics*, 1980, ch. 2; Vallado 4th ed. §3.7)::

    dr/dt = v
    dv/dt = g(r) − 2 ω×v − ω×(ω×r) + (L + D + T)/m

with gravity ``g`` point-mass + J2 (:func:`hdsim.earth.gravity_ecef`), the atmosphere at rest
with the Earth, drag ``D = −q S CD v̂``, lift ``L = q S CL (cos σ e_v + sin σ e_s)`` where
``e_v`` is the unit vector perpendicular to the velocity in the vertical plane (lift at zero
bank points "up") and ``e_s = v̂ × e_v`` points to the right, ``q = ½ ρ v²``, and thrust ``T``
along the velocity.  A positive bank angle σ turns the vehicle to the right.

The integrator is classical fourth-order Runge–Kutta at a fixed step, every vehicle in lockstep
in its own time since launch (the ECEF equations are autonomous, so vehicles launched at
different times can share steps).  Controls (lift coefficient, bank, thrust) are computed by
guidance every ``GuidanceGains.guidance_period_s`` (0.5 s; at least once a step) and held in
between (zero-order hold, as a flight computer does), so a guided path does not depend on the
integration step below that period.  A vehicle stops when it crosses its ground altitude:
the crossing is located between steps by bisection on the cubic Hermite interpolant of the
step, so the impact point does not depend on the step size.

Guidance laws (all vectorized over vehicles; gains documented in :class:`GuidanceGains`):

* *ballistic*: no lift, no thrust.
* *open-loop glide* (``glide.guidance: none``): fixed lift coefficient (the vehicle's design
  point) and fixed bank angle, flown to the ground.
* *glide to target*: the vertical channel tracks the equilibrium-glide altitude for the
  design lift coefficient (the altitude where ``q S CL* = m (g − v_h²/r)``, i.e. max-L/D gliding)
  with a first-order altitude loop and rate damping, plus a sinusoidal skip reference when a
  ``skip`` maneuver is given; the lateral channel turns the velocity toward the aim point (the
  target, or a crossrange waypoint first) with a first-order heading loop, or flies scheduled
  S-turns (bank reversals at a fixed bank angle); the lift coefficient (angle of attack) and
  bank angle are solved from the vertical and lateral acceleration demands.  Within the
  terminal-dive range it flies true proportional navigation (N = 4) with gravity compensation
  onto the target point.
* *cruise*: an air-breathing cruise missile; thrust holds the commanded Mach number, lift
  holds the cruise altitude (climb limited to a flight-path angle), heading loop to the target,
  then the same proportional-navigation dive.

*Deorbit burn* (any mode; used by fractional-orbital threats, :mod:`hdsim.threats.orbital`): a
vehicle with a finite ``burn_start_s`` coasts without controls (no lift, no guidance; phase
``orbit``) until then, then thrusts at ``burn_accel_mps2`` against its *inertial* velocity
``v + ω × r`` (phase ``deorbit``) for as long as the Δv that lowers the perigee of its osculating
two-body conic to ``burn_perigee_r_m`` takes (:func:`hdsim.threats.two_body.deorbit_delta_v_mps`,
sized from the state at the burn's start); its guidance starts when the burn ends.  A step
that holds the burn's start or end is split there into RK4 sub-steps, so the burn starts and
ends exactly at its times whatever the step (the impact point moves by ~7 km per second of
burn timing).  With ``handover_alt_m`` the flight ends (not impacted) at the first step end
below that altitude after the burn: the orbital coast is flown at a long step, the re-entry
from there at the run's.

Above circular speed (an entry from orbit, ``v² ≥ g r``; a retrograde orbit adds the Earth's
rotation relative to the air) the glide guidance flies its lowest L/D with the lift pointing
down, at the altitude where that lift holds the vehicle in, until drag has brought it below
circular speed; slower gliders (every suborbital one) are flown as before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from hdsim.earth import EarthModel, ecef_to_geodetic, gravity_ecef
from hdsim.earth.atmosphere import atmosphere_table
from hdsim.earth.vectors import cross as _cross
from hdsim.earth.vectors import dot as _dot
from hdsim.earth.vectors import rotating_frame_accel
from hdsim.earth.vectors import unit as _unit
from hdsim.threats.trajectory import PHASE_CODE, Trajectory, hermite_on_step
from hdsim.threats.two_body import deorbit_delta_v_mps, inertial_velocity

__all__ = [
    "MODE_BALLISTIC",
    "MODE_GLIDE",
    "MODE_OPEN_GLIDE",
    "MODE_CRUISE",
    "FlightBatch",
    "GuidanceGains",
    "fly",
]

MODE_BALLISTIC, MODE_GLIDE, MODE_OPEN_GLIDE, MODE_CRUISE = 0, 1, 2, 3

_P_BOOST = PHASE_CODE["boost"]
_P_MID = PHASE_CODE["midcourse"]
_P_PULL = PHASE_CODE["pullup"]
_P_GLIDE = PHASE_CODE["glide"]
_P_CRUISE = PHASE_CODE["cruise"]
_P_TERM = PHASE_CODE["terminal"]
_P_IMPACT = PHASE_CODE["impact"]
_P_ORBIT = PHASE_CODE["orbit"]
_P_DEORBIT = PHASE_CODE["deorbit"]


@dataclass(frozen=True)
class GuidanceGains:
    """Gains of the glide and cruise guidance laws (documented defaults).

    Attributes:
        k_alt_ps: altitude loop gain, 1/s (commanded climb rate per metre of altitude error).
        k_rate_ps: climb-rate damping gain, 1/s.
        max_climb_mps: limit on the commanded climb/sink rate in glide, m/s.
        max_climb_angle_rad: limit on the cruise climb angle, rad.
        heading_tau_s: time constant of the heading loop, s.
        max_lateral_g: limit on the commanded lateral acceleration, in g.
        pn_gain: proportional-navigation ratio of the terminal dive.
        k_speed_ps: cruise speed loop gain, 1/s.
        guidance_period_s: the guidance update period, s: controls are computed every
            ``round(guidance_period_s / dt_s)`` integration steps (at least every step) and held
            in between, as a flight computer does.  The guided path therefore depends on this
            period, not on the integration step below it: at 0.5 s, paths flown at dt 0.05-0.5 s
            agree to RK4 accuracy (measured: 5 mm), whereas re-computing the controls every
            step moved a 3,000 km CAV-H path by 430 m between dt 0.5 and 0.05 s.
    """

    k_alt_ps: float = 0.02
    k_rate_ps: float = 0.2
    max_climb_mps: float = 300.0
    max_climb_angle_rad: float = np.radians(25.0)
    heading_tau_s: float = 25.0
    max_lateral_g: float = 3.0
    pn_gain: float = 4.0
    k_speed_ps: float = 0.2
    guidance_period_s: float = 0.5


@dataclass
class FlightBatch:
    """Per-vehicle parameters of a batch, each an array with leading length ``n``.

    Initial conditions: ``state0 (n, 6)`` ECEF at local time 0 (absolute time ``t0_s``).
    Vehicle: ``mass_kg, area_m2, c0, c1, c2, cl_min, cl_max, cl_design`` (polar
    ``CD = c0 + c1 CL + c2 CL²``).  Guidance: ``mode`` (MODE_*), ``target_ecef (n, 3)``,
    ``ground_alt_m`` (impact altitude), ``bank_rad`` (open-loop bank), ``dive_range_m`` (terminal
    dive start, ground range to target), ``sturn_count``, ``sturn_bank_rad``, ``skip_amp_m``,
    ``skip_period_s``, ``waypoint_ecef (n, 3)`` with ``has_waypoint``; cruise:
    ``cruise_speed_mps``, ``cruise_alt_m``, ``max_thrust_mps2`` (thrust limit, m/s²), and
    ``boost_thrust_mps2`` for the cruise booster.  Deorbit burn (module doc):
    ``burn_start_s`` (local time, s; ``inf``: none), ``burn_accel_mps2`` (m/s²),
    ``burn_perigee_r_m`` (perigee radius it lowers the orbit to, m), ``handover_alt_m``
    (NaN: none; else the flight ends, not impacted, at the first step end after the burn's end
    at or below this altitude: an exo-atmospheric coast flown apart from the re-entry, at its
    own step).
    """

    ids: list[str]
    t0_s: NDArray
    state0: NDArray
    mode: NDArray
    mass_kg: NDArray
    area_m2: NDArray
    c0: NDArray
    c1: NDArray
    c2: NDArray
    cl_min: NDArray
    cl_max: NDArray
    cl_design: NDArray
    target_ecef: NDArray
    ground_alt_m: NDArray
    bank_rad: NDArray = None  # type: ignore[assignment]
    dive_range_m: NDArray = None  # type: ignore[assignment]
    sturn_count: NDArray = None  # type: ignore[assignment]
    sturn_bank_rad: NDArray = None  # type: ignore[assignment]
    skip_amp_m: NDArray = None  # type: ignore[assignment]
    skip_period_s: NDArray = None  # type: ignore[assignment]
    waypoint_ecef: NDArray = None  # type: ignore[assignment]
    has_waypoint: NDArray = None  # type: ignore[assignment]
    cruise_speed_mps: NDArray = None  # type: ignore[assignment]
    cruise_alt_m: NDArray = None  # type: ignore[assignment]
    max_thrust_mps2: NDArray = None  # type: ignore[assignment]
    boost_thrust_mps2: NDArray = None  # type: ignore[assignment]
    end_speed_mps: NDArray = None  # type: ignore[assignment]
    burn_start_s: NDArray = None  # type: ignore[assignment]
    burn_accel_mps2: NDArray = None  # type: ignore[assignment]
    burn_perigee_r_m: NDArray = None  # type: ignore[assignment]
    handover_alt_m: NDArray = None  # type: ignore[assignment]
    kinds: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        n = len(self.ids)
        zeros = np.zeros(n)
        defaults = {
            "bank_rad": zeros,
            "dive_range_m": zeros,
            "sturn_count": np.zeros(n, int),
            "sturn_bank_rad": zeros,
            "skip_amp_m": zeros,
            "skip_period_s": np.full(n, 200.0),
            "waypoint_ecef": np.zeros((n, 3)),
            "has_waypoint": np.zeros(n, bool),
            "cruise_speed_mps": zeros,
            "cruise_alt_m": zeros,
            "max_thrust_mps2": zeros,
            "boost_thrust_mps2": zeros,
            "end_speed_mps": np.full(n, 2000.0),
            "burn_start_s": np.full(n, np.inf),
            "burn_accel_mps2": zeros,
            "burn_perigee_r_m": np.full(n, np.nan),
            "handover_alt_m": np.full(n, np.nan),
        }
        for name, value in defaults.items():
            if getattr(self, name) is None:
                setattr(self, name, value.copy())
        for name in ("t0_s", "mass_kg", "area_m2", "c0", "c1", "c2", "cl_min", "cl_max",
                     "cl_design", "ground_alt_m", "bank_rad", "dive_range_m", "sturn_bank_rad",
                     "skip_amp_m", "skip_period_s", "cruise_speed_mps", "cruise_alt_m",
                     "max_thrust_mps2", "boost_thrust_mps2", "end_speed_mps", "burn_start_s",
                     "burn_accel_mps2", "burn_perigee_r_m", "handover_alt_m"):
            setattr(self, name, np.asarray(getattr(self, name), dtype=float).reshape(n))
        self.mode = np.asarray(self.mode, dtype=int).reshape(n)
        self.sturn_count = np.asarray(self.sturn_count, dtype=int).reshape(n)
        self.has_waypoint = np.asarray(self.has_waypoint, dtype=bool).reshape(n)
        self.state0 = np.asarray(self.state0, dtype=float).reshape(n, 6)
        self.target_ecef = np.asarray(self.target_ecef, dtype=float).reshape(n, 3)
        self.waypoint_ecef = np.asarray(self.waypoint_ecef, dtype=float).reshape(n, 3)
        if not self.kinds:
            self.kinds = [""] * n

    def __len__(self) -> int:
        return len(self.ids)

    def subset(self, idx: NDArray) -> FlightBatch:
        """The batch restricted to vehicles ``idx``."""
        kw = {}
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if isinstance(value, np.ndarray):
                kw[name] = value[idx]
            else:
                kw[name] = [value[i] for i in np.atleast_1d(idx)]
        return FlightBatch(**kw)





class _Physics:
    """Equations of motion for one batch, with cached constants."""

    def __init__(self, b: FlightBatch, earth: EarthModel):
        self.b = b
        self.earth = earth
        self.ell = earth.ellipsoid
        self.atm = atmosphere_table() if earth.atmosphere else None
        self.s_over_m = b.area_m2 / b.mass_kg

    def altitude(self, pos: NDArray) -> NDArray:
        if self.ell.f == 0.0:
            return np.linalg.norm(pos, axis=-1) - self.ell.a_m
        return ecef_to_geodetic(pos, self.ell)[2]

    def altitude_normal(self, pos: NDArray) -> tuple[NDArray, NDArray]:
        """Altitude and the unit normal of the ellipsoid below ``pos`` (the gradient of the
        geodetic altitude, so ``dh/dt = n · v``; radial on a sphere)."""
        if self.ell.f == 0.0:
            r = np.linalg.norm(pos, axis=-1)
            return r - self.ell.a_m, pos / r[:, None]
        lat, lon, alt = ecef_to_geodetic(pos, self.ell)
        cl = np.cos(lat)
        return alt, np.stack([cl * np.cos(lon), cl * np.sin(lon), np.sin(lat)], axis=-1)

    def density(self, alt: NDArray) -> NDArray:
        if self.atm is None:
            return np.zeros_like(alt)
        return self.atm.density(alt)

    def lift_frame(self, pos: NDArray, vel: NDArray) -> tuple[NDArray, NDArray, NDArray]:
        """Unit velocity, lift direction at zero bank, and right-side direction."""
        vhat = _unit(vel)
        up = _unit(pos)
        ev = up - _dot(up, vhat)[:, None] * vhat
        nrm = np.linalg.norm(ev, axis=-1)
        # Vertical flight: any horizontal direction works as the zero-bank lift axis.
        fallback = _unit(_cross(vhat, np.array([0.0, 0.0, 1.0])) + 1e-12)
        ev = np.where((nrm > 1e-9)[:, None], ev / np.where(nrm > 0, nrm, 1.0)[:, None], fallback)
        es = _cross(vhat, ev)
        return vhat, ev, es

    def accel(self, x: NDArray, cl: NDArray, cos_s: NDArray, sin_s: NDArray,
              thrust: NDArray, idx: NDArray | slice = slice(None),
              burn: NDArray | None = None) -> NDArray:
        """ECEF acceleration of vehicles ``idx`` of the batch at states ``x`` (len(idx), 6);
        ``burn``: deorbit thrust acceleration against the inertial velocity, m/s²."""
        pos, vel = x[:, :3], x[:, 3:]
        e = self.earth
        a = gravity_ecef(pos, e.mu, e.j2, e.r_eq_m)
        if e.rotation:
            a = a + rotating_frame_accel(pos, vel, e.omega_radps)
        if burn is not None and np.any(burn != 0.0):
            a = a - burn[:, None] * _unit(inertial_velocity(pos, vel, e.omega_radps))
        if self.atm is not None or np.any(thrust != 0.0):
            alt = self.altitude(pos)
            rho = self.density(alt)
            v2 = _dot(vel, vel)
            qs_m = 0.5 * rho * v2 * self.s_over_m[idx]
            b = self.b
            cd = b.c0[idx] + b.c1[idx] * cl + b.c2[idx] * cl * cl
            if np.any(cl != 0.0):
                vhat, ev, es = self.lift_frame(pos, vel)
                lift = (qs_m * cl)[:, None] * (cos_s[:, None] * ev + sin_s[:, None] * es)
                a = a + lift + (thrust - qs_m * cd)[:, None] * vhat
            else:  # no lift anywhere (ballistic flight): the same sum without its zero term
                a = a + (thrust - qs_m * cd)[:, None] * _unit(vel)
        return a


class _Guidance:
    """Guidance state machine and control laws for one batch."""

    def __init__(self, b: FlightBatch, phys: _Physics, gains: GuidanceGains):
        self.b = b
        self.p = phys
        self.g = gains
        n = len(b)
        self.phase = np.full(n, _P_MID, dtype=np.int8)
        self.phase[b.mode == MODE_GLIDE] = _P_PULL
        self.phase[b.mode == MODE_OPEN_GLIDE] = _P_GLIDE
        self.phase[b.mode == MODE_CRUISE] = _P_BOOST
        self.wp_active = b.has_waypoint.copy()
        self.glide_t0 = np.full(n, np.nan)
        self.range0 = np.full(n, np.nan)

    def _managed_cl(self, i: NDArray, v2: NDArray, grav: NDArray, r: NDArray,
                    range_left: NDArray) -> NDArray:
        """Lift coefficient for energy management (see the call site)."""
        b = self.b
        c0, c1, c2 = b.c0[i], b.c1[i], b.c2[i]
        cl_star = b.cl_design[i]
        ld_star = cl_star / (c0 + c1 * cl_star + c2 * cl_star**2)
        gr = grav * r
        x = v2 / gr
        xf = np.minimum(b.end_speed_mps[i] ** 2 / gr, 0.99 * x)
        with np.errstate(divide="ignore", invalid="ignore"):
            r_per_ld = 0.5 * r * np.log((1.0 - xf) / (1.0 - x))
            # At or above circular speed (an entry from orbit, x ≥ 1) the lowest L/D: shed the
            # excess speed first, lift down, deep in the atmosphere.
            ld_req = np.where(x < 1.0, range_left / r_per_ld, 0.0)
        ld_req = np.clip(np.nan_to_num(ld_req, nan=ld_star, posinf=ld_star), 0.05, ld_star)
        # Smaller root of c2 CL² + (c1 − 1/LD) CL + c0 = 0: the low-alpha side of the polar,
        # i.e. an equilibrium glide lower in the atmosphere, where drag bleeds the energy.
        bq = c1 - 1.0 / ld_req
        disc = np.maximum(bq * bq - 4.0 * c2 * c0, 0.0)
        root = 2.0 * c0 / (-bq + np.sqrt(disc))  # = (-bq - sqrt(disc)) / (2 c2), stable
        return np.clip(root, np.maximum(b.cl_min[i], 0.02 * cl_star), cl_star)

    def controls(self, t_local: float, x: NDArray, active: NDArray):
        """Return (cl, cos σ, sin σ, thrust) arrays and update phases (in place)."""
        b, p, g = self.b, self.p, self.g
        n = len(b)
        cl = np.zeros(n)
        cos_s = np.ones(n)
        sin_s = np.zeros(n)
        thrust = np.zeros(n)
        pos, vel = x[:, :3], x[:, 3:]
        r = np.linalg.norm(pos, axis=-1)
        up = pos / r[:, None]
        alt, normal = p.altitude_normal(pos)
        hdot = _dot(vel, up)
        # Rate of the geodetic altitude (the altitude loops' feedback): along the ellipsoid
        # normal, not the radius — on WGS-84 the two differ by up to ~6 m/s at Mach 6, which the
        # altitude loop would turn into a 300 m offset.
        hdot_geo = _dot(vel, normal)

        ball = (b.mode == MODE_BALLISTIC) & active
        if ball.any():
            descending = (hdot < 0.0) & (alt < 100_000.0)
            self.phase[ball & descending] = _P_TERM
        opn = (b.mode == MODE_OPEN_GLIDE) & active
        if opn.any():
            cl[opn] = b.cl_design[opn]
            cos_s[opn] = np.cos(b.bank_rad[opn])
            sin_s[opn] = np.sin(b.bank_rad[opn])
        guided = ((b.mode == MODE_GLIDE) | (b.mode == MODE_CRUISE)) & active
        if not guided.any():
            return cl, cos_s, sin_s, thrust
        i = np.flatnonzero(guided)
        pos_i, vel_i, up_i, r_i, alt_i, hd_i = pos[i], vel[i], up[i], r[i], alt[i], hdot[i]
        cruise = b.mode[i] == MODE_CRUISE
        v2 = _dot(vel_i, vel_i)
        v = np.sqrt(v2)
        vh_vec = vel_i - hd_i[:, None] * up_i
        vh2 = _dot(vh_vec, vh_vec)
        grav = p.earth.mu / (r_i * r_i)
        rho = p.density(alt_i)
        qs_m = 0.5 * rho * v2 * p.s_over_m[i]

        # Ground range to the target, along the great circle of the local radius.
        tgt = b.target_ecef[i]
        ut = _unit(tgt)
        range_to_go = np.arctan2(np.linalg.norm(_cross(up_i, ut), axis=-1), _dot(up_i, ut)) * r_i
        first = np.isnan(self.range0[i])
        self.range0[i[first]] = range_to_go[first]

        # Terminal dive trigger (latched).
        # Auto (NaN): dive when the target is 25 degrees below the horizon.
        dive_rng = np.where(np.isnan(b.dive_range_m[i]), alt_i / np.tan(np.radians(25.0)),
                            b.dive_range_m[i])
        dive_now = (range_to_go <= dive_rng) | (self.phase[i] == _P_TERM)
        self.phase[i[dive_now]] = _P_TERM

        # --- vertical channel: altitude reference ---
        # Vertical specific force that level flight needs: minus the vertical part of gravity
        # (with J2) and of the Coriolis and centrifugal accelerations of the Earth-fixed frame,
        # minus the centripetal v_h²/r of flight along the curved Earth.
        e = p.earth
        a_app = gravity_ecef(pos_i, e.mu, e.j2, e.r_eq_m)
        if e.rotation:
            a_app = a_app + rotating_frame_accel(pos_i, vel_i, p.earth.omega_radps)
        need = -_dot(a_app, up_i) - vh2 / r_i
        # Energy management: fly the lift coefficient whose L/D makes the equilibrium-glide
        # range (Breguet-type, Vinh et al. 1980 §9) from the current speed down to the
        # terminal-dive speed equal to the range left before the dive.  Less range needed ->
        # lower L/D on the low-alpha side of the polar (lower altitude, more drag).  While a
        # crossrange waypoint is ahead, the range left is the path through it.
        path_to_go = range_to_go
        wp_on = self.wp_active[i]
        if wp_on.any():
            uw = _unit(b.waypoint_ecef[i])
            via = (np.arctan2(np.linalg.norm(_cross(up_i, uw), axis=-1), _dot(up_i, uw))
                   + np.arctan2(np.linalg.norm(_cross(uw, ut), axis=-1), _dot(uw, ut))) * r_i
            path_to_go = np.where(wp_on, via, range_to_go)
        cld = self._managed_cl(i, v2, grav, r_i, np.maximum(path_to_go - dive_rng, 0.0))
        with np.errstate(divide="ignore", invalid="ignore"):
            rho_eq = 2.0 * need / (v2 * p.s_over_m[i] * np.maximum(cld, 1e-6))
        if p.atm is not None:
            # need < 0 (faster than circular): the altitude where the lift, pointing down,
            # holds the vehicle in (the same balance with |need|).
            h_eq = np.where(need != 0.0,
                            p.atm.altitude_of_density(np.maximum(np.abs(rho_eq), 1e-300)), alt_i)
        else:
            h_eq = alt_i
        tg0 = self.glide_t0[i]
        tg0 = np.where(np.isnan(tg0), t_local, tg0)
        self.glide_t0[i] = tg0
        skip = b.skip_amp_m[i] * np.sin(2.0 * np.pi * (t_local - tg0) / b.skip_period_s[i])
        h_ref = np.where(cruise, b.cruise_alt_m[i], h_eq + skip)
        climb_lim = np.where(cruise, v * np.sin(g.max_climb_angle_rad), g.max_climb_mps)
        hdot_cmd = np.clip(g.k_alt_ps * (h_ref - alt_i), -climb_lim, climb_lim)
        a_v = need + g.k_rate_ps * (hdot_cmd - hdot_geo[i])

        # Pull-up -> glide once the altitude loop has captured its reference.
        pull = self.phase[i] == _P_PULL
        captured = pull & (alt_i < 80_000.0) & (np.abs(hd_i) < v * np.sin(np.radians(3.0)))
        self.phase[i[captured]] = _P_GLIDE
        # Cruise boost -> cruise once at speed (3 %) and altitude (250 m).
        boosting = cruise & (self.phase[i] == _P_BOOST)
        at_cruise = boosting & (v > 0.97 * b.cruise_speed_mps[i]) & (
            np.abs(alt_i - b.cruise_alt_m[i]) < 250.0)
        self.phase[i[at_cruise]] = _P_CRUISE

        # --- lateral channel: heading toward the aim point ---
        wp = self.wp_active[i]
        aim = np.where(wp[:, None], b.waypoint_ecef[i], tgt)
        ua = _unit(aim)
        d = ua - _dot(ua, up_i)[:, None] * up_i
        # Waypoint passed when it is less than 10 km ahead or behind the vehicle.
        dist_wp = np.arctan2(np.linalg.norm(_cross(up_i, ua), axis=-1), _dot(up_i, ua)) * r_i
        passed = wp & ((dist_wp < 10_000.0) | (_dot(d, vh_vec) < 0.0))
        self.wp_active[i[passed]] = False
        dpsi = np.arctan2(_dot(up_i, _cross(d, vh_vec)), _dot(vh_vec, d))
        a_lat_max = g.max_lateral_g * 9.80665
        a_lat = np.clip(np.sqrt(vh2) * dpsi / g.heading_tau_s, -a_lat_max, a_lat_max)

        # Scheduled S-turns: count reversals over the middle of the glide (10 %-80 % of the
        # range flown), at a fixed bank angle.
        nrev = b.sturn_count[i]
        frac = 1.0 - range_to_go / np.maximum(self.range0[i], 1.0)
        seg = np.floor((frac - 0.1) / (0.7 / (nrev + 1)))
        in_s = (nrev > 0) & (frac > 0.1) & (frac < 0.8) & (self.phase[i] == _P_GLIDE)
        sign = np.where(seg % 2 == 0, 1.0, -1.0)
        a_lat = np.where(in_s, sign * np.abs(a_v) * np.tan(b.sturn_bank_rad[i]), a_lat)

        # --- terminal dive: true proportional navigation onto the target ---
        dive = self.phase[i] == _P_TERM
        if dive.any():
            rel = tgt - pos_i
            rr = _dot(rel, rel)
            omega = _cross(rel, -vel_i) / rr[:, None]
            a_pn = g.pn_gain * _cross(omega, vel_i)
            vhat, ev, es = p.lift_frame(pos_i, vel_i)
            a_pn = a_pn + grav[:, None] * (up_i - _dot(up_i, vhat)[:, None] * vhat)
            a_v = np.where(dive, _dot(a_pn, ev), a_v)
            a_lat = np.where(dive, _dot(a_pn, es), a_lat)

        # --- vertical priority: the lateral demand gets only the lift the vertical leaves ---
        # Outside the dive, when the demand exceeds the largest lift (q S CL_max / m), the
        # vertical demand is served first and the lateral one is cut to what remains, so a hard
        # turn does not roll the lift vector past the vertical and sink the glide.
        l_max = qs_m * b.cl_max[i]
        a_v_lim = np.clip(a_v, -l_max, l_max)
        room = np.sqrt(np.maximum(l_max * l_max - a_v_lim * a_v_lim, 0.0))
        a_lat = np.where(dive, a_lat, np.clip(a_lat, -room, room))

        # --- solve lift coefficient and bank from the acceleration demand ---
        lift_needed = np.hypot(a_v, a_lat)
        with np.errstate(divide="ignore", invalid="ignore"):
            cl_req = np.where(qs_m > 0.0, lift_needed / qs_m, np.inf)
        cl_i = np.clip(cl_req, np.maximum(b.cl_min[i], 0.0), b.cl_max[i])
        sigma = np.arctan2(a_lat, a_v)
        cl[i] = cl_i
        cos_s[i] = np.cos(sigma)
        sin_s[i] = np.sin(sigma)

        # --- cruise thrust: hold the commanded speed ---
        if cruise.any():
            cd = b.c0[i] + b.c1[i] * cl_i + b.c2[i] * cl_i * cl_i
            drag = qs_m * cd
            sin_gamma = hd_i / np.maximum(v, 1.0)
            t_cmd = drag + grav * sin_gamma + g.k_speed_ps * (b.cruise_speed_mps[i] - v)
            limit = np.where(self.phase[i] == _P_BOOST, b.boost_thrust_mps2[i],
                             b.max_thrust_mps2[i])
            # No thrust in the terminal dive: the engine is throttled back.
            t_cmd = np.where(dive, 0.0, t_cmd)
            thrust[i] = np.where(cruise, np.clip(t_cmd, 0.0, limit), 0.0)
        return cl, cos_s, sin_s, thrust


def fly(
    batch: FlightBatch,
    earth: EarthModel,
    dt_s: float = 0.5,
    max_time_s: float = 7200.0,
    record_every: int = 2,
    gains: GuidanceGains | None = None,
    progress: Callable[[float], None] | None = None,
) -> list[Trajectory]:
    """Fly every vehicle of ``batch`` until it hits the ground or ``max_time_s`` passes.

    Args:
        batch: the vehicles and their guidance parameters.
        earth: the Earth model (shape, rotation, J2, atmosphere).
        dt_s: integration step, s.
        max_time_s: local flight time limit, s (per vehicle, from its ``t0_s``).
        record_every: keep every k-th integration node in the trajectory (plus the last).
        gains: guidance gains.
        progress: called with the fraction of ``max_time_s`` (or of vehicles done) as it goes.

    Returns:
        One :class:`Trajectory` per vehicle, in batch order; the last node of a vehicle that hit
        the ground is its impact point (phase ``impact``).
    """
    gains = gains or GuidanceGains()
    n = len(batch)
    phys = _Physics(batch, earth)
    guid = _Guidance(batch, phys, gains)
    x = batch.state0.copy()
    alive = np.ones(n, dtype=bool)
    alt = phys.altitude(x[:, :3])
    n_steps = int(np.ceil(max_time_s / dt_s))
    n_rec = n_steps // record_every + 2
    rec_t = np.full(n_rec, np.nan)
    rec_x = np.full((n_rec, n, 6), np.nan)
    rec_a = np.full((n_rec, n, 3), np.nan)
    rec_p = np.full((n_rec, n), -1, dtype=np.int8)
    rec_cl = np.full((n_rec, n), np.nan)
    rec_bank = np.full((n_rec, n), np.nan)
    end_t = np.full(n, np.nan)
    end_x = np.full((n, 6), np.nan)
    end_a = np.full((n, 3), np.nan)
    impacted = np.zeros(n, dtype=bool)
    last_rec = np.full(n, -1)
    ground = batch.ground_alt_m
    k_rec = 0
    report_every = max(1, n_steps // 200)

    def deriv(xs: NDArray, ctrl: tuple, idx: NDArray, burn: NDArray | None = None) -> NDArray:
        return np.concatenate([xs[:, 3:], phys.accel(xs, *ctrl, idx, burn)], axis=1)

    # Deorbit burns (module doc): start (local time), end and Δv once sized at the start.
    has_burn = np.isfinite(batch.burn_start_s)
    any_burn = bool(has_burn.any())
    burn_start, burn_acc = batch.burn_start_s, batch.burn_accel_mps2
    burn_end = np.full(n, np.inf)
    burn_dv = np.full(n, np.nan)
    rec_burn = np.full((n_rec, n), np.nan) if any_burn else None
    drec = record_every * dt_s

    def rk4(xs: NDArray, h: NDArray, ctrl: tuple, gi: NDArray, burn: NDArray) -> NDArray:
        hh = h[:, None]
        q1 = deriv(xs, ctrl, gi, burn)
        q2 = deriv(xs + 0.5 * hh * q1, ctrl, gi, burn)
        q3 = deriv(xs + 0.5 * hh * q2, ctrl, gi, burn)
        q4 = deriv(xs + hh * q3, ctrl, gi, burn)
        return xs + (hh / 6.0) * (q1 + 2.0 * q2 + 2.0 * q3 + q4)

    def split_step(xs: NDArray, t: float, ctrl: tuple, gi: NDArray) -> NDArray:
        """One step of vehicles ``gi`` whose burn starts or ends inside it: RK4 sub-steps to
        the start (sizing the burn there), to the end, and to the end of the step."""
        zero = np.zeros(gi.size)
        t1 = t + dt_s
        unsized = np.isnan(burn_dv[gi])
        h1 = np.where(unsized, np.clip(burn_start[gi] - t, 0.0, dt_s), 0.0)
        xs = rk4(xs, h1, ctrl, gi, zero)
        u = np.flatnonzero(unsized)
        if u.size:
            gu = gi[u]
            v_in = inertial_velocity(xs[u, :3], xs[u, 3:], earth.omega_radps)
            dv = np.nan_to_num(deorbit_delta_v_mps(xs[u, :3], v_in, batch.burn_perigee_r_m[gu],
                                                   earth.mu), nan=0.0)
            burn_dv[gu] = dv
            with np.errstate(divide="ignore", invalid="ignore"):
                burn_end[gu] = burn_start[gu] + np.where(burn_acc[gu] > 0.0,
                                                         dv / burn_acc[gu], 0.0)
        tt = t + h1
        h2 = np.clip(np.minimum(burn_end[gi], t1) - tt, 0.0, dt_s)
        xs = rk4(xs, h2, ctrl, gi, burn_acc[gi])
        h3 = np.clip(t1 - (tt + h2), 0.0, dt_s)
        return rk4(xs, h3, ctrl, gi, zero)

    hold = max(1, int(round(gains.guidance_period_s / dt_s)))
    for k in range(n_steps):
        t = k * dt_s
        idx = np.flatnonzero(alive)
        if idx.size == 0:
            break
        if k % hold == 0:
            # A vehicle before the end of its deorbit burn flies without controls.
            steer = alive & ~(has_burn & (t < burn_end)) if any_burn else alive
            cl, cs, ss, th = guid.controls(t, x, steer)
        xa = x[idx]
        ctrl = (cl[idx], cs[idx], ss[idx], th[idx])
        burn = split = None
        if any_burn:
            bs, be = burn_start[idx], burn_end[idx]
            burn = np.where(has_burn[idx] & (bs <= t) & (t + dt_s <= be), burn_acc[idx], 0.0)
            split = has_burn[idx] & (((bs >= t) & (bs < t + dt_s)) | ((be > t) & (be < t + dt_s)))
        k1 = deriv(xa, ctrl, idx, burn)
        if k % record_every == 0:
            rec_t[k_rec] = t
            rec_x[k_rec, idx] = xa
            rec_a[k_rec, idx] = k1[:, 3:]
            ph = guid.phase[idx]
            if any_burn:
                in_orbit = has_burn[idx] & (t + drec <= burn_start[idx])
                burning = has_burn[idx] & ~in_orbit & (t < burn_end[idx])
                ph = np.where(in_orbit, _P_ORBIT, np.where(burning, _P_DEORBIT, ph))
                rec_burn[k_rec, idx] = np.where(
                    has_burn[idx] & (burn_start[idx] <= t) & (t < burn_end[idx]),
                    burn_acc[idx], 0.0)
            rec_p[k_rec, idx] = ph
            rec_cl[k_rec, idx] = ctrl[0]
            rec_bank[k_rec, idx] = np.arctan2(ctrl[2], ctrl[1])
            last_rec[idx] = k_rec
            k_rec += 1
        k2 = deriv(xa + 0.5 * dt_s * k1, ctrl, idx, burn)
        k3 = deriv(xa + 0.5 * dt_s * k2, ctrl, idx, burn)
        k4 = deriv(xa + dt_s * k3, ctrl, idx, burn)
        xn = xa + (dt_s / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        if split is not None and split.any():
            si = np.flatnonzero(split)
            xn[si] = split_step(xa[si], t, tuple(c[si] for c in ctrl), idx[si])
        alt_old = alt[idx]
        alt_new = phys.altitude(xn[:, :3])
        if any_burn:
            done = (burn_end[idx] <= t + dt_s) & (alt_new <= batch.handover_alt_m[idx])
            if done.any():  # hands over at the end of this step (the state xn)
                d = np.flatnonzero(done)
                gd = idx[d]
                end_t[gd] = t + dt_s
                end_x[gd] = xn[d]
                end_a[gd] = phys.accel(xn[d], *(c[d] for c in ctrl), gd)
                alive[gd] = False
                x[gd] = xn[d]
                alt[gd] = alt_new[d]
                keep = np.flatnonzero(~done)
                idx, xa, xn, k1 = idx[keep], xa[keep], xn[keep], k1[keep]
                ctrl = tuple(c[keep] for c in ctrl)
                alt_old, alt_new = alt_old[keep], alt_new[keep]
        hit = (alt_old >= ground[idx]) & (alt_new < ground[idx])
        if hit.any():
            h = np.flatnonzero(hit)
            an = phys.accel(xn[h], *(c[h] for c in ctrl), idx[h])
            s = _bisect_ground(phys, xa[h], xn[h], k1[h, 3:], an, dt_s, ground[idx[h]])
            xs, acc_s = _hermite_state(xa[h], xn[h], k1[h, 3:], an, dt_s, s)
            gi = idx[h]
            end_t[gi] = t + s * dt_s
            end_x[gi] = xs
            end_a[gi] = acc_s
            impacted[gi] = True
            alive[gi] = False
        x[idx] = xn
        alt[idx] = alt_new
        if progress is not None and k % report_every == 0:
            progress(min(1.0, (k + 1) / n_steps))
    # Vehicles still flying at the time limit end at their current state.
    still = np.flatnonzero(alive)
    if still.size:
        t_end = n_steps * dt_s
        cl, cs, ss, th = guid.controls(t_end, x, alive)
        end_t[still] = t_end
        end_x[still] = x[still]
        end_a[still] = phys.accel(x, cl, cs, ss, th)[still]
    if progress is not None:
        progress(1.0)

    out: list[Trajectory] = []
    for j in range(n):
        m = last_rec[j] + 1
        ts = rec_t[:m]
        keep = ~np.isnan(rec_x[:m, j, 0])
        ts, xs, acc, ph = ts[keep], rec_x[:m, j][keep], rec_a[:m, j][keep], rec_p[:m, j][keep]
        cls, banks = rec_cl[:m, j][keep], rec_bank[:m, j][keep]
        channels = [cls, banks] + ([rec_burn[:m, j][keep]] if any_burn else [])
        if ts.size and end_t[j] - ts[-1] < 1e-9:  # end coincides with a recorded node
            ts, xs, acc, ph = ts[:-1], xs[:-1], acc[:-1], ph[:-1]
            channels = [c[:-1] for c in channels]
        last_phase = _P_IMPACT if impacted[j] else (ph[-1] if ph.size else _P_MID)
        t0 = batch.t0_s[j]
        extras = {"cl": np.append(channels[0], np.nan),
                  "bank_rad": np.append(channels[1], np.nan)}
        events: dict[str, float] = {}
        if any_burn:
            extras["burn_mps2"] = np.append(channels[2], np.nan)
            if has_burn[j]:
                events = {"deorbit_start_s": float(t0 + burn_start[j]),
                          "deorbit_end_s": float(t0 + burn_end[j]),
                          "deorbit_dv_mps": float(burn_dv[j])}
        out.append(Trajectory(
            threat_id=batch.ids[j],
            times=t0 + np.append(ts, end_t[j]),
            states=np.vstack([xs, end_x[j]]),
            accels=np.vstack([acc, end_a[j]]),
            phase=np.append(ph, np.int8(last_phase)).astype(np.int8),
            impacted=bool(impacted[j]),
            kind=batch.kinds[j],
            extras=extras,
            events=events,
        ))
    return out


def _hermite_state(x0, x1, a0, a1, dt, s):
    """State and acceleration at fraction ``s`` of a step, by cubic Hermite interpolation."""
    pos = hermite_on_step(s, dt, x0[:, :3], x1[:, :3], x0[:, 3:], x1[:, 3:])
    vel = hermite_on_step(s, dt, x0[:, 3:], x1[:, 3:], a0, a1)
    s = s[:, None]
    acc = (1 - s) * a0 + s * a1
    return np.concatenate([pos, vel], axis=1), acc


def _bisect_ground(phys, x0, x1, a0, a1, dt, ground, iters: int = 40):
    """Fraction of the step at which the Hermite path crosses the ground altitude."""
    lo = np.zeros(len(x0))
    hi = np.ones(len(x0))
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        xs, _ = _hermite_state(x0, x1, a0, a1, dt, mid)
        above = phys.altitude(xs[:, :3]) >= ground
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    return 0.5 * (lo + hi)
