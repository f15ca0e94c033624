"""Posterior Cramér-Rao lower bound (PCRLB) for tracking one target.

Recursive Fisher information of Tichavský, Muravchik & Nehorai ("Posterior Cramér-Rao bounds for
discrete-time nonlinear filtering", IEEE TSP 46(5):1386-1396, 1998, eq. (21))::

    J_{k+1} = D22 - D21 (J_k + D11)^{-1} D12,

with, for the motion ``x_{k+1} = F_k x_k + w_k``, ``w_k ~ N(0, Q_k)`` and measurements
``z = h(x) + v``, ``v ~ N(0, R)`` (Ristic, Arulampalam & Gordon, *Beyond the Kalman Filter*, Artech
House 2004, ch. 4, eqs. (4.8)-(4.11))::

    D11 = F^T Q^-1 F,   D12 = D21^T = -F^T Q^-1,   D22 = Q^-1 + J_z(k+1),
    J_z = Σ_sensors  w H^T R^-1 H,   H = ∂h/∂x evaluated at the TRUE state x_{k+1}.

By the matrix inversion lemma the recursion equals ``J_{k+1} = (F J_k^-1 F^T + Q)^-1 + J_z``; this
module evaluates it as ``J_pred = (I + M Q)^-1 M`` with ``M = F^-T J_k F^-1``, which needs neither
``Q^-1`` nor ``J_k^-1``: it holds for ``Q = 0`` (a deterministic or static target) and for a
singular ``J_k`` (no prior, or a not yet observable state), and only needs ``F`` invertible (true
of every transition matrix ``exp(A T)``). ``I + M Q`` is invertible because ``M Q`` (a product of
two positive semi-definite matrices) has non-negative eigenvalues. A nonlinear motion model enters
through its Jacobian at the true state (Ristic et al. 2004, §4.2, additive Gaussian noise) — see
:func:`transition_matrices`.

Detection probability ``Pd < 1``: each measurement carries a weight ``w`` (default 1) that
multiplies its information. With no clutter the *information reduction factor* bound uses
``w = Pd`` (Hernandez, Farina & Ristic, "PCRLB for tracking in cluttered environments:
measurement sequence conditioning approach", IEEE TAES 42(2), 2006; Niu, Willett & Bar-Shalom,
IEEE TAES 37(3), 2001, for ``w < 1`` with clutter). Passing only the scans that actually detected
the target, each with ``w = 1``, gives instead the bound conditioned on that detection sequence.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "PcrlbResult",
    "measurement_information",
    "pcrlb",
    "transition_matrices",
]


class PcrlbResult(NamedTuple):
    """PCRLB at each measurement time.

    Attributes:
        info: Fisher information ``J_k`` ``(K, d, d)`` (after the measurements at ``k``).
        cov: bound covariance ``J_k^-1`` ``(K, d, d)``; NaN where ``J_k`` is singular (the state
            is not yet observable).
        pos_rmse_m: ``sqrt(trace(cov[:, 0:3, 0:3]))`` ``(K,)``, m: no unbiased estimator has a
            smaller position RMSE.
        vel_rmse_mps: ``sqrt(trace(cov[:, 3:6, 3:6]))`` ``(K,)``, m/s; NaN when ``d < 6``.
    """

    info: NDArray[np.float64]
    cov: NDArray[np.float64]
    pos_rmse_m: NDArray[np.float64]
    vel_rmse_mps: NDArray[np.float64]


def measurement_information(H: ArrayLike, R: ArrayLike, weight: ArrayLike = 1.0
                            ) -> NDArray[np.float64]:
    """Fisher information of linearised Gaussian measurements, ``w H^T R^-1 H``.

    Args:
        H: Jacobian ``(..., dz, d)`` at the true state.
        R: measurement noise covariance ``(..., dz, dz)`` (units of ``z``, squared).
        weight: information reduction factor ``(...)`` in ``[0, 1]`` (e.g. ``Pd``).

    Returns:
        ``(..., d, d)``, solved through the Cholesky factor of ``R``.
    """
    H = np.asarray(H, dtype=np.float64)
    L = np.linalg.cholesky(np.asarray(R, dtype=np.float64))
    A = np.linalg.solve(L, H)  # L^-1 H
    w = np.asarray(weight, dtype=np.float64)[..., None, None]
    return w * np.einsum("...ki,...kj->...ij", A, A)


def _sym(a: NDArray[np.float64]) -> NDArray[np.float64]:
    return 0.5 * (a + np.swapaxes(a, -1, -2))


def _info_at(x: NDArray[np.float64], meas: Sequence[Any], d: int) -> NDArray[np.float64]:
    J = np.zeros((d, d))
    for item in meas:
        if len(item) not in (2, 3):
            raise ValueError(f"measurement {item!r}: must be (H, R) or (H, R, weight)")
        H = item[0](x) if callable(item[0]) else item[0]
        H = np.asarray(H, dtype=np.float64)
        if H.shape[-1] != d:
            raise ValueError(f"measurement Jacobian has shape {H.shape}: last axis must be {d}")
        J += measurement_information(H, item[1], item[2] if len(item) == 3 else 1.0)
    return J


def _predict_info(J: NDArray[np.float64], F: NDArray[np.float64],
                  Q: NDArray[np.float64]) -> NDArray[np.float64]:
    """``(F J^-1 F^T + Q)^-1`` as ``(I + M Q)^-1 M``, ``M = F^-T J F^-1`` (no inverse of J or Q)."""
    d = J.shape[-1]
    FinvT_J = np.linalg.solve(F.T, J)  # F^-T J
    M = np.linalg.solve(F.T, FinvT_J.T).T  # (F^-T (F^-T J)^T)^T = F^-T J F^-1 (J symmetric)
    M = _sym(M)
    return _sym(np.linalg.solve(np.eye(d) + M @ Q, M))


def _invert_info(J: NDArray[np.float64], rcond: float) -> NDArray[np.float64]:
    """``J^-1`` per time via Cholesky; NaN where ``λ_min(J) <= rcond λ_max(J)``."""
    d = J.shape[-1]
    lam = np.linalg.eigvalsh(J)
    ok = lam[..., 0] > rcond * np.maximum(lam[..., -1], np.finfo(float).tiny)
    cov = np.full(J.shape, np.nan)
    if np.any(ok):
        L = np.linalg.cholesky(J[ok])
        Linv = np.linalg.solve(L, np.broadcast_to(np.eye(d), L.shape))
        cov[ok] = np.einsum("...ki,...kj->...ij", Linv, Linv)  # J^-1 = L^-T L^-1
    return cov


def pcrlb(truth_states: ArrayLike, measurements: Sequence[Sequence[Any]], F: ArrayLike,
          Q: ArrayLike, prior_info: ArrayLike | None = None, prior_cov: ArrayLike | None = None,
          rcond: float = 1e-12) -> PcrlbResult:
    """PCRLB of a single target along its true trajectory (module docstring for the equations).

    Args:
        truth_states: true states ``(K, d)`` at the measurement times (ECEF m, m/s for ``d = 6``;
            any consistent frame and units otherwise).
        measurements: for each of the ``K`` times, a (possibly empty) list of the sensors that
            measured then, each ``(H, R)`` or ``(H, R, weight)``: ``H`` a Jacobian ``(dz, d)`` or a
            callable ``state (d,) -> (dz, d)`` evaluated at the true state (e.g.
            ``RadarMeasurement(...).jacobian``), ``R`` ``(dz, dz)``, ``weight`` the information
            reduction factor (``Pd``; default 1).
        F: transition ``(K-1, d, d)`` from time ``k`` to ``k+1``, or one ``(d, d)`` for all steps.
        Q: process noise covariance, same shapes as ``F`` (may be singular, e.g. 0).
        prior_info: Fisher information of the prior at time 0, ``(d, d)``; default 0 (no prior).
        prior_cov: alternatively the prior covariance ``P0`` (``J0 = P0^-1``, via Cholesky).
        rcond: ``J_k`` with ``λ_min <= rcond λ_max`` is taken as singular (bound NaN).

    Returns:
        :class:`PcrlbResult`.
    """
    x = np.asarray(truth_states, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"truth_states: shape {x.shape} must be (K, d)")
    K, d = x.shape
    if len(measurements) != K:
        raise ValueError(f"measurements has {len(measurements)} entries for {K} truth states")
    Fs = np.broadcast_to(np.asarray(F, dtype=np.float64), (max(K - 1, 0), d, d))
    Qs = np.broadcast_to(np.asarray(Q, dtype=np.float64), (max(K - 1, 0), d, d))
    if prior_info is not None and prior_cov is not None:
        raise ValueError("give prior_info or prior_cov, not both")
    if prior_cov is not None:
        L = np.linalg.cholesky(np.asarray(prior_cov, dtype=np.float64))
        Linv = np.linalg.solve(L, np.eye(d))
        J = Linv.T @ Linv
    elif prior_info is not None:
        J = _sym(np.asarray(prior_info, dtype=np.float64).copy())
    else:
        J = np.zeros((d, d))
    info = np.empty((K, d, d))
    for k in range(K):
        if k > 0:
            J = _predict_info(J, Fs[k - 1], Qs[k - 1])
        J = J + _info_at(x[k], measurements[k], d)
        info[k] = J
    cov = _invert_info(info, rcond)
    pos = np.sqrt(np.trace(cov[:, 0:3, 0:3], axis1=-2, axis2=-1))
    vel = (np.sqrt(np.trace(cov[:, 3:6, 3:6], axis1=-2, axis2=-1)) if d >= 6
           else np.full(K, np.nan))
    return PcrlbResult(info, cov, pos, vel)


def transition_matrices(motion: Any, times_s: ArrayLike, truth_states: ArrayLike | None = None
                        ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``(F, Q)`` ``(K-1, d, d)`` between consecutive measurement times from a motion model.

    Args:
        motion: a model of :mod:`hdsim.tracking.motion`. Linear models (with ``F(dt)``) give their
            transition matrix; a nonlinear one (``jacobian(x, dt)``) is linearised at the true
            state ``truth_states[k]`` (Ristic et al. 2004, §4.2).
        times_s: measurement times ``(K,)``, s, increasing.
        truth_states: ``(K, d)`` true states; needed for nonlinear models only.
    """
    t = np.asarray(times_s, dtype=np.float64)
    dt = np.diff(t)
    Q = np.asarray(motion.Q(dt), dtype=np.float64)
    F_lin: Callable[[Any], Any] | None = getattr(motion, "F", None)
    if F_lin is not None:
        try:
            return np.asarray(F_lin(dt), dtype=np.float64), Q
        except AttributeError:  # e.g. Augmented around a nonlinear base model
            pass
    if truth_states is None:
        raise ValueError("truth_states: required to linearise a nonlinear motion model")
    x = np.asarray(truth_states, dtype=np.float64)[:-1]
    return np.asarray(motion.jacobian(x, dt), dtype=np.float64), Q
