"""U.S. Standard Atmosphere 1976 (NOAA-S/T 76-1562), vectorized, with a documented extension.

Input is *geometric* altitude above mean sea level, metres, any shape.

- **−5 km to 86 km**: the standard's defining equations. Geometric altitude ``Z`` is converted
  to geopotential altitude ``H = r0 Z / (r0 + Z)`` with ``r0 = 6,356,766 m``; the molecular-scale
  temperature ``T_M`` is linear in ``H`` in seven layers (bases 0, 11, 20, 32, 47, 51, 71 km′,
  lapse rates −6.5, 0, +1, +2.8, 0, −2.8, −2.0 K/km′, top 84.852 km′ = 86 km geometric);
  pressure from the hydrostatic equation in each layer, density ``ρ = P M0 / (R* T_M)``, speed
  of sound ``a = sqrt(γ R* T_M / M0)`` (γ = 1.4). The kinetic temperature is ``T = T_M M/M0``,
  with the molecular-weight ratio ``M/M0`` of the standard's Table 8 (1 below 80 km, 0.999579 at
  86 km), so that T is 186.87 K at 86 km.
- **86 km to 1000 km (extension, not the standard's own diffusion model)**: kinetic
  temperature from the standard's defining temperature profile (isothermal 186.8673 K to
  91 km; elliptical arc to 240 K at 110 km; +12 K/km to 360 K at 120 km; exponential approach
  to T∞ = 1000 K above), evaluated exactly rather than interpolated. Pressure and density are
  interpolated in altitude between values of the standard's Table I (geometric altitude, SI
  units) at the 21 altitudes of ``_UPPER_Z_M``, by a cubic spline of their logarithms (as in
  Pietrobon's "Unofficial Australian Standard Atmosphere 2000", which splines the same table).
  Measured against Table I values *not* embedded here (92.5, 97.5, 140, 180, 350, 450 km) the
  spline is within 0.5 %, where log-linear interpolation on the same nodes is off by up to
  7.4 % (140 km) — see ``tests/earth/test_atmosphere.py``. Speed of sound above 86 km uses the
  86 km mean molecular weight ``M = 0.999579 M0`` (the continuum notion loses meaning up there
  anyway), so it is continuous at 86 km.
- **Outside −5 km … 1000 km**: altitudes are clamped to that range (batch code never raises),
  so a point at 2000 km gets the 1000 km values and one at −6 km the −5 km values. NaN in,
  NaN out.

:class:`AtmosphereTable` tabulates the model for integrators' hot loops, and
:func:`atmosphere_table` is the one cached instance the threat and interceptor integrators share.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.interpolate import CubicSpline

from hdsim.earth.constants import G0_MPS2

# --- Constants of the 1976 standard (NOAA-S/T 76-1562, Table 2 and §1.2) ------------------
R0_M = 6356766.0
"""Effective Earth radius for the geopotential conversion, m."""
R_STAR = 8.31432
"""Universal gas constant as adopted by the 1976 standard, J/(mol K)."""
M0_KGPMOL = 0.0289644
"""Sea-level mean molecular weight of air, kg/mol."""
GAMMA = 1.4
"""Ratio of specific heats of air."""
Z_MIN_M = -5000.0
"""Lowest geometric altitude of the model, m (inputs below are clamped)."""
Z_86_M = 86000.0
"""Geometric altitude where the defining-equation model hands over to the extension, m."""
Z_MAX_M = 1_000_000.0
"""Highest geometric altitude of the model, m (inputs above are clamped)."""

# Layer bases (geopotential m'), lapse rates (K/m'); sea-level T and P.
_H_B = np.array([0.0, 11000.0, 20000.0, 32000.0, 47000.0, 51000.0, 71000.0])
_L_B = np.array([-0.0065, 0.0, 0.001, 0.0028, 0.0, -0.0028, -0.002])
_T0_K = 288.15
_P0_PA = 101325.0
_H_TOP = 84852.0
_GMR = G0_MPS2 * M0_KGPMOL / R_STAR  # hydrostatic constant, K/m'


def _layer_bases() -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Base temperatures and pressures of the seven layers, computed from the definitions."""
    t_b = np.empty(7)
    p_b = np.empty(7)
    t_b[0], p_b[0] = _T0_K, _P0_PA
    for i in range(6):
        dh = _H_B[i + 1] - _H_B[i]
        t_b[i + 1] = t_b[i] + _L_B[i] * dh
        if _L_B[i] == 0.0:
            p_b[i + 1] = p_b[i] * np.exp(-_GMR * dh / t_b[i])
        else:
            p_b[i + 1] = p_b[i] * (t_b[i] / t_b[i + 1]) ** (_GMR / _L_B[i])
    return t_b, p_b


_T_B, _P_B = _layer_bases()

