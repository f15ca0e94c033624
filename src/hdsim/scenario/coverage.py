"""``hdsim coverage``: geometric coverage map of a scenario's space layers.

Wires the scenario (``sensors.space_layers``, ``coverage``, ``earth``) into
:func:`hdsim.sensors.coverage.coverage_grid` and writes a result folder (atomically, see
:func:`hdsim.results.write_run`) holding:

* ``coverage.parquet``: one row per grid point, columns ``lat_deg, lon_deg, alt_m,
  fraction_1, fraction_2, max_gap_s, mean_gap_s, best_triangulation_deg, mean_n_sats``
  (definitions in :mod:`hdsim.sensors.coverage`; ``lon_deg`` in (-180, 180]).
* ``summary.json``: the area-weighted (cos latitude) mean of each figure of merit over the grid,
  the minimum ``fraction_1``, the worst ``max_gap_s``, the grid and time settings, and wall times.
* ``coverage.png``: maps over the coastlines of the time with ≥ 1 and ≥ 2 satellites in view
  (%) and of the longest gap (minutes) (:func:`hdsim.viz.plots.coverage_maps`).

All layers are combined: a point is covered when any satellite of any layer sees it, each
satellite with its own layer's field of regard, maximum range and grazing altitude.
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from hdsim.earth import geodetic_to_ecef
from hdsim.results import check_out_dir, write_run
from hdsim.scenario.build import constellation, earth_model
from hdsim.scenario.config import CoverageConfig, Scenario
from hdsim.sensors.coverage import coverage_grid

FIGURES = (
    "fraction_1",
    "fraction_2",
    "max_gap_s",
    "mean_gap_s",
    "best_triangulation_deg",
    "mean_n_sats",
)
"""Per-point figures of merit, in column order after ``lat_deg, lon_deg, alt_m``."""


def coverage_times_s(cov: CoverageConfig) -> tuple[np.ndarray, float]:
    """Sample times ``start_s + k step_s`` covering ``[start_s, end_s)`` and the step, s.

    ``ceil((end - start) / step)`` samples, each standing for ``[t_k, t_k + step)``.
    """
    n = max(1, math.ceil((cov.end_s - cov.start_s) / cov.step_s - 1e-9))
    return cov.start_s + cov.step_s * np.arange(n), cov.step_s


def coverage_grid_deg(cov: CoverageConfig) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes and longitudes (degrees, flattened ``(G,)``, latitude-major) of the grid.

    Every ``grid_deg`` from the south-west corner, edges included when they fall on the grid;
    a full 360° longitude band does not repeat its first meridian. Longitudes are as given
    (they may run past 180 to cross the antimeridian).
    """
    r, step = cov.region, cov.grid_deg
    n_lat = math.floor((r.lat_max_deg - r.lat_min_deg) / step + 1e-9) + 1
    lon_span = r.lon_max_deg - r.lon_min_deg
    n_lon = math.floor(lon_span / step + 1e-9) + 1
    if n_lon > 1 and abs((n_lon - 1) * step - 360.0) < 1e-9:
        n_lon -= 1
    lat = r.lat_min_deg + step * np.arange(n_lat)
    lon = r.lon_min_deg + step * np.arange(n_lon)
    lat_g, lon_g = np.meshgrid(lat, lon, indexing="ij")
    return lat_g.ravel(), lon_g.ravel()


def area_weighted_mean(values: np.ndarray, lat_deg: np.ndarray) -> float:
    """Mean of ``values`` weighted by cos(latitude) (equal-angle grid → area), NaN ignored."""
    w = np.cos(np.radians(lat_deg))
    ok = np.isfinite(values)
    if not np.any(ok) or w[ok].sum() <= 0.0:
        return float("nan")
    return float(np.sum(w[ok] * values[ok]) / np.sum(w[ok]))


