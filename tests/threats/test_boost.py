"""The flown boost phase of ballistic missiles and boost-glide vehicles (``burn_time_s > 0``).

Oracles:

* the ideal gravity turn (flat Earth, no air, constant thrust acceleration along the velocity)
  integrated numerically with scipy's DOP853 in Cartesian form, for the Culler & Fried (1957)
  closed form that places the burnout point (:mod:`hdsim.threats.boost`);
* the ground, the target and the burnout state the scenario asked for (altitude, speed, angle);
* the trajectories of the code before the boost existed (commit ``HEAD`` when this test was
  written: impact time and state below, flown with ``dt_s=1``), which ``burn_time_s: 0`` must
  reproduce — measured bit-identical (times, states, accelerations, phases of all nodes) for a
  minimum-energy ballistic missile, a guided CAV-H and a cruise missile.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from hdsim.earth import G0_MPS2, WGS84, EarthModel, ecef_to_geodetic, enu_rotation, geodetic_to_ecef
from hdsim.threats import PHASE_CODE, ThreatSpec, fly_threats, vehicle_preset
from hdsim.threats.boost import (
    K_MIN,
    R_MEAN_M,
    BoostDipError,
    boost_ground_range_m,
    boost_segment,
    downrange_fraction,
    gravity_turn,
    gravity_turn_burnout_altitude_m,
    gravity_turn_thrust_ratio,
)
from hdsim.threats.geometry import central_angle_rad, destination, launch_state

D = np.radians
EARTH = EarthModel()
LAUNCH = dict(launch_lat_rad=D(39.0), launch_lon_rad=D(125.5), target_lat_rad=D(35.68),
              target_lon_rad=D(139.77))
BOOST = PHASE_CODE["boost"]


# --- the gravity turn that places the burnout point -------------------------------------------

@pytest.mark.parametrize("v, gam_deg, tb", [
    (3200.0, 40.0, 70.0),    # MRBM, minimum energy
    (4200.0, 68.0, 65.0),    # lofted
    (5500.0, 0.0, 100.0),    # HGV booster, burnout level
    (2000.0, 55.0, 120.0),   # slow, long burn: n near 2, k below K_MIN
])
def test_gravity_turn_closed_form_against_numerical_integration(v, gam_deg, tb):
    """Integrate dv/dt = n g v̂ − g ẑ (flat Earth, no air) from the pad with the thrust ratio
    and constant C the closed form gives: at burn_time_s it must reach the burnout speed and
    angle, the downrange k·v cos γ·t_b and the closed-form altitude.  Measured (worst case, the
    level HGV burnout): speed 3e-5 m/s, angle 3e-8 rad, downrange 2 mm, altitude 8 mm."""
    g, gam = G0_MPS2, D(gam_deg)
    n = float(gravity_turn_thrust_ratio(v, gam, tb))
    zb = np.tan(0.5 * (0.5 * np.pi - gam))
    c = 2.0 * v / (zb ** (n - 1) * (1 + zb * zb))
    # Start just after lift-off on the same trajectory (θ = 5.7°: cm/s, µm, ms), where the
    # initial direction is well resolved by the integrator.
    zk = 0.05
    tk, vk, xk, hk = (float(q) for q in gravity_turn(n, zk, c))
    thk = 2.0 * np.arctan(zk)

    def rhs(_t, y):
        vx, vz = y[2], y[3]
        s = np.hypot(vx, vz)
        return [vx, vz, n * g * vx / s, n * g * vz / s - g]

    sol = solve_ivp(rhs, (tk, tb), [xk, hk, vk * np.sin(thk), vk * np.cos(thk)],
                    method="DOP853", rtol=1e-12, atol=1e-12)
    x, h, vx, vz = sol.y[:, -1]
    assert np.hypot(vx, vz) == pytest.approx(v, abs=1e-3)
    assert np.arctan2(vz, vx) == pytest.approx(gam, abs=1e-7)
    k = float(downrange_fraction(v, gam, tb))
    assert x == pytest.approx(k * v * np.cos(gam) * tb, abs=0.1)
    assert h == pytest.approx(float(gravity_turn_burnout_altitude_m(v, gam, tb)), abs=0.1)
    # The model's ground range is the gravity turn's, held at least at K_MIN.
    assert float(boost_ground_range_m(v, gam, tb)) == pytest.approx(
        max(k, K_MIN) * v * np.cos(gam) * tb, rel=1e-12)


def test_gravity_turn_energy():
    """Work-energy of the flat-Earth, airless gravity turn: ½v² + g h = n g · (path length),
    the path length ∫v dt integrated numerically from the closed-form speed.  Tolerance 1e-6
    relative."""
    n, g, c = 4.0, G0_MPS2, 6000.0
    z = np.linspace(1e-4, 0.8, 20001)
    t, v, _, h = gravity_turn(n, z, c)
    path = np.sum(0.5 * (v[1:] + v[:-1]) * np.diff(t))
    assert 0.5 * v[-1] ** 2 + g * h[-1] == pytest.approx(n * g * path, rel=1e-6)


def test_no_boost_range_without_burn_time():
    assert float(boost_ground_range_m(3000.0, D(40.0), 0.0)) == 0.0


@pytest.mark.parametrize("v", [1500.0, 3000.0, 5500.0, 7000.0])
@pytest.mark.parametrize("gam_deg", [-10.0, 0.0, 20.0, 45.0, 70.0, 85.0])
@pytest.mark.parametrize("tb", [30.0, 70.0, 150.0])
def test_boost_path_never_back_tracks(v, gam_deg, tb):
    """Over speeds, angles and burn times, with a burnout altitude the gravity turn deems
    consistent (at least 20 km), the quintic path from the pad to a WGS-84 burnout state
    (downrange by the model, the flight's coasting acceleration ≈ −g up) never moves back
    toward the launch point and never goes below the ground."""
    gam = D(gam_deg)
    lat0, lon0, az = D(30.0), D(120.0), D(70.0)
    h = max(float(gravity_turn_burnout_altitude_m(v, gam, tb)), 20_000.0)
    d = float(boost_ground_range_m(v, gam, tb))
    lat1, lon1 = destination(lat0, lon0, az, d / R_MEAN_M)
    x1 = launch_state(lat1, lon1, h, v, gam, az, WGS84)  # heading ≈ az (short arc)
    up1 = enu_rotation(lat1, lon1)[2]
    pad = geodetic_to_ecef(lat0, lon0, 0.0)
    t, x, _ = boost_segment(pad, enu_rotation(lat0, lon0)[2], x1, -G0_MPS2 * up1, tb)
    lat, lon, alt = ecef_to_geodetic(np.vstack([x[:, :3], x1[:3]]))
    gr = central_angle_rad(lat0, lon0, lat, lon) * R_MEAN_M
    assert np.all(np.diff(gr) >= -1e-3)
    assert gr[-1] == pytest.approx(d, abs=0.01)
    assert alt.min() >= -1e-6


# --- flown threats with a boost ----------------------------------------------------------------

def _specs(burn: bool):
    tb_bm, tb_hgv = (70.0, 100.0) if burn else (0.0, 0.0)
    return [
        ThreatSpec("me", "ballistic", vehicle=vehicle_preset("rv_generic"), aim="minimum_energy",
                   burnout_alt_m=60e3, launch_time_s=30.0, burn_time_s=tb_bm, **LAUNCH),
        ThreatSpec("hgv", "boost_glide", vehicle=vehicle_preset("cav_h"),
                   burnout_speed_mps=5500.0, burnout_alt_m=45e3, burnout_flight_path_rad=0.0,
                   sturn_count=2, sturn_bank_rad=D(25.0), burn_time_s=tb_hgv, **LAUNCH),
        ThreatSpec("hcm", "cruise", vehicle=vehicle_preset("hcm_generic"), cruise_mach=6.0,
                   cruise_alt_m=28e3, **LAUNCH),
    ]


@pytest.fixture(scope="module")
def boosted():
    specs = _specs(True)
    return specs, fly_threats(specs, EARTH, dt_s=1.0, record_every=1)


def _burnout_index(tr):
    return int(np.count_nonzero(tr.phase == BOOST))


@pytest.mark.parametrize("j", [0, 1])
def test_boost_phase_from_launch_to_burnout(boosted, j):
    specs, trajs = boosted
    s, tr = specs[j], trajs[j]
    t_launch, t_bo = s.launch_time_s, s.launch_time_s + s.burn_time_s
    assert tr.t_start == t_launch
    t = np.arange(t_launch, t_bo, 0.25)
    assert np.all(tr.phase_at(t) == BOOST)
    assert np.all(tr.phase_at([t_bo, t_bo + 0.5, tr.t_end]) != BOOST)
    assert tr.phase_at(t_launch - 0.1) == -1
    nb = _burnout_index(tr)
    assert tr.times[nb] == pytest.approx(t_bo, abs=1e-9)
    # Lift-off from the launch point on the ground, at rest.
    lat, lon, alt = ecef_to_geodetic(tr.states[0, :3])
    assert central_angle_rad(s.launch_lat_rad, s.launch_lon_rad, lat, lon) * R_MEAN_M < 1e-6
    assert abs(alt - s.launch_alt_m) < 1e-6
    assert np.linalg.norm(tr.states[0, 3:]) == 0.0


@pytest.mark.parametrize("j", [0, 1])
def test_continuous_at_burnout(boosted, j):
    """Position, velocity and acceleration of the interpolated trajectory are continuous at
    burnout: one-sided limits (1 µs away, so differences are motion: mm and µm/s) and one-sided
    finite-difference accelerations (10 ms) agree.  Measured: 3-6 mm, 1-2e-5 m/s, 0.02-0.04 m/s²."""
    _, trajs = boosted
    tr = trajs[j]
    t_bo = tr.times[_burnout_index(tr)]
    before, at, after = tr.state_at(np.array([t_bo - 1e-6, t_bo, t_bo + 1e-6]))
    assert np.linalg.norm(before[:3] - at[:3]) < 1.0
    assert np.linalg.norm(after[:3] - at[:3]) < 1.0
    assert np.linalg.norm(before[3:] - at[3:]) < 1.0
    assert np.linalg.norm(after[3:] - at[3:]) < 1.0
    h = 0.01
    vm, v0, vp = tr.state_at(np.array([t_bo - h, t_bo, t_bo + h]))[:, 3:]
    acc_before, acc_after = (v0 - vm) / h, (vp - v0) / h
    assert np.linalg.norm(acc_before - acc_after) < 0.2


@pytest.mark.parametrize("j", [0, 1])
def test_boost_progress_is_monotone_and_reaches_the_burnout_state(boosted, j):
    """Ground range from the launch point never decreases during the boost (sampled every
    0.1 s on the interpolated trajectory); at burnout it equals the documented model
    ``d_b = max(k, K_MIN) · v cos γ · t_b`` evaluated at the burnout speed and angle (measured
    to < 1 mm), and the altitude is the burnout altitude (ballistic: above the launch site)."""
    specs, trajs = boosted
    s, tr = specs[j], trajs[j]
    nb = _burnout_index(tr)
    t = np.append(np.arange(tr.t_start, tr.times[nb], 0.1), tr.times[nb])
    lat, lon, _ = ecef_to_geodetic(tr.state_at(t)[:, :3])
    gr = central_angle_rad(s.launch_lat_rad, s.launch_lon_rad, lat, lon) * R_MEAN_M
    assert np.all(np.diff(gr) >= -1e-3)

    pos, vel = tr.states[nb, :3], tr.states[nb, 3:]
    blat, blon, balt = ecef_to_geodetic(pos)
    expected_alt = s.burnout_alt_m + (s.launch_alt_m if s.kind == "ballistic" else 0.0)
    assert balt == pytest.approx(expected_alt, abs=1e-3)
    speed = np.linalg.norm(vel)
    gam = np.arcsin(np.dot(vel, enu_rotation(blat, blon)[2]) / speed)
    if s.kind == "boost_glide":
        assert speed == pytest.approx(s.burnout_speed_mps, abs=1e-6)
        assert gam == pytest.approx(s.burnout_flight_path_rad, abs=1e-9)
    d_b = float(boost_ground_range_m(speed, gam, s.burn_time_s))
    assert gr[-1] == pytest.approx(d_b, abs=1e-3)
    assert 0.4 * speed * np.cos(gam) * s.burn_time_s < d_b < 0.5 * speed * np.cos(gam) \
        * s.burn_time_s


def test_aimed_ballistic_with_boost_hits_the_target(boosted):
    specs, trajs = boosted
    s, tr = specs[0], trajs[0]
    lat, lon, alt = ecef_to_geodetic(tr.states[-1, :3])
    assert tr.impacted and abs(alt) < 0.01
    miss = central_angle_rad(s.target_lat_rad, s.target_lon_rad, lat, lon) * R_MEAN_M
    assert miss < 50.0


def test_guided_glider_with_boost_hits_the_target(boosted):
    specs, trajs = boosted
    s, tr = specs[1], trajs[1]
    lat, lon, _ = ecef_to_geodetic(tr.states[-1, :3])
    assert tr.impacted
    assert central_angle_rad(s.target_lat_rad, s.target_lon_rad, lat, lon) * R_MEAN_M < 50.0


def test_cruise_missile_is_not_given_a_burnout_boost(boosted):
    """``burn_time_s`` is for ballistic and boost-glide threats; the cruise missile keeps its
    own flown booster phase (code ``boost``, from the integrator)."""
    _, trajs = boosted
    tr = trajs[2]
    assert tr.t_start == 0.0 and np.linalg.norm(tr.states[0, 3:]) == pytest.approx(250.0)


# Impact time (s) and ECEF state of the pre-boost code (see the module docstring).
_OLD_IMPACT = {
    "me": (616.3296740758756, [-3959894.844493896, 3349926.2497715163, 3699408.6435462944,
                               -73.17347163281198, -742.6778462541131, -605.8937815834171]),
    "hgv": (298.9108224904071, [-3959894.835694332, 3349926.25804549, 3699408.645460229,
                                -261.8132165266911, -1573.6202485048375, -605.2581384906875]),
    "hcm": (760.1748045181989, [-3959894.850631181, 3349926.2449282776, 3699408.6413771827,
                                -272.0886144680475, -970.7123426290484, -701.4476419180863]),
}


def test_zero_burn_time_reproduces_the_instantaneous_burnout():
    specs = _specs(False)
    trajs = fly_threats(specs, EARTH, dt_s=1.0, record_every=1)
    for s, tr in zip(specs, trajs, strict=True):
        t_end, state = _OLD_IMPACT[s.threat_id]
        assert tr.t_start == s.launch_time_s
        assert not np.any(tr.phase[:-1] == BOOST) or s.kind == "cruise"
        assert tr.t_end == pytest.approx(t_end, abs=1e-6)
        np.testing.assert_allclose(tr.states[-1, :3], state[:3], rtol=0, atol=1e-3)
        np.testing.assert_allclose(tr.states[-1, 3:], state[3:], rtol=0, atol=1e-3)


def test_boost_that_would_dip_below_ground_is_an_error():
    """4.2 km/s at 68° with a 70 s burn climbs far above 60 km (an ideal gravity turn burns out
    near 138 km): the boost to a 60 km burnout would go underground."""
    s = ThreatSpec("dip", "ballistic", vehicle=vehicle_preset("rv_generic"), aim="fixed",
                   burnout_speed_mps=4200.0, burnout_flight_path_rad=D(68.0),
                   burnout_alt_m=60e3, burn_time_s=70.0, **LAUNCH)
    with pytest.raises(BoostDipError, match=r"threats\[dip\]\.burnout.*burn_time_s"):
        fly_threats([s], EARTH, dt_s=1.0)


# --- scenario wiring ------------------------------------------------------------------------------

def test_scenario_burn_time_reaches_the_spec():
    from hdsim.scenario import ScenarioError, scenario_from_dict
    from hdsim.scenario.build import threat_spec
    from hdsim.scenario.config import BallisticThreat, BoostGlideThreat

    common = dict(launch={"lat_deg": 39.0, "lon_deg": 125.5},
                  target={"lat_deg": 35.68, "lon_deg": 139.77})
    bm = BallisticThreat(id="b", type="ballistic", burnout={"altitude_m": 60000,
                                                            "burn_time_s": 70}, **common)
    assert threat_spec(bm).burn_time_s == 70.0
    hgv = BoostGlideThreat(id="h", type="boost_glide", burnout={
        "speed_mps": 5500, "altitude_m": 45000, "burn_time_s": 100}, **common)
    assert threat_spec(hgv).burn_time_s == 100.0
    assert threat_spec(BallisticThreat(id="b", type="ballistic", **common)).burn_time_s == 0.0

    def problems(burnout):
        with pytest.raises(ScenarioError) as info:
            scenario_from_dict({"name": "x", "threats": [
                {"id": "b", "type": "ballistic", "burnout": burnout, **common}]})
        return info.value.problems

    (p,) = problems({"burn_time_s": 70})
    assert p.startswith("threats[0].burnout.altitude_m = 0.0: must be > 0 when burn_time_s > 0")
    (p,) = problems({"altitude_m": 60000, "burn_time_s": -1})
    assert p.startswith("threats[0].burnout.burn_time_s = -1")
