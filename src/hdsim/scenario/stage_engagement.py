"""Run-loop stage 4: fire control on the tracks, shots flown against the truth, outcomes.

Builds the scenario's weapons, fire-control settings and defended assets, and runs
:func:`hdsim.engagement.simulate_engagements`.  The kill draws use their own generator spawned
from the scenario seed (after the sensors'), so a run is reproducible bit for bit.

Approximation (documented in ``docs/design.md``): sensors and tracking run before engagement,
so a killed threat's reports and tracks after its kill are not re-simulated; fire control
stops seeing the killed threat's tracks at kill time + the assessment delay.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from hdsim.earth import EarthModel
from hdsim.engagement import (
    DefendedAsset,
    FireControlConfig,
    InterceptorParams,
    RailgunParams,
    Weapon,
    simulate_engagements,
)
from hdsim.scenario.schema import InterceptorConfig, RailgunConfig, Scenario
from hdsim.threats import TrajectorySet
from hdsim.tracking.tracker import STATUS_NAMES, TrackHistory

__all__ = ["EngagementOutput", "build_weapon", "run_engagement"]


def build_weapon(cfg: RailgunConfig | InterceptorConfig) -> Weapon:
    """The engagement model of one ``weapons[]`` entry (SI units, radians)."""
    if isinstance(cfg, RailgunConfig):
        kw: dict[str, Any] = {}
        if cfg.lethal_radius_m is not None:
            kw["lethal_radius_m"] = cfg.lethal_radius_m
        params: RailgunParams | InterceptorParams = RailgunParams(
            muzzle_speed_mps=cfg.muzzle_speed_mps, mass_kg=cfg.projectile_mass_kg,
            diameter_m=cfg.diameter_m, cd=cfg.cd, guided=cfg.guided,
            max_divert_g=cfg.max_divert_g, seeker_range_m=cfg.seeker_range_m,
            min_elevation_rad=math.radians(cfg.min_elevation_deg),
            max_elevation_rad=math.radians(cfg.max_elevation_deg), **kw)
    else:
        kw = {}
        if cfg.lethal_radius_m is not None:
            kw["lethal_radius_m"] = cfg.lethal_radius_m
        params = InterceptorParams(
            burnout_speed_mps=cfg.burnout_speed_mps, burn_time_s=cfg.burn_time_s,
            mass_kg=cfg.mass_kg, area_m2=cfg.reference_area_m2, cd=cfg.cd,
            max_lateral_g=cfg.max_lateral_g, nav_ratio=cfg.nav_ratio,
            guidance_tau_s=cfg.guidance_tau_s, seeker_range_m=cfg.seeker_range_m,
            max_flight_time_s=cfg.max_flight_time_s, guidance_law=cfg.guidance_law, **kw)
    return Weapon(
        weapon_id=cfg.id, params=params,
        site_lat_rad=math.radians(cfg.site.lat_deg), site_lon_rad=math.radians(cfg.site.lon_deg),
        site_alt_m=cfg.site.alt_m, magazine=cfg.magazine, salvo_size=cfg.salvo_size,
        salvo_interval_s=cfg.salvo_interval_s, reload_s=cfg.reload_s,
        launch_delay_s=cfg.launch_delay_s, fire_control_sigma_m=cfg.fire_control_sigma_m,
        min_intercept_alt_m=cfg.min_intercept_alt_m,
        max_intercept_alt_m=cfg.max_intercept_alt_m or np.inf,
        max_range_m=cfg.max_range_m or np.inf,
    )


@dataclass
class EngagementOutput:
    engagements: pa.Table
    threats: list[dict[str, Any]]
    weapons: list[dict[str, Any]]
    kill_t_s: np.ndarray


def _rows(table: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    keys = list(table)
    n = len(table[keys[0]]) if keys else 0
    out = []
    for i in range(n):
        row = {}
        for k in keys:
            v = table[k][i]
            v = v.item() if hasattr(v, "item") else v
            if isinstance(v, float) and not math.isfinite(v):
                v = None
            row[k] = v
        out.append(row)
    return out


def run_engagement(scenario: Scenario, earth: EarthModel, history: TrackHistory | None,
                   trajs: TrajectorySet, seed: np.random.SeedSequence) -> EngagementOutput:
    """Fire control, shots and outcomes for the scenario's weapons."""
    weapons = [build_weapon(w) for w in scenario.weapons]
    fc = scenario.fire_control
    config = FireControlConfig(doctrine=fc.doctrine, cadence_s=fc.cadence_s,
                               motion_model=fc.motion_model, assess_delay_s=fc.assess_delay_s,
                               min_pk=fc.min_pk, asset_weight=fc.asset_weight,
                               target_maneuver_mps2=fc.target_maneuver_mps2)
    assets = [DefendedAsset(a.id, math.radians(a.lat_deg), math.radians(a.lon_deg), a.radius_m)
              for a in scenario.defended_assets]
    if history is None:  # no sensors: no tracks, so nothing is ever engaged
        tracks = {"t_s": np.empty(0), "track_id": np.empty(0, np.int64),
                  "state": np.empty((0, 6)), "cov": np.empty((0, 6, 6)),
                  "status": np.empty(0, dtype=object)}
    else:
        tracks = {
            "t_s": history.t_s, "track_id": history.track_id, "state": history.state,
            "cov": history.cov,
            "status": np.array(STATUS_NAMES, dtype=object)[history.status],
        }
    res = simulate_engagements(tracks, trajs, weapons, config, earth,
                               np.random.default_rng(seed), defended_assets=assets)
    eng = {k: (pa.array(list(v), pa.string()) if np.asarray(v).dtype == object else v)
           for k, v in res.engagements.items()}
    return EngagementOutput(engagements=pa.table(eng), threats=_rows(res.threats),
                            weapons=_rows(res.weapons), kill_t_s=res.kill_t_s)