def run_coverage(scenario: Scenario, out_dir: str | Path, quiet: bool = False,
                 console: Console | None = None) -> dict[str, Any]:
    """Compute the coverage map of ``scenario`` and write its result folder.

    Args:
        scenario: a validated scenario with at least one space layer.
        out_dir: the result folder (replaced atomically if it is a finished run folder).
        quiet: no progress bar and no printed table.
        console: where to print (default a new rich console).

    Returns:
        The summary written to ``summary.json``.

    Raises:
        ValueError: the scenario has no space layer.
    """
    layers = scenario.sensors.space_layers
    if not layers:
        raise ValueError("sensors.space_layers: coverage needs at least one space layer")
    out_dir = check_out_dir(out_dir)  # before any work
    console = console or Console()
    earth = earth_model(scenario.earth)
    ellipsoid = earth.ellipsoid
    cov_cfg = scenario.coverage
    timings: dict[str, float] = {}

    t0 = time.perf_counter()
    times, step_s = coverage_times_s(cov_cfg)
    positions, half, rmax, graze, layer_rows = [], [], [], [], []
    for layer in layers:
        const = constellation(layer, earth)
        if earth.rotation:
            pos = const.positions_ecef(times, scenario.epoch)
        else:  # non-rotating Earth: ECEF coincides with ECI
            pos, _ = const.states_eci(times, scenario.epoch)
        n = len(const)
        ir = layer.infrared
        positions.append(pos)
        half.append(np.full(n, math.radians(ir.field_of_regard_deg / 2.0)))
        rmax.append(np.full(n, ir.max_range_m))
        graze.append(np.full(n, ir.grazing_altitude_m))
        layer_rows.append({"layer_id": layer.id, "satellites": n})
    sat_pos = np.concatenate(positions, axis=0)
    timings["propagation"] = time.perf_counter() - t0

    lat_deg, lon_deg = coverage_grid_deg(cov_cfg)
    alt_m = np.full(lat_deg.shape, cov_cfg.altitude_m)
    grid = geodetic_to_ecef(np.radians(lat_deg), np.radians(lon_deg), alt_m, ellipsoid)

    t0 = time.perf_counter()
    kwargs: dict[str, Any] = {"grid_alt_m": alt_m, "ellipsoid": ellipsoid, "step_s": step_s}
    args = (sat_pos, times, grid, np.concatenate(half), np.concatenate(rmax),
            np.concatenate(graze))
    if quiet:
        result = coverage_grid(*args, **kwargs)
    else:
        with Progress(TextColumn("{task.description}"), BarColumn(),
                      TextColumn("{task.completed}/{task.total} steps"), TimeElapsedColumn(),
                      console=console, transient=True) as bar:
            task = bar.add_task("Coverage", total=times.size)
            result = coverage_grid(*args, progress=lambda k: bar.advance(task, k), **kwargs)
    timings["coverage"] = time.perf_counter() - t0

    lon_out = (lon_deg + 180.0) % 360.0 - 180.0
    lon_out = np.where(lon_out == -180.0, 180.0, lon_out)
    columns: dict[str, np.ndarray] = {"lat_deg": lat_deg, "lon_deg": lon_out, "alt_m": alt_m}
    columns.update({name: getattr(result, name) for name in FIGURES})
    table = pa.table({k: pa.array(np.asarray(v, dtype=np.float64)) for k, v in columns.items()})

    means = {name: area_weighted_mean(getattr(result, name), lat_deg) for name in FIGURES}
    summary: dict[str, Any] = {
        "scenario": scenario.name,
        "epoch": scenario.epoch.isoformat(),
        "layers": layer_rows,
        "satellites": int(sat_pos.shape[0]),
        "grid_points": int(lat_deg.size),
        "grid_deg": cov_cfg.grid_deg,
        "altitude_m": cov_cfg.altitude_m,
        "start_s": float(times[0]),
        "step_s": step_s,
        "samples": int(times.size),
        "span_s": result.span_s,
        "area_weighted_mean": means,
        "min_fraction_1": float(np.min(result.fraction_1)),
        "worst_max_gap_s": float(np.max(result.max_gap_s)),
        "timings_s": timings,
    }
    title = (f"{scenario.name}: {sat_pos.shape[0]} satellites, grid {cov_cfg.grid_deg:g}° at "
             f"{cov_cfg.altitude_m / 1e3:g} km, {result.span_s / 3600:g} h at {step_s:g} s")
    from hdsim.viz.plots import coverage_maps, png_bytes

    fig = coverage_maps(table, summary)
    fig.suptitle(title)
    png = png_bytes(fig)
    write_run(out_dir, {"coverage": table}, summary, {"coverage.png": png})

    if not quiet:
        t = Table(title=f"Coverage of {scenario.name} (area-weighted over the grid)",
                  header_style="bold")
        t.add_column("figure of merit")
        t.add_column("value", justify="right")
        t.add_row("fraction seen by ≥ 1", f"{means['fraction_1']:.3f}")
        t.add_row("fraction seen by ≥ 2", f"{means['fraction_2']:.3f}")
        t.add_row("min fraction ≥ 1 (worst point)", f"{summary['min_fraction_1']:.3f}")
        t.add_row("mean of max gap, min", f"{means['max_gap_s'] / 60:.1f}")
        t.add_row("worst max gap, min", f"{summary['worst_max_gap_s'] / 60:.1f}")
        t.add_row("mean satellites in view", f"{means['mean_n_sats']:.2f}")
        t.add_row("median best stereo angle, deg", f"{means['best_triangulation_deg']:.1f}")
        t.add_row("grid points × samples × satellites",
                  f"{lat_deg.size} × {times.size} × {sat_pos.shape[0]}")
        t.add_row("wall time, s", f"{timings['propagation'] + timings['coverage']:.1f}")
        console.print(t)
    return summary


__all__ = [
    "FIGURES",
    "area_weighted_mean",
    "coverage_grid_deg",
    "coverage_times_s",
    "run_coverage",
]
