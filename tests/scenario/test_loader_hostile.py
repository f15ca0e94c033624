"""Hostile and malformed scenario files: always a clean, located error, quickly.

Oracle: the loader's contract (``hdsim.scenario.loading`` docstring and its YAML section, the
input rules of ``hdsim.config_base``; the CLI contract of ``hdsim.cli``): ``hdsim validate``
exits with code 2 and a message that names the line or the field path, never a traceback, never
a raw control character, within a bounded time whatever the file holds. Each case below is the
minimal valid scenario ``BASE`` with one bad thing added, and the fragment its message must
contain.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import hdsim.cli
from hdsim.scenario import ScenarioError, load_scenario, loading
from hdsim.scenario.config import Scenario

ROOT = Path(__file__).resolve().parents[2]
BASE = 'name: x\nepoch: "2027-03-01T00:00:00Z"\nduration_s: 100\n'
"""The minimal valid scenario: name (line 1), epoch (line 2), duration (line 3)."""

THREAT = ("threats:\n  - {{id: {id}, type: ballistic, launch: {{lat_deg: {lat}, lon_deg: 125.5}},"
          " target: {{lat_deg: 35.68, lon_deg: 139.77}}, burnout: {{speed_mps: 3016.1, "
          "flight_path_deg: 42.75, altitude_m: 0}}, vehicle: {{mass_kg: 500, "
          "reference_area_m2: 0.3, cd: 0.3}}}}\n")
"""A valid ballistic threat (on line 5 of BASE + THREAT), with its id and launch latitude."""

SECONDS = 5.0
"""Upper bound of the wall time of one case (each takes well under a second when alone)."""


def alias_bomb() -> str:
    """The "billion laughs": nine levels of nine aliases, 9**9 strings once expanded."""
    names = "abcdefghi"
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for prev, name in zip(names, names[1:], strict=False):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def million_items() -> str:
    return BASE + "x: [" + "1," * 999_999 + "1]\n"


def eleven_mib() -> str:
    return BASE + "# " + "x" * (11 * 2**20) + "\n"


def nested(depth: int, open_: str, close: str) -> str:
    return BASE + "x: " + open_ * depth + close * depth + "\n"


def block_nested(depth: int) -> str:
    return BASE + "".join(f"{'  ' * i}k{i}:\n" for i in range(depth)) + "  " * depth + "v\n"


# name -> (file content, or a function making it; fragment the message must contain)
Content = str | bytes | Callable[[], str]
CASES: dict[str, tuple[Content, str]] = {
    # ---- anchors, aliases, merge keys (refused while parsing, before anything is built)
    "alias bomb": (alias_bomb, "line 1, column 4: YAML anchors and aliases are not allowed"),
    "simple alias": (BASE + "seed: &s 1\nstep_s: *s\n", "line 4, column 7: YAML anchors"),
    "alias of an unknown anchor": (BASE + "seed: *nope\n", "(found *nope)"),
    "anchor without alias": (BASE + "earth: &e {shape: wgs84}\n", "line 4, column 8: YAML anchors"),
    "merge key": (BASE + "earth:\n  <<: {shape: wgs84}\n", "line 5, column 3: YAML merge keys"),
    "merge of an alias": (BASE + "b: &b {shape: wgs84}\nearth: {<<: *b}\n", "found &b"),
    # ---- size
    "11 MiB file": (eleven_mib, "a scenario file may be at most 10 MiB"),
    "1,000,000-item list": (million_items, "the YAML holds more than 200,000 values"),
    "5,000 nested lists": (BASE + "x: " + "[" * 5000, "line 4, column 67: lists and "
                           "mappings are nested more than 64 levels deep"),  # 64 with the top
    "5,000 closed nested lists": (lambda: nested(5000, "[", "]"), "more than 64 levels deep"),
    "5,000 nested flow mappings": (lambda: nested(5000, "{a: ", "}"), "more than 64 levels deep"),
    "100 nested block mappings": (lambda: block_nested(100), "more than 64 levels deep"),
    # ---- control characters anywhere in the file: line and the escaped character
    "NUL in a value": (BASE + "seed: 1\x00\n", r"line 4, column 8: the control character '\x00'"),
    "SOH in a key": (BASE + "se\x01ed: 1\n", r"line 4, column 3: the control character '\x01'"),
    "BEL in the name": ("name: x\x07\n", r"line 1, column 8: the control character '\x07'"),
    "backspace": (BASE + "\x08\n", r"line 4, column 1: the control character '\x08'"),
    "vertical tab": (BASE + "seed:\x0b1\n", r"line 4, column 6: the control character '\x0b'"),
    "form feed": ("name: x\x0c\n", r"the control character '\x0c'"),
    "shift out in a quoted value": ('name: "a\x0eb"\n', r"line 1, column 9: the control "
                                    r"character '\x0e'"),
    "raw escape in a comment": (BASE + "# \x1b[2J\n", r"line 4, column 3: the control character "
                                r"'\x1b'"),
    "unit separator": ("name: a\x1fb\n", r"line 1, column 8: the control character '\x1f'"),
    "DEL": ("name: a\x7f\n", r"line 1, column 8: the control character '\x7f'"),
    "C1 control (CSI)": ("name: a\x9b2J\n", r"line 1, column 8: the control character '\x9b'"),
    "non-character U+FFFE": ("name: \ufffe\n", r"the character '\ufffe' is not allowed"),
    "not UTF-8": (b"name: caf\xe9\n", "line 1: the file is not UTF-8 text (byte 0xe9"),
    # ---- YAML 1.1 surprises
    "duration true": (BASE.replace("100", "true"),
                      "duration_s = true: must be a number, not true or false (line 3)"),
    "seed false": (BASE + "seed: false\n", "seed = false: must be an integer, not true or false "
                   "(line 4)"),
    "launch latitude true": (BASE + THREAT.format(id="t", lat="true"),
                             "threats[0].launch.lat_deg = true: must be a number, not true or "
                             "false (line 5)"),
    "fire control (a dataclass) true": (BASE + "fire_control: {cadence_s: true}\n",
                                        "fire_control.cadence_s = true: must be a number"),
    "defended asset latitude true": (BASE + "defended_assets:\n  - {id: a, lat_deg: true, "
                                     "lon_deg: 1}\n", "defended_assets[0].lat_deg = true: must be "
                                     "a number, not true or false (line 5)"),
    "tracking (a dataclass) true": (BASE + "tracking: {singer_sigma_mps2: true}\n",
                                    "tracking.singer_sigma_mps2 = true: must be a number"),
    "true in a list of numbers": (BASE + "sensors:\n  space_layers:\n    - {id: l, preset: "
                                  "leo_tracking_layer, infrared: {band_um: [true, 5]}}\n",
                                  "infrared.band_um[0] = true: must be a number"),
    "octal-looking seed": (BASE + "seed: 010\n", "line 4, column 7: 010 is ambiguous"),
    "octal-looking negative": (BASE + "step_s: -07\n", "line 4, column 9: -07 is ambiguous"),
    "sexagesimal duration": (BASE.replace("100", "2:00"),
                             "duration_s = '2:00': must be a number (line 3)"),
    "sexagesimal h:m:s": (BASE.replace("100", "1:30:00"), "duration_s = '1:30:00': must be a "
                          "number (line 3)"),
    "epoch as a number": (BASE.replace('"2027-03-01T00:00:00Z"', "12345"),
                          "epoch = 12345: must be a UTC date and time such as "
                          "'2027-03-01T00:00:00Z' (ISO 8601 text), not a number (line 2)"),
    "epoch as a float": (BASE.replace('"2027-03-01T00:00:00Z"', "1.7e9"), "epoch = 1700000000.0: "
                         "must be a UTC date and time"),
    "explicit !!int octal": (BASE + "seed: !!int 010\n", "line 4, column 7: could not parse the "
                             "YAML: '010' is not an integer"),
    "explicit !!float sexagesimal": (BASE + "step_s: !!float 1:30\n", "'1:30' is not a number"),
    "integer of 5,000 digits": (BASE + "seed: " + "7" * 5000 + "\n", "too many digits"),
    "date that does not exist": (BASE.replace('"2027-03-01T00:00:00Z"', "2027-02-30"),
                                 "line 2, column 8: could not parse the YAML: '2027-02-30' is not "
                                 "a valid date and time"),
    "not a finite number": (BASE + "step_s: .nan\n", "step_s = nan: must be a finite number"),
    # ---- terminal escapes in values are refused and shown escaped
    "escape in the name": (BASE.replace("name: x", r'name: "x\e[2J"'),
                           r"name = 'x\x1b[2J': must not contain control characters (found "
                           r"'\x1b') (line 1)"),
    "newline in an id": (BASE + THREAT.format(id=r'"a\nb"', lat=39),
                         r"threats[0].id = 'a\nb': must not contain control characters"),
    "tab in the name": (r'name: "a\tb"' + "\n", r"name = 'a\tb': must not contain control"),
    "escape in a key": (BASE + r'"\e[31mred": 1' + "\n", r"\x1b[31mred: unknown field"),
    "bell in a preset name": (BASE + 'sensors:\n  radars:\n    - {id: r, preset: "x\\a"}\n',
                              r"'x\x07'"),
    # ---- tags
    "python object tag": (BASE + "x: !!python/object/apply:os.system [ls]\n",
                          "line 4, column 4: the YAML tag '!!python/object/apply:os.system' is "
                          "not allowed"),
    "binary tag": (BASE + "name: !!binary eA==\n", "the YAML tag '!!binary' is not allowed"),
    "set tag": (BASE + "x: !!set {a, b}\n", "the YAML tag '!!set' is not allowed"),
    "local tag": (BASE + "x: !local 1\n", "the YAML tag '!local' is not allowed"),
    # ---- plain malformed files (already refused before; kept working)
    "empty file": ("", "(top level): the scenario must be a mapping of fields"),
    "only a comment": ("# nothing\n", "got empty"),
    "list at top level": ("- a\n- b\n", "got a list"),
    "text at top level": ("just text\n", "got a str"),
    "tabs for indentation": (BASE + "earth:\n\tshape: wgs84\n", r"line 5, column 1: could not "
                             r"parse the YAML: found character '\t' that cannot start any token"),
    "duplicate key": (BASE + "seed: 1\nseed: 2\n", "line 5, column 1: could not parse the YAML: "
                      "duplicate key 'seed' (first given on line 4)"),
    "two documents": (BASE + "---\nname: y\n", "expected a single document"),
    "unclosed flow list": (BASE + "seed: [1, 2\n", "could not parse the YAML"),
    "unclosed quote": (BASE + "seed: 'x\n", "could not parse the YAML"),
    "unhashable key": (BASE + "? [a, b]\n: 1\n", "line 4, column 3: could not parse the YAML: "
                       "found unhashable key"),
    "5,000 bad threats": (lambda: BASE + "threats: [" + "{id: a}," * 5000 + "]\n",
                          "... and 9899 more problems"),
}


def validate(path: Path) -> tuple[int, str, float]:
    """Exit code, output and wall time of ``hdsim validate PATH``."""
    start = time.perf_counter()
    result = CliRunner().invoke(hdsim.cli.app, ["validate", str(path)])
    return result.exit_code, result.output, time.perf_counter() - start


def write(tmp_path: Path, content: Content) -> Path:
    path = tmp_path / "scenario.yaml"
    made = content() if callable(content) else content
    if isinstance(made, bytes):
        path.write_bytes(made)
    else:
        path.write_bytes(made.encode("utf-8"))  # byte for byte, no newline translation
    return path


def test_there_are_enough_cases():
    assert len(CASES) >= 40


@pytest.mark.parametrize("content, fragment", CASES.values(), ids=CASES.keys())
def test_hostile_file_is_refused_cleanly(tmp_path, content, fragment):
    path = write(tmp_path, content)
    code, output, seconds = validate(path)
    assert code == 2, output[:2000]
    assert "Traceback" not in output
    assert fragment in output, output[:2000]
    assert all(line.isprintable() for line in output.splitlines()), "raw control character"
    assert seconds < SECONDS


def test_base_scenario_is_valid(tmp_path):
    code, output, _ = validate(write(tmp_path, BASE + THREAT.format(id="t", lat=39)))
    assert code == 0, output
    assert output.startswith("OK: x: 1 threat")


@pytest.mark.parametrize("extra, field, value", [
    ("step_s: 1e-1\n", "step_s", 0.1),  # an exponent float without a dot (YAML 1.2)
    ("step_s: 5e0\n", "step_s", 5.0),
    ("seed: 0x10\n", "seed", 16),  # hex and 0o octal are explicit, so allowed (YAML 1.2)
    ("seed: 0o17\n", "seed", 15),
    ("seed: 1_000\n", "seed", 1000),
    ("seed: 0\n", "seed", 0),
    ("step_s: 0.5\n", "step_s", 0.5),
    ("step_s: 05.5\n", "step_s", 5.5),  # a leading zero before a dot is not ambiguous
], ids=lambda v: str(v).strip())
def test_yaml_1_2_numbers_still_read(tmp_path, extra, field, value):
    scenario = load_scenario(write(tmp_path, BASE + extra))
    assert getattr(scenario, field) == value


@pytest.mark.parametrize("text, name", [
    ("name: yes\n", "yes"),  # YAML 1.1 would make these booleans (and refuse the name)
    ("name: off\n", "off"),
    ("name: '010'\n", "010"),  # quoted: text
    ("name: 2:00\n", "2:00"),  # YAML 1.1: the number 120
    ("name: 1e3x\n", "1e3x"),
])
def test_yaml_1_1_scalars_are_text(tmp_path, text, name):
    assert load_scenario(write(tmp_path, text)).name == name


def test_unquoted_timestamp_and_booleans_still_work(tmp_path):
    scenario = load_scenario(write(tmp_path, "name: x\nepoch: 2027-03-01T00:00:00Z\n"
                                              "earth: {rotation: false, j2: True}\n"))
    assert scenario.epoch.year == 2027 and scenario.earth.rotation is False


def test_file_at_the_limit_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(loading, "MAX_FILE_BYTES", 200)
    text = BASE + "#" * (200 - len(BASE) - 1) + "\n"
    assert load_scenario(write(tmp_path, text)).name == "x"
    with pytest.raises(ScenarioError, match="a scenario file may be at most"):
        load_scenario(write(tmp_path, text + "#"))


def test_pure_python_parser_gives_the_same_messages(tmp_path, monkeypatch):
    """Without libyaml the loader runs on PyYAML's own parser: the same rules, same lines."""
    texts = [alias_bomb(), BASE + "earth:\n  <<: {shape: wgs84}\n", nested(5000, "[", "]"),
             BASE + "seed: 010\n", BASE + "x: !!binary eA==\n", BASE + "seed: 1\nseed: 2\n",
             BASE.replace("100", "true"), BASE.replace("100", "2:00"), BASE + "step_s: 1e-1\n"]
    fast = []
    for text in texts:
        fast.append(_outcome(write(tmp_path, text)))
    monkeypatch.setattr(loading, "_Loader", loading._PyLoader)
    slow = [_outcome(write(tmp_path, text)) for text in texts]
    assert slow == fast
    assert fast[-1] == "ok"


