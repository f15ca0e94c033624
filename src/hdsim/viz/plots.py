"""Figures of a run's result folder: ground track, flight profile, detections, tracking, shots.

Every function takes a :class:`RunData` (the Parquet tables and ``summary.json`` of one run, see
docs/results.md) and returns a :class:`matplotlib.figure.Figure` built without pyplot on the Agg
canvas, so nothing needs a display and no global figure registry fills up; :func:`png_bytes`
renders one to PNG (150 dpi), :func:`figure_bytes` to PNG or SVG. Functions whose input table is
absent or empty return ``None``. :func:`coverage_maps` draws the figures of merit of an
``hdsim coverage`` folder.

Each threat has one colour in every figure (:func:`threat_colors`, in scenario order). Maps
are equirectangular in degrees over the shipped Natural Earth geography
(:mod:`hdsim.viz.geography`).

Conventions: times are seconds since the scenario epoch; positions are converted from ECEF to
geodetic on the ellipsoid that reproduces the run's own ``truth.parquet`` (WGS-84 or the
sphere). Each data line carries a ``gid`` naming what it shows (``truth:<threat_id>``,
``track:<track_id>``, ...) so tests and scripts can find the plotted data again.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon
from matplotlib.ticker import MaxNLocator
from numpy.typing import NDArray

from hdsim.earth import SPHERE, WGS84, Ellipsoid, ecef_to_geodetic
from hdsim.results import read_run, read_summary
from hdsim.threats.trajectory import hermite
from hdsim.tracking.history import TrackStatus
from hdsim.viz.geography import draw_geography, radar_fan, range_ring, wrap_near

__all__ = [
    "campaign_distributions",
    "campaign_sweep",
    "coverage_maps",
    "figure_bytes",
    "threat_colors",
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
    "PHASE_STYLES",
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

PHASE_STYLES: dict[str, str] = {
    "boost": ":",
    "midcourse": "-",
    "pullup": "-.",
    "glide": "-",
    "cruise": "-",
    "terminal": "--",
}
"""Line style of each flight phase in the flight profile (lines there are coloured by threat)."""

OUTCOME_COLORS: dict[str, str] = {
    "kill": "#2ca02c",
    "killed": "#2ca02c",
    "hit": "#2ca02c",
    "miss": "#d62728",
    "missed": "#d62728",
}
"""Colour of each engagement outcome; others come from a fixed fallback cycle."""

# Threat colours: tab10 without its pink and grey (kept for radars and track estimates), then
# the darker tab20b hues; 14 before they repeat.
_THREAT_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                  "#17becf", "#bcbd22", "#393b79", "#637939", "#8c6d31", "#843c39",
                  "#7b4173", "#5254a3")
_RADAR_COLOR = "#e377c2"
_WEAPON_COLOR = "#202020"
_ASSET_COLOR = "#f2c12e"
_ASSET_EDGE = "#8a6d00"
_OTHER_OUTCOME_COLORS = ("#ff7f0e", "#7f7f7f", "#9467bd", "#17becf", "#bcbd22")
_TRACKED_STATUS = tuple(TrackStatus.names()[s] for s in TrackStatus.firm())
_TIME_LABEL = "Time since epoch (s)"
_MAX_TRACK_LEGEND = 6
_EXO_ALT_M = 100e3  # apogee above which a threat's profile goes to the exo-atmospheric column


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


def figure_bytes(fig: Figure, fmt: Literal["png", "svg"] = "png", dpi: int = 150) -> bytes:
    """Render ``fig`` to PNG (``dpi`` dots per inch) or SVG (vector; ``dpi`` only sizes any
    raster inside) bytes."""
    if fmt not in ("png", "svg"):
        raise ValueError(f"figure_bytes: fmt={fmt!r}; allowed: 'png', 'svg'")
    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    with rc_context({"svg.hashsalt": "hdsim"}):  # SVG: fixed element ids, no date
        fig.savefig(buf, format=fmt, dpi=dpi, metadata={"Date": None} if fmt == "svg" else None)
    return buf.getvalue()


def png_bytes(fig: Figure, dpi: int = 150) -> bytes:
    """Render ``fig`` to PNG bytes with the Agg canvas (150 dpi: sharp in a report)."""
    return figure_bytes(fig, "png", dpi)


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


def threat_colors(run: RunData) -> dict[str, str]:
    """Threat id -> its colour, the same in every figure of the run (scenario order)."""
    return {tid: _threat_color(i) for i, tid in enumerate(_threat_ids(run))}


def _threat_color(i: int) -> str:
    return _THREAT_COLORS[i % len(_THREAT_COLORS)]


def _shade(color: str, k: int) -> tuple[float, float, float]:
    """The ``k``-th variant of ``color``: itself, then alternately darker and lighter."""
    if k == 0:
        return to_rgb(color)
    rgb = np.array(to_rgb(color))
    amount = min(0.2 * ((k + 1) // 2), 0.6)
    toward = np.zeros(3) if k % 2 else np.ones(3)
    r, g, b = (rgb + amount * (toward - rgb)).tolist()
    return (r, g, b)


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


def _unwrap_near(lon_deg: NDArray[np.float64], ref_deg: float) -> NDArray[np.float64]:
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


@dataclass(frozen=True)
class _Site:
    """A defended asset, weapon or radar on the map (degrees; ``range_m`` NaN when unknown)."""

    kind: str          # "asset", "weapon" or "radar"
    site_id: str
    lat_deg: float
    lon_deg: float
    range_m: float     # asset radius, weapon maximum range, radar instrumented range
    az_min_deg: float = 0.0
    az_max_deg: float = 360.0


def _row_site(kind: str, row: Mapping[str, Any], range_key: str) -> _Site | None:
    """A site from a ``summary.json`` row: ``<kind>_id`` or ``id``; ``lat_deg, lon_deg`` in the
    row or in its ``site``; ``None`` without a position."""
    where = row.get("site") if isinstance(row.get("site"), Mapping) else row
    lat, lon = where.get("lat_deg"), where.get("lon_deg")
    if lat is None or lon is None:
        return None
    rng = row.get(range_key)
    return _Site(kind, str(row.get(f"{kind}_id", row.get("id", kind))), float(lat), float(lon),
                 float(rng) if rng is not None else math.nan,
                 float(row.get("az_min_deg", 0.0)), float(row.get("az_max_deg", 360.0)))


def _sites(run: RunData, ell: Ellipsoid) -> list[_Site]:
    """Defended assets, weapons and radars of the run, from ``summary.json`` (docs/results.md,
    "Maps"); radars without a summary row come from the radar detections' sensor positions."""
    s = run.summary
    rows = [("asset", r, "radius_m") for r in s.get("defended_assets") or []]
    rows += [("weapon", r, "max_range_m") for r in s.get("weapons") or []]
    rows += [("radar", r, "max_range_m") for r in s.get("radars") or []]
    sites = [site for kind, r, key in rows if (site := _row_site(kind, r, key)) is not None]
    known = {x.site_id for x in sites if x.kind == "radar"}
    sites += [_Site("radar", sid, lat, lon, math.nan)
              for sid, (lat, lon) in _radar_sites(run, ell).items() if sid not in known]
    return sites


