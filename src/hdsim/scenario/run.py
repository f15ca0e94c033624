"""The run loop: fly → sense → track → engage → score → write. No printing.

:func:`run_scenario` wires the scenario once (:func:`hdsim.scenario.build.build`), runs the
stages on components, scores the results (:mod:`hdsim.metrics`) and writes the result folder
atomically (or keeps everything in memory when ``out_dir`` is ``None``). Progress goes to a
callback; the terminal tables are :mod:`hdsim.viz.console`'s.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from hdsim.earth import Ellipsoid, atmosphere, ecef_to_geodetic
from hdsim.engagement import truncated_truth
from hdsim.metrics.labels import track_truth_labels
from hdsim.metrics.scoring import TrackingScores, detection_summary, score_tracking
from hdsim.results import check_out_dir, write_run
from hdsim.scenario.build import Components, build
from hdsim.scenario.config import Scenario, TrackingSection
from hdsim.scenario.stage_engagement import run_engagement
from hdsim.scenario.stage_sensors import simulate_sensors
from hdsim.sensors.detections import Detections
from hdsim.threats import PHASES, ThreatSpec, TrajectorySet, fly_threats
from hdsim.threats.geometry import central_angle_rad
from hdsim.tracking import Tracker, TrackHistory

__all__ = ["INTEGRATION_STEP_S", "RunResult", "StageProgress", "TrackedRun",
           "fly_scenario_threats", "fly_specs", "run_scenario", "score_tracks", "threat_summary",
           "truth_table"]

INTEGRATION_STEP_S = 0.5
"""RK4 step of the threat integrator, s (see docs/design.md for the step-size study)."""

StageProgress = Callable[[str], AbstractContextManager[Callable[[float], None] | None]]
"""Progress of the stages: called with a stage's label, returns a context manager that yields a
callback taking the fraction done (or ``None``)."""


@dataclass
class RunResult:
    """What a run produced: the tables, the summary, and stage wall times.

    ``out_dir`` is the result folder, ``None`` when the run was kept in memory."""

    out_dir: Path | None
    trajectories: TrajectorySet
    tables: dict[str, pa.Table]
    summary: dict[str, Any]
    timings_s: dict[str, float] = field(default_factory=dict)


def fly_scenario_threats(scenario: Scenario, components: Components | None = None,
                         progress: Callable[[float], None] | None = None) -> TrajectorySet:
    """Fly the scenario's threats until impact or the end of the scenario."""
    comp = components or build(scenario)
    return fly_specs(comp.threats, comp, progress)


def fly_specs(specs: list[ThreatSpec], comp: Components,
              progress: Callable[[float], None] | None = None) -> TrajectorySet:
    """Fly threat specs on the components' Earth, to impact or the end of the scenario."""
    scenario = comp.scenario
    if not specs:
        return TrajectorySet([])
    first = min(s.launch_time_s for s in specs)
    dt = min(INTEGRATION_STEP_S, scenario.step_s)
    record_every = max(1, int(round(min(scenario.step_s, 1.0) / dt)))
    trajs = fly_threats(specs, comp.earth, dt_s=dt, max_time_s=scenario.duration_s - first,
                        record_every=record_every, progress=progress)
    return TrajectorySet([_truncate(tr, scenario.duration_s) for tr in trajs])


def _truncate(tr, t_end: float):
    """The trajectory up to the end of the scenario (an impact after it does not happen)."""
    if tr.times[-1] <= t_end:
        return tr
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


_TRUTH_SCHEMA = [("threat_id", pa.string()), ("t_s", pa.float64()), ("x_m", pa.float64()),
                 ("y_m", pa.float64()), ("z_m", pa.float64()), ("vx_mps", pa.float64()),
                 ("vy_mps", pa.float64()), ("vz_mps", pa.float64()), ("lat_deg", pa.float64()),
                 ("lon_deg", pa.float64()), ("alt_m", pa.float64()), ("speed_mps", pa.float64()),
                 ("mach", pa.float64()), ("phase", pa.string())]


