"""The tracker's output: :class:`TrackHistory`, and :class:`TrackStatus`, the one track-status
vocabulary of the whole project.

Status codes are int8 in arrays (``TrackHistory.status``, fire control's track columns); names
are the strings of ``tracks.parquet``'s ``status`` column. ``TrackStatus.names()`` maps codes to
names in order, ``TrackStatus.from_names`` maps them back.

A history carries no truth: it records which input report rows updated which track
(``assoc_track``, ``assoc_row``); the threat each track follows is computed from those rows by
:func:`hdsim.metrics.labels.track_truth_labels` (scoring and engagement only) and may be
attached as ``truth_idx`` or passed to :meth:`TrackHistory.to_arrow`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike, NDArray

__all__ = ["TrackHistory", "TrackStatus"]


class TrackStatus(IntEnum):
    """Life of a track: tentative → confirmed ⇄ coasting → deleted."""

    TENTATIVE = 0
    CONFIRMED = 1
    COASTING = 2
    DELETED = 3

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """Lower-case names in code order: ``("tentative", "confirmed", "coasting", "deleted")``."""
        return tuple(s.name.lower() for s in cls)

    @classmethod
    def to_names(cls, codes: ArrayLike) -> NDArray[np.object_]:
        """Names of an array of codes (object array of str)."""
        return np.array(cls.names(), dtype=object)[np.asarray(codes, dtype=np.int64)]

    @classmethod
    def from_names(cls, names: ArrayLike) -> NDArray[np.int8]:
        """Codes of an array of names; an unknown name is a ``ValueError`` naming it."""
        arr = np.asarray(names, dtype=object)
        lut = {n: i for i, n in enumerate(cls.names())}
        try:
            return np.array([lut[str(n)] for n in arr.ravel()], dtype=np.int8).reshape(arr.shape)
        except KeyError as exc:
            raise ValueError(f"track status {exc.args[0]!r}: allowed "
                             f"{', '.join(cls.names())}") from None

    @classmethod
    def firm(cls) -> tuple[TrackStatus, TrackStatus]:
        """The statuses of a track that is held: confirmed and coasting."""
        return (cls.CONFIRMED, cls.COASTING)


_IU = np.triu_indices(6)


@dataclass
class TrackHistory:
    """Track estimates over time, one row per track per update or status change (columnar).

    Attributes:
        track_id: ``(N,)`` int64.
        t_s: ``(N,)`` time of the estimate, s.
        state: ``(N, 6)`` ECEF position (m) and velocity (m/s).
        cov: ``(N, 6, 6)`` covariance of ``state``.
        status: ``(N,)`` int8 :class:`TrackStatus` codes.
        model_prob: ``(N, m)`` IMM model probabilities (``(N, 1)`` of ones for one model).
        model_names: names of the models.
        assoc_track, assoc_row: ``(A,)`` every (track id, input row) association: the report
            rows (numbered in input order over all the chunks given to the tracker) that
            started or updated each track.
        truth_idx: ``(N,)`` threat index of each row (−1: none) when a caller attached the
            labels of :func:`hdsim.metrics.labels.track_truth_labels`; None from the tracker,
            which never reads truth.
    """

    track_id: NDArray[np.int64]
    t_s: NDArray[np.float64]
    state: NDArray[np.float64]
    cov: NDArray[np.float64]
    status: NDArray[np.int8]
    model_prob: NDArray[np.float64]
    model_names: tuple[str, ...]
    assoc_track: NDArray[np.int64]
    assoc_row: NDArray[np.int64]
    truth_idx: NDArray[np.int64] | None = None

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    @property
    def sigma_pos_m(self) -> NDArray[np.float64]:
        """sqrt of the trace of the position covariance, m."""
        return np.sqrt(np.trace(self.cov[:, :3, :3], axis1=-2, axis2=-1))

    def last(self) -> TrackHistory:
        """The last row of every track."""
        order = np.lexsort((self.t_s, self.track_id))
        ids = self.track_id[order]
        last = order[np.r_[ids[1:] != ids[:-1], True][: order.size]]
        return self.take(last)

    def take(self, idx: NDArray) -> TrackHistory:
        """Rows ``idx`` (indices or mask) of the history; the association record is kept whole."""
        truth = None if self.truth_idx is None else self.truth_idx[idx]
        return TrackHistory(self.track_id[idx], self.t_s[idx], self.state[idx], self.cov[idx],
                            self.status[idx], self.model_prob[idx], self.model_names,
                            self.assoc_track, self.assoc_row, truth)

    def to_arrow(self, threat_ids: list[str] | None = None,
                 truth_idx: ArrayLike | None = None) -> pa.Table:
        """The ``tracks.parquet`` table (docs/results.md columns, then the 21 upper-triangle
        covariance entries ``cov_ij`` (i ≤ j, order x y z vx vy vz) and ``p_<model>``).

        Args:
            threat_ids: threat ids by threat index; ``truth_id`` is the id of the row's threat
                (null: none). Without them ``truth_id`` is the threat index as text.
            truth_idx: ``(N,)`` threat index of each row (−1: none), from
                :func:`hdsim.metrics.labels.track_truth_labels`; default ``self.truth_idx``.
                When both are None, ``truth_id`` is all null.
        """
        labels = self.truth_idx if truth_idx is None else np.asarray(truth_idx, np.int64)
        if labels is None:
            truth = pa.nulls(len(self), pa.string())
        elif threat_ids is None:
            truth = pa.array(np.where(labels >= 0, labels, 0).astype(str), pa.string(),
                             mask=labels < 0)
        else:
            tid = np.array(list(threat_ids) + [None], dtype=object)
            truth = pa.array(tid[np.where(labels >= 0, labels, len(threat_ids))], pa.string())
        cols = {
            "track_id": self.track_id, "t_s": self.t_s,
            "x_m": self.state[:, 0], "y_m": self.state[:, 1], "z_m": self.state[:, 2],
            "vx_mps": self.state[:, 3], "vy_mps": self.state[:, 4], "vz_mps": self.state[:, 5],
            "sigma_pos_m": self.sigma_pos_m,
            "status": pa.array(TrackStatus.to_names(self.status), pa.string()),
            "truth_id": truth,
        }
        for i, j in zip(*_IU, strict=True):
            cols[f"cov_{i}{j}"] = self.cov[:, i, j]
        for k, name in enumerate(self.model_names):
            cols[f"p_{name}"] = self.model_prob[:, k]
        return pa.table(cols)