def _shots_on_map(run: RunData, truths: Mapping[str, _Truth], ell: Ellipsoid
                  ) -> list[tuple[str, str, bool, float, float]]:
    """``(shot_id, threat_id, kill, lat_deg, lon_deg)`` of every shot with an intercept time:
    the threat's position then (its truth, interpolated), else the shot's predicted intercept
    point (``pip_lat_deg, pip_lon_deg``) when the table has it."""
    eng = run.table("engagements")
    if eng is None or "intercept_t_s" not in eng.column_names:
        return []
    t_hit = _num(eng, "intercept_t_s")
    shot = _str(eng, "shot_id")
    threat = _str(eng, "threat_id")
    outcome = (_str(eng, "outcome") if "outcome" in eng.column_names
               else np.full(eng.num_rows, None, dtype=object))
    has_pip = {"pip_lat_deg", "pip_lon_deg"} <= set(eng.column_names)
    pip = (_num(eng, "pip_lat_deg"), _num(eng, "pip_lon_deg")) if has_pip else None
    out = []
    for i in np.flatnonzero(np.isfinite(t_hit)):
        tr = truths.get(threat[i])
        lat = lon = math.nan
        if tr is not None:
            pos = tr.position_at(np.array([t_hit[i]]))
            if np.isfinite(pos).all():
                a, o, _ = _geodetic_deg(pos, ell)
                lat, lon = float(a[0]), float(o[0])
        if not np.isfinite(lat) and pip is not None:
            lat, lon = float(pip[0][i]), float(pip[1][i])
        if np.isfinite(lat) and np.isfinite(lon):
            kill = str(outcome[i]).lower() in ("kill", "killed", "hit")
            out.append((str(shot[i]), str(threat[i]), kill, lat, lon))
    return out


