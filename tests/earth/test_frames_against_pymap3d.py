"""Geodetic / ECEF / ENU / AER conversions against pymap3d, plus hypothesis round trips.

Oracle: pymap3d (geodetic2ecef, ecef2geodetic, ecef2enu, enu2aer, ecef2aer, deg=False).
pymap3d's ecef2geodetic (You 2000, one step) loses latitude accuracy with height (measured
2e-6 rad at 40,000 km, ~1 mm of arc only up to ~200 km), so latitude is compared with it up to
100 km; above that the exact inverse is checked by round trip through geodetic_to_ecef, which is
itself checked against pymap3d to 1 mm at all heights.
"""

import numpy as np
import pymap3d as pm
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdsim.earth import (
    SPHERE,
    WGS84,
    aer_to_enu,
    ecef_to_aer,
    ecef_to_enu,
    ecef_to_geodetic,
    enu_rotation,
    enu_to_aer,
    enu_to_ecef,
    geodetic_to_ecef,
)

MM = 1e-3
PM_WGS84 = pm.Ellipsoid.from_name("wgs84")
PM_SPHERE = pm.Ellipsoid(semimajor_axis=6371000.0, semiminor_axis=6371000.0, name="sphere")


def _random_geodetic(rng, n, alt_lo, alt_hi):
    lat = rng.uniform(-np.pi / 2, np.pi / 2, n)
    lon = rng.uniform(-np.pi, np.pi, n)
    alt = rng.uniform(alt_lo, alt_hi, n)
    lat[:4] = [np.pi / 2, -np.pi / 2, 0.0, 1e-12]  # poles, equator
    return lat, lon, alt


@pytest.mark.parametrize(("ell", "pm_ell"), [(WGS84, PM_WGS84), (SPHERE, PM_SPHERE)])
def test_geodetic_to_ecef_matches_pymap3d(ell, pm_ell):
    rng = np.random.default_rng(1)
    lat, lon, alt = _random_geodetic(rng, 20_000, -10e3, 40_000e3)
    ours = geodetic_to_ecef(lat, lon, alt, ell)
    ref = np.stack(pm.geodetic2ecef(lat, lon, alt, ell=pm_ell, deg=False), axis=-1)
    assert ours.shape == (20_000, 3)
    assert np.max(np.abs(ours - ref)) < MM


@pytest.mark.parametrize(("ell", "pm_ell"), [(WGS84, PM_WGS84), (SPHERE, PM_SPHERE)])
def test_ecef_to_geodetic_matches_pymap3d(ell, pm_ell):
    rng = np.random.default_rng(2)
    # Altitude: all heights; latitude: where pymap3d itself is good to < 1 mm (<= 100 km).
    lat, lon, alt = _random_geodetic(rng, 20_000, -10e3, 40_000e3)
    pos = geodetic_to_ecef(lat, lon, alt, ell)
    la, lo, h = ecef_to_geodetic(pos, ell)
    rla, rlo, rh = pm.ecef2geodetic(pos[:, 0], pos[:, 1], pos[:, 2], ell=pm_ell, deg=False)
    assert np.max(np.abs(h - rh)) < MM
    low = alt <= 100e3
    r = ell.a_m + np.abs(alt)
    assert np.max((np.abs(la - rla) * r)[low]) < MM
    not_pole = np.abs(lat) < np.pi / 2 - 1e-9
    dlon = np.angle(np.exp(1j * (lo - rlo)))
    assert np.max((np.abs(dlon) * r * np.cos(lat))[not_pole]) < MM


@pytest.mark.parametrize("ell", [WGS84, SPHERE])
def test_ecef_to_geodetic_exact_inverse_all_heights(ell):
    """Round trip through the (pymap3d-checked) forward transform: < 1 mm, -10 km..40,000 km."""
    rng = np.random.default_rng(3)
    lat, lon, alt = _random_geodetic(rng, 50_000, -10e3, 40_000e3)
    la, lo, h = ecef_to_geodetic(geodetic_to_ecef(lat, lon, alt, ell), ell)
    r = ell.a_m + np.abs(alt)
    assert np.max(np.abs(h - alt)) < MM
    assert np.max(np.abs(la - lat) * r) < MM
    not_pole = np.abs(lat) < np.pi / 2 - 1e-9
    dlon = np.angle(np.exp(1j * (lo - lon)))
    assert np.max((np.abs(dlon) * r * np.cos(lat))[not_pole]) < MM


def test_poles_and_sphere_closed_forms():
    b = WGS84.b_m
    lat, lon, h = ecef_to_geodetic(np.array([[0.0, 0.0, b + 100.0], [0.0, 0.0, -(b - 10e3)]]))
    np.testing.assert_allclose(lat, [np.pi / 2, -np.pi / 2], atol=1e-15)
    np.testing.assert_allclose(h, [100.0, -10e3], atol=MM)
    # Sphere: geocentric latitude and |r| - R.
    p = np.array([3e6, 4e6, 5e6])
    lat, lon, h = ecef_to_geodetic(p, SPHERE)
    assert abs(h - (np.linalg.norm(p) - 6371000.0)) < 1e-6
    assert abs(lat - np.arctan2(5e6, 5e6)) < 1e-15
    assert abs(lon - np.arctan2(4e6, 3e6)) < 1e-15


