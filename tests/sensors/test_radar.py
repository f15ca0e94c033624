"""Tests of hdsim.sensors.radar (radar measurement generation) against independent oracles.

Oracles:
- pymap3d ``ecef2aer`` / ``aer2ecef`` (WGS-84 azimuth, elevation, slant range; geodetic).
- Radar equation scaling SNR ∝ σ / R⁴ (Skolnik, *Introduction to Radar Systems*, 3rd ed.,
  eq. 1.10) in closed form.
- Radar horizon over the 4/3 Earth, d = sqrt(2 k R h1) + sqrt(2 k R h2) (Skolnik 3rd ed.,
  Sec. 8.2).
- Range rate of a straight-line target, Ṙ = v² (t − t_ca) / sqrt(b² + v² (t − t_ca)²).
- Binomial (detections), chi-square (noise variance) and Poisson (false alarms) sampling laws
  from scipy.stats, with two-sided 1e-6 tail bounds; all draws are seeded.
"""

from __future__ import annotations

import math

import numpy as np
import pymap3d
import pytest
from scipy import stats

from hdsim.earth import WGS84
from hdsim.sensors import radar as radar_mod
from hdsim.sensors.detections import RADAR
from hdsim.sensors.radar import RadarParams, radar_measurement, radar_scan_times, simulate_radar
from hdsim.sensors.radar_physics import pd_from_snr, required_snr_db

ELL = pymap3d.Ellipsoid.from_name("wgs84")
TAIL = 1e-6  # two-sided tail probability of the statistical bounds


def _ecef_from_aer(p: RadarParams, az, el, rng_m) -> np.ndarray:
    x, y, z = pymap3d.aer2ecef(np.asarray(az), np.asarray(el), np.asarray(rng_m), p.lat_rad,
                               p.lon_rad, p.alt_m, ELL, deg=False)
    return np.stack([x, y, z], axis=-1)


def _static(pos: np.ndarray, n_times: int) -> np.ndarray:
    """States (N, T, 6) of targets fixed in ECEF."""
    pos = np.atleast_2d(pos)
    st = np.zeros((pos.shape[0], n_times, 6))
    st[..., :3] = pos[:, None, :]
    return st


def _radar(**kw) -> RadarParams:
    base = dict(radar_id="r1", lat_deg=37.9, lon_deg=139.0, alt_m=10.0)
    base.update(kw)
    return RadarParams.from_degrees(**base)


def _threat_rows(det):
    return det.take(det.truth_idx >= 0)


# --------------------------------------------------------------------------- SNR and Pd


def test_reference_point_gets_reference_snr_and_r4_scaling():
    p = _radar(swerling=0, ref_snr_db=40.0, ref_range_m=8.0e5, ref_rcs_m2=0.5, beam_cells=1)
    # Reference point; twice the range with 16x the RCS (same SNR); twice the range (−12.04 dB).
    pos = _ecef_from_aer(p, [1.0, 2.0, 3.0], [0.3, 0.2, 0.5], [8.0e5, 1.6e6, 1.6e6])
    rcs = np.array([0.5, 8.0, 0.5])
    det = _threat_rows(simulate_radar(p, np.arange(5.0), _static(pos, 5), rcs,
                                      np.random.default_rng(1)))
    expect = np.array([40.0, 40.0, 40.0 - 40.0 * math.log10(2.0)])
    assert len(det) == 15  # Pd = 1 to double precision at >= 28 dB, Swerling 0
    np.testing.assert_allclose(det.snr_db, expect[det.truth_idx], atol=1e-9)


