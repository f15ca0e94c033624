"""Truth labels of tracks (majority of the truth of the reports that updated each track),
against a hand-made oracle and a straightforward per-track count."""

from __future__ import annotations

from collections import Counter

import numpy as np

from hdsim.metrics.labels import track_truth_labels, track_truth_votes
from hdsim.tracking import TrackHistory


def history(track_id, assoc_track, assoc_row) -> TrackHistory:
    n = len(track_id)
    return TrackHistory(np.asarray(track_id, np.int64), np.arange(n, dtype=float),
                        np.zeros((n, 6)), np.zeros((n, 6, 6)), np.zeros(n, np.int8),
                        np.ones((n, 1)), ("ncv",), np.asarray(assoc_track, np.int64),
                        np.asarray(assoc_row, np.int64))


def test_hand_made_oracle():
    # report rows 0..7 and their truth (-1: false alarm)
    row_truth = np.array([0, 0, 1, 2, -1, -1, 2, 1], np.int32)
    # track 5: rows 0, 1, 2 (truth 0, 0, 1) -> 0; track 2: rows 3, 4, 5 (2, -1, -1) -> -1;
    # track 9: rows 6, 7 (2, 1: a tie) -> 1 (the smallest); track 4: no association -> -1
    hist = history([5, 2, 5, 9, 4, 2, 5], [5, 5, 5, 2, 2, 2, 9, 9], [0, 1, 2, 3, 4, 5, 6, 7])
    np.testing.assert_array_equal(track_truth_labels(hist, row_truth), [0, -1, 0, 1, -1, -1, 0])
    ids, truth = track_truth_votes(hist.assoc_track, hist.assoc_row, row_truth)
    np.testing.assert_array_equal(ids, [2, 5, 9])
    np.testing.assert_array_equal(truth, [-1, 0, 1])


def test_against_per_track_counting():
    rng = np.random.default_rng(3)
    row_truth = rng.integers(-1, 6, 400)
    at = rng.integers(0, 40, 300)
    ar = rng.choice(400, 300, replace=False)
    hist = history(rng.integers(0, 45, 500), at, ar)
    expected = []
    for t in hist.track_id:
        c = Counter(row_truth[ar[at == t]].tolist())
        expected.append(min(c, key=lambda k: (-c[k], k)) if c else -1)
    got = track_truth_labels(hist, row_truth)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, expected)


def test_empty():
    hist = history([], [], [])
    assert track_truth_labels(hist, np.zeros(0, np.int32)).shape == (0,)
    hist = history([1, 1], [], [])
    np.testing.assert_array_equal(track_truth_labels(hist, np.zeros(3, np.int32)), [-1, -1])
