"""Filter bank of the tracker: one code path for single-model filters (m = 1) and the IMM.

A :class:`FilterBank` holds no tracks: it maps batched per-model states ``x (n, m, d)``,
covariances ``P (n, m, d, d)`` and model probabilities ``mu (n, m)`` through prediction,
combination and update (EKF, UKF or IMM of :mod:`hdsim.tracking.imm`). Models of different
state sizes are embedded in the largest with :class:`~hdsim.tracking.motion.Augmented`.

IMM model switching is a continuous-time Markov chain: leave model ``i`` at rate ``1/T_i``
(mean sojourn ``T_i``, s) to the other models in equal shares; its generator ``Λ`` gives the
Markov matrix ``Π(dt) = exp(Λ |dt|)`` over each track's own prediction interval, so the
switching does not depend on how many sensor scans fall in a second (Bar-Shalom, Li &
Kirubarajan, *Estimation with Applications to Tracking and Navigation*, 2001, ch. 11, give the
discrete rule ``π_ii = 1 - T/τ_i``, its first-order form).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import expm

from hdsim.tracking.config import TrackerConfig
from hdsim.tracking.imm import imm_combine, imm_predict, imm_update, make_predictor, make_updater
from hdsim.tracking.kalman import symmetrize
from hdsim.tracking.motion import (
    Augmented,
    HypersonicEcef,
    NearlyConstantAcceleration,
    NearlyConstantVelocity,
    Singer,
)
from hdsim.tracking.ukf import sigma_points

__all__ = ["FilterBank", "measurement_moments", "motion_model", "switching_generator",
           "transition_matrices"]


def motion_model(name: str, cfg: TrackerConfig):
    """The motion model ``name`` (:data:`hdsim.tracking.config.ModelName`) with the noise
    parameters of ``cfg``."""
    if name == "maneuver":
        return Singer(cfg.maneuver_tau_s, cfg.maneuver_sigma_mps2)
    if name == "ncv":
        return NearlyConstantVelocity(cfg.q_ncv_m2ps3)
    if name == "nca":
        return NearlyConstantAcceleration(cfg.q_nca_m2ps5)
    if name == "singer":
        return Singer(cfg.singer_tau_s, cfg.singer_sigma_mps2)
    return HypersonicEcef(cfg.hypersonic_q_m2ps5, cfg.hypersonic_tau_s)


def switching_generator(sojourn_s: tuple[float, ...]) -> NDArray[np.float64]:
    """Generator ``Λ (m, m)`` (1/s) of the continuous-time model-switching chain: leave model
    ``i`` at rate ``1/T_i`` (mean sojourn ``T_i``, s) to the other models in equal shares."""
    m = len(sojourn_s)
    rate = 1.0 / np.asarray(sojourn_s, dtype=np.float64)
    lam = np.repeat((rate / (m - 1))[:, None], m, axis=1)
    np.fill_diagonal(lam, -rate)
    return lam


def transition_matrices(generator: NDArray, dt: NDArray) -> NDArray[np.float64]:
    """Markov matrices ``Π(dt) = exp(Λ |dt|)`` ``(n, m, m)`` over each track's own interval
    ``dt (n,)``, s: switching is a property of time, not of how many sensor scans fall in it
    (several scans at one instant mix nothing)."""
    Pi = np.maximum(expm(generator[None] * np.abs(np.asarray(dt, np.float64))[:, None, None]),
                    0.0)  # round-off can leave -1e-17
    return Pi / Pi.sum(axis=-1, keepdims=True)


class FilterBank:
    """Per-model states ``x (n, m, d)``, ``P (n, m, d, d)``, probabilities ``mu (n, m)``.

    Attributes:
        names: model names (``cfg.imm_models`` for the IMM, ``(cfg.motion,)`` otherwise).
        method: per-model filter, ``"ekf"`` or ``"ukf"``.
        models: the motion models, all of state size ``d``.
        m, d: number of models and state size.
        Pi: fixed per-scan Markov matrix ``(m, m)`` (``imm_stay_probability``) or None.
        generator: switching generator ``Λ`` (1/s) when ``Pi`` is None and ``m > 1``.
    """

    def __init__(self, cfg: TrackerConfig) -> None:
        names = cfg.imm_models if cfg.filter == "imm" else (cfg.motion,)
        self.method = cfg.imm_filter if cfg.filter == "imm" else cfg.filter
        base = [motion_model(n, cfg) for n in names]
        self.d = max(b.dim for b in base)
        self.models = [b if b.dim == self.d else Augmented(b, self.d, cfg.accel_sigma_mps2**2)
                       for b in base]
        self.names = tuple(names)
        self.m = len(self.models)
        self.Pi = None
        self.generator = None
        if cfg.imm_stay_probability is not None:  # per-scan Markov matrix
            stay = cfg.imm_stay_probability
            self.Pi = np.full((self.m, self.m), (1.0 - stay) / max(self.m - 1, 1))
            np.fill_diagonal(self.Pi, stay if self.m > 1 else 1.0)
        elif self.m > 1:
            self.generator = switching_generator(cfg.imm_sojourn(names))
        self.accel_var = cfg.accel_sigma_mps2**2

    def init(self, x6: NDArray, P6: NDArray) -> tuple[NDArray, NDArray, NDArray]:
        """Bank states of new tracks from 6-state ECEF estimates ``x6 (n, 6)``, ``P6 (n, 6, 6)``
        (acceleration states zero with variance ``accel_sigma_mps2²``, equal probabilities)."""
        n = x6.shape[0]
        x = np.zeros((n, self.d))
        x[:, :6] = x6
        P = np.zeros((n, self.d, self.d))
        P[:, :6, :6] = P6
        extra = np.arange(6, self.d)
        P[:, extra, extra] = self.accel_var
        mu = np.full((n, self.m), 1.0 / self.m)
        return (np.repeat(x[:, None], self.m, axis=1), np.repeat(P[:, None], self.m, axis=1), mu)

    def predict(self, x, P, mu, dt):
        """Predict every track over its own ``dt (n,)``, s (negative: backwards)."""
        if x.shape[0] == 0:
            return x, P, mu
        if self.m == 1:
            xp, Pp = make_predictor(self.models[0], dt, self.method)(x[:, 0], P[:, 0])
            return xp[:, None], Pp[:, None], mu
        preds = [make_predictor(mod, dt, self.method) for mod in self.models]
        Pi = self.Pi if self.Pi is not None else transition_matrices(self.generator, dt)
        return imm_predict(x, P, mu, Pi, preds)

    def combine(self, x, P, mu):
        """Moment-matched estimate ``(n, d)``, ``(n, d, d)`` of each track."""
        if self.m == 1:
            return x[:, 0], P[:, 0]
        return imm_combine(x, P, mu)

    def update(self, x, P, mu, z, R, meas):
        """Update every track with its report ``z (n, dz)``, noise ``R (n, dz, dz)``."""
        upd = make_updater(meas, self.method)
        if self.m == 1:
            xn, Pn, _ = upd(x[:, 0], P[:, 0], z, R)
            return xn[:, None], Pn[:, None], mu
        xs, Ps, mun, _ = imm_update(x, P, mu, z, R, [upd] * self.m)
        return xs, Ps, mun


def measurement_moments(xc: NDArray, Pc: NDArray, meas, unscented: bool):
    """Predicted measurement ``ẑ (n, dz)`` and ``H P Hᵀ (n, dz, dz)`` of states ``xc (n, d)``,
    ``Pc (n, d, d)``: first order (Jacobian) or by the unscented transform."""
    if not unscented:
        H = meas.jacobian(xc)
        return meas.h(xc), symmetrize(H @ Pc @ np.swapaxes(H, -1, -2))
    X, wm, wc, _ = sigma_points(xc, Pc)
    Zs = meas.h(X)
    dZ = meas.residual(Zs, Zs[0][None])
    off = np.einsum("s,s...->...", wm, dZ)
    D = dZ - off
    return Zs[0] + off, symmetrize(np.einsum("s,s...i,s...j->...ij", wc, D, D))
