"""Electromagnetic railgun: an unpowered projectile fired at the muzzle speed, unguided or with
a divert (guided) capability, flown by the shots' integrator
(:func:`hdsim.engagement.flyout.fly_shots`).

The projectile is a point mass with constant drag coefficient and reference area
``π d²/4``, no thrust, over the rotating oblate Earth (gravity J2, Coriolis, centrifugal, 1976
atmosphere); its speed decays in the atmosphere.  A guided projectile steers with true PN
(perpendicular to its velocity, limited to ``max_divert_g``, lagged by ``guidance_tau_s``) on
the uplinked target state, then on the truth within ``seeker_range_m`` — the same machinery as
the interceptor (:mod:`hdsim.engagement.flyout`).

The launcher fires from a site along (azimuth, elevation) in the local ENU frame of the site;
the muzzle velocity is Earth-relative.  Elevations outside the mount's limits are refused with
a ``ValueError`` naming the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.earth import G0_MPS2, EarthModel, enu_vector_to_ecef, geodetic_to_ecef
from hdsim.engagement.flyout import FlyoutResult, ShotVehicles, TargetFn, fly_shots

__all__ = ["RailgunParams", "railgun_notional", "railgun_launch_state", "fly_projectiles"]


@dataclass(frozen=True)
class RailgunParams:
    """A railgun and its projectile.

    Attributes:
        muzzle_speed_mps: muzzle speed (Earth-relative), m/s.
        mass_kg: projectile mass (in flight, without sabot), kg.
        diameter_m: projectile diameter (drag reference area ``π d²/4``), m.
        cd: drag coefficient (constant).
        guided: whether the projectile steers (PN with a divert limit).
        max_divert_g: lateral acceleration limit of a guided projectile, in g.
        nav_ratio: effective navigation ratio N' of a guided projectile.
        guidance_tau_s: guidance time constant, s (0: no lag).
        seeker_range_m: range below which guidance uses the truth (seeker), m.
        min_elevation_rad: lowest launch elevation of the mount, rad.
        max_elevation_rad: highest launch elevation of the mount, rad.
        max_flight_time_s: flight time limit, s.
        lethal_radius_m: miss distance within which the projectile kills, m.
    """

    muzzle_speed_mps: float = 2300.0
    mass_kg: float = 15.0
    diameter_m: float = 0.1
    cd: float = 0.25
    guided: bool = False
    max_divert_g: float = 20.0
    nav_ratio: float = 3.0
    guidance_tau_s: float = 0.1
    seeker_range_m: float = 10_000.0
    min_elevation_rad: float = float(np.radians(5.0))
    max_elevation_rad: float = float(np.radians(80.0))
    max_flight_time_s: float = 300.0
    lethal_radius_m: float = 1.0

    def __post_init__(self) -> None:
        for name in ("muzzle_speed_mps", "mass_kg", "diameter_m", "max_flight_time_s"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0.0):
                raise ValueError(f"RailgunParams.{name} = {value!r}: must be > 0")
        for name in ("cd", "max_divert_g", "nav_ratio", "guidance_tau_s", "seeker_range_m",
                     "lethal_radius_m"):
            value = getattr(self, name)
            if not value >= 0.0:
                raise ValueError(f"RailgunParams.{name} = {value!r}: must be >= 0")
        lo, hi = self.min_elevation_rad, self.max_elevation_rad
        if not -np.pi / 2 <= lo <= hi <= np.pi / 2:
            raise ValueError(
                f"RailgunParams.min_elevation_rad = {lo!r}, max_elevation_rad = {hi!r}: need "
                "-pi/2 <= min_elevation_rad <= max_elevation_rad <= pi/2")

    @property
    def area_m2(self) -> float:
        """Drag reference area ``π d²/4``, m²."""
        return float(np.pi * self.diameter_m**2 / 4.0)


def railgun_notional(guided: bool = False) -> RailgunParams:
    """A notional naval railgun (not any real system's data).

    Public reporting puts railgun muzzle speeds at about 2.2–2.5 km/s: the Japanese Ministry of
    Defense / ATLA medium-calibre railgun, a 320 g projectile at 2,230 m/s (Mach 6.5) from about
    5 MJ stored energy, first fired at sea in October 2023 (ATLA announcements as reported by
    the trade press, e.g. defence-blog.com, May 2024); the US Navy / Office of Naval Research
    electromagnetic railgun (20–32 MJ muzzle-energy class, projectiles "up to 2.4 km/s" in a
    2014 Navy release; programme stopped in 2021).  A 32 MJ muzzle energy at 2.3 km/s is a
    ~12 kg launch package; the projectile here is taken as 15 kg, 0.1 m diameter, CD 0.25 (a
    slender supersonic body) — notional values.  The guided variant has a notional 20 g divert
    limit, N' = 3 and a 0.1 s guidance lag.
    """
    return RailgunParams(muzzle_speed_mps=2300.0, mass_kg=15.0, diameter_m=0.1, cd=0.25,
                         guided=guided, max_divert_g=20.0, nav_ratio=3.0, guidance_tau_s=0.1)


def railgun_launch_state(
    site_lat_rad: ArrayLike,
    site_lon_rad: ArrayLike,
    site_alt_m: ArrayLike,
    azimuth_rad: ArrayLike,
    elevation_rad: ArrayLike,
    params: RailgunParams,
    earth: EarthModel,
) -> NDArray:
    """ECEF launch states ``(n, 6)`` of projectiles fired from a site along (az, el).

    Azimuth clockwise from north, elevation above the local (geodetic) horizontal, radians;
    the muzzle velocity ``muzzle_speed_mps`` is Earth-relative.

    Raises:
        ValueError: an elevation outside ``[min_elevation_rad, max_elevation_rad]``.
    """
    lat, lon, alt, az, el = (np.atleast_1d(np.asarray(a, float)) for a in np.broadcast_arrays(
        site_lat_rad, site_lon_rad, site_alt_m, azimuth_rad, elevation_rad))
    bad = ~((el >= params.min_elevation_rad) & (el <= params.max_elevation_rad))
    if bad.any():
        raise ValueError(
            f"elevation_rad = {el[bad][0]!r}: outside the mount's limits [min_elevation_rad, "
            f"max_elevation_rad] = [{params.min_elevation_rad!r}, {params.max_elevation_rad!r}]")
    pos = geodetic_to_ecef(lat, lon, alt, earth.ellipsoid)
    d_enu = np.stack([np.sin(az) * np.cos(el), np.cos(az) * np.cos(el), np.sin(el)], axis=-1)
    vel = params.muzzle_speed_mps * enu_vector_to_ecef(d_enu, lat, lon)
    return np.concatenate([pos, vel], axis=-1)


def fly_projectiles(
    state0_ecef: ArrayLike,
    t0_s: ArrayLike,
    params: RailgunParams | Sequence[RailgunParams],
    earth: EarthModel,
    target_state: TargetFn | None = None,
    *,
    uplink_state: TargetFn | None = None,
    dt_s: float = 0.01,
    gravity: bool = True,
    ground_alt_m: float = 0.0,
    record_every: int = 10,
) -> FlyoutResult:
    """Fly ``n`` railgun projectiles (unguided, or guided on ``target_state``).

    Args:
        state0_ecef: ``(n, 6)`` launch states (e.g. from :func:`railgun_launch_state`).
        t0_s: launch times, s.
        params: one :class:`RailgunParams` for all, or one per projectile.
        earth: Earth model.
        target_state: the truth of each projectile's target (:data:`flyout.TargetFn`);
            without one, projectiles fly to the ground or the time limit (miss NaN).
        uplink_state: target state a guided projectile steers on before seeker range.
        dt_s, gravity, ground_alt_m, record_every: as for
            :func:`hdsim.engagement.interceptor.fly_interceptors`.

    Returns:
        :class:`~hdsim.engagement.flyout.FlyoutResult`.
    """
    state0 = np.atleast_2d(np.asarray(state0_ecef, dtype=float))
    n = len(state0)
    plist = [params] * n if isinstance(params, RailgunParams) else list(params)
    if len(plist) != n:
        raise ValueError(f"params: {len(plist)} given for {n} projectiles; give one or one each")
    guided = np.array([p.guided for p in plist], bool)
    if guided.any() and target_state is None:
        raise ValueError("target_state: a guided projectile (guided=True) needs a target")

    def arr(name: str) -> NDArray:
        return np.array([getattr(p, name) for p in plist], dtype=float)

    veh = ShotVehicles(
        mass_kg=arr("mass_kg"), area_m2=arr("area_m2"), cd=arr("cd"), thrust_mps2=np.zeros(n),
        burn_time_s=np.zeros(n), max_lat_mps2=arr("max_divert_g") * G0_MPS2,
        nav_ratio=arr("nav_ratio"), tau_s=np.where(guided, arr("guidance_tau_s"), 0.0),
        seeker_range_m=arr("seeker_range_m"), max_time_s=arr("max_flight_time_s"),
        lethal_radius_m=arr("lethal_radius_m"), guided=guided, apn=np.zeros(n, bool))
    return fly_shots(state0, t0_s, veh, target_state, earth, uplink_state=uplink_state,
                     dt_s=dt_s, gravity=gravity, ground_alt_m=ground_alt_m,
                     record_every=record_every)