# Table 8: M/M0 against geometric altitude, 80-86 km.
_MRATIO_Z_M = np.arange(80000.0, 86001.0, 500.0)
_MRATIO = np.array(
    [
        1.000000, 0.999996, 0.999989, 0.999971, 0.999941, 0.999909, 0.999870,
        0.999829, 0.999786, 0.999741, 0.999694, 0.999641, 0.999579,
    ]
)  # fmt: skip
_M86_KGPMOL = M0_KGPMOL * _MRATIO[-1]

# Upper-atmosphere temperature profile constants (1976 standard, defining equations).
_T7_K = 186.8673
_Z8_M, _TC_K, _A_K, _A_ELL_M = 91000.0, 263.1905, -76.3232, -19942.9
_Z9_M, _T9_K, _LK9 = 110000.0, 240.0, 0.012
_Z10_M, _T10_K, _TINF_K = 120000.0, 360.0, 1000.0
_LAMBDA = _LK9 / (_TINF_K - _T10_K)  # 1/m

# Table I of the 1976 standard (geometric altitude, SI): pressure and density above 86 km.
_UPPER_Z_M = 1000.0 * np.array(
    [86, 90, 91, 95, 100, 110, 115, 120, 130, 150, 175, 200, 250, 300, 400, 500, 600, 700, 800,
     900, 1000], dtype=np.float64
)  # fmt: skip
_UPPER_P_PA = np.array(
    [3.7338e-1, 1.8359e-1, 1.5381e-1, 7.5966e-2, 3.2011e-2, 7.1042e-3, 4.0096e-3, 2.5382e-3,
     1.2505e-3, 4.5422e-4, 1.7936e-4, 8.4736e-5, 2.4767e-5, 8.7704e-6, 1.4518e-6, 3.0236e-7,
     8.2130e-8, 3.1908e-8, 1.7036e-8, 1.0873e-8, 7.5138e-9]
)  # fmt: skip
_UPPER_RHO = np.array(
    [6.958e-6, 3.416e-6, 2.860e-6, 1.393e-6, 5.604e-7, 9.708e-8, 4.289e-8, 2.222e-8, 8.152e-9,
     2.076e-9, 6.339e-10, 2.541e-10, 6.073e-11, 1.916e-11, 2.803e-12, 5.215e-13, 1.137e-13,
     3.070e-14, 1.136e-14, 5.759e-15, 3.561e-15]
)  # fmt: skip
_UPPER_LNP = CubicSpline(_UPPER_Z_M, np.log(_UPPER_P_PA))
_UPPER_LNRHO = CubicSpline(_UPPER_Z_M, np.log(_UPPER_RHO))


class Atmosphere(NamedTuple):
    """Atmospheric state, each field an array of the input's shape (SI units)."""

    temperature_k: NDArray[np.float64]
    """Kinetic temperature, K."""
    pressure_pa: NDArray[np.float64]
    """Pressure, Pa."""
    density_kgpm3: NDArray[np.float64]
    """Mass density, kg/m³."""
    speed_of_sound_mps: NDArray[np.float64]
    """Speed of sound, m/s."""


def geopotential_altitude_m(alt_m: ArrayLike) -> NDArray[np.float64]:
    """Geopotential altitude (m′) of a geometric altitude (m): ``H = r0 Z / (r0 + Z)``."""
    z = np.asarray(alt_m, dtype=np.float64)
    return R0_M * z / (R0_M + z)


def upper_temperature_k(alt_m: ArrayLike) -> NDArray[np.float64]:
    """Kinetic temperature (K) of the 1976 standard's defining profile for 86-1000 km.

    Piecewise in geometric altitude Z: 186.8673 K to 91 km; ``Tc + A sqrt(1 - ((Z-Z8)/a)²)``
    to 110 km; ``240 K + 12 K/km (Z - 110 km)`` to 120 km; above,
    ``T∞ - (T∞ - T10) exp(-λ ξ)`` with ``ξ = (Z - Z10)(r0 + Z10)/(r0 + Z)``.
    """
    z = np.clip(np.asarray(alt_m, dtype=np.float64), Z_86_M, Z_MAX_M)
    ell = np.clip((z - _Z8_M) / _A_ELL_M, -1.0, 1.0)
    t_ell = _TC_K + _A_K * np.sqrt(1.0 - ell * ell)
    t_lin = _T9_K + _LK9 * (z - _Z9_M)
    xi = (z - _Z10_M) * (R0_M + _Z10_M) / (R0_M + z)
    t_exp = _TINF_K - (_TINF_K - _T10_K) * np.exp(-_LAMBDA * xi)
    return np.select(
        [z < _Z8_M, z < _Z9_M, z < _Z10_M], [np.full_like(z, _T7_K), t_ell, t_lin], t_exp
    )