@pytest.mark.parametrize("swerling,n_pulses", [(0, 1), (1, 1), (2, 4), (3, 2), (4, 3)])
def test_detection_rate_matches_pd_from_snr_within_binomial_bounds(swerling, n_pulses):
    p = _radar(swerling=swerling, n_pulses=n_pulses, beam_cells=1, max_range_m=5.0e6)
    # Three groups of targets at ranges where Pd = 0.2, 0.5, 0.85.
    pd_goal = np.array([0.2, 0.5, 0.85])
    snr = required_snr_db(pd_goal, p.pfa, swerling, n_pulses)
    rng_m = p.ref_range_m * 10.0 ** ((p.ref_snr_db - snr) / 40.0)
    n_per, n_scans = 40, 250
    grp = np.repeat(np.arange(3), n_per)
    pos = _ecef_from_aer(p, 0.7 + 0.01 * grp, np.full(grp.size, 0.3), rng_m[grp])
    det = _threat_rows(simulate_radar(p, np.arange(float(n_scans)), _static(pos, n_scans),
                                      p.ref_rcs_m2, np.random.default_rng(2 + swerling)))
    pd = pd_from_snr(snr, p.pfa, swerling, n_pulses)
    np.testing.assert_allclose(pd, pd_goal, atol=1e-9)
    assert np.all(rng_m < p.max_range_m)
    n = n_per * n_scans
    hits = np.bincount(grp[det.truth_idx], minlength=3)
    lo = stats.binom.ppf(TAIL / 2, n, pd)
    hi = stats.binom.isf(TAIL / 2, n, pd)
    assert np.all((hits >= lo) & (hits <= hi)), (hits / n, pd)


def test_noise_std_follows_snr_within_chi_square_bounds():
    sig = dict(sigma_range_m=30.0, sigma_angle_rad=2e-3, sigma_range_rate_mps=4.0)
    p = _radar(swerling=0, beam_cells=1, ref_snr_db=25.0, **sig)
    rng_m = np.array([4.0e5, 8.0e5, 1.2e6, 1.6e6])  # SNR 40.9, 28.9, 21.8, 16.8 dB
    n_per, n_scans = 25, 80
    grp = np.repeat(np.arange(rng_m.size), n_per)
    az = np.linspace(0.0, 2.0 * np.pi, grp.size, endpoint=False)  # includes az = 0 (wrap)
    el = np.full(grp.size, 0.4)
    pos = _ecef_from_aer(p, az, el, rng_m[grp])
    det = _threat_rows(simulate_radar(p, np.arange(float(n_scans)), _static(pos, n_scans),
                                      p.ref_rcs_m2, np.random.default_rng(7)))
    i = det.truth_idx
    # sigma = sigma_ref * sqrt(SNR_ref / SNR) = sigma_ref * (R / R_ref)^2 at the reference RCS.
    scale = (rng_m[grp[i]] / p.ref_range_m) ** 2
    sig_ref = np.array([30.0, 2e-3, 2e-3, 4.0])
    np.testing.assert_allclose(det.sigma, scale[:, None] * sig_ref, rtol=1e-12)
    # Truth from pymap3d (independent AER); static targets have zero range rate.
    a, e, r = pymap3d.ecef2aer(pos[i, 0], pos[i, 1], pos[i, 2], p.lat_rad, p.lon_rad, p.alt_m,
                               ELL, deg=False)
    res = det.z - np.stack([r, a, e, np.zeros_like(r)], axis=-1)
    res[:, 1] = np.angle(np.exp(1j * res[:, 1]))
    u = res / det.sigma
    n = len(det)
    assert n > 0.9 * grp.size * n_scans
    ss = np.sum(u * u, axis=0)
    assert np.all(ss >= stats.chi2.ppf(TAIL / 2, n)) and np.all(ss <= stats.chi2.isf(TAIL / 2, n))
    assert np.all(np.abs(u.mean(axis=0)) <= stats.norm.isf(TAIL / 2) / math.sqrt(n))
    # Per SNR group too (the scaling with SNR, not only on average).
    for g in range(rng_m.size):
        ug = u[grp[i] == g]
        ssg = np.sum(ug * ug, axis=0)
        m = ug.shape[0]
        assert np.all(ssg >= stats.chi2.ppf(TAIL / 2, m)) and np.all(
            ssg <= stats.chi2.isf(TAIL / 2, m))