def _map_view(lon: list[float], lat: list[float], map_width_in: float
              ) -> tuple[tuple[float, float], tuple[float, float], float]:
    """View ``(lon_lim, lat_lim)`` (deg) around the points with a margin, widened so that at the
    equirectangular aspect it fills a map ``map_width_in`` wide and 3.5 to 8 in tall; and
    that height (in)."""
    if not lon:
        return (-180.0, 180.0), (-80.0, 80.0), 4.0
    lo, hi, la0, la1 = min(lon), max(lon), min(lat), max(lat)
    pad = 0.08 * max(hi - lo, la1 - la0) + 0.3
    lo, hi, la0, la1 = lo - pad, hi + pad, max(la0 - pad, -89.0), min(la1 + pad, 89.0)
    k = 1.0 / max(math.cos(math.radians(0.5 * (la0 + la1))), 0.1)  # y stretch
    if (la1 - la0) * k < 0.25 * (hi - lo):  # flat: at least a quarter as tall as wide
        grow = 0.5 * ((hi - lo) * 0.25 / k - (la1 - la0))
        la0, la1 = max(la0 - grow, -89.0), min(la1 + grow, 89.0)
    height = map_width_in * (la1 - la0) * k / (hi - lo)
    if height > 8.0:  # tall: widen the longitudes instead
        grow = 0.5 * ((la1 - la0) * k * map_width_in / 8.0 - (hi - lo))
        lo, hi, height = lo - grow, hi + grow, 8.0
    return (lo, hi), (la0, la1), float(max(height, 3.5))


@dataclass(frozen=True)
class _MapData:
    """What the ground-track map draws, longitudes unwrapped about one reference (deg)."""

    ref_deg: float
    ellipsoid: Ellipsoid
    colors: Mapping[str, str]
    truth: Mapping[str, tuple[NDArray[np.float64], NDArray[np.float64]]]  # id -> (lon, lat)
    impacted: Mapping[str, bool]
    tracks: Mapping[Any, tuple[NDArray[np.float64], NDArray[np.float64]]]
    sites: list[_Site]
    shots: list[tuple[str, str, bool, float, float]]  # shot, threat, kill, lat, lon


def _map_data(run: RunData) -> _MapData:
    truths = _truth_by_threat(run)
    ell = _run_ellipsoid(run)
    sites = _sites(run, ell)
    if truths:
        ref = float(next(iter(truths.values())).lon_deg[0])
    else:
        ref = sites[0].lon_deg if sites else 0.0
    tracks = {}
    tracked = _tracked_rows(run)
    if tracked is not None and tracked["t_s"].size:
        lat, lon, _ = _geodetic_deg(tracked["pos_ecef"], ell)
        for trk in np.unique(tracked["track_id"]):
            m = tracked["track_id"] == trk
            tracks[trk] = (_unwrap_near(lon[m], ref), lat[m])
    impacted = {str(r.get("threat_id")): bool(r.get("impacted"))
                for r in run.summary.get("threats", [])}
    return _MapData(
        ref_deg=ref, ellipsoid=ell, colors=threat_colors(run),
        truth={tid: (_unwrap_near(tr.lon_deg, ref), tr.lat_deg) for tid, tr in truths.items()},
        impacted={tid: impacted.get(tid, tr.phase[-1] == "impact") for tid, tr in truths.items()},
        tracks=tracks,
        sites=[_Site(x.kind, x.site_id, x.lat_deg, float(wrap_near(x.lon_deg, ref)), x.range_m,
                     x.az_min_deg, x.az_max_deg) for x in sites],
        shots=[(s, t, k, lat, float(wrap_near(lon, ref)))
               for s, t, k, lat, lon in _shots_on_map(run, truths, ell)],
    )


