"""A result folder as one self-contained HTML page: the outcome first, then tables and plots.

The page needs nothing beside itself: figures are PNG images in ``data:`` URIs, styles are
inline, no script runs. What it shows depends on the folder (:func:`folder_kind`):

* a run (``hdsim run``): the outcome (kills, leakers, rounds per weapon), the kill chain of
  each threat (figure and table), why fire control did not engage
  (``engagement_reasons.parquet``), the per-threat flight, tracking and engagement figures,
  detection by sensor layer, the rounds fired, the run's figures (:mod:`hdsim.viz.plots`)
  and the run's settings and wall times;
* a coverage folder (``hdsim coverage``): the area-weighted figures of merit and their maps;
* a NEES folder (``hdsim nees``): the verdict per threat, the NEES figure and the runs.

Tables fit the page: a table of threats lists the threats across (one column each, the
quantities down) when there are few of them, and every table sits in a container that scrolls
sideways (``max-width: 100%; overflow-x: auto``) rather than widening the page. Headers carry
the unit; cells show plain numbers (thousands separators, a few decimals, never an exponent)
and carry the exact stored value in their ``title`` attribute (shown on hover).
"""

from __future__ import annotations

import base64
import html
import math
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from hdsim.viz.console import outcome_text
from hdsim.viz.killchain import kill_chain_figure, kill_chains
from hdsim.viz.plots import FIGURES, RunData, coverage_maps, load_run, nees_timeline, png_bytes

__all__ = ["REPORT_FILE", "folder_kind", "report_html", "write_report"]

REPORT_FILE = "report.html"
"""Default name of the report inside the result folder."""

_MAX_ROWS = 1000
"""Rows of a long table (rounds, NEES runs) shown at most; the page says how many more."""

_MAX_ACROSS = 12
"""Threats listed across (one column each) at most; more are listed one row each."""

NONE = "—"


def _plain(v: float, digits: int | None = None) -> str:
    """``v`` as a plain decimal with thousands separators: ``digits`` decimals, or by default
    0 decimals from 100 up, 1 from 10, 2 from 1, and 3 significant digits below (6 decimals at
    most). Never an exponent; NaN is :data:`NONE`."""
    if math.isnan(v):
        return NONE
    if math.isinf(v):
        return "∞" if v > 0 else "−∞"
    if digits is None:
        a = abs(v)
        digits = (0 if a >= 100 or a == 0 else 1 if a >= 10 else 2 if a >= 1
                  else min(6, 2 - math.floor(math.log10(a))))
    return f"{v:,.{digits}f}"


