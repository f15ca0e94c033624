"""Dotted paths into a scenario, list items by their id: ``weapons.railgun-1.muzzle_speed_mps``.

:func:`apply_overrides` sets values in the scenario's data (a mapping as read from YAML) before
it is validated, so an overridden value is checked like any value of the file and a bad one gets
the same located error (``weapons[0].muzzle_speed_mps = -1.0: must be > 0``). A path that does
not exist is an error naming the path and what is there. The same paths are used by campaigns
(``vary:``) and ``--set PATH=VALUE``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from hdsim.scenario.loading import ScenarioError

__all__ = ["apply_overrides", "resolve_path"]


def _plain(data: Any) -> Any:
    """A deep copy with tuples as lists and mappings as dicts (YAML-like data)."""
    if isinstance(data, Mapping):
        return {k: _plain(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_plain(v) for v in data]
    return copy.deepcopy(data)


def _item_ids(items: list[Any]) -> list[str]:
    return [str(it.get("id")) for it in items if isinstance(it, Mapping) and "id" in it]


def resolve_path(data: Any, path: str) -> tuple[list[str | int], Any]:
    """Follow a dotted ``path`` in scenario ``data``: the location as keys and list indices
    (``["weapons", 0, "muzzle_speed_mps"]``) and the value there (``None`` when the last key is
    not set yet). List items are named by their ``id`` (or by their index).

    Raises:
        ValueError: an empty path, a missing list item, or a key below a value that is not a
            mapping; the message names the path.
    """
    parts = path.split(".")
    if not path or any(not p for p in parts):
        raise ValueError(f"{path!r}: a dotted path such as 'weapons.railgun-1.muzzle_speed_mps'")
    loc: list[str | int] = []
    cur: Any = data
    for i, part in enumerate(parts):
        here = ".".join(parts[:i]) or "(top level)"
        if isinstance(cur, list | tuple):
            ids = _item_ids(list(cur))
            if part in ids:
                idx = ids.index(part)
            elif part.isdigit() and int(part) < len(cur):
                idx = int(part)
            else:
                raise ValueError(f"{path}: {here} has no item with id {part!r} "
                                 f"(ids: {', '.join(ids) or 'none'})")
            loc.append(idx)
            cur = cur[idx]
        elif isinstance(cur, Mapping):
            loc.append(part)
            last = i == len(parts) - 1
            if part not in cur and not last:
                cur = {}
            else:
                cur = cur.get(part)
        elif cur is None or cur == {}:
            loc.append(part)
            cur = None
        else:
            raise ValueError(f"{path}: {here} is {cur!r}, not a section with fields")
    return loc, cur


def apply_overrides(data: Mapping[str, Any], overrides: Mapping[str, Any],
                    source: str = "<overrides>") -> dict[str, Any]:
    """A copy of scenario ``data`` with each dotted path of ``overrides`` set to its value.

    Missing sections on the way are created (``tracking.confirm_m`` in a file without a
    ``tracking:`` section). Values are validated later, with the whole scenario.

    Raises:
        ScenarioError: listing every path that does not exist.
    """
    out = _plain(data)
    problems = []
    for path, value in overrides.items():
        try:
            loc, _ = resolve_path(out, str(path))
        except ValueError as exc:
            problems.append(str(exc))
            continue
        cur: Any = out
        for key in loc[:-1]:
            if isinstance(key, str) and (key not in cur or cur[key] is None):
                cur[key] = {}
            cur = cur[key]
        cur[loc[-1]] = value
    if problems:
        raise ScenarioError(source, problems)
    return out
