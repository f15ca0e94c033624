"""Orbits for the space sensor layers: Keplerian elements, Walker constellations, J2 secular
propagation, TLE import (SGP4), and the ``Constellation`` wrapper.

Public surface::

    from hdsim.space import Constellation, walker_delta, propagate_j2, read_tle, ...

Frames: ECI is hdsim's pseudo-inertial frame (GMST rotation from ECEF; SGP4's TEME is taken as
ECI, see docs/design.md). Arrays ``(nsat,) + shape(t_s) + (3,)``, SI units, radians.
"""

from hdsim.space.constellation import Constellation, Propagator
from hdsim.space.elements import (
    KeplerElements,
    eci_to_elements,
    elements_to_eci,
    kepler_to_eci,
    orbit_normal,
    solve_kepler,
)
from hdsim.space.propagation import j2_secular_rates, propagate_j2, propagate_two_body
from hdsim.space.tle import (
    SAMPLE_TLE_PATH,
    TleSet,
    parse_tle,
    propagate_tle,
    propagate_tle_ecef,
    read_tle,
    tle_checksum,
)
from hdsim.space.walker import MIN_ALTITUDE_M, walker_delta, walker_indices

__all__ = [
    "MIN_ALTITUDE_M",
    "SAMPLE_TLE_PATH",
    "Constellation",
    "KeplerElements",
    "Propagator",
    "TleSet",
    "eci_to_elements",
    "elements_to_eci",
    "j2_secular_rates",
    "kepler_to_eci",
    "orbit_normal",
    "parse_tle",
    "propagate_j2",
    "propagate_tle",
    "propagate_tle_ecef",
    "propagate_two_body",
    "read_tle",
    "solve_kepler",
    "tle_checksum",
    "walker_delta",
    "walker_indices",
]
