"""The only place where configuration is wired into components.

Every stage of the run loop takes components (SI units, radians), never configuration: the
validated :class:`~hdsim.scenario.config.Scenario` goes in here once and comes out as
:class:`Components`. Degrees end here.

The seed tree (:class:`RunSeeds`) is here too: one ``numpy.random.SeedSequence`` per run,
from which every stage's generator is derived.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hdsim.earth import EarthModel
from hdsim.engagement import (
    DefendedAsset,
    FireControlConfig,
    InterceptorParams,
    KillModel,
    RailgunParams,
    Weapon,
)
from hdsim.scenario.config import (
    BallisticThreat,
    BoostGlideThreat,
    EarthConfig,
    InterceptorConfig,
    RadarConfig,
    RailgunConfig,
    Scenario,
    SpaceLayerConfig,
    ThreatConfig,
    TrackingSection,
)
from hdsim.scenario.config.threats import (
    BankReversals,
    CrossrangeOffset,
    FractionalOrbitalThreat,
    GeometryConfig,
    GlideConfig,
    Skip,
    VehicleConfig,
)
from hdsim.sensors.radar import RadarParams
from hdsim.sensors.rcs import RCS_CLASS_BY_THREAT_TYPE, RCS_TABLES, AspectRcsTable
from hdsim.sensors.space_ir import SpaceIrParams
from hdsim.space import Constellation, KeplerElements
from hdsim.threats import (
    OutOfReachError,
    ThreatSpec,
    Vehicle,
    check_reach,
    constant_coefficient_vehicle,
    vehicle_preset,
)
from hdsim.threats.orbital import OrbitPlanError, plan_fractional_orbital, reentry_glides
from hdsim.threats.vehicles import GEOMETRY_PRESETS, VehicleGeometry

__all__ = ["DEFAULT_GEOMETRY", "DEFAULT_RCS_M2", "SEED_STREAMS", "Components", "RunSeeds",
           "SpaceLayer", "body_type", "build", "constellation", "earth_model", "fire_control",
           "id_words", "radar_params", "reach_problems", "space_ir_params", "threat_spec",
           "vehicle", "vehicle_geometry", "weapon"]

DEFAULT_RCS_M2 = {"ballistic": 0.05, "boost_glide": 0.1, "cruise": 0.5}
"""Notional radar cross-sections by threat type, m² (order of magnitude of open-literature
values for re-entry vehicles, glide bodies and cruise missiles). Radars use the aspect tables
of :data:`hdsim.sensors.rcs.RCS_TABLES` instead when a threat gives no ``rcs_m2``."""

DEFAULT_GEOMETRY = {"ballistic": GEOMETRY_PRESETS["rv_generic"],
                    "boost_glide": GEOMETRY_PRESETS["cav_h"],
                    "cruise": GEOMETRY_PRESETS["hcm_generic"]}
"""Geometry of an inline vehicle given without one: that of the type's default vehicle."""


def body_type(cfg: ThreatConfig) -> str:
    """The threat type whose defaults (radar cross-section, RCS table, geometry) a threat
    takes: its own, or for a ``fractional_orbital`` threat that of its re-entry body,
    ``ballistic`` (no lift) or ``boost_glide`` (a vehicle with lift)."""
    if isinstance(cfg, FractionalOrbitalThreat):
        return "boost_glide" if reentry_glides(vehicle(cfg.vehicle)) else "ballistic"
    return cfg.type


# ---------------------------------------------------------------------------------------------
# Earth and threats
# ---------------------------------------------------------------------------------------------


def earth_model(cfg: EarthConfig) -> EarthModel:
    """The :class:`hdsim.earth.EarthModel` the ``earth:`` switches describe."""
    return EarthModel(shape=cfg.shape, rotation=cfg.rotation, j2=cfg.j2,
                      atmosphere=cfg.atmosphere)


def vehicle(v: str | VehicleConfig, default_geometry: VehicleGeometry | None = None) -> Vehicle:
    """A vehicle preset by name, or constant coefficients (with the geometry given, by preset
    name or fields, else ``default_geometry``)."""
    if isinstance(v, str):
        return vehicle_preset(v)
    return constant_coefficient_vehicle(v.mass_kg, v.reference_area_m2, v.cl, v.cd,
                                        geometry=vehicle_geometry(v.geometry, default_geometry))


