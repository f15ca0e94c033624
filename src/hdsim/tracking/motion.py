"""Motion (transition) models for target tracking, batched over tracks.

State layout (component axis last, batch axes first, DESIGN "Core data"):

* 6-state models: ``[x, y, z, vx, vy, vz]`` (m, m/s);
* 9-state models: ``[x, y, z, vx, vy, vz, ax, ay, az]`` (m, m/s, m/s²).

The three Cartesian axes are decoupled and identical in the linear models, so each full matrix is
the Kronecker product of a per-axis matrix with ``I3`` (``F = F1 ⊗ I3``). Frames: the linear and
coordinated-turn models are frame-agnostic (use ECEF or ENU consistently); the hypersonic model is
ECEF only (it adds gravity and the rotating-frame terms).

Every model has ``dim``, ``f(x, dt)``, ``jacobian(x, dt)`` and ``Q(dt)``; linear models also have
``F(dt)``. Broadcasting convention: ``dt`` has the track shape ``(n,)`` (or is a scalar) and ``x``
has shape ``(..., n, dim)``; extra leading axes (e.g. UKF sigma points) are allowed. ``F(dt)`` and
``Q(dt)`` return ``dt.shape + (dim, dim)``.

Mixed dimensions (IMM): :class:`Augmented` embeds a model in a larger state by appending extra
states that are *zero-mean and decoupled*: they are reset to 0 by ``f`` (zero rows/columns in the
Jacobian) and given the variance ``extra_var`` by ``Q``. A 6-state NCV model in a 9-state IMM thus
says "acceleration is zero-mean with variance ``extra_var``", which keeps the mixed covariance
positive definite and lets the IMM mix models of different size with the standard Blom &
Bar-Shalom equations in the common 9-state space. (Ad-hoc alternatives that copy the other
model's acceleration statistics bias the mixing; see Granström, Willett & Bar-Shalom, "Systematic
approach to IMM mixing for unequal dimension states", IEEE TAES 51(4), 2015.)

References:
* [BLK] Bar-Shalom, Li & Kirubarajan, *Estimation with Applications to Tracking and Navigation*,
  Wiley 2001, ch. 6: NCV = continuous white-noise acceleration model (§6.2.2), NCA = continuous
  Wiener-process acceleration model (§6.2.3).
* [Singer] R. A. Singer, "Estimating optimal tracking filter performance for manned maneuvering
  targets", IEEE TAES 6(4):473-483, 1970.
* [LJ] X. R. Li & V. P. Jilkov, "Survey of maneuvering target tracking, Part I: Dynamic models",
  IEEE TAES 39(4):1333-1364, 2003: the Singer model (F and Q in closed form) and the 3D turn
  model with the kinematic constraint "ȧ = -Ω² v", Ω = |v×a|/|v|² (after Bar-Shalom et al.).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.earth import J2, MU_M3PS2, OMEGA_EARTH_RADPS, WGS84_A_M, gravity_ecef
from hdsim.earth.free_fall import gravity_j2_into
from hdsim.earth.vectors import rotating_frame_accel

__all__ = [
    "Augmented",
    "CoordinatedTurn3D",
    "HypersonicEcef",
    "NearlyConstantAcceleration",
    "NearlyConstantVelocity",
    "Singer",
    "gauss_markov_axis",
]

_I3 = np.eye(3)


def _kron_i3(a: NDArray[np.float64]) -> NDArray[np.float64]:
    """``a ⊗ I3`` for a batch of per-axis matrices ``(..., k, k)`` -> ``(..., 3k, 3k)``."""
    k = a.shape[-1]
    out = a[..., :, None, :, None] * _I3[:, None, :]
    return out.reshape(a.shape[:-2] + (3 * k, 3 * k))


def _apply(F: NDArray[np.float64], x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.einsum("...ij,...j->...i", F, x)


def _dt(dt: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(dt, dtype=np.float64)


# --------------------------------------------------------------------------------------------
# Exponential-polynomial brackets  (poly(x) + d1 e^-x + d2 e^-2x + d3 x e^-x) / x^p, stable at 0
# --------------------------------------------------------------------------------------------
_N_SERIES = 22
_K = np.arange(_N_SERIES + 6, dtype=np.float64)
_FACT = np.array([math.factorial(int(k)) for k in _K], dtype=np.float64)
_A1 = (-1.0) ** _K / _FACT  # e^-x
_A2 = (-2.0) ** _K / _FACT  # e^-2x
_POW = np.arange(_N_SERIES, dtype=np.float64)
_A3 = np.concatenate([[0.0], (-1.0) ** (_K[1:] - 1) / _FACT[:-1]])  # x e^-x


def _bracket_table(specs: tuple[tuple[int, tuple[float, ...], float, float, float], ...]):
    """Coefficients of the brackets ``(p, poly, d1, d2, d3)``, for :func:`_brackets`."""
    powers = np.array([sp[0] for sp in specs])
    poly = np.zeros((len(specs), 4))
    for i, sp in enumerate(specs):
        poly[i, :len(sp[1])] = sp[1]
    d = np.array([sp[2:] for sp in specs], dtype=np.float64)
    coef = np.stack([d1 * _A1[p:p + _N_SERIES] + d2 * _A2[p:p + _N_SERIES]
                     + d3 * _A3[p:p + _N_SERIES] for p, _, d1, d2, d3 in specs])
    return powers, poly, d, coef


def _brackets(x: NDArray[np.float64], table) -> NDArray[np.float64]:
    """Every bracket ``(poly(x) + d1 e^{-x} + d2 e^{-2x} + d3 x e^{-x}) / x^p`` of ``table`` at
    ``x (...)``, returned as ``(..., b)`` in one vectorized pass.

    The numerator vanishes to order ``p`` at 0 (true of every Singer entry), so its closed form
    cancels catastrophically for small ``x``; there the Taylor series (coefficients of order
    ``>= p``, exact to 1e-16 for ``|x| < 0.5``) is used instead.
    """
    powers, poly, d, coef = table
    small = np.abs(x) < 0.5
    xs = np.where(small, x, 0.0)[..., None]
    series = (xs ** _POW) @ coef.T
    xl = np.where(small, 1.0, x)[..., None]
    e1 = np.exp(-xl)
    num = (xl ** np.arange(4.0)) @ poly.T + d[:, 0] * e1 + d[:, 1] * e1 * e1 + d[:, 2] * xl * e1
    return np.where(small[..., None], series, num / xl**powers)


# F13 = (αT - 1 + e^{-αT})/α², F23 = (1 - e^{-αT})/α  ([LJ], Singer model)
_F_TABLE = _bracket_table(((2, (-1.0, 1.0), 1.0, 0.0, 0.0), (1, (1.0,), -1.0, 0.0, 0.0)))
# Q = q * [T^p B_ij(αT) / 2]  with B_ij the brackets of [LJ] (Q = 2ασ² q_ij):
# q11, q12, q13, q22, q23, q33
_Q_TABLE = _bracket_table((
    (5, (1.0, 2.0, -2.0, 2.0 / 3.0), 0.0, -1.0, -4.0),
    (4, (1.0, -2.0, 1.0), -2.0, 1.0, 2.0),
    (3, (1.0,), 0.0, -1.0, -2.0),
    (3, (-3.0, 2.0), 4.0, -1.0, 0.0),
    (2, (1.0,), -2.0, 1.0, 0.0),
    (1, (1.0,), 0.0, -1.0, 0.0),
))
_GM_LAST: list = [None, None]  # one-entry cache: key, (F, Q)


def gauss_markov_axis(dt: ArrayLike, alpha: float, q: float
                      ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-axis ``F`` and ``Q`` ``(..., 3, 3)`` of position, velocity, Gauss-Markov acceleration.

    Acceleration obeys ``ȧ = -α a + w`` with white ``w`` of power spectral density ``q``
    ((m/s²)²/s). Closed forms of [Singer] / [LJ]; ``α = 0`` gives the Wiener-process
    acceleration (NCA) model of [BLK] §6.2.3. Stable for any ``α dt >= 0`` (series near 0).

    For ``dt < 0`` (retrodiction) ``F`` is exact and ``Q`` is ``Q(|dt|)`` with the odd cross terms
    negated (exact for ``α = 0``, first-order in ``α|dt|`` otherwise).

    Args:
        dt: time steps, s, any shape.
        alpha: inverse correlation time 1/τ, 1/s (>= 0).
        q: PSD of the acceleration driving noise, m²/s⁵.
    """
    t = _dt(dt)
    # F and Q of one model over one set of intervals are asked for back to back (prediction):
    # compute them once.  The cached arrays are read-only.
    key = (float(alpha), float(q), t.shape, t.tobytes())
    if _GM_LAST[0] == key:
        return _GM_LAST[1]
    ta = np.abs(t)
    x = alpha * ta
    xt = alpha * t
    fb = _brackets(xt, _F_TABLE)
    F = np.zeros(t.shape + (3, 3))
    F[..., 0, 0] = F[..., 1, 1] = 1.0
    F[..., 0, 1] = t
    F[..., 0, 2] = t * t * fb[..., 0]
    F[..., 1, 2] = t * fb[..., 1]
    F[..., 2, 2] = np.exp(-xt)
    qb = _brackets(x, _Q_TABLE)
    h = 0.5 * q
    sgn_odd = np.where(t < 0, -1.0, 1.0)  # cross terms of odd total order flip with dt sign
    q11 = h * ta**5 * qb[..., 0]
    q12 = sgn_odd * h * ta**4 * qb[..., 1]
    q13 = h * ta**3 * qb[..., 2]
    q22 = h * ta**3 * qb[..., 3]
    q23 = sgn_odd * h * ta**2 * qb[..., 4]
    q33 = h * ta * qb[..., 5]
    Q = np.empty(t.shape + (3, 3))
    Q[..., 0, 0], Q[..., 1, 1], Q[..., 2, 2] = q11, q22, q33
    Q[..., 0, 1] = Q[..., 1, 0] = q12
    Q[..., 0, 2] = Q[..., 2, 0] = q13
    Q[..., 1, 2] = Q[..., 2, 1] = q23
    F.setflags(write=False)
    Q.setflags(write=False)
    _GM_LAST[0], _GM_LAST[1] = key, (F, Q)
    return F, Q


