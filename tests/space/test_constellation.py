"""Constellation: the wrapper wires elements / TLEs to propagation and the ECI→ECEF rotation."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from hdsim.earth.constants import MU_M3PS2, WGS84_A_M
from hdsim.space import (
    SAMPLE_TLE_PATH,
    Constellation,
    KeplerElements,
    propagate_tle_ecef,
    read_tle,
)

EPOCH = datetime(2030, 3, 1, 6, 0, 0, tzinfo=UTC)


def test_walker_layer_ids_shapes_and_radius():
    layer = Constellation.from_walker("tracking-layer", 40, 8, 1, 1_000_000.0, 80.0)
    assert len(layer) == 40
    assert layer.sat_ids[:2] == ("tracking-layer-p0-s0", "tracking-layer-p0-s1")
    assert layer.sat_ids[-1] == "tracking-layer-p7-s4"
    t = np.arange(0.0, 3600.0, 60.0)
    pos_eci, vel_eci = layer.states_eci(t, EPOCH)
    pos = layer.positions_ecef(t, EPOCH)
    assert pos.shape == pos_eci.shape == vel_eci.shape == (40, 60, 3)
    # a rotation about z: radius and z unchanged, circular orbit radius = R + h
    np.testing.assert_allclose(np.linalg.norm(pos, axis=-1), WGS84_A_M + 1e6, atol=1e-3)
    np.testing.assert_allclose(pos[..., 2], pos_eci[..., 2], atol=1e-6)
    states = layer.states_ecef(t, EPOCH)
    assert states.shape == (40, 60, 6)
    np.testing.assert_allclose(states[..., :3], pos, atol=1e-6)


def test_geostationary_satellite_hangs_still_in_ecef():
    """Closed form: a circular equatorial orbit with a = (mu / w_E^2)^(1/3) (42 164 km) stays
    over one point of the rotating Earth. Any error in the ECI→ECEF wiring (sign, epoch,
    units) moves it by thousands of km; the residual is the IAU-82 sidereal rate (GMST) minus
    the WGS-84 rotation rate, 8.55e-12 rad/s: 31 m per day (measured)."""
    a_geo = (MU_M3PS2 / 7.292115e-5**2) ** (1 / 3)
    layer = Constellation.from_walker(
        "geo", 3, 3, 0, a_geo - WGS84_A_M, 0.0, propagator="two_body"
    )
    t = np.linspace(0.0, 86400.0, 25)
    states = layer.states_ecef(t, EPOCH)
    drift = np.linalg.norm(states[:, :, :3] - states[:, :1, :3], axis=-1)
    assert drift.max() < 50.0
    assert np.abs(states[..., 3:]).max() < 1e-3
    lon_deg = np.rad2deg(np.arctan2(states[:, 0, 1], states[:, 0, 0]))
    np.testing.assert_allclose(np.diff(np.sort(lon_deg)), 120.0, atol=1e-6)


def test_ecef_velocity_is_derivative_of_ecef_position():
    layer = Constellation.from_walker("l", 6, 3, 1, 800e3, 98.6)
    t = np.linspace(0.0, 86400.0, 13)
    h = 0.25
    v = layer.states_ecef(t, EPOCH)[..., 3:]
    fd = (layer.positions_ecef(t + h, EPOCH) - layer.positions_ecef(t - h, EPOCH)) / (2 * h)
    assert np.max(np.linalg.norm(v - fd, axis=-1)) < 1e-3


def test_tle_layer_matches_tle_propagation_and_masks_failures():
    layer = Constellation.from_tle_file("legacy", SAMPLE_TLE_PATH)
    assert layer.propagator == "sgp4" and layer.sat_ids[0] == "ISS (ZARYA)"
    epoch = datetime(2020, 5, 7, tzinfo=UTC)
    t = np.array([0.0, 600.0, 1000 * 86400.0])
    pos = layer.positions_ecef(t, epoch)
    ref, _, ok = propagate_tle_ecef(read_tle(SAMPLE_TLE_PATH), t, epoch)
    np.testing.assert_array_equal(np.isnan(pos[..., 0]), ~ok)
    np.testing.assert_allclose(pos[ok], ref[ok], atol=1e-9)
    assert (~ok).sum() == 2  # two decayed Starlink TLEs at +1000 days: NaN, not an exception


def test_from_elements_ids_and_validation():
    el = KeplerElements(WGS84_A_M + 600e3, 0.0, 1.0, [0.0, 1.0, 2.0], 0.0, 0.0)
    layer = Constellation.from_elements("custom", el)
    assert layer.sat_ids == ("custom-0", "custom-1", "custom-2")
    with pytest.raises(ValueError, match="2 sat_ids for 3 satellites"):
        Constellation.from_elements("custom", el, sat_ids=["a", "b"])
    with pytest.raises(ValueError, match=r"duplicate sat_ids \['a'\]"):
        Constellation.from_elements("custom", el, sat_ids=["a", "a", "b"])
    with pytest.raises(ValueError, match="layer.propagator = 'euler'"):
        Constellation("x", ("a",), "euler", elements=el[0])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="layer.propagator = 'sgp4'"):
        Constellation.from_walker("x", 4, 2, 0, 1e6, 50.0, propagator="sgp4")
    with pytest.raises(ValueError, match="layer.id = ''"):
        Constellation.from_elements("", el)


def test_large_layer_shapes():
    """300 satellites x 1 800 times (30 min at 1 s) in ECEF: all finite, radius constant.

    (Its speed is measured in benchmarks/bench_space.py, not asserted here.)"""
    layer = Constellation.from_walker("big", 300, 20, 7, 1_000_000.0, 80.0)
    t = np.arange(1800.0)
    pos = layer.positions_ecef(t, EPOCH)
    assert pos.shape == (300, 1800, 3) and np.isfinite(pos).all()
    r = np.linalg.norm(pos, axis=-1)
    np.testing.assert_allclose(r, WGS84_A_M + 1_000_000.0, rtol=1e-9)
