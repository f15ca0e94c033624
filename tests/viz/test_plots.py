"""Figures of a run folder: each shows the run's own data.

Oracles: the Parquet tables read directly with pyarrow (the plotted truth is the truth table),
pymap3d's ECEF -> geodetic conversion (track estimates and kill markers on the map), SciPy's
``CubicHermiteSpline`` of the truth table (track position error, shot positions), the
scenario's radar site (radar marker), pymap3d's Vincenty inverse (``vdist``: asset circles,
weapon rings and radar fans at their radius), and the documented structure of each figure
(number of axes, one line per threat / layer / shot).
"""

from __future__ import annotations

import io
from pathlib import Path

import matplotlib.image as mpimg
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pymap3d
import pytest
from matplotlib.colors import same_color
from matplotlib.lines import Line2D
from pymap3d.vincenty import vdist
from scipy.interpolate import CubicHermiteSpline

from hdsim.results import read_run, read_summary, write_run
from hdsim.scenario.loading import load_scenario
from hdsim.scenario.run import run_scenario
from hdsim.viz import (
    OUTCOME_COLORS,
    RunData,
    detection_timeline,
    engagement_timeline,
    figures,
    flight_profile,
    ground_track,
    load_run,
    ospa_timeline,
    png_bytes,
    tracking_errors,
)
from hdsim.viz.plots import PHASE_STYLES, figure_bytes

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
RADAR_SITE_DEG = (37.9, 139.0)
SENSORS = f"""
sensors:
  space_layers:
    - {{id: leo, walker: {{total: 48, planes: 6, phasing: 1, altitude_m: 1000000,
                          inclination_deg: 70}}}}
  radars:
    - {{id: xband, preset: xband_long_range,
        site: {{lat_deg: {RADAR_SITE_DEG[0]}, lon_deg: {RADAR_SITE_DEG[1]}, alt_m: 10}}}}
"""
SHOTS = {
    "shot_id": ["s1", "s2", "s3"],
    "weapon_id": ["rg-1", "rg-1", "sam-1"],
    "track_id": [0, 0, 1],
    "threat_id": ["hcm-1", "hcm-1", "hcm-1"],
    "launch_t_s": [300.0, 330.0, 350.0],
    "intercept_t_s": [420.0, None, 440.0],
    "miss_m": [500.0, None, 2.0],
    "outcome": ["miss", "aborted", "kill"],
}


def make_sensed_run(folder: Path) -> Path:
    """The cruise example with a LEO layer and a radar, plus a hand-made engagements table (the
    engagement stage is not in the run loop yet)."""
    text = (SCENARIOS / "cruise.yaml").read_text() + SENSORS
    (folder / "s.yaml").write_text(text)
    out = folder / "run"
    run_scenario(load_scenario(folder / "s.yaml"), out, quiet=True)
    tables = read_run(out) | {"engagements": pa.table(SHOTS)}
    return write_run(out, tables, read_summary(out))


@pytest.fixture(scope="module")
def sensed(tmp_path_factory) -> Path:
    return make_sensed_run(tmp_path_factory.mktemp("sensed"))