def truth_table(trajs: TrajectorySet, step_s: float, ellipsoid: Ellipsoid,
                killed: np.ndarray | None = None,
                geometries: list[Any] | tuple[Any, ...] | None = None) -> pa.Table:
    """``truth.parquet``: truth sampled at the scenario step from launch, plus each threat's
    last node (its impact point, interpolated to the ground, or its kill point).

    ``killed``: ``(N,)`` bool, threats whose last node is a kill (phase ``killed``).
    ``geometries``: ``(N,)`` vehicle geometries (``hdsim.threats.VehicleGeometry``) for the
    signature columns ``wall_temp_k`` (top surface, 1 m from the nose) and ``ir_swir_w_sr``
    (1.4-3.0 µm radiant intensity toward the local vertical, from straight above; bank from
    the trajectory); None, or a None entry: the geometry of the threat kind's default vehicle.
    """
    from hdsim.scenario.build import DEFAULT_GEOMETRY
    from hdsim.scenario.stage_sensors import bank_at
    from hdsim.sensors.signature import (
        SWIR_WRIGHT_BAND_M,
        signature_w_sr,
        wall_temperature_along_body_k,
    )

    ids, ts, states, phases, walls, swir = [], [], [], [], [], []
    for k, tr in enumerate(trajs):
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
        geom = None if geometries is None else geometries[k]
        if geom is None:
            geom = DEFAULT_GEOMETRY.get(tr.kind, DEFAULT_GEOMETRY["boost_glide"])
        _, _, h = ecef_to_geodetic(st[:, :3], ellipsoid)
        walls.append(wall_temperature_along_body_k(geom, np.linalg.norm(st[:, 3:], axis=1), h))
        bank = bank_at(TrajectorySet([tr]), t)[0]
        swir.append(signature_w_sr(geom, st, st[:, :3], SWIR_WRIGHT_BAND_M, bank_rad=bank,
                                   alt_m=h))
    if not ids:
        schema = _TRUTH_SCHEMA + [("wall_temp_k", pa.float64()), ("ir_swir_w_sr", pa.float64())]
        return pa.table({name: pa.array([], type=typ) for name, typ in schema})
    t = np.concatenate(ts)
    st = np.concatenate(states)
    ph = np.concatenate(phases)
    lat, lon, alt = ecef_to_geodetic(st[:, :3], ellipsoid)
    speed = np.linalg.norm(st[:, 3:], axis=1)
    mach = speed / atmosphere(alt).speed_of_sound_mps
    phase_names = np.array(PHASES, dtype=object)[ph]
    if killed is not None and np.any(killed):
        last = np.cumsum([x.size for x in ts]) - 1
        phase_names[last[np.asarray(killed, bool)]] = "killed"
    return pa.table({
        "threat_id": pa.array(np.concatenate(ids), pa.string()),
        "t_s": t,
        "x_m": st[:, 0], "y_m": st[:, 1], "z_m": st[:, 2],
        "vx_mps": st[:, 3], "vy_mps": st[:, 4], "vz_mps": st[:, 5],
        "lat_deg": np.degrees(lat), "lon_deg": np.degrees(lon), "alt_m": alt,
        "speed_mps": speed, "mach": mach,
        "phase": pa.array(phase_names, pa.string()),
        "wall_temp_k": np.concatenate(walls),
        "ir_swir_w_sr": np.concatenate(swir),
    })


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
        out.append({
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
        })
    return out


TRACKING_KEYS = ("first_detection_s", "first_track_s", "first_confirmed_s",
                 "first_fire_control_s", "custody", "n_tracks", "n_breaks", "n_swaps",
                 "rmse_pos_m", "rmse_vel_mps", "pcrlb_pos_m", "mean_nees")
"""Keys of the tracking scores in each per-threat summary row."""

ENGAGEMENT_KEYS = ("outcome", "kill_t_s", "kill_alt_m", "shots", "nearest_asset_id",
                   "asset_distance_m", "in_asset", "why_not_engaged")
"""Keys of the engagement outcome in each per-threat summary row."""


def check_finite(trajs: TrajectorySet) -> None:
    """Refuse a trajectory with a non-finite state (NaN or infinity): nothing downstream may
    write it as data. Raises ``ValueError`` naming the threat and the first bad time."""
    for tr in trajs:
        bad = ~np.isfinite(tr.states).all(axis=1)
        if bad.any():
            t = float(tr.times[np.argmax(bad)])
            raise ValueError(
                f"threats[{tr.threat_id!r}]: the flight became non-finite at t = {t:.3f} s "
                "(NaN or infinite position or velocity); nothing was written. Check the "
                "vehicle and burnout values of this threat")


def _killed_row(row: dict[str, Any], kill_t_s: float) -> dict[str, Any]:
    """A killed threat's summary row: its flight ends at the kill, it never reaches the
    ground (one vocabulary with ``outcome`` and the truth table)."""
    out = dict(row)
    out["impacted"] = False
    for key in ("impact_lat_deg", "impact_lon_deg", "impact_speed_mps", "impact_error_m"):
        out[key] = None
    out["end_time_s"] = float(kill_t_s)
    out["flight_time_s"] = float(kill_t_s) - float(row["launch_time_s"])
    out["phases"] = [ph for ph in row.get("phases", []) if ph != "impact"] + ["killed"]
    return out


