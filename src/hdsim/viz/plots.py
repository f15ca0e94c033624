"""Figures of a run's result folder: ground track, flight profile, detections, tracking, shots.

Every function takes a :class:`RunData` (the Parquet tables and ``summary.json`` of one run, see
docs/results.md) and returns a :class:`matplotlib.figure.Figure` built without pyplot on the Agg
canvas, so nothing needs a display and no global figure registry fills up; :func:`png_bytes`
renders one to PNG. Functions whose input table is absent or empty return ``None``.

Conventions: times are seconds since the scenario epoch; positions are converted from ECEF to
geodetic on the ellipsoid that reproduces the run's own ``truth.parquet`` (WGS-84 or the
sphere). Each data line carries a ``gid`` naming what it shows (``truth:<threat_id>``,
``track:<track_id>``, ...) so tests and scripts can find the plotted data again.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from numpy.typing import NDArray

from hdsim.earth import SPHERE, WGS84, Ellipsoid, ecef_to_geodetic
from hdsim.results import read_run, read_summary
from hdsim.threats.trajectory import hermite
from hdsim.tracking.history import TrackStatus

__all__ = [
    "campaign_distributions",
    "campaign_sweep",
    "nees_timeline",
    "RunData",
    "load_run",
    "ground_track",
    "flight_profile",
    "detection_timeline",
    "tracking_errors",
    "ospa_timeline",
    "engagement_timeline",
    "FIGURES",
    "figures",
    "png_bytes",
    "PHASE_COLORS",
    "OUTCOME_COLORS",
]

PHASE_COLORS: dict[str, str] = {
    "boost": "#d62728",
    "midcourse": "#9467bd",
    "pullup": "#ff7f0e",
    "glide": "#1f77b4",
    "cruise": "#17becf",
    "terminal": "#8c564b",
    "impact": "#000000",
}
"""Colour of each flight phase (``truth.parquet`` ``phase``); others are drawn grey."""

OUTCOME_COLORS: dict[str, str] = {
    "kill": "#2ca02c",
    "killed": "#2ca02c",
    "hit": "#2ca02c",
    "miss": "#d62728",
    "missed": "#d62728",
}
"""Colour of each engagement outcome; others come from a fixed fallback cycle."""

_THREAT_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                  "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
_OTHER_OUTCOME_COLORS = ("#ff7f0e", "#7f7f7f", "#9467bd", "#17becf", "#bcbd22")
_LINESTYLES = ("-", "--", ":", "-.")
_TRACKED_STATUS = tuple(TrackStatus.names()[s] for s in TrackStatus.firm())
_TIME_LABEL = "Time since epoch (s)"
_MAX_TRACK_LEGEND = 6


@dataclass(frozen=True)
class RunData:
    """One run's results in memory.

    Attributes:
        tables: table name (``truth``, ``detections``, ...) -> Arrow table.
        summary: the parsed ``summary.json``.
    """

    tables: Mapping[str, pa.Table]
    summary: Mapping[str, Any] = field(default_factory=dict)

    def table(self, name: str) -> pa.Table | None:
        """The table ``name``, or ``None`` when it is absent or has no rows."""
        t = self.tables.get(name)
        return t if t is not None and t.num_rows > 0 else None

    @property
    def title(self) -> str:
        """The scenario name (or ``"run"``)."""
        return str(self.summary.get("scenario") or "run")


def load_run(run_dir: str | Path) -> RunData:
    """Read a finished run folder (raises ``ValueError`` if it is not one)."""
    return RunData(tables=read_run(run_dir), summary=read_summary(run_dir))


def png_bytes(fig: Figure, dpi: int = 100) -> bytes:
    """Render ``fig`` to PNG bytes with the Agg canvas."""
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


# --------------------------------------------------------------------------- helpers


def _new_figure(width_in: float, height_in: float) -> Figure:
    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _threat_grid(n: int, row_height_in: float) -> tuple[Figure, NDArray[np.object_], int]:
    """A figure with one axes per threat (shared x; two columns beyond four threats, unused
    axes hidden). Returns ``(fig, axes (flat), ncols)``."""
    ncols = 1 if n <= 4 else 2
    nrows = -(-n // ncols)
    fig = _new_figure(10.0 if ncols == 1 else 13.0, 0.9 + row_height_in * nrows)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, sharex=True, squeeze=False)).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes, ncols


def _num(table: pa.Table, name: str) -> NDArray[np.float64]:
    """A numeric column as float64 (nulls as NaN)."""
    return table.column(name).to_numpy(zero_copy_only=False).astype(np.float64)


def _str(table: pa.Table, name: str) -> NDArray[np.object_]:
    """A string column as an object array (nulls as ``None``)."""
    return np.asarray(table.column(name).to_pylist(), dtype=object)


def _ordered_unique(values: NDArray[np.object_]) -> list[Any]:
    return list(dict.fromkeys(v for v in values.tolist() if v is not None))


def _threat_ids(run: RunData) -> list[str]:
    truth = run.table("truth")
    if truth is not None:
        return _ordered_unique(_str(truth, "threat_id"))
    return [str(r["threat_id"]) for r in run.summary.get("threats", [])]


def _threat_colors(run: RunData) -> dict[str, str]:
    return {tid: _THREAT_COLORS[i % len(_THREAT_COLORS)]
            for i, tid in enumerate(_threat_ids(run))}


@dataclass(frozen=True)
class _Truth:
    """One threat's truth, sorted by time."""

    t_s: NDArray[np.float64]
    pos_ecef: NDArray[np.float64]   # (n, 3) m
    vel_ecef: NDArray[np.float64]   # (n, 3) m/s
    lat_deg: NDArray[np.float64]
    lon_deg: NDArray[np.float64]
    alt_m: NDArray[np.float64]
    speed_mps: NDArray[np.float64]
    mach: NDArray[np.float64]
    phase: NDArray[np.object_]

    def position_at(self, t_s: NDArray[np.float64]) -> NDArray[np.float64]:
        """ECEF position (m) at ``t_s`` by cubic Hermite interpolation on the truth's positions
        and velocities (the run loop's own interpolant); NaN outside the truth's time span."""
        t = np.asarray(t_s, dtype=np.float64)
        n = self.t_s.size
        if n == 0:
            return np.full(t.shape + (3,), np.nan)
        if n == 1:
            out = np.broadcast_to(self.pos_ecef[0], t.shape + (3,)).copy()
            out[t != self.t_s[0]] = np.nan
            return out
        k = np.clip(np.searchsorted(self.t_s, t, side="right") - 1, 0, n - 2)
        out = hermite(self.t_s[k], self.t_s[k + 1], self.pos_ecef[k], self.pos_ecef[k + 1],
                      self.vel_ecef[k], self.vel_ecef[k + 1], t)
        out[(t < self.t_s[0]) | (t > self.t_s[-1])] = np.nan
        return out


