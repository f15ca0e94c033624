"""What fire control sees: the track history as columns (:class:`TrackColumns`).

Statuses are :class:`hdsim.tracking.history.TrackStatus` codes (the one track-status vocabulary
of the project).  The per-row threat labels (``truth_idx``) are for physics and scoring only
(which threat a shot flies against, and whose tracks disappear after a kill); fire control's
decisions never read them.  They are an input: the run loop computes them with
:func:`hdsim.metrics.labels.track_truth_labels` (the majority vote of the reports each track
used).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.earth import EarthModel
from hdsim.engagement.flyout import free_fall_accel
from hdsim.tracking.history import TrackStatus

__all__ = ["TrackColumns", "TrackUplink", "latest_rows"]


@dataclass(frozen=True)
class TrackColumns:
    """Track history as columns, sorted by (track id, time); build it with
    :meth:`from_arrays`.

    Attributes:
        t_s: ``(R,)`` time of each row, s.
        track_id: ``(R,)`` int64.
        state: ``(R, 6)`` ECEF estimate (position m, velocity m/s).
        cov: ``(R, 6, 6)`` its covariance.
        status: ``(R,)`` int8 :class:`~hdsim.tracking.history.TrackStatus` codes.
        truth_idx: ``(R,)`` int64 threat index the row follows (−1: none, e.g. a false track),
            physics and scoring only.
    """

    t_s: NDArray
    track_id: NDArray
    state: NDArray
    cov: NDArray
    status: NDArray
    truth_idx: NDArray

    @classmethod
    def from_arrays(cls, t_s: ArrayLike, track_id: ArrayLike, state: ArrayLike, cov: ArrayLike,
                    status: ArrayLike, truth_idx: ArrayLike | None) -> TrackColumns:
        """Columns from arrays of ``R`` rows in any order (sorted here by track id, then time).

        Args:
            t_s: ``(R,)`` times, s.
            track_id: ``(R,)`` integer track ids.
            state: ``(R, 6)`` ECEF estimates.
            cov: ``(R, 6, 6)`` covariances.
            status: ``(R,)`` integer :class:`~hdsim.tracking.history.TrackStatus` codes
                (e.g. ``TrackHistory.status``; names map to codes with
                ``TrackStatus.from_names``).
            truth_idx: ``(R,)`` threat index of each row (−1: none), or None: no row has a
                label (every shot then flies without a target and cannot kill).

        Raises:
            ValueError: status not integer codes of ``TrackStatus``, or a column of the wrong
                length.
        """
        t = np.asarray(t_s, float).reshape(-1)
        n = t.size
        tid = np.asarray(track_id).astype(np.int64).reshape(n)
        x = np.asarray(state, float).reshape(n, 6)
        p = np.asarray(cov, float).reshape(n, 6, 6)
        st = np.asarray(status)
        if st.dtype.kind not in "iu":
            raise ValueError(f"tracks.status: dtype {st.dtype}, expected integer TrackStatus "
                             "codes (TrackStatus.from_names maps names to codes)")
        codes = st.astype(np.int8).reshape(n)
        bad = ~np.isin(codes, [int(s) for s in TrackStatus])
        if bad.any():
            allowed = ", ".join(f"{int(s)} ({s.name.lower()})" for s in TrackStatus)
            raise ValueError(f"tracks.status = {int(codes[bad][0])}: not a TrackStatus code "
                             f"(allowed {allowed})")
        truth = (np.full(n, -1, np.int64) if truth_idx is None
                 else np.asarray(truth_idx).astype(np.int64).reshape(n))
        order = np.lexsort((t, tid))
        return cls(t[order], tid[order], x[order], p[order], codes[order], truth[order])

    @classmethod
    def empty(cls) -> TrackColumns:
        """No tracks (a run without sensors)."""
        return cls.from_arrays(np.empty(0), np.empty(0, np.int64), np.empty((0, 6)),
                               np.empty((0, 6, 6)), np.empty(0, np.int8), None)

    def __len__(self) -> int:
        return int(self.t_s.size)


def latest_rows(tracks: TrackColumns, t_s: float, max_age_s: float = np.inf) -> NDArray:
    """Indices of the latest row of each track at time ``t_s`` (rows at or before it), for
    tracks not deleted and not older than ``max_age_s``."""
    idx = np.flatnonzero(tracks.t_s <= t_s)
    if idx.size == 0:
        return idx
    ids = tracks.track_id[idx]
    last = idx[np.r_[ids[1:] != ids[:-1], True]]
    keep = (tracks.status[last] != TrackStatus.DELETED) & (t_s - tracks.t_s[last] <= max_age_s)
    return last[keep]


class TrackUplink:
    """Each shot's uplinked track: the latest row the shot has received by t, extrapolated to t.

    With an uplink period ``P`` and latency ``L`` (per shot; 0 and 0: continuous and
    instantaneous), the shot receives messages at ``t_launch + k P`` (k = 0, 1, …), each
    holding the latest track row at or before the message time minus ``L``; between messages
    it propagates the last one with the fire-control motion model.

    Args:
        tracks: the track history fire control sees.
        track_id: ``(n,)`` the track each shot is guided on.
        model: ``"ncv"`` (straight line) or ``"ballistic"`` (constant free-fall acceleration
            of the row state, second order).
        earth: Earth model (for the ballistic model).
        t_launch, period_s, latency_s: ``(n,)`` per-shot launch times, uplink periods and
            latencies, s (default 0: continuous and instantaneous).

    Called with per-shot times ``t (n,)`` it returns the ``(n, 6)`` ECEF states the shots
    steer on (:data:`hdsim.engagement.flyout.TargetFn`).
    """

    def __init__(self, tracks: TrackColumns, track_id: NDArray, model: str, earth: EarthModel,
                 t_launch: NDArray | None = None, period_s: NDArray | None = None,
                 latency_s: NDArray | None = None):
        self.n = track_id.size
        self.model = model
        zero = np.zeros(self.n)
        self.t_launch = zero if t_launch is None else np.asarray(t_launch, float)
        self.period = zero if period_s is None else np.asarray(period_s, float)
        self.latency = zero if latency_s is None else np.asarray(latency_s, float)
        self.groups = []
        for tid in np.unique(track_id):
            rows = np.flatnonzero(tracks.track_id == tid)
            x = tracks.state[rows]
            acc = (free_fall_accel(x[:, :3], x[:, 3:], earth) if model == "ballistic"
                   else np.zeros((len(x), 3)))
            self.groups.append((np.flatnonzero(track_id == tid), tracks.t_s[rows], x, acc))

    accepts_blocks = True
    """Times may be ``(n, ...)`` (several per shot): the fly-out evaluates steps ahead at once."""

    def received_by(self, t: NDArray) -> NDArray:
        """Per shot, the time up to which track rows have reached the shot by ``t`` (``(n,)``
        or ``(n, M)``)."""
        t = np.asarray(t, float)
        shape = (-1,) + (1,) * (t.ndim - 1)
        t_launch, period = self.t_launch.reshape(shape), self.period.reshape(shape)
        periodic = period > 0.0
        since = np.maximum(t - t_launch, 0.0)
        k = np.floor(since / np.where(periodic, period, 1.0) + 1e-9)
        t_msg = np.where(periodic, t_launch + k * period, t)
        return t_msg - self.latency.reshape(shape)

    def __call__(self, t: NDArray) -> NDArray:
        t = np.asarray(t, float)
        t2 = t.reshape(self.n, -1)
        out = np.empty(t2.shape + (6,))
        t_rx = self.received_by(t2)
        for m, tt, x, acc in self.groups:
            j = np.clip(np.searchsorted(tt, t_rx[m], side="right") - 1, 0, tt.size - 1)
            dt = (t2[m] - tt[j])[..., None]
            out[m, :, :3] = x[j, :3] + dt * x[j, 3:] + 0.5 * dt * dt * acc[j]
            out[m, :, 3:] = x[j, 3:] + dt * acc[j]
        return out.reshape(t.shape + (6,))
