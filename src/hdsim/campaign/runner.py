"""Monte Carlo campaigns and sweeps of a scenario, on a Dask cluster (local by default).

``run_campaign(source, out)`` plans the draws (:mod:`hdsim.campaign.plan`), checks every draw's
scenario, then runs the draws that are not finished yet on Dask workers: a ``LocalCluster`` of
``workers`` processes on this machine by default, or the cluster at ``scheduler``
(``tcp://host:8786``) unchanged. Workers run draws in memory and send back the small per-draw
tables; **only the main process writes**:

* ``DIR/campaign.json``: the plan's identity (scenario data, campaign section, number of draws);
  a rerun with another plan is refused rather than mixed in;
* ``DIR/runs/<run_id>/``: one result folder per finished draw (``threats.parquet``,
  ``engagements.parquet``, ``summary.json``, ``_SUCCESS``), written atomically as the draw comes
  back, so a crash loses only the draws in flight; a draw that raised is recorded there too
  (status ``failed``, the error) and the campaign goes on;
* ``DIR/catalog.duckdb``: tables ``runs``, ``threat_outcomes``, ``engagements`` and the summary
  tables, rebuilt from ``runs/`` at the end (written to a temporary file, then renamed);
* ``DIR/summary.json`` and ``DIR/summary_<name>.parquet``, and for a one-parameter sweep
  ``DIR/sweep.png``.

Rerunning the same command skips the finished draws (failed ones included: the same seed fails
the same way). Each draw's tables depend only on its seed and values, so they are identical bit
for bit whatever the number of workers, the order of completion, or a resume.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from hdsim.campaign.executor import run_tasks
from hdsim.campaign.plan import Draw, check_vary, draw_scenario, plan_draws
from hdsim.campaign.summary import arrow_of, summarize
from hdsim.results import (
    clean_all_leftovers,
    is_finished_run,
    read_summary,
    to_jsonable,
    write_run,
)
from hdsim.results.folder import apply_umask
from hdsim.scenario.config import CampaignSection
from hdsim.scenario.loading import ScenarioError, read_scenario_data, scenario_from_dict
from hdsim.scenario.overrides import apply_overrides

__all__ = ["THREAT_SCHEMA", "Campaign", "atomic_write_bytes", "load_campaign", "open_campaign",
           "run_campaign"]

PLAN_FILE = "campaign.json"
CATALOG_FILE = "catalog.duckdb"

THREAT_SCHEMA = pa.schema([
    ("run_id", pa.string()), ("grid_point", pa.int64()), ("draw", pa.int64()),
    ("threat_id", pa.string()), ("type", pa.string()), ("impacted", pa.bool_()),
    ("outcome", pa.string()), ("shots", pa.int64()), ("kill_t_s", pa.float64()),
    ("kill_alt_m", pa.float64()), ("in_asset", pa.bool_()),
    ("first_detection_s", pa.float64()), ("first_track_s", pa.float64()),
    ("first_fire_control_s", pa.float64()), ("custody", pa.float64()),
    ("n_tracks", pa.int64()), ("rmse_pos_m", pa.float64()), ("rmse_vel_mps", pa.float64()),
    ("flight_time_s", pa.float64()), ("max_speed_mps", pa.float64()),
])
"""Columns of ``threat_outcomes`` (one row per run and threat; null where a run has no such
stage, e.g. ``outcome`` without weapons)."""


# ---------------------------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CampaignInput:
    """A campaign ready to run: the scenario data with its ``campaign`` section, validated."""

    data: dict[str, Any]
    section: CampaignSection
    scenario_seed: int
    source: str
    base_dir: Path | None


def load_campaign(source: str | Path | Mapping[str, Any], *,
                  overrides: Mapping[str, Any] | None = None,
                  runs: int | None = None) -> CampaignInput:
    """Read a campaign: a scenario with a ``campaign:`` section, or a campaign file
    (``scenario: path`` plus the section's fields), as a path or a mapping.

    ``overrides`` (``--set``) apply to the scenario before validation; ``runs`` replaces the
    section's. Raises :class:`~hdsim.scenario.ScenarioError` naming every problem.
    """
    if isinstance(source, Mapping):
        data, name, base_dir = dict(source), "<campaign>", None
    else:
        path = Path(source).expanduser()
        data, _ = read_scenario_data(path)
        name, base_dir = str(path), path.resolve().parent
    if not isinstance(data, Mapping):
        raise ScenarioError(name, ["the file must be a mapping of fields"])
    data = dict(data)
    if "scenario" in data and "name" not in data:           # a campaign file
        ref = data.pop("scenario")
        if not isinstance(ref, str):
            raise ScenarioError(name, [f"scenario = {ref!r}: must be the path of a scenario "
                                       "file"])
        spath = Path(ref).expanduser()
        if not spath.is_absolute():
            spath = (base_dir or Path.cwd()) / spath
        sdata, _ = read_scenario_data(spath)
        sdata = dict(sdata)
        sdata["campaign"] = dict(sdata.get("campaign") or {}) | data
        data, base_dir = sdata, spath.resolve().parent
    if runs is not None:
        data["campaign"] = dict(data.get("campaign") or {}) | {"runs": int(runs)}
    if overrides:
        data = apply_overrides(data, overrides, source=name)
    scenario = scenario_from_dict(data, base_dir=base_dir, source=name)
    if scenario.campaign is None:
        raise ScenarioError(name, ["campaign: missing (give a `campaign:` section with `runs` "
                                   "and `vary`, or --runs)"])
    check_vary(data, scenario.campaign, source=name, base_dir=base_dir)
    return CampaignInput(data, scenario.campaign, scenario.seed, name, base_dir)


# ---------------------------------------------------------------------------------------------
# One batch of draws (runs on a worker)
# ---------------------------------------------------------------------------------------------


def _threat_rows(draw: Draw, rows: Sequence[Mapping[str, Any]]) -> pa.Table:
    cols = {f.name: [] for f in THREAT_SCHEMA}
    for r in rows:
        full = dict(r) | {"run_id": draw.run_id, "grid_point": draw.grid_point,
                          "draw": draw.draw}
        for name in cols:
            cols[name].append(full.get(name))
    return pa.table(cols, schema=THREAT_SCHEMA)


def run_draws(data: Mapping[str, Any], draws: Sequence[Draw], source: str,
              base_dir: str | None) -> list[tuple[Draw, dict[str, pa.Table], dict[str, Any]]]:
    """Run draws in this process, in memory: per draw its tables and summary (a draw that
    raises gives an empty table set and a summary with ``status: failed`` and the error)."""
    from hdsim.scenario.run import run_scenario

    out = []
    for d in draws:
        t0 = time.perf_counter()
        head = {"run_id": d.run_id, "grid_point": d.grid_point, "draw": d.draw,
                "seed": d.seed, "values": d.values}
        try:
            sc = draw_scenario(data, d, source=source,
                               base_dir=Path(base_dir) if base_dir else None)
            res = run_scenario(sc, None, quiet=True)
        except Exception as exc:  # noqa: BLE001 - an isolated failure is recorded, not raised
            out.append((d, {}, head | {
                "status": "failed", "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(limit=8),
                "wall_s": time.perf_counter() - t0}))
            continue
        tables = {"threats": _threat_rows(d, res.summary["threats"])}
        if "engagements" in res.tables:
            eng = res.tables["engagements"]
            tables["engagements"] = eng.add_column(
                0, "run_id", pa.array([d.run_id] * eng.num_rows, pa.string()))
        keep = ("engagement", "weapons", "tracking", "n_detections", "timings_s")
        out.append((d, tables, head | {"status": "ok", "wall_s": time.perf_counter() - t0}
                    | {k: res.summary[k] for k in keep if k in res.summary}))
    return out


# ---------------------------------------------------------------------------------------------
# The campaign folder
# ---------------------------------------------------------------------------------------------


def _plan_record(inp: CampaignInput, n_draws: int) -> dict[str, Any]:
    data = dict(inp.data)
    data["campaign"] = {k: v for k, v in dict(data["campaign"]).items()
                        if k not in ("runs", "workers", "batch")}
    return to_jsonable({"format": 1, "scenario": data, "runs": inp.section.runs,
                        "n_draws": n_draws, "section": inp.section.model_dump(mode="json")})


def _prepare_folder(out: Path, record: dict[str, Any]) -> None:
    """Create the campaign folder, or check that an existing one holds the same campaign.

    The number of runs may change between calls (draw ``r`` is the same whatever the number of
    runs, so a larger ``--runs`` extends a campaign); anything else is refused."""
    plan = out / PLAN_FILE
    text = (json.dumps(record, indent=2) + "\n").encode("utf-8")
    if out.exists():
        if not out.is_dir():
            raise ValueError(f"out = {str(out)!r}: exists and is not a folder")
        if plan.is_file():
            old = json.loads(plan.read_text(encoding="utf-8"))
            if old.get("scenario") != json.loads(json.dumps(record["scenario"])):
                raise ValueError(
                    f"out = {str(out)!r}: holds a campaign of another scenario or campaign "
                    "section; resuming into it would mix two campaigns (use another --out)")
            atomic_write_bytes(plan, text)
            return
        if any(out.iterdir()):
            raise ValueError(f"out = {str(out)!r}: exists, is not empty and is not an hdsim "
                             "campaign folder (no campaign.json); refusing to write into it")
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(plan, text)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (a flushed temporary file beside it, renamed over
    it), with the umask's permissions."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        apply_umask(Path(tmp), 0o666)  # mkstemp makes 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _finished(runs_dir: Path) -> set[str]:
    """Draws whose folder is a finished run (its ``_SUCCESS`` manifest matches its files); a
    damaged folder is not finished: the draw runs again and replaces it."""
    if not runs_dir.is_dir():
        return set()
    return {p.name for p in runs_dir.iterdir()
            if not p.name.startswith(".") and is_finished_run(p)}


def _clean_stale_temporaries(runs_dir: Path) -> None:
    """Clean up after draw folders whose write was killed: the results writer's leftovers
    (a finished draw that was being replaced is put back), then any other hidden
    ``.g*.tmp-*`` / ``.g*.old-*`` folder (``runs/`` holds only this module's folders)."""
    if runs_dir.is_dir():
        clean_all_leftovers(runs_dir)
        for p in runs_dir.iterdir():
            if p.name.startswith(".g") and (".tmp-" in p.name or ".old-" in p.name):
                shutil.rmtree(p, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Catalog
# ---------------------------------------------------------------------------------------------


def _runs_table(summaries: list[dict[str, Any]], vary_paths: Sequence[str]) -> pa.Table:
    cols: dict[str, list] = {k: [] for k in (
        "run_id", "grid_point", "draw", "seed", "status", "error", "wall_s", "shots", "kills",
        "leakers", "n_detections", "n_tracks")}
    stage_names = sorted({k for s in summaries for k in (s.get("timings_s") or {})})
    for k in stage_names:
        cols[f"{k}_s"] = []
    for p in vary_paths:
        cols[p] = []
    for s in summaries:
        eng, trk, tim = s.get("engagement") or {}, s.get("tracking") or {}, s.get("timings_s") or {}
        for k in ("run_id", "grid_point", "draw", "seed", "status", "error", "wall_s",
                  "n_detections"):
            cols[k].append(s.get(k))
        cols["shots"].append(eng.get("shots"))
        cols["kills"].append(eng.get("kills"))
        cols["leakers"].append(eng.get("leakers"))
        cols["n_tracks"].append(trk.get("n_tracks"))
        for k in stage_names:
            cols[f"{k}_s"].append(tim.get(k))
        for p in vary_paths:
            cols[p].append((s.get("values") or {}).get(p))
    types = {"run_id": pa.string(), "status": pa.string(), "error": pa.string(),
             "seed": pa.uint64()}
    arrays = {}
    for k, v in cols.items():
        try:
            arrays[k] = pa.array(v, type=types.get(k))
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arrays[k] = pa.array([None if x is None else json.dumps(x) for x in v], pa.string())
    return pa.table(arrays)


def _concat(paths: list[Path], schema: pa.Schema | None = None) -> pa.Table | None:
    tables = [pq.read_table(p) for p in paths]
    if not tables:
        return pa.table({f.name: pa.array([], f.type) for f in schema}) if schema else None
    return pa.concat_tables(tables, promote_options="permissive")


def build_catalog(out: Path, vary_paths: Sequence[str], sweep_paths: Sequence[str]
                  ) -> tuple[dict[str, pa.Table], pa.Table]:
    """Rebuild ``catalog.duckdb`` and the summary Parquet files from ``runs/`` (main process
    only); the summary tables and the ``threat_outcomes`` table."""
    runs_dir = out / "runs"
    ids = sorted(_finished(runs_dir))
    summaries = [read_summary(runs_dir / i) for i in ids]
    tables = {
        "runs": _runs_table(summaries, vary_paths),
        "threat_outcomes": _concat([runs_dir / i / "threats.parquet" for i in ids
                                    if (runs_dir / i / "threats.parquet").is_file()],
                                   THREAT_SCHEMA),
    }
    eng = _concat([runs_dir / i / "engagements.parquet" for i in ids
                   if (runs_dir / i / "engagements.parquet").is_file()])
    if eng is not None:
        tables["engagements"] = eng
    fd, tmp = tempfile.mkstemp(prefix=".catalog.", suffix=".duckdb", dir=out)
    os.close(fd)
    os.unlink(tmp)  # DuckDB creates the file itself
    try:
        con = duckdb.connect(tmp)
        for name, t in tables.items():
            con.register(f"_{name}", t)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM _{name}")
        if "engagements" not in tables:
            con.execute("CREATE TABLE engagements (run_id VARCHAR, weapon_id VARCHAR, "
                        "outcome VARCHAR)")
        summary = summarize(con, sweep_paths)
        for name, t in summary.items():
            con.register(f"_s_{name}", t)
            con.execute(f"CREATE TABLE summary_{name} AS SELECT * FROM _s_{name}")
        con.close()
        apply_umask(Path(tmp), 0o666)
        os.replace(tmp, out / CATALOG_FILE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    for name, t in summary.items():
        buf = pa.BufferOutputStream()
        pq.write_table(t, buf)
        atomic_write_bytes(out / f"summary_{name}.parquet", buf.getvalue().to_pybytes())
    return summary, tables["threat_outcomes"]


# ---------------------------------------------------------------------------------------------
# Handle
# ---------------------------------------------------------------------------------------------


@dataclass
class Campaign:
    """A campaign folder: its summary tables and a DuckDB connection to its catalog."""

    out_dir: Path
    summary: dict[str, pa.Table]
    info: dict[str, Any] = field(default_factory=dict)

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A read-only DuckDB connection to ``catalog.duckdb``."""
        return duckdb.connect(str(self.out_dir / CATALOG_FILE), read_only=True)

    def sql(self, query: str) -> pa.Table:
        """Run a query on the catalog; an Arrow table."""
        with self.connect() as con:
            return arrow_of(con, query)

    def __repr__(self) -> str:
        g = self.summary.get("grid")
        ok = sum(g["runs_ok"].to_pylist()) if g is not None else 0
        bad = sum(g["runs_failed"].to_pylist()) if g is not None else 0
        return (f"<hdsim Campaign {self.out_dir.name}: {g.num_rows if g is not None else 0} "
                f"grid point(s), {ok} runs ok, {bad} failed>")


def open_campaign(out_dir: str | Path) -> Campaign:
    """The campaign in ``out_dir`` (its summary rebuilt from the finished draws)."""
    out = Path(out_dir).expanduser().absolute()
    plan = out / PLAN_FILE
    if not plan.is_file():
        raise ValueError(f"{out}: not an hdsim campaign folder (no {PLAN_FILE})")
    record = json.loads(plan.read_text(encoding="utf-8"))
    section = CampaignSection(**record["section"])
    vary = sorted(section.vary)
    sweeps = sorted(p for p, v in section.vary.items() if v.kind == "list")
    summary, outcomes = build_catalog(out, vary, sweeps)
    info = {"n_draws": record["n_draws"], "vary": vary, "sweeps": sweeps}
    _write_summary_files(out, summary, info, outcomes)
    return Campaign(out, summary, info)


def _write_summary_files(out: Path, summary: dict[str, pa.Table], info: dict[str, Any],
                         outcomes: pa.Table) -> None:
    doc = {"n_draws": info["n_draws"], "vary": info["vary"], "sweeps": info["sweeps"],
           **{k: t.to_pylist() for k, t in summary.items()}}
    atomic_write_bytes(out / "summary.json",
                  (json.dumps(to_jsonable(doc), indent=2, allow_nan=False) + "\n").encode())
    from hdsim.viz.plots import campaign_distributions, campaign_sweep, png_bytes

    if len(info["sweeps"]) == 1 and summary["grid"].num_rows > 1:
        atomic_write_bytes(out / "sweep.png", png_bytes(campaign_sweep(summary, info["sweeps"][0])))
    fig = campaign_distributions(outcomes)
    if fig is not None:
        atomic_write_bytes(out / "distributions.png", png_bytes(fig))


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------


def _batches(draws: list[Draw], size: int) -> list[list[Draw]]:
    return [draws[i:i + size] for i in range(0, len(draws), size)]


def run_campaign(
    source: str | Path | Mapping[str, Any] | CampaignInput,
    out: str | Path,
    *,
    runs: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    overrides: Mapping[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None,
    client: Any = None,
) -> Campaign:
    """Run (or resume) a campaign into the folder ``out`` (see the module doc).

    Args:
        source: the campaign (path, mapping, or :func:`load_campaign`'s result).
        out: the campaign folder.
        runs: draws per grid point (replaces the section's).
        workers: worker processes of the local cluster (default: the section's, else the
            CPUs); ``0`` runs the draws in this process without Dask (debugging).
        scheduler: address of an existing Dask scheduler (``tcp://host:8786``); the workers
            need hdsim installed, not the campaign folder (results come back to this process).
        overrides: ``--set`` dotted paths applied to the scenario.
        progress: called with (draws done, draws to run) as draws finish.
        client: an existing ``distributed.Client`` to run on (instead of ``workers`` and
            ``scheduler``); left open.
    """
    inp = (source if isinstance(source, CampaignInput)
           else load_campaign(source, overrides=overrides, runs=runs))
    draws = plan_draws(inp.section, inp.scenario_seed)
    for d in draws:                       # every draw's scenario is valid before any runs
        draw_scenario(inp.data, d, source=f"{inp.source} (run {d.run_id})",
                      base_dir=inp.base_dir)
    out_dir = Path(out).expanduser().absolute()
    _prepare_folder(out_dir, _plan_record(inp, len(draws)))
    runs_dir = out_dir / "runs"
    runs_dir.mkdir(exist_ok=True)
    _clean_stale_temporaries(runs_dir)
    done = _finished(runs_dir)
    pending = [d for d in draws if d.run_id not in done]
    base = str(inp.base_dir) if inp.base_dir else None
    n_done = 0
    if progress:
        progress(0, len(pending))

    def _store(results) -> None:
        nonlocal n_done
        for d, tables, summary in results:
            write_run(runs_dir / d.run_id, tables, summary)
            n_done += 1
        if progress:
            progress(n_done, len(pending))

    if pending:
        k = workers if workers is not None else (inp.section.workers or os.cpu_count() or 1)
        run_tasks(run_draws, [(b, inp.source, base) for b in _batches(pending, inp.section.batch)],
                  lambda _i, results: _store(results), workers=k, scheduler=scheduler,
                  client=client, shared=(inp.data,))
    return open_campaign(out_dir)
