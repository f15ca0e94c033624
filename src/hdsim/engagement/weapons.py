"""Weapons, defended assets and fire-control settings: the engagement's configuration types.

* :class:`Weapon`: a battery (an interceptor launcher or a railgun mount) at a site, SI units
  and radians; the scenario builds one per ``weapons[]`` entry (:mod:`hdsim.scenario.build`).
* :class:`FireControlConfig` and :class:`DefendedAsset`: frozen pydantic dataclasses, the
  ``fire_control:`` section and the ``defended_assets[]`` entries of a scenario as they are
  (field names, defaults, bounds and descriptions are the YAML contract); an asset is given in
  degrees and read in radians (:attr:`DefendedAsset.lat_rad`, :attr:`DefendedAsset.lon_rad`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass as std_dataclass
from dataclasses import field
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, field_validator
from pydantic.dataclasses import dataclass

from hdsim.config_base import COMPONENT_CONFIG, Latitude, Longitude, normalize_lon
from hdsim.earth import EarthModel, geodetic_to_ecef
from hdsim.engagement.flyout_table import TableSpec
from hdsim.engagement.interceptor import InterceptorParams
from hdsim.engagement.kill import KillModel
from hdsim.engagement.railgun import RailgunParams

__all__ = ["DefendedAsset", "FireControlConfig", "Weapon", "ground_distance_m"]


@std_dataclass(frozen=True)
class Weapon:
    """A weapon battery: a launcher (interceptor) or a railgun mount at a site.

    Attributes:
        weapon_id: the scenario's id.
        params: :class:`InterceptorParams` or :class:`RailgunParams`.
        site_lat_rad, site_lon_rad, site_alt_m: geodetic site, rad, rad, m.
        magazine: rounds available.
        salvo_size: shots per engagement under the ``salvo`` doctrine.
        salvo_interval_s: time between the shots of a salvo, s (each shot gets its own PIP).
        reload_s: time between two engagements of this weapon, s.
        launch_delay_s: decision-to-launch delay (reaction time), s.
        launch_speed_mps: an interceptor's speed leaving the launcher, m/s.
        fire_control_sigma_m: track 1-σ position error above which the weapon does not fire,
            m (None: 1,000 m railgun, 3,000 m interceptor).
        min_intercept_alt_m, max_intercept_alt_m: intercept altitude window, m.
        max_range_m: largest ground range of an intercept, m.
        max_tof_s: largest time of flight, s (also bounded by the table's).
        kill: single-shot kill model (None: lethal radius of ``params``, ``pk_max`` 1).
        homing_miss_sigma_m: per-axis miss of a homing shot after seeker handover (Pk
            estimate only), m.
        handover_basket_m: track error a homing shot's seeker tolerates (Pk estimate only),
            m (None: a fifth of the seeker range).
        dispersion_sigma_m: per-axis aim dispersion of an unguided shot (Pk estimate only), m.
        table_spec: grid of the fly-out table.
        rail_life_rounds: rounds a railgun's rails last before they must be changed (None:
            not modelled).
        rail_change_s: time to change worn rails, s (the gun does not fire meanwhile).
        uplink_period_s: time between the fire-control messages a homing shot receives in
            flight, s (0: continuous).
        uplink_latency_s: age of the track in a message when it is sent, s (0: none).
        slew_rate_deg_s: how fast the mount re-lays between targets, °/s (None: at once).
        settle_s: settling time after a slew, s.
    """

    weapon_id: str
    params: InterceptorParams | RailgunParams
    site_lat_rad: float
    site_lon_rad: float
    site_alt_m: float = 0.0
    magazine: int = 8
    salvo_size: int = 2
    salvo_interval_s: float = 1.0
    reload_s: float = 5.0
    launch_delay_s: float = 2.0
    launch_speed_mps: float = 50.0
    fire_control_sigma_m: float | None = None
    min_intercept_alt_m: float = 1_000.0
    max_intercept_alt_m: float = np.inf
    max_range_m: float = np.inf
    max_tof_s: float = np.inf
    kill: KillModel | None = None
    homing_miss_sigma_m: float = 1.0
    handover_basket_m: float | None = None
    dispersion_sigma_m: float = 0.0
    table_spec: TableSpec = field(default_factory=TableSpec)
    rail_life_rounds: int | None = None
    rail_change_s: float = 0.0
    uplink_period_s: float = 0.0
    uplink_latency_s: float = 0.0
    slew_rate_deg_s: float | None = None
    settle_s: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.params, (InterceptorParams, RailgunParams)):
            raise ValueError(f"Weapon.params: {type(self.params).__name__} is not "
                             "InterceptorParams or RailgunParams")
        for name in ("magazine", "salvo_size"):
            value = getattr(self, name)
            if not (int(value) == value and value >= (0 if name == "magazine" else 1)):
                raise ValueError(f"Weapon.{name} = {value!r}: must be an integer >= "
                                 f"{0 if name == 'magazine' else 1}")
        if self.rail_life_rounds is not None and not (
                int(self.rail_life_rounds) == self.rail_life_rounds and self.rail_life_rounds >= 1):
            raise ValueError(f"Weapon.rail_life_rounds = {self.rail_life_rounds!r}: must be an "
                             "integer >= 1 or None")
        for name in ("salvo_interval_s", "reload_s", "launch_delay_s", "homing_miss_sigma_m",
                     "dispersion_sigma_m", "rail_change_s", "uplink_period_s",
                     "uplink_latency_s", "settle_s"):
            value = getattr(self, name)
            if not value >= 0.0:
                raise ValueError(f"Weapon.{name} = {value!r}: must be >= 0")
        for name in ("launch_speed_mps", "max_range_m", "max_tof_s"):
            value = getattr(self, name)
            if not value > 0.0:
                raise ValueError(f"Weapon.{name} = {value!r}: must be > 0")
        if self.slew_rate_deg_s is not None and not self.slew_rate_deg_s > 0.0:
            raise ValueError(f"Weapon.slew_rate_deg_s = {self.slew_rate_deg_s!r}: must be > 0 "
                             "or None")
        if self.fire_control_sigma_m is not None and not self.fire_control_sigma_m > 0.0:
            raise ValueError(f"Weapon.fire_control_sigma_m = {self.fire_control_sigma_m!r}: "
                             "must be > 0 or None")
        if not self.min_intercept_alt_m <= self.max_intercept_alt_m:
            raise ValueError(f"Weapon.min_intercept_alt_m = {self.min_intercept_alt_m!r} > "
                             f"max_intercept_alt_m = {self.max_intercept_alt_m!r}")

    @property
    def kind(self) -> str:
        """``"interceptor"`` or ``"railgun"``."""
        return "interceptor" if isinstance(self.params, InterceptorParams) else "railgun"

    @property
    def homing(self) -> bool:
        """Whether the shots home (interceptor, guided railgun)."""
        return self.kind == "interceptor" or bool(self.params.guided)

    @property
    def sigma_threshold_m(self) -> float:
        """Track 1-σ position error above which the weapon does not fire, m."""
        if self.fire_control_sigma_m is not None:
            return float(self.fire_control_sigma_m)
        return 1_000.0 if self.kind == "railgun" else 3_000.0

    @property
    def kill_model(self) -> KillModel:
        """The single-shot kill model of the weapon's shots."""
        return self.kill or KillModel("lethal_radius", lethal_radius_m=self.params.lethal_radius_m)

    @property
    def basket_m(self) -> float:
        """Seeker handover basket, m."""
        if self.handover_basket_m is not None:
            return float(self.handover_basket_m)
        return float(self.params.seeker_range_m) / 5.0

    def site_ecef(self, earth: EarthModel) -> NDArray:
        """ECEF position of the site, m."""
        return geodetic_to_ecef(self.site_lat_rad, self.site_lon_rad, self.site_alt_m,
                                earth.ellipsoid)


