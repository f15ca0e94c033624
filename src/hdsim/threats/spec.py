"""A threat's specification: :class:`ThreatSpec`, plain data in SI units and radians.

The scenario package builds one per ``threats[]`` entry of the YAML; :mod:`hdsim.threats.launch`
aims and flies them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from hdsim.earth.constants import SPHERE_RADIUS_M
from hdsim.threats.geometry import central_angle_rad, initial_bearing_rad
from hdsim.threats.vehicles import Vehicle

__all__ = ["Aim", "Kind", "ThreatSpec"]

Kind = Literal["ballistic", "boost_glide", "cruise", "fractional_orbital"]
"""Threat kinds."""
Aim = Literal["fixed", "minimum_energy", "lofted", "depressed"]
"""Aim modes of a ballistic threat."""


@dataclass(frozen=True)
class ThreatSpec:
    """One threat, in SI units and radians.

    Common: ``threat_id``, ``kind``, launch and target geodetic positions, ``launch_time_s``,
    ``vehicle``.  Ballistic: ``aim`` and the burnout parameters it needs (``fixed``: speed and
    flight-path angle; ``minimum_energy``: none; ``lofted``/``depressed``: speed).  Boost-glide:
    burnout speed/altitude/flight-path angle, ``guidance`` (``to_target`` or ``none``), open-loop
    ``bank_rad``, maneuvers.  Cruise: ``cruise_mach``, ``cruise_alt_m``.

    Fractional-orbital (:mod:`hdsim.threats.orbital`): ``burn_time_s`` (the boost to orbit),
    ``orbit_perigee_m``/``orbit_apogee_m`` (insertion at perigee), ``approach`` (``short``,
    ``long``, ``from_north|south|east|west``), ``deorbit_perigee_m`` (None: by re-entry body),
    ``deorbit_accel_mps2``, ``glide_range_m`` (None: default); a re-entry body with lift glides
    with the glide fields above.

    ``burn_time_s`` (ballistic, boost-glide): 0 (default) = instantaneous burnout above the
    launch point at ``launch_time_s``, no boost flown; > 0 = lift-off from the launch point at
    ``launch_time_s``, burnout ``burn_time_s`` later at a boost ground range downrange along the
    launch azimuth (:mod:`hdsim.threats.boost`).  Aimed ballistic threats account for it.
    """

    threat_id: str
    kind: Kind
    launch_lat_rad: float
    launch_lon_rad: float
    target_lat_rad: float
    target_lon_rad: float
    vehicle: Vehicle
    launch_alt_m: float = 0.0
    target_alt_m: float = 0.0
    launch_time_s: float = 0.0
    # burnout (ballistic, boost-glide)
    aim: Aim = "fixed"
    burnout_speed_mps: float | None = None
    burnout_flight_path_rad: float | None = None
    burnout_alt_m: float = 0.0
    burn_time_s: float = 0.0
    # glide
    guidance: Literal["to_target", "none"] = "to_target"
    bank_rad: float = 0.0
    sturn_count: int = 0
    sturn_bank_rad: float = 0.0
    skip_amp_m: float = 0.0
    skip_period_s: float = 200.0
    crossrange_offset_m: float = 0.0
    crossrange_at_fraction: float = 0.5
    dive_range_m: float | None = None
    end_speed_mps: float = 2000.0
    # cruise
    cruise_mach: float = 0.0
    cruise_alt_m: float = 0.0
    boost_accel_mps2: float = 60.0
    max_cruise_thrust_mps2: float = 20.0
    launch_speed_mps: float = 250.0
    launch_flight_path_rad: float = np.radians(30.0)
    # fractional orbital
    approach: str = "short"
    orbit_perigee_m: float = 150_000.0
    orbit_apogee_m: float = 150_000.0
    deorbit_perigee_m: float | None = None
    deorbit_accel_mps2: float = 10.0
    glide_range_m: float | None = None

    @property
    def range_m(self) -> float:
        """Great-circle ground range launch → target on the mean sphere, m."""
        return float(central_angle_rad(self.launch_lat_rad, self.launch_lon_rad,
                                       self.target_lat_rad, self.target_lon_rad) * SPHERE_RADIUS_M)

    @property
    def azimuth_rad(self) -> float:
        """Initial great-circle bearing launch → target, clockwise from north, rad."""
        return float(initial_bearing_rad(self.launch_lat_rad, self.launch_lon_rad,
                                         self.target_lat_rad, self.target_lon_rad))
