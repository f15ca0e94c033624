"""Coverage figures of merit of a constellation over a grid of points (geometric visibility).

:func:`coverage_grid` applies the visibility rule of :mod:`hdsim.sensors.visibility` (field of
regard, range, Earth limb with the effective clearance altitude ``min(grazing, h_point)``) to
every satellite × grid point × time, and reduces it to per-point figures of merit.

Time convention (sample and hold): the ``T`` samples ``t_k`` are uniformly spaced by ``step_s``
and each stands for the interval ``[t_k, t_k + step_s)``, so the analysed span is
``T × step_s``.

Figures of merit per grid point (Wertz, *Space Mission Analysis and Design*, 3rd ed., §7.2,
"percent coverage", "maximum gap", "mean gap"):

* ``fraction_1``, ``fraction_2``: fraction of the samples at which ≥ 1 (≥ 2) satellites see the
  point.
* ``max_gap_s``, ``mean_gap_s``: a *gap* is a maximal run of consecutive samples at which no
  satellite sees the point; its duration is the run length × ``step_s``. Gaps cut by the start
  or end of the span count with their truncated length. ``max_gap_s`` is the longest gap
  (0 when always covered, the span when never covered); ``mean_gap_s`` the mean duration of the
  gaps (0 when there is none).
* ``mean_n_sats``: time mean of the number of satellites seeing the point.
* ``best_triangulation_deg``: at each sample seen by ≥ 2 satellites, the best stereo angle
  ``arccos(min |cos θ_ij|)`` in [0°, 90°] over the pairs of satellites seeing the point
  (θ_ij the angle at the point between the lines of sight, see
  :func:`~hdsim.sensors.visibility.los_angle_between_rad`; 90° is ideal, and 60° and 120°
  are equally good); the figure is the *median* of that over the samples seen by ≥ 2
  satellites (NaN when there is none).

Cost: a conservative float32 prefilter (:func:`candidate_pairs`: three multiply-adds and one
comparison per satellite × point × time) keeps the pairs within range and above the horizon of
a slightly smaller sphere (≈ 9 % of them for a 1,000 km layer and a 5,000 km range); only those
go through the exact :func:`~hdsim.sensors.visibility.space_visibility` (the same function the
run loop uses, so the rule cannot drift). The stereo angle visits each visible pair of
satellites once. Time is processed in chunks of ``Tc`` samples with ``Tc × S × G`` ≤
``max_chunk_elements``, so memory stays at tens of MB whatever the span (the ``(T, G)``
per-sample counts and angles are kept: 12 bytes per point and sample). Measured: 168
satellites × 1,891 points × 1,440 samples (457 million pairs) in ≈ 15 s of CPU on one core
(≈ 33 ns per pair), see :mod:`hdsim.scenario.coverage`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.earth.ellipsoid import WGS84, Ellipsoid
from hdsim.earth.frames import ecef_to_geodetic
from hdsim.sensors.visibility import space_visibility, target_clearance_alt_m

DEFAULT_CHUNK_ELEMENTS = 1_000_000
"""Default bound on ``Tc × S × G`` per time chunk (≈ 4 MB per float32 temporary)."""


@dataclass(frozen=True)
class CoverageGrid:
    """Per-point coverage figures of merit (module docstring), each ``(G,)``.

    Attributes:
        fraction_1, fraction_2: time fraction seen by ≥ 1, ≥ 2 satellites, in [0, 1].
        max_gap_s, mean_gap_s: longest and mean coverage gap, s.
        mean_n_sats: time-mean number of satellites seeing the point.
        best_triangulation_deg: median best stereo angle, degrees in [0, 90]; NaN if never
            seen by two satellites.
        step_s: the sample spacing, s. span_s: ``T × step_s``, s.
    """

    fraction_1: NDArray[np.float64]
    fraction_2: NDArray[np.float64]
    max_gap_s: NDArray[np.float64]
    mean_gap_s: NDArray[np.float64]
    mean_n_sats: NDArray[np.float64]
    best_triangulation_deg: NDArray[np.float64]
    step_s: float
    span_s: float


def candidate_pairs(
    sat_pos_ecef: NDArray[np.float64],
    grid_ecef: NDArray[np.float64],
    max_range_m: NDArray[np.float64],
    min_clearance_alt_m: float,
    ellipsoid: Ellipsoid = WGS84,
) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.intp]]:
    """(time, point, satellite) index triples that *may* be visible, sorted in that order.

    A conservative prefilter: one float32 product ``ĝ·s`` (``ĝ`` the unit vector of the
    grid point) compared with one threshold per satellite and time. With ``|g|`` between
    ``g_lo`` and ``g_hi`` over the grid, a visible pair satisfies both

    * range: ``|s - g|² ≤ R²``, so ``ĝ·s ≥ (|s|² - R²)/(2|g|) + |g|/2``, bounded below by
      taking each term at its worst ``|g|``;
    * horizon on the sphere of radius ``ρ = b + min_clearance_alt_m - 1 m`` (inside every
      inflated ellipsoid): the central angle is at most ``arccos(ρ/|s|) + arccos(ρ/|g|)``, i.e.
      ``ĝ·s ≥ ρ²/|g| - sqrt(|s|² - ρ²) sqrt(1 - ρ²/|g|²)``, smallest at ``|g| = g_hi``;

    so the larger of the two bounds, less a slack of ``100 m + 1e-6 |s|`` for float32 rounding
    (≈ 3e-7 |s|, about 2 m in LEO and 13 m at GEO), is a safe threshold. The exact test
    (:func:`~hdsim.sensors.visibility.space_visibility`) follows.

    Args:
        sat_pos_ecef: ``(Tc, S, 3)`` ECEF, m. grid_ecef: ``(G, 3)`` ECEF, m.
        max_range_m: ``(S,)``, m. min_clearance_alt_m: lowest effective clearance altitude, m.
        ellipsoid: reference ellipsoid.

    Returns:
        ``(t_idx, g_idx, s_idx)`` index arrays.
    """
    g_norm = np.linalg.norm(grid_ecef, axis=-1)
    g_lo, g_hi = float(g_norm.min()), float(g_norm.max())
    unit_g = (grid_ecef / g_norm[:, None]).astype(np.float32)
    ss = np.einsum("tsi,tsi->ts", sat_pos_ecef, sat_pos_ecef)  # (Tc, S)
    r2 = max_range_m * max_range_m
    lo_range = np.minimum((ss - r2) / (2.0 * g_lo), (ss - r2) / (2.0 * g_hi)) + 0.5 * g_lo
    rho = ellipsoid.b_m + min_clearance_alt_m - 1.0
    with np.errstate(invalid="ignore"):
        lo_horizon = rho * rho / g_hi - np.sqrt(ss - rho * rho) * np.sqrt(1.0 - (rho / g_hi) ** 2)
    slack_m = 100.0 + 1e-6 * np.sqrt(ss)
    threshold = (np.maximum(lo_range, lo_horizon) - slack_m).astype(np.float32)  # NaN: no sat
    # ĝ·s as three broadcast multiply-adds: faster than matmul for an inner dimension of 3.
    s32 = sat_pos_ecef.astype(np.float32).transpose(0, 2, 1)[:, :, None, :]  # (Tc, 3, 1, S)
    gs = unit_g[None, :, 0, None] * s32[:, 0]  # (Tc, G, S)
    gs += unit_g[None, :, 1, None] * s32[:, 1]
    gs += unit_g[None, :, 2, None] * s32[:, 2]
    return np.nonzero(gs >= threshold[:, None, :])


def _gaps(covered: NDArray[np.bool_], step_s: float) -> tuple[NDArray[np.float64], ...]:
    """Max and mean gap (s) per column of a ``(T, G)`` coverage mask (module docstring)."""
    n_t, n_g = covered.shape
    pad = np.ones((n_t + 2, n_g), dtype=np.int8)
    pad[1:-1] = covered
    edges = np.diff(pad, axis=0)  # -1: gap starts at row i; +1: gap ends before row i
    g_start, t_start = np.nonzero(edges.T == -1)
    _, t_end = np.nonzero(edges.T == 1)  # same order: gaps sorted by (point, time)
    lengths = (t_end - t_start).astype(np.float64) * step_s
    n_gaps = np.bincount(g_start, minlength=n_g)
    total = np.bincount(g_start, weights=lengths, minlength=n_g)
    max_gap = np.zeros(n_g)
    np.maximum.at(max_gap, g_start, lengths)
    mean_gap = np.where(n_gaps > 0, total / np.maximum(n_gaps, 1), 0.0)
    return max_gap, mean_gap


def _best_stereo_deg(
    key: NDArray[np.intp], unit_los: NDArray[np.float64], n_keys: int
) -> NDArray[np.float64]:
    """Best stereo angle ``arccos(min |cos θ_ij|)``, degrees, per (time, point) key.

    Every pair of a group is visited once, as (element, element ``d`` places later) for
    ``d = 1, 2, ...``: the work is the number of pairs, with no padding to the largest group.

    Args:
        key: ``(n,)`` flat (time, point) index of each visible pair, sorted ascending.
        unit_los: ``(n, 3)`` unit vectors from the point to the satellite of each pair.
        n_keys: number of keys.

    Returns:
        ``(n_keys,)``, NaN where fewer than two satellites see the point.
    """
    out = np.full(n_keys, np.nan)
    if key.size < 2:
        return out
    count = np.bincount(key, minlength=n_keys)
    first = np.cumsum(count) - count  # index of each key's first element
    left = count[key] - (np.arange(key.size) - first[key]) - 1  # later elements in the group
    best = np.full(key.size, np.inf)
    active = np.nonzero(left > 0)[0]
    d = 1
    while active.size:
        c = np.abs(np.einsum("ij,ij->i", unit_los[active], unit_los[active + d]))
        best[active] = np.minimum(best[active], c)
        d += 1
        active = active[left[active] >= d]
    has_pair = count >= 2
    group_best = np.minimum.reduceat(best, first[has_pair])
    out[has_pair] = np.degrees(np.arccos(np.minimum(group_best, 1.0)))
    return out


def coverage_grid(
    sat_pos_ecef: ArrayLike,
    times_s: ArrayLike,
    grid_ecef: ArrayLike,
    half_angle_rad: ArrayLike,
    max_range_m: ArrayLike,
    grazing_alt_m: ArrayLike,
    *,
    grid_alt_m: ArrayLike | None = None,
    ellipsoid: Ellipsoid = WGS84,
    step_s: float | None = None,
    progress: Callable[[int], None] | None = None,
    max_chunk_elements: int = DEFAULT_CHUNK_ELEMENTS,
) -> CoverageGrid:
    """Coverage figures of merit of satellites over grid points (module docstring).

    Args:
        sat_pos_ecef: satellite positions ``(S, T, 3)``, m, ECEF (as
            ``Constellation.positions_ecef``; several layers concatenated on axis 0). NaN
            positions (failed propagation) see nothing.
        times_s: the ``T`` sample times, s, uniformly spaced.
        grid_ecef: grid points ``(G, 3)``, m, ECEF (fixed on the Earth).
        half_angle_rad: field-of-regard half-angle about geocentric nadir, rad, scalar or
            ``(S,)`` (one per satellite, e.g. per layer).
        max_range_m: maximum slant range, m, scalar or ``(S,)``.
        grazing_alt_m: grazing altitude, m, scalar or ``(S,)``.
        grid_alt_m: heights of the grid points above ``ellipsoid``, ``(G,)``, m; computed
            when not given.
        ellipsoid: reference ellipsoid.
        step_s: duration each sample stands for, s; default ``times_s[1] - times_s[0]``
            (required when ``T == 1``).
        progress: called with the number of time samples done after each chunk.
        max_chunk_elements: bound on ``Tc × S × G`` per chunk (memory).

    Returns:
        :class:`CoverageGrid`.

    Raises:
        ValueError: inconsistent shapes, non-uniform or missing time step.
    """
    sat = np.asarray(sat_pos_ecef, dtype=np.float64)
    times = np.atleast_1d(np.asarray(times_s, dtype=np.float64))
    grid = np.asarray(grid_ecef, dtype=np.float64).reshape(-1, 3)
    if sat.ndim != 3 or sat.shape[2] != 3 or sat.shape[1] != times.size:
        raise ValueError(
            f"sat_pos_ecef.shape = {sat.shape}: must be (S, T, 3) with T = {times.size} times"
        )
    n_s, n_t = sat.shape[0], times.size
    n_g = grid.shape[0]
    if step_s is None:
        if n_t < 2:
            raise ValueError("step_s = None: give step_s when there is a single time sample")
        step_s = float(times[1] - times[0])
    diffs = np.diff(times)
    if not step_s > 0.0 or (diffs.size and np.max(np.abs(diffs - step_s)) > 1e-6 * step_s):
        raise ValueError(f"times_s: must be uniformly spaced by step_s = {step_s!r} > 0")

    def per_sat(x: ArrayLike) -> NDArray[np.float64]:
        arr = np.broadcast_to(np.asarray(x, dtype=np.float64), (n_s,))
        return np.ascontiguousarray(arr)

    half = per_sat(half_angle_rad)
    max_range = per_sat(max_range_m)
    grazing = per_sat(grazing_alt_m)
    if grid_alt_m is None:
        _, _, h_grid = ecef_to_geodetic(grid, ellipsoid)
    else:
        h_grid = np.broadcast_to(np.asarray(grid_alt_m, dtype=np.float64), (n_g,))
    clearance = target_clearance_alt_m(h_grid[None, :], grazing[:, None], ellipsoid)

    min_clearance = float(np.min(clearance))
    n_vis = np.zeros((n_t, n_g), dtype=np.int32)
    best_deg = np.full((n_t, n_g), np.nan)
    chunk = max(1, max_chunk_elements // max(1, n_s * n_g))
    sat_t = np.ascontiguousarray(sat.transpose(1, 0, 2))  # (T, S, 3)
    for lo in range(0, n_t, chunk):
        hi = min(n_t, lo + chunk)
        ti, gi, si = candidate_pairs(sat_t[lo:hi], grid, max_range, min_clearance, ellipsoid)
        sp, gp = sat_t[lo + ti, si], grid[gi]
        vis = space_visibility(sp, gp, half[si], max_range[si], grazing[si], ellipsoid,
                               target_alt_m=h_grid[gi])
        ti, gi, sp, gp = ti[vis], gi[vis], sp[vis], gp[vis]
        key = ti * n_g + gi  # sorted: the pairs come sorted by (time, point, satellite)
        n_keys = (hi - lo) * n_g
        n_vis[lo:hi] = np.bincount(key, minlength=n_keys).reshape(hi - lo, n_g)
        los = sp - gp
        los /= np.linalg.norm(los, axis=-1, keepdims=True)
        best_deg[lo:hi] = _best_stereo_deg(key, los, n_keys).reshape(hi - lo, n_g)
        if progress is not None:
            progress(hi - lo)

    covered = n_vis >= 1
    max_gap, mean_gap = _gaps(covered, step_s)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN column (never 2 sats) -> NaN
        best_median_deg = np.nanmedian(best_deg, axis=0)
    return CoverageGrid(
        fraction_1=covered.mean(axis=0),
        fraction_2=(n_vis >= 2).mean(axis=0),
        max_gap_s=max_gap,
        mean_gap_s=mean_gap,
        mean_n_sats=n_vis.mean(axis=0),
        best_triangulation_deg=best_median_deg,
        step_s=float(step_s),
        span_s=float(n_t * step_s),
    )


__all__ = ["DEFAULT_CHUNK_ELEMENTS", "CoverageGrid", "candidate_pairs", "coverage_grid"]