def vehicle_geometry(g: str | GeometryConfig | None,
                     default: VehicleGeometry | None = None) -> VehicleGeometry | None:
    """The :class:`hdsim.threats.VehicleGeometry` of a ``geometry:`` entry (preset or fields)."""
    if g is None:
        return default
    if isinstance(g, str):
        return GEOMETRY_PRESETS[g]
    return VehicleGeometry(
        shape=g.shape, nose_radius_m=g.nose_radius_m, length_m=g.length_m,
        front_length_m=g.length_m if g.front_length_m is None else g.front_length_m,
        half_angle_deg=g.half_angle_deg, top_angle_deg=g.top_angle_deg,
        rear_angle_deg=g.rear_angle_deg, bottom_angle_deg=g.bottom_angle_deg,
        emissivity=g.emissivity)


def threat_spec(cfg: ThreatConfig) -> ThreatSpec:
    """The :class:`hdsim.threats.ThreatSpec` of one ``threats[]`` entry (radians, SI)."""
    d = math.radians
    common: dict[str, Any] = dict(
        threat_id=cfg.id,
        launch_lat_rad=d(cfg.launch.lat_deg), launch_lon_rad=d(cfg.launch.lon_deg),
        launch_alt_m=cfg.launch.alt_m,
        target_lat_rad=d(cfg.target.lat_deg), target_lon_rad=d(cfg.target.lon_deg),
        target_alt_m=cfg.target.alt_m,
        launch_time_s=cfg.launch_time_s,
    )
    if isinstance(cfg, BallisticThreat):
        b = cfg.burnout
        return ThreatSpec(
            kind="ballistic", vehicle=vehicle(cfg.vehicle, DEFAULT_GEOMETRY["ballistic"]),
            aim=b.resolved_aim,
            burnout_speed_mps=b.speed_mps,
            burnout_flight_path_rad=None if b.flight_path_deg is None
            else float(np.radians(b.flight_path_deg)),
            burnout_alt_m=b.altitude_m, burn_time_s=b.burn_time_s, **common)
    if isinstance(cfg, BoostGlideThreat):
        g = cfg.glide
        kw = _maneuvers(g)
        return ThreatSpec(
            kind="boost_glide", vehicle=vehicle(cfg.vehicle, DEFAULT_GEOMETRY["boost_glide"]),
            burnout_speed_mps=cfg.burnout.speed_mps, burnout_alt_m=cfg.burnout.altitude_m,
            burnout_flight_path_rad=float(np.radians(cfg.burnout.flight_path_deg)),
            burn_time_s=cfg.burnout.burn_time_s,
            guidance=g.guidance, bank_rad=float(np.radians(g.bank_deg)),
            end_speed_mps=g.end_speed_mps, **kw, **common)
    if isinstance(cfg, FractionalOrbitalThreat):
        o = cfg.orbit
        return ThreatSpec(
            kind="fractional_orbital",
            vehicle=vehicle(cfg.vehicle, DEFAULT_GEOMETRY[body_type(cfg)]),
            burn_time_s=o.burn_time_s, orbit_perigee_m=o.perigee_alt_m,
            orbit_apogee_m=o.apogee_alt_m, approach=cfg.approach,
            deorbit_perigee_m=cfg.deorbit_perigee_m, deorbit_accel_mps2=cfg.deorbit.accel_mps2,
            glide_range_m=cfg.deorbit.glide_range_m, end_speed_mps=cfg.glide.end_speed_mps,
            **_maneuvers(cfg.glide), **common)
    return ThreatSpec(
        kind="cruise", vehicle=vehicle(cfg.vehicle, DEFAULT_GEOMETRY["cruise"]),
        cruise_mach=cfg.cruise.mach,
        cruise_alt_m=cfg.cruise.altitude_m, dive_range_m=cfg.cruise.dive_start_range_m,
        **common)


def _maneuvers(g: GlideConfig) -> dict[str, Any]:
    """The :class:`ThreatSpec` fields of a glide's maneuvers."""
    kw: dict[str, Any] = {}
    for m in g.maneuvers:
        if isinstance(m, BankReversals):
            kw.update(sturn_count=m.count, sturn_bank_rad=float(np.radians(m.max_bank_deg)))
        elif isinstance(m, Skip):
            kw.update(skip_amp_m=m.amplitude_m, skip_period_s=m.period_s)
        elif isinstance(m, CrossrangeOffset):
            kw.update(crossrange_offset_m=m.offset_m, crossrange_at_fraction=m.at_fraction)
        else:
            kw.update(dive_range_m=m.start_range_m)
    return kw


