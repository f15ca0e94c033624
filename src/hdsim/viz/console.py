"""The terminal side of a run: progress bars while it runs, tables when it is done.

Only the command line and the public API's ``progress=True`` use this module; the run loop
never prints (it takes a progress callback).

Every table fits the console's width without losing a value: headers are short, with their
unit (``apogee km``), and wrap at spaces; each column is given at least the width of its longest
word, so a value is never cut or ellipsised. When even that is wider than the console, the
table is printed as one block per row instead (``key: value`` pairs, wrapped between pairs).
Headline lines wrap at spaces with a hanging indent. Nothing is printed before the headline,
so piped output starts with its first line of content.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from rich import box
from rich.console import Console
from rich.measure import Measurement
from rich.progress import (
    BarColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

__all__ = ["print_engagement", "print_run", "print_sensors", "print_threats", "print_tracking",
           "print_campaign", "print_table", "headline", "outcome_text", "progress_bar"]

NONE = "—"
"""Shown for a value that does not exist (never detected, not killed, ...)."""


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


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def outcome_text(summary: Mapping[str, Any]) -> str:
    """The run's outcome in one sentence, without the scenario name: kills, leakers (inside
    defended assets), threats still flying and rounds fired; without weapons, the threats that
    reached the ground."""
    rows = summary.get("threats", [])
    n = len(rows)
    eng = summary.get("engagement")
    if eng is None:
        impacted = sum(1 for r in rows if r.get("impacted"))
        return f"{_plural(n, 'threat')} flown, {impacted} reached the ground (no weapons)"
    flying = eng.get("in_flight", 0)
    return (f"{eng['kills']} of {_plural(n, 'threat')} killed, {eng['leakers']} leaked "
            f"({eng.get('leakers_in_assets', 0)} inside defended assets), "
            + (f"{flying} still in flight, " if flying else "")
            + f"{_plural(eng['shots'], 'round')} fired")


def headline(summary: Mapping[str, Any]) -> list[str]:
    """The run's outcome in a few lines: kills, leakers (inside defended assets), rounds per
    weapon, and per threat the first detection and first fire-control-quality track."""
    rows = summary.get("threats", [])
    lines = [f"{summary.get('scenario')}: {outcome_text(summary)}"]
    if summary.get("engagement") is not None:
        for w in summary.get("weapons", []):
            lines.append(f"  {w['weapon_id']} ({w['kind']}): {w['shots']} fired, "
                         f"{w['kills']} killed, {w['rounds_left']} left")
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


def _print_wrapped(console: Console, line: str, style: str | None = None) -> None:
    """``line`` wrapped at spaces to the console's width, continuation lines indented four
    columns deeper than the line itself (words are never split, ids never broken at hyphens)."""
    indent = " " * (len(line) - len(line.lstrip(" ")))
    for part in textwrap.wrap(line, width=max(console.width, 20), subsequent_indent=indent + "    ",
                              break_on_hyphens=False, drop_whitespace=True) or [""]:
        console.print(Text(part, style=style or ""), soft_wrap=True, highlight=False)


def _num(v: float | None, digits: int = 0, scale: float = 1.0) -> str:
    """A plain number with thousands separators, or :data:`NONE`."""
    return NONE if v is None else f"{v * scale:,.{digits}f}"


def _width(text: str, console: Console) -> tuple[int, int]:
    """(longest word, longest line) of ``text`` in terminal cells."""
    m = Measurement.get(console, console.options.update_width(10**6), Text(text))
    return m.minimum, m.maximum


def _block_lines(key: str, pairs: Sequence[str], width: int) -> list[str]:
    """``key`` on its own line, then ``pairs`` packed into lines of ``width`` (two-space
    indent, three spaces between pairs; a pair is never split across lines)."""
    lines, cur = [key], "  "
    for p in pairs:
        if cur.strip() and len(cur) + 3 + len(p) > width:
            lines.append(cur)
            cur = "  "
        cur += ("   " if cur.strip() else "") + p
    if cur.strip():
        lines.append(cur)
    return lines


_LONG_HEADER = 16
"""Header words longer than this may be folded; cell values never are."""


def print_table(console: Console, title: str, columns: Sequence[tuple[str, str]],
                rows: Sequence[Sequence[str]], key: int = 1) -> None:
    """Print a table that fits ``console.width`` without losing a value.

    Args:
        console: where to print; its ``width`` is the limit.
        title: printed above the table (left).
        columns: ``(header, justify)`` of each column; ``justify`` is ``"left"`` or
            ``"right"``. Headers wrap at spaces, so give them their unit: ``"apogee km"``.
        rows: the cells, already formatted as text.
        key: how many leading columns name a row (the block title in the narrow layout).

    Each column gets at least the width of its longest word (header included, up to
    :data:`_LONG_HEADER` for a header word, which beyond that folds); columns
    wider than that shrink, the widest first, until the table fits. If the longest words
    alone do not fit, each row is printed as a block of ``header: value`` pairs instead.
    """
    table = Table(title=title, title_justify="left", title_style="bold", header_style="bold",
                  box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    for header, justify in columns:
        table.add_column(header, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for r in rows:
        table.add_row(*r)
    sizes = [[_width(text, console) for text in (h, *(r[i] for r in rows))]
             for i, (h, _) in enumerate(columns)]
    # A header word longer than _LONG_HEADER (a dotted scenario path) may fold across lines.
    lo = [max(max((s[0] for s in col[1:]), default=1),
              col[0][0] if col[0][0] <= _LONG_HEADER else _LONG_HEADER) for col in sizes]
    hi = [max(s[1] for s in col) for col in sizes]
    extra = Measurement.get(console, console.options.update_width(10**6), table).maximum - sum(hi)
    room = console.width - extra
    if sum(lo) > room:
        console.print(Text(title, style="bold"), soft_wrap=True)
        for r in rows:
            pairs = [f"{h}: {v}" for (h, _), v in zip(columns[key:], r[key:], strict=True)]
            for i, line in enumerate(_block_lines("  ".join(r[:key]), pairs, console.width)):
                console.print(Text(line, style="bold" if i == 0 else "", overflow="fold"),
                              highlight=False)
        return
    widths = list(hi)
    while sum(widths) > room:  # shrink the widest column that can still shrink
        i = max((k for k in range(len(widths)) if widths[k] > lo[k]), key=lambda k: widths[k])
        widths[i] -= 1
    for column, w in zip(table.columns, widths, strict=True):
        column.width = w
    console.print(table)


def print_run(summary: dict[str, Any], console: Console | None = None) -> None:
    """The headline, then the per-threat tables of a run's summary: threats, detection,
    tracking, engagement; all within ``console.width``."""
    console = console or Console()
    for i, line in enumerate(headline(summary)):
        _print_wrapped(console, line, style="bold" if i == 0 else None)
    print_threats(console, summary["threats"])
    if summary.get("detection"):
        print_sensors(console, summary["detection"])
    if "tracking" in summary:
        print_tracking(console, summary["threats"])
    if "engagement" in summary:
        print_engagement(console, summary["threats"], summary.get("weapons", []))


_L, _R = "left", "right"


def print_threats(console: Console, rows: list[dict[str, Any]]) -> None:
    def end(r: dict[str, Any]) -> str:
        if r["impacted"]:
            return _num(r["impact_error_m"], 2, 1e-3)
        return "killed" if r.get("outcome") == "killed" else "no impact"

    console.print()
    print_table(console, "Threats", [
        ("threat", _L), ("type", _L), ("range km", _R), ("flight s", _R),
        ("max speed m/s", _R), ("max Mach", _R), ("apogee km", _R), ("glide alt km", _R),
        ("impact error km", _R)],
        [[r["threat_id"], r["type"], _num(r["ground_range_m"], 0, 1e-3),
          _num(r["flight_time_s"]), _num(r["max_speed_mps"]), _num(r["max_mach"], 1),
          _num(r["apogee_m"], 1, 1e-3), _num(r["mean_glide_alt_m"], 1, 1e-3), end(r)]
         for r in rows])


def print_sensors(console: Console, rows: list[dict[str, Any]]) -> None:
    console.print()
    print_table(console, "Detection by sensor layer", [
        ("threat", _L), ("layer", _L), ("first detection s", _R), ("detected %", _R),
        ("gaps > 10 s", _R), ("longest gap s", _R)],
        [[r["threat_id"], r["layer_id"], _num(r["first_detection_s"]),
          _num(r["fraction_detected"], 0, 100), str(r["n_gaps"]), _num(r["longest_gap_s"])]
         for r in rows], key=2)


def print_tracking(console: Console, rows: list[dict[str, Any]]) -> None:
    console.print()
    print_table(console, "Tracking", [
        ("threat", _L), ("first detection s", _R), ("first confirmed s", _R),
        ("fire-control quality s", _R), ("custody %", _R), ("tracks", _R), ("RMSE pos m", _R),
        ("RMSE vel m/s", _R)],
        [[r["threat_id"], _num(r["first_detection_s"]), _num(r["first_confirmed_s"]),
          _num(r["first_fire_control_s"]), _num(r["custody"], 0, 100), str(r["n_tracks"]),
          _num(r["rmse_pos_m"]), _num(r["rmse_vel_mps"], 1)] for r in rows])


def print_engagement(console: Console, threats: list[dict[str, Any]],
                     weapons: list[dict[str, Any]]) -> None:
    def leaked(r: dict[str, Any], text: str) -> str:
        return text if r["outcome"] == "leaked" else NONE

    console.print()
    print_table(console, "Engagement by threat", [
        ("threat", _L), ("outcome", _L), ("shots", _R), ("killed at s", _R),
        ("kill alt km", _R), ("nearest asset", _L), ("distance km", _R), ("in asset", _R)],
        [[r["threat_id"], r["outcome"], str(r.get("shots", 0)), _num(r.get("kill_t_s")),
          _num(r.get("kill_alt_m"), 1, 1e-3), str(r.get("nearest_asset_id") or NONE),
          leaked(r, _num(r.get("asset_distance_m"), 1, 1e-3)),
          leaked(r, "yes" if r.get("in_asset") else "no")] for r in threats])
    console.print()
    print_table(console, "Weapons", [
        ("weapon", _L), ("kind", _L), ("shots", _R), ("kills", _R), ("rounds left", _R)],
        [[str(w["weapon_id"]), str(w["kind"]), str(w["shots"]), str(w["kills"]),
          str(w["rounds_left"])] for w in weapons])


def _fmt(v: Any, spec: str = "{:.3g}") -> str:
    return NONE if v is None else spec.format(v)


def print_campaign(campaign: Any, console: Console | None = None) -> None:
    """The summary of a campaign (:class:`hdsim.campaign.runner.Campaign`): per grid point
    P(no leaker) with its Wilson 95 % interval, then Pk and tracking figures per threat."""
    console = console or Console()
    grid, thr = campaign.summary["grid"].to_pylist(), campaign.summary["threats"].to_pylist()
    sweeps = campaign.info.get("sweeps", [])
    cols = ["point", *sweeps, "runs ok", "failed"]
    if grid and "p_no_leaker" in grid[0]:
        cols += ["P(no leaker)", "95 % interval", "mean leakers", "shots/kill"]
    rows = []
    for g in grid:
        row = [str(g["grid_point"]), *(str(g[p]) for p in sweeps), str(g["runs_ok"]),
               str(g["runs_failed"])]
        if "p_no_leaker" in g:
            lo, hi = _fmt(g["p_no_leaker_lo"], "{:.3f}"), _fmt(g["p_no_leaker_hi"], "{:.3f}")
            row += [_fmt(g["p_no_leaker"], "{:.3f}"), f"[{lo}, {hi}]",
                    _fmt(g["mean_leakers"], "{:.2f}"), _fmt(g["shots_per_kill"], "{:.2f}")]
        rows.append(row)
    print_table(console, f"Campaign {campaign.out_dir.name}: grid points",
                [(c, _R) for c in cols], rows)
    has_pk = bool(thr) and "pk" in thr[0]
    cols = ["point", "threat", "runs"] + (["Pk", "95 % interval"] if has_pk else []) + [
        "first detection s", "first fire-control s", "custody", "RMSE pos m"]

    def q(r: dict[str, Any], name: str, spec: str) -> str:
        return (f"{_fmt(r[name + '_p50'], spec)} [{_fmt(r[name + '_p5'], spec)}, "
                f"{_fmt(r[name + '_p95'], spec)}]")

    rows = []
    for r in thr:
        row = [str(r["grid_point"]), r["threat_id"], str(r["runs"])]
        if has_pk:
            row += [_fmt(r["pk"], "{:.3f}"),
                    f"[{_fmt(r['pk_lo'], '{:.3f}')}, {_fmt(r['pk_hi'], '{:.3f}')}]"]
        row += [q(r, "first_detection_s", "{:.0f}"), q(r, "first_fire_control_s", "{:.0f}"),
                q(r, "custody", "{:.2f}"), q(r, "rmse_pos_m", "{:.0f}")]
        rows.append(row)
    console.print()
    print_table(console, "Threats (median [5 %, 95 %] over runs)",
                [(c, _L if c == "threat" else _R) for c in cols], rows, key=2)
    classes = campaign.summary.get("classes")
    if classes is not None and classes.num_rows:
        console.print()
        print_table(console, "Pk per threat class", [
            (c, _L if c == "class" else _R)
            for c in ("point", "class", "threat-runs", "Pk", "95 % interval")],
            [[str(r["grid_point"]), r["type"], str(r["runs"]), _fmt(r["pk"], "{:.3f}"),
              f"[{_fmt(r['pk_lo'], '{:.3f}')}, {_fmt(r['pk_hi'], '{:.3f}')}]"]
             for r in classes.to_pylist()], key=2)
    stages = campaign.summary.get("stages")
    if stages is not None and stages.num_rows:
        tot = {c: sum(v or 0.0 for v in stages[c].to_pylist()) for c in stages.column_names
               if c.endswith("_s")}
        parts = ", ".join(f"{k[:-2]} {v:,.1f} s" for k, v in tot.items() if k != "wall_s")
        console.print()
        _print_wrapped(console, f"Time summed over {sum(stages['runs'].to_pylist())} draws: "
                                f"{tot.get('wall_s', 0.0):,.1f} s ({parts})")
    failed = campaign.sql("SELECT run_id, seed, error FROM runs WHERE status <> 'ok' "
                          "ORDER BY run_id").to_pylist()
    for f in failed[:20]:
        console.print(f"[red]failed[/red] {f['run_id']} (seed {f['seed']}): {f['error']}")
    if len(failed) > 20:
        console.print(f"... and {len(failed) - 20} more failed draws (table runs)")
