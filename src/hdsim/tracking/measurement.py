"""Measurement models for tracking: ground radar and space IR line of sight, batched.

All functions take the target state in ECEF, ``(..., d)`` with ``d >= 6`` (position m, velocity
m/s first; extra states such as acceleration get zero Jacobian columns), and broadcast over the
leading axes with the sensor geometry.

Radar (ground site, rotating with the Earth): ``z = [range_m, az_rad, el_rad, range_rate_mps]``
(or the first three), in the site's ENU frame: azimuth clockwise from north in ``[0, 2π)``,
elevation from the local horizontal, range rate ``ρ̇ = ρ̂·v`` with ``v`` the ECEF velocity (the
site is fixed in ECEF). The ENU rotation is :func:`hdsim.earth.enu_rotation` (rows east, north,
up in ECEF). Jacobians: differentiate ``az = atan2(e, n)``, ``el = atan2(u, √(e²+n²))``
(the standard spherical-coordinate Jacobian; checked against finite differences in the tests).

Space IR line of sight: the satellite at ``sat_ecef`` measures the direction of
``d = r - sat_ecef`` only. Parameterisation (well conditioned near the boresight): with a sensor
frame given as a rotation whose rows are ``(e1, e2, b)`` in ECEF (``b`` = boresight), the two
*tangent-plane angles* ``z = [atan2(e1·d, b·d), atan2(e2·d, b·d)]`` (rad). They are the angles of
the LOS projected on the (e1, b) and (e2, b) planes; both are smooth (no pole) for any LOS within
90° of the boresight — unlike azimuth/elevation, which is singular at the nadir where a
down-looking sensor sees most targets. :func:`sensor_frame` builds such a frame.

Angle residuals are wrapped to ``(-π, π]`` by the ``*_residual`` functions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "CartesianPosition",
    "IrLosMeasurement",
    "RadarMeasurement",
    "ir_jacobian",
    "ir_measure",
    "ir_residual",
    "radar_jacobian",
    "radar_measure",
    "radar_residual",
    "sensor_frame",
    "wrap_angle",
]


def wrap_angle(a: ArrayLike) -> NDArray[np.float64]:
    """Angle wrapped to ``(-π, π]``, rad."""
    a = np.asarray(a, dtype=np.float64)
    return np.pi - np.mod(np.pi - a, 2.0 * np.pi)


def _f(a: ArrayLike) -> NDArray[np.float64]:
    return np.asarray(a, dtype=np.float64)


def _radar_parts(state, site_ecef, rot_enu):
    x = _f(state)
    d = x[..., 0:3] - _f(site_ecef)
    rot = _f(rot_enu)
    enu = np.einsum("...ij,...j->...i", rot, d)
    return x, d, rot, enu


def radar_measure(state: ArrayLike, site_ecef: ArrayLike, rot_enu: ArrayLike,
                  range_rate: bool = True) -> NDArray[np.float64]:
    """Radar measurement of ECEF states from a site.

    Args:
        state: ECEF state ``(..., d)``, ``d >= 6`` (m, m/s).
        site_ecef: site position ``(..., 3)``, m.
        rot_enu: ECEF→ENU rotation ``(..., 3, 3)`` at the site (rows east, north, up).
        range_rate: append the range rate.

    Returns:
        ``(..., 4)`` ``[range_m, az_rad, el_rad, range_rate_mps]``; ``(..., 3)`` without range
        rate.
    """
    x, d, rot, enu = _radar_parts(state, site_ecef, rot_enu)
    e, n, u = enu[..., 0], enu[..., 1], enu[..., 2]
    horiz = np.hypot(e, n)
    rho = np.sqrt(horiz**2 + u**2)
    az = np.mod(np.arctan2(e, n), 2.0 * np.pi)
    el = np.arctan2(u, horiz)
    out = [rho, az, el]
    if range_rate:
        out.append(np.einsum("...i,...i->...", d, x[..., 3:6]) / rho)
    return np.stack(out, axis=-1)


def radar_jacobian(state: ArrayLike, site_ecef: ArrayLike, rot_enu: ArrayLike,
                   range_rate: bool = True) -> NDArray[np.float64]:
    """Analytic Jacobian of :func:`radar_measure` w.r.t. the ECEF state, ``(..., 4 or 3, d)``."""
    x, d, rot, enu = _radar_parts(state, site_ecef, rot_enu)
    e, n, u = enu[..., 0], enu[..., 1], enu[..., 2]
    h2 = e**2 + n**2
    horiz = np.sqrt(h2)
    rho2 = h2 + u**2
    rho = np.sqrt(rho2)
    zero = np.zeros_like(e)
    d_rho = np.stack([e, n, u], -1) / rho[..., None]
    d_az = np.stack([n, -e, zero], -1) / h2[..., None]
    d_el = np.stack([-e * u, -n * u, h2], -1) / (rho2 * horiz)[..., None]
    rows_enu = np.stack([d_rho, d_az, d_el], -2)  # (..., 3, 3) w.r.t. enu
    J_pos = rows_enu @ rot  # chain rule: ∂enu/∂r = rot
    dz = 4 if range_rate else 3
    J = np.zeros(J_pos.shape[:-2] + (dz, x.shape[-1]))
    J[..., 0:3, 0:3] = J_pos
    if range_rate:
        v = x[..., 3:6]
        los = d / rho[..., None]
        rr = np.einsum("...i,...i->...", los, v)
        J[..., 3, 0:3] = (v - rr[..., None] * los) / rho[..., None]
        J[..., 3, 3:6] = los
    return J


def radar_residual(z: ArrayLike, z_pred: ArrayLike) -> NDArray[np.float64]:
    """``z - z_pred`` with azimuth and elevation (components 1, 2) wrapped to ``(-π, π]``."""
    r = _f(z) - _f(z_pred)
    r[..., 1:3] = wrap_angle(r[..., 1:3])
    return r


def sensor_frame(sat_ecef: ArrayLike, boresight_ecef: ArrayLike,
                 hint_ecef: ArrayLike | None = None) -> NDArray[np.float64]:
    """Orthonormal sensor frame, rows ``(e1, e2, b)`` in ECEF, ``(..., 3, 3)``.

    ``b`` is the unit boresight; ``e1 = unit(hint × b)`` and ``e2 = b × e1``. The hint defaults to
    the ECEF z axis (so ``e1`` is "east-like" and ``e2`` "north-like" for a nadir boresight),
    replaced by the x axis where it is within ~0.6° of ``b``. ``sat_ecef`` is accepted for
    broadcasting only.

    Args:
        sat_ecef: satellite position ``(..., 3)``, m.
        boresight_ecef: boresight direction ``(..., 3)`` (any length, e.g. ``-sat_ecef`` for nadir).
        hint_ecef: optional direction ``(..., 3)`` that ``e1`` is made perpendicular to.
    """
    b = _f(boresight_ecef) + 0.0 * _f(sat_ecef)
    b = b / np.linalg.norm(b, axis=-1, keepdims=True)
    hint = np.array([0.0, 0.0, 1.0]) if hint_ecef is None else _f(hint_ecef)
    hint = np.broadcast_to(hint, b.shape)
    c = np.cross(hint, b)
    bad = np.linalg.norm(c, axis=-1) < 1e-2 * np.linalg.norm(hint, axis=-1)
    c = np.where(bad[..., None], np.cross(np.array([1.0, 0.0, 0.0]), b), c)
    e1 = c / np.linalg.norm(c, axis=-1, keepdims=True)
    e2 = np.cross(b, e1)
    return np.stack([e1, e2, b], axis=-2)


def ir_measure(state: ArrayLike, sat_ecef: ArrayLike, frame: ArrayLike) -> NDArray[np.float64]:
    """IR line-of-sight tangent-plane angles ``(..., 2)``, rad.

    Args:
        state: ECEF state ``(..., d)``, ``d >= 3``, m.
        sat_ecef: satellite position ``(..., 3)``, m.
        frame: sensor frame ``(..., 3, 3)`` rows ``(e1, e2, b)`` (see :func:`sensor_frame`).
    """
    d = _f(state)[..., 0:3] - _f(sat_ecef)
    c = np.einsum("...ij,...j->...i", _f(frame), d)
    return np.stack([np.arctan2(c[..., 0], c[..., 2]), np.arctan2(c[..., 1], c[..., 2])], -1)


def ir_jacobian(state: ArrayLike, sat_ecef: ArrayLike, frame: ArrayLike) -> NDArray[np.float64]:
    """Analytic Jacobian of :func:`ir_measure` w.r.t. the state, ``(..., 2, d)``.

    ``∂ atan2(a, c)/∂d = (c e1 - a b) / (a² + c²)`` with ``a = e1·d``, ``c = b·d``.
    """
    x = _f(state)
    d = x[..., 0:3] - _f(sat_ecef)
    fr = _f(frame)
    cmp = np.einsum("...ij,...j->...i", fr, d)
    a1, a2, c = cmp[..., 0], cmp[..., 1], cmp[..., 2]
    e1, e2, b = fr[..., 0, :], fr[..., 1, :], fr[..., 2, :]
    g1 = (c[..., None] * e1 - a1[..., None] * b) / (a1**2 + c**2)[..., None]
    g2 = (c[..., None] * e2 - a2[..., None] * b) / (a2**2 + c**2)[..., None]
    J = np.zeros(np.broadcast_shapes(g1.shape[:-1], x.shape[:-1]) + (2, x.shape[-1]))
    J[..., 0, 0:3] = g1
    J[..., 1, 0:3] = g2
    return J


def ir_residual(z: ArrayLike, z_pred: ArrayLike) -> NDArray[np.float64]:
    """``z - z_pred`` with both angles wrapped to ``(-π, π]``."""
    return wrap_angle(_f(z) - _f(z_pred))


@dataclass(frozen=True)
class RadarMeasurement:
    """Radar at a fixed ECEF site (see :func:`radar_measure`); geometry may be per track.

    Attributes:
        site_ecef: ``(3,)`` or ``(n, 3)``, m.
        rot_enu: ``(3, 3)`` or ``(n, 3, 3)`` from :func:`hdsim.earth.enu_rotation`.
        range_rate: measure the range rate too (``dim_z`` 4, else 3).
    """

    site_ecef: NDArray[np.float64]
    rot_enu: NDArray[np.float64]
    range_rate: bool = True

    @property
    def dim_z(self) -> int:
        return 4 if self.range_rate else 3

    def h(self, x: ArrayLike) -> NDArray[np.float64]:
        return radar_measure(x, self.site_ecef, self.rot_enu, self.range_rate)

    def jacobian(self, x: ArrayLike) -> NDArray[np.float64]:
        return radar_jacobian(x, self.site_ecef, self.rot_enu, self.range_rate)

    @staticmethod
    def residual(z: ArrayLike, z_pred: ArrayLike) -> NDArray[np.float64]:
        return radar_residual(z, z_pred)


@dataclass(frozen=True)
class IrLosMeasurement:
    """Space IR line of sight (see :func:`ir_measure`); geometry may be per track.

    Attributes:
        sat_ecef: ``(3,)`` or ``(n, 3)``, m.
        frame: ``(3, 3)`` or ``(n, 3, 3)`` rows ``(e1, e2, boresight)``.
    """

    sat_ecef: NDArray[np.float64]
    frame: NDArray[np.float64]
    dim_z: int = 2

    def h(self, x: ArrayLike) -> NDArray[np.float64]:
        return ir_measure(x, self.sat_ecef, self.frame)

    def jacobian(self, x: ArrayLike) -> NDArray[np.float64]:
        return ir_jacobian(x, self.sat_ecef, self.frame)

    @staticmethod
    def residual(z: ArrayLike, z_pred: ArrayLike) -> NDArray[np.float64]:
        return ir_residual(z, z_pred)


@dataclass(frozen=True)
class CartesianPosition:
    """Linear position measurement ``z = H x``, ``H = [I3 0]`` (m).

    Attributes:
        dim_x: state dimension (>= 3).
    """

    dim_x: int = 6
    dim_z: int = 3

    @property
    def H(self) -> NDArray[np.float64]:  # noqa: N802
        H = np.zeros((3, self.dim_x))
        H[:, :3] = np.eye(3)
        return H

    def h(self, x: ArrayLike) -> NDArray[np.float64]:
        return _f(x)[..., 0:3].copy()

    def jacobian(self, x: ArrayLike) -> NDArray[np.float64]:
        x = _f(x)
        return np.broadcast_to(self.H, x.shape[:-1] + (3, self.dim_x))

    @staticmethod
    def residual(z: ArrayLike, z_pred: ArrayLike) -> NDArray[np.float64]:
        return _f(z) - _f(z_pred)