def reach_problems(scenario: Scenario) -> list[tuple[tuple[str | int, ...], Any, str]]:
    """Threats whose target is out of reach, as ``(path, value, what is allowed)``.

    A ballistic aim mode that the closed-form vacuum reach rules out, or a guided glider beyond
    its equilibrium-glide range (:func:`hdsim.threats.check_reach`); a fractional-orbital
    threat that cannot be planned (:func:`hdsim.threats.orbital.plan_fractional_orbital`, on
    the scenario's Earth; the path names ``target``, ``approach`` or
    ``deorbit.glide_range_m``). Called by the loader, so that ``hdsim validate`` reports it
    with the YAML line."""
    out: list[tuple[tuple[str | int, ...], Any, str]] = []
    for i, t in enumerate(scenario.threats):
        if isinstance(t, FractionalOrbitalThreat):
            try:
                plan_fractional_orbital(threat_spec(t), earth_model(scenario.earth))
            except OrbitPlanError as exc:
                value = t.target.model_dump() if exc.field == ("target",) else exc.value
                out.append((("threats", i, *exc.field), value, exc.reason))
            continue
        try:
            check_reach([threat_spec(t)])
        except OutOfReachError as exc:
            out.append((("threats", i, "target"), t.target.model_dump(),
                        str(exc).split(": ", 1)[-1]))
    return out


# ---------------------------------------------------------------------------------------------
# Sensors
# ---------------------------------------------------------------------------------------------


def constellation(layer: SpaceLayerConfig, earth: EarthModel | None = None) -> Constellation:
    """The :class:`~hdsim.space.Constellation` of one ``sensors.space_layers[]`` entry.

    Walker and element layers use the J2 secular propagator when ``earth.j2`` is on, two-body
    otherwise; TLE layers use SGP4 (which has its own Earth model). A preset has already been
    expanded into ``walker`` by the schema.
    """
    earth = earth or EarthModel()
    propagator = "j2" if earth.j2_enabled else "two_body"
    kw: dict[str, Any] = {"mu": earth.mu, "j2": earth.j2, "r_eq_m": earth.r_eq_m}
    if layer.walker is not None:
        w = layer.walker
        return Constellation.from_walker(
            layer.id, w.total, w.planes, w.phasing, w.altitude_m, w.inclination_deg,
            propagator=propagator, **kw,
        )
    if layer.tle_file is not None:
        return Constellation.from_tle_file(layer.id, layer.tle_file)
    if layer.elements is not None:
        els = layer.elements
        elements = KeplerElements(
            a_m=np.array([e.semi_major_axis_m for e in els]),
            e=np.array([e.eccentricity for e in els]),
            i_rad=np.radians([e.inclination_deg for e in els]),
            raan_rad=np.radians([e.raan_deg for e in els]),
            argp_rad=np.radians([e.arg_perigee_deg for e in els]),
            mean_anomaly_rad=np.radians([e.mean_anomaly_deg for e in els]),
        )
        ids = [e.sat_id if e.sat_id is not None else f"{layer.id}-{i}" for i, e in enumerate(els)]
        return Constellation.from_elements(layer.id, elements, ids, propagator=propagator, **kw)
    raise ValueError(f"sensors.space_layers[{layer.id!r}]: no walker, tle_file or elements")


def space_ir_params(layer: SpaceLayerConfig) -> SpaceIrParams:
    """The infrared sensor of a space layer, in SI/radians."""
    ir = layer.infrared
    return SpaceIrParams(
        frame_rate_hz=ir.frame_rate_hz,
        angle_noise_rad=ir.angle_noise_rad,
        field_of_regard_rad=math.radians(ir.field_of_regard_deg),
        max_range_m=ir.max_range_m,
        grazing_alt_m=ir.grazing_altitude_m,
        sun_exclusion_rad=math.radians(ir.sun_exclusion_deg),
        nei_look_down_w_m2=ir.nei_look_down_w_m2,
        nei_above_horizon_w_m2=ir.nei_above_horizon_w_m2,
        pfa=ir.pfa,
        band_m=(ir.band_um[0] * 1e-6, ir.band_um[1] * 1e-6),
    )


