"""Data association: chi-square gating of track-detection pairs, GNN and JPDA.

Gating
    :func:`gate_dense` computes the full tracks × detections squared Mahalanobis matrix with
    :func:`hdsim.tracking.gating.mahalanobis_matrix` (one innovation covariance per pair, since the
    detections carry their own noise). :func:`gate_sparse` returns the same gated pairs without
    forming the matrix: a pair can only pass the gate ``d² ≤ γ`` if every component passes its
    marginal test ``ν_j² ≤ γ S_jj`` (``d² ≥ ν_j²/S_jj`` for any positive-definite ``S``), so the
    detections are sorted on component 0 (range for a radar, ``u`` for an IR sensor) and each
    track's candidates are found by a binary search (``np.searchsorted``), then thinned on
    component 1 and tested exactly. This is ``O((n + k) log k + pairs)`` instead of ``O(n k)``
    and gives identical pairs (tested against :func:`gate_dense`).

Global nearest neighbour (GNN)
    Minimises ``Σ_assigned d²_ik + γ · (number of unassigned tracks)`` over one-to-one
    assignments of gated pairs (the 2D assignment with a non-assignment cost, Blackman & Popoli,
    *Design and Analysis of Modern Tracking Systems*, 1999, §6.5). The gated bipartite graph is
    split into connected components (``scipy.sparse.csgraph.connected_components``); components
    with a single gated pair are assigned directly (vectorised), the others are solved by
    ``scipy.optimize.linear_sum_assignment`` on ``[C | diag(γ)]``, one component at a time.

Joint probabilistic data association (JPDA)
    Parametric JPDA of Bar-Shalom & Li (*Multitarget-Multisensor Tracking: Principles and
    Techniques*, 1995, §9.3; Bar-Shalom, Daum & Huang, IEEE Control Systems 29(6), 2009, eq. 40):
    the probability of a joint event ``θ`` (each detection from at most one track, each track
    with at most one detection, gated pairs only) is

        P{θ | Z} ∝ Π_{(t,j) ∈ θ} P_D N_tj / λ  ·  Π_{t missed} (1 - P_D)

    with ``N_tj = N(ν_tj; 0, S_tj)`` and ``λ`` the clutter density (false alarms per unit
    measurement volume). ``β_tj = Σ_{θ ∋ (t,j)} P{θ}``, ``β_t0 = 1 - Σ_j β_tj``. (To account for the
    gate probability ``P_G`` pass ``pd = P_D P_G``.) Clusters are the connected components of the
    gate graph. A cluster with one track is exactly the PDA of that track (computed vectorised);
    clusters with several tracks are enumerated exactly when the number of joint events
    ``Π_t (1 + m_t)`` is at most ``max_hypotheses``; beyond it the cluster falls back to the
    "cheap JPDA" of Fitzgerald (1985; Blackman & Popoli 1999 §6.6.4):
    ``β_tj = G_tj / (S^t_t + S^r_j - G_tj + B)`` with ``G_tj = P_D N_tj / λ``, ``S^t`` and ``S^r``
    the track and detection sums of ``G`` and ``B = 1 - P_D``, which is exact for one track.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.special import logsumexp

from hdsim.tracking.gating import chi2_gate, mahalanobis_matrix
from hdsim.tracking.kalman import LOG_2PI, safe_cholesky, solve_lower, symmetrize

__all__ = [
    "GatedPairs",
    "JpdaWeights",
    "candidate_pairs",
    "clusters",
    "gate_any_model",
    "gate_dense",
    "gate_sparse",
    "gnn_assign",
    "gnn_assign_dense",
    "jpda_update",
    "jpda_weights",
]

Residual = Callable[[NDArray, NDArray], NDArray]


class GatedPairs(NamedTuple):
    """Track-detection pairs inside the gate (sparse form of the gate matrix).

    Attributes:
        track: ``(p,)`` track index of each pair.
        det: ``(p,)`` detection index.
        d2: ``(p,)`` squared Mahalanobis distance ``νᵀ S⁻¹ ν``.
        log_likelihood: ``(p,)`` ``log N(ν; 0, S)``.
        innovation: ``(p, dz)`` ``ν = z - ẑ`` (angles wrapped).
    """

    track: NDArray[np.intp]
    det: NDArray[np.intp]
    d2: NDArray[np.float64]
    log_likelihood: NDArray[np.float64]
    innovation: NDArray[np.float64]


def _r_matrix(R: ArrayLike, k: int, dz: int) -> NDArray[np.float64]:
    """Per-detection covariance ``(k, dz, dz)`` from ``(k, dz)`` variances or full matrices."""
    R = np.asarray(R, dtype=np.float64)
    if R.ndim == 2:
        out = np.zeros((k, dz, dz))
        out[:, np.arange(dz), np.arange(dz)] = R
        return out
    return np.broadcast_to(R, (k, dz, dz))


def gate_dense(z_pred: ArrayLike, HPHt: ArrayLike, Z: ArrayLike, R: ArrayLike,  # noqa: N803
               probability: float, residual_fn: Residual | None = None
               ) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Full ``(n, k)`` squared-Mahalanobis matrix and gate mask (reference implementation).

    Args:
        z_pred: predicted measurements ``(n, dz)``.
        HPHt: predicted measurement covariances without noise ``H P Hᵀ`` ``(n, dz, dz)``.
        Z: detections ``(k, dz)``.
        R: detection noise, variances ``(k, dz)`` or covariances ``(k, dz, dz)``.
        probability: gate probability ``P_G``.
        residual_fn: angle-wrapping residual (default subtraction).
    """
    zp = np.asarray(z_pred, dtype=np.float64)
    Z = np.asarray(Z, dtype=np.float64)
    n, dz = zp.shape
    Rm = _r_matrix(R, Z.shape[0], dz)
    S = symmetrize(np.asarray(HPHt, dtype=np.float64)[:, None] + Rm[None])
    d2 = mahalanobis_matrix(zp, S, Z, residual_fn)
    return d2, d2 <= chi2_gate(probability, dz)


