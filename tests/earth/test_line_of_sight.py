"""Line of sight / Earth occlusion against a sphere closed form and a brute-force oracle.

Oracles: on a sphere, two points at altitude h separated by central angle theta have a chord
whose minimum radius is (R + h) cos(theta / 2); on WGS-84, 10,000 samples along the segment
converted with pymap3d.ecef2geodetic (accurate to < 1 mm below 200 km), minimum altitude.
"""

import numpy as np
import pymap3d as pm
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdsim.earth import SPHERE, WGS84, geodetic_to_ecef, grazing_altitude_m, line_of_sight_clear

R = SPHERE.a_m


def _sphere_pair(h, theta, lat=0.2, lon=0.4, azimuth=0.7):
    """Two points at altitude h, central angle theta apart, on a great circle through (lat, lon)."""
    p1 = geodetic_to_ecef(lat, lon, h, SPHERE)
    u = p1 / np.linalg.norm(p1)
    east = np.array([-np.sin(lon), np.cos(lon), 0.0])
    north = np.cross(u, east)
    t = np.cos(azimuth) * north + np.sin(azimuth) * east
    p2 = (R + h) * (np.cos(theta) * u + np.sin(theta) * t)
    return p1, p2


@settings(max_examples=200, deadline=None)
@given(
    h=st.floats(0.0, 40_000e3),
    theta=st.floats(0.0, 3.0),
    graze=st.floats(-10e3, 200e3),
)
def test_sphere_closed_form(h, theta, graze):
    p1, p2 = _sphere_pair(h, theta)
    min_radius = (R + h) * np.cos(theta / 2)
    assert float(grazing_altitude_m(p1, p2, SPHERE)) == pytest.approx(min_radius - R, abs=1e-3)
    margin = min_radius - (R + graze)
    if abs(margin) > 1e-2:
        assert bool(line_of_sight_clear(p1, p2, graze, SPHERE)) == (margin > 0)


def _leo_target_pairs(rng, n):
    lat = rng.uniform(-1.4, 1.4, n)
    lon = rng.uniform(-np.pi, np.pi, n)
    sat = geodetic_to_ecef(lat, lon, rng.uniform(300e3, 2000e3, n))
    # targets up to ~30 deg away: many lines pass through or graze the Earth
    tlat = np.clip(lat + rng.uniform(-0.5, 0.5, n), -1.55, 1.55)
    tgt = geodetic_to_ecef(tlat, lon + rng.uniform(-0.5, 0.5, n), rng.uniform(0.0, 80e3, n))
    return sat, tgt


def _brute_force_min_alt(p1, p2, n=10_000):
    s = np.linspace(0.0, 1.0, n)[:, None]
    pts = p1 + s * (p2 - p1)
    _, _, h = pm.ecef2geodetic(pts[:, 0], pts[:, 1], pts[:, 2], deg=False)
    return h.min()


def test_grazing_altitude_against_brute_force_wgs84():
    rng = np.random.default_rng(7)
    sat, tgt = _leo_target_pairs(rng, 200)
    ours = grazing_altitude_m(sat, tgt)
    ref = np.array([_brute_force_min_alt(a, b) for a, b in zip(sat, tgt, strict=True)])
    shallow = ref > -200e3  # pymap3d is the oracle down to moderate depths below the surface
    assert shallow.sum() > 150
    assert np.max(np.abs(ours - ref)[shallow]) < 50.0
    # the result is the altitude of a point on the segment, so never below the true minimum
    assert np.all(ours[shallow] >= ref[shallow] - 1.0)


def test_clear_agrees_with_grazing_altitude_wgs84():
    rng = np.random.default_rng(8)
    sat, tgt = _leo_target_pairs(rng, 2000)
    graze = rng.uniform(0.0, 50e3, 2000)
    g = grazing_altitude_m(sat, tgt)
    clear = line_of_sight_clear(sat, tgt, graze)
    decided = np.abs(g - graze) > 100.0  # away from the 1e-2-level ellipsoid approximation
    assert np.all(clear[decided] == (g > graze)[decided])
    assert 0 < clear.sum() < clear.size  # both outcomes occur


def test_broadcasting_sats_by_targets():
    rng = np.random.default_rng(9)
    sat, tgt = _leo_target_pairs(rng, 6)
    out = line_of_sight_clear(sat[:4, None, :], tgt[None, :, :], 20e3)
    assert out.shape == (4, 6)
    for i in range(4):
        for j in range(6):
            assert out[i, j] == line_of_sight_clear(sat[i], tgt[j], 20e3)
    assert grazing_altitude_m(sat[:4, None, :], tgt[None, :, :]).shape == (4, 6)


def test_ground_site_seen_from_zenith_and_blocked_across_earth():
    site = geodetic_to_ecef(0.6, 1.0, 0.0)
    above = geodetic_to_ecef(0.6, 1.0, 700e3)
    antipode = geodetic_to_ecef(-0.6, 1.0 + np.pi, 700e3)
    assert line_of_sight_clear(above, site)  # touches the surface at the site only
    assert not line_of_sight_clear(above, site, 10e3)  # the end point is below 10 km
    assert not line_of_sight_clear(above, antipode)
    assert float(grazing_altitude_m(above, site)) == pytest.approx(0.0, abs=1e-3)
    # identical end points: the point's own altitude
    assert float(grazing_altitude_m(above, above)) == pytest.approx(700e3, abs=1e-3)


def test_polar_limb_uses_the_flattening():
    # Two satellites at 500 km on opposite meridians, chord passing over the north pole, where
    # the flattening (b = a - 21.4 km) matters most.
    p1 = geodetic_to_ecef(np.radians(70.0), 0.0, 500e3)
    p2 = geodetic_to_ecef(np.radians(70.0), np.pi, 500e3)
    ref = _brute_force_min_alt(p1, p2)
    ours = float(grazing_altitude_m(p1, p2, WGS84))
    assert ours == pytest.approx(ref, abs=50.0)
    # The chord's apex is over the pole: its altitude is its z minus b.
    assert ours == pytest.approx(p1[2] - WGS84.b_m, abs=1e-3)
