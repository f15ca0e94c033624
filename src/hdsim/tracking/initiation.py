"""Track initiation: position fixes, two-point initiation, angle-only tentative states, M-of-N.

Every sensor's unassociated reports become *position fixes* in ECEF with a covariance:

* radar: ``(range, az, el)`` converted to ECEF, covariance ``J R Jᵀ`` through the Jacobian of the
  spherical-to-Cartesian map (the first-order "converted measurement" of Lerro & Bar-Shalom,
  IEEE TAES 29(3):1015-1022, 1993, without their debiasing);
* space IR: lines of sight of two or more satellites triangulated
  (:mod:`hdsim.tracking.triangulation`).

A new fix is paired with an earlier unused fix (a *seed*) no farther than ``v_max Δt`` (plus
three standard deviations): the pair gives a 6-state by *two-point differencing* (Bar-Shalom,
Li & Kirubarajan 2001, §5.5.3): ``x = [p2, (p2 - p1)/Δt]``, covariance
``[[P2, P2/Δt], [P2/Δt, (P1 + P2)/Δt²]]`` (independent fix errors, no process noise over Δt).
Seeds are matched by GNN on the normalised distance ``|p2 - p1|² / (v_max Δt)²``.

A single IR line of sight that finds no partner gives an *angle-only* tentative state: the
point where the ray reaches a nominal altitude, a covariance ``σ² ρ² (I - u uᵀ) + σ_ρ² u uᵀ``
(huge ``σ_ρ`` along the ray) and a velocity prior ``σ_v² I``.

M-of-N confirmation uses an 8-bit shift register of hits per track (:func:`hits_in_window`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.tracking.association import gnn_assign

__all__ = [
    "angle_only_state",
    "hits_in_window",
    "pair_fixes",
    "radar_fix",
    "ray_sphere_range",
    "two_point_state",
]

_POPCOUNT8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.int8)


def hits_in_window(history: ArrayLike, n: int) -> NDArray[np.int8]:
    """Number of hits among the last ``n`` (≤ 8) opportunities of a uint8 shift register
    (bit 0 = latest opportunity)."""
    if not 1 <= n <= 8:
        raise ValueError(f"n = {n!r}: must be in [1, 8]")
    h = np.asarray(history, dtype=np.uint8) & np.uint8((1 << n) - 1)
    return _POPCOUNT8[h]


def radar_fix(z: ArrayLike, sigma: ArrayLike, site_ecef: ArrayLike, rot_enu: ArrayLike
              ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """ECEF position and covariance of radar reports (first-order converted measurement).

    Args:
        z: ``(k, ≥3)`` ``[range_m, az_rad, el_rad, ...]`` in the site ENU frame.
        sigma: ``(k, ≥3)`` their standard deviations.
        site_ecef: ``(3,)`` site, m.
        rot_enu: ``(3, 3)`` ECEF→ENU rotation (rows east, north, up).

    Returns:
        ``(pos (k, 3), cov (k, 3, 3))``.
    """
    z = np.asarray(z, dtype=np.float64)
    sg = np.asarray(sigma, dtype=np.float64)
    r, az, el = z[:, 0], z[:, 1], z[:, 2]
    ca, sa, ce, se = np.cos(az), np.sin(az), np.cos(el), np.sin(el)
    enu = np.stack([r * ce * sa, r * ce * ca, r * se], -1)
    J = np.zeros((z.shape[0], 3, 3))  # ∂(e, n, u)/∂(r, az, el)
    J[:, 0] = np.stack([ce * sa, r * ce * ca, -r * se * sa], -1)
    J[:, 1] = np.stack([ce * ca, -r * ce * sa, -r * se * ca], -1)
    J[:, 2] = np.stack([se, np.zeros_like(r), r * ce], -1)
    rot = np.asarray(rot_enu, dtype=np.float64)
    Je = rot.T @ J  # ∂ecef/∂(r, az, el)
    pos = np.asarray(site_ecef, dtype=np.float64) + enu @ rot
    cov = Je @ (sg[:, :3, None] ** 2 * np.swapaxes(Je, -1, -2))
    return pos, cov


def two_point_state(p1: ArrayLike, P1: ArrayLike, t1: ArrayLike,  # noqa: N803
                    p2: ArrayLike, P2: ArrayLike, t2: ArrayLike  # noqa: N803
                    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Two-point differencing: 6-state at ``t2`` from fixes at ``t1 < t2`` (see module doc).

    Shapes ``p (n, 3)``, ``P (n, 3, 3)``, ``t (n,)``; returns ``(x (n, 6), P (n, 6, 6))``.
    """
    p1, p2 = np.asarray(p1, dtype=np.float64), np.asarray(p2, dtype=np.float64)
    P1, P2 = np.asarray(P1, dtype=np.float64), np.asarray(P2, dtype=np.float64)
    dt = (np.asarray(t2, dtype=np.float64) - np.asarray(t1, dtype=np.float64))[:, None, None]
    x = np.concatenate([p2, (p2 - p1) / dt[:, :, 0]], axis=-1)
    P = np.zeros(p1.shape[:-1] + (6, 6))
    P[:, :3, :3] = P2
    P[:, :3, 3:] = P2 / dt
    P[:, 3:, :3] = P2 / dt
    P[:, 3:, 3:] = (P1 + P2) / dt**2
    return x, P