def _exact(value: Any) -> str:
    """The stored value in full (floats as the shortest positional decimal that reads back
    the same: ``repr`` without an exponent)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return np.format_float_positional(value, trim="0") if math.isfinite(value) else str(value)
    if isinstance(value, list | tuple):
        return ", ".join(_exact(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_exact(v)}" for k, v in value.items())
    return str(value)


@dataclass(frozen=True)
class _Col:
    """A table column: summary key, header (with unit), and how to show the value."""

    key: str
    header: str
    scale: float = 1.0
    digits: int | None = None  # decimals; None: by magnitude (see _plain)

    def text(self, value: Any) -> str:
        if value is None:
            return NONE
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, list | tuple):
            return ", ".join(self.text(v) for v in value)
        if isinstance(value, Mapping):
            return "; ".join(f"{k.replace('_', ' ')}: {self.text(v)}" for k, v in value.items())
        if isinstance(value, int) and self.scale == 1.0:
            return f"{value:,}"
        if isinstance(value, int | float):
            return _plain(value * self.scale, self.digits)
        return str(value)

    def cell(self, value: Any) -> str:
        text = self.text(value)
        exact = "" if value is None or isinstance(value, bool) else _exact(value)
        shown = exact and exact not in (text, text.replace(",", ""))
        title = f' title="{html.escape(exact)}"' if shown else ""
        cls = ' class="num"' if isinstance(value, int | float) and not isinstance(value, bool) \
            else ""
        return f"<td{cls}{title}>{html.escape(text)}</td>"


def _generic(key: str) -> _Col:
    return _Col(key, key.replace("_", " "))


THREAT_COLUMNS = (
    _Col("threat_id", "threat"),
    _Col("type", "type"),
    _Col("launch_time_s", "launch (s)", digits=1),
    _Col("end_time_s", "end (s)", digits=1),
    _Col("flight_time_s", "flight time (s)", digits=1),
    _Col("ground_range_m", "ground range (km)", 1e-3, 1),
    _Col("target_range_m", "target range (km)", 1e-3, 1),
    _Col("max_speed_mps", "max speed (m/s)", digits=0),
    _Col("max_mach", "max Mach", digits=2),
    _Col("apogee_m", "apogee (km)", 1e-3, 2),
    _Col("mean_glide_alt_m", "mean glide altitude (km)", 1e-3, 2),
    _Col("impacted", "impacted"),
    _Col("impact_lat_deg", "impact latitude (deg)", digits=4),
    _Col("impact_lon_deg", "impact longitude (deg)", digits=4),
    _Col("impact_speed_mps", "impact speed (m/s)", digits=0),
    _Col("impact_error_m", "impact error (m)", digits=1),
    _Col("phases", "phases"),
)
"""Flight rows of the per-threat table (``summary.json`` ``threats``)."""

TRACKING_COLUMNS = (
    _Col("threat_id", "threat"),
    _Col("first_detection_s", "first detection (s)", digits=1),
    _Col("first_track_s", "first track (s)", digits=1),
    _Col("first_confirmed_s", "first confirmed (s)", digits=1),
    _Col("first_fire_control_s", "first fire-control quality (s)", digits=1),
    _Col("custody", "custody (%)", 100.0, 1),
    _Col("n_tracks", "tracks", digits=0),
    _Col("n_breaks", "breaks", digits=0),
    _Col("n_swaps", "swaps", digits=0),
    _Col("rmse_pos_m", "RMSE position (m)", digits=1),
    _Col("pcrlb_pos_m", "PCRLB position (m)", digits=1),
    _Col("rmse_vel_mps", "RMSE velocity (m/s)", digits=1),
    _Col("mean_nees", "mean NEES", digits=2),
)
"""Tracking rows of the per-threat table (present when the scenario has sensors)."""

THREAT_ENGAGEMENT_COLUMNS = (
    _Col("threat_id", "threat"),
    _Col("outcome", "outcome"),
    _Col("shots", "rounds fired", digits=0),
    _Col("kill_t_s", "killed at (s)", digits=1),
    _Col("kill_alt_m", "kill altitude (km)", 1e-3, 1),
    _Col("nearest_asset_id", "nearest defended asset"),
    _Col("asset_distance_m", "distance to it (km)", 1e-3, 1),
    _Col("in_asset", "inside it"),
    _Col("why_not_engaged", "why not engaged"),
)
"""Engagement rows of the per-threat table (present when the scenario has weapons)."""

DETECTION_COLUMNS = (
    _Col("threat_id", "threat"),
    _Col("layer_id", "sensor layer"),
    _Col("first_detection_s", "first detection (s)", digits=1),
    _Col("fraction_detected", "detected (%)", 100.0, 1),
    _Col("n_gaps", "gaps > 10 s", digits=0),
    _Col("longest_gap_s", "longest gap (s)", digits=1),
)
"""Columns of the detection table (``summary.json`` ``detection``)."""

ENGAGEMENT_COLUMNS = (
    _Col("shot_id", "round"),
    _Col("weapon_id", "weapon"),
    _Col("threat_id", "threat"),
    _Col("track_id", "track"),
    _Col("launch_t_s", "launch (s)", digits=1),
    _Col("predicted_intercept_t_s", "predicted intercept (s)", digits=1),
    _Col("intercept_t_s", "closest approach (s)", digits=1),
    _Col("miss_m", "miss distance (m)"),
    _Col("planned_pk", "planned Pk", digits=3),
    _Col("outcome", "outcome"),
    _Col("flyout_status", "flight ended by"),
)
"""Columns of the rounds table (``engagements.parquet``; the predicted intercept point and the
``pk`` alias stay in the file)."""

WEAPON_COLUMNS = (
    _Col("weapon_id", "weapon"),
    _Col("kind", "kind"),
    _Col("shots", "rounds fired", digits=0),
    _Col("kills", "kills", digits=0),
    _Col("rounds_left", "rounds left", digits=0),
)
"""Columns of the weapons table (``summary.json`` ``weapons``)."""

REASONS = (
    ("fired", "fired"),
    ("weapon_busy", "weapon busy"),
    ("magazine_empty", "magazine empty"),
    ("track_awaiting_assessment", "awaiting assessment"),
    ("track_not_fire_control_quality", "not fire-control quality"),
    ("no_intercept", "no intercept point"),
    ("pk_below_min", "Pk below minimum"),
    ("assigned_elsewhere", "assigned elsewhere"),
)
"""Reasons of ``engagement_reasons.parquet`` (docs/results.md), in the order of the table."""

CAPTIONS = {
    "kill_chain": "For each threat (grey bar: its flight), the first detection, first track, "
                  "confirmation and first fire-control-quality track (stacked within the row), "
                  "each round from launch (|) to its closest approach (●, coloured by outcome), "
                  "and the kill (✖) or the impact (▼).",
    "ground_track": "Truth of each threat (launch ▲, impact ✖), confirmed and coasting track "
                    "estimates (grey dots) and radar sites; equirectangular, equal ground scale "
                    "at mid-latitude.",
    "flight_profile": "Altitude, speed and Mach number of each threat, coloured by flight "
                      "phase.",
    "detections": "A tick at each time a sensor layer detected the threat (grey bar: the "
                  "threat in flight); false alarms per layer in the last rows.",
    "tracking_errors": "Distance of each associated confirmed or coasting track from the "
                       "truth (interpolated to the track's times; thin lines) and the track's "
                       "own 1-σ position uncertainty (dashed), after all reports at each time.",
    "ospa": "OSPA and GOSPA distances between the confirmed tracks and the threats in flight, "
            "and their numbers.",
    "engagements": "Each shot from launch (|) to intercept (●), coloured by outcome; grey: the "
                   "threat in flight.",
    "coverage": "Percentage of the time during which at least one and at least two "
                "satellites see each grid point, and the longest gap with none (minutes); "
                "geometric visibility (field of regard, range, Earth limb).",
    "nees": "NEES of each second averaged over the runs (log scale) against its expected "
            "value 6 and the 95 % χ² interval of the runs (shaded).",
}
"""Figure captions of the report, by figure key (:data:`hdsim.viz.plots.FIGURES` and the
report's own)."""

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1400px; padding: 0 1.5em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em;
       margin-top: 1.8em; }
