"""Detection and track timeline per threat: first detection, first track, custody, SIAP scores.

Inputs are result tables (``pyarrow.Table`` or a mapping of column name to array) with the
columns of the result folder (docs/results.md):

* truth: ``threat_id, t_s`` (and ``phase`` if a phase filter is used);
* detections: ``t_s, truth_id`` (null for false alarms);
* tracks: ``track_id, t_s, status, truth_id`` (null when the track follows no threat) and
  ``sigma_pos_m`` (only for the fire-control time).

Ids may be strings or integers; a null, a NaN or a negative integer id means "no threat".

Definitions (all times in s since the scenario epoch):

* **Flight** of a threat: ``[t_start, t_end)`` with ``t_start``/``t_end`` its first/last truth
  time, sampled at ``t_j = t_start + j·dt`` for ``j = 0 .. ceil((t_end - t_start)/dt) - 1``; each
  sample stands for the interval ``[t_j, t_j + dt)``. With ``phases`` given, only samples whose
  truth phase (that of the last truth row at or before ``t_j``) is in ``phases`` count.
* **A track's state at time t** is its latest row with ``t_s <= t``; the track exists from its
  first row to its last row inclusive (never extrapolated past its last row), and not at all
  while that state's status is ``deleted`` or (with ``max_age_s``) the row is older than
  ``max_age_s``.
* **Held**: a threat is held at ``t_j`` by every track whose state at ``t_j`` has a status in
  ``statuses`` (default confirmed and coasting) and ``truth_id`` equal to the threat.
  When several tracks hold it, the *assigned* one is the earliest-born (first row) of them.
* **custody** = held samples / flight samples (NaN for a flight with no sample).
* **n_breaks**: number of flight samples ``j`` held at ``j`` but not at the next flight sample
  (custody lost, whether or not it is regained; a threat held to its last sample has 0).
* **n_swaps**: number of changes of the assigned track id between consecutive *held* samples
  (a gap followed by the same track is a break but no swap; a new track after a gap is both).
* **longest_segment_s**: ``dt`` times the longest run of consecutive flight samples assigned to
  one track (SIAP "longest track segment"; divided by the flight time in
  ``longest_segment_fraction``).
* **first_detection_s / first_track_s / first_confirmed_s / first_fire_control_s**: earliest
  detection row with this ``truth_id``; earliest track row with this ``truth_id`` and status not
  ``deleted``; ... with status in ``statuses``; ... and ``sigma_pos_m <= fire_control_sigma_m``.
  NaN if none.
* **SIAP** (Votruba et al., "Single Integrated Air Picture (SIAP) metrics implementation",
  SIAP SE TF TR 2001-003; as Stone Soup's ``SIAPMetrics``), on a common grid over all flights:
  at each sample ``N_J`` live threats, ``N_JT`` of them held, ``N_T`` tracks in ``statuses``,
  ``N_A`` of them assigned to a live threat; completeness ``ΣN_JT/ΣN_J``, ambiguity
  ``ΣN_A/ΣN_JT``, spuriousness ``(ΣN_T - ΣN_A)/ΣN_T`` (NaN when a denominator is 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from hdsim.tracking.history import TrackStatus

__all__ = [
    "CONFIRMED_STATUSES",
    "SiapScores",
    "siap_scores",
    "threat_timeline",
]

CONFIRMED_STATUSES: tuple[str, ...] = tuple(TrackStatus.names()[s] for s in TrackStatus.firm())
"""Track statuses that count as holding a threat (custody, SIAP): ``("confirmed", "coasting")``,
the names of :meth:`hdsim.tracking.TrackStatus.firm`."""

_DELETED = TrackStatus.names()[TrackStatus.DELETED]


class SiapScores(NamedTuple):
    """SIAP scores over the run and their per-sample counts (``(G,)`` arrays on ``t_s``)."""

    completeness: float
    ambiguity: float
    spuriousness: float
    t_s: NDArray[np.float64]
    n_truths: NDArray[np.int64]
    n_truths_held: NDArray[np.int64]
    n_tracks: NDArray[np.int64]
    n_tracks_assigned: NDArray[np.int64]


def _col(table: Any, name: str) -> Any:
    if isinstance(table, pa.Table):
        if name not in table.column_names:
            raise ValueError(f"table has no column {name!r} (columns: {table.column_names})")
        return table.column(name)
    if name not in table:
        raise ValueError(f"table has no column {name!r} (columns: {list(table)})")
    return table[name]


def _has(table: Any, name: str) -> bool:
    return name in (table.column_names if isinstance(table, pa.Table) else table)


def _floats(values: Any) -> NDArray[np.float64]:
    if isinstance(values, pa.ChunkedArray | pa.Array):
        values = values.to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=np.float64)


def _ids(values: Any) -> pa.Array:
    """Ids as a pyarrow string array; null for None / NaN / negative integers."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        a = np.asarray(values)
        if a.dtype.kind in "iu":
            arr = pa.array(a, mask=a < 0)
        elif a.dtype.kind == "f":
            arr = pa.array(a, from_pandas=True)
        else:
            arr = pa.array(a.astype(object) if a.dtype.kind != "O" else a, from_pandas=True)
        values = arr
    if pa.types.is_floating(values.type):
        values = values.cast(pa.int64())  # 1.0 -> "1", as an integer column would read
    return values.cast(pa.string())


