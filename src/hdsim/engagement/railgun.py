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

__all__ = ["RAILGUN_PRESETS", "RailgunParams", "fly_projectiles", "muzzle_energy_j",
           "railgun_launch_state", "railgun_notional"]


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
        divert_cl_max: largest normal-force coefficient a guided projectile trims to (on
            ``π d²/4``); its divert is also limited to ``q A CL_max / m`` (dynamic pressure
            ``q``): a fin-steered round turns hard low down and barely at all in thin air.
            None: no aerodynamic limit (``max_divert_g`` alone, e.g. divert thrusters).
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
    divert_cl_max: float | None = None

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
        if self.divert_cl_max is not None and not self.divert_cl_max > 0.0:
            raise ValueError(f"RailgunParams.divert_cl_max = {self.divert_cl_max!r}: must be "
                             "> 0 or None")
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


def muzzle_energy_j(mass_kg: float, muzzle_speed_mps: float) -> float:
    """Kinetic energy of the launch package at the muzzle, ``m v² / 2``, J."""
    return 0.5 * mass_kg * muzzle_speed_mps**2


RAILGUN_PRESETS: dict[str, dict[str, float | int | bool | str]] = {
    # Japan, Acquisition, Technology & Logistics Agency (ATLA) medium-calibre test railgun:
    # a 40 mm, 320 g steel projectile at 2,230 m/s (Mach 6.5; ATLA's 2023 sea-trial figures,
    # 2,297 m/s quoted for later shots), rails lasting about 120 rounds (ATLA figures as
    # reported by the trade press, 2023-2024; muzzle energy 0.8 MJ).  The test projectile is
    # unguided; drag coefficient, rate of fire, rail-change time, slew rate (30 °/s, a naval
    # gun mount's order) and settling time are notional.
    "atla_40mm": {
        "source": "ATLA 40 mm test railgun: 320 g at 2,230 m/s, rail life ~120 rounds "
                  "(published); CD, rate of fire, rail change notional",
        "muzzle_speed_mps": 2230.0, "projectile_mass_kg": 0.32, "diameter_m": 0.04,
        "cd": 0.3, "guided": False, "rail_life_rounds": 120, "rounds_per_minute": 6.0,
        "rail_change_s": 1800.0, "slew_rate_deg_s": 30.0, "settle_s": 1.0,
    },
    # US Navy / ONR electromagnetic railgun (EMRG, programme ended 2021): 10.64 MJ muzzle
    # energy with a 3.35 kg projectile at 2,520 m/s (the Navy's 2008 record shot:
    # 0.5 * 3.35 * 2520^2 = 10.64 MJ), a goal of 10 rounds a minute and of rails lasting
    # about 1,000 rounds (Navy/ONR programme statements, Congressional Research Service report
    # R44175).  The guided projectile's shape, CD, divert and seeker are notional: the
    # diameter is that of a solid steel body (7,850 kg/m³) of the published mass, 6 diameters
    # long (3.35 kg → 4.5 cm).
    "us_navy_emrg": {
        "source": "US Navy EMRG: 10.64 MJ, 3.35 kg at 2,520 m/s, goal 10 rounds/min and "
                  "~1,000-round rails (published); guided projectile notional",
        "muzzle_speed_mps": 2520.0, "projectile_mass_kg": 3.35, "diameter_m": 0.045,
        "cd": 0.25, "guided": True, "rail_life_rounds": 1000, "rounds_per_minute": 10.0,
        "rail_change_s": 3600.0, "slew_rate_deg_s": 30.0, "settle_s": 1.0,
    },
}
"""Railgun batteries selectable with ``preset:`` in a scenario (the scenario's field names;
``source`` says what is published and what is notional)."""


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
        lethal_radius_m=arr("lethal_radius_m"), guided=guided, apn=np.zeros(n, bool),
        lift_cl_max=np.array([np.inf if p.divert_cl_max is None else p.divert_cl_max
                              for p in plist], float))
    return fly_shots(state0, t0_s, veh, target_state, earth, uplink_state=uplink_state,
                     dt_s=dt_s, gravity=gravity, ground_alt_m=ground_alt_m,
                     record_every=record_every)