def test_sigma_floor():
    p = _radar(swerling=0, beam_cells=1, sigma_floor_fraction=0.5)
    pos = _ecef_from_aer(p, [0.5], [0.3], [2.0e5])  # SNR 28 dB above the reference
    det = _threat_rows(simulate_radar(p, [0.0], _static(pos, 1), p.ref_rcs_m2,
                                      np.random.default_rng(0)))
    np.testing.assert_allclose(det.sigma[0], 0.5 * p.sigma_ref, rtol=1e-15)


# ---------------------------------------------------------------------------- visibility


def _always_pd1(**kw) -> RadarParams:
    """Pd = 1 (Swerling 0, huge SNR) and no false alarms worth counting."""
    base = dict(swerling=0, ref_snr_db=80.0, beam_cells=1, pfa=1e-12)
    base.update(kw)
    return _radar(**base)


def test_radar_horizon_closed_form_4_3_earth():
    h1, h2, k = 20.0, 5000.0, 4.0 / 3.0
    p = _always_pd1(lat_deg=0.0, lon_deg=0.0, alt_m=h1, min_elevation_deg=-3.0)
    # Looking due north from the equator the radius of curvature is the meridian radius
    # M = a (1 − e²); the ground range along the meridian is M times the latitude.
    m0 = WGS84.a_m * (1.0 - WGS84.e2)
    d = math.sqrt(2 * k * m0 * h1) + math.sqrt(2 * k * m0 * h2)  # ≈ 309 km
    d1 = math.sqrt(2 * m0 * h1) + math.sqrt(2 * m0 * h2)  # no refraction ≈ 268 km
    ground = np.array([0.99 * d, 1.01 * d, 0.99 * d1, 1.01 * d1, 0.5 * (d + d1)])
    x, y, z = pymap3d.geodetic2ecef(ground / m0, 0.0, h2, ELL, deg=False)
    pos = np.stack([x, y, z], axis=-1)
    n_scans = 20
    det = _threat_rows(simulate_radar(p, np.arange(float(n_scans)), _static(pos, n_scans), 1.0,
                                      np.random.default_rng(0)))
    hits = np.bincount(det.truth_idx, minlength=ground.size)
    np.testing.assert_array_equal(hits, [n_scans, 0, n_scans, n_scans, n_scans])
    # Without refraction (k = 1) the horizon shrinks to d1.
    p1 = _always_pd1(lat_deg=0.0, lon_deg=0.0, alt_m=h1, min_elevation_deg=-3.0, refraction_k=1.0)
    det1 = _threat_rows(simulate_radar(p1, np.arange(float(n_scans)), _static(pos, n_scans), 1.0,
                                       np.random.default_rng(0)))
    hits1 = np.bincount(det1.truth_idx, minlength=ground.size)
    np.testing.assert_array_equal(hits1, [0, 0, n_scans, 0, 0])


def test_min_elevation():
    n_scans = 10
    eps = 1e-4
    # No refraction: apparent = geometric elevation (pymap3d), cut exactly at min_el.
    p1 = _always_pd1(min_elevation_deg=5.0, refraction_k=1.0)
    el = p1.min_elevation_rad + np.array([-eps, eps, -0.1, 0.3])
    pos = _ecef_from_aer(p1, [1.0, 1.0, 4.0, 4.0], el, [5.0e5, 5.0e5, 3.0e5, 1.5e6])
    det = _threat_rows(simulate_radar(p1, np.arange(float(n_scans)), _static(pos, n_scans), 1.0,
                                      np.random.default_rng(0)))
    np.testing.assert_array_equal(np.bincount(det.truth_idx, minlength=4),
                                  [0, n_scans, 0, n_scans])
    # With 4/3 refraction the bending at 500 km is ≈ g / (8 R) ≈ 0.56°: a target 1° below the
    # minimum is still never seen, and refraction lifts one 0.2° below it into view.
    p = _always_pd1(min_elevation_deg=5.0)
    el = p.min_elevation_rad + np.radians([-1.0, -0.2])
    pos = _ecef_from_aer(p, [1.0, 1.0], el, [5.0e5, 5.0e5])
    det = _threat_rows(simulate_radar(p, np.arange(float(n_scans)), _static(pos, n_scans), 1.0,
                                      np.random.default_rng(0)))
    np.testing.assert_array_equal(np.bincount(det.truth_idx, minlength=2), [0, n_scans])


