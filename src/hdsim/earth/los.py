"""Line of sight between two points over an ellipsoidal Earth (Earth occlusion).

The surface "altitude h above the ellipsoid" is approximated by the *inflated ellipsoid* of
semi-axes ``(a + h, a + h, b + h)``. Scaling z by ``(a + h)/(b + h)`` turns it into a sphere of
radius ``a + h``; a straight segment stays a straight segment under that scaling, so the test
reduces to the distance from the origin to the scaled segment (closest point clamped to the
segment). The inflated ellipsoid differs from the true constant-height surface by about
``e² h² / (2a)`` in the normal direction (≈ 5 m at h = 100 km, ≈ 0.5 m at 30 km on WGS-84) —
far below what matters for occlusion. On a sphere (f = 0) the test is exact.

A segment that touches the surface within ``TOUCH_TOLERANCE_M`` (1 mm) counts as clear, so that
a line of sight ending exactly on the surface (a ground site at altitude 0 seen from above) does
not flip with rounding. An end point *below* the grazing altitude makes the line not clear:
the segment itself dips under the inflated surface there.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.earth.ellipsoid import WGS84, Ellipsoid
from hdsim.earth.frames import ecef_to_geodetic

TOUCH_TOLERANCE_M = 1e-3
"""A segment passing no deeper than this below the inflated surface counts as clear, m."""


def _closest_to_origin(
    p1: NDArray[np.float64], p2: NDArray[np.float64], z_scale: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Parameter ``t`` in [0, 1] and distance of the point of ``p1 + t (p2 - p1)`` closest to the
    origin after scaling z by ``z_scale``."""
    s = np.asarray(z_scale, dtype=np.float64)
    q1x, q1y, q1z = p1[..., 0], p1[..., 1], p1[..., 2] * s
    dx = p2[..., 0] - p1[..., 0]
    dy = p2[..., 1] - p1[..., 1]
    dz = (p2[..., 2] - p1[..., 2]) * s
    dd = dx * dx + dy * dy + dz * dz
    qd = q1x * dx + q1y * dy + q1z * dz
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(dd > 0.0, -qd / np.where(dd > 0.0, dd, 1.0), 0.0)
    t = np.clip(t, 0.0, 1.0)
    cx, cy, cz = q1x + t * dx, q1y + t * dy, q1z + t * dz
    return t, np.sqrt(cx * cx + cy * cy + cz * cz)


def line_of_sight_clear(
    p1_ecef: ArrayLike,
    p2_ecef: ArrayLike,
    grazing_alt_m: ArrayLike = 0.0,
    ellipsoid: Ellipsoid = WGS84,
) -> NDArray[np.bool_]:
    """Whether the straight segment p1→p2 stays above the ellipsoid inflated by ``grazing_alt_m``.

    The inflated ellipsoid has semi-axes ``(a + h, a + h, b + h)`` (see the module docstring for
    the approximation). A segment that only touches it (within ``TOUCH_TOLERANCE_M``) counts as
    clear; one whose end point lies below the grazing altitude does not.

    Args:
        p1_ecef: first end points, ``(..., 3)``, m.
        p2_ecef: second end points, ``(..., 3)``, m; broadcasts with ``p1_ecef`` (e.g. satellites
            ``(S, 1, 3)`` against targets ``(1, N, 3)`` gives ``(S, N)``).
        grazing_alt_m: clearance altitude ``h`` above the ellipsoid, m; broadcasts with the
            batch shape (may be negative, down to ``-b``).
        ellipsoid: reference ellipsoid.

    Returns:
        Boolean array of the broadcast batch shape.
    """
    p1 = np.asarray(p1_ecef, dtype=np.float64)
    p2 = np.asarray(p2_ecef, dtype=np.float64)
    h = np.asarray(grazing_alt_m, dtype=np.float64)
    radius = ellipsoid.a_m + h
    _, dist = _closest_to_origin(p1, p2, radius / (ellipsoid.b_m + h))
    return dist >= radius - TOUCH_TOLERANCE_M


def grazing_altitude_m(
    p1_ecef: ArrayLike,
    p2_ecef: ArrayLike,
    ellipsoid: Ellipsoid = WGS84,
) -> NDArray[np.float64]:
    """Approximate minimum geodetic altitude (m) along the segment p1→p2.

    Finds the segment point closest to the origin after scaling z by ``a/b`` (the point that
    first touches a growing, ellipsoid-shaped surface), then refines once with the scale
    ``(a + h)/(b + h)`` of the inflated ellipsoid at that point's altitude ``h``, and returns the
    exact geodetic altitude of the refined point. Since this is the altitude of a point on the
    segment it is never below the true minimum; against a 10,000-sample brute-force search it
    agrees to a few metres for LEO-to-ground lines of sight (see the tests). Negative values mean
    the segment passes below the surface.

    Args:
        p1_ecef, p2_ecef: end points, ``(..., 3)``, m; broadcast against each other.
        ellipsoid: reference ellipsoid.

    Returns:
        Altitude, m, of the broadcast batch shape.
    """
    p1 = np.asarray(p1_ecef, dtype=np.float64)
    p2 = np.asarray(p2_ecef, dtype=np.float64)
    a, b = ellipsoid.a_m, ellipsoid.b_m
    p1, p2 = np.broadcast_arrays(p1, p2)
    t, _ = _closest_to_origin(p1, p2, a / b)
    _, _, h = ecef_to_geodetic(p1 + t[..., None] * (p2 - p1), ellipsoid)
    h_safe = np.maximum(h, -0.5 * b)
    t, _ = _closest_to_origin(p1, p2, (a + h_safe) / (b + h_safe))
    _, _, h = ecef_to_geodetic(p1 + t[..., None] * (p2 - p1), ellipsoid)
    return h
