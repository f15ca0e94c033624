"""The engagement loop on synthetic scenarios: fire control on ideal tracks (truth + small
covariance), shots flown against the truth.

Oracles: the physics of each case decides the expected behaviour — a weapon out of reach
never fires, a shot whose lethal radius encloses its closest approach kills (Pk = 1), a
sub-micrometre lethal radius never kills, the doctrine fixes the number and timing of shots,
the magazine bounds them, a leaker's distance to an asset is the great-circle distance it was
placed at (haversine, spherical radius a), and a fixed seed reproduces the run bit for bit.
"""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from hdsim.earth import (
    EarthModel,
    ecef_to_geodetic,
    enu_vector_to_ecef,
    geodetic_to_ecef,
    gravity_ecef,
)
from hdsim.engagement import (
    DefendedAsset,
    FireControlConfig,
    InterceptorParams,
    KillModel,
    TableSpec,
    TrackColumns,
    Weapon,
    railgun_notional,
    simulate_engagements,
    truncated_truth,
)
from hdsim.threats.trajectory import Trajectory, TrajectorySet
from hdsim.tracking.history import TrackStatus

LAT, LON, ALT = np.radians(35.0), np.radians(139.0), 10.0
EARTH = EarthModel()
SPEC = TableSpec(max_range_m=120e3, max_alt_m=60e3, max_tof_s=60.0)
EAST = enu_vector_to_ecef(np.array([1.0, 0.0, 0.0]), LAT, LON)


def straight_threat(tid, range_m=120e3, alt_m=25e3, speed=2000.0, t1=80.0, dlat=0.0):
    """Constant-velocity ECEF line from ``range_m`` east of the site toward the west."""
    p0 = geodetic_to_ecef(LAT + dlat, LON + range_m / 6.371e6 / np.cos(LAT), alt_m)
    t = np.arange(0.0, t1 + 1e-9, 1.0)
    st = np.concatenate([p0 + t[:, None] * (-speed * EAST), np.tile(-speed * EAST, (t.size, 1))],
                        axis=1)
    return Trajectory(tid, t, st, np.zeros((t.size, 3)), np.zeros(t.size, np.int8),
                      impacted=False)


def ballistic_threat(tid, range_m=90e3, alt_m=55e3, speed=2500.0, dive_deg=30.0):
    """Free fall in the rotating frame (scipy DOP853), from east of the site diving west."""
    lat, lon = LAT, LON + range_m / 6.371e6 / np.cos(LAT)
    p0 = geodetic_to_ecef(lat, lon, alt_m)
    d = np.radians(dive_deg)
    v0 = enu_vector_to_ecef(speed * np.array([-np.cos(d), 0.0, -np.sin(d)]), lat, lon)
    w = np.array([0.0, 0.0, EARTH.omega_radps])

    def rhs(t, y):
        a = gravity_ecef(y[:3]) - 2 * np.cross(w, y[3:]) - np.cross(w, np.cross(w, y[:3]))
        return np.concatenate([y[3:], a])

    def ground(t, y):
        return np.linalg.norm(y[:3]) - np.linalg.norm(geodetic_to_ecef(lat, lon, 0.0))
    ground.terminal = True
    sol = solve_ivp(rhs, (0.0, 200.0), np.concatenate([p0, v0]), method="DOP853",
                    rtol=1e-10, atol=1e-6, max_step=0.5, events=ground)
    st = sol.y.T
    acc = np.array([rhs(0.0, y)[3:] for y in st])
    return Trajectory(tid, sol.t, st, acc, np.zeros(sol.t.size, np.int8), impacted=True)


