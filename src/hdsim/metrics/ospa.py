"""OSPA and GOSPA distances between a set of estimated positions and the truth positions.

Sets are arrays ``(m, d)`` of points (``d`` = 3 for ECEF positions, m); the base distance is the
Euclidean norm. Both metrics cut the base distance at ``c`` (m) and raise it to the order
``p >= 1``, and both are minimised over assignments by :func:`scipy.optimize.linear_sum_assignment`
(exact, polynomial) on the ``(m, n)`` matrix of ``min(d, c)^p``.

* **OSPA** (Schuhmacher, Vo & Vo, "A consistent metric for performance evaluation of multi-object
  filters", IEEE TSP 56(8):3447-3457, 2008, eq. (3)), for ``m <= n`` points:
  ``d_p^(c)(X, Y) = ( (1/n) (min_π Σ_i min(d(x_i, y_π(i)), c)^p + c^p (n - m)) )^(1/p)``,
  0 for two empty sets; it lies in ``[0, c]``.
* **GOSPA** with ``α = 2`` (Rahmathullah, García-Fernández & Svensson, "Generalized optimal
  sub-pattern assignment metric", FUSION 2017, Proposition 1):
  ``d = ( min_γ Σ_{(i,j)∈γ} d(x_i, y_j)^p + (c^p / 2) (|X| + |Y| - 2 |γ|) )^(1/p)``
  over partial assignments ``γ`` of pairs closer than ``c``; the three terms are the
  *localization*, *missed* (truths left unassigned) and *false* (estimates left unassigned)
  costs. As in Stone Soup's ``GOSPAMetric`` the decomposition is returned in the ``p``-th power
  (``distance**p == localization + missed + false``); a pair that the optimal assignment matches
  at ``d >= c`` counts as one missed and one false object, which gives the same total.

The two share one assignment problem, and ``max(m, n) · OSPA^p = GOSPA^p + c^p |m - n| / 2``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment

__all__ = [
    "GospaResult",
    "gospa",
    "gospa_series",
    "ospa",
    "ospa_series",
    "split_by_time",
]


class GospaResult(NamedTuple):
    """GOSPA distance (m) and its decomposition (m^p); arrays ``(T,)`` from :func:`gospa_series`.

    Attributes:
        distance: GOSPA distance, m.
        localization: sum of ``d^p`` over the assigned pairs (``d < c``), m^p.
        missed: ``c^p / 2`` times the number of missed truths, m^p.
        false: ``c^p / 2`` times the number of false estimates, m^p.
        n_assigned: number of assigned pairs.
        n_missed: number of truths not assigned.
        n_false: number of estimates not assigned.
    """

    distance: float | NDArray[np.float64]
    localization: float | NDArray[np.float64]
    missed: float | NDArray[np.float64]
    false: float | NDArray[np.float64]
    n_assigned: int | NDArray[np.int64]
    n_missed: int | NDArray[np.int64]
    n_false: int | NDArray[np.int64]


def _points(x: ArrayLike, name: str, dim: int | None = None) -> NDArray[np.float64]:
    a = np.asarray(x, dtype=np.float64)
    if a.size == 0:
        return a.reshape(0, dim if dim is not None else (a.shape[-1] if a.ndim == 2 else 0))
    if a.ndim != 2:
        raise ValueError(f"{name}: shape {a.shape} must be (n_points, dim)")
    return a


def _check(c: float, p: float) -> None:
    if not (np.isfinite(c) and c > 0):
        raise ValueError(f"c = {c!r}: the cutoff must be a finite distance > 0")
    if not (np.isfinite(p) and p >= 1):
        raise ValueError(f"p = {p!r}: the order must be finite and >= 1")


def _assign(est: NDArray[np.float64], truth: NDArray[np.float64], c: float, p: float):
    """Optimal assignment on ``min(d, c)^p``; distances of the ``min(m, n)`` pairs."""
    if est.shape[0] == 0 or truth.shape[0] == 0:
        return np.zeros(0)
    if est.shape[1] != truth.shape[1]:
        raise ValueError(f"estimates have dim {est.shape[1]} but truths have dim {truth.shape[1]}")
    dist = np.linalg.norm(est[:, None, :] - truth[None, :, :], axis=-1)
    cost = np.minimum(dist, c) ** p
    rows, cols = linear_sum_assignment(cost)
    return dist[rows, cols]


def ospa(est: ArrayLike, truth: ArrayLike, c: float, p: float = 1.0) -> float:
    """OSPA distance between two point sets (Schuhmacher, Vo & Vo 2008, eq. 3).

    Args:
        est: estimated points ``(m, d)`` (e.g. track positions, m); ``(0, d)`` or ``[]`` if none.
        truth: true points ``(n, d)``.
        c: cutoff distance > 0 (units of the points); the penalty for a cardinality error.
        p: order, ``1 <= p < inf``.

    Returns:
        The distance in ``[0, c]``; 0 when both sets are empty.
    """
    _check(c, p)
    x, y = _points(est, "est"), _points(truth, "truth")
    m, n = x.shape[0], y.shape[0]
    big = max(m, n)
    if big == 0:
        return 0.0
    d = _assign(x, y, c, p)
    total = np.sum(np.minimum(d, c) ** p) + c**p * abs(m - n)
    return float((total / big) ** (1.0 / p))


def gospa(est: ArrayLike, truth: ArrayLike, c: float, p: float = 1.0) -> GospaResult:
    """GOSPA distance with ``α = 2`` and its decomposition (Rahmathullah et al. 2017, Prop. 1).

    Args:
        est: estimated points ``(m, d)``.
        truth: true points ``(n, d)``.
        c: cutoff distance > 0 (units of the points).
        p: order, ``1 <= p < inf``.

    Returns:
        :class:`GospaResult`; the components are in units^p and sum to ``distance**p``.
    """
    _check(c, p)
    x, y = _points(est, "est"), _points(truth, "truth")
    m, n = x.shape[0], y.shape[0]
    d = _assign(x, y, c, p)
    ok = d < c
    k = int(np.count_nonzero(ok))
    loc = float(np.sum(d[ok] ** p))
    half = c**p / 2.0
    n_missed, n_false = n - k, m - k
    missed, false = half * n_missed, half * n_false
    dist = (loc + missed + false) ** (1.0 / p)
    return GospaResult(float(dist), loc, float(missed), float(false), k, n_missed, n_false)


def ospa_series(est_sets: Sequence[ArrayLike], truth_sets: Sequence[ArrayLike], c: float,
                p: float = 1.0) -> NDArray[np.float64]:
    """OSPA at each time step: ``est_sets[k]`` against ``truth_sets[k]``, returns ``(T,)``."""
    if len(est_sets) != len(truth_sets):
        raise ValueError(f"est_sets has {len(est_sets)} steps but truth_sets {len(truth_sets)}")
    return np.array([ospa(x, y, c, p) for x, y in zip(est_sets, truth_sets, strict=True)])


def gospa_series(est_sets: Sequence[ArrayLike], truth_sets: Sequence[ArrayLike], c: float,
                 p: float = 1.0) -> GospaResult:
    """GOSPA at each time step; a :class:`GospaResult` of ``(T,)`` arrays."""
    if len(est_sets) != len(truth_sets):
        raise ValueError(f"est_sets has {len(est_sets)} steps but truth_sets {len(truth_sets)}")
    rows = [gospa(x, y, c, p) for x, y in zip(est_sets, truth_sets, strict=True)]
    cols = list(zip(*rows, strict=True)) if rows else [()] * 7
    dtypes = [np.float64] * 4 + [np.int64] * 3
    return GospaResult(*(np.asarray(col, dtype=dt) for col, dt in zip(cols, dtypes, strict=True)))


def split_by_time(t_s: ArrayLike, points: ArrayLike, times_s: ArrayLike,
                  atol_s: float = 1e-6) -> list[NDArray[np.float64]]:
    """Points of a flat table grouped by time: the rows with ``|t_s - times_s[k]| <= atol_s``.

    Args:
        t_s: row times ``(N,)``, s.
        points: row values ``(N, d)`` (e.g. ``x_m, y_m, z_m`` columns stacked).
        times_s: the evaluation times ``(T,)``, s.
        atol_s: time tolerance, s.

    Returns:
        ``T`` arrays ``(n_k, d)`` for :func:`ospa_series` / :func:`gospa_series`.
    """
    t = np.asarray(t_s, dtype=np.float64)
    pts = np.asarray(points, dtype=np.float64).reshape(t.shape[0], -1)
    order = np.argsort(t, kind="stable")
    ts, ps = t[order], pts[order]
    grid = np.asarray(times_s, dtype=np.float64)
    lo = np.searchsorted(ts, grid - atol_s, side="left")
    hi = np.searchsorted(ts, grid + atol_s, side="right")
    return [ps[a:b] for a, b in zip(lo, hi, strict=True)]