def test_max_and_min_range():
    n_scans = 10
    p = _always_pd1(max_range_m=1.5e6, min_range_m=2.0e4)
    r = np.array([1.5e6 - 1.0, 1.5e6 + 1.0, 2.0e4 + 1.0, 2.0e4 - 1.0])
    pos = _ecef_from_aer(p, np.full(4, 2.0), np.full(4, np.radians(20.0)), r)
    det = _threat_rows(simulate_radar(p, np.arange(float(n_scans)), _static(pos, n_scans), 1.0,
                                      np.random.default_rng(0)))
    np.testing.assert_array_equal(np.bincount(det.truth_idx, minlength=4),
                                  [n_scans, 0, n_scans, 0])


def test_not_flying_threats_are_never_detected():
    p = _always_pd1()
    pos = _ecef_from_aer(p, [1.0, 2.0], [0.3, 0.3], [5e5, 5e5])
    st = _static(pos, 10)
    st[0, 3:] = np.nan  # threat 0 impacts after t = 2
    st[1, :5] = np.nan  # threat 1 launches at t = 5
    det = _threat_rows(simulate_radar(p, np.arange(10.0), st, 1.0, np.random.default_rng(0)))
    np.testing.assert_array_equal(det.t_s[det.truth_idx == 0], [0.0, 1.0, 2.0])
    np.testing.assert_array_equal(det.t_s[det.truth_idx == 1], np.arange(5.0, 10.0))


# --------------------------------------------------------------------------- range rate


def _straight_line(p: RadarParams, speed: float, t_ca: float):
    """A target on a straight ECEF line whose closest approach to the site is at t_ca."""
    site = p.site_ecef()
    r_ca = _ecef_from_aer(p, 0.5, 0.4, 6.0e5)
    los = (r_ca - site) / np.linalg.norm(r_ca - site)
    v = np.cross(los, site / np.linalg.norm(site))
    v = speed * v / np.linalg.norm(v)
    b = np.linalg.norm(r_ca - site)

    def states_at(t):
        t = np.asarray(t, dtype=float)
        pos = r_ca + (t - t_ca)[:, None] * v
        return np.concatenate([pos, np.broadcast_to(v, pos.shape)], axis=-1)[None]

    return states_at, b


def test_range_rate_straight_line_closed_form():
    speed, t_ca = 3000.0, 30.0
    p = _always_pd1(sigma_range_m=1e-9, sigma_angle_rad=1e-15, sigma_range_rate_mps=1e-9)
    states_at, b = _straight_line(p, speed, t_ca)
    t = np.arange(0.0, 61.0)
    det = _threat_rows(simulate_radar(p, t, states_at, 1.0, np.random.default_rng(0)))
    assert len(det) == t.size
    tau = det.t_s - t_ca
    rr = speed**2 * tau / np.sqrt(b**2 + (speed * tau) ** 2)
    np.testing.assert_allclose(det.z[:, 3], rr, atol=1e-6)
    np.testing.assert_allclose(det.z[:, 0], np.hypot(b, speed * tau), atol=1e-6)
    assert np.all(det.z[tau < 0, 3] < -1.0) and np.all(det.z[tau > 0, 3] > 1.0)
    assert abs(det.z[tau == 0, 3][0]) < 1e-6