def ideal_tracks(truth, sigma_m=10.0, status="confirmed", dt=1.0):
    """Track = truth every ``dt``, position covariance (σ²/3) I (σ = sqrt trace)."""
    t, tid, st, lab = [], [], [], []
    for k, tr in enumerate(truth):
        tk = np.arange(tr.t_start, tr.t_end, dt)
        t.append(tk)
        tid.append(np.full(tk.size, 100 + k))
        st.append(tr.state_at(tk))
        lab.append(np.full(tk.size, k))
    t = np.concatenate(t)
    cov = np.tile(np.diag([sigma_m**2 / 3.0] * 3 + [1.0] * 3), (t.size, 1, 1))
    return TrackColumns.from_arrays(t, np.concatenate(tid), np.concatenate(st), cov,
                                    TrackStatus.from_names(np.full(t.size, status)),
                                    np.concatenate(lab))


def sam(lethal_radius_m=20.0, weapon_id="sam-1", **kw):
    base = dict(site_lat_rad=LAT, site_lon_rad=LON, site_alt_m=ALT, table_spec=SPEC)
    base.update(kw)
    return Weapon(weapon_id, InterceptorParams(lethal_radius_m=lethal_radius_m), **base)


def run(truth, weapons, seed=1, tracks=None, assets=(), **cfg):
    base = dict(motion_model="ncv", flyout_dt_s=0.05, cadence_s=1.0)
    base.update(cfg)
    return simulate_engagements(tracks if tracks is not None else ideal_tracks(truth), truth,
                                weapons, FireControlConfig(**base), EARTH,
                                np.random.default_rng(seed), defended_assets=assets)


def test_maneuver_allowance_lowers_expected_pk_of_far_intercepts():
    truth = TrajectorySet([straight_threat("T1")])
    pk0 = run(truth, [sam()], doctrine="shoot_look_shoot", target_maneuver_mps2=0.0)
    pk2 = run(truth, [sam()], doctrine="shoot_look_shoot", target_maneuver_mps2=20.0)
    assert pk2.engagements["pk"][0] < pk0.engagements["pk"][0]


def test_ideal_track_straight_line_target_is_killed():
    truth = TrajectorySet([straight_threat("T1")])
    # A target known not to maneuver: no maneuver allowance in the Pk estimate.
    res = run(truth, [sam()], doctrine="shoot_look_shoot", target_maneuver_mps2=0.0)
    e = res.engagements
    assert list(e["outcome"]) == ["kill"]
    assert e["threat_id"][0] == "T1" and e["track_id"][0] == 100 and e["weapon_id"][0] == "sam-1"
    assert e["miss_m"][0] < 1.0           # PN homing on the truth: measured 9 mm
    assert e["pk"][0] == pytest.approx(1.0)
    assert e["launch_t_s"][0] == pytest.approx(2.0)   # first decision + launch delay
    # the predicted intercept is within a second of the flown one (measured 0.8 s)
    assert abs(e["predicted_intercept_t_s"][0] - e["intercept_t_s"][0]) < 1.5
    th = res.threats
    assert th["outcome"][0] == "killed"
    assert th["kill_t_s"][0] == e["intercept_t_s"][0] == res.kill_t_s[0]
    assert 15e3 < th["kill_alt_m"][0] < 30e3
    assert abs(e["pip_alt_m"][0] - th["kill_alt_m"][0]) < 500.0
    assert res.weapons["shots"][0] == 1 and res.weapons["kills"][0] == 1
    assert res.weapons["rounds_left"][0] == 7
    cut = truncated_truth(truth, res.kill_t_s)
    assert cut[0].t_end == th["kill_t_s"][0] and not cut[0].impacted
    np.testing.assert_allclose(cut[0].state_at(np.array([30.0, cut[0].t_end])),
                               truth[0].state_at(np.array([30.0, cut[0].t_end])), atol=1e-6)
    assert np.isnan(cut.states_at(np.array([cut[0].t_end + 1.0]))).all()


def test_ideal_track_ballistic_target_is_killed():
    truth = TrajectorySet([ballistic_threat("B1")])
    res = run(truth, [sam()], motion_model="ballistic")
    assert list(res.engagements["outcome"]) == ["kill"]
    assert res.engagements["miss_m"][0] < 20.0
    assert res.threats["outcome"][0] == "killed"
    assert abs(res.engagements["predicted_intercept_t_s"][0]
               - res.engagements["intercept_t_s"][0]) < 2.0


