"""Walker delta constellations ``i: t/p/f``.

``t`` satellites in ``p`` equally spaced circular orbital planes of the same inclination ``i``,
``s = t/p`` satellites per plane equally spaced in argument of latitude, and a phasing ``f`` in
``0..p-1``: a satellite in plane ``j+1`` is ``2π f / t`` ahead of the matching one in plane ``j``
(Walker, "Satellite constellations", J. British Interplanetary Society 37 (1984) 559-572; Wertz,
*Space Mission Engineering: The New SMAD* (2011), §10.5):

    Ω_j     = Ω_0 + 2π j / p                        j = 0..p-1
    u_{j,k} = u_0 + 2π k / s + 2π f j / t           k = 0..s-1

Satellites are ordered plane by plane: index ``j * s + k``.
"""

from __future__ import annotations

import numbers

import numpy as np

from hdsim.earth.constants import WGS84_A_M
from hdsim.space.elements import KeplerElements

MIN_ALTITUDE_M = 100_000.0
"""Lowest allowed Walker altitude (the Kármán line), m: below it no orbit survives a revolution."""


def _require_int(name: str, value: object, low: int, high: int | None, allowed: str) -> int:
    ok = isinstance(value, numbers.Integral) and not isinstance(value, bool)
    if ok and value >= low and (high is None or value <= high):
        return int(value)
    raise ValueError(f"walker.{name} = {value!r}: must be an integer {allowed}")


def walker_delta(
    total: int,
    planes: int,
    phasing: int,
    altitude_m: float,
    inclination_deg: float,
    raan0_deg: float = 0.0,
    arg_latitude0_deg: float = 0.0,
    earth_radius_m: float = WGS84_A_M,
) -> KeplerElements:
    """Element sets of a Walker delta constellation ``inclination_deg: total/planes/phasing``.

    Circular orbits (e = 0, ω = 0, so the mean anomaly is the argument of latitude) of radius
    ``earth_radius_m + altitude_m``. Parameter names follow the scenario file
    (``sensors.space_layers[].walker``).

    Args:
        total: number of satellites t (>= 1).
        planes: number of planes p, dividing ``total``.
        phasing: Walker phasing factor f in [0, p-1].
        altitude_m: orbit altitude above the equatorial radius, m (>= 100 km).
        inclination_deg: inclination, degrees in [0, 180].
        raan0_deg: RAAN of plane 0, degrees (ECI, at the epoch).
        arg_latitude0_deg: argument of latitude of satellite 0 of plane 0 at the epoch, degrees.
        earth_radius_m: radius the altitude is measured from, m.

    Returns:
        ``KeplerElements`` with ``total`` satellites ordered plane-major (index ``j * s + k``).

    Raises:
        ValueError: naming the field, its value and the allowed range.
    """
    total = _require_int("total", total, 1, None, ">= 1")
    planes = _require_int("planes", planes, 1, total, f"in [1, total] = [1, {total}]")
    if total % planes != 0:
        raise ValueError(
            f"walker.planes = {planes!r}: must divide walker.total = {total} "
            f"(divisors: {[d for d in range(1, total + 1) if total % d == 0]})"
        )
    phasing = _require_int(
        "phasing", phasing, 0, planes - 1, f"in [0, planes-1] = [0, {planes - 1}]"
    )
    if not (np.isfinite(altitude_m) and altitude_m >= MIN_ALTITUDE_M):
        raise ValueError(
            f"walker.altitude_m = {altitude_m!r}: must be >= {MIN_ALTITUDE_M:.0f} m (100 km)"
        )
    if not (np.isfinite(inclination_deg) and 0.0 <= inclination_deg <= 180.0):
        raise ValueError(f"walker.inclination_deg = {inclination_deg!r}: must be in [0, 180]")

    per_plane = total // planes
    j, k = walker_indices(total, planes)
    raan = np.deg2rad(raan0_deg) + 2.0 * np.pi * j / planes
    u = (
        np.deg2rad(arg_latitude0_deg)
        + 2.0 * np.pi * k / per_plane
        + 2.0 * np.pi * phasing * j / total
    )
    return KeplerElements(
        a_m=np.full(total, earth_radius_m + float(altitude_m)),
        e=np.zeros(total),
        i_rad=np.full(total, np.deg2rad(inclination_deg)),
        raan_rad=np.mod(raan, 2.0 * np.pi),
        argp_rad=np.zeros(total),
        mean_anomaly_rad=np.mod(u, 2.0 * np.pi),
    )


def walker_indices(total: int, planes: int) -> tuple[np.ndarray, np.ndarray]:
    """Plane index ``j`` and in-plane index ``k`` of each satellite of ``walker_delta``'s order."""
    per_plane = total // planes
    return np.repeat(np.arange(planes), per_plane), np.tile(np.arange(per_plane), planes)
