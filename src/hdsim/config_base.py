"""The base of every configuration model, at the bottom of the layering.

Components define their own configuration where it belongs (``hdsim.tracking.config``,
``hdsim.engagement.weapons``) and the scenario schema (``hdsim.scenario.config``) composes
them, so each configuration type exists once. Everything here depends on pydantic only.

- :class:`ConfigModel`: frozen pydantic model, unknown fields forbidden, no NaN or infinity.
- :data:`COMPONENT_CONFIG`: the same rules for pydantic dataclasses (components that are
  plain frozen dataclasses to their users, validated by pydantic when built).
- :func:`located_error`: an error about a field *below* the one being validated, so that the
  scenario loader names that field exactly (path, value, YAML line).
- :func:`refuse_inputs`: the input rules every :class:`ConfigModel` field obeys on top of
  pydantic's (lax) conversions, so that a value never silently becomes another one:

  * ``true``/``false`` is not a number: pydantic would read ``duration_s: true`` as 1 s and
    ``lat_deg: true`` as 1 degree; and the other way round, only ``true``/``false`` are
    booleans: pydantic would read ``rotation: 0`` or the text ``'off'`` as false, ``'yes'``
    as true;
  * a number is not a date and time: pydantic would read ``epoch: 12345`` as 12,345 s after
    1970-01-01 (a date and time is an ISO 8601 text such as ``'2027-03-01T00:00:00Z'``);
  * text (names, ids, file paths) holds no control characters (C0, DEL, C1, the Unicode line
    separators and bidirectional controls), so that a name or id printed on a terminal can
    never carry an escape sequence or a line break, nor reorder what is shown after it.

  A refused value is replaced by a :class:`RefusedInput`, which pydantic rejects at that very
  location, so every other field is still validated and reported. Fields of pydantic
  dataclasses (:data:`COMPONENT_CONFIG`) nested in a ``ConfigModel`` obey the same rules: the
  ``ConfigModel`` that holds the dataclass checks them (a dataclass built on its own from
  Python does not).
"""

from __future__ import annotations

import functools
import re
import types
import typing
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from pathlib import PurePath
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.dataclasses import is_pydantic_dataclass
from pydantic_core import PydanticCustomError

__all__ = ["COMPONENT_CONFIG", "CONTROL_CHARACTERS", "ConfigModel", "GeoPoint", "Latitude",
           "Longitude", "RefusedInput", "located_error", "normalize_lon", "refuse_inputs"]

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


# ---------------------------------------------------------------------------------------------
# Input rules on top of pydantic's conversions
# ---------------------------------------------------------------------------------------------

CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""Control characters, never allowed in text fields: C0 (tab and newline included), DEL, C1;
and the Unicode line and paragraph separators (a line break to some terminals) and bidirectional
embeddings, overrides and isolates (they reorder the text shown after them)."""

_DATES = (datetime, date)


class RefusedInput:
    """Stands in for an input value that an input rule refuses (see :func:`refuse_inputs`).

    pydantic rejects it as of the wrong type at the exact location of the value, so every other
    field is still validated and reported; the scenario loader shows ``value`` and ``message``
    instead of pydantic's type error.

    Attributes:
        value: the refused value, as given.
        message: what is allowed, e.g. ``"must be a number, not true or false"``.
    """

    __slots__ = ("message", "value")

    def __init__(self, value: Any, message: str) -> None:
        self.value = value
        self.message = message

    def __repr__(self) -> str:
        return f"{self.value!r} (refused: {self.message})"


def _members(tp: Any) -> tuple[Any, ...]:
    """The alternatives of a (possibly ``Annotated``, possibly nested) union, or ``(tp,)``."""
    try:
        return _members_cached(tp)
    except TypeError:  # an annotation that cannot be hashed
        return _members_of(tp)


def _members_of(tp: Any) -> tuple[Any, ...]:
    while typing.get_origin(tp) is Annotated:
        tp = typing.get_args(tp)[0]
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return tuple(m for arg in typing.get_args(tp) for m in _members(arg))
    return (tp,)


_members_cached = functools.lru_cache(maxsize=4096)(_members_of)


def _is_type(tp: Any, kinds: type | tuple[type, ...]) -> bool:
    return isinstance(tp, type) and issubclass(tp, kinds)


def _is_any(tp: Any) -> bool:
    return tp is Any or tp is object


def _accepts_bool(tp: Any) -> bool:
    if _is_any(tp) or tp is bool:
        return True
    return typing.get_origin(tp) is typing.Literal and any(
        isinstance(a, bool) for a in typing.get_args(tp))


def _is_number(tp: Any) -> bool:
    return _is_type(tp, (int, float)) and tp is not bool


def _fields_of(tp: Any) -> dict[str, Any] | None:
    """Field name -> ``FieldInfo`` of a class whose fields are checked from its holder: a
    pydantic dataclass, or a pydantic model that is not a :class:`ConfigModel` (those check
    their own fields); else None."""
    if is_pydantic_dataclass(tp):
        return dict(getattr(tp, "__pydantic_fields__", {}))
    if _is_type(tp, BaseModel) and not issubclass(tp, ConfigModel):
        return dict(tp.model_fields)
    return None


def _only_bool(members: tuple[Any, ...]) -> bool:
    """A field that takes true or false (or null) and nothing else."""
    return any(m is bool for m in members) and all(m is bool or m is type(None)
                                                   for m in members)


def _scalar_refusal(members: tuple[Any, ...], value: Any) -> str | None:
    """Why a scalar value is refused for a field of these alternatives, or None."""
    if not isinstance(value, bool) and _only_bool(members):
        if isinstance(value, str):  # pydantic reads 'yes', 'on', 'y', '1' as true
            return ("must be true or false (text such as 'yes', 'on' or 'off' is not a boolean "
                    "in YAML 1.2)")
        return "must be true or false, not a number"  # pydantic reads 1 as true
    if isinstance(value, bool):
        if any(_accepts_bool(m) for m in members):
            return None
        numbers = [m for m in members if _is_number(m)]
        if not numbers:
            return None  # pydantic's own type error is clear enough
        what = "an integer" if all(_is_type(m, int) for m in numbers) else "a number"
        return f"must be {what}, not true or false"
    if isinstance(value, int | float):
        if any(_is_type(m, _DATES) for m in members) and not any(
                _is_any(m) or _is_number(m) for m in members):
            return ("must be a UTC date and time such as '2027-03-01T00:00:00Z' (ISO 8601 "
                    "text), not a number")
        return None
    if isinstance(value, str) and any(_is_any(m) or _is_type(m, (str, PurePath))
                                      for m in members):
        found = CONTROL_CHARACTERS.search(value)
        if found:
            return f"must not contain control characters (found {found.group()!r})"
    return None


def refuse_inputs(annotation: Any, value: Any) -> Any:
    """``value`` with every input that pydantic would silently turn into something else
    replaced by a :class:`RefusedInput`.

    The rules: ``true``/``false`` where only numbers are allowed (pydantic reads ``true`` as 1),
    anything else where only ``true``/``false`` are (pydantic reads ``1`` and ``'yes'`` as
    true), a number where a date and time is expected (pydantic reads it as seconds since
    1970), and text with control characters. Lists, tuples and mappings are followed item by
    item, and so are the fields of a pydantic dataclass (or of a model that is not a
    ``ConfigModel``).

    Args:
        annotation: the field's type (``float``, ``tuple[float, ...]``, ``datetime | None``,
            a pydantic dataclass ...).
        value: the raw input of the field (as read from YAML).

    Returns:
        ``value`` itself when nothing is refused; otherwise a copy (lists become lists,
        mappings dicts) with the refused values replaced.
    """
    members = _members(annotation)
    if isinstance(value, bool | int | float | str):
        why = _scalar_refusal(members, value)
        return value if why is None else RefusedInput(value, why)
    if isinstance(value, list | tuple):
        for m in members:
            origin, args = typing.get_origin(m), typing.get_args(m)
            if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
                items = [refuse_inputs(tp, item) for item, tp in zip(value, args, strict=False)]
                items += list(value[len(args):])
            elif origin in (list, tuple, set, frozenset, Sequence) and args:
                items = [refuse_inputs(args[0], item) for item in value]
            else:
                continue
            same = all(a is b for a, b in zip(items, value, strict=True))
            return value if same else items
        return value
    if isinstance(value, Mapping):
        fields: Mapping[Any, Any] | None = None
        for m in members:
            origin, args = typing.get_origin(m), typing.get_args(m)
            if origin in (dict, Mapping) and len(args) == 2:
                fields = {key: args[1] for key in value}
                break
        if fields is None:
            nested = [f for f in map(_fields_of, members) if f is not None]
            if len(nested) != 1:  # with several dataclasses, which one applies is not known
                return value
            fields = {key: f.annotation for key, f in nested[0].items()}
        return _refuse_in_mapping(fields, value)
    return value


def _refuse_in_mapping(annotations: Mapping[Any, Any], data: Mapping[Any, Any]
                       ) -> Mapping[Any, Any]:
    """``data`` with its refused values replaced (a copy only when one is)."""
    out: dict[Any, Any] | None = None
    for key, item in data.items():
        if key not in annotations:
            continue
        new = refuse_inputs(annotations[key], item)
        if new is not item:
            if out is None:
                out = dict(data)
            out[key] = new
    return data if out is None else out


class ConfigModel(BaseModel):
    """Base of every scenario model: frozen, unknown fields forbidden, no NaN or infinity, and
    the input rules of :func:`refuse_inputs` on every field: no ``true`` for a number, no
    number for a date and time, no control characters in text."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _input_rules(cls, data: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        return _refuse_in_mapping(_annotations(cls), data)


@functools.lru_cache(maxsize=1024)
def _annotations(cls: type[BaseModel]) -> dict[str, Any]:
    """Input key -> type of the fields of a model (a field is given by its name or alias)."""
    out: dict[str, Any] = {}
    for name, field in cls.model_fields.items():
        out[name] = field.annotation
        if isinstance(field.alias, str):
            out[field.alias] = field.annotation
    return out


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
