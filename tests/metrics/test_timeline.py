"""Threat timeline, custody and SIAP scores on hand-built tables with answers known by construction.

Scenario (dt = 1 s, each sample t_j stands for [t_j, t_j + 1)):

* threat ``T1`` flies 0-100 s (boost < 20 s, glide 20-90 s, terminal after), detected at 5, 6, 7 s;
  track ``a`` tentative at 8-9 s, confirmed 10-40 s (σ 2000 m until 29 s, 800 m from 30 s),
  deleted at 41 s; track ``b`` confirmed 50-70 s, coasting 71-75 s, confirmed 76-99 s; track
  ``e`` a duplicate confirmed on T1 at 60-64 s.
  → held 10-40 and 50-99: custody 81/100; one break (41 s); one swap (a → b; e is younger than b
  so never assigned); longest segment 50 s (b).
* threat ``T2`` flies 0-50 s, never detected; track ``c`` confirmed throughout 10-50 s but
  associated with no threat at 21-24 s; track ``d`` tentative on T2.
  → held 10-20 and 25-49: custody 36/50, one break, no swap, longest 25 s.
* a false alarm at 2 s.

SIAP (Votruba et al. 2001, as Stone Soup's SIAPMetrics) on 0-99 s: ΣN_J = 100 + 50, ΣN_JT =
81 + 36, ΣN_T = 31 (a) + 50 (b) + 5 (e) + 41 (c, 10-50 s), ΣN_A = 31 + 50 + 5 + 36.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from hdsim.metrics import siap_scores, threat_timeline


def _rows(track_id, times, status, truth_id, sigma=1500.0):
    times = np.atleast_1d(np.asarray(times, dtype=float))
    n = times.size
    return {"track_id": [track_id] * n, "t_s": list(times), "status": [status] * n,
            "truth_id": [truth_id] * n,
            "sigma_pos_m": list(np.broadcast_to(np.asarray(sigma, float), (n,)))}


def _concat(*parts):
    out = {k: [] for k in parts[0]}
    for p in parts:
        for k in out:
            out[k] += list(p[k])
    return out


def _scenario():
    t1 = np.arange(0.0, 101.0)
    t2 = np.arange(0.0, 51.0)
    phase1 = np.where(t1 < 20, "boost", np.where(t1 < 90, "glide", "terminal"))
    truth = {"threat_id": ["T1"] * t1.size + ["T2"] * t2.size,
             "t_s": np.concatenate([t1, t2]),
             "phase": np.concatenate([phase1, np.full(t2.size, "glide")])}
    det = {"t_s": np.array([2.0, 5.0, 6.0, 7.0]),
           "truth_id": np.array([None, "T1", "T1", "T1"], dtype=object)}
    ta = np.arange(10.0, 41.0)
    tracks = _concat(
        _rows("a", [8.0, 9.0], "tentative", "T1", 3000.0),
        _rows("a", ta, "confirmed", "T1", np.where(ta < 30, 2000.0, 800.0)),
        _rows("a", 41.0, "deleted", "T1"),
        _rows("b", np.arange(50.0, 71.0), "confirmed", "T1"),
        _rows("b", np.arange(71.0, 76.0), "coasting", "T1"),
        _rows("b", np.arange(76.0, 100.0), "confirmed", "T1"),
        _rows("e", np.arange(60.0, 65.0), "confirmed", "T1"),
        _rows("c", np.arange(10.0, 21.0), "confirmed", "T2"),
        _rows("c", np.arange(21.0, 25.0), "confirmed", None),
        _rows("c", np.arange(25.0, 51.0), "confirmed", "T2"),
        _rows("d", np.arange(3.0, 6.0), "tentative", "T2"),
    )
    rng = np.random.default_rng(0)  # row order must not matter
    perm = rng.permutation(len(tracks["t_s"]))
    tracks = {k: np.asarray(v, dtype=object if k in ("truth_id",) else None)[perm]
              for k, v in tracks.items()}
    return truth, det, tracks


def test_timeline_by_construction():
    truth, det, tracks = _scenario()
    tl = threat_timeline(truth, det, tracks, dt_s=1.0, fire_control_sigma_m=1000.0)
    assert list(tl["threat_id"]) == ["T1", "T2"]
    np.testing.assert_array_equal(tl["t_start_s"], [0.0, 0.0])
    np.testing.assert_array_equal(tl["flight_time_s"], [100.0, 50.0])
    np.testing.assert_array_equal(tl["first_detection_s"], [5.0, np.nan])
    np.testing.assert_array_equal(tl["first_track_s"], [8.0, 3.0])
    np.testing.assert_array_equal(tl["first_confirmed_s"], [10.0, 10.0])
    np.testing.assert_array_equal(tl["first_fire_control_s"], [30.0, np.nan])
    np.testing.assert_allclose(tl["custody"], [81 / 100, 36 / 50], rtol=0, atol=1e-15)
    np.testing.assert_array_equal(tl["n_breaks"], [1, 1])
    np.testing.assert_array_equal(tl["n_swaps"], [1, 0])
    np.testing.assert_array_equal(tl["n_tracks"], [2, 1])
    np.testing.assert_array_equal(tl["longest_segment_s"], [50.0, 25.0])
    np.testing.assert_allclose(tl["longest_segment_fraction"], [0.5, 0.5])


def test_timeline_from_pyarrow_tables_matches():
    truth, det, tracks = _scenario()
    tl = threat_timeline(truth, det, tracks)
    tl_pa = threat_timeline(pa.table(truth), pa.table(det), pa.table(tracks))
    for k in tl:
        np.testing.assert_array_equal(tl[k], tl_pa[k])


def test_phase_filter():
    truth, det, tracks = _scenario()
    tl = threat_timeline(truth, det, tracks, phases=("glide",))
    # T1 glide samples 20..89 (70): held 20..40 (21) and 50..89 (40)
    assert tl["custody"][0] == pytest.approx(61 / 70, abs=1e-15)
    assert tl["custody"][1] == pytest.approx(36 / 50, abs=1e-15)


def test_swap_back_and_max_age():
    """Integer ids (−1 = none); a track with a row gap, with and without a staleness limit."""
    truth = {"threat_id": np.array([7, 7]), "t_s": np.array([0.0, 20.0])}
    rows = _concat(
        _rows(1, np.arange(0.0, 6.0), "confirmed", 7),  # 0-5
        _rows(1, np.arange(10.0, 20.0), "confirmed", 7),  # gap 6-9: rows missing
        _rows(2, np.arange(3.0, 13.0), "confirmed", 7),  # younger duplicate 3-12
    )
    tracks = {k: np.asarray(v) for k, v in rows.items()}
    tl = threat_timeline(truth, None, tracks)
    # without max_age track 1 holds 0..19 through its gap: custody 1, no break, no swap
    assert tl["custody"][0] == 1.0 and tl["n_breaks"][0] == 0 and tl["n_swaps"][0] == 0
    assert np.isnan(tl["first_detection_s"][0])
    tl = threat_timeline(truth, None, tracks, max_age_s=0.5)
    # track 1 holds 0-5 and 10-19; track 2 fills 6-9: swaps 1 → 2 → 1, never a gap
    assert tl["custody"][0] == 1.0 and tl["n_breaks"][0] == 0 and tl["n_swaps"][0] == 2
    assert tl["longest_segment_s"][0] == 10.0 and tl["n_tracks"][0] == 2


def test_siap_by_construction():
    truth, _, tracks = _scenario()
    s = siap_scores(truth, tracks, dt_s=1.0)
    n_j, n_jt, n_t, n_a = 150, 117, 127, 122
    assert s.completeness == pytest.approx(n_jt / n_j, abs=1e-15)
    assert s.ambiguity == pytest.approx(n_a / n_jt, abs=1e-15)
    assert s.spuriousness == pytest.approx((n_t - n_a) / n_t, abs=1e-15)
    assert s.t_s.size == 100 and s.n_truths.sum() == n_j
    # at 62 s: T1 live and held by b and e, T2 landed; tracks b, e
    counts = np.stack([s.n_truths, s.n_truths_held, s.n_tracks, s.n_tracks_assigned], axis=1)
    assert tuple(counts[62]) == (1, 1, 2, 2)
    # at 22 s: c follows nothing: T2 not held, c spurious
    assert tuple(counts[22]) == (2, 1, 2, 1)


def test_no_tracks():
    truth = {"threat_id": ["X", "X"], "t_s": [0.0, 10.0]}
    tracks = {"track_id": [], "t_s": [], "status": [], "truth_id": []}
    tl = threat_timeline(truth, None, tracks)
    assert tl["custody"][0] == 0.0 and np.isnan(tl["first_track_s"][0])
    s = siap_scores(truth, tracks)
    assert s.completeness == 0.0 and np.isnan(s.ambiguity) and np.isnan(s.spuriousness)
    with pytest.raises(ValueError, match="dt_s"):
        threat_timeline(truth, None, tracks, dt_s=0.0)
