"""The CZML scene of a run folder (``hdsim view --export``).

Oracles: the run's own Parquet tables read directly with pyarrow (the CZML samples of each
threat are its truth rows; the intercept point is the truth interpolated by SciPy's
``CubicHermiteSpline``), NumPy's eigenvalues and SciPy's rotations (a covariance ellipsoid
rebuilt from its radii and quaternion is the track's position covariance), pymap3d's
geodetic -> ECEF (radar and weapon sites), and the CZML rules (``document`` packet first with
a clock, unique ids, JSON). The CLI contract in cli.py: exit code 2 and one line, no
traceback, on a folder that is not a finished run or without Cesium.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pymap3d
import pytest
from scipy.interpolate import CubicHermiteSpline
from scipy.spatial.transform import Rotation
from typer.testing import CliRunner

from hdsim.cli import app
from hdsim.results import read_run, read_summary, write_run
from hdsim.scenario.loading import load_scenario
from hdsim.scenario.run import run_scenario
from hdsim.viz import load_run
from hdsim.viz.czml import SceneSites, scene_czml, write_scene

SCENARIO = """
name: view-test
epoch: "2027-03-01T00:00:00Z"
duration_s: 400
seed: 3
step_s: 1.0
threats:
  - id: hcm-1
    type: cruise
    launch: {lat_deg: 36.0, lon_deg: 135.0}
    target: {lat_deg: 35.68, lon_deg: 139.77}
    cruise: {mach: 5, altitude_m: 26000}
  - id: hcm-2
    type: cruise
    launch: {lat_deg: 37.0, lon_deg: 135.5}
    target: {lat_deg: 35.60, lon_deg: 139.70}
    launch_time_s: 30
    cruise: {mach: 5, altitude_m: 24000}
sensors:
  space_layers:
    - id: leo
      walker: {total: 24, planes: 4, phasing: 1, altitude_m: 1000000, inclination_deg: 70}
  radars:
    - id: xband
      preset: xband_long_range
      site: {lat_deg: 35.40, lon_deg: 139.40, alt_m: 50}
tracking: {filter: ekf}
"""
WEAPON_SITE = (35.70, 139.90, 10.0)
WEAPONS = f"""
weapons:
  - id: sam-1
    type: interceptor
    site: {{lat_deg: {WEAPON_SITE[0]}, lon_deg: {WEAPON_SITE[1]}, alt_m: {WEAPON_SITE[2]}}}
"""


def lines(text: str) -> list[str]:
    return [ln for ln in text.splitlines() if ln.strip()]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("view")
    (folder / "s.yaml").write_text(SCENARIO)
    out = folder / "run"
    run_scenario(load_scenario(folder / "s.yaml"), out, quiet=True)
    truth = pq.read_table(out / "truth.parquet").to_pydict()
    end = {tid: t for tid, t in zip(truth["threat_id"], truth["t_s"], strict=True)}
    kill_t = end["hcm-1"]
    # Shots written into the folder (the engagement stage is not what is tested here): a kill
    # at the threat's last truth time, a miss mid-flight, a shot at a false track.
    shots = pa.table({
        "shot_id": [0, 1, 2],
        "weapon_id": ["sam-1"] * 3,
        "track_id": [0, 1, 9],
        "threat_id": ["hcm-1", "hcm-2", None],
        "launch_t_s": [150.0, 160.0, 170.0],
        "intercept_t_s": [kill_t, 231.5, float("nan")],
        "miss_m": [0.5, 42.0, float("nan")],
        "outcome": ["kill", "miss", "no_intercept"],
        "predicted_intercept_t_s": [kill_t - 1.0, 230.0, 240.0],
        "pip_lat_deg": [35.7, 35.8, 35.9],
        "pip_lon_deg": [139.3, 139.2, 139.1],
        "pip_alt_m": [20_000.0, 22_000.0, 21_000.0],
        "planned_pk": [0.9, 0.8, 0.7],
    })
    return write_run(out, read_run(out) | {"engagements": shots}, read_summary(out))


@pytest.fixture(scope="module")
def scene(run_dir) -> list[dict]:
    path = write_scene(run_dir)
    assert path == (run_dir / "scene.czml").absolute()
    return json.loads(path.read_text(encoding="utf-8"))  # valid JSON


@pytest.fixture(scope="module")
def sites(run_dir) -> SceneSites:
    """The run's scenario with a weapon added (its site is what the scene needs)."""
    path = run_dir.parent / "with_weapon.yaml"
    path.write_text(SCENARIO + WEAPONS)
    return SceneSites.from_scenario(load_scenario(path))


def packets(scene: list[dict]) -> dict[str, dict]:
    return {p["id"]: p for p in scene}


