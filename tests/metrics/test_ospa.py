"""OSPA / GOSPA: hand-computed cases, brute force over all assignments, metric axioms.

Definitions: Schuhmacher, Vo & Vo, IEEE TSP 56(8), 2008, eq. (3) (OSPA); Rahmathullah,
García-Fernández & Svensson, FUSION 2017, Prop. 1 (GOSPA, α = 2).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdsim.metrics import gospa, gospa_series, ospa, ospa_series, split_by_time

TOL = 1e-9  # m


def brute_ospa(X, Y, c, p):
    """OSPA by enumerating every injection of the smaller set into the larger (the definition)."""
    X, Y = np.asarray(X, float).reshape(-1, 2), np.asarray(Y, float).reshape(-1, 2)
    if len(X) > len(Y):
        X, Y = Y, X
    m, n = len(X), len(Y)
    if n == 0:
        return 0.0
    best = np.inf
    for perm in itertools.permutations(range(n), m):
        s = sum(min(np.linalg.norm(X[i] - Y[j]), c) ** p for i, j in enumerate(perm))
        best = min(best, s)
    return ((best + c**p * (n - m)) / n) ** (1 / p)


def brute_gospa(X, Y, c, p):
    """GOSPA (α = 2) by enumerating every partial assignment γ (Rahmathullah et al. 2017)."""
    X, Y = np.asarray(X, float).reshape(-1, 2), np.asarray(Y, float).reshape(-1, 2)
    m, n = len(X), len(Y)
    best = (c**p / 2) * (m + n)  # empty assignment
    for k in range(1, min(m, n) + 1):
        for xs in itertools.combinations(range(m), k):
            for ys in itertools.permutations(range(n), k):
                s = sum(np.linalg.norm(X[i] - Y[j]) ** p for i, j in zip(xs, ys, strict=True))
                best = min(best, s + (c**p / 2) * (m + n - 2 * k))
    return best ** (1 / p)


# ---------------------------------------------------------------- hand-computed small cases
def test_empty_sets():
    assert ospa(np.zeros((0, 3)), np.zeros((0, 3)), c=10.0) == 0.0
    assert gospa([], [], c=10.0).distance == 0.0
    # one side empty: OSPA is the cutoff, GOSPA (c^p/2 · n)^(1/p)
    assert ospa([], [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], c=10.0, p=2.0) == pytest.approx(10.0)
    g = gospa([[1.0, 2.0, 3.0]] * 3, np.zeros((0, 3)), c=10.0, p=2.0)
    assert g.distance == pytest.approx(np.sqrt(3 * 100 / 2), abs=TOL)
    assert (g.n_false, g.n_missed, g.n_assigned) == (3, 0, 0)
    assert g.false == pytest.approx(150.0, abs=TOL)


def test_one_missed():
    truth = [[0.0, 0.0, 0.0], [1000.0, 0.0, 0.0]]
    est = [[3.0, 4.0, 0.0]]  # 5 m from the first truth
    c, p = 100.0, 1.0
    # OSPA: (1/2)(5 + 100) = 52.5 m
    assert ospa(est, truth, c, p) == pytest.approx(52.5, abs=TOL)
    g = gospa(est, truth, c, p)
    assert g.localization == pytest.approx(5.0, abs=TOL)
    assert g.missed == pytest.approx(50.0, abs=TOL) and g.false == 0.0
    assert g.distance == pytest.approx(55.0, abs=TOL)
    assert (g.n_assigned, g.n_missed, g.n_false) == (1, 1, 0)
    # p = 2: OSPA sqrt((25 + 10000)/2); GOSPA sqrt(25 + 5000)
    assert ospa(est, truth, c, 2.0) == pytest.approx(np.sqrt(10025 / 2), abs=TOL)
    assert gospa(est, truth, c, 2.0).distance == pytest.approx(np.sqrt(5025.0), abs=TOL)


def test_all_beyond_cutoff():
    truth = np.array([[0.0, 0.0, 0.0], [0.0, 500.0, 0.0]])
    est = truth + [200.0, 0.0, 0.0]
    c = 100.0
    assert ospa(est, truth, c, 1.0) == pytest.approx(c, abs=TOL)
    g = gospa(est, truth, c, 2.0)
    assert (g.n_assigned, g.n_missed, g.n_false) == (0, 2, 2)
    assert g.localization == 0.0
    assert g.distance == pytest.approx(np.sqrt(4 * c**2 / 2), abs=TOL)


def test_perfect_and_permutation_invariance():
    rng = np.random.default_rng(1)
    truth = rng.normal(0, 1000, (6, 3))
    est = truth + rng.normal(0, 10, (6, 3))
    perm = rng.permutation(6)
    for p in (1.0, 2.0):
        assert ospa(truth, truth, 50.0, p) == 0.0
        assert ospa(est[perm], truth, 50.0, p) == pytest.approx(ospa(est, truth, 50.0, p), abs=TOL)
        g1, g2 = gospa(est[perm], truth[::-1], 50.0, p), gospa(est, truth, 50.0, p)
        assert g1.distance == pytest.approx(g2.distance, abs=TOL)
    # far apart points: optimal assignment pairs each estimate with its own truth
    d = np.linalg.norm(est - truth, axis=1)
    assert ospa(est[perm], truth, 50.0, 1.0) == pytest.approx(d.mean(), abs=1e-9)


def test_gospa_ospa_identity_and_series():
    """max(m,n)·OSPA^p = GOSPA^p + c^p |m-n| / 2 (both minimise Σ min(d, c)^p)."""
    rng = np.random.default_rng(2)
    ests, truths = [], []
    for k in range(5):
        ests.append(rng.uniform(0, 100, (k, 3)))
        truths.append(rng.uniform(0, 100, (4 - k // 2, 3)))
    c, p = 30.0, 2.0
    o = ospa_series(ests, truths, c, p)
    g = gospa_series(ests, truths, c, p)
    m = np.array([len(e) for e in ests])
    n = np.array([len(t) for t in truths])
    np.testing.assert_allclose(np.maximum(m, n) * o**p, g.distance**p + c**p * abs(m - n) / 2,
                               rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(g.distance**p, g.localization + g.missed + g.false, rtol=1e-12)
    assert g.n_missed.dtype == np.int64 and g.distance.shape == (5,)


def test_split_by_time():
    t = np.array([2.0, 0.0, 1.0, 2.0, 0.0])
    pts = np.arange(15.0).reshape(5, 3)
    sets = split_by_time(t, pts, [0.0, 1.0, 2.0, 3.0])
    assert [len(s) for s in sets] == [2, 1, 2, 0]
    np.testing.assert_array_equal(sets[1], pts[[2]])


def test_bad_parameters():
    with pytest.raises(ValueError, match="order"):
        ospa([[0.0]], [[1.0]], c=1.0, p=0.5)
    with pytest.raises(ValueError, match="cutoff"):
        gospa([[0.0]], [[1.0]], c=0.0)


# ---------------------------------------------------------------- properties (hypothesis)
coord = st.floats(-10.0, 10.0, allow_nan=False)
point_set = st.lists(st.tuples(coord, coord), min_size=0, max_size=4)
cutoff = st.floats(0.5, 20.0)
order = st.sampled_from([1.0, 1.5, 2.0, 3.0])


@settings(max_examples=60, deadline=None)
@given(point_set, point_set, cutoff, order)
def test_against_brute_force(X, Y, c, p):
    Xa, Ya = np.array(X).reshape(-1, 2), np.array(Y).reshape(-1, 2)
    assert ospa(Xa, Ya, c, p) == pytest.approx(brute_ospa(X, Y, c, p), abs=1e-9)
    assert gospa(Xa, Ya, c, p).distance == pytest.approx(brute_gospa(X, Y, c, p), abs=1e-9)


@settings(max_examples=80, deadline=None)
@given(point_set, point_set, point_set, cutoff, order)
def test_metric_axioms(X, Y, Z, c, p):
    X, Y, Z = (np.array(s).reshape(-1, 2) for s in (X, Y, Z))
    for f in (lambda a, b: ospa(a, b, c, p), lambda a, b: gospa(a, b, c, p).distance):
        assert f(X, X) == pytest.approx(0.0, abs=1e-9)  # identity
        assert f(X, Y) == pytest.approx(f(Y, X), abs=1e-9)  # symmetry
        assert f(X, Z) <= f(X, Y) + f(Y, Z) + 1e-9  # triangle inequality
        if len(X) != len(Y):
            assert f(X, Y) > 0.0  # distinct sets (different cardinality) are apart
    assert 0.0 <= ospa(X, Y, c, p) <= c + 1e-12
