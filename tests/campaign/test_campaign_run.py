"""Campaigns end to end: Dask workers, resume after a crash, a killed worker, failed draws.

Oracle: the same campaign run uninterrupted in one process (``workers=0``): every draw's tables
must come back byte for byte, each run exactly once, whatever the number of workers, a crash of
the main process, or a worker killed mid-campaign. Also the draws' own ``hdsim.run`` with the
planned seed and values (a campaign run is the run of its scenario, not an approximation).
"""

from __future__ import annotations

import os
import signal

import pyarrow.parquet as pq
import pytest

import hdsim
from hdsim.campaign.runner import load_campaign, open_campaign, run_campaign

SCENARIO = {
    "name": "campaign-test", "epoch": "2027-03-01T00:00:00Z", "duration_s": 300, "seed": 5,
    "threats": [{"id": "bm-1", "type": "ballistic",
                 "launch": {"lat_deg": 36.6, "lon_deg": 137.6},
                 "target": {"lat_deg": 35.68, "lon_deg": 139.77},
                 "burnout": {"aim": "minimum_energy", "altitude_m": 25000, "burn_time_s": 25},
                 "vehicle": "rv_generic"}],
    "sensors": {"radars": [{"id": "xband-1", "preset": "xband_long_range",
                            "site": {"lat_deg": 36.0, "lon_deg": 139.0, "alt_m": 100}}]},
    "tracking": {"filter": "ekf"},
    "weapons": [{"id": "railgun-1", "type": "railgun",
                 "site": {"lat_deg": 35.60, "lon_deg": 139.60, "alt_m": 5},
                 "muzzle_speed_mps": 2300}],
    "defended_assets": [{"id": "capital", "lat_deg": 35.68, "lon_deg": 139.77,
                         "radius_m": 20000}],
    "campaign": {"runs": 3, "vary": {
        "weapons.railgun-1.muzzle_speed_mps": {"list": [1800, 2400]},
        "threats.bm-1.launch_time_s": {"uniform": {"low": 0, "high": 20}}}},
}
TABLES = ("threats.parquet", "engagements.parquet")


def _pieces(folder):
    runs = folder / "runs"
    return {(p.name, t): (p / t).read_bytes() for p in sorted(runs.iterdir())
            if not p.name.startswith(".") for t in TABLES if (p / t).is_file()}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("ref") / "c"
    return run_campaign(SCENARIO, out, workers=0)


def test_summary_catalog_and_a_draw_equal_to_its_own_run(reference):
    c = reference
    grid = c.summary["grid"].to_pylist()
    assert [g["weapons.railgun-1.muzzle_speed_mps"] for g in grid] == [1800, 2400]
    assert all(g["runs_ok"] == 3 and g["runs_failed"] == 0 for g in grid)
    assert 0.0 <= grid[0]["p_no_leaker_lo"] <= grid[0]["p_no_leaker"] <= grid[0]["p_no_leaker_hi"]
    runs = c.sql("SELECT run_id, seed, status FROM runs ORDER BY run_id").to_pylist()
    assert len(runs) == 6 and {r["status"] for r in runs} == {"ok"}
    n = c.sql("SELECT count(*) AS n FROM threat_outcomes").to_pylist()[0]["n"]
    assert n == 6
    for name in ("summary.json", "sweep.png", "catalog.duckdb", "summary_threats.parquet"):
        assert (c.out_dir / name).is_file(), name
    # draw g0001-r000002 is hdsim.run of the scenario with its planned seed and values
    info = c.sql("SELECT * FROM runs WHERE run_id = 'g0001-r000002'").to_pylist()[0]
    sc = {k: v for k, v in SCENARIO.items() if k != "campaign"}
    own = hdsim.run(sc, seed=int(info["seed"]), overrides={
        "weapons.railgun-1.muzzle_speed_mps": 2400,
        "threats.bm-1.launch_time_s": info["threats.bm-1.launch_time_s"]})
    eng = pq.read_table(c.out_dir / "runs" / "g0001-r000002" / "engagements.parquet")
    assert eng.drop_columns(["run_id"]).equals(own["engagements"])


@pytest.mark.slow
def test_two_dask_workers_and_a_killed_worker_give_the_same_tables(reference, tmp_path):
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=":0") as cluster, Client(cluster) as client:
        killed = []

        def kill_one(done, total):
            if done == 1 and not killed:     # a worker dies with a draw in flight
                pid = next(iter(client.run(os.getpid).values()))
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

        c = run_campaign(SCENARIO, tmp_path / "c", client=client, progress=kill_one)
    assert killed
    assert _pieces(c.out_dir) == _pieces(reference.out_dir)
    assert c.sql("SELECT count(*) AS n FROM runs").to_pylist()[0]["n"] == 6


def test_a_crashed_campaign_resumes_with_nothing_lost_or_twice(reference, tmp_path):
    out = tmp_path / "c"

    class Crash(Exception):
        pass

    def crash_after_two(done, total):
        if done == 2:
            raise Crash

    with pytest.raises(Crash):
        run_campaign(SCENARIO, out, workers=0, progress=crash_after_two)
    assert len([p for p in (out / "runs").iterdir()]) == 2
    # a write the crash interrupted leaves a hidden temporary folder: cleaned, never read
    (out / "runs" / ".g0000-r000002.tmp-abc").mkdir()
    (out / "runs" / ".g0000-r000002.tmp-abc" / "threats.parquet").write_bytes(b"partial")
    seen = []
    c = run_campaign(SCENARIO, out, workers=0, progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, 4)                      # only the four missing draws ran
    assert _pieces(c.out_dir) == _pieces(reference.out_dir)
    assert sorted(p.name for p in (out / "runs").iterdir()) == sorted(
        p.name for p in (reference.out_dir / "runs").iterdir())
    # a rerun with nothing left runs nothing; `summary` reopens it
    seen.clear()
    run_campaign(SCENARIO, out, workers=0, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(0, 0)]
    assert open_campaign(out).summary["grid"].equals(c.summary["grid"])


