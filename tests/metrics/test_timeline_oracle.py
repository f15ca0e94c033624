"""Threat timeline and SIAP counts on random tables against a sample-by-sample oracle.

The oracle walks the definitions of :mod:`hdsim.metrics.timeline`'s docstring in plain Python,
one threat, one flight sample and one track at a time (the implementation groups all of them
into a few array operations).  Row times sit on a 0.5 s lattice, so track rows and flight
samples often fall at the same instant, the case where ``t_s <= t`` must be exact.  Ties in
birth time are broken by the track id's text order, as in the implementation.
"""

from __future__ import annotations

import bisect
import math
from itertools import pairwise

import numpy as np
import pyarrow as pa
import pytest

from hdsim.metrics import siap_scores, threat_timeline

STATUSES = ("tentative", "confirmed", "coasting", "deleted")


def _random_tables(rng, int_track_ids):
    n_threats = int(rng.integers(1, 6))
    truth_id, truth_t, phase = [], [], []
    for h in range(n_threats):
        t0 = float(rng.integers(0, 20)) + 0.5 * int(rng.integers(0, 2))
        t1 = t0 + float(rng.integers(0, 60)) + 0.25 * int(rng.integers(0, 4))
        times = np.unique(np.concatenate([[t0, t1], rng.uniform(t0, t1, 8).round(1)]))
        truth_id += [f"T{h}"] * times.size
        truth_t += list(times)
        phase += list(rng.choice(["boost", "glide", "terminal"], times.size))
    tid, tt, st, tr, sig = [], [], [], [], []
    for k in range(int(rng.integers(0, 14))):
        n = int(rng.integers(1, 40))
        times = np.unique(rng.integers(0, 170, n) * 0.5)
        name = k * 7 if int_track_ids else f"trk{k * 7}"
        target = rng.choice([f"T{h}" for h in range(n_threats)] + ["T99"])
        tid += [name] * times.size
        tt += list(times)
        st += list(rng.choice(STATUSES, times.size, p=[0.15, 0.55, 0.2, 0.1]))
        tr += [None if rng.random() < 0.1 else (target if rng.random() < 0.8 else "T0")
               for _ in times]
        sig += list(rng.uniform(100, 3000, times.size))
    perm = rng.permutation(len(tt))
    tracks = {"track_id": [tid[i] for i in perm], "t_s": [tt[i] for i in perm],
              "status": [st[i] for i in perm], "truth_id": [tr[i] for i in perm],
              "sigma_pos_m": [sig[i] for i in perm]}
    truth = {"threat_id": truth_id, "t_s": truth_t, "phase": phase}
    det_t = list(rng.uniform(0, 80, 30).round(1))
    det = {"t_s": det_t, "truth_id": [rng.choice(["T0", "T1", "T2", None]) for _ in det_t]}
    return truth, det, tracks


def _state(rows, t, max_age_s):
    """(status, truth_id) of a track at t, None where the track does not exist then."""
    times = [r[0] for r in rows]
    k = bisect.bisect_right(times, t) - 1
    if k < 0 or t > times[-1]:
        return None
    row = rows[k]
    if row[1] == "deleted" or (max_age_s is not None and t - row[0] > max_age_s):
        return None
    return row[1], row[2]