def pair_fixes(p_new: ArrayLike, P_new: ArrayLike, t_new: ArrayLike,  # noqa: N803
               p_seed: ArrayLike, P_seed: ArrayLike, t_seed: ArrayLike,  # noqa: N803
               v_max_mps: float, min_dt_s: float = 1e-3, max_dt_s: float = 30.0,
               los_new: ArrayLike | None = None, range_rate_new: ArrayLike | None = None,
               sigma_range_rate_new: ArrayLike | None = None) -> NDArray[np.intp]:
    """Match new fixes to earlier seeds (GNN); returns ``seed_of_new (n_new,)``, −1 if none.

    A pair is feasible when ``min_dt_s ≤ t_new - t_seed ≤ max_dt_s`` and
    ``|p_new - p_seed| ≤ v_max Δt + 3 sqrt(tr P_new + tr P_seed)``; the GNN cost is
    ``|Δp|² / gate²`` (miss cost 1).

    Radar fixes may add their measured range rate: with the unit line of sight ``ℓ`` of the new
    fix, the pair must also satisfy ``|ℓ·(p_new - p_seed)/Δt - ρ̇| ≤ 4 sqrt(σ_ρ̇² +
    ℓᵀ(P_new + P_seed)ℓ/Δt²)`` (NaN range rates skip the test). This removes most pairs of
    false alarms, whose range rates are unrelated to their displacement.
    """
    pn = np.asarray(p_new, dtype=np.float64).reshape(-1, 3)
    ps = np.asarray(p_seed, dtype=np.float64).reshape(-1, 3)
    tn = np.asarray(t_new, dtype=np.float64).reshape(-1)
    ts = np.asarray(t_seed, dtype=np.float64).reshape(-1)
    if pn.shape[0] == 0 or ps.shape[0] == 0:
        return np.full(pn.shape[0], -1, dtype=np.intp)
    trn = np.trace(np.asarray(P_new), axis1=-2, axis2=-1)
    trs = np.trace(np.asarray(P_seed), axis1=-2, axis2=-1)
    if pn.shape[0] * ps.shape[0] <= DENSE_PAIRS:
        i, j = np.nonzero(np.ones((pn.shape[0], ps.shape[0]), bool))
    else:
        i, j = _candidate_pairs(pn, tn, trn, ps, ts, trs, v_max_mps, min_dt_s, max_dt_s)
    dtp = tn[i] - ts[j]
    gate = v_max_mps * dtp + 3.0 * np.sqrt(trn[i] + trs[j])
    d2 = np.sum((pn[i] - ps[j]) ** 2, axis=-1)
    ok = (dtp >= min_dt_s) & (dtp <= max_dt_s) & (d2 <= gate * gate)
    i, j, dtp, gate, d2 = i[ok], j[ok], dtp[ok], gate[ok], d2[ok]
    if los_new is not None and range_rate_new is not None and sigma_range_rate_new is not None:
        ell = np.asarray(los_new, dtype=np.float64).reshape(-1, 3)
        rr = np.asarray(range_rate_new, dtype=np.float64).reshape(-1)
        srr = np.asarray(sigma_range_rate_new, dtype=np.float64).reshape(-1)
        vr = np.einsum("pi,pi->p", ell[i], pn[i] - ps[j]) / dtp
        Ps = np.asarray(P_new)[i] + np.asarray(P_seed)[j]
        var = srr[i] ** 2 + np.einsum("pi,pij,pj->p", ell[i], Ps, ell[i]) / dtp**2
        keep = ~(np.isfinite(rr[i]) & ((vr - rr[i]) ** 2 > 16.0 * var))
        i, j, gate, d2 = i[keep], j[keep], gate[keep], d2[keep]
    cost = d2 / gate**2
    return gnn_assign(i, j, cost, pn.shape[0], ps.shape[0], 1.0 + 1e-9)