def test_guided_railgun_kills_with_ideal_track():
    truth = TrajectorySet([straight_threat("T1", range_m=60e3, alt_m=15e3)])
    rg = Weapon("rg-1", railgun_notional(guided=True), LAT, LON, ALT,
                table_spec=TableSpec(max_range_m=80e3, max_alt_m=40e3, max_tof_s=40.0),
                kill=KillModel("lethal_radius", lethal_radius_m=20.0))
    res = run(truth, [rg], doctrine="shoot_look_shoot")
    assert list(res.engagements["outcome"]) == ["kill"]
    assert res.weapons["kind"][0] == "railgun"


def test_weapon_out_of_range_never_fires():
    truth = TrajectorySet([straight_threat("T1")])
    far = sam(site_lon_rad=LON + np.radians(20.0))   # ~1,800 km east
    res = run(truth, [far])
    assert len(res.engagements["shot_id"]) == 0
    assert res.threats["outcome"][0] == "in_flight"  # the straight line never lands
    assert res.weapons["shots"][0] == 0 and res.weapons["rounds_left"][0] == 8


@pytest.mark.parametrize(("status", "sigma_m"), [("tentative", 10.0), ("coasting", 10.0),
                                                  ("confirmed", 5_000.0)])
def test_no_engageable_track_no_shots(status, sigma_m):
    """Not confirmed, or σ above the interceptor's 3 km threshold: no shot."""
    truth = TrajectorySet([straight_threat("T1")])
    res = run(truth, [sam()], tracks=ideal_tracks(truth, sigma_m=sigma_m, status=status))
    assert len(res.engagements["shot_id"]) == 0
    assert np.isnan(res.kill_t_s[0])


def test_salvo_fires_k_shots_and_later_shots_find_nothing_to_hit():
    """Salvo of 3, 1 s apart: 3 shots at one decision; the first to arrive kills, the later
    ones reach their target after it is gone (no_intercept)."""
    truth = TrajectorySet([straight_threat("T1")])
    res = run(truth, [sam(salvo_size=3, salvo_interval_s=1.0)], doctrine="salvo")
    e = res.engagements
    np.testing.assert_allclose(e["launch_t_s"], [2.0, 3.0, 4.0])
    assert list(e["outcome"]) == ["kill", "no_intercept", "no_intercept"]
    assert res.weapons["shots"][0] == 3 and res.weapons["kills"][0] == 1


def test_shoot_look_shoot_reengages_only_after_a_miss():
    """A 1 µm lethal radius always misses (fire control, told the homing miss is 0.1 µm,
    expects Pk ≈ 1): the second shot is decided at the first decision after the first shot's
    assessment (its intercept, predicted or flown, whichever is later, plus the 2 s delay)."""
    truth = TrajectorySet([straight_threat("T1")])
    res = run(truth, [sam(lethal_radius_m=1e-6, magazine=2, homing_miss_sigma_m=1e-7)],
              doctrine="shoot_look_shoot", assess_delay_s=2.0)
    e = res.engagements
    assert len(e["shot_id"]) == 2
    assert list(e["outcome"]) == ["miss", "miss"]
    decided = e["launch_t_s"][1] - 2.0   # launch delay
    assessed = max(e["predicted_intercept_t_s"][0], e["intercept_t_s"][0]) + 2.0
    assert assessed <= decided < assessed + 1.0   # the first decision after the assessment
    assert res.threats["outcome"][0] == "in_flight"  # the straight line never lands


def test_magazine_limit_is_respected():
    truth = TrajectorySet([straight_threat("T1"), straight_threat("T2", dlat=np.radians(0.3))])
    res = run(truth, [sam(lethal_radius_m=1e-6, magazine=3, salvo_size=2, reload_s=1.0,
                              homing_miss_sigma_m=1e-7)],
              doctrine="salvo")
    assert len(res.engagements["shot_id"]) == 3
    assert res.weapons["rounds_left"][0] == 0
    # a salvo of 2 (1 s apart), then, after the 1 s reload, a salvo cut to 1 by the magazine
    np.testing.assert_allclose(res.engagements["launch_t_s"], [2.0, 3.0, 6.0])


