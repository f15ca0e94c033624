"""Scenario edge: the YAML schema, loading with readable errors, and atomic result folders.

``scenario`` is the only package that wires configuration into components; the run loop lives
in :mod:`hdsim.scenario.run` (imported on demand, it pulls in every layer below).
"""

from hdsim.scenario.config import (
    CoverageConfig,
    DefendedAsset,
    EarthConfig,
    FireControlConfig,
    GeoPoint,
    InfraredConfig,
    OrbitalElements,
    RadarConfig,
    Scenario,
    SensorsConfig,
    SpaceLayerConfig,
    ThreatConfig,
    WalkerConfig,
    WeaponConfig,
)
from hdsim.scenario.loading import (
    ScenarioError,
    format_validation_error,
    load_scenario,
    scenario_from_dict,
)

__all__ = [
    "CoverageConfig",
    "DefendedAsset",
    "EarthConfig",
    "FireControlConfig",
    "GeoPoint",
    "InfraredConfig",
    "OrbitalElements",
    "RadarConfig",
    "Scenario",
    "ScenarioError",
    "SensorsConfig",
    "SpaceLayerConfig",
    "ThreatConfig",
    "WalkerConfig",
    "WeaponConfig",
    "format_validation_error",
    "load_scenario",
    "scenario_from_dict",
]