def _encode(s: pa.Array) -> tuple[NDArray[np.str_], NDArray[np.int64]]:
    """Distinct values of a pyarrow string array (its dictionary, as a NumPy ``str`` array) and
    each row's index into them, −1 for null: string work on the few distinct values only."""
    enc = pc.dictionary_encode(s)
    dic = np.asarray(enc.dictionary.to_numpy(zero_copy_only=False)).astype(str)
    idx = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return dic, idx


def _unique_codes(values: Any) -> tuple[NDArray[np.str_], NDArray[np.int64]]:
    """Sorted distinct ids (null read as ``""``) and each row's index into them, as
    ``np.unique(ids, return_inverse=True)``."""
    dic, idx = _encode(_ids(values).fill_null(""))
    order = np.argsort(dic, kind="stable")
    rank = np.empty(dic.size, np.int64)
    rank[order] = np.arange(dic.size)
    return dic[order], rank[idx]


def _codes(values: Any, keys: NDArray[np.str_]) -> NDArray[np.int64]:
    """Index of each id in ``keys`` (sorted), −1 for null or unknown ids."""
    dic, idx = _encode(_ids(values))
    if keys.size == 0:
        return np.full(idx.shape, -1, dtype=np.int64)
    i = np.clip(np.searchsorted(keys, dic), 0, keys.size - 1)
    code = np.append(np.where(keys[i] == dic, i, -1), -1)  # index −1 (null) reads the last
    return code[idx].astype(np.int64)


def _strings(values: Any) -> NDArray[np.str_]:
    if isinstance(values, pa.ChunkedArray | pa.Array):
        return np.asarray(values.cast(pa.string()).fill_null("").to_numpy(zero_copy_only=False),
                          dtype=str)
    return np.asarray(values).astype(str)


def _in(values: Any, wanted: Sequence[str]) -> NDArray[np.bool_]:
    """Whether each string of ``values`` (null read as ``""``) is one of ``wanted``."""
    if isinstance(values, pa.ChunkedArray | pa.Array):
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        dic, idx = _encode(values.cast(pa.string()).fill_null(""))
        return np.isin(dic, list(wanted))[idx]
    return np.isin(_strings(values), list(wanted))


class _Tracks(NamedTuple):
    t: NDArray[np.float64]  # rows sorted by (track, time)
    code: NDArray[np.int64]  # track index of each row
    truth: NDArray[np.int64]  # threat code of each row (−1 none)
    deleted: NDArray[np.bool_]
    holding: NDArray[np.bool_]  # status in `statuses`
    sigma: NDArray[np.float64]
    start: NDArray[np.int64]  # first row of each track
    last_t: NDArray[np.float64]  # time of each track's last row
    birth_order: NDArray[np.int64]  # track indices by birth time


def _prepare_tracks(tracks: Any, keys: NDArray[np.str_], statuses: Sequence[str]) -> _Tracks:
    t = _floats(_col(tracks, "t_s"))
    _, code = _unique_codes(_col(tracks, "track_id"))
    n_tr = int(code.max()) + 1 if code.size else 0
    truth = _codes(_col(tracks, "truth_id"), keys)
    status = _col(tracks, "status")
    deleted, holding = _in(status, [_DELETED]), _in(status, statuses)
    sigma = (_floats(_col(tracks, "sigma_pos_m")) if _has(tracks, "sigma_pos_m")
             else np.full(t.shape, np.nan))
    order = np.lexsort((t, code))
    t, code, truth, sigma = t[order], code[order], truth[order], sigma[order]
    deleted, holding = deleted[order], holding[order]
    start = np.searchsorted(code, np.arange(n_tr), side="left")
    end = np.searchsorted(code, np.arange(n_tr), side="right")
    last_t = t[end - 1] if n_tr else np.zeros(0)
    birth = t[start] if n_tr else np.zeros(0)
    return _Tracks(t, code, truth, deleted, holding, sigma, start, last_t,
                   np.lexsort((np.arange(n_tr), birth)))