class _Linear:
    """Shared ``f`` / ``jacobian`` for linear models (``F(dt)`` defined by the subclass)."""

    dim: int

    def F(self, dt: ArrayLike) -> NDArray[np.float64]:  # noqa: N802
        raise NotImplementedError

    def f(self, x: ArrayLike, dt: ArrayLike) -> NDArray[np.float64]:
        """Propagated state ``F(dt) x``, shape of ``x``."""
        return _apply(self.F(dt), np.asarray(x, dtype=np.float64))

    def jacobian(self, x: ArrayLike, dt: ArrayLike) -> NDArray[np.float64]:
        """``F(dt)`` broadcast to ``x.shape[:-1] + (dim, dim)``."""
        x = np.asarray(x, dtype=np.float64)
        F = self.F(dt)
        return np.broadcast_to(F, np.broadcast_shapes(F.shape[:-2], x.shape[:-1]) + F.shape[-2:])


@dataclass(frozen=True)
class NearlyConstantVelocity(_Linear):
    """Nearly-constant velocity (continuous white-noise acceleration), [BLK] §6.2.2.

    Per axis ``F = [[1, T], [0, 1]]``, ``Q = q [[T³/3, T²/2], [T²/2, T]]`` ([BLK] §6.2.2).

    Attributes:
        q_m2ps3: power spectral density of the white acceleration per axis, m²/s³.
    """

    q_m2ps3: float
    dim: int = 6

    def F(self, dt: ArrayLike) -> NDArray[np.float64]:  # noqa: N802
        t = _dt(dt)
        F1 = np.zeros(t.shape + (2, 2))
        F1[..., 0, 0] = F1[..., 1, 1] = 1.0
        F1[..., 0, 1] = t
        return _kron_i3(F1)

    def Q(self, dt: ArrayLike) -> NDArray[np.float64]:  # noqa: N802
        t = _dt(dt)
        ta = np.abs(t)
        q = self.q_m2ps3
        Q1 = np.stack([np.stack([q * ta**3 / 3, q * t**2 / 2 * np.sign(t)], -1),
                       np.stack([q * t**2 / 2 * np.sign(t), q * ta], -1)], -2)
        return _kron_i3(Q1)


