"""A run's result folder as one self-contained HTML page: summary tables and embedded plots.

The page needs nothing beside itself: figures (:mod:`hdsim.viz.plots`) are PNG images in
``data:`` URIs, styles are inline, no script runs. Tables come from ``summary.json`` (per-threat
flight and tracking figures, detection by sensor layer) and, when the run has weapons, from
``engagements.parquet``. Each table cell shows a rounded value in the unit of its column header
and carries the exact stored value in its ``title`` attribute (shown on hover).
"""

from __future__ import annotations

import base64
import html
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hdsim.viz.plots import FIGURES, RunData, load_run, png_bytes

__all__ = ["REPORT_FILE", "report_html", "write_report"]

REPORT_FILE = "report.html"
"""Default name of the report inside the run folder."""

_MAX_ENGAGEMENT_ROWS = 1000


@dataclass(frozen=True)
class _Col:
    """A table column: summary key, header (with unit), and how to show the value."""

    key: str
    header: str
    scale: float = 1.0
    digits: int | None = 0  # decimals; None: 4 significant digits (text shown as is)

    def cell(self, value: Any) -> str:
        text = self.text(value)
        exact = "" if value is None else _exact(value)
        title = f' title="{html.escape(exact)}"' if exact and exact != text else ""
        return f"<td{title}>{html.escape(text)}</td>"

    def text(self, value: Any) -> str:
        if value is None:
            return "—"
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        if isinstance(value, int) and self.scale == 1.0:
            return f"{value:,}"
        if isinstance(value, int | float):
            v = value * self.scale
            return f"{v:,.{self.digits}f}" if self.digits is not None else f"{v:,.4g}"
        return str(value)


def _exact(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | tuple | dict):
        return json.dumps(value)
    return str(value)


THREAT_COLUMNS = (
    _Col("threat_id", "threat", digits=None),
    _Col("type", "type", digits=None),
    _Col("launch_time_s", "launch (s)", digits=1),
    _Col("end_time_s", "end (s)", digits=1),
    _Col("flight_time_s", "flight time (s)", digits=1),
    _Col("ground_range_m", "ground range (km)", 1e-3, 1),
    _Col("target_range_m", "target range (km)", 1e-3, 1),
    _Col("max_speed_mps", "max speed (m/s)", digits=0),
    _Col("max_mach", "max Mach", digits=2),
    _Col("apogee_m", "apogee (km)", 1e-3, 2),
    _Col("mean_glide_alt_m", "mean glide altitude (km)", 1e-3, 2),
    _Col("impacted", "impacted", digits=None),
    _Col("impact_lat_deg", "impact lat (deg)", digits=4),
    _Col("impact_lon_deg", "impact lon (deg)", digits=4),
    _Col("impact_speed_mps", "impact speed (m/s)", digits=0),
    _Col("impact_error_m", "impact error (m)", digits=1),
    _Col("phases", "phases", digits=None),
)
"""Flight columns of the per-threat table (``summary.json`` ``threats``)."""

TRACKING_COLUMNS = (
    _Col("threat_id", "threat", digits=None),
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
"""Tracking columns of the per-threat table (present when the scenario has sensors)."""

DETECTION_COLUMNS = (
    _Col("threat_id", "threat", digits=None),
    _Col("layer_id", "sensor layer", digits=None),
    _Col("first_detection_s", "first detection (s)", digits=1),
    _Col("fraction_detected", "detected (%)", 100.0, 1),
    _Col("n_gaps", "gaps > 10 s", digits=0),
    _Col("longest_gap_s", "longest gap (s)", digits=1),
)
"""Columns of the detection table (``summary.json`` ``detection``)."""

ENGAGEMENT_COLUMNS = (
    _Col("shot_id", "shot", digits=None),
    _Col("weapon_id", "weapon", digits=None),
    _Col("track_id", "track", digits=None),
    _Col("threat_id", "threat", digits=None),
    _Col("launch_t_s", "launch (s)", digits=1),
    _Col("intercept_t_s", "intercept (s)", digits=1),
    _Col("miss_m", "miss distance (m)", digits=1),
    _Col("outcome", "outcome", digits=None),
)
"""Columns of the engagement table (``engagements.parquet``)."""


def _generic(key: str) -> _Col:
    return _Col(key, key.replace("_", " "), digits=None)


def _table_html(rows: Sequence[Mapping[str, Any]], columns: Sequence[_Col],
                extra: bool = True) -> str:
    """An HTML table of ``rows`` in ``columns`` (those present in some row), plus, with
    ``extra``, any other key of the rows as a generic column."""
    present = {k for r in rows for k in r}
    cols = [c for c in columns if c.key in present]
    if extra:
        known = {c.key for c in columns}
        cols += [_generic(k) for k in dict.fromkeys(k for r in rows for k in r)
                 if k not in known]
    head = "".join(f"<th>{html.escape(c.header)}</th>" for c in cols)
    body = "\n".join("<tr>" + "".join(c.cell(r.get(c.key)) for c in cols) + "</tr>"
                     for r in rows)
    return f'<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>'


def _kv_table(items: Mapping[str, Any]) -> str:
    rows = "\n".join(
        f"<tr><th>{html.escape(k)}</th>{_generic(k).cell(v)}</tr>" for k, v in items.items()
    )
    return f'<table class="kv">\n<tbody>\n{rows}\n</tbody>\n</table>'


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, Mapping):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


