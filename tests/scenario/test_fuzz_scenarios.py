"""Fuzzing the scenario schema: a mutated example is a valid scenario or a ScenarioError.

Oracle: the loader's contract (``hdsim.scenario.loading``): whatever the data, validation
either returns a :class:`~hdsim.scenario.config.Scenario` or raises
:class:`~hdsim.scenario.ScenarioError` with at least one problem, every line printable (no raw
control character); never another exception. The inputs are the example scenarios of
``scenarios/*.yaml`` (as the loader reads them), mutated structurally: a key or list item
deleted, a value replaced by a random scalar, list or mapping (huge integers, NaN and infinity,
NaN as text, booleans, null, dates, control characters, preset names), a list item
duplicated, a value nested one level deeper, a key misspelt, an unknown key added. The text
level (random bytes and lines in a YAML file) is fuzzed in ``test_loader_hostile.py``.

``benchmarks/fuzz_scenarios.py`` runs the same strategy for many more examples.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hdsim.scenario import ScenarioError, load_scenario
from hdsim.scenario.config import Scenario
from hdsim.scenario.loading import read_scenario_data, scenario_from_dict

SCENARIOS_DIR = Path(__file__).resolve().parents[2] / "scenarios"
EXAMPLES: list[tuple[str, Any]] = [(p.name, read_scenario_data(p)[0])
                                   for p in sorted(SCENARIOS_DIR.glob("*.yaml"))]

_SPECIAL_TEXT = ["", "nan", "NaN", ".nan", "inf", "-inf", "1e999", "yes", "off", "0x10", "010",
                 "2027-02-30", "2027-03-01T00:00:00Z", "x\x1b[2J", "a\nb", "a\u202eb",
                 "leo_tracking_layer", "xband_long_range", "cav_h", "rv_generic", "atla_40mm",
                 "imm", "ekf", "ballistic", "boost_glide", "cruise", "railgun", "interceptor",
                 "bank_reversals", "skip", "terminal_dive", "../../etc/passwd", "a" * 5000]

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([0, -1, 1, 2**31, 2**63, 2**64, 10**30, 10**400, -10**400]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e308, -1e308, 5e-324, 1e-300, 1e12, math.nan, math.inf, -math.inf]),
    st.text(max_size=12),
    st.sampled_from(_SPECIAL_TEXT),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2100, 1, 1),
                 timezones=st.just(dt.UTC)),
)
"""Scalars a YAML file can hold (the loader turns ``.nan``, dates and big integers into these)."""

VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.one_of(st.text(max_size=6),
                                                      st.sampled_from(["type", "id", "preset"])),
                                            inner, max_size=3)),
    max_leaves=6,
)

KEYS = st.one_of(st.text(max_size=8),
                 st.sampled_from(["type", "id", "preset", "walker", "elements", "tle_file",
                                  "vehicle", "burnout", "glide", "maneuvers", "campaign",
                                  "vary", "site", "infrared", "region", "zz"]),
                 st.integers(-2, 2), st.none(), st.booleans())
"""Keys of added entries: text, the schema's own names, and what YAML allows besides
(``1: x``, ``null: x``, ``true: x``)."""

OPERATIONS = ("delete", "replace", "replace", "duplicate", "nest", "misspell", "add",
              "to_text", "scale")


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path of the document (keys of mappings, indices of lists), the root excluded."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _misspell(key: Any, cut: int) -> Any:
    if not isinstance(key, str) or not key:
        return f"{key}_"
    cut %= len(key)
    return key[:cut] + key[cut + 1:] if len(key) > 1 else key + key


@st.composite
def mutated_scenarios(draw: st.DrawFn, max_mutations: int = 4) -> tuple[str, Any]:
    """An example scenario with 1 to ``max_mutations`` structural mutations: its name and the
    mutated data (a mapping, or whatever the mutations made of it)."""
    name, data = draw(st.sampled_from(EXAMPLES))
    data = copy.deepcopy(data)
    for _ in range(draw(st.integers(1, max_mutations))):
        paths = _paths(data)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent: Any = data
        for key in path[:-1]:
            parent = parent[key]
        key = path[-1]
        op = draw(st.sampled_from(OPERATIONS))
        if op == "delete":
            del parent[key]
        elif op == "replace":
            parent[key] = draw(VALUES)
        elif op == "duplicate":
            if isinstance(parent, list):
                parent.insert(key, copy.deepcopy(parent[key]))
            elif isinstance(parent[key], list) and parent[key]:
                parent[key].append(copy.deepcopy(parent[key][0]))
            else:
                parent[key] = [parent[key], copy.deepcopy(parent[key])]
        elif op == "nest":
            parent[key] = [parent[key]] if draw(st.booleans()) else {str(key): parent[key]}
        elif op == "misspell" and isinstance(parent, dict):
            parent[_misspell(key, draw(st.integers(0, 40)))] = parent.pop(key)
        elif op == "add" and isinstance(parent, dict):
            parent[draw(KEYS)] = draw(VALUES)
        elif op == "to_text":
            parent[key] = str(parent[key])
        elif op == "scale" and isinstance(parent[key], int | float) \
                and not isinstance(parent[key], bool):
            factor = draw(st.sampled_from([0, -1, 1e-9, 1e-3, 0.5, 2, 1e3, 1e9, 1e300]))
            try:
                parent[key] = parent[key] * factor
            except OverflowError:
                parent[key] = math.inf
    return name, data


def check_outcome(name: str, load: Any) -> Scenario | ScenarioError:
    """Call ``load()``; the scenario, or the ScenarioError (checked); any other exception
    propagates and fails the caller."""
    try:
        scenario = load()
    except ScenarioError as exc:
        assert exc.problems, name
        assert all(line.isprintable() for line in str(exc).splitlines()), str(exc)
        return exc
    assert isinstance(scenario, Scenario)
    return scenario


def validate_mutated(name: str, data: Any) -> Scenario | ScenarioError:
    return check_outcome(name, lambda: scenario_from_dict(
        data, base_dir=SCENARIOS_DIR, source=f"mutated {name}"))


class _Dumper(yaml.SafeDumper):
    """Writes shared values out in full: a scenario may not use anchors or aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def load_mutated_file(name: str, data: Any, folder: Path) -> Scenario | ScenarioError:
    """The mutated data written as a YAML file and loaded (the loader's YAML rules too)."""
    path = folder / name
    path.write_text(yaml.dump(data, Dumper=_Dumper, allow_unicode=True), encoding="utf-8")
    return check_outcome(name, lambda: load_scenario(path))


def test_the_examples_are_valid():
    assert len(EXAMPLES) >= 5
    for name, data in EXAMPLES:
        assert isinstance(validate_mutated(name, data), Scenario), name


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated_scenarios())
def test_mutated_example_data_is_valid_or_a_scenario_error(case):
    validate_mutated(*case)


@settings(max_examples=100, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(case=mutated_scenarios(max_mutations=2))
def test_mutated_example_file_is_valid_or_a_scenario_error(case, tmp_path):
    load_mutated_file(*case, tmp_path)