def _outcome(path: Path) -> str | list[str]:
    try:
        load_scenario(path)
    except ScenarioError as exc:
        return exc.problems
    return "ok"


def test_error_text_never_holds_raw_control_characters():
    exc = ScenarioError("file\x1b[2J.yaml", ["a\nb = 'c': bad \x07", "\u202eevil"])
    assert exc.problems == [r"a\nb = 'c': bad \x07", r"\u202eevil"]
    assert all(line.isprintable() for line in str(exc).splitlines())
    assert str(exc).startswith(r"file\x1b[2J.yaml: 2 problems:")


def test_long_problem_lists_are_cut_in_the_message():
    exc = ScenarioError("s.yaml", [f"p{i}" for i in range(250)])
    assert len(exc.problems) == 250
    lines = str(exc).splitlines()
    assert len(lines) == 1 + loading.MAX_PROBLEMS_SHOWN + 1
    assert lines[-1] == "  ... and 150 more problems"


def test_refusal_is_not_a_traceback_for_a_directory(tmp_path):
    code, output, _ = validate(tmp_path)
    assert code == 2 and "not a file" in output and "Traceback" not in output


# ---------------------------------------------------------------------------------------------
# Fuzzing: a mutated example scenario is either valid or a ScenarioError, never anything else
# ---------------------------------------------------------------------------------------------