def _truth_by_threat(run: RunData) -> dict[str, _Truth]:
    truth = run.table("truth")
    if truth is None:
        return {}
    ids = _str(truth, "threat_id")
    cols = {c: _num(truth, c) for c in ("t_s", "x_m", "y_m", "z_m", "vx_mps", "vy_mps",
                                        "vz_mps", "lat_deg", "lon_deg", "alt_m", "speed_mps",
                                        "mach")}
    phase = _str(truth, "phase")
    out = {}
    for tid in _ordered_unique(ids):
        idx = np.flatnonzero(ids == tid)
        idx = idx[np.argsort(cols["t_s"][idx], kind="stable")]
        out[tid] = _Truth(
            t_s=cols["t_s"][idx],
            pos_ecef=np.stack([cols["x_m"][idx], cols["y_m"][idx], cols["z_m"][idx]], axis=-1),
            vel_ecef=np.stack([cols["vx_mps"][idx], cols["vy_mps"][idx], cols["vz_mps"][idx]],
                              axis=-1),
            lat_deg=cols["lat_deg"][idx], lon_deg=cols["lon_deg"][idx], alt_m=cols["alt_m"][idx],
            speed_mps=cols["speed_mps"][idx], mach=cols["mach"][idx], phase=phase[idx],
        )
    return out


def _run_ellipsoid(run: RunData) -> Ellipsoid:
    """WGS-84 or the sphere: whichever reproduces the truth table's own latitudes."""
    truth = run.table("truth")
    if truth is None:
        return WGS84
    pos = np.stack([_num(truth, c)[:50] for c in ("x_m", "y_m", "z_m")], axis=-1)
    lat = np.radians(_num(truth, "lat_deg")[:50])
    err = [np.nanmax(np.abs(ecef_to_geodetic(pos, e)[0] - lat)) for e in (WGS84, SPHERE)]
    return SPHERE if err[1] < err[0] else WGS84


