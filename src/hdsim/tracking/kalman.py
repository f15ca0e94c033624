"""Kalman and extended Kalman filters as functions on ``(x, P)`` batched over tracks.

Shapes: ``x (n, d)``, ``P (n, d, d)``, ``z (n, dz)``, ``R (dz, dz)`` or ``(n, dz, dz)``,
``H (dz, d)`` or ``(n, dz, d)``, ``F``/``Q`` ``(d, d)`` or ``(n, d, d)``. One call processes all
``n`` tracks; there is no Python loop over tracks.

Numerics: the innovation covariance ``S`` is factored with ``np.linalg.cholesky`` and the gain
obtained with batched triangular solves (:func:`solve_lower`: substitution vectorised over the
tracks, looping only over the ``dz`` rows; scipy 1.17's ``solve_triangular`` accepts batches but
loops over them in Python: 11.4 ms vs 0.20 ms for 1000 4×4 systems), never an explicit inverse.
The covariance update uses the Joseph form ``P+ = (I - K H) P (I - K H)ᵀ + K R Kᵀ``
(Bar-Shalom, Li & Kirubarajan 2001, ch. 5) and every returned covariance is symmetrised
``(P + Pᵀ)/2``.

Failure is reported per track (STYLE 8): where ``S`` is not positive definite the track keeps its
prior ``(x, P)``, ``info.ok`` is False, NIS is NaN and the log-likelihood −inf.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "LOG_2PI",
    "UpdateInfo",
    "ekf_predict",
    "ekf_update",
    "kf_predict",
    "kf_update",
    "safe_cholesky",
    "solve_lower",
    "symmetrize",
]

LOG_2PI = float(np.log(2.0 * np.pi))
"""log(2π), of the Gaussian log-likelihoods."""


class UpdateInfo(NamedTuple):
    """Per-track by-products of a measurement update.

    Attributes:
        z_pred: predicted measurement ``(n, dz)``.
        innovation: ``ν = z - z_pred`` (angles wrapped by the residual function) ``(n, dz)``.
        S: innovation covariance ``(n, dz, dz)``.
        S_chol: lower Cholesky factor of ``S`` ``(n, dz, dz)`` (identity where not ``ok``).
        nis: normalised innovation squared ``νᵀ S⁻¹ ν`` ``(n,)``.
        log_likelihood: ``log N(ν; 0, S)`` ``(n,)``.
        ok: ``(n,)`` bool, False where ``S`` was not positive definite (track not updated).
    """

    z_pred: NDArray[np.float64]
    innovation: NDArray[np.float64]
    S: NDArray[np.float64]
    S_chol: NDArray[np.float64]
    nis: NDArray[np.float64]
    log_likelihood: NDArray[np.float64]
    ok: NDArray[np.bool_]


def symmetrize(P: NDArray[np.float64]) -> NDArray[np.float64]:
    """``(P + Pᵀ)/2`` over the last two axes."""
    return 0.5 * (P + np.swapaxes(P, -1, -2))


def safe_cholesky(A: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Batched lower Cholesky factor with a per-element success mask.

    Returns ``(L, ok)``; where ``A[i]`` is not (numerically) positive definite ``ok[i]`` is False
    and ``L[i]`` is the identity, so the batch never raises.
    """
    A = np.asarray(A, dtype=np.float64)
    try:
        return np.linalg.cholesky(A), np.ones(A.shape[:-2], dtype=bool)
    except np.linalg.LinAlgError:
        pass
    finite = np.all(np.isfinite(A), axis=(-1, -2))
    A_f = np.where(finite[..., None, None], A, np.eye(A.shape[-1]))
    ok = finite & (np.linalg.eigvalsh(symmetrize(A_f))[..., 0] > 0)
    A_safe = np.where(ok[..., None, None], A_f, np.eye(A.shape[-1]))
    try:
        L = np.linalg.cholesky(A_safe)
    except np.linalg.LinAlgError:  # eigenvalue test passed but factorisation failed: be strict
        L = np.broadcast_to(np.eye(A.shape[-1]), A.shape).copy()
        ok = np.zeros_like(ok)
    return L, ok


def solve_lower(L: NDArray[np.float64], B: NDArray[np.float64], transpose: bool = False
                ) -> NDArray[np.float64]:
    """Solve ``L X = B`` (or ``Lᵀ X = B``), ``L (..., m, m)`` lower triangular, ``B (..., m, k)``.

    Substitution vectorised over the batch axes (loop over the ``m`` rows only).
    """
    m = L.shape[-1]
    X = np.empty(np.broadcast_shapes(L.shape[:-2], B.shape[:-2]) + B.shape[-2:])
    rows = range(m - 1, -1, -1) if transpose else range(m)
    done: list[int] = []
    for i in rows:
        acc = B[..., i, :]
        for j in done:
            lij = L[..., j, i] if transpose else L[..., i, j]
            acc = acc - lij[..., None] * X[..., j, :]
        X[..., i, :] = acc / L[..., i, i][..., None]
        done.append(i)
    return X