def radar_params(radar: RadarConfig) -> RadarParams:
    """A radar of the scenario, in SI/radians."""
    return RadarParams.from_degrees(
        radar.id, radar.site.lat_deg, radar.site.lon_deg, radar.site.alt_m,
        radar.min_elevation_deg,
        max_range_m=radar.max_range_m, revisit_s=radar.revisit_s, pfa=radar.pfa,
        swerling=radar.swerling, ref_snr_db=radar.reference.snr_db,
        ref_range_m=radar.reference.range_m, ref_rcs_m2=radar.reference.rcs_m2,
        sigma_range_m=radar.noise.range_m, sigma_angle_rad=radar.noise.angle_rad,
        sigma_range_rate_mps=radar.noise.range_rate_mps,
        sigma_floor_fraction=radar.noise.floor_fraction,
    )


# ---------------------------------------------------------------------------------------------
# Weapons
# ---------------------------------------------------------------------------------------------


def weapon(cfg: RailgunConfig | InterceptorConfig) -> Weapon:
    """The engagement model of one ``weapons[]`` entry (SI units, radians)."""
    kw: dict[str, Any] = {}
    if cfg.lethal_radius_m is not None:
        kw["lethal_radius_m"] = cfg.lethal_radius_m
    if isinstance(cfg, RailgunConfig):
        params: RailgunParams | InterceptorParams = RailgunParams(
            muzzle_speed_mps=cfg.muzzle_speed_mps, mass_kg=cfg.projectile_mass_kg,
            diameter_m=cfg.diameter_m, cd=cfg.cd, guided=cfg.guided,
            max_divert_g=cfg.max_divert_g, seeker_range_m=cfg.seeker_range_m,
            divert_cl_max=cfg.divert_cl_max,
            min_elevation_rad=math.radians(cfg.min_elevation_deg),
            max_elevation_rad=math.radians(cfg.max_elevation_deg), **kw)
    else:
        params = InterceptorParams(
            burnout_speed_mps=cfg.burnout_speed_mps, burn_time_s=cfg.burn_time_s,
            mass_kg=cfg.mass_kg, area_m2=cfg.reference_area_m2, cd=cfg.cd,
            max_lateral_g=cfg.max_lateral_g, nav_ratio=cfg.nav_ratio,
            guidance_tau_s=cfg.guidance_tau_s, seeker_range_m=cfg.seeker_range_m,
            max_flight_time_s=cfg.max_flight_time_s, guidance_law=cfg.guidance_law, **kw)
    salvo_interval_s, reload_s = cfg.salvo_interval_s, cfg.reload_s
    battery: dict[str, Any] = {}
    if isinstance(cfg, RailgunConfig):
        if cfg.rounds_per_minute is not None:  # the pulsed power recharges between rounds
            gap = 60.0 / cfg.rounds_per_minute
            salvo_interval_s, reload_s = max(salvo_interval_s, gap), max(reload_s, gap)
        battery = {"rail_life_rounds": cfg.rail_life_rounds, "rail_change_s": cfg.rail_change_s}
    return Weapon(
        weapon_id=cfg.id, params=params,
        site_lat_rad=math.radians(cfg.site.lat_deg), site_lon_rad=math.radians(cfg.site.lon_deg),
        site_alt_m=cfg.site.alt_m, magazine=cfg.magazine, salvo_size=cfg.salvo_size,
        salvo_interval_s=salvo_interval_s, reload_s=reload_s, **battery,
        launch_delay_s=cfg.launch_delay_s, fire_control_sigma_m=cfg.fire_control_sigma_m,
        uplink_period_s=cfg.uplink_period_s, uplink_latency_s=cfg.uplink_latency_s,
        slew_rate_deg_s=cfg.slew_rate_deg_s, settle_s=cfg.settle_s,
        min_intercept_alt_m=cfg.min_intercept_alt_m,
        max_intercept_alt_m=cfg.max_intercept_alt_m or np.inf,
        max_range_m=cfg.max_range_m or np.inf,
        kill=(None if cfg.pk_max == 1.0 else
              KillModel("lethal_radius", lethal_radius_m=params.lethal_radius_m,
                        pk_max=cfg.pk_max)),
    )


def fire_control(scenario: Scenario) -> tuple[FireControlConfig, list[DefendedAsset]]:
    """Fire-control settings and defended assets of the engagement."""
    return scenario.fire_control, list(scenario.defended_assets)


