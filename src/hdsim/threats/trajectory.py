"""Sampled threat trajectories, evaluated at any time by cubic Hermite interpolation.

A :class:`Trajectory` holds the integrator's nodes: times, ECEF states and accelerations, and a
flight-phase code per node.  Between nodes, position is the cubic Hermite interpolant of
(position, velocity) and velocity the cubic Hermite interpolant of (velocity, acceleration), so
both are third-order accurate and continuous (de Boor, *A Practical Guide to Splines*, ch. IV).
The last node of a threat that hit the ground is its impact point, found between steps.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["PHASES", "PHASE_CODE", "Trajectory", "TrajectorySet", "hermite", "hermite_on_step",
           "hermite_on_step_derivatives"]

PHASES: tuple[str, ...] = ("boost", "midcourse", "pullup", "glide", "cruise", "terminal", "impact",
                           "orbit", "deorbit")
"""Phase labels; a trajectory's ``phase`` array holds indices into this tuple.  ``orbit`` (the
coast in orbit of a fractional-orbital threat) and ``deorbit`` (its deorbit burn) come last so
that the codes of the others never change."""
PHASE_CODE: dict[str, int] = {name: i for i, name in enumerate(PHASES)}


def hermite(
    t0: NDArray, t1: NDArray, y0: NDArray, y1: NDArray, d0: NDArray, d1: NDArray, t: NDArray
) -> NDArray:
    """Cubic Hermite interpolation of ``y`` (with derivative ``d``) between t0 and t1 at ``t``.

    All time arrays broadcast against the leading axes of the ``(..., k)`` value arrays
    (de Boor, *A Practical Guide to Splines*, ch. IV); :func:`hermite_on_step` with the step
    fraction ``s = (t − t0)/(t1 − t0)``.
    """
    s = (t - t0) / np.where(t1 > t0, t1 - t0, 1.0)
    return hermite_on_step(s, t1 - t0, y0, y1, d0, d1)


def hermite_on_step(s: ArrayLike, h: ArrayLike, y0: NDArray, y1: NDArray, d0: NDArray,
                    d1: NDArray) -> NDArray:
    """The cubic Hermite interpolant of a step of length ``h`` at the step fraction ``s``.

    ``y0, y1`` are ``(..., k)`` values at the ends of the step and ``d0, d1`` their time
    derivatives; ``s ∈ [0, 1]`` and ``h`` (s, or scalar) broadcast against ``(...)``.  The
    basis is ``h00 = 2s³ − 3s² + 1, h10 = s³ − 2s² + s, h01 = −2s³ + 3s², h11 = s³ − s²``:
    ``y(s) = h00 y0 + h10 h d0 + h01 y1 + h11 h d1`` (de Boor, ch. IV).
    """
    s = np.asarray(s, dtype=float)[..., None]
    h = np.asarray(h, dtype=float)[..., None]
    s2, s3 = s * s, s * s * s
    h00 = 2 * s3 - 3 * s2 + 1
    h10 = s3 - 2 * s2 + s
    h01 = -2 * s3 + 3 * s2
    h11 = s3 - s2
    return h00 * y0 + h10 * h * d0 + h01 * y1 + h11 * h * d1


def hermite_on_step_derivatives(s: ArrayLike, h: ArrayLike, y0: NDArray, y1: NDArray,
                                d0: NDArray, d1: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """:func:`hermite_on_step` and its first two derivatives with respect to ``s``.

    Returns ``(y, dy/ds, d²y/ds²)``, each ``(..., k)`` (divide by ``h`` and ``h²`` for time
    derivatives); e.g. to minimize ``|y(s)|`` on a step by Newton's method on ``y·y' = 0``.
    """
    y = hermite_on_step(s, h, y0, y1, d0, d1)
    s = np.asarray(s, dtype=float)[..., None]
    h = np.asarray(h, dtype=float)[..., None]
    s2 = s * s
    dy = (6 * s2 - 6 * s) * y0 + (3 * s2 - 4 * s + 1) * h * d0 + (-6 * s2 + 6 * s) * y1 \
        + (3 * s2 - 2 * s) * h * d1
    ddy = (12 * s - 6) * y0 + (6 * s - 4) * h * d0 + (-12 * s + 6) * y1 + (6 * s - 2) * h * d1
    return y, dy, ddy


@dataclass(frozen=True)
class Trajectory:
    """One threat's flight.

    Attributes:
        threat_id: the scenario's id.
        times: ``(T,)`` seconds since the scenario epoch, increasing.
        states: ``(T, 6)`` ECEF position (m) and velocity (m/s).
        accels: ``(T, 3)`` ECEF acceleration (m/s²) at each node (for interpolation).
        phase: ``(T,)`` int8 codes into :data:`PHASES`.
        impacted: whether the flight ended on the ground (last node = impact point).
        extras: optional per-node channels (e.g. ``cl``, ``bank_rad``, ``burn_mps2``).
        events: scalar facts of the flight, e.g. a deorbit burn's ``deorbit_start_s`` and
            ``deorbit_end_s`` (seconds since the epoch) and ``deorbit_dv_mps``.
    """

    threat_id: str
    times: NDArray[np.float64]
    states: NDArray[np.float64]
    accels: NDArray[np.float64]
    phase: NDArray[np.int8]
    impacted: bool = True
    kind: str = ""
    extras: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    events: dict[str, float] = field(default_factory=dict)

    @property
    def t_start(self) -> float:
        return float(self.times[0])

    @property
    def t_end(self) -> float:
        return float(self.times[-1])

    def state_at(self, t: ArrayLike) -> NDArray[np.float64]:
        """ECEF state ``(..., 6)`` at times ``t``; NaN outside ``[t_start, t_end]``."""
        t = np.asarray(t, dtype=float)
        tt = self.times
        i = np.clip(np.searchsorted(tt, t, side="right") - 1, 0, len(tt) - 2)
        x0, x1 = self.states[i], self.states[i + 1]
        a0, a1 = self.accels[i], self.accels[i + 1]
        pos = hermite(tt[i], tt[i + 1], x0[..., :3], x1[..., :3], x0[..., 3:], x1[..., 3:], t)
        vel = hermite(tt[i], tt[i + 1], x0[..., 3:], x1[..., 3:], a0, a1, t)
        out = np.concatenate([pos, vel], axis=-1)
        out[(t < tt[0]) | (t > tt[-1])] = np.nan
        return out

    def phase_at(self, t: ArrayLike) -> NDArray[np.int8]:
        """Phase code at times ``t`` (the phase of the node at or before t); −1 outside."""
        t = np.asarray(t, dtype=float)
        i = np.clip(np.searchsorted(self.times, t, side="right") - 1, 0, len(self.times) - 1)
        out = self.phase[i].astype(np.int8)
        return np.where((t < self.times[0]) | (t > self.times[-1]), np.int8(-1), out)


class TrajectorySet(Sequence[Trajectory]):
    """An ordered collection of trajectories, evaluated together."""

    def __init__(self, trajectories: Sequence[Trajectory]):
        self._traj = list(trajectories)

    def __len__(self) -> int:
        return len(self._traj)

    def __getitem__(self, i):  # type: ignore[override]
        return self._traj[i]

    @property
    def ids(self) -> list[str]:
        return [tr.threat_id for tr in self._traj]

    def by_id(self, threat_id: str) -> Trajectory:
        for tr in self._traj:
            if tr.threat_id == threat_id:
                return tr
        raise KeyError(threat_id)

    def states_at(self, t: ArrayLike) -> NDArray[np.float64]:
        """States ``(n_threats, K, 6)`` at times ``t (K,)``; NaN where a threat is not flying."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        out = np.full((len(self._traj), t.size, 6), np.nan)
        for k, tr in enumerate(self._traj):
            m = (t >= tr.times[0]) & (t <= tr.times[-1])
            if m.any():
                out[k, m] = tr.state_at(t[m])
        return out

    def phase_at(self, t: ArrayLike) -> NDArray[np.int8]:
        """Phase codes ``(n_threats, K)``; −1 where a threat is not flying."""
        t = np.atleast_1d(np.asarray(t, dtype=float))
        return np.stack([tr.phase_at(t) for tr in self._traj]) if self._traj else np.empty(
            (0, t.size), np.int8
        )