def _mv(M: NDArray[np.float64], v: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.einsum("...ij,...j->...i", M, v)


def kf_predict(x: ArrayLike, P: ArrayLike, F: ArrayLike, Q: ArrayLike
               ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Linear prediction ``x' = F x``, ``P' = F P Fᵀ + Q`` (symmetrised)."""
    x = np.asarray(x, dtype=np.float64)
    P = np.asarray(P, dtype=np.float64)
    F = np.asarray(F, dtype=np.float64)
    return _mv(F, x), symmetrize(F @ P @ np.swapaxes(F, -1, -2) + Q)


def ekf_predict(x: ArrayLike, P: ArrayLike, f: Callable[[NDArray], NDArray],
                F_jac: Callable[[NDArray], NDArray], Q: ArrayLike  # noqa: N803
                ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """EKF prediction ``x' = f(x)``, ``P' = J P Jᵀ + Q`` with ``J = F_jac(x)``.

    ``f`` and ``F_jac`` take the state ``(n, d)`` (bind ``dt`` beforehand, e.g.
    ``lambda x: model.f(x, dt)``) and return ``(n, d)`` and ``(n, d, d)``.
    """
    x = np.asarray(x, dtype=np.float64)
    P = np.asarray(P, dtype=np.float64)
    J = np.asarray(F_jac(x), dtype=np.float64)
    return np.asarray(f(x), dtype=np.float64), symmetrize(J @ P @ np.swapaxes(J, -1, -2) + Q)


def _linear_update(x, P, nu, z_pred, R, H):
    """Shared KF/EKF update from the innovation ``nu`` and measurement matrix ``H (n, dz, d)``."""
    n, d = x.shape
    H = np.broadcast_to(H, (n,) + H.shape[-2:])
    R = np.broadcast_to(np.asarray(R, dtype=np.float64), (n,) + H.shape[-2:-1] * 2)
    HP = H @ P  # (n, dz, d)
    S = symmetrize(HP @ np.swapaxes(H, -1, -2) + R)
    L, ok = safe_cholesky(S)
    # K = P Hᵀ S⁻¹ ;  Kᵀ = S⁻¹ H P = L⁻ᵀ (L⁻¹ H P)
    W = solve_lower(L, np.concatenate([HP, nu[..., None]], axis=-1))
    Kt = solve_lower(L, W[..., :-1], transpose=True)
    K = np.swapaxes(Kt, -1, -2)
    w = W[..., -1]
    nis = np.einsum("...i,...i->...", w, w)
    dz = nu.shape[-1]
    logdet_half = np.sum(np.log(np.diagonal(L, axis1=-2, axis2=-1)), axis=-1)
    ll = -0.5 * nis - logdet_half - 0.5 * dz * LOG_2PI
    x_new = x + _mv(K, nu)
    IKH = np.eye(d) - K @ H
    P_new = symmetrize(IKH @ P @ np.swapaxes(IKH, -1, -2) + K @ R @ Kt)
    x_new = np.where(ok[:, None], x_new, x)
    P_new = np.where(ok[:, None, None], P_new, P)
    nis = np.where(ok, nis, np.nan)
    ll = np.where(ok, ll, -np.inf)
    return x_new, P_new, UpdateInfo(z_pred, nu, S, L, nis, ll, ok)


def kf_update(x: ArrayLike, P: ArrayLike, z: ArrayLike, R: ArrayLike, H: ArrayLike
              ) -> tuple[NDArray[np.float64], NDArray[np.float64], UpdateInfo]:
    """Linear Kalman update with measurement ``z = H x + v``, ``v ~ N(0, R)``; Joseph form.

    Returns ``(x, P, info)``; see :class:`UpdateInfo`.
    """
    x = np.asarray(x, dtype=np.float64)
    P = np.asarray(P, dtype=np.float64)
    H = np.asarray(H, dtype=np.float64)
    z_pred = _mv(H, x)
    nu = np.asarray(z, dtype=np.float64) - z_pred
    return _linear_update(x, P, nu, z_pred, R, H)


def ekf_update(x: ArrayLike, P: ArrayLike, z: ArrayLike, R: ArrayLike,
               h: Callable[[NDArray], NDArray], H_jac: Callable[[NDArray], NDArray],  # noqa: N803
               residual_fn: Callable[[NDArray, NDArray], NDArray] | None = None,
               ) -> tuple[NDArray[np.float64], NDArray[np.float64], UpdateInfo]:
    """Extended Kalman update (first order, single iteration); Joseph form.

    Args:
        x, P: prior ``(n, d)``, ``(n, d, d)``.
        z: measurements ``(n, dz)``.
        R: measurement covariance ``(dz, dz)`` or ``(n, dz, dz)``.
        h: ``x (n, d) -> z_pred (n, dz)``.
        H_jac: ``x (n, d) -> (n, dz, d)``.
        residual_fn: ``(z, z_pred) -> ν``; wraps angles (e.g.
            :func:`hdsim.tracking.measurement.radar_residual`). Default plain subtraction.
    """
    x = np.asarray(x, dtype=np.float64)
    P = np.asarray(P, dtype=np.float64)
    z_pred = np.asarray(h(x), dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    nu = z - z_pred if residual_fn is None else np.asarray(residual_fn(z, z_pred))
    return _linear_update(x, P, nu, z_pred, R, np.asarray(H_jac(x), dtype=np.float64))
