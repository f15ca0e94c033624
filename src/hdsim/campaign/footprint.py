"""Defended footprints: where on the ground a weapon still stops a threat, with its interval.

``run_footprint(scenario, weapon_id=..., threat_id=..., out=...)`` keeps the scenario's sensors,
tracking, fire control and defended assets, keeps only the named threat and weapon, and aims
the threat (same type, vehicle and launch area) at every point of a square grid of half-width
``radius_km`` and spacing ``step_km`` centred on the defended asset (its first one, or the
threat's own target without one).  Each aim point is flown ``runs`` times with the whole chain
(sensors, tracking, fire control, shots, kill draws), each repetition with its own seed.

It is a campaign (:mod:`hdsim.campaign.runner`): the aim points are a two-path ``list`` sweep
of ``threats.<id>.target.lat_deg`` × ``…lon_deg``, so the footprint folder is a campaign
folder too (``runs/``, ``catalog.duckdb``, resume after a crash, any Dask cluster), and
repetition ``r`` of every aim point shares its seed (common random numbers: the difference
between two cells is the geometry, not the luck).  On top it writes:

* ``footprint.parquet``: one row per aim point, ``lat_deg, lon_deg`` (the aim point),
  ``east_km, north_km`` (its offset from the centre), ``runs, kills, pk, pk_lo, pk_hi`` (the
  fraction of runs in which the threat was killed, with its 95 % Wilson interval),
  ``rounds_mean`` (rounds the weapon fired at the threat, mean over runs), ``first_shot_t_s``
  (the earliest launch of a round, mean over the runs that fired; NaN when none did),
  ``leak_in_asset`` (fraction of runs in which the threat impacted inside a defended asset);
* ``envelope.parquet``: every round fired, with the intercept point's altitude and ground range
  from the weapon and whether its aim point's Pk is at least 0.5 (the engagement envelope);
* ``footprint.png`` (a map of Pk with coastlines, the asset and the weapon) and
  ``envelope.png`` (intercept altitude against ground range).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from hdsim.campaign.plan import check_vary
from hdsim.campaign.runner import CampaignInput, atomic_write_bytes, run_campaign
from hdsim.campaign.summary import arrow_of, wilson_interval
from hdsim.earth import WGS84
from hdsim.results import to_jsonable
from hdsim.scenario.loading import ScenarioError, read_scenario_data, scenario_from_dict

__all__ = ["FOOTPRINT_FILE", "ENVELOPE_FILE", "footprint_input", "grid_offsets_km",
           "run_footprint"]

FOOTPRINT_FILE = "footprint.parquet"
ENVELOPE_FILE = "envelope.parquet"
MAX_CELLS = 2_601
"""Most aim points of one footprint (a 51 × 51 grid)."""


def grid_offsets_km(radius_km: float, step_km: float) -> np.ndarray:
    """Offsets ``-K·step … K·step`` (km) of a square grid of half-width ``radius_km``
    (``K = floor(radius / step)``), symmetric about 0 by construction."""
    k = int(math.floor(radius_km / step_km + 1e-9))
    return np.arange(-k, k + 1, dtype=float) * step_km


def _degrees_per_km(lat_deg: float) -> tuple[float, float]:
    """Degrees of latitude and of longitude per km at ``lat_deg`` on the WGS-84 ellipsoid
    (meridian and prime-vertical radii of curvature)."""
    a, e2 = WGS84.a_m, WGS84.e2
    s = math.sin(math.radians(lat_deg))
    w = math.sqrt(1.0 - e2 * s * s)
    m = a * (1.0 - e2) / w**3            # meridian radius, m
    n = a / w                            # prime-vertical radius, m
    return (math.degrees(1_000.0 / m),
            math.degrees(1_000.0 / (n * max(math.cos(math.radians(lat_deg)), 1e-9))))


def _by_id(items: Any, wanted: str, field: str, source: str) -> dict[str, Any]:
    if not isinstance(items, list):
        raise ScenarioError(source, [f"{field}: the scenario has none; --{field[:-1]} "
                                     f"{wanted!r} cannot be found"])
    ids = [it.get("id") for it in items if isinstance(it, Mapping)]
    for it in items:
        if isinstance(it, Mapping) and it.get("id") == wanted:
            return dict(it)
    raise ScenarioError(source, [f"--{field[:-1]} {wanted!r}: not among the scenario's "
                                 f"{field} ({', '.join(map(str, ids)) or 'none'})"])


def footprint_input(
    source: str | Path | Mapping[str, Any],
    *,
    weapon_id: str,
    threat_id: str,
    radius_km: float = 100.0,
    step_km: float = 25.0,
    runs: int = 10,
    overrides: Mapping[str, Any] | None = None,
) -> tuple[CampaignInput, dict[str, Any]]:
    """The footprint's campaign (checked, nothing run) and its description (centre, grid).

    Raises:
        ScenarioError: an unknown weapon or threat, a threat without a target, a grid out of
            bounds, or anything the scenario's own validation refuses.
    """
    from hdsim.scenario.overrides import apply_overrides

    if isinstance(source, Mapping):
        data, name, base_dir = dict(source), "<footprint>", None
    else:
        path = Path(source).expanduser()
        data, _ = read_scenario_data(path)
        name, base_dir = str(path), path.resolve().parent
    if not isinstance(data, Mapping):
        raise ScenarioError(name, ["the file must be a mapping of fields"])
    data = dict(data)
    if overrides:
        data = apply_overrides(data, overrides, source=name)
    problems = []
    if not (math.isfinite(radius_km) and radius_km > 0.0):
        problems.append(f"--radius-km = {radius_km!r}: must be > 0")
    if not (math.isfinite(step_km) and step_km > 0.0):
        problems.append(f"--step-km = {step_km!r}: must be > 0")
    elif math.isfinite(radius_km) and radius_km > 0.0:
        n = len(grid_offsets_km(radius_km, step_km)) ** 2
        if n > MAX_CELLS:
            problems.append(f"--radius-km {radius_km:g} / --step-km {step_km:g} = {n} aim "
                            f"points: at most {MAX_CELLS} (a larger step, or a smaller radius)")
    if not (isinstance(runs, int) and runs >= 1):
        problems.append(f"--runs = {runs!r}: must be an integer >= 1")
    if problems:
        raise ScenarioError(name, problems)
    base = scenario_from_dict(data, base_dir=base_dir, source=name)   # the scenario as given
    threat = _by_id(data.get("threats"), threat_id, "threats", name)
    weapon = _by_id(data.get("weapons"), weapon_id, "weapons", name)
    target = threat.get("target")
    if not isinstance(target, Mapping):
        raise ScenarioError(name, [f"threats.{threat_id}: has no target to move (a footprint "
                                   "aims the threat at a grid of ground points)"])
    if base.defended_assets:
        asset = base.defended_assets[0]
        centre = {"lat_deg": asset.lat_deg, "lon_deg": asset.lon_deg, "asset_id": asset.id,
                  "radius_m": asset.radius_m}
    else:
        centre = {"lat_deg": float(target["lat_deg"]), "lon_deg": float(target["lon_deg"]),
                  "asset_id": None, "radius_m": 0.0}
    offsets = grid_offsets_km(radius_km, step_km)
    dlat, dlon = _degrees_per_km(centre["lat_deg"])
    lats = [round(centre["lat_deg"] + o * dlat, 9) for o in offsets]
    lons = [round(centre["lon_deg"] + o * dlon, 9) for o in offsets]
    if max(abs(v) for v in lats) > 90.0:
        raise ScenarioError(name, [f"--radius-km {radius_km:g}: the grid around latitude "
                                   f"{centre['lat_deg']:g} passes a pole"])
    data["threats"] = [threat]
    data["weapons"] = [weapon]
    data.pop("campaign", None)
    lat_path = f"threats.{threat_id}.target.lat_deg"
    lon_path = f"threats.{threat_id}.target.lon_deg"
    data["campaign"] = {"runs": int(runs), "vary": {lat_path: {"list": lats},
                                                     lon_path: {"list": lons}}}
    scenario = scenario_from_dict(data, base_dir=base_dir, source=name)
    assert scenario.campaign is not None
    check_vary(data, scenario.campaign, source=name, base_dir=base_dir)
    info = {"weapon_id": weapon_id, "threat_id": threat_id, "threat_type": threat.get("type"),
            "centre": centre, "radius_km": float(radius_km), "step_km": float(step_km),
            "offsets_km": offsets.tolist(), "runs": int(runs), "lat_path": lat_path,
            "lon_path": lon_path}
    return CampaignInput(data, scenario.campaign, scenario.seed, name, base_dir), info


def _cells(con: Any, info: Mapping[str, Any]) -> pa.Table:
    lat_p, lon_p, wid = info["lat_path"], info["lon_path"], info["weapon_id"]
    q = f"""
        WITH r AS (SELECT run_id, grid_point, "{lat_p}" AS lat_deg, "{lon_p}" AS lon_deg
                   FROM runs WHERE status = 'ok'),
             t AS (SELECT run_id, outcome, in_asset FROM threat_outcomes),
             s AS (SELECT run_id, count(*) AS rounds, min(launch_t_s) AS first_shot
                   FROM engagements WHERE weapon_id = '{wid}' GROUP BY run_id)
        SELECT r.grid_point, any_value(r.lat_deg) AS lat_deg, any_value(r.lon_deg) AS lon_deg,
               count(*) AS runs,
               count(*) FILTER (WHERE t.outcome = 'killed') AS kills,
               avg(coalesce(s.rounds, 0)) AS rounds_mean,
               avg(s.first_shot) AS first_shot_t_s,
               avg(CASE WHEN t.outcome = 'leaked' AND t.in_asset THEN 1.0 ELSE 0.0 END)
                   AS leak_in_asset
        FROM r JOIN t USING (run_id) LEFT JOIN s USING (run_id)
        GROUP BY r.grid_point ORDER BY r.grid_point"""
    return arrow_of(con, q)


def _envelope(con: Any, info: Mapping[str, Any], pk_by_gp: Mapping[int, float]) -> pa.Table:
    from hdsim.earth import geodetic_to_ecef

    wid = info["weapon_id"]
    has = arrow_of(con, "SELECT count(*) AS n FROM information_schema.columns WHERE "
                        "table_name = 'engagements' AND column_name = 'pip_alt_m'")
    if not has["n"][0].as_py():
        return pa.table({"run_id": pa.array([], pa.string())})
    t = arrow_of(con, f"""
        SELECT e.run_id, r.grid_point, e.shot_id, e.launch_t_s, e.intercept_t_s, e.miss_m,
               e.outcome, e.pip_lat_deg, e.pip_lon_deg, e.pip_alt_m
        FROM engagements e JOIN runs r USING (run_id)
        WHERE e.weapon_id = '{wid}' ORDER BY r.grid_point, e.run_id, e.shot_id""")
    site = info["weapon_site"]
    lat = np.radians(np.asarray(t["pip_lat_deg"].to_numpy(zero_copy_only=False), float))
    lon = np.radians(np.asarray(t["pip_lon_deg"].to_numpy(zero_copy_only=False), float))
    p = geodetic_to_ecef(lat, lon, np.zeros_like(lat), WGS84)
    s = geodetic_to_ecef(math.radians(site["lat_deg"]), math.radians(site["lon_deg"]), 0.0,
                         WGS84)
    with np.errstate(invalid="ignore"):
        u = p / np.linalg.norm(p, axis=-1, keepdims=True)
        v = s / np.linalg.norm(s)
        ground = WGS84.a_m * np.arctan2(np.linalg.norm(np.cross(u, v), axis=-1), u @ v)
    gp = np.asarray(t["grid_point"].to_numpy(zero_copy_only=False))
    cell_pk = np.array([pk_by_gp.get(int(g), np.nan) for g in gp], float)
    return t.append_column("ground_range_m", pa.array(ground)) \
            .append_column("cell_pk", pa.array(cell_pk)) \
            .append_column("in_envelope", pa.array(cell_pk >= 0.5))


def _parquet_bytes(table: pa.Table) -> bytes:
    buf = pa.BufferOutputStream()
    pq.write_table(table, buf)
    return buf.getvalue().to_pybytes()


def run_footprint(
    source: str | Path | Mapping[str, Any],
    out: str | Path,
    *,
    weapon_id: str,
    threat_id: str,
    radius_km: float = 100.0,
    step_km: float = 25.0,
    runs: int = 10,
    workers: int | None = None,
    scheduler: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    plots: bool = True,
) -> tuple[pa.Table, dict[str, Any]]:
    """Run (or resume) a defended footprint into ``out`` (see the module doc).

    Returns:
        The ``footprint.parquet`` table and the footprint's description (centre, grid, the
        weapon's site, totals).
    """
    inp, info = footprint_input(source, weapon_id=weapon_id, threat_id=threat_id,
                                radius_km=radius_km, step_km=step_km, runs=runs,
                                overrides=overrides)
    w = inp.data["weapons"][0]
    info["weapon_site"] = {"lat_deg": float(w["site"]["lat_deg"]),
                           "lon_deg": float(w["site"]["lon_deg"])}
    info["weapon_type"] = w.get("type")
    info["launch"] = {k: float(inp.data["threats"][0]["launch"][k])
                      for k in ("lat_deg", "lon_deg")}
    camp = run_campaign(inp, out, workers=workers, scheduler=scheduler, progress=progress)
    with camp.connect() as con:
        cells = _cells(con, info)
        k = np.asarray(cells["kills"].to_numpy(zero_copy_only=False), float)
        n = np.asarray(cells["runs"].to_numpy(zero_copy_only=False), float)
        with np.errstate(invalid="ignore", divide="ignore"):
            pk = np.where(n > 0, k / n, np.nan)
        lo, hi = wilson_interval(k, n)
        lat = np.asarray(cells["lat_deg"].to_numpy(zero_copy_only=False), float)
        lon = np.asarray(cells["lon_deg"].to_numpy(zero_copy_only=False), float)
        dlat, dlon = _degrees_per_km(info["centre"]["lat_deg"])
        table = pa.table({
            "grid_point": cells["grid_point"],
            "lat_deg": pa.array(lat), "lon_deg": pa.array(lon),
            "east_km": pa.array(np.round((lon - info["centre"]["lon_deg"]) / dlon, 6)),
            "north_km": pa.array(np.round((lat - info["centre"]["lat_deg"]) / dlat, 6)),
            "runs": cells["runs"], "kills": cells["kills"],
            "pk": pa.array(pk), "pk_lo": pa.array(lo), "pk_hi": pa.array(hi),
            "rounds_mean": cells["rounds_mean"], "first_shot_t_s": cells["first_shot_t_s"],
            "leak_in_asset": cells["leak_in_asset"],
        })
        gps = table["grid_point"].to_pylist()
        envelope = _envelope(con, info, dict(zip(gps, pk.tolist(), strict=True)))
    out_dir = Path(out).expanduser().absolute()
    atomic_write_bytes(out_dir / FOOTPRINT_FILE, _parquet_bytes(table))
    atomic_write_bytes(out_dir / ENVELOPE_FILE, _parquet_bytes(envelope))
    info["cells"] = table.num_rows
    info["runs_total"] = int(n.sum())
    info["pk_mean"] = float(np.nanmean(pk)) if len(pk) else float("nan")
    info["cells_pk_ge_half"] = int(np.sum(pk >= 0.5))
    atomic_write_bytes(out_dir / "footprint.json",
                       (json.dumps(to_jsonable(info), indent=2) + "\n").encode("utf-8"))
    if plots:
        from hdsim.viz.footprint import envelope_figure, footprint_figure
        from hdsim.viz.plots import png_bytes

        atomic_write_bytes(out_dir / "footprint.png", png_bytes(footprint_figure(table, info)))
        atomic_write_bytes(out_dir / "envelope.png", png_bytes(envelope_figure(envelope, info)))
    return table, info
