"""Triangulation of space-IR lines of sight: closest point of rays, its covariance, and LOS
association across satellites.

A satellite at ``o`` (ECEF, m) measures the unit direction ``u`` to the target with angle noise
``σ`` (rad) in both directions perpendicular to ``u``. At range ``ρ`` the position error across
the ray is ``σ ρ`` per axis and nothing is learned along it, so the ray contributes the
information ``(I - u uᵀ)/(σ² ρ²)``. The weighted least-squares point minimises
``Σ_i |(I - u_i u_iᵀ)(x - o_i)|² / (σ_i² ρ_i²)``:

    A x = b,   A = Σ_i (I - u_i u_iᵀ)/(σ_i² ρ_i²),   b = Σ_i (I - u_i u_iᵀ) o_i/(σ_i² ρ_i²),

and, to first order in the angle noise, ``cov(x) = A⁻¹`` (Hartley & Zisserman, *Multiple View
Geometry*, 2nd ed., §12 (mid-point / optimal triangulation); the Fisher information of bearings-
only localisation, e.g. Bar-Shalom, Willett & Tian, *Tracking and Data Fusion*, 2011, ch. on
passive localisation). The ranges ``ρ_i`` depend on ``x``: the first solve uses ``ρ_i = 1``
(unweighted by range), the next ones the ranges of the previous solution.

The weighted residual sum ``χ² = Σ_i |(I - u_i u_iᵀ)(x - o_i)|²/(σ_i² ρ_i²)`` is chi-square with
``2m - 3`` degrees of freedom for ``m`` rays of one target (to first order): it is the gate that
associates lines of sight across satellites (:func:`associate_los`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import chi2

from hdsim.earth.constants import POLAR_RADIUS_M
from hdsim.tracking.kalman import safe_cholesky, solve_lower

__all__ = [
    "LosFixes",
    "associate_los",
    "ir_los_direction",
    "ray_miss_distance",
    "triangulate",
]

_I3 = np.eye(3)


def ir_los_direction(z_uv: ArrayLike, frame: ArrayLike) -> NDArray[np.float64]:
    """Unit ECEF line-of-sight direction from IR tangent-plane angles.

    Inverse of :func:`hdsim.tracking.measurement.ir_measure`: with ``u = atan2(e1·d, b·d)``,
    ``v = atan2(e2·d, b·d)`` and ``b·d > 0``, the direction in the frame is
    ``(tan u, tan v, 1)`` normalised.

    Args:
        z_uv: ``(..., 2)`` angles ``(u, v)``, rad (|u|, |v| < π/2).
        frame: ``(..., 3, 3)`` rows ``(e1, e2, b)`` in ECEF (e.g. ``nadir_frame(sat)``).
    """
    z = np.asarray(z_uv, dtype=np.float64)
    c = np.stack([np.tan(z[..., 0]), np.tan(z[..., 1]), np.ones(z.shape[:-1])], axis=-1)
    d = np.einsum("...ji,...j->...i", np.asarray(frame, dtype=np.float64), c)
    return d / np.linalg.norm(d, axis=-1, keepdims=True)


def _sym_solve3(A: NDArray, B: NDArray) -> tuple[NDArray, NDArray, NDArray]:
    """Solve ``A X = B`` for SPD ``A (..., 3, 3)`` by Cholesky; returns ``X``, ``A⁻¹``, ok."""
    L, ok = safe_cholesky(A)
    rhs = np.concatenate([B, np.broadcast_to(_I3, A.shape)], axis=-1)
    X = solve_lower(L, solve_lower(L, rhs), transpose=True)
    return X[..., : B.shape[-1]], X[..., B.shape[-1]:], ok


def triangulate(origins: ArrayLike, directions: ArrayLike, sigma_rad: ArrayLike,
                valid: ArrayLike | None = None, n_iter: int = 3
                ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64],
                           NDArray[np.bool_]]:
    """Weighted least-squares closest point of ``m`` rays, batched.

    Args:
        origins: ``(..., m, 3)`` ray origins (satellite ECEF positions), m.
        directions: ``(..., m, 3)`` unit directions (ECEF).
        sigma_rad: ``(..., m)`` angle noise of each ray (1σ per perpendicular axis), rad.
        valid: ``(..., m)`` bool mask of the rays to use (default all); at least two
            non-parallel rays are needed.
        n_iter: number of range re-weightings (the first solve uses unit ranges).

    Returns:
        ``(pos (..., 3), cov (..., 3, 3), chi2 (...), ok (...))``: the point (ECEF, m), its
        covariance ``A⁻¹`` (m²), the weighted residual sum (``2m - 3`` dof) and a mask that is
        False where the geometry is degenerate (parallel rays, fewer than two rays) or the point
        lies behind a sensor.
    """
    o = np.asarray(origins, dtype=np.float64)
    u = np.asarray(directions, dtype=np.float64)
    s = np.broadcast_to(np.asarray(sigma_rad, dtype=np.float64), u.shape[:-1])
    m = np.ones(u.shape[:-1], bool) if valid is None else np.asarray(valid, dtype=bool)
    proj = _I3 - u[..., :, None] * u[..., None, :]  # (..., m, 3, 3)
    rho = np.ones(u.shape[:-1])
    for _ in range(max(1, n_iter)):
        w = np.where(m, 1.0 / (s * s * rho * rho), 0.0)
        Ai = w[..., None, None] * proj
        A = Ai.sum(axis=-3)
        b = np.einsum("...mij,...mj->...i", Ai, o)
        x, cov, ok = _sym_solve3(A, b[..., None])
        x = x[..., 0]
        along = np.einsum("...mi,...mi->...m", x[..., None, :] - o, u)
        rho = np.where(m, np.maximum(np.abs(along), 1.0), 1.0)
    r = np.einsum("...mij,...mj->...mi", proj, x[..., None, :] - o)
    chi = np.sum(np.where(m, np.einsum("...mi,...mi->...m", r, r) * w, 0.0), axis=-1)
    in_front = np.all(~m | (along > 0), axis=-1)
    ok = ok & in_front & (m.sum(axis=-1) >= 2)
    return x, cov, chi, ok


def ray_miss_distance(o1: ArrayLike, u1: ArrayLike, o2: ArrayLike, u2: ArrayLike
                      ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Closest approach of two lines ``o1 + s1 u1`` and ``o2 + s2 u2`` (unit ``u``).

    Returns ``(miss_m, s1, s2)``; ``s`` are the ray parameters of the closest points (negative:
    behind the origin). Parallel lines give ``s1 = 0``.
    """
    o1, u1, o2, u2 = (np.asarray(a, dtype=np.float64) for a in (o1, u1, o2, u2))
    w0 = o1 - o2
    b = np.einsum("...i,...i->...", u1, u2)
    dd = np.einsum("...i,...i->...", u1, w0)
    e = np.einsum("...i,...i->...", u2, w0)
    den = 1.0 - b * b
    par = den < 1e-14
    den = np.where(par, 1.0, den)
    s1 = np.where(par, 0.0, (b * e - dd) / den)
    s2 = np.where(par, e, (e - b * dd) / den)
    gap = w0 + s1[..., None] * u1 - s2[..., None] * u2
    return np.linalg.norm(gap, axis=-1), s1, s2


