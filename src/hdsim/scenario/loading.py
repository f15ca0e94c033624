"""Load a scenario YAML file into a validated :class:`~hdsim.scenario.config.Scenario`.

Every problem in the file is reported at once, one line each, as

    field.path[index].name = <value>: <what is allowed> (line N)

for example ``threats[0].launch.lat_deg = 120: must be between -90 and 90 (line 7)`` or
``threats[1].glide.bank_degg: unknown field (did you mean 'bank_deg'?) (line 21)``. The line
number is that of the offending key in the YAML file.

YAML is read with PyYAML's safe loader, made stricter so that a hostile or mistaken file gets a
clean :class:`ScenarioError` naming the line, quickly and with little memory, before anything is
built (details in the YAML section below):

- the file may be at most :data:`MAX_FILE_BYTES` (10 MiB) of UTF-8 text without control
  characters (tab, line feed and carriage return apart);
- no anchors, aliases or merge keys (``&a``, ``*a``, ``<<``: the "billion laughs" of a few
  hundred bytes that expands to gigabytes), and only the core tags (``!!str``, ``!!int`` ...);
- at most :data:`MAX_YAML_NODES` values and :data:`MAX_YAML_DEPTH` levels of nesting;
- a key given twice in one mapping is an error (PyYAML silently keeps the last);
- scalars follow YAML 1.2, not YAML 1.1: exponent floats without a dot (``1e-6``, ``5e6``) are
  numbers, ``2:00`` is text (not 120), only ``true``/``false`` are booleans (``yes``/``no``
  are text), and an integer with a leading zero (``010``: 8 or 10?) is refused as ambiguous.

Besides, every configuration model refuses ``true``/``false`` for a number, a number for a date
and time, and control characters in text (:mod:`hdsim.config_base`), and every message escapes
the control characters of what it quotes, so that it never carries a terminal escape sequence.
"""

from __future__ import annotations

import difflib
import math
import re
import types
import typing
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import annotated_types
import yaml
from pydantic import BaseModel, ValidationError
from pydantic.dataclasses import is_pydantic_dataclass

from hdsim.config_base import RefusedInput
from hdsim.scenario.build import reach_problems
from hdsim.scenario.config import Scenario

MAX_FILE_BYTES = 10 * 1024 * 1024
"""Largest scenario file read, bytes (10 MiB). A scenario is a few kB: a bigger file is refused
before it is read, so a mistaken or hostile file costs neither time nor memory."""

MAX_YAML_NODES = 200_000
"""Most values (scalars, lists and mappings) a scenario's YAML may hold. Counted while the file
is parsed, so a file of a million list items is refused after the first 200,000."""

MAX_YAML_DEPTH = 64
"""Deepest nesting of lists and mappings in a scenario's YAML (a scenario needs about 6)."""

MAX_PROBLEMS_SHOWN = 100
"""Most problems written in a :class:`ScenarioError`'s message (all are in ``problems``)."""


