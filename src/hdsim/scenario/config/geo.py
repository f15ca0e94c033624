"""Geography of the scenario: sites on or above the Earth (degrees at the edge).

:class:`~hdsim.config_base.GeoPoint` is the plain point; radar and weapon sites, and the launch
and target points of threats, bound its altitude. Helpers shared by the section modules live
here too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from hdsim.config_base import GeoPoint

__all__ = ["MAX_GROUND_ALTITUDE_M", "MAX_LAUNCH_ALTITUDE_M", "MIN_ALTITUDE_M", "GeoPoint",
           "GroundSite", "LaunchPoint", "RadarSite", "TargetPoint", "deep_merge", "fmt_num",
           "within"]


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``override``; nested mappings are merged, not replaced (presets)."""
    out: dict[str, Any] = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def fmt_num(x: float, digits: int | None = None) -> str:
    """A number as a message shows it: ``11,000``, ``0.01``, ``1e7``, ``3.6e12``, ``1e-9``;
    rounded to ``digits`` significant digits when given."""
    x = float(x) if digits is None else float(f"{float(x):.{digits}g}")
    if x.is_integer() and abs(x) < 1e7:
        return f"{int(x):,}"
    return f"{x:g}".replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


def within(low: float, high: float, why: str, *, low_open: bool = False,
           high_open: bool = False, unit: str = "") -> AfterValidator:
    """A validator of a number in an interval, whose message says the interval and why.

    Args:
        low, high: the bounds (``high`` may be infinite).
        why: the reason for the bounds, shown after the interval.
        low_open, high_open: exclude that bound.
        unit: shown after the interval (e.g. ``" m/s"``).
    """
    if math.isinf(high):
        interval = f"{'greater than' if low_open else 'at least'} {fmt_num(low)}{unit}"
    else:
        interval = (f"in {'(' if low_open else '['}{fmt_num(low)}, {fmt_num(high)}"
                    f"{')' if high_open else ']'}{unit}")

    def check(v: float) -> float:
        ok = (v > low if low_open else v >= low) and (v < high if high_open else v <= high)
        if not ok:
            raise ValueError(f"must be {interval}: {why}")
        return v
    return AfterValidator(check)


MIN_ALTITUDE_M = -500.0
"""Lowest altitude of a point on the ground, m: the lowest dry land, the Dead Sea shore, is
about -430 m (heights are above the ellipsoid, which the geoid departs from by ±100 m)."""

MAX_GROUND_ALTITUDE_M = 9_000.0
"""Highest altitude of a point on the ground, m: Mount Everest is 8,849 m."""

MAX_LAUNCH_ALTITUDE_M = 20_000.0
"""Highest launch altitude, m: an air launch, from the ceiling of a carrier aircraft (~20 km)."""


def _altitude_range(what: str, high: float, why: str) -> Any:
    """An ``alt_m`` validator: at least :data:`MIN_ALTITUDE_M`, at most ``high``."""
    def check(alt_m: float) -> float:
        if alt_m < MIN_ALTITUDE_M:
            raise ValueError(f"{what} must be at or above the sea surface (≥ -500 m)")
        if alt_m > high:
            raise ValueError(f"{what} must be at most {high:,.0f} m ({why}); allowed "
                             f"[-500, {high:,.0f}]")
        return alt_m
    return AfterValidator(check)


_EVEREST = "Mount Everest is 8,849 m"
_site_altitude = _altitude_range("a radar site", MAX_GROUND_ALTITUDE_M, _EVEREST)
_ground_altitude = _altitude_range("a site", MAX_GROUND_ALTITUDE_M, _EVEREST)
_target_altitude = _altitude_range("a target on the ground", MAX_GROUND_ALTITUDE_M, _EVEREST)
_launch_altitude = _altitude_range("a launch point", MAX_LAUNCH_ALTITUDE_M,
                                   "an air launch, from a carrier aircraft's ceiling")


class RadarSite(GeoPoint):
    """Where a radar stands: a :class:`GeoPoint` on the ground (altitude in [-500, 9,000] m)."""

    alt_m: Annotated[float, _site_altitude] = Field(
        0.0, description="Height of the antenna above the ellipsoid, m, in [-500, 9,000]. "
                         "Default 0."
    )


class GroundSite(GeoPoint):
    """A weapon site: a :class:`GeoPoint` on the ground (altitude in [-500, 9,000] m)."""

    alt_m: Annotated[float, _ground_altitude] = Field(
        0.0, description="Height above the ellipsoid, m, in [-500, 9,000]. Default 0."
    )


class LaunchPoint(GeoPoint):
    """Where a threat is launched: on the ground or a ship, or in the air from a carrier
    aircraft (altitude in [-500, 20,000] m)."""

    alt_m: Annotated[float, _launch_altitude] = Field(
        0.0, description="Height above the ellipsoid, m, in [-500, 20,000]. Default 0."
    )


class TargetPoint(GeoPoint):
    """Where a threat is aimed: a point on the ground (altitude in [-500, 9,000] m); the
    trajectory ends when it comes down to this altitude."""

    alt_m: Annotated[float, _target_altitude] = Field(
        0.0, description="Height above the ellipsoid, m, in [-500, 9,000]. Default 0."
    )