def test_sampled_states_are_interpolated_to_scan_times():
    # Samples every 4 s, scans every 1.5 s, constant ECEF acceleration: cubic Hermite
    # (position) and linear (velocity) interpolation reproduce r0 + v0 t + a t²/2 exactly.
    p = _always_pd1(revisit_s=1.5, sigma_range_m=1e-9, sigma_angle_rad=1e-15,
                    sigma_range_rate_mps=1e-9)
    site = p.site_ecef()
    r0 = _ecef_from_aer(p, 0.5, 0.4, 6.0e5)
    v0 = np.array([1500.0, -2000.0, 800.0])
    acc = np.array([-30.0, 25.0, -40.0])

    def truth(t):
        t = np.asarray(t, dtype=float)[:, None]
        return r0 + v0 * t + 0.5 * acc * t * t, v0 + acc * t

    samples = np.arange(0.0, 41.0, 4.0)
    pos, vel = truth(samples)
    states = np.concatenate([pos, vel], axis=-1)[None]
    det = _threat_rows(simulate_radar(p, samples, states, 1.0, np.random.default_rng(0)))
    np.testing.assert_allclose(det.t_s, radar_scan_times(0.0, 40.0, 1.5))
    assert det.t_s[-1] == 39.0
    pos, vel = truth(det.t_s)
    d = pos - site
    rng_m = np.linalg.norm(d, axis=-1)
    np.testing.assert_allclose(det.z[:, 0], rng_m, atol=1e-6)
    np.testing.assert_allclose(det.z[:, 3], np.sum(d * vel, axis=-1) / rng_m, atol=1e-6)


# --------------------------------------------------------------------------- false alarms


def test_false_alarms_poisson_rate_and_inside_volume():
    p = _radar(pfa=1e-4, beam_cells=40, range_resolution_m=1000.0, max_range_m=1.0e6,
               min_range_m=5.0e4, min_elevation_deg=2.0, max_abs_range_rate_mps=6000.0)
    assert p.n_cells == 950 * 40
    n_scans = 4000
    det = simulate_radar(p, np.arange(float(n_scans)), np.zeros((0, n_scans, 6)), np.zeros(0),
                         np.random.default_rng(11))
    assert np.all(det.truth_idx == -1) and np.all(det.sensor_type == RADAR)
    lam = p.pfa * p.n_cells * n_scans  # 15,200 expected
    assert stats.poisson.ppf(TAIL / 2, lam) <= len(det) <= stats.poisson.isf(TAIL / 2, lam)
    # Per-scan counts: Poisson dispersion (variance / mean = 1), chi-square bound.
    counts = np.bincount(det.t_s.astype(int), minlength=n_scans)
    disp = np.sum((counts - counts.mean()) ** 2) / counts.mean()
    assert stats.chi2.ppf(TAIL / 2, n_scans - 1) <= disp <= stats.chi2.isf(TAIL / 2, n_scans - 1)
    r, az, el, rr = det.z.T
    assert np.all((r >= 5.0e4) & (r <= 1.0e6))
    assert np.all((az >= 0.0) & (az < 2.0 * np.pi))
    assert np.all((el >= np.radians(2.0)) & (el <= np.pi / 2))
    assert np.all(np.abs(rr) <= 6000.0)
    # Uniform over the cells of each coordinate (Kolmogorov-Smirnov).
    for x, lo, hi in [(r, 5.0e4, 1.0e6), (az, 0.0, 2 * np.pi), (el, np.radians(2.0), np.pi / 2),
                      (rr, -6000.0, 6000.0)]:
        assert stats.kstest(x, stats.uniform(lo, hi - lo).cdf).pvalue > TAIL
    np.testing.assert_array_equal(det.sigma, np.broadcast_to(p.sigma_ref, det.sigma.shape))
    assert np.all(np.isfinite(det.snr_db))
    np.testing.assert_array_equal(det.sensor_pos_ecef, np.broadcast_to(p.site_ecef(),
                                                                      (len(det), 3)))