def atmosphere(alt_m: ArrayLike) -> Atmosphere:
    """U.S. Standard Atmosphere 1976 at geometric altitudes ``alt_m`` (m), any shape.

    See the module docstring for the model, the extension above 86 km and the clamping of
    altitudes to −5 km … 1000 km.

    Returns:
        :class:`Atmosphere` of arrays with the shape of ``alt_m``.
    """
    z = np.clip(np.asarray(alt_m, dtype=np.float64), Z_MIN_M, Z_MAX_M)

    # Lower atmosphere (defining equations), evaluated with Z clamped to <= 86 km.
    zl = np.minimum(z, Z_86_M)
    h = np.minimum(geopotential_altitude_m(zl), _H_TOP)
    idx = np.clip(np.searchsorted(_H_B, h, side="right") - 1, 0, 6)
    hb, lb, tb, pb = _H_B[idx], _L_B[idx], _T_B[idx], _P_B[idx]
    tm = tb + lb * (h - hb)
    iso = lb == 0.0
    lb_safe = np.where(iso, 1.0, lb)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_grad = pb * (tb / tm) ** (_GMR / lb_safe)
    p_iso = pb * np.exp(-_GMR * (h - hb) / tb)
    p_low = np.where(iso, p_iso, p_grad)
    rho_low = p_low * M0_KGPMOL / (R_STAR * tm)
    t_low = tm * np.interp(zl, _MRATIO_Z_M, _MRATIO, left=1.0, right=_MRATIO[-1])
    a_low = np.sqrt(GAMMA * R_STAR * tm / M0_KGPMOL)

    # Upper atmosphere (extension), evaluated with Z clamped to >= 86 km.
    zu = np.maximum(z, Z_86_M)
    t_up = upper_temperature_k(zu)
    p_up = np.exp(_UPPER_LNP(zu))
    rho_up = np.exp(_UPPER_LNRHO(zu))
    a_up = np.sqrt(GAMMA * R_STAR * t_up / _M86_KGPMOL)

    upper = z > Z_86_M
    return Atmosphere(
        temperature_k=np.where(upper, t_up, t_low),
        pressure_pa=np.where(upper, p_up, p_low),
        density_kgpm3=np.where(upper, rho_up, rho_low),
        speed_of_sound_mps=np.where(upper, a_up, a_low),
    )


class AtmosphereTable:
    """The 1976 atmosphere tabulated every ``step_m`` (20 m) for integrators' hot loops.

    ``np.interp`` of log-density and of the speed of sound on a 20 m grid, plus a node at each
    layer base of the standard (where the temperature gradient, hence the slope of log-density,
    jumps), reproduces :func:`atmosphere` to better than 1e-5 relative (tested; without the
    layer-base nodes the error reaches 1.25e-5 just above 51 km), at a fraction of its cost.
    Above ``top_m`` (300 km) the density is set to zero (drag negligible for threats and
    interceptors).
    """

    def __init__(self, top_m: float = 300_000.0, step_m: float = 20.0):
        # Layer bases above sea level (NOAA-S/T 76-1562, Table 4), geopotential m', and their
        # geometric altitudes Z = r0 H / (r0 - H).
        h = np.append(_H_B[1:], _H_TOP)
        bases_z = R0_M * h / (R0_M - h)
        # atmosphere() steps by +1.6e-5 (relative density) across 86 km, the join of the
        # defining equations and the upper extension: a node 1 mm above keeps the step.
        self.alt = np.union1d(np.arange(-5000.0, top_m + step_m, step_m),
                              np.append(bases_z, 86_000.001))
        atm = atmosphere(self.alt)
        self.log_rho = np.log(atm.density_kgpm3)
        self.sound = atm.speed_of_sound_mps
        self.top = top_m
        # For inverting density -> altitude (equilibrium glide): increasing -log rho.
        self._neg_log_rho = -self.log_rho

    def density(self, alt_m: NDArray) -> NDArray:
        """Density at geometric altitudes ``alt_m`` (m), kg/m³; 0 above the table's top."""
        rho = np.exp(np.interp(alt_m, self.alt, self.log_rho))
        return np.where(alt_m > self.top, 0.0, rho)

    def speed_of_sound(self, alt_m: NDArray) -> NDArray:
        """Speed of sound at geometric altitudes ``alt_m`` (m), m/s."""
        return np.interp(alt_m, self.alt, self.sound)

    def altitude_of_density(self, rho: NDArray) -> NDArray:
        """Geometric altitude (m) at which the density equals ``rho`` (monotone inversion)."""
        with np.errstate(divide="ignore"):
            return np.interp(-np.log(rho), self._neg_log_rho, self.alt)


@functools.lru_cache(maxsize=1)
def atmosphere_table() -> AtmosphereTable:
    """The default :class:`AtmosphereTable` (20 m grid to 300 km), built once and shared."""
    return AtmosphereTable()
