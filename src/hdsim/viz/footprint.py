"""Figures of a defended footprint (:mod:`hdsim.campaign.footprint`): the Pk map and the
engagement envelope."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pyarrow as pa
from matplotlib.colors import BoundaryNorm
from matplotlib.figure import Figure

from hdsim.viz.geography import draw_geography, range_ring

__all__ = ["envelope_figure", "footprint_figure"]

OUTCOME_STYLE = {"kill": ("#1a9850", "o"), "miss": ("#d73027", "x"),
                 "no_intercept": ("#7f7f7f", ".")}


def _col(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table[name].to_numpy(zero_copy_only=False), float)


def _edges(values: np.ndarray) -> np.ndarray:
    v = np.unique(values)
    if len(v) == 1:
        return np.array([v[0] - 0.05, v[0] + 0.05])
    mid = 0.5 * (v[1:] + v[:-1])
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])


def _bearing_deg(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Initial great-circle bearing from point 1 to point 2, degrees clockwise from north."""
    p1, p2, dl = math.radians(lat1), math.radians(lat2), math.radians(lon2 - lon1)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360.0


def footprint_figure(table: pa.Table, info: Mapping[str, Any]) -> Figure:
    """Map of the kill probability at each aim point, with coastlines, the defended asset, the
    weapon's site and the direction the threat comes from."""
    lat, lon, pk = _col(table, "lat_deg"), _col(table, "lon_deg"), _col(table, "pk")
    ulat, ulon = np.unique(lat), np.unique(lon)
    grid = np.full((len(ulat), len(ulon)), np.nan)
    grid[np.searchsorted(ulat, lat), np.searchsorted(ulon, lon)] = pk
    fig = Figure(figsize=(7.5, 6.4), layout="constrained")
    ax = fig.add_subplot()
    lat_e, lon_e = _edges(lat), _edges(lon)
    pad_lat = 0.15 * (lat_e[-1] - lat_e[0])
    pad_lon = 0.15 * (lon_e[-1] - lon_e[0])
    lon_lim = (lon_e[0] - pad_lon, lon_e[-1] + pad_lon)
    lat_lim = (lat_e[0] - pad_lat, lat_e[-1] + pad_lat)
    draw_geography(ax, lon_lim, lat_lim)
    levels = np.linspace(0.0, 1.0, 11)
    mesh = ax.pcolormesh(lon_e, lat_e, np.ma.masked_invalid(grid), cmap="RdYlGn",
                         norm=BoundaryNorm(levels, 256), alpha=0.8, zorder=3,
                         edgecolors="white", linewidth=0.3)
    cbar = fig.colorbar(mesh, ax=ax, shrink=0.85)
    cbar.set_label("Pk: fraction of runs in which the threat was killed")
    if grid.size <= 225:
        for la, lo, p, n in zip(lat, lon, pk, _col(table, "runs"), strict=True):
            if np.isfinite(p):
                ax.text(lo, la, f"{p:.2f}" if n > 1 else ("kill" if p else "leak"),
                        ha="center", va="center", fontsize=7, zorder=5)
    c = info["centre"]
    if c.get("radius_m", 0.0) > 0.0:
        rl, rt = range_ring(c["lat_deg"], c["lon_deg"], c["radius_m"])
        ax.plot(rl, rt, color="#08306b", lw=1.5, zorder=6,
                label=f"asset {c.get('asset_id') or ''} ({c['radius_m'] / 1e3:g} km)")
    ax.plot(c["lon_deg"], c["lat_deg"], marker="*", ms=12, color="#08306b", ls="none",
            zorder=7, label="defended asset" if c.get("asset_id") else "aim centre")
    site = info.get("weapon_site")
    if site:
        ax.plot(site["lon_deg"], site["lat_deg"], marker="^", ms=10, color="black", ls="none",
                zorder=7, label=f"{info['weapon_id']} ({info.get('weapon_type') or 'weapon'})")
    launch = info.get("launch")
    if launch:
        b = math.radians(_bearing_deg(c["lat_deg"], c["lon_deg"], launch["lat_deg"],
                                      launch["lon_deg"]))
        r_lat = 0.42 * (lat_e[-1] - lat_e[0])
        r_lon = 0.42 * (lon_e[-1] - lon_e[0])
        x0, y0 = c["lon_deg"] + r_lon * math.sin(b), c["lat_deg"] + r_lat * math.cos(b)
        ax.annotate("", xy=(c["lon_deg"] + 0.6 * (x0 - c["lon_deg"]),
                            c["lat_deg"] + 0.6 * (y0 - c["lat_deg"])), xytext=(x0, y0),
                    arrowprops={"arrowstyle": "->", "color": "#67000d", "lw": 2}, zorder=8)
        ax.text(x0, y0, f"from launch\n({math.degrees(b):.0f}°)", color="#67000d",
                fontsize=8, ha="center", va="center", zorder=8)
    ax.set_xlim(*lon_lim)
    ax.set_ylim(*lat_lim)
    ax.set_xlabel("longitude, ° E")
    ax.set_ylabel("latitude, ° N")
    runs = int(np.nanmax(_col(table, "runs"))) if table.num_rows else 0
    ax.set_title(f"Defended footprint: {info['weapon_id']} against {info['threat_id']} "
                 f"({info.get('threat_type') or 'threat'})\n{table.num_rows} aim points, "
                 f"{runs} run{'' if runs == 1 else 's'} each, step {info['step_km']:g} km",
                 fontsize=10)
    ax.legend(loc="lower left", fontsize=8, framealpha=0.9).set_zorder(9)
    return fig


def envelope_figure(envelope: pa.Table, info: Mapping[str, Any]) -> Figure:
    """Intercept altitude against ground range from the weapon of every round fired, by shot
    outcome; filled markers for rounds at aim points whose Pk is at least 0.5."""
    fig = Figure(figsize=(7.0, 4.6), layout="constrained")
    ax = fig.add_subplot()
    if envelope.num_rows == 0 or "ground_range_m" not in envelope.column_names:
        ax.text(0.5, 0.5, "no round was fired at any aim point", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    rng = _col(envelope, "ground_range_m") / 1e3
    alt = _col(envelope, "pip_alt_m") / 1e3
    inside = np.asarray(envelope["in_envelope"].to_numpy(zero_copy_only=False), bool)
    outcome = np.asarray(envelope["outcome"].to_pylist(), dtype=object)
    for name, (color, marker) in OUTCOME_STYLE.items():
        sel = outcome == name
        if not sel.any():
            continue
        ax.scatter(rng[sel & inside], alt[sel & inside], c=color, marker=marker, s=22,
                   label=f"{name.replace('_', ' ')} (aim point Pk ≥ 0.5)")
        if (sel & ~inside).any():
            ax.scatter(rng[sel & ~inside], alt[sel & ~inside], c=color, marker=marker, s=22,
                       alpha=0.35, label=f"{name.replace('_', ' ')} (Pk < 0.5)")
    ax.set_xlabel(f"ground range of the predicted intercept from {info['weapon_id']}, km")
    ax.set_ylabel("predicted intercept altitude, km")
    ax.set_xlim(0.0, 1.08 * float(np.nanmax(rng)) if np.isfinite(rng).any() else 1.0)
    ax.set_ylim(0.0, 1.08 * float(np.nanmax(alt)) if np.isfinite(alt).any() else 1.0)
    ax.grid(alpha=0.3)
    ax.set_title(f"Engagement envelope: {info['weapon_id']} against {info['threat_id']} "
                 f"({len(rng)} rounds)", fontsize=10)
    ax.legend(fontsize=8)
    return fig
