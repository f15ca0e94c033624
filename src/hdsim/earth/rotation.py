"""Earth rotation: Julian date, Greenwich mean sidereal time, ECI <-> ECEF.

ECI here is the pseudo-inertial frame that differs from ECEF by the GMST rotation about z only:
no precession, nutation or polar motion. That is the frame SGP4's TEME uses up to the equation
of the equinoxes (≲ 1e-5 rad), far below sensor noise. UT1 is taken equal to UTC
(|UT1 - UTC| < 0.9 s, i.e. < 7e-5 rad of Earth rotation), as sgp4 users usually do.

References: Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed. (2013):
eq. 3-47 (GMST, IAU-82), Algorithm 14 (Julian date), §3.7 (frame rotations, ω × r term).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.earth.constants import OMEGA_EARTH_RADPS

_TWO_PI = 2.0 * np.pi
_SECONDS_PER_DAY = 86400.0
_J2000_JD = 2451545.0


def julian_date(epoch: datetime) -> tuple[float, float]:
    """Julian date of a UTC epoch split into a day part and a fraction, as ``sgp4.api.jday``.

    Vallado Algorithm 14 (valid 1900-2100): ``jd`` is the Julian date of the preceding midnight
    (always ending in .5) and ``fr`` the fraction of the day since then, so that ``jd + fr`` is
    the full Julian date without losing the sub-second part.

    Args:
        epoch: timezone-aware datetime (converted to UTC).

    Raises:
        ValueError: if ``epoch`` is naive (no tzinfo).
    """
    if epoch.tzinfo is None or epoch.tzinfo.utcoffset(epoch) is None:
        raise ValueError(
            f"epoch = {epoch!r}: must be a timezone-aware datetime (e.g. tzinfo=timezone.utc)"
        )
    e = epoch.astimezone(UTC)
    year, mon, day = e.year, e.month, e.day
    jd = (
        367.0 * year
        - 7 * (year + ((mon + 9) // 12.0)) * 0.25 // 1.0
        + 275 * mon / 9.0 // 1.0
        + day
        + 1721013.5
    )
    sec = e.second + e.microsecond * 1e-6
    fr = (sec + e.minute * 60.0 + e.hour * 3600.0) / _SECONDS_PER_DAY
    return float(jd), float(fr)


def gmst_rad(t_s: ArrayLike, epoch: datetime) -> NDArray[np.float64]:
    """Greenwich mean sidereal time (IAU-82) at ``t_s`` seconds after ``epoch``, rad in [0, 2π).

    Vallado eq. 3-47, the formula of ``sgp4.propagation.gstime``::

        θ [s] = 67310.54841 + (876600 h + 8640184.812866 s) T + 0.093104 T² - 6.2e-6 T³

    with ``T`` Julian centuries of UT1 since J2000. The ``876600 h · T`` term is whole days plus
    the fraction of the current day, so it is evaluated modulo one day from the day fraction to
    keep full float64 precision at any epoch.

    Args:
        t_s: seconds since ``epoch``, any shape.
        epoch: timezone-aware UTC datetime (UT1 taken = UTC).

    Returns:
        GMST angle in radians, shape of ``t_s``.
    """
    jd, fr = julian_date(epoch)
    t = np.asarray(t_s, dtype=np.float64)
    days_whole = jd - _J2000_JD  # an exact half-integer
    day_frac = fr + t / _SECONDS_PER_DAY
    tut1 = (days_whole + day_frac) / 36525.0
    # 876600 h * T = 86400 s * (days since J2000); only its part modulo one day matters.
    rot_s = _SECONDS_PER_DAY * np.mod(np.mod(days_whole, 1.0) + day_frac, 1.0)
    theta_s = 67310.54841 + rot_s + 8640184.812866 * tut1 + 0.093104 * tut1**2 - 6.2e-6 * tut1**3
    return np.mod(theta_s * (_TWO_PI / _SECONDS_PER_DAY), _TWO_PI)


def _angle_for(pos: NDArray[np.float64], t_s: ArrayLike, epoch: datetime) -> NDArray[np.float64]:
    """GMST broadcast against the batch axes ``pos.shape[:-1]``."""
    theta = gmst_rad(t_s, epoch)
    return np.broadcast_to(theta, np.broadcast_shapes(theta.shape, pos.shape[:-1]))


@overload
def eci_to_ecef(
    pos_eci: ArrayLike, t_s: ArrayLike, epoch: datetime, vel_eci: None = None
) -> NDArray[np.float64]: ...
@overload
def eci_to_ecef(
    pos_eci: ArrayLike, t_s: ArrayLike, epoch: datetime, vel_eci: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
def eci_to_ecef(
    pos_eci: ArrayLike,
    t_s: ArrayLike,
    epoch: datetime,
    vel_eci: ArrayLike | None = None,
) -> NDArray[np.float64] | tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Rotate ECI (GMST-only, TEME-like) position, and optionally velocity, to ECEF.

    ``r_ecef = R3(θ) r_eci`` and ``v_ecef = R3(θ) v_eci - ω × r_ecef`` (Vallado §3.7) with
    ``θ = gmst_rad(t_s, epoch)`` and ``ω = OMEGA_EARTH_RADPS`` about z.

    Args:
        pos_eci: position, ``(..., 3)``, m.
        t_s: seconds since ``epoch``; broadcasts against ``pos_eci.shape[:-1]`` (e.g. ``(T,)``
            against positions ``(nsat, T, 3)``).
        epoch: timezone-aware UTC datetime.
        vel_eci: optional velocity, ``(..., 3)``, m/s.

    Returns:
        ``pos_ecef`` or ``(pos_ecef, vel_ecef)``.
    """
    pos = np.asarray(pos_eci, dtype=np.float64)
    theta = _angle_for(pos, t_s, epoch)
    c, s = np.cos(theta), np.sin(theta)
    x, y, z = pos[..., 0], pos[..., 1], pos[..., 2]
    xe = c * x + s * y
    ye = -s * x + c * y
    pos_ecef = np.stack(np.broadcast_arrays(xe, ye, z), axis=-1)
    if vel_eci is None:
        return pos_ecef
    vel = np.asarray(vel_eci, dtype=np.float64)
    vx, vy, vz = vel[..., 0], vel[..., 1], vel[..., 2]
    vxe = c * vx + s * vy + OMEGA_EARTH_RADPS * ye
    vye = -s * vx + c * vy - OMEGA_EARTH_RADPS * xe
    vel_ecef = np.stack(np.broadcast_arrays(vxe, vye, vz), axis=-1)
    return pos_ecef, vel_ecef