# ---------------------------------------------------------------------------------------------
# Seeds
# ---------------------------------------------------------------------------------------------


SEED_STREAMS = {"sensor": 1, "engagement": 2, "threat": 3, "campaign": 4}
"""The first spawn-key word of each random stream of a run (:class:`RunSeeds`)."""


def id_words(name: str) -> tuple[int, int]:
    """Two 32-bit words of a stable hash of an id (BLAKE2b, 8 bytes): the id's spawn key."""
    d = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(d[:4], "little"), int.from_bytes(d[4:], "little")


@dataclass(frozen=True)
class RunSeeds:
    """The seed tree of one run: every random stream of the run derives from ``seed``.

    Each stream is ``SeedSequence(seed, spawn_key=(stream, *id_words))``: the stream's number
    (:data:`SEED_STREAMS`) and, for streams that belong to a named thing, two 32-bit words of a
    hash of its id. Streams are keyed by id, not by position: adding, removing or reordering a
    radar leaves every other sensor's noise and the engagement's kill draws as they were.
    """

    seed: int
    sensor_ids: tuple[str, ...] = ()

    def sensor(self, sensor_id: str) -> np.random.SeedSequence:
        """The seed of one sensor's noise, detections and false alarms."""
        if sensor_id not in self.sensor_ids:
            raise KeyError(f"no sensor {sensor_id!r} in this run: {list(self.sensor_ids)}")
        return self._stream("sensor", sensor_id)

    def engagement(self) -> np.random.SeedSequence:
        """The seed of the engagement's kill draws."""
        return self._stream("engagement")

    def threat(self, threat_id: str) -> np.random.SeedSequence:
        """The seed of one threat's own random draws (campaign perturbations)."""
        return self._stream("threat", threat_id)

    def _stream(self, stream: str, name: str | None = None) -> np.random.SeedSequence:
        key = (SEED_STREAMS[stream],) + (id_words(name) if name is not None else ())
        return np.random.SeedSequence(self.seed, spawn_key=key)


# ---------------------------------------------------------------------------------------------
# Everything at once
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpaceLayer:
    """One space layer, built: its constellation and the sensor each satellite carries."""

    layer_id: str
    constellation: Constellation
    params: SpaceIrParams


@dataclass
class Components:
    """A scenario wired into components (what the run loop's stages take)."""

    scenario: Scenario
    earth: EarthModel
    threats: list[ThreatSpec]
    threat_types: list[str]
    rcs_m2: np.ndarray
    space_layers: list[SpaceLayer]
    radars: list[RadarParams]
    tracking: TrackingSection
    weapons: list[Weapon]
    fire_control: FireControlConfig
    defended_assets: list[DefendedAsset]
    seeds: RunSeeds
    sensor_ids: tuple[str, ...] = field(default=())
    rcs_tables: list[AspectRcsTable | None] = field(default_factory=list)
    """Per threat, the aspect table radars use (None: the constant ``rcs_m2``)."""

    @property
    def has_sensors(self) -> bool:
        return bool(self.space_layers or self.radars)


def build(scenario: Scenario) -> Components:
    """Wire the validated ``scenario`` into the components of one run."""
    earth = earth_model(scenario.earth)
    layers = [SpaceLayer(ly.id, constellation(ly, earth), space_ir_params(ly))
              for ly in scenario.sensors.space_layers]
    radars = [radar_params(r) for r in scenario.sensors.radars]
    sensor_ids = tuple([ly.layer_id for ly in layers] + [r.id for r in scenario.sensors.radars])
    fc, assets = fire_control(scenario)
    rcs = np.array([DEFAULT_RCS_M2[body_type(t)] if t.rcs_m2 is None else t.rcs_m2
                    for t in scenario.threats])
    rcs_tables = [RCS_TABLES[RCS_CLASS_BY_THREAT_TYPE[body_type(t)]] if t.rcs_m2 is None
                  else None for t in scenario.threats]
    return Components(
        scenario=scenario, earth=earth,
        threats=[threat_spec(t) for t in scenario.threats],
        threat_types=[t.type for t in scenario.threats], rcs_m2=rcs,
        space_layers=layers, radars=radars, tracking=scenario.tracking,
        weapons=[weapon(w) for w in scenario.weapons], fire_control=fc,
        defended_assets=assets, seeds=RunSeeds(scenario.seed, sensor_ids),
        sensor_ids=sensor_ids, rcs_tables=rcs_tables,
    )