def oracle(truth, det, tracks, dt, statuses, phases, max_age_s, fc_sigma):
    by_threat = {}
    for h, t, ph in zip(truth["threat_id"], truth["t_s"], truth["phase"], strict=True):
        by_threat.setdefault(h, []).append((t, ph))
    by_track = {}
    for k, t, s, tr, sg in zip(*(tracks[c] for c in
                                  ("track_id", "t_s", "status", "truth_id", "sigma_pos_m")),
                               strict=True):
        by_track.setdefault(str(k), []).append((t, s, tr, sg))
    for rows in by_track.values():
        rows.sort()
    by_birth = sorted(by_track, key=lambda k: (by_track[k][0][0], k))
    out = {}
    for h in sorted(by_threat):
        rows = sorted(by_threat[h])
        t_start, t_end = rows[0][0], rows[-1][0]
        n = max(math.ceil((t_end - t_start) / dt - 1e-9), 0)
        seq = []
        for j in range(n):
            t = t_start + dt * j
            k = bisect.bisect_right([r[0] for r in rows], t) - 1
            if not (t_start <= t < t_end):
                continue
            if phases is not None and rows[max(k, 0)][1] not in phases:
                continue
            holders = [trk for trk in by_birth
                       if (s := _state(by_track[trk], t, max_age_s)) is not None
                       and s[0] in statuses and s[1] == h]
            seq.append(holders[0] if holders else None)
        held = [a for a in seq if a is not None]
        longest, run = 0, 0
        for i, a in enumerate(seq):
            run = run + 1 if i and a == seq[i - 1] else 1
            if a is not None:
                longest = max(longest, run)
        firsts = {}
        for name, ok in (("first_track_s", lambda r: r[1] != "deleted"),
                         ("first_confirmed_s", lambda r: r[1] in statuses),
                         ("first_fire_control_s",
                          lambda r: r[1] in statuses and r[3] <= fc_sigma)):
            ts = [r[0] for rr in by_track.values() for r in rr if r[2] == h and ok(r)]
            firsts[name] = min(ts) if ts else np.nan
        dts = [t for t, i in zip(det["t_s"], det["truth_id"], strict=True) if i == h]
        out[h] = {
            "t_start_s": t_start, "t_end_s": t_end, "flight_time_s": t_end - t_start,
            "first_detection_s": min(dts) if dts else np.nan, **firsts,
            "custody": len(held) / len(seq) if seq else np.nan,
            "n_breaks": sum(1 for a, b in pairwise(seq) if a is not None and b is None),
            "n_swaps": sum(1 for a, b in pairwise(held) if a != b),
            "n_tracks": len(set(held)),
            "longest_segment_s": longest * dt,
        }
    return out


@pytest.mark.parametrize("seed", range(12))
def test_timeline_against_oracle(seed):
    rng = np.random.default_rng(seed)
    truth, det, tracks = _random_tables(rng, int_track_ids=seed % 2 == 0)
    if seed % 3 == 0:  # pyarrow input, as the run loop passes it
        truth, tracks = pa.table(truth), pa.table(tracks)
    dt = [1.0, 0.5, 0.7][seed % 3]
    statuses = ("confirmed", "coasting") if seed % 4 else ("confirmed",)
    phases = ("glide", "terminal") if seed % 5 == 1 else None
    max_age_s = 2.0 if seed % 2 else None
    tl = threat_timeline(truth, det, tracks, dt_s=dt, fire_control_sigma_m=1500.0,
                         statuses=statuses, phases=phases, max_age_s=max_age_s)
    to_dict = (lambda t: t.to_pydict()) if isinstance(truth, pa.Table) else (lambda t: t)
    ref = oracle(to_dict(truth), det, to_dict(tracks), dt, statuses, phases, max_age_s, 1500.0)
    assert list(tl["threat_id"]) == sorted(ref)
    for i, h in enumerate(tl["threat_id"]):
        for key, want in ref[h].items():
            got = tl[key][i]
            assert got == want or (np.isnan(want) and np.isnan(got)), (h, key, got, want)


@pytest.mark.parametrize("seed", range(6))
def test_siap_counts_against_oracle(seed):
    rng = np.random.default_rng(100 + seed)
    truth, _, tracks = _random_tables(rng, int_track_ids=bool(seed % 2))
    dt, statuses, max_age_s = 1.0, ("confirmed", "coasting"), (None, 1.5)[seed % 2]
    s = siap_scores(truth, tracks, dt_s=dt, statuses=statuses, max_age_s=max_age_s)
    flights = {}
    for h, t in zip(truth["threat_id"], truth["t_s"], strict=True):
        lo, hi = flights.get(h, (t, t))
        flights[h] = (min(lo, t), max(hi, t))
    by_track = {}
    for k, t, st, tr in zip(*(tracks[c] for c in ("track_id", "t_s", "status", "truth_id")),
                            strict=True):
        by_track.setdefault(str(k), []).append((t, st, tr))
    for rows in by_track.values():
        rows.sort()
    for j, t in enumerate(s.t_s):
        live = {h for h, (lo, hi) in flights.items() if lo <= t < hi}
        states = [_state(rows, t, max_age_s) for rows in by_track.values()]
        holding = [x for x in states if x is not None and x[0] in statuses]
        assigned = [x for x in holding if x[1] in live]
        assert s.n_truths[j] == len(live)
        assert s.n_tracks[j] == len(holding)
        assert s.n_tracks_assigned[j] == len(assigned)
        assert s.n_truths_held[j] == len({x[1] for x in assigned})
