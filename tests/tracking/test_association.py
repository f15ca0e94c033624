"""Association: sparse gating vs the full matrix, GNN vs brute-force enumeration, JPDA vs the
textbook joint-event formula evaluated by hand (Bar-Shalom & Li, *Multitarget-Multisensor
Tracking: Principles and Techniques*, 1995, §9.3; Bar-Shalom, Daum & Huang, IEEE Control Systems
29(6), 2009, eq. 40), PDA (same paper, eq. 18) and Fitzgerald's cheap JPDA."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from hdsim.tracking import (
    candidate_pairs,
    chi2_gate,
    clusters,
    gate_dense,
    gate_sparse,
    gnn_assign,
    gnn_assign_dense,
    jpda_weights,
    radar_residual,
)


def _brute_gnn(C: np.ndarray, G: np.ndarray, miss: float) -> float:
    """Smallest Σ cost + miss · (unassigned tracks) over all one-to-one gated assignments."""
    n, k = C.shape
    best = np.inf
    for choice in itertools.product(*[[-1] + list(np.flatnonzero(G[i])) for i in range(n)]):
        used = [c for c in choice if c >= 0]
        if len(used) != len(set(used)):
            continue
        best = min(best, sum(C[i, c] if c >= 0 else miss for i, c in enumerate(choice)))
    return best


def test_gnn_matches_brute_force_enumeration():
    rng = np.random.default_rng(0)
    miss = 5.0
    for _ in range(300):
        n, k = rng.integers(1, 6), rng.integers(1, 6)
        C = rng.uniform(0.0, 6.0, (n, k))
        G = (C <= miss) & (rng.random((n, k)) < 0.7)
        dot = gnn_assign_dense(C, G, miss)
        got = sum(C[i, d] if d >= 0 else miss for i, d in enumerate(dot))
        assert got == pytest.approx(_brute_gnn(C, G, miss), abs=1e-12)
        a = dot[dot >= 0]
        assert a.size == np.unique(a).size  # one-to-one
        assert all(G[i, d] for i, d in enumerate(dot) if d >= 0)  # gated pairs only


def test_gnn_hand_made_problem_beats_greedy():
    # Greedy nearest neighbour gives track 0 -> det 0 (cost 1), then track 1 has only det 0
    # in its gate -> unassigned: total 1 + 9 = 10.  GNN: 0 -> 1, 1 -> 0: total 2 + 2 = 4.
    C = np.array([[1.0, 2.0], [2.0, 50.0]])
    G = np.array([[True, True], [True, False]])
    np.testing.assert_array_equal(gnn_assign_dense(C, G, 9.0), [1, 0])
    # With a cheap miss the solver prefers leaving track 1 out: 1 + 0.5 < 4
    np.testing.assert_array_equal(gnn_assign_dense(C, G, 0.5), [-1, -1])
    np.testing.assert_array_equal(gnn_assign_dense(C, G, 1.5), [0, -1])


def test_candidate_pairs_equal_brute_force():
    rng = np.random.default_rng(1)
    c = rng.uniform(0, 100, 40)
    w = rng.uniform(0, 5, 40)
    v = rng.uniform(0, 100, 70)
    ti, di = candidate_pairs(c, w, v)
    brute = {(i, k) for i in range(40) for k in range(70) if abs(v[k] - c[i]) <= w[i]}
    assert set(zip(ti.tolist(), di.tolist(), strict=True)) == brute


def test_sparse_gate_equals_dense_matrix():
    # radar-like reports [range, az, el, rr] with azimuths straddling 0 / 2π
    rng = np.random.default_rng(2)
    n, k = 60, 80
    zp = np.stack([rng.uniform(1e5, 1.2e5, n), rng.uniform(-0.05, 0.05, n) % (2 * np.pi),
                   rng.uniform(0.1, 0.2, n), rng.uniform(-100, 100, n)], -1)
    Z = zp[rng.integers(0, n, k)] + rng.normal(0, 1, (k, 4)) * [300, 3e-3, 3e-3, 20]
    Z[:, 1] %= 2 * np.pi
    A = rng.normal(size=(n, 4, 4)) * [300, 3e-3, 3e-3, 20]
    HPHt = A @ np.swapaxes(A, -1, -2) / 4
    R = np.broadcast_to(np.array([20.0, 1e-3, 1e-3, 5.0]) ** 2, (k, 4)) * rng.uniform(1, 3, (k, 1))
    d2, G = gate_dense(zp, HPHt, Z, R, 0.999, radar_residual)
    pairs = gate_sparse(zp, HPHt, Z, R, 0.999, radar_residual, wrap_component1=True)
    assert G.sum() > 20
    assert set(zip(pairs.track.tolist(), pairs.det.tolist(), strict=True)) == set(
        zip(*np.nonzero(G), strict=True))
    np.testing.assert_allclose(pairs.d2, d2[pairs.track, pairs.det], rtol=1e-9)
    # log-likelihood against scipy's multivariate normal
    p = 0
    S = HPHt[pairs.track[p]] + np.diag(R[pairs.det[p]])
    ref = multivariate_normal(np.zeros(4), S).logpdf(pairs.innovation[p])
    assert pairs.log_likelihood[p] == pytest.approx(ref, rel=1e-10)


def test_clusters_connected_components():
    # tracks 0-1 share det 1, track 2 alone with det 3, det 0 only with track 0
    tl, dl = clusters([0, 0, 1, 2], [0, 1, 1, 3], 4, 5)
    assert tl[0] == tl[1] == dl[0] == dl[1]
    assert tl[2] == dl[3] != tl[0]
    assert len({tl[3], dl[2], dl[4], tl[0], tl[2]}) == 5


@pytest.fixture
def two_track_three_det():
    """2 tracks, 3 reports: track 1 gates z1, z2; track 2 gates z2, z3 (2-D measurements)."""
    S1 = np.array([[4.0, 1.0], [1.0, 3.0]])
    S2 = np.array([[2.0, -0.5], [-0.5, 5.0]])
    nu = {(0, 0): [1.0, -0.5], (0, 1): [-1.5, 1.0], (1, 1): [0.7, 2.0], (1, 2): [-1.2, -1.0]}
    N = {key: multivariate_normal(np.zeros(2), S1 if key[0] == 0 else S2).pdf(v)
         for key, v in nu.items()}
    return N


def test_jpda_two_tracks_three_detections_by_hand(two_track_three_det):
    N = two_track_three_det
    pd, lam = 0.8, 0.01
    a, m = pd / lam, 1.0 - pd
    # all feasible joint events (T1 ∈ {-, z1, z2}, T2 ∈ {-, z2, z3}, z2 not shared), their
    # unnormalised probabilities Π (P_D N / λ) Π (1 - P_D)
    w = {
        (-1, -1): m * m,
        (0, -1): a * N[0, 0] * m, (1, -1): a * N[0, 1] * m,
        (-1, 1): m * a * N[1, 1], (-1, 2): m * a * N[1, 2],
        (0, 1): a * N[0, 0] * a * N[1, 1], (0, 2): a * N[0, 0] * a * N[1, 2],
        (1, 2): a * N[0, 1] * a * N[1, 2],
    }
    c = sum(w.values())
    beta_ref = {(t, j): sum(v for e, v in w.items() if e[t] == j) / c
                for t, j in [(0, 0), (0, 1), (1, 1), (1, 2)]}
    beta0_ref = [sum(v for e, v in w.items() if e[t] == -1) / c for t in (0, 1)]
    keys = list(N)
    res = jpda_weights([k[0] for k in keys], [k[1] for k in keys], np.log([N[k] for k in keys]),
                       2, 3, pd, lam)
    assert res.exact.all()
    np.testing.assert_allclose(res.beta, [beta_ref[k] for k in keys], rtol=1e-12)
    np.testing.assert_allclose(res.beta0, beta0_ref, rtol=1e-12)
    np.testing.assert_allclose(res.beta0 + np.bincount([0, 0, 1, 1], res.beta), 1.0, rtol=1e-12)


def test_jpda_cheap_fallback_matches_fitzgerald(two_track_three_det):
    N = two_track_three_det
    pd, lam = 0.8, 0.01
    keys = list(N)
    res = jpda_weights([k[0] for k in keys], [k[1] for k in keys], np.log([N[k] for k in keys]),
                       2, 3, pd, lam, max_hypotheses=1)
    assert not res.exact.any()
    G = {k: pd * v / lam for k, v in N.items()}
    St = {t: sum(v for k, v in G.items() if k[0] == t) for t in (0, 1)}
    Sr = {j: sum(v for k, v in G.items() if k[1] == j) for j in (0, 1, 2)}
    ref = [G[k] / (St[k[0]] + Sr[k[1]] - G[k] + (1 - pd)) for k in keys]
    np.testing.assert_allclose(res.beta, ref, rtol=1e-12)


def test_single_track_cluster_is_pda():
    # PDA (Bar-Shalom, Daum & Huang 2009, eq. 18): β_i = L_i / (1 - P_D + Σ L_j), L = P_D N / λ
    ll = np.log([0.02, 0.005, 0.001])
    pd, lam = 0.9, 0.004
    res = jpda_weights([0, 0, 0], [0, 1, 2], ll, 1, 3, pd, lam)
    L = pd * np.exp(ll) / lam
    np.testing.assert_allclose(res.beta, L / (1 - pd + L.sum()), rtol=1e-12)
    assert res.beta0[0] == pytest.approx((1 - pd) / (1 - pd + L.sum()), rel=1e-12)


def test_gate_threshold_is_chi2_quantile():
    # scipy's χ² quantile: 4 dof at 0.99 is 13.2767 (standard tables, e.g. Abramowitz & Stegun
    # Table 26.8)
    assert chi2_gate(0.99, 4) == pytest.approx(13.2767, abs=1e-4)
    C = np.array([[13.0, 13.5]])
    pairs_ok = gnn_assign([0], [0], [13.0], 1, 2, chi2_gate(0.99, 4))
    assert pairs_ok[0] == 0
    assert gnn_assign_dense(C, C <= chi2_gate(0.99, 4), chi2_gate(0.99, 4))[0] == 0
