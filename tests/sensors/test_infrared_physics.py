"""Tests of hdsim.sensors.infrared_physics against closed forms, tables and libraries.

Oracles:
- Stefan-Boltzmann law (whole-spectrum radiance σT⁴/π, CODATA σ) and Wien's displacement law
  (CODATA b = 2.897771955e-3 m·K), found by scipy.optimize on the spectral radiance.
- The exact series for the blackbody fraction F(0→λT) (Siegel & Howell, *Thermal Radiation
  Heat Transfer*; Incropera et al. 6th ed., Sec. 12.3) and the printed Table 12.1 of Incropera
  et al. (tests/reference/blackbody_fractions_incropera.csv).
- scipy.integrate.quad of Planck's law over wavelength for arbitrary bands.
- NACA Report 1135 (1953) isentropic relation T/T0 = (1 + (γ−1)/2 M²)⁻¹.
- scipy.optimize.brentq on the wall energy balance; ambiance (1976 standard atmosphere) for
  an independent recomputation of the body signature.
- Normal distribution (scipy.stats.norm) and Monte Carlo for the detection law.
"""

from __future__ import annotations

from pathlib import Path

import ambiance
import numpy as np
import pytest
from scipy import integrate, optimize, stats

from hdsim.sensors.infrared_physics import (
    LWIR_BAND_M,
    MWIR_BAND_M,
    NEI_EARTH_BACKGROUND_W_M2,
    NEI_SPACE_BACKGROUND_W_M2,
    SWIR_BAND_M,
    band_radiance_w_m2_sr,
    body_radiant_intensity_w_sr,
    ir_threshold_snr,
    irradiance_w_m2,
    pd_ir,
    plume_radiant_intensity_w_sr,
    snr_ir,
    spectral_radiance_w_m2_sr_m,
    stagnation_temperature_k,
    surface_temperature_k,
)

SIGMA_CODATA = 5.670374419e-8  # W/(m^2 K^4)
WIEN_B_CODATA = 2.897771955e-3  # m K
C2_CODATA = 1.438776877e-2  # m K, second radiation constant
REFERENCE = Path(__file__).resolve().parents[1] / "reference"


def _fraction_series(lambda_t_m_k):
    """F(0→λT) = (15/π⁴) Σ_n e^{-nx}/n (x³ + 3x²/n + 6x/n² + 6/n³), x = C2/(λT)."""
    x = C2_CODATA / np.asarray(lambda_t_m_k, dtype=float)
    n = np.arange(1, 400)[:, None]
    terms = np.exp(-n * x) / n * (x**3 + 3 * x**2 / n + 6 * x / n**2 + 6 / n**3)
    return 15 / np.pi**4 * terms.sum(axis=0)


# ------------------------------------------------------------------------------ blackbody


def test_whole_spectrum_is_stefan_boltzmann():
    t = np.array([50.0, 200.0, 300.0, 1000.0, 3000.0, 6000.0])
    got = band_radiance_w_m2_sr(t, 0.0, np.inf)
    rel = got / (SIGMA_CODATA * t**4 / np.pi) - 1
    assert np.max(np.abs(rel)) < 1e-3  # the required 0.1 %
    assert np.max(np.abs(rel)) < 1e-9  # measured 3.5e-10


def test_band_fraction_against_exact_series():
    t = 1000.0
    lam_t = np.geomspace(500e-6, 1e-1, 60)  # λT from 500 to 1e5 µm·K
    total = SIGMA_CODATA * t**4 / np.pi
    got = band_radiance_w_m2_sr(t, 0.0, lam_t / t) / total
    np.testing.assert_allclose(got, _fraction_series(lam_t), atol=1e-9)


def test_band_fraction_against_incropera_table():
    table = np.loadtxt(REFERENCE / "blackbody_fractions_incropera.csv", delimiter=",", skiprows=5)
    lam_t_m_k = table[:, 0] * 1e-6
    for t in (300.0, 1500.0):
        got = band_radiance_w_m2_sr(t, 0.0, lam_t_m_k / t) / (SIGMA_CODATA * t**4 / np.pi)
        np.testing.assert_allclose(got, table[:, 1], atol=1e-4)
    # The headline value: a quarter of the emission lies below Wien's peak (λT = 2898 µm·K).
    assert table[2, 1] == pytest.approx(0.25, abs=2e-4)