HGV_LINES = (ROOT / "scenarios" / "hgv.yaml").read_text().splitlines(keepends=True)
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")

_line = st.integers(min_value=0, max_value=len(HGV_LINES) - 1)
_mutation = st.one_of(
    st.tuples(st.just("delete"), _line),
    st.tuples(st.just("duplicate"), _line),
    st.tuples(st.just("insert text"), _line, st.integers(0, 80), st.text(max_size=8)),
    st.tuples(st.just("insert bytes"), _line, st.integers(0, 80), st.binary(max_size=4)),
    st.tuples(st.just("number"), _line, st.integers(0, 5), st.text(max_size=6)),
)


def _mutate(lines: list[bytes], mutation: tuple) -> list[bytes]:
    kind, i, *args = mutation
    i = i % len(lines) if lines else 0
    if not lines:
        return lines
    if kind == "delete":
        return lines[:i] + lines[i + 1:]
    if kind == "duplicate":
        return lines[:i + 1] + lines[i:]
    line = lines[i]
    if kind in ("insert text", "insert bytes"):
        pos, what = args
        add = what.encode("utf-8") if isinstance(what, str) else what
        pos = min(pos, len(line))
        return [*lines[:i], line[:pos] + add + line[pos:], *lines[i + 1:]]
    which, text = args  # replace one number of the line by random text
    text_line = line.decode("utf-8", errors="replace")
    numbers = list(NUMBER.finditer(text_line))
    if not numbers:
        return lines
    m = numbers[which % len(numbers)]
    new = text_line[:m.start()] + text + text_line[m.end():]
    return [*lines[:i], new.encode("utf-8"), *lines[i + 1:]]


@settings(max_examples=200)
@given(mutations=st.lists(_mutation, min_size=1, max_size=3))
def test_mutated_example_is_valid_or_a_scenario_error(tmp_path_factory, mutations):
    lines = [line.encode("utf-8") for line in HGV_LINES]
    for mutation in mutations:
        lines = _mutate(lines, mutation)
    path = tmp_path_factory.mktemp("fuzz") / "hgv.yaml"
    path.write_bytes(b"".join(lines))
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        assert exc.problems
        assert all(line.isprintable() for line in str(exc).splitlines())
    else:
        assert isinstance(scenario, Scenario)
