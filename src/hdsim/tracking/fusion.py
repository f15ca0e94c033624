"""Track-to-track fusion by covariance intersection (CI), batched.

Covariance intersection (Julier & Uhlmann, "A non-divergent estimation algorithm in the presence
of unknown correlations", Proc. American Control Conference 1997) fuses two estimates whose
cross-correlation is unknown:

    P⁻¹ = ω Pa⁻¹ + (1 - ω) Pb⁻¹,      P⁻¹ x = ω Pa⁻¹ xa + (1 - ω) Pb⁻¹ xb,     ω ∈ [0, 1].

For every ω the result is *consistent*: if ``Pa`` and ``Pb`` bound the errors' covariances,
``P`` bounds the fused error covariance whatever the correlation. ω is chosen to minimise
``tr P``; ``tr (X⁻¹)`` is convex on positive-definite matrices and ``P⁻¹`` is affine in ω, so the
objective is convex and a golden-section search (vectorised over the batch) finds it. In 1D the
minimum is at an end point: CI returns the better of the two estimates.

Inverses are never formed explicitly: information matrices come from Cholesky solves.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.tracking.association import gnn_assign
from hdsim.tracking.gating import chi2_gate
from hdsim.tracking.kalman import safe_cholesky, solve_lower, symmetrize

__all__ = ["covariance_intersection", "fuse_track_lists"]

_GOLD = (np.sqrt(5.0) - 1.0) / 2.0


def _spd_inverse(P: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    L, ok = safe_cholesky(P)
    eye = np.broadcast_to(np.eye(P.shape[-1]), P.shape)
    return symmetrize(solve_lower(L, solve_lower(L, eye), transpose=True)), ok


def _ci(Ia, Ib, ya, yb, w):  # noqa: N803
    info = w[..., None, None] * Ia + (1.0 - w)[..., None, None] * Ib
    P, ok = _spd_inverse(info)
    y = w[..., None] * ya + (1.0 - w)[..., None] * yb
    return np.einsum("...ij,...j->...i", P, y), P, ok


def covariance_intersection(xa: ArrayLike, Pa: ArrayLike, xb: ArrayLike, Pb: ArrayLike,  # noqa: N803
                            omega: ArrayLike | None = None, n_iter: int = 60
                            ) -> tuple[NDArray[np.float64], NDArray[np.float64],
                                       NDArray[np.float64]]:
    """Covariance intersection of two estimates, batched over the leading axes.

    Args:
        xa, xb: ``(..., d)`` estimates.
        Pa, Pb: ``(..., d, d)`` their covariances (positive definite).
        omega: fixed weight(s) in ``[0, 1]``; default: the trace-minimising ω (golden-section
            search with ``n_iter`` iterations, interval shrinks by 0.618 per step).

    Returns:
        ``(x (..., d), P (..., d, d), omega (...))``.
    """
    xa, xb = np.asarray(xa, dtype=np.float64), np.asarray(xb, dtype=np.float64)
    Pa, Pb = np.asarray(Pa, dtype=np.float64), np.asarray(Pb, dtype=np.float64)
    Ia, _ = _spd_inverse(Pa)
    Ib, _ = _spd_inverse(Pb)
    ya = np.einsum("...ij,...j->...i", Ia, xa)
    yb = np.einsum("...ij,...j->...i", Ib, xb)
    batch = np.broadcast_shapes(xa.shape[:-1], xb.shape[:-1])
    if omega is not None:
        w = np.broadcast_to(np.asarray(omega, dtype=np.float64), batch)
    else:
        def tr(wv):
            return np.trace(_ci(Ia, Ib, ya, yb, wv)[1], axis1=-2, axis2=-1)

        lo, hi = np.zeros(batch), np.ones(batch)
        c, d = hi - _GOLD * (hi - lo), lo + _GOLD * (hi - lo)
        fc, fd = tr(c), tr(d)
        for _ in range(n_iter):
            left = fc < fd
            hi = np.where(left, d, hi)
            lo = np.where(left, lo, c)
            c_new = np.where(left, hi - _GOLD * (hi - lo), d)
            d_new = np.where(left, c, lo + _GOLD * (hi - lo))
            c, d = c_new, d_new
            fc, fd = tr(c), tr(d)
        w = 0.5 * (lo + hi)
        # the minimum of a convex function on [0, 1] may sit at an end point
        cand = np.stack([np.zeros(batch), w, np.ones(batch)])
        vals = np.stack([tr(cand[0]), tr(cand[1]), tr(cand[2])])
        w = np.take_along_axis(cand, np.argmin(vals, axis=0)[None], axis=0)[0]
    x, P, _ = _ci(Ia, Ib, ya, yb, w)
    return x, P, w


def fuse_track_lists(xa: ArrayLike, Pa: ArrayLike, xb: ArrayLike, Pb: ArrayLike,  # noqa: N803
                     gate_probability: float = 0.999
                     ) -> tuple[NDArray[np.intp], NDArray[np.intp], NDArray[np.float64],
                                NDArray[np.float64]]:
    """Track-to-track association (GNN, gated) and CI fusion of two track lists (same time).

    The association statistic is ``Δᵀ (Pa + Pb)⁻¹ Δ`` (χ² with ``d`` dof; cross-covariance
    neglected, Bar-Shalom & Li 1995 ch. 8), gated at ``P_G``.

    Args:
        xa, Pa: ``(na, d)``, ``(na, d, d)`` tracks of system A; ``xb, Pb`` those of system B.

    Returns:
        ``(ia, ib, x, P)``: the matched index pairs ``(m,)`` and their fused states ``(m, d)``
        and covariances ``(m, d, d)``.
    """
    xa, xb = np.asarray(xa, dtype=np.float64), np.asarray(xb, dtype=np.float64)
    Pa, Pb = np.asarray(Pa, dtype=np.float64), np.asarray(Pb, dtype=np.float64)
    na, nb, d = xa.shape[0], xb.shape[0], xa.shape[-1]
    D = xa[:, None, :] - xb[None, :, :]
    L, ok = safe_cholesky(Pa[:, None] + Pb[None, :])
    w = solve_lower(L, D[..., None])[..., 0]
    d2 = np.where(ok, np.einsum("abi,abi->ab", w, w), np.inf)
    gamma = chi2_gate(gate_probability, d)
    i, j = np.nonzero(d2 <= gamma)
    match = gnn_assign(i, j, d2[i, j], na, nb, gamma)
    ia = np.flatnonzero(match >= 0)
    ib = match[ia]
    x, P, _ = covariance_intersection(xa[ia], Pa[ia], xb[ib], Pb[ib])
    return ia, ib, x, P
