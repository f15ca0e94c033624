"""Kill models and draws, checked statistically (fixed seeds) against closed forms.

For a circular normal miss vector (σ_m per axis) the miss distance is Rayleigh, and the mean
single-shot Pk is ``pk_max (1 − exp(−R²/(2σ_m²)))`` for a lethal radius R and
``pk_max σ_k²/(σ_k² + σ_m²)`` for the Gaussian Pk curve (integrals over the Rayleigh density).
Tolerances: 5 binomial standard deviations.
"""

import numpy as np
import pytest

from hdsim.engagement import KillModel, draw_kills, pk_gaussian, pk_lethal_radius

N = 200_000


def rayleigh_miss(rng, sigma_m, n=N):
    return np.hypot(rng.normal(0.0, sigma_m, n), rng.normal(0.0, sigma_m, n))


def binomial_tol(p, n=N):
    return 5.0 * np.sqrt(p * (1.0 - p) / n)


def test_pk_curves():
    np.testing.assert_array_equal(pk_lethal_radius([0.0, 4.9, 5.0, 5.1, np.nan], 5.0, 0.9),
                                  [0.9, 0.9, 0.9, 0.0, 0.0])
    np.testing.assert_allclose(pk_gaussian([0.0, 3.0, 6.0, np.nan], 0.8, 3.0),
                               [0.8, 0.8 * np.exp(-0.5), 0.8 * np.exp(-2.0), 0.0])


@pytest.mark.parametrize(("radius", "pk_max", "sigma_m"), [(5.0, 1.0, 4.0), (2.0, 0.7, 3.0)])
def test_lethal_radius_kill_rate_against_rayleigh(radius, pk_max, sigma_m):
    rng = np.random.default_rng(11)
    model = KillModel(kind="lethal_radius", lethal_radius_m=radius, pk_max=pk_max)
    kills = model.draw(rayleigh_miss(rng, sigma_m), rng)
    expected = pk_max * (1.0 - np.exp(-radius**2 / (2.0 * sigma_m**2)))
    assert kills.mean() == pytest.approx(expected, abs=binomial_tol(expected))


@pytest.mark.parametrize(("sigma_k", "pk_max", "sigma_m"), [(3.0, 0.9, 3.0), (1.0, 1.0, 4.0)])
def test_gaussian_kill_rate_against_rayleigh(sigma_k, pk_max, sigma_m):
    rng = np.random.default_rng(12)
    model = KillModel(kind="gaussian", sigma_m=sigma_k, pk_max=pk_max)
    kills = model.draw(rayleigh_miss(rng, sigma_m), rng)
    expected = pk_max * sigma_k**2 / (sigma_k**2 + sigma_m**2)
    assert kills.mean() == pytest.approx(expected, abs=binomial_tol(expected))


def test_draws_are_bernoulli_and_reproducible():
    pk = np.full(N, 0.3)
    a = draw_kills(pk, np.random.default_rng(5))
    b = draw_kills(pk, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    assert a.mean() == pytest.approx(0.3, abs=binomial_tol(0.3))
    assert not draw_kills(np.zeros(10), np.random.default_rng(1)).any()
    assert draw_kills(np.ones(10), np.random.default_rng(1)).all()


@pytest.mark.parametrize(("field", "value"), [("pk_max", 1.5), ("sigma_m", 0.0),
                                              ("lethal_radius_m", -1.0), ("kind", "nuke")])
def test_kill_model_validation_names_the_field(field, value):
    with pytest.raises(ValueError, match=field):
        KillModel(**{field: value})
