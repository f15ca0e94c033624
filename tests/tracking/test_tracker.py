"""End-to-end tracker tests on seeded synthetic truth.

Oracles: the truth itself (every target confirmed, no track swaps), the posterior Cramér-Rao
lower bound (PCRLB) of each target computed here independently by the information recursion of
Tichavský, Muravchik & Nehorai (IEEE TSP 46(5), 1998) for the linear NCV dynamics,
``J_{k+1} = (Q + F J_k⁻¹ Fᵀ)⁻¹ + P_D Hᵀ R⁻¹ H`` (Jacobian at the true state, the ``P_D`` factor
being the information-reduction factor of Niu, Willett & Bar-Shalom 2001 without clutter), and
the tracker's own behaviour under permutations that must not matter (report order, truth labels).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from hdsim.earth import enu_rotation, geodetic_to_ecef
from hdsim.metrics.labels import track_truth_labels
from hdsim.sensors.detections import RADAR, SPACE_IR, Detections, nadir_frame
from hdsim.tracking import (
    NearlyConstantVelocity,
    Tracker,
    TrackerConfig,
    TrackStatus,
    ir_measure,
    radar_jacobian,
    radar_measure,
)

SIG_RADAR = np.array([20.0, 1.0e-3, 1.0e-3, 5.0])
LAT, LON = np.radians(35.0), np.radians(139.0)


def radar_scenario(rng, n_targets=20, n_scans=30, pd=0.9, clutter=5.0, q=1.0, min_sep_m=20e3):
    """NCV targets 80-250 km from a radar (1 Hz), Pd, Poisson clutter uniform in the volume."""
    site = geodetic_to_ecef(LAT, LON, 0.0)
    rot = enu_rotation(LAT, LON)
    pos: list[np.ndarray] = []
    while len(pos) < n_targets:
        az, gr = rng.uniform(0, 2 * np.pi), rng.uniform(80e3, 250e3)
        p = np.array([gr * np.sin(az), gr * np.cos(az), rng.uniform(20e3, 60e3)])
        if all(np.linalg.norm(p - o) > min_sep_m for o in pos):
            pos.append(p)
    hd, sp = rng.uniform(0, 2 * np.pi, n_targets), rng.uniform(1000, 3000, n_targets)
    venu = np.stack([sp * np.sin(hd), sp * np.cos(hd), rng.uniform(-50, 50, n_targets)], -1)
    x = np.concatenate([site + np.array(pos) @ rot, venu @ rot], -1)
    model = NearlyConstantVelocity(q)
    F, L = model.F(1.0), np.linalg.cholesky(model.Q(1.0))
    truth = np.empty((n_scans, n_targets, 6))
    for k in range(n_scans):
        truth[k] = x
        x = x @ F.T + rng.standard_normal(x.shape) @ L.T
    t, tru, zs = [], [], []
    for k in range(n_scans):
        idx = np.flatnonzero(rng.random(n_targets) < pd)
        z = radar_measure(truth[k, idx], site, rot) + rng.standard_normal((idx.size, 4)) * SIG_RADAR
        z[:, 1] %= 2 * np.pi
        nfa = rng.poisson(clutter)
        zc = np.stack([rng.uniform(50e3, 400e3, nfa), rng.uniform(0, 2 * np.pi, nfa),
                       rng.uniform(0, 0.6, nfa), rng.uniform(-3000, 3000, nfa)], -1)
        t.append(np.full(idx.size + nfa, float(k)))
        tru.append(np.r_[idx, np.full(nfa, -1)])
        zs.append(np.concatenate([z, zc]))
    t = np.concatenate(t)
    K = t.size
    det = Detections(t, np.zeros(K, np.int32), np.full(K, RADAR, np.int8),
                     np.concatenate(tru).astype(np.int32), np.concatenate(zs),
                     np.broadcast_to(SIG_RADAR, (K, 4)).copy(),
                     np.broadcast_to(site, (K, 3)).copy(), np.full(K, 20.0), ["r1"], ["r1"])
    return det, truth, site, rot


def ir_scenario(rng, n_targets=20, n_scans=20, pd=0.95, clutter=2.0, sigma=5e-5, n_sats=3):
    """The radar scenario's targets seen only by ``n_sats`` satellites at 1,000 km (1 Hz)."""
    _, truth, site, rot = radar_scenario(rng, n_targets, n_scans, 1.0, 0.0)
    up = site / np.linalg.norm(site)
    t, sen, tru, zs, pos = [], [], [], [], []
    for s in range(n_sats):
        ang = 2 * np.pi * s / n_sats
        p0 = site + np.array([np.cos(ang), np.sin(ang), 0.0]) * 900e3 @ rot
        p0 = p0 / np.linalg.norm(p0) * (6378137.0 + 1.0e6)
        v = np.cross(up, p0)
        v = v / np.linalg.norm(v) * 7300.0
        for k in range(n_scans):
            sat = p0 + v * k
            idx = np.flatnonzero(rng.random(n_targets) < pd)
            z = ir_measure(truth[k, idx], sat, nadir_frame(sat))
            z = z + sigma * rng.standard_normal(z.shape)
            nfa = rng.poisson(clutter)
            n = idx.size + nfa
            t.append(np.full(n, float(k)))
            sen.append(np.full(n, s))
            tru.append(np.r_[idx, np.full(nfa, -1)])
            zs.append(np.concatenate([z, rng.uniform(-0.5, 0.5, (nfa, 2))]))
            pos.append(np.broadcast_to(sat, (n, 3)))
    K = sum(a.size for a in t)
    z4 = np.full((K, 4), np.nan)
    z4[:, :2] = np.concatenate(zs)
    s4 = np.full((K, 4), np.nan)
    s4[:, :2] = sigma
    det = Detections(np.concatenate(t), np.concatenate(sen).astype(np.int32),
                     np.full(K, SPACE_IR, np.int8), np.concatenate(tru).astype(np.int32), z4, s4,
                     np.concatenate(pos), np.full(K, 20.0), [f"s{i}" for i in range(n_sats)],
                     ["L"] * n_sats)
    return det, truth