@overload
def ecef_to_eci(
    pos_ecef: ArrayLike, t_s: ArrayLike, epoch: datetime, vel_ecef: None = None
) -> NDArray[np.float64]: ...
@overload
def ecef_to_eci(
    pos_ecef: ArrayLike, t_s: ArrayLike, epoch: datetime, vel_ecef: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]: ...
def ecef_to_eci(
    pos_ecef: ArrayLike,
    t_s: ArrayLike,
    epoch: datetime,
    vel_ecef: ArrayLike | None = None,
) -> NDArray[np.float64] | tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Rotate ECEF position, and optionally velocity, to ECI (inverse of :func:`eci_to_ecef`).

    ``r_eci = R3(-θ) r_ecef`` and ``v_eci = R3(-θ) (v_ecef + ω × r_ecef)``.

    Args:
        pos_ecef: position, ``(..., 3)``, m.
        t_s: seconds since ``epoch``; broadcasts against ``pos_ecef.shape[:-1]``.
        epoch: timezone-aware UTC datetime.
        vel_ecef: optional velocity, ``(..., 3)``, m/s.

    Returns:
        ``pos_eci`` or ``(pos_eci, vel_eci)``.
    """
    pos = np.asarray(pos_ecef, dtype=np.float64)
    theta = _angle_for(pos, t_s, epoch)
    c, s = np.cos(theta), np.sin(theta)
    x, y, z = pos[..., 0], pos[..., 1], pos[..., 2]
    pos_eci = np.stack(np.broadcast_arrays(c * x - s * y, s * x + c * y, z), axis=-1)
    if vel_ecef is None:
        return pos_eci
    vel = np.asarray(vel_ecef, dtype=np.float64)
    vx = vel[..., 0] - OMEGA_EARTH_RADPS * y
    vy = vel[..., 1] + OMEGA_EARTH_RADPS * x
    vel_eci = np.stack(np.broadcast_arrays(c * vx - s * vy, s * vx + c * vy, vel[..., 2]), axis=-1)
    return pos_eci, vel_eci
