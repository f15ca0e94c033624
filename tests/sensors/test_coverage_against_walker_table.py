"""Walker's published continuous single-coverage results for small delta patterns.

Source: J. G. Walker, *Continuous whole-Earth coverage by circular-orbit satellite patterns*,
Royal Aircraft Establishment Technical Report 77044, 1977 (table of the best delta patterns for
single coverage), as reproduced in J. R. Wertz & W. J. Larson (eds.), *Space Mission Analysis
and Design*, 3rd ed., 1999, §7.4 (Walker delta patterns): the Earth central angle ``R`` that
each satellite's coverage circle must reach for continuous whole-Earth single coverage, and the
pattern's optimum inclination:

    pattern   inclination   R
    5/5/1     43.7°         69.2°
    6/6/4     53.1°         66.7°
    7/7/5     55.7°         60.3°
    8/8/6     61.9°         56.5°

Two checks: (1) the largest, over the sphere and time, of the central angle to the nearest
sub-satellite point of hdsim's Walker pattern equals the published ``R`` (our sampled maximum
can only fall short of the true one, by the grid spacing); (2) hdsim's coverage figures give
continuous coverage (``fraction_1 = 1`` everywhere) with coverage circles slightly larger
than ``R``, and gaps with circles a few degrees smaller.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest

from hdsim.earth import SPHERE, geodetic_to_ecef
from hdsim.sensors.coverage import coverage_grid
from hdsim.space import Constellation, propagate_two_body, walker_delta

WALKER_TABLE = [  # (total, planes, phasing, inclination_deg, R_deg)
    (5, 5, 1, 43.7, 69.2),
    (6, 6, 4, 53.1, 66.7),
    (7, 7, 5, 55.7, 60.3),
    (8, 8, 6, 61.9, 56.5),
]
EPOCH = datetime(2027, 3, 1, tzinfo=UTC)
ALT_M = 20_000_000.0  # high orbit: the horizon (76.1 deg) is beyond every R in the table


def _fibonacci_sphere(n: int) -> np.ndarray:
    k = np.arange(n) + 0.5
    phi = np.arccos(1.0 - 2.0 * k / n)
    th = np.pi * (1.0 + 5.0**0.5) * k
    return np.stack([np.cos(th) * np.sin(phi), np.sin(th) * np.sin(phi), np.cos(phi)], -1)


@pytest.mark.parametrize("total, planes, phasing, inc_deg, r_deg", WALKER_TABLE)
def test_worst_central_angle_matches_walker(total, planes, phasing, inc_deg, r_deg):
    el = walker_delta(total, planes, phasing, ALT_M, inc_deg)
    period = 2.0 * np.pi / np.sqrt(3.986004418e14 / el.a_m[0] ** 3)
    # The pattern repeats (up to a rotation) every period/total: sample two repeats.
    t = np.linspace(0.0, 2.0 * period / total, 300)
    pos, _ = propagate_two_body(el, t)
    u = pos / np.linalg.norm(pos, axis=-1, keepdims=True)
    grid = _fibonacci_sphere(20_000)  # ~1.4 deg spacing
    worst = 0.0
    for j in range(t.size):
        nearest = np.clip((grid @ u[:, j].T).max(axis=1), -1.0, 1.0)
        worst = max(worst, float(np.degrees(np.arccos(nearest).max())))
    # Sampling can only under-estimate the true maximum; by less than the grid spacing.
    assert r_deg - 0.6 < worst < r_deg + 0.05, (worst, r_deg)


def _half_angle_for(lam_deg: float, r_sat: float, r_pt: float) -> float:
    """Nadir angle at which a point at Earth central angle λ is seen (sphere geometry)."""
    lam = np.radians(lam_deg)
    return float(np.arctan2(r_pt * np.sin(lam), r_sat - r_pt * np.cos(lam)))


@pytest.mark.parametrize("total, planes, phasing, inc_deg, r_deg", WALKER_TABLE[:2])
def test_coverage_grid_continuous_iff_circle_reaches_walker_r(total, planes, phasing, inc_deg,
                                                               r_deg):
    layer = Constellation.from_walker("w", total, planes, phasing, ALT_M, inc_deg,
                                      propagator="two_body")
    period = 2.0 * np.pi / np.sqrt(3.986004418e14 / (SPHERE.a_m + ALT_M) ** 3)
    t = np.arange(0.0, period, period / 240)
    sats = layer.positions_ecef(t, EPOCH)
    # Positions from the WGS-84 radius; rescale onto the sphere's orbit radius.
    r_sat = SPHERE.a_m + ALT_M
    sats = sats / np.linalg.norm(sats, axis=-1, keepdims=True) * r_sat
    lat, lon = np.meshgrid(np.radians(np.arange(-88.0, 89.0, 4.0)),
                           np.radians(np.arange(-180.0, 180.0, 4.0)), indexing="ij")
    grid = geodetic_to_ecef(lat.ravel(), lon.ravel(), 0.0, SPHERE)

    def fraction_1(lam_deg: float) -> np.ndarray:
        eta = _half_angle_for(lam_deg, r_sat, SPHERE.a_m)
        cov = coverage_grid(sats, t, grid, eta, 1e12, 0.0, grid_alt_m=np.zeros(len(grid)),
                            ellipsoid=SPHERE)
        return cov.fraction_1

    assert np.all(fraction_1(r_deg + 0.5) == 1.0)
    assert np.min(fraction_1(r_deg - 3.0)) < 1.0
