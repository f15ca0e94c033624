"""Free fall in the rotating ECEF frame, integrated in one compiled call for many bodies.

The dynamics are those of :func:`hdsim.engagement.flyout.free_fall_accel`: point-mass + J2
gravity (:func:`hdsim.earth.gravity_ecef`, Vallado eq. 8-30) plus the Coriolis and centrifugal
terms of a frame rotating at ω about z, ``−2 ω×v − ω×(ω×r)``. :func:`free_fall_nodes` steps
every body with classical RK4 at a fixed step and records each node, in a Numba kernel
(``cache=True``): fire control predicts every live track this way at each decision, where the
NumPy form spent its time in Python calls on arrays of a few tracks (issue: speed).

A body whose geocentric radius falls below ``r_stop_m`` stops there; its later nodes repeat
its last one (callers treat everything below the ground as gone).
"""

from __future__ import annotations

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.earth.ellipsoid import EarthModel

__all__ = ["free_fall_nodes", "gravity_j2_into"]


@numba.njit(cache=True, inline="always")
def gravity_j2_into(px, py, pz, mu, j2, req, out, o):
    """Point-mass + J2 gravity at ``(px, py, pz)`` (m) into ``out[o:o + 3]`` (m/s²), compiled:
    the formula and operation order of :func:`hdsim.earth.gravity_ecef`, for Numba kernels."""
    r2 = px * px + py * py + pz * pz
    r = np.sqrt(r2)
    k = -mu / (r2 * r)
    z2_r2 = pz * pz / r2
    c = 1.5 * j2 * (req * req) / r2
    fxy = k * (1.0 + c * (1.0 - 5.0 * z2_r2))
    fz = k * (1.0 + c * (3.0 - 5.0 * z2_r2))
    out[o] = fxy * px
    out[o + 1] = fxy * py
    out[o + 2] = fz * pz


@numba.njit(cache=True, inline="always")
def _deriv(x, out, mu, j2, req, w, g):
    gravity_j2_into(x[0], x[1], x[2], mu, j2, req, g, 0)
    out[0] = x[3]
    out[1] = x[4]
    out[2] = x[5]
    out[3] = g[0] + (2.0 * w * x[4] + w * w * x[0])
    out[4] = g[1] + (-2.0 * w * x[3] + w * w * x[1])
    out[5] = g[2] + 0.0


@numba.njit(cache=True)
def _nodes(x0, h, n_nodes, mu, j2, req, w, r_stop2):
    n = x0.shape[0]
    out = np.empty((n, n_nodes, 6))
    k1 = np.empty(6)
    k2 = np.empty(6)
    k3 = np.empty(6)
    k4 = np.empty(6)
    y = np.empty(6)
    x = np.empty(6)
    g = np.empty(3)
    for i in range(n):
        for c in range(6):
            x[c] = x0[i, c]
            out[i, 0, c] = x[c]
        stopped = False
        for j in range(1, n_nodes):
            if not stopped:
                _deriv(x, k1, mu, j2, req, w, g)
                for c in range(6):
                    y[c] = x[c] + 0.5 * h * k1[c]
                _deriv(y, k2, mu, j2, req, w, g)
                for c in range(6):
                    y[c] = x[c] + 0.5 * h * k2[c]
                _deriv(y, k3, mu, j2, req, w, g)
                for c in range(6):
                    y[c] = x[c] + h * k3[c]
                _deriv(y, k4, mu, j2, req, w, g)
                for c in range(6):
                    x[c] = x[c] + (h / 6.0) * (k1[c] + 2.0 * k2[c] + 2.0 * k3[c] + k4[c])
                if x[0] * x[0] + x[1] * x[1] + x[2] * x[2] < r_stop2:
                    stopped = True
            for c in range(6):
                out[i, j, c] = x[c]
    return out


def free_fall_nodes(state: ArrayLike, step_s: float, n_nodes: int, earth: EarthModel,
                    r_stop_m: float = 0.0) -> NDArray:
    """RK4 nodes of free fall from ``state (n, 6)`` (ECEF m, m/s) every ``step_s`` seconds.

    Returns ``(n, n_nodes, 6)``; node 0 is the initial state. A body stops at the first node
    inside ``r_stop_m`` of the Earth's centre and later nodes repeat that node.
    """
    x0 = np.ascontiguousarray(np.atleast_2d(np.asarray(state, np.float64)))
    if x0.ndim != 2 or x0.shape[1] != 6:
        raise ValueError(f"state: shape {x0.shape}, expected (n, 6)")
    if not step_s > 0.0:
        raise ValueError(f"step_s = {step_s!r}: must be > 0")
    if n_nodes < 1:
        raise ValueError(f"n_nodes = {n_nodes!r}: must be >= 1")
    return _nodes(x0, float(step_s), int(n_nodes), float(earth.mu), float(earth.j2),
                  float(earth.r_eq_m), float(earth.omega_radps), float(r_stop_m) ** 2)