def _draw_map(ax: Axes, d: _MapData, lon_lim: tuple[float, float],
              lat_lim: tuple[float, float], inset: bool = False,
              unlabelled: tuple[float, float, float, float] | None = None) -> None:
    """Geography, sites with their rings, track estimates, truths and shots of ``d``; sites
    inside ``unlabelled`` (lon_lo, lon_hi, lat_lo, lat_hi: an inset shows them) get no label."""
    draw_geography(ax, lon_lim, lat_lim)
    tag = "inset-" if inset else ""

    def ring(x: _Site, gid: str, **style: Any) -> None:
        if x.kind == "radar":
            lon, lat = radar_fan(x.lat_deg, x.lon_deg, x.range_m, x.az_min_deg, x.az_max_deg,
                                 ellipsoid=d.ellipsoid)
        else:
            lon, lat = range_ring(x.lat_deg, x.lon_deg, x.range_m, ellipsoid=d.ellipsoid)
        ax.add_patch(Polygon(np.column_stack([lon, lat]), closed=True, gid=tag + gid, **style))

    for x in d.sites:
        has_range = bool(np.isfinite(x.range_m) and x.range_m > 0.0)
        if x.kind == "asset":
            if has_range:
                ring(x, f"asset:{x.site_id}", facecolor=_ASSET_COLOR, edgecolor=_ASSET_EDGE,
                     alpha=0.55, lw=1.2, zorder=1.7)
            ax.plot(x.lon_deg, x.lat_deg, "o", color=_ASSET_EDGE, ms=3, zorder=1.8,
                    gid=f"{tag}asset-centre:{x.site_id}")
        elif x.kind == "weapon":
            if has_range:
                ring(x, f"weapon-area:{x.site_id}", facecolor=_WEAPON_COLOR, alpha=0.07,
                     lw=0, zorder=1.5)
                ring(x, f"weapon-range:{x.site_id}", fill=False, edgecolor=_WEAPON_COLOR,
                     lw=1.1, zorder=1.6)
            ax.plot(x.lon_deg, x.lat_deg, "D", color=_WEAPON_COLOR, mec="w", ms=7, zorder=4,
                    gid=f"{tag}weapon:{x.site_id}")
        else:
            if has_range:
                ring(x, f"radar-range:{x.site_id}", fill=False, edgecolor=_RADAR_COLOR,
                     lw=1.2, ls="--", zorder=1.6)
            ax.plot(x.lon_deg, x.lat_deg, "s", color=_RADAR_COLOR, mec="k", ms=8, zorder=4,
                    gid=f"{tag}radar:{x.site_id}")
        if unlabelled is None or not (unlabelled[0] <= x.lon_deg <= unlabelled[1]
                                      and unlabelled[2] <= x.lat_deg <= unlabelled[3]):
            ax.annotate(x.site_id, (x.lon_deg, x.lat_deg),
                        xytext=(6, -10 if x.kind == "asset" else 5), textcoords="offset points",
                        fontsize=7 if inset else 8, zorder=6, annotation_clip=True)
    for trk, (lon, lat) in d.tracks.items():
        ax.plot(lon, lat, ls="none", marker="o", ms=3, mew=0, color="0.45", alpha=0.35,
                gid=f"{tag}track:{trk}", zorder=2)
    for tid, (lon, lat) in d.truth.items():
        c = d.colors[tid]
        ax.plot(lon, lat, color=c, lw=1.8, gid=f"{tag}truth:{tid}", zorder=3)
        ax.plot(lon[0], lat[0], "^", color=c, ms=8, mec="k", zorder=4, gid=f"{tag}launch:{tid}")
        if d.impacted[tid]:
            ax.plot(lon[-1], lat[-1], "X", color=c, ms=9, mec="k", zorder=4,
                    gid=f"{tag}impact:{tid}")
    for shot, tid, kill, lat, lon in d.shots:
        c = d.colors.get(tid, "0.3")
        if kill:
            ax.plot(lon, lat, "*", color=c, mec="k", mew=0.8, ms=15, zorder=5,
                    gid=f"{tag}kill:{shot}")
        else:
            ax.plot(lon, lat, "o", mfc="w", mec=c, mew=1.8, ms=8, zorder=5,
                    gid=f"{tag}intercept:{shot}")
    ax.grid(True, color="0.6", alpha=0.35, lw=0.5)


def _map_legend(d: _MapData) -> list[Any]:
    handles: list[Any] = [Line2D([], [], color=d.colors[t], lw=2.0, label=t) for t in d.truth]
    marker = {"ls": "none", "mec": "k"}
    if d.truth:
        handles.append(Line2D([], [], marker="^", color="w", ms=8, label="launch", **marker))
    if any(d.impacted.values()):
        handles.append(Line2D([], [], marker="X", color="w", ms=8, label="impact", **marker))
    if any(kill for _, _, kill, _, _ in d.shots):
        handles.append(Line2D([], [], marker="*", color="w", ms=12, label="kill", **marker))
    if any(not kill for _, _, kill, _, _ in d.shots):
        handles.append(Line2D([], [], ls="none", marker="o", mfc="w", mec="0.3", mew=1.8,
                              ms=8, label="intercept, missed"))
    if d.tracks:
        handles.append(Line2D([], [], ls="none", marker="o", ms=4, mew=0, color="0.45",
                              label="track estimates"))
    kinds = {x.kind for x in d.sites}
    ranged = {x.kind for x in d.sites if np.isfinite(x.range_m) and x.range_m > 0}
    if "asset" in kinds:
        handles.append(Patch(facecolor=_ASSET_COLOR, edgecolor=_ASSET_EDGE, alpha=0.7,
                             label="defended asset"))
    if "weapon" in kinds:
        handles.append(Line2D([], [], marker="D", color=_WEAPON_COLOR, mec="w", ms=7, lw=1.1,
                              ls="-" if "weapon" in ranged else "none",
                              label="weapon, max range" if "weapon" in ranged else "weapon"))
    if "radar" in kinds:
        handles.append(Line2D([], [], marker="s", color=_RADAR_COLOR, mec="k", ms=7, lw=1.2,
                              ls="--" if "radar" in ranged else "none",
                              label="radar, range" if "radar" in ranged else "radar"))
    return handles