def escape_controls(text: str) -> str:
    r"""``text`` with every character that is not printable (control characters, line breaks,
    tabs, invisible format characters) written as its Python escape (``\x1b``, ``\n``), so that
    a message never carries a terminal escape sequence or a line break from its input."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class ScenarioError(ValueError):
    """A scenario that cannot be read or is not valid.

    Attributes:
        source: the file (or a label) the scenario came from.
        problems: one readable line per problem, ``path = value: what is allowed``; any
            control character in a problem (from a key, a value, a file name) is escaped.
    """

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = [escape_controls(str(p)) for p in problems]
        n = len(self.problems)
        head = f"{escape_controls(str(source))}: {n} problem{'s' if n != 1 else ''}:"
        shown = [f"  {p}" for p in self.problems[:MAX_PROBLEMS_SHOWN]]
        if n > MAX_PROBLEMS_SHOWN:
            shown.append(f"  ... and {n - MAX_PROBLEMS_SHOWN} more problems")
        super().__init__("\n".join([head, *shown]))


# ---------------------------------------------------------------------------------------------
# YAML
# ---------------------------------------------------------------------------------------------
#
# A scenario file is read by a loader stricter than PyYAML's safe loader, so that a hostile or
# mistaken file is refused early, cheaply and with its line, and a value is never silently read
# as another one:
#
# - no anchors, aliases or merge keys (``&a``, ``*a``, ``<<``): a scenario has no use for them,
#   and aliases are what makes a "billion laughs" file of a few hundred bytes expand to
#   gigabytes. They are refused as the file is parsed, before anything is built;
# - at most MAX_YAML_NODES values and MAX_YAML_DEPTH levels of nesting, counted while parsing;
# - scalars are resolved by the YAML 1.2 core schema (plus ``_`` between digits): ``true`` and
#   ``false`` only are booleans (``yes``, ``no``, ``on``, ``off`` are text), ``2:00`` is text
#   (YAML 1.1: the sexagesimal number 120), ``1e-6`` is a number (YAML 1.1: text); an integer
#   with a leading zero (``010``: 8 in YAML 1.1, 10 in YAML 1.2) is refused as ambiguous;
# - explicit tags are limited to the core ones (``!!str``, ``!!int``, ``!!float``, ...);
# - a key given twice in one mapping is an error (PyYAML silently keeps the last).

_CORE = "tag:yaml.org,2002:"
_ALLOWED_TAGS = frozenset(
    _CORE + t for t in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp"))

_INT = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)|0o[0-7_]+|0x[0-9a-fA-F_]+")
_FLOAT = re.compile(
    r"[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)
_BOOL = re.compile(r"true|True|TRUE|false|False|FALSE")
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]+")

_CONTROL_IN_FILE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")
"""Characters YAML does not allow in a file: C0 controls but tab, line feed and carriage
return; DEL; C1 controls but NEL; and the two non-characters U+FFFE and U+FFFF."""


class _Refused(Exception):
    """A YAML construct that a scenario may not use, at a place in the file."""

    def __init__(self, mark: Any, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_CORE):] if tag.startswith(_CORE) else tag


class _Rules(yaml.composer.Composer, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):
    """The composer, constructor and resolver of the scenario loader (see above); the parser
    that feeds them events is libyaml's when installed (fast), else PyYAML's own."""

    def _init_rules(self) -> None:
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        yaml.resolver.Resolver.__init__(self)

    def check_events(self) -> None:
        """Read the whole event stream once, before any node is built, and refuse what a
        scenario may not use (see above). The events are consumed: compose from a new loader.

        Raises:
            _Refused: an anchor, an alias, a merge key, a non-core tag, an ambiguous number,
                more than MAX_YAML_NODES values or more than MAX_YAML_DEPTH levels.
        """
        nodes = depth = 0
        starts = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
        ends = (yaml.SequenceEndEvent, yaml.MappingEndEvent)
        while self.check_event():
            event = self.get_event()
            if isinstance(event, ends):
                depth -= 1
                continue
            if not isinstance(event, yaml.NodeEvent):
                continue
            if event.anchor is not None:
                sigil = "*" if isinstance(event, yaml.AliasEvent) else "&"
                raise _Refused(event.start_mark, "YAML anchors and aliases are not allowed in "
                               f"a scenario (found {sigil}{event.anchor}); write the value out "
                               "in full")
            nodes += 1
            if nodes > MAX_YAML_NODES:
                raise _Refused(event.start_mark, f"the YAML holds more than {MAX_YAML_NODES:,} "
                               "values (scalars, lists, mappings); a scenario is far smaller")
            tag = event.tag
            if tag is not None and tag != "!" and tag not in _ALLOWED_TAGS:
                allowed = ", ".join(sorted(_short_tag(t) for t in _ALLOWED_TAGS))
                raise _Refused(event.start_mark, f"the YAML tag {_short_tag(tag)!r} is not "
                               f"allowed in a scenario (allowed: {allowed})")
            if isinstance(event, starts):
                depth += 1
                if depth > MAX_YAML_DEPTH:
                    raise _Refused(event.start_mark, "lists and mappings are nested more than "
                                   f"{MAX_YAML_DEPTH} levels deep")
            elif event.implicit[0]:  # a plain scalar, resolved by its text
                if event.value == "<<":
                    raise _Refused(event.start_mark, "YAML merge keys (<<) are not allowed in "
                                   "a scenario; write the fields out in full")
                if _LEADING_ZERO.fullmatch(event.value):
                    raise _Refused(event.start_mark, f"{event.value} is ambiguous: a number "
                                   "with a leading zero is octal in YAML 1.1 and decimal in YAML "
                                   "1.2; write it without the leading zero, or quote it if it is "
                                   "text")

    # ---------------------------------------------------------------------- constructing
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: let the base class report it
                continue
            if first is not None:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"duplicate key {key!r} (first given on line {first})",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)

    def _bad_scalar(self, node: Any, what: str) -> yaml.constructor.ConstructorError:
        shown = node.value if len(node.value) <= 40 else node.value[:37] + "..."
        return yaml.constructor.ConstructorError(
            None, None, f"{shown!r} is not {what}", node.start_mark)

    def construct_yaml_int(self, node: Any) -> int:
        """An integer by YAML 1.2 rules: decimal (no leading zero), ``0o`` octal, ``0x`` hex."""
        text = str(self.construct_scalar(node))
        if not _INT.fullmatch(text):
            raise self._bad_scalar(node, "an integer (YAML 1.2: 12, -3, 0x1f, 0o17)")
        try:
            return int(text.replace("_", ""), 0)
        except ValueError:  # e.g. more digits than Python converts
            many = " (too many digits)" if len(text) > 1000 else ""
            raise self._bad_scalar(node, f"a usable integer{many}") from None

    def construct_yaml_float(self, node: Any) -> float:
        """A float by YAML 1.2 rules (``1.5``, ``1e-6``, ``.inf``), no sexagesimal ``1:30``."""
        text = str(self.construct_scalar(node))
        if not (_FLOAT.fullmatch(text) or _INT.fullmatch(text)) or _LEADING_ZERO.fullmatch(text):
            raise self._bad_scalar(node, "a number (YAML 1.2: 1.5, -3, 1e-6, .inf)")
        text = text.replace("_", "").lower()
        sign = -1.0 if text.startswith("-") else 1.0
        body = text.lstrip("+-")
        if body == ".inf":
            return sign * math.inf
        if body == ".nan":
            return math.nan
        try:
            return float(text) if not body.startswith(("0x", "0o")) else float(int(text, 0))
        except (ValueError, OverflowError):  # e.g. a hex integer beyond the float range
            raise self._bad_scalar(node, "a number in the range of a float") from None

    def construct_yaml_timestamp(self, node: Any) -> Any:
        """A date or date and time; one that does not exist (2027-02-30) is an error."""
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise self._bad_scalar(node, f"a valid date and time ({exc})") from None


_Rules.yaml_implicit_resolvers = {  # YAML 1.1's bool, int, float, merge and value: out
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in {_CORE + t for t in ("bool", "int", "float", "merge", "value")}]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}
_Rules.add_implicit_resolver(_CORE + "bool", re.compile(f"^(?:{_BOOL.pattern})$"), list("tTfF"))
_Rules.add_implicit_resolver(_CORE + "int", re.compile(f"^(?:{_INT.pattern})$"),
                             list("-+0123456789"))
_Rules.add_implicit_resolver(_CORE + "float", re.compile(f"^(?:{_FLOAT.pattern})$"),
                             list("-+0123456789."))
_Rules.add_constructor(_CORE + "int", _Rules.construct_yaml_int)
_Rules.add_constructor(_CORE + "float", _Rules.construct_yaml_float)
_Rules.add_constructor(_CORE + "timestamp", _Rules.construct_yaml_timestamp)


class _PyLoader(_Rules, yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    """The scenario loader on PyYAML's own (pure Python) parser."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        self._init_rules()


