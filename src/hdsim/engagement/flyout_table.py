"""Weapon fly-out tables: time of flight, arrival speed and launch elevation to reach a point
(ground range, altitude) from the weapon site.

**Fire control uses fly-out tables, not live fly-outs.**  A table is computed once per weapon
parameter set (and Earth model, site latitude and altitude, grid), by flying the weapon's own
model (:func:`~hdsim.engagement.interceptor.fly_interceptors`,
:func:`~hdsim.engagement.railgun.fly_projectiles`) over a grid in one vectorized batch, and
cached (``functools.lru_cache``).  Fire control then interpolates it linearly
(``scipy.interpolate.RegularGridInterpolator``) for any point: cells that touch an unreachable
node give NaN, so the interpolated envelope is the reachable one shrunk by at most one cell.

Coordinates of a point seen from a site (:func:`site_range_alt`):

* ground range ``R = a θ``, ``θ`` the angle between the geocentric position vectors of the
  site and of the point, ``a`` the ellipsoid's equatorial radius (m);
* altitude: the geodetic height of the point (m).

The table is computed along one azimuth (east) from a site at the weapon's latitude and
altitude (longitude 0; the Earth is axisymmetric), and used for every azimuth: the azimuth
dependence of the Coriolis and J2 terms on flights of a few minutes is neglected.

How each weapon is flown:

* **interceptor**: the grid point is a *stationary* target; the interceptor launches straight
  at it at ``launch_speed_mps`` and homes on it with its own guidance (PN, lateral limit, lag,
  boost, drag, gravity).  The table entry is the time and speed at closest approach, kept when
  the closest approach is within ``miss_tol_m``.  Against a moving target launched at the
  predicted intercept point the interceptor flies nearly the same (collision-course) path,
  which is what makes the table usable for intercept prediction.
* **railgun**: a fan of ``n_elevation`` unguided shots between the mount's elevation limits,
  all flown in one batch with their trajectories recorded; for each range the lowest-arc
  (smallest elevation, shortest time) solution through each altitude is interpolated along the
  fan.  Only the low arc is tabulated: points below the lowest elevation's trajectory are out
  of the envelope (NaN), as are points above the fan's envelope.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import tempfile
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.interpolate import RegularGridInterpolator

from hdsim.earth import EarthModel, Ellipsoid, ecef_to_aer, ecef_to_geodetic, geodetic_to_ecef
from hdsim.earth.frames import enu_rotation
from hdsim.engagement.flyout import FlyoutStatus
from hdsim.engagement.interceptor import InterceptorParams, fly_interceptors, launch_state
from hdsim.engagement.railgun import RailgunParams, fly_projectiles, railgun_launch_state

__all__ = [
    "FlyoutTable",
    "TableSpec",
    "TABLE_CACHE_VERSION",
    "build_flyout_table",
    "cache_dir",
    "flyout_table",
    "ground_range_alt",
    "point_at_range_alt",
    "site_range_alt",
]


LAT_QUANTUM_RAD = float(np.radians(1.0))
"""Latitude step of the cached tables, rad (see :func:`flyout_table`)."""
ALT_QUANTUM_M = 100.0
"""Site-altitude step of the cached tables, m (see :func:`flyout_table`)."""


def _unit(a: NDArray) -> NDArray:
    return a / np.linalg.norm(a, axis=-1, keepdims=True)


def site_range_alt(
    pos_ecef: ArrayLike,
    site_lat_rad: float,
    site_lon_rad: float,
    site_alt_m: float,
    ellipsoid: Ellipsoid,
) -> tuple[NDArray, NDArray, NDArray]:
    """Ground range (m), geodetic altitude (m) and azimuth (rad, clockwise from north) of
    ECEF points ``(..., 3)`` seen from a site (see the module doc for the definitions)."""
    rng_m, alt = ground_range_alt(pos_ecef, site_lat_rad, site_lon_rad, site_alt_m, ellipsoid)
    az, _, _ = ecef_to_aer(np.asarray(pos_ecef, float), site_lat_rad, site_lon_rad, site_alt_m,
                           ellipsoid)
    return rng_m, alt, az


def ground_range_alt(pos_ecef: ArrayLike, site_lat_rad: float, site_lon_rad: float,
               site_alt_m: float, ellipsoid: Ellipsoid) -> tuple[NDArray, NDArray]:
    """Ground range (m) and geodetic altitude (m) of ECEF points from a site:
    :func:`site_range_alt` without the azimuth."""
    pos = np.asarray(pos_ecef, float)
    site = geodetic_to_ecef(site_lat_rad, site_lon_rad, site_alt_m, ellipsoid)
    s_hat = site / np.linalg.norm(site)
    with np.errstate(invalid="ignore"):
        p_hat = _unit(pos)
        cross = np.linalg.norm(np.cross(s_hat, p_hat), axis=-1)
        theta = np.arctan2(cross, np.einsum("...i,i->...", p_hat, s_hat))
    _, _, alt = ecef_to_geodetic(pos, ellipsoid)
    return ellipsoid.a_m * theta, alt


def point_at_range_alt(
    site_lat_rad: float,
    site_lon_rad: float,
    site_alt_m: float,
    range_m: ArrayLike,
    alt_m: ArrayLike,
    az_rad: ArrayLike,
    ellipsoid: Ellipsoid,
) -> NDArray:
    """ECEF point ``(..., 3)`` at a ground range, altitude and azimuth from a site: the inverse
    of :func:`site_range_alt` (range exact, altitude to < 1 µm after 5 Newton steps)."""
    rng_m, alt, az = np.broadcast_arrays(*(np.asarray(a, float) for a in (range_m, alt_m, az_rad)))
    site = geodetic_to_ecef(site_lat_rad, site_lon_rad, site_alt_m, ellipsoid)
    s_hat = site / np.linalg.norm(site)
    east, north, _ = enu_rotation(site_lat_rad, site_lon_rad)
    north_p = _unit(north - np.dot(north, s_hat) * s_hat)  # east is already ⟂ s_hat
    d = np.sin(az)[..., None] * east + np.cos(az)[..., None] * north_p
    theta = (rng_m / ellipsoid.a_m)[..., None]
    direction = np.cos(theta) * s_hat + np.sin(theta) * d
    r = ellipsoid.a_m + alt
    for _ in range(5):
        _, _, h = ecef_to_geodetic(r[..., None] * direction, ellipsoid)
        r = r + (alt - h)
    return r[..., None] * direction


@dataclass(frozen=True)
class TableSpec:
    """Grid of a fly-out table.

    Attributes:
        max_range_m: largest ground range of the grid, m.
        max_alt_m: largest altitude of the grid, m.
        n_range: number of range nodes (from 0).
        n_alt: number of altitude nodes (from 0).
        spacing_power: nodes at ``max · (i/(n−1))^p``: p > 1 is denser near the site, where
            the boost makes the time of flight least linear.
        max_tof_s: flight-time limit of the table, s (None: the weapon's own limit).
        dt_s: integration step of the table fly-outs, s.
        n_elevation: number of shots in a railgun's elevation fan.
        miss_tol_m: an interceptor grid point counts as reached within this miss, m.
    """

    max_range_m: float = 200_000.0
    max_alt_m: float = 100_000.0
    n_range: int = 33
    n_alt: int = 26
    spacing_power: float = 1.5
    max_tof_s: float | None = None
    dt_s: float = 0.1
    n_elevation: int = 161
    miss_tol_m: float = 10.0

    def __post_init__(self) -> None:
        for name in ("max_range_m", "max_alt_m", "spacing_power", "dt_s", "miss_tol_m"):
            value = getattr(self, name)
            if not value > 0.0:
                raise ValueError(f"TableSpec.{name} = {value!r}: must be > 0")
        for name in ("n_range", "n_alt", "n_elevation"):
            value = getattr(self, name)
            if not value >= 3:
                raise ValueError(f"TableSpec.{name} = {value!r}: must be >= 3")
        if self.max_tof_s is not None and not self.max_tof_s > 0.0:
            raise ValueError(f"TableSpec.max_tof_s = {self.max_tof_s!r}: must be > 0 or None")

    def grid(self) -> tuple[NDArray, NDArray]:
        """Range and altitude nodes, m."""
        u_r = np.linspace(0.0, 1.0, self.n_range) ** self.spacing_power
        u_h = np.linspace(0.0, 1.0, self.n_alt) ** self.spacing_power
        return self.max_range_m * u_r, self.max_alt_m * u_h


@dataclass(frozen=True, eq=False)
class FlyoutTable:
    """A weapon's fly-out table on a (ground range, altitude) grid.

    Attributes:
        kind: ``"interceptor"`` or ``"railgun"``.
        range_m: ``(R,)`` ground-range nodes, m.
        alt_m: ``(H,)`` altitude nodes, m.
        tof_s: ``(R, H)`` time of flight from launch, s (NaN: out of reach).
        speed_mps: ``(R, H)`` Earth-relative speed on arrival, m/s.
        elevation_rad: ``(R, H)`` launch elevation (railgun: the fan's solution; interceptor:
            the elevation of the line of sight to the point), rad.
        max_tof_s: the table's flight-time limit, s.
    """

    kind: str
    range_m: NDArray
    alt_m: NDArray
    tof_s: NDArray
    speed_mps: NDArray
    elevation_rad: NDArray
    max_tof_s: float
    _interp: dict = field(default_factory=dict, repr=False, compare=False)

    def _interpolator(self, name: str) -> RegularGridInterpolator:
        if name not in self._interp:
            self._interp[name] = RegularGridInterpolator(
                (self.range_m, self.alt_m), getattr(self, name), method="linear",
                bounds_error=False, fill_value=np.nan)
        return self._interp[name]

    def lookup(self, range_m: ArrayLike, alt_m: ArrayLike) -> tuple[NDArray, NDArray, NDArray]:
        """Interpolated ``(tof_s, speed_mps, elevation_rad)`` at points, each of the broadcast
        shape of ``range_m`` and ``alt_m``; NaN outside the envelope."""
        out = self._lookup(("tof_s", "speed_mps", "elevation_rad"), range_m, alt_m)
        return out[0], out[1], out[2]

    def _lookup(self, names: tuple[str, ...], range_m: ArrayLike, alt_m: ArrayLike
                ) -> list[NDArray]:
        r, h = np.broadcast_arrays(np.asarray(range_m, float), np.asarray(alt_m, float))
        pts = np.stack([r.ravel(), h.ravel()], axis=-1)
        ok = np.isfinite(pts).all(axis=1)
        pts = np.where(ok[:, None], pts, 0.0)
        return [np.where(ok, self._interpolator(name)(pts), np.nan).reshape(r.shape)
                for name in names]

    def time_of_flight(self, pos_ecef: ArrayLike, site_lat_rad: float, site_lon_rad: float,
                       site_alt_m: float, ellipsoid: Ellipsoid) -> NDArray:
        """Time of flight (s) from a site to ECEF points ``(..., 3)``; NaN out of reach."""
        rng_m, alt = ground_range_alt(pos_ecef, site_lat_rad, site_lon_rad, site_alt_m,
                                      ellipsoid)
        return self.tof_at(rng_m, alt)

    def tof_at(self, range_m: ArrayLike, alt_m: ArrayLike) -> NDArray:
        """Interpolated time of flight (s) at ground ranges and altitudes; NaN outside."""
        return self._lookup(("tof_s",), range_m, alt_m)[0]


def _stationary(points: NDArray):
    state = np.concatenate([points, np.zeros_like(points)], axis=1)

    def f(t: NDArray) -> NDArray:
        return state
    return f


def _interceptor_table(params: InterceptorParams, earth: EarthModel, lat: float, alt0: float,
                       launch_speed_mps: float, spec: TableSpec) -> FlyoutTable:
    ell = earth.ellipsoid
    r_grid, h_grid = spec.grid()
    rr, hh = np.meshgrid(r_grid, h_grid, indexing="ij")
    aim = point_at_range_alt(lat, 0.0, alt0, rr.ravel(), hh.ravel(), np.pi / 2, ell)
    site = geodetic_to_ecef(lat, 0.0, alt0, ell)
    dist = np.linalg.norm(aim - site, axis=1)
    far = dist > 1.0
    max_tof = spec.max_tof_s or params.max_flight_time_s
    p = replace(params, max_flight_time_s=max_tof)
    tof = np.full(rr.size, np.nan)
    speed = np.full(rr.size, np.nan)
    tof[~far] = 0.0
    speed[~far] = launch_speed_mps
    if far.any():
        a = aim[far]
        st0 = launch_state(site, a, launch_speed_mps)
        res = fly_interceptors(st0, 0.0, p, _stationary(a), earth, dt_s=spec.dt_s,
                               record_every=10_000)
        ok = (res.status == FlyoutStatus.CLOSEST_APPROACH) & (res.miss_m <= spec.miss_tol_m)
        tof[far] = np.where(ok, res.t_ca_s, np.nan)
        speed[far] = np.where(ok, np.linalg.norm(res.state_ca[:, 3:], axis=1), np.nan)
    _, el, _ = ecef_to_aer(aim, lat, 0.0, alt0, ell)
    el = np.where(far, el, np.pi / 2)
    shape = rr.shape
    return FlyoutTable("interceptor", r_grid, h_grid, tof.reshape(shape), speed.reshape(shape),
                       np.where(np.isfinite(tof), el, np.nan).reshape(shape), float(max_tof))


def _railgun_table(params: RailgunParams, earth: EarthModel, lat: float, alt0: float,
                   spec: TableSpec) -> FlyoutTable:
    ell = earth.ellipsoid
    r_grid, h_grid = spec.grid()
    max_tof = spec.max_tof_s or params.max_flight_time_s
    p = replace(params, guided=False, max_flight_time_s=max_tof)
    els = np.linspace(p.min_elevation_rad, p.max_elevation_rad, spec.n_elevation)
    st0 = railgun_launch_state(lat, 0.0, alt0, np.pi / 2, els, p, earth)
    res = fly_projectiles(st0, 0.0, p, earth, dt_s=spec.dt_s, record_every=1)
    n_el = len(els)
    # (elevation, range node) -> time, altitude and speed where the shot passes that range.
    t_er = np.full((n_el, len(r_grid)), np.nan)
    h_er = np.full_like(t_er, np.nan)
    v_er = np.full_like(t_er, np.nan)
    for j in range(n_el):
        tj, xj = res.times[j], res.states[j]
        rj, hj, _ = site_range_alt(xj[:, :3], lat, 0.0, alt0, ell)
        # ground range grows along a ballistic arc; keep the strictly increasing part
        inc = np.r_[True, np.diff(rj) > 0.0]
        stop = np.argmin(inc) if not inc.all() else len(rj)
        rj, hj, tj = rj[:stop], hj[:stop], tj[:stop]
        vj = np.linalg.norm(xj[:stop, 3:], axis=1)
        inside = r_grid <= rj[-1]
        t_er[j, inside] = np.interp(r_grid[inside], rj, tj)
        h_er[j, inside] = np.interp(r_grid[inside], rj, hj)
        v_er[j, inside] = np.interp(r_grid[inside], rj, vj)
    tof = np.full((len(r_grid), len(h_grid)), np.nan)
    speed = np.full_like(tof, np.nan)
    elev = np.full_like(tof, np.nan)
    for i in range(len(r_grid)):
        h_i = h_er[:, i]
        finite = np.isfinite(h_i)
        if finite.sum() < 2:
            continue
        # low arc: from the lowest elevation up to the first maximum of the altitude
        first = int(np.argmax(finite))
        run = finite[first:]
        last = first + (int(np.argmin(run)) if not run.all() else len(run))
        seg = slice(first, last)
        hs = h_i[seg]
        top = int(np.argmax(hs))
        hs = hs[: top + 1]
        if hs.size < 2 or np.any(np.diff(hs) <= 0.0):
            keep = np.r_[True, np.diff(hs) > 0.0]
            stop = np.argmin(keep) if not keep.all() else hs.size
            hs = hs[:stop]
        if hs.size < 2:
            continue
        idx = np.arange(first, first + hs.size)
        inside = (h_grid >= hs[0]) & (h_grid <= hs[-1])
        tof[i, inside] = np.interp(h_grid[inside], hs, t_er[idx, i])
        speed[i, inside] = np.interp(h_grid[inside], hs, v_er[idx, i])
        elev[i, inside] = np.interp(h_grid[inside], hs, els[idx])
    return FlyoutTable("railgun", r_grid, h_grid, tof, speed, elev, float(max_tof))


def build_flyout_table(
    params: InterceptorParams | RailgunParams,
    earth: EarthModel,
    site_lat_rad: float = 0.0,
    site_alt_m: float = 0.0,
    *,
    launch_speed_mps: float = 50.0,
    spec: TableSpec | None = None,
) -> FlyoutTable:
    """Compute a weapon's fly-out table (one batch of fly-outs; no cache).

    Args:
        params: the weapon (an interceptor or a railgun).
        earth: Earth model the weapon flies in.
        site_lat_rad: geodetic latitude of the site, rad.
        site_alt_m: altitude of the site, m.
        launch_speed_mps: an interceptor's Earth-relative speed leaving the launcher, m/s.
        spec: the grid (default :class:`TableSpec`).
    """
    spec = spec or TableSpec()
    if isinstance(params, InterceptorParams):
        if not launch_speed_mps > 0.0:
            raise ValueError(f"launch_speed_mps = {launch_speed_mps!r}: must be > 0")
        return _interceptor_table(params, earth, float(site_lat_rad), float(site_alt_m),
                                  float(launch_speed_mps), spec)
    if isinstance(params, RailgunParams):
        return _railgun_table(params, earth, float(site_lat_rad), float(site_alt_m), spec)
    raise ValueError(f"params: {type(params).__name__} is not InterceptorParams or RailgunParams")


TABLE_CACHE_VERSION = 1
"""Bumped whenever the fly-outs behind a table change, so that stale disk tables are not read."""

CACHE_ENV = "HDSIM_CACHE_DIR"
"""Environment variable naming the cache folder; ``off`` (or empty) disables the disk cache."""

_ARRAYS = ("range_m", "alt_m", "tof_s", "speed_mps", "elevation_rad")


def cache_dir() -> Path | None:
    """The folder of hdsim's disk cache: ``$HDSIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/hdsim``,
    else ``~/.cache/hdsim``; None when ``HDSIM_CACHE_DIR`` is ``off`` or empty."""
    env = os.environ.get(CACHE_ENV)
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "none") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hdsim"


def _table_key(params, earth: EarthModel, lat: float, alt: float, launch_speed: float,
               spec: TableSpec) -> str:
    """A stable hash of everything a table depends on (reprs of frozen dataclasses and floats:
    ``repr`` of a float round-trips exactly)."""
    text = repr((TABLE_CACHE_VERSION, type(params).__name__, params, earth.shape, earth.rotation,
                 earth.j2_enabled, earth.atmosphere, float(lat), float(alt), float(launch_speed),
                 spec))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _read_table(path: Path) -> FlyoutTable | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            return FlyoutTable(str(z["kind"]), *(np.array(z[k]) for k in _ARRAYS),
                               float(z["max_tof_s"]))
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
        return None  # missing, partial or foreign: rebuilt and rewritten


def _write_table(path: Path, table: FlyoutTable) -> None:
    """Write atomically (temporary file in the same folder, then ``os.replace``): concurrent
    writers of one key write the same content and the last rename wins; a reader never sees
    a partial file. An unwritable cache is skipped silently (the table is still returned)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.stem + ".", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, kind=np.array(table.kind), max_tof_s=np.array(table.max_tof_s),
                         **{k: getattr(table, k) for k in _ARRAYS})
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError:
        return


