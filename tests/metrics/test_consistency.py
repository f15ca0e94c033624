"""NEES / NIS and chi-square acceptance intervals (Bar-Shalom, Li & Kirubarajan 2001, §5.4.2).

Oracles: scipy's Mahalanobis distance; the Wilson-Hilferty (1931) normal approximation of χ²
quantiles; and the defining property — for correctly specified Gaussian errors the average NEES
falls in its 95 % interval in 95 % of seeded trials (binomial tolerance).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import mahalanobis
from scipy.stats import norm

from hdsim.metrics import average_nees, average_nis, chi2_interval, nees, nis


def _random_spd(rng, n, batch=()):
    A = rng.normal(size=batch + (n, n))
    return A @ np.swapaxes(A, -1, -2) + n * np.eye(n)


def test_nees_nis_against_scipy_mahalanobis():
    rng = np.random.default_rng(0)
    P = _random_spd(rng, 6, (5,))
    x = rng.normal(size=(5, 6))
    xt = rng.normal(size=(5, 6))
    ref = [mahalanobis(x[i], xt[i], np.linalg.inv(P[i])) ** 2 for i in range(5)]
    np.testing.assert_allclose(nees(x, P, xt), ref, rtol=1e-12)
    # NIS with one S broadcast over a batch of innovations
    S = _random_spd(rng, 3)
    nu = rng.normal(size=(4, 3))
    ref = [mahalanobis(v, np.zeros(3), np.linalg.inv(S)) ** 2 for v in nu]
    np.testing.assert_allclose(nis(nu, S), ref, rtol=1e-12)


@pytest.mark.parametrize(("dof", "n"), [(6, 50), (3, 100), (2, 400)])
def test_chi2_interval_against_wilson_hilferty(dof, n):
    k = dof * n
    z = norm.ppf(0.975)
    wh = [k * (1 - 2 / (9 * k) + s * z * np.sqrt(2 / (9 * k))) ** 3 / n for s in (-1, 1)]
    lo, hi = chi2_interval(dof, n)
    assert lo == pytest.approx(wh[0], rel=2e-4) and hi == pytest.approx(wh[1], rel=2e-4)
    assert lo < dof < hi


def test_average_nees_covers_95_percent_for_consistent_errors():
    rng = np.random.default_rng(12345)
    trials, M, d = 2000, 30, 6
    P = _random_spd(rng, d, (trials, 1))
    L = np.linalg.cholesky(P)
    xt = rng.normal(0.0, 1000.0, (trials, M, d))
    x = xt + np.einsum("tmij,tmj->tmi", np.broadcast_to(L, (trials, M, d, d)),
                       rng.standard_normal((trials, M, d)))
    res = average_nees(x, np.broadcast_to(P, (trials, M, d, d)), xt, axis=1)
    frac = res.inside.mean()
    # binomial: 0.95 ± 4σ with σ = sqrt(0.95·0.05/2000) = 0.0049
    assert abs(frac - 0.95) < 4 * np.sqrt(0.95 * 0.05 / trials), frac
    assert res.average.shape == (trials,)
    # an over-confident filter (reported P half the true one) fails nearly always
    bad = average_nees(x, np.broadcast_to(P / 2, (trials, M, d, d)), xt, axis=1)
    assert bad.inside.mean() < 0.01


def test_average_nis_over_time():
    rng = np.random.default_rng(7)
    trials, K, dz = 1000, 40, 2
    S = np.diag([4.0, 0.25])
    nu = rng.standard_normal((trials, K, dz)) * np.sqrt(np.diag(S))
    res = average_nis(nu, S, axis=1)
    assert abs(res.inside.mean() - 0.95) < 4 * np.sqrt(0.95 * 0.05 / trials)
    lo, hi = chi2_interval(dz, K)
    assert (res.lower, res.upper) == (lo, hi)


def test_bad_arguments():
    with pytest.raises(ValueError, match="dof"):
        chi2_interval(0, 10)
    with pytest.raises(ValueError, match="confidence"):
        chi2_interval(2, 10, confidence=1.0)
