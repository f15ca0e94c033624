"""HTML report of a run folder and the ``hdsim report`` command.

Oracles: the run's own ``summary.json`` and ``engagements.parquet`` (every value appears in the
page, exactly in a cell's ``title`` and rounded in its text), the figures the run supports (one
embedded PNG each, decodable), the CLI contract in cli.py (exit code 2 and a message on a bad
folder, no traceback).
"""

from __future__ import annotations

import base64
import io
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.image as mpimg
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from hdsim.cli import app
from hdsim.results import read_run, read_summary, write_run
from hdsim.scenario.loading import load_scenario
from hdsim.scenario.run import run_scenario
from hdsim.viz import write_report

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SENSORS = """
sensors:
  space_layers:
    - {id: leo, walker: {total: 48, planes: 6, phasing: 1, altitude_m: 1000000,
                         inclination_deg: 70}}
  radars:
    - {id: xband, preset: xband_long_range, site: {lat_deg: 37.9, lon_deg: 139.0, alt_m: 10}}
"""
SHOTS = {
    "shot_id": ["s1", "s2"],
    "weapon_id": ["rg-1", "sam-1"],
    "track_id": [0, 1],
    "threat_id": ["hcm-1", "hcm-1"],
    "launch_t_s": [300.0, 350.0],
    "intercept_t_s": [420.0, 440.0],
    "miss_m": [512.25, 1.75],
    "outcome": ["miss", "kill"],
}


class Page(HTMLParser):
    """Images, table cells (text and title) and all links of an HTML page."""

    def __init__(self, text: str):
        super().__init__()
        self.imgs: list[dict[str, str | None]] = []
        self.cells: list[tuple[str, str | None]] = []  # (text, title)
        self.refs: list[str] = []
        self._cell: list | None = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a)
        for key in ("src", "href"):
            if a.get(key):
                self.refs.append(a[key])
        if tag == "td":
            self._cell = ["", a.get("title")]

    def handle_data(self, data):
        if self._cell is not None:
            self._cell[0] += data

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self.cells.append((self._cell[0], self._cell[1]))
            self._cell = None

    def exact(self) -> set[str]:
        """Every cell's exact value (its title, or its text when shown exactly)."""
        return {title if title is not None else text for text, title in self.cells}


@pytest.fixture(scope="module")
def sensed(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sensed")
    (folder / "s.yaml").write_text((SCENARIOS / "cruise.yaml").read_text() + SENSORS)
    out = folder / "run"
    run_scenario(load_scenario(folder / "s.yaml"), out, quiet=True)
    return write_run(out, read_run(out) | {"engagements": pa.table(SHOTS)}, read_summary(out))


@pytest.fixture(scope="module")
def bare(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bare") / "run"
    run_scenario(load_scenario(SCENARIOS / "cruise.yaml"), out, quiet=True)
    return out


def check_images(page: Page, n: int) -> None:
    assert len(page.imgs) == n
    for img in page.imgs:
        src = img["src"]
        assert src.startswith("data:image/png;base64,")
        data = base64.b64decode(src.split(",", 1)[1], validate=True)
        assert mpimg.imread(io.BytesIO(data), format="png").shape[0] > 100
        assert img.get("alt")


def test_report_embeds_every_figure_and_the_summary_values(sensed):
    path = write_report(sensed)
    assert path == (sensed / "report.html").absolute()
    text = path.read_text(encoding="utf-8")
    page = Page(text)
    check_images(page, 7)  # kill chain, ground track, flight profile, detections, tracking,
    #                        OSPA, shots
    assert all(ref.startswith("data:") for ref in page.refs)  # self-contained
    exact = page.exact()
    texts = {t for t, _ in page.cells}
    summary = read_summary(sensed)
    (threat,) = summary["threats"]
    for key in ("flight_time_s", "ground_range_m", "max_mach", "apogee_m", "impact_error_m",
                "rmse_pos_m", "pcrlb_pos_m", "mean_nees", "custody", "first_confirmed_s"):
        assert repr(threat[key]) in exact, key
    assert f"{threat['flight_time_s']:.1f}" in texts
    assert f"{threat['ground_range_m'] / 1e3:,.1f}" in texts       # km
    assert f"{100 * threat['custody']:.1f}" in texts                # %
    assert f"{threat['rmse_pos_m']:.1f}" in texts
    for row in summary["detection"]:
        assert {row["layer_id"], repr(row["fraction_detected"]),
                repr(row["longest_gap_s"])} <= exact
    for shot, miss, outcome in zip(SHOTS["shot_id"], SHOTS["miss_m"], SHOTS["outcome"],
                                   strict=True):
        assert {shot, repr(miss), outcome} <= exact
    assert repr(summary["tracking"]["mean_ospa_m"]) in exact
    assert f"<h1>{summary['scenario']}</h1>" in text


def test_report_of_a_run_without_sensors_has_two_figures(bare, tmp_path):
    out = tmp_path / "nested" / "r.html"
    path = write_report(bare, out)
    assert path == out.absolute()
    page = Page(out.read_text(encoding="utf-8"))
    check_images(page, 2)
    assert repr(read_summary(bare)["threats"][0]["max_speed_mps"]) in page.exact()
    assert sorted(p.name for p in out.parent.iterdir()) == ["r.html"]  # no temporary left
    assert not (bare / "report.html").exists()


def test_report_replaces_an_existing_file(bare, tmp_path):
    out = tmp_path / "r.html"
    out.write_text("old")
    write_report(bare, out)
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_report_refuses_a_folder_that_is_not_a_run(tmp_path):
    (tmp_path / "truth.parquet").write_bytes(b"")
    with pytest.raises(ValueError, match="_SUCCESS"):
        write_report(tmp_path)
    with pytest.raises(ValueError, match="no such run folder"):
        write_report(tmp_path / "missing")
    assert not (tmp_path / "report.html").exists()


runner = CliRunner()


def test_cli_report_prints_the_path(bare, tmp_path):
    out = tmp_path / "cli.html"
    result = runner.invoke(app, ["report", str(bare), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out.absolute()) in result.output.replace("\n", "")
    assert len(Page(out.read_text(encoding="utf-8")).imgs) == 2


@pytest.mark.parametrize("name", ["not-a-run", "missing"])
def test_cli_report_fails_cleanly_on_a_bad_folder(tmp_path, name):
    folder = tmp_path / name
    if name == "not-a-run":
        folder.mkdir()
    result = runner.invoke(app, ["report", str(folder)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    message = "not a finished hdsim run" if name == "not-a-run" else "no such run folder"
    assert message in result.output.replace("\n", " ")
    assert not (folder / "report.html").exists()
