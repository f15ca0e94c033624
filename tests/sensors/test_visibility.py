"""Space-sensor visibility against brute-force geometry.

Oracles (independent of the code under test):

* off-nadir angle and stereo angle: the law of cosines on the triangle of side lengths
  (Earth centre, satellite, target) and (target, satellite a, satellite b);
* field of regard and range: explicit angle and distance from NumPy norms;
* Earth limb: 3,000 samples along the segment converted to geodetic altitude with
  ``pymap3d.ecef2geodetic`` (a well-kept library, < 1 mm below 200 km), minimum altitude,
  against the rule of ``hdsim.sensors.visibility``: the minimum altitude along the line of
  sight must be at least ``min(grazing, target altitude)``.

Cases within 30 m (limb) or 1e-6 rad / 1 m (field of regard / range) of a boundary are
left out of the comparison (the sampled oracle and the inflated-ellipsoid approximation
differ there by up to a few metres); the test checks that enough cases remain on both sides.
"""

from __future__ import annotations

import numpy as np
import pymap3d as pm
import pytest

from hdsim.earth import SPHERE, WGS84, geodetic_to_ecef
from hdsim.sensors.visibility import (
    los_angle_between_rad,
    off_nadir_angle_rad,
    space_visibility,
)


def _law_of_cosines_angle(adj1, adj2, opposite):
    return np.arccos(np.clip((adj1**2 + adj2**2 - opposite**2) / (2.0 * adj1 * adj2), -1, 1))


def test_off_nadir_and_stereo_angles_against_law_of_cosines():
    rng = np.random.default_rng(1)
    n = 500
    sat = geodetic_to_ecef(rng.uniform(-1.5, 1.5, n), rng.uniform(-3, 3, n),
                           rng.uniform(300e3, 36_000e3, n))
    sat_b = geodetic_to_ecef(rng.uniform(-1.5, 1.5, n), rng.uniform(-3, 3, n),
                             rng.uniform(300e3, 36_000e3, n))
    tgt = geodetic_to_ecef(rng.uniform(-1.5, 1.5, n), rng.uniform(-3, 3, n),
                           rng.uniform(0.0, 100e3, n))
    rs, rt = np.linalg.norm(sat, axis=1), np.linalg.norm(tgt, axis=1)
    d = np.linalg.norm(tgt - sat, axis=1)
    eta = _law_of_cosines_angle(rs, d, rt)
    np.testing.assert_allclose(off_nadir_angle_rad(sat, tgt), eta, atol=1e-7)
    da, db = d, np.linalg.norm(tgt - sat_b, axis=1)
    ab = np.linalg.norm(sat - sat_b, axis=1)
    np.testing.assert_allclose(los_angle_between_rad(sat, sat_b, tgt),
                               _law_of_cosines_angle(da, db, ab), atol=1e-7)


@pytest.mark.parametrize("ellipsoid", [WGS84, SPHERE], ids=["wgs84", "sphere"])
def test_visibility_against_brute_force(ellipsoid):
    rng = np.random.default_rng(7)
    n = 1500
    lat, lon = rng.uniform(-1.4, 1.4, n), rng.uniform(-np.pi, np.pi, n)
    sat = geodetic_to_ecef(lat, lon, rng.uniform(400e3, 3000e3, n), ellipsoid)
    # targets up to ~35° away, below and above the grazing altitude: many near the limb
    t_lat = np.clip(lat + rng.uniform(-0.6, 0.6, n), -1.55, 1.55)
    t_alt = rng.uniform(0.0, 80e3, n)
    tgt = geodetic_to_ecef(t_lat, lon + rng.uniform(-0.6, 0.6, n), t_alt, ellipsoid)
    half = np.radians(rng.uniform(20.0, 90.0, n))
    max_range = rng.uniform(1e6, 5e6, n)
    grazing = rng.uniform(0.0, 40e3, n)

    got = space_visibility(sat, tgt, half, max_range, grazing, ellipsoid)
    got_alt = space_visibility(sat, tgt, half, max_range, grazing, ellipsoid, target_alt_m=t_alt)
    np.testing.assert_array_equal(got, got_alt)

    # Oracle (pymap3d works on its own ellipsoid objects)
    ell = pm.Ellipsoid(ellipsoid.a_m, ellipsoid.b_m)
    s = np.linspace(0.0, 1.0, 3000)[None, :, None]
    pts = sat[:, None, :] + s * (tgt - sat)[:, None, :]
    _, _, h = pm.ecef2geodetic(pts[..., 0], pts[..., 1], pts[..., 2], ell=ell, deg=False)
    min_alt = h.min(axis=1)
    need = np.minimum(grazing, t_alt)
    los = tgt - sat
    rng_m = np.linalg.norm(los, axis=1)
    eta = np.arccos(np.clip(np.einsum("ij,ij->i", -sat, los)
                            / (np.linalg.norm(sat, axis=1) * rng_m), -1, 1))
    expected = (eta <= half) & (rng_m <= max_range) & (min_alt >= need - 0.5)

    below = t_alt < grazing
    limb_margin = min_alt - need
    # the look-down case (the lowest point is the target itself) has margin exactly 0
    clear_cut = (np.abs(limb_margin) > 30.0) | (below & (np.abs(limb_margin) < 1e-3))
    decided = (clear_cut & (np.abs(eta - half) > 1e-6)
               & (np.abs(rng_m - max_range) > 1.0))
    assert decided.sum() > 0.9 * n
    assert expected[decided].sum() > 100 and (~expected[decided]).sum() > 100
    assert (expected[decided] & below[decided]).sum() > 20  # low targets seen from above
    assert (~expected[decided] & below[decided]).sum() > 20  # ... and across the limb
    np.testing.assert_array_equal(got[decided], expected[decided])