.meta { color: #555; }
.headline { font-size: 1.25em; font-weight: 600; margin: 0.6em 0; }
.scroll { max-width: 100%; overflow-x: auto; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
thead th { background: #f0f0f0; }
tbody th { background: #f7f7f7; font-weight: normal; text-align: left; }
td { text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { color: #555; font-size: 0.9em; }
"""


# --------------------------------------------------------------------------- HTML pieces


def _scroll(table: str) -> str:
    """``table`` in a container that scrolls sideways instead of widening the page."""
    return f'<div class="scroll">\n{table}\n</div>'


def _columns(rows: Sequence[Mapping[str, Any]], columns: Sequence[_Col], extra: bool,
             skip: frozenset[str] = frozenset()) -> list[_Col]:
    present = {k for r in rows for k in r}
    cols = [c for c in columns if c.key in present]
    if extra:
        known = {c.key for c in columns} | skip
        cols += [_generic(k) for k in dict.fromkeys(k for r in rows for k in r)
                 if k not in known]
    return cols


def _table_html(rows: Sequence[Mapping[str, Any]], columns: Sequence[_Col],
                extra: bool = True, table_id: str | None = None,
                skip: frozenset[str] = frozenset()) -> str:
    """An HTML table of ``rows`` (one row each) in ``columns`` (those present in some row),
    plus, with ``extra``, any other key of the rows (not in ``skip``) as a generic column; in
    a scroll container."""
    cols = _columns(rows, columns, extra, skip)
    head = "".join(f"<th>{html.escape(c.header)}</th>" for c in cols)
    body = "\n".join("<tr>" + "".join(c.cell(r.get(c.key)) for c in cols) + "</tr>"
                     for r in rows)
    ident = f' id="{table_id}"' if table_id else ""
    return _scroll(f"<table{ident}>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n"
                   "</tbody>\n</table>")


def _threat_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[_Col],
                  extra: bool = True, table_id: str | None = None,
                  skip: frozenset[str] = frozenset()) -> str:
    """Per-threat rows: with at most :data:`_MAX_ACROSS` threats, transposed (one column per
    threat, one row per quantity, its header and unit on the left); else one row per threat.
    ``columns[0]`` names the threat."""
    if len(rows) > _MAX_ACROSS:
        return _table_html(rows, columns, extra, table_id, skip)
    cols = _columns(rows, columns, extra, skip)
    name, cols = cols[0], cols[1:]
    head = f"<th>{html.escape(name.header)}</th>" + "".join(
        f"<th>{html.escape(name.text(r.get(name.key)))}</th>" for r in rows)
    body = "\n".join(f"<tr><th>{html.escape(c.header)}</th>"
                     + "".join(c.cell(r.get(c.key)) for r in rows) + "</tr>" for c in cols)
    ident = f' id="{table_id}"' if table_id else ""
    return _scroll(f'<table class="across"{ident}>\n<thead><tr>{head}</tr></thead>\n<tbody>\n'
                   f"{body}\n</tbody>\n</table>")


def _kv_table(items: Sequence[tuple[str, Any, _Col | None]], table_id: str | None = None) -> str:
    """Rows of ``label | value`` (the value shown by its column spec, or generically)."""
    rows = "\n".join(f"<tr><th>{html.escape(label)}</th>"
                     f"{(col or _generic(label)).cell(value)}</tr>"
                     for label, value, col in items)
    ident = f' id="{table_id}"' if table_id else ""
    return _scroll(f'<table class="kv"{ident}>\n<tbody>\n{rows}\n</tbody>\n</table>')


def _kv(label: str, value: Any, digits: int | None = None, scale: float = 1.0
        ) -> tuple[str, Any, _Col]:
    return label, value, _Col("", label, scale, digits)


def _figure_html(key: str, caption: str, fig: Figure | None, dpi: int | None) -> list[str]:
    if fig is None:
        return []
    png = png_bytes(fig) if dpi is None else png_bytes(fig, dpi=dpi)
    data = base64.b64encode(png).decode("ascii")
    esc = html.escape
    return [f'<figure id="{key}">',
            f'<img src="data:image/png;base64,{data}" alt="{esc(caption)}">',
            f"<figcaption><b>{esc(caption)}.</b> {esc(CAPTIONS.get(key, ''))}</figcaption>",
            "</figure>"]


@dataclass(frozen=True)
class _Shown(_Col):
    """A value shown as the given text (its exact value still in the cell's title)."""

    shown: str = ""

    def text(self, value: Any) -> str:
        return self.shown


def _epoch(value: Any) -> tuple[str, Any, _Col]:
    label = "epoch (UTC)"
    try:
        when = datetime.fromisoformat(str(value)).astimezone(UTC)
    except ValueError:
        return label, value, _generic(label)
    return label, value, _Shown("", label, shown=when.strftime("%Y-%m-%d %H:%M:%S"))


def _generic_items(summary: Mapping[str, Any], handled: set[str]) -> list[tuple[str, Any, None]]:
    """Summary keys no section shows, as readable rows (nested objects as ``a: 1; b: 2``)."""
    return [(k.replace("_", " "), v, None) for k, v in summary.items() if k not in handled
            and not (isinstance(v, list) and v and isinstance(v[0], Mapping))]


def _wall_items(timings: Any) -> list[tuple[str, Any, _Col]]:
    if not isinstance(timings, Mapping):
        return []
    items = [_kv(f"wall time: {k} (s)", v, 1) for k, v in timings.items()]
    total = sum(v for v in timings.values() if isinstance(v, int | float))
    return items + [_kv("wall time: total (s)", total, 1)] if len(items) > 1 else items


def _row_counts(run: RunData) -> list[tuple[str, Any, _Col]]:
    return [_kv(f"rows in {name}.parquet", t.num_rows) for name, t in run.tables.items()]


# --------------------------------------------------------------------------- folder kinds


def folder_kind(run: RunData) -> str:
    """``"run"``, ``"coverage"`` or ``"nees"``: which command wrote the folder, from its
    tables (``truth``, ``coverage``, ``nees``).

    Raises:
        ValueError: none of them (a finished folder of something else).
    """
    for table, kind in (("truth", "run"), ("coverage", "coverage"), ("nees", "nees")):
        if table in run.tables:
            return kind
    raise ValueError("not a run, coverage or NEES result folder (it has none of "
                     "truth.parquet, coverage.parquet, nees.parquet)")


def _run_body(run: RunData, dpi: int | None) -> list[str]:
    s = run.summary
    threats = list(s.get("threats") or [])
    parts = ["<h2>Outcome</h2>", f'<p class="headline" id="headline">{html.escape(outcome_text(s))}'
             "</p>"]
    for word, label in (("leaked", "Leaked"), ("in_flight", "Still in flight at the end")):
        ids = [str(r["threat_id"]) for r in threats if r.get("outcome") == word]
        if ids:
            parts.append(f"<p>{label}: {html.escape(', '.join(ids))}.</p>")
    if s.get("weapons"):
        parts.append(_table_html(s["weapons"], WEAPON_COLUMNS, table_id="weapons"))

    chains = kill_chains(run)
    fig = kill_chain_figure(run)
    if fig is not None:
        rows = [{"threat_id": c.threat_id, "launch_s": c.launch_s, **c.events,
                 "rounds": len(c.rounds), "first_round_s": c.first_round_s,
                 "end_s": c.end_s, "end": c.end.replace("_", " "), "outcome": c.outcome}
                for c in chains]
        cols = (_Col("threat_id", "threat"), _Col("launch_s", "launch (s)", digits=1),
                _Col("detected", "detected (s)", digits=1),
                _Col("tracked", "tracked (s)", digits=1),
                _Col("confirmed", "confirmed (s)", digits=1),
                _Col("fire_control", "fire-control quality (s)", digits=1),
                _Col("rounds", "rounds fired", digits=0),
                _Col("first_round_s", "first round (s)", digits=1),
                _Col("end_s", "end (s)", digits=1),
                _Col("outcome", "outcome") if all(c.outcome for c in chains)
                else _Col("end", "end"))
        parts += ["<h2>Kill chain</h2>",
                  *_figure_html("kill_chain", "Kill chain", fig, dpi),
                  _table_html(rows[:_MAX_ROWS], cols, extra=False, table_id="kill-chain")]

    reasons = run.table("engagement_reasons")
    why = [r for r in threats if r.get("why_not_engaged")]
    if reasons is not None or why:
        parts.append("<h2>Why not engaged</h2>")
        if why:
            parts.append(_table_html(why, (_Col("threat_id", "threat"),
                                           _Col("why_not_engaged", "why not engaged")),
                                     extra=False, table_id="why-not-engaged"))
        elif threats and "engagement" in s:
            parts.append("<p>Every threat with a live track was engaged.</p>")
        if reasons is not None:
            parts += ['<p class="meta">Fire-control decisions per weapon and threat, by reason '
                      "(engagement_reasons.parquet): at each decision, for each weapon and live "
                      "track, why the weapon fired at it or not.</p>",
                      _reasons_table(reasons)]

    if threats:
        skip = frozenset(c.key for c in (*TRACKING_COLUMNS, *THREAT_ENGAGEMENT_COLUMNS)
                         if c.key != "threat_id")
        parts += ["<h2>Threats</h2>", _threat_table(threats, THREAT_COLUMNS, skip=skip,
                                                    table_id="threats")]
        if any(c.key in r for r in threats for c in TRACKING_COLUMNS[1:]):
            parts += ["<h2>Tracking</h2>",
                      _threat_table(threats, TRACKING_COLUMNS, extra=False, table_id="tracking")]
    detection = s.get("detection") or []
    if detection:
        parts += ["<h2>Detection by sensor layer</h2>",
                  _table_html(detection, DETECTION_COLUMNS, table_id="detection")]
    eng = run.table("engagements")
    if eng is not None or any("outcome" in r for r in threats):
        parts.append("<h2>Engagements</h2>")
        if any("outcome" in r for r in threats):
            parts.append(_threat_table(threats, THREAT_ENGAGEMENT_COLUMNS[:-1], extra=False,
                                       table_id="engagement-by-threat"))
        if eng is not None:
            rows = eng.slice(0, _MAX_ROWS).to_pylist()
            parts.append(_table_html(rows, ENGAGEMENT_COLUMNS, extra=False, table_id="rounds"))
            if eng.num_rows > len(rows):
                parts.append(f'<p class="meta">{eng.num_rows - len(rows):,} more rounds in '
                             "engagements.parquet</p>")

    figs = [(key, caption, func(run)) for key, caption, func in FIGURES]
    if any(f is not None for *_, f in figs):
        parts.append("<h2>Figures</h2>")
        for key, caption, f in figs:
            parts += _figure_html(key, caption, f, dpi)

    tracking = s.get("tracking") if isinstance(s.get("tracking"), Mapping) else {}
    items = [_epoch(s["epoch"])] if "epoch" in s else []
    items += [_kv(label, s[key], digits) for key, label, digits in (
        ("seed", "seed", None), ("duration_s", "duration (s)", 0),
        ("n_detections", "reports", None), ("n_false_alarms", "of them false alarms", None))
        if key in s]
    items += [_kv(label, tracking[key], digits) for key, label, digits in (
        ("n_tracks", "track ids", None), ("mean_ospa_m", "mean OSPA (m)", 1))
        if key in tracking]
    items += [(k.replace("_", " "), v, None) for k, v in tracking.items()
              if k not in ("n_tracks", "mean_ospa_m")]
    items += _wall_items(s.get("timings_s"))
    items += _generic_items(s, {"scenario", "epoch", "seed", "duration_s", "threats",
                                "detection", "n_detections", "n_false_alarms", "tracking",
                                "weapons", "engagement", "timings_s"})
    parts += ["<h2>Run</h2>", _kv_table(items + _row_counts(run), table_id="run")]
    return parts


def _reasons_table(reasons: Any) -> str:
    """One row per weapon and threat: decisions in all and per reason (``REASONS`` order,
    those that occur), the most frequent reason."""
    counts: dict[tuple[str, str], dict[str, int]] = {}
    cols = {c: reasons.column(c).to_pylist() for c in ("weapon_id", "threat_id", "reason",
                                                       "decisions")}
    for w, t, why, n in zip(*cols.values(), strict=True):
        row = counts.setdefault((str(w), str(t)), {})
        row[str(why)] = row.get(str(why), 0) + int(n)
    seen = {why for row in counts.values() for why in row}
    known = [(k, label) for k, label in REASONS if k in seen]
    known += [(k, k.replace("_", " ")) for k in sorted(seen - {k for k, _ in REASONS})]
    rows = [{"weapon_id": w, "threat_id": t, "decisions": sum(row.values()),
             **{k: row.get(k, 0) for k, _ in known},
             "main": max(row.items(), key=lambda kv: kv[1])[0] if row else None}
            for (w, t), row in counts.items()]
    columns = (_Col("weapon_id", "weapon"), _Col("threat_id", "threat"),
               _Col("decisions", "decisions"),
               *(_Col(k, f"{label} (decisions)") for k, label in known),
               _Col("main", "most frequent reason"))
    return _table_html(rows, columns, extra=False, table_id="reasons")


def _coverage_body(run: RunData, dpi: int | None) -> list[str]:
    s = run.summary
    mean = s.get("area_weighted_mean") if isinstance(s.get("area_weighted_mean"), Mapping) \
        else {}
    pct = _Col("", "", 100.0, 1)

    def get(d: Mapping[str, Any], key: str, col: _Col) -> str:
        return col.text(d.get(key))

    minutes = _Col("", "", 1 / 60, 1)
    headline = (f"Seen by at least one satellite {get(mean, 'fraction_1', pct)} % of the time "
                f"and by at least two {get(mean, 'fraction_2', pct)} % (area-weighted mean "
                f"over {get(s, 'grid_points', _generic(''))} grid points); worst point "
                f"{get(s, 'min_fraction_1', pct)} %, longest gap anywhere "
                f"{get(s, 'worst_max_gap_s', minutes)} min.")
    parts = ["<h2>Coverage</h2>", f'<p class="headline" id="headline">{html.escape(headline)}'
             "</p>"]
    items = [_kv(label, mean.get(key), digits, scale) for key, label, scale, digits in (
        ("fraction_1", "time seen by ≥ 1 satellite (%)", 100.0, 1),
        ("fraction_2", "time seen by ≥ 2 satellites (%)", 100.0, 1),
        ("max_gap_s", "longest gap (min)", 1 / 60, 1),
        ("mean_gap_s", "mean gap (min)", 1 / 60, 1),
        ("best_triangulation_deg", "best stereo angle (deg)", 1.0, 1),
        ("mean_n_sats", "satellites in view", 1.0, 2)) if key in mean]
    items += [_kv("worst point: time seen by ≥ 1 satellite (%)", s.get("min_fraction_1"), 1,
                  100.0),
              _kv("worst point: longest gap (min)", s.get("worst_max_gap_s"), 1, 1 / 60)]
    parts += ['<p class="meta">Area-weighted means over the grid (cos latitude), and the '
              "worst grid point.</p>", _kv_table(items, table_id="figures-of-merit")]
    if s.get("layers"):
        parts.append(_table_html(s["layers"], (_Col("layer_id", "space layer"),
                                               _Col("satellites", "satellites")),
                                 table_id="layers"))
    cov = run.table("coverage")
    if cov is not None:
        parts += ["<h2>Figures</h2>",
                  *_figure_html("coverage", "Coverage maps", coverage_maps(cov, s), dpi)]
    items = [_epoch(s["epoch"])] if "epoch" in s else []
    items += [_kv(label, s[key], digits, scale) for key, label, scale, digits in (
        ("satellites", "satellites", 1.0, None), ("grid_points", "grid points", 1.0, None),
        ("grid_deg", "grid spacing (deg)", 1.0, 2), ("altitude_m", "altitude (km)", 1e-3, 1),
        ("start_s", "start (s)", 1.0, 0), ("step_s", "time step (s)", 1.0, 1),
        ("samples", "time samples", 1.0, None), ("span_s", "span (s)", 1.0, 0))
        if key in s]
    items += _wall_items(s.get("timings_s"))
    items += _generic_items(s, {"scenario", "epoch", "layers", "satellites", "grid_points",
                                "grid_deg", "altitude_m", "start_s", "step_s", "samples",
                                "span_s", "area_weighted_mean", "min_fraction_1",
                                "worst_max_gap_s", "timings_s"})
    parts += ["<h2>Run</h2>", _kv_table(items + _row_counts(run), table_id="run")]
    return parts


@dataclass(frozen=True)
class _StoredTest:
    average: np.ndarray
    inside: np.ndarray
    lower: float
    upper: float


@dataclass(frozen=True)
class _NeesFolder:
    """What :func:`hdsim.viz.plots.nees_timeline` reads of a NEES result, rebuilt from a NEES
    folder: the per-second series of ``nees_series.parquet`` and the verdicts ``hdsim nees``
    stored in ``summary.json`` (at its 95 % confidence, the only one the folder holds)."""

    threat_ids: list[str]
    seeds: np.ndarray
    t_s: np.ndarray
    nees_t: np.ndarray
    runs_t: np.ndarray
    stored: _StoredTest
    fraction: np.ndarray = field(repr=False)

    def test(self, confidence: float = 0.95) -> _StoredTest:
        return self.stored

    def fraction_inside(self, confidence: float = 0.95) -> np.ndarray:
        return self.fraction


def _nees_folder(run: RunData) -> _NeesFolder | None:
    s, series = run.summary, run.table("nees_series")
    rows = s.get("threats") or []
    if series is None or not rows:
        return None
    ids = [str(r["threat_id"]) for r in rows]
    tid = np.asarray(series.column("threat_id").to_pylist(), dtype=object)
    t = series.column("t_s").to_numpy(zero_copy_only=False).astype(np.float64)
    grid = np.unique(t)
    nees_t = np.full((len(ids), grid.size), np.nan)
    runs_t = np.zeros((len(ids), grid.size), np.int64)
    k = np.searchsorted(grid, t)
    nees = series.column("nees").to_numpy(zero_copy_only=False).astype(np.float64)
    n_runs = series.column("n_runs").to_numpy(zero_copy_only=False)
    for i, name in enumerate(ids):
        m = tid == name
        nees_t[i, k[m]] = nees[m]
        runs_t[i, k[m]] = n_runs[m]
    lo, hi = (s.get("interval") or [math.nan, math.nan])[:2]

    def col(key: str, default: float) -> np.ndarray:
        return np.array([default if r.get(key) is None else r[key] for r in rows], float)

    return _NeesFolder(
        threat_ids=ids, seeds=np.asarray(s.get("seeds") or [], np.int64), t_s=grid,
        nees_t=nees_t, runs_t=runs_t,
        stored=_StoredTest(col("mean_nees", math.nan), col("inside", 0.0).astype(bool),
                           float(lo), float(hi)),
        fraction=col("fraction_of_seconds_inside", math.nan))


def _nees_body(run: RunData, dpi: int | None) -> list[str]:
    s = run.summary
    pooled = s.get("pooled") if isinstance(s.get("pooled"), Mapping) else {}
    interval = s.get("interval") or [None, None]
    two = _Col("", "", digits=2)
    verdict = "consistent" if pooled.get("inside") else "INCONSISTENT"
    headline = (f"All threats over {s.get('runs')} runs: mean NEES "
                f"{two.text(pooled.get('mean_nees'))} (expected 6), 95 % interval "
                f"[{two.text(interval[0])}, {two.text(interval[1])}]: {verdict}.")
    parts = ["<h2>Consistency</h2>", f'<p class="headline" id="headline">{html.escape(headline)}'
             "</p>"]
    rows = [dict(r) | {"verdict": "consistent" if r.get("inside") else "INCONSISTENT"}
            for r in s.get("threats") or []]
    parts.append(_table_html(rows, (
        _Col("threat_id", "threat"), _Col("mean_nees", "mean NEES", digits=2),
        _Col("verdict", "verdict"),
        _Col("fraction_of_seconds_inside", "seconds inside (%)", 100.0, 0),
        _Col("rmse_pos_m", "RMSE position (m)", digits=0)), extra=False, table_id="nees"))
    view = _nees_folder(run)
    if view is not None:
        parts += ["<h2>Figures</h2>", *_figure_html("nees", "NEES over runs",
                                                    nees_timeline(view), dpi)]
    per_run = run.table("nees")
    if per_run is not None:
        shown = per_run.slice(0, _MAX_ROWS).to_pylist()
        for r in shown:
            r["seed"] = None if r.get("seed") is None else str(r["seed"])  # an id: no commas
        parts += ["<h2>Runs</h2>", _table_html(shown, (
            _Col("threat_id", "threat"), _Col("run", "run"), _Col("seed", "seed"),
            _Col("mean_nees", "mean NEES", digits=2),
            _Col("rmse_pos_m", "RMSE position (m)", digits=1),
            _Col("n_rows", "track rows scored")), extra=False, table_id="runs")]
        if per_run.num_rows > len(shown):
            parts.append(f'<p class="meta">{per_run.num_rows - len(shown):,} more rows in '
                         "nees.parquet</p>")
    items = [_kv("runs", s.get("runs")),
             ("seeds", ", ".join(str(v) for v in s.get("seeds") or []), _generic("seeds")),
             _kv("95 % interval, lower", interval[0], 3),
             _kv("95 % interval, upper", interval[1], 3)]
    items += _generic_items(s, {"scenario", "runs", "seeds", "interval", "threats", "pooled"})
    parts += ["<h2>Run</h2>", _kv_table(items + _row_counts(run), table_id="run")]
    return parts


_BODIES: dict[str, Callable[[RunData, int | None], list[str]]] = {
    "run": _run_body, "coverage": _coverage_body, "nees": _nees_body}


def report_html(run: RunData, source: str | os.PathLike[str] | None = None,
                dpi: int | None = None) -> str:
    """The report of ``run`` as an HTML document (a string).

    Args:
        run: the folder's tables and summary (see :func:`hdsim.viz.plots.load_run`): a run,
            coverage or NEES folder.
        source: the result folder, named in the page header.
        dpi: resolution of the embedded PNG figures (default: that of
            :func:`hdsim.viz.plots.png_bytes`).

    Raises:
        ValueError: ``run`` is none of those kinds (:func:`folder_kind`).
    """
    body = _BODIES[folder_kind(run)](run, dpi)
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>hdsim report: {esc(run.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{esc(run.title)}</h1>",
    ]
    if source is not None:
        parts.append(f'<p class="meta">Result folder: <code>{esc(os.fspath(source))}</code></p>')
    parts += [*body, "</body>", "</html>", ""]
    return "\n".join(parts)


def write_report(run_dir: str | os.PathLike[str],
                 out_file: str | os.PathLike[str] | None = None) -> Path:
    """Write the HTML report of a finished result folder, atomically.

    Args:
        run_dir: a result folder written by ``hdsim run``, ``hdsim coverage`` or
            ``hdsim nees`` (it has the ``_SUCCESS`` marker).
        out_file: the HTML file to write; default ``run_dir/report.html``. Its folder is
            created if needed. The page is written to a temporary file beside it and renamed
            into place, so a reader never sees half a report.

    Returns:
        The absolute path of the report.

    Raises:
        ValueError: ``run_dir`` is not a finished run, coverage or NEES folder (one line,
            naming the folder).
    """
    run_dir = Path(run_dir).expanduser()
    if (run_dir / "campaign.json").is_file():
        raise ValueError(f"{run_dir}: a campaign folder, not a run, coverage or NEES folder "
                         "(its summary: hdsim campaign summary DIR)")
    run = load_run(run_dir)  # ValueError unless a finished result folder
    try:
        text = report_html(run, source=run_dir.absolute())
    except ValueError as exc:
        raise ValueError(f"{run_dir}: {exc}") from None
    out = (Path(out_file).expanduser() if out_file is not None
           else run_dir / REPORT_FILE).absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