def _defended_area(d: _MapData) -> tuple[float, float, float, float] | None:
    """``(lon_lo, lon_hi, lat_lo, lat_hi)`` around the defended assets, weapon sites and shots
    (asset radii included), or ``None`` without assets or weapons."""
    lon: list[float] = []
    lat: list[float] = []
    for x in d.sites:
        if x.kind in ("asset", "weapon"):
            r = x.range_m if x.kind == "asset" and np.isfinite(x.range_m) else 0.0
            ring_lon, ring_lat = (range_ring(x.lat_deg, x.lon_deg, r, n=9) if r > 0 else
                                  (np.array([x.lon_deg]), np.array([x.lat_deg])))
            lon += ring_lon.tolist()
            lat += ring_lat.tolist()
    if not lon:
        return None
    for *_, a, o in d.shots:
        lon.append(o)
        lat.append(a)
    k = 1.0 / max(math.cos(math.radians(0.5 * (min(lat) + max(lat)))), 0.1)
    half = 0.5 * max(max(lon) - min(lon), (max(lat) - min(lat)) * k, 0.2) * 1.25
    lon_c, lat_c = 0.5 * (min(lon) + max(lon)), 0.5 * (min(lat) + max(lat))
    return lon_c - half, lon_c + half, lat_c - half / k, lat_c + half / k


def ground_track(run: RunData) -> Figure:
    """Map of the raid over Natural Earth land, coastlines and borders (equirectangular,
    degrees).

    Draws every threat's truth in its colour (:func:`threat_colors`) with launch (triangle)
    and impact (cross) markers; the confirmed/coasting track estimates (grey dots); shots:
    a star where a shot killed its threat, an open circle where one missed (the threat's
    position at ``intercept_t_s``); defended assets as filled circles of their radius;
    weapon sites (diamonds) with a ring at their maximum range; radar sites (squares) with a
    dashed ring or sector at their instrumented range. Assets, weapons and radar ranges come
    from ``summary.json`` when it has them (docs/results.md, "Maps"); radar sites otherwise
    from the radar detections. The view fits the threats, sites and shots, not the rings.
    When the defended area (assets, weapons, shots) is small on that view, an inset in the
    emptiest corner shows it enlarged (a child axes of the map, marked on it). One axes; the
    legend is outside it, on the right."""
    d = _map_data(run)
    pts_lon = [v for lon, _ in d.truth.values() for v in (np.nanmin(lon), np.nanmax(lon))]
    pts_lat = [v for _, lat in d.truth.values() for v in (np.nanmin(lat), np.nanmax(lat))]
    pts_lon += [x.lon_deg for x in d.sites] + [s[4] for s in d.shots]
    pts_lat += [x.lat_deg for x in d.sites] + [s[3] for s in d.shots]
    lon_lim, lat_lim, height = _map_view(pts_lon, pts_lat, 7.6)
    fig = _new_figure(11.0, height + 1.0)
    ax = fig.add_subplot()
    area = _defended_area(d)
    if area is not None and (area[1] - area[0]) >= 0.2 * (lon_lim[1] - lon_lim[0]):
        area = None  # the map shows it well enough
    _draw_map(ax, d, lon_lim, lat_lim, unlabelled=area)
    if area is not None:
        _inset(ax, d, area, lon_lim, lat_lim)
    if not d.truth:
        _no_data(ax, "no threats")
    handles = _map_legend(d)
    if handles:
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8,
                  framealpha=1.0, ncols=1 if len(handles) <= 24 else 2)
    ax.set_xlabel("Longitude (deg E)")
    ax.set_ylabel("Latitude (deg N)")
    ax.set_title(f"Ground track: {run.title}")
    return fig


