"""Radar cross-section by aspect (``hdsim.sensors.rcs``) and its use by the radar.

The tables are notional (their sources are cited in the module); what is tested is the
contract: symmetry, interpolation in dBsm through the nodes, the aspect angle's definition,
and that the radar's reported mean SNR follows the table at each look's aspect.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hdsim.earth import enu_to_ecef, geodetic_to_ecef
from hdsim.sensors.radar import RadarParams, simulate_radar
from hdsim.sensors.radar_physics import snr_db_from_reference
from hdsim.sensors.rcs import (
    RCS_CLASS_BY_THREAT_TYPE,
    RCS_TABLES,
    AspectRcsTable,
    aspect_angle_rad,
    fold_aspect_rad,
)

TABLES = sorted(RCS_TABLES)


@pytest.mark.parametrize("name", TABLES)
@settings(max_examples=60, deadline=None)
@given(a=st.floats(-20.0, 20.0, allow_nan=False))
def test_tables_are_symmetric(name, a):
    tab = RCS_TABLES[name]
    s = tab.rcs_m2_at(a)
    assert tab.rcs_m2_at(-a) == pytest.approx(s, rel=1e-9)
    assert tab.rcs_m2_at(2 * math.pi - a) == pytest.approx(s, rel=1e-9)
    assert tab.rcs_m2_at(a + 2 * math.pi) == pytest.approx(s, rel=1e-9)
    assert 0.0 <= float(fold_aspect_rad(a)) <= math.pi


@pytest.mark.parametrize("name", TABLES)
def test_interpolation_through_the_nodes_and_in_dbsm(name):
    tab = RCS_TABLES[name]
    nodes = np.radians(tab.aspect_deg)
    np.testing.assert_allclose(tab.rcs_m2_at(nodes), tab.rcs_m2, rtol=1e-12)
    # Half-way between nodes: the geometric mean (linear in dBsm).
    mid = 0.5 * (nodes[1:] + nodes[:-1])
    s = np.asarray(tab.rcs_m2)
    np.testing.assert_allclose(tab.rcs_m2_at(mid), np.sqrt(s[1:] * s[:-1]), rtol=1e-12)
    np.testing.assert_allclose(tab.rcs_dbsm_at(mid), 10 * np.log10(np.sqrt(s[1:] * s[:-1])),
                               atol=1e-9)
    # Within each interval the value stays between its two nodes.
    a = np.linspace(0.0, math.pi, 2001)
    v = tab.rcs_m2_at(a)
    assert np.all(v >= min(s) * (1 - 1e-12)) and np.all(v <= max(s) * (1 + 1e-12))


def test_table_shapes_follow_the_literature_orders_of_magnitude():
    rv, hgv, cm = RCS_TABLES["rv"], RCS_TABLES["hgv"], RCS_TABLES["cruise_missile"]
    for tab in (rv, hgv, cm):
        nose, broadside = tab.rcs_m2_at(0.0), tab.rcs_m2_at(math.pi / 2)
        assert broadside > 10 * nose  # the slender bodies are smallest nose-on
    # The cone-sphere's specular flash normal to its 8° side, 82° from the nose.
    spec = rv.rcs_m2_at(np.radians(82.0))
    assert spec > rv.rcs_m2_at(np.radians(70.0)) and spec > rv.rcs_m2_at(np.radians(90.0))
    assert 1e-3 <= rv.rcs_m2_at(0.0) <= 0.05
    assert 0.1 <= cm.mean_rcs_m2 <= 10.0
    assert set(RCS_CLASS_BY_THREAT_TYPE.values()) == set(RCS_TABLES)


def test_table_validation():
    with pytest.raises(ValueError, match="from 0 to 180"):
        AspectRcsTable("x", (0.0, 90.0), (1.0, 1.0))
    with pytest.raises(ValueError, match="> 0"):
        AspectRcsTable("x", (0.0, 180.0), (1.0, 0.0))
    with pytest.raises(ValueError, match="same length"):
        AspectRcsTable("x", (0.0, 90.0, 180.0), (1.0, 1.0))


def test_aspect_angle():
    v = np.array([1.0, 0.0, 0.0])
    assert aspect_angle_rad(v, [5.0, 0.0, 0.0]) == pytest.approx(0.0)  # flying at the radar
    assert aspect_angle_rad(v, [0.0, 3.0, 0.0]) == pytest.approx(math.pi / 2)
    assert aspect_angle_rad(v, [-2.0, 0.0, 0.0]) == pytest.approx(math.pi)
    assert aspect_angle_rad(v, [1.0, 1e-7, 0.0]) == pytest.approx(1e-7, rel=1e-6)  # accurate
    assert aspect_angle_rad([0.0, 0.0, 0.0], [1.0, 0.0, 0.0]) == pytest.approx(math.pi / 2)
    vv = np.random.default_rng(3).normal(size=(50, 3))
    uu = np.random.default_rng(4).normal(size=(50, 3))
    ref = np.arccos(np.sum(vv * uu, 1) / np.linalg.norm(vv, axis=1) / np.linalg.norm(uu, axis=1))
    np.testing.assert_allclose(aspect_angle_rad(vv, uu), ref, atol=1e-9)


def test_radar_snr_follows_the_table_at_each_aspect():
    """Two threats 300 km from the radar at 50 km altitude: one flying at it, one across the
    line of sight. The reported mean SNR is the radar equation on the table's RCS at the look's
    aspect; a threat without a table keeps its constant RCS."""
    p = RadarParams.from_degrees("r", 35.0, 135.0, 0.0, swerling=0, ref_snr_db=40.0,
                                 max_range_m=2.0e6, pfa=1e-6)
    lat, lon = math.radians(35.0), math.radians(135.0)
    tgt = enu_to_ecef(np.array([0.0, 300e3, 50e3]), lat, lon, 0.0)
    site = geodetic_to_ecef(lat, lon, 0.0)
    to_radar = (site - tgt) / np.linalg.norm(site - tgt)
    north = enu_to_ecef(np.array([0.0, 1.0, 0.0]), lat, lon, 0.0) - site
    across = np.cross(to_radar, north)
    across /= np.linalg.norm(across)
    vel = np.stack([3000.0 * to_radar, 3000.0 * across, 3000.0 * to_radar])
    times = np.array([0.0])
    states = np.concatenate([np.repeat(tgt[None], 3, 0), vel], axis=1)[:, None, :]
    tab = RCS_TABLES["hgv"]
    det = simulate_radar(p, times, states, np.array([0.1, 0.1, 0.1]), np.random.default_rng(0),
                         rcs_tables=[tab, tab, None])
    rows = det.truth_idx >= 0
    snr = dict(zip(det.truth_idx[rows].tolist(), det.snr_db[rows].tolist(), strict=True))
    assert set(snr) == {0, 1, 2}
    r = float(np.linalg.norm(site - tgt))
    assert snr[0] == pytest.approx(float(snr_db_from_reference(
        r, tab.rcs_m2_at(0.0), 40.0, p.ref_range_m, p.ref_rcs_m2)), abs=1e-9)
    assert snr[1] == pytest.approx(float(snr_db_from_reference(
        r, tab.rcs_m2_at(math.pi / 2), 40.0, p.ref_range_m, p.ref_rcs_m2)), abs=1e-9)
    assert snr[2] == pytest.approx(float(snr_db_from_reference(
        r, 0.1, 40.0, p.ref_range_m, p.ref_rcs_m2)), abs=1e-9)
    assert snr[1] - snr[0] == pytest.approx(10 * math.log10(1.5 / 0.03), abs=1e-9)
    with pytest.raises(ValueError, match="rcs_tables"):
        simulate_radar(p, times, states, 0.1, np.random.default_rng(0), rcs_tables=[tab])


def test_build_wires_tables_unless_rcs_is_given():
    from hdsim.scenario.build import build
    from hdsim.scenario.loading import scenario_from_dict

    sc = scenario_from_dict({
        "name": "rcs", "duration_s": 100,
        "threats": [
            {"id": "a", "type": "ballistic", "launch": {"lat_deg": 39.0, "lon_deg": 125.5},
             "target": {"lat_deg": 36.0, "lon_deg": 128.0},
             "burnout": {"aim": "minimum_energy", "altitude_m": 40_000.0}},
            {"id": "b", "type": "ballistic", "rcs_m2": 0.2,
             "launch": {"lat_deg": 39.0, "lon_deg": 125.5},
             "target": {"lat_deg": 36.0, "lon_deg": 128.0},
             "burnout": {"aim": "minimum_energy", "altitude_m": 40_000.0}}]})
    comp = build(sc)
    assert comp.rcs_tables == [RCS_TABLES["rv"], None]
    assert comp.rcs_m2[1] == 0.2