def _merged(rows: list[dict[str, Any]], extra: list[dict[str, Any]],
            keys: tuple[str, ...]) -> list[dict[str, Any]]:
    """``rows`` with ``keys`` of the per-threat rows ``extra`` added (matched by threat id)."""
    by_id = {r["threat_id"]: r for r in extra}
    return [r | {key: by_id.get(r["threat_id"], {}).get(key) for key in keys} for r in rows]


@dataclass
class TrackedRun:
    """The tracker's output labelled and scored (:func:`score_tracks`)."""

    history: TrackHistory
    labels: np.ndarray
    """Threat index of each history row (−1: none), :mod:`hdsim.metrics.labels`."""
    tracks: pa.Table
    """``tracks.parquet``."""
    scores: TrackingScores


def score_tracks(cfg: TrackingSection, history: TrackHistory, detections: Detections,
                 trajs: TrajectorySet, truth: pa.Table) -> TrackedRun:
    """Label the tracker's rows with threats and score them (the run loop's scoring step)."""
    labels = track_truth_labels(history, detections.truth_idx)
    tracks = history.to_arrow(trajs.ids, labels)
    scores = score_tracking(
        history, labels, tracks, detections, trajs, truth,
        fire_control_sigma_m=cfg.fire_control_sigma_m, ospa_cutoff_m=cfg.ospa_cutoff_m,
        metrics_step_s=cfg.metrics_step_s, coast_after_s=cfg.coast_after_s,
        q_ncv_m2ps3=cfg.q_ncv_m2ps3)
    return TrackedRun(history=history, labels=labels, tracks=tracks, scores=scores)


def _no_progress(label: str) -> AbstractContextManager[None]:
    return nullcontext()


@contextmanager
def _stage(name: str, timings: dict[str, float], progress: StageProgress, label: str
           ) -> Iterator[Callable[[float], None] | None]:
    """Time a stage into ``timings[name]`` and report its progress."""
    t0 = time.perf_counter()
    with progress(label) as cb:
        yield cb
        if cb:
            cb(1.0)
    timings[name] = time.perf_counter() - t0


def _propagated_only(sats: pa.Table) -> tuple[pa.Table, list[dict[str, Any]]]:
    """The satellites table without the rows SGP4 could not propagate (NaN positions: decay,
    eccentricity out of range), and one entry per such satellite (layer, id, first failed
    time, failed rows) for ``summary.json``: a satellite that cannot be propagated is named,
    never written as NaN."""
    if sats.num_rows == 0:
        return sats, []
    x = np.asarray(sats["x_m"].to_numpy(zero_copy_only=False), float)
    bad = ~np.isfinite(x)
    if not bad.any():
        return sats, []
    sid = np.asarray(sats["sat_id"].to_pylist(), dtype=object)
    lay = np.asarray(sats["layer_id"].to_pylist(), dtype=object)
    t = np.asarray(sats["t_s"].to_numpy(zero_copy_only=False), float)
    failed = []
    for key in dict.fromkeys(zip(lay[bad], sid[bad], strict=True)):
        m = bad & (lay == key[0]) & (sid == key[1])
        failed.append({"layer_id": key[0], "sat_id": key[1], "first_t_s": float(t[m].min()),
                       "rows": int(m.sum())})
    return sats.filter(pa.array(~bad)), failed


def _weapon_site(w: Any) -> dict[str, Any]:
    """A weapon's site and its largest intercept ground range (its own limit, else its
    fly-out table's), for the maps of ``summary.json``."""
    return {"lat_deg": math.degrees(w.site_lat_rad), "lon_deg": math.degrees(w.site_lon_rad),
            "alt_m": float(w.site_alt_m),
            "max_range_m": float(min(w.max_range_m, w.table_spec.max_range_m))}


def _sites(scenario: Scenario) -> dict[str, Any]:
    """Defended assets, radar sites and the space layers' sensor reach, for the maps and the
    globe (``summary.json``)."""
    out: dict[str, Any] = {}
    if scenario.defended_assets:
        out["defended_assets"] = [
            {"asset_id": a.id, "lat_deg": a.lat_deg, "lon_deg": a.lon_deg,
             "radius_m": a.radius_m} for a in scenario.defended_assets]
    if scenario.sensors.radars:
        out["radars"] = [
            {"radar_id": r.id, "lat_deg": r.site.lat_deg, "lon_deg": r.site.lon_deg,
             "alt_m": r.site.alt_m, "max_range_m": r.max_range_m,
             "min_elevation_deg": r.min_elevation_deg} for r in scenario.sensors.radars]
    if scenario.sensors.space_layers:
        out["space_layers"] = [
            {"layer_id": s.id, "field_of_regard_deg": s.infrared.field_of_regard_deg,
             "max_range_m": s.infrared.max_range_m} for s in scenario.sensors.space_layers]
    return out


