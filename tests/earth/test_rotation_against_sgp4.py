"""Julian date, GMST and ECI <-> ECEF against sgp4 and Vallado.

Oracles: ``sgp4.api.jday``; ``sgp4.propagation.gstime`` (IAU-82 GMST, Vallado's code);
Vallado (2013) Example 3-5 (1992-08-20 12:14 UT1 -> GMST 152.578788 deg); sgp4's TEME output
rotated to ECEF with its own gstime (Vallado's teme2ecef without polar motion).
"""

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sgp4.api import Satrec, jday
from sgp4.propagation import gstime

from hdsim.earth import (
    OMEGA_EARTH_RADPS,
    ecef_to_eci,
    eci_to_ecef,
    geodetic_to_ecef,
    gmst_rad,
    julian_date,
)

EPOCH = datetime(2019, 12, 9, 12, 0, 0, tzinfo=timezone.utc)
ISS_L1 = "1 25544U 98067A   19343.69339541  .00001764  00000-0  38792-4 0  9991"
ISS_L2 = "2 25544  51.6439 211.2001 0007417  17.6667  85.6398 15.50103472202482"


@pytest.mark.parametrize(
    "epoch",
    [
        datetime(2020, 2, 11, 13, 57, 0, tzinfo=timezone.utc),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone.utc),
        datetime(2024, 2, 29, 0, 0, 0, tzinfo=timezone.utc),
        datetime(2031, 7, 4, 6, 30, 12, 250000, tzinfo=timezone.utc),
    ],
)
def test_julian_date_matches_sgp4_jday(epoch):
    jd, fr = julian_date(epoch)
    sec = epoch.second + epoch.microsecond * 1e-6
    rjd, rfr = jday(epoch.year, epoch.month, epoch.day, epoch.hour, epoch.minute, sec)
    assert jd == rjd
    assert abs(fr - rfr) < 1e-15


def test_julian_date_converts_other_time_zones_and_rejects_naive():
    plus2 = timezone(timedelta(hours=2))
    assert julian_date(datetime(2020, 1, 1, 2, 0, tzinfo=plus2)) == julian_date(
        datetime(2020, 1, 1, 0, 0, tzinfo=timezone.utc)
    )
    with pytest.raises(ValueError, match="timezone-aware"):
        julian_date(datetime(2020, 1, 1))


def test_gmst_matches_sgp4_gstime():
    t = np.linspace(-5 * 86400.0, 40 * 86400.0, 4001)
    ours = gmst_rad(t, EPOCH)
    jd, fr = julian_date(EPOCH)
    ref = np.array([gstime(jd + fr + ti / 86400.0) for ti in t])
    assert ours.shape == t.shape
    assert np.max(np.abs(np.angle(np.exp(1j * (ours - ref))))) < 1e-6
    assert np.all((ours >= 0.0) & (ours < 2 * np.pi))


def test_gmst_vallado_example_3_5():
    # Vallado (2013) Example 3-5: 20 Aug 1992, 12:14 UT1 -> GMST = 152.578 787 886 deg.
    epoch = datetime(1992, 8, 20, 12, 14, 0, tzinfo=timezone.utc)
    assert abs(np.degrees(gmst_rad(0.0, epoch)) - 152.578788) < 1e-5


@settings(max_examples=100, deadline=None)
@given(
    xyz=st.tuples(*[st.floats(-5e7, 5e7)] * 3),
    vel=st.tuples(*[st.floats(-1e4, 1e4)] * 3),
    t=st.floats(-1e7, 1e7),
)
def test_roundtrip_eci_ecef(xyz, vel, t):
    r, v = np.array(xyz), np.array(vel)
    r_ecef, v_ecef = eci_to_ecef(r, t, EPOCH, vel_eci=v)
    r2, v2 = ecef_to_eci(r_ecef, t, EPOCH, vel_ecef=v_ecef)
    assert np.max(np.abs(r2 - r)) < 1e-3
    assert np.max(np.abs(v2 - v)) < 1e-6
    # Rotation preserves |r| and z.
    re = eci_to_ecef(r, t, EPOCH)
    assert abs(np.linalg.norm(re) - np.linalg.norm(r)) < 1e-3
    assert re[2] == r[2]


def test_point_fixed_in_ecef_moves_at_omega_r_in_eci():
    lat = np.linspace(-1.5, 1.5, 7)
    pos = geodetic_to_ecef(lat, 0.7, 1000.0)
    _, vel = ecef_to_eci(pos, 1234.5, EPOCH, vel_ecef=np.zeros_like(pos))
    speed = np.linalg.norm(vel, axis=-1)
    np.testing.assert_allclose(
        speed, OMEGA_EARTH_RADPS * np.hypot(pos[:, 0], pos[:, 1]), rtol=1e-12
    )
    # The ECI velocity is eastward: perpendicular to r, along z x r.
    np.testing.assert_allclose(
        np.einsum("ij,ij->i", vel, ecef_to_eci(pos, 1234.5, EPOCH)), 0.0, atol=1e-6
    )


def test_broadcasting_satellites_by_times():
    t = np.linspace(0.0, 600.0, 11)
    pos = np.random.default_rng(0).normal(size=(4, 11, 3)) * 7e6
    vel = np.random.default_rng(1).normal(size=(4, 11, 3)) * 7e3
    pe, ve = eci_to_ecef(pos, t, EPOCH, vel_eci=vel)
    assert pe.shape == ve.shape == (4, 11, 3)
    for k in (0, 5, 10):
        np.testing.assert_array_equal(pe[:, k], eci_to_ecef(pos[:, k], t[k], EPOCH))


def test_eci_to_ecef_matches_sgp4_teme_rotated_with_gstime():
    sat = Satrec.twoline2rv(ISS_L1, ISS_L2)
    # gstime takes one float jd + fr, whose rounding (4e-5 s near JD 2.46e6) alone would move
    # a LEO point by ~1 cm; on a grid of 1/4096 day from a 12:00 epoch jd + fr is exact, so the
    # oracle is good to far below 1 mm.
    assert EPOCH.hour == 12 and EPOCH.minute == 0
    t = np.arange(0, 3 * 256) * (86400.0 / 4096.0)
    jd0, fr0 = julian_date(EPOCH)
    jd = np.full_like(t, jd0)
    fr = fr0 + t / 86400.0
    err, r_km, v_kmps = sat.sgp4_array(jd, fr)
    assert np.all(err == 0)
    r_teme, v_teme = r_km * 1e3, v_kmps * 1e3
    # Oracle: Vallado teme2ecef (no polar motion): r = R3(gst) r_teme, v = R3 v_teme - w x r.
    gst = np.array([gstime(a + b) for a, b in zip(jd, fr, strict=True)])
    c, s = np.cos(gst), np.sin(gst)
    rot = np.stack(
        [
            np.stack([c, s, 0 * c], -1),
            np.stack([-s, c, 0 * c], -1),
            np.broadcast_to([0.0, 0.0, 1.0], (len(t), 3)),
        ],
        axis=-2,
    )
    r_ref = np.einsum("nij,nj->ni", rot, r_teme)
    w = np.array([0.0, 0.0, 7.29211514670698e-05])  # Vallado's teme2ecef rate
    v_ref = np.einsum("nij,nj->ni", rot, v_teme) - np.cross(w, r_ref)
    r_ecef, v_ecef = eci_to_ecef(r_teme, t, EPOCH, vel_eci=v_teme)
    assert np.max(np.abs(r_ecef - r_ref)) < 1e-3
    assert np.max(np.abs(v_ecef - v_ref)) < 1e-3  # m/s
