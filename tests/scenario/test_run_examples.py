"""Every example scenario in scenarios/ runs end to end and its results obey the contract of
docs/results.md (columns, the impact row on the ground) and physics made certain by construction
(aimed and guided threats hit their targets)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from hdsim.results import read_summary
from hdsim.scenario import load_scenario
from hdsim.scenario.run import run_scenario

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (ROOT / "scenarios").glob("*.yaml"))
TRUTH_COLUMNS = ["threat_id", "t_s", "x_m", "y_m", "z_m", "vx_mps", "vy_mps", "vz_mps",
                 "lat_deg", "lon_deg", "alt_m", "speed_mps", "mach", "phase"]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path: Path, tmp_path: Path) -> None:
    scenario = load_scenario(path)
    if not scenario.threats:
        pytest.skip("coverage-only scenario (run by the coverage tests)")
    out = tmp_path / "run"
    run_scenario(scenario, out, quiet=True)
    truth = pq.read_table(out / "truth.parquet")
    assert truth.column_names[: len(TRUTH_COLUMNS)] == TRUTH_COLUMNS
    summary = read_summary(out)
    assert [r["threat_id"] for r in summary["threats"]] == [t.id for t in scenario.threats]
    df = truth.to_pydict()
    ids = np.array(df["threat_id"])
    for row in summary["threats"]:
        sel = ids == row["threat_id"]
        t = np.array(df["t_s"])[sel]
        assert np.all(np.diff(t) > 0)
        if row.get("outcome") == "killed":
            # A killed threat's truth ends at the kill, at the kill altitude.
            assert np.array(df["phase"], dtype=object)[sel][-1] == "killed"
            assert abs(np.array(df["alt_m"])[sel][-1] - row["kill_alt_m"]) < 1.0
        elif row["impacted"]:
            # The last row is the impact point, interpolated to the ground (target altitude 0).
            assert abs(np.array(df["alt_m"])[sel][-1]) < 1.0
            assert np.array(df["phase"], dtype=object)[sel][-1] == "impact"
            # Aimed ballistic missiles and guided gliders/cruise missiles hit their targets.
            assert row["impact_error_m"] < 2000.0, row


def test_raid_has_ten_or_more_threats_of_every_type() -> None:
    sc = load_scenario(ROOT / "scenarios" / "raid.yaml")
    assert len(sc.threats) >= 10
    assert {t.type for t in sc.threats} == {"ballistic", "boost_glide", "cruise"}


def test_cli_run_end_to_end(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from hdsim.cli import app

    out = tmp_path / "cruise"
    res = CliRunner().invoke(app, ["run", str(ROOT / "scenarios" / "cruise.yaml"), "--out",
                                   str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    assert (out / "truth.parquet").is_file() and (out / "summary.json").is_file()


@pytest.mark.parametrize("burnout, needle", [
    ("{aim: lofted, speed_mps: 1500, altitude_m: 60000}", "out of reach at burnout speed 1500"),
    ("{aim: depressed, speed_mps: 1500, altitude_m: 60000}", "out of reach at burnout speed"),
])
def test_cli_target_out_of_reach(tmp_path: Path, burnout: str, needle: str) -> None:
    from typer.testing import CliRunner

    from hdsim.cli import app

    f = tmp_path / "far.yaml"
    f.write_text(f"""name: far
threats:
  - id: bm-far
    type: ballistic
    launch: {{lat_deg: 39.0, lon_deg: 125.5}}
    target: {{lat_deg: 35.68, lon_deg: 139.77}}
    burnout: {burnout}
""")
    res = CliRunner().invoke(app, ["run", str(f), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    text = res.output + (res.stderr if hasattr(res, "stderr") else "")
    assert "threats[0].target" in text and needle in text
    assert "Traceback" not in text
    assert not (tmp_path / "o").exists()


def test_cli_glider_out_of_reach(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from hdsim.cli import app

    f = tmp_path / "far.yaml"
    f.write_text("""name: far
threats:
  - id: hgv-far
    type: boost_glide
    launch: {lat_deg: 40.0, lon_deg: 104.0}
    target: {lat_deg: -30.0, lon_deg: -60.0}
    burnout: {speed_mps: 3000, altitude_m: 40000}
""")
    res = CliRunner().invoke(app, ["validate", str(f)])
    assert res.exit_code == 2
    text = res.output + (res.stderr if hasattr(res, "stderr") else "")
    assert "threats[0].target" in text and "out of reach of a glide" in text
