"""Coverage figures of merit against closed-form coverage geometry and Walker constellations.

What is published and what is closed-form geometry here (honestly):

* The numbers below are closed-form geometry; Walker's published table of small delta
  patterns (RAE TR 77044, 1977) is checked in ``test_coverage_against_walker_table.py``.
* Closed-form geometry (Wertz, *Space Mission Analysis and Design*, 3rd ed., §5.2 eqs. 5-15 to
  5-17, and the "streets of coverage" of §7.4, after Rider 1985): in the triangle Earth
  centre O, satellite S (radius r_s), point P (radius r_t), the Earth central angle λ at
  which P is seen is limited by
    - the field of regard (nadir half-angle η): ``λ = asin(r_s sin η / r_t) - η``;
    - the range R: ``cos λ = (r_s² + r_t² - R²) / (2 r_s r_t)``;
    - the limb (grazing altitude h_g ≤ target altitude): ``λ = acos(ρ/r_s) + acos(ρ/r_t)``,
      ``ρ = R_E + h_g``; for a target below h_g hdsim's rule gives the target's own horizon,
      ``λ = acos(r_t / r_s)``.
  A satellite on a circular orbit passing over P then covers it for a fraction λ/π of the
  orbit; N equally spaced satellites in the plane cover it ``m`` or ``m + 1`` times with
  ``2λ/(2π/N) = m + r``, ``m + 1`` for a time fraction ``r``.
* The mean number of satellites in view averaged over the whole sphere (area-weighted) is
  exactly ``N (1 - cos λ) / 2`` at every instant, whatever the constellation (each satellite
  contributes the area of its cap).
* Continuous single coverage of a 24/3/1 Walker pattern at 20,200 km, 55° (GPS-like altitude)
  follows from the streets of coverage: with 8 satellites per plane each plane covers a street
  of half-width c, ``cos c = cos λ / cos(π/8)``; with λ ≈ 76° (horizon at 0° elevation),
  c ≈ 74.8°, so a point escapes a plane's street only within 15.2° of that plane's pole, and
  the three planes' poles are about 90° apart: no point escapes all three.
"""

from __future__ import annotations

import itertools
import warnings
from datetime import UTC, datetime

import numpy as np
import pytest

from hdsim.earth import SPHERE, WGS84, geodetic_to_ecef
from hdsim.sensors.coverage import _gaps, coverage_grid
from hdsim.sensors.visibility import los_angle_between_rad, space_visibility
from hdsim.space import Constellation

R_E = SPHERE.a_m
EPOCH = datetime(2027, 3, 1, tzinfo=UTC)


def _lambda_closed_form(r_s, r_t, eta, max_range, graze):
    lam_for = np.arcsin(min(1.0, r_s * np.sin(eta) / r_t)) - eta if eta < np.pi / 2 else np.pi
    lam_range = np.arccos(np.clip((r_s**2 + r_t**2 - max_range**2) / (2 * r_s * r_t), -1, 1))
    if r_t - R_E >= graze:
        rho = R_E + graze
        lam_limb = np.arccos(rho / r_s) + np.arccos(rho / r_t)
    else:
        lam_limb = np.arccos(r_t / r_s)
    return min(lam_for, lam_range, lam_limb)


