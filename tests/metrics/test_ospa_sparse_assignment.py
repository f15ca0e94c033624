"""OSPA / GOSPA fast path (close pairs, k-d tree, sparse LAPJVsp) against the dense assignment.

The oracle is the straightforward computation of the definitions (Schuhmacher et al. 2008,
eq. 3; Rahmathullah et al. 2017, Prop. 1): :func:`scipy.optimize.linear_sum_assignment` on the
full ``(m, n)`` matrix of ``min(d, c)^p``, written out here.  Sets are large enough for the
sparse path (``m · n > _DENSE_MAX_PAIRS``) and for components of many points, and every case
is also run with the sparse path forced (``_DENSE_MAX_PAIRS = 0``), so that its branches (lone
pairs, stars, LAPJVsp, many close pairs) meet the same oracle as the dense one.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment

from hdsim.metrics import gospa, gospa_series, ospa, ospa_series

ospa_module = importlib.import_module("hdsim.metrics.ospa")

RTOL = 1e-12


def dense_oracle(est, truth, c, p):
    """(OSPA, GOSPA distance, localization, n_assigned) from the dense assignment problem."""
    x = np.asarray(est, float).reshape(-1, 3)
    y = np.asarray(truth, float).reshape(-1, 3)
    m, n = len(x), len(y)
    if m == 0 or n == 0:
        d = np.zeros(0)
    else:
        dist = np.sqrt(((x[:, None, :] - y[None, :, :]) ** 2).sum(axis=-1))
        rows, cols = linear_sum_assignment(np.minimum(dist, c) ** p)
        d = dist[rows, cols]
    close = d[d < c]
    big = max(m, n)
    o = 0.0 if big == 0 else ((np.sum(np.minimum(d, c) ** p) + c**p * abs(m - n)) / big) ** (1 / p)
    loc = float(np.sum(close**p))
    k = close.size
    g = (loc + c**p / 2 * (m + n - 2 * k)) ** (1 / p)
    return o, g, loc, k


def _cases(seed=11):
    """(est, truth, c): tracks near threats with noise, misses, duplicates and false tracks."""
    rng = np.random.default_rng(seed)
    for _ in range(40):
        n = int(rng.integers(0, 160))
        truth = rng.uniform(0, 1000, (n, 3)) * [1, 1, 0.05]
        keep = rng.random(n) < rng.uniform(0.6, 1.0)
        est = truth[keep] + rng.normal(0, rng.uniform(1, 30), (int(keep.sum()), 3))
        dup = est[rng.random(len(est)) < 0.1] + rng.normal(0, 5, (1, 3))
        false = rng.uniform(0, 1000, (int(rng.integers(0, 15)), 3)) * [1, 1, 0.05]
        est = rng.permutation(np.concatenate([est, dup, false]))
        # cutoffs from "isolated pairs" to "one big component"
        yield est, truth, float(rng.choice([5.0, 40.0, 100.0, 250.0]))
    # exact duplicates (d = 0), a point exactly at d = c, one-point sides, everything close
    pts = rng.uniform(0, 100, (30, 3))
    yield pts, pts.copy(), 10.0
    yield np.concatenate([pts, pts[:5]]), pts, 10.0
    yield pts[:1], pts, 20.0
    yield pts, pts[:1] + 1.0, 20.0
    yield np.array([[0.0, 0.0, 0.0], [3.0, 4.0, 0.0]]), np.array([[3.0, 4.0, 5.0]]), 5.0
    yield pts, pts + 0.5, 1e4


@pytest.fixture(params=["auto", "sparse"])
def pair_search(request, monkeypatch):
    if request.param == "sparse":
        monkeypatch.setattr(ospa_module, "_DENSE_MAX_PAIRS", 0)
    return request.param


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_against_dense_assignment(p, pair_search):
    for est, truth, c in _cases():
        o, g_dist, loc, k = dense_oracle(est, truth, c, p)
        assert ospa(est, truth, c, p) == pytest.approx(o, rel=RTOL, abs=1e-12 * c)
        g = gospa(est, truth, c, p)
        assert g.n_assigned == k
        assert (g.n_missed, g.n_false) == (len(truth) - k, len(est) - k)
        assert g.localization == pytest.approx(loc, rel=RTOL, abs=1e-12 * c**p)
        assert g.distance == pytest.approx(g_dist, rel=RTOL, abs=1e-12 * c)


def test_series_against_dense_assignment(pair_search):
    cases = list(_cases(seed=5))
    ests = [e for e, _, _ in cases] + [np.zeros((0, 3))]
    truths = [t for _, t, _ in cases] + [np.ones((2, 3))]
    c, p = 60.0, 2.0
    o = ospa_series(ests, truths, c, p)
    g = gospa_series(ests, truths, c, p)
    ref = np.array([dense_oracle(e, t, c, p) for e, t in zip(ests, truths, strict=True)])
    np.testing.assert_allclose(o, ref[:, 0], rtol=RTOL, atol=1e-12 * c)
    np.testing.assert_allclose(g.distance, ref[:, 1], rtol=RTOL, atol=1e-12 * c)
    np.testing.assert_allclose(g.localization, ref[:, 2], rtol=RTOL, atol=1e-12 * c**p)
    np.testing.assert_array_equal(g.n_assigned, ref[:, 3].astype(np.int64))


def test_one_component_of_many_points():
    """A chain where every estimate is close to two truths: one component of 2 × 400 points
    whose optimum is not the nearest-neighbour choice (the sparse solver must do the work)."""
    rng = np.random.default_rng(3)
    x = np.cumsum(rng.uniform(8.0, 12.0, 400))
    truth = np.column_stack([x, np.zeros((400, 2))])
    est = truth + [[6.0, 0.0, 0.0]] + rng.normal(0, 1.0, (400, 3))
    for p in (1.0, 2.0):
        o, g_dist, loc, k = dense_oracle(est, truth, 15.0, p)
        assert ospa(est, truth, 15.0, p) == pytest.approx(o, rel=RTOL)
        g = gospa(est, truth, 15.0, p)
        assert (g.n_assigned, g.distance) == (k, pytest.approx(g_dist, rel=RTOL))
        assert g.localization == pytest.approx(loc, rel=RTOL)


def test_non_finite_points_as_dense():
    """NaN coordinates are refused as by the dense solver; infinite ones are beyond any c."""
    with pytest.raises(ValueError):
        ospa([[np.nan, 0.0, 0.0], [1.0, 0.0, 0.0]], [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], c=5.0)
    g = gospa([[np.inf, 0.0, 0.0], [1.0, 0.0, 0.0]], [[0.0, 0.0, 0.0]], c=5.0, p=1.0)
    assert (g.n_assigned, g.n_false, g.localization) == (1, 1, 1.0)