def pcrlb_position_var(truth, site, rot, q, pd):
    """Trace of the position block of the PCRLB ``J⁻¹`` at every scan and target (T, n)."""
    T, n, _ = truth.shape
    model = NearlyConstantVelocity(q)
    F, Q = model.F(1.0), model.Q(1.0)
    Rinv = np.diag(1.0 / SIG_RADAR**2)
    J = np.broadcast_to(np.diag([1e-6] * 3 + [1e-6] * 3), (n, 6, 6)).copy()  # weak prior
    out = np.empty((T, n))
    for k in range(T):
        if k > 0:
            C = np.linalg.inv(J)
            J = np.linalg.inv(Q + F @ C @ F.T)
        H = radar_jacobian(truth[k], site, rot)
        J = J + pd * np.swapaxes(H, -1, -2) @ Rinv @ H
        out[k] = np.trace(np.linalg.inv(J)[:, :3, :3], axis1=-2, axis2=-1)
    return out


def labelled(hist, truth_idx):
    """``hist`` with the truth labels of its rows attached (scoring only, after the run)."""
    return replace(hist, truth_idx=track_truth_labels(hist, truth_idx))


def _truth_rows(hist, truth):
    k = np.round(hist.t_s).astype(int)
    return truth[k, np.maximum(hist.truth_idx, 0)]


@pytest.fixture(scope="module")
def radar_run():
    rng = np.random.default_rng(11)
    det, truth, site, rot = radar_scenario(rng)
    hist = labelled(Tracker(TrackerConfig(filter="ekf", q_ncv_m2ps3=1.0)).run(det), det.truth_idx)
    return det, truth, site, rot, hist


