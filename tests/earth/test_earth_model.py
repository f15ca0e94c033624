"""Ellipsoid and EarthModel: defining constants (NIMA TR8350.2 Table 3.1) and switches."""

import dataclasses

import pytest

from hdsim.earth import J2, MU_M3PS2, OMEGA_EARTH_RADPS, SPHERE, WGS84, EarthModel, Ellipsoid


def test_wgs84_derived_axes():
    # TR8350.2 Table 3.3: b = 6356752.3142 m, e^2 = 6.69437999014e-3
    assert WGS84.b_m == pytest.approx(6356752.3142, abs=1e-4)
    assert WGS84.e2 == pytest.approx(6.69437999014e-3, rel=1e-11)
    assert SPHERE.b_m == SPHERE.a_m == 6371000.0 and SPHERE.e2 == 0.0


def test_ellipsoid_validates_and_is_frozen():
    with pytest.raises(ValueError, match="a_m"):
        Ellipsoid(a_m=-1.0, f=0.0)
    with pytest.raises(ValueError, match="f"):
        Ellipsoid(a_m=1.0, f=1.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        WGS84.a_m = 1.0  # type: ignore[misc]


def test_earth_model_defaults_and_textbook():
    m = EarthModel()
    assert m.ellipsoid is WGS84
    assert m.omega_radps == OMEGA_EARTH_RADPS and m.j2 == J2 and m.mu == MU_M3PS2
    assert m.r_eq_m == WGS84.a_m and m.atmosphere
    t = EarthModel.textbook()
    assert t.ellipsoid is SPHERE and t.omega_radps == 0.0 and t.j2 == 0.0 and not t.atmosphere
    assert t.r_eq_m == SPHERE.a_m
    assert EarthModel(shape="sphere", rotation=False, j2=False, atmosphere=False) == t
    assert EarthModel(j2=False).j2 == 0.0 and EarthModel(j2=False).j2_enabled is False
    with pytest.raises(ValueError, match="shape"):
        EarthModel(shape="flat")  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.rotation = False  # type: ignore[misc]
    assert hash(m) == hash(EarthModel())
