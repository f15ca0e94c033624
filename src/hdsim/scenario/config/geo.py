"""Geography of the scenario: sites on or above the Earth (degrees at the edge).

:class:`~hdsim.config_base.GeoPoint` is the plain point; radar and weapon sites add a floor on
the altitude. Helpers shared by the section modules live here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from hdsim.config_base import GeoPoint

__all__ = ["GeoPoint", "GroundSite", "RadarSite", "deep_merge"]


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` updated by ``override``; nested mappings are merged, not replaced (presets)."""
    out: dict[str, Any] = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _site_altitude(alt_m: float) -> float:
    if alt_m < -500.0:
        raise ValueError("a radar site must be at or above the sea surface (≥ -500 m)")
    return alt_m


def _ground_altitude(alt_m: float) -> float:
    if alt_m < -500.0:
        raise ValueError("a site must be at or above the sea surface (≥ -500 m)")
    return alt_m


class RadarSite(GeoPoint):
    """Where a radar stands: a :class:`GeoPoint` at or above the sea surface (≥ -500 m)."""

    alt_m: Annotated[float, AfterValidator(_site_altitude)] = Field(
        0.0, description="Height of the antenna above the ellipsoid, m, ≥ -500. Default 0."
    )


class GroundSite(GeoPoint):
    """A weapon site: a :class:`GeoPoint` at or above the sea surface (≥ -500 m)."""

    alt_m: Annotated[float, AfterValidator(_ground_altitude)] = Field(
        0.0, description="Height above the ellipsoid, m, ≥ -500. Default 0."
    )