_Loader: type[Any] = _PyLoader
try:
    from yaml.cyaml import CParser as _CParser
except ImportError:  # PyYAML built without libyaml
    pass
else:

    class _CLoader(_Rules, _CParser):
        """The scenario loader on libyaml's parser (about ten times faster)."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            self._init_rules()

    _Loader = _CLoader


def _line_map(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    """Map each path in the document to the 1-based line where its key (or item) starts."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                sub = (*path, key_node.value)
                out.setdefault(sub, key_node.start_mark.line + 1)
                _line_map(value_node, sub, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            sub = (*path, i)
            out.setdefault(sub, item.start_mark.line + 1)
            _line_map(item, sub, out)


def _where(text: str, index: int) -> str:
    """``line L, column C`` of a character index in ``text``."""
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"line {line}, column {column}"


def _control_problems(text: str) -> list[str]:
    """One problem per line holding a character YAML does not allow (at most 10 lines)."""
    problems: list[str] = []
    pos = 0
    while (found := _CONTROL_IN_FILE.search(text, pos)) is not None:
        if len(problems) == 10:
            problems.append("... and more lines with control characters")
            break
        char = found.group()
        kind = "control character" if unicodedata.category(char) == "Cc" else "character"
        problems.append(f"{_where(text, found.start())}: the {kind} {char!r} is not allowed in "
                        "a scenario file (of the control characters, only tab, line feed and "
                        "carriage return are)")
        end = text.find("\n", found.end())  # one problem per line
        if end < 0:
            break
        pos = end + 1
    return problems


def _mark_text(text: str, mark: Any) -> str:
    return f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""


def _yaml_problem(text: str, exc: yaml.YAMLError) -> str:
    """One readable line for a YAML syntax error (PyYAML's or libyaml's wording)."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or exc.context or "invalid YAML"
        if exc.context and exc.problem:
            what = f"{exc.problem} ({exc.context})"
        if mark is not None and "cannot start any token" in what and "'" not in what:
            lines = text.split("\n")  # libyaml does not say which character
            if mark.line < len(lines) and mark.column < len(lines[mark.line]):
                char = lines[mark.line][mark.column]
                what = what.replace("character", f"character {char!r}", 1)
        if "'\\t'" in what:
            what += "; indent with spaces, not tabs"
        return f"{_mark_text(text, mark)}could not parse the YAML: {what}"
    if isinstance(exc, yaml.reader.ReaderError):
        return (f"{_where(text, exc.position)}: the character {chr(exc.character)!r} is not "
                "allowed in a scenario file")
    return f"could not parse the YAML: {exc}"


def _check_events(loader_cls: type[Any], text: str) -> None:
    checker = loader_cls(text)
    try:
        checker.check_events()
    finally:
        checker.dispose()


def _parse_yaml(text: str, source: str) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """Parse YAML text by the scenario rules; returns the data and a map path -> line number.

    Raises:
        ScenarioError: a control character, a syntax error, a YAML construct a scenario may not
            use (anchors, aliases, merge keys, other tags), too many values or too deep a
            nesting; the message names the line.
    """
    problems = _control_problems(text)
    if problems:
        raise ScenarioError(source, problems)
    try:
        try:
            _check_events(_Loader, text)  # nothing is built before the whole file is checked
        except yaml.YAMLError as exc:
            if _Loader is _PyLoader or "nesting depth" not in str(exc):
                raise
            # libyaml (PyYAML >= 6.0.2) has its own nesting limit, reached while it scans
            # ahead of the events: the pure-Python pass finds the depth rule at its own line
            _check_events(_PyLoader, text)
            raise
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except _Refused as exc:
        raise ScenarioError(source, [f"{_mark_text(text, exc.mark)}{exc.message}"]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(source, [_yaml_problem(text, exc)]) from None
    except RecursionError:  # not expected below MAX_YAML_DEPTH; never a traceback
        raise ScenarioError(source, ["lists and mappings are nested too deep"]) from None
    lines: dict[tuple[Any, ...], int] = {}
    if node is not None:
        _line_map(node, (), lines)
    return data, lines


def parse_yaml_value(text: str, source: str = "<value>") -> Any:
    """One value written in YAML (``--set PATH=VALUE``), read by the scenario file's own rules
    (YAML 1.2 scalars: ``010`` is refused, ``2:00`` is text, ``true``/``false`` only).

    Raises:
        ScenarioError: as for a scenario file.
    """
    return _parse_yaml(text, source)[0]


# ---------------------------------------------------------------------------------------------
# Validation errors -> readable lines
# ---------------------------------------------------------------------------------------------

_MISSING = object()


def _strip_annotated(tp: Any) -> tuple[Any, list[Any]]:
    meta: list[Any] = []
    while typing.get_origin(tp) is typing.Annotated:
        args = typing.get_args(tp)
        tp, meta = args[0], [*meta, *args[1:]]
    return tp, meta


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (typing.Union, types.UnionType)


def _is_model(tp: Any) -> bool:
    """A pydantic model or a pydantic dataclass (components' configuration types)."""
    return isinstance(tp, type) and (issubclass(tp, BaseModel) or is_pydantic_dataclass(tp))


def _fields(tp: Any) -> dict[str, Any]:
    """The fields (name -> ``FieldInfo``) of a model or pydantic dataclass."""
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return dict(tp.model_fields)
    return dict(getattr(tp, "__pydantic_fields__", {}))


def _union_member(tp: Any, el: Any) -> Any:
    """The member of union ``tp`` that pydantic names ``el`` in an error location (a
    discriminator tag, a class name, or a builtin type name), or None."""
    for member in typing.get_args(tp):
        base, _ = _strip_annotated(member)
        if _is_model(base):
            if el == base.__name__:
                return member
            for field in _fields(base).values():
                ann, _ = _strip_annotated(field.annotation)
                if typing.get_origin(ann) is typing.Literal and el in typing.get_args(ann):
                    return member
        elif isinstance(base, type) and el == base.__name__:
            return member
        elif typing.get_origin(base) is typing.Literal and isinstance(el, str):
            if el.startswith("literal["):
                return member
    return None


def _child(tp: Any, el: Any) -> tuple[Any, list[Any]]:
    """Type (and constraint metadata) of element ``el`` of a value of type ``tp``."""
    tp, _ = _strip_annotated(tp)
    if _is_model(tp) and isinstance(el, str) and el in _fields(tp):
        field = _fields(tp)[el]
        ann, meta = _strip_annotated(field.annotation)
        return ann, [*field.metadata, *meta]
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if isinstance(el, int) and origin in (list, tuple, Sequence, set, frozenset):
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return _strip_annotated(args[el]) if el < len(args) else (None, [])
        return _strip_annotated(args[0]) if args else (None, [])
    if origin in (dict, Mapping) and len(args) == 2:
        return _strip_annotated(args[1])
    return None, []


class _Located:
    """Where an error is: the path shown to the user, the input there, and the types."""

    def __init__(self, loc: Sequence[Any], data: Any, root: Any) -> None:
        self.parts: list[Any] = []
        self.union_at: tuple[Any, ...] | None = None  # path of the innermost union crossed
        self.shallow = False  # the error is about a whole union member, not one of its fields
        self.meta: list[Any] = []
        self.parent: Any = None
        tp: Any = root
        cur: Any = data
        for i, el in enumerate(loc):
            last = i == len(loc) - 1
            base, meta = _strip_annotated(tp)
            member = _union_member(base, el) if _is_union(base) else None
            in_data = (isinstance(cur, Mapping) and el in cur) or (
                isinstance(cur, list) and isinstance(el, int) and 0 <= el < len(cur)
            )
            if member is not None or (base is None and not in_data and not last):
                self.union_at, self.shallow = tuple(self.parts), last
                tp = member
                if member is not None:
                    self.meta = [*meta, *_strip_annotated(member)[1]]
                continue
            self.shallow = False
            self.parent = base
            tp, self.meta = _child(base, el) if base is not None else (None, [])
            cur = cur[el] if in_data else _MISSING
            self.parts.append(el)
        self.type = _strip_annotated(tp)[0] if tp is not None else None
        self.value = cur


def _path(parts: Sequence[Any]) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def _num(x: Any) -> str:
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    return f"{x:g}" if isinstance(x, float) else str(x)


def _value(v: Any) -> str | None:
    """The value as shown after ``=``, or None when it is not worth showing."""
    if v is _MISSING or isinstance(v, Mapping | BaseModel):
        return None
    if isinstance(v, bool) or v is None:
        return {True: "true", False: "false", None: "null"}[v]
    if isinstance(v, list | tuple):
        text = repr(list(v))
        return text if len(text) <= 60 else None
    text = repr(v) if isinstance(v, str) else str(v)
    return text if len(text) <= 80 else text[:77] + "..."


def _range_phrase(meta: Sequence[Any]) -> str | None:
    lo = hi = None
    for m in meta:
        if isinstance(m, annotated_types.Ge):
            lo = (m.ge, True)
        elif isinstance(m, annotated_types.Gt):
            lo = (m.gt, False)
        elif isinstance(m, annotated_types.Le):
            hi = (m.le, True)
        elif isinstance(m, annotated_types.Lt):
            hi = (m.lt, False)
    if lo and hi:
        if lo[1] and hi[1]:
            return f"must be between {_num(lo[0])} and {_num(hi[0])}"
        low = f"at least {_num(lo[0])}" if lo[1] else f"greater than {_num(lo[0])}"
        high = f"at most {_num(hi[0])}" if hi[1] else f"less than {_num(hi[0])}"
        return f"must be {low} and {high}"
    if lo:
        return f"must be at least {_num(lo[0])}" if lo[1] else f"must be greater than {_num(lo[0])}"
    if hi:
        return f"must be at most {_num(hi[0])}" if hi[1] else f"must be less than {_num(hi[0])}"
    return None


def _choices(tp: Any, expected: str | None) -> str:
    base, _ = _strip_annotated(tp)
    if typing.get_origin(base) is typing.Literal:
        return ", ".join(str(a) for a in typing.get_args(base))
    return (expected or "").replace("'", "").replace(" or ", ", ")


def _tags(tp: Any) -> list[str]:
    """Discriminator values of a union of models (for 'one of ...' messages)."""
    base, _ = _strip_annotated(tp)
    tags: list[str] = []
    for member in typing.get_args(base) if _is_union(base) else ():
        m, _ = _strip_annotated(member)
        if _is_model(m) and "type" in m.model_fields:
            ann, _ = _strip_annotated(m.model_fields["type"].annotation)
            tags += [str(a) for a in typing.get_args(ann)]
    return tags


_SIMPLE = {
    "missing": "required field is missing",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be a string",
    "dict_type": "must be a mapping of fields (key: value)",
    "model_type": "must be a mapping of fields (key: value)",
    "model_attributes_type": "must be a mapping of fields (key: value)",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "datetime_type": "must be a UTC date and time such as '2027-03-01T00:00:00Z'",
    "datetime_parsing": "must be a UTC date and time such as '2027-03-01T00:00:00Z'",
    "datetime_from_date_parsing": "must be a UTC date and time such as '2027-03-01T00:00:00Z'",
    "path_type": "must be a file path",
}
_MAPPING_TYPES = {"dict_type", "model_type", "model_attributes_type"}
_VALIDATOR_TYPES = {"hdsim_located", "value_error", "assertion_error"}
_BOUNDS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}


def _describe(err: Mapping[str, Any], where: _Located) -> str:
    """What is allowed, in words, for one pydantic error."""
    kind, ctx = err["type"], err.get("ctx") or {}
    if isinstance(err.get("input"), RefusedInput):  # an input rule of ConfigModel
        return err["input"].message
    if kind in _SIMPLE:
        return _SIMPLE[kind]
    if kind in _BOUNDS:
        phrase = _range_phrase(where.meta)
        if phrase:
            return phrase
        bound = next(iter(ctx.values()), "?")
        words = {
            "greater_than": "greater than",
            "greater_than_equal": "at least",
            "less_than": "less than",
            "less_than_equal": "at most",
        }[kind]
        return f"must be {words} {_num(bound)}"
    if kind == "literal_error":
        return f"must be one of {_choices(where.type, ctx.get('expected'))}"
    if kind == "string_too_short":
        return "must not be empty" if ctx.get("min_length") == 1 else err["msg"]
    if kind == "too_short":
        return f"must have at least {ctx.get('min_length')} item(s)"
    if kind == "too_long":
        return f"must have at most {ctx.get('max_length')} item(s)"
    msg = str(err["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    return msg.replace("Input should be ", "must be ")


def _line_suffix(parts: Sequence[Any], lines: Mapping[tuple[Any, ...], int]) -> str:
    for n in range(len(parts), 0, -1):
        line = lines.get(tuple(parts[:n]))
        if line is not None:
            return f" (line {line})"
    return ""


def _length_counted_after_failed_items(err: Mapping[str, Any]) -> bool:
    """Whether ``err`` is pydantic's "too short" (or "too long") of a list whose given length is
    allowed: pydantic counts only the items that passed, so ``imm_models: [ncv, foo]`` was also
    said to have "at least 2 items" missing. The failed items' own errors say it all."""
    ctx, given = err.get("ctx") or {}, err.get("input")
    if not isinstance(given, list | tuple):
        return False
    if err["type"] == "too_short" and isinstance(ctx.get("min_length"), int):
        return len(given) >= ctx["min_length"]
    if err["type"] == "too_long" and isinstance(ctx.get("max_length"), int):
        return len(given) <= ctx["max_length"]
    return False


def format_validation_error(
    exc: ValidationError,
    data: Any,
    *,
    model: type[BaseModel] = Scenario,
    lines: Mapping[tuple[Any, ...], int] | None = None,
) -> list[str]:
    """One readable line per problem in a pydantic ``ValidationError``.

    Args:
        exc: the error raised by ``model.model_validate(data)``.
        data: the input that was validated (to show values and find unknown-field hints).
        model: the model that was validated (to read bounds, choices and field names).
        lines: optional map from a path tuple to its line in the YAML file.

    Returns:
        Lines ``path = value: what is allowed`` in the order of the fields.
    """
    lines = lines or {}
    entries: list[tuple[_Located, dict[str, Any]]] = []
    for err in exc.errors(include_url=False):
        if not _length_counted_after_failed_items(err):
            entries.append((_Located(err["loc"], data, model), dict(err)))

    # A failed union reports once per member. Where some member got into the value's fields,
    # keep those errors; where all members failed as a whole, merge them into one line.
    for where, err in entries:  # a validator's own error is never a "member did not fit"
        if err["type"] in _VALIDATOR_TYPES:
            where.shallow = False
    deep_unions = {w.union_at for w, _ in entries if w.union_at is not None and not w.shallow}
    groups: dict[tuple[Any, ...], list[tuple[_Located, dict[str, Any]]]] = {}
    out: list[str | tuple[Any, ...]] = []  # a line, or the key of a merged union group
    for where, err in entries:
        if where.shallow and where.union_at is not None:
            if where.union_at not in deep_unions:
                if where.union_at not in groups:
                    out.append(where.union_at)
                groups.setdefault(where.union_at, []).append((where, err))
            continue
        out.append(_render(where, err, lines))
    return [item if isinstance(item, str) else _render_union(item, groups[item], lines)
            for item in out]


def _render_union(
    union_at: tuple[Any, ...],
    group: Sequence[tuple[_Located, Mapping[str, Any]]],
    lines: Mapping[tuple[Any, ...], int],
) -> str:
    """One line for a value that matched no member of a union."""
    value = group[0][0].value
    kept = list(group)
    refused = [g for g in group if isinstance(g[1].get("input"), RefusedInput)]
    if refused:  # the value broke an input rule: that is the one thing to say
        kept = refused[:1]
        value = value if value is not _MISSING else refused[0][1]["input"].value
    elif isinstance(value, str):  # a name was meant (e.g. a preset): skip "must be a mapping"
        kept = [g for g in group if g[1]["type"] not in _MAPPING_TYPES] or kept
    allowed: list[str] = []
    for where, err in kept:
        text = _describe(err, where)
        if text not in allowed:
            allowed.append(text)
    shown = _value(value)
    head = _path(union_at) + (f" = {shown}" if shown is not None else "")
    return f"{head}: {', or '.join(allowed)}{_line_suffix(union_at, lines)}"


def _render(where: _Located, err: Mapping[str, Any], lines: Mapping[tuple[Any, ...], int]) -> str:
    """One line for one pydantic error."""
    kind, ctx = err["type"], err.get("ctx") or {}
    parts = list(where.parts)
    value: Any = err.get("input", _MISSING) if where.value is _MISSING else where.value
    if isinstance(value, RefusedInput):
        value = value.value
    if kind == "hdsim_located":
        parts += list(ctx.get("subloc", ()))
        text = f"{ctx.get('message')}"
        value = ctx.get("value", _MISSING)
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        key = str(ctx.get("discriminator", "type")).strip("'")
        parts.append(key)
        tags = _tags(where.type) or [
            t.strip().strip("'") for t in str(ctx.get("expected_tags", "")).split(",") if t.strip()
        ]
        if kind == "union_tag_invalid":
            value = ctx.get("tag", _MISSING)
            text = f"must be one of {', '.join(tags)}"
        else:
            value = _MISSING
            text = "required field is missing" + (f" (one of {', '.join(tags)})" if tags else "")
    elif kind in ("extra_forbidden", "unexpected_keyword_argument"):
        name = str(parts[-1]) if parts else ""
        allowed = list(_fields(where.parent)) if _is_model(where.parent) else []
        close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
        if close:
            text = f"unknown field (did you mean {close[0]!r}?)"
        elif allowed:
            text = f"unknown field (allowed: {', '.join(allowed)})"
        else:
            text = "unknown field"
        value = _MISSING
    elif kind == "missing":
        text = _describe(err, where)
        value = _MISSING
    else:
        text = _describe(err, where)
    shown = _value(value)
    head = _path(parts) + (f" = {shown}" if shown is not None else "")
    if not parts:
        head = "(top level)" if shown is None else f"(top level) = {shown}"
    return f"{head}: {text}{_line_suffix(parts, lines)}"


# ---------------------------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------------------------


def scenario_from_dict(
    data: Any,
    *,
    base_dir: str | Path | None = None,
    source: str = "<scenario>",
    lines: Mapping[tuple[Any, ...], int] | None = None,
) -> Scenario:
    """Validate already-parsed scenario data (a mapping as read from YAML).

    Args:
        data: the scenario as a mapping of fields.
        base_dir: folder against which relative paths (``tle_file``) are resolved; default the
            current working directory.
        source: label used in error messages (the file name).
        lines: optional map from a path tuple to its line in the source file.

    Raises:
        ScenarioError: listing every problem, one line each.
    """
    if not isinstance(data, Mapping):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise ScenarioError(
            source,
            [f"(top level): the scenario must be a mapping of fields (name: ..., threats: ...), "
             f"got {kind}"],
        )
    context = {"base_dir": Path(base_dir) if base_dir is not None else None}
    try:
        scenario = Scenario.model_validate(data, context=context)
    except ValidationError as exc:
        problems = format_validation_error(exc, data, lines=lines)
    else:
        problems = [f"{_path(loc)} = {_value(value)}: {msg}{_line_suffix(loc, lines or {})}"
                    for loc, value, msg in reach_problems(scenario)]
        if not problems:
            return scenario
    # pydantic checks ids only once every item is valid; report duplicates with the rest
    known = set(problems)
    problems += [p for p in _duplicate_ids(data, lines or {}) if p not in known]
    raise ScenarioError(source, sorted(problems, key=_line_of))


def _line_of(problem: str) -> float:
    match = re.search(r"\(line (\d+)\)$", problem)
    return int(match.group(1)) if match else math.inf


def _duplicate_ids(data: Mapping[str, Any], lines: Mapping[tuple[Any, ...], int]) -> list[str]:
    """Duplicate ids in the raw data, worded as the schema words them."""
    sensors = data.get("sensors")
    groups: list[tuple[str, list[tuple[str, Any]], str]] = []
    for field in ("threats", "weapons", "defended_assets"):
        items = data.get(field)
        if isinstance(items, list):
            groups.append((field, [(field, items)], "duplicate id"))
    if isinstance(sensors, Mapping):
        kinds = [(f"sensors.{k}", sensors.get(k)) for k in ("space_layers", "radars")]
        kinds = [(k, v) for k, v in kinds if isinstance(v, list)]
        groups.append(("sensors", kinds, "duplicate sensor id"))
    out: list[str] = []
    for _, kinds, words in groups:
        seen: dict[Any, str] = {}
        for prefix, items in kinds:
            for i, item in enumerate(items):
                item_id = item.get("id") if isinstance(item, Mapping) else None
                if not isinstance(item_id, str):
                    continue
                where = f"{prefix}[{i}]"
                if item_id in seen:
                    parts = (*prefix.split("."), i, "id")
                    out.append(
                        f"{where}.id = {item_id!r}: {words} (already used by {seen[item_id]})"
                        f"{_line_suffix(parts, lines)}"
                    )
                else:
                    seen[item_id] = where
    return out


def read_scenario_data(path: str | Path) -> tuple[Any, dict[tuple[Any, ...], int]]:
    """Read a scenario YAML file without validating it: the data and a map path -> line.

    The file is refused before it is parsed when it is larger than :data:`MAX_FILE_BYTES`, is
    not UTF-8 text or holds control characters; while parsing, when it uses anchors, aliases,
    merge keys or non-core tags, or holds more than :data:`MAX_YAML_NODES` values or nesting
    deeper than :data:`MAX_YAML_DEPTH` (see the YAML section of this module).

    Raises:
        ScenarioError: the file is missing or unreadable, is not valid YAML, or breaks one of
            the rules above; the message names the line.
    """
    path = Path(path).expanduser()
    source = str(path)
    if not path.exists():
        raise ScenarioError(source, [f"scenario file not found: {path.resolve()}"])
    if not path.is_file():
        raise ScenarioError(source, [f"not a file: {path.resolve()}"])
    limit = f"a scenario file may be at most {MAX_FILE_BYTES / 2**20:g} MiB"
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(source, [f"the file is {size / 2**20:.1f} MiB: {limit}"])
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)  # the file may have grown since stat()
    except OSError as exc:
        raise ScenarioError(source, [f"could not read the file: {exc}"]) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(source, [f"the file is larger than that: {limit}"])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ScenarioError(source, [
            f"line {line}: the file is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
            f"{exc.start} cannot be decoded); save it as UTF-8"]) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _parse_yaml(text, source)


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario YAML file.

    Relative paths inside the file (``tle_file``) are resolved against the file's folder.

    Raises:
        ScenarioError: the file is missing or unreadable, is not valid YAML, or does not
            describe a valid scenario; the message lists every problem.
    """
    path = Path(path).expanduser()
    data, lines = read_scenario_data(path)
    return scenario_from_dict(data, base_dir=path.resolve().parent, source=str(path),
                              lines=lines)


__all__ = ["MAX_FILE_BYTES", "MAX_PROBLEMS_SHOWN", "MAX_YAML_DEPTH", "MAX_YAML_NODES",
           "ScenarioError", "escape_controls", "format_validation_error", "load_scenario",
           "read_scenario_data", "scenario_from_dict"]
