"""Great-circle geometry for aiming and guidance (spherical formulas on geodetic angles).

Bearings and central angles use the spherical-Earth formulas of navigation (e.g. Vallado 4th ed.
§11.2, or the "aviation formulary"); on WGS-84 the difference from ellipsoidal geodesics is a
fraction of a percent, which guidance corrects in flight.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.earth import WGS84, Ellipsoid, enu_rotation, geodetic_to_ecef

__all__ = ["central_angle_rad", "initial_bearing_rad", "destination", "launch_state"]


def central_angle_rad(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
                      ) -> NDArray:
    """Great-circle central angle between two points (haversine-stable atan2 form), rad."""
    lat1, lon1, lat2, lon2 = map(np.asarray, (lat1, lon1, lat2, lon2))
    dlon = lon2 - lon1
    a = np.cos(lat2) * np.sin(dlon)
    b = np.cos(lat1) * np.sin(lat2) - np.sin(lat1) * np.cos(lat2) * np.cos(dlon)
    c = np.sin(lat1) * np.sin(lat2) + np.cos(lat1) * np.cos(lat2) * np.cos(dlon)
    return np.arctan2(np.hypot(a, b), c)


def initial_bearing_rad(lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
                        ) -> NDArray:
    """Initial great-circle bearing from point 1 to point 2, clockwise from north, rad."""
    lat1, lon1, lat2, lon2 = map(np.asarray, (lat1, lon1, lat2, lon2))
    dlon = lon2 - lon1
    y = np.sin(dlon) * np.cos(lat2)
    x = np.cos(lat1) * np.sin(lat2) - np.sin(lat1) * np.cos(lat2) * np.cos(dlon)
    return np.mod(np.arctan2(y, x), 2.0 * np.pi)


def destination(lat: ArrayLike, lon: ArrayLike, bearing: ArrayLike, angle: ArrayLike
                ) -> tuple[NDArray, NDArray]:
    """Point reached from (lat, lon) along ``bearing`` after central angle ``angle`` (rad)."""
    lat, lon, bearing, angle = map(np.asarray, (lat, lon, bearing, angle))
    lat2 = np.arcsin(np.sin(lat) * np.cos(angle) + np.cos(lat) * np.sin(angle) * np.cos(bearing))
    lon2 = lon + np.arctan2(np.sin(bearing) * np.sin(angle) * np.cos(lat),
                            np.cos(angle) - np.sin(lat) * np.sin(lat2))
    return lat2, (lon2 + np.pi) % (2.0 * np.pi) - np.pi


def launch_state(lat: ArrayLike, lon: ArrayLike, alt_m: ArrayLike, speed_mps: ArrayLike,
                 flight_path_rad: ArrayLike, azimuth_rad: ArrayLike,
                 ellipsoid: Ellipsoid = WGS84) -> NDArray:
    """ECEF state ``(..., 6)`` from a geodetic position and an Earth-relative velocity given
    by speed, flight-path angle above the local horizontal and azimuth from north."""
    pos = geodetic_to_ecef(lat, lon, alt_m, ellipsoid)
    speed, gam, az = map(np.asarray, (speed_mps, flight_path_rad, azimuth_rad))
    v_enu = np.stack(np.broadcast_arrays(speed * np.cos(gam) * np.sin(az),
                                         speed * np.cos(gam) * np.cos(az),
                                         speed * np.sin(gam)), axis=-1)
    rot = enu_rotation(lat, lon)  # rows: east, north, up in ECEF
    vel = np.einsum("...ji,...j->...i", rot, v_enu)
    return np.concatenate(np.broadcast_arrays(pos, vel), axis=-1)