def _geodetic_deg(pos_ecef: NDArray[np.float64], ellipsoid: Ellipsoid
                  ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    lat, lon, alt = ecef_to_geodetic(pos_ecef, ellipsoid)
    return np.degrees(lat), np.degrees(lon), alt


def _wrap_near(lon_deg: NDArray[np.float64], ref_deg: float) -> NDArray[np.float64]:
    """Longitudes unwrapped along the series, shifted by whole turns to start near ``ref_deg``
    (a track across the antimeridian stays one line)."""
    if lon_deg.size == 0:
        return lon_deg
    lon = np.degrees(np.unwrap(np.radians(lon_deg)))
    return lon - 360.0 * np.round((lon[0] - ref_deg) / 360.0)


def _phase_runs(phase: NDArray[np.object_]) -> list[tuple[str, int, int]]:
    """Contiguous runs of one phase as ``(phase, start, stop)`` (stop exclusive)."""
    if phase.size == 0:
        return []
    change = np.flatnonzero(phase[1:] != phase[:-1]) + 1
    starts = np.concatenate([[0], change])
    stops = np.concatenate([change, [phase.size]])
    return [(str(phase[a]), int(a), int(b)) for a, b in zip(starts, stops, strict=True)]


def _no_data(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", color="0.4")


def _tracked_rows(run: RunData) -> dict[str, NDArray[Any]] | None:
    """Rows of ``tracks.parquet`` with a confirmed or coasting status, as columns sorted by track
    and time. A track updated by several reports at one time has one row per update; only the
    last (the estimate after all of that time's reports) is kept."""
    tracks = run.table("tracks")
    if tracks is None:
        return None
    status = _str(tracks, "status")
    keep = np.isin(status, _TRACKED_STATUS)
    cols: dict[str, NDArray[Any]] = {
        "track_id": tracks.column("track_id").to_numpy(zero_copy_only=False)[keep],
        "truth_id": (_str(tracks, "truth_id")[keep] if "truth_id" in tracks.column_names
                     else np.full(int(keep.sum()), None, dtype=object)),
        "t_s": _num(tracks, "t_s")[keep],
        "pos_ecef": np.stack([_num(tracks, c)[keep] for c in ("x_m", "y_m", "z_m")], axis=-1),
        "sigma_pos_m": (_num(tracks, "sigma_pos_m")[keep] if "sigma_pos_m" in tracks.column_names
                        else np.full(int(keep.sum()), np.nan)),
    }
    order = np.lexsort((cols["t_s"], cols["track_id"]))  # stable: file order within a time
    cols = {k: v[order] for k, v in cols.items()}
    last = np.ones(order.size, dtype=bool)
    last[:-1] = (cols["track_id"][1:] != cols["track_id"][:-1]) | (
        cols["t_s"][1:] != cols["t_s"][:-1])
    return {k: v[last] for k, v in cols.items()}


# --------------------------------------------------------------------------- figures


def ground_track(run: RunData) -> Figure:
    """Map (longitude, latitude in degrees, equirectangular) of every threat's truth with launch
    and impact markers, the confirmed/coasting track estimates, and radar sites (from the
    radar detections' sensor positions)."""
    truths = _truth_by_threat(run)
    colors = _threat_colors(run)
    ell = _run_ellipsoid(run)
    ref = float(next(iter(truths.values())).lon_deg[0]) if truths else 0.0
    radars = _radar_sites(run, ell)
    fig = _new_figure(10.0, _map_height_in(truths, radars, ref, 10.0))
    ax = fig.add_subplot()
    impacted = {str(r.get("threat_id")): bool(r.get("impacted"))
                for r in run.summary.get("threats", [])}
    lats: list[float] = []
    for tid, tr in truths.items():
        lon = _wrap_near(tr.lon_deg, ref)
        ax.plot(lon, tr.lat_deg, color=colors[tid], lw=1.6, label=tid, gid=f"truth:{tid}",
                zorder=3)
        ax.plot(lon[0], tr.lat_deg[0], "^", color=colors[tid], ms=9, mec="k",
                gid=f"launch:{tid}")
        if impacted.get(tid, tr.phase[-1] == "impact"):
            ax.plot(lon[-1], tr.lat_deg[-1], "X", color=colors[tid], ms=10, mec="k",
                    gid=f"impact:{tid}")
        lats.extend([float(np.nanmin(tr.lat_deg)), float(np.nanmax(tr.lat_deg))])

    handles: list[Any] = []
    tracked = _tracked_rows(run)
    if tracked is not None and tracked["t_s"].size:
        lat, lon, _ = _geodetic_deg(tracked["pos_ecef"], ell)
        for tid in np.unique(tracked["track_id"]):
            m = tracked["track_id"] == tid
            ax.plot(_wrap_near(lon[m], ref), lat[m], ls="none", marker="o", ms=4, mew=0,
                    color="0.55", alpha=0.5, gid=f"track:{tid}", zorder=2)
        handles.append(Line2D([], [], ls="none", marker="o", ms=5, mew=0, color="0.55",
                              label="confirmed track estimates"))

    for sid, (lat_s, lon_s) in radars.items():
        lon_s = float(_wrap_near(np.array([lon_s]), ref)[0])
        ax.plot(lon_s, lat_s, "s", color="#e377c2", ms=9, mec="k", gid=f"radar:{sid}")
        ax.annotate(sid, (lon_s, lat_s), xytext=(6, 6), textcoords="offset points", fontsize=9)
        lats.append(lat_s)
    if radars:
        handles.append(Line2D([], [], ls="none", marker="s", color="#e377c2", mec="k", ms=8,
                              label="radar site"))

    if truths:
        handles = [Line2D([], [], color=colors[t], lw=1.8, label=t) for t in truths] + [
            Line2D([], [], ls="none", marker="^", color="w", mec="k", ms=8, label="launch"),
            Line2D([], [], ls="none", marker="X", color="w", mec="k", ms=8, label="impact"),
        ] + handles
        ax.legend(handles=handles, loc="best", fontsize=9, ncols=1 if len(handles) < 12 else 2)
        mid = 0.5 * (min(lats) + max(lats))
        ax.set_aspect(1.0 / max(np.cos(np.radians(mid)), 0.1), adjustable="datalim")
        ax.margins(0.08)
    else:
        _no_data(ax, "no threats")
    ax.grid(True, alpha=0.4)
    ax.set_xlabel("Longitude (deg E)")
    ax.set_ylabel("Latitude (deg N)")
    ax.set_title(f"Ground track: {run.title}")
    return fig


def _map_height_in(truths: Mapping[str, _Truth], radars: Mapping[str, tuple[float, float]],
                   ref: float, width_in: float) -> float:
    """Figure height (in) that fits the map's extent at equal ground scale, within 4 to 9 in."""
    lat = [v for tr in truths.values() for v in (np.nanmin(tr.lat_deg), np.nanmax(tr.lat_deg))]
    lon = [v for tr in truths.values() for v in (np.nanmin(_wrap_near(tr.lon_deg, ref)),
                                                 np.nanmax(_wrap_near(tr.lon_deg, ref)))]
    lat += [a for a, _ in radars.values()]
    lon += [float(_wrap_near(np.array([o]), ref)[0]) for _, o in radars.values()]
    if not lat:
        return 6.0
    span_lon = (max(lon) - min(lon)) * np.cos(np.radians(0.5 * (min(lat) + max(lat))))
    ratio = (max(lat) - min(lat) + 1.0) / (span_lon + 1.0)
    return float(np.clip(1.3 + 0.85 * width_in * ratio, 4.0, 9.0))


def _radar_sites(run: RunData, ell: Ellipsoid) -> dict[str, tuple[float, float]]:
    """Radar id -> (lat_deg, lon_deg) of its site, from the radar rows of detections."""
    det = run.table("detections")
    need = {"sensor_type", "sensor_id", "sensor_x_m", "sensor_y_m", "sensor_z_m"}
    if det is None or not need <= set(det.column_names):
        return {}
    radar = np.flatnonzero(_str(det, "sensor_type") == "radar")
    if radar.size == 0:
        return {}
    sid = _str(det, "sensor_id")[radar]
    ids, first = np.unique(sid.astype(str), return_index=True)
    pos = np.stack([_num(det, c)[radar][first] for c in ("sensor_x_m", "sensor_y_m",
                                                           "sensor_z_m")], axis=-1)
    lat, lon, _ = _geodetic_deg(pos, ell)
    return {str(i): (float(a), float(o)) for i, a, o in zip(ids, lat, lon, strict=True)}


def flight_profile(run: RunData) -> Figure:
    """Altitude (km), speed (km/s) and Mach number vs time for every threat, coloured by flight
    phase (:data:`PHASE_COLORS`); threats are told apart by line style. Three axes."""
    fig = _new_figure(10.0, 8.5)
    axes = fig.subplots(3, 1, sharex=True)
    truths = _truth_by_threat(run)
    phases_seen: dict[str, None] = {}
    fields = (("alt_m", 1e-3, "Altitude (km)"), ("speed_mps", 1e-3, "Speed (km/s)"),
              ("mach", 1.0, "Mach number"))
    for i, (tid, tr) in enumerate(truths.items()):
        ls = _LINESTYLES[i % len(_LINESTYLES)]
        for name, a, b in _phase_runs(tr.phase):
            phases_seen[name] = None
            stop = min(b + 1, tr.t_s.size)  # join each run to the next one's first point
            color = PHASE_COLORS.get(name, "#7f7f7f")
            style = {"ls": "none", "marker": "X", "ms": 8} if name == "impact" else {"ls": ls}
            for ax, (col, scale, _) in zip(axes, fields, strict=True):
                y = getattr(tr, col)[a:stop] * scale
                ax.plot(tr.t_s[a:stop], y, color=color, lw=1.6, gid=f"{tid}:{name}", **style)
    for ax, (_, _, label) in zip(axes, fields, strict=True):
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.4)
    if truths:
        rank = {p: i for i, p in enumerate(PHASE_COLORS)}
        seen = sorted(phases_seen, key=lambda p: rank.get(p, len(rank)))
        axes[0].legend(handles=[Line2D([], [], ls="none", marker="X", ms=8, color="k", label=p)
                                if p == "impact" else
                                Patch(color=PHASE_COLORS.get(p, "#7f7f7f"), label=p)
                                for p in seen],
                       title="phase", loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
        if 1 < len(truths) <= len(_LINESTYLES):  # beyond that, line styles repeat
            axes[1].legend(handles=[Line2D([], [], color="0.3", ls=_LINESTYLES[i], label=t)
                                    for i, t in enumerate(truths)],
                           title="threat", loc="upper left", bbox_to_anchor=(1.01, 1.0),
                           fontsize=9)
    else:
        _no_data(axes[0], "no threats")
    axes[-1].set_xlabel(_TIME_LABEL)
    axes[0].set_title(f"Flight profile: {run.title}")
    return fig


def detection_timeline(run: RunData) -> Figure | None:
    """Raster of detection times: one row per threat and sensor layer (a tick per time with at
    least one detection), over a grey bar spanning the threat's flight, plus one row of false
    alarms per layer. ``None`` without detections. One axes."""
    det = run.table("detections")
    if det is None:
        return None
    t = _num(det, "t_s")
    layer_col = "layer_id" if "layer_id" in det.column_names else "sensor_id"
    layer = _str(det, layer_col).astype(str)
    truth_id = _str(det, "truth_id")
    layers = sorted(set(layer.tolist()))
    layer_color = {ly: _THREAT_COLORS[i % len(_THREAT_COLORS)] for i, ly in enumerate(layers)}
    truths = _truth_by_threat(run)
    rows: list[tuple[str, str | None, str]] = [(tid, ly, f"{tid} · {ly}")
                                                for tid in truths for ly in layers]
    rows += [(None, ly, f"false alarms · {ly}") for ly in layers
             if np.any((truth_id == None) & (layer == ly))]  # noqa: E711 (element-wise)
    fig = _new_figure(10.0, 1.6 + 0.38 * max(len(rows), 2))
    ax = fig.add_subplot()
    for y, (tid, ly, _) in enumerate(rows):
        if tid is not None:
            tr = truths[tid]
            ax.plot([tr.t_s[0], tr.t_s[-1]], [y, y], color="0.88", lw=9,
                    solid_capstyle="butt", zorder=0, gid=f"flight:{tid}")
            m = (truth_id == tid) & (layer == ly)
        else:
            m = (truth_id == None) & (layer == ly)  # noqa: E711 (element-wise)
        times = np.unique(t[m])
        ax.plot(times, np.full(times.size, float(y)), ls="none", marker="|", ms=9, mew=1.2,
                color=layer_color[ly] if tid is not None else "0.45",
                gid=f"detections:{tid}:{ly}")
    ax.set_yticks(range(len(rows)), [r[2] for r in rows])
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel(_TIME_LABEL)
    ax.grid(True, axis="x", alpha=0.4)
    ax.set_title(f"Detections by threat and sensor layer: {run.title}")
    return fig


def tracking_errors(run: RunData) -> Figure | None:
    """Per threat: position error (m, log scale) of each associated confirmed/coasting track
    (track estimate minus truth interpolated at the track's times) and the track's own 1-σ
    (``sigma_pos_m``, dashed). One axes per threat (two columns beyond four threats). ``None``
    without tracks."""
    tracked = _tracked_rows(run)
    truths = _truth_by_threat(run)
    if tracked is None or not truths:
        return None
    n = len(truths)
    fig, axes, ncols = _threat_grid(n, 2.6)
    for ax, (tid, tr) in zip(axes, truths.items(), strict=False):
        m_threat = tracked["truth_id"] == tid
        track_ids = np.unique(tracked["track_id"][m_threat])
        for j, trk in enumerate(track_ids):
            m = m_threat & (tracked["track_id"] == trk)
            t = tracked["t_s"][m]
            err = np.linalg.norm(tracked["pos_ecef"][m] - tr.position_at(t), axis=-1)
            color = _THREAT_COLORS[j % len(_THREAT_COLORS)]
            ax.plot(t, err, color=color, lw=0.8, alpha=0.85, gid=f"error:{tid}:{trk}")
            ax.plot(t, tracked["sigma_pos_m"][m], color=color, lw=1.8, ls="--",
                    gid=f"sigma:{tid}:{trk}")
        if track_ids.size:
            ax.set_yscale("log")
            shown = track_ids[:_MAX_TRACK_LEGEND]
            handles = [Line2D([], [], color="0.3", lw=0.8, label="error"),
                       Line2D([], [], color="0.3", lw=1.8, ls="--", label="1-σ")]
            handles += [Patch(color=_THREAT_COLORS[j % len(_THREAT_COLORS)], label=f"track {k}")
                        for j, k in enumerate(shown)]
            if track_ids.size > shown.size:
                handles.append(Patch(color="w", label=f"+{track_ids.size - shown.size} more"))
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
        else:
            _no_data(ax, "no confirmed track")
        ax.set_title(tid, fontsize=10)
        ax.set_ylabel("Position error (m)")
        ax.grid(True, which="both", alpha=0.3)
    for ax in axes[max(n - ncols, 0):n]:
        ax.set_xlabel(_TIME_LABEL)
    t0 = min(tr.t_s[0] for tr in truths.values())
    t1 = max(tr.t_s[-1] for tr in truths.values())
    axes[0].set_xlim(t0, t1)
    fig.suptitle(f"Track position error and 1-σ (confirmed and coasting tracks): {run.title}")
    return fig


def ospa_timeline(run: RunData) -> Figure | None:
    """OSPA and GOSPA (m, log scale) vs time, and the numbers of flying threats and confirmed
    tracks. Two axes. ``None`` without ``metrics.parquet``."""
    met = run.table("metrics")
    if met is None:
        return None
    t = _num(met, "t_s")
    order = np.argsort(t, kind="stable")
    t = t[order]
    fig = _new_figure(10.0, 6.0)
    ax, ax_n = fig.subplots(2, 1, sharex=True, height_ratios=(2, 1))
    for col, label, color, lw in (("ospa_m", "OSPA", "#1f77b4", 3.0),
                                  ("gospa_m", "GOSPA", "#d62728", 1.2)):
        if col in met.column_names:
            ax.plot(t, _num(met, col)[order], color=color, lw=lw, label=label, gid=col,
                    alpha=0.6 if lw > 2 else 1.0)
    ax.set_yscale("log")
    ax.set_ylabel("Distance (m)")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title(f"Multi-target tracking error: {run.title}")
    for col, label, color, lw in (("n_truth", "threats in flight", "0.6", 4.0),
                                  ("n_confirmed_tracks", "confirmed tracks", "#2ca02c", 1.5)):
        if col in met.column_names:
            ax_n.step(t, _num(met, col)[order], where="post", color=color, lw=lw, label=label,
                      gid=col)
    ax_n.set_ylabel("Count")
    ax_n.yaxis.get_major_locator().set_params(integer=True)
    ax_n.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    ax_n.grid(True, alpha=0.3)
    ax_n.set_xlabel(_TIME_LABEL)
    return fig


def nees_timeline(nr: Any, confidence: float = 0.95) -> Figure:
    """Filter consistency over Monte Carlo runs (a :class:`hdsim.campaign.nees.NeesRuns`):
    per threat, the NEES of each second averaged over the runs (log scale), its expected value
    6 and the two-sided χ² interval of ``M`` runs (shaded; seconds where fewer runs had a track
    are drawn lighter). One axes per threat (two columns beyond four threats)."""
    from hdsim.metrics.consistency import chi2_interval

    m = int(nr.seeds.size)
    lo, hi = chi2_interval(6, m, confidence)
    test = nr.test(confidence)
    frac = nr.fraction_inside(confidence)
    n = len(nr.threat_ids)
    fig, axes, ncols = _threat_grid(n, 2.4)
    for k, (ax, tid) in enumerate(zip(axes, nr.threat_ids, strict=False)):
        full = nr.runs_t[k] == m
        some = nr.runs_t[k] > 0
        ax.axhspan(lo, hi, color="#2ca02c", alpha=0.15, lw=0, label=f"{confidence:.0%} interval")
        ax.axhline(6.0, color="#2ca02c", lw=1.0, ls="--", label="expected (6)")
        ax.plot(nr.t_s, np.where(some & ~full, nr.nees_t[k], np.nan), color="#1f77b4",
                lw=0.8, alpha=0.35, gid=f"nees-partial:{tid}")
        ax.plot(nr.t_s, np.where(full, nr.nees_t[k], np.nan), color="#1f77b4", lw=0.9,
                label=f"run average ({m} runs)", gid=f"nees:{tid}")
        ax.set_yscale("log")
        ax.set_title(f"{tid}: mean {test.average[k]:.2f} "
                     f"({'inside' if test.inside[k] else 'OUTSIDE'}), "
                     f"{frac[k]:.0%} of seconds inside", fontsize=9)
        ax.set_ylabel("NEES")
        ax.grid(True, which="both", alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=8)
    for ax in axes[max(n - ncols, 0):n]:
        ax.set_xlabel(_TIME_LABEL)
    fig.suptitle(f"Tracker NEES over {m} Monte Carlo runs of the sensors "
                 f"(95 % interval [{lo:.2f}, {hi:.2f}])")
    return fig


def campaign_sweep(summary: Mapping[str, pa.Table], path: str) -> Figure:
    """A one-parameter sweep of a campaign: P(no leaker) and each threat's Pk against the swept
    value, with their Wilson 95 % bands (without weapons: each threat's custody, median and
    5-95 % band); ``summary`` from :mod:`hdsim.campaign.summary`."""
    grid, thr = summary["grid"], summary["threats"]
    x_of = dict(zip(grid["grid_point"].to_pylist(), grid[path].to_pylist(), strict=True))
    fig = _new_figure(7.5, 4.2)
    ax = fig.add_subplot(1, 1, 1)
    gp = np.array(grid["grid_point"].to_pylist())
    order = np.argsort([x_of[g] for g in gp])
    xs = np.array([x_of[g] for g in gp], float)[order]
    if "p_no_leaker" in grid.column_names:
        p, lo, hi = (_num(grid, c)[order] for c in ("p_no_leaker", "p_no_leaker_lo",
                                                     "p_no_leaker_hi"))
        ax.fill_between(xs, lo, hi, color="k", alpha=0.15, lw=0)
        ax.plot(xs, p, "k-o", lw=2, label="P(no leaker)", gid="p_no_leaker")
    tids = _ordered_unique(_str(thr, "threat_id"))
    for k, tid in enumerate(tids):
        m = _str(thr, "threat_id") == tid
        g = np.array(thr["grid_point"].to_pylist())[m]
        o = np.argsort([x_of[int(v)] for v in g])
        x = np.array([x_of[int(v)] for v in g], float)[o]
        # with weapons: Pk and its Wilson band; without: custody, median and 5-95 % band
        cols, name = ((("pk", "pk_lo", "pk_hi"), "Pk") if "pk" in thr.column_names else
                      (("custody_p50", "custody_p5", "custody_p95"), "custody"))
        pk, lo, hi = (_num(thr, c)[m][o] for c in cols)
        if not np.isfinite(pk).any():
            continue
        color = f"C{k % 10}"
        ax.fill_between(x, lo, hi, color=color, alpha=0.12, lw=0)
        ax.plot(x, pk, "-s", color=color, ms=4, label=f"{name} {tid}", gid=f"{name}:{tid}")
    runs = int(np.max(_num(grid, "runs_ok"))) if grid.num_rows else 0
    ax.set_xlabel(path)
    ax.set_ylabel("probability")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"Sweep of {path}: {runs} runs per point, 95 % bands")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="best")
    return fig


