"""``earth:``: which Earth the scenario runs on."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from hdsim.config_base import ConfigModel

__all__ = ["EarthConfig"]


class EarthConfig(ConfigModel):
    """Which Earth the scenario runs on (``hdsim.earth.EarthModel``)."""

    shape: Literal["wgs84", "sphere"] = Field(
        "wgs84", description="'wgs84' (ellipsoid) or 'sphere' (radius 6,371,000 m). Default wgs84."
    )
    rotation: bool = Field(
        True, description="Earth rotates at 7.292115e-5 rad/s; false: non-rotating. Default true."
    )
    j2: bool = Field(
        True,
        description="Gravity includes J2; false: point mass, mu = 3.986004418e14 m^3/s^2. "
        "Default true.",
    )
    atmosphere: bool = Field(
        True, description="US Standard Atmosphere 1976; false: vacuum. Default true."
    )
