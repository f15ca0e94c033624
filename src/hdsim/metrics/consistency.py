"""Filter consistency: NEES and NIS with chi-square acceptance intervals.

Bar-Shalom, Li & Kirubarajan, *Estimation with Applications to Tracking and Navigation*, Wiley
2001, §5.4.2 (eqs. 5.4.2-1 to 5.4.2-8):

* NEES ``ε = (x̂ - x)^T P^-1 (x̂ - x)`` is χ²(n_x) for a consistent filter; NIS
  ``ν^T S^-1 ν`` is χ²(n_z).
* The average of ``N`` independent such values (``M`` Monte Carlo runs at one time, or ``K``
  time steps of the NIS of one run, which is white) satisfies ``N ε̄ ~ χ²(N n)``; the two-sided
  ``1 - α`` acceptance interval of ``ε̄`` is
  ``[χ²_{N n}(α/2) / N, χ²_{N n}(1 - α/2) / N]`` (scipy.stats.chi2 quantiles).

Time-averaged NEES over Monte Carlo runs (:func:`run_average_nees`): the NEES values of one run
are correlated in time, so their average is not ``χ²(K n)/K``.  For a consistent filter each
value has mean ``n`` and variance ``2n``; the time average ``ε̄_m`` of run ``m`` still has mean
``n`` and a variance of at most ``2n`` (the variance of a mean of identically distributed
variables never exceeds that of one of them, whatever their correlation).  The average of ``M``
independent runs thus has mean ``n`` and variance at most ``2n/M`` — the moments of
``χ²(M n)/M`` — so the interval of ``M`` single χ² samples is the acceptance interval of the
least favourable (fully correlated) case: it is wider than the exact one, never narrower.

All quadratic forms are solved through Cholesky factors (no matrix inverse).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import chi2

__all__ = [
    "ConsistencyTest",
    "average_nees",
    "average_nis",
    "chi2_interval",
    "nees",
    "nis",
    "run_average_nees",
]


class ConsistencyTest(NamedTuple):
    """Average normalised error and its acceptance interval.

    Attributes:
        average: the average NEES or NIS (over the averaged axis), ``(...)``.
        lower: lower bound of the acceptance interval (scalar).
        upper: upper bound (scalar).
        inside: ``lower <= average <= upper``, ``(...)``.
    """

    average: NDArray[np.float64]
    lower: float
    upper: float
    inside: NDArray[np.bool_]


def _quad(r: NDArray[np.float64], S: NDArray[np.float64]) -> NDArray[np.float64]:
    """``r^T S^-1 r`` batched, via the Cholesky factor of ``S``."""
    L = np.linalg.cholesky(S)
    y = np.linalg.solve(L, r[..., None])[..., 0]
    return np.einsum("...i,...i->...", y, y)


def nees(x_est: ArrayLike, P: ArrayLike, x_true: ArrayLike) -> NDArray[np.float64]:
    """Normalised estimation error squared ``(x̂ - x)^T P^-1 (x̂ - x)`` (BLK eq. 5.4.2-1).

    Args:
        x_est: estimates ``(..., n)``.
        P: their covariances ``(..., n, n)`` (units of the state, squared).
        x_true: true states ``(..., n)``; broadcasting with ``x_est``.

    Returns:
        ``(...)``, dimensionless.
    """
    e = np.asarray(x_est, dtype=np.float64) - np.asarray(x_true, dtype=np.float64)
    return nis(e, P)


def nis(innovation: ArrayLike, S: ArrayLike) -> NDArray[np.float64]:
    """Normalised innovation squared ``ν^T S^-1 ν`` (BLK eq. 5.4.2-9).

    Args:
        innovation: ``z - ẑ`` ``(..., n_z)`` (angles wrapped by the measurement model).
        S: innovation covariance ``(..., n_z, n_z)``.
    """
    nu = np.asarray(innovation, dtype=np.float64)
    S = np.asarray(S, dtype=np.float64)
    shape = np.broadcast_shapes(nu.shape[:-1], S.shape[:-2])
    nu = np.broadcast_to(nu, shape + nu.shape[-1:])
    S = np.broadcast_to(S, shape + S.shape[-2:])
    return _quad(nu, S)


def chi2_interval(dof: int, n_samples: int = 1, confidence: float = 0.95) -> tuple[float, float]:
    """Two-sided acceptance interval of the average of ``n_samples`` χ²(``dof``) values.

    Returns ``(χ²_{N·dof}((1-c)/2) / N, χ²_{N·dof}((1+c)/2) / N)`` with ``N = n_samples``
    (BLK eq. 5.4.2-6); e.g. ``dof = 6``, ``N = 50``: ``(5.08, 7.00)``.
    """
    if dof < 1 or n_samples < 1:
        raise ValueError(f"dof = {dof!r}, n_samples = {n_samples!r}: both must be >= 1")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence = {confidence!r}: must be in (0, 1)")
    k = dof * n_samples
    a = 0.5 * (1.0 - confidence)
    return float(chi2.ppf(a, k) / n_samples), float(chi2.ppf(1.0 - a, k) / n_samples)


def _average(values: NDArray[np.float64], dof: int, axis: int | tuple[int, ...],
             confidence: float) -> ConsistencyTest:
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    n = int(np.prod([values.shape[a] for a in axes]))
    avg = np.mean(values, axis=axes)
    lo, hi = chi2_interval(dof, n, confidence)
    return ConsistencyTest(avg, lo, hi, (avg >= lo) & (avg <= hi))


def average_nees(x_est: ArrayLike, P: ArrayLike, x_true: ArrayLike,
                 axis: int | tuple[int, ...] = 0, confidence: float = 0.95) -> ConsistencyTest:
    """Average NEES over ``axis`` (Monte Carlo runs by default) with its acceptance interval.

    Args:
        x_est: estimates ``(M, ..., n)`` (runs first by default).
        P: covariances ``(M, ..., n, n)``.
        x_true: true states, broadcasting with ``x_est``.
        axis: batch axis (or axes) of ``nees(...)`` to average over; the ``N`` of the interval
            is the number of values averaged.
        confidence: two-sided probability of the interval.
    """
    e = nees(x_est, P, x_true)
    return _average(e, np.shape(x_est)[-1], axis, confidence)


def average_nis(innovation: ArrayLike, S: ArrayLike, axis: int | tuple[int, ...] = 0,
                confidence: float = 0.95) -> ConsistencyTest:
    """Average NIS over ``axis`` (runs, or time steps of one run) with its interval."""
    v = nis(innovation, S)
    return _average(v, np.shape(innovation)[-1], axis, confidence)


def run_average_nees(per_run: ArrayLike, dof: int = 6, axis: int = 0,
                     confidence: float = 0.95) -> ConsistencyTest:
    """Average over independent Monte Carlo runs of each run's time-averaged NEES, with the
    conservative interval of the module docstring (``N`` = number of runs).

    Args:
        per_run: time-averaged NEES of each run ``(M, ...)`` (runs on ``axis``); NaN entries
            (no estimate in that run) are left out, and ``N`` is the smallest count left.
        dof: state dimension ``n``.
        axis: the runs' axis.
        confidence: two-sided probability of the interval.
    """
    v = np.asarray(per_run, dtype=np.float64)
    count = np.sum(np.isfinite(v), axis=axis)
    n = int(np.min(count)) if count.size else 0
    if n < 1:
        raise ValueError(f"per_run: no finite value along axis {axis} (shape {v.shape})")
    avg = np.nanmean(v, axis=axis)
    lo, hi = chi2_interval(dof, n, confidence)
    return ConsistencyTest(avg, lo, hi, (avg >= lo) & (avg <= hi))