@dataclass(frozen=True)
class NearlyConstantAcceleration(_Linear):
    """Nearly-constant acceleration (continuous Wiener-process acceleration), [BLK] §6.2.3.

    Per axis ``F = [[1, T, T²/2], [0, 1, T], [0, 0, 1]]``,
    ``Q = q [[T⁵/20, T⁴/8, T³/6], [T⁴/8, T³/3, T²/2], [T³/6, T²/2, T]]``.

    Attributes:
        q_m2ps5: power spectral density of the white jerk per axis, m²/s⁵.
    """

    q_m2ps5: float
    dim: int = 9

    def F(self, dt: ArrayLike) -> NDArray[np.float64]:  # noqa: N802
        return _kron_i3(gauss_markov_axis(dt, 0.0, self.q_m2ps5)[0])

    def Q(self, dt: ArrayLike) -> NDArray[np.float64]:  # noqa: N802
        return _kron_i3(gauss_markov_axis(dt, 0.0, self.q_m2ps5)[1])


@dataclass(frozen=True)
class Singer(_Linear):
    """Singer (1970) model: acceleration is a first-order Gauss-Markov process per axis.

    ``ȧ = -a/τ + w``, ``E[a²] = σ_m²`` in steady state, so the PSD of ``w`` is ``2σ_m²/τ``
    ([Singer]; closed-form ``Q`` as printed in [LJ]).

    Attributes:
        tau_s: maneuver time constant τ, s (> 0).
        sigma_mps2: steady-state standard deviation of the acceleration σ_m, m/s².
    """

    tau_s: float
    sigma_mps2: float
    dim: int = 9

    def __post_init__(self) -> None:
        if not self.tau_s > 0:
            raise ValueError(f"Singer.tau_s = {self.tau_s!r}: must be > 0 s")

    @property
    def q_m2ps5(self) -> float:
        """PSD of the acceleration driving noise, ``2 σ_m² / τ``."""
        return 2.0 * self.sigma_mps2**2 / self.tau_s

    def F(self, dt: ArrayLike) -> NDArray[np.float64]:  # noqa: N802
        return _kron_i3(gauss_markov_axis(dt, 1.0 / self.tau_s, self.q_m2ps5)[0])

    def Q(self, dt: ArrayLike) -> NDArray[np.float64]:  # noqa: N802
        return _kron_i3(gauss_markov_axis(dt, 1.0 / self.tau_s, self.q_m2ps5)[1])


