"""The report's sections follow the folder it is given: a run, a coverage or a NEES folder.

Oracles, independent of the report's own code: the folder's Parquet tables read with pyarrow
(kills and leakers from the last truth row of each threat, rounds and kills per weapon from
``engagements.parquet``, first detections from ``detections.parquet``, the decisions of
``engagement_reasons.parquet``, the cos-latitude mean of ``coverage.parquet``), the NEES
figure ``hdsim nees`` itself wrote (``nees.png``, compared pixel for pixel), and the CLI
contract (exit code 2 and one line for a folder that is none of those kinds).
"""

from __future__ import annotations

import base64
import io
import re
import textwrap
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from hdsim.cli import app
from hdsim.results import write_run
from hdsim.scenario import scenario_from_dict
from hdsim.scenario.coverage import run_coverage
from hdsim.scenario.loading import load_scenario
from hdsim.scenario.run import run_scenario
from hdsim.viz import load_run, write_report
from hdsim.viz.killchain import kill_chain_figure

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"

MINI_RAID = {
    "name": "mini-raid",
    "epoch": "2027-03-01T00:00:00Z",
    "duration_s": 500,
    "seed": 5,
    "threats": [
        {"id": "hcm-1", "type": "cruise",  # flies at the battery: engaged and killed
         "launch": {"lat_deg": 35.0, "lon_deg": 134.5},
         "target": {"lat_deg": 35.68, "lon_deg": 139.77},
         "cruise": {"mach": 5, "altitude_m": 26000}},
        {"id": "bm-1", "type": "ballistic",  # lands 600 km short of it: tracked, not engaged
         "launch": {"lat_deg": 39.0, "lon_deg": 125.5},
         "target": {"lat_deg": 38.5, "lon_deg": 131.0},
         "burnout": {"speed_mps": 2500, "flight_path_deg": 45, "altitude_m": 40000},
         "vehicle": {"mass_kg": 500, "reference_area_m2": 0.3, "cd": 0.3}},
    ],
    "sensors": {"radars": [
        {"id": "xband", "preset": "xband_long_range",
         "site": {"lat_deg": 35.4, "lon_deg": 139.4, "alt_m": 50}},
        {"id": "xband-w", "preset": "xband_long_range",
         "site": {"lat_deg": 37.0, "lon_deg": 131.0, "alt_m": 50}}]},
    "weapons": [{"id": "sam-1", "type": "interceptor",
                 "site": {"lat_deg": 35.70, "lon_deg": 139.90, "alt_m": 10}}],
    "fire_control": {"doctrine": "shoot_look_shoot"},
    "defended_assets": [{"id": "capital", "lat_deg": 35.68, "lon_deg": 139.77,
                         "radius_m": 20000}],
}

COVERAGE = """
name: cov-mini
epoch: "2027-03-01T00:00:00Z"
duration_s: 3600
sensors:
  space_layers:
    - id: leo
      walker: {total: 24, planes: 4, phasing: 1, altitude_m: 1000000, inclination_deg: 70}
coverage:
  region: {lat_min_deg: 20, lat_max_deg: 50, lon_min_deg: 120, lon_max_deg: 160}
  grid_deg: 10
  altitude_m: 40000
  start_s: 0
  end_s: 3600
  step_s: 300
"""


class Page(HTMLParser):
    """Tables (id, header cells, rows of (text, title) cells, inside a scroll container or
    not), figures (id -> PNG bytes), the headline, and every text and attribute value."""

    def __init__(self, text: str):
        super().__init__()
        self.tables: list[dict] = []
        self.figures: dict[str, bytes] = {}
        self.texts: list[str] = []
        self.attrs: list[str] = []
        self.scroll_styles = re.search(r"\.scroll\s*\{([^}]*)\}", text).group(1)
        self._stack: list[tuple[str, dict]] = []
        self._figure: str | None = None
        self._cell: list | None = None
        self.feed(text)
        self.headline = re.search(r'<p class="headline" id="headline">(.*?)</p>', text,
                                  re.S).group(1)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.attrs += [v for k, v in a.items() if v and not (tag == "img" and k == "src")]
        if tag == "table":
            scroll = any(t == "div" and "scroll" in (x.get("class") or "").split()
                         for t, x in self._stack)
            self.tables.append({"id": a.get("id"), "scroll": scroll, "rows": []})
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th"):
            self._cell = ["", a.get("title")]
        elif tag == "figure":
            self._figure = a["id"]
        elif tag == "img" and self._figure is not None:
            self.figures[self._figure] = base64.b64decode(a["src"].split(",", 1)[1])
        if tag not in ("img", "meta", "br"):
            self._stack.append((tag, a))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1]["rows"][-1].append(tuple(self._cell))
            self._cell = None
        if tag == "figure":
            self._figure = None
        while self._stack:
            if self._stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not self._stack or self._stack[-1][0] not in ("style", "script"):
            self.texts.append(data)
        if self._cell is not None:
            self._cell[0] += data

    def table(self, table_id: str) -> list[list[tuple[str, str | None]]]:
        (t,) = [t for t in self.tables if t["id"] == table_id]
        return t["rows"]

    def rows(self, table_id: str) -> list[dict[str, str]]:
        """Rows of a one-row-per-item table as header -> cell text."""
        head, *body = self.table(table_id)
        return [{h[0]: c[0] for h, c in zip(head, row, strict=True)} for row in body]


