"""Launching threats: reach checks, aiming, and flying a set of them in one vectorized batch.

:func:`fly_threats` checks that every :class:`~hdsim.threats.spec.ThreatSpec` can reach its
target (:func:`check_reach`), aims the ballistic missiles (closed-form burnout for the aim mode,
then Newton corrections on flown impact points), builds one
:class:`~hdsim.threats.flight.FlightBatch` for every threat and flies them all at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

from hdsim.earth import G0_MPS2, EarthModel, ecef_to_geodetic, geodetic_to_ecef
from hdsim.earth.atmosphere import atmosphere_table
from hdsim.earth.constants import SPHERE_RADIUS_M
from hdsim.threats.ballistic import flight_path_for_range_rad, max_range_rad, minimum_energy
from hdsim.threats.boost import R_MEAN_M, BoostDipError, boost_ground_range_m, prepend_boost
from hdsim.threats.flight import (
    MODE_BALLISTIC,
    MODE_CRUISE,
    MODE_GLIDE,
    MODE_OPEN_GLIDE,
    FlightBatch,
    GuidanceGains,
    fly,
)
from hdsim.threats.geometry import (
    central_angle_rad,
    destination,
    initial_bearing_rad,
    launch_state,
)
from hdsim.threats.spec import ThreatSpec
from hdsim.threats.trajectory import TrajectorySet

__all__ = ["GUIDED_MISS_LIMIT_M", "BoostDipError", "OutOfReachError", "check_reach",
           "fly_threats", "glide_range_estimate_m"]


class OutOfReachError(ValueError):
    """A threat cannot reach its target with the given parameters."""


def glide_range_estimate_m(speed_mps: float, lift_to_drag: float, r_m: float = SPHERE_RADIUS_M,
                           g: float = G0_MPS2) -> float:
    """Equilibrium-glide (Breguet-type) range ``(L/D)/2 · R ln(1/(1 − v²/(g R)))`` (Vinh et al.
    1980, §9; Acton 2015 eq. 2); infinite at or above circular speed."""
    x = speed_mps**2 / (g * r_m)
    if x >= 1.0:
        return float("inf")
    return 0.5 * lift_to_drag * r_m * np.log(1.0 / (1.0 - x))


def _batch_for(specs: Sequence[ThreatSpec], earth: EarthModel,
               gammas: NDArray, speeds: NDArray, azimuths: NDArray) -> FlightBatch:
    ell = earth.ellipsoid
    n = len(specs)
    f = np.array
    lat = f([s.launch_lat_rad for s in specs])
    lon = f([s.launch_lon_rad for s in specs])
    tlat = f([s.target_lat_rad for s in specs])
    tlon = f([s.target_lon_rad for s in specs])
    talt = f([s.target_alt_m for s in specs])
    kinds = [s.kind for s in specs]
    mode = np.empty(n, int)
    alt0 = np.empty(n)
    for j, s in enumerate(specs):
        if s.kind == "ballistic":
            mode[j] = MODE_BALLISTIC
            alt0[j] = s.launch_alt_m + s.burnout_alt_m
        elif s.kind == "boost_glide":
            mode[j] = MODE_GLIDE if s.guidance == "to_target" else MODE_OPEN_GLIDE
            alt0[j] = s.burnout_alt_m
        else:
            mode[j] = MODE_CRUISE
            alt0[j] = s.launch_alt_m
    # Boost: burnout a boost ground range downrange of the launch point along the launch
    # azimuth, heading along the same great circle (the final bearing of the arc), burn_time_s
    # after launch.  Threats without a boost keep the launch point and azimuth untouched.
    tb = f([s.burn_time_s if s.kind != "cruise" else 0.0 for s in specs])
    blat, blon, baz = lat, lon, azimuths
    if np.any(tb > 0.0):
        ang = boost_ground_range_m(speeds, gammas, tb) / R_MEAN_M
        moved = ang > 1e-12
        la, lo = destination(lat, lon, azimuths, ang)
        fwd = np.mod(initial_bearing_rad(la, lo, lat, lon) + np.pi, 2.0 * np.pi)
        blat = np.where(moved, la, lat)
        blon = np.where(moved, lo, lon)
        baz = np.where(moved, fwd, azimuths)
    state0 = launch_state(blat, blon, alt0, speeds, gammas, baz, ell)
    target = geodetic_to_ecef(tlat, tlon, talt, ell)
    veh = [s.vehicle for s in specs]
    # Crossrange waypoint: a point off the launch-target great circle.
    has_wp = f([s.crossrange_offset_m != 0.0 for s in specs], dtype=bool)
    wp = np.zeros((n, 3))
    if has_wp.any():
        ang = central_angle_rad(lat, lon, tlat, tlon)
        frac = f([s.crossrange_at_fraction for s in specs])
        mlat, mlon = destination(lat, lon, azimuths, ang * frac)
        brg = initial_bearing_rad(mlat, mlon, tlat, tlon)
        off = f([s.crossrange_offset_m for s in specs])
        wlat, wlon = destination(mlat, mlon, brg + np.pi / 2.0 * np.sign(off),
                                 np.abs(off) / ell.a_m)
        wp = geodetic_to_ecef(wlat, wlon, talt, ell)
    atm = atmosphere_table()
    sound = atm.speed_of_sound(f([s.cruise_alt_m for s in specs]))
    dive = f([np.nan if s.dive_range_m is None else s.dive_range_m for s in specs])
    return FlightBatch(
        ids=[s.threat_id for s in specs],
        kinds=kinds,
        t0_s=f([s.launch_time_s for s in specs]) + tb,
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
        ground_alt_m=talt,
        bank_rad=f([s.bank_rad for s in specs]),
        dive_range_m=dive,
        sturn_count=f([s.sturn_count for s in specs]),
        sturn_bank_rad=f([s.sturn_bank_rad for s in specs]),
        skip_amp_m=f([s.skip_amp_m for s in specs]),
        skip_period_s=f([s.skip_period_s for s in specs]),
        waypoint_ecef=wp,
        has_waypoint=has_wp,
        cruise_speed_mps=f([s.cruise_mach for s in specs]) * sound,
        cruise_alt_m=f([s.cruise_alt_m for s in specs]),
        max_thrust_mps2=f([s.max_cruise_thrust_mps2 for s in specs]),
        boost_thrust_mps2=f([s.boost_accel_mps2 for s in specs]),
        end_speed_mps=f([s.end_speed_mps for s in specs]),
    )


def _initial_controls(specs: Sequence[ThreatSpec], earth: EarthModel
                      ) -> tuple[NDArray, NDArray, NDArray]:
    """Burnout flight-path angle, speed and azimuth of every threat before aiming."""
    n = len(specs)
    gam, spd, az = np.zeros(n), np.zeros(n), np.zeros(n)
    for j, s in enumerate(specs):
        az[j] = s.azimuth_rad
        if s.kind == "cruise":
            gam[j], spd[j] = s.launch_flight_path_rad, s.launch_speed_mps
            continue
        if s.kind == "boost_glide" or s.aim == "fixed":
            gam[j] = s.burnout_flight_path_rad or 0.0
            spd[j] = s.burnout_speed_mps or 0.0
            continue
        r = earth.ellipsoid.a_m + s.burnout_alt_m + s.launch_alt_m
        # With a boost, the free flight starts a boost ground range downrange, which depends
        # on the burnout speed and angle: two passes (the first on the full range).
        d_b = 0.0
        for _pass in range(2 if s.burn_time_s > 0.0 else 1):
            psi = (s.range_m if d_b == 0.0 else max(s.range_m - d_b, 1_000.0)) / SPHERE_RADIUS_M
            if s.aim == "minimum_energy":
                nu, gam[j] = minimum_energy(psi)
                spd[j] = np.sqrt(nu * earth.mu / r)
            else:
                v = float(s.burnout_speed_mps or 0.0)
                nu = v * v * r / earth.mu
                g = flight_path_for_range_rad(nu, psi, lofted=(s.aim == "lofted"))
                if not np.isfinite(g):
                    reach = (max_range_rad(nu) * SPHERE_RADIUS_M + d_b) / 1000.0 if nu < 1 \
                        else float("inf")
                    raise OutOfReachError(
                        f"threats[{s.threat_id}].target: {s.range_m / 1000:.0f} km from launch "
                        f"is out of reach at burnout speed {v:.0f} m/s (the most a {v:.0f} m/s "
                        f"burnout reaches in vacuum is about {reach:.0f} km); raise "
                        f"burnout.speed_mps or move the target")
                gam[j], spd[j] = g, v
            d_b = float(boost_ground_range_m(spd[j], gam[j], s.burn_time_s))
    return gam, spd, az


def check_reach(specs: Sequence[ThreatSpec]) -> None:
    """Raise :class:`OutOfReachError` for a threat that cannot reach its target.

    Ballistic aim modes: the closed-form vacuum reach at the burnout speed.  Guided gliders:
    the equilibrium-glide range estimate at the vehicle's design L/D, with a 25 % margin.
    """
    for s in specs:
        if s.kind == "ballistic" and s.aim in ("lofted", "depressed"):
            _initial_controls([s], EarthModel())
        if s.kind == "boost_glide" and s.guidance == "to_target" and s.burnout_speed_mps:
            est = glide_range_estimate_m(s.burnout_speed_mps, s.vehicle.lift_to_drag_design)
            # The glide starts a boost ground range downrange of the launch point.
            est += float(boost_ground_range_m(s.burnout_speed_mps,
                                              s.burnout_flight_path_rad or 0.0, s.burn_time_s))
            if s.range_m > 1.25 * est:
                raise OutOfReachError(
                    f"threats[{s.threat_id}].target: {s.range_m / 1000:.0f} km from launch is "
                    f"out of reach of a glide from {s.burnout_speed_mps:.0f} m/s at L/D "
                    f"{s.vehicle.lift_to_drag_design:.2f} (equilibrium-glide estimate "
                    f"{est / 1000:.0f} km); raise burnout.speed_mps or move the target")


def _miss(specs: Sequence[ThreatSpec], trajs, earth: EarthModel) -> NDArray:
    """(downrange, crossrange) miss of each impact point from its target, m."""
    ell = earth.ellipsoid
    out = np.zeros((len(specs), 2))
    for j, (s, tr) in enumerate(zip(specs, trajs, strict=True)):
        lat, lon, _ = ecef_to_geodetic(tr.states[-1, :3], ell)
        d_li = central_angle_rad(s.launch_lat_rad, s.launch_lon_rad, lat, lon)
        d_lt = central_angle_rad(s.launch_lat_rad, s.launch_lon_rad, s.target_lat_rad,
                                 s.target_lon_rad)
        b_li = initial_bearing_rad(s.launch_lat_rad, s.launch_lon_rad, lat, lon)
        b_lt = initial_bearing_rad(s.launch_lat_rad, s.launch_lon_rad, s.target_lat_rad,
                                   s.target_lon_rad)
        r = ell.a_m
        out[j, 0] = (d_li - d_lt) * r
        out[j, 1] = np.arcsin(np.sin(d_li) * np.sin(b_li - b_lt)) * r
    return out


def _aim_ballistic(specs: list[ThreatSpec], earth: EarthModel, gam: NDArray, spd: NDArray,
                   az: NDArray, dt_s: float, iters: int = 8, tol_m: float = 1.0) -> None:
    """Newton-correct (γ or v, azimuth) in place so that aimed ballistic threats hit."""
    idx = [j for j, s in enumerate(specs) if s.kind == "ballistic" and s.aim != "fixed"]
    if not idx:
        return
    sub = [specs[j] for j in idx]
    # First control: speed for minimum energy, flight-path angle otherwise.
    use_speed = np.array([s.aim == "minimum_energy" for s in sub])
    last = np.full((len(sub), 2), np.inf)
    for _ in range(iters):
        g0, v0, a0 = gam[idx], spd[idx], az[idx]
        du1 = np.where(use_speed, 0.5, 1e-4)  # m/s or rad
        da = 1e-5
        gg = np.concatenate([g0, g0 + np.where(use_speed, 0.0, du1), g0])
        vv = np.concatenate([v0, v0 + np.where(use_speed, du1, 0.0), v0])
        aa = np.concatenate([a0, a0, a0 + da])
        specs3 = sub * 3
        batch = _batch_for(specs3, earth, gg, vv, aa)
        trajs = fly(batch, earth, dt_s=dt_s, max_time_s=20_000.0, record_every=10_000)
        miss = _miss(specs3, trajs, earth)
        m = len(sub)
        e0, e1, e2 = miss[:m], miss[m:2 * m], miss[2 * m:]
        if np.all(np.hypot(e0[:, 0], e0[:, 1]) < tol_m):
            return
        last = e0
        jac = np.stack([(e1 - e0) / du1[:, None], (e2 - e0) / da], axis=-1)  # (m, 2, 2)
        step = np.linalg.solve(jac, -e0[..., None])[..., 0]
        u1 = np.where(use_speed, v0, g0) + np.clip(step[:, 0], -np.where(use_speed, 500, 0.2),
                                                   np.where(use_speed, 500, 0.2))
        gam[idx] = np.where(use_speed, g0, u1)
        spd[idx] = np.where(use_speed, u1, v0)
        az[idx] = a0 + np.clip(step[:, 1], -0.1, 0.1)
    miss = np.hypot(last[:, 0], last[:, 1])
    bad = np.flatnonzero(miss > max(1000.0, tol_m))
    if bad.size:
        s = sub[bad[0]]
        raise OutOfReachError(
            f"threats[{s.threat_id}].burnout: could not aim at the target (best miss "
            f"{miss[bad[0]] / 1000:.1f} km after {iters} corrections); a burnout at "
            f"altitude_m = {s.burnout_alt_m:.0f} in the dense atmosphere loses most of its "
            f"speed to drag: give the burnout altitude of a real booster (30-80 km)")


def fly_threats(
    specs: Sequence[ThreatSpec],
    earth: EarthModel,
    dt_s: float = 0.5,
    max_time_s: float = 7200.0,
    record_every: int = 2,
    gains: GuidanceGains | None = None,
    progress: Callable[[float], None] | None = None,
) -> TrajectorySet:
    """Aim and fly every threat; returns their trajectories in spec order.

    Fractional-orbital threats are flown by :func:`hdsim.threats.orbital.fly_fractional_orbital`.

    Raises:
        OutOfReachError: a ballistic threat whose aim mode cannot reach the target, a guided
            glider far beyond its equilibrium-glide range, or a guided glider or cruise missile
            whose flight hit the ground more than ``GUIDED_MISS_LIMIT_M`` from its target; for
            fractional-orbital threats its subclass ``OrbitPlanError``.
        BoostDipError: a boost (``burn_time_s > 0``) whose path would pass below the launch
            point (burnout altitude too low for its climb rate).
    """
    specs = list(specs)
    if not specs:
        return TrajectorySet([])
    orbital = [j for j, s in enumerate(specs) if s.kind == "fractional_orbital"]
    if orbital:
        # Fractional-orbital threats are planned, aimed and flown by their own module, the
        # others as before; trajectories come back in spec order.
        from hdsim.threats.orbital import fly_fractional_orbital  # imports this module

        others = [j for j in range(len(specs)) if j not in set(orbital)]
        flown = dict(zip(orbital, fly_fractional_orbital(
            [specs[j] for j in orbital], earth, dt_s=dt_s, max_time_s=max_time_s,
            record_every=record_every, gains=gains, progress=progress), strict=True))
        if others:
            rest = fly_threats([specs[j] for j in others], earth, dt_s=dt_s,
                               max_time_s=max_time_s, record_every=record_every, gains=gains,
                               progress=progress)
            flown.update(zip(others, rest, strict=True))
        return TrajectorySet([flown[j] for j in range(len(specs))])
    check_reach(specs)
    gam, spd, az = _initial_controls(specs, earth)
    _aim_ballistic(specs, earth, gam, spd, az, dt_s=max(dt_s, 1.0))
    batch = _batch_for(specs, earth, gam, spd, az)
    trajs = fly(batch, earth, dt_s=dt_s, max_time_s=max_time_s, record_every=record_every,
                gains=gains, progress=progress)
    _check_guided_impacts(specs, trajs, batch.target_ecef)
    trajs = [prepend_boost(tr, s.launch_lat_rad, s.launch_lon_rad, s.launch_alt_m,
                           s.burn_time_s, earth.ellipsoid) if s.kind != "cruise" else tr
             for s, tr in zip(specs, trajs, strict=True)]
    return TrajectorySet(trajs)


GUIDED_MISS_LIMIT_M = 5_000.0
"""A guided glider or cruise missile that lands farther than this from its target could not
reach it (guided impacts land within a metre of the target; tested)."""


def _check_guided_impacts(specs: Sequence[ThreatSpec], trajs, target_ecef: NDArray) -> None:
    """Raise :class:`OutOfReachError` for a guided threat that hit the ground short of its
    target.  The up-front :func:`check_reach` is a coarse estimate (the equilibrium-glide range
    ignores Earth rotation, which moves the real reach by −7 %…+13 % with the heading); the
    flown impact point is the final word."""
    for s, tr, tgt in zip(specs, trajs, target_ecef, strict=True):
        guided = s.kind == "cruise" or (s.kind == "boost_glide" and s.guidance == "to_target")
        if not (guided and tr.impacted):
            continue
        miss = float(np.linalg.norm(tr.states[-1, :3] - tgt))
        if miss > GUIDED_MISS_LIMIT_M:
            raise OutOfReachError(
                f"threats[{s.threat_id}].target: {s.range_m / 1000:.0f} km from launch is out "
                f"of reach: the guided flight hit the ground {miss / 1000:.0f} km from it "
                f"(burnout speed {s.burnout_speed_mps or 0.0:.0f} m/s, vehicle "
                f"{s.vehicle.name}, maneuvers included); raise burnout.speed_mps, drop "
                f"maneuvers or move the target")

