"""The boost phase of ballistic missiles and boost-glide vehicles: where burnout happens and the
path flown from the pad to it.

A threat with a burn time ``t_b > 0`` lifts off vertically from its launch point at its launch
time and reaches its burnout state (speed ``v``, flight-path angle ``γ``, altitude ``h``,
heading) ``t_b`` seconds later, at a point a boost ground range ``d_b`` downrange along the
launch azimuth.  Two models, both documented and tested:

* **Where** (:func:`boost_ground_range_m`): ``d_b = k · v cos γ · t_b``, with the downrange
  fraction ``k`` that of an ideal *gravity turn* reaching (v, γ) in ``t_b``: flat Earth, no air,
  uniform gravity ``g``, thrust along the velocity at a constant thrust acceleration ``n g``,
  from a vertical lift-off with an infinitesimal pitch kick.  Its closed form (Culler & Fried,
  "Universal gravity turn trajectories", J. Appl. Phys. 28, 672, 1957; checked against a
  numerical integration in the tests), with θ the angle of the velocity from the vertical and
  ``z = tan(θ/2)``, is::

      v = C z^(n−1) (1 + z²) / 2
      t = C/(2g) · [z^(n−1)/(n−1) + z^(n+1)/(n+1)]
      x = C²/(2g) · [z^(2n−1)/(2n−1) + z^(2n+1)/(2n+1)]         (downrange)
      h = C²/(4g) · [z^(2n−2)/(2n−2) − z^(2n+2)/(2n+2)]          (altitude)

  so, for the burnout's ``z_b = tan((π/2 − γ)/2)``, ``g t_b / v = (1/(n−1) + z_b²/(n+1)) /
  (1 + z_b²)`` fixes ``n`` (it falls monotonically from ∞ to 0 as n runs over (1, ∞), so every
  burnout has one), and ``k = x/(v sin θ · t) = [1/(2n−1) + z_b²/(2n+1)] / [1/(n−1) +
  z_b²/(n+1)]``.  Boosters of interest (n ≈ 3-6) give k ≈ 0.40-0.49: an MRBM burning out at
  3.2 km/s, 42° after 70 s has n = 5.4, k = 0.46, d_b = 76 km; an HGV booster burning out level
  at 5.5 km/s after 100 s has n = 5.8, k = 0.49, d_b = 269 km.  ``k`` is held at least
  :data:`K_MIN` = 0.42, below which the smooth path (next item) could back-track.  The gravity
  turn only places the burnout point: its own burnout altitude is not imposed (a real booster
  steers to the altitude it wants; the scenario gives that altitude).

* **The path** (:func:`boost_segment`): a quintic Hermite curve in ECEF matching position,
  velocity and acceleration at both ends: at lift-off the pad, zero velocity and
  :data:`LIFTOFF_ACCEL_MPS2` straight up (thrust-to-weight 2); at burnout the burnout state and
  the flight's own acceleration there, so position, velocity *and* acceleration are continuous
  where the boost hands over to the flown trajectory (the thrust tails off to zero at burnout).
  Near lift-off its horizontal speed is ``(30k − 12) s² v cos γ + O(s³)`` with ``s = t/t_b``,
  which needs ``k ≥ 0.4`` not to start backwards, hence :data:`K_MIN`.  A burnout too low for
  its vertical speed would make the curve dip below the pad: that is an error
  (:class:`BoostDipError`, which quotes the gravity turn's consistent burnout altitude).  Nodes are
  sampled at most one second apart with the curve's exact velocity and acceleration, so the
  trajectory's cubic Hermite interpolation reproduces the quintic to millimetres.

Ground ranges are along the great circle of the mean Earth radius :data:`R_MEAN_M`, as the aim
and the scenario summary measure them.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.earth import G0_MPS2, Ellipsoid, ecef_to_geodetic, enu_rotation, geodetic_to_ecef
from hdsim.earth.constants import SPHERE_RADIUS_M
from hdsim.threats.trajectory import PHASE_CODE, Trajectory

__all__ = [
    "K_MIN",
    "LIFTOFF_ACCEL_MPS2",
    "R_MEAN_M",
    "BoostDipError",
    "boost_ground_range_m",
    "boost_segment",
    "downrange_fraction",
    "gravity_turn",
    "gravity_turn_burnout_altitude_m",
    "gravity_turn_thrust_ratio",
    "prepend_boost",
    "quintic_hermite",
]

K_MIN: float = 0.42
"""Least downrange fraction ``d_b / (v cos γ · t_b)``: the quintic boost path back-tracks below
0.4 (see the module doc); 0.42 leaves room for drag and Earth curvature at burnout."""
LIFTOFF_ACCEL_MPS2: float = G0_MPS2
"""Net upward acceleration at lift-off, m/s² (thrust-to-weight 2)."""
R_MEAN_M: float = SPHERE_RADIUS_M
"""Mean Earth radius for boost ground ranges, m (as ``ThreatSpec.range_m``):
:data:`hdsim.earth.constants.SPHERE_RADIUS_M`."""


class BoostDipError(ValueError):
    """A boost path that would pass below its launch altitude (burnout too low for its climb)."""


def gravity_turn_thrust_ratio(speed_mps: ArrayLike, flight_path_rad: ArrayLike,
                              burn_time_s: ArrayLike, g: float = G0_MPS2) -> NDArray:
    """Thrust-to-weight ``n`` of the ideal gravity turn that reaches ``speed_mps`` at flight-path
    angle ``flight_path_rad`` after ``burn_time_s`` (Culler & Fried 1957; see the module doc).

    Solves ``g t / v = (1/(n−1) + z²/(n+1)) / (1 + z²)``, ``z = tan((π/2 − γ)/2)``, by
    bisection on ``log(n − 1)`` (the right side falls monotonically in n).  Vectorized.
    """
    v, gam, tb = np.broadcast_arrays(*(np.asarray(a, float) for a in
                                       (speed_mps, flight_path_rad, burn_time_s)))
    z2 = np.tan(0.5 * (0.5 * np.pi - gam)) ** 2
    rhs = g * tb / np.maximum(v, 1e-9)
    lo = np.full(v.shape, np.log(1e-9))
    hi = np.full(v.shape, np.log(1e9))
    for _ in range(100):
        mid = 0.5 * (lo + hi)
        m = np.exp(mid)  # n − 1
        f = (1.0 / m + z2 / (m + 2.0)) / (1.0 + z2)
        high = f > rhs  # n too small
        lo = np.where(high, mid, lo)
        hi = np.where(high, hi, mid)
    return 1.0 + np.exp(0.5 * (lo + hi))


def gravity_turn(n: ArrayLike, z: ArrayLike, c: ArrayLike, g: float = G0_MPS2
                 ) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """Closed-form ideal gravity turn from a vertical lift-off (Culler & Fried 1957).

    Args:
        n: thrust acceleration over ``g`` (> 1).
        z: ``tan(θ/2)``, θ the velocity's angle from the vertical.
        c: the trajectory constant ``C`` (m/s), ``v = C z^(n−1)(1 + z²)/2``.

    Returns:
        Time since lift-off (s), speed (m/s), downrange (m) and altitude (m) at ``z``.
    """
    n, z, c = (np.asarray(a, float) for a in (n, z, c))
    t = c / (2 * g) * (z ** (n - 1) / (n - 1) + z ** (n + 1) / (n + 1))
    v = c * z ** (n - 1) * (1 + z * z) / 2
    x = c * c / (2 * g) * (z ** (2 * n - 1) / (2 * n - 1) + z ** (2 * n + 1) / (2 * n + 1))
    h = c * c / (4 * g) * (z ** (2 * n - 2) / (2 * n - 2) - z ** (2 * n + 2) / (2 * n + 2))
    return t, v, x, h


def downrange_fraction(speed_mps: ArrayLike, flight_path_rad: ArrayLike,
                       burn_time_s: ArrayLike, g: float = G0_MPS2) -> NDArray:
    """Downrange fraction ``k = x / (v cos γ · t_b)`` of the ideal gravity turn reaching the
    burnout (module doc); in (0, 0.5), not yet held at :data:`K_MIN`."""
    n = gravity_turn_thrust_ratio(speed_mps, flight_path_rad, burn_time_s, g)
    z2 = np.tan(0.5 * (0.5 * np.pi - np.asarray(flight_path_rad, float))) ** 2
    return (1 / (2 * n - 1) + z2 / (2 * n + 1)) / (1 / (n - 1) + z2 / (n + 1))


def gravity_turn_burnout_altitude_m(speed_mps: ArrayLike, flight_path_rad: ArrayLike,
                                    burn_time_s: ArrayLike, g: float = G0_MPS2) -> NDArray:
    """Altitude, m, at which the ideal gravity turn of :func:`gravity_turn_thrust_ratio` burns
    out (flat Earth, no air): a consistent burnout altitude for a speed, angle and burn time."""
    n = gravity_turn_thrust_ratio(speed_mps, flight_path_rad, burn_time_s, g)
    z = np.tan(0.5 * (0.5 * np.pi - np.asarray(flight_path_rad, float)))
    c = 2.0 * np.asarray(speed_mps, float) / (z ** (n - 1) * (1 + z * z))
    return gravity_turn(n, z, c, g)[3]


def boost_ground_range_m(speed_mps: ArrayLike, flight_path_rad: ArrayLike,
                         burn_time_s: ArrayLike, g: float = G0_MPS2) -> NDArray:
    """Boost ground range ``d_b = max(k, K_MIN) · v cos γ · t_b``, m (0 where ``t_b = 0``).

    ``k`` is the gravity-turn downrange fraction of :func:`downrange_fraction`.
    """
    v, gam, tb = np.broadcast_arrays(*(np.asarray(a, float) for a in
                                       (speed_mps, flight_path_rad, burn_time_s)))
    k = np.maximum(downrange_fraction(v, gam, np.maximum(tb, 1e-9), g), K_MIN)
    return np.where(tb > 0.0, k * v * np.cos(gam) * tb, 0.0)


# Quintic Hermite basis on s in [0, 1], coefficients of s^0..s^5 (rows: p0, T v0, T² a0,
# T² a1, T v1, p1).
_QUINTIC = np.array([
    [1.0, 0.0, 0.0, -10.0, 15.0, -6.0],
    [0.0, 1.0, 0.0, -6.0, 8.0, -3.0],
    [0.0, 0.0, 0.5, -1.5, 1.5, -0.5],
    [0.0, 0.0, 0.0, 0.5, -1.0, 0.5],
    [0.0, 0.0, 0.0, -4.0, 7.0, -3.0],
    [0.0, 0.0, 0.0, 10.0, -15.0, 6.0],
])


def quintic_hermite(t: ArrayLike, duration_s: float, p0: NDArray, v0: NDArray, a0: NDArray,
                    p1: NDArray, v1: NDArray, a1: NDArray
                    ) -> tuple[NDArray, NDArray, NDArray]:
    """Quintic Hermite curve through (p, v, a) at local times 0 and ``duration_s``.

    Returns position, velocity and acceleration ``(K, 3)`` at local times ``t (K,)``
    (de Boor, *A Practical Guide to Splines*, ch. IV: Hermite interpolation with two
    derivatives at each end).
    """
    T = float(duration_s)
    s = np.asarray(t, float) / T
    pw = s[:, None] ** np.arange(6)  # (K, 6)
    k = np.arange(6)
    d1 = np.zeros_like(pw)
    d1[:, 1:] = pw[:, :-1] * k[1:]
    d2 = np.zeros_like(pw)
    d2[:, 2:] = pw[:, :-2] * (k[2:] * (k[2:] - 1))
    ctrl = np.stack([p0, T * v0, T * T * a0, T * T * a1, T * v1, p1])  # (6, 3)
    basis = _QUINTIC.T @ ctrl  # (6 powers, 3)
    return pw @ basis, d1 @ basis / T, d2 @ basis / (T * T)


def boost_segment(launch_ecef: NDArray, up: NDArray, burnout_state: NDArray,
                  burnout_accel: NDArray, burn_time_s: float
                  ) -> tuple[NDArray, NDArray, NDArray]:
    """Nodes of the boost path, lift-off to burnout excluded (module doc).

    Args:
        launch_ecef: pad position, ECEF m.
        up: unit local vertical (ellipsoid normal) at the pad, ECEF.
        burnout_state: ECEF state ``(6,)`` at burnout.
        burnout_accel: ECEF acceleration ``(3,)`` of the flight at burnout, m/s².
        burn_time_s: burn time, s (> 0).

    Returns:
        Local times since lift-off ``(K,)`` (``0 … < burn_time_s``, at most 1 s apart), ECEF
        states ``(K, 6)`` and accelerations ``(K, 3)``.
    """
    n = int(np.ceil(burn_time_s - 1e-9))
    t = np.linspace(0.0, burn_time_s, n + 1)[:-1]
    p, v, a = quintic_hermite(t, burn_time_s, launch_ecef, np.zeros(3), LIFTOFF_ACCEL_MPS2 * up,
                              burnout_state[:3], burnout_state[3:], burnout_accel)
    return t, np.concatenate([p, v], axis=1), a


def prepend_boost(tr: Trajectory, launch_lat_rad: float, launch_lon_rad: float,
                  launch_alt_m: float, burn_time_s: float, ellipsoid: Ellipsoid) -> Trajectory:
    """The trajectory with its boost phase (phase ``boost``) from lift-off at
    ``tr.t_start − burn_time_s`` to burnout (``tr``'s first node) put in front.

    Raises:
        BoostDipError: the boost path dips more than 1 m below the launch altitude.
    """
    if burn_time_s <= 0.0:
        return tr
    pad = geodetic_to_ecef(launch_lat_rad, launch_lon_rad, launch_alt_m, ellipsoid)
    up = enu_rotation(launch_lat_rad, launch_lon_rad)[2]
    t, x, a = boost_segment(pad, up, tr.states[0], tr.accels[0], burn_time_s)
    alt = ecef_to_geodetic(x[:, :3], ellipsoid)[2]
    if alt.min() < launch_alt_m - 1.0:
        v1 = tr.states[0, 3:]
        speed = float(np.linalg.norm(v1))
        gam = float(np.arcsin(np.clip(np.dot(v1, enu_rotation(
            *ecef_to_geodetic(tr.states[0, :3], ellipsoid)[:2])[2]) / speed, -1.0, 1.0)))
        h_gt = float(gravity_turn_burnout_altitude_m(speed, gam, burn_time_s))
        raise BoostDipError(
            f"threats[{tr.threat_id}].burnout: the {burn_time_s:.0f} s boost to this burnout "
            f"({speed:.0f} m/s at {np.degrees(gam):.1f} deg) would pass "
            f"{launch_alt_m - alt.min():.0f} m below the launch point: the burnout is too low "
            f"for its climb rate (an ideal gravity turn to it burns out about "
            f"{h_gt / 1000:.0f} km up); raise burnout.altitude_m or shorten "
            f"burnout.burn_time_s")
    k = t.size
    extras = {name: np.concatenate([np.full(k, np.nan), val]) for name, val in tr.extras.items()}
    return replace(
        tr,
        times=np.concatenate([tr.times[0] - burn_time_s + t, tr.times]),
        states=np.vstack([x, tr.states]),
        accels=np.vstack([a, tr.accels]),
        phase=np.concatenate([np.full(k, PHASE_CODE["boost"], np.int8), tr.phase]),
        extras=extras,
    )