def campaign_distributions(outcomes: pa.Table) -> Figure | None:
    """Histograms over a campaign's draws, per threat: first detection, first fire-control
    track (s), custody (fraction of the flight) and position RMSE (m); ``outcomes`` is the
    catalog's ``threat_outcomes`` table. None when it has no rows."""
    if outcomes.num_rows == 0:
        return None
    panels = (("first_detection_s", "first detection, s"),
              ("first_fire_control_s", "first fire-control track, s"),
              ("custody", "custody (fraction of flight)"), ("rmse_pos_m", "position RMSE, m"))
    fig = _new_figure(10.0, 6.5)
    tids = _ordered_unique(_str(outcomes, "threat_id"))
    ids = _str(outcomes, "threat_id")
    for k, (col, label) in enumerate(panels):
        ax = fig.add_subplot(2, 2, k + 1)
        vals = _num(outcomes, col)
        finite = vals[np.isfinite(vals)]
        if finite.size == 0:
            _no_data(ax, f"no {label}")
            continue
        lo, hi = float(finite.min()), float(finite.max())
        bins = np.linspace(lo, hi if hi > lo else lo + 1.0, 21)
        for j, tid in enumerate(tids):
            v = vals[(ids == tid) & np.isfinite(vals)]
            if v.size:
                ax.hist(v, bins=bins, histtype="step", lw=1.5, color=f"C{j % 10}",
                        label=f"{tid} (n={v.size})", gid=f"{col}:{tid}")
        ax.set_xlabel(label)
        ax.set_ylabel("draws")
        ax.grid(alpha=0.3)
        if k == 0:
            ax.legend(fontsize=7)
    fig.suptitle("Distributions over the campaign's draws")
    return fig


