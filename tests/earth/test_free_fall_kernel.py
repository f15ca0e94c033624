"""The compiled free-fall integrator (:func:`hdsim.earth.free_fall.free_fall_nodes`).

Oracles: the two-body invariants (specific energy ``v²/2 − μ/r`` and angular momentum ``r × v``
are constants of the motion on a non-rotating point-mass Earth), scipy's DOP853 at tight
tolerance on the full rotating-frame J2 dynamics written out here from their textbook form, and
the NumPy RK4 step the shots use (same formulas: the same numbers to rounding).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from hdsim.earth import EarthModel
from hdsim.earth.free_fall import free_fall_nodes
from hdsim.engagement.flyout import free_fall_rk4_step

MU = 3.986004418e14
J2 = 1.08262668e-3
A = 6378137.0
W = 7.2921150e-5


def _states(n: int, seed: int = 3) -> np.ndarray:
    """Suborbital states over the globe: 50-300 km up, 2-7 km/s in random directions."""
    rng = np.random.default_rng(seed)
    u = rng.normal(size=(n, 3))
    u /= np.linalg.norm(u, axis=1, keepdims=True)
    r = A + rng.uniform(5e4, 3e5, n)
    v = rng.normal(size=(n, 3))
    v -= np.sum(v * u, axis=1, keepdims=True) * u * 0.7
    v *= (rng.uniform(2e3, 7e3, n) / np.linalg.norm(v, axis=1))[:, None]
    return np.c_[u * r[:, None], v]


def _rhs(t, x):
    """Textbook dynamics in the rotating frame: point mass + J2 (Vallado eq. 8-30), Coriolis,
    centrifugal."""
    p, v = x[:3], x[3:]
    r = np.linalg.norm(p)
    z2 = (p[2] / r) ** 2
    k = -MU / r**3
    c = 1.5 * J2 * (A / r) ** 2
    g = k * p * np.array([1 + c * (1 - 5 * z2), 1 + c * (1 - 5 * z2), 1 + c * (3 - 5 * z2)])
    omega = np.array([0.0, 0.0, W])
    return np.r_[v, g - 2 * np.cross(omega, v) - np.cross(omega, np.cross(omega, p))]


def test_two_body_invariants_on_a_textbook_earth():
    x0 = _states(6)
    xs = free_fall_nodes(x0, 1.0, 601, EarthModel.textbook())
    r = np.linalg.norm(xs[..., :3], axis=-1)
    energy = 0.5 * np.sum(xs[..., 3:] ** 2, axis=-1) - MU / r
    h = np.cross(xs[..., :3], xs[..., 3:])
    np.testing.assert_allclose(energy, np.broadcast_to(energy[:, :1], energy.shape), rtol=1e-10)
    np.testing.assert_allclose(h, np.broadcast_to(h[:, :1], h.shape), rtol=1e-10,
                               atol=1e-10 * np.abs(h).max())


def test_rotating_j2_against_dop853():
    x0 = _states(4, seed=8)
    xs = free_fall_nodes(x0, 2.0, 151, EarthModel())
    for i in range(len(x0)):
        ref = solve_ivp(_rhs, (0.0, 300.0), x0[i], method="DOP853", rtol=1e-12, atol=1e-6,
                        t_eval=np.arange(0.0, 300.5, 2.0))
        np.testing.assert_allclose(xs[i, :, :3], ref.y[:3].T, rtol=0, atol=1e-3)  # 1 mm
        np.testing.assert_allclose(xs[i, :, 3:], ref.y[3:].T, rtol=0, atol=1e-5)


@pytest.mark.parametrize("earth", [EarthModel(), EarthModel.textbook(),
                                   EarthModel(rotation=False)])
def test_agrees_with_the_numpy_step(earth):
    x0 = _states(5, seed=1)
    xs = free_fall_nodes(x0, 3.0, 40, earth)
    x = x0.copy()
    for j in range(1, 40):
        x = free_fall_rk4_step(x, np.full(len(x0), 3.0), earth)
        # same formulas; only the summation order of |r|² differs (last-bit rounding)
        np.testing.assert_allclose(xs[:, j, :3], x[:, :3], rtol=0, atol=1e-6)
        np.testing.assert_allclose(xs[:, j, 3:], x[:, 3:], rtol=0, atol=1e-9)


def test_a_body_stops_inside_the_stop_radius_and_bad_input_is_named():
    x0 = np.array([[A + 1e5, 0.0, 0.0, -3000.0, 0.0, 0.0], [A + 2e5, 0.0, 0.0, 0.0, 7000.0, 0.0]])
    xs = free_fall_nodes(x0, 1.0, 200, EarthModel(), r_stop_m=A)
    r = np.linalg.norm(xs[..., :3], axis=-1)
    j = int(np.argmax(r[0] < A))
    assert 0 < j < 60
    assert np.all(xs[0, j:] == xs[0, j]) and np.all(r[1] > A)
    with pytest.raises(ValueError, match="state: shape"):
        free_fall_nodes(np.zeros((2, 3)), 1.0, 5, EarthModel())
    with pytest.raises(ValueError, match="step_s = 0"):
        free_fall_nodes(x0, 0.0, 5, EarthModel())