@functools.lru_cache(maxsize=64)
def _cached(params, earth, lat, alt, launch_speed, spec) -> FlyoutTable:
    folder = cache_dir()
    path = None
    if folder is not None:
        key = _table_key(params, earth, lat, alt, launch_speed, spec)
        path = folder / "flyout_tables" / f"{key}.npz"
        table = _read_table(path)
        if table is not None:
            return table
    table = build_flyout_table(params, earth, lat, alt, launch_speed_mps=launch_speed, spec=spec)
    if path is not None:
        _write_table(path, table)
    return table


def flyout_table(
    params: InterceptorParams | RailgunParams,
    earth: EarthModel,
    site_lat_rad: float = 0.0,
    site_alt_m: float = 0.0,
    *,
    launch_speed_mps: float = 50.0,
    spec: TableSpec | None = None,
) -> FlyoutTable:
    """The cached fly-out table of a weapon (see :func:`build_flyout_table`).

    Cached per (parameters, Earth model, site latitude and altitude, launch speed, grid); the
    arguments are frozen dataclasses and floats, so equal parameter sets share one table.  The
    railgun table does not depend on ``launch_speed_mps`` (the muzzle speed is in ``params``).
    To share tables between nearby sites, the table is computed at the site latitude rounded
    to ``LAT_QUANTUM_RAD`` (1°) and the site altitude rounded to ``ALT_QUANTUM_M`` (100 m):
    over 0.5° the gravity and centrifugal terms change by < 1e-4 relative, and 50 m of launch
    altitude shift the times of flight by < 0.05 s.

    Tables are also kept on disk (:func:`cache_dir`, ``flyout_tables/<hash>.npz``, keyed by a
    hash of the same arguments and :data:`TABLE_CACHE_VERSION`), so later runs and campaign
    workers share them; set ``HDSIM_CACHE_DIR=off`` to compute them in every process.
    """
    # fields that do not change the table's fly-outs are normalized out of the cache key
    if isinstance(params, RailgunParams):
        launch_speed_mps = 0.0
        params = replace(params, guided=False, lethal_radius_m=0.0, max_divert_g=0.0,
                         nav_ratio=0.0, guidance_tau_s=0.0, seeker_range_m=0.0)
    elif isinstance(params, InterceptorParams):
        params = replace(params, lethal_radius_m=0.0, seeker_range_m=0.0)
    lat = round(float(site_lat_rad) / LAT_QUANTUM_RAD) * LAT_QUANTUM_RAD
    alt = round(float(site_alt_m) / ALT_QUANTUM_M) * ALT_QUANTUM_M
    return _cached(params, earth, lat, alt, float(launch_speed_mps), spec or TableSpec())
