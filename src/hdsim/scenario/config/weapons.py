"""``weapons:``, ``fire_control:`` and ``defended_assets:``.

``fire_control:`` and ``defended_assets[]`` are the engagement's own types
(:class:`hdsim.engagement.weapons.FireControlConfig`,
:class:`hdsim.engagement.weapons.DefendedAsset`, frozen pydantic dataclasses): one
definition, validated where it is read, nothing copied field by field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from hdsim.config_base import ConfigModel, located_error
from hdsim.engagement.railgun import RAILGUN_PRESETS
from hdsim.engagement.weapons import DefendedAsset, FireControlConfig
from hdsim.scenario.config.geo import GroundSite, deep_merge

__all__ = ["DefendedAsset", "FireControlConfig", "InterceptorConfig", "RailgunConfig",
           "WeaponBase", "WeaponConfig"]

# ---------------------------------------------------------------------------------------------
# Weapons, fire control, defended assets
# ---------------------------------------------------------------------------------------------


class WeaponBase(ConfigModel):
    id: str = Field(min_length=1, description="Weapon id (required), unique.")
    site: GroundSite = Field(description="Launcher position (required).")
    magazine: int = Field(8, ge=1, description="Rounds available. Default 8.")
    salvo_size: int = Field(2, ge=1, le=16,
                            description="Shots per engagement under the salvo doctrine.")
    salvo_interval_s: float = Field(1.0, gt=0.0, description="Time between salvo shots, s.")
    reload_s: float = Field(5.0, ge=0.0,
                            description="Time between two engagements of the weapon, s.")
    launch_delay_s: float = Field(2.0, ge=0.0, description="Decision-to-launch delay, s.")
    fire_control_sigma_m: float | None = Field(
        None, gt=0.0, description="Largest track 1-sigma position error the weapon fires on, "
                                  "m. Default 1,000 (railgun), 3,000 (interceptor).")
    min_intercept_alt_m: float = Field(1000.0, ge=0.0, description="Lowest intercept, m.")
    max_intercept_alt_m: float | None = Field(None, gt=0.0, description="Highest intercept, m.")
    max_range_m: float | None = Field(None, gt=0.0, description="Largest intercept ground "
                                                               "range, m. Default: the table's.")
    lethal_radius_m: float | None = Field(None, gt=0.0, description="Lethal radius, m.")
    uplink_period_s: float = Field(
        0.0, ge=0.0, le=60.0, description="Time between the fire-control track messages a "
        "homing shot receives in flight (command guidance), s; between messages the shot "
        "propagates the last one. Default 0: continuous.")
    uplink_latency_s: float = Field(
        0.0, ge=0.0, le=30.0, description="Age of the track in a message when it is sent, s. "
        "Default 0.")
    slew_rate_deg_s: float | None = Field(
        None, gt=0.0, le=360.0, description="How fast the mount (or launcher) re-lays from "
        "its last aim to a new target, degrees/s; the first round at the new target waits for "
        "angle / rate + settle_s. Default none: at once.")
    settle_s: float = Field(
        0.0, ge=0.0, le=60.0, description="Settling time after a slew, s. Default 0.")
    pk_max: float = Field(
        1.0, gt=0.0, le=1.0, description="Probability that a round passing within the lethal "
        "radius kills (fuze, warhead and hit-point lethality), in (0, 1]. Default 1.")

    @model_validator(mode="after")
    def _altitudes_ordered(self) -> WeaponBase:
        if self.max_intercept_alt_m is not None and \
                not self.min_intercept_alt_m < self.max_intercept_alt_m:
            raise located_error(("min_intercept_alt_m",), self.min_intercept_alt_m,
                                f"must be below max_intercept_alt_m = "
                                f"{self.max_intercept_alt_m:g}")
        return self


class RailgunConfig(WeaponBase):
    """An electromagnetic railgun battery firing guided (or unguided) projectiles.

    Notional defaults (``hdsim.engagement.railgun.railgun_notional``): 2,300 m/s muzzle speed
    (open reports of the Japanese ATLA and US Navy programmes quote 2-2.5 km/s), 15 kg, 10 cm,
    CD 0.25, a guided projectile with a 20 g divert.
    """

    type: Literal["railgun"] = Field(description="'railgun'.")
    preset: Literal["atla_40mm", "us_navy_emrg"] | None = Field(
        None, description="Start from a published battery; fields given here override it. "
        "'atla_40mm': Japan's ATLA test gun, 320 g at 2,230 m/s, unguided, rails ~120 rounds; "
        "'us_navy_emrg': the US Navy railgun, 3.35 kg at 2,520 m/s (10.64 MJ), 10 rounds/min, "
        "guided projectile (notional). Default none.")
    muzzle_speed_mps: float = Field(
        2300.0, gt=0.0, le=8000.0,
        description="Muzzle speed, m/s. Default 2,300 (notional; open descriptions of railgun "
        "programmes quote Mach 6-7).",
    )
    projectile_mass_kg: float = Field(15.0, gt=0.0, description="Projectile mass, kg.")
    diameter_m: float = Field(0.1, gt=0.0, description="Projectile diameter, m.")
    cd: float = Field(0.25, gt=0.0, description="Projectile drag coefficient.")
    guided: bool = Field(True, description="Guided projectile (PN divert). Default true.")
    max_divert_g: float = Field(20.0, ge=0.0, description="Divert acceleration limit, g.")
    seeker_range_m: float = Field(10_000.0, gt=0.0, description="Seeker acquisition range, m.")
    divert_cl_max: float | None = Field(
        None, gt=0.0, le=3.0, description="Largest normal-force coefficient the guided "
        "projectile trims to (on its cross-section): its divert is then limited to "
        "q A CL_max / m as well as max_divert_g, so a fin-steered round turns hard low down and "
        "barely in thin air (slender-body theory gives CN = 2 alpha: about 0.5 at 15 degrees). "
        "Default null: no aerodynamic limit (max_divert_g alone, as with divert thrusters).")
    min_elevation_deg: float = Field(5.0, ge=0.0, lt=90.0, description="Lowest gun elevation.")
    max_elevation_deg: float = Field(80.0, gt=0.0, le=90.0, description="Highest elevation.")
    magazine: int = Field(40, ge=1, description="Rounds available. Default 40.")
    reload_s: float = Field(6.0, ge=0.0, description="Time between shots, s. Default 6.")
    rounds_per_minute: float | None = Field(
        None, gt=0.0, le=600.0, description="Rate of fire the pulsed power allows (recharge "
        "between rounds); sets the least time between any two rounds, 60 / rate s, for "
        "salvo_interval_s and reload_s. Default none (those two fields alone). The US Navy "
        "EMRG goal was 10 rounds a minute (open reports; notional).")
    rail_life_rounds: int | None = Field(
        None, ge=1, description="Rounds the rails last before they must be changed (open "
        "reports of the ATLA 40 mm test gun: about 120). Default none (not modelled).")
    rail_change_s: float = Field(
        1800.0, ge=0.0, description="Time to change worn rails, s; the battery does not fire "
        "meanwhile. Default 1,800 (notional).")

    @model_validator(mode="before")
    @classmethod
    def _apply_preset(cls, data: Any) -> Any:
        name = data.get("preset") if isinstance(data, Mapping) else None
        if isinstance(name, str) and name in RAILGUN_PRESETS:
            preset = {k: v for k, v in RAILGUN_PRESETS[name].items() if k != "source"}
            return deep_merge(preset, data)
        return data

    @model_validator(mode="after")
    def _elevations_ordered(self) -> RailgunConfig:
        if not self.min_elevation_deg < self.max_elevation_deg:
            raise located_error(("min_elevation_deg",), self.min_elevation_deg,
                                f"must be below max_elevation_deg = {self.max_elevation_deg:g}")
        return self


class InterceptorConfig(WeaponBase):
    """A guided interceptor missile battery (notional defaults of
    ``hdsim.engagement.interceptor.InterceptorParams``)."""

    type: Literal["interceptor"] = Field(description="'interceptor'.")
    burnout_speed_mps: float = Field(3000.0, gt=0.0, description="Burnout speed, m/s.")
    burn_time_s: float = Field(10.0, ge=0.0, description="Boost duration, s.")
    mass_kg: float = Field(300.0, gt=0.0, description="Mass after burnout, kg.")
    reference_area_m2: float = Field(0.07, gt=0.0, description="Reference area, m².")
    cd: float = Field(0.3, ge=0.0, description="Drag coefficient.")
    max_lateral_g: float = Field(30.0, gt=0.0, description="Lateral acceleration limit, g.")
    nav_ratio: float = Field(4.0, gt=2.0, le=8.0, description="Navigation ratio N.")
    guidance_tau_s: float = Field(0.2, ge=0.0, description="Guidance time constant, s.")
    guidance_law: Literal["pn", "apn"] = Field("pn", description="'pn' or 'apn'.")
    seeker_range_m: float = Field(30_000.0, gt=0.0, description="Seeker acquisition range, m.")
    max_flight_time_s: float = Field(120.0, gt=0.0, description="Longest flight, s.")


WeaponConfig = Annotated[RailgunConfig | InterceptorConfig, Field(discriminator="type")]
"""A weapon, told apart by ``type``: railgun | interceptor."""
