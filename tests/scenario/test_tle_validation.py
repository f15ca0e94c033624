"""TLE files named by a scenario: validation errors naming the field, before anything runs.

A bad checksum, stale element sets; and a file that is not TLEs at all (a password file, a
binary, a huge or sparse file, a FIFO): refused from its size or at its first line that cannot
be a TLE line, with the file, the line number and what was expected, never the line's text.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hdsim.cli import app
from hdsim.space import SAMPLE_TLE_PATH


def test_bad_tle_checksum_is_reported_by_validate(tmp_path: Path) -> None:
    lines = Path(SAMPLE_TLE_PATH).read_text().splitlines()[:3]
    last = lines[2]
    bad_digit = str((int(last[68]) + 1) % 10)
    lines[2] = last[:68] + bad_digit + last[69:]
    (tmp_path / "bad.tle").write_text("\n".join(lines) + "\n")
    (tmp_path / "sc.yaml").write_text(
        "name: tle\nsensors:\n  space_layers:\n    - id: l\n      tle_file: bad.tle\n")
    res = CliRunner().invoke(app, ["validate", str(tmp_path / "sc.yaml")])
    text = res.output + (res.stderr if hasattr(res, "stderr") else "")
    assert res.exit_code == 2
    assert "sensors.space_layers[0].tle_file" in text and "checksum" in text
    assert "Traceback" not in text


def test_good_tle_file_validates(tmp_path: Path) -> None:
    (tmp_path / "good.tle").write_text(Path(SAMPLE_TLE_PATH).read_text())
    (tmp_path / "sc.yaml").write_text(
        "name: tle\nsensors:\n  space_layers:\n    - id: l\n      tle_file: good.tle\n"
        "      max_tle_age_days: null\n")
    res = CliRunner().invoke(app, ["validate", str(tmp_path / "sc.yaml")])
    assert res.exit_code == 0, res.output


def test_stale_tles_are_refused_naming_the_layer_and_the_gap(tmp_path: Path) -> None:
    """The sample sets (epochs 2008-2020) in a 2027 scenario: SGP4 would give kilometre errors
    or no position at all (123 of 369 satellite rows were NaN); refused before anything runs."""
    from hdsim.space import read_tle

    epochs = read_tle(SAMPLE_TLE_PATH).epochs_utc
    (tmp_path / "old.tle").write_text(Path(SAMPLE_TLE_PATH).read_text())
    (tmp_path / "sc.yaml").write_text(
        'name: tle\nepoch: "2027-03-01T00:00:00Z"\nsensors:\n  space_layers:\n'
        "    - id: l\n      tle_file: old.tle\n")
    res = CliRunner().invoke(app, ["validate", str(tmp_path / "sc.yaml")])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "sensors.space_layers[0].tle_file = 'old.tle': element sets up to" in res.output
    assert f"epochs {min(epochs):%Y-%m-%d} to {max(epochs):%Y-%m-%d}" in res.output
    assert "at most max_tle_age_days = 30" in res.output


# ---------------------------------------------------------------------------------------------
# A file named by a scenario is read only as TLEs: bounded, line by line, never quoted
# ---------------------------------------------------------------------------------------------

SECRET = "root:$6$abcSALTsalt$Qx9hashHASHhash0123456789:19000:0:99999:7:::"
SECRET67 = (SECRET + "x" * 67)[:66] + ":"  # "1 " + this is as long as a TLE line


def _validate_tle(tmp_path: Path, name: str) -> tuple[int, str]:
    (tmp_path / "sc.yaml").write_text(
        "name: tle\nsensors:\n  space_layers:\n    - id: l\n"
        f"      tle_file: {name}\n      max_tle_age_days: null\n")
    res = CliRunner().invoke(app, ["validate", str(tmp_path / "sc.yaml")])
    return res.exit_code, res.output


@pytest.mark.parametrize(("content", "fragment"), [
    (SECRET + "\n", "line 1: file ends inside the TLE that starts at line 1"),
    (SECRET + "\ndaemon:x:1:1::/:/usr/sbin/nologin\n",
     "line 2: expected TLE line 1 (a line starting '1 ') after the name line 1"),
    ("1 " + SECRET + "\n", f"line 1: TLE line 1 must be 69 characters, found {len(SECRET) + 2}"),
    ("1 " + SECRET67 + "\n", "line 1: TLE checksum mismatch: expected "),
    ("1 " + SECRET67 + "\n", "(computed from columns 1-68), found no digit in column 69"),
    ("ISS\n" + "1 " + SECRET67 + "\n" + SECRET + "\n", "line 2: TLE checksum mismatch"),
    ("x" * 5000 + SECRET + "\n", "line 1: longer than a TLE line (69) or a name line"),
    (SECRET * 30000, "line 1: longer than a TLE line (69) or a name line"),  # no newline
    ("ok name\n\x1b]0;" + SECRET + "\x07\n", "line 2: expected TLE line 1"),
    ("\x1b[2J" + SECRET + "\n", "line 1: expected TLE line 1 (starting '1 ') or a satellite "
     "name line, found a line with control characters"),
], ids=["one line", "passwd", "line 1 of other length", "line 1 of TLE length",
        "line 1 of TLE length, column 69",
        "line 2 of secret", "long line", "one huge line", "escape later", "escape first"])
def test_a_file_that_is_not_tles_is_refused_without_quoting_it(tmp_path, content, fragment):
    (tmp_path / "secret.tle").write_text(content)
    code, output = _validate_tle(tmp_path, "secret.tle")
    assert code == 2 and "Traceback" not in output
    assert "sensors.space_layers[0].tle_file = 'secret.tle'" in output
    assert fragment in output, output
    flat = output.replace("\n", "").replace(str(tmp_path), "<dir>")
    for piece in ("root:", "$6$", "SALT", "Qx9hash", "daemon", "nologin", "99999"):
        assert piece not in flat, (piece, output)
    assert "\x1b" not in output and all(line.isprintable() for line in output.splitlines())


def test_a_binary_file_is_refused_at_its_line(tmp_path):
    (tmp_path / "bin.tle").write_bytes(b"ISS\n\xff\xd8\xff\xe0 secret-bytes\n")
    code, output = _validate_tle(tmp_path, "bin.tle")
    assert code == 2 and "line 2: not text (expected ASCII TLE lines)" in output
    assert "secret" not in output


def test_a_too_big_file_is_refused_from_its_size_without_reading_it(tmp_path, monkeypatch):
    from hdsim.space import tle

    big = tmp_path / "big.tle"
    with open(big, "wb") as f:  # sparse: 60 MiB long, nothing on disk
        f.truncate(60 * 2**20)
    opened = []
    real_open = open
    monkeypatch.setattr("builtins.open", lambda p, *a, **k: (
        opened.append(str(p)), real_open(p, *a, **k))[1])
    start = time.perf_counter()
    with pytest.raises(ValueError, match="the file is 60.0 MiB: a TLE file may be at most 50 MiB"):
        tle.read_tle(big)
    assert time.perf_counter() - start < 0.5
    assert str(big) not in opened
    monkeypatch.undo()
    code, output = _validate_tle(tmp_path, "big.tle")
    assert code == 2 and "a TLE file may be at most 50 MiB" in output


def test_a_file_that_grows_past_the_limit_while_read_is_refused(tmp_path, monkeypatch):
    from hdsim.space import tle

    monkeypatch.setattr(tle, "MAX_TLE_FILE_BYTES", 1000)
    text = Path(SAMPLE_TLE_PATH).read_text()
    (tmp_path / "s.tle").write_text(text)
    monkeypatch.setattr(tle.os, "stat", lambda p: os.stat_result((0o100644, 0, 0, 1, 0, 0, 10,
                                                                   0, 0, 0)))
    with pytest.raises(ValueError, match="larger than that: a TLE file may be at most"):
        tle.read_tle(tmp_path / "s.tle")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_or_device_is_not_read(tmp_path):
    os.mkfifo(tmp_path / "pipe.tle")  # opening it would block forever
    code, output = _validate_tle(tmp_path, "pipe.tle")
    assert code == 2 and "not a regular file" in output
    from hdsim.space import read_tle

    with pytest.raises(ValueError, match="not a regular file"):
        read_tle(tmp_path / "pipe.tle")


def test_a_tle_path_too_long_is_a_clean_error(tmp_path):
    code, output = _validate_tle(tmp_path, "a" * 5000)
    assert code == 2 and "Traceback" not in output
    assert "cannot be used as a file path" in output or "file not found" in output


def test_satellites_sgp4_cannot_propagate_are_named_not_written_as_nan(tmp_path: Path) -> None:
    """The stale sample sets allowed on purpose (``max_tle_age_days: null``) in a 2027 run:
    ``satellites.parquet`` holds no NaN, and ``summary.json`` names each satellite SGP4 could
    not propagate, with its first failed time — the same satellites the ``sgp4`` package
    itself reports errors for at those times (an independent check)."""
    import math

    import numpy as np
    import pyarrow.parquet as pq
    from sgp4.api import Satrec, jday

    from hdsim.results import read_summary
    from hdsim.scenario.loading import scenario_from_dict
    from hdsim.scenario.run import run_scenario

    (tmp_path / "old.tle").write_text(Path(SAMPLE_TLE_PATH).read_text())
    sc = scenario_from_dict({
        "name": "stale", "epoch": "2027-03-01T00:00:00Z", "duration_s": 120, "step_s": 10,
        "threats": [{"id": "bm", "type": "ballistic", "launch": {"lat_deg": 36.6,
                     "lon_deg": 137.6}, "target": {"lat_deg": 35.68, "lon_deg": 139.77},
                     "burnout": {"aim": "minimum_energy", "altitude_m": 25000,
                                 "burn_time_s": 25}, "vehicle": "rv_generic"}],
        "sensors": {"space_layers": [{"id": "l", "tle_file": "old.tle",
                                      "max_tle_age_days": None}]}}, base_dir=tmp_path)
    out = tmp_path / "run"
    run_scenario(sc, out, quiet=True)
    sats = pq.read_table(out / "satellites.parquet")
    assert np.isfinite(np.asarray(sats["x_m"])).all()
    failed = read_summary(out).get("satellites_not_propagated", [])
    assert failed, "the stale sample sets should include satellites SGP4 cannot propagate"
    lines = Path(SAMPLE_TLE_PATH).read_text().splitlines()
    by_name = {}
    for i in range(len(lines) - 2):
        if lines[i + 1].startswith("1 ") and lines[i + 2].startswith("2 "):
            by_name[lines[i].strip()] = Satrec.twoline2rv(lines[i + 1], lines[i + 2])
    jd, fr = jday(2027, 3, 1, 0, 0, 0.0)
    checked = 0
    for f in failed:
        sat = by_name.get(f["sat_id"])
        if sat is None:
            continue
        e, _, _ = sat.sgp4(jd, fr + f["first_t_s"] / 86400.0)
        assert e != 0, f
        checked += 1
        assert math.isfinite(f["first_t_s"]) and f["rows"] >= 1
    assert checked == len(failed), "every named satellite is one of the file's"
