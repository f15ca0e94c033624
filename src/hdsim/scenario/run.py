"""The run loop: scenario → threats → (sensors → tracking → engagement) → result folder.

Each stage is a function from the previous stage's data to its own; ``run_scenario`` wires them
and writes the result folder atomically.  Stages that are not built yet are simply absent.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hdsim.earth import EarthModel, Ellipsoid, atmosphere, ecef_to_geodetic
from hdsim.scenario.results import write_run
from hdsim.scenario.schema import Scenario
from hdsim.threats import PHASES, TrajectorySet, fly_threats
from hdsim.threats.geometry import central_angle_rad

__all__ = ["RunResult", "run_scenario", "fly_scenario_threats", "truth_table", "threat_summary"]

INTEGRATION_STEP_S = 0.5
"""RK4 step of the threat integrator, s (see docs/design.md for the step-size study)."""


@dataclass
class RunResult:
    """What a run produced: the tables written, the summary, and stage wall times."""

    out_dir: Path
    trajectories: TrajectorySet
    tables: dict[str, pa.Table]
    summary: dict[str, Any]
    timings_s: dict[str, float] = field(default_factory=dict)


@contextmanager
def _progress(quiet: bool, description: str) -> Iterator[Any]:
    """A rich progress bar (or a no-op) whose callback takes the fraction done."""
    if quiet:
        yield None
        return
    with Progress(TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                  transient=True) as bar:
        task = bar.add_task(description, total=1.0)
        yield lambda frac: bar.update(task, completed=frac)


def fly_scenario_threats(scenario: Scenario, earth: EarthModel,
                         progress=None) -> TrajectorySet:
    """Fly the scenario's threats until impact or the end of the scenario."""
    specs = [t.to_spec() for t in scenario.threats]
    if not specs:
        return TrajectorySet([])
    first = min(s.launch_time_s for s in specs)
    dt = min(INTEGRATION_STEP_S, scenario.step_s)
    record_every = max(1, int(round(min(scenario.step_s, 1.0) / dt)))
    trajs = fly_threats(specs, earth, dt_s=dt, max_time_s=scenario.duration_s - first,
                        record_every=record_every, progress=progress)
    return TrajectorySet([_truncate(tr, scenario.duration_s) for tr in trajs])


def _truncate(tr, t_end: float):
    """The trajectory up to the end of the scenario (an impact after it does not happen)."""
    if tr.times[-1] <= t_end:
        return tr
    from dataclasses import replace

    keep = tr.times < t_end
    last = tr.state_at(np.array([t_end]))
    k = int(keep.sum())
    return replace(
        tr,
        times=np.append(tr.times[keep], t_end),
        states=np.vstack([tr.states[keep], last]),
        accels=np.vstack([tr.accels[keep], tr.accels[k]]),
        phase=np.append(tr.phase[keep], tr.phase[max(k - 1, 0)]).astype(np.int8),
        impacted=False,
        extras={key: np.append(v[keep], np.nan) for key, v in tr.extras.items()},
    )


def truth_table(trajs: TrajectorySet, step_s: float, ellipsoid: Ellipsoid) -> pa.Table:
    """Truth sampled at the scenario step from launch, plus each threat's last node (its impact
    point, interpolated to the ground): the columns of SCENARIO.md's ``truth.parquet``."""
    ids, ts, states, phases = [], [], [], []
    for tr in trajs:
        grid = np.arange(tr.t_start, tr.t_end, step_s)
        t = np.append(grid, tr.t_end)
        st = tr.state_at(t)
        st[-1] = tr.states[-1]
        ph = tr.phase_at(t)
        ph[-1] = tr.phase[-1]
        ids.append(np.full(t.size, tr.threat_id, dtype=object))
        ts.append(t)
        states.append(st)
        phases.append(ph)
    if not ids:
        return pa.table({name: pa.array([], type=typ) for name, typ in _TRUTH_SCHEMA})
    t = np.concatenate(ts)
    st = np.concatenate(states)
    ph = np.concatenate(phases)
    lat, lon, alt = ecef_to_geodetic(st[:, :3], ellipsoid)
    speed = np.linalg.norm(st[:, 3:], axis=1)
    mach = speed / atmosphere(alt).speed_of_sound_mps
    phase_names = np.array(PHASES, dtype=object)[ph]
    return pa.table({
        "threat_id": pa.array(np.concatenate(ids), pa.string()),
        "t_s": t,
        "x_m": st[:, 0], "y_m": st[:, 1], "z_m": st[:, 2],
        "vx_mps": st[:, 3], "vy_mps": st[:, 4], "vz_mps": st[:, 5],
        "lat_deg": np.degrees(lat), "lon_deg": np.degrees(lon), "alt_m": alt,
        "speed_mps": speed, "mach": mach,
        "phase": pa.array(phase_names, pa.string()),
    })


