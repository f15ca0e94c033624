"""Fractional-orbital threats: a boost to a low orbit, a coast of less than one revolution, a
deorbit burn, then a ballistic re-entry vehicle or a glide vehicle onto the target.

Phases: ``boost`` (the boost model of :mod:`hdsim.threats.boost`, lift-off to orbit insertion),
``orbit`` (the coast, flown by the 3-DOF integrator of :mod:`hdsim.threats.flight` with J2,
rotation and the drag of the upper atmosphere), ``deorbit`` (a finite retro burn against the
inertial velocity), then ``midcourse``/``terminal`` (a re-entry vehicle: a vehicle without lift)
or ``pullup``/``glide``/``terminal`` (a glide vehicle: any vehicle with lift, under the glide
guidance of boost-glide vehicles).

**The orbit.**  Insertion at the end of the boost, at perigee: the orbit's ``perigee_m``
(geodetic altitude at the insertion point), inertial velocity horizontal (perpendicular to the
geocentric radius) with the vis-viva speed of the orbit of apsides ``perigee_m``/``apogee_m``;
the insertion point lies the boost ground range (:func:`hdsim.threats.boost.boost_ground_range_m`)
downrange of the launch point along the launch azimuth ψ, and the inertial heading there is that
of the same great circle, so the orbit plane contains the launch point as it is at insertion
time.  The apogee and the deorbit perigee are measured from the same radius (the ellipsoid under
the insertion point).

**The plan** (:func:`plan_fractional_orbital`, two-body, closed forms of
:mod:`hdsim.threats.two_body`), in the frame that is ECEF at insertion: the target moves east by
ω τ while the vehicle flies (τ: insertion to impact), so the plane must pass through the
launch point and the target rotated by ω τ.  ``short``: ψ is the initial bearing to it, the arc
θ the central angle; ``long``: ψ + π and 2π − θ, the other way round the same great circle.  The
coast ends at the true anomaly ν_d where ``ν_d + Δν_re(ν_d)`` (Δν_re: the arc of the post-burn
conic from the burn to the target's radius) equals the arc left after the boost; τ is the coast
plus the re-entry (Kepler's equation), iterated to a fixed point.  ``from_north|south|east|west``
picks the way whose approach heading at the target (ECEF) is within 45° of coming from that
side; the orbit's inclination ``cos i = cos φ sin α`` fixes both ways' headings, and a side
neither gives is an error naming ``approach``.

**The deorbit burn** starts at the coast time t_d and is sized in flight, from the flown state at
its start, to put the perigee of the osculating conic at ``deorbit.perigee_m``
(:func:`~hdsim.threats.two_body.deorbit_delta_v_mps`; vis-viva for a circular orbit); it lasts
Δv / ``deorbit.accel_mps2``.  **Aiming** (:func:`aim_fractional_orbital`): Newton iterations on
(ψ, t_d) against the tangent-plane miss (east, north) of the *flown* impact point of the re-entry
body with no lift, with finite-difference Jacobians, every threat and its perturbations in one
batch, as the ballistic aiming of :mod:`hdsim.threats.launch` does.  A re-entry vehicle is aimed
at the target.  A glide vehicle is aimed at a point ``glide_range_m`` short of the target along
its approach (default: 30 % of the equilibrium-glide range at the vehicle's design L/D from the
re-entry speed); from there its guidance glides to the target, and a guided impact more than
:data:`hdsim.threats.launch.GUIDED_MISS_LIMIT_M` from it is an error.

Errors (:class:`OrbitPlanError`, each naming the field below the threat): a target the fractional
orbit cannot reach (nearer along the chosen way than the boost plus the re-entry arc, or within
10° of where every orbit plane through the launch point meets again: 180° or 360° along, where the
launch azimuth cannot steer the ground track), an approach side the inclination cannot give, a
glide range beyond the glider's reach.  The orbit's decay is checked by the scenario schema
(:func:`drag_decay_per_rev_m`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from hdsim.earth import G0_MPS2, EarthModel, atmosphere, geodetic_to_ecef
from hdsim.threats.boost import R_MEAN_M, boost_ground_range_m, prepend_boost
from hdsim.threats.flight import MODE_BALLISTIC, MODE_GLIDE, FlightBatch, GuidanceGains, fly
from hdsim.threats.geometry import central_angle_rad, destination, initial_bearing_rad
from hdsim.threats.launch import GUIDED_MISS_LIMIT_M, OutOfReachError, glide_range_estimate_m
from hdsim.threats.spec import ThreatSpec
from hdsim.threats.trajectory import Trajectory
from hdsim.threats.two_body import (
    conic_to_radius,
    retro_speed_for_perigee_mps,
    vis_viva_speed_mps,
)
from hdsim.threats.vehicles import Vehicle

__all__ = [
    "APPROACHES",
    "DEFAULT_DEORBIT_PERIGEE_M",
    "GLIDE_RANGE_FRACTION",
    "MIN_ORBIT_PERIGEE_M",
    "OrbitPlan",
    "OrbitPlanError",
    "aim_fractional_orbital",
    "drag_decay_per_rev_m",
    "fly_fractional_orbital",
    "glide_reach_m",
    "plan_fractional_orbital",
    "reentry_glides",
]

APPROACHES = ("short", "long", "from_north", "from_south", "from_east", "from_west")
"""Values of ``approach``: a way round the Earth, or the side the threat comes from."""

MIN_ORBIT_PERIGEE_M = 120_000.0
"""Lowest orbit perigee, m: at 120 km the 1976 atmosphere (2.2e-8 kg/m³) takes ~1 km of altitude a
revolution from a 5,000 kg/m² re-entry vehicle; at 100 km ~30 km: the orbit decays in the first
revolution (:func:`drag_decay_per_rev_m`)."""

DEFAULT_DEORBIT_PERIGEE_M = {"ballistic": -500_000.0, "glide": 0.0}
"""Default perigee altitude of the post-burn conic, m: 500 km below the surface for a re-entry
vehicle (a 150 km orbit re-enters at about −1.6° at 100 km after a ~200 m/s burn), at the surface
for a glide vehicle (about −0.6° at 100 km after ~46 m/s: a shallow entry into the glide)."""

GLIDE_RANGE_FRACTION = 0.3
"""Default glide range of an orbital glide vehicle, as a fraction of its equilibrium-glide range
at the design L/D from the re-entry speed (the guidance then flies a lower L/D: margin both
ways)."""

ORBIT_STEP_S = 5.0
"""RK4 step of the coast in orbit and the descent to the entry interface, s: the orbital period
is ~5,300 s, so RK4's local error, ~r (n h)⁵, is below 0.1 mm a step, and the nodes every 5 s
interpolate to a hundredth of a millimetre (the re-entry below :data:`ENTRY_ALT_M` is flown at
the run's step)."""

ENTRY_ALT_M = 100_000.0
"""Entry interface, m: the coast batch hands over to the re-entry (and its guidance) at the
first step below it after the deorbit burn; the planned re-entry speed is taken there."""

_SECTOR_COS = np.cos(np.radians(45.0))
_WAY_MIN_SIN = np.sin(np.radians(10.0))


class OrbitPlanError(OutOfReachError):
    """A fractional-orbital threat that cannot be planned or aimed.

    Attributes:
        field: the path of the offending field below the threat, e.g. ``("approach",)``.
        value: the offending value.
        reason: what is allowed (the message without the threat's path).
    """

    def __init__(self, spec: ThreatSpec, field: tuple[str, ...], value: object, reason: str):
        self.field = field
        self.value = value
        self.reason = reason
        super().__init__(f"threats[{spec.threat_id}].{'.'.join(field)}: {reason}")


def reentry_glides(vehicle: Vehicle) -> bool:
    """Whether a re-entry body glides (any lift: ``cl_max > 0``) or falls as a re-entry vehicle."""
    return vehicle.cl_max > 0.0


def drag_decay_per_rev_m(alt_m: float, ballistic_coefficient_kgpm2: float,
                         r_m: float = R_MEAN_M) -> float:
    """Altitude a circular orbit at ``alt_m`` loses to drag in one revolution, m:
    ``Δa = 2π ρ a² / β`` with ``β = m/(CD S)`` (King-Hele, *Theory of Satellite Orbits in an
    Atmosphere*, 1964; Vallado 4th ed. §9.6.2), ρ from the 1976 atmosphere."""
    rho = float(atmosphere(np.asarray(alt_m, float)).density_kgpm3)
    a = r_m + alt_m
    return 2.0 * np.pi * rho * a * a / ballistic_coefficient_kgpm2


# ---------------------------------------------------------------------------------------------
# Geometry: insertion and plan
# ---------------------------------------------------------------------------------------------


def _deorbit_perigee_m(spec: ThreatSpec) -> float:
    if spec.deorbit_perigee_m is not None:
        return spec.deorbit_perigee_m
    return DEFAULT_DEORBIT_PERIGEE_M["glide" if reentry_glides(spec.vehicle) else "ballistic"]


def _insertion(spec: ThreatSpec, earth: EarthModel, psi: float
               ) -> tuple[NDArray, float, float, float]:
    """ECEF state at orbit insertion for launch azimuth ``psi``; also its geodetic latitude,
    longitude and the surface radius below it (module doc)."""
    ell, w = earth.ellipsoid, earth.omega_radps
    d_b = float(boost_ground_range_m(7_500.0, 0.0, spec.burn_time_s))
    for _ in range(3):
        la, lo = destination(spec.launch_lat_rad, spec.launch_lon_rad, psi, d_b / R_MEAN_M)
        la, lo = float(la), float(lo)
        fwd = float(initial_bearing_rad(la, lo, spec.launch_lat_rad, spec.launch_lon_rad)) + np.pi
        pos = geodetic_to_ecef(la, lo, spec.orbit_perigee_m, ell)
        r = float(np.linalg.norm(pos))
        a = r + 0.5 * (spec.orbit_apogee_m - spec.orbit_perigee_m)
        v_p = float(vis_viva_speed_mps(r, a, earth.mu))
        up = pos / r
        east = np.cross([0.0, 0.0, 1.0], up)
        east /= np.linalg.norm(east)
        north = np.cross(up, east)
        vel = v_p * (np.sin(fwd) * east + np.cos(fwd) * north) - w * np.array(
            [-pos[1], pos[0], 0.0])
        speed = float(np.linalg.norm(vel))
        gam = float(np.arcsin(np.clip(np.dot(vel, up) / speed, -1.0, 1.0)))
        d_b = float(boost_ground_range_m(speed, gam, spec.burn_time_s))
    surface_r = float(np.linalg.norm(geodetic_to_ecef(la, lo, 0.0, ell)))
    return np.concatenate([pos, vel]), la, lo, surface_r


@dataclass(frozen=True)
class OrbitPlan:
    """The two-body plan of one fractional-orbital threat (module doc); SI, radians.

    Attributes:
        way: ``short`` or ``long``.
        launch_azimuth_rad: ψ, the boost's azimuth at the launch point (clockwise from north).
        coast_s: t_d, insertion to the deorbit burn's start.
        flight_s: launch to impact (two-body, no drag), s.
        inclination_rad: of the orbit (inertial).
        approach_azimuth_rad: planned ECEF heading at the aim point (where the threat goes).
        entry_speed_mps: planned speed at the entry interface (100 km), m/s.
        deorbit_dv_mps: planned Δv of the burn, m/s.
        deorbit_perigee_r_m: perigee radius the burn lowers the orbit to, m.
        aim_lat_rad, aim_lon_rad, aim_alt_m: where the re-entry body with no lift is aimed (the
            target, or the glide aim point).
        boost_range_m: the boost's ground range, m.
    """

    way: str
    launch_azimuth_rad: float
    coast_s: float
    flight_s: float
    inclination_rad: float
    approach_azimuth_rad: float
    entry_speed_mps: float
    deorbit_dv_mps: float
    deorbit_perigee_r_m: float
    aim_lat_rad: float
    aim_lon_rad: float
    aim_alt_m: float
    boost_range_m: float


def _plan_way(spec: ThreatSpec, earth: EarthModel, way: str, aim_lat: float, aim_lon: float,
              aim_alt: float) -> OrbitPlan:
    """The plan that goes the ``way`` given to the aim point (module doc)."""
    ell, w, mu = earth.ellipsoid, earth.omega_radps, earth.mu
    lat0, lon0 = spec.launch_lat_rad, spec.launch_lon_rad
    r_aim = float(np.linalg.norm(geodetic_to_ecef(aim_lat, aim_lon, aim_alt, ell)))
    tau = 3_000.0
    for _ in range(12):
        lon_rot = aim_lon + w * tau
        c = float(central_angle_rad(lat0, lon0, aim_lat, lon_rot))
        psi = float(initial_bearing_rad(lat0, lon0, aim_lat, lon_rot))
        theta = c
        if way == "long":
            psi, theta = psi + np.pi, 2.0 * np.pi - c
        psi = float(np.mod(psi, 2.0 * np.pi))
        state, la, lo, surf_r = _insertion(spec, earth, psi)
        d_b = float(central_angle_rad(lat0, lon0, la, lo)) * R_MEAN_M
        r_p = float(np.linalg.norm(state[:3]))
        r_a = r_p + spec.orbit_apogee_m - spec.orbit_perigee_m
        a = 0.5 * (r_p + r_a)
        e = (r_a - r_p) / (r_a + r_p)
        p = a * (1.0 - e * e)
        r_dp = surf_r + _deorbit_perigee_m(spec)
        arc = theta - d_b / R_MEAN_M

        conic = (p, e, a, r_dp, r_aim, mu)

        def f(nu: float, conic: tuple = conic, arc: float = arc) -> float:
            return nu + _reentry(nu, *conic)[0] - arc

        if not np.isfinite(f(0.0)) or f(0.0) > 0.0:
            dnu0 = _reentry(0.0, *conic)[0]
            other = "approach: long, " if way == "short" else ""
            raise OrbitPlanError(
                spec, ("target",), None,
                f"out of reach of the fractional orbit the {way} way: it lies "
                f"{theta * R_MEAN_M / 1000:,.0f} km along the orbit's ground track from launch, "
                f"but the boost to orbit covers {d_b / 1000:,.0f} km and the re-entry from a "
                f"deorbit to deorbit.perigee_m = {_deorbit_perigee_m(spec):,.0f} another "
                f"{dnu0 * R_MEAN_M / 1000:,.0f} km; use {other}a lower deorbit.perigee_m (a "
                "steeper, shorter re-entry) or a farther target")
        lo_nu, hi_nu = 0.0, arc
        for _ in range(60):
            mid = 0.5 * (lo_nu + hi_nu)
            if f(mid) > 0.0:
                hi_nu = mid
            else:
                lo_nu = mid
        nu_d = 0.5 * (lo_nu + hi_nu)
        dnu, t_re, dv, h_new, energy = _reentry(nu_d, *conic)
        ecc = 2.0 * np.arctan(np.sqrt((1.0 - e) / (1.0 + e)) * np.tan(nu_d / 2.0))
        t_coast = float(np.mod(ecc - e * np.sin(ecc), 2.0 * np.pi) / np.sqrt(mu / a**3))
        t_burn = dv / spec.deorbit_accel_mps2
        # The finite burn acts about its middle: start it half a burn early.
        t_d = max(t_coast - 0.5 * t_burn, 0.0)
        tau_new = t_coast + t_re
        if abs(tau_new - tau) < 0.01:
            tau = tau_new
            break
        tau = tau_new
    if abs(np.sin(theta)) < _WAY_MIN_SIN:
        where = "the far side of the Earth (180°)" if abs(theta - np.pi) < 1.0 else \
            "the launch point again (360°)"
        raise OrbitPlanError(
            spec, ("target",), None,
            f"out of reach of a steerable ground track the {way} way: the target (moved by the "
            f"Earth's rotation in flight) lies {np.degrees(theta):.0f}° along the orbit, within "
            f"10° of {where}, where every orbit plane through the launch point passes, so the "
            "launch azimuth cannot steer the ground track onto it; move the target or the "
            "launch point")
    # Inclination and approach heading (module doc).
    pos, vel_e = state[:3], state[3:]
    vel_i = vel_e + w * np.array([-pos[1], pos[0], 0.0])
    nrm = np.cross(pos, vel_i)
    incl = float(np.arccos(np.clip(nrm[2] / np.linalg.norm(nrm), -1.0, 1.0)))
    back = float(initial_bearing_rad(aim_lat, lon_rot, lat0, lon0))
    alpha = back + np.pi if way == "short" else back
    v_h = h_new / r_aim
    east = v_h * np.sin(alpha) - w * r_aim * np.cos(aim_lat)
    north = v_h * np.cos(alpha)
    approach = float(np.mod(np.arctan2(east, north), 2.0 * np.pi))
    v_entry = float(np.sqrt(max(2.0 * (energy + mu / (surf_r + ENTRY_ALT_M)), 0.0)))
    return OrbitPlan(way=way, launch_azimuth_rad=psi, coast_s=t_d,
                     flight_s=spec.burn_time_s + tau, inclination_rad=incl,
                     approach_azimuth_rad=approach, entry_speed_mps=v_entry,
                     deorbit_dv_mps=dv, deorbit_perigee_r_m=r_dp, aim_lat_rad=aim_lat,
                     aim_lon_rad=aim_lon, aim_alt_m=aim_alt, boost_range_m=d_b)


def _reentry(nu: float, p: float, e: float, a: float, r_dp: float, r_aim: float, mu: float
             ) -> tuple[float, float, float, float, float]:
    """For a burn at true anomaly ν of the orbit (p, e, a): the arc (rad) and time (s) down to
    the aim radius on the post-burn conic of perigee r_dp, the burn's Δv (m/s), and the
    post-burn angular momentum (m²/s) and specific energy (J/kg)."""
    r = p / (1.0 + e * np.cos(nu))
    g = float(np.arctan2(e * np.sin(nu), 1.0 + e * np.cos(nu)))
    v = float(vis_viva_speed_mps(r, a, mu))
    v2 = float(retro_speed_for_perigee_mps(r, g, r_dp, mu))
    dnu, dt = conic_to_radius(r, v2, g, r_aim, mu)
    return float(dnu), float(dt), v - v2, r * v2 * np.cos(g), 0.5 * v2 * v2 - mu / r


def _in_sector(heading: float, side: str) -> bool:
    """Whether an approach heading comes from ``side`` (within 45° of the opposite course)."""
    course = {"from_south": 0.0, "from_west": 0.5 * np.pi, "from_north": np.pi,
              "from_east": 1.5 * np.pi}[side]
    return bool(np.cos(heading - course) >= _SECTOR_COS - 1e-12)


def plan_fractional_orbital(spec: ThreatSpec, earth: EarthModel) -> OrbitPlan:
    """The two-body plan of a fractional-orbital threat, with the approach side resolved and,
    for a glide vehicle, the aim point moved ``glide_range_m`` back along the approach
    (module doc).

    Raises:
        OrbitPlanError: unreachable target, an approach side neither way gives, a glide range
            beyond reach.
    """
    tgt = (spec.target_lat_rad, spec.target_lon_rad, spec.target_alt_m)
    if spec.approach in ("short", "long"):
        plan = _plan_way(spec, earth, spec.approach, *tgt)
    else:
        plans: dict[str, OrbitPlan] = {}
        errors: dict[str, OrbitPlanError] = {}
        for way in ("short", "long"):
            try:
                plans[way] = _plan_way(spec, earth, way, *tgt)
            except OrbitPlanError as exc:
                errors[way] = exc
        fits = [pl for pl in plans.values() if _in_sector(pl.approach_azimuth_rad, spec.approach)]
        if not fits:
            if not plans:
                raise errors["short"]
            incl = next(iter(plans.values())).inclination_rad
            got = " and ".join(f"the {way} way at heading "
                               f"{np.degrees(pl.approach_azimuth_rad):.0f}°"
                               for way, pl in plans.items())
            got += "".join(f" (the {way} way is out of reach)" for way in errors)
            raise OrbitPlanError(
                spec, ("approach",), spec.approach,
                f"the orbit through launch and target has an inclination of "
                f"{np.degrees(incl):.0f}° (or {180 - np.degrees(incl):.0f}° the other way), "
                f"which brings it over the target {got}, clockwise from north; "
                f"{spec.approach.replace('_', ' ')} needs a heading within 45° of "
                f"{_COURSE_NAMES[spec.approach]}: use approach short or long, or move the "
                "launch point")
        plan = fits[0]
    if not reentry_glides(spec.vehicle):
        return plan
    v_entry = _ecef_entry_speed(plan, earth)
    reach = glide_reach_m(spec.vehicle, v_entry)
    glide = spec.glide_range_m if spec.glide_range_m is not None else GLIDE_RANGE_FRACTION * reach
    if glide > 0.8 * reach:
        raise OrbitPlanError(
            spec, ("deorbit", "glide_range_m"), glide,
            f"beyond the glide vehicle's reach: from its re-entry at about "
            f"{v_entry:,.0f} m/s relative to the Earth, at L/D "
            f"{spec.vehicle.lift_to_drag_design:.2f}, the equilibrium glide covers about "
            f"{reach / 1000:,.0f} km; at most 80 % of it "
            f"({0.8 * reach / 1000:,.0f} km) is allowed")
    la, lo = destination(tgt[0], tgt[1], plan.approach_azimuth_rad + np.pi, glide / R_MEAN_M)
    return _plan_way(spec, earth, plan.way, float(la), float(lo), spec.target_alt_m)


def glide_reach_m(vehicle: Vehicle, entry_speed_mps: float) -> float:
    """Equilibrium-glide range at the design L/D from an entry speed relative to the Earth
    (:func:`hdsim.threats.launch.glide_range_estimate_m`), the speed held at most 95 % of the
    circular speed ``sqrt(g0 R)`` (7.9 km/s), where the estimate would be infinite: a body
    entering faster (a retrograde orbit adds the Earth's rotation) first loses the excess
    to drag, flying with its lift down (the glide guidance does), m."""
    v = min(entry_speed_mps, 0.95 * np.sqrt(G0_MPS2 * R_MEAN_M))
    return glide_range_estimate_m(v, vehicle.lift_to_drag_design)


_COURSE_NAMES = {"from_south": "north (0°)", "from_west": "east (90°)",
                 "from_north": "south (180°)", "from_east": "west (270°)"}


def _ecef_entry_speed(plan: OrbitPlan, earth: EarthModel) -> float:
    """Speed relative to the Earth at the entry interface (for the glide estimate), m/s."""
    w_r = earth.omega_radps * (R_MEAN_M + ENTRY_ALT_M) * np.cos(plan.aim_lat_rad)
    # The rotation adds to or takes from the eastward component of the inertial velocity.
    east = np.sin(plan.approach_azimuth_rad)
    return float(np.sqrt(max(plan.entry_speed_mps**2 - 2.0 * plan.entry_speed_mps * w_r * east
                             + w_r * w_r, 0.0)))


# ---------------------------------------------------------------------------------------------
# Flights: batch, aiming, final flight
# ---------------------------------------------------------------------------------------------


def _coast_batch(specs: Sequence[ThreatSpec], plans: Sequence[OrbitPlan], earth: EarthModel,
                 psi: NDArray, coast_s: NDArray) -> FlightBatch:
    """The coast, deorbit burn and exo-atmospheric descent of fractional-orbital threats, from
    orbit insertion down to the entry interface (:data:`ENTRY_ALT_M`; no lift, no guidance)."""
    n = len(specs)
    f = np.array
    state0 = np.stack([_insertion(s, earth, float(a))[0] for s, a in zip(specs, psi,
                                                                           strict=True)])
    return _vehicle_batch(
        specs, earth, f([s.launch_time_s + s.burn_time_s for s in specs]), state0,
        np.full(n, MODE_BALLISTIC),
        burn_start_s=np.asarray(coast_s, float),
        burn_accel_mps2=f([s.deorbit_accel_mps2 for s in specs]),
        burn_perigee_r_m=f([p.deorbit_perigee_r_m for p in plans]),
        handover_alt_m=np.full(n, ENTRY_ALT_M))


def _reentry_batch(specs: Sequence[ThreatSpec], earth: EarthModel, coasts: Sequence[Trajectory],
                   no_lift: bool) -> FlightBatch:
    """The re-entry of fractional-orbital threats from the entry interface; ``no_lift``: every
    re-entry body flown as a ballistic body (aiming)."""
    glide = np.array([reentry_glides(s.vehicle) and not no_lift for s in specs], dtype=bool)
    return _vehicle_batch(specs, earth, np.array([tr.t_end for tr in coasts]),
                          np.stack([tr.states[-1] for tr in coasts]),
                          np.where(glide, MODE_GLIDE, MODE_BALLISTIC))


def _vehicle_batch(specs: Sequence[ThreatSpec], earth: EarthModel, t0_s: NDArray,
                   state0: NDArray, mode: NDArray, **burn: NDArray) -> FlightBatch:
    n = len(specs)
    f = np.array
    veh = [s.vehicle for s in specs]
    target = geodetic_to_ecef(f([s.target_lat_rad for s in specs]),
                              f([s.target_lon_rad for s in specs]),
                              f([s.target_alt_m for s in specs]), earth.ellipsoid).reshape(n, 3)
    return FlightBatch(
        ids=[s.threat_id for s in specs],
        kinds=[s.kind for s in specs],
        t0_s=t0_s,
        state0=state0,
        mode=mode,
        mass_kg=f([v.mass_kg for v in veh]),
        area_m2=f([v.reference_area_m2 for v in veh]),
        c0=f([v.c0 for v in veh]),
        c1=f([v.c1 for v in veh]),
        c2=f([v.c2 for v in veh]),
        cl_min=f([v.cl_min for v in veh]),
        cl_max=f([v.cl_max for v in veh]),
        cl_design=f([v.cl_design for v in veh]),
        target_ecef=target,
        ground_alt_m=f([s.target_alt_m for s in specs]),
        dive_range_m=f([np.nan if s.dive_range_m is None else s.dive_range_m for s in specs]),
        sturn_count=f([s.sturn_count for s in specs]),
        sturn_bank_rad=f([s.sturn_bank_rad for s in specs]),
        skip_amp_m=f([s.skip_amp_m for s in specs]),
        skip_period_s=f([s.skip_period_s for s in specs]),
        end_speed_mps=f([s.end_speed_mps for s in specs]),
        **burn,
    )


def _fly_coasts(specs: Sequence[ThreatSpec], plans: Sequence[OrbitPlan], earth: EarthModel,
                psi: NDArray, coast_s: NDArray, record_every: int) -> list[Trajectory]:
    """Fly the coasts, burns and exo-atmospheric descents at :data:`ORBIT_STEP_S`."""
    batch = _coast_batch(specs, plans, earth, psi, coast_s)
    max_t = max(p.flight_s for p in plans) * 1.5 + 1_000.0
    return fly(batch, earth, dt_s=ORBIT_STEP_S, max_time_s=max_t, record_every=record_every)


def _tangent_miss(trajs: Sequence[Trajectory], aim_ecef: NDArray) -> NDArray:
    """(east, north) miss of each flight's last point from its aim point on the aim point's
    tangent plane, m (unit vectors scaled by the mean radius)."""
    out = np.zeros((len(trajs), 2))
    for j, tr in enumerate(trajs):
        a = aim_ecef[j] / np.linalg.norm(aim_ecef[j])
        p = tr.states[-1, :3] / np.linalg.norm(tr.states[-1, :3])
        east = np.cross([0.0, 0.0, 1.0], a)
        east /= np.linalg.norm(east)
        north = np.cross(a, east)
        d = (p - a) * R_MEAN_M
        out[j] = [d @ east, d @ north]
    return out


def aim_fractional_orbital(specs: Sequence[ThreatSpec], plans: Sequence[OrbitPlan],
                           earth: EarthModel, dt_s: float = 1.0, iters: int = 10,
                           tol_m: float = 10.0) -> tuple[NDArray, NDArray, NDArray]:
    """Newton-correct the launch azimuth ψ and the coast time t_d of every threat so that its
    re-entry body, flown with no lift, lands on its aim point (module doc).

    Returns:
        ψ (rad), t_d (s) and the last miss distance (m) of each threat.

    Raises:
        OrbitPlanError: a threat whose miss stays above 1 km.
    """
    specs = list(specs)
    m = len(specs)
    psi = np.array([p.launch_azimuth_rad for p in plans])
    td = np.array([p.coast_s for p in plans])
    aim = geodetic_to_ecef(np.array([p.aim_lat_rad for p in plans]),
                           np.array([p.aim_lon_rad for p in plans]),
                           np.array([p.aim_alt_m for p in plans]), earth.ellipsoid).reshape(m, 3)
    max_t = max(p.flight_s - p.coast_s for p in plans) + 3_000.0
    d_psi, d_td = 2e-5, 0.2
    miss = np.full(m, np.inf)
    for _ in range(iters):
        specs3, plans3 = specs * 3, list(plans) * 3
        coasts = _fly_coasts(specs3, plans3, earth, np.concatenate([psi, psi + d_psi, psi]),
                             np.concatenate([td, td, td + d_td]), record_every=10**7)
        trajs = fly(_reentry_batch(specs3, earth, coasts, no_lift=True), earth, dt_s=dt_s,
                    max_time_s=max_t, record_every=10**7)
        err = _tangent_miss(trajs, np.concatenate([aim, aim, aim]))
        e0, e1, e2 = err[:m], err[m:2 * m], err[2 * m:]
        miss = np.hypot(e0[:, 0], e0[:, 1])
        if np.all(miss < tol_m):
            break
        jac = np.stack([(e1 - e0) / d_psi, (e2 - e0) / d_td], axis=-1)  # (m, 2, 2)
        step = np.linalg.solve(jac, -e0[..., None])[..., 0]
        todo = miss >= tol_m
        psi = np.where(todo, psi + np.clip(step[:, 0], -0.05, 0.05), psi)
        td = np.where(todo, np.maximum(td + np.clip(step[:, 1], -600.0, 600.0), 0.0), td)
    bad = np.flatnonzero(miss > 1_000.0)
    if bad.size:
        s = specs[bad[0]]
        raise OrbitPlanError(
            s, ("target",), None,
            f"could not aim the deorbit at it (best miss {miss[bad[0]] / 1000:.1f} km after "
            f"{iters} corrections): move the target or change orbit or deorbit")
    return psi, td, miss


def fly_fractional_orbital(
    specs: Sequence[ThreatSpec],
    earth: EarthModel,
    dt_s: float = 0.5,
    max_time_s: float = 7200.0,
    record_every: int = 2,
    gains: GuidanceGains | None = None,
    progress: Callable[[float], None] | None = None,
) -> list[Trajectory]:
    """Plan, aim and fly fractional-orbital threats; their trajectories from lift-off, in order.

    ``dt_s``, ``record_every`` and ``gains`` are those of the re-entry (the coast is flown at
    :data:`ORBIT_STEP_S`, every step recorded); ``max_time_s`` counts from each launch.

    Raises:
        OrbitPlanError: see :func:`plan_fractional_orbital`, :func:`aim_fractional_orbital`, or a
            glide vehicle whose guided impact is more than ``GUIDED_MISS_LIMIT_M`` from its target.
        BoostDipError: a boost to orbit that would pass below the launch point.
    """
    specs = list(specs)
    if not specs:
        return []
    plans = [plan_fractional_orbital(s, earth) for s in specs]
    psi, td, _ = aim_fractional_orbital(specs, plans, earth, dt_s=max(dt_s, 1.0))
    coasts = _fly_coasts(specs, plans, earth, psi, td, record_every=1)
    batch = _reentry_batch(specs, earth, coasts, no_lift=False)
    launch = np.array([s.launch_time_s for s in specs])
    t_max = float(np.max(launch + max_time_s - batch.t0_s))
    reentries = fly(batch, earth, dt_s=dt_s, max_time_s=max(t_max, dt_s),
                    record_every=record_every, gains=gains, progress=progress)
    out = []
    for j, s in enumerate(specs):
        tr = _joined(coasts[j], reentries[j])
        miss = float(np.linalg.norm(tr.states[-1, :3] - batch.target_ecef[j]))
        if reentry_glides(s.vehicle) and tr.impacted and miss > GUIDED_MISS_LIMIT_M:
            raise OrbitPlanError(
                s, ("target",), None,
                f"out of reach: the guided glide from the deorbit hit the ground "
                f"{miss / 1000:,.0f} km from it; change deorbit.glide_range_m or the maneuvers")
        tr = prepend_boost(tr, s.launch_lat_rad, s.launch_lon_rad, s.launch_alt_m,
                           s.burn_time_s, earth.ellipsoid)
        tr.events.update({"inclination_deg": float(np.degrees(plans[j].inclination_rad)),
                          "launch_azimuth_deg": float(np.degrees(psi[j]))})
        out.append(tr)
    return out


def _joined(coast: Trajectory, reentry: Trajectory) -> Trajectory:
    """The coast (without its last node, the re-entry's first) followed by the re-entry."""
    keys = [k for k in coast.extras if k in reentry.extras]
    extras = {k: np.concatenate([coast.extras[k][:-1], reentry.extras[k]]) for k in keys}
    extras["burn_mps2"] = np.concatenate([coast.extras["burn_mps2"][:-1],
                                          np.zeros(reentry.times.size)])
    return replace(
        reentry,
        times=np.concatenate([coast.times[:-1], reentry.times]),
        states=np.vstack([coast.states[:-1], reentry.states]),
        accels=np.vstack([coast.accels[:-1], reentry.accels]),
        phase=np.concatenate([coast.phase[:-1], reentry.phase]).astype(np.int8),
        extras=extras,
        events=dict(coast.events),
    )