def run_scenario(scenario: Scenario, out_dir: str | Path | None = None, quiet: bool = True,
                 progress: StageProgress | None = None) -> RunResult:
    """Run ``scenario`` end to end; write its result folder atomically unless ``out_dir`` is
    ``None`` (then the results stay in memory).

    Stages: threats (always); sensors and tracking (with sensors); engagement (with weapons).
    Tables: ``truth`` always; with sensors ``detections``, ``satellites``, ``tracks``,
    ``metrics``; with weapons ``engagements``; and ``summary.json``.

    Args:
        quiet: no progress bars (ignored when ``progress`` is given).
        progress: progress of each stage (default: rich bars unless ``quiet``).
    """
    if out_dir is not None:
        out_dir = check_out_dir(out_dir)  # before any work: a refused folder costs nothing
    if progress is None:
        if quiet:
            progress = _no_progress
        else:
            from hdsim.viz.console import progress_bar

            progress = progress_bar
    comp = build(scenario)
    timings: dict[str, float] = {}
    with _stage("threats", timings, progress, "Flying threats") as cb:
        trajs = fly_specs(comp.threats, comp, progress=cb)
    check_finite(trajs)
    ell = comp.earth.ellipsoid
    geometries = [getattr(getattr(spec, "vehicle", None), "geometry", None)
                  for spec in comp.threats]
    truth = truth_table(trajs, scenario.step_s, ell, geometries=geometries)
    rows = threat_summary(scenario, trajs, ell)
    tables: dict[str, pa.Table] = {"truth": truth}
    summary: dict[str, Any] = {
        "scenario": scenario.name,
        "epoch": scenario.epoch.isoformat(),
        "seed": scenario.seed,
        "duration_s": scenario.duration_s,
        "threats": rows,
        "timings_s": timings,
    }
    history = labels = None
    if comp.has_sensors:
        with _stage("sensors", timings, progress, "Sensing") as cb:
            sensed = simulate_sensors(comp, trajs, progress=cb)
        det = sensed.detections
        tables["detections"] = det.to_arrow(trajs.ids)
        tables["satellites"], failed = _propagated_only(sensed.satellites)
        if failed:
            summary["satellites_not_propagated"] = failed
        summary["detection"] = detection_summary(det, trajs, sensed.sensor_layers)
        summary["n_detections"] = len(det)
        summary["n_false_alarms"] = int(np.sum(det.truth_idx < 0))
        if len(trajs):
            with _stage("tracking", timings, progress, "Tracking") as cb:
                history = Tracker(comp.tracking).run(det, progress=cb)
            tracked = score_tracks(comp.tracking, history, det, trajs, truth)
            labels = tracked.labels
            tables["tracks"] = tracked.tracks
            scores = tracked.scores
            tables["metrics"] = scores.metrics
            rows = _merged(rows, scores.timeline, TRACKING_KEYS)
            ospa = scores.metrics["ospa_m"].to_numpy()
            summary["tracking"] = {
                "n_tracks": int(np.unique(history.track_id).size),
                "mean_ospa_m": float(np.nanmean(ospa)) if ospa.size else None,
            }
    if comp.weapons and len(trajs):
        with _stage("engagement", timings, progress, "Engaging") as cb:
            engaged = run_engagement(comp, history, labels, trajs, progress=cb)
        tables["engagements"] = engaged.engagements
        tables["engagement_reasons"] = engaged.reasons
        killed = np.isfinite(engaged.kill_t_s)
        if killed.any():
            tables["truth"] = truth_table(truncated_truth(trajs, engaged.kill_t_s),
                                          scenario.step_s, ell, killed=killed,
                                          geometries=geometries)
        rows = [_killed_row(r, engaged.kill_t_s[k]) if killed[k] else r
                for k, r in enumerate(_merged(rows, engaged.threats, ENGAGEMENT_KEYS))]
        summary["weapons"] = [row | _weapon_site(w) for row, w in
                              zip(engaged.weapons, comp.weapons, strict=True)]
        outcomes = [e.get("outcome") for e in engaged.threats]
        summary["engagement"] = {
            "shots": int(engaged.engagements.num_rows),
            "kills": int(killed.sum()),
            "leakers": outcomes.count("leaked"),
            "in_flight": outcomes.count("in_flight"),
            "leakers_in_assets": int(sum(1 for e in engaged.threats
                                         if e.get("outcome") == "leaked" and e.get("in_asset"))),
        }
    summary["threats"] = rows
    summary.update(_sites(scenario))
    path = write_run(out_dir, tables, summary) if out_dir is not None else None
    return RunResult(out_dir=path, trajectories=trajs, tables=tables, summary=summary,
                     timings_s=timings)
