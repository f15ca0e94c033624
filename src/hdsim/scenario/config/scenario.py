"""The scenario: the Earth, threats, sensors, tracking, weapons and the clock, validated once.

Every model is frozen and forbids unknown fields (a typo in a field name is an error), every
field has a description with its unit, and every field that is not required has a documented
default. Degrees appear only here, at the edge; the components take radians and SI units.

Validation errors are turned into readable messages (field path, value, what is allowed, YAML
line) by :mod:`hdsim.scenario.loading`. Cross-field checks that concern a field other than the
one being validated raise :func:`hdsim.config_base.located_error`, which carries the sub-path of
the offending field so the message names it exactly (``threats[2].id = 'bm-1': duplicate id``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import Field, ValidationInfo, field_validator

from hdsim.config_base import ConfigModel, located_error
from hdsim.scenario.config.campaign import CampaignSection
from hdsim.scenario.config.earth import EarthConfig
from hdsim.scenario.config.geo import fmt_num, within
from hdsim.scenario.config.sensors import CoverageConfig, SensorsConfig
from hdsim.scenario.config.threats import ThreatConfig
from hdsim.scenario.config.tracking import TrackingSection
from hdsim.scenario.config.weapons import DefendedAsset, FireControlConfig, WeaponConfig

__all__ = ["DEFAULT_EPOCH", "MAX_DURATION_S", "MAX_STEPS", "Scenario"]

# ---------------------------------------------------------------------------------------------
# The scenario
# ---------------------------------------------------------------------------------------------

DEFAULT_EPOCH = datetime(2000, 1, 1, 12, 0, 0, tzinfo=UTC)
"""Default scenario epoch: J2000.0, 2000-01-01T12:00:00Z."""

MAX_DURATION_S = 7 * 86_400.0
"""Longest scenario, s (7 days). A threat flies for under an hour (an intercontinental ballistic
missile 30-40 min); a week leaves room for long raids, while the satellite tables (one row per
satellite every 10 s or step_s) and the integration (0.5 s steps) stay bounded."""

MAX_STEPS = 1.0e7
"""Most master clock steps, ``duration_s / step_s``: the truth table has a row per step and
threat in flight, so 1e7 steps are already ~1 GB per threat."""


def _unique_ids(items: tuple[Any, ...], field: str) -> None:
    seen: dict[str, int] = {}
    for i, item in enumerate(items):
        item_id = item.get("id") if isinstance(item, Mapping) else getattr(item, "id", None)
        if item_id is None:
            continue
        if item_id in seen:
            raise located_error(
                (i, "id"), item_id, f"duplicate id (already used by {field}[{seen[item_id]}])"
            )
        seen[item_id] = i


class Scenario(ConfigModel):
    """One scenario: the Earth, threats, sensors, weapons and the clock (docs/scenario.md)."""

    name: str = Field(min_length=1, description="Scenario name (required).")
    epoch: datetime = Field(
        DEFAULT_EPOCH,
        description="UTC time of t_s = 0, e.g. '2027-03-01T00:00:00Z'; a time without offset is "
        "taken as UTC. Default J2000.0 (2000-01-01T12:00:00Z).",
    )
    duration_s: Annotated[float, within(
        0.0, MAX_DURATION_S, "7 days; a threat flies for under an hour", low_open=True,
        unit=" s")] = Field(
        3600.0, gt=0.0, description="Simulation end, s after the epoch, in (0, 604,800] (7 "
                                    "days). Default 3,600."
    )
    seed: int = Field(0, ge=0, description="Seed from which all randomness derives. Default 0.")
    step_s: float = Field(
        1.0, gt=0.0, description="Master clock step, s (integrators may sub-step), > 0, at most "
                                 "duration_s, and duration_s / step_s at most 1e7. Default 1."
    )
    earth: EarthConfig = Field(default_factory=EarthConfig, description="The Earth model.")
    threats: tuple[ThreatConfig, ...] = Field(
        (), description="Threats, ids unique. Default none (allowed, e.g. for coverage)."
    )
    sensors: SensorsConfig = Field(default_factory=SensorsConfig, description="The sensors.")
    coverage: CoverageConfig = Field(
        default_factory=CoverageConfig, description="Settings of `hdsim coverage`."
    )
    tracking: TrackingSection = Field(
        default_factory=TrackingSection,
        description="Tracker settings (filter, motion models, gates, M/N, deletion) and the "
        "run's scoring settings; every field has a default.",
    )
    weapons: tuple[WeaponConfig, ...] = Field((), description="Weapons, ids unique. Default none.")
    fire_control: FireControlConfig = Field(
        default_factory=FireControlConfig, description="Fire-control doctrine."
    )
    defended_assets: tuple[DefendedAsset, ...] = Field(
        (), description="Assets to protect, ids unique. Default none."
    )
    campaign: CampaignSection | None = Field(
        None, description="Monte Carlo draws and sweeps of this scenario (`hdsim campaign`); "
        "`hdsim run` ignores it. Default none."
    )

    @field_validator("epoch")
    @classmethod
    def _epoch_utc(cls, epoch: datetime) -> datetime:
        if epoch.tzinfo is None:
            return epoch.replace(tzinfo=UTC)
        return epoch.astimezone(UTC)

    @field_validator("step_s")
    @classmethod
    def _step_within_duration(cls, step_s: float, info: ValidationInfo) -> float:
        duration_s = info.data.get("duration_s")
        if duration_s is not None and step_s > duration_s:
            raise ValueError(f"must not exceed duration_s = {duration_s:g}")
        if duration_s is not None and duration_s / step_s > MAX_STEPS:
            raise ValueError(
                f"duration_s / step_s = {fmt_num(duration_s / step_s, 3)} steps: at most "
                f"{fmt_num(MAX_STEPS)} (a truth row per step and threat); raise step_s to at "
                f"least {fmt_num(duration_s / MAX_STEPS, 3)} or shorten duration_s")
        return step_s

    @field_validator("threats", "weapons", "defended_assets")
    @classmethod
    def _ids_unique(cls, items: tuple[Any, ...], info: ValidationInfo) -> tuple[Any, ...]:
        _unique_ids(items, info.field_name)
        return items

    @field_validator("sensors")
    @classmethod
    def _tle_fresh(cls, sensors: SensorsConfig, info: ValidationInfo) -> SensorsConfig:
        """TLEs far from the scenario's span give kilometre errors or no position at all
        (satellites written as NaN): refused, naming the layer, unless the layer says not to."""
        epoch, duration_s = info.data.get("epoch"), info.data.get("duration_s")
        if epoch is None or duration_s is None:
            return sensors
        end = epoch + timedelta(seconds=float(duration_s))
        for i, layer in enumerate(sensors.space_layers):
            if layer.tle_file is None or layer.max_tle_age_days is None:
                continue
            from hdsim.space import read_tle  # only for TLE layers (read once more: cheap)

            epochs = read_tle(layer.tle_file).epochs_utc
            gap = max(max((epoch - e).total_seconds(), (e - end).total_seconds(), 0.0)
                      for e in epochs) / 86_400.0
            if gap > layer.max_tle_age_days:
                raise located_error(
                    ("space_layers", i, "tle_file"), layer.tle_file.name,
                    f"element sets up to {gap:,.0f} days from the scenario's span (epochs "
                    f"{min(epochs):%Y-%m-%d} to {max(epochs):%Y-%m-%d}, scenario "
                    f"{epoch:%Y-%m-%d}): at most max_tle_age_days = "
                    f"{layer.max_tle_age_days:g} (SGP4's errors grow by kilometres a day and old "
                    "sets stop propagating); use fresh elements, move epoch, or set "
                    "max_tle_age_days: null")
        return sensors

    @field_validator("threats")
    @classmethod
    def _launch_before_end(cls, threats: tuple[Any, ...], info: ValidationInfo) -> tuple[Any, ...]:
        duration_s = info.data.get("duration_s")
        for i, threat in enumerate(threats):
            t0 = (
                threat.get("launch_time_s")
                if isinstance(threat, Mapping)
                else getattr(threat, "launch_time_s", None)
            )
            if duration_s is not None and isinstance(t0, int | float) and t0 >= duration_s:
                raise located_error(
                    (i, "launch_time_s"),
                    t0,
                    f"must be before the end of the simulation (duration_s = {duration_s:g})",
                )
        return threats
