"""Classical (Keplerian) orbital elements and their conversion to ECI states.

Elliptic orbits only (``0 <= e < 1``). All functions are vectorized: element arrays broadcast
against each other, states come back with the component axis last, ``(..., 3)``.

Sources:
- Kepler's equation ``M = E - e sin E`` solved by Newton's method with Danby's starter
  ``E0 = M + 0.85 e sign(sin M)`` (Vallado, *Fundamentals of Astrodynamics and Applications*,
  4th ed., Algorithm 2 KEPEQTNE; Danby, *Fundamentals of Celestial Mechanics*, 2nd ed., §6.6).
- Perifocal position / velocity in terms of the eccentric anomaly and the rotation to ECI by the
  perifocal unit vectors P, Q, W (Vallado Algorithm 10 COE2RV; Curtis, *Orbital Mechanics for
  Engineering Students*, 3rd ed., eqs. 4.37-4.49).
- Inverse (state → elements): Vallado Algorithm 9 RV2COE.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.earth.constants import MU_M3PS2

TWO_PI = 2.0 * np.pi


@dataclass(frozen=True, eq=False)
class KeplerElements:
    """Classical orbital elements of ``n`` satellites, each field a float64 array of shape ``(n,)``.

    The elements hold at the scenario epoch (``t_s = 0``). For the J2 propagator they are *mean*
    elements (see ``hdsim.space.propagation``).

    Attributes:
        a_m: semi-major axis, m (> 0).
        e: eccentricity, dimensionless, in [0, 1).
        i_rad: inclination, rad, in [0, π].
        raan_rad: right ascension of the ascending node Ω, rad (ECI frame).
        argp_rad: argument of perigee ω, rad.
        mean_anomaly_rad: mean anomaly M at the epoch, rad.
    """

    a_m: NDArray[np.float64]
    e: NDArray[np.float64]
    i_rad: NDArray[np.float64]
    raan_rad: NDArray[np.float64]
    argp_rad: NDArray[np.float64]
    mean_anomaly_rad: NDArray[np.float64]

    def __post_init__(self) -> None:
        names = ("a_m", "e", "i_rad", "raan_rad", "argp_rad", "mean_anomaly_rad")
        arrays = np.broadcast_arrays(
            *(np.atleast_1d(np.asarray(getattr(self, k), dtype=np.float64)) for k in names)
        )
        for name, arr in zip(names, arrays, strict=True):
            arr = np.array(arr, dtype=np.float64).reshape(-1)  # own copy, 1-D
            arr.setflags(write=False)
            object.__setattr__(self, name, arr)
        for name in names:
            bad = ~np.isfinite(getattr(self, name))
            if bad.any():
                k = int(np.argmax(bad))
                value = float(getattr(self, name)[k])
                raise ValueError(f"elements.{name}[{k}] = {value!r}: must be finite")
        _check_range("a_m", self.a_m, lambda x: x > 0.0, "> 0 (metres)")
        _check_range("e", self.e, lambda x: (x >= 0.0) & (x < 1.0), "in [0, 1) (elliptic orbits)")
        _check_range("i_rad", self.i_rad, lambda x: (x >= 0.0) & (x <= np.pi), "in [0, pi]")

    def __len__(self) -> int:
        return int(self.a_m.shape[0])

    def __getitem__(self, index: int | slice | ArrayLike) -> KeplerElements:
        """Subset of the satellites (``index`` as for a NumPy 1-D array)."""
        return KeplerElements(
            *(np.atleast_1d(getattr(self, k)[index]) for k in self._fields())
        )

    @staticmethod
    def _fields() -> tuple[str, ...]:
        return ("a_m", "e", "i_rad", "raan_rad", "argp_rad", "mean_anomaly_rad")

    @property
    def p_m(self) -> NDArray[np.float64]:
        """Semi-latus rectum ``p = a (1 - e²)``, m."""
        return self.a_m * (1.0 - self.e**2)

    def mean_motion_radps(self, mu: float = MU_M3PS2) -> NDArray[np.float64]:
        """Two-body mean motion ``n = sqrt(mu / a³)``, rad/s."""
        return np.sqrt(mu / self.a_m**3)

    @classmethod
    def concatenate(cls, parts: list[KeplerElements]) -> KeplerElements:
        """Join element sets end to end (satellite order kept)."""
        return cls(*(np.concatenate([getattr(p, k) for p in parts]) for k in cls._fields()))


def _check_range(name: str, values: NDArray[np.float64], ok, allowed: str) -> None:
    good = ok(values)
    if not np.all(good):
        k = int(np.argmin(good))
        raise ValueError(f"elements.{name}[{k}] = {float(values[k])!r}: must be {allowed}")


def solve_kepler(
    mean_anomaly_rad: ArrayLike,
    e: ArrayLike,
    tol_rad: float = 1e-14,
    max_iter: int = 30,
) -> NDArray[np.float64]:
    """Eccentric anomaly ``E`` solving Kepler's equation ``M = E - e sin E`` (elliptic, e < 1).

    Newton's method from Danby's starter, vectorized: the loop runs over iterations, not elements,
    and stops when every element has converged (quadratic convergence: 3-6 iterations for
    e < 0.9). Vallado Algorithm 2.

    Args:
        mean_anomaly_rad: mean anomaly M, rad, any shape.
        e: eccentricity in [0, 1), broadcast against ``mean_anomaly_rad``.
        tol_rad: stop when every Newton step is below this, rad.
        max_iter: iteration cap.

    Returns:
        E in rad, same branch as M (``E - M`` is in [-π, π]); broadcast shape.
    """
    m = np.asarray(mean_anomaly_rad, dtype=np.float64)
    e = np.asarray(e, dtype=np.float64)
    m, e = np.broadcast_arrays(m, e)
    # Reduce to [-π, π) for the iteration, add the whole turns back at the end.
    turns = np.floor((m + np.pi) / TWO_PI)
    mr = m - turns * TWO_PI
    big_e = mr + 0.85 * e * np.sign(np.sin(mr))
    for _ in range(max_iter):
        f = big_e - e * np.sin(big_e) - mr
        step = f / (1.0 - e * np.cos(big_e))
        big_e = big_e - step
        if not np.any(np.abs(step) > tol_rad):
            break
    return big_e + turns * TWO_PI


def _rotate_to_eci(
    x_pf: NDArray[np.float64],
    y_pf: NDArray[np.float64],
    raan_rad: ArrayLike,
    i_rad: ArrayLike,
    argp_rad: ArrayLike,
) -> NDArray[np.float64]:
    """Rotate perifocal components ``(x_pf, y_pf)`` to ECI, ``(..., 3)``.

    ``r = x_pf P + y_pf Q`` with ``[P Q W] = R3(-Ω) R1(-i) R3(-ω)`` (Vallado eq. 2-103, Curtis
    eq. 4.49), done as an in-plane rotation by ω onto the node line N = (cos Ω, sin Ω, 0) and its
    in-plane normal W × N = (-sin Ω cos i, cos Ω cos i, sin i): cheap when i is broadcast.
    """
    cw, sw = np.cos(argp_rad), np.sin(argp_rad)
    co, so = np.cos(raan_rad), np.sin(raan_rad)
    ci, si = np.cos(i_rad), np.sin(i_rad)
    along_node = x_pf * cw - y_pf * sw
    normal_node = (x_pf * sw + y_pf * cw)
    shape = np.broadcast_shapes(along_node.shape, np.shape(co), np.shape(ci))
    out = np.empty(shape + (3,))
    yc = normal_node * ci
    out[..., 0] = along_node * co - yc * so
    out[..., 1] = along_node * so + yc * co
    out[..., 2] = normal_node * si
    return out


def orbit_normal(raan_rad: ArrayLike, i_rad: ArrayLike) -> NDArray[np.float64]:
    """Unit orbit normal W = (sin Ω sin i, -cos Ω sin i, cos i) in ECI, ``(..., 3)``."""
    raan, inc = np.broadcast_arrays(np.asarray(raan_rad, float), np.asarray(i_rad, float))
    si = np.sin(inc)
    return np.stack([np.sin(raan) * si, -np.cos(raan) * si, np.cos(inc)], axis=-1)


def kepler_to_eci(
    a_m: ArrayLike,
    e: ArrayLike,
    i_rad: ArrayLike,
    raan_rad: ArrayLike,
    argp_rad: ArrayLike,
    mean_anomaly_rad: ArrayLike,
    mu: float = MU_M3PS2,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Two-body ECI position and velocity from classical elements (array form).

    All arguments broadcast together (e.g. ``(nsat, 1)`` elements against ``(nsat, T)`` anomalies).
    Perifocal state from the eccentric anomaly E (Vallado eqs. 2-124, 2-127 with
    ``r = a (1 - e cos E)``):

        r_pf = [a (cos E - e), b sin E, 0],   v_pf = sqrt(mu a) / r [-sin E, sqrt(1-e²) cos E, 0]

    then rotated to ECI by R3(-Ω) R1(-i) R3(-ω).

    Args:
        a_m: semi-major axis, m. e: eccentricity in [0, 1). i_rad, raan_rad, argp_rad: rad.
        mean_anomaly_rad: mean anomaly, rad.
        mu: gravitational parameter, m³/s².

    Returns:
        ``(pos_eci_m, vel_eci_mps)``, each of shape ``broadcast(...) + (3,)``.
    """
    a = np.asarray(a_m, dtype=np.float64)
    e = np.asarray(e, dtype=np.float64)
    big_e = solve_kepler(mean_anomaly_rad, e)
    ce, se = np.cos(big_e), np.sin(big_e)
    sq = np.sqrt(1.0 - e * e)
    k = np.sqrt(mu / a) / (1.0 - e * ce)  # sqrt(mu a) / r
    pos = _rotate_to_eci(a * (ce - e), (a * sq) * se, raan_rad, i_rad, argp_rad)
    vel = _rotate_to_eci(-k * se, (k * sq) * ce, raan_rad, i_rad, argp_rad)
    return pos, vel


