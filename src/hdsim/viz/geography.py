"""Geography for map figures: Natural Earth coastlines and borders, geodesic circles, radar fans.

Public surface::

    from hdsim.viz.geography import draw_geography, range_ring, radar_fan, set_map_aspect

    draw_geography(ax, (120.0, 145.0), (30.0, 45.0))       # land, coastlines, borders; degrees
    lon, lat = range_ring(35.68, 139.77, 25_000.0)          # a 25 km circle about Tokyo
    ax.fill(lon, lat, alpha=0.3)

Maps are equirectangular: x is longitude, y latitude, both in degrees, with the axes' aspect set
to 1/cos(latitude) at the middle of the view so that ground distances look the same east-west
and north-south there (:func:`set_map_aspect`). Longitudes need not lie in (-180, 180]: a view
may be ``(170, 200)`` to cross the antimeridian, and the geography is repeated every 360 deg.

Data: Natural Earth 4.1.0 (public domain) at 1:50m, shipped in ``data/natural_earth_50m.npz``
(about 0.23 MB) and read once; nothing is downloaded. Its source and how it is rebuilt are in
``data/README.md``. Positions are quantized to the source's grid, 0.0036 deg in longitude and
0.0017 deg in latitude; the 1:50m generalisation itself is a few km.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from importlib import resources

import numpy as np
from matplotlib.axes import Axes
from matplotlib.patches import PathPatch
from matplotlib.path import Path
from matplotlib.ticker import FuncFormatter
from matplotlib.transforms import Bbox
from numpy.typing import ArrayLike, NDArray

from hdsim.earth import WGS84, Ellipsoid

__all__ = [
    "LAND_COLOR",
    "OCEAN_COLOR",
    "NaturalEarth",
    "Polylines",
    "draw_geography",
    "natural_earth",
    "radar_fan",
    "range_ring",
    "set_map_aspect",
    "wrap_near",
]

DATA_FILE = "natural_earth_50m.npz"
LAND_COLOR = "#f1ede4"
"""Fill of land."""
OCEAN_COLOR = "#e3edf5"
"""Background of a map with land drawn (the sea)."""
_COAST_COLOR = "#6f6f6f"
_BORDER_COLOR = "#a3a3a3"


@dataclass(frozen=True)
class Polylines:
    """Many polylines in one array.

    Attributes:
        lonlat_deg: ``(N, 2)`` longitude, latitude (deg) of every vertex, line after line.
            Longitudes are continuous along a line (they may leave (-180, 180]).
        offsets: ``(n + 1,)`` line ``i`` is ``lonlat_deg[offsets[i]:offsets[i + 1]]``.
    """

    lonlat_deg: NDArray[np.float64]
    offsets: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.offsets.size - 1)

    def line(self, i: int) -> NDArray[np.float64]:
        """The ``(n_i, 2)`` vertices of line ``i``."""
        return self.lonlat_deg[self.offsets[i]:self.offsets[i + 1]]

    @functools.cached_property
    def bounds_deg(self) -> NDArray[np.float64]:
        """``(n, 4)`` lon_min, lon_max, lat_min, lat_max of every line."""
        start = self.offsets[:-1]
        cols = [np.minimum.reduceat(self.lonlat_deg[:, 0], start),
                np.maximum.reduceat(self.lonlat_deg[:, 0], start),
                np.minimum.reduceat(self.lonlat_deg[:, 1], start),
                np.maximum.reduceat(self.lonlat_deg[:, 1], start)]
        return np.stack(cols, axis=-1)


@dataclass(frozen=True)
class NaturalEarth:
    """The shipped geography.

    Attributes:
        coast: the land rings (coastlines; lake and sea holes such as the Caspian included),
            each closed (last vertex = first) except a ring around a pole. Exterior rings are
            counter-clockwise in (lon, lat), holes clockwise.
        coast_pole: ``(n,)`` int8, +1 / -1 for a ring that encloses the north / south pole
            (Antarctica): its longitudes run a whole turn and a fill closes it through the pole.
        borders: land borders between countries (arcs shared by two countries).
        source: where the data comes from.
    """

    coast: Polylines
    coast_pole: NDArray[np.int8]
    borders: Polylines
    source: str

    def land_rings(self) -> list[NDArray[np.float64]]:
        """Every land ring as a closed ``(n, 2)`` polygon, a polar ring closed through its pole
        (for fills and point-in-polygon tests; the even-odd rule gives land)."""
        out = []
        for i in range(len(self.coast)):
            v = self.coast.line(i)
            if self.coast_pole[i]:
                pole = 90.0 * float(self.coast_pole[i])
                v = np.vstack([v, [v[-1, 0], pole], [v[0, 0], pole], v[:1]])
            out.append(v)
        return out


def _decode(z: np.lib.npyio.NpzFile, name: str) -> Polylines:
    """Undo the per-line delta encoding of ``<name>_dq`` and apply the TopoJSON transform."""
    dq = z[f"{name}_dq"].astype(np.int64)
    offsets = z[f"{name}_offsets"].astype(np.int64)
    q = np.cumsum(dq, axis=0)
    before = np.vstack([np.zeros((1, 2), np.int64), q])[offsets[:-1]]  # sum before each line
    q -= np.repeat(before, np.diff(offsets), axis=0)
    return Polylines(lonlat_deg=q * z["scale"] + z["translate"], offsets=offsets)


@functools.cache
def natural_earth() -> NaturalEarth:
    """The shipped Natural Earth 1:50m coastlines and borders (read once, then cached)."""
    with (resources.files("hdsim.viz") / "data" / DATA_FILE).open("rb") as f, \
            np.load(f, allow_pickle=False) as z:
        return NaturalEarth(coast=_decode(z, "coast"), coast_pole=z["coast_pole"].copy(),
                            borders=_decode(z, "border"), source=str(z["source"]))


# --------------------------------------------------------------------------- drawing


def set_map_aspect(ax: Axes, lat_deg: float | None = None, *, adjustable: str = "box") -> None:
    """Equirectangular aspect: one degree of latitude is drawn ``1/cos(lat)`` times as long as
    one of longitude, ``lat`` the given latitude (deg) or the middle of the current y limits,
    so that ground distances there look the same in both directions (clipped at 84 deg)."""
    if lat_deg is None:
        lat_deg = 0.5 * sum(ax.get_ylim())
    ax.set_aspect(1.0 / max(math.cos(math.radians(lat_deg)), 0.1), adjustable=adjustable)


def _degrees(x: float, _pos: object = None) -> str:
    return f"{x:g}°"


def _longitude(x: float, _pos: object = None) -> str:
    return _degrees((x + 180.0) % 360.0 - 180.0 if abs(x) > 180.0 else x)


def _shifts(bounds: NDArray[np.float64], lo: float, hi: float) -> list[int]:
    """Whole turns k such that some line shifted by 360 k deg may meet [lo, hi]."""
    if bounds.size == 0:
        return []
    k0 = math.ceil((lo - float(bounds[:, 1].max())) / 360.0)
    k1 = math.floor((hi - float(bounds[:, 0].min())) / 360.0)
    return list(range(k0, k1 + 1))


def _visible(bounds: NDArray[np.float64], box: tuple[float, float, float, float],
             shift: float) -> NDArray[np.intp]:
    lo, hi, la0, la1 = box
    return np.flatnonzero((bounds[:, 1] + shift >= lo) & (bounds[:, 0] + shift <= hi)
                          & (bounds[:, 3] >= la0) & (bounds[:, 2] <= la1))


def _lines_in_view(lines: Polylines, box: tuple[float, float, float, float]
                   ) -> NDArray[np.float64]:
    """The parts of ``lines`` in ``box`` (lon_lo, lon_hi, lat_lo, lat_hi, shifted copies
    included) as one ``(M, 2)`` array, lines separated by NaN rows. A vertex is kept when it or
    a neighbour is inside, so every segment that crosses the box is kept whole."""
    parts = []
    for k in _shifts(lines.bounds_deg, box[0], box[1]):
        for i in _visible(lines.bounds_deg, box, 360.0 * k):
            parts.append(lines.line(int(i)) + [360.0 * k, 0.0])
            parts.append(np.full((1, 2), np.nan))
    if not parts:
        return np.empty((0, 2))
    v = np.concatenate(parts)
    lo, hi, la0, la1 = box
    inside = (v[:, 0] >= lo) & (v[:, 0] <= hi) & (v[:, 1] >= la0) & (v[:, 1] <= la1)
    keep = inside.copy()
    keep[1:] |= inside[:-1]
    keep[:-1] |= inside[1:]
    v[~keep] = np.nan
    nan = np.isnan(v[:, 0])
    drop = nan & np.concatenate([[True], nan[:-1]])  # runs of NaN rows -> one
    return v[~drop]


def draw_geography(ax: Axes, lon_lim: tuple[float, float], lat_lim: tuple[float, float], *,
                   borders: bool = True, land: bool = True, zorder: float = 0.5,
                   aspect: bool = True) -> None:
    """Draw Natural Earth land, coastlines and country borders into a map axes.

    The view is set to ``lon_lim`` × ``lat_lim`` (deg; longitudes may leave (-180, 180] to
    cross the antimeridian, the geography repeats every 360 deg) and only what lies in it is
    drawn. Also sets tick labels in degrees (longitudes shown in (-180, 180]) and, with
    ``aspect``, the equirectangular aspect of the middle latitude (:func:`set_map_aspect`).
    Axis labels, grid and title are left to the caller.

    Args:
        ax: a matplotlib axes whose x is longitude and y latitude, deg.
        lon_lim, lat_lim: the view, deg (any order; latitudes within [-90, 90]).
        borders: draw land borders between countries.
        land: fill land (``LAND_COLOR``) over a sea background (``OCEAN_COLOR``); without,
            only lines are drawn (over a coloured map, for instance).
        zorder: of the land fill; coastlines and borders go just above it.
        aspect: set the equirectangular aspect.

    Artists carry a ``gid``: ``"land"`` (a patch), ``"coastline"`` and ``"borders"`` (lines).
    """
    lo, hi = sorted(float(v) for v in lon_lim)
    la0, la1 = sorted(float(v) for v in lat_lim)
    if not (np.isfinite([lo, hi, la0, la1]).all() and hi > lo and la1 > la0
            and -90.0 <= la0 and la1 <= 90.0):
        raise ValueError(f"draw_geography: the view lon_lim={lon_lim}, lat_lim={lat_lim} must "
                         "be two finite, distinct longitudes and two latitudes in [-90, 90]")
    ne = natural_earth()
    pad = 0.02 * max(hi - lo, la1 - la0)
    box = (lo - pad, hi + pad, la0 - pad, la1 + pad)
    if land:
        rings = ne.land_rings()
        polys = [Path(rings[int(i)] + [360.0 * k, 0.0], closed=True)
                 for k in _shifts(ne.coast.bounds_deg, box[0], box[1])
                 for i in _visible(ne.coast.bounds_deg, box, 360.0 * k)]
        if polys:
            path = Path.make_compound_path(*polys).clip_to_bbox(
                Bbox.from_extents(box[0], box[2], box[1], box[3]))
            if len(path.vertices):
                ax.add_patch(PathPatch(path, facecolor=LAND_COLOR, edgecolor="none",
                                       zorder=zorder, gid="land"))
        ax.set_facecolor(OCEAN_COLOR)
    coast = _lines_in_view(ne.coast, box)
    ax.plot(coast[:, 0], coast[:, 1], color=_COAST_COLOR, lw=0.6, zorder=zorder + 0.1,
            gid="coastline")
    if borders:
        b = _lines_in_view(ne.borders, box)
        ax.plot(b[:, 0], b[:, 1], color=_BORDER_COLOR, lw=0.5, zorder=zorder + 0.1,
                gid="borders")
    ax.set_xlim(lo, hi)
    ax.set_ylim(la0, la1)
    ax.xaxis.set_major_formatter(FuncFormatter(_longitude))
    ax.yaxis.set_major_formatter(FuncFormatter(_degrees))
    if aspect:
        set_map_aspect(ax, 0.5 * (la0 + la1))


# --------------------------------------------------------------------------- geodesy


def _vincenty_direct(lat_rad: float, lon_rad: float, az_rad: NDArray[np.float64], s_m: float,
                     ellipsoid: Ellipsoid) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """End points of geodesics of length ``s_m`` from one point at azimuths ``az_rad``
    (clockwise from north), on ``ellipsoid``: Vincenty's direct solution (T. Vincenty, "Direct
    and inverse solutions of geodesics on the ellipsoid with application of nested equations",
    Survey Review 23(176), 1975, eqs. 1-9), iterated to 1e-13 rad. Longitudes are
    ``lon_rad + L`` with L in (-pi, pi] (continuous about the start). On a sphere (f = 0) it is
    the spherical direct formula."""
    a, f = ellipsoid.a_m, ellipsoid.f
    b = a * (1.0 - f)
    az = np.asarray(az_rad, dtype=np.float64)
    tan_u1 = (1.0 - f) * math.tan(lat_rad)
    cos_u1 = 1.0 / math.sqrt(1.0 + tan_u1 * tan_u1)
    sin_u1 = tan_u1 * cos_u1
    sin_az, cos_az = np.sin(az), np.cos(az)
    sigma1 = np.arctan2(tan_u1, cos_az)                                    # eq. 1
    sin_alpha = cos_u1 * sin_az                                            # eq. 2
    cos2_alpha = 1.0 - sin_alpha ** 2
    u2 = cos2_alpha * (a * a - b * b) / (b * b)
    big_a = 1.0 + u2 / 16384.0 * (4096.0 + u2 * (-768.0 + u2 * (320.0 - 175.0 * u2)))  # eq. 3
    big_b = u2 / 1024.0 * (256.0 + u2 * (-128.0 + u2 * (74.0 - 47.0 * u2)))            # eq. 4
    sigma = s_m / (b * big_a)
    for _ in range(50):
        cos_2sm = np.cos(2.0 * sigma1 + sigma)                             # eq. 5
        sin_s, cos_s = np.sin(sigma), np.cos(sigma)
        d_sigma = big_b * sin_s * (cos_2sm + big_b / 4.0 * (                # eq. 6
            cos_s * (-1.0 + 2.0 * cos_2sm ** 2)
            - big_b / 6.0 * cos_2sm * (-3.0 + 4.0 * sin_s ** 2) * (-3.0 + 4.0 * cos_2sm ** 2)))
        new = s_m / (b * big_a) + d_sigma                                  # eq. 7
        done = np.max(np.abs(new - sigma)) < 1e-13
        sigma = new
        if done:
            break
    cos_2sm = np.cos(2.0 * sigma1 + sigma)
    sin_s, cos_s = np.sin(sigma), np.cos(sigma)
    tmp = sin_u1 * sin_s - cos_u1 * cos_s * cos_az
    lat2 = np.arctan2(sin_u1 * cos_s + cos_u1 * sin_s * cos_az,            # eq. 8
                      (1.0 - f) * np.sqrt(sin_alpha ** 2 + tmp ** 2))
    lam = np.arctan2(sin_s * sin_az, cos_u1 * cos_s - sin_u1 * sin_s * cos_az)  # eq. 9
    c = f / 16.0 * cos2_alpha * (4.0 + f * (4.0 - 3.0 * cos2_alpha))      # eq. 10
    big_l = lam - (1.0 - c) * f * sin_alpha * (                            # eq. 11
        sigma + c * sin_s * (cos_2sm + c * cos_s * (-1.0 + 2.0 * cos_2sm ** 2)))
    return lat2, lon_rad + big_l


def _check_centre(func: str, lat_deg: float, lon_deg: float, radius_m: float,
                  radius_name: str) -> None:
    if not (np.isfinite(lat_deg) and -90.0 <= lat_deg <= 90.0):
        raise ValueError(f"{func}: lat_deg={lat_deg!r} must be in [-90, 90]")
    if not np.isfinite(lon_deg):
        raise ValueError(f"{func}: lon_deg={lon_deg!r} must be finite")
    if not (np.isfinite(radius_m) and radius_m >= 0.0):
        raise ValueError(f"{func}: {radius_name}={radius_m!r} must be finite and >= 0 (m)")


def range_ring(lat_deg: float, lon_deg: float, radius_m: float, *, n: int = 181,
               ellipsoid: Ellipsoid = WGS84) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """A geodesic circle: the points at ground distance ``radius_m`` from a centre.

    Args:
        lat_deg, lon_deg: centre, geodetic degrees.
        radius_m: geodesic distance on ``ellipsoid``, m (a weapon's or radar's ground range,
            an asset's radius).
        n: number of vertices (azimuths 0, 360/(n-1), ..., 360 deg clockwise from north).
        ellipsoid: WGS-84 (default) or the sphere of a run on ``earth: {shape: sphere}``.

    Returns:
        ``(lon_deg, lat_deg)``, two ``(n,)`` arrays, closed (last vertex = first). Longitudes
        are continuous about ``lon_deg`` (not wrapped to (-180, 180]), so a circle across the
        antimeridian draws as one ring. A circle that encloses a pole is not a closed ring in
        longitude, latitude (its longitudes run a whole turn).
    """
    _check_centre("range_ring", lat_deg, lon_deg, radius_m, "radius_m")
    if n < 4:
        raise ValueError(f"range_ring: n={n!r} must be >= 4")
    az = np.radians(np.linspace(0.0, 360.0, n))
    lat, lon = _vincenty_direct(math.radians(lat_deg), math.radians(lon_deg), az,
                                float(radius_m), ellipsoid)
    lat[-1], lon[-1] = lat[0], lon[0]
    return np.degrees(lon), np.degrees(lat)


def radar_fan(lat_deg: float, lon_deg: float, range_m: float, az_min_deg: float = 0.0,
              az_max_deg: float = 360.0, *, step_deg: float = 2.0,
              ellipsoid: Ellipsoid = WGS84) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The ground footprint of a sector: from the site out to ``range_m`` between two azimuths.

    Args:
        lat_deg, lon_deg: site, geodetic degrees.
        range_m: ground (geodesic) range of the sector's arc, m.
        az_min_deg, az_max_deg: azimuth limits, deg clockwise from north; the sector runs
            clockwise from ``az_min_deg`` to ``az_max_deg`` (``(300, 60)`` is the 120 deg sector
            about north). A span of 360 deg or more (the default) is the full circle.
        step_deg: azimuth step of the arc's vertices, deg.
        ellipsoid: as in :func:`range_ring`.

    Returns:
        ``(lon_deg, lat_deg)`` of a closed polygon: site, the arc, site (the full circle:
        :func:`range_ring`). Longitudes continuous about ``lon_deg``.
    """
    _check_centre("radar_fan", lat_deg, lon_deg, range_m, "range_m")
    span = float(az_max_deg) - float(az_min_deg)
    if not (np.isfinite(span) and step_deg > 0.0):
        raise ValueError(f"radar_fan: az_min_deg={az_min_deg!r}, az_max_deg={az_max_deg!r} must "
                         f"be finite and step_deg={step_deg!r} > 0")
    if span >= 360.0:
        return range_ring(lat_deg, lon_deg, range_m,
                          n=max(4, math.ceil(360.0 / step_deg) + 1), ellipsoid=ellipsoid)
    span %= 360.0
    az = np.radians(az_min_deg + np.linspace(0.0, span, max(2, math.ceil(span / step_deg) + 1)))
    lat, lon = _vincenty_direct(math.radians(lat_deg), math.radians(lon_deg), az,
                                float(range_m), ellipsoid)
    lon_out = np.concatenate([[lon_deg], np.degrees(lon), [lon_deg]])
    lat_out = np.concatenate([[lat_deg], np.degrees(lat), [lat_deg]])
    return lon_out, lat_out


def wrap_near(lon_deg: ArrayLike, ref_deg: float) -> NDArray[np.float64]:
    """``lon_deg`` shifted by whole turns to lie within 180 deg of ``ref_deg`` (element-wise),
    to draw a point on a map whose longitudes are unwrapped about ``ref_deg``."""
    lon = np.asarray(lon_deg, dtype=np.float64)
    return lon - 360.0 * np.round((lon - ref_deg) / 360.0)
