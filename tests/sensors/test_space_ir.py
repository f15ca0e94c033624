"""Space IR measurement generation against independent computations and statistics.

Oracles:
- Tangent-plane angles: the line of sight rotated into the nadir frame by hand (east and north
  unit vectors written from the satellite's geocentric latitude and longitude), and the closed
  form ``u = atan(Δy / h)`` for a satellite over (0°, 0°).
- Detection and noise statistics: binomial bounds on the empirical Pd against the normal law
  ``Pd = Q(T − SNR)`` (scipy.stats.norm), with the SNR recomputed from
  ``body_radiant_intensity_w_sr`` / ``plume_radiant_intensity_w_sr`` and ``I / R² / NEI`` by
  hand; chi-square bounds (scipy.stats.chi2) on the sample variance of the angle residuals.
- Geometry: limb and look-down geometries built by hand in the equatorial plane (where the
  WGS-84 section is a circle of radius a, so altitudes are ``r − a`` exactly), and a brute-force
  ``space_visibility`` over the full satellite × threat × frame grid for the screening.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from hdsim.earth import WGS84_A_M, geodetic_to_ecef, sun_position_ecef
from hdsim.sensors.detections import SPACE_IR
from hdsim.sensors.infrared_physics import (
    body_radiant_intensity_w_sr,
    plume_radiant_intensity_w_sr,
)
from hdsim.sensors.space_ir import (
    SpaceIrParams,
    ir_frame_times,
    ir_signature_w_sr,
    ir_tangent_angles,
    simulate_space_ir,
)
from hdsim.sensors.visibility import space_visibility
from hdsim.space import Constellation

A = WGS84_A_M
AU = 1.495978707e11
GLIDE, BOOST = 3, 0
R_SAT = A + 1.0e6
SAT = np.array([R_SAT, 0.0, 0.0])  # over (0°, 0°), 1,000 km


def _equatorial(angle_rad: float, alt_m: float) -> np.ndarray:
    return (A + alt_m) * np.array([math.cos(angle_rad), math.sin(angle_rad), 0.0])


def _limb_target(tangent_alt_m: float, target_alt_m: float) -> np.ndarray:
    """A target past the tangent point of a line of sight from SAT that grazes ``tangent_alt_m``
    (equatorial plane): seen above the horizon, against space."""
    r_tan = A + tangent_alt_m
    th = math.acos(r_tan / R_SAT)
    p = r_tan * np.array([math.cos(th), math.sin(th), 0.0])
    u = (p - SAT) / np.linalg.norm(p - SAT)
    return p + math.sqrt((A + target_alt_m) ** 2 - r_tan**2) * u


def _run(targets, speeds, phases, frames=1, areas=None, params=None, sun=None, seed=0,
         sat=SAT, **kw):
    """One satellite, fixed targets (velocity along +z), ``frames`` identical frames."""
    targets = np.atleast_2d(np.asarray(targets, float))
    n = targets.shape[0]
    vel = np.zeros((n, 3))
    vel[:, 2] = speeds
    states = np.repeat(np.concatenate([targets, vel], -1)[:, None, :], frames, axis=1)
    phase = np.repeat(np.broadcast_to(np.asarray(phases, np.int8), (n,))[:, None], frames, 1)
    sun = np.array([0.0, 0.0, AU]) if sun is None else np.asarray(sun, float)  # 90° from LOS
    return simulate_space_ir(
        "layer", ["sat-0"], np.repeat(np.asarray(sat, float)[None, None, :], frames, axis=1),
        np.arange(frames, dtype=float), states, phase,
        np.ones(n) if areas is None else np.asarray(areas, float),
        params or SpaceIrParams(), np.repeat(sun[None, :], frames, axis=0),
        np.random.default_rng(seed), **kw)


def _body_snr(target, speed, area, nei, params=None):
    params = params or SpaceIrParams()
    alt = np.linalg.norm(target) - A  # equatorial plane
    intensity = body_radiant_intensity_w_sr(speed, alt, area, params.emissivity, params.band_m)
    return float(intensity / np.sum((target - SAT) ** 2) / nei)


# --------------------------------------------------------------------------- angles


def _angles_by_hand(sat, tgt):
    lon = math.atan2(sat[1], sat[0])
    lat = math.asin(sat[2] / np.linalg.norm(sat))
    east = np.array([-math.sin(lon), math.cos(lon), 0.0])
    north = np.array([-math.sin(lat) * math.cos(lon), -math.sin(lat) * math.sin(lon),
                      math.cos(lat)])
    down = -sat / np.linalg.norm(sat)
    d = tgt - sat
    return math.atan2(east @ d, down @ d), math.atan2(north @ d, down @ d)


def test_tangent_angles_closed_form_over_the_equator():
    h = 1.0e6
    tgt = np.array([[A, 10e3, 0.0], [A, 0.0, -25e3], [A - 1e5, 3e5, 2e5]])
    uv = ir_tangent_angles(SAT, tgt)
    np.testing.assert_allclose(uv[0], [math.atan(10e3 / h), 0.0], atol=1e-15)
    np.testing.assert_allclose(uv[1], [0.0, math.atan(-25e3 / h)], atol=1e-15)
    np.testing.assert_allclose(uv[2], [math.atan(3e5 / (h + 1e5)), math.atan(2e5 / (h + 1e5))],
                               atol=1e-15)


@settings(max_examples=200, deadline=None)
@given(lat=st.floats(-1.5, 1.5), lon=st.floats(-math.pi, math.pi),
       alt=st.floats(3e5, 4e7), off=st.lists(st.floats(-3e6, 3e6), min_size=3, max_size=3))
def test_tangent_angles_match_hand_rotation(lat, lon, alt, off):
    sat = geodetic_to_ecef(lat, lon, alt)
    tgt = sat * (1.0 - 0.5 * alt / np.linalg.norm(sat)) + np.asarray(off)
    uv = ir_tangent_angles(sat, tgt)
    assert np.allclose(uv, _angles_by_hand(sat, tgt), rtol=0, atol=1e-12)


# ------------------------------------------------------------------- statistics


def test_empirical_pd_matches_normal_law():
    params = SpaceIrParams()
    tgt = _equatorial(math.radians(8.0), 40e3)  # look-down
    unit_snr = _body_snr(tgt, 5000.0, 1.0, params.nei_look_down_w_m2)
    threshold = stats.norm.isf(params.pfa)
    area = (threshold + 0.4) / unit_snr  # SNR just above the threshold: Pd ≈ 0.66
    n = 3000
    det = _run(tgt, 5000.0, GLIDE, frames=n, areas=[area])
    pd = stats.norm.sf(threshold - unit_snr * area)
    k = len(det)
    assert 0.5 < pd < 0.8
    assert abs(k - n * pd) < 4.0 * math.sqrt(n * pd * (1.0 - pd))
    np.testing.assert_allclose(det.snr_db, 10 * math.log10(unit_snr * area), rtol=0, atol=1e-9)


def test_angle_noise_is_gaussian_with_sigma():
    params = SpaceIrParams(angle_noise_rad=3e-5)
    tgt = _equatorial(math.radians(6.0), 40e3)
    n = 4000
    det = _run(tgt, 5000.0, GLIDE, frames=n, params=params, seed=7)
    assert len(det) == n  # SNR ~ 1e3: Pd = 1
    res = det.z[:, :2] - np.asarray(_angles_by_hand(SAT, tgt))
    lo, hi = stats.chi2.ppf([0.0005, 0.9995], n)
    for axis in range(2):
        chi = np.sum(res[:, axis] ** 2) / params.angle_noise_rad**2
        assert lo < chi < hi
        assert abs(res[:, axis].mean()) < 4 * params.angle_noise_rad / math.sqrt(n)
    assert abs(np.corrcoef(res.T)[0, 1]) < 4 / math.sqrt(n)
    assert np.all(np.isnan(det.z[:, 2:])) and np.all(np.isnan(det.sigma[:, 2:]))
    assert np.all(det.sigma[:, :2] == params.angle_noise_rad)
    assert np.all(det.sensor_type == SPACE_IR) and np.all(det.sensor_pos_ecef == SAT)


# ------------------------------------------------------------------- geometry


def test_target_behind_the_earth_is_never_detected():
    # Horizon angles over the 20 km grazing layer: 29.9° (satellite) + 4.5° (40 km target).
    hidden = [_equatorial(math.radians(a), 40e3) for a in (36.0, 90.0, 180.0)]
    seen = _equatorial(math.radians(30.0), 40e3)
    det = _run(hidden + [seen], 2000.0, BOOST, frames=50,
               params=SpaceIrParams(field_of_regard_rad=math.pi))
    assert len(det) == 50 and np.all(det.truth_idx == 3)


def test_boost_plume_seen_at_long_range_but_not_a_cold_slow_body():
    angle = math.radians(22.0)  # 59° off nadir, inside the 120° field of regard
    boost, cold = _equatorial(angle, 40e3), _equatorial(-angle, 40e3)
    rng_m = np.linalg.norm(boost - SAT)
    assert rng_m > 2.7e6
    det = _run([boost, cold], [2000.0, 300.0], [BOOST, GLIDE], frames=200)
    assert len(det) == 200 and np.all(det.truth_idx == 0)
    params = SpaceIrParams()
    plume = plume_radiant_intensity_w_sr(params.boost_thrust_n)
    body = body_radiant_intensity_w_sr(2000.0, 40e3, 1.0, params.emissivity, params.band_m)
    expected = (plume + body) / rng_m**2 / params.nei_look_down_w_m2
    np.testing.assert_allclose(det.snr_db, 10 * np.log10(expected), atol=1e-9)
    assert _body_snr(cold, 300.0, 1.0, params.nei_look_down_w_m2) < 0.1  # Pd ≈ pfa


def test_each_background_uses_its_own_nei():
    params = SpaceIrParams(field_of_regard_rad=math.radians(140.0),
                           nei_look_down_w_m2=1e-11, nei_above_horizon_w_m2=1e-13)
    down = _equatorial(math.radians(10.0), 40e3)
    limb = _limb_target(tangent_alt_m=30e3, target_alt_m=40e3)
    assert abs(np.linalg.norm(limb) - (A + 40e3)) < 1e-6
    det = _run([down, limb], 5000.0, GLIDE, frames=3, params=params)
    assert len(det) == 6
    by_target = {int(i): s for i, s in zip(det.truth_idx, det.snr_db, strict=True)}
    snr_down = _body_snr(down, 5000.0, 1.0, params.nei_look_down_w_m2)
    snr_limb = _body_snr(limb, 5000.0, 1.0, params.nei_above_horizon_w_m2)
    assert by_target[0] == pytest.approx(10 * math.log10(snr_down), abs=1e-9)
    assert by_target[1] == pytest.approx(10 * math.log10(snr_limb), abs=1e-9)


def test_sun_exclusion():
    params = SpaceIrParams(field_of_regard_rad=math.radians(140.0))
    limb = _limb_target(30e3, 40e3)
    los = (limb - SAT) / np.linalg.norm(limb - SAT)
    normal = np.cross(los, [0.0, 0.0, 1.0])
    normal /= np.linalg.norm(normal)

    def sun_at(angle_deg, los=los):  # Earth-to-Sun vector seen from SAT at angle from the LOS
        a = math.radians(angle_deg)
        return SAT + AU * (math.cos(a) * los + math.sin(a) * normal)

    assert len(_run(limb, 5000.0, GLIDE, frames=20, params=params, sun=sun_at(0.0))) == 0
    assert len(_run(limb, 5000.0, GLIDE, frames=20, params=params, sun=sun_at(9.5))) == 0
    assert len(_run(limb, 5000.0, GLIDE, frames=20, params=params, sun=sun_at(10.5))) == 20
    no_exclusion = SpaceIrParams(field_of_regard_rad=math.radians(140.0), sun_exclusion_rad=0.0)
    assert len(_run(limb, 5000.0, GLIDE, frames=20, params=no_exclusion, sun=sun_at(0.0))) == 20
    # Looking down, the Sun behind the target is behind the Earth: no glare, no exclusion.
    down = _equatorial(math.radians(10.0), 40e3)
    los_down = (down - SAT) / np.linalg.norm(down - SAT)
    assert len(_run(down, 5000.0, GLIDE, frames=20, sun=SAT + AU * los_down)) == 20


def test_signature_boost_and_exoatmospheric_cap():
    params = SpaceIrParams()
    body = body_radiant_intensity_w_sr(6000.0, 40e3, 2.0, params.emissivity, params.band_m)
    sig = ir_signature_w_sr(6000.0, 40e3, [BOOST, GLIDE], 2.0, params, thrust_n=2e5)
    np.testing.assert_allclose(sig, [body + plume_radiant_intensity_w_sr(2e5), body], rtol=1e-12)
    # At 400 km the 1976 thermosphere is at ~1000 K but cannot heat a body: it stays cool.
    from hdsim.sensors.infrared_physics import band_radiance_w_m2_sr
    cool = params.emissivity * band_radiance_w_m2_sr(330.0, *params.band_m)
    assert ir_signature_w_sr(7000.0, 400e3, GLIDE, 1.0, params) < cool


# ------------------------------------------------------------- many satellites


def _tracks(n, times, alt_m, speed_mps, rng):
    lat0 = np.arcsin(rng.uniform(-1, 1, n))[:, None]
    lon0 = rng.uniform(-np.pi, np.pi, n)[:, None]
    head = rng.uniform(0, 2 * np.pi, n)[:, None]

    def at(t):
        d = speed_mps * t[None, :] / (A + alt_m)
        lat = np.arcsin(np.sin(lat0) * np.cos(d) + np.cos(lat0) * np.sin(d) * np.cos(head))
        lon = lon0 + np.arctan2(np.sin(head) * np.sin(d) * np.cos(lat0),
                                np.cos(d) - np.sin(lat0) * np.sin(lat))
        return geodetic_to_ecef(lat, lon, alt_m)

    return np.concatenate([at(times), at(times + 0.5) - at(times - 0.5)], axis=-1)


@pytest.fixture(scope="module")
def layer_case():
    epoch = datetime(2025, 6, 1, tzinfo=UTC)
    rng = np.random.default_rng(3)
    layer = Constellation.from_walker("L", 36, 6, 1, 1.2e6, 70.0)
    times = np.arange(0.0, 40.0, 2.0)
    sat = layer.positions_ecef(times, epoch)
    sat[5, 3:7] = np.nan  # a satellite without a state for a while
    alts = rng.uniform(5e3, 300e3, (40, 1))  # below, at and far above the grazing layer
    states = np.concatenate([_tracks(40, times, 40e3, 5000.0, rng),
                             _tracks(40, times, alts, 3000.0, rng)], axis=0)
    states[:10, :5] = np.nan  # not yet flying
    phase = np.full(states.shape[:2], GLIDE, np.int8)
    phase[:10, :5] = -1
    phase[10:20] = BOOST
    return layer, times, sat, states, phase, sun_position_ecef(times, epoch)


@pytest.mark.parametrize(("for_deg", "max_range_m"), [
    (120.0, 5.0e6),  # the Earth limb bounds the screen
    (60.0, 5.0e6),  # the field of regard does
    (170.0, 2.0e6),  # the range does
])
def test_screening_keeps_every_visible_pair(layer_case, for_deg, max_range_m):
    layer, times, sat, states, phase, sun = layer_case
    params = SpaceIrParams(sun_exclusion_rad=0.0, nei_look_down_w_m2=1e-20,
                           nei_above_horizon_w_m2=1e-20,  # Pd = 1 wherever visible
                           field_of_regard_rad=math.radians(for_deg), max_range_m=max_range_m)
    brute = space_visibility(sat[:, None], states[None, :, :, :3],
                             0.5 * params.field_of_regard_rad, params.max_range_m,
                             params.grazing_alt_m)
    s_i, n_i, t_i = np.nonzero(brute)
    expected = set(zip(times[t_i], s_i, n_i, strict=True))
    for max_pairs in (10**9, 5000):  # one chunk; many chunks
        det = simulate_space_ir("L", layer.sat_ids, sat, times, states, phase, np.ones(80),
                                params, sun, np.random.default_rng(0), max_pairs=max_pairs)
        got = set(zip(det.t_s, det.sensor_idx, det.truth_idx, strict=True))
        assert got == expected and len(det) == len(expected)
    assert 100 < len(expected) < brute.size // 4


@pytest.mark.parametrize("for_deg", [120.0, 180.0])
def test_sun_exclusion_matches_brute_force(layer_case, for_deg):
    layer, times, sat, states, phase, sun = layer_case
    params = SpaceIrParams(sun_exclusion_rad=math.radians(40.0), nei_look_down_w_m2=1e-20,
                           nei_above_horizon_w_m2=1e-20, field_of_regard_rad=math.radians(for_deg))
    vis = space_visibility(sat[:, None], states[None, :, :, :3], 0.5 * params.field_of_regard_rad,
                           params.max_range_m, params.grazing_alt_m)
    los = states[None, :, :, :3] - sat[:, None]
    to_sun = sun[None, None] - sat[:, None]
    cos = np.sum(los * to_sun, -1) / np.linalg.norm(los, axis=-1) / np.linalg.norm(to_sun, axis=-1)
    # The Sun is hidden when the satellite-Sun line crosses the Earth (WGS-84 ellipsoid; brute
    # force on points every 10 km along its first 20,000 km).
    u = (sun[None] - sat) / np.linalg.norm(sun[None] - sat, axis=-1, keepdims=True)
    pts = sat[:, :, None, :] + u[:, :, None, :] * np.arange(0.0, 2.0e7, 1.0e4)[:, None]
    b_m = A * (1.0 - 1.0 / 298.257223563)
    inside = (pts[..., 0] ** 2 + pts[..., 1] ** 2) / A**2 + pts[..., 2] ** 2 / b_m**2 < 1.0
    hidden = np.any(inside, axis=-1)[:, None, :]  # (S, 1, T)
    expected = vis & ~((cos > math.cos(params.sun_exclusion_rad)) & ~hidden)
    det = simulate_space_ir("L", layer.sat_ids, sat, times, states, phase, np.ones(80), params,
                            sun, np.random.default_rng(0))
    s_i, n_i, t_i = np.nonzero(expected)
    assert set(zip(det.t_s, det.sensor_idx, det.truth_idx, strict=True)) == set(
        zip(times[t_i], s_i, n_i, strict=True))
    assert np.sum(vis & ~expected) > 20  # the exclusion did remove pairs


@pytest.mark.parametrize(("for_deg", "max_range_m"), [(120.0, 5.0e6), (60.0, 5.0e6),
                                                     (170.0, 2.0e6)])
def test_screening_is_exact_at_the_edges(for_deg, max_range_m):
    """Targets packed every 0.01° of central angle across the edge of visibility (limb, field
    of regard or range), below, at and above the grazing layer, seen from 50° N."""
    params = SpaceIrParams(sun_exclusion_rad=0.0, nei_look_down_w_m2=1e-20,
                           nei_above_horizon_w_m2=1e-20,
                           field_of_regard_rad=math.radians(for_deg), max_range_m=max_range_m)
    lat0, lon0 = math.radians(50.0), math.radians(20.0)
    sat = geodetic_to_ecef(lat0, lon0, 1.0e6)
    gamma = np.radians(np.arange(0.0, 45.0, 0.01))[:, None, None]
    head = np.radians([0.0, 90.0, 180.0, 270.0])[None, :, None]
    alt = np.array([10e3, 20e3, 40e3, 300e3])[None, None, :]
    lat = np.arcsin(np.sin(lat0) * np.cos(gamma) + np.cos(lat0) * np.sin(gamma) * np.cos(head))
    lon = lon0 + np.arctan2(np.sin(head) * np.sin(gamma) * np.cos(lat0),
                            np.cos(gamma) - np.sin(lat0) * np.sin(lat))
    tgt = geodetic_to_ecef(lat, lon, alt + 0.0 * lat).reshape(-1, 3)
    states = np.concatenate([tgt, np.zeros_like(tgt)], -1)[:, None, :]
    brute = space_visibility(sat, tgt, 0.5 * params.field_of_regard_rad, max_range_m,
                             params.grazing_alt_m)
    det = simulate_space_ir("L", ["s"], sat[None, None, :], np.zeros(1), states,
                            np.full((len(tgt), 1), GLIDE, np.int8), np.ones(len(tgt)), params,
                            np.array([[AU, 0.0, 0.0]]), np.random.default_rng(0))
    np.testing.assert_array_equal(det.truth_idx, np.flatnonzero(brute))
    assert 0.05 < brute.mean() < 0.95


def test_sorted_deterministic_and_seeded(layer_case):
    layer, times, sat, states, phase, sun = layer_case
    args = ("L", layer.sat_ids, sat, times, states, phase, np.full(80, 0.05), SpaceIrParams(),
            sun)
    a = simulate_space_ir(*args, np.random.default_rng(11), max_pairs=20_000)
    b = simulate_space_ir(*args, np.random.default_rng(11), max_pairs=20_000)
    c = simulate_space_ir(*args, np.random.default_rng(12), max_pairs=20_000)
    assert np.all(np.diff(a.t_s) >= 0.0)
    assert a.sensor_ids == list(layer.sat_ids) and a.layer_ids == ["L"] * 36
    for name in ("t_s", "sensor_idx", "truth_idx", "z", "snr_db", "sensor_pos_ecef"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert len(a) != len(c) or not np.array_equal(a.z, c.z, equal_nan=True)
    assert a.truth_idx.dtype == np.int32 and a.sensor_idx.dtype == np.int32
    # Each row's satellite position is that satellite's at that time.
    k = np.searchsorted(times, a.t_s)
    np.testing.assert_array_equal(a.sensor_pos_ecef, sat[a.sensor_idx, k])


def test_shape_and_parameter_errors():
    with pytest.raises(ValueError, match="field_of_regard_rad"):
        SpaceIrParams(field_of_regard_rad=4.0)
    with pytest.raises(ValueError, match="pfa"):
        SpaceIrParams(pfa=0.0)
    with pytest.raises(ValueError, match="sun_ecef"):
        simulate_space_ir("L", ["a"], np.zeros((1, 3, 3)), np.arange(3.0), np.zeros((2, 3, 6)),
                          np.zeros((2, 3), np.int8), np.ones(2), SpaceIrParams(),
                          np.zeros((2, 3)), np.random.default_rng(0))
    empty = simulate_space_ir("L", ["a"], np.zeros((1, 3, 3)), np.arange(3.0),
                              np.zeros((0, 3, 6)), np.zeros((0, 3), np.int8), np.ones(0),
                              SpaceIrParams(), np.zeros((3, 3)), np.random.default_rng(0))
    assert len(empty) == 0 and empty.sensor_ids == ["a"]


def test_frame_times_and_unsorted_input(layer_case):
    np.testing.assert_allclose(ir_frame_times(10.0, 15.0, 2.0), 10.0 + 0.5 * np.arange(11))
    layer, times, sat, states, phase, sun = layer_case
    params = SpaceIrParams(nei_look_down_w_m2=1e-20, nei_above_horizon_w_m2=1e-20)  # Pd = 1
    perm = np.random.default_rng(1).permutation(times.size)
    det = simulate_space_ir("L", layer.sat_ids, sat[:, perm], times[perm], states[:, perm],
                            phase[:, perm], np.ones(80), params, sun[perm],
                            np.random.default_rng(0))
    ref = simulate_space_ir("L", layer.sat_ids, sat, times, states, phase, np.ones(80), params,
                            sun, np.random.default_rng(0))
    assert np.all(np.diff(det.t_s) >= 0.0)
    assert sorted(zip(det.t_s, det.sensor_idx, det.truth_idx, strict=True)) == sorted(
        zip(ref.t_s, ref.sensor_idx, ref.truth_idx, strict=True))


def test_phase_codes_match_the_threats_phases_and_the_deorbit_burn_has_a_plume():
    """The sensor's phase codes are the threats' (sensors cannot import threats), and a
    fractional-orbital threat's deorbit burn adds the plume of its motor to the body."""
    from hdsim.sensors import space_ir
    from hdsim.sensors.infrared_physics import plume_radiant_intensity_w_sr
    from hdsim.threats import PHASES

    assert PHASES[space_ir._BOOST] == "boost" and PHASES[space_ir._DEORBIT] == "deorbit"
    p = space_ir.SpaceIrParams()
    coast = space_ir.ir_signature_w_sr(7500.0, 200e3, PHASES.index("orbit"), 1.0, p)
    burn = space_ir.ir_signature_w_sr(7500.0, 200e3, PHASES.index("deorbit"), 1.0, p)
    assert burn - coast == pytest.approx(plume_radiant_intensity_w_sr(p.deorbit_thrust_n))