# --------------------------------------------------------------------------------------------
# 3D coordinated turn (Bar-Shalom's "ȧ = -Ω² v" kinematic model), state 9
# --------------------------------------------------------------------------------------------
def _cs_series(z: NDArray[np.float64], offset: int, deriv: bool) -> NDArray[np.float64]:
    """``Σ_k (-1)^k z^k / (2k+offset)!`` (or its z-derivative) for small ``z``."""
    out = np.zeros_like(z)
    n = 16
    for k in range(n - 1, -1, -1):
        c = (-1.0) ** k / math.factorial(2 * k + offset)
        if deriv:
            if k == 0:
                continue
            out = out * z + k * c  # Horner in z of Σ k c_k z^(k-1)
        else:
            out = out * z + c
    return out


def _turn_functions(z: NDArray[np.float64]):
    """``C0 = cos y, C1 = sin y/y, C2 = (1 - cos y)/y²`` (``y² = z``) and their z-derivatives."""
    small = z < 1.0
    zs = np.where(small, z, 0.0)
    zl = np.where(small, 1.0, z)
    y = np.sqrt(zl)
    c0l, c1l = np.cos(y), np.sin(y) / y
    c2l = (1.0 - c0l) / zl
    d0l = -0.5 * c1l
    d1l = (c0l - c1l) / (2.0 * zl)
    d2l = (0.5 * c1l - c2l) / zl
    # derivative series: Σ_{k≥1} k c_k z^(k-1); _cs_series(deriv) Horner skips k=0 correctly
    vals = []
    for off, (cl, dl) in enumerate(((c0l, d0l), (c1l, d1l), (c2l, d2l))):
        vals.append(np.where(small, _cs_series(zs, off, False), cl))
        vals.append(np.where(small, _cs_series(zs, off, True), dl))
    return vals


@dataclass(frozen=True)
class CoordinatedTurn3D:
    """3D nearly-coordinated turn, state 9 ``[p, v, a]`` (m, m/s, m/s²), frame-agnostic.

    Bar-Shalom's 3D turn model (as surveyed in [LJ]): ``ṗ = v``, ``v̇ = a``,
    ``ȧ = -Ω² v + w`` with the turn rate ``Ω = |v × a| / |v|²`` computed from the state, so the
    turn plane and rate are carried by ``(v, a)`` and no axis is privileged (works in ECEF). For
    a fixed ``Ω`` the per-axis transition is exact:
    ``F1 = [[1, sin ΩT/Ω, (1-cos ΩT)/Ω²], [0, cos ΩT, sin ΩT/Ω], [0, -Ω sin ΩT, cos ΩT]]``,
    which reduces to NCA as ``Ω → 0``. ``f`` is nonlinear because ``Ω`` depends on the state;
    ``jacobian`` is its exact derivative (including ``∂Ω²/∂(v, a)``).

    ``Q`` uses the NCA (white-jerk) covariance with PSD ``q_m2ps5`` — the turn's effect on the
    noise accumulation is neglected (second order in ``ΩT``).

    Attributes:
        q_m2ps5: PSD of the white jerk per axis, m²/s⁵.
    """

    q_m2ps5: float
    dim: int = 9

    @staticmethod
    def _omega2(x: NDArray[np.float64]):
        v, a = x[..., 3:6], x[..., 6:9]
        w = np.cross(v, a)
        v2 = np.einsum("...i,...i->...", v, v)
        v4 = np.where(v2 > 0, v2 * v2, 1.0)
        s = np.einsum("...i,...i->...", w, w) / v4
        return s, v, a, w, v2, v4

    @staticmethod
    def _F1(s, t):  # noqa: N802
        z = s * t * t
        c0, d0, c1, d1, c2, d2 = _turn_functions(z)
        F1 = np.zeros(z.shape + (3, 3))
        F1[..., 0, 0] = 1.0
        F1[..., 0, 1] = F1[..., 1, 2] = t * c1
        F1[..., 0, 2] = t * t * c2
        F1[..., 1, 1] = F1[..., 2, 2] = c0
        F1[..., 2, 1] = -s * t * c1
        dF1 = np.zeros(z.shape + (3, 3))  # dF1/ds = T² dF1/dz
        t2 = t * t
        dF1[..., 0, 1] = dF1[..., 1, 2] = t2 * t * d1
        dF1[..., 0, 2] = t2 * t2 * d2
        dF1[..., 1, 1] = dF1[..., 2, 2] = t2 * d0
        dF1[..., 2, 1] = -t * (c1 + z * d1)
        return F1, dF1

    def f(self, x: ArrayLike, dt: ArrayLike) -> NDArray[np.float64]:
        x = np.asarray(x, dtype=np.float64)
        s = self._omega2(x)[0]
        F1, _ = self._F1(s, _dt(dt) + np.zeros_like(s))
        return _apply(_kron_i3(F1), x)

    def jacobian(self, x: ArrayLike, dt: ArrayLike) -> NDArray[np.float64]:
        x = np.asarray(x, dtype=np.float64)
        s, v, a, w, v2, v4 = self._omega2(x)
        F1, dF1 = self._F1(s, _dt(dt) + np.zeros_like(s))
        J = _kron_i3(F1)
        dfds = _apply(_kron_i3(dF1), x)  # (..., 9)
        grad = np.zeros(x.shape)
        grad[..., 3:6] = 2.0 * np.cross(a, w) / v4[..., None] \
            - 4.0 * (s / np.where(v2 > 0, v2, 1.0))[..., None] * v
        grad[..., 6:9] = 2.0 * np.cross(w, v) / v4[..., None]
        return J + dfds[..., :, None] * grad[..., None, :]

    def Q(self, dt: ArrayLike) -> NDArray[np.float64]:  # noqa: N802
        return _kron_i3(gauss_markov_axis(dt, 0.0, self.q_m2ps5)[1])