def test_leaker_impact_point_and_distance_to_asset():
    """A ballistic threat nobody can reach leaks at its last truth node; the asset placed 30 km
    due north of it on the sphere of radius a is at 30 km (the table's ground-range metric)."""
    truth = TrajectorySet([ballistic_threat("B1")])
    impact = truth[0].states[-1, :3]
    lat, lon, _ = ecef_to_geodetic(impact)
    a = EARTH.ellipsoid.a_m
    # 30 km along the meridian of the geocentric direction
    gc_lat = np.arctan2(impact[2], np.hypot(impact[0], impact[1]))
    target = np.array([np.cos(gc_lat + 30e3 / a) * np.cos(lon), np.cos(gc_lat + 30e3 / a)
                       * np.sin(lon), np.sin(gc_lat + 30e3 / a)])
    t_lat, t_lon, _ = ecef_to_geodetic(target * a)
    assets = [DefendedAsset(id="far", lat_deg=np.degrees(t_lat), lon_deg=np.degrees(t_lon + 0.2),
                            radius_m=1000.0),
              DefendedAsset(id="near", lat_deg=np.degrees(t_lat), lon_deg=np.degrees(t_lon),
                            radius_m=40e3)]
    far = sam(site_lon_rad=LON + np.radians(20.0))
    res = run(truth, [far], assets=assets)
    th = res.threats
    assert th["outcome"][0] == "leaked" and th["impacted"][0]
    assert th["impact_lat_deg"][0] == pytest.approx(np.degrees(lat), abs=1e-9)
    assert th["nearest_asset_id"][0] == "near"
    # the asset position is geodetic at altitude 0, so its geocentric direction differs
    # slightly from the constructed one (a few metres over 30 km)
    assert th["asset_distance_m"][0] == pytest.approx(30e3, abs=50.0)
    assert th["in_asset"][0]


def test_priority_goes_to_the_threat_aimed_at_the_asset():
    """One round, two ballistic threats: without assets the one impacting sooner is engaged
    (urgency); with a defended asset at the other's impact point (10× weight), that one."""
    soon = ballistic_threat("soon", dive_deg=30.0)
    aimed = ballistic_threat("aimed", dive_deg=10.0, alt_m=50e3)
    truth = TrajectorySet([soon, aimed])
    assert soon.t_end < aimed.t_end
    res = run(truth, [sam(magazine=1)], motion_model="ballistic")
    assert list(res.engagements["threat_id"]) == ["soon"]
    lat, lon, _ = ecef_to_geodetic(aimed.states[-1, :3])
    assets = [DefendedAsset(id="city", lat_deg=np.degrees(lat), lon_deg=np.degrees(lon),
                            radius_m=5_000.0)]
    res = run(truth, [sam(magazine=1)], motion_model="ballistic", assets=assets)
    assert list(res.engagements["threat_id"]) == ["aimed"]


def test_same_seed_same_result_bit_for_bit():
    """Pk 0.5 per shot, two threats, two batteries, shoot-look-shoot: the kill draws drive the
    re-engagements; the same seed reproduces everything."""
    truth = TrajectorySet([straight_threat("T1"), straight_threat("T2", dlat=np.radians(0.3))])
    half = KillModel("lethal_radius", lethal_radius_m=20.0, pk_max=0.5)
    weapons = [sam(kill=half, weapon_id="a"),
               sam(kill=half, weapon_id="b", site_lat_rad=LAT + np.radians(0.2))]
    results = [run(truth, weapons, seed=s) for s in (7, 7)]
    for table in ("engagements", "threats", "weapons"):
        ta, tb = getattr(results[0], table), getattr(results[1], table)
        assert ta.keys() == tb.keys()
        for k in ta:
            a, b = ta[k], tb[k]
            if a.dtype == object:
                assert list(a) == list(b), k
            else:
                np.testing.assert_array_equal(a, b, err_msg=k)
    np.testing.assert_array_equal(results[0].kill_t_s, results[1].kill_t_s)
    assert len(results[0].engagements["shot_id"]) >= 2