def samples(prop: dict, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Times (s since the property's epoch) and values of a CZML time-tagged sample list."""
    key = next(k for k in ("cartesian", "unitQuaternion") if k in prop)
    a = np.asarray(prop[key], dtype=float).reshape(-1, width + 1)
    return a[:, 0], a[:, 1:]


def epoch_offset_s(iso: str, epoch: str) -> float:
    parse = dt.datetime.fromisoformat
    return (parse(iso.replace("Z", "+00:00")) - parse(epoch)).total_seconds()


def test_first_packet_is_the_document_with_a_clock_over_the_run(scene, run_dir):
    doc = scene[0]
    summary = read_summary(run_dir)
    assert doc["id"] == "document" and doc["version"] == "1.0"
    assert doc["name"] == summary["scenario"]
    start, stop = doc["clock"]["interval"].split("/")
    assert epoch_offset_s(start, summary["epoch"]) == pytest.approx(0.0)
    last = max(t["end_time_s"] for t in summary["threats"])
    assert last <= epoch_offset_s(stop, summary["epoch"]) <= summary["duration_s"]
    ids = [p["id"] for p in scene]
    assert len(ids) == len(set(ids))  # CZML would merge packets of one id
    assert sum(i == "document" for i in ids) == 1


def test_every_threat_has_packets_and_its_samples_are_its_truth(scene, run_dir):
    truth = pq.read_table(run_dir / "truth.parquet").to_pydict()
    by_id = packets(scene)
    epoch = read_summary(run_dir)["epoch"]
    for tid in dict.fromkeys(truth["threat_id"]):
        assert any(tid in pid for pid in by_id if pid != "document")
        packet = by_id[f"threat/{tid}"]
        assert epoch_offset_s(packet["position"]["epoch"], epoch) == 0.0
        t, pos = samples(packet["position"], 3)
        rows = [k for k, x in enumerate(truth["threat_id"]) if x == tid]
        truth_t = np.array([truth["t_s"][k] for k in rows])
        truth_pos = np.array([[truth[c][k] for c in ("x_m", "y_m", "z_m")] for k in rows])
        assert t[0] == truth_t[0] and t[-1] == pytest.approx(truth_t[-1], abs=1e-3)
        for time in t[:: max(1, t.size // 7)]:
            k = int(np.argmin(np.abs(truth_t - time)))
            assert abs(truth_t[k] - time) < 1e-3
            assert np.linalg.norm(pos[np.searchsorted(t, time)] - truth_pos[k]) < 1.0  # metre
        phases = [truth["phase"][k] for k in rows]
        segments = [p for p in by_id if p.startswith(f"threat/{tid}/path/")]
        flown = [ph for k, ph in enumerate(phases) if k == 0 or ph != phases[k - 1]]
        assert len(segments) == len([ph for ph in flown if ph not in ("impact", "killed")])


def test_satellites_tracks_and_radars_are_in_the_scene(scene, run_dir):
    by_id = packets(scene)
    sats = set(pq.read_table(run_dir / "satellites.parquet", columns=["sat_id"])
               .column("sat_id").to_pylist())
    assert {f"satellite/{s}" for s in sats} <= set(by_id)
    assert "radar/xband" in by_id
    tracks = pq.read_table(run_dir / "tracks.parquet").to_pydict()
    confirmed = {tid for tid, st in zip(tracks["track_id"], tracks["status"], strict=True)
                 if st in ("confirmed", "coasting")}
    assert confirmed and {f"track/{t}" for t in confirmed} == {p for p in by_id
                                                              if p.startswith("track/")}


def test_covariance_ellipsoids_are_the_tracks_3_sigma_position_covariance(scene, run_dir):
    tracks = pq.read_table(run_dir / "tracks.parquet").to_pydict()
    with_cov = [p for p in scene if p["id"].startswith("track/") and "ellipsoid" in p]
    assert with_cov
    for packet in with_cov:
        tid = int(packet["id"].split("/")[1])
        rows = [k for k, x in enumerate(tracks["track_id"]) if x == tid]
        t_r, radii = samples(packet["ellipsoid"]["radii"], 3)
        t_q, quat = samples(packet["orientation"], 4)
        np.testing.assert_array_equal(t_r, t_q)
        for j in range(0, t_r.size, max(1, t_r.size // 5)):
            k = max(r for r in rows if abs(tracks["t_s"][r] - t_r[j]) < 1e-3)
            cov = np.array([[tracks[f"cov_{min(a, b)}{max(a, b)}"][k] for b in range(3)]
                            for a in range(3)])
            np.testing.assert_allclose(np.sort(radii[j]), 3 * np.sqrt(np.linalg.eigvalsh(cov)),
                                       atol=0.006)
            rot = Rotation.from_quat(quat[j]).as_matrix()
            rebuilt = rot @ np.diag((radii[j] / 3) ** 2) @ rot.T
            np.testing.assert_allclose(rebuilt, cov, atol=1e-3 * np.trace(cov))


def test_intercepts_are_the_truth_at_the_intercept_time_shown_from_then(scene, run_dir):
    by_id = packets(scene)
    truth = pq.read_table(run_dir / "truth.parquet").to_pydict()
    epoch = read_summary(run_dir)["epoch"]
    shots = pq.read_table(run_dir / "engagements.parquet").to_pydict()
    for sid, tid, t1 in zip(shots["shot_id"], shots["threat_id"], shots["intercept_t_s"],
                            strict=True):
        if tid is None:
            assert f"shot/{sid}/intercept" not in by_id
            continue
        rows = [k for k, x in enumerate(truth["threat_id"]) if x == tid]
        col = {c: np.array([truth[c][k] for k in rows]) for c in truth if c != "threat_id"
               and c != "phase"}
        pos = np.stack([col[c] for c in ("x_m", "y_m", "z_m")], axis=-1)
        vel = np.stack([col[c] for c in ("vx_mps", "vy_mps", "vz_mps")], axis=-1)
        expected = CubicHermiteSpline(col["t_s"], pos, vel)(t1)
        packet = by_id[f"shot/{sid}/intercept"]
        assert np.linalg.norm(np.array(packet["position"]["cartesian"]) - expected) < 1.0
        start = packet["availability"].split("/")[0]
        assert epoch_offset_s(start, epoch) == pytest.approx(t1, abs=1e-5)
    assert "predicted intercept point" in by_id["shot/1"]["name"]  # no weapon site known


def test_scenario_sites_give_radar_domes_footprints_and_fly_outs(run_dir, sites, tmp_path):
    path = write_scene(run_dir, tmp_path / "sites.czml", sites)
    by_id = packets(json.loads(path.read_text(encoding="utf-8")))
    radar = by_id["radar/xband"]
    expected = pymap3d.geodetic2ecef(35.40, 139.40, 50.0)
    assert np.linalg.norm(np.array(radar["position"]["cartesian"]) - expected) < 1.0
    assert radar["ellipsoid"]["radii"]["cartesian"] == [3.0e6] * 3  # xband_long_range preset
    clock = radar["ellipsoid"]
    assert clock["maximumClock"] - clock["minimumClock"] == pytest.approx(2 * np.pi)
    assert clock["maximumCone"] == pytest.approx(np.radians(90 - 0.5))
    # 1,000 km, field of regard 120°: the cone reaches past the limb; the cap is the horizon's.
    sat = next(p for p in by_id.values() if p["id"].startswith("satellite/"))
    horizon_m = 6_371_000.0 * np.arccos(6_371_000.0 / 7_371_000.0)  # 1,000 km up
    assert sat["ellipse"]["semiMajorAxis"] == pytest.approx(horizon_m, rel=0.01)
    site = np.array(pymap3d.geodetic2ecef(*WEAPON_SITE))
    assert np.linalg.norm(np.array(by_id["weapon/sam-1"]["position"]["cartesian"]) - site) < 1
    t, pos = samples(by_id["shot/1"]["position"], 3)
    np.testing.assert_allclose(t, [160.0, 231.5])
    assert np.linalg.norm(pos[0] - site) < 1.0
    intercept = np.array(by_id["shot/1/intercept"]["position"]["cartesian"])
    assert np.linalg.norm(pos[1] - intercept) < 1.0


def test_thinning_keeps_phase_changes_and_the_last_sample(run_dir):
    run = load_run(run_dir)
    doc = json.loads(scene_czml(run, max_samples=20).model_dump_json(exclude_none=True))
    truth = pq.read_table(run_dir / "truth.parquet").to_pydict()
    for tid in ("hcm-1", "hcm-2"):
        t, _ = samples(packets(doc)[f"threat/{tid}"]["position"], 3)
        rows = [k for k, x in enumerate(truth["threat_id"]) if x == tid]
        phases = [truth["phase"][k] for k in rows]
        times = [truth["t_s"][k] for k in rows]
        changes = [times[k] for k in range(1, len(rows)) if phases[k] != phases[k - 1]]
        assert t.size < 20 + 2 * len(changes) + 2
        assert set(np.round(changes, 3)) <= set(t.tolist())
        assert t[-1] == pytest.approx(times[-1], abs=1e-3)
    with pytest.raises(ValueError, match="max_samples"):
        scene_czml(run, max_samples=1)


def test_a_raid_sized_scene_stays_a_few_megabytes():
    """The raid example's scene is 0.9 MB; a run with tables of its sizes (synthetic values)
    must stay under 5 MB."""
    doc = scene_czml(raid_sized_run())
    assert len(doc.model_dump_json(exclude_none=True)) < 5_000_000


def raid_sized_run():
    """A run whose tables have the raid's sizes: 6 threats of 700 s at 1 s, 96
    satellites every 10 s for 1,500 s, 11 tracks of 1,300 rows (synthetic values)."""
    from hdsim.viz import RunData

    rng = np.random.default_rng(1)
    n_t = 700
    t = np.arange(n_t, dtype=float)
    truth = {c: [] for c in ("threat_id", "t_s", "x_m", "y_m", "z_m", "vx_mps", "vy_mps",
                             "vz_mps", "phase")}
    for k in range(6):
        base = np.array(pymap3d.geodetic2ecef(35.0 + k, 130.0, 30_000.0))
        vel = np.array([1000.0, 2000.0, 500.0])
        truth["threat_id"] += [f"t-{k}"] * n_t
        truth["t_s"] += t.tolist()
        for i, c in enumerate("xyz"):
            truth[f"{c}_m"] += (base[i] + vel[i] * t).tolist()
            truth[f"v{c}_mps"] += [vel[i]] * n_t
        truth["phase"] += ["boost"] * 100 + ["glide"] * 590 + ["terminal"] * 10
    sat_t = np.arange(0.0, 1501.0, 10.0)
    sats = {"layer_id": [], "sat_id": [], "t_s": [], "x_m": [], "y_m": [], "z_m": []}
    for s in range(96):
        ang = sat_t / 6000.0 * 2 * np.pi + s
        sats["layer_id"] += ["leo"] * sat_t.size
        sats["sat_id"] += [f"s{s}"] * sat_t.size
        sats["t_s"] += sat_t.tolist()
        sats["x_m"] += (7.37e6 * np.cos(ang)).tolist()
        sats["y_m"] += (7.37e6 * np.sin(ang)).tolist()
        sats["z_m"] += [0.0] * sat_t.size
    n_r = 1300
    tracks: dict[str, list] = {"track_id": [], "t_s": [], "x_m": [], "y_m": [], "z_m": [],
                               "status": [], "truth_id": []}
    cov = {f"cov_{a}{b}": [] for a in range(6) for b in range(a, 6)}
    for k in range(11):
        tracks["track_id"] += [k] * n_r
        tracks["t_s"] += np.linspace(0.0, 650.0, n_r).tolist()
        for c in "xyz":
            tracks[f"{c}_m"] += (6.4e6 + rng.normal(0, 1e3, n_r)).tolist()
        tracks["status"] += ["confirmed"] * n_r
        tracks["truth_id"] += [f"t-{k % 6}"] * n_r
        for name in cov:
            a, b = int(name[4]), int(name[5])
            cov[name] += [2500.0 if a == b else 100.0] * n_r
    tables = {"truth": pa.table(truth), "satellites": pa.table(sats),
              "tracks": pa.table(tracks | cov)}
    return RunData(tables=tables, summary={"scenario": "raid-sized", "epoch":
                                           "2027-03-01T00:00:00+00:00", "duration_s": 1500.0})


runner = CliRunner()


def test_cli_export_writes_the_scene_and_prints_its_path(run_dir):
    (run_dir / "scene.czml").unlink(missing_ok=True)
    result = runner.invoke(app, ["view", str(run_dir), "--export"])
    assert result.exit_code == 0, result.output
    assert str((run_dir / "scene.czml").absolute()) in result.output.replace("\n", "")
    assert json.loads((run_dir / "scene.czml").read_text(encoding="utf-8"))[0]["id"] == \
        "document"


@pytest.mark.parametrize("name", ["not-a-run", "missing"])
def test_cli_view_refuses_a_folder_that_is_not_a_finished_run(tmp_path, name):
    folder = tmp_path / name
    if name == "not-a-run":
        folder.mkdir()
    for args in (["--export"], ["--no-browser"]):
        result = runner.invoke(app, ["view", str(folder), *args])
        assert result.exit_code == 2
        assert "Traceback" not in result.output
        message = "not a finished hdsim run" if name == "not-a-run" else "no such run folder"
        assert message in result.output.replace("\n", " ")
        assert len(lines(result.output)) == 1
    assert not (folder / "scene.czml").exists()


def test_cli_view_without_cesium_says_how_to_install_it(run_dir, monkeypatch):
    import hdsim.viz.globe as globe

    monkeypatch.setattr(globe, "cesium_build_dir", lambda web_dir=globe.WEB_DIR: None)
    result = runner.invoke(app, ["view", str(run_dir), "--no-browser"])
    assert result.exit_code == 2
    text = result.output.replace("\n", " ")
    assert "Cesium is not installed" in text and "npm ci --prefix" in text
    assert "Traceback" not in result.output
    export = runner.invoke(app, ["view", str(run_dir), "--export"])  # needs no Cesium
    assert export.exit_code == 0, export.output
