"""The terminal side of a run: progress bars while it runs, tables when it is done.

Only the command line and the public API's ``progress=True`` use this module; the run loop
never prints (it takes a progress callback).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

__all__ = ["print_engagement", "print_run", "print_sensors", "print_threats", "print_tracking",
           "print_campaign", "headline", "progress_bar"]


@contextmanager
def progress_bar(label: str) -> Iterator[Callable[[float], None]]:
    """A rich progress bar for one stage, on stderr (so piped output stays clean; nothing is
    drawn when stderr is not a terminal); yields a callback taking the fraction done."""
    err = Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(),
                  TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                  TextColumn("ETA"), TimeRemainingColumn(), transient=True, console=err,
                  disable=not err.is_terminal) as bar:
        task = bar.add_task(label, total=1.0)
        yield lambda frac: bar.update(task, completed=frac)


def headline(summary: dict[str, Any]) -> list[str]:
    """The run's outcome in a few lines: kills, leakers (inside defended assets), rounds per
    weapon, and per threat the first detection and first fire-control-quality track."""
    rows = summary.get("threats", [])
    n = len(rows)
    lines = []
    eng = summary.get("engagement")
    if eng is not None:
        flying = eng.get("in_flight", 0)
        lines.append(f"{summary.get('scenario')}: {eng['kills']} of {n} threat"
                     f"{'' if n == 1 else 's'} killed, {eng['leakers']} leaked "
                     f"({eng.get('leakers_in_assets', 0)} inside defended assets), "
                     + (f"{flying} still in flight, " if flying else "")
                     + f"{eng['shots']} round{'' if eng['shots'] == 1 else 's'} fired")
        for w in summary.get("weapons", []):
            lines.append(f"  {w['weapon_id']} ({w['kind']}): {w['shots']} fired, "
                         f"{w['kills']} killed, {w['rounds_left']} left")
    else:
        impacted = sum(1 for r in rows if r.get("impacted"))
        lines.append(f"{summary.get('scenario')}: {n} threat{'' if n == 1 else 's'} flown, "
                     f"{impacted} reached the ground (no weapons)")
    if "tracking" in summary:
        for r in rows:
            fd, ff = r.get("first_detection_s"), r.get("first_fire_control_s")
            lines.append(f"  {r['threat_id']}: first detection "
                         f"{'never' if fd is None else f't = {fd:.0f} s'}, first fire-control "
                         f"track {'never' if ff is None else f't = {ff:.0f} s'}"
                         + (f", {r['outcome']}" if r.get("outcome") else ""))
            if r.get("why_not_engaged"):
                lines.append(f"    not engaged: {r['why_not_engaged']}")
    return lines


def print_run(summary: dict[str, Any], console: Console | None = None) -> None:
    """The per-threat tables of a run's summary: threats, detection, tracking, engagement."""
    console = console or Console()
    for i, line in enumerate(headline(summary)):
        console.print(line, style="bold" if i == 0 else None, markup=False, highlight=False)
    print_threats(console, summary["threats"])
    if summary.get("detection"):
        print_sensors(console, summary["detection"])
    if "tracking" in summary:
        print_tracking(console, summary["threats"])
    if "engagement" in summary:
        print_engagement(console, summary["threats"], summary.get("weapons", []))


def print_threats(console: Console, rows: list[dict[str, Any]]) -> None:
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
                      f(r["impact_error_m"], 1e3, "{:.2f}") if r["impacted"]
                      else ("killed" if r.get("outcome") == "killed" else "no impact"))
    console.print(table)


def print_sensors(console: Console, rows: list[dict[str, Any]]) -> None:
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


def print_tracking(console: Console, rows: list[dict[str, Any]]) -> None:
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


