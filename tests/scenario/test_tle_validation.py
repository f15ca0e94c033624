"""A TLE file with a bad checksum is a validation error naming the field, before anything runs."""

from __future__ import annotations

from pathlib import Path

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