def test_ecef_to_enu_and_aer_match_pymap3d():
    rng = np.random.default_rng(4)
    n = 5000
    lat0, lon0, alt0 = _random_geodetic(rng, n, -1e3, 50e3)
    lat, lon, alt = _random_geodetic(rng, n, -1e3, 2000e3)
    pos = geodetic_to_ecef(lat, lon, alt)
    enu = ecef_to_enu(pos, lat0, lon0, alt0)
    ref = np.stack(
        pm.ecef2enu(pos[:, 0], pos[:, 1], pos[:, 2], lat0, lon0, alt0, deg=False), axis=-1
    )
    assert np.max(np.abs(enu - ref)) < MM

    az, el, rng_m = ecef_to_aer(pos, lat0, lon0, alt0)
    raz, rel, rrng = pm.ecef2aer(pos[:, 0], pos[:, 1], pos[:, 2], lat0, lon0, alt0, deg=False)
    assert np.max(np.abs(rng_m - rrng)) < MM
    assert np.max(np.abs(el - rel) * rng_m) < MM
    daz = np.angle(np.exp(1j * (az - raz)))
    assert np.max(np.abs(daz) * rng_m * np.cos(el)) < MM
    assert np.all((az >= 0.0) & (az < 2 * np.pi))

    az2, el2, r2 = enu_to_aer(ref)
    raz2, rel2, rr2 = pm.enu2aer(ref[:, 0], ref[:, 1], ref[:, 2], deg=False)
    assert np.max(np.abs(r2 - rr2)) < MM
    assert np.max(np.abs(el2 - rel2) * r2) < MM
    assert np.max(np.abs(np.angle(np.exp(1j * (az2 - raz2)))) * r2 * np.cos(el2)) < MM


def test_enu_rotation_rows_and_broadcasting():
    lat = np.array([0.3, -1.0])[:, None]
    lon = np.array([0.1, 2.0, -3.0])[None, :]
    r = enu_rotation(lat, lon)
    assert r.shape == (2, 3, 3, 3)
    np.testing.assert_allclose(
        r @ np.swapaxes(r, -1, -2), np.broadcast_to(np.eye(3), r.shape), atol=1e-15
    )
    # Up row is the ellipsoid normal: pymap3d's enu2uvw of (0, 0, 1).
    up = np.stack(pm.enu2uvw(0.0, 0.0, 1.0, 0.3, 2.0, deg=False))
    np.testing.assert_allclose(r[0, 1, 2], up, atol=1e-15)
    east = np.stack(pm.enu2uvw(1.0, 0.0, 0.0, 0.3, 2.0, deg=False))
    np.testing.assert_allclose(r[0, 1, 0], east, atol=1e-15)
    # Broadcasting of positions (S, 1, 3) against origins (1, N).
    pos = geodetic_to_ecef(np.zeros((4, 1)), np.linspace(0, 1, 4)[:, None], 1e5)
    enu = ecef_to_enu(pos, np.zeros((1, 5)), np.linspace(0, 1, 5)[None, :], 0.0)
    assert enu.shape == (4, 5, 3)


lat_s = st.floats(-np.pi / 2, np.pi / 2)
lon_s = st.floats(-np.pi + 1e-9, np.pi)
alt_s = st.floats(-10e3, 40_000e3)


@settings(max_examples=300, deadline=None)
@given(lat=lat_s, lon=lon_s, alt=alt_s, spherical=st.booleans())
def test_roundtrip_geodetic_ecef_geodetic(lat, lon, alt, spherical):
    ell = SPHERE if spherical else WGS84
    la, lo, h = ecef_to_geodetic(geodetic_to_ecef(lat, lon, alt, ell), ell)
    r = ell.a_m + abs(alt)
    assert abs(h - alt) < MM
    assert abs(la - lat) * r < MM
    if abs(lat) < np.pi / 2 - 1e-9:
        assert abs(np.angle(np.exp(1j * (lo - lon)))) * r * np.cos(lat) < MM


coord_s = st.floats(-5e7, 5e7)


@settings(max_examples=300, deadline=None)
@given(x=coord_s, y=coord_s, z=coord_s, lat0=lat_s, lon0=lon_s, alt0=st.floats(-1e3, 1e5))
def test_roundtrip_ecef_enu_ecef(x, y, z, lat0, lon0, alt0):
    p = np.array([x, y, z])
    back = enu_to_ecef(ecef_to_enu(p, lat0, lon0, alt0), lat0, lon0, alt0)
    assert np.max(np.abs(back - p)) < MM


@settings(max_examples=300, deadline=None)
@given(e=coord_s, n=coord_s, u=coord_s)
def test_roundtrip_enu_aer_enu(e, n, u):
    v = np.array([e, n, u])
    back = aer_to_enu(*enu_to_aer(v))
    assert np.max(np.abs(back - v)) < MM
    az, _, _ = enu_to_aer(v)
    assert 0.0 <= az < 2 * np.pi