@pytest.fixture(scope="module")
def raid(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("raid") / "run"
    run_scenario(scenario_from_dict(MINI_RAID), out, quiet=True)
    return out


@pytest.fixture(scope="module")
def raid_page(raid) -> Page:
    return Page(write_report(raid).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def coverage(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("coverage")
    (folder / "c.yaml").write_text(textwrap.dedent(COVERAGE))
    run_coverage(load_scenario(folder / "c.yaml"), folder / "cov", quiet=True)
    return folder / "cov"


@pytest.fixture(scope="module")
def nees(tmp_path_factory) -> Path:
    """A folder written by `hdsim nees` itself, on made-up NEES runs (the Monte Carlo runs
    are not what is tested here)."""
    from hdsim.campaign import nees as consistency

    def fake(scenario, runs, jobs, progress):
        g = np.arange(6.0)
        return consistency.NeesRuns(
            threat_ids=["hgv-1", "hgv-2"], seeds=np.arange(runs),
            n_rows=np.full((runs, 2), 50), mean_nees=np.tile([6.1, 20.0], (runs, 1)),
            rmse_pos_m=np.full((runs, 2), 40.0), t_s=g,
            nees_t=np.array([[6.0, 5.0, 7.0, 30.0, 6.0, 5.5], [20.0] * 6]),
            runs_t=np.full((2, 6), runs))

    out = tmp_path_factory.mktemp("nees") / "n"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(consistency, "nees_runs", fake)
        result = CliRunner().invoke(app, ["nees", str(SCENARIOS / "hgv_defense.yaml"),
                                          "--out", str(out), "--runs", "4"])
    assert result.exit_code == 0, result.output
    return out


def _png(data: bytes) -> np.ndarray:
    return mpimg.imread(io.BytesIO(data), format="png")


# ---------------------------------------------------------------------------- run folder


def test_raid_headline_counts_match_the_tables(raid, raid_page):
    truth = pq.read_table(raid / "truth.parquet").to_pylist()
    last = {}
    for row in truth:  # rows of a threat are in time order: the last one is its end
        last[row["threat_id"]] = row["phase"]
    n, killed = len(last), sum(p == "killed" for p in last.values())
    leaked = sum(p == "impact" for p in last.values())
    shots = pq.read_table(raid / "engagements.parquet").to_pylist()
    assert killed == 1 and leaked == 1 and len(shots) >= 1  # what the scenario is built for
    text = " ".join(raid_page.headline.split())
    assert text.startswith(f"{killed} of {n} threats killed, {leaked} leaked ")
    rounds = len(shots)
    assert text.endswith(f"{rounds} round{'' if rounds == 1 else 's'} fired")
    fired = Counter(s["weapon_id"] for s in shots)
    kills = Counter(s["weapon_id"] for s in shots if s["outcome"] == "kill")
    weapons = {r["weapon"]: r for r in raid_page.rows("weapons")}
    assert set(weapons) == set(fired)
    for w, row in weapons.items():
        assert (int(row["rounds fired"]), int(row["kills"])) == (fired[w], kills[w])
    # the headline comes before every other section
    assert raid_page.tables[0]["id"] == "weapons"


def test_raid_kill_chain_table_and_figure(raid, raid_page):
    det = pq.read_table(raid / "detections.parquet").to_pylist()
    first = {}
    for d in det:
        if d["truth_id"] is not None:
            first[d["truth_id"]] = min(first.get(d["truth_id"], np.inf), d["t_s"])
    rows = {r["threat"]: r for r in raid_page.rows("kill-chain")}
    assert set(rows) == {"hcm-1", "bm-1"}
    for tid, t in first.items():
        assert rows[tid]["detected (s)"] == f"{t:,.1f}"
    assert rows["hcm-1"]["outcome"] == "killed" and rows["bm-1"]["outcome"] == "leaked"
    assert int(rows["bm-1"]["rounds fired"]) == 0
    assert "kill_chain" in raid_page.figures
    assert _png(raid_page.figures["kill_chain"]).shape[0] > 100

    fig = kill_chain_figure(load_run(raid))
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["hcm-1", "bm-1"]
    marks = {ln.get_gid(): ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_gid()}
    for tid, t in first.items():
        assert marks[f"detected:{tid}"] == t
    shots = pq.read_table(raid / "engagements.parquet").to_pylist()
    kill = [s for s in shots if s["outcome"] == "kill"]
    assert marks["kill:hcm-1"] == pytest.approx(kill[0]["intercept_t_s"], abs=1e-6)
    bm = [r for r in pq.read_table(raid / "truth.parquet").to_pylist()
          if r["threat_id"] == "bm-1"]
    assert marks["impact:bm-1"] == pytest.approx(bm[-1]["t_s"], abs=1e-6)
    legend = {t.get_text() for t in ax.get_legend().get_texts()}
    assert {"first detection", "track confirmed", "fire-control quality", "round fired",
            "kill", "impact"} <= legend


def test_raid_why_not_engaged(raid, raid_page):
    why = raid_page.rows("why-not-engaged")
    assert [r["threat"] for r in why] == ["bm-1"]
    assert why[0]["why not engaged"].startswith("sam-1: ")
    reasons = pq.read_table(raid / "engagement_reasons.parquet").to_pylist()
    total = Counter()
    for r in reasons:
        total[(r["weapon_id"], r["threat_id"])] += r["decisions"]
    shown = {(r["weapon"], r["threat"]): int(r["decisions"].replace(",", ""))
             for r in raid_page.rows("reasons")}
    assert shown == dict(total)


def test_raid_run_section_is_readable(raid_page):
    run = raid_page.table("run")
    labels = [row[0][0] for row in run]
    values = " ".join(row[1][0] for row in run)
    assert "epoch (UTC)" in labels and "wall time: tracking (s)" in labels
    assert not any("timings_s" in x or "." in x.split(" ")[0] for x in labels)
    assert "{" not in values and "'" not in values and "[" not in values
    assert "weapons" not in labels  # a table of its own, in the outcome section


def test_raid_report_numbers_are_plain_and_tables_fit(raid_page):
    check_plain_and_fitting(raid_page)


def check_plain_and_fitting(page: Page) -> None:
    sci = re.compile(r"\d[eE][+-]?\d")
    bad = [t for t in page.texts + page.attrs if sci.search(t)]
    assert not bad, bad[:5]
    assert re.search(r"max-width:\s*100%", page.scroll_styles)
    assert re.search(r"overflow-x:\s*auto", page.scroll_styles)
    for t in page.tables:
        columns = max(len(r) for r in t["rows"])
        assert t["scroll"] or columns <= 4, t["id"]


# ---------------------------------------------------------------------- coverage and NEES


def test_coverage_report_has_its_maps_and_no_run_figures(coverage):
    text = write_report(coverage).read_text(encoding="utf-8")
    page = Page(text)
    assert list(page.figures) == ["coverage"]
    assert _png(page.figures["coverage"]).shape[0] > 100
    assert "no threats" not in text and "flight_profile" not in text
    cov = pq.read_table(coverage / "coverage.parquet").to_pydict()
    w = np.cos(np.radians(cov["lat_deg"]))
    f1 = np.sum(w * np.asarray(cov["fraction_1"])) / np.sum(w)
    merit = {row[0][0]: row[1][0] for row in page.table("figures-of-merit")}
    assert merit["time seen by ≥ 1 satellite (%)"] == f"{100 * f1:.1f}"
    assert f"by at least one satellite {100 * f1:.1f} %" in " ".join(page.headline.split())
    check_plain_and_fitting(page)


def test_nees_report_has_the_nees_figure_and_verdicts(nees):
    page = Page(write_report(nees).read_text(encoding="utf-8"))
    assert list(page.figures) == ["nees"]
    drawn = _png(page.figures["nees"])
    stored = _png((nees / "nees.png").read_bytes())  # the figure `hdsim nees` drew
    assert drawn.shape == stored.shape and np.array_equal(drawn, stored)
    verdicts = {r["threat"]: (r["mean NEES"], r["verdict"]) for r in page.rows("nees")}
    assert verdicts == {"hgv-1": ("6.10", "consistent"), "hgv-2": ("20.00", "INCONSISTENT")}
    assert len(page.rows("runs")) == 8  # 2 threats × 4 runs
    check_plain_and_fitting(page)


# ---------------------------------------------------------------------------- other folders


def _finished_other(folder: Path) -> Path:
    return write_run(folder / "other", {"stuff": pa.table({"a": [1, 2]})}, {"what": "else"})


def _campaign(folder: Path) -> Path:
    (folder / "camp").mkdir()
    (folder / "camp" / "campaign.json").write_text("{}")
    return folder / "camp"


def _empty(folder: Path) -> Path:
    (folder / "empty").mkdir()
    return folder / "empty"


@pytest.mark.parametrize(("make", "message"), [
    (_finished_other, "not a run, coverage or NEES result folder"),
    (_campaign, "a campaign folder"),
    (_empty, "not a finished hdsim run"),
])
def test_unknown_folder_is_a_one_line_error_and_exit_2(tmp_path, make, message):
    folder = make(tmp_path)
    result = CliRunner().invoke(app, ["report", str(folder)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and str(folder) in lines[0]
    assert not (folder / "report.html").exists()