def test_progress_follows_the_decision_times():
    truth = TrajectorySet([straight_threat("T1")])
    seen: list[float] = []
    simulate_engagements(ideal_tracks(truth), truth, [sam()],
                         FireControlConfig(motion_model="ncv", flyout_dt_s=0.05, cadence_s=1.0),
                         EARTH, np.random.default_rng(1), progress=seen.append)
    assert seen[0] == 0.0 and seen == sorted(seen) and max(seen) < 1.0 and len(seen) > 10


def _fewest_rounds(p, req, cap):
    """Brute force: the smallest n with 1 - (1 - p)^n >= req, at most cap."""
    for n in range(1, cap + 1):
        if 1.0 - (1.0 - p) ** n >= req - 1e-12:
            return n
    return cap


def test_rounds_for_pk_against_brute_force():
    from hdsim.engagement.fire_control import rounds_for_pk

    rng = np.random.default_rng(3)
    p, req = rng.uniform(0.01, 0.99, 500), rng.uniform(0.05, 0.999, 500)
    cap = rng.integers(1, 12, 500)
    got = np.array([rounds_for_pk(p[i], req[i], cap[i]) for i in range(500)])
    assert got.tolist() == [_fewest_rounds(p[i], req[i], int(cap[i])) for i in range(500)]
    assert rounds_for_pk(1.0, 0.99, 5) == 1 and rounds_for_pk(0.0, 0.5, 5) == 5
    np.testing.assert_array_equal(rounds_for_pk([0.5, 0.9], 0.9, [6, 6]), [4, 1])


def test_required_pk_doctrine_fires_the_fewest_rounds_that_reach_it():
    """Planned single-shot Pk 0.5 (pk_max 0.5 within a 20 m lethal radius, homing miss 1 mm)
    and a required 0.9: ceil(ln 0.1 / ln 0.5) = 4 rounds, 1 s apart, from a salvo of up to 6."""
    truth = TrajectorySet([straight_threat("T1")])
    w = sam(salvo_size=6, salvo_interval_s=1.0, homing_miss_sigma_m=1e-3,
            kill=KillModel("lethal_radius", lethal_radius_m=20.0, pk_max=0.5))
    res = run(truth, [w], doctrine="required_pk", required_pk=0.9, target_maneuver_mps2=0.0)
    e = res.engagements
    first = e["launch_t_s"] < e["launch_t_s"][0] + 5.5
    pk1 = float(e["pk"][0])
    assert pk1 == pytest.approx(0.5, abs=0.01)
    assert int(first.sum()) == _fewest_rounds(pk1, 0.9, 6) == 4
    np.testing.assert_allclose(np.diff(e["launch_t_s"][first]), 1.0)


def test_rail_life_caps_a_salvo_and_stops_the_battery_for_the_change():
    """Rails good for 2 rounds, 40 s to change: a salvo of 4 is cut to 2, and the next round
    leaves at least 40 s after the last one."""
    truth = TrajectorySet([straight_threat("T1", range_m=120e3, alt_m=15e3, speed=1000.0,
                                           t1=150.0)])
    rg = Weapon("rg-1", railgun_notional(guided=True), LAT, LON, ALT,
                table_spec=TableSpec(max_range_m=130e3, max_alt_m=40e3, max_tof_s=60.0),
                kill=KillModel("lethal_radius", lethal_radius_m=1e-6),
                salvo_size=4, salvo_interval_s=1.0, magazine=10, homing_miss_sigma_m=1e-7,
                rail_life_rounds=2, rail_change_s=40.0)
    res = run(truth, [rg], doctrine="salvo")
    t = np.asarray(res.engagements["launch_t_s"])
    assert t.size >= 3
    np.testing.assert_allclose(t[1] - t[0], 1.0)
    assert t[2] >= t[1] + 40.0


