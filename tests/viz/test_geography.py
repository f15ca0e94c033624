"""Maps: the shipped Natural Earth data, geodesic circles and fans, drawing the geography.

Oracles: known geography (capitals inland, seas and the Caspian at sea, capes on the coastline,
straight borders along the 49th and 22nd parallels), the land area of the CIA World Factbook
(148.94 million km²), matplotlib's point-in-polygon test (``Path.contains_point``), pymap3d's
Vincenty inverse (``vdist``) and the spherical haversine distance for circles and fans, and
synthetic tables of known content for the flight profile and the coverage maps. The map of a
run (assets, weapons, radars, shots) is tested in test_plots.py, on that module's run.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pymap3d
import pytest
from matplotlib.figure import Figure
from matplotlib.path import Path as MplPath
from pymap3d.vincenty import vdist

from hdsim.earth import SPHERE
from hdsim.viz import RunData, flight_profile
from hdsim.viz.geography import (
    draw_geography,
    natural_earth,
    radar_fan,
    range_ring,
    set_map_aspect,
)
from hdsim.viz.plots import coverage_maps, threat_colors

KM_PER_DEG = 111.195  # mean-radius sphere, km per degree of arc


def near_km(lines, lat_deg: float, lon_deg: float) -> float:
    """Ground distance (km, local flat approximation) from a point to the nearest segment."""
    best = np.inf
    c = np.cos(np.radians(lat_deg))
    for i in range(len(lines)):
        v = lines.line(i)
        if len(v) < 2:
            continue
        for k in (-360.0, 0.0, 360.0):
            x = (v[:, 0] + k - lon_deg) * c * KM_PER_DEG
            y = (v[:, 1] - lat_deg) * KM_PER_DEG
            dx, dy = np.diff(x), np.diff(y)
            t = np.clip(-(x[:-1] * dx + y[:-1] * dy) / np.maximum(dx * dx + dy * dy, 1e-300),
                        0.0, 1.0)
            best = min(best, float(np.hypot(x[:-1] + t * dx, y[:-1] + t * dy).min()))
    return best


@pytest.fixture(scope="module")
def land_paths() -> list[MplPath]:
    return [MplPath(r) for r in natural_earth().land_rings()]


def is_land(paths: list[MplPath], lat_deg: float, lon_deg: float) -> bool:
    """Even-odd rule over the land rings (holes are rings too), at any whole-turn shift."""
    return any(sum(bool(p.contains_point((lon_deg + k, lat_deg))) for p in paths) % 2 == 1
               for k in (-360.0, 0.0, 360.0))


# ----------------------------------------------------------------------------- shipped data


def test_shipped_data_loads_with_a_plausible_size():
    ne = natural_earth()
    assert "Natural Earth" in ne.source and "public domain" in ne.source
    n_coast = ne.coast.lonlat_deg.shape[0]
    assert 30_000 < n_coast < 200_000  # 1:50m: about 60,000 coastline vertices
    assert len(ne.coast) > 1000 and len(ne.borders) > 200
    assert np.isfinite(ne.coast.lonlat_deg).all() and np.isfinite(ne.borders.lonlat_deg).all()
    assert np.abs(ne.coast.lonlat_deg[:, 1]).max() <= 90.0
    assert ne.coast.lonlat_deg[:, 0].max() > 180.0  # Chukotka, Fiji: continuous across 180
    assert list(ne.coast_pole[ne.coast_pole != 0]) == [-1]  # Antarctica, around the south pole


def test_land_area_against_the_cia_world_factbook():
    """Area of the land rings on the sphere of the Earth's mean radius, by Green's theorem
    (A = -R² ∮ sin(lat) d(lon) for counter-clockwise rings; holes are clockwise): the
    Factbook gives 148.94 million km² of land (lakes included; the generalised 1:50m
    coastline and the Caspian hole take a little off)."""
    r_km = 6371.0088
    area = 0.0
    for v in natural_earth().land_rings():
        lon, lat = np.radians(v[:, 0]), np.radians(v[:, 1])
        area -= float(np.sum(np.diff(lon) * 0.5 * (np.sin(lat[1:]) + np.sin(lat[:-1]))))
    assert area * r_km ** 2 == pytest.approx(148.94e6, rel=0.03)


@pytest.mark.parametrize(("name", "lat", "lon", "land"), [
    ("London", 51.507, -0.128, True),
    ("Madrid", 40.42, -3.70, True),
    ("Ulaanbaatar", 47.92, 106.92, True),
    ("Brasília", -15.79, -47.88, True),
    ("Mount Fuji", 35.36, 138.73, True),
    ("Antarctic plateau", -80.0, 30.0, True),
    ("Chukotka, east of 180°", 66.0, -172.5, True),
    ("Viti Levu, Fiji", -17.8, 178.0, True),
    ("central Pacific", 0.0, -140.0, False),
    ("Sea of Japan", 40.0, 135.0, False),
    ("Caspian Sea (a hole in the land)", 42.0, 50.5, False),
    ("Hudson Bay", 60.0, -85.0, False),
    ("North Pole", 88.0, 0.0, False),
])
def test_known_places_on_land_or_at_sea(land_paths, name, lat, lon, land):
    assert is_land(land_paths, lat, lon) is land, name


@pytest.mark.parametrize(("cape", "lat", "lon"), [
    ("Cape Agulhas", -34.8333, 20.0),
    ("Cabo da Roca", 38.7806, -9.4989),
    ("Cape Nosappu", 43.385, 145.817),
    ("Cape York", -10.687, 142.53),
    ("Cape Dezhnev", 66.08, -169.65),
])
def test_coastline_passes_through_known_capes(cape, lat, lon):
    assert near_km(natural_earth().coast, lat, lon) < 10.0, cape  # 1:50m: a few km


@pytest.mark.parametrize(("border", "lat", "lon"), [
    ("Canada-United States, 49th parallel", 49.0, -105.0),
    ("Egypt-Sudan, 22nd parallel", 22.0, 30.0),
])
def test_borders_pass_along_known_parallels(border, lat, lon):
    assert near_km(natural_earth().borders, lat, lon) < 5.0, border
    assert near_km(natural_earth().coast, lat, lon) > 100.0  # a land border, not a coast


# ----------------------------------------------------------------------------- circles


CENTRES = [(35.68, 139.77), (60.0, 10.0), (10.0, 179.5), (-45.0, -70.0), (1.0, 0.0)]


@pytest.mark.parametrize("centre", CENTRES)
@pytest.mark.parametrize("radius_m", [25e3, 1.5e6, 5e6])
def test_range_ring_against_pymap3d_vincenty(centre, radius_m):
    lon, lat = range_ring(*centre, radius_m)
    assert lon.shape == lat.shape == (181,)
    assert lon[0] == lon[-1] and lat[0] == lat[-1]
    dist_m, az_deg = vdist(centre[0], centre[1], lat, lon)
    np.testing.assert_allclose(dist_m, radius_m, rtol=1e-3)  # the brief's 0.1 %
    np.testing.assert_allclose(dist_m, radius_m, atol=1e-3)  # in fact, to 1 mm
    step = (np.diff(np.asarray(az_deg)) + 180.0) % 360.0 - 180.0
    np.testing.assert_allclose(step, 2.0, atol=1e-6)  # clockwise from north, every 2 deg


@pytest.mark.parametrize("centre", CENTRES)
def test_range_ring_on_the_sphere_against_haversine(centre):
    r_m = SPHERE.a_m
    lon, lat = range_ring(*centre, 2.0e6, ellipsoid=SPHERE)
    p1, l1, p2, l2 = np.radians(centre[0]), np.radians(centre[1]), np.radians(lat), np.radians(lon)
    hav = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    np.testing.assert_allclose(2.0 * r_m * np.arcsin(np.sqrt(hav)), 2.0e6, rtol=1e-9)


def test_range_ring_crosses_the_antimeridian_as_one_ring():
    lon, lat = range_ring(10.0, 179.5, 500e3)
    assert lon.max() > 180.0 and lon.min() < 179.5
    assert np.abs(np.diff(lon)).max() < 1.0  # no jump of 360 deg


def test_radar_fan_is_the_sector_between_its_azimuths():
    lon, lat = radar_fan(36.5, 136.5, 800e3, 300.0, 60.0)  # 120 deg about north
    assert (lon[0], lat[0]) == (136.5, 36.5) and (lon[-1], lat[-1]) == (136.5, 36.5)
    dist_m, az_deg = vdist(36.5, 136.5, lat[1:-1], lon[1:-1])
    np.testing.assert_allclose(dist_m, 800e3, atol=1e-3)
    off_north = (np.asarray(az_deg) + 180.0) % 360.0 - 180.0
    assert off_north.min() == pytest.approx(-60.0, abs=1e-6)
    assert off_north.max() == pytest.approx(60.0, abs=1e-6)
    full_lon, full_lat = radar_fan(36.5, 136.5, 800e3)
    np.testing.assert_allclose(vdist(36.5, 136.5, full_lat, full_lon)[0], 800e3, atol=1e-3)


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"lat_deg": 95.0, "lon_deg": 0.0, "radius_m": 1e3}, "lat_deg"),
    ({"lat_deg": 0.0, "lon_deg": 0.0, "radius_m": -1.0}, "radius_m"),
    ({"lat_deg": 0.0, "lon_deg": np.nan, "radius_m": 1.0}, "lon_deg"),
])
def test_range_ring_rejects_bad_input(kwargs, field):
    with pytest.raises(ValueError, match=field):
        range_ring(**kwargs)


# ----------------------------------------------------------------------------- drawing


def test_draw_geography_draws_what_is_in_the_view_across_the_antimeridian():
    fig = Figure()
    ax = fig.add_subplot()
    draw_geography(ax, (170.0, 190.0), (-25.0, -10.0))  # Fiji, both sides of 180 deg
    assert ax.get_xlim() == (170.0, 190.0) and ax.get_ylim() == (-25.0, -10.0)
    (coast,) = [ln for ln in ax.get_lines() if ln.get_gid() == "coastline"]
    xy = np.column_stack([coast.get_xdata(), coast.get_ydata()])
    xy = xy[np.isfinite(xy[:, 0])]
    assert xy.size and xy[:, 0].max() > 180.0 and xy[:, 0].min() < 180.0
    assert 169.0 < xy[:, 0].min() and xy[:, 0].max() < 191.0  # clipped to the view
    assert [p.get_gid() for p in ax.patches] == ["land"]
    assert ax.get_aspect() == pytest.approx(1.0 / np.cos(np.radians(-17.5)))
    set_map_aspect(ax, 60.0)
    assert ax.get_aspect() == pytest.approx(2.0)


# ----------------------------------------------------------------------------- flight profile


def synthetic_raid(n_glide: int, n_ballistic: int) -> RunData:
    """Truth of glide vehicles (30 km) and ballistic missiles (340 km apogee), 400 s each."""
    rows: dict[str, list] = {k: [] for k in (
        "threat_id", "t_s", "x_m", "y_m", "z_m", "vx_mps", "vy_mps", "vz_mps", "lat_deg",
        "lon_deg", "alt_m", "speed_mps", "mach", "phase")}
    t = np.arange(0.0, 401.0, 10.0)
    for i in range(n_glide + n_ballistic):
        ballistic = i >= n_glide
        tid = f"bm-{i}" if ballistic else f"hgv-{i}"
        alt = (340e3 * np.sin(np.pi * t / 400.0) if ballistic
               else 30e3 + 2e3 * np.sin(t / 50.0 + i))
        lat = np.full(t.size, 30.0 + i)
        lon = 120.0 + t / 40.0
        x, y, z = pymap3d.geodetic2ecef(lat, lon, alt)
        phase = np.where(t < 60, "boost", "midcourse" if ballistic else "glide").astype(object)
        phase[-1] = "impact"
        for k, v in (("threat_id", [tid] * t.size), ("t_s", t), ("x_m", x), ("y_m", y),
                     ("z_m", z), ("vx_mps", 0 * t), ("vy_mps", 0 * t), ("vz_mps", 0 * t),
                     ("lat_deg", lat), ("lon_deg", lon), ("alt_m", alt),
                     ("speed_mps", 2000.0 + 0 * t), ("mach", 6.0 + 0 * t), ("phase", phase)):
            rows[k].extend(list(v))
    return RunData({"truth": pa.table(rows)}, {"scenario": "synthetic"})


def test_flight_profile_of_twelve_threats_keeps_glide_altitudes_readable():
    run = synthetic_raid(10, 2)
    fig = flight_profile(run)
    assert len(fig.axes) == 6  # altitude, speed, Mach × (glide, ballistic)
    alt_glide, alt_exo = fig.axes[0], fig.axes[1]
    assert alt_glide.get_ylim()[1] < 40.0  # km: not flattened by the 340 km apogee
    assert alt_exo.get_ylim()[1] >= 340.0
    on = {ax: {str(ln.get_gid()).split(":")[0] for ln in ax.get_lines()} for ax in fig.axes[:2]}
    assert on[alt_glide] == {f"hgv-{i}" for i in range(10)}
    assert on[alt_exo] == {"bm-10", "bm-11"}
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[:12] == list(threat_colors(run))
    assert len(set(threat_colors(run).values())) == 12  # twelve distinct colours


# ----------------------------------------------------------------------------- coverage


def test_coverage_maps_show_percent_and_minutes_in_words():
    lat, lon = np.meshgrid(np.arange(30.0, 46.0, 5.0), np.arange(125.0, 146.0, 5.0),
                           indexing="ij")
    frac = np.linspace(0.2, 1.0, lat.size)
    table = pa.table({"lat_deg": lat.ravel(), "lon_deg": lon.ravel(), "fraction_1": frac,
                      "fraction_2": frac / 2, "max_gap_s": 600.0 * (1 - frac)})
    fig = coverage_maps(table, {"scenario": "leo", "satellites": 96, "altitude_m": 40e3,
                                "span_s": 86400.0, "step_s": 60.0, "grid_deg": 5.0})
    maps = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    titles = [ax.get_title().splitlines()[0] for ax in maps]
    assert titles == ["Time with ≥ 1 satellite in view",
                      "Time with ≥ 2 satellites in view (stereo)",
                      "Longest gap with no satellite in view"]
    bars = [ax.get_ylabel() for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert bars == ["% of time", "% of time", "minutes"]
    mesh = maps[2].collections[0]
    np.testing.assert_allclose(np.sort(np.asarray(mesh.get_array()).ravel()),
                               np.sort(600.0 * (1 - frac) / 60.0))
    assert "96 satellites" in fig.get_suptitle()
    assert all("coastline" in {ln.get_gid() for ln in ax.get_lines()} for ax in maps)