@pytest.mark.parametrize("temp_k", [200.0, 300.0, 800.0, 2000.0, 4000.0])
@pytest.mark.parametrize(
    "band", [SWIR_BAND_M, MWIR_BAND_M, LWIR_BAND_M, (4.2e-6, 4.4e-6), (2.6e-6, 2.9e-6)]
)
def test_band_radiance_against_quad(temp_k, band):
    ref, _ = integrate.quad(
        lambda lam: spectral_radiance_w_m2_sr_m(lam, temp_k), *band, epsabs=0, epsrel=1e-12
    )
    assert band_radiance_w_m2_sr(temp_k, *band) == pytest.approx(ref, rel=1e-9)


def test_band_radiance_broadcasts_and_zero_temperature():
    t = np.array([[0.0], [500.0], [1500.0]])
    lo = np.array([1e-6, 3e-6, 8e-6])
    out = band_radiance_w_m2_sr(t, lo, lo * 1.5)
    assert out.shape == (3, 3)
    assert np.all(out[0] == 0.0) and np.all(out[1:] > 0)


@pytest.mark.parametrize("temp_k", [300.0, 1000.0, 5778.0])
def test_wien_peak(temp_k):
    res = optimize.minimize_scalar(
        lambda lam_um: -spectral_radiance_w_m2_sr_m(lam_um * 1e-6, temp_k),
        bracket=(0.5 * 2897.77 / temp_k, 2897.77 / temp_k, 2 * 2897.77 / temp_k),
        tol=1e-12,
    )
    assert res.x * 1e-6 == pytest.approx(WIEN_B_CODATA / temp_k, rel=1e-6)


# ------------------------------------------------------------------- aerodynamic heating


@pytest.mark.parametrize("mach, t_ratio", [(2.0, 0.5556), (5.0, 0.1667), (10.0, 0.04762)])
def test_stagnation_temperature_against_naca_1135(mach, t_ratio):
    # NACA Report 1135 isentropic tables, γ = 1.4: T/T0 at M = 2, 5, 10.
    t_inf = 216.65
    a = np.sqrt(1.4 * 287.05287 * t_inf)
    t0 = stagnation_temperature_k(mach * a, t_inf)
    assert t_inf / t0 == pytest.approx(t_ratio, abs=5e-5)
    # A recovery factor r scales the rise: T_r - T∞ = r (T0 - T∞).
    tr = stagnation_temperature_k(mach * a, t_inf, recovery=0.89)
    assert tr - t_inf == pytest.approx(0.89 * (t0 - t_inf), rel=1e-12)


def test_surface_temperature_solves_energy_balance():
    sigma, k_sg = 5.670374419e-8, 1.7415e-4
    rng = np.random.default_rng(3)
    v = rng.uniform(300, 7500, 50)
    t_inf = rng.uniform(190, 280, 50)
    rho = 10 ** rng.uniform(-6, 0, 50)
    eps = rng.uniform(0.3, 0.95, 50)
    got = surface_temperature_k(v, t_inf, rho, eps, heating_radius_m=2.0)
    for i in range(50):
        t0 = t_inf[i] + v[i] ** 2 / (2 * (1.4 * 287.05287 / 0.4))  # c_p = γR/(γ-1)
        q = k_sg * np.sqrt(rho[i] / 2.0) * v[i] ** 3

        def balance(t, i=i, t0=t0, q=q):
            return eps[i] * sigma * (t**4 - t_inf[i] ** 4) - q * (1 - t / t0)

        ref = optimize.brentq(balance, t_inf[i], t0, xtol=1e-10, rtol=1e-14)
        assert got[i] == pytest.approx(ref, abs=1e-6)  # kelvin


def test_surface_temperature_limits():
    # No flow: ambient. Vanishing heating: ambient. Overwhelming heating: stagnation temperature.
    assert surface_temperature_k(0.0, 250.0, 1.0) == pytest.approx(250.0)
    assert surface_temperature_k(3000.0, 250.0, 1e-30) == pytest.approx(250.0, abs=1e-3)
    t0 = stagnation_temperature_k(1000.0, 250.0)
    assert surface_temperature_k(1000.0, 250.0, 1e12) == pytest.approx(t0, rel=1e-3)


