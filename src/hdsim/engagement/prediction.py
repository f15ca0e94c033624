"""Track prediction for fire control: where a track will be, how uncertain, where it lands.

Fire control predicts tracks forward with one of two motion models:

* ``ncv``: a straight line at constant velocity;
* ``ballistic``: free fall in the rotating ECEF frame, point-mass + J2 gravity
  (:func:`hdsim.earth.gravity_ecef`) plus the Coriolis and centrifugal terms, integrated with
  classical RK4 for all tracks in one compiled call (:func:`hdsim.earth.free_fall.free_fall_nodes`,
  the arithmetic of the shots' :func:`hdsim.engagement.flyout.free_fall_rk4_step`), then
  interpolated onto the requested grid with the cubic Hermite basis of the trajectories
  (:func:`hdsim.threats.trajectory.hermite`).

The position uncertainty is predicted under constant velocity without process noise,
``P(τ) = P_pp + τ (P_pv + P_vp) + τ² P_vv``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.earth import EarthModel, ecef_to_geodetic
from hdsim.earth.free_fall import free_fall_nodes
from hdsim.engagement.flyout import free_fall_derivative
from hdsim.threats.trajectory import hermite

__all__ = [
    "BALLISTIC_NODE_STEP_S",
    "position_sigma_m",
    "predict_impact",
    "predict_states",
    "predicted_position_sigma_m",
]


def position_sigma_m(cov: ArrayLike) -> NDArray:
    """1-σ position error ``sqrt(trace P_pos)`` of covariances ``(..., 6, 6)``, m."""
    c = np.asarray(cov, float)
    return np.sqrt(np.trace(c[..., :3, :3], axis1=-2, axis2=-1))


def predicted_position_sigma_m(cov: ArrayLike, dt_s: ArrayLike) -> NDArray:
    """``sqrt(trace P_pos(τ))`` with ``P(τ) = F P Fᵀ`` of constant velocity (no process noise),
    ``cov (..., 6, 6)``, ``dt_s`` broadcast against ``(...)``, m."""
    c = np.asarray(cov, float)
    tau = np.asarray(dt_s, float)
    tr_pp = np.trace(c[..., :3, :3], axis1=-2, axis2=-1)
    tr_pv = np.trace(c[..., :3, 3:], axis1=-2, axis2=-1)
    tr_vv = np.trace(c[..., 3:, 3:], axis1=-2, axis2=-1)
    return np.sqrt(np.maximum(tr_pp + 2.0 * tau * tr_pv + tau * tau * tr_vv, 0.0))


BALLISTIC_NODE_STEP_S = 10.0
"""RK4 node spacing of the ballistic track prediction, s."""


def predict_states(
    state: ArrayLike,
    t0_s: ArrayLike,
    t_grid_s: ArrayLike,
    model: Literal["ncv", "ballistic"],
    earth: EarthModel,
    max_step_s: float = 1.0,
) -> NDArray:
    """Predict track states ``(n, 6)`` known at ``t0_s (n,)`` to the times ``t_grid_s (K,)``.

    ``ncv``: ``p + v (t − t0)``; ``ballistic``: free fall in the rotating ECEF frame (gravity
    point mass + J2 of the Earth model, Coriolis, centrifugal), classical RK4 with steps of at
    most ``max_step_s``.  Rows from the first node below the ground (altitude < 0) on are NaN.

    Returns:
        ``(n, K, 6)`` ECEF states.
    """
    x0 = np.atleast_2d(np.asarray(state, float))
    n = len(x0)
    t0 = np.broadcast_to(np.asarray(t0_s, float), (n,))
    tg = np.atleast_1d(np.asarray(t_grid_s, float))
    if model == "ncv":
        dt = tg[None, :] - t0[:, None]
        out = np.concatenate([x0[:, None, :3] + dt[..., None] * x0[:, None, 3:],
                              np.broadcast_to(x0[:, None, 3:], (n, tg.size, 3))], axis=-1)
    elif model == "ballistic":
        # RK4 nodes every BALLISTIC_NODE_STEP_S from each track's own t0, then cubic Hermite
        # of the state with its derivative onto the grid (free fall is smooth: the
        # interpolation error is below 1 mm; tested against DOP853).
        rel = tg[None, :] - t0[:, None]
        if rel.size and np.min(rel) < 0.0:
            raise ValueError("t_grid_s must not precede a track's t0_s")
        h = min(BALLISTIC_NODE_STEP_S, max(max_step_s, 1e-3))
        n_nodes = int(np.ceil(np.max(rel, initial=0.0) / h)) + 2
        xs = free_fall_nodes(x0, h, n_nodes, earth)
        r_min = earth.ellipsoid.a_m * (1.0 - earth.ellipsoid.f) - 1.0
        inside = np.all(np.linalg.norm(xs[..., :3], axis=-1) < r_min, axis=0)  # (n_nodes,)
        inside[-1] = False
        if inside[1:].any():
            # Every track is below the surface at node j - 1: later nodes are never used.
            j = int(np.argmax(inside[1:])) + 2
            xs[:, j + 1:] = xs[:, j:j + 1]
        ds = free_fall_derivative(xs, earth)
        j = np.clip(np.floor(rel / h).astype(int), 0, n_nodes - 2)
        rows = np.arange(n)[:, None]
        out = hermite(j * h, (j + 1) * h, xs[rows, j], xs[rows, j + 1], ds[rows, j],
                      ds[rows, j + 1], rel)
    else:
        raise ValueError(f"model = {model!r}: allowed values are 'ncv', 'ballistic'")
    if out.size:
        _, _, alt = ecef_to_geodetic(out[..., :3], earth.ellipsoid)
        below = np.logical_or.accumulate(~(alt >= 0.0), axis=1)
        out[below] = np.nan
    return out


def predict_impact(
    state: ArrayLike,
    t0_s: ArrayLike,
    model: Literal["ncv", "ballistic"],
    earth: EarthModel,
    horizon_s: float = 900.0,
    step_s: float = 5.0,
) -> tuple[NDArray, NDArray]:
    """Predicted ground impact (altitude 0) of tracks: time ``(n,)`` (s, inf when none within
    the horizon) and ECEF point ``(n, 3)`` (NaN when none); the crossing is interpolated
    linearly in altitude between prediction nodes."""
    x0 = np.atleast_2d(np.asarray(state, float))
    n = len(x0)
    t0 = np.broadcast_to(np.asarray(t0_s, float), (n,))
    taus = np.arange(0.0, horizon_s + 0.5 * step_s, step_s)
    t_imp = np.full(n, np.inf)
    p_imp = np.full((n, 3), np.nan)
    if n == 0:
        return t_imp, p_imp
    # common relative grid: predict each track from its own t0 (t_grid relative per track)
    xs = np.empty((n, taus.size, 6))
    if model == "ncv":
        xs[..., :3] = x0[:, None, :3] + taus[None, :, None] * x0[:, None, 3:]
        xs[..., 3:] = x0[:, None, 3:]
    else:
        xs = free_fall_nodes(x0, step_s, taus.size, earth)
        r_min = earth.ellipsoid.a_m * (1.0 - earth.ellipsoid.f) - 1.0
        inside = np.all(np.linalg.norm(xs[:, 1:, :3], axis=-1) < r_min, axis=0)
        if inside.any():
            # Every track is below the surface (inside the polar radius): later nodes unused.
            xs[:, int(np.argmax(inside)) + 2:] = np.nan
    _, _, alt = ecef_to_geodetic(xs[..., :3], earth.ellipsoid)
    below = ~(alt >= 0.0)
    has = below.any(axis=1) & ~below[:, 0]
    rows = np.flatnonzero(has)
    k = np.argmax(below[rows], axis=1)
    h0, h1 = alt[rows, k - 1], alt[rows, k]
    s = np.where(np.isfinite(h1), h0 / np.where(h0 - h1 != 0.0, h0 - h1, 1.0), 0.0)
    s = np.clip(s, 0.0, 1.0)
    p1 = np.where(np.isfinite(xs[rows, k, :3]), xs[rows, k, :3], xs[rows, k - 1, :3])
    p_imp[rows] = xs[rows, k - 1, :3] + s[:, None] * (p1 - xs[rows, k - 1, :3])
    t_imp[rows] = t0[rows] + taus[k - 1] + s * step_s
    return t_imp, p_imp