@dataclass(frozen=True, config=COMPONENT_CONFIG)
class FireControlConfig:
    """How weapons are assigned and fired (from tracks only, never from truth).

    The first eight fields are the scenario's ``fire_control:`` section; the others are
    settings of the engagement loop (defaults documented, rarely changed).
    """

    doctrine: Literal["salvo", "shoot_look_shoot", "required_pk"] = Field(
        "shoot_look_shoot",
        description="'salvo': fire salvo_size shots at once; 'shoot_look_shoot': fire, assess "
        "the kill, fire again; 'required_pk': fire the fewest shots (up to salvo_size) whose "
        "cumulative Pk reaches required_pk. Default shoot_look_shoot.",
    )
    required_pk: float = Field(
        0.9, gt=0.0, lt=1.0, description="Cumulative kill probability a 'required_pk' salvo "
        "aims for. Default 0.9.")
    cadence_s: float = Field(2.0, gt=0.0, description="Time between decisions, s. Default 2.")
    motion_model: Literal["ncv", "ballistic"] = Field(
        "ballistic", description="Track prediction for the intercept point. Default ballistic.")
    assess_delay_s: float = Field(2.0, ge=0.0, description="Kill assessment delay, s.")
    min_pk: float = Field(0.05, ge=0.0, lt=1.0, description="Lowest expected Pk worth a shot.")
    asset_weight: float = Field(10.0, ge=1.0, description="Priority factor of a threat "
                                                          "predicted to hit a defended asset.")
    target_maneuver_mps2: float = Field(
        20.0, ge=0.0, description="Unknown target lateral acceleration assumed when judging a "
                                  "predicted intercept point, m/s². Default 20 (2 g).")
    # -------------------------------------------------------------- engagement-loop settings
    pip_step_s: float = Field(
        1.0, gt=0.0, description="Time grid step of the predicted-intercept-point search, s.")
    pip_iterations: int = Field(
        12, ge=0, description="Illinois refinement iterations of the intercept-time root.")
    max_track_age_s: float = Field(
        10.0, ge=0.0, description="A track whose latest row is older is not engaged, s.")
    tti_ref_s: float = Field(
        60.0, gt=0.0, description="Time scale of the urgency factor of the threat priority, s.")
    impact_horizon_s: float = Field(
        900.0, gt=0.0, description="Prediction horizon of a track's impact point, s.")
    impact_step_s: float = Field(
        5.0, gt=0.0, description="Prediction step of a track's impact point, s.")
    flyout_dt_s: float = Field(
        0.05, gt=0.0, description="Integration step of the shots' fly-outs, s.")
    flush_margin_s: float = Field(
        10.0, ge=0.0, description="Pending shots are flown (and kills resolved) once a decision "
        "comes within this margin of their predicted intercept plus the assessment delay, s.")
    t_start_s: float | None = Field(
        None, description="First decision time, s. Default: the first track row's time.")
    t_end_s: float | None = Field(
        None, description="Last decision time, s. Default: the last track row's time.")


