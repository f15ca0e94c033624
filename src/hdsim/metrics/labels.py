"""Truth labels of tracks: THE one labelling used by scoring and by engagement.

The tracker never reads truth; it records which input report rows started or updated each
track (``TrackHistory.assoc_track``, ``assoc_row``). A track follows the threat most frequent
among the truth indices of those reports (a majority vote; false alarms vote −1; ties go to the
smallest index, so a tie with false alarms labels the track −1). Every row of the track gets the
label of the whole track.
The labels name the threat a track is scored against (custody, SIAP, errors, NEES) and the
threat a shot at the track is flown against.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.tracking.history import TrackHistory

__all__ = ["track_truth_labels", "track_truth_votes"]


def track_truth_votes(assoc_track: ArrayLike, assoc_row: ArrayLike, row_truth_idx: ArrayLike
                      ) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Majority truth of every track that has associations.

    Args:
        assoc_track, assoc_row: ``(A,)`` (track id, input row) associations.
        row_truth_idx: ``(K,)`` threat index of every input row (−1: false alarm).

    Returns:
        ``(track ids (T,) sorted, truth index (T,))``: for each track the truth index most
        frequent among its rows (ties: the smallest).
    """
    at = np.asarray(assoc_track, np.int64)
    ar = np.asarray(assoc_row, np.int64)
    if at.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    tr = np.asarray(row_truth_idx)[ar].astype(np.int64)
    pairs, counts = np.unique(np.stack([at, tr], 1), axis=0, return_counts=True)
    order = np.lexsort((pairs[:, 1], -counts, pairs[:, 0]))
    p = pairs[order]
    first = np.r_[True, p[1:, 0] != p[:-1, 0]]
    return p[first, 0], p[first, 1]


def track_truth_labels(history: TrackHistory, detection_truth_idx: ArrayLike
                       ) -> NDArray[np.int64]:
    """Threat index of every row of ``history`` (−1: none), by majority of its track's reports.

    Args:
        history: the tracker's output (its association record ``assoc_track``, ``assoc_row``).
        detection_truth_idx: ``(K,)`` ``truth_idx`` of the reports given to the tracker, in the
            order they were given (for ``Tracker(cfg).run(detections)``:
            ``detections.truth_idx``; for streaming, the chunks' ``truth_idx`` concatenated in
            the order of the ``process`` calls).

    Returns:
        ``(N,)`` int64: the truth index most frequent among the rows that started or updated
        the row's track (ties: the smallest, so −1 when false alarms tie); −1 for a track
        without associations.
    """
    ids, truth = track_truth_votes(history.assoc_track, history.assoc_row, detection_truth_idx)
    tid = np.asarray(history.track_id, np.int64)
    out = np.full(tid.shape, -1, np.int64)
    if ids.size:
        k = np.minimum(np.searchsorted(ids, tid), ids.size - 1)
        hit = ids[k] == tid
        out[hit] = truth[k[hit]]
    return out