_TRUTH_SCHEMA = [("threat_id", pa.string()), ("t_s", pa.float64()), ("x_m", pa.float64()),
                 ("y_m", pa.float64()), ("z_m", pa.float64()), ("vx_mps", pa.float64()),
                 ("vy_mps", pa.float64()), ("vz_mps", pa.float64()), ("lat_deg", pa.float64()),
                 ("lon_deg", pa.float64()), ("alt_m", pa.float64()), ("speed_mps", pa.float64()),
                 ("mach", pa.float64()), ("phase", pa.string())]


def threat_summary(scenario: Scenario, trajs: TrajectorySet, ellipsoid: Ellipsoid
                   ) -> list[dict[str, Any]]:
    """Per-threat figures: range, flight time, max speed and Mach, apogee, glide altitude,
    impact point and its error from the target."""
    out = []
    for cfg, tr in zip(scenario.threats, trajs, strict=True):
        lat, lon, alt = ecef_to_geodetic(tr.states[:, :3], ellipsoid)
        speed = np.linalg.norm(tr.states[:, 3:], axis=1)
        mach = speed / atmosphere(alt).speed_of_sound_mps
        l0 = np.radians([cfg.launch.lat_deg, cfg.launch.lon_deg])
        tg = np.radians([cfg.target.lat_deg, cfg.target.lon_deg])
        r_mean = ellipsoid.a_m * (1 - ellipsoid.f / 3)
        glide = np.isin(tr.phase, [PHASES.index("glide"), PHASES.index("cruise")])
        phases_seen = [PHASES[p] for p in dict.fromkeys(tr.phase.tolist())]
        row = {
            "threat_id": cfg.id,
            "type": cfg.type,
            "launch_time_s": tr.t_start,
            "end_time_s": tr.t_end,
            "flight_time_s": tr.t_end - tr.t_start,
            "impacted": tr.impacted,
            "ground_range_m": float(central_angle_rad(l0[0], l0[1], lat[-1], lon[-1]) * r_mean),
            "target_range_m": float(central_angle_rad(l0[0], l0[1], tg[0], tg[1]) * r_mean),
            "max_speed_mps": float(speed.max()),
            "max_mach": float(mach.max()),
            "apogee_m": float(alt.max()),
            "mean_glide_alt_m": float(alt[glide].mean()) if glide.any() else None,
            "impact_lat_deg": float(np.degrees(lat[-1])) if tr.impacted else None,
            "impact_lon_deg": float(np.degrees(lon[-1])) if tr.impacted else None,
            "impact_speed_mps": float(speed[-1]) if tr.impacted else None,
            "impact_error_m": float(central_angle_rad(lat[-1], lon[-1], tg[0], tg[1]) * r_mean)
            if tr.impacted else None,
            "phases": phases_seen,
        }
        out.append(row)
    return out


def _print_threats(console: Console, rows: list[dict[str, Any]]) -> None:
    table = Table(title="Threats", header_style="bold")
    for col in ("threat", "type", "range km", "flight s", "max speed m/s", "max Mach",
                "apogee km", "glide alt km", "impact error km"):
        table.add_column(col, justify="left" if col in ("threat", "type") else "right")

    def f(v, scale=1.0, fmt="{:.1f}"):
        return "—" if v is None else fmt.format(v / scale)

    for r in rows:
        table.add_row(r["threat_id"], r["type"], f(r["ground_range_m"], 1e3, "{:.0f}"),
                      f(r["flight_time_s"], 1, "{:.0f}"), f(r["max_speed_mps"], 1, "{:.0f}"),
                      f(r["max_mach"]), f(r["apogee_m"], 1e3), f(r["mean_glide_alt_m"], 1e3),
                      f(r["impact_error_m"], 1e3, "{:.2f}") if r["impacted"] else "no impact")
    console.print(table)


def _print_sensors(console: Console, rows: list[dict[str, Any]]) -> None:
    table = Table(title="Detection by sensor layer", header_style="bold")
    for col in ("threat", "layer", "first detection s", "detected %", "gaps > 10 s",
                "longest gap s"):
        table.add_column(col, justify="left" if col in ("threat", "layer") else "right")
    for r in rows:
        first = r["first_detection_s"]
        table.add_row(r["threat_id"], r["layer_id"], "—" if first is None else f"{first:.0f}",
                      f"{100 * r['fraction_detected']:.0f}", str(r["n_gaps"]),
                      f"{r['longest_gap_s']:.0f}")
    console.print(table)