def _last_row_at(row_group: NDArray[np.int64], row_t: NDArray[np.float64],
                 group_start: NDArray[np.int64], q_group: NDArray[np.int64],
                 q_t: NDArray[np.float64]) -> NDArray[np.int64]:
    """For each query ``(q_group, q_t)``, the index of the last row of the same group with
    ``row_t <= q_t`` (−1 if none), rows sorted by ``(group, t)``, ``group_start`` the first row
    of each group.

    One ``np.searchsorted`` over integer keys ``group · (R + 1) + rank(t)``, where the rank of a
    time is the number of distinct row times ``<= t``: exact comparisons of the float times
    (a float key ``group · span + t`` would merge times closer than its rounding)."""
    u = np.unique(row_t)
    r = np.int64(u.size + 1)
    row_key = row_group * r + np.searchsorted(u, row_t, side="right")
    q_key = q_group * r + np.searchsorted(u, q_t, side="right")
    idx = np.searchsorted(row_key, q_key, side="right") - 1
    return np.where(idx >= group_start[q_group], idx, -1)


def _states_at(tr: _Tracks, track: NDArray[np.int64], t: NDArray[np.float64],
               max_age_s: float | None) -> tuple[NDArray[np.bool_], NDArray[np.int64]]:
    """Holding flag and threat code (−1 none) of tracks ``track`` at times ``t`` (same shape)."""
    if track.size == 0:
        return np.zeros(track.shape, bool), np.full(track.shape, -1, np.int64)
    idx = _last_row_at(tr.code, tr.t, tr.start, track, t)
    ok = (idx >= 0) & (t <= tr.last_t[track])
    idx = np.clip(idx, 0, None)
    ok &= ~tr.deleted[idx]
    if max_age_s is not None:
        ok &= (t - tr.t[idx]) <= max_age_s
    return ok & tr.holding[idx], np.where(ok, tr.truth[idx], -1)


class _Truth(NamedTuple):
    keys: NDArray[np.str_]  # sorted threat ids
    t: NDArray[np.float64]  # truth rows sorted by (threat, time)
    code: NDArray[np.int64]  # threat index of each row
    bounds: NDArray[np.int64]  # rows of threat h: bounds[h]:bounds[h + 1]
    in_phase: NDArray[np.bool_] | None  # row's phase in `phases` (None: no phase filter)

    @property
    def t_start(self) -> NDArray[np.float64]:
        return self.t[self.bounds[:-1]]

    @property
    def t_end(self) -> NDArray[np.float64]:
        return self.t[self.bounds[1:] - 1]


def _truth_rows(truth: Any, phases: Sequence[Any] | None) -> _Truth:
    keys, code = _unique_codes(_col(truth, "threat_id"))
    t = _floats(_col(truth, "t_s"))
    order = np.lexsort((t, code))
    code, t = code[order], t[order]
    in_phase = None
    if phases is not None:
        ph = _col(truth, "phase")
        phase = (_strings(ph) if isinstance(ph, pa.ChunkedArray | pa.Array) else np.asarray(ph))
        in_phase = np.isin(phase[order], list(phases))
    bounds = np.searchsorted(code, np.arange(keys.size + 1)).astype(np.int64)
    return _Truth(keys, t, code, bounds, in_phase)