# ------------------------------------------------------------------ geometry vs pymap3d


def test_aer_against_pymap3d_noise_free():
    rng = np.random.default_rng(5)
    p = _always_pd1(lat_deg=-33.0, lon_deg=151.2, alt_m=120.0, max_range_m=3.0e6,
                    sigma_range_m=1e-12, sigma_angle_rad=1e-18, sigma_range_rate_mps=1e-12)
    n = 400
    pos = _ecef_from_aer(p, rng.uniform(0, 2 * np.pi, n), rng.uniform(0.05, 1.5, n),
                         rng.uniform(1e4, 2.9e6, n))
    vel = rng.normal(0.0, 3000.0, (n, 3))
    states = np.concatenate([pos, vel], axis=-1)
    a, e, r = pymap3d.ecef2aer(pos[:, 0], pos[:, 1], pos[:, 2], p.lat_rad, p.lon_rad, p.alt_m,
                               ELL, deg=False)
    z = radar_measurement(p, states)
    np.testing.assert_allclose(z[:, 0], r, atol=1e-3)
    assert np.max(np.abs(np.angle(np.exp(1j * (z[:, 1] - a))))) <= 1e-9
    np.testing.assert_allclose(z[:, 2], e, atol=1e-9)
    # Range rate: finite difference of pymap3d's range along the velocity (site fixed in ECEF).
    h = 1e-3
    p2 = pos + h * vel
    _, _, r2 = pymap3d.ecef2aer(p2[:, 0], p2[:, 1], p2[:, 2], p.lat_rad, p.lon_rad, p.alt_m,
                                ELL, deg=False)
    p0 = pos - h * vel
    _, _, r0 = pymap3d.ecef2aer(p0[:, 0], p0[:, 1], p0[:, 2], p.lat_rad, p.lon_rad, p.alt_m,
                                ELL, deg=False)
    np.testing.assert_allclose(z[:, 3], (r2 - r0) / (2 * h), atol=1e-4)
    # End to end: the simulator's (practically noise-free) rows give the same AER.
    det = _threat_rows(simulate_radar(p, [0.0], states[:, None, :], 1.0,
                                      np.random.default_rng(0)))
    assert len(det) == n
    i = det.truth_idx
    np.testing.assert_allclose(det.z[:, 0], r[i], atol=1e-3)
    assert np.max(np.abs(np.angle(np.exp(1j * (det.z[:, 1] - a[i]))))) <= 1e-9
    np.testing.assert_allclose(det.z[:, 2], e[i], atol=1e-9)
    assert np.all((det.z[:, 1] >= 0) & (det.z[:, 1] < 2 * np.pi))


# --------------------------------------------------------------- output structure, seeds


def _scenario(n=30, n_t=40):
    rng = np.random.default_rng(3)
    p = _radar(pfa=1e-5)
    pos = _ecef_from_aer(p, rng.uniform(0, 2 * np.pi, n), rng.uniform(0.0, 0.8, n),
                         rng.uniform(2e5, 2.5e6, n))
    vel = rng.normal(0.0, 2000.0, (n, 3))
    t = np.arange(float(n_t))
    st = np.concatenate([pos[:, None] + vel[:, None] * t[None, :, None],
                         np.broadcast_to(vel[:, None], (n, n_t, 3))], axis=-1)
    return p, t, st, rng.uniform(0.01, 1.0, n)


def _same(a, b) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f)) for f in
               ("t_s", "truth_idx", "z", "sigma", "snr_db", "sensor_pos_ecef"))


def test_same_seed_identical_and_chunk_invariant(monkeypatch):
    p, t, st, rcs = _scenario()
    d1 = simulate_radar(p, t, st, rcs, np.random.default_rng(42))
    d2 = simulate_radar(p, t, st, rcs, np.random.default_rng(42))
    d3 = simulate_radar(p, t, st, rcs, np.random.default_rng(43))
    assert len(d1) > 100 and _same(d1, d2) and not _same(d1, d3)
    monkeypatch.setattr(radar_mod, "_CHUNK_PAIRS", 7)  # many chunks of scans
    assert _same(d1, simulate_radar(p, t, st, rcs, np.random.default_rng(42)))