def _inset(ax: Axes, d: _MapData, area: tuple[float, float, float, float],
           lon_lim: tuple[float, float], lat_lim: tuple[float, float]) -> None:
    """The defended area enlarged, in the map corner that the threats' tracks cross least."""
    lon = np.concatenate([v[0] for v in d.truth.values()] or [np.empty(0)])
    lat = np.concatenate([v[1] for v in d.truth.values()] or [np.empty(0)])
    u = (lon - lon_lim[0]) / (lon_lim[1] - lon_lim[0])
    v = (lat - lat_lim[0]) / (lat_lim[1] - lat_lim[0])
    size = 0.36
    corners = [(x0, y0) for y0 in (1 - size - 0.02, 0.02) for x0 in (1 - size - 0.02, 0.02)]
    ac = ((0.5 * (area[0] + area[1]) - lon_lim[0]) / (lon_lim[1] - lon_lim[0]),
          (0.5 * (area[2] + area[3]) - lat_lim[0]) / (lat_lim[1] - lat_lim[0]))

    def crowd(c: tuple[float, float]) -> tuple[int, int]:
        inside = (u >= c[0]) & (u <= c[0] + size) & (v >= c[1]) & (v <= c[1] + size)
        covers_area = c[0] <= ac[0] <= c[0] + size and c[1] <= ac[1] <= c[1] + size
        return int(covers_area), int(inside.sum())

    x0, y0 = min(corners, key=crowd)
    inset = ax.inset_axes((x0, y0, size, size))
    _draw_map(inset, d, (area[0], area[1]), (area[2], area[3]), inset=True)
    inset.tick_params(labelsize=7)
    inset.xaxis.set_major_locator(MaxNLocator(3))
    inset.yaxis.set_major_locator(MaxNLocator(4))
    inset.set_title("Defended area", fontsize=8, pad=2)
    ax.indicate_inset_zoom(inset, edgecolor="0.2", alpha=0.8)


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
    """Altitude (km), speed (km/s) and Mach number vs time, one line per threat in its colour
    (:func:`threat_colors`), the flight phase shown by line style (:data:`PHASE_STYLES`; an
    impact is a cross, a kill a star). Threats whose apogee is above 100 km (ballistic
    midcourse) are drawn in a second column beside the others, so that their apogee does not
    flatten glide and cruise altitudes. Three axes per column, time shared; speed and Mach
    share their scale across columns."""
    truths = _truth_by_threat(run)
    colors = threat_colors(run)
    exo = {tid: bool(np.nanmax(tr.alt_m) > _EXO_ALT_M) for tid, tr in truths.items()}
    columns = [c for c in (False, True) if c in exo.values()] or [False]
    fields = (("alt_m", 1e-3, "Altitude (km)"), ("speed_mps", 1e-3, "Speed (km/s)"),
              ("mach", 1.0, "Mach number"))
    fig = _new_figure(10.0 if len(columns) == 1 else 13.5, 8.5)
    grid = np.asarray(fig.subplots(3, len(columns), sharex=True, squeeze=False))
    for row in (1, 2):
        for ax in grid[row, 1:]:
            ax.sharey(grid[row, 0])
    phases_seen: dict[str, None] = {}
    for tid, tr in truths.items():
        axes = grid[:, columns.index(exo[tid])]
        for name, a, b in _phase_runs(tr.phase):
            phases_seen[name] = None
            stop = min(b + 1, tr.t_s.size)  # join each run to the next one's first point
            if name in ("impact", "killed"):
                style = {"ls": "none", "marker": "X" if name == "impact" else "*",
                         "ms": 9 if name == "impact" else 13, "mec": "k", "mew": 0.7}
            else:
                style = {"ls": PHASE_STYLES.get(name, "-"),
                         "lw": 2.4 if name == "boost" else 1.6}
            for ax, (col, scale, _) in zip(axes, fields, strict=True):
                ax.plot(tr.t_s[a:stop], getattr(tr, col)[a:stop] * scale, color=colors[tid],
                        gid=f"{tid}:{name}", **style)
    for j, is_exo in enumerate(columns):
        for ax, (_, _, label) in zip(grid[:, j], fields, strict=True):
            ax.grid(True, alpha=0.4)
            if j == 0:
                ax.set_ylabel(label)
        grid[0, j].set_ylim(bottom=0.0)
        grid[-1, j].set_xlabel(_TIME_LABEL)
        if len(columns) > 1:
            grid[0, j].set_title("Exo-atmospheric: apogee above 100 km" if is_exo else
                                 "Within the atmosphere: apogee up to 100 km", fontsize=10)
    if truths:
        rank = {p: i for i, p in enumerate(PHASE_COLORS)} | {"killed": len(PHASE_COLORS)}
        seen = sorted(phases_seen, key=lambda p: rank.get(p, len(rank)))
        handles: list[Any] = [Line2D([], [], color=colors[t], lw=2.0, label=t) for t in truths]
        handles.append(Patch(color="w", label=""))  # a gap between threats and phases
        styles: dict[str, list[str]] = {}  # one legend row per line style
        for p in seen:
            styles.setdefault(p if p in ("impact", "killed") else PHASE_STYLES.get(p, "-"),
                              []).append(p)
        for style, names in styles.items():
            if style in ("impact", "killed"):
                handles.append(Line2D([], [], ls="none", marker="X" if style == "impact" else "*",
                                      ms=9 if style == "impact" else 12, color="w", mec="k",
                                      label=style))
            else:
                handles.append(Line2D([], [], color="0.3", ls=style, label=" / ".join(names),
                                      lw=2.4 if names == ["boost"] else 1.6))
        fig.legend(handles=handles, loc="outside right upper", fontsize=9,
                   title="threat · phase")
    else:
        _no_data(grid[0, 0], "no threats")
    fig.suptitle(f"Flight profile: {run.title}")
    return fig


