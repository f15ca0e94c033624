"""Coordinate frames on a reference ellipsoid: geodetic, ECEF, ENU and AER.

All functions are vectorized NumPy: scalar angles and altitudes broadcast against each other,
vectors carry the component axis last (``(..., 3)``). Angles are radians, lengths metres.

Frames:
- ECEF: Earth-centred, Earth-fixed; z along the rotation axis, x through (lat 0, lon 0).
- Geodetic: latitude (normal to the ellipsoid), longitude (east of Greenwich), height above the
  ellipsoid along the normal. On ``SPHERE`` (f = 0) geodetic latitude is geocentric latitude.
- ENU: local east, north, up axes at a geodetic origin.
- AER: azimuth (clockwise from north, [0, 2π)), elevation above the local horizontal plane,
  slant range.

References: Vermeille, H. (2004) "Computing geodetic coordinates from geocentric coordinates",
J. Geodesy 78:94-95 (closed-form inverse); Vallado, *Fundamentals of Astrodynamics and
Applications*, 4th ed., §3.2 (forward transform, eq. 3-14) and §4.4 (SEZ/ENU, azimuth/elevation).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.earth.ellipsoid import WGS84, Ellipsoid

_TWO_PI = 2.0 * np.pi


def geodetic_to_ecef(
    lat_rad: ArrayLike,
    lon_rad: ArrayLike,
    alt_m: ArrayLike,
    ellipsoid: Ellipsoid = WGS84,
) -> NDArray[np.float64]:
    """Geodetic latitude, longitude (rad) and ellipsoidal height (m) to ECEF position (m).

    Vallado (2013) eq. 3-14: ``N = a / sqrt(1 - e² sin² φ)``,
    ``r = ((N + h) cos φ cos λ, (N + h) cos φ sin λ, (N (1 - e²) + h) sin φ)``.

    Returns:
        ECEF position, shape ``broadcast(lat, lon, alt).shape + (3,)``.
    """
    lat = np.asarray(lat_rad, dtype=np.float64)
    lon = np.asarray(lon_rad, dtype=np.float64)
    alt = np.asarray(alt_m, dtype=np.float64)
    e2 = ellipsoid.e2
    slat = np.sin(lat)
    clat = np.cos(lat)
    n = ellipsoid.a_m / np.sqrt(1.0 - e2 * slat * slat)
    rxy = (n + alt) * clat
    x = rxy * np.cos(lon)
    y = rxy * np.sin(lon)
    z = (n * (1.0 - e2) + alt) * slat
    return np.stack(np.broadcast_arrays(x, y, z), axis=-1)


def ecef_to_geodetic(
    pos_ecef: ArrayLike,
    ellipsoid: Ellipsoid = WGS84,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """ECEF position (m) to geodetic latitude, longitude (rad) and ellipsoidal height (m).

    Closed form of Vermeille (2004), exact up to rounding (sub-micrometre on WGS-84 from the
    deep interior out past geostationary distance, poles included). Domain: points farther than
    about ``a e²`` (≈ 43 km on WGS-84) from the Earth's centre, i.e. everything above about
    6,300 km *below* the surface; inside that tiny core region the formula is not valid and the
    result is NaN. On a sphere (``f = 0``) it reduces to geocentric latitude and ``|r| - a``.

    Args:
        pos_ecef: ECEF position, shape ``(..., 3)``, m.
        ellipsoid: reference ellipsoid.

    Returns:
        ``(lat_rad, lon_rad, alt_m)``, each of shape ``(...)``; longitude in (-π, π].
    """
    pos = np.asarray(pos_ecef, dtype=np.float64)
    x = pos[..., 0]
    y = pos[..., 1]
    z = pos[..., 2]
    a = ellipsoid.a_m
    e2 = ellipsoid.e2
    e4 = e2 * e2
    rxy2 = x * x + y * y
    rxy = np.sqrt(rxy2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = rxy2 / (a * a)
        q = (1.0 - e2) / (a * a) * z * z
        r = (p + q - e4) / 6.0
        s = e4 * p * q / (4.0 * r * r * r)
        t = np.cbrt(1.0 + s + np.sqrt(s * (2.0 + s)))
        u = r * (1.0 + t + 1.0 / t)
        v = np.sqrt(u * u + e4 * q)
        w = e2 * (u + v - q) / (2.0 * v)
        k = np.sqrt(u + v + w * w) - w
        d = k * rxy / (k + e2)
        dz = np.sqrt(d * d + z * z)
        lat = 2.0 * np.arctan2(z, d + dz)
        alt = (k + e2 - 1.0) / k * dz
    lon = np.arctan2(y, x)
    return lat, lon, alt


def enu_rotation(lat_rad: ArrayLike, lon_rad: ArrayLike) -> NDArray[np.float64]:
    """Rotation from ECEF to local ENU axes at geodetic (lat, lon).

    Rows are the east, north and up unit vectors expressed in ECEF (Vallado §3.4), so
    ``enu = R @ d_ecef`` and ``d_ecef = R.T @ enu``.

    Returns:
        Array of shape ``broadcast(lat, lon).shape + (3, 3)``.
    """
    lat = np.asarray(lat_rad, dtype=np.float64)
    lon = np.asarray(lon_rad, dtype=np.float64)
    lat, lon = np.broadcast_arrays(lat, lon)
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    zero = np.zeros_like(lat)
    east = np.stack([-so, co, zero], axis=-1)
    north = np.stack([-sl * co, -sl * so, cl], axis=-1)
    up = np.stack([cl * co, cl * so, sl], axis=-1)
    return np.stack([east, north, up], axis=-2)


def _rotate_to_enu(d: NDArray[np.float64], lat: ArrayLike, lon: ArrayLike) -> NDArray[np.float64]:
    """Components of ECEF vectors ``d (..., 3)`` along ENU axes at (lat, lon)."""
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    dx, dy, dz = d[..., 0], d[..., 1], d[..., 2]
    t = co * dx + so * dy
    e = -so * dx + co * dy
    n = -sl * t + cl * dz
    u = cl * t + sl * dz
    return np.stack(np.broadcast_arrays(e, n, u), axis=-1)


def _rotate_from_enu(
    enu: NDArray[np.float64], lat: ArrayLike, lon: ArrayLike
) -> NDArray[np.float64]:
    """ECEF components of vectors given along ENU axes at (lat, lon) (transpose of the above)."""
    lat = np.asarray(lat, dtype=np.float64)
    lon = np.asarray(lon, dtype=np.float64)
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    e, n, u = enu[..., 0], enu[..., 1], enu[..., 2]
    t = -sl * n + cl * u
    dx = co * t - so * e
    dy = so * t + co * e
    dz = cl * n + sl * u
    return np.stack(np.broadcast_arrays(dx, dy, dz), axis=-1)


def ecef_to_enu(
    pos_ecef: ArrayLike,
    lat0_rad: ArrayLike,
    lon0_rad: ArrayLike,
    alt0_m: ArrayLike,
    ellipsoid: Ellipsoid = WGS84,
) -> NDArray[np.float64]:
    """ECEF position (m) to local ENU coordinates (m) about a geodetic origin.

    ``enu = R(lat0, lon0) (r - r0)`` with ``R`` from :func:`enu_rotation`. The origin arrays
    broadcast against ``pos_ecef[..., 0]``.

    Returns:
        ENU position, shape ``(..., 3)``.
    """
    pos = np.asarray(pos_ecef, dtype=np.float64)
    origin = geodetic_to_ecef(lat0_rad, lon0_rad, alt0_m, ellipsoid)
    return _rotate_to_enu(pos - origin, lat0_rad, lon0_rad)


def enu_to_ecef(
    enu: ArrayLike,
    lat0_rad: ArrayLike,
    lon0_rad: ArrayLike,
    alt0_m: ArrayLike,
    ellipsoid: Ellipsoid = WGS84,
) -> NDArray[np.float64]:
    """Local ENU coordinates (m) about a geodetic origin to ECEF position (m).

    Inverse of :func:`ecef_to_enu`: ``r = r0 + R.T enu``.

    Returns:
        ECEF position, shape ``(..., 3)``.
    """
    enu_arr = np.asarray(enu, dtype=np.float64)
    origin = geodetic_to_ecef(lat0_rad, lon0_rad, alt0_m, ellipsoid)
    return origin + _rotate_from_enu(enu_arr, lat0_rad, lon0_rad)


def enu_to_aer(
    enu: ArrayLike,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """ENU position (m) to azimuth, elevation (rad) and slant range (m).

    Azimuth is measured clockwise from north, in ``[0, 2π)``; elevation in ``[-π/2, π/2]``
    above the local horizontal plane (Vallado §4.4). At the zenith/nadir the azimuth is 0.

    Returns:
        ``(az_rad, el_rad, range_m)``, each of shape ``(...)``.
    """
    v = np.asarray(enu, dtype=np.float64)
    e, n, u = v[..., 0], v[..., 1], v[..., 2]
    horiz = np.hypot(e, n)
    az = np.mod(np.arctan2(e, n), _TWO_PI)
    az = np.where(az >= _TWO_PI, 0.0, az)
    el = np.arctan2(u, horiz)
    rng = np.hypot(horiz, u)
    return az, el, rng


def aer_to_enu(az_rad: ArrayLike, el_rad: ArrayLike, range_m: ArrayLike) -> NDArray[np.float64]:
    """Azimuth, elevation (rad) and slant range (m) to ENU position (m).

    ``(r cos el sin az, r cos el cos az, r sin el)``.

    Returns:
        ENU position, shape ``broadcast(az, el, range).shape + (3,)``.
    """
    az = np.asarray(az_rad, dtype=np.float64)
    el = np.asarray(el_rad, dtype=np.float64)
    rng = np.asarray(range_m, dtype=np.float64)
    horiz = rng * np.cos(el)
    e = horiz * np.sin(az)
    n = horiz * np.cos(az)
    u = rng * np.sin(el)
    return np.stack(np.broadcast_arrays(e, n, u), axis=-1)


def ecef_to_aer(
    pos_ecef: ArrayLike,
    lat0_rad: ArrayLike,
    lon0_rad: ArrayLike,
    alt0_m: ArrayLike,
    ellipsoid: Ellipsoid = WGS84,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """ECEF position (m) to azimuth, elevation (rad) and range (m) seen from a geodetic origin.

    Returns:
        ``(az_rad, el_rad, range_m)``; see :func:`enu_to_aer`.
    """
    return enu_to_aer(ecef_to_enu(pos_ecef, lat0_rad, lon0_rad, alt0_m, ellipsoid))


def aer_to_ecef(
    az_rad: ArrayLike,
    el_rad: ArrayLike,
    range_m: ArrayLike,
    lat0_rad: ArrayLike,
    lon0_rad: ArrayLike,
    alt0_m: ArrayLike,
    ellipsoid: Ellipsoid = WGS84,
) -> NDArray[np.float64]:
    """Azimuth, elevation (rad), range (m) from a geodetic origin to ECEF position (m)."""
    return enu_to_ecef(aer_to_enu(az_rad, el_rad, range_m), lat0_rad, lon0_rad, alt0_m, ellipsoid)


def enu_vector_to_ecef(
    vec_enu: ArrayLike, lat_rad: ArrayLike, lon_rad: ArrayLike
) -> NDArray[np.float64]:
    """Rotate a free vector (velocity, direction) from ENU axes at (lat, lon) to ECEF axes."""
    return _rotate_from_enu(np.asarray(vec_enu, dtype=np.float64), lat_rad, lon_rad)


def ecef_vector_to_enu(
    vec_ecef: ArrayLike, lat_rad: ArrayLike, lon_rad: ArrayLike
) -> NDArray[np.float64]:
    """Rotate a free vector (velocity, direction) from ECEF axes to ENU axes at (lat, lon)."""
    return _rotate_to_enu(np.asarray(vec_ecef, dtype=np.float64), lat_rad, lon_rad)