def test_output_structure_time_sorted():
    p, t, st, rcs = _scenario()
    det = simulate_radar(p, t, st, rcs, np.random.default_rng(0))
    assert np.all(np.diff(det.t_s) >= 0)
    assert det.sensor_ids == ["r1"] and det.layer_ids == ["r1"]
    assert np.all(det.sensor_idx == 0) and np.all(det.sensor_type == RADAR)
    assert det.z.shape == (len(det), 4) and np.all(np.isfinite(det.z))
    assert np.all(det.sigma > 0) and (det.truth_idx == -1).any() and (det.truth_idx >= 0).any()
    # Within a scan, threat rows come in threat order, before the false alarms.
    for tk in np.unique(det.t_s):
        ti = det.truth_idx[det.t_s == tk]
        real = ti[ti >= 0]
        assert np.all(np.diff(real) > 0)
        assert np.all(ti[: real.size] >= 0)


def test_scan_times():
    np.testing.assert_allclose(radar_scan_times(10.0, 20.0, 2.5), [10, 12.5, 15, 17.5, 20])
    np.testing.assert_allclose(radar_scan_times(0.0, 0.3 * 10, 0.3), 0.3 * np.arange(11))
    assert radar_scan_times(5.0, 4.0, 1.0).size == 0


@pytest.mark.parametrize("field,value", [("revisit_s", 0.0), ("pfa", 1.0), ("swerling", 5),
                                         ("max_range_m", -1.0), ("n_pulses", 0),
                                         ("sigma_angle_rad", 0.0)])
def test_invalid_params_raise(field, value):
    with pytest.raises(ValueError, match=field):
        _radar(**{field: value})


def test_shape_errors():
    p = _radar()
    with pytest.raises(ValueError, match="threat_states"):
        simulate_radar(p, np.arange(5.0), np.zeros((2, 4, 6)), 1.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="rcs_m2"):
        simulate_radar(p, np.arange(5.0), np.zeros((2, 5, 6)), [1.0, 2.0, 3.0],
                       np.random.default_rng(0))


@pytest.mark.parametrize("k", [4.0 / 3.0, 1.0, 0.8, 2.0])
def test_visible_set_equals_horizon_function_everywhere(k):
    # The simulator pre-screens pairs by geometric elevation before the exact 4/3-Earth test;
    # over random low and high targets (many near the horizon) the detected set (Pd = 1) must
    # equal radar_physics.above_radar_horizon within the range limits.
    from hdsim.sensors.radar_physics import above_radar_horizon

    rng = np.random.default_rng(9)
    p = _always_pd1(min_elevation_deg=0.5, max_range_m=3.0e6, refraction_k=k)
    n = 20000
    lat = p.lat_rad + rng.uniform(-0.45, 0.45, n)
    lon = p.lon_rad + rng.uniform(-0.55, 0.55, n)
    alt = np.where(rng.random(n) < 0.5, rng.uniform(0, 1e5, n), rng.uniform(0, 1.5e6, n))
    x, y, z = pymap3d.geodetic2ecef(lat, lon, alt, ELL, deg=False)
    pos = np.stack([x, y, z], axis=-1)
    det = _threat_rows(simulate_radar(p, [0.0], _static(pos, 1), 1.0, np.random.default_rng(0)))
    vis, _ = above_radar_horizon(p.site_ecef(), pos, p.min_elevation_rad, k=k)
    r = np.linalg.norm(pos - p.site_ecef(), axis=-1)
    expect = np.flatnonzero(vis & (r <= p.max_range_m))
    assert 1000 < expect.size < n - 1000
    np.testing.assert_array_equal(np.sort(det.truth_idx), expect)