def _live(tru: _Truth, h: NDArray[np.int64], grid: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Whether threat ``h`` is in flight (and in ``phases``) at ``grid`` (same shape): the
    sample ``[t, t + dt)`` starts in ``[t_start, t_end)``, and the truth phase of the last truth
    row at or before ``t`` (the first row for a time before the flight) is one of ``phases``."""
    inside = (grid >= tru.t_start[h]) & (grid < tru.t_end[h])
    if tru.in_phase is not None:
        j = _last_row_at(tru.code, tru.t, tru.bounds[:-1], h, grid)
        inside &= tru.in_phase[np.where(j >= 0, j, tru.bounds[h])]
    return inside


def _first(t: NDArray[np.float64], code: NDArray[np.int64], mask: NDArray[np.bool_],
           n: int) -> NDArray[np.float64]:
    """Earliest ``t`` per code ``0..n-1`` among rows in ``mask`` (NaN if none)."""
    out = np.full(n, np.inf)
    sel = mask & (code >= 0)
    np.minimum.at(out, code[sel], t[sel])
    return np.where(np.isinf(out), np.nan, out)


def _assigned_tracks(tru: _Truth, tr: _Tracks, dt_s: float, max_age_s: float | None):
    """Every threat's flight samples, concatenated in threat order: the threat of each sample,
    whether it counts (in flight and phase) and its assigned track (−1 if not held).

    Only the (track, threat) pairs where the track has a holding row on the threat are queried,
    at that threat's samples, so the work is Σ over such pairs of the flight samples instead of
    all tracks × all samples of every threat."""
    nh = tru.keys.size
    span = tru.t_end - tru.t_start
    n_h = np.maximum(np.ceil(span / dt_s - 1e-9), 0).astype(np.int64)
    first = np.concatenate([[0], np.cumsum(n_h)])
    h_of = np.repeat(np.arange(nh), n_h)
    j = np.arange(first[-1]) - first[h_of]
    grid = tru.t_start[h_of] + dt_s * j  # as t_start + dt·arange(n) per threat
    counted = _live(tru, h_of, grid)

    n_tr = tr.start.size
    rows = tr.holding & ~tr.deleted & (tr.truth >= 0)
    pair = np.unique(tr.code[rows] * max(nh, 1) + tr.truth[rows])
    p_track, p_threat = pair // max(nh, 1), pair % max(nh, 1)
    n_q = n_h[p_threat]
    q_pair = np.repeat(np.arange(pair.size), n_q)
    q_first = np.concatenate([[0], np.cumsum(n_q)])
    q_sample = first[p_threat[q_pair]] + (np.arange(q_first[-1]) - q_first[q_pair])
    q_track = p_track[q_pair]
    holding, code = _states_at(tr, q_track, grid[q_sample], max_age_s)
    held = holding & (code == p_threat[q_pair])
    # assigned: the earliest-born of the tracks holding the threat at the sample
    rank = np.empty(n_tr, np.int64)
    rank[tr.birth_order] = np.arange(n_tr)
    best = np.full(grid.size, n_tr, np.int64)
    np.minimum.at(best, q_sample[held], rank[q_track[held]])
    assigned = np.full(grid.size, -1, np.int64)
    some = best < n_tr
    assigned[some] = tr.birth_order[best[some]]
    return h_of, counted, assigned


def threat_timeline(truth: Any, detections: Any, tracks: Any, dt_s: float = 1.0,
                    fire_control_sigma_m: float = 1000.0,
                    statuses: Sequence[str] = CONFIRMED_STATUSES,
                    phases: Sequence[Any] | None = None,
                    max_age_s: float | None = None) -> dict[str, NDArray[Any]]:
    """Per-threat timeline and custody scores (module docstring for the exact definitions).

    Args:
        truth: table with ``threat_id, t_s`` (and ``phase`` when ``phases`` is given).
        detections: table with ``t_s, truth_id``; ``None`` if there are none.
        tracks: table with ``track_id, t_s, status, truth_id``, optional ``sigma_pos_m``.
        dt_s: custody sampling step, s.
        fire_control_sigma_m: position-uncertainty threshold of a fire-control quality track, m.
        statuses: track statuses that hold a threat (``confirmed``, ``coasting``).
        phases: count only flight samples in these truth phases (same type as the ``phase``
            column); ``None`` for the whole flight.
        max_age_s: a track row older than this no longer holds (``None``: until its next row).

    Returns:
        Columns (one row per threat, sorted by ``threat_id``): ``threat_id`` (str),
        ``t_start_s, t_end_s, flight_time_s, first_detection_s, first_track_s,
        first_confirmed_s, first_fire_control_s, custody, longest_segment_s,
        longest_segment_fraction`` (float), ``n_breaks, n_swaps, n_tracks`` (int; ``n_tracks``:
        distinct tracks that were the assigned track of the threat at some flight sample).
    """
    if not dt_s > 0:
        raise ValueError(f"dt_s = {dt_s!r}: must be > 0 s")
    tru = _truth_rows(truth, phases)
    keys, nh = tru.keys, tru.keys.size
    tr = _prepare_tracks(tracks, keys, statuses)
    if detections is not None:
        det_t = _floats(_col(detections, "t_s"))
        det_c = _codes(_col(detections, "truth_id"), keys)
        first_det = _first(det_t, det_c, np.ones(det_t.shape, bool), nh)
    else:
        first_det = np.full(nh, np.nan)
    first_trk = _first(tr.t, tr.truth, ~tr.deleted, nh)
    first_conf = _first(tr.t, tr.truth, tr.holding, nh)
    first_fc = _first(tr.t, tr.truth, tr.holding & (tr.sigma <= fire_control_sigma_m), nh)

    # all threats' counted samples in one array, threat by threat in time order
    h_of, counted, assigned = _assigned_tracks(tru, tr, dt_s, max_age_s)
    g, seq = h_of[counted], assigned[counted]
    held = seq >= 0
    n_in = np.bincount(g, minlength=nh)
    n_held = np.bincount(g[held], minlength=nh)
    same = g[1:] == g[:-1]  # consecutive samples of one threat
    n_breaks = np.bincount(g[:-1][same & held[:-1] & ~held[1:]], minlength=nh)
    g_held, s_held = g[held], seq[held]
    swap = (g_held[1:] == g_held[:-1]) & (s_held[1:] != s_held[:-1])
    n_swaps = np.bincount(g_held[:-1][swap], minlength=nh)
    # runs of one assigned track (or of "not held") within a threat
    run0 = np.flatnonzero(np.concatenate([[True], ~same | (seq[1:] != seq[:-1])])[:seq.size])
    run_len = np.diff(np.append(run0, seq.size))
    valid = seq[run0] >= 0
    runs_longest = np.zeros(nh, np.int64)
    np.maximum.at(runs_longest, g[run0][valid], run_len[valid])
    pairs = np.unique(g_held * np.int64(tr.start.size) + s_held)
    n_tracks = np.bincount(pairs // max(tr.start.size, 1), minlength=nh)

    t_start, t_end = tru.t_start, tru.t_end
    flight = t_end - t_start
    longest = runs_longest * dt_s
    with np.errstate(invalid="ignore", divide="ignore"):
        custody = np.where(n_in > 0, n_held / np.where(n_in > 0, n_in, 1), np.nan)
        frac = np.where(flight > 0, longest / np.where(flight > 0, flight, 1.0), np.nan)
    return {
        "threat_id": keys,
        "t_start_s": t_start,
        "t_end_s": t_end,
        "flight_time_s": flight,
        "first_detection_s": first_det,
        "first_track_s": first_trk,
        "first_confirmed_s": first_conf,
        "first_fire_control_s": first_fc,
        "custody": custody.astype(np.float64),
        "n_breaks": n_breaks.astype(np.int64),
        "n_swaps": n_swaps.astype(np.int64),
        "n_tracks": n_tracks.astype(np.int64),
        "longest_segment_s": longest.astype(np.float64),
        "longest_segment_fraction": frac,
    }


def siap_scores(truth: Any, tracks: Any, dt_s: float = 1.0,
                statuses: Sequence[str] = CONFIRMED_STATUSES,
                phases: Sequence[Any] | None = None,
                max_age_s: float | None = None) -> SiapScores:
    """SIAP completeness, ambiguity and spuriousness (module docstring), time-averaged as
    ratios of sums over the common grid ``t_0 + j·dt`` from the first flight start to the last
    flight end; a track row with a ``truth_id`` that is not live at that sample is spurious."""
    if not dt_s > 0:
        raise ValueError(f"dt_s = {dt_s!r}: must be > 0 s")
    tru = _truth_rows(truth, phases)
    keys = tru.keys
    tr = _prepare_tracks(tracks, keys, statuses)
    if keys.size == 0:
        e = np.zeros(0, np.int64)
        return SiapScores(np.nan, np.nan, np.nan, np.zeros(0), e, e, e, e)
    t0, t1 = float(tru.t_start.min()), float(tru.t_end.max())
    n = max(int(np.ceil((t1 - t0) / dt_s - 1e-9)), 0)
    grid = t0 + dt_s * np.arange(n)
    nh, n_tr = keys.size, tr.start.size
    live = _live(tru, np.repeat(np.arange(nh), n), np.tile(grid, nh)).reshape(nh, n)  # (H, G)
    holding, code = _states_at(tr, np.repeat(np.arange(n_tr), n), np.tile(grid, n_tr),
                               max_age_s)
    holding, code = holding.reshape(n_tr, n), code.reshape(n_tr, n)  # (tracks, G)
    jj = np.broadcast_to(np.arange(n), holding.shape)
    assigned = holding & (code >= 0) & live[np.clip(code, 0, None), jj]
    counts = np.zeros(live.shape, np.int64)
    np.add.at(counts, (code[assigned], jj[assigned]), 1)
    n_j = live.sum(axis=0)
    n_jt = (counts > 0).sum(axis=0)
    n_t = holding.sum(axis=0)
    n_a = assigned.sum(axis=0)

    def ratio(a: int, b: int) -> float:
        return float(a) / float(b) if b else float("nan")

    return SiapScores(ratio(n_jt.sum(), n_j.sum()), ratio(n_a.sum(), n_jt.sum()),
                      ratio(n_t.sum() - n_a.sum(), n_t.sum()), grid, n_j.astype(np.int64),
                      n_jt.astype(np.int64), n_t.astype(np.int64), n_a.astype(np.int64))