def test_radar_all_targets_confirmed_without_swaps(radar_run):
    det, truth, _, _, hist = radar_run
    n = truth.shape[1]
    confirmed = np.unique(hist.track_id[hist.status == 1])
    tid = {i: hist.truth_idx[hist.track_id == i][0] for i in confirmed}
    assert sorted(tid.values()) == list(range(n))  # one confirmed track per target
    # no swaps: every true report associated with a confirmed track belongs to its target
    sel = np.isin(hist.assoc_track, confirmed)
    rep_truth = det.truth_idx[hist.assoc_row[sel]]
    own = np.array([tid[i] for i in hist.assoc_track[sel]])
    real = rep_truth >= 0
    assert np.all(rep_truth[real] == own[real])
    assert np.mean(~real) < 0.01  # (almost) no false alarm absorbed
    last = hist.last()
    assert np.all(np.isin(last.status[np.isin(last.track_id, confirmed)], [1]))
    # tracks from false alarms never confirm
    assert np.all(hist.truth_idx[hist.status == 1] >= 0)


def test_radar_rmse_near_pcrlb(radar_run):
    det, truth, site, rot, hist = radar_run
    m = (hist.status == 1) & (hist.t_s >= 15)
    err = hist.state[m, :3] - _truth_rows(hist, truth)[m, :3]
    rmse = np.sqrt(np.mean(np.sum(err**2, axis=1)))
    bound = pcrlb_position_var(truth, site, rot, 1.0, 0.9)
    k = np.round(hist.t_s[m]).astype(int)
    crlb = np.sqrt(np.mean(bound[k, hist.truth_idx[m]]))
    # a single report's position error (range σ and 1 mrad cross-range, both axes) is larger
    rng_m = np.linalg.norm(_truth_rows(hist, truth)[m, :3] - site, axis=1)
    raw = np.sqrt(np.mean(SIG_RADAR[0] ** 2 + 2 * (rng_m * SIG_RADAR[1]) ** 2))
    assert rmse < 0.6 * raw, (rmse, raw)
    assert 0.85 < rmse / crlb < 1.4, (rmse, crlb)
    # the filter's covariance is consistent with its errors
    sig = np.sqrt(np.mean(hist.sigma_pos_m[m] ** 2))
    assert 0.75 < rmse / sig < 1.3, (rmse, sig)
    print(f"radar RMSE {rmse:.1f} m, PCRLB {crlb:.1f} m, filter sigma {sig:.1f} m")


def test_ir_only_three_satellites_by_triangulation():
    rng = np.random.default_rng(5)
    det, truth = ir_scenario(rng)
    hist = labelled(Tracker(TrackerConfig(filter="ekf", q_ncv_m2ps3=1.0)).run(det), det.truth_idx)
    conf = np.unique(hist.track_id[hist.status == 1])
    assert sorted(hist.truth_idx[np.isin(hist.track_id, conf)].tolist()) != []
    got = {int(hist.truth_idx[hist.track_id == i][0]) for i in conf}
    assert got == set(range(truth.shape[1]))
    assert conf.size == truth.shape[1]
    m = (hist.status == 1) & (hist.t_s >= 5)
    err = hist.state[m, :3] - _truth_rows(hist, truth)[m, :3]
    rmse = np.sqrt(np.mean(np.sum(err**2, axis=1)))
    sig = np.sqrt(np.mean(hist.sigma_pos_m[m] ** 2))
    # one fix: 5e-5 rad at ~1,300 km ≈ 65 m per axis; the filter averages below that
    assert rmse < 100.0 and 0.7 < rmse / sig < 1.4, (rmse, sig)
    # confirmed within 3 s of the first report
    first = min(hist.t_s[hist.track_id == i].min() for i in conf)
    assert first <= 3.0
    # IR false alarms only ever make tentative (angle-only) tracks
    assert np.all(hist.status[hist.truth_idx < 0] != 1)