def test_rate_of_fire_sets_the_least_time_between_rounds():
    from hdsim.scenario.build import weapon
    from hdsim.scenario.config import RailgunConfig

    cfg = RailgunConfig(id="rg", type="railgun", site={"lat_deg": 35.0, "lon_deg": 139.0},
                        rounds_per_minute=4.0, salvo_interval_s=1.0, reload_s=6.0,
                        rail_life_rounds=120)
    w = weapon(cfg)
    assert w.salvo_interval_s == 15.0 and w.reload_s == 15.0
    assert w.rail_life_rounds == 120 and w.rail_change_s == 1800.0


def test_why_not_engaged_names_the_reason_per_weapon_and_threat():
    """Out of range: every decision with a live track says no_intercept; a weapon that fires
    records fired once, and awaiting assessment while its shot flies."""
    truth = TrajectorySet([straight_threat("T1")])
    far = sam(site_lon_rad=LON + np.radians(20.0), weapon_id="far")
    res = run(truth, [far, sam()], doctrine="shoot_look_shoot")
    r = res.reasons
    by = {(w, t, k): int(n) for w, t, k, n in zip(r["weapon_id"], r["threat_id"], r["reason"],
                                                   r["decisions"], strict=True)}
    far_counts = {k: n for (w, _, k), n in by.items() if w == "far"}
    assert set(far_counts) <= {"no_intercept", "track_awaiting_assessment",
                               "track_not_fire_control_quality"}
    assert far_counts["no_intercept"] > 0
    assert by[("sam-1", "T1", "fired")] == len(res.engagements["shot_id"]) >= 1
    assert by.get(("sam-1", "T1", "track_awaiting_assessment"), 0) > 0
    alone = run(truth, [far])
    assert alone.threats["why_not_engaged"][0].startswith("far: no_intercept (")
    assert res.threats["why_not_engaged"][0] is None            # it was engaged


def test_uplink_messages_follow_the_period_and_latency():
    """A shot launched at 0.3 s with a 1 s uplink period and 0.5 s latency steers at time t on
    the track row of time ``floor(0.3 + k·1 − 0.5)`` (k messages received by t), propagated
    to t: rows carry a per-row offset so the row used is visible (closed form of the message
    schedule)."""
    from hdsim.engagement import TrackColumns, TrackUplink

    t_rows = np.arange(0.0, 10.0)
    state = np.zeros((10, 6))
    state[:, 0] = 7.0e6
    state[:, 2] = 100.0 * t_rows          # row k is offset 100 k m in z
    state[:, 4] = 50.0                    # 50 m/s in y
    tracks = TrackColumns.from_arrays(t_rows, np.zeros(10, int), state,
                                      np.tile(np.eye(6), (10, 1, 1)), np.full(10, 2),
                                      np.zeros(10, int))
    up = TrackUplink(tracks, np.zeros(4, int), "ncv", EarthModel.textbook(),
                     t_launch=np.full(4, 0.3), period_s=np.array([1.0, 1.0, 0.0, 0.0]),
                     latency_s=np.array([0.5, 0.0, 0.5, 0.0]))
    t = np.array([2.0, 2.0, 2.0, 2.0])
    out = up(t)
    # message times by 2.0 s: 0.3, 1.3 (period 1) → rows at ≤ 0.8 / ≤ 1.3; continuous: ≤ 1.5 / 2
    rows = np.array([0, 1, 1, 2])
    np.testing.assert_allclose(out[:, 2], 100.0 * rows)
    np.testing.assert_allclose(out[:, 1], 50.0 * (t - t_rows[rows]))


