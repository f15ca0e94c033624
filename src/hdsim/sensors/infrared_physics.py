"""Infrared detection physics: blackbody radiometry, aero-heated body and plume signatures, Pd.

Pure vectorized functions, SI units (wavelengths in m, temperatures in K, radiance in
W/(m²·sr), intensity in W/sr, irradiance in W/m²). Bands are ``(lambda_min_m, lambda_max_m)``.

Model chain for a space IR sensor looking at a threat::

    speed, altitude --atmosphere--> surface temperature --Planck, band--> radiance
      × emissivity × projected area = radiant intensity I (W/sr)
    I × transmission / R² = irradiance E (W/m²);  SNR = E / NEI;  Pd = Q(T − SNR)

Sources and choices
-------------------
Blackbody
    Planck's law ``L_λ = 2hc²/λ⁵ / (exp(hc/(λkT)) − 1)``; in-band radiance by fixed composite
    Gauss-Legendre quadrature in the dimensionless variable ``x = hc/(λkT)`` (4 panels × 16
    nodes), ``L_band = (2k⁴T⁴/(h³c²)) ∫ x³/(eˣ − 1) dx``. Measured: the whole spectrum gives
    ``σT⁴/π`` to 3.5e-10 relative, band fractions match the exact series to 4e-10 and
    adaptive quadrature of Planck's law to 2e-11 relative; Incropera et al., *Fundamentals of
    Heat and Mass Transfer*, 6th ed., Table 12.1 to its printed precision (tests). Exact SI
    2019 constants (σ CODATA 2018).

Aerodynamic heating of the body (notional, documented)
    Total (stagnation) temperature ``T0 = T∞ + r V²/(2 c_p)`` = ``T∞ (1 + r (γ−1)/2 M²)`` with
    recovery factor r (1 at a stagnation point; ≈ Pr^(1/2) ≈ 0.85 laminar, Pr^(1/3) ≈ 0.89
    turbulent for a flat plate) (Anderson, *Hypersonic and High-Temperature Gas Dynamics*,
    2nd ed., 2006, Ch. 6; White, *Viscous Fluid Flow*). A hypersonic surface does not reach
    T0: it radiates. The wall temperature solves the radiative-equilibrium balance

        ε σ (T_w⁴ − T∞⁴) = q_cw (1 − T_w / T0)

    where ``q_cw = k sqrt(ρ/R) V³`` is the Sutton-Graves cold-wall stagnation heating
    (k = 1.7415e-4 kg^0.5/m for air; Sutton & Graves, NASA TR R-376, 1971; Anderson Ch. 6)
    and ``(1 − h_w/h_0)`` is the usual hot-wall correction with h = c_p T (h_0 = c_p T0 is the
    total enthalpy, so the perfect-gas T0 here stays right when real-gas effects cap the
    physical shock-layer temperature). The body is a Lambertian gray surface of projected area
    A at that one temperature, ``I = ε L_band(T_w) A``. The heating radius R is an *effective*
    radius standing for the area-averaged heating of the visible surface (default 3 m,
    notional: ~2300 K at 6 km/s and 40 km, ~1100 K at 2 km/s and 25 km); the real nose
    radius gives the (higher) nose temperature. Hot-gas (shock-layer) emission and the
    background contrast are not modelled. This one-temperature body is the *isotropic*
    signature, kept for threats without a geometry; a threat with one is seen through its
    temperature field and aspect (:mod:`hdsim.sensors.signature`).

Booster plume (notional)
    ``I = c × thrust`` with c = 1 W/(sr·N) by default: 1e5-1e6 W/sr for boosters of
    0.1-1 MN, the order of magnitude of SWIR/MWIR booster plume intensities discussed in the
    open literature (e.g. Simmons, *Rocket Exhaust Plume Phenomenology*, Aerospace Press, 2000;
    APS Study Group, "Boost-Phase Intercept Systems for National Missile Defense", Rev. Mod.
    Phys. 76, S1, 2004). Notional: no band, altitude or aspect dependence.

Detection
    A point target on a Gaussian-noise-limited detector: ``SNR = E / NEI`` and, for a threshold
    T (in noise sigmas) set by the per-pixel false-alarm probability, ``T = Q⁻¹(Pfa)`` and
    ``Pd = Q(T − SNR)`` with Q the standard normal tail (e.g. Holst, *Electro-Optical Imaging
    System Performance*; Driggers et al., *Introduction to Infrared and Electro-Optical
    Systems*). The viewing geometry enters only through the NEI (and transmission):
    above the horizon (cold space background) the NEI is low; looking down at the warm,
    cluttered Earth it is higher. Notional values, not taken from any real sensor:
    ``NEI_SPACE_BACKGROUND_W_M2 = 1e-13`` (range 1e-14 to 1e-12 W/m²) and
    ``NEI_EARTH_BACKGROUND_W_M2 = 1e-12``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from hdsim.earth.atmosphere import atmosphere

H_PLANCK_J_S: float = 6.62607015e-34
"""Planck constant (exact, SI 2019), J·s."""
C_LIGHT_MPS: float = 299_792_458.0
"""Speed of light in vacuum (exact), m/s."""
K_BOLTZMANN_J_PER_K: float = 1.380649e-23
"""Boltzmann constant (exact, SI 2019), J/K."""
STEFAN_BOLTZMANN_W_M2_K4: float = 5.670374419e-8
"""Stefan-Boltzmann constant (CODATA 2018), W/(m²·K⁴)."""
WIEN_B_M_K: float = 2.897771955e-3
"""Wien displacement constant (CODATA 2018), m·K."""

C2_M_K: float = H_PLANCK_J_S * C_LIGHT_MPS / K_BOLTZMANN_J_PER_K
"""Second radiation constant hc/k, m·K."""

SUTTON_GRAVES_K_AIR: float = 1.7415e-4
"""Sutton-Graves constant for air, kg^0.5/m (q in W/m², ρ in kg/m³, R in m, V in m/s)."""

AIR_GAS_CONSTANT_J_KG_K: float = 287.05287
"""Specific gas constant of dry air (US Standard Atmosphere 1976), J/(kg·K)."""

SWIR_BAND_M: tuple[float, float] = (1.0e-6, 3.0e-6)
"""Short-wave IR band, m."""
MWIR_BAND_M: tuple[float, float] = (3.0e-6, 5.0e-6)
"""Mid-wave IR band, m."""
LWIR_BAND_M: tuple[float, float] = (8.0e-6, 12.0e-6)
"""Long-wave IR band, m."""

NEI_SPACE_BACKGROUND_W_M2: float = 1e-13
"""Notional noise-equivalent irradiance above the horizon (cold space background), W/m²."""
NEI_EARTH_BACKGROUND_W_M2: float = 1e-12
"""Notional noise-equivalent irradiance looking down at the Earth (clutter-limited), W/m²."""

PLUME_INTENSITY_PER_THRUST_W_SR_PER_N: float = 1.0
"""Notional booster plume radiant intensity per newton of thrust, W/(sr·N)."""

DEFAULT_HEATING_RADIUS_M: float = 3.0
"""Notional effective radius for the area-averaged aerodynamic heating, m."""

_X_MAX = 80.0  # x = hc/(λkT) beyond which x³/(eˣ−1) < 1e-28 of the total
_N_PANELS = 4
_GL_X, _GL_W = np.polynomial.legendre.leggauss(16)

__all__ = [
    "C2_M_K",
    "DEFAULT_HEATING_RADIUS_M",
    "LWIR_BAND_M",
    "MWIR_BAND_M",
    "NEI_EARTH_BACKGROUND_W_M2",
    "NEI_SPACE_BACKGROUND_W_M2",
    "PLUME_INTENSITY_PER_THRUST_W_SR_PER_N",
    "STEFAN_BOLTZMANN_W_M2_K4",
    "SWIR_BAND_M",
    "WIEN_B_M_K",
    "band_radiance_w_m2_sr",
    "body_radiant_intensity_w_sr",
    "ir_threshold_snr",
    "irradiance_w_m2",
    "pd_ir",
    "plume_radiant_intensity_w_sr",
    "snr_ir",
    "spectral_radiance_w_m2_sr_m",
    "stagnation_temperature_k",
    "surface_temperature_k",
]


# ------------------------------------------------------------------------------- blackbody


def spectral_radiance_w_m2_sr_m(wavelength_m: ArrayLike, temp_k: ArrayLike) -> NDArray[np.float64]:
    """Planck blackbody spectral radiance ``L_λ = 2hc²/λ⁵ / (exp(hc/(λkT)) − 1)``, W/(m²·sr·m)."""
    lam = np.asarray(wavelength_m, dtype=np.float64)
    t = np.asarray(temp_k, dtype=np.float64)
    with np.errstate(over="ignore", divide="ignore"):
        return 2.0 * H_PLANCK_J_S * C_LIGHT_MPS**2 / lam**5 / np.expm1(C2_M_K / (lam * t))


def band_radiance_w_m2_sr(
    temp_k: ArrayLike, lambda_min_m: ArrayLike, lambda_max_m: ArrayLike
) -> NDArray[np.float64]:
    """Blackbody radiance in the band [λmin, λmax], W/(m²·sr); broadcasts over all arguments.

    ``L = (2k⁴T⁴/(h³c²)) ∫_{x(λmax)}^{x(λmin)} x³/(eˣ − 1) dx``, ``x = hc/(λkT)``, by composite
    Gauss-Legendre quadrature (4 equal panels × 16 nodes on the band in x, x capped at 80).
    ``lambda_min_m = 0`` and ``lambda_max_m = inf`` are allowed (whole spectrum: σT⁴/π).
    Temperatures <= 0 give 0.
    """
    t = np.asarray(temp_k, dtype=np.float64)
    lmin = np.asarray(lambda_min_m, dtype=np.float64)
    lmax = np.asarray(lambda_max_m, dtype=np.float64)
    t, lmin, lmax = np.broadcast_arrays(t, lmin, lmax)
    t_pos = np.where(t > 0.0, t, 1.0)
    with np.errstate(divide="ignore"):
        x_lo = np.minimum(C2_M_K / (lmax * t_pos), _X_MAX)
        x_hi = np.minimum(C2_M_K / (lmin * t_pos), _X_MAX)
    # Panel edges and nodes: shape (..., panels, nodes).
    width = (x_hi - x_lo) / _N_PANELS
    start = x_lo[..., None] + width[..., None] * np.arange(_N_PANELS)
    x = start[..., None] + 0.5 * width[..., None, None] * (_GL_X + 1.0)
    integrand = x**3 / np.expm1(x)
    integral = 0.5 * width * np.sum(integrand * _GL_W, axis=(-2, -1))
    scale = 2.0 * K_BOLTZMANN_J_PER_K**4 / (H_PLANCK_J_S**3 * C_LIGHT_MPS**2)
    out = scale * t_pos**4 * np.maximum(integral, 0.0)
    return np.where(t > 0.0, out, 0.0)


# ----------------------------------------------------------------------- aerodynamic heating


def stagnation_temperature_k(
    speed_mps: ArrayLike,
    ambient_temp_k: ArrayLike,
    gamma: float = 1.4,
    recovery: float = 1.0,
    gas_constant_j_kg_k: float = AIR_GAS_CONSTANT_J_KG_K,
) -> NDArray[np.float64]:
    """Total (r = 1) or recovery (r < 1) temperature of a calorically perfect gas, K.

    ``T = T∞ + r V²/(2 c_p)``, ``c_p = γR/(γ−1)``, i.e. ``T∞ (1 + r (γ−1)/2 M²)`` (NACA
    Report 1135, 1953, eq. 43; Anderson 2006, Ch. 6). With r = 1 this is T0; for a surface use
    r ≈ 0.85 (laminar) or 0.89 (turbulent). At hypersonic speed the real gas is far cooler
    than this T0 (dissociation), but ``c_p T0`` is still the total enthalpy, which is how
    :func:`surface_temperature_k` uses it.
    """
    v = np.asarray(speed_mps, dtype=np.float64)
    t_inf = np.asarray(ambient_temp_k, dtype=np.float64)
    cp = gamma * gas_constant_j_kg_k / (gamma - 1.0)
    return t_inf + recovery * v * v / (2.0 * cp)


def surface_temperature_k(
    speed_mps: ArrayLike,
    ambient_temp_k: ArrayLike,
    density_kgpm3: ArrayLike,
    emissivity: ArrayLike = 0.85,
    heating_radius_m: ArrayLike = DEFAULT_HEATING_RADIUS_M,
    gamma: float = 1.4,
) -> NDArray[np.float64]:
    """Radiative-equilibrium wall temperature of a hypersonic body, K.

    Solves ``ε σ (T⁴ − T∞⁴) = q_cw (1 − T/T0)`` with the Sutton-Graves cold-wall heating
    ``q_cw = 1.7415e-4 sqrt(ρ/R) V³`` (W/m²) and T0 from :func:`stagnation_temperature_k`
    (r = 1); the root lies in [T∞, T0]. The left side minus the right side is increasing and
    convex in T, so Newton's method started at T0 converges monotonically (40 fixed
    iterations, vectorized). Sources in the module docstring.
    """
    v = np.asarray(speed_mps, dtype=np.float64)
    t_inf = np.asarray(ambient_temp_k, dtype=np.float64)
    rho = np.asarray(density_kgpm3, dtype=np.float64)
    eps = np.asarray(emissivity, dtype=np.float64)
    radius = np.asarray(heating_radius_m, dtype=np.float64)
    v, t_inf, rho, eps, radius = np.broadcast_arrays(v, t_inf, rho, eps, radius)
    t0 = stagnation_temperature_k(v, t_inf, gamma=gamma)
    q = SUTTON_GRAVES_K_AIR * np.sqrt(np.maximum(rho, 0.0) / radius) * np.abs(v) ** 3
    es = eps * STEFAN_BOLTZMANN_W_M2_K4
    t = t0.copy()
    for _ in range(40):
        f = es * (t**4 - t_inf**4) - q * (1.0 - t / t0)
        df = 4.0 * es * t**3 + q / t0
        t = t - f / df
    return np.clip(t, t_inf, t0)


def body_radiant_intensity_w_sr(
    speed_mps: ArrayLike,
    alt_m: ArrayLike,
    area_m2: ArrayLike,
    emissivity: ArrayLike = 0.85,
    band: tuple[float, float] = MWIR_BAND_M,
    heating_radius_m: ArrayLike = DEFAULT_HEATING_RADIUS_M,
) -> NDArray[np.float64]:
    """In-band radiant intensity of an aero-heated gliding or cruising body, W/sr.

    ``I = ε L_band(T_w) A`` with ``T_w`` from :func:`surface_temperature_k` using the 1976
    standard atmosphere at ``alt_m`` (:func:`hdsim.earth.atmosphere`), ``A`` the projected area
    seen by the sensor (m²) and a Lambertian gray surface. Notional; see the module docstring.
    """
    atm = atmosphere(alt_m)
    t_w = surface_temperature_k(
        speed_mps, atm.temperature_k, atm.density_kgpm3, emissivity, heating_radius_m
    )
    radiance = band_radiance_w_m2_sr(t_w, band[0], band[1])
    return np.asarray(emissivity, dtype=np.float64) * radiance * np.asarray(area_m2)


def plume_radiant_intensity_w_sr(
    thrust_n: ArrayLike,
    intensity_per_thrust_w_sr_per_n: float = PLUME_INTENSITY_PER_THRUST_W_SR_PER_N,
) -> NDArray[np.float64]:
    """Notional SWIR/MWIR booster plume radiant intensity ``I = c × thrust``, W/sr.

    Default c = 1 W/(sr·N): 1e5-1e6 W/sr for 0.1-1 MN boosters (order of magnitude from the
    open literature cited in the module docstring; not a measured value).
    """
    return intensity_per_thrust_w_sr_per_n * np.maximum(np.asarray(thrust_n, dtype=np.float64), 0)


# -------------------------------------------------------------------------------- detection


def irradiance_w_m2(
    intensity_w_sr: ArrayLike, range_m: ArrayLike, atm_transmission: ArrayLike = 1.0
) -> NDArray[np.float64]:
    """Irradiance at the aperture of a point source, ``E = I τ / R²`` (W/m²)."""
    r = np.asarray(range_m, dtype=np.float64)
    return np.asarray(intensity_w_sr, dtype=np.float64) * np.asarray(atm_transmission) / (r * r)


def snr_ir(irradiance: ArrayLike, nei_w_m2: ArrayLike) -> NDArray[np.float64]:
    """Signal-to-noise ratio (linear, in noise sigmas) of a point target, ``E / NEI``."""
    return np.asarray(irradiance, dtype=np.float64) / np.asarray(nei_w_m2, dtype=np.float64)


def ir_threshold_snr(pfa: ArrayLike) -> NDArray[np.float64]:
    """Detection threshold in noise sigmas for a per-pixel false-alarm probability, Q⁻¹(Pfa)."""
    return -special.ndtri(np.asarray(pfa, dtype=np.float64))


def pd_ir(snr: ArrayLike, threshold_snr: ArrayLike) -> NDArray[np.float64]:
    """Probability of detection ``Pd = Q(T − SNR)`` for Gaussian noise, Q the normal tail.

    ``snr`` is linear (signal over noise sigma), ``threshold_snr`` from :func:`ir_threshold_snr`.
    """
    return special.ndtr(np.asarray(snr, dtype=np.float64) - np.asarray(threshold_snr))