class LosFixes(NamedTuple):
    """Triangulated fixes from lines of sight of several sensors.

    Attributes:
        pos: ``(f, 3)`` ECEF position, m.
        cov: ``(f, 3, 3)`` covariance, m².
        members: ``(f, m_max)`` indices of the lines of sight used, −1 padded.
        chi2: ``(f,)`` weighted residual sum.
    """

    pos: NDArray[np.float64]
    cov: NDArray[np.float64]
    members: NDArray[np.intp]
    chi2: NDArray[np.float64]


def associate_los(origins: ArrayLike, directions: ArrayLike, sigma_rad: ArrayLike,
                  sensor: ArrayLike, gate_probability: float = 0.999,
                  min_alt_m: float = -5.0e3, max_radius_m: float = 6.378e6 + 2.0e6) -> LosFixes:
    """Associate lines of sight of different sensors (same epoch) into triangulated fixes.

    1. Every pair of rays from different sensors is triangulated (vectorised) and kept when its
       ``χ²`` (1 dof) passes ``χ²₁⁻¹(P_G)``, the point is in front of both sensors and within
       the radius band ``[R_E + min_alt_m, max_radius_m]`` (``R_E``: the polar radius
       :data:`hdsim.earth.constants.POLAR_RADIUS_M`, so the band is conservative).
    2. Each candidate pair counts its *support*: rays of other sensors whose miss distance to
       the pair's point passes a 2-dof gate (``σ² ρ²`` plus the largest variance of the pair
       fix). Ghost intersections of two sensors rarely find a third ray; true ones do.
    3. Greedy selection by (most support, lowest ``χ²``), each ray used once; the supporting
       rays of a selected pair (one per extra sensor, smallest miss) join it and the group is
       re-triangulated with all its rays.

    Args:
        origins: ``(K, 3)`` sensor positions, m.
        directions: ``(K, 3)`` unit LOS (ECEF).
        sigma_rad: ``(K,)`` angle noise, rad.
        sensor: ``(K,)`` sensor index of each ray (rays of one sensor never pair).
        gate_probability: ``P_G`` of the pair and support gates.
        min_alt_m, max_radius_m: plausibility band of the fixes.
    """
    o = np.asarray(origins, dtype=np.float64).reshape(-1, 3)
    u = np.asarray(directions, dtype=np.float64).reshape(-1, 3)
    sg = np.asarray(sigma_rad, dtype=np.float64).reshape(-1)
    sen = np.asarray(sensor).reshape(-1)
    K = o.shape[0]
    empty = LosFixes(np.zeros((0, 3)), np.zeros((0, 3, 3)), np.zeros((0, 2), np.intp),
                     np.zeros(0))
    if K < 2:
        return empty
    ia, ib = np.triu_indices(K, 1)
    keep = sen[ia] != sen[ib]
    ia, ib = ia[keep], ib[keep]
    if ia.size == 0:
        return empty
    # cheap prefilter: the miss distance must be within a generous multiple of σ·range
    miss, s1, s2 = ray_miss_distance(o[ia], u[ia], o[ib], u[ib])
    rough = (s1 > 0) & (s2 > 0) & (miss <= 10.0 * (sg[ia] * s1 + sg[ib] * s2) + 1.0)
    ia, ib = ia[rough], ib[rough]
    if ia.size == 0:
        return empty
    pos, cov, chi, ok = triangulate(np.stack([o[ia], o[ib]], 1), np.stack([u[ia], u[ib]], 1),
                                    np.stack([sg[ia], sg[ib]], 1))
    rad = np.linalg.norm(pos, axis=-1)
    g1 = chi2.ppf(gate_probability, 1)
    good = ok & (chi <= g1) & (rad >= POLAR_RADIUS_M + min_alt_m) & (rad <= max_radius_m)
    ia, ib, pos, cov, chi = ia[good], ib[good], pos[good], cov[good], chi[good]
    if ia.size == 0:
        return empty
    # support of each candidate pair by rays of third sensors (pairs × rays)
    g2 = chi2.ppf(gate_probability, 2)
    dvec = pos[:, None, :] - o[None, :, :]
    along = np.einsum("pki,ki->pk", dvec, u)
    perp = dvec - along[..., None] * u[None]
    var_fix = np.linalg.eigvalsh(cov)[:, -1]
    chi_s = np.einsum("pki,pki->pk", perp, perp) / (sg[None] ** 2 * along**2 + var_fix[:, None])
    sup_ok = (chi_s <= g2) & (along > 0) & (sen[None] != sen[ia][:, None]) \
        & (sen[None] != sen[ib][:, None])
    support = sup_ok.sum(axis=1)
    order = np.lexsort((chi, -support))
    used = np.zeros(K, bool)
    groups: list[list[int]] = []
    for p in order:
        a, b = ia[p], ib[p]
        if used[a] or used[b]:
            continue
        grp = [int(a), int(b)]
        used[a] = used[b] = True
        cand = np.flatnonzero(sup_ok[p] & ~used)
        if cand.size:
            cand = cand[np.argsort(chi_s[p, cand], kind="stable")]
            seen = {sen[a], sen[b]}
            for c in cand:
                if sen[c] not in seen:
                    seen.add(sen[c])
                    grp.append(int(c))
                    used[c] = True
        groups.append(grp)
    mmax = max(len(g) for g in groups)
    members = np.full((len(groups), mmax), -1, dtype=np.intp)
    for i, g in enumerate(groups):
        members[i, : len(g)] = g
    valid = members >= 0
    mi = np.where(valid, members, 0)
    pos, cov, chi, ok = triangulate(o[mi], u[mi], sg[mi], valid)
    return LosFixes(pos[ok], cov[ok], members[ok], chi[ok])