def test_body_intensity_against_independent_chain():
    # Recompute one point with ambiance's 1976 atmosphere, brentq and quad.
    v, h, area, eps = 5500.0, 35e3, 2.0, 0.8
    atm = ambiance.Atmosphere(h)
    t_inf, rho = float(atm.temperature[0]), float(atm.density[0])
    t0 = t_inf + v**2 / (2 * (1.4 * 287.05287 / 0.4))
    q = 1.7415e-4 * np.sqrt(rho / 3.0) * v**3
    t_w = optimize.brentq(
        lambda t: eps * SIGMA_CODATA * (t**4 - t_inf**4) - q * (1 - t / t0), t_inf, t0, xtol=1e-9
    )

    def planck(lam):
        return 2 * 6.62607015e-34 * 299792458.0**2 / lam**5 / np.expm1(C2_CODATA / (lam * t_w))

    radiance = integrate.quad(planck, *MWIR_BAND_M, epsrel=1e-12)[0]
    expected = eps * radiance * area
    got = body_radiant_intensity_w_sr(v, h, area, eps, MWIR_BAND_M)
    assert got == pytest.approx(expected, rel=1e-4)  # atmosphere models agree to ~1e-5


def test_body_intensity_grows_with_speed_and_falls_with_altitude():
    speed = np.linspace(2000.0, 7000.0, 11)[:, None]
    alt = np.linspace(20e3, 80e3, 13)[None, :]
    for band in (SWIR_BAND_M, MWIR_BAND_M, LWIR_BAND_M):
        i = body_radiant_intensity_w_sr(speed, alt, 1.0, 0.85, band)
        assert np.all(np.diff(i, axis=0) > 0)
        assert np.all(np.diff(i, axis=1) < 0)
    # Scale: a 1 m² glider at 6 km/s, 40 km: tens of kW/sr in the MWIR (notional model).
    assert 1e4 < body_radiant_intensity_w_sr(6000.0, 40e3, 1.0) < 1e5


def test_plume_intensity_notional_scale():
    # Linear in thrust; a 1 MN booster gives 1e6 W/sr, inside the 1e5-1e7 W/sr literature span.
    thrust = np.array([1e5, 5e5, 1e6])
    i = plume_radiant_intensity_w_sr(thrust)
    np.testing.assert_allclose(i / thrust, 1.0)
    assert 1e5 <= i[-1] <= 1e7


# ------------------------------------------------------------------------------ detection


def test_irradiance_inverse_square():
    e1 = irradiance_w_m2(1e5, 1e6)
    assert e1 == pytest.approx(1e5 / 1e12)
    assert irradiance_w_m2(1e5, 2e6) == pytest.approx(e1 / 4)
    assert irradiance_w_m2(1e5, 1e6, atm_transmission=0.3) == pytest.approx(0.3 * e1)


def test_pd_ir_closed_forms():
    t = ir_threshold_snr(1e-6)
    assert t == pytest.approx(stats.norm.isf(1e-6), rel=1e-12)
    assert t == pytest.approx(4.7534, abs=1e-4)  # standard normal table, upper tail 1e-6
    assert pd_ir(t, t) == pytest.approx(0.5, abs=1e-15)  # SNR at threshold
    assert pd_ir(0.0, t) == pytest.approx(1e-6, rel=1e-9)  # no signal: false-alarm rate
    snr = np.linspace(0, 10, 21)
    np.testing.assert_allclose(pd_ir(snr, t), stats.norm.sf(t - snr), rtol=1e-12)


def test_pd_ir_monte_carlo():
    rng = np.random.default_rng(11)
    t = ir_threshold_snr(1e-3)
    for snr in (2.0, 3.09, 4.5):
        hits = (snr + rng.standard_normal(200_000)) > t
        p = pd_ir(snr, t)
        assert abs(hits.mean() - p) < 4.5 * np.sqrt(p * (1 - p) / 200_000)


def test_viewing_geometry_enters_through_nei():
    # Same target and range: against cold space (low NEI) the SNR is 10x the look-down one.
    e = irradiance_w_m2(body_radiant_intensity_w_sr(2500.0, 30e3, 1.0), 3.0e6)
    s_space = snr_ir(e, NEI_SPACE_BACKGROUND_W_M2)
    s_earth = snr_ir(e, NEI_EARTH_BACKGROUND_W_M2)
    assert s_space == pytest.approx(10 * s_earth)
    t = ir_threshold_snr(1e-6)
    assert pd_ir(s_space, t) >= pd_ir(s_earth, t)
