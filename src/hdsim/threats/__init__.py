"""Threats: vehicle models and trajectories of ballistic missiles, boost-glide vehicles,
hypersonic cruise missiles and fractional-orbital threats, flown by one vectorized 3-DOF
integrator.

Modules: :mod:`~hdsim.threats.spec` (:class:`ThreatSpec`), :mod:`~hdsim.threats.launch`
(reach checks, aiming, :func:`fly_threats`), :mod:`~hdsim.threats.flight` (the integrator and
guidance laws), :mod:`~hdsim.threats.trajectory` (sampled trajectories, Hermite interpolation),
:mod:`~hdsim.threats.orbital` (fractional orbits: plan, deorbit aiming, flight) with the
two-body closed forms of :mod:`~hdsim.threats.two_body`.
"""

from hdsim.threats.ballistic import (
    flight_path_for_range_rad,
    free_flight_range_rad,
    free_flight_time_s,
    minimum_energy,
)
from hdsim.threats.flight import FlightBatch, GuidanceGains, fly
from hdsim.threats.launch import (
    OutOfReachError,
    check_reach,
    fly_threats,
    glide_range_estimate_m,
)
from hdsim.threats.orbital import OrbitPlan, OrbitPlanError, plan_fractional_orbital
from hdsim.threats.spec import ThreatSpec
from hdsim.threats.trajectory import PHASE_CODE, PHASES, Trajectory, TrajectorySet
from hdsim.threats.vehicles import (
    VEHICLE_PRESETS,
    Vehicle,
    constant_coefficient_vehicle,
    vehicle_preset,
)

__all__ = [
    "PHASES",
    "PHASE_CODE",
    "VEHICLE_PRESETS",
    "FlightBatch",
    "GuidanceGains",
    "OrbitPlan",
    "OrbitPlanError",
    "OutOfReachError",
    "ThreatSpec",
    "check_reach",
    "Trajectory",
    "TrajectorySet",
    "Vehicle",
    "constant_coefficient_vehicle",
    "fly",
    "fly_threats",
    "flight_path_for_range_rad",
    "free_flight_range_rad",
    "free_flight_time_s",
    "glide_range_estimate_m",
    "minimum_energy",
    "plan_fractional_orbital",
    "vehicle_preset",
]