def elements_to_eci(
    elements: KeplerElements, mu: float = MU_M3PS2
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """ECI position (m) and velocity (m/s), each ``(n, 3)``, of ``elements`` at their epoch."""
    return kepler_to_eci(
        elements.a_m,
        elements.e,
        elements.i_rad,
        elements.raan_rad,
        elements.argp_rad,
        elements.mean_anomaly_rad,
        mu=mu,
    )


def eci_to_elements(
    pos_eci: ArrayLike, vel_eci: ArrayLike, mu: float = MU_M3PS2
) -> KeplerElements:
    """Classical elements from ECI states ``(n, 3)`` (Vallado Algorithm 9 RV2COE, elliptic only).

    Conventions for the singular cases: for an equatorial orbit (``|h_xy| < 1e-12 |h|``) Ω = 0 and
    ω is measured from the x axis; for a circular orbit (``e < 1e-12``) ω = 0 and the mean anomaly
    is the argument of latitude. Angles are wrapped to [0, 2π).

    Raises:
        ValueError: if a state is not on an elliptic orbit (e >= 1), naming its index.
    """
    r = np.atleast_2d(np.asarray(pos_eci, dtype=np.float64))
    v = np.atleast_2d(np.asarray(vel_eci, dtype=np.float64))
    rn = np.linalg.norm(r, axis=-1)
    vn2 = np.sum(v * v, axis=-1)
    h = np.cross(r, v)
    hn = np.linalg.norm(h, axis=-1)
    e_vec = ((vn2 - mu / rn)[:, None] * r - np.sum(r * v, axis=-1)[:, None] * v) / mu
    e = np.linalg.norm(e_vec, axis=-1)
    if not np.all(e < 1.0):
        k = int(np.argmin(e < 1.0))
        raise ValueError(f"state {k}: e = {float(e[k])!r}: not an elliptic orbit (e must be < 1)")
    energy = 0.5 * vn2 - mu / rn
    a = -mu / (2.0 * energy)
    inc = np.arccos(np.clip(h[:, 2] / hn, -1.0, 1.0))

    node = np.stack([-h[:, 1], h[:, 0], np.zeros_like(hn)], axis=-1)  # z × h
    nn = np.linalg.norm(node, axis=-1)
    equatorial = nn < 1e-12 * hn
    node = np.where(equatorial[:, None], np.array([1.0, 0.0, 0.0]), node)
    nn = np.where(equatorial, 1.0, nn)
    raan = np.where(equatorial, 0.0, np.arctan2(h[:, 0], -h[:, 1]))

    w_hat = h / hn[:, None]
    n_hat = node / nn[:, None]
    m_hat = np.cross(w_hat, n_hat)  # in-plane, 90° ahead of the node

    def angle_from_node(vec: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.arctan2(np.sum(vec * m_hat, axis=-1), np.sum(vec * n_hat, axis=-1))

    circular = e < 1e-12
    argp = np.where(circular, 0.0, angle_from_node(e_vec))
    u = angle_from_node(r)  # argument of latitude
    nu = u - argp
    half = nu / 2.0
    big_e = 2.0 * np.arctan2(np.sqrt(1.0 - e) * np.sin(half), np.sqrt(1.0 + e) * np.cos(half))
    m = big_e - e * np.sin(big_e)
    return KeplerElements(
        a_m=a,
        e=e,
        i_rad=inc,
        raan_rad=np.mod(raan, TWO_PI),
        argp_rad=np.mod(argp, TWO_PI),
        mean_anomaly_rad=np.mod(m, TWO_PI),
    )