# --------------------------------------------------------------------------------------------
# Hypersonic physics model in ECEF, state 9 = [r, v, a_ng]
# --------------------------------------------------------------------------------------------
def _skew(w: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.array([[0.0, -w[2], w[1]], [w[2], 0.0, -w[0]], [-w[1], w[0], 0.0]])


_HYP_LAST: list = [None, None]  # one-entry cache: the state integrated with the last Jacobian


# The hypersonic model's RK4 (state and variational equations), compiled: the IMM predicts
# every track with it at every scan, and the NumPy form spent its time in Python calls on
# (n, 9, 9) arrays of a few tracks (issue: speed). Same formulas as the NumPy form
# (``HypersonicEcef._integrate_numpy``, kept as the reference the tests compare against).
@numba.njit(cache=True, inline="always")
def _nb_rhs(x, out, mu, j2, req, w, alpha, g):
    gravity_j2_into(x[0], x[1], x[2], mu, j2, req, g, 0)
    out[0] = x[3]
    out[1] = x[4]
    out[2] = x[5]
    out[3] = (g[0] + (2.0 * w * x[4] + w * w * x[0])) + x[6]
    out[4] = (g[1] + (-2.0 * w * x[3] + w * w * x[1])) + x[7]
    out[5] = (g[2] + 0.0) + x[8]
    out[6] = -alpha * x[6]
    out[7] = -alpha * x[7]
    out[8] = -alpha * x[8]


@numba.njit(cache=True)
def _nb_grad(x, G, mu, j2, req, w, g6):
    # central differences of gravity with a 1 m step, as _gravity_gradient; minus W W
    for j in range(3):
        dp0 = 1.0 if j == 0 else 0.0
        dp1 = 1.0 if j == 1 else 0.0
        dp2 = 1.0 if j == 2 else 0.0
        gravity_j2_into(x[0] + dp0, x[1] + dp1, x[2] + dp2, mu, j2, req, g6, 0)
        gravity_j2_into(x[0] - dp0, x[1] - dp1, x[2] - dp2, mu, j2, req, g6, 3)
        for c in range(3):
            G[c, j] = (g6[c] - g6[3 + c]) / 2.0
    G[0, 0] = G[0, 0] + w * w
    G[1, 1] = G[1, 1] + w * w


@numba.njit(cache=True)
def _nb_amul(G, M, w, alpha, out):
    """``A(x) @ M`` for the block structure of ``HypersonicEcef._A``."""
    for col in range(9):
        for r in range(3):
            out[r, col] = M[3 + r, col]
        out[3, col] = (G[0, 0] * M[0, col] + G[0, 1] * M[1, col] + G[0, 2] * M[2, col]
                       + 2.0 * w * M[4, col] + M[6, col])
        out[4, col] = (G[1, 0] * M[0, col] + G[1, 1] * M[1, col] + G[1, 2] * M[2, col]
                       - 2.0 * w * M[3, col] + M[7, col])
        out[5, col] = (G[2, 0] * M[0, col] + G[2, 1] * M[1, col] + G[2, 2] * M[2, col]
                       + M[8, col])
        for r in range(3):
            out[6 + r, col] = -alpha * M[6 + r, col]


@numba.njit(cache=True)
def _nb_integrate(x0, t, max_step, mu, j2, req, w, alpha, with_stm):
    n = x0.shape[0]
    xo = np.empty((n, 9))
    phio = np.empty((n, 9, 9)) if with_stm else np.empty((0, 9, 9))
    x = np.empty(9)
    k1 = np.empty(9)
    k2 = np.empty(9)
    k3 = np.empty(9)
    k4 = np.empty(9)
    x2 = np.empty(9)
    x3 = np.empty(9)
    x4 = np.empty(9)
    g = np.empty(3)
    g6 = np.empty(6)
    G = np.empty((3, 3))
    phi = np.empty((9, 9))
    m1 = np.empty((9, 9))
    m2 = np.empty((9, 9))
    m3 = np.empty((9, 9))
    m4 = np.empty((9, 9))
    tmp = np.empty((9, 9))
    for i in range(n):
        nsub = max(1, int(np.ceil(abs(t[i]) / max_step)))
        h = t[i] / nsub
        for c in range(9):
            x[c] = x0[i, c]
        if with_stm:
            for a in range(9):
                for b in range(9):
                    phi[a, b] = 1.0 if a == b else 0.0
        for _ in range(nsub):
            _nb_rhs(x, k1, mu, j2, req, w, alpha, g)
            for c in range(9):
                x2[c] = x[c] + 0.5 * h * k1[c]
            _nb_rhs(x2, k2, mu, j2, req, w, alpha, g)
            for c in range(9):
                x3[c] = x[c] + 0.5 * h * k2[c]
            _nb_rhs(x3, k3, mu, j2, req, w, alpha, g)
            for c in range(9):
                x4[c] = x[c] + h * k3[c]
            _nb_rhs(x4, k4, mu, j2, req, w, alpha, g)
            if with_stm:
                _nb_grad(x, G, mu, j2, req, w, g6)
                _nb_amul(G, phi, w, alpha, m1)
                for a in range(9):
                    for b in range(9):
                        tmp[a, b] = phi[a, b] + 0.5 * h * m1[a, b]
                _nb_grad(x2, G, mu, j2, req, w, g6)
                _nb_amul(G, tmp, w, alpha, m2)
                for a in range(9):
                    for b in range(9):
                        tmp[a, b] = phi[a, b] + 0.5 * h * m2[a, b]
                _nb_grad(x3, G, mu, j2, req, w, g6)
                _nb_amul(G, tmp, w, alpha, m3)
                for a in range(9):
                    for b in range(9):
                        tmp[a, b] = phi[a, b] + h * m3[a, b]
                _nb_grad(x4, G, mu, j2, req, w, g6)
                _nb_amul(G, tmp, w, alpha, m4)
                for a in range(9):
                    for b in range(9):
                        phi[a, b] = phi[a, b] + h / 6.0 * (m1[a, b] + 2 * m2[a, b]
                                                           + 2 * m3[a, b] + m4[a, b])
            for c in range(9):
                x[c] = x[c] + h / 6.0 * (k1[c] + 2 * k2[c] + 2 * k3[c] + k4[c])
        for c in range(9):
            xo[i, c] = x[c]
        if with_stm:
            for a in range(9):
                for b in range(9):
                    phio[i, a, b] = phi[a, b]
    return xo, phio


@dataclass(frozen=True)
class HypersonicEcef:
    """Hypersonic point-mass model in the rotating ECEF frame, state 9 ``[r, v, a_ng]``.

    ``ṙ = v``, ``v̇ = g(r) - 2 ω×v - ω×(ω×r) + a_ng``, ``ȧ_ng = -a_ng/τ + w`` where ``g`` is
    point-mass + J2 gravitation (:func:`hdsim.earth.gravity_ecef`), ``ω = (0, 0, ω_E)``
    (Coriolis and centrifugal terms of the rotating-frame equation of motion; validated in the
    tests against an independent integration in the inertial frame) and ``a_ng`` is the
    non-gravitational specific force (drag + lift, m/s²) modelled as a first-order Gauss-Markov
    process (``τ = inf``: random walk, i.e. white jerk). ``f`` integrates with classical RK4 in
    ``ceil(|dt|/max_step_s)`` substeps, each state its own (so that a track's prediction does not
    depend on the other tracks predicted with it);
    ``jacobian`` integrates the variational equations ``Φ̇ = A(x) Φ`` with the same RK4 stages,
    which is the exact derivative of the discrete RK4 map. The gravity gradient in ``A`` is the
    central difference of ``gravity_ecef`` with a 1 m step (relative error ~1e-9).

    ``Q`` is the per-axis Gauss-Markov covariance of :func:`gauss_markov_axis` (PSD ``q``,
    ``α = 1/τ``); the coupling of the noise through the gravity gradient and Coriolis terms
    (relative size ``~ω_E dt`` and ``~dt²·3μ/r³``, < 1e-3 for dt ≤ 10 s) is neglected.

    Attributes:
        q_m2ps5: PSD of the specific-force driving noise per axis, m²/s⁵.
        tau_s: correlation time of the specific force, s (``inf`` for a random walk).
        omega_radps: Earth rotation rate, rad/s (0 gives an inertial, non-rotating frame).
        j2: J2 coefficient passed to the gravity model (None: its default J2; 0: point mass).
        max_step_s: largest RK4 substep, s.
    """

    q_m2ps5: float
    tau_s: float = math.inf
    omega_radps: float = OMEGA_EARTH_RADPS
    j2: float | None = None
    max_step_s: float = 1.0
    dim: int = 9

    def _gravity(self, r: NDArray[np.float64]) -> NDArray[np.float64]:
        if self.j2 is None:
            return gravity_ecef(r)
        return gravity_ecef(r, j2=self.j2)

    def _gravity_gradient(self, r: NDArray[np.float64]) -> NDArray[np.float64]:
        # the six displaced positions r ± h e_j in one gravity call
        h = 1.0
        steps = np.concatenate([np.eye(3), -np.eye(3)]) * h  # (6, 3)
        g = self._gravity(r[..., None, :] + steps)  # (..., 6, 3)
        return np.swapaxes(g[..., :3, :] - g[..., 3:, :], -1, -2) / (2 * h)

    def _rhs(self, x: NDArray[np.float64]) -> NDArray[np.float64]:
        r, v, a = x[..., 0:3], x[..., 3:6], x[..., 6:9]
        acc = self._gravity(r) + rotating_frame_accel(r, v, self.omega_radps) + a
        alpha = 0.0 if math.isinf(self.tau_s) else 1.0 / self.tau_s
        return np.concatenate([v, acc, -alpha * a], axis=-1)

    def _A(self, x: NDArray[np.float64]) -> NDArray[np.float64]:  # noqa: N802
        W = _skew(np.array([0.0, 0.0, self.omega_radps]))
        alpha = 0.0 if math.isinf(self.tau_s) else 1.0 / self.tau_s
        A = np.zeros(x.shape[:-1] + (9, 9))
        A[..., 0:3, 3:6] = _I3
        A[..., 3:6, 0:3] = self._gravity_gradient(x[..., 0:3]) - W @ W
        A[..., 3:6, 3:6] = -2.0 * W
        A[..., 3:6, 6:9] = _I3
        A[..., 6:9, 6:9] = -alpha * _I3
        return A

    def _integrate(self, x: ArrayLike, dt: ArrayLike, with_stm: bool):
        """RK4 of the state (and of ``Φ``), compiled; same numbers as
        :meth:`_integrate_numpy` to rounding."""
        x = np.asarray(x, dtype=np.float64)
        lead = x.shape[:-1]
        t = np.broadcast_to(_dt(dt), lead).reshape(-1)
        xf = np.ascontiguousarray(x.reshape(-1, 9))
        alpha = 0.0 if math.isinf(self.tau_s) else 1.0 / self.tau_s
        j2 = J2 if self.j2 is None else float(self.j2)
        xo, phio = _nb_integrate(xf, np.ascontiguousarray(t, dtype=np.float64),
                                 float(self.max_step_s), MU_M3PS2, j2, WGS84_A_M,
                                 float(self.omega_radps), alpha, bool(with_stm))
        return xo.reshape(x.shape), (phio.reshape(lead + (9, 9)) if with_stm else None)

    def _integrate_numpy(self, x: ArrayLike, dt: ArrayLike, with_stm: bool):
        """The NumPy form of :meth:`_integrate` (the reference of the compiled one)."""
        x = np.asarray(x, dtype=np.float64)
        t = _dt(dt)
        # each state's own number of sub-steps (not the batch's largest): a track's prediction
        # must not depend on which other tracks are predicted with it
        nsub = np.maximum(1, np.ceil(np.abs(t) / self.max_step_s)).astype(np.int64)
        nsub = np.broadcast_to(nsub, x.shape[:-1])
        h = (t / nsub)[..., None] + np.zeros(x.shape[:-1] + (1,))
        hm = h[..., None]
        phi = np.broadcast_to(np.eye(9), x.shape[:-1] + (9, 9)).copy() if with_stm else None
        for k in range(int(np.max(nsub, initial=1))):
            go = (k < nsub)[..., None]      # states still sub-stepping
            x_in, phi_in = x, phi
            k1 = self._rhs(x)
            x2 = x + 0.5 * h * k1
            k2 = self._rhs(x2)
            x3 = x + 0.5 * h * k2
            k3 = self._rhs(x3)
            x4 = x + h * k3
            k4 = self._rhs(x4)
            if with_stm:
                # RK4 on the variational equations with the stage states of RK4 on x: this
                # is exactly the Jacobian of the RK4 map (RK methods commute with linearisation)
                A1, A2, A3, A4 = self._A(x), self._A(x2), self._A(x3), self._A(x4)
                m1 = A1 @ phi
                m2 = A2 @ (phi + 0.5 * hm * m1)
                m3 = A3 @ (phi + 0.5 * hm * m2)
                m4 = A4 @ (phi + hm * m3)
                phi = np.where(go[..., None], phi + hm / 6.0 * (m1 + 2 * m2 + 2 * m3 + m4),
                               phi_in)
            x = np.where(go, x + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4), x_in)
        return x, phi

    def _key(self, x: NDArray[np.float64], dt: ArrayLike) -> tuple:
        t = _dt(dt)
        return (self, x.shape, x.tobytes(), t.shape, t.tobytes())

    def f(self, x: ArrayLike, dt: ArrayLike) -> NDArray[np.float64]:
        """State after ``dt`` seconds (RK4), shape of ``x``."""
        x = np.asarray(x, dtype=np.float64)
        if _HYP_LAST[0] is not None and _HYP_LAST[0] == self._key(x, dt):
            return _HYP_LAST[1].copy()  # integrated already by the jacobian call (EKF)
        return self._integrate(x, dt, False)[0]

    def jacobian(self, x: ArrayLike, dt: ArrayLike) -> NDArray[np.float64]:
        """``∂f/∂x``, ``x.shape[:-1] + (9, 9)``."""
        x = np.asarray(x, dtype=np.float64)
        xf, phi = self._integrate(x, dt, True)
        _HYP_LAST[0], _HYP_LAST[1] = self._key(x, dt), xf
        return phi

    def Q(self, dt: ArrayLike) -> NDArray[np.float64]:  # noqa: N802
        alpha = 0.0 if math.isinf(self.tau_s) else 1.0 / self.tau_s
        return _kron_i3(gauss_markov_axis(dt, alpha, self.q_m2ps5)[1])


