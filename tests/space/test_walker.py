"""Walker delta constellations: the pattern is measured from the generated ECI states
(orbit normal from the angular momentum, argument of latitude from the position), not read
back from the elements."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdsim.earth.constants import WGS84_A_M
from hdsim.space import elements_to_eci, propagate_j2, walker_delta

TWO_PI = 2 * np.pi


def measured_geometry(pos, vel):
    """(RAAN, inclination, argument of latitude) of ECI states, from h = r x v and r only."""
    h = np.cross(pos, vel)
    h_hat = h / np.linalg.norm(h, axis=-1, keepdims=True)
    raan = np.arctan2(h_hat[..., 0], -h_hat[..., 1]) % TWO_PI
    inc = np.arccos(h_hat[..., 2])
    node = np.stack([np.cos(raan), np.sin(raan), np.zeros_like(raan)], axis=-1)
    ahead = np.cross(h_hat, node)
    u = np.arctan2(np.sum(pos * ahead, -1), np.sum(pos * node, -1)) % TWO_PI
    return raan, inc, u


def wrapped(x):
    return (x + np.pi) % TWO_PI - np.pi


def assert_invariant_under(raan, u, d_raan, d_u, tol=1e-9):
    """Every satellite has a partner at (RAAN + d_raan, u + d_u): the pattern's symmetry."""
    dr = wrapped(raan[None, :] - (raan[:, None] + d_raan))
    du = wrapped(u[None, :] - (u[:, None] + d_u))
    assert np.all(np.min(np.hypot(dr, du), axis=1) < tol)


def test_walker_24_3_1_classic():
    """Walker 56 deg: 24/3/1 (the Galileo pattern, 23 222 km): planes 120 deg apart, 8 satellites
    45 deg apart in each, a satellite 15 deg (= 360 f / t) ahead of its neighbour in the plane to
    the west (Walker 1984; Wertz, Space Mission Engineering 2011, Table 10-8)."""
    el = walker_delta(24, 3, 1, 23_222_000.0, 56.0)
    pos, vel = elements_to_eci(el)
    raan, inc, u = measured_geometry(pos, vel)
    np.testing.assert_allclose(np.linalg.norm(pos, axis=-1), WGS84_A_M + 23_222_000.0, rtol=1e-12)
    np.testing.assert_allclose(np.rad2deg(inc), 56.0, atol=1e-10)
    planes = np.round(np.rad2deg(raan) / 120.0).astype(int) % 3
    np.testing.assert_allclose(wrapped(raan - np.deg2rad(120.0) * planes), 0.0, atol=1e-12)
    assert np.bincount(planes).tolist() == [8, 8, 8]
    for j in range(3):
        uj = np.sort(np.rad2deg(u[planes == j]))
        np.testing.assert_allclose(np.diff(uj), 45.0, atol=1e-9)
        # phase of plane j relative to plane 0: 15 deg per plane, modulo the 45 deg slot spacing
        np.testing.assert_allclose((uj[0] - j * 15.0 + 1e-7) % 45.0, 1e-7, atol=1e-8)
    assert_invariant_under(raan, u, np.deg2rad(120.0), np.deg2rad(15.0))  # includes plane 2 -> 0
    assert_invariant_under(raan, u, 0.0, np.deg2rad(45.0))


@settings(max_examples=60, deadline=None)
@given(
    planes=st.integers(1, 12),
    per_plane=st.integers(1, 12),
    data=st.data(),
    inc_deg=st.floats(0.5, 179.5),
    alt_m=st.floats(200e3, 36e6),
)
def test_walker_pattern_geometry(planes, per_plane, data, inc_deg, alt_m):
    total = planes * per_plane
    phasing = data.draw(st.integers(0, planes - 1))
    el = walker_delta(total, planes, phasing, alt_m, inc_deg)
    pos, vel = elements_to_eci(el)
    raan, inc, u = measured_geometry(pos, vel)
    assert pos.shape == (total, 3)
    np.testing.assert_allclose(np.rad2deg(inc), inc_deg, atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(pos, axis=-1), WGS84_A_M + alt_m, rtol=1e-12)
    # p distinct planes, equally spaced in RAAN, s satellites in each
    k_plane = np.round(raan / (TWO_PI / planes)).astype(int) % planes
    np.testing.assert_allclose(wrapped(raan - k_plane * TWO_PI / planes), 0.0, atol=1e-9)
    assert np.bincount(k_plane, minlength=planes).tolist() == [per_plane] * planes
    # Walker delta symmetry: in-plane slot spacing 2 pi / s, and the inter-plane step
    # (2 pi / p in RAAN, 2 pi f / t in argument of latitude), which must also close the loop
    # from the last plane back to the first.
    assert_invariant_under(raan, u, 0.0, TWO_PI / per_plane)
    assert_invariant_under(raan, u, TWO_PI / planes, TWO_PI * phasing / total)
    # distinct orbital slots (positions may coincide at plane crossings: e.g. 2/2/1 puts both
    # satellites at the same node at t = 0, a known property of some Walker patterns)
    d = np.hypot(wrapped(raan[:, None] - raan[None, :]), wrapped(u[:, None] - u[None, :]))
    assert (d + np.eye(total)).min() > 1e-6


def test_walker_pattern_is_kept_by_j2_drift():
    """All planes share a and i, so J2 moves them together: one day later the plane normals
    (measured from three satellites' positions alone) are still 360/p apart in RAAN."""
    el = walker_delta(40, 8, 1, 1_000_000.0, 80.0)
    t = np.array([0.0, 86400.0])
    pos, _ = propagate_j2(el, t)
    pos = pos.reshape(8, 5, 2, 3)  # plane, slot, time, xyz
    normal = np.cross(pos[:, 0], pos[:, 1])  # (plane, time, 3)
    raan = np.arctan2(normal[..., 0], -normal[..., 1])
    spacing = np.rad2deg(wrapped(np.diff(raan, axis=0)))
    np.testing.assert_allclose(spacing, 45.0, atol=1e-9)
    drift = np.rad2deg(wrapped(raan[:, 1] - raan[:, 0]))
    assert np.ptp(drift) < 1e-9 and abs(drift[0]) > 0.1  # it did move, all planes alike


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(phasing=8), r"walker.phasing = 8: must be an integer in [0, planes-1] = [0, 7]"),
        (dict(phasing=-1), r"walker.phasing = -1: must be an integer in [0, planes-1] = [0, 7]"),
        (dict(phasing=1.5), r"walker.phasing = 1.5: must be an integer"),
        (dict(total=42), r"walker.planes = 8: must divide walker.total = 42"),
        (dict(total=0), r"walker.total = 0: must be an integer >= 1"),
        (dict(planes=0), r"walker.planes = 0: must be an integer in [1, total] = [1, 40]"),
        (dict(altitude_m=50e3), r"walker.altitude_m = 50000.0: must be >= 100000 m"),
        (dict(inclination_deg=181.0), r"walker.inclination_deg = 181.0: must be in [0, 180]"),
        (dict(total=True), r"walker.total = True: must be an integer"),
    ],
)
def test_walker_validation_messages(kwargs, message):
    spec = dict(total=40, planes=8, phasing=1, altitude_m=1e6, inclination_deg=80.0)
    spec.update(kwargs)
    with pytest.raises(ValueError) as info:
        walker_delta(**spec)
    assert str(info.value).startswith(message)
