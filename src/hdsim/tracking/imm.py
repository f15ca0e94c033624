"""Interacting multiple model (IMM) estimator, Gaussian, batched over tracks.

Blom & Bar-Shalom, "The interacting multiple model algorithm for systems with Markovian switching
coefficients", IEEE TAC 33(8), 1988; equations as in Bar-Shalom, Li & Kirubarajan 2001, §11.6.6:

1. mixing probabilities ``μ_{i|j} = π_ij μ_i / c̄_j``, ``c̄_j = Σ_i π_ij μ_i``;
2. mixed initial conditions ``x0_j = Σ_i μ_{i|j} x_i``,
   ``P0_j = Σ_i μ_{i|j} [P_i + (x_i - x0_j)(x_i - x0_j)ᵀ]``;
3. model-matched prediction and update (any filter of this package per model);
4. ``μ_j ∝ Λ_j c̄_j`` with ``Λ_j`` the model-matched measurement likelihood (log domain);
5. combination ``x = Σ_j μ_j x_j``, ``P = Σ_j μ_j [P_j + (x_j - x)(x_j - x)ᵀ]``.

Shapes: per-model states ``x (n, m, d)``, ``P (n, m, d, d)``, probabilities ``mu (n, m)``, Markov
transition matrix ``Pi (m, m)`` or ``(n, m, m)`` with ``Pi[i, j] = P(model j at k | model i at
k-1)``. All models share the dimension ``d``: embed smaller models with
:class:`hdsim.tracking.motion.Augmented` (zero-mean decoupled extra states).

Per-model steps are callables, built by :func:`make_predictor` / :func:`make_updater` from a motion
or measurement model and a filter name, so any mix of KF/EKF/UKF models is possible.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.tracking.kalman import (
    UpdateInfo,
    ekf_predict,
    ekf_update,
    kf_predict,
    kf_update,
    symmetrize,
)
from hdsim.tracking.ukf import ukf_predict, ukf_update

__all__ = [
    "ImmInfo",
    "imm_combine",
    "imm_mix",
    "imm_predict",
    "imm_update",
    "make_predictor",
    "make_updater",
]

Predictor = Callable[[NDArray, NDArray], tuple[NDArray, NDArray]]
Updater = Callable[[NDArray, NDArray, NDArray, NDArray], tuple[NDArray, NDArray, UpdateInfo]]


class ImmInfo(NamedTuple):
    """By-products of an IMM update.

    Attributes:
        log_likelihood: ``log Σ_j c̄_j Λ_j`` per track ``(n,)`` (for association / track scoring).
        model_log_likelihood: ``log Λ_j`` ``(n, m)``.
        model_info: the per-model :class:`~hdsim.tracking.kalman.UpdateInfo`.
    """

    log_likelihood: NDArray[np.float64]
    model_log_likelihood: NDArray[np.float64]
    model_info: tuple[UpdateInfo, ...]


def make_predictor(model, dt: ArrayLike, method: str = "ekf") -> Predictor:
    """``(x, P) -> (x, P)`` predicting with ``model`` over ``dt (n,)`` by ``"kf"``, ``"ekf"``,
    or ``"ukf"`` (``"kf"`` needs ``model.F``)."""
    Q = model.Q(dt)
    if method == "kf":
        F = model.F(dt)
        return lambda x, P: kf_predict(x, P, F, Q)
    if method == "ekf":
        return lambda x, P: ekf_predict(x, P, lambda s: model.f(s, dt),
                                        lambda s: model.jacobian(s, dt), Q)
    if method == "ukf":
        return lambda x, P: ukf_predict(x, P, lambda s: model.f(s, dt), Q)
    raise ValueError(f"method = {method!r}: allowed 'kf', 'ekf', 'ukf'")


def make_updater(meas, method: str = "ekf") -> Updater:
    """``(x, P, z, R) -> (x, P, info)`` for a measurement model (``h``, ``jacobian``,
    ``residual``) by ``"kf"`` (needs ``meas.H``), ``"ekf"`` or ``"ukf"``."""
    if method == "kf":
        return lambda x, P, z, R: kf_update(x, P, z, R, meas.H)
    if method == "ekf":
        return lambda x, P, z, R: ekf_update(x, P, z, R, meas.h, meas.jacobian, meas.residual)
    if method == "ukf":
        return lambda x, P, z, R: ukf_update(x, P, z, R, meas.h, meas.residual)
    raise ValueError(f"method = {method!r}: allowed 'kf', 'ekf', 'ukf'")


def _spread(x: NDArray, P: NDArray, w: NDArray, xm: NDArray) -> NDArray:
    """``Σ_i w_i [P_i + (x_i - xm)(x_i - xm)ᵀ]`` with ``w (..., i)``, ``x (..., i, d)``."""
    D = x - xm[..., None, :]
    return np.einsum("...i,...ikl->...kl", w, P) + np.einsum("...i,...ik,...il->...kl", w, D, D)


def imm_mix(x: ArrayLike, P: ArrayLike, mu: ArrayLike, Pi: ArrayLike
            ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """IMM interaction step. Returns mixed ``(x0 (n,m,d), P0 (n,m,d,d), c̄ (n,m))``."""
    x = np.asarray(x, dtype=np.float64)
    P = np.asarray(P, dtype=np.float64)
    mu = np.asarray(mu, dtype=np.float64)
    Pi = np.broadcast_to(np.asarray(Pi, dtype=np.float64), mu.shape[:-1] + (mu.shape[-1],) * 2)
    joint = Pi * mu[..., :, None]  # (n, i, j)
    cbar = joint.sum(axis=-2)  # (n, j)
    w = joint / np.where(cbar > 0, cbar, 1.0)[..., None, :]  # μ_{i|j}
    # A model with no probability mass entering it (c̄_j = 0, e.g. Π = I over dt = 0 and
    # μ_j = 0) keeps its own estimate instead of a mixture with zero weights.
    dead = cbar <= 0
    if dead.any():
        m = mu.shape[-1]
        w = np.where(dead[..., None, :], np.eye(m), w)
    x0 = np.einsum("nij,nid->njd", w, x)
    D = x[:, None, :, :] - x0[:, :, None, :]  # (n, j, i, d)
    wj = np.swapaxes(w, -1, -2)  # (n, j, i)
    P0 = np.einsum("nji,nikl->njkl", wj, P) + np.einsum("nji,njik,njil->njkl", wj, D, D)
    return x0, symmetrize(P0), cbar


def imm_predict(x: ArrayLike, P: ArrayLike, mu: ArrayLike, Pi: ArrayLike,
                predictors: Sequence[Predictor]
                ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Mixing plus model-matched prediction.

    Returns ``(x_pred (n,m,d), P_pred (n,m,d,d), mu_pred (n,m))``, ``mu_pred = c̄`` being the
    predicted model probabilities.
    """
    x0, P0, cbar = imm_mix(x, P, mu, Pi)
    xs, Ps = zip(*(pred(x0[:, j], P0[:, j]) for j, pred in enumerate(predictors)), strict=True)
    return np.stack(xs, axis=1), np.stack(Ps, axis=1), cbar