# --------------------------------------------------------------------------------------------
# Augmentation to a larger state (IMM with mixed dimensions)
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Augmented:
    """``base`` embedded in a ``dim``-state space with zero-mean, decoupled extra states.

    The first ``base.dim`` components follow ``base``; the extra ones are reset to 0 by ``f`` (zero
    block of the Jacobian) and get variance ``extra_var`` from ``Q``. See the module docstring.

    Attributes:
        base: a motion model (``dim``, ``f``, ``jacobian``, ``Q`` and optionally ``F``).
        dim: dimension of the augmented state (>= ``base.dim``).
        extra_var: prior variance of each extra state after a prediction (units of that state,
            squared; e.g. (m/s²)² for an NCV model padded with acceleration).
    """

    base: object
    dim: int
    extra_var: float

    def __post_init__(self) -> None:
        if self.dim < self.base.dim:
            raise ValueError(f"Augmented.dim = {self.dim}: must be >= base.dim = {self.base.dim}")

    def _pad(self, M: NDArray[np.float64], diag: float) -> NDArray[np.float64]:
        db = self.base.dim
        out = np.zeros(M.shape[:-2] + (self.dim, self.dim))
        out[..., :db, :db] = M
        idx = np.arange(db, self.dim)
        out[..., idx, idx] = diag
        return out

    def F(self, dt: ArrayLike) -> NDArray[np.float64]:  # noqa: N802
        return self._pad(self.base.F(dt), 0.0)

    def f(self, x: ArrayLike, dt: ArrayLike) -> NDArray[np.float64]:
        x = np.asarray(x, dtype=np.float64)
        out = np.zeros(x.shape)
        out[..., :self.base.dim] = self.base.f(x[..., :self.base.dim], dt)
        return out

    def jacobian(self, x: ArrayLike, dt: ArrayLike) -> NDArray[np.float64]:
        x = np.asarray(x, dtype=np.float64)
        return self._pad(self.base.jacobian(x[..., :self.base.dim], dt), 0.0)

    def Q(self, dt: ArrayLike) -> NDArray[np.float64]:  # noqa: N802
        return self._pad(self.base.Q(dt), self.extra_var)