def _print_tracking(console: Console, rows: list[dict[str, Any]]) -> None:
    table = Table(title="Tracking", header_style="bold")
    for col in ("threat", "first detection s", "first confirmed s", "fire-control quality s",
                "custody %", "tracks", "RMSE pos m", "RMSE vel m/s"):
        table.add_column(col, justify="left" if col == "threat" else "right")

    def f(v, fmt="{:.0f}"):
        return "—" if v is None else fmt.format(v)

    for r in rows:
        table.add_row(r["threat_id"], f(r["first_detection_s"]), f(r["first_confirmed_s"]),
                      f(r["first_fire_control_s"]), f(100 * r["custody"]), str(r["n_tracks"]),
                      f(r["rmse_pos_m"]), f(r["rmse_vel_mps"], "{:.1f}"))
    console.print(table)


def _print_engagement(console: Console, threats: list[dict[str, Any]],
                      weapons: list[dict[str, Any]]) -> None:
    table = Table(title="Engagement by threat", header_style="bold")
    for col in ("threat", "outcome", "shots", "killed at s", "kill alt km", "nearest asset",
                "distance km", "in asset"):
        table.add_column(col, justify="left" if col in ("threat", "outcome", "nearest asset")
                         else "right")

    def f(v, scale=1.0, fmt="{:.0f}"):
        return "—" if v is None else fmt.format(v / scale)

    for r in threats:
        table.add_row(r["threat_id"], r["outcome"], str(r.get("shots", 0)), f(r.get("kill_t_s")),
                      f(r.get("kill_alt_m"), 1e3, "{:.1f}"), str(r.get("nearest_asset_id") or "—"),
                      f(r.get("asset_distance_m"), 1e3, "{:.1f}")
                      if r["outcome"] == "leaked" else "—",
                      ("yes" if r.get("in_asset") else "no") if r["outcome"] == "leaked" else "—")
    console.print(table)
    wt = Table(title="Weapons", header_style="bold")
    for col in ("weapon", "kind", "shots", "kills", "rounds left"):
        wt.add_column(col, justify="left" if col in ("weapon", "kind") else "right")
    for w in weapons:
        wt.add_row(str(w["weapon_id"]), str(w["kind"]), str(w["shots"]), str(w["kills"]),
                   str(w["rounds_left"]))
    console.print(wt)


_TRACKING_KEYS = ("first_detection_s", "first_track_s", "first_confirmed_s",
                  "first_fire_control_s", "custody", "n_tracks", "n_breaks", "n_swaps",
                  "rmse_pos_m", "rmse_vel_mps", "pcrlb_pos_m", "mean_nees")
_ENGAGEMENT_KEYS = ("outcome", "kill_t_s", "kill_alt_m", "shots", "nearest_asset_id",
                    "asset_distance_m", "in_asset")


def _merge_rows(rows: list[dict[str, Any]], extra: list[dict[str, Any]],
                keys: tuple[str, ...]) -> None:
    """Copy ``keys`` of the per-threat rows ``extra`` into the summary rows (by threat id)."""
    by_id = {r["threat_id"]: r for r in extra}
    for r in rows:
        e = by_id.get(r["threat_id"], {})
        for key in keys:
            r[key] = e.get(key)


@contextmanager
def _stage(name: str, timings: dict[str, float], quiet: bool, label: str) -> Iterator[Any]:
    """Time a stage into ``timings[name]`` and show its progress bar."""
    t0 = time.perf_counter()
    with _progress(quiet, label) as cb:
        yield cb
        if cb:
            cb(1.0)
    timings[name] = time.perf_counter() - t0


def _killed_truth(trajs: TrajectorySet, kill_t_s: np.ndarray, step_s: float,
                  ellipsoid: Ellipsoid) -> pa.Table:
    """The truth table with each killed threat ending at its kill (phase ``killed``)."""
    from hdsim.engagement import truncated_truth

    truth = truth_table(truncated_truth(trajs, kill_t_s), step_s, ellipsoid)
    ids = np.array(truth["threat_id"].to_pylist(), dtype=object)
    last = np.r_[ids[1:] != ids[:-1], True]
    phase = np.array(truth["phase"].to_pylist(), dtype=object)
    killed_ids = [tid for tid, k in zip(trajs.ids, np.isfinite(kill_t_s), strict=True) if k]
    phase[last & np.isin(ids, killed_ids)] = "killed"
    return truth.set_column(truth.schema.get_field_index("phase"), "phase",
                            pa.array(phase, pa.string()))