@pytest.fixture(scope="module")
def bare(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bare") / "run"
    run_scenario(load_scenario(SCENARIOS / "hgv.yaml"), out, quiet=True)
    return out


def truth_of(run_dir: Path) -> dict[str, dict[str, np.ndarray]]:
    t = pq.read_table(run_dir / "truth.parquet").to_pydict()
    ids = np.array(t["threat_id"])
    out = {}
    for tid in dict.fromkeys(t["threat_id"]):
        m = ids == tid
        cols = {k: np.array(v)[m] for k, v in t.items()}
        order = np.argsort(cols["t_s"], kind="stable")
        out[tid] = {k: v[order] for k, v in cols.items()}
    return out


def line(ax, gid: str):
    found = [ln for ln in ax.get_lines() if ln.get_gid() == gid]
    assert len(found) == 1, f"expected one line {gid!r}, found {len(found)}"
    return found[0]


def visible_axes(fig):
    return [ax for ax in fig.axes if ax.get_visible()]


# ----------------------------------------------------------------------------- ground track


@pytest.mark.parametrize("which", ["bare", "sensed"])
def test_ground_track_plots_the_truth_table(which, request):
    run_dir = request.getfixturevalue(which)
    fig = ground_track(load_run(run_dir))
    (ax,) = fig.axes
    summary = {r["threat_id"]: r for r in read_summary(run_dir)["threats"]}
    truth = truth_of(run_dir)
    assert list(truth) == list(summary)  # every threat, in scenario order
    assert len(truth) >= (2 if which == "bare" else 1)
    for tid, tr in truth.items():
        ln = line(ax, f"truth:{tid}")
        np.testing.assert_allclose(ln.get_xdata(), tr["lon_deg"], atol=1e-12)
        np.testing.assert_allclose(ln.get_ydata(), tr["lat_deg"], atol=1e-12)
        launch = line(ax, f"launch:{tid}")
        np.testing.assert_allclose([launch.get_xdata()[0], launch.get_ydata()[0]],
                                   [tr["lon_deg"][0], tr["lat_deg"][0]], atol=1e-12)
        assert summary[tid]["impacted"]
        impact = line(ax, f"impact:{tid}")
        np.testing.assert_allclose([impact.get_xdata()[0], impact.get_ydata()[0]],
                                   [summary[tid]["impact_lon_deg"],
                                    summary[tid]["impact_lat_deg"]], atol=1e-6)
    assert ax.get_xlabel() == "Longitude (deg E)" and ax.get_ylabel() == "Latitude (deg N)"


def test_ground_track_tracks_and_radar_site_against_pymap3d(sensed):
    (ax,) = ground_track(load_run(sensed)).axes
    rows = pq.read_table(sensed / "tracks.parquet").to_pylist()
    last: dict[tuple[int, float], dict] = {}  # the estimate after all reports at one time
    for r in rows:
        if r["status"] in ("confirmed", "coasting"):
            last[(r["track_id"], r["t_s"])] = r
    track_ids = sorted({k[0] for k in last})
    assert track_ids
    for trk in track_ids:
        pts = [last[k] for k in sorted(k for k in last if k[0] == trk)]
        lat, lon, _ = pymap3d.ecef2geodetic(np.array([p["x_m"] for p in pts]),
                                            np.array([p["y_m"] for p in pts]),
                                            np.array([p["z_m"] for p in pts]))
        ln = line(ax, f"track:{trk}")
        np.testing.assert_allclose(ln.get_ydata(), lat, atol=1e-9)  # deg (~0.1 mm)
        np.testing.assert_allclose(ln.get_xdata(), lon, atol=1e-9)
    radar = line(ax, "radar:xband")
    np.testing.assert_allclose([radar.get_ydata()[0], radar.get_xdata()[0]], RADAR_SITE_DEG,
                               atol=1e-7)


def test_ground_track_stays_continuous_across_the_antimeridian():
    lon = np.linspace(179.0, 181.0, 21)
    lon_wrapped = (lon + 180.0) % 360.0 - 180.0
    lat = np.full(lon.size, 10.0)
    alt = np.full(lon.size, 30e3)
    x, y, z = pymap3d.geodetic2ecef(lat, lon_wrapped, alt)
    zeros = np.zeros(lon.size)
    truth = pa.table({
        "threat_id": ["t"] * lon.size, "t_s": np.arange(lon.size, dtype=float),
        "x_m": x, "y_m": y, "z_m": z, "vx_mps": zeros, "vy_mps": zeros, "vz_mps": zeros,
        "lat_deg": lat, "lon_deg": lon_wrapped, "alt_m": alt, "speed_mps": zeros + 2000.0,
        "mach": zeros + 6.0, "phase": ["cruise"] * lon.size,
    })
    (ax,) = ground_track(RunData({"truth": truth}, {"scenario": "dateline"})).axes
    x_plot = line(ax, "truth:t").get_xdata()
    np.testing.assert_allclose(x_plot, lon, atol=1e-9)  # unwrapped, not jumping by 360 deg


# ----------------------------------------------------------------------------- map with sites


ASSET = {"asset_id": "capital", "lat_deg": 35.68, "lon_deg": 139.77, "radius_m": 25_000.0}
WEAPON = {"weapon_id": "sam-1", "kind": "interceptor", "shots": 2, "kills": 1,
          "site": {"lat_deg": 35.70, "lon_deg": 139.90}, "max_range_m": 120_000.0}
RADAR = {"radar_id": "xband", "lat_deg": 36.5, "lon_deg": 136.5, "max_range_m": 600_000.0,
         "az_min_deg": 240.0, "az_max_deg": 330.0}


@pytest.fixture(scope="module")
def defended(bare) -> RunData:
    """The two-glider example, with the sites and two shots a defended run would carry."""
    tables = read_run(bare)
    end = {r["threat_id"]: r["end_time_s"] for r in read_summary(bare)["threats"]}
    shots = pa.table({
        "shot_id": [0, 1], "weapon_id": ["sam-1", "sam-1"], "track_id": [0, 1],
        "threat_id": ["hgv-1", "hgv-2-htv2"],
        "launch_t_s": [end["hgv-1"] - 100.0, end["hgv-2-htv2"] - 90.0],
        "intercept_t_s": [end["hgv-1"] - 40.0, end["hgv-2-htv2"] - 30.0],
        "outcome": ["kill", "miss"],
    })
    summary = read_summary(bare) | {"defended_assets": [ASSET], "weapons": [WEAPON],
                                   "radars": [RADAR]}
    return RunData(tables | {"engagements": shots}, summary)


def patch(ax, gid: str):
    (found,) = [p for p in ax.patches if p.get_gid() == gid]
    return found


def test_ground_track_draws_assets_weapons_radars_shots_and_geography(defended):
    fig = ground_track(defended)
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["hgv-1", "hgv-2-htv2"]
    assert {"launch", "kill", "intercept, missed", "defended asset", "weapon, max range",
            "radar, range"} <= set(labels)
    for gid, (lat0, lon0), r_m in (
            ("asset:capital", (35.68, 139.77), 25_000.0),
            ("weapon-range:sam-1", (35.70, 139.90), 120_000.0)):
        xy = patch(ax, gid).get_xy()
        np.testing.assert_allclose(vdist(lat0, lon0, xy[:, 1], xy[:, 0])[0], r_m, rtol=1e-3)
    fan = patch(ax, "radar-range:xband").get_xy()
    np.testing.assert_allclose(fan[0], [136.5, 36.5])
    np.testing.assert_allclose(fan[-1], [136.5, 36.5])
    dist_m, az = vdist(36.5, 136.5, fan[1:-1, 1], fan[1:-1, 0])
    np.testing.assert_allclose(dist_m, 600e3, rtol=1e-3)
    assert np.all((np.asarray(az) >= 240.0 - 1e-6) & (np.asarray(az) <= 330.0 + 1e-6))

    truth = defended.tables["truth"].to_pydict()
    t_hits = defended.tables["engagements"]["intercept_t_s"].to_pylist()
    for gid, tid, t_hit in (("kill:0", "hgv-1", t_hits[0]),
                            ("intercept:1", "hgv-2-htv2", t_hits[1])):
        m = np.array(truth["threat_id"]) == tid
        t = np.array(truth["t_s"])[m]
        pos = np.stack([np.array(truth[c])[m] for c in ("x_m", "y_m", "z_m")], -1)
        vel = np.stack([np.array(truth[c])[m] for c in ("vx_mps", "vy_mps", "vz_mps")], -1)
        x, y, z = CubicHermiteSpline(t, pos, vel)(t_hit)
        lat, lon, _ = pymap3d.ecef2geodetic(x, y, z)
        (mark,) = [ln for ln in ax.get_lines() if ln.get_gid() == gid]
        np.testing.assert_allclose([mark.get_ydata()[0], mark.get_xdata()[0]], [lat, lon],
                                   atol=1e-6)
    gids = {ln.get_gid() for ln in ax.get_lines()}
    assert {"coastline", "borders", "weapon:sam-1", "radar:xband"} <= gids
    (coast,) = [ln for ln in ax.get_lines() if ln.get_gid() == "coastline"]
    assert np.isfinite(coast.get_xdata()).sum() > 100
    (inset,) = ax.child_axes  # the defended area enlarged
    assert inset.get_title() == "Defended area"
    assert any(p.get_gid() == "inset-asset:capital" for p in inset.patches)


def test_ground_track_of_a_plain_run_has_no_sites_but_geography(defended):
    plain = RunData({"truth": defended.tables["truth"]}, {"scenario": "plain"})
    (ax,) = ground_track(plain).axes
    assert not ax.patches[1:] and not ax.child_axes  # the land patch only
    assert "coastline" in {ln.get_gid() for ln in ax.get_lines()}


# ----------------------------------------------------------------------------- flight profile


def test_flight_profile_plots_altitude_speed_mach_per_threat_and_phase(bare):
    fig = flight_profile(load_run(bare))
    assert len(fig.axes) == 3  # glide threats only: one column
    truth = truth_of(bare)
    (map_ax,) = ground_track(load_run(bare)).axes
    for ax, col, scale in zip(fig.axes, ("alt_m", "speed_mps", "mach"), (1e-3, 1e-3, 1.0),
                              strict=True):
        for tid, tr in truth.items():
            lines = [ln for ln in ax.get_lines() if str(ln.get_gid()).startswith(f"{tid}:")]
            assert lines
            seen = {}
            for ln in lines:
                phase = ln.get_gid().split(":", 1)[1]
                # the threat's colour on the map, the phase's line style
                assert same_color(ln.get_color(), line(map_ax, f"truth:{tid}").get_color())
                if phase in PHASE_STYLES:
                    expected = Line2D([], [], ls=PHASE_STYLES[phase]).get_linestyle()
                    assert ln.get_linestyle() == expected
                for t, v in zip(ln.get_xdata(), ln.get_ydata(), strict=True):
                    seen[t] = v
                # every point is in this phase, but the last may be the next phase's first
                idx = np.searchsorted(tr["t_s"], ln.get_xdata())
                assert set(tr["phase"][idx[:-1]]) <= {phase}
                assert tr["phase"][idx[0]] == phase
            t_all = np.array(sorted(seen))
            np.testing.assert_array_equal(t_all, tr["t_s"])
            np.testing.assert_allclose([seen[t] for t in t_all], tr[col] * scale, rtol=1e-12)
    assert fig.axes[0].get_ylabel() == "Altitude (km)"
    assert fig.axes[-1].get_xlabel() == "Time since epoch (s)"
    legend = {t.get_text() for t in fig.legends[0].get_texts()}
    assert set(truth) <= legend


# ----------------------------------------------------------------------------- detections


def test_detection_timeline_rows_are_the_detection_times(sensed):
    fig = detection_timeline(load_run(sensed))
    (ax,) = fig.axes
    det = pq.read_table(sensed / "detections.parquet").to_pydict()
    t = np.array(det["t_s"])
    layer = np.array(det["layer_id"])
    truth_id = np.array([v if v is not None else "" for v in det["truth_id"]])
    labels = [tick.get_text() for tick in ax.get_yticklabels()]
    assert labels[:2] == ["hcm-1 · leo", "hcm-1 · xband"]
    for ly in ("leo", "xband"):
        times = line(ax, f"detections:hcm-1:{ly}").get_xdata()
        expected = np.unique(t[(truth_id == "hcm-1") & (layer == ly)])
        assert expected.size > 10
        np.testing.assert_array_equal(times, expected)
    false = (truth_id == "") & (layer == "xband")
    if false.any():
        assert "false alarms · xband" in labels
        np.testing.assert_array_equal(line(ax, "detections:None:xband").get_xdata(),
                                      np.unique(t[false]))


# ----------------------------------------------------------------------------- tracking


def test_tracking_errors_against_scipy_hermite_truth(sensed):
    fig = tracking_errors(load_run(sensed))
    axes = visible_axes(fig)
    assert len(axes) == 1  # one threat
    (ax,) = axes
    tr = truth_of(sensed)["hcm-1"]
    spline = CubicHermiteSpline(tr["t_s"], np.stack([tr["x_m"], tr["y_m"], tr["z_m"]], -1),
                                np.stack([tr["vx_mps"], tr["vy_mps"], tr["vz_mps"]], -1))
    last: dict[tuple[int, float], dict] = {}
    for r in pq.read_table(sensed / "tracks.parquet").to_pylist():
        if r["status"] in ("confirmed", "coasting") and r["truth_id"] == "hcm-1":
            last[(r["track_id"], r["t_s"])] = r
    track_ids = sorted({k[0] for k in last})
    assert track_ids
    n_checked = 0
    for trk in track_ids:
        pts = [last[k] for k in sorted(k for k in last if k[0] == trk)]
        t = np.array([p["t_s"] for p in pts])
        pos = np.array([[p["x_m"], p["y_m"], p["z_m"]] for p in pts])
        err = line(ax, f"error:hcm-1:{trk}")
        np.testing.assert_array_equal(err.get_xdata(), t)
        inside = (t >= tr["t_s"][0]) & (t <= tr["t_s"][-1])
        expected = np.linalg.norm(pos - spline(t), axis=-1)
        np.testing.assert_allclose(np.asarray(err.get_ydata())[inside], expected[inside],
                                   atol=1e-3)  # m
        n_checked += int(inside.sum())
        sigma = line(ax, f"sigma:hcm-1:{trk}")
        np.testing.assert_allclose(sigma.get_ydata(), [p["sigma_pos_m"] for p in pts])
    assert n_checked > 100
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "Position error (m)"


def test_ospa_timeline_plots_the_metrics_table(sensed):
    fig = ospa_timeline(load_run(sensed))
    assert len(fig.axes) == 2
    met = pq.read_table(sensed / "metrics.parquet").to_pydict()
    ax, ax_n = fig.axes
    for col in ("ospa_m", "gospa_m"):
        ln = line(ax, col)
        np.testing.assert_array_equal(ln.get_xdata(), met["t_s"])
        np.testing.assert_array_equal(ln.get_ydata(), met[col])
    for col in ("n_truth", "n_confirmed_tracks"):
        np.testing.assert_array_equal(line(ax_n, col).get_ydata(), met[col])


# ----------------------------------------------------------------------------- engagements


def test_engagement_timeline_shots_from_launch_to_intercept(sensed):
    fig = engagement_timeline(load_run(sensed))
    (ax,) = fig.axes
    s1, s2, s3 = (line(ax, f"shot:{s}") for s in ("s1", "s2", "s3"))
    np.testing.assert_array_equal(s1.get_xdata(), [300.0, 420.0])
    np.testing.assert_array_equal(s2.get_xdata(), [330.0, 330.0])  # no intercept time
    np.testing.assert_array_equal(s3.get_xdata(), [350.0, 440.0])
    assert same_color(s1.get_color(), OUTCOME_COLORS["miss"])
    assert same_color(s3.get_color(), OUTCOME_COLORS["kill"])
    assert not same_color(s2.get_color(), OUTCOME_COLORS["kill"])
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "s1 (rg-1 → hcm-1)", "s2 (rg-1 → hcm-1)", "s3 (sam-1 → hcm-1)"]