def detection_timeline(run: RunData) -> Figure | None:
    """Raster of detection times: one row per threat and sensor layer (a tick per time with at
    least one detection, in the threat's colour), over a grey bar spanning the threat's flight,
    plus one grey row of false alarms per layer. ``None`` without detections. One axes."""
    det = run.table("detections")
    if det is None:
        return None
    t = _num(det, "t_s")
    layer_col = "layer_id" if "layer_id" in det.column_names else "sensor_id"
    layer = _str(det, layer_col).astype(str)
    truth_id = _str(det, "truth_id")
    layers = sorted(set(layer.tolist()))
    truths = _truth_by_threat(run)
    colors = threat_colors(run)
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
                color=colors.get(tid, "0.45") if tid is not None else "0.45",
                gid=f"detections:{tid}:{ly}")
    ax.set_yticks(range(len(rows)), [r[2] for r in rows])
    for label, (tid, _, _) in zip(ax.get_yticklabels(), rows, strict=True):
        label.set_color(colors.get(tid, "0.3") if tid is not None else "0.3")
    ax.set_ylim(len(rows) - 0.5, -0.5)
    ax.set_xlabel(_TIME_LABEL)
    ax.grid(True, axis="x", alpha=0.4)
    ax.set_title(f"Detections by threat and sensor layer: {run.title}")
    return fig


