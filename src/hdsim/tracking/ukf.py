"""Unscented Kalman filter (scaled unscented transform), batched over tracks.

Sigma points ``X_0 = x``, ``X_{±i} = x ± (√((d+λ) P))_i`` with ``λ = α²(d+κ) - d`` and weights
``Wm_0 = λ/(d+λ)``, ``Wc_0 = Wm_0 + 1 - α² + β``, ``W_i = 1/(2(d+λ))`` (Julier & Uhlmann 2004,
Proc. IEEE 92(3); Wan & van der Merwe 2000). The default ``α = 1, β = 0, κ = 0`` gives ``λ = 0``:
the 2d equally weighted points of the cubature Kalman filter (Arasaratnam & Haykin, IEEE TAC
54(6), 2009), whose weights are all positive so every covariance stays positive semidefinite.
The matrix square root is the lower Cholesky factor.

Models are called once on all sigma points of all tracks with shape ``(2d+1, n, d)`` (the track
axis second to last), so a model that broadcasts ``dt (n,)`` or a per-track sensor geometry over
the leading axes (every model of :mod:`hdsim.tracking.motion` / ``measurement`` does) works as is.
Angles: measurement sigma points are expressed as residuals from the central point with
``residual_fn`` before averaging, so the mean of angles near ±π is correct.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.tracking.kalman import LOG_2PI, UpdateInfo, safe_cholesky, solve_lower, symmetrize

__all__ = ["sigma_points", "ukf_predict", "ukf_update"]


def sigma_points(x: NDArray[np.float64], P: NDArray[np.float64], alpha: float = 1.0,
                 beta: float = 0.0, kappa: float = 0.0):
    """Sigma points ``(2d+1, n, d)``, mean weights ``(2d+1,)``, covariance weights, and ok mask.

    Where ``P`` is not positive definite ``ok`` is False and the spread is zero.
    """
    d = x.shape[-1]
    lam = alpha**2 * (d + kappa) - d
    L, ok = safe_cholesky((d + lam) * P)
    L = np.where(ok[..., None, None], L, 0.0)
    cols = np.moveaxis(L, -1, 0)  # (d, n, d): column i of each factor
    X = np.concatenate([x[None], x[None] + cols, x[None] - cols], axis=0)
    wm = np.full(2 * d + 1, 0.5 / (d + lam))
    wc = wm.copy()
    wm[0] = lam / (d + lam)
    wc[0] = wm[0] + 1.0 - alpha**2 + beta
    return X, wm, wc, ok


def ukf_predict(x: ArrayLike, P: ArrayLike, f: Callable[[NDArray], NDArray], Q: ArrayLike,
                alpha: float = 1.0, beta: float = 0.0, kappa: float = 0.0
                ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Unscented prediction through ``f`` (``(..., n, d) -> (..., n, d)``, ``dt`` bound).

    Where ``P`` is not positive definite the sigma points collapse to the mean: ``x' = f(x)``
    and ``P`` is returned unchanged (no exception for the batch).
    """
    x = np.asarray(x, dtype=np.float64)
    P = np.asarray(P, dtype=np.float64)
    X, wm, wc, ok = sigma_points(x, P, alpha, beta, kappa)
    Y = np.asarray(f(X), dtype=np.float64)
    xm = np.einsum("s,s...->...", wm, Y)
    D = Y - xm
    Pn = symmetrize(np.einsum("s,s...i,s...j->...ij", wc, D, D) + Q)
    Pn = np.where(ok[..., None, None], Pn, P)
    return xm, Pn


def ukf_update(x: ArrayLike, P: ArrayLike, z: ArrayLike, R: ArrayLike,
               h: Callable[[NDArray], NDArray],
               residual_fn: Callable[[NDArray, NDArray], NDArray] | None = None,
               alpha: float = 1.0, beta: float = 0.0, kappa: float = 0.0,
               ) -> tuple[NDArray[np.float64], NDArray[np.float64], UpdateInfo]:
    """Unscented measurement update; returns ``(x, P, info)`` like ``ekf_update``.

    ``P+ = P - K S Kᵀ`` with ``K = Pxz S⁻¹`` from Cholesky solves (symmetrised).
    """
    x = np.asarray(x, dtype=np.float64)
    P = np.asarray(P, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)
    n, d = x.shape
    X, wm, wc, okp = sigma_points(x, P, alpha, beta, kappa)
    Z = np.asarray(h(X), dtype=np.float64)  # (s, n, dz)
    res = (lambda a, b: a - b) if residual_fn is None else residual_fn
    dZ = np.asarray(res(Z, Z[0][None]))
    off = np.einsum("s,s...->...", wm, dZ)
    z_pred = Z[0] + off
    Dz = dZ - off
    Dx = X - np.einsum("s,s...->...", wm, X)
    dz = z.shape[-1]
    R = np.broadcast_to(np.asarray(R, dtype=np.float64), (n, dz, dz))
    S = symmetrize(np.einsum("s,s...i,s...j->...ij", wc, Dz, Dz) + R)
    Pxz = np.einsum("s,s...i,s...j->...ij", wc, Dx, Dz)  # (n, d, dz)
    L, ok = safe_cholesky(S)
    ok = ok & okp
    # Kᵀ = S⁻¹ Pzx = L⁻ᵀ L⁻¹ Pzx
    nu = np.asarray(res(z, z_pred))
    W = solve_lower(L, np.concatenate([np.swapaxes(Pxz, -1, -2), nu[..., None]], axis=-1))
    Kt = solve_lower(L, W[..., :-1], transpose=True)
    K = np.swapaxes(Kt, -1, -2)
    w = W[..., -1]
    nis = np.einsum("...i,...i->...", w, w)
    ll = -0.5 * nis - np.sum(np.log(np.diagonal(L, axis1=-2, axis2=-1)), -1) - 0.5 * dz * LOG_2PI
    x_new = x + np.einsum("...ij,...j->...i", K, nu)
    P_new = symmetrize(P - K @ S @ Kt)
    x_new = np.where(ok[:, None], x_new, x)
    P_new = np.where(ok[:, None, None], P_new, P)
    return x_new, P_new, UpdateInfo(z_pred, nu, S, L, np.where(ok, nis, np.nan),
                                    np.where(ok, ll, -np.inf), ok)