CAPTIONS = {
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
}
"""Figure captions of the report, by :data:`hdsim.viz.plots.FIGURES` key."""

_TOP_KEYS_SHOWN = {"scenario", "threats", "detection", "engagements"}

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto;
       max-width: 1400px; padding: 0 1.5em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em;
       margin-top: 1.8em; }
.meta { color: #555; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; }
thead th { background: #f0f0f0; }
td { text-align: right; font-variant-numeric: tabular-nums; }
td:first-child, table.kv td { text-align: left; }
table.kv th { text-align: left; background: #f7f7f7; font-weight: normal; }
.scroll { overflow-x: auto; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { color: #555; font-size: 0.9em; }
"""


def report_html(run: RunData, source: str | os.PathLike[str] | None = None,
                dpi: int = 100) -> str:
    """The report of ``run`` as an HTML document (a string).

    Args:
        run: the run's tables and summary (see :func:`hdsim.viz.plots.load_run`).
        source: the run folder, named in the page header.
        dpi: resolution of the embedded PNG figures.
    """
    s = run.summary
    esc = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>hdsim report: {esc(run.title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        f"<h1>{esc(run.title)}</h1>",
    ]
    if source is not None:
        parts.append(f'<p class="meta">Result folder: <code>{esc(os.fspath(source))}</code></p>')
    run_items = {k: v for k, v in _flatten(s).items() if k.split(".")[0] not in _TOP_KEYS_SHOWN}
    counts = {f"rows in {name}.parquet": t.num_rows for name, t in run.tables.items()}
    parts += ["<h2>Run</h2>", _kv_table(run_items | counts)]

    threats = s.get("threats") or []
    if threats:
        tracking_keys = {c.key for c in TRACKING_COLUMNS} - {"threat_id"}
        parts += ["<h2>Threats</h2>", '<div class="scroll">',
                  _table_html([{k: v for k, v in r.items() if k not in tracking_keys}
                               for r in threats], THREAT_COLUMNS),
                  "</div>"]
        if any(k in r for r in threats for k in tracking_keys):
            parts += ["<h2>Tracking</h2>", '<div class="scroll">',
                      _table_html(threats, TRACKING_COLUMNS, extra=False), "</div>"]
    detection = s.get("detection") or []
    if detection:
        parts += ["<h2>Detection by sensor layer</h2>", '<div class="scroll">',
                  _table_html(detection, DETECTION_COLUMNS), "</div>"]
    eng = run.table("engagements")
    if eng is not None:
        rows = eng.slice(0, _MAX_ENGAGEMENT_ROWS).to_pylist()
        more = eng.num_rows - len(rows)
        parts += ["<h2>Engagements</h2>", '<div class="scroll">',
                  _table_html(rows, ENGAGEMENT_COLUMNS), "</div>"]
        if more > 0:
            parts.append(f'<p class="meta">{more} more shots in engagements.parquet</p>')

    parts.append("<h2>Figures</h2>")
    for key, caption, func in FIGURES:
        fig = func(run)
        if fig is None:
            continue
        data = base64.b64encode(png_bytes(fig, dpi=dpi)).decode("ascii")
        parts += [f'<figure id="{key}">',
                  f'<img src="data:image/png;base64,{data}" alt="{esc(caption)}">',
                  f"<figcaption><b>{esc(caption)}.</b> {esc(CAPTIONS.get(key, ''))}"
                  "</figcaption>",
                  "</figure>"]
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def write_report(run_dir: str | os.PathLike[str],
                 out_file: str | os.PathLike[str] | None = None) -> Path:
    """Write the HTML report of a finished run folder, atomically.

    Args:
        run_dir: a result folder written by ``hdsim run`` (has the ``_SUCCESS`` marker).
        out_file: the HTML file to write; default ``run_dir/report.html``. Its folder is
            created if needed. The page is written to a temporary file beside it and renamed
            into place, so a reader never sees half a report.

    Returns:
        The absolute path of the report.

    Raises:
        ValueError: ``run_dir`` is not a finished run folder.
    """
    run_dir = Path(run_dir).expanduser()
    run = load_run(run_dir)  # ValueError unless a finished run folder
    text = report_html(run, source=run_dir.absolute())
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
