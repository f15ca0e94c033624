"""Earth models: WGS-84 frames, Earth rotation, gravity (J2), atmosphere, line of sight.

Public surface (see docs/design.md, section ``hdsim.earth``)::

    from hdsim.earth import WGS84, SPHERE, EarthModel, geodetic_to_ecef, ecef_to_geodetic, ...

All functions are vectorized over leading batch axes, SI units, radians.
"""

from hdsim.earth import constants
from hdsim.earth.atmosphere import Atmosphere, AtmosphereTable, atmosphere, atmosphere_table
from hdsim.earth.constants import (
    G0_MPS2,
    J2,
    MU_M3PS2,
    OMEGA_EARTH_RADPS,
    SPHERE_RADIUS_M,
    WGS84_A_M,
    WGS84_F,
)
from hdsim.earth.ellipsoid import SPHERE, WGS84, EarthModel, Ellipsoid
from hdsim.earth.frames import (
    aer_to_ecef,
    aer_to_enu,
    ecef_to_aer,
    ecef_to_enu,
    ecef_to_geodetic,
    ecef_vector_to_enu,
    enu_rotation,
    enu_to_aer,
    enu_to_ecef,
    enu_vector_to_ecef,
    geodetic_to_ecef,
)
from hdsim.earth.gravity import gravity_ecef
from hdsim.earth.los import grazing_altitude_m, line_of_sight_clear
from hdsim.earth.rotation import ecef_to_eci, eci_to_ecef, gmst_rad, julian_date
from hdsim.earth.sun import sun_position_ecef, sun_position_eci

__all__ = [
    "G0_MPS2",
    "J2",
    "MU_M3PS2",
    "OMEGA_EARTH_RADPS",
    "SPHERE",
    "SPHERE_RADIUS_M",
    "WGS84",
    "WGS84_A_M",
    "WGS84_F",
    "Atmosphere",
    "AtmosphereTable",
    "EarthModel",
    "Ellipsoid",
    "aer_to_ecef",
    "aer_to_enu",
    "atmosphere",
    "atmosphere_table",
    "constants",
    "ecef_to_aer",
    "ecef_to_eci",
    "ecef_to_enu",
    "ecef_to_geodetic",
    "ecef_vector_to_enu",
    "eci_to_ecef",
    "enu_rotation",
    "enu_to_aer",
    "enu_to_ecef",
    "enu_vector_to_ecef",
    "geodetic_to_ecef",
    "gmst_rad",
    "gravity_ecef",
    "grazing_altitude_m",
    "julian_date",
    "line_of_sight_clear",
    "sun_position_ecef",
    "sun_position_eci",
]