def print_engagement(console: Console, threats: list[dict[str, Any]],
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


def _fmt(v: Any, spec: str = "{:.3g}") -> str:
    return "—" if v is None else spec.format(v)


def print_campaign(campaign: Any, console: Console | None = None) -> None:
    """The summary of a campaign (:class:`hdsim.campaign.runner.Campaign`): per grid point
    P(no leaker) with its Wilson 95 % interval, then Pk and tracking figures per threat."""
    console = console or Console()
    grid, thr = campaign.summary["grid"].to_pylist(), campaign.summary["threats"].to_pylist()
    sweeps = campaign.info.get("sweeps", [])
    table = Table(title=f"Campaign {campaign.out_dir.name}: grid points", header_style="bold")
    cols = ["point", *sweeps, "runs ok", "failed"]
    if grid and "p_no_leaker" in grid[0]:
        cols += ["P(no leaker)", "95 % interval", "mean leakers", "shots/kill"]
    for c in cols:
        table.add_column(c, justify="right")
    for g in grid:
        row = [str(g["grid_point"]), *(str(g[p]) for p in sweeps), str(g["runs_ok"]),
               str(g["runs_failed"])]
        if "p_no_leaker" in g:
            lo, hi = _fmt(g["p_no_leaker_lo"], "{:.3f}"), _fmt(g["p_no_leaker_hi"], "{:.3f}")
            row += [_fmt(g["p_no_leaker"], "{:.3f}"), f"[{lo}, {hi}]",
                    _fmt(g["mean_leakers"], "{:.2f}"), _fmt(g["shots_per_kill"], "{:.2f}")]
        table.add_row(*row)
    console.print(table)
    table = Table(title="Threats (median [5 %, 95 %] over runs)", header_style="bold")
    has_pk = bool(thr) and "pk" in thr[0]
    cols = ["point", "threat", "runs"] + (["Pk", "95 % interval"] if has_pk else []) + [
        "first detection s", "first fire-control s", "custody", "RMSE pos m"]
    for c in cols:
        table.add_column(c, justify="left" if c == "threat" else "right")

    def q(r: dict[str, Any], name: str, spec: str) -> str:
        return (f"{_fmt(r[name + '_p50'], spec)} [{_fmt(r[name + '_p5'], spec)}, "
                f"{_fmt(r[name + '_p95'], spec)}]")

    for r in thr:
        row = [str(r["grid_point"]), r["threat_id"], str(r["runs"])]
        if has_pk:
            row += [_fmt(r["pk"], "{:.3f}"),
                    f"[{_fmt(r['pk_lo'], '{:.3f}')}, {_fmt(r['pk_hi'], '{:.3f}')}]"]
        row += [q(r, "first_detection_s", "{:.0f}"), q(r, "first_fire_control_s", "{:.0f}"),
                q(r, "custody", "{:.2f}"), q(r, "rmse_pos_m", "{:.0f}")]
        table.add_row(*row)
    console.print(table)
    classes = campaign.summary.get("classes")
    if classes is not None and classes.num_rows:
        table = Table(title="Pk per threat class", header_style="bold")
        for c in ("point", "class", "threat-runs", "Pk", "95 % interval"):
            table.add_column(c, justify="left" if c == "class" else "right")
        for r in classes.to_pylist():
            table.add_row(str(r["grid_point"]), r["type"], str(r["runs"]), _fmt(r["pk"], "{:.3f}"),
                          f"[{_fmt(r['pk_lo'], '{:.3f}')}, {_fmt(r['pk_hi'], '{:.3f}')}]")
        console.print(table)
    stages = campaign.summary.get("stages")
    if stages is not None and stages.num_rows:
        tot = {c: sum(v or 0.0 for v in stages[c].to_pylist()) for c in stages.column_names
               if c.endswith("_s")}
        parts = ", ".join(f"{k[:-2]} {v:,.1f} s" for k, v in tot.items() if k != "wall_s")
        console.print(f"Time summed over {sum(stages['runs'].to_pylist())} draws: "
                      f"{tot.get('wall_s', 0.0):,.1f} s ({parts})")
    failed = campaign.sql("SELECT run_id, seed, error FROM runs WHERE status <> 'ok' "
                          "ORDER BY run_id").to_pylist()
    for f in failed[:20]:
        console.print(f"[red]failed[/red] {f['run_id']} (seed {f['seed']}): {f['error']}")
    if len(failed) > 20:
        console.print(f"... and {len(failed) - 20} more failed draws (table runs)")
