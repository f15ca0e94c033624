"""Banked open-loop glide: heading rate against the 3-DOF spherical equations, mirror symmetry
and growth of crossrange with bank.

Oracle: the heading equation of point-mass flight over a non-rotating sphere (N. X. Vinh,
A. Busemann, R. D. Culp, *Hypersonic and Planetary Entry Flight Mechanics*, 1980, eq. 2.13,
ω = 0)::

    dψ/dt = L sin σ_V / (m v cos γ) − (v/r) cos γ cos ψ tan φ

Convention: ψ is Vinh's heading, measured in the local horizontal plane from east toward north,
here computed from the ECEF velocity projected on the local east-north-up axes
(``ψ = atan2(v_N, v_E)``); φ is the (geocentric = geodetic on the sphere) latitude.  Vinh's
bank σ_V rotates lift to the left of the velocity (toward increasing ψ); hdsim's bank σ rotates
it to the right (a positive bank turns right), so σ_V = −σ.
"""

import numpy as np
import pytest

from hdsim.earth import EarthModel, atmosphere, ecef_vector_to_enu
from hdsim.threats import ThreatSpec, fly_threats, vehicle_preset
from hdsim.threats.geometry import destination

R_M = 6_371_000.0
SPHERE_AIR = EarthModel(shape="sphere", rotation=False, j2=False, atmosphere=True)
HTV2 = vehicle_preset("htv2")


def _glide(tid, lat, lon, az, bank_deg, v0=6000.0, h0=45e3):
    tlat, tlon = destination(lat, lon, az, 0.3)
    return ThreatSpec(tid, "boost_glide", lat, lon, float(tlat), float(tlon), HTV2,
                      burnout_speed_mps=v0, burnout_alt_m=h0, burnout_flight_path_rad=0.0,
                      guidance="none", bank_rad=float(np.radians(bank_deg)))


@pytest.mark.parametrize("bank_deg", [30.0, -50.0])
def test_heading_rate_matches_vinh(bank_deg):
    d = np.radians
    spec = _glide("lat", d(25.0), d(10.0), d(40.0), bank_deg)
    dt = 0.25
    tr = fly_threats([spec], SPHERE_AIR, dt_s=dt, max_time_s=300.0, record_every=1)[0]
    pos, vel = tr.states[:, :3], tr.states[:, 3:]
    r = np.linalg.norm(pos, axis=1)
    lat = np.arcsin(pos[:, 2] / r)
    lon = np.arctan2(pos[:, 1], pos[:, 0])
    enu = ecef_vector_to_enu(vel, lat, lon)
    psi = np.unwrap(np.arctan2(enu[:, 1], enu[:, 0]))
    v = np.linalg.norm(vel, axis=1)
    gam = np.arcsin(enu[:, 2] / v)
    rho = atmosphere(r - R_M).density_kgpm3
    lift = 0.5 * rho * v * v * HTV2.reference_area_m2 * HTV2.cl_design
    sigma_v = -np.radians(bank_deg)
    psi_dot_ref = (lift * np.sin(sigma_v) / (HTV2.mass_kg * v * np.cos(gam))
                   - v / r * np.cos(gam) * np.cos(psi) * np.tan(lat))
    # Central differences of the flown heading at interior nodes (all nodes are steps here).
    k = np.arange(1, len(tr.times) - 2, 20)
    psi_dot = (psi[k + 1] - psi[k - 1]) / (tr.times[k + 1] - tr.times[k - 1])
    scale = np.max(np.abs(psi_dot_ref[k]))
    assert scale > 5e-4  # the turn is real: > 0.03 deg/s
    # Measured: max difference 2e-9 rad/s against rates of ~1e-3 rad/s (the central
    # difference's own error is of that order).
    np.testing.assert_allclose(psi_dot, psi_dot_ref[k], rtol=0.0, atol=1e-5 * scale)


def test_mirror_symmetry_and_growth_with_bank():
    """On a non-rotating sphere, from the equator heading east, banks ±σ land at mirror
    latitudes and the same longitude; the crossrange grows with |σ| from 0 to 30 deg."""
    banks = [0.0, 10.0, -10.0, 20.0, 30.0, -30.0]
    specs = [_glide(f"b{b}", 0.0, 0.0, np.pi / 2, b) for b in banks]
    trs = fly_threats(specs, SPHERE_AIR, dt_s=1.0, record_every=50)
    end = {b: tr.states[-1, :3] for b, tr in zip(banks, trs, strict=True)}
    lat = {b: np.arcsin(p[2] / np.linalg.norm(p)) for b, p in end.items()}
    lon = {b: np.arctan2(p[1], p[0]) for b, p in end.items()}
    for b in (10.0, 30.0):
        assert (lat[b] + lat[-b]) * R_M == pytest.approx(0.0, abs=1e-3)  # metres
        assert (lon[b] - lon[-b]) * R_M == pytest.approx(0.0, abs=1e-3)
        assert lat[b] < 0.0  # a positive bank turns right: south when heading east
    assert abs(lat[0.0]) * R_M < 1e-3
    cross = [abs(lat[b]) * R_M for b in (0.0, 10.0, 20.0, 30.0)]
    assert np.all(np.diff(cross) > 10e3), cross