def tracking_errors(run: RunData) -> Figure | None:
    """Per threat: position error (m, log scale) of each associated confirmed/coasting track
    (track estimate minus truth interpolated at the track's times) and the track's own 1-σ
    (``sigma_pos_m``, dashed), in the threat's colour (a shade per track). One axes per threat
    (two columns beyond four threats). ``None`` without tracks."""
    tracked = _tracked_rows(run)
    truths = _truth_by_threat(run)
    if tracked is None or not truths:
        return None
    n = len(truths)
    colors = threat_colors(run)
    fig, axes, ncols = _threat_grid(n, 2.6)
    for ax, (tid, tr) in zip(axes, truths.items(), strict=False):
        m_threat = tracked["truth_id"] == tid
        track_ids = np.unique(tracked["track_id"][m_threat])
        for j, trk in enumerate(track_ids):
            m = m_threat & (tracked["track_id"] == trk)
            t = tracked["t_s"][m]
            err = np.linalg.norm(tracked["pos_ecef"][m] - tr.position_at(t), axis=-1)
            color = _shade(colors[tid], j)
            ax.plot(t, err, color=color, lw=0.8, alpha=0.85, gid=f"error:{tid}:{trk}")
            ax.plot(t, tracked["sigma_pos_m"][m], color=color, lw=1.8, ls="--",
                    gid=f"sigma:{tid}:{trk}")
        if track_ids.size:
            ax.set_yscale("log")
            shown = track_ids[:_MAX_TRACK_LEGEND]
            handles = [Line2D([], [], color="0.3", lw=0.8, label="error"),
                       Line2D([], [], color="0.3", lw=1.8, ls="--", label="1-σ")]
            handles += [Patch(color=_shade(colors[tid], j), label=f"track {k}")
                        for j, k in enumerate(shown)]
            if track_ids.size > shown.size:
                handles.append(Patch(color="w", label=f"+{track_ids.size - shown.size} more"))
            ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
        else:
            _no_data(ax, "no confirmed track")
        ax.set_title(tid, fontsize=10, color=colors[tid])
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
        ax.plot(nr.t_s, np.where(some & ~full, nr.nees_t[k], np.nan), color=_threat_color(k),
                lw=0.8, alpha=0.35, gid=f"nees-partial:{tid}")
        ax.plot(nr.t_s, np.where(full, nr.nees_t[k], np.nan), color=_threat_color(k), lw=0.9,
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


_UNIT_SUFFIXES = (("_mps2", "m/s²"), ("_mps", "m/s"), ("_deg", "°"), ("_rad", "rad"),
                  ("_km", "km"), ("_kg", "kg"), ("_m2", "m²"), ("_m", "m"), ("_s", "s"),
                  ("_g", "g"), ("_j", "J"))


def field_label(path: str) -> str:
    """Words and unit for a dotted scenario path, for axis labels:
    ``weapons.railgun-1.muzzle_speed_mps`` → ``railgun-1 muzzle speed (m/s)``."""
    parts = path.split(".")
    field = parts[-1]
    unit = ""
    for suffix, u in _UNIT_SUFFIXES:
        if field.endswith(suffix):
            field, unit = field[: -len(suffix)], u
            break
    owner = [q for q in parts[1:-1] if not q.isdigit()]
    words = " ".join([*owner, field.replace("_", " ")]).strip()
    return f"{words} ({unit})" if unit else words


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
        color = _threat_color(k)
        ax.fill_between(x, lo, hi, color=color, alpha=0.12, lw=0)
        ax.plot(x, pk, "-s", color=color, ms=4, label=f"{name} {tid}", gid=f"{name}:{tid}")
    runs = int(np.max(_num(grid, "runs_ok"))) if grid.num_rows else 0
    ax.set_xlabel(field_label(path))
    ax.set_ylabel("probability")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"Sweep of the {field_label(path)}: {runs} runs per point, 95 % bands")
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
                ax.hist(v, bins=bins, histtype="step", lw=1.5, color=_threat_color(j),
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
    threat_color = threat_colors(run)
    for label, i in zip(ax.get_yticklabels(), order, strict=True):
        label.set_color(threat_color.get(threat[i], "0.2"))
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.legend(handles=[Patch(color=c, label=o) for o, c in colors.items()]
              + [Patch(color="0.88", label="threat in flight")],
              title="outcome", loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    ax.set_xlabel(_TIME_LABEL)
    ax.grid(True, axis="x", alpha=0.4)
    ax.set_title(f"Engagements (launch to intercept): {run.title}")
    return fig


def coverage_maps(coverage: pa.Table, summary: Mapping[str, Any] | None = None) -> Figure:
    """Maps of an ``hdsim coverage`` folder (``coverage.parquet``, its ``summary.json``) over
    the coastlines: the percentage of time with at least one and at least two satellites in
    view, and the longest gap with none, in minutes. Each panel's title gives its
    area-weighted mean (cos latitude) and its worst grid point. Three axes side by side."""
    summary = summary or {}
    lat, lon = _num(coverage, "lat_deg"), _num(coverage, "lon_deg")
    lats, lons = np.unique(lat), np.unique(lon)
    w = np.cos(np.radians(lat))
    panels = (
        ("fraction_1", 100.0, "Time with ≥ 1 satellite in view", "% of time", "viridis",
         (0.0, 100.0), np.min, "%"),
        ("fraction_2", 100.0, "Time with ≥ 2 satellites in view (stereo)", "% of time",
         "viridis", (0.0, 100.0), np.min, "%"),
        ("max_gap_s", 1.0 / 60.0, "Longest gap with no satellite in view", "minutes",
         "magma_r", None, np.max, " min"),
    )
    span = (float(lons[-1] - lons[0]) if lons.size else 0.0) or 1.0
    extent = (float(lats[-1] - lats[0]) if lats.size else 0.0) or 1.0
    k = 1.0 / max(math.cos(math.radians(float(np.mean(lats)) if lats.size else 0.0)), 0.1)
    height = float(np.clip(4.2 * extent * k / span, 2.0, 6.0)) + 1.6
    fig = _new_figure(15.0, height)
    axes = fig.subplots(1, 3)
    step = float(summary.get("grid_deg") or (np.min(np.diff(lats)) if lats.size > 1 else 1.0))
    lon_lim = (float(lons.min()) - step / 2, float(lons.max()) + step / 2)
    lat_lim = (max(float(lats.min()) - step / 2, -90.0), min(float(lats.max()) + step / 2, 90.0))
    for ax, (col, scale, title, unit, cmap, lim, worst, sym) in zip(axes, panels, strict=True):
        z = _num(coverage, col) * scale
        vmin, vmax = lim if lim is not None else (0.0, max(float(np.nanmax(z)), 1.0))
        if lats.size >= 2 and lons.size >= 2 and lats.size * lons.size == z.size:
            order = np.lexsort((lon, lat))
            mesh = ax.pcolormesh(lons, lats, z[order].reshape(lats.size, lons.size),
                                 shading="nearest", cmap=cmap, vmin=vmin, vmax=vmax,
                                 gid=col, zorder=1)
        else:
            mesh = ax.scatter(lon, lat, c=z, cmap=cmap, vmin=vmin, vmax=vmax, gid=col,
                              zorder=1)
        draw_geography(ax, lon_lim, lat_lim, land=False, zorder=3)
        fig.colorbar(mesh, ax=ax, shrink=0.85, label=unit)
        ok = np.isfinite(z)
        mean = float(np.sum(w[ok] * z[ok]) / np.sum(w[ok])) if ok.any() else math.nan
        bad = float(worst(z[ok])) if ok.any() else math.nan
        ax.set_title(f"{title}\nmean {mean:.3g}{sym}, worst point {bad:.3g}{sym}", fontsize=10)
        ax.set_xlabel("Longitude (deg E)")
        ax.set_ylabel("Latitude (deg N)")
    head = str(summary.get("scenario") or "coverage")
    bits = []
    if summary.get("satellites"):
        bits.append(f"{summary['satellites']} satellites")
    if summary.get("altitude_m") is not None:
        bits.append(f"targets at {float(summary['altitude_m']) / 1e3:g} km altitude")
    if summary.get("span_s") and summary.get("step_s"):
        bits.append(f"{float(summary['span_s']) / 3600.0:g} h sampled every "
                    f"{float(summary['step_s']):g} s")
    if summary.get("grid_deg"):
        bits.append(f"{float(summary['grid_deg']):g}° grid")
    fig.suptitle(f"Space-layer coverage: {head}" + (f" ({', '.join(bits)})" if bits else ""))
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
