"""Small vector helpers for ``(..., 3)`` arrays and the rotating-frame acceleration.

``np.cross`` and ``np.linalg.norm`` carry a large per-call overhead on the small arrays of the
integrators' hot loops (profiled: ``np.cross`` was a third of the threat integrator's time);
these write the components out.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["dot", "cross", "unit", "rotating_frame_accel"]


def dot(a: NDArray, b: NDArray) -> NDArray:
    """Dot product over the last axis."""
    return np.einsum("...i,...i->...", a, b)


def cross(a: NDArray, b: NDArray) -> NDArray:
    """Cross product of ``(..., 3)`` arrays (broadcasting)."""
    a0, a1, a2 = a[..., 0], a[..., 1], a[..., 2]
    b0, b1, b2 = b[..., 0], b[..., 1], b[..., 2]
    return np.stack(np.broadcast_arrays(a1 * b2 - a2 * b1, a2 * b0 - a0 * b2, a0 * b1 - a1 * b0),
                    axis=-1)


def unit(a: NDArray) -> NDArray:
    """``a / |a|`` over the last axis (zero vectors stay zero)."""
    n = np.linalg.norm(a, axis=-1, keepdims=True)
    return a / np.where(n > 0.0, n, 1.0)


def rotating_frame_accel(pos: NDArray, vel: NDArray, omega_radps: float) -> NDArray:
    """Coriolis plus centrifugal acceleration ``−2 ω×v − ω×(ω×r)`` in a frame rotating at
    ``omega_radps`` about z (ECEF), m/s², for positions and velocities ``(..., 3)``."""
    w = omega_radps
    return np.stack(np.broadcast_arrays(2.0 * w * vel[..., 1] + w * w * pos[..., 0],
                                        -2.0 * w * vel[..., 0] + w * w * pos[..., 1],
                                        np.zeros_like(pos[..., 2])), axis=-1)