def test_broadcasting_satellites_against_targets():
    rng = np.random.default_rng(3)
    n_s, n_n, n_t = 4, 5, 6
    sat = geodetic_to_ecef(rng.uniform(-1, 1, (n_s, 1, n_t)), rng.uniform(-1, 1, (n_s, 1, n_t)),
                           1000e3)
    tgt = geodetic_to_ecef(rng.uniform(-1, 1, (1, n_n, n_t)), rng.uniform(-1, 1, (1, n_n, n_t)),
                           30e3)
    half = np.radians([30.0, 45.0, 60.0, 90.0])[:, None, None]
    got = space_visibility(sat, tgt, half, 4e6, 20e3)
    assert got.shape == (n_s, n_n, n_t)
    for i in range(n_s):
        for j in range(n_n):
            one = space_visibility(sat[i, 0], tgt[0, j], half[i, 0, 0], 4e6, 20e3)
            np.testing.assert_array_equal(got[i, j], one)
    assert got.any() and not got.all()


def test_nadir_glider_below_and_above_grazing_is_seen():
    """A satellite at 1,000 km looking almost straight down sees a 30 km glider (above the
    20 km grazing altitude) and a 10 km cruise missile (below it, seen against the Earth)."""
    sat = geodetic_to_ecef(0.3, 0.2, 1_000e3)
    for alt in (30e3, 20e3, 10e3, 0.0):
        tgt = geodetic_to_ecef(0.301, 0.2, alt)
        assert bool(space_visibility(sat, tgt, np.radians(60.0), 5e6, 20e3)), alt


def test_low_target_beyond_the_horizon_is_not_seen_and_no_jump_at_grazing_altitude():
    """On a sphere: a target at altitude h is seen across the limb (line of sight tangent
    below the grazing altitude) only if h >= grazing; near the satellite's horizon the answer
    changes where the closed form says, and does not jump as h crosses the grazing altitude."""
    r_e = SPHERE.a_m
    r_s = r_e + 1000e3
    sat = np.array([r_s, 0.0, 0.0])
    graze = 20e3

    def target(h, lam):
        return np.array([(r_e + h) * np.cos(lam), (r_e + h) * np.sin(lam), 0.0])

    def vis(h, lam):
        return bool(space_visibility(sat, target(h, lam), np.pi / 2, 1e8, graze, SPHERE))

    # h >= grazing: limit lam = acos(rho/r_s) + acos(rho/r_t), rho = R + grazing
    for h in (20e3, 40e3):
        rho = r_e + graze
        lam = np.arccos(rho / r_s) + np.arccos(rho / (r_e + h))
        assert vis(h, lam - 1e-5) and not vis(h, lam + 2e-3)
    # h < grazing: limit is the target's own horizon, lam = acos(r_t / r_s)
    # (just past it the line of sight dips below the target by only ~ (R dlam)^2 / 2R, so the
    # 1 m margin of the rule needs dlam = 2e-3 rad to show: a 13 m dip)
    for h in (0.0, 10e3, 19.9e3):
        lam = np.arccos((r_e + h) / r_s)
        assert vis(h, lam - 1e-5) and not vis(h, lam + 2e-3)
    # continuity across the grazing altitude
    lam = np.arccos((r_e + graze) / r_s)
    assert vis(graze - 1.0, lam - 1e-4) == vis(graze + 1.0, lam - 1e-4) is True


def test_nan_satellite_sees_nothing():
    tgt = geodetic_to_ecef(0.0, 0.0, 30e3)
    sat = np.array([np.nan, np.nan, np.nan])
    assert not bool(space_visibility(sat, tgt, np.radians(60.0), 5e6, 20e3))
