"""Run-loop stage 2: the scenario's sensors observe the threats.

Builds every space layer's constellation and infrared sensor and every radar from the scenario,
simulates their reports against the flown trajectories, and returns one time-ordered
:class:`~hdsim.sensors.detections.Detections` table plus the satellite positions.

Randomness: one generator per sensor (space layers first, then radars, in scenario order),
spawned from ``SeedSequence(scenario.seed)``, so adding a radar never changes what a space
layer reports.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from hdsim.earth import EarthModel
from hdsim.earth.sun import sun_position_ecef
from hdsim.scenario.coverage import build_constellation
from hdsim.scenario.schema import RadarConfig, Scenario, SpaceLayerConfig
from hdsim.sensors.detections import Detections
from hdsim.sensors.radar import RadarParams, simulate_radar
from hdsim.sensors.space_ir import SpaceIrParams, ir_frame_times, simulate_space_ir
from hdsim.threats import TrajectorySet

__all__ = ["SensorOutput", "simulate_sensors", "space_ir_params", "radar_params",
           "detection_summary", "DEFAULT_RCS_M2"]

SATELLITE_OUTPUT_STEP_S = 10.0
"""Step of ``satellites.parquet`` (s): the scenario step, but no finer than this, so that a
300-satellite layer over an hour stays a few MB."""

IR_WINDOW_FRAMES = 60
"""Frames per call of the IR simulation (60 s at 1 Hz: 0.4 GiB peak for 300 satellites x
1,000 threats, against 6 GiB in one call)."""

DEFAULT_RCS_M2 = {"ballistic": 0.05, "boost_glide": 0.1, "cruise": 0.5}
"""Notional radar cross-sections by threat type, m² (order of magnitude of open-literature
values for re-entry vehicles, glide bodies and cruise missiles)."""


@dataclass
class SensorOutput:
    """What the sensors produced."""

    detections: Detections
    satellites: pa.Table
    sensor_layers: list[str]


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


def _threat_arrays(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    area, rcs = [], []
    for t in scenario.threats:
        area.append(t.to_spec().vehicle.reference_area_m2)
        r = getattr(t, "rcs_m2", None)
        rcs.append(DEFAULT_RCS_M2[t.type] if r is None else r)
    return np.array(area), np.array(rcs)


def simulate_sensors(scenario: Scenario, earth: EarthModel, trajs: TrajectorySet,
                     progress: Callable[[float], None] | None = None) -> SensorOutput:
    """Reports of every sensor of ``scenario`` on the threats ``trajs``, time-ordered."""
    layers = scenario.sensors.space_layers
    radars = scenario.sensors.radars
    seeds = np.random.SeedSequence(scenario.seed).spawn(len(layers) + len(radars))
    area, rcs = _threat_arrays(scenario)
    if len(trajs):
        t0 = min(tr.t_start for tr in trajs)
        t1 = max(tr.t_end for tr in trajs)
    else:
        t0, t1 = 0.0, scenario.duration_s
    parts: list[Detections] = []
    sat_tables: list[pa.Table] = []
    n_total = max(1, len(layers) + len(radars))
    done = 0
    for layer, seed in zip(layers, seeds[: len(layers)], strict=True):
        const = build_constellation(layer, earth)
        params = space_ir_params(layer)
        times = ir_frame_times(t0, t1, params.frame_rate_hz)
        sat_pos = const.positions_ecef(times, scenario.epoch)
        if len(trajs):
            rng = np.random.default_rng(seed)
            # Windows of frames bound the working memory (benchmarks/bench_sensors.py).
            for lo in range(0, times.size, IR_WINDOW_FRAMES):
                w = slice(lo, lo + IR_WINDOW_FRAMES)
                tw = times[w]
                parts.append(simulate_space_ir(
                    layer.id, const.sat_ids, sat_pos[:, w], tw, trajs.states_at(tw),
                    trajs.phase_at(tw), area, params, sun_position_ecef(tw, scenario.epoch),
                    rng, ellipsoid=earth.ellipsoid))
        sat_tables.append(_satellite_table(layer.id, const, scenario, earth))
        done += 1
        if progress:
            progress(done / n_total)
    for radar, seed in zip(radars, seeds[len(layers):], strict=True):
        params = radar_params(radar)
        if len(trajs):
            times = np.arange(t0, t1 + 1e-9, params.revisit_s)
            parts.append(simulate_radar(params, times, trajs.states_at, rcs,
                                        np.random.default_rng(seed), ellipsoid=earth.ellipsoid))
        done += 1
        if progress:
            progress(done / n_total)
    detections = Detections.concatenate(parts).sorted() if parts else Detections.empty()
    satellites = pa.concat_tables(sat_tables) if sat_tables else _satellite_table_empty()
    return SensorOutput(detections=detections, satellites=satellites,
                        sensor_layers=[ly.id for ly in layers] + [r.id for r in radars])


def _satellite_table(layer_id: str, const, scenario: Scenario, earth: EarthModel) -> pa.Table:
    step = max(scenario.step_s, SATELLITE_OUTPUT_STEP_S)
    t = np.arange(0.0, scenario.duration_s + 1e-9, step)
    pos = const.positions_ecef(t, scenario.epoch)  # (S, T, 3)
    s, n = pos.shape[0], t.size
    return pa.table({
        "layer_id": pa.array([layer_id] * (s * n), pa.string()),
        "sat_id": pa.array(np.repeat(np.array(const.sat_ids, dtype=object), n), pa.string()),
        "t_s": np.tile(t, s),
        "x_m": pos[..., 0].ravel(), "y_m": pos[..., 1].ravel(), "z_m": pos[..., 2].ravel(),
    })


def _satellite_table_empty() -> pa.Table:
    return pa.table({"layer_id": pa.array([], pa.string()), "sat_id": pa.array([], pa.string()),
                     "t_s": pa.array([], pa.float64()), "x_m": pa.array([], pa.float64()),
                     "y_m": pa.array([], pa.float64()), "z_m": pa.array([], pa.float64())})


def detection_summary(detections: Detections, trajs: TrajectorySet,
                      layers: list[str], gap_s: float = 10.0) -> list[dict]:
    """Per threat and per sensor layer: first detection, fraction of the flight detected
    (1-s bins with at least one report), number of gaps longer than ``gap_s`` and the longest.
    """
    layer_index = {name: i for i, name in enumerate(layers)}
    sensor_layer = np.array([layer_index.get(lid, -1) for lid in detections.layer_ids] + [-1])
    lay = sensor_layer[detections.sensor_idx] if len(detections) else np.empty(0, int)
    real = (detections.truth_idx >= 0) & (lay >= 0)
    # One sort by (threat, layer, time), then contiguous groups: no per-pair scans of all rows.
    key = detections.truth_idx[real].astype(np.int64) * len(layers) + lay[real]
    t_all = detections.t_s[real]
    order = np.lexsort((t_all, key))
    key, t_all = key[order], t_all[order]
    bounds = np.searchsorted(key, np.arange(len(trajs) * len(layers) + 1))
    rows = []
    for k, tr in enumerate(trajs):
        flight = max(tr.t_end - tr.t_start, 1e-9)
        n_bins = int(np.ceil(flight))
        for j, layer in enumerate(layers):
            g = k * len(layers) + j
            t = t_all[bounds[g]:bounds[g + 1]]
            if t.size == 0:
                rows.append({"threat_id": tr.threat_id, "layer_id": layer,
                             "first_detection_s": None, "fraction_detected": 0.0,
                             "n_gaps": 1, "longest_gap_s": flight})
                continue
            bins = np.unique(np.floor(t - tr.t_start).astype(int))
            gaps = np.diff(np.concatenate([[tr.t_start], t, [tr.t_end]]))
            rows.append({
                "threat_id": tr.threat_id, "layer_id": layer,
                "first_detection_s": float(t[0]),
                "fraction_detected": float(min(1.0, bins.size / max(n_bins, 1))),
                "n_gaps": int(np.sum(gaps > gap_s)),
                "longest_gap_s": float(gaps.max()),
            })
    return rows