# ----------------------------------------------------------------------------- all figures


def test_figures_present_only_with_their_tables(bare, sensed):
    run = load_run(bare)
    assert list(figures(run)) == ["ground_track", "flight_profile"]
    for func in (detection_timeline, tracking_errors, ospa_timeline, engagement_timeline):
        assert func(run) is None
    figs = figures(load_run(sensed))
    assert list(figs) == ["ground_track", "flight_profile", "detections", "tracking_errors",
                          "ospa", "engagements"]
    n_axes = {"ground_track": 1, "flight_profile": 3, "detections": 1, "tracking_errors": 1,
              "ospa": 2, "engagements": 1}
    for key, fig in figs.items():
        axes = visible_axes(fig)
        assert len(axes) == n_axes[key], key
        for ax in axes:
            assert any(len(ln.get_xdata()) > 0 for ln in ax.get_lines()), key
            assert ax.get_xlabel() or ax is not axes[-1], key
        assert any(ax.get_title() for ax in axes) or fig.get_suptitle(), key


def test_png_bytes_is_a_png_of_the_figure_size(bare):
    fig = ground_track(load_run(bare))
    data = png_bytes(fig, dpi=40)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    img = mpimg.imread(io.BytesIO(data), format="png")
    w, h = fig.get_size_inches() * 40
    assert img.shape[:2] == (round(h), round(w))


def test_png_is_150_dpi_by_default_and_svg_on_request(defended):
    fig = flight_profile(defended)
    img = mpimg.imread(io.BytesIO(png_bytes(fig)), format="png")
    w, h = fig.get_size_inches() * 150
    assert img.shape[:2] == (round(h), round(w))
    svg = figure_bytes(fig, "svg")
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg[:2000]
    with pytest.raises(ValueError, match="fmt"):
        figure_bytes(fig, "jpg")  # type: ignore[arg-type]