def test_centralized_fusion_radar_and_ir():
    # the same 10 targets seen by a radar and by 3 satellites, all reports into one tracker
    det_r, truth, _, _ = radar_scenario(np.random.default_rng(21), n_targets=10, n_scans=20)
    det_i, truth_i = ir_scenario(np.random.default_rng(21), n_targets=10, n_scans=20)
    np.testing.assert_array_equal(truth, truth_i)
    rmse = {}
    for name, d in (("radar", det_r), ("ir", det_i),
                    ("both", Detections.concatenate([det_r, det_i]))):
        hist = labelled(Tracker(TrackerConfig(filter="ekf", q_ncv_m2ps3=1.0)).run(d), d.truth_idx)
        conf = np.unique(hist.track_id[hist.status == 1])
        assert conf.size == 10  # one track per target, no duplicate across sensor types
        assert {int(hist.truth_idx[hist.track_id == i][0]) for i in conf} == set(range(10))
        m = (hist.status == 1) & (hist.t_s >= 10)
        err = hist.state[m, :3] - _truth_rows(hist, truth)[m, :3]
        rmse[name] = np.sqrt(np.mean(np.sum(err**2, axis=1)))
        if name == "both":  # both sensor families updated every track
            st = d.sensor_type[hist.assoc_row]
            for i in conf:
                assert set(st[hist.assoc_track == i].tolist()) == {RADAR, SPACE_IR}
    assert rmse["both"] < min(rmse["radar"], rmse["ir"]), rmse


def test_single_satellite_view_gives_angle_only_tentative_tracks():
    rng = np.random.default_rng(6)
    det, truth = ir_scenario(rng, n_targets=3, n_scans=6, clutter=0.0, n_sats=1)
    hist = Tracker(TrackerConfig(filter="ekf", q_ncv_m2ps3=1.0)).run(det)
    assert np.unique(hist.track_id).size == 3
    assert np.all(hist.status == 0)  # never confirmed
    # huge uncertainty along the line of sight (parallax of the moving satellite shrinks it
    # slowly), tight across it
    w, V = np.linalg.eigh(hist.cov[:, :3, :3])
    assert np.all(np.sqrt(w[:, -1]) > 30e3) and np.all(np.sqrt(w[:, 0]) < 300.0)
    los = hist.state[:, :3] - det.sensor_pos_ecef[hist.assoc_row[np.argsort(hist.assoc_row)]][
        np.searchsorted(np.sort(hist.assoc_row), np.arange(len(hist)))]
    cosang = np.abs(np.einsum("ni,ni->n", V[:, :, -1], los / np.linalg.norm(los, axis=1)[:, None]))
    assert np.all(cosang > 0.99)


