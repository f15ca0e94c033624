"""The run-averaged, time-averaged NEES test (hdsim.metrics.run_average_nees).

Oracle: direct Monte Carlo with scipy/NumPy χ² draws.  The interval of ``M`` runs must cover a
consistent filter at least at its nominal level whatever the correlation of a run's NEES in
time: exactly (to Monte Carlo error) when the samples of a run are fully correlated, and more
than nominally when they are independent or partly correlated (the interval is conservative).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chi2

from hdsim.metrics import run_average_nees
from hdsim.metrics.consistency import chi2_interval


def _coverage(rng, rho: float, runs: int = 10, k: int = 100, trials: int = 2000) -> float:
    """Fraction of trials where the run average of time-averaged χ²(6) values (AR(1)
    correlation ``rho`` of the underlying Gaussians within a run) is inside the interval."""
    z = rng.standard_normal((trials, runs, k, 6))
    for i in range(1, k):  # Gaussian AR(1): every sample stays N(0, 1)
        z[:, :, i] = rho * z[:, :, i - 1] + np.sqrt(1.0 - rho * rho) * z[:, :, i]
    per_run = np.mean(np.sum(z * z, axis=-1), axis=-1)  # (trials, runs)
    test = run_average_nees(per_run, dof=6, axis=1)
    return float(np.mean(test.inside))


def test_interval_is_exact_for_fully_correlated_runs():
    rng = np.random.default_rng(1)
    per_run = chi2.rvs(6, size=(20000, 10), random_state=rng)  # one value per run
    cover = np.mean(run_average_nees(per_run, axis=1).inside)
    assert cover == pytest.approx(0.95, abs=0.006)


@pytest.mark.parametrize("rho", [0.0, 0.5, 0.95])
def test_interval_is_conservative_for_correlated_samples(rho):
    assert _coverage(np.random.default_rng(2), rho) >= 0.95


def test_inconsistent_filter_is_rejected():
    # covariance twice too small: every NEES doubles
    rng = np.random.default_rng(3)
    per_run = 2.0 * np.mean(chi2.rvs(6, size=(10, 300), random_state=rng), axis=1)
    assert not run_average_nees(per_run).inside


def test_interval_values_and_nan_runs():
    lo, hi = chi2_interval(6, 10)
    assert (lo, hi) == pytest.approx((chi2.ppf(0.025, 60) / 10, chi2.ppf(0.975, 60) / 10))
    v = np.array([[6.0, 5.0], [np.nan, 7.0], [6.0, 6.0]])
    test = run_average_nees(v)
    np.testing.assert_allclose(test.average, [6.0, 6.0])
    assert (test.lower, test.upper) == pytest.approx(chi2_interval(6, 2))  # fewest runs: 2
    with pytest.raises(ValueError, match="no finite value"):
        run_average_nees(np.full((3, 1), np.nan))