DENSE_PAIRS = 20_000
"""Above this many (new, seed) pairs, :func:`pair_fixes` finds the candidates with a k-d tree
per seed time instead of testing every pair (the same feasible pairs, in the same order)."""


def _candidate_pairs(pn, tn, trn, ps, ts, trs, v_max, min_dt, max_dt):
    """Row-major ``(i, j)`` of the (new, seed) pairs within the largest gate of their seed
    time: a superset of the feasible pairs (the exact tests follow in the caller)."""
    from scipy.spatial import cKDTree

    tree_new = cKDTree(pn)
    s_new = 3.0 * np.sqrt(trn.max())
    ii, jj = [], []
    for t_seed in np.unique(ts):
        js = np.flatnonzero(ts == t_seed)
        dt_hi = min(float(tn.max()) - t_seed, max_dt)
        if dt_hi < min_dt:
            continue
        # gate = v dt + 3 sqrt(tr_n + tr_s) <= v dt_hi + 3 (sqrt(max tr_n) + sqrt(max tr_s))
        r = v_max * dt_hi + s_new + 3.0 * np.sqrt(trs[js].max())
        hits = cKDTree(ps[js]).query_ball_tree(tree_new, r * (1.0 + 1e-9) + 1e-6)
        for k, lst in enumerate(hits):
            if lst:
                ii.append(np.asarray(lst, np.intp))
                jj.append(np.full(len(lst), js[k], np.intp))
    if not ii:
        return np.empty(0, np.intp), np.empty(0, np.intp)
    i, j = np.concatenate(ii), np.concatenate(jj)
    order = np.lexsort((j, i))
    return i[order], j[order]


def ray_sphere_range(origin: ArrayLike, direction: ArrayLike, radius_m: float
                     ) -> NDArray[np.float64]:
    """Range along unit rays to the first crossing of a sphere about the Earth's centre.

    Where the ray misses the sphere, the range of its closest approach to the centre.
    """
    o = np.asarray(origin, dtype=np.float64)
    u = np.asarray(direction, dtype=np.float64)
    b = np.einsum("...i,...i->...", o, u)
    c = np.einsum("...i,...i->...", o, o) - radius_m**2
    disc = b * b - c
    near = -b - np.sqrt(np.maximum(disc, 0.0))
    return np.where((disc >= 0) & (near > 0), near, np.maximum(-b, 1.0))


def angle_only_state(origin: ArrayLike, direction: ArrayLike, sigma_rad: ArrayLike,
                     range_m: ArrayLike, sigma_range_m: ArrayLike, sigma_v_mps: float
                     ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Tentative 6-state from one line of sight (see module doc).

    Args:
        origin, direction: ``(k, 3)`` sensor position (m) and unit LOS.
        sigma_rad: ``(k,)`` angle noise.
        range_m: ``(k,)`` assumed range along the LOS.
        sigma_range_m: ``(k,)`` standard deviation of that range.
        sigma_v_mps: velocity prior per axis.
    """
    o = np.asarray(origin, dtype=np.float64)
    u = np.asarray(direction, dtype=np.float64)
    rho = np.asarray(range_m, dtype=np.float64)
    sg = np.asarray(sigma_rad, dtype=np.float64)
    sr = np.asarray(sigma_range_m, dtype=np.float64)
    uu = u[:, :, None] * u[:, None, :]
    Pp = (sg * rho)[:, None, None] ** 2 * (np.eye(3) - uu) + sr[:, None, None] ** 2 * uu
    x = np.concatenate([o + rho[:, None] * u, np.zeros_like(o)], axis=-1)
    P = np.zeros((o.shape[0], 6, 6))
    P[:, :3, :3] = Pp
    P[:, 3:, 3:] = sigma_v_mps**2 * np.eye(3)
    return x, P
