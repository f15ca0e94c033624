"""Detection and track timeline per threat: first detection, first track, custody, SIAP scores.

Inputs are result tables (``pyarrow.Table`` or a mapping of column name to array) with the
columns of SCENARIO.md's result folder:

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
from numpy.typing import NDArray

__all__ = [
    "CONFIRMED_STATUSES",
    "SiapScores",
    "siap_scores",
    "threat_timeline",
]

CONFIRMED_STATUSES: tuple[str, ...] = ("confirmed", "coasting")
"""Track statuses that count as holding a threat (custody, SIAP)."""

_DELETED = "deleted"


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


def _codes(values: Any, keys: NDArray[np.str_]) -> NDArray[np.int64]:
    """Index of each id in ``keys`` (sorted), −1 for null or unknown ids."""
    s = _ids(values)
    null = s.is_null().to_numpy(zero_copy_only=False)
    a = s.fill_null("").to_numpy(zero_copy_only=False).astype(str)
    if keys.size == 0:
        return np.full(a.shape, -1, dtype=np.int64)
    i = np.clip(np.searchsorted(keys, a), 0, keys.size - 1)
    return np.where(~null & (keys[i] == a), i, -1).astype(np.int64)


def _strings(values: Any) -> NDArray[np.str_]:
    if isinstance(values, pa.ChunkedArray | pa.Array):
        return np.asarray(values.cast(pa.string()).fill_null("").to_numpy(zero_copy_only=False),
                          dtype=str)
    return np.asarray(values).astype(str)


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
    tid = _ids(_col(tracks, "track_id")).fill_null("").to_numpy(zero_copy_only=False).astype(str)
    _, code = np.unique(tid, return_inverse=True)
    code = code.reshape(-1).astype(np.int64)
    n_tr = int(code.max()) + 1 if code.size else 0
    truth = _codes(_col(tracks, "truth_id"), keys)
    status = _strings(_col(tracks, "status"))
    sigma = (_floats(_col(tracks, "sigma_pos_m")) if _has(tracks, "sigma_pos_m")
             else np.full(t.shape, np.nan))
    order = np.lexsort((t, code))
    t, code, truth, status, sigma = t[order], code[order], truth[order], status[order], sigma[order]
    start = np.searchsorted(code, np.arange(n_tr), side="left")
    end = np.searchsorted(code, np.arange(n_tr), side="right")
    last_t = t[end - 1] if n_tr else np.zeros(0)
    birth = t[start] if n_tr else np.zeros(0)
    return _Tracks(t, code, truth, status == _DELETED, np.isin(status, list(statuses)), sigma,
                   start, last_t, np.lexsort((np.arange(n_tr), birth)))


def _states_at(tr: _Tracks, grid: NDArray[np.float64], max_age_s: float | None):
    """Holding mask and threat code ``(n_tracks, G)`` of every track at the grid times."""
    n_tr = tr.start.size
    if n_tr == 0 or grid.size == 0:
        return np.zeros((n_tr, grid.size), bool), np.full((n_tr, grid.size), -1, np.int64)
    t0, t1 = float(tr.t.min()), float(tr.t.max())
    span = (t1 - t0) + 4.0
    # one sorted key for all tracks: rows of track i live in [i·span, i·span + (t1 - t0)]
    key = (tr.t - t0) + tr.code * span
    g = np.clip(grid, t0 - 1.0, t1 + 1.0)
    q = (g - t0)[None, :] + (np.arange(n_tr) * span)[:, None]
    idx = np.searchsorted(key, q, side="right") - 1
    ok = (idx >= tr.start[:, None]) & (grid[None, :] <= tr.last_t[:, None])
    idx = np.clip(idx, 0, None)
    ok &= ~tr.deleted[idx]
    if max_age_s is not None:
        ok &= (grid[None, :] - tr.t[idx]) <= max_age_s
    holding = ok & tr.holding[idx]
    return holding, np.where(ok, tr.truth[idx], -1)


def _flight(truth_t: NDArray[np.float64], truth_phase: NDArray | None, dt: float,
            phases: Sequence[Any] | None, grid: NDArray[np.float64] | None = None):
    """Grid of one threat (or the given grid) and the in-flight mask."""
    t_start, t_end = float(truth_t[0]), float(truth_t[-1])
    if grid is None:
        n = max(int(np.ceil((t_end - t_start) / dt - 1e-9)), 0)
        grid = t_start + dt * np.arange(n)
    inside = (grid >= t_start) & (grid < t_end)
    if phases is not None and truth_phase is not None:
        j = np.clip(np.searchsorted(truth_t, grid, side="right") - 1, 0, truth_t.size - 1)
        inside &= np.isin(truth_phase[j], list(phases))
    return grid, inside


def _truth_groups(truth: Any, phases: Sequence[Any] | None):
    keys_all = _ids(_col(truth, "threat_id")).fill_null("").to_numpy(zero_copy_only=False)
    keys_all = keys_all.astype(str)
    keys, code = np.unique(keys_all, return_inverse=True)
    t = _floats(_col(truth, "t_s"))
    phase = None
    if phases is not None:
        ph = _col(truth, "phase")
        phase = (_strings(ph) if isinstance(ph, pa.ChunkedArray | pa.Array) else np.asarray(ph))
    order = np.lexsort((t, code))
    code, t = code.reshape(-1)[order], t[order]
    phase = phase[order] if phase is not None else None
    bounds = np.searchsorted(code, np.arange(keys.size + 1))
    groups = [(t[a:b], phase[a:b] if phase is not None else None)
              for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    return keys, groups


def _first(t: NDArray[np.float64], code: NDArray[np.int64], mask: NDArray[np.bool_],
           n: int) -> NDArray[np.float64]:
    """Earliest ``t`` per code ``0..n-1`` among rows in ``mask`` (NaN if none)."""
    out = np.full(n, np.inf)
    sel = mask & (code >= 0)
    np.minimum.at(out, code[sel], t[sel])
    return np.where(np.isinf(out), np.nan, out)


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
    keys, groups = _truth_groups(truth, phases)
    nh = keys.size
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

    out: dict[str, list[Any]] = {k: [] for k in (
        "t_start_s", "t_end_s", "custody", "n_breaks", "n_swaps", "longest_segment_s",
        "n_tracks")}
    for h, (tt, ph) in enumerate(groups):
        grid, inside = _flight(tt, ph, dt_s, phases)
        holding, code = _states_at(tr, grid, max_age_s)
        held = (holding & (code == h))[tr.birth_order]  # (tracks by birth, G)
        assigned = np.full(grid.size, -1, dtype=np.int64)
        if held.shape[0]:
            assigned = np.where(held.any(axis=0), tr.birth_order[np.argmax(held, axis=0)], -1)
        seq = assigned[inside]
        h_seq = seq >= 0
        n_in = seq.size
        runs_longest = 0
        if n_in:
            change = np.flatnonzero(np.diff(seq) != 0) + 1
            starts = np.concatenate([[0], change])
            lengths = np.diff(np.concatenate([starts, [n_in]]))
            valid = seq[starts] >= 0
            runs_longest = int(lengths[valid].max()) if valid.any() else 0
        s_held = seq[h_seq]
        out["t_start_s"].append(tt[0])
        out["t_end_s"].append(tt[-1])
        out["custody"].append(np.count_nonzero(h_seq) / n_in if n_in else np.nan)
        out["n_breaks"].append(int(np.count_nonzero(h_seq[:-1] & ~h_seq[1:])))
        out["n_swaps"].append(int(np.count_nonzero(s_held[1:] != s_held[:-1])))
        out["longest_segment_s"].append(runs_longest * dt_s)
        out["n_tracks"].append(int(np.unique(s_held).size))
    t_start = np.asarray(out["t_start_s"], dtype=np.float64)
    t_end = np.asarray(out["t_end_s"], dtype=np.float64)
    flight = t_end - t_start
    longest = np.asarray(out["longest_segment_s"], dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
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
        "custody": np.asarray(out["custody"], dtype=np.float64),
        "n_breaks": np.asarray(out["n_breaks"], dtype=np.int64),
        "n_swaps": np.asarray(out["n_swaps"], dtype=np.int64),
        "n_tracks": np.asarray(out["n_tracks"], dtype=np.int64),
        "longest_segment_s": longest,
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
    keys, groups = _truth_groups(truth, phases)
    tr = _prepare_tracks(tracks, keys, statuses)
    if keys.size == 0:
        e = np.zeros(0, np.int64)
        return SiapScores(np.nan, np.nan, np.nan, np.zeros(0), e, e, e, e)
    t0 = min(float(g[0][0]) for g in groups)
    t1 = max(float(g[0][-1]) for g in groups)
    n = max(int(np.ceil((t1 - t0) / dt_s - 1e-9)), 0)
    grid = t0 + dt_s * np.arange(n)
    live = np.stack([_flight(tt, ph, dt_s, phases, grid)[1] for tt, ph in groups])  # (H, G)
    holding, code = _states_at(tr, grid, max_age_s)
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