@dataclass(frozen=True, config=COMPONENT_CONFIG)
class DefendedAsset:
    """A place to protect: a threat impacting within ``radius_m`` of it is a leak."""

    id: str = Field(min_length=1, description="Asset id (required), unique.")
    lat_deg: Latitude = Field(description="Geodetic latitude, degrees (required), in [-90, 90].")
    lon_deg: Longitude = Field(
        description="Longitude, degrees east (required); accepted in [-180, 360), stored in "
        "(-180, 180]."
    )
    radius_m: float = Field(0.0, ge=0.0, description="Radius of the asset, m, ≥ 0. Default 0.")

    @field_validator("lon_deg")
    @classmethod
    def _wrap_lon(cls, v: float) -> float:
        return normalize_lon(v)

    @property
    def lat_rad(self) -> float:
        """Geodetic latitude, rad."""
        return math.radians(self.lat_deg)

    @property
    def lon_rad(self) -> float:
        """Longitude, rad, in (−π, π]."""
        return math.radians(self.lon_deg)


def ground_distance_m(pos: NDArray, assets: Sequence[DefendedAsset], earth: EarthModel
                      ) -> NDArray:
    """Ground distance ``a θ`` between points ``(n, 3)`` ECEF and assets, ``(n, A)``, m.

    ``θ`` is the angle between the geocentric directions of the point and of the asset (on the
    ellipsoid at altitude 0), ``a`` the equatorial radius: the ground-range metric of the
    fly-out tables.  NaN for NaN points.
    """
    ell = earth.ellipsoid
    ap = geodetic_to_ecef(np.array([a.lat_rad for a in assets]),
                          np.array([a.lon_rad for a in assets]), 0.0, ell)
    with np.errstate(invalid="ignore"):
        u = pos / np.linalg.norm(pos, axis=-1, keepdims=True)
        v = ap / np.linalg.norm(ap, axis=-1, keepdims=True)
        cross = np.linalg.norm(np.cross(u[:, None], v[None]), axis=-1)
        return ell.a_m * np.arctan2(cross, u @ v.T)