def test_out_of_order_reports_same_as_sorted():
    rng = np.random.default_rng(12)
    det, truth, _, _ = radar_scenario(rng, n_targets=8, n_scans=20, min_sep_m=30e3)
    cfg = TrackerConfig(filter="ekf", q_ncv_m2ps3=1.0, reorder_lag_s=3.0)
    ref = labelled(Tracker(cfg).run(det), det.truth_idx)
    # chunks of one scan each, shuffled within windows of 3 scans, rows shuffled inside
    chunks = [np.flatnonzero(det.t_s == k) for k in range(20)]
    order = np.concatenate([rng.permutation(np.arange(s, min(s + 3, 20))) for s in range(0, 20, 3)])
    tr = Tracker(cfg)
    arrival = []
    for k in order:
        rows = rng.permutation(chunks[k])
        arrival.append(rows)
        tr.process(det.take(rows))
    arrival = np.concatenate(arrival)  # streaming row numbers -> rows of `det`
    got = labelled(tr.finish(), det.truth_idx[arrival])
    np.testing.assert_array_equal(got.track_id, ref.track_id)
    np.testing.assert_allclose(got.state, ref.state, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(got.truth_idx, ref.truth_idx)
    assert sorted(zip(got.assoc_track.tolist(), arrival[got.assoc_row].tolist(), strict=True)) \
        == sorted(zip(ref.assoc_track.tolist(), ref.assoc_row.tolist(), strict=True))
    # a scan delivered 6 s late (beyond the lag) is processed by retrodiction, not dropped
    tr = Tracker(cfg)
    late = 10
    for k in range(20):
        if k != late:
            tr.process(det.take(chunks[k]))
        if k == late + 6:
            tr.process(det.take(chunks[late]))
    arrival = np.concatenate([chunks[k] for k in range(20) if k != late][:late + 6]
                             + [chunks[late]] + [chunks[k] for k in range(late + 7, 20)])
    got = labelled(tr.finish(), det.truth_idx[arrival])
    n_true = np.sum(det.truth_idx[chunks[late]] >= 0)
    assert np.isin(chunks[late], arrival[got.assoc_row]).sum() >= 0.8 * n_true
    a, b = ref.last(), got.last()
    ca, cb = a.status == 1, b.status == 1
    assert ca.sum() == cb.sum() == 8
    ia, ib = np.argsort(a.truth_idx[ca]), np.argsort(b.truth_idx[cb])
    dpos = np.linalg.norm(a.state[ca][ia, :3] - b.state[cb][ib, :3], axis=1)
    assert np.all(dpos < 0.5 * a.sigma_pos_m[ca][ia]), dpos


def test_tracker_never_reads_truth():
    rng = np.random.default_rng(13)
    det, truth, _, _ = radar_scenario(rng, n_targets=6, n_scans=12)
    cfg = TrackerConfig(filter="ekf", q_ncv_m2ps3=1.0)
    ref = labelled(Tracker(cfg).run(det), det.truth_idx)
    scrambled = det.take(np.arange(len(det)))
    scrambled.truth_idx = rng.permutation(det.truth_idx) * 7 + 3
    got = labelled(Tracker(cfg).run(scrambled), scrambled.truth_idx)
    np.testing.assert_array_equal(got.track_id, ref.track_id)
    np.testing.assert_array_equal(got.state, ref.state)
    np.testing.assert_array_equal(got.status, ref.status)
    np.testing.assert_array_equal(got.assoc_row, ref.assoc_row)
    assert not np.array_equal(got.truth_idx, ref.truth_idx)  # only the scoring column changed


@pytest.mark.parametrize("kw", [dict(association="jpda", clutter_density=1e-9),
                                dict(filter="ukf"),
                                dict(filter="imm", imm_models=("ncv", "singer", "hypersonic")),
                                dict(filter="imm"),
                                dict(filter="imm", imm_stay_probability=0.95)])
def test_filter_and_association_variants(kw):
    rng = np.random.default_rng(14)
    det, truth, site, rot = radar_scenario(rng, n_targets=5, n_scans=15, clutter=3.0)
    hist = labelled(Tracker(TrackerConfig(**{"filter": "ekf", "q_ncv_m2ps3": 1.0, **kw})).run(det),
                    det.truth_idx)
    conf = np.unique(hist.track_id[hist.status == 1])
    assert sorted(hist.truth_idx[hist.track_id == i][0] for i in conf) == list(range(5))
    m = (hist.status == 1) & (hist.t_s >= 8)
    err = hist.state[m, :3] - _truth_rows(hist, truth)[m, :3]
    rmse = np.sqrt(np.mean(np.sum(err**2, axis=1)))
    bound = pcrlb_position_var(truth, site, rot, 1.0, 0.9)
    crlb = np.sqrt(np.mean(bound[np.round(hist.t_s[m]).astype(int), hist.truth_idx[m]]))
    assert rmse < 2.0 * crlb, (rmse, crlb)
    if kw.get("filter") == "imm":
        np.testing.assert_allclose(hist.model_prob.sum(axis=1), 1.0, rtol=1e-9)
        assert hist.model_prob.shape[1] == 3


def test_coasting_then_deletion_when_reports_stop():
    rng = np.random.default_rng(15)
    det, truth, _, _ = radar_scenario(rng, n_targets=3, n_scans=40, pd=1.0, clutter=0.0)
    det = det.take(det.t_s < 10)  # targets vanish after t = 9 s
    cfg = TrackerConfig(filter="ekf", q_ncv_m2ps3=1.0, coast_after_s=2.5, delete_after_s=6.0)
    # scattered false alarms every second until t = 30 s keep the clock running
    tail = det.take(np.zeros(21, int))
    tail.t_s = np.arange(10.0, 31.0)
    tail.truth_idx = np.full(21, -1, np.int32)
    tail.z = np.stack([np.full(21, 390e3), rng.uniform(0, 2 * np.pi, 21), np.full(21, 0.5),
                       rng.uniform(-3e3, 3e3, 21)], -1)
    both = Detections.concatenate([det, tail])
    hist = labelled(Tracker(cfg).run(both), both.truth_idx)
    targets = np.unique(hist.track_id[(hist.status == 1) & (hist.truth_idx >= 0)])
    assert targets.size == 3
    for i in targets:
        rows = hist.track_id == i
        seq = [TrackStatus.names()[s] for s in hist.status[rows]]
        assert seq[-2:] == ["coasting", "deleted"]
        t_last = hist.t_s[rows & (hist.status == 1)].max()
        assert hist.t_s[rows & (hist.status == 2)][0] - t_last > 2.5
        assert hist.t_s[rows & (hist.status == 3)][0] - t_last > 6.0


def test_duplicate_tracks_are_merged():
    rng = np.random.default_rng(16)
    det, truth, _, _ = radar_scenario(rng, n_targets=4, n_scans=12, clutter=0.0)
    tr = Tracker(TrackerConfig(filter="ekf", q_ncv_m2ps3=1.0))
    tr.process(det.take(det.t_s < 6))
    tr._drain(np.inf)  # noqa: SLF001 - reach the state between scans
    n_live = tr.tr["id"].size
    # inject a copy of track 0 (a duplicate, as a second initiation of one target would make)
    i0 = 0
    xc, Pc = tr.bank.combine(tr.tr["x"][[i0]], tr.tr["P"][[i0]], tr.tr["mu"][[i0]])
    tr._add_tracks(xc[:, :6] + 5.0, Pc[:, :6, :6], tr.tr["t"][i0], los=-1, sensors=[0],
                   n_hits=2)  # noqa: SLF001
    tr.process(det.take(det.t_s >= 6))
    hist = tr.finish()
    last = hist.last()
    assert last.status[last.track_id == tr._next_id - 1][0] == 3  # the younger copy deleted
    assert np.sum(last.status == 1) == n_live == 4


def test_history_table_has_scenario_columns(radar_run):
    *_, hist = radar_run
    table = hist.to_arrow([f"threat-{i}" for i in range(20)])
    for col in ("track_id", "t_s", "x_m", "y_m", "z_m", "vx_mps", "vy_mps", "vz_mps",
                "sigma_pos_m", "status", "truth_id", "cov_00", "cov_55", "p_ncv"):
        assert col in table.column_names
    assert sum(c.startswith("cov_") for c in table.column_names) == 21
    assert set(table["status"].to_pylist()) <= set(TrackStatus.names())
    np.testing.assert_allclose(table["sigma_pos_m"].to_numpy(),
                               np.sqrt(table["cov_00"].to_numpy() + table["cov_11"].to_numpy()
                                       + table["cov_22"].to_numpy()))


def test_empty_input_gives_empty_history():
    hist = Tracker().run(Detections.empty())
    assert len(hist) == 0 and len(hist.last()) == 0
    assert hist.to_arrow().num_rows == 0


def test_config_validation_names_the_field():
    with pytest.raises(ValueError, match="confirm_m"):
        TrackerConfig(confirm_m=6, confirm_n=5)
    with pytest.raises(ValueError, match="filter"):
        TrackerConfig(filter="kalman")
    with pytest.raises(ValueError, match="association"):
        TrackerConfig(association="jpda", filter="imm")


def test_tracker_output_carries_no_truth(radar_run):
    det, *_ = radar_run
    raw = Tracker(TrackerConfig(filter="ekf", q_ncv_m2ps3=1.0)).run(det)
    assert raw.truth_idx is None  # labels come from hdsim.metrics.labels, after the run
    assert raw.to_arrow()["truth_id"].null_count == len(raw)
    labels = track_truth_labels(raw, det.truth_idx)
    ids = [f"threat-{i}" for i in range(20)]
    assert raw.to_arrow(ids, labels).equals(labelled(raw, det.truth_idx).to_arrow(ids))



def test_run_reports_progress_over_the_scans():
    """The run loop's progress bar moves during tracking: fractions from 0, rising, below 1."""
    det, *_ = radar_scenario(np.random.default_rng(4), n_targets=5, n_scans=300)
    seen: list[float] = []
    Tracker(TrackerConfig()).run(det, progress=seen.append)
    assert seen[0] == 0.0 and seen == sorted(seen) and all(f < 1.0 for f in seen)
    assert len(seen) > 100