def run_scenario(scenario: Scenario, out_dir: str | Path, quiet: bool = False,
                 console: Console | None = None) -> RunResult:
    """Run ``scenario`` end to end and write its result folder atomically.

    Stages: threats (always); sensors and tracking (with sensors); engagement (with weapons).
    Writes ``truth.parquet`` and ``summary.json``; with sensors ``detections.parquet``,
    ``satellites.parquet``, ``tracks.parquet``, ``metrics.parquet``; with weapons
    ``engagements.parquet``. Prints per-threat tables unless ``quiet``.
    """
    from hdsim.scenario.stage_engagement import run_engagement
    from hdsim.scenario.stage_sensors import detection_summary, simulate_sensors
    from hdsim.scenario.stage_tracking import run_tracking, tracker_config

    console = console or Console()
    earth = scenario.earth.model()
    tracker_config(scenario.tracking)  # validate before anything runs
    timings: dict[str, float] = {}
    with _stage("threats", timings, quiet, "Flying threats") as cb:
        trajs = fly_scenario_threats(scenario, earth, progress=cb)
    truth = truth_table(trajs, scenario.step_s, earth.ellipsoid)
    rows = threat_summary(scenario, trajs, earth.ellipsoid)
    tables: dict[str, pa.Table] = {"truth": truth}
    summary: dict[str, Any] = {
        "scenario": scenario.name,
        "epoch": scenario.epoch.isoformat(),
        "seed": scenario.seed,
        "duration_s": scenario.duration_s,
        "threats": rows,
        "timings_s": timings,
    }
    det_rows: list[dict[str, Any]] = []
    track_rows: list[dict[str, Any]] = []
    history = None
    if scenario.sensors.space_layers or scenario.sensors.radars:
        with _stage("sensors", timings, quiet, "Sensing") as cb:
            sensed = simulate_sensors(scenario, earth, trajs, progress=cb)
        tables["detections"] = sensed.detections.to_arrow(trajs.ids)
        tables["satellites"] = sensed.satellites
        det_rows = detection_summary(sensed.detections, trajs, sensed.sensor_layers)
        summary["detection"] = det_rows
        summary["n_detections"] = len(sensed.detections)
        summary["n_false_alarms"] = int(np.sum(sensed.detections.truth_idx < 0))
        if len(trajs):
            with _stage("tracking", timings, quiet, "Tracking"):
                tracked = run_tracking(sensed.detections, trajs, truth, scenario.tracking)
            history = tracked.history
            tables["tracks"] = tracked.tracks
            tables["metrics"] = tracked.metrics
            track_rows = tracked.timeline
            _merge_rows(rows, track_rows, _TRACKING_KEYS)
            ospa = tracked.metrics["ospa_m"].to_numpy()
            summary["tracking"] = {
                "n_tracks": int(np.unique(history.track_id).size),
                "mean_ospa_m": float(np.nanmean(ospa)) if ospa.size else None,
            }
    eng_threats: list[dict[str, Any]] = []
    eng_weapons: list[dict[str, Any]] = []
    if scenario.weapons and len(trajs):
        n_sensors = len(scenario.sensors.space_layers) + len(scenario.sensors.radars)
        seed = np.random.SeedSequence(scenario.seed).spawn(n_sensors + 1)[-1]
        with _stage("engagement", timings, quiet, "Engaging"):
            engaged = run_engagement(scenario, earth, history, trajs, seed)
        tables["engagements"] = engaged.engagements
        eng_threats, eng_weapons = engaged.threats, engaged.weapons
        killed = np.isfinite(engaged.kill_t_s)
        if killed.any():
            tables["truth"] = _killed_truth(trajs, engaged.kill_t_s, scenario.step_s,
                                            earth.ellipsoid)
        _merge_rows(rows, eng_threats, _ENGAGEMENT_KEYS)
        summary["weapons"] = eng_weapons
        summary["engagement"] = {
            "shots": int(engaged.engagements.num_rows),
            "kills": int(killed.sum()),
            "leakers": int((~killed).sum()),
            "leakers_in_assets": int(sum(1 for e in eng_threats
                                         if e.get("outcome") == "leaked" and e.get("in_asset"))),
        }
    path = write_run(out_dir, tables, summary)
    if not quiet:
        _print_threats(console, rows)
        if det_rows:
            _print_sensors(console, det_rows)
        if track_rows:
            _print_tracking(console, track_rows)
        if eng_threats:
            _print_engagement(console, eng_threats, eng_weapons)
    return RunResult(out_dir=path, trajectories=trajs, tables=tables, summary=summary,
                     timings_s=timings)