CASES = {
    # name: (sat altitude, target altitude, FOR half-angle deg, max range, grazing)
    "field_of_regard": (1000e3, 40e3, 30.0, 1e8, 20e3),
    "range": (1000e3, 40e3, 90.0, 2000e3, 20e3),
    "limb": (1000e3, 40e3, 90.0, 1e8, 20e3),
    "low_target_own_horizon": (1000e3, 10e3, 90.0, 1e8, 20e3),
    "geo_field_of_regard": (35_786e3, 40e3, 8.0, 1e9, 20e3),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_single_satellite_ring_against_closed_form(case):
    h_s, h_t, half_deg, max_range, graze = CASES[case]
    r_s, r_t = R_E + h_s, R_E + h_t
    lam = _lambda_closed_form(r_s, r_t, np.radians(half_deg), max_range, graze)
    n_t, step = 3600, 2.0
    theta = 2 * np.pi * np.arange(n_t) / n_t + 1e-4  # one revolution; no sample on the edge
    sat = np.stack([r_s * np.cos(theta), r_s * np.sin(theta), 0 * theta], axis=-1)[None]
    point = np.array([[r_t, 0.0, 0.0]])
    res = coverage_grid(sat, step * np.arange(n_t), point, np.radians(half_deg), max_range,
                        graze, ellipsoid=SPHERE)
    wrapped = np.abs((theta + np.pi) % (2 * np.pi) - np.pi)
    assert np.min(np.abs(wrapped - lam)) > 1e-6  # no sample within rounding of the boundary
    n_cov = int(np.sum(wrapped <= lam))
    assert 10 < n_cov < n_t - 10
    assert res.fraction_1[0] == n_cov / n_t  # exact count of samples
    assert res.fraction_1[0] == pytest.approx(lam / np.pi, abs=1.0 / n_t)
    assert res.fraction_2[0] == 0.0
    assert res.max_gap_s[0] == (n_t - n_cov) * step  # one gap per revolution
    assert res.mean_gap_s[0] == res.max_gap_s[0]
    assert np.isnan(res.best_triangulation_deg[0])
    assert res.span_s == n_t * step


@pytest.mark.parametrize("n_sats", [3, 5, 8])
def test_equatorial_ring_multiple_coverage_against_streets(n_sats):
    r_s, r_t, graze = R_E + 1500e3, R_E + 40e3, 20e3
    lam = _lambda_closed_form(r_s, r_t, np.pi / 2, 1e8, graze)
    n_t = 2000
    phase = 2 * np.pi * np.arange(n_t) / n_t / n_sats + 1e-4  # one inter-satellite spacing
    theta = phase[None, :] + 2 * np.pi * np.arange(n_sats)[:, None] / n_sats
    sat = np.stack([r_s * np.cos(theta), r_s * np.sin(theta), 0 * theta], axis=-1)
    point = np.array([[r_t, 0.0, 0.0]])
    res = coverage_grid(sat, 10.0 * np.arange(n_t), point, np.pi / 2, 1e8, graze,
                        ellipsoid=SPHERE)
    m, r = divmod(2 * lam / (2 * np.pi / n_sats), 1.0)
    expect_1 = 1.0 if m >= 1 else r
    expect_2 = 1.0 if m >= 2 else (r if m == 1 else 0.0)
    assert res.fraction_1[0] == pytest.approx(expect_1, abs=2.0 / n_t)
    assert res.fraction_2[0] == pytest.approx(expect_2, abs=2.0 / n_t)
    assert res.mean_n_sats[0] == pytest.approx(m + r, abs=2.0 / n_t)


def _global_grid(step_deg, alt_m, ellipsoid):
    lat = np.arange(-90.0 + step_deg / 2, 90.0, step_deg)
    lon = np.arange(-180.0, 180.0, step_deg)
    lat_g, lon_g = np.meshgrid(lat, lon, indexing="ij")
    grid = geodetic_to_ecef(np.radians(lat_g.ravel()), np.radians(lon_g.ravel()), alt_m,
                            ellipsoid)
    return lat_g.ravel(), grid


def test_global_mean_satellites_in_view_equals_cap_area():
    """Walker 24/3/1 at 1,200 km, 55° (propagated with J2 over a rotating Earth) on a sphere:
    the area-weighted mean number in view is N (1 - cos λ)/2 at every instant."""
    const = Constellation.from_walker("w", 24, 3, 1, 1200e3, 55.0)
    times = 600.0 * np.arange(6)
    pos = const.positions_ecef(times, EPOCH)
    r_s = float(np.linalg.norm(pos[0, 0]))
    h_t, graze = 40e3, 20e3
    lat, grid = _global_grid(2.0, h_t, SPHERE)
    res = coverage_grid(pos, times, grid, np.pi / 2, 1e8, graze, ellipsoid=SPHERE)
    lam = _lambda_closed_form(r_s, R_E + h_t, np.pi / 2, 1e8, graze)
    w = np.cos(np.radians(lat))
    mean_n = np.sum(w * res.mean_n_sats) / np.sum(w)
    assert mean_n == pytest.approx(24 * (1 - np.cos(lam)) / 2, rel=2e-3)


def test_gps_like_walker_gives_continuous_global_coverage():
    """Walker 24/3/1 at 20,200 km, 55°, WGS-84, one day at 30 min: no gap anywhere (streets
    of coverage, module docstring); and at least one point is seen by >= 2 satellites."""
    const = Constellation.from_walker("gps", 24, 3, 1, 20_200e3, 55.0)
    times = 1800.0 * np.arange(48)
    pos = const.positions_ecef(times, EPOCH)
    _, grid = _global_grid(6.0, 40e3, WGS84)
    res = coverage_grid(pos, times, grid, np.pi / 2, 1e9, 0.0)
    assert res.fraction_1.min() == 1.0
    assert res.max_gap_s.max() == 0.0 and res.mean_gap_s.max() == 0.0
    assert res.mean_n_sats.min() >= 1.0 and res.fraction_2.max() == 1.0


def test_sparse_walker_has_gaps():
    """Two satellites cannot cover the globe: gaps, fractions strictly between 0 and 1."""
    const = Constellation.from_walker("sparse", 2, 2, 1, 800e3, 60.0)
    times = 120.0 * np.arange(360)
    pos = const.positions_ecef(times, EPOCH)
    _, grid = _global_grid(15.0, 40e3, WGS84)
    res = coverage_grid(pos, times, grid, np.radians(60.0), 5e6, 20e3)
    assert 0.0 < res.fraction_1.mean() < 0.2
    assert np.all(res.max_gap_s > 0.0) and np.all(res.max_gap_s <= res.span_s)
    assert np.all(res.mean_gap_s <= res.max_gap_s)


def test_coverage_grid_equals_brute_force_visibility():
    """The float32 prefilter never drops a visible pair: counts, fractions and the median
    stereo angle equal a brute-force evaluation with ``space_visibility`` and
    ``los_angle_between_rad`` (several layers with different sensors, WGS-84)."""
    rng = np.random.default_rng(11)
    n_s, n_t, n_g = 30, 12, 150
    alt = np.repeat([600e3, 1200e3, 8000e3], 10)
    sat = geodetic_to_ecef(rng.uniform(-1.3, 1.3, (n_s, 1)) + 0.01 * np.arange(n_t),
                           rng.uniform(-3, 3, (n_s, 1)) + 0.03 * np.arange(n_t),
                           alt[:, None])
    grid = geodetic_to_ecef(rng.uniform(-1.3, 1.3, n_g), rng.uniform(-3, 3, n_g),
                            rng.uniform(0.0, 60e3, n_g))
    half = np.radians(np.repeat([50.0, 60.0, 15.0], 10))
    max_range = np.repeat([3e6, 5e6, 1.2e7], 10)
    graze = np.repeat([20e3, 30e3, 10e3], 10)
    res = coverage_grid(sat, 60.0 * np.arange(n_t), grid, half, max_range, graze,
                        max_chunk_elements=20_000)
    vis = space_visibility(sat[:, None], grid[None, :, None], half[:, None, None],
                           max_range[:, None, None], graze[:, None, None])  # (S, G, T)
    n = vis.sum(axis=0).T  # (T, G)
    assert n.max() >= 3
    np.testing.assert_array_equal(res.fraction_1, (n >= 1).mean(axis=0))
    np.testing.assert_array_equal(res.fraction_2, (n >= 2).mean(axis=0))
    np.testing.assert_allclose(res.mean_n_sats, n.mean(axis=0), rtol=1e-12)
    best = np.full((n_t, n_g), np.nan)
    for t, g in zip(*np.nonzero(n >= 2), strict=True):
        idx = np.nonzero(vis[:, g, t])[0]
        ang = np.degrees(los_angle_between_rad(sat[idx, None, t], sat[None, idx, t], grid[g]))
        ang = np.minimum(ang, 180.0 - ang)
        best[t, g] = ang[~np.eye(idx.size, dtype=bool)].max()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
        expect = np.nanmedian(best, axis=0)
    np.testing.assert_allclose(res.best_triangulation_deg, expect, atol=1e-9)


def test_gap_statistics_against_run_lengths():
    """Max and mean gap against itertools.groupby run lengths on random coverage masks."""
    rng = np.random.default_rng(5)
    covered = rng.random((200, 40)) < rng.uniform(0.0, 1.0, 40)
    covered[:, 0] = False
    covered[:, 1] = True
    max_gap, mean_gap = _gaps(covered, 30.0)
    for g in range(covered.shape[1]):
        runs = [len(list(grp)) for val, grp in itertools.groupby(covered[:, g]) if not val]
        assert max_gap[g] == (30.0 * max(runs) if runs else 0.0)
        assert mean_gap[g] == pytest.approx(30.0 * np.mean(runs) if runs else 0.0)
    assert max_gap[0] == 200 * 30.0 and max_gap[1] == 0.0
