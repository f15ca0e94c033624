"""Run-loop stage 2: the scenario's sensors observe the threats.

Simulates the reports of every space layer and radar (built by :mod:`hdsim.scenario.build`)
against the flown trajectories, and returns one time-ordered
:class:`~hdsim.sensors.detections.Detections` table plus the satellite positions.

Randomness: one generator per sensor, from the run's seed tree
(:class:`hdsim.scenario.build.RunSeeds`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from hdsim.earth.sun import sun_position_ecef
from hdsim.scenario.build import Components
from hdsim.scenario.config import Scenario
from hdsim.sensors.detections import Detections
from hdsim.sensors.radar import simulate_radar
from hdsim.sensors.space_ir import ir_frame_times, simulate_space_ir
from hdsim.threats import TrajectorySet

__all__ = ["SensorOutput", "bank_at", "simulate_sensors"]

SATELLITE_OUTPUT_STEP_S = 10.0
"""Step of ``satellites.parquet`` (s): the scenario step, but no finer than this, so that a
300-satellite layer over an hour stays a few MB."""

IR_WINDOW_FRAMES = 60
"""Frames per call of the IR simulation (60 s at 1 Hz: 0.4 GiB peak for 300 satellites x
1,000 threats, against 6 GiB in one call)."""

@dataclass
class SensorOutput:
    """What the sensors produced."""

    detections: Detections
    satellites: pa.Table
    sensor_layers: list[str]


def simulate_sensors(comp: Components, trajs: TrajectorySet,
                     progress: Callable[[float], None] | None = None) -> SensorOutput:
    """Reports of every sensor of the run on the threats ``trajs``, time-ordered."""
    scenario, earth = comp.scenario, comp.earth
    layers, radars = comp.space_layers, comp.radars
    area = np.array([spec.vehicle.reference_area_m2 for spec in comp.threats])
    geometry = [spec.vehicle.geometry for spec in comp.threats]
    rcs = comp.rcs_m2
    rcs_tables = comp.rcs_tables or None
    if len(trajs):
        t0 = min(tr.t_start for tr in trajs)
        t1 = max(tr.t_end for tr in trajs)
    else:
        t0, t1 = 0.0, scenario.duration_s
    parts: list[Detections] = []
    sat_tables: list[pa.Table] = []
    n_total = max(1, len(layers) + len(radars))
    done = 0
    for layer in layers:
        const, params = layer.constellation, layer.params
        times = ir_frame_times(t0, t1, params.frame_rate_hz)
        sat_pos = const.positions_ecef(times, scenario.epoch)
        if len(trajs):
            rng = np.random.default_rng(comp.seeds.sensor(layer.layer_id))
            # Windows of frames bound the working memory (benchmarks/bench_sensors.py).
            for lo in range(0, times.size, IR_WINDOW_FRAMES):
                w = slice(lo, lo + IR_WINDOW_FRAMES)
                tw = times[w]
                parts.append(simulate_space_ir(
                    layer.layer_id, const.sat_ids, sat_pos[:, w], tw, trajs.states_at(tw),
                    trajs.phase_at(tw), area, params, sun_position_ecef(tw, scenario.epoch),
                    rng, ellipsoid=earth.ellipsoid, threat_geometry=geometry,
                    threat_bank_rad=bank_at(trajs, tw)))
        sat_tables.append(_satellite_table(layer.layer_id, const, scenario))
        done += 1
        if progress:
            progress(done / n_total)
    for params in radars:
        if len(trajs):
            times = np.arange(t0, t1 + 1e-9, params.revisit_s)
            parts.append(simulate_radar(params, times, trajs.states_at, rcs,
                                        np.random.default_rng(comp.seeds.sensor(params.radar_id)),
                                        ellipsoid=earth.ellipsoid, rcs_tables=rcs_tables))
        done += 1
        if progress:
            progress(done / n_total)
    detections = Detections.concatenate(parts).sorted() if parts else Detections.empty()
    satellites = pa.concat_tables(sat_tables) if sat_tables else _satellite_table_empty()
    return SensorOutput(detections=detections, satellites=satellites,
                        sensor_layers=list(comp.sensor_ids))


def bank_at(trajs: TrajectorySet, t: np.ndarray) -> np.ndarray:
    """Bank angles ``(N, K)`` of the threats at times ``t``, rad: the commanded bank of the
    node at or before each time (as ``phase_at``); 0 where a threat records none or does not
    fly."""
    t = np.atleast_1d(np.asarray(t, dtype=float))
    out = np.zeros((len(trajs), t.size))
    for k, tr in enumerate(trajs):
        bank = tr.extras.get("bank_rad")
        if bank is None or len(tr.times) == 0:
            continue
        i = np.clip(np.searchsorted(tr.times, t, side="right") - 1, 0, len(tr.times) - 1)
        out[k] = np.nan_to_num(np.asarray(bank)[i])
    return out


def _satellite_table(layer_id: str, const, scenario: Scenario) -> pa.Table:
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