def candidate_pairs(center: ArrayLike, half_width: ArrayLike, values: ArrayLike
                    ) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """All ``(i, k)`` with ``|values[k] - center[i]| ≤ half_width[i]`` by sort + binary search.

    Returns ``(i, k)`` index arrays, grouped by ``i``. Cost ``O((n + k) log k + pairs)``.
    """
    c = np.asarray(center, dtype=np.float64)
    w = np.asarray(half_width, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    order = np.argsort(v, kind="stable")
    vs = v[order]
    lo = np.searchsorted(vs, c - w, side="left")
    hi = np.searchsorted(vs, c + w, side="right")
    cnt = np.maximum(hi - lo, 0)
    total = int(cnt.sum())
    ti = np.repeat(np.arange(c.shape[0]), cnt)
    first = np.cumsum(cnt) - cnt
    pos = np.repeat(lo - first, cnt) + np.arange(total)
    return ti, order[pos]


def gate_sparse(z_pred: ArrayLike, HPHt: ArrayLike, Z: ArrayLike, R: ArrayLike,  # noqa: N803
                probability: float, residual_fn: Residual | None = None,
                wrap_component1: bool = False) -> GatedPairs:
    """Gated pairs without the full matrix (see the module docstring); same arguments as
    :func:`gate_dense`.

    ``wrap_component1``: component 1 is an angle (radar azimuth) whose residual wraps; its
    marginal prefilter then uses the wrapped difference.
    """
    zp = np.asarray(z_pred, dtype=np.float64)
    Z = np.asarray(Z, dtype=np.float64)
    HPHt = np.asarray(HPHt, dtype=np.float64)
    n, dz = zp.shape
    k = Z.shape[0]
    empty = GatedPairs(np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros(0), np.zeros(0),
                       np.zeros((0, dz)))
    if n == 0 or k == 0:
        return empty
    Rm = _r_matrix(R, k, dz)
    gamma = chi2_gate(probability, dz)
    r_diag = np.diagonal(Rm, axis1=-2, axis2=-1)
    r_max = r_diag.max(axis=0)
    hph_diag = np.diagonal(HPHt, axis1=-2, axis2=-1)
    w0 = np.sqrt(gamma * (hph_diag[:, 0] + r_max[0]))
    ti, di = candidate_pairs(zp[:, 0], w0, Z[:, 0])
    if dz > 1 and ti.size:
        d1 = Z[di, 1] - zp[ti, 1]
        if wrap_component1:
            d1 = np.pi - np.mod(np.pi - d1, 2.0 * np.pi)
        keep = d1 * d1 <= gamma * (hph_diag[ti, 1] + r_max[1])
        ti, di = ti[keep], di[keep]
    if ti.size == 0:
        return empty
    a, b = Z[di], zp[ti]
    nu = a - b if residual_fn is None else np.asarray(residual_fn(a, b))
    S = symmetrize(HPHt[ti] + Rm[di])
    L, ok = safe_cholesky(S)
    w = solve_lower(L, nu[..., None])[..., 0]
    d2 = np.where(ok, np.einsum("pi,pi->p", w, w), np.inf)
    keep = d2 <= gamma
    logdet_half = np.sum(np.log(np.diagonal(L, axis1=-2, axis2=-1)), axis=-1)
    ll = -0.5 * d2 - logdet_half - 0.5 * dz * LOG_2PI
    return GatedPairs(ti[keep], di[keep], d2[keep], ll[keep], nu[keep])


def gate_any_model(z_pred: ArrayLike, HPHt: ArrayLike, n_models: int, Z: ArrayLike,  # noqa: N803
                   R: ArrayLike, probability: float, residual_fn: Residual | None = None,
                   wrap_component1: bool = False) -> GatedPairs:
    """IMM gate: a report is in a track's gate when it is inside the gate of *any* of the
    track's models.

    ``z_pred (n·m, dz)`` and ``HPHt (n·m, dz, dz)`` are the predicted measurements of the
    ``m = n_models`` models of ``n`` tracks, track-major (rows ``t·m … t·m + m - 1`` are track
    ``t``); the other arguments are those of :func:`gate_sparse`. Each gated (track, report)
    pair appears once with the values of its model of smallest ``d2`` (the GNN cost).

    Bar-Shalom, Willett & Tian, *Tracking and Data Fusion* (2011), gate an IMM with the model
    of largest innovation covariance; the union is the same idea without choosing one. Gating
    on the mixture's moments alone loses a target at the onset of a hard maneuver: the
    maneuver model that predicts the report carries little probability before the report
    arrives, so the combined covariance is too small.
    """
    pm = gate_sparse(z_pred, HPHt, Z, R, probability, residual_fn, wrap_component1)
    if pm.track.size == 0:
        return pm
    track = pm.track // n_models
    o = np.lexsort((pm.d2, pm.det, track))
    first = np.r_[True, (track[o][1:] != track[o][:-1]) | (pm.det[o][1:] != pm.det[o][:-1])]
    k = o[first]
    return GatedPairs(track[k], pm.det[k], pm.d2[k], pm.log_likelihood[k], pm.innovation[k])


def clusters(track: ArrayLike, det: ArrayLike, n_tracks: int, n_dets: int
             ) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Connected components of the bipartite gate graph.

    Returns ``(track_label (n_tracks,), det_label (n_dets,))``; tracks and detections sharing a
    label are linked by a chain of gated pairs.
    """
    t = np.asarray(track, dtype=np.intp)
    d = np.asarray(det, dtype=np.intp)
    n = n_tracks + n_dets
    g = coo_matrix((np.ones(t.size), (t, n_tracks + d)), shape=(n, n))
    _, lab = connected_components(g, directed=False)
    return lab[:n_tracks], lab[n_tracks:]


def gnn_assign(track: ArrayLike, det: ArrayLike, cost: ArrayLike, n_tracks: int, n_dets: int,
               miss_cost: float | ArrayLike) -> NDArray[np.intp]:
    """Global nearest neighbour on gated pairs.

    Minimises ``Σ_assigned cost + Σ_unassigned-tracks miss_cost`` (pairs with ``cost >
    miss_cost`` never win). Returns ``det_of_track (n_tracks,)``, −1 where unassigned.

    Args:
        track, det, cost: the gated pairs ``(p,)`` (e.g. from :func:`gate_sparse`, cost ``d²``).
        n_tracks, n_dets: problem size.
        miss_cost: cost of leaving a track unassigned (scalar or ``(n_tracks,)``), e.g. the gate
            threshold ``γ``.
    """
    t = np.asarray(track, dtype=np.intp)
    d = np.asarray(det, dtype=np.intp)
    c = np.asarray(cost, dtype=np.float64)
    miss = np.broadcast_to(np.asarray(miss_cost, dtype=np.float64), (n_tracks,))
    out = np.full(n_tracks, -1, dtype=np.intp)
    if t.size == 0:
        return out
    # isolated pairs (track and detection each in exactly one pair) need no assignment solver
    single = (np.bincount(t, minlength=n_tracks)[t] == 1) & (np.bincount(d, minlength=n_dets)[d]
                                                              == 1)
    win = single & (c < miss[t])
    out[t[win]] = d[win]
    rest = np.flatnonzero(~single)
    if rest.size:
        tl, _ = clusters(t[rest], d[rest], n_tracks, n_dets)
        comp = np.full(t.size, -1, dtype=np.intp)
        comp[rest] = tl[t[rest]]
        order = rest[np.argsort(comp[rest], kind="stable")]
        cs = comp[order]
        splits = np.flatnonzero(np.diff(cs)) + 1
        for grp in np.split(order, splits):
            ut, lt = np.unique(t[grp], return_inverse=True)
            ud, ld = np.unique(d[grp], return_inverse=True)
            nt, nd = ut.size, ud.size
            C = np.full((nt, nd + nt), np.inf)
            C[lt, ld] = c[grp]
            C[np.arange(nt), nd + np.arange(nt)] = miss[ut]
            rows, cols = linear_sum_assignment(C)
            real = cols < nd
            out[ut[rows[real]]] = ud[cols[real]]
    return out


def gnn_assign_dense(cost: ArrayLike, gated: ArrayLike, miss_cost: float | ArrayLike
                     ) -> NDArray[np.intp]:
    """:func:`gnn_assign` on a dense ``(n, k)`` cost matrix with gate mask ``(n, k)``."""
    C = np.asarray(cost, dtype=np.float64)
    G = np.asarray(gated, dtype=bool)
    t, d = np.nonzero(G)
    return gnn_assign(t, d, C[t, d], C.shape[0], C.shape[1], miss_cost)


class JpdaWeights(NamedTuple):
    """JPDA association probabilities.

    Attributes:
        beta: ``(p,)`` ``β_tj`` of each gated pair.
        beta0: ``(n_tracks,)`` probability that the track has no detection.
        exact: ``(n_tracks,)`` bool, True where the probabilities are exact (PDA for a
            one-track cluster, or full enumeration), False where cheap JPDA was used.
    """

    beta: NDArray[np.float64]
    beta0: NDArray[np.float64]
    exact: NDArray[np.bool_]


def _enumerate_cluster(lt: NDArray, ld: NDArray, logg: NDArray, nt: int, log_miss: float
                       ) -> tuple[NDArray, NDArray]:
    """Exact JPDA for one cluster: all feasible joint events, vectorised over events."""
    events = np.full((1, nt), -1, dtype=np.intp)
    logw = np.zeros(1)
    for t in range(nt):
        sel = np.flatnonzero(lt == t)
        ev_parts = [events]
        lw_parts = [logw + log_miss]
        for p in sel:
            free = ~np.any(events[:, :t] == ld[p], axis=1)
            e = events[free].copy()
            e[:, t] = ld[p]
            ev_parts.append(e)
            lw_parts.append(logw[free] + logg[p])
        events = np.concatenate(ev_parts)
        logw = np.concatenate(lw_parts)
    w = np.exp(logw - logsumexp(logw))
    beta = np.array([w[events[:, lt[p]] == ld[p]].sum() for p in range(lt.size)])
    beta0 = np.array([w[events[:, t] == -1].sum() for t in range(nt)])
    return beta, beta0


def jpda_weights(track: ArrayLike, det: ArrayLike, log_likelihood: ArrayLike, n_tracks: int,
                 n_dets: int, pd: float, clutter_density: float, max_hypotheses: int = 2000
                 ) -> JpdaWeights:
    """JPDA probabilities ``β`` for gated pairs (see the module docstring for the formulas).

    Args:
        track, det: gated pairs ``(p,)``.
        log_likelihood: ``log N(ν_tj; 0, S_tj)`` of each pair ``(p,)``.
        n_tracks, n_dets: problem size.
        pd: detection probability (times the gate probability if the gate is to be accounted).
        clutter_density: false alarms per unit measurement volume ``λ`` (> 0).
        max_hypotheses: largest number of joint events enumerated per cluster; larger clusters
            use cheap JPDA.
    """
    if not 0.0 < pd < 1.0:
        raise ValueError(f"pd = {pd!r}: must be in (0, 1)")
    if not clutter_density > 0.0:
        raise ValueError(f"clutter_density = {clutter_density!r}: must be > 0")
    t = np.asarray(track, dtype=np.intp)
    d = np.asarray(det, dtype=np.intp)
    logg = np.log(pd) + np.asarray(log_likelihood, dtype=np.float64) - np.log(clutter_density)
    log_miss = float(np.log1p(-pd))
    # cheap JPDA, scaled by 1/(1 - pd) for range: G' = G / B, B' = 1 (exact for one track)
    g = np.exp(np.minimum(logg - log_miss, 700.0))
    st = np.bincount(t, g, minlength=n_tracks)
    sr = np.bincount(d, g, minlength=n_dets)
    beta = g / (st[t] + sr[d] - g + 1.0)
    beta0 = 1.0 - np.bincount(t, beta, minlength=n_tracks)
    exact = np.ones(n_tracks, dtype=bool)
    if t.size:
        tl, _ = clusters(t, d, n_tracks, n_dets)
        comp = tl[t]
        ntr = np.bincount(tl)  # tracks per component
        multi = np.flatnonzero(ntr[comp] > 1)
        if multi.size:
            order = multi[np.argsort(comp[multi], kind="stable")]
            splits = np.flatnonzero(np.diff(comp[order])) + 1
            for grp in np.split(order, splits):
                ut, lt = np.unique(t[grp], return_inverse=True)
                _, ld = np.unique(d[grp], return_inverse=True)
                n_events = np.prod(1.0 + np.bincount(lt, minlength=ut.size))
                if n_events > max_hypotheses:
                    exact[ut] = False
                    continue
                b, b0 = _enumerate_cluster(lt, ld, logg[grp], ut.size, log_miss)
                beta[grp] = b
                beta0[ut] = b0
    return JpdaWeights(beta, np.clip(beta0, 0.0, 1.0), exact)


def jpda_update(x: NDArray, P: NDArray, H: NDArray, pairs: GatedPairs,  # noqa: N803
                weights: JpdaWeights, tracks: NDArray, R: NDArray, n_tracks: int
                ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """JPDA combined update of tracks ``tracks (a,)`` (single model, first order).

    ``x+ = x + K ν̄``, ``P+ = β0 P + (1 - β0)(P - K S Kᵀ) + K (Σ β ν νᵀ - ν̄ ν̄ᵀ) Kᵀ`` with
    ``ν̄ = Σ_j β_j ν_j`` (Bar-Shalom & Li 1995; Bar-Shalom, Daum & Huang 2009, eqs. 24-27).
    Reports carry their own noise: ``S`` uses the β-weighted mean ``R̄`` of the track's gated
    reports (exact when they share one ``R``).

    Args:
        x, P: ``(a, d)``, ``(a, d, d)`` predicted states of the updated tracks.
        H: ``(a, dz, d)`` measurement Jacobians at those states.
        pairs: the gated pairs (track indices in ``[0, n_tracks)``), every pair's track in
            ``tracks``.
        weights: their JPDA probabilities (:func:`jpda_weights`).
        tracks: ``(a,)`` sorted track indices of ``x``.
        R: ``(k, dz)`` report noise variances.
        n_tracks: number of gated tracks.
    """
    dz = pairs.innovation.shape[1]
    pos = np.full(n_tracks, -1)
    pos[tracks] = np.arange(tracks.size)
    loc = pos[pairs.track]
    nb = np.zeros((tracks.size, dz))
    np.add.at(nb, loc, weights.beta[:, None] * pairs.innovation)
    spread = np.zeros((tracks.size, dz, dz))
    np.add.at(spread, loc, weights.beta[:, None, None] * pairs.innovation[:, :, None]
              * pairs.innovation[:, None, :])
    bsum = np.bincount(loc, weights.beta, minlength=tracks.size)
    Rbar = np.zeros((tracks.size, dz))
    np.add.at(Rbar, loc, weights.beta[:, None] * R[pairs.det])
    Rbar = Rbar / np.maximum(bsum, 1e-300)[:, None]
    spread -= nb[:, :, None] * nb[:, None, :]
    HP = H @ P
    S = symmetrize(HP @ np.swapaxes(H, -1, -2) + Rbar[:, :, None] * np.eye(dz))
    L, ok = safe_cholesky(S)
    Kt = solve_lower(L, solve_lower(L, HP), transpose=True)
    K = np.swapaxes(Kt, -1, -2)
    b0 = weights.beta0[tracks][:, None, None]
    xn = x + np.einsum("nij,nj->ni", K, nb)
    Pn = b0 * P + (1.0 - b0) * (P - K @ S @ Kt) + K @ spread @ Kt
    xn = np.where(ok[:, None], xn, x)
    Pn = np.where(ok[:, None, None], symmetrize(Pn), P)
    return xn, Pn