def log_sum_exp_rows(a: NDArray[np.float64]) -> NDArray[np.float64]:
    """``log Σ_j exp(a[..., j])`` over the last axis, stable (shifted by the row maximum);
    ``−inf`` for a row of ``−inf``.  The same value as ``scipy.special.logsumexp(a, axis=-1)``
    (to rounding; tested) without its per-call cost on the tracker's (tracks × 3) arrays."""
    top = np.max(a, axis=-1)
    shift = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(divide="ignore"):
        return shift + np.log(np.sum(np.exp(a - shift[..., None]), axis=-1))


def imm_update(x: ArrayLike, P: ArrayLike, mu: ArrayLike, z: ArrayLike, R: ArrayLike,
               updaters: Sequence[Updater]
               ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], ImmInfo]:
    """Model-matched updates and the model probability update (log domain).

    Args:
        x, P, mu: predicted ``(n,m,d)``, ``(n,m,d,d)``, ``(n,m)`` from :func:`imm_predict`.
        z, R: measurement ``(n, dz)`` and its covariance.
        updaters: one per model (from :func:`make_updater`).

    Returns:
        ``(x (n,m,d), P (n,m,d,d), mu (n,m), info)``. Tracks where every model failed keep their
        predicted probabilities.
    """
    x = np.asarray(x, dtype=np.float64)
    P = np.asarray(P, dtype=np.float64)
    mu = np.asarray(mu, dtype=np.float64)
    n, m = mu.shape
    if all(u is updaters[0] for u in updaters):
        # one measurement model for every model (the tracker's case): one stacked call over
        # the (track, model) pairs instead of m calls
        z = np.asarray(z, dtype=np.float64)
        R = np.asarray(R, dtype=np.float64)
        Rm = np.repeat(R, m, axis=0) if R.ndim == 3 else R
        xf, Pf, inf = updaters[0](x.reshape(n * m, *x.shape[2:]), P.reshape(n * m, *P.shape[2:]),
                                  np.repeat(z, m, axis=0), Rm)
        xs, Ps = xf.reshape(x.shape), Pf.reshape(P.shape)
        per = [np.asarray(v).reshape(n, m, *np.shape(v)[1:]) for v in inf]
        outs = [(None, None, type(inf)(*(v[:, j] for v in per))) for j in range(m)]
        ll = per[inf._fields.index("log_likelihood")]  # (n, m)
    else:
        outs = [upd(x[:, j], P[:, j], z, R) for j, upd in enumerate(updaters)]
        xs = np.stack([o[0] for o in outs], axis=1)
        Ps = np.stack([o[1] for o in outs], axis=1)
        ll = np.stack([o[2].log_likelihood for o in outs], axis=1)  # (n, m)
    with np.errstate(divide="ignore"):
        logw = np.log(mu) + ll
    total = log_sum_exp_rows(logw)
    finite = np.isfinite(total)
    mu_new = np.where(finite[:, None], np.exp(logw - np.where(finite, total, 0.0)[:, None]), mu)
    return xs, Ps, mu_new, ImmInfo(total, ll, tuple(o[2] for o in outs))


def imm_combine(x: ArrayLike, P: ArrayLike, mu: ArrayLike
                ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Moment-matched combined estimate ``(x (n,d), P (n,d,d))``."""
    x = np.asarray(x, dtype=np.float64)
    P = np.asarray(P, dtype=np.float64)
    mu = np.asarray(mu, dtype=np.float64)
    xm = np.einsum("nj,njd->nd", mu, x)
    return xm, symmetrize(_spread(x, P, mu, xm))