def test_another_campaign_is_not_mixed_into_a_folder(reference, tmp_path):
    other = dict(SCENARIO, seed=6)
    with pytest.raises(ValueError, match="another scenario or campaign section"):
        run_campaign(other, reference.out_dir, workers=0)
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep")
    with pytest.raises(ValueError, match="not an hdsim campaign folder"):
        run_campaign(SCENARIO, tmp_path / "mine", workers=0)
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep"


def test_a_failing_draw_is_recorded_and_the_campaign_goes_on(tmp_path, monkeypatch):
    import hdsim.scenario.run as run_loop

    real = run_loop.run_scenario

    def flaky(scenario, out_dir=None, quiet=True):
        if scenario.threats[0].launch_time_s > 10.0:
            raise RuntimeError("injected failure")
        return real(scenario, out_dir, quiet=quiet)

    monkeypatch.setattr(run_loop, "run_scenario", flaky)
    sc = dict(SCENARIO, campaign={"runs": 4, "vary": {
        "threats.bm-1.launch_time_s": {"uniform": {"low": 0, "high": 20}}}})
    c = run_campaign(sc, tmp_path / "c", workers=0)
    runs = c.sql("SELECT run_id, status, error, \"threats.bm-1.launch_time_s\" AS t0 "
                 "FROM runs ORDER BY run_id").to_pylist()
    assert len(runs) == 4
    for r in runs:
        assert (r["status"] == "failed") == (r["t0"] > 10.0)
        if r["status"] == "failed":
            assert r["error"] == "RuntimeError: injected failure"
    g = c.summary["grid"].to_pylist()[0]
    assert g["runs_ok"] + g["runs_failed"] == 4 and g["runs_failed"] >= 1


def test_campaign_file_and_cli_errors(tmp_path):
    import yaml
    from typer.testing import CliRunner

    from hdsim.cli import app

    scen = {k: v for k, v in SCENARIO.items() if k != "campaign"}
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(scen))
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(
        {"scenario": "s.yaml", "runs": 2,
         "vary": {"weapons.railgun-2.muzzle_speed_mps": {"list": [1, 2]}}}))
    res = CliRunner().invoke(app, ["campaign", str(tmp_path / "c.yaml"), "--out",
                                   str(tmp_path / "out")])
    assert res.exit_code == 2
    assert "campaign.vary.weapons.railgun-2.muzzle_speed_mps" in res.output
    assert not (tmp_path / "out").exists()
    inp = load_campaign(tmp_path / "c.yaml", runs=5,
                        overrides={"campaign.vary": {}, "tracking.filter": "imm"})
    assert inp.section.runs == 5 and inp.data["tracking"]["filter"] == "imm"
    res = CliRunner().invoke(app, ["campaign", str(tmp_path / "s.yaml"), "--out",
                                   str(tmp_path / "out")])
    assert res.exit_code == 2 and "campaign: missing" in res.output


def test_the_example_campaign_is_valid():
    from pathlib import Path

    from hdsim.campaign.plan import plan_draws

    path = Path(__file__).resolve().parents[2] / "scenarios" / "campaigns" / "railgun_sweep.yaml"
    inp = load_campaign(path)
    draws = plan_draws(inp.section, inp.scenario_seed)
    assert len(draws) == 3 * inp.section.runs
    assert {d.values["weapons.railgun-1.muzzle_speed_mps"] for d in draws} == {1800, 2300, 2800}


@pytest.mark.slow
def test_nees_runs_on_the_campaign_executor_give_the_same_numbers():
    import numpy as np

    from hdsim.campaign.nees import nees_runs

    sc = hdsim.load_scenario({k: v for k, v in SCENARIO.items()
                              if k not in ("campaign", "weapons", "defended_assets")})
    one = nees_runs(sc, runs=3, jobs=1)
    two = nees_runs(sc, runs=3, jobs=2)
    np.testing.assert_array_equal(one.mean_nees, two.mean_nees)
    np.testing.assert_array_equal(one.nees_t, two.nees_t)
    assert np.isfinite(one.mean_nees).all()


@pytest.mark.slow
def test_a_killed_main_process_resumes_with_nothing_lost_or_twice(reference, tmp_path):
    """SIGKILL of the `hdsim campaign` process once two draws are on disk, then the same
    command again: every draw present once, tables as in the uninterrupted campaign."""
    import subprocess
    import sys
    import time

    import yaml

    (tmp_path / "c.yaml").write_text(yaml.safe_dump(SCENARIO))
    out = tmp_path / "out"
    cmd = [sys.executable, "-c", "from hdsim.cli import app; app()", "campaign",
           str(tmp_path / "c.yaml"), "--out", str(out), "--workers", "0", "--quiet"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        t0 = time.monotonic()
        while time.monotonic() - t0 < 120:
            done = [p for p in (out / "runs").glob("g*") if (p / "_SUCCESS").is_file()] \
                if (out / "runs").is_dir() else []
            if len(done) >= 2 or proc.poll() is not None:
                break
            time.sleep(0.05)
        proc.kill()
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert len(done) >= 2
    assert not (out / "catalog.duckdb").exists()       # killed before the end
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert _pieces(out) == _pieces(reference.out_dir)
    c = open_campaign(out)
    assert c.sql("SELECT count(*) AS n, count(DISTINCT run_id) AS d FROM runs").to_pylist() == \
        [{"n": 6, "d": 6}]