def test_uplink_of_several_times_per_shot_is_the_uplink_of_each():
    """``TrackUplink`` called with ``(n, M)`` times gives, column by column, what it gives
    for ``(n,)`` times (the fly-out's block evaluation relies on it)."""
    from hdsim.engagement import TrackColumns, TrackUplink

    rng = np.random.default_rng(3)
    t_rows = np.arange(0.0, 20.0)
    state = rng.normal(size=(20, 6)) * 1e3 + np.array([7.0e6, 0, 0, 0, 50.0, 0])
    tracks = TrackColumns.from_arrays(t_rows, np.repeat([0, 1], 10), state,
                                      np.tile(np.eye(6), (20, 1, 1)), np.full(20, 2),
                                      np.zeros(20, int))
    up = TrackUplink(tracks, np.array([0, 1, 0]), "ballistic", EarthModel(),
                     t_launch=np.array([0.5, 1.0, 2.0]), period_s=np.array([1.0, 0.0, 0.5]),
                     latency_s=np.array([0.2, 0.0, 0.1]))
    t = np.array([0.6, 1.2, 2.1])[:, None] + np.linspace(0.0, 15.0, 7)[None, :]
    block = up(t)
    for c in range(t.shape[1]):
        np.testing.assert_array_equal(block[:, c], up(t[:, c]))


def test_slew_time_is_angle_over_rate_plus_settle():
    """Closed form: a mount last laid due east that must lay due north slews 90° (at 30 °/s:
    3 s) and settles 1 s; one without a slew limit, or that never fired, waits nothing."""
    from hdsim.engagement.fire_control import slew_time_s

    w_slew = sam(slew_rate_deg_s=30.0, settle_s=1.0)
    w_free = sam(weapon_id="sam-2")
    north = enu_vector_to_ecef(np.array([0.0, 1.0, 0.0]), LAT, LON)
    target = w_slew.site_ecef(EARTH) + 50e3 * north
    t = slew_time_s([w_slew, w_free], target[None], np.stack([EAST, EAST]), EARTH)
    np.testing.assert_allclose(t, [[4.0, 0.0]], atol=1e-6)
    never = slew_time_s([w_slew], target[None], np.full((1, 3), np.nan), EARTH)
    assert never[0, 0] == 0.0


def test_a_slewing_mount_fires_later_at_a_second_target_from_another_side():
    """Two threats, from the north and from the east (about 85° apart seen from the site, both
    at 15 km): the mount engages the northern one first either way; with a 10 °/s slew and 2 s
    of settling its round at the eastern one leaves angle/10 + 2 ≈ 10 s later than the
    unlimited mount's (at least 0.8 × 90/10 + 2 s; the exact angle depends on the PIP)."""
    east = straight_threat("E", range_m=60e3, alt_m=15e3, speed=1000.0, t1=150.0)
    north_dir = enu_vector_to_ecef(np.array([0.0, -1.0, 0.0]), LAT, LON)
    p0 = geodetic_to_ecef(LAT + 60e3 / 6.371e6, LON, 15e3)
    tt = np.arange(0.0, 150.0 + 1e-9, 1.0)
    st = np.concatenate([p0 + tt[:, None] * (1000.0 * north_dir),
                         np.tile(1000.0 * north_dir, (tt.size, 1))], axis=1)
    north = Trajectory("N", tt, st, np.zeros((tt.size, 3)), np.zeros(tt.size, np.int8),
                       impacted=False)
    truth = TrajectorySet([east, north])
    firsts = {}
    for rate, settle in ((None, 0.0), (10.0, 2.0)):
        w = sam(slew_rate_deg_s=rate, settle_s=settle, magazine=2,
                salvo_size=1, reload_s=1.0)
        res = run(truth, [w], doctrine="salvo")
        thr = np.asarray(res.engagements["threat_id"], dtype=object)
        tl = np.asarray(res.engagements["launch_t_s"])
        assert set(thr) == {"E", "N"}
        firsts[rate] = (tl[thr == "N"].min(), tl[thr == "E"].min())
    (n0, e0), (n1, e1) = firsts[None], firsts[10.0]
    assert n1 == n0 < e0                      # the first target: laid on it already
    assert e1 >= e0 + 0.8 * 90.0 / 10.0 + 2.0
    assert e1 <= e0 + 90.0 / 10.0 + 2.0 + 1.0