def engagement_timeline(run: RunData) -> Figure | None:
    """One row per shot, grouped by threat: a bar from launch to intercept time coloured by
    outcome, over a grey bar spanning the threat's flight. ``None`` without engagements. One
    axes."""
    eng = run.table("engagements")
    if eng is None:
        return None
    shot = _str(eng, "shot_id").astype(str)
    weapon = _str(eng, "weapon_id").astype(str)
    threat = _str(eng, "threat_id")
    outcome = np.array([str(o) if o is not None else "unknown"
                        for o in _str(eng, "outcome")], dtype=object)
    t_launch = _num(eng, "launch_t_s")
    t_hit = _num(eng, "intercept_t_s")
    threat_order = {tid: i for i, tid in enumerate(_threat_ids(run))}
    order = sorted(range(eng.num_rows),
                   key=lambda i: (threat_order.get(threat[i], len(threat_order)),
                                  str(threat[i]), t_launch[i]))
    other = iter(_OTHER_OUTCOME_COLORS * 4)
    colors = {o: OUTCOME_COLORS.get(o.lower()) or next(other, "#7f7f7f")
              for o in dict.fromkeys(outcome[order].tolist())}
    truths = _truth_by_threat(run)
    fig = _new_figure(10.0, 1.6 + 0.4 * max(len(order), 2))
    ax = fig.add_subplot()
    for y, i in enumerate(order):
        tr = truths.get(threat[i])
        if tr is not None:
            ax.plot([tr.t_s[0], tr.t_s[-1]], [y, y], color="0.88", lw=10,
                    solid_capstyle="butt", zorder=0)
        c = colors[outcome[i]]
        end = t_hit[i] if np.isfinite(t_hit[i]) else t_launch[i]
        ax.plot([t_launch[i], end], [y, y], color=c, lw=4, solid_capstyle="butt",
                gid=f"shot:{shot[i]}")
        ax.plot([t_launch[i]], [y], "|", color=c, ms=12, mew=2)
        if np.isfinite(t_hit[i]):
            ax.plot([t_hit[i]], [y], "o", color=c, ms=7, mec="k")
    ax.set_yticks(range(len(order)),
                  [f"{shot[i]} ({weapon[i]} → {threat[i]})" for i in order])
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.legend(handles=[Patch(color=c, label=o) for o, c in colors.items()]
              + [Patch(color="0.88", label="threat in flight")],
              title="outcome", loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    ax.set_xlabel(_TIME_LABEL)
    ax.grid(True, axis="x", alpha=0.4)
    ax.set_title(f"Engagements (launch to intercept): {run.title}")
    return fig


FIGURES = (
    ("ground_track", "Ground track", ground_track),
    ("flight_profile", "Flight profile", flight_profile),
    ("detections", "Detections", detection_timeline),
    ("tracking_errors", "Track position error", tracking_errors),
    ("ospa", "OSPA / GOSPA", ospa_timeline),
    ("engagements", "Engagements", engagement_timeline),
)
"""``(key, caption, function)`` of every figure, in report order."""


def figures(run: RunData) -> dict[str, Figure]:
    """Every figure that the run's tables support, keyed as in :data:`FIGURES`, in order."""
    out = {}
    for key, _, func in FIGURES:
        fig = func(run)
        if fig is not None:
            out[key] = fig
    return out
