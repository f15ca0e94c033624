"""The scenario schema: pydantic models of every section, validated once, before anything runs.

One module per section (``earth``, ``threats``, ``sensors``, ``tracking``, ``weapons``) and the
:class:`Scenario` that composes them. The base (``ConfigModel``, ``located_error``,
``GeoPoint``) is :mod:`hdsim.config_base`, at the bottom of the layering, so no section module
imports this package back. Configuration types that belong to a component (the tracker's
settings) are defined by the component and composed here, never copied.
"""

from hdsim.config_base import ConfigModel, GeoPoint, located_error
from hdsim.scenario.config.campaign import CampaignSection, VarySpec
from hdsim.scenario.config.earth import EarthConfig
from hdsim.scenario.config.geo import GroundSite, RadarSite
from hdsim.scenario.config.scenario import DEFAULT_EPOCH, Scenario
from hdsim.scenario.config.sensors import (
    MIN_ORBIT_ALTITUDE_M,
    RADAR_PRESETS,
    SPACE_LAYER_PRESETS,
    CoverageConfig,
    CoverageRegion,
    InfraredConfig,
    OrbitalElements,
    RadarConfig,
    RadarNoise,
    RadarReference,
    SensorsConfig,
    SpaceLayerConfig,
    WalkerConfig,
)
from hdsim.scenario.config.threats import (
    BallisticBurnout,
    BallisticThreat,
    BoostGlideThreat,
    CruiseConfig,
    CruiseThreat,
    GlideBurnout,
    GlideConfig,
    ThreatConfig,
    VehicleConfig,
)
from hdsim.scenario.config.tracking import TrackingSection
from hdsim.scenario.config.weapons import (
    DefendedAsset,
    FireControlConfig,
    InterceptorConfig,
    RailgunConfig,
    WeaponConfig,
)

__all__ = [
    "DEFAULT_EPOCH", "MIN_ORBIT_ALTITUDE_M", "RADAR_PRESETS", "SPACE_LAYER_PRESETS",
    "BallisticBurnout", "BallisticThreat", "BoostGlideThreat", "CampaignSection", "ConfigModel",
    "CoverageConfig",
    "CoverageRegion", "CruiseConfig", "CruiseThreat", "DefendedAsset", "EarthConfig",
    "FireControlConfig", "GeoPoint", "GlideBurnout", "GlideConfig", "GroundSite",
    "InfraredConfig", "InterceptorConfig", "OrbitalElements", "RadarConfig", "RadarNoise",
    "RadarReference", "RadarSite", "RailgunConfig", "Scenario", "SensorsConfig",
    "SpaceLayerConfig", "ThreatConfig", "TrackingSection", "VehicleConfig", "WalkerConfig",
    "VarySpec", "WeaponConfig", "located_error",
]
