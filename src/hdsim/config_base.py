"""The base of every configuration model, at the bottom of the layering.

Components define their own configuration where it belongs (``hdsim.tracking.config``,
``hdsim.engagement.weapons``) and the scenario schema (``hdsim.scenario.config``) composes
them, so each configuration type exists once. Everything here depends on pydantic only.

- :class:`ConfigModel`: frozen pydantic model, unknown fields forbidden, no NaN or infinity.
- :data:`COMPONENT_CONFIG`: the same rules for pydantic dataclasses (components that are
  plain frozen dataclasses to their users, validated by pydantic when built).
- :func:`located_error`: an error about a field *below* the one being validated, so that the
  scenario loader names that field exactly (path, value, YAML line).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

__all__ = ["COMPONENT_CONFIG", "ConfigModel", "GeoPoint", "Latitude", "Longitude",
           "located_error", "normalize_lon"]

COMPONENT_CONFIG = ConfigDict(extra="forbid", allow_inf_nan=False)
"""Configuration of the pydantic dataclasses of components (use with ``frozen=True``)."""


def located_error(subloc: tuple[str | int, ...], value: Any, message: str) -> PydanticCustomError:
    """An error about a field *below* the one being validated.

    Raise it from a validator of a container (a list, a model) to blame one of its members:
    the loader appends ``subloc`` to the error's location and shows ``value``.

    Args:
        subloc: path below the validated field, e.g. ``(2, "id")`` for the id of the third item.
        value: the offending value, shown after ``=``.
        message: what is allowed, e.g. ``"duplicate id (already used by threats[0])"``.
    """
    return PydanticCustomError(
        "hdsim_located", "{message}", {"message": message, "subloc": tuple(subloc), "value": value}
    )


class ConfigModel(BaseModel):
    """Base of every scenario model: frozen, unknown fields forbidden, no NaN or infinity."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


def normalize_lon(lon_deg: float) -> float:
    """Longitude in degrees wrapped to (-180, 180]."""
    lon = float(lon_deg) % 360.0
    return lon - 360.0 if lon > 180.0 else lon


Latitude = Annotated[float, Field(ge=-90.0, le=90.0)]
Longitude = Annotated[float, Field(ge=-180.0, lt=360.0)]


class GeoPoint(ConfigModel):
    """A point on or above the Earth, geodetic coordinates on the scenario's ellipsoid."""

    lat_deg: Latitude = Field(description="Geodetic latitude, degrees, in [-90, 90].")
    lon_deg: Longitude = Field(
        description="Longitude, degrees east; accepted in [-180, 360), stored in (-180, 180]."
    )
    alt_m: float = Field(0.0, description="Height above the ellipsoid, m. Default 0.")

    @field_validator("lon_deg")
    @classmethod
    def _wrap_lon(cls, v: float) -> float:
        return normalize_lon(v)
