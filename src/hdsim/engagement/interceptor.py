"""Guided interceptor missiles: parameters, launch states, fly-outs.

An interceptor is flown by the shots' integrator (:func:`hdsim.engagement.flyout.fly_shots`:
3-DOF point mass over the rotating Earth, RK4, closest approach between steps; the equations
are in :mod:`hdsim.engagement.flyout`), with

* thrust: a constant thrust acceleration ``T`` along the velocity during ``burn_time_s``.  By
  default ``T = (burnout_speed − launch speed) / burn_time`` — the *ideal* (no gravity, no drag
  loss) acceleration to the burnout speed, so the real burnout speed is somewhat lower, as for
  a real motor; ``thrust_accel_mps2`` sets it directly;
* guidance: true PN (or augmented PN) limited to ``max_lateral_g`` and lagged by
  ``guidance_tau_s``, active from launch (boost included), on the uplinked target state, then
  on the truth within ``seeker_range_m`` (latched; an ideal seeker: no noise, no blind range).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.earth import G0_MPS2, EarthModel
from hdsim.engagement.flyout import FlyoutResult, ShotVehicles, TargetFn, fly_shots

__all__ = [
    "InterceptorParams",
    "fly_interceptors",
    "interceptor_vehicles",
    "launch_state",
]


@dataclass(frozen=True)
class InterceptorParams:
    """A guided interceptor missile (notional defaults, not any real system).

    Attributes:
        burnout_speed_mps: speed at the end of the boost (ideal, see module doc), m/s.
        burn_time_s: boost duration, s (0: no thrust; the launch state carries the speed).
        mass_kg: (burnout) mass, kg, constant.
        area_m2: drag reference area, m².
        cd: drag coefficient (constant).
        max_lateral_g: lateral acceleration limit, in g (9.80665 m/s²).
        nav_ratio: effective navigation ratio N'.
        guidance_tau_s: guidance/flight-control time constant τ, s (0: no lag).
        seeker_range_m: range to the target below which guidance uses the truth (seeker), m.
        max_flight_time_s: flight time limit, s.
        lethal_radius_m: miss distance within which the warhead kills (see :mod:`kill`), m.
        guidance_law: ``"pn"`` (true PN) or ``"apn"`` (augmented PN).
        thrust_accel_mps2: thrust acceleration, m/s² (None: from the burnout speed).
    """

    burnout_speed_mps: float = 3000.0
    burn_time_s: float = 10.0
    mass_kg: float = 300.0
    area_m2: float = 0.07
    cd: float = 0.3
    max_lateral_g: float = 30.0
    nav_ratio: float = 4.0
    guidance_tau_s: float = 0.2
    seeker_range_m: float = 30_000.0
    max_flight_time_s: float = 120.0
    lethal_radius_m: float = 5.0
    guidance_law: Literal["pn", "apn"] = "pn"
    thrust_accel_mps2: float | None = None

    def __post_init__(self) -> None:
        positive = ("mass_kg", "max_flight_time_s")
        non_negative = ("burnout_speed_mps", "burn_time_s", "area_m2", "cd", "max_lateral_g",
                        "nav_ratio", "guidance_tau_s", "seeker_range_m", "lethal_radius_m")
        for name in positive:
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0.0):
                raise ValueError(f"InterceptorParams.{name} = {value!r}: must be > 0")
        for name in non_negative:
            value = getattr(self, name)
            if not value >= 0.0:
                raise ValueError(f"InterceptorParams.{name} = {value!r}: must be >= 0")
        if self.guidance_law not in ("pn", "apn"):
            raise ValueError(f"InterceptorParams.guidance_law = {self.guidance_law!r}: "
                             "allowed values are 'pn', 'apn'")
        if self.thrust_accel_mps2 is not None and not self.thrust_accel_mps2 >= 0.0:
            raise ValueError(f"InterceptorParams.thrust_accel_mps2 = {self.thrust_accel_mps2!r}:"
                             " must be >= 0 or None")



def interceptor_vehicles(params: InterceptorParams | Sequence[InterceptorParams],
                         state0: NDArray) -> ShotVehicles:
    """The integrator's per-shot arrays of interceptors launched from ``state0 (n, 6)`` (the
    ideal thrust acceleration depends on the launch speed)."""
    n = len(state0)
    plist = [params] * n if isinstance(params, InterceptorParams) else list(params)
    if len(plist) != n:
        raise ValueError(f"params: {len(plist)} given for {n} shots; give one or one per shot")

    def arr(name: str) -> NDArray:
        return np.array([getattr(p, name) for p in plist], dtype=float)

    v0 = np.linalg.norm(state0[:, 3:6], axis=-1)
    burn = arr("burn_time_s")
    ideal = np.where(burn > 0.0, np.maximum(arr("burnout_speed_mps") - v0, 0.0)
                     / np.where(burn > 0.0, burn, 1.0), 0.0)
    given = np.array([np.nan if p.thrust_accel_mps2 is None else p.thrust_accel_mps2
                      for p in plist])
    return ShotVehicles(
        mass_kg=arr("mass_kg"), area_m2=arr("area_m2"), cd=arr("cd"),
        thrust_mps2=np.where(np.isnan(given), ideal, given), burn_time_s=burn,
        max_lat_mps2=arr("max_lateral_g") * G0_MPS2, nav_ratio=arr("nav_ratio"),
        tau_s=arr("guidance_tau_s"), seeker_range_m=arr("seeker_range_m"),
        max_time_s=arr("max_flight_time_s"), lethal_radius_m=arr("lethal_radius_m"),
        guided=np.ones(n, bool), apn=np.array([p.guidance_law == "apn" for p in plist]),
    )



def launch_state(site_ecef: ArrayLike, aim_ecef: ArrayLike, speed_mps: ArrayLike) -> NDArray:
    """Launch state ``(n, 6)``: at the site, moving at ``speed_mps`` straight toward the aim point.

    The velocity is Earth-relative (ECEF).  Fire control chooses the aim point (e.g. a
    predicted intercept point, or straight up for a vertical launch: site + radial).
    """
    site = np.atleast_2d(np.asarray(site_ecef, float))
    aim = np.atleast_2d(np.asarray(aim_ecef, float))
    d = aim - site
    d = d / np.linalg.norm(d, axis=-1, keepdims=True)
    site, d = np.broadcast_arrays(site, d)
    speed = np.broadcast_to(np.asarray(speed_mps, float), (len(site),))
    return np.concatenate([site, speed[:, None] * d], axis=1)


def fly_interceptors(
    state0_ecef: ArrayLike,
    t0_s: ArrayLike,
    params: InterceptorParams | Sequence[InterceptorParams],
    target_state: TargetFn,
    earth: EarthModel,
    *,
    uplink_state: TargetFn | None = None,
    target_accel: Callable[[NDArray], NDArray] | None = None,
    dt_s: float = 0.01,
    gravity: bool = True,
    ground_alt_m: float = 0.0,
    record_every: int = 10,
) -> FlyoutResult:
    """Fly ``n`` guided interceptors against their targets until closest approach.

    Args:
        state0_ecef: ``(n, 6)`` ECEF launch states (position m, velocity m/s); the velocity
            must be non-zero (it sets the initial direction: see :func:`launch_state`).
        t0_s: ``(n,)`` or scalar absolute launch times, s.
        params: one :class:`InterceptorParams` for all shots, or one per shot.
        target_state: truth of each shot's target (:data:`TargetFn`); used for closest approach
            and by the seeker.
        earth: Earth model (shape, rotation, J2, atmosphere switches).
        uplink_state: target state the guidance uses before seeker lock (e.g. the track
            estimate); default the truth.
        target_accel: ``f(t_s (n,)) -> (n, 3)`` ECEF acceleration of the target, for APN
            (default: central difference of the guidance source's velocity, ±10 ms).
        dt_s: integration step, s.
        gravity: False switches gravity off (textbook guidance tests).
        ground_alt_m: altitude of the ground; crossing it downward ends the flight, m.
        record_every: keep every k-th integration node in the recorded trajectories.

    Returns:
        :class:`~hdsim.engagement.flyout.FlyoutResult`.  A shot ends at closest approach
        (range rate to the truth turns from closing to opening), at the ground, at its
        flight-time limit, or when its target disappears (NaN state).
    """
    state0 = np.atleast_2d(np.asarray(state0_ecef, dtype=float))
    veh = interceptor_vehicles(params, state0)
    return fly_shots(state0, t0_s, veh, target_state, earth, uplink_state=uplink_state,
                     target_accel=target_accel, dt_s=dt_s, gravity=gravity,
                     ground_alt_m=ground_alt_m, record_every=record_every)
