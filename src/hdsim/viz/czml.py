"""A CZML scene of a finished run folder: the run on a 3D globe (``hdsim view``), loadable in
any CZML client (CesiumJS, STK).

Public surface::

    from hdsim.viz.czml import SceneSites, scene_czml, write_scene

    doc = scene_czml(load_run("out/raid"))       # a czml3 Document
    write_scene("out/raid")                      # out/raid/scene.czml, atomically

The first packet is ``document``, with the clock over the run (scenario epoch to the last
threat's end plus a minute). Then one packet per object, its id by kind:

- ``threat/<id>``: the true position (``truth.parquet``), a point coloured by the current
  flight phase and a label; ``threat/<id>/path/<k>``: the flown path, one packet per
  phase segment, each in its phase's colour (:data:`hdsim.viz.plots.PHASE_COLORS`), shown from
  the segment's start to the end of the clock.
- ``satellite/<sat_id>``: each satellite's position (``satellites.parquet``) with a short trail.
- ``radar/<id>``: the site of each radar and its fan, an ellipsoid sector in the site's
  east-north-up frame. The run folder records a radar's site (its reports' sensor position) but
  not its coverage, so without :class:`SceneSites` the fan is the sector its reports span
  (azimuth, elevation and range); with them, the searched dome (360°, from the minimum
  elevation up, out to the instrumented range).
- ``track/<id>``: each track that was ever confirmed (``tracks.parquet``); the few longest
  held carry their 3-σ position covariance as a sampled ellipsoid (radii and orientation).
- ``shot/<id>/intercept``: each shot's closest approach (the threat's true position at
  ``intercept_t_s``), a point coloured by its outcome, shown from that time on; with weapon
  sites, ``weapon/<id>`` and ``shot/<id>``: the fly-out as a straight line from the site at
  launch to that point at the intercept, drawn as it flies. The run folder does not record
  fly-out trajectories (nor the weapon sites): the line is not the flown path. Without weapon
  sites, ``shot/<id>`` is the predicted intercept point, shown from launch to intercept.

Positions are ECEF (CZML's ``FIXED`` frame, in metres, rounded to 0.1 m); times are seconds
since the scenario epoch, which every sampled property carries as its ``epoch``. Long series are
thinned to at most ``max_samples`` samples per object (phase changes kept), so a raid's scene
stays a few megabytes.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from czml3 import Document, Packet
from czml3.enums import (
    ClockRanges,
    ClockSteps,
    ExtrapolationTypes,
    HorizontalOrigins,
    InterpolationAlgorithms,
    LabelStyles,
)
from czml3.properties import (
    Clock,
    Color,
    Ellipse,
    Ellipsoid,
    EllipsoidRadii,
    Label,
    Material,
    Orientation,
    Point,
    PolylineMaterial,
    Position,
    SolidColorMaterial,
)
from czml3.properties import Path as CzmlPath
from czml3.types import (
    Cartesian2Value,
    IntervalValue,
    TimeInterval,
    TimeIntervalCollection,
)
from numpy.typing import NDArray
from scipy.spatial.transform import Rotation

from hdsim.earth import WGS84, EarthModel, ecef_to_geodetic, enu_rotation, geodetic_to_ecef
from hdsim.threats.trajectory import hermite
from hdsim.tracking.history import TrackStatus
from hdsim.viz.plots import OUTCOME_COLORS, PHASE_COLORS, RunData, load_run

if TYPE_CHECKING:
    from hdsim.scenario.config import Scenario

__all__ = ["SCENE_FILE", "RadarFan", "SceneSites", "save_scene", "scene_czml", "write_scene"]

SCENE_FILE = "scene.czml"
"""Name of the scene written into a run folder."""

MAX_SAMPLES = 600
"""Default largest number of position samples per object."""

MAX_ELLIPSOID_TRACKS = 6
"""Tracks that carry a covariance ellipsoid (the longest held)."""

ELLIPSOID_STEP_S = 10.0
"""Time between covariance-ellipsoid samples, s."""

SIGMA_SCALE = 3.0
"""Covariance ellipsoids are drawn at 3 σ."""

_GREY = "#7f7f7f"
_TRACK_COLOR = "#ffd700"
_SHOT_COLOR = "#ffffff"
_LAYER_COLORS = ("#e377c2", "#bcbd22", "#17becf", "#ff7f0e")
_RADAR_COLOR = "#2ca02c"
_FIRM = tuple(TrackStatus.names()[s] for s in TrackStatus.firm())
_TERMINAL_PHASES = ("impact", "killed")
_SPHERE_R_M = 6_371_000.0


# --------------------------------------------------------------------------- sites


@dataclass(frozen=True)
class RadarFan:
    """A radar's coverage drawn as a fan: its site and the sector it searches.

    Azimuths are clockwise from north, elevations above the horizontal, degrees.
    """

    site_ecef: tuple[float, float, float]
    max_range_m: float
    min_elevation_deg: float = 0.0
    max_elevation_deg: float = 90.0
    az_from_deg: float = 0.0
    az_span_deg: float = 360.0


@dataclass(frozen=True)
class SceneSites:
    """What the run folder does not record, taken from the scenario the run came from.

    Attributes:
        weapons: weapon id -> launcher site, ECEF m (for the fly-out lines).
        radars: radar id -> its fan (360°, minimum elevation, instrumented range).
        ir_sensors: space layer id -> (field of regard, full cone angle in degrees; maximum
            slant range, m) of its infrared sensor (for the footprints).
    """

    weapons: Mapping[str, tuple[float, float, float]] = field(default_factory=dict)
    radars: Mapping[str, RadarFan] = field(default_factory=dict)
    ir_sensors: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    @classmethod
    def from_summary(cls, summary: Mapping[str, Any], shape: str = "wgs84") -> SceneSites:
        """The sites a run's ``summary.json`` records (``weapons``, ``radars`` and
        ``space_layers`` rows with sites; runs written before they were recorded give none)."""
        ellipsoid = EarthModel(shape=shape).ellipsoid

        def ecef(row: Mapping[str, Any]) -> tuple[float, float, float] | None:
            if row.get("lat_deg") is None or row.get("lon_deg") is None:
                return None
            p = geodetic_to_ecef(math.radians(row["lat_deg"]), math.radians(row["lon_deg"]),
                                 float(row.get("alt_m") or 0.0), ellipsoid)
            return (float(p[0]), float(p[1]), float(p[2]))

        weapons = {str(w["weapon_id"]): ecef(w) for w in summary.get("weapons") or ()
                   if w.get("weapon_id") is not None and ecef(w) is not None}
        radars = {str(r["radar_id"]): RadarFan(ecef(r), float(r["max_range_m"]),
                                               float(r.get("min_elevation_deg") or 0.0))
                  for r in summary.get("radars") or ()
                  if r.get("radar_id") is not None and ecef(r) is not None
                  and r.get("max_range_m") is not None}
        ir = {str(s["layer_id"]): (float(s["field_of_regard_deg"]), float(s["max_range_m"]))
              for s in summary.get("space_layers") or ()
              if s.get("field_of_regard_deg") is not None and s.get("max_range_m") is not None}
        return cls(weapons=weapons, radars=radars, ir_sensors=ir)

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> SceneSites:
        """The sites of a validated scenario (on the scenario's own ellipsoid)."""
        ellipsoid = EarthModel(shape=scenario.earth.shape).ellipsoid

        def ecef(site: Any) -> tuple[float, float, float]:
            p = geodetic_to_ecef(math.radians(site.lat_deg), math.radians(site.lon_deg),
                                 site.alt_m, ellipsoid)
            return (float(p[0]), float(p[1]), float(p[2]))

        return cls(
            weapons={w.id: ecef(w.site) for w in scenario.weapons},
            radars={r.id: RadarFan(ecef(r.site), r.max_range_m, r.min_elevation_deg)
                    for r in scenario.sensors.radars},
            ir_sensors={layer.id: (layer.infrared.field_of_regard_deg,
                                   layer.infrared.max_range_m)
                        for layer in scenario.sensors.space_layers},
        )


# --------------------------------------------------------------------------- helpers


def _rgba(hex_color: str, alpha: float = 1.0) -> Color:
    h = hex_color.lstrip("#")
    return Color(rgba=[int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16),
                       int(round(255 * alpha))])


def _line(hex_color: str, alpha: float = 1.0) -> PolylineMaterial:
    return PolylineMaterial(solidColor=SolidColorMaterial(color=_rgba(hex_color, alpha)))


def _fill(hex_color: str, alpha: float) -> Material:
    return Material(solidColor=SolidColorMaterial(color=_rgba(hex_color, alpha)))


def _num(table: pa.Table, name: str) -> NDArray[np.float64]:
    return table.column(name).to_numpy(zero_copy_only=False).astype(np.float64)


def _str(table: pa.Table, name: str) -> NDArray[np.object_]:
    return np.asarray(table.column(name).to_pylist(), dtype=object)


def _xyz(table: pa.Table, prefix: str = "") -> NDArray[np.float64]:
    return np.stack([_num(table, f"{prefix}{c}_m") for c in "xyz"], axis=-1)


def _groups(keys: NDArray[np.object_], t_s: NDArray[np.float64]) -> dict[Any, NDArray[np.intp]]:
    """Row indices of each key (in order of first appearance), each sorted by time."""
    out: dict[Any, NDArray[np.intp]] = {}
    if keys.size == 0:
        return out
    order = np.lexsort((t_s, keys.astype(str)))
    sk = keys[order]
    bounds = np.flatnonzero(sk[1:] != sk[:-1]) + 1
    chunks = np.split(order, bounds)
    first = {k: i for i, k in reversed(list(enumerate(keys.tolist())))}
    for chunk in sorted(chunks, key=lambda c: first[keys[c[0]]]):
        out[keys[chunk[0]]] = chunk
    return out


def _last_of_equal_times(t_s: NDArray[np.float64]) -> NDArray[np.intp]:
    """Indices of the last row of each run of equal times (``t_s`` sorted)."""
    if t_s.size == 0:
        return np.zeros(0, dtype=np.intp)
    return np.flatnonzero(np.append(t_s[1:] != t_s[:-1], True))


def _thin(n: int, max_n: int, keep: NDArray[np.bool_] | None = None) -> NDArray[np.intp]:
    """Indices of about ``max_n`` of ``n`` rows: every k-th, the last, and those ``keep`` marks."""
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    mask[:: max(1, -(-n // max(max_n, 2)))] = True
    mask[-1] = True
    if keep is not None:
        mask |= keep
    return np.flatnonzero(mask)


def _every(t_s: NDArray[np.float64], step_s: float) -> NDArray[np.intp]:
    """Indices of the first row of each ``step_s`` bin of sorted times, and the last row."""
    if t_s.size == 0:
        return np.zeros(0, dtype=np.intp)
    bins = np.floor((t_s - t_s[0]) / step_s)
    first = np.flatnonzero(np.append(True, bins[1:] != bins[:-1]))
    return np.union1d(first, [t_s.size - 1])


def _samples(t_s: NDArray[np.float64], values: NDArray[np.float64],
             decimals: int = 1) -> list[float]:
    """``[t, v0, v1, ..., t, v0, ...]`` as CZML's time-tagged samples (seconds since epoch)."""
    block = np.column_stack([np.round(t_s, 3), np.round(values, decimals)])
    return block.ravel().tolist()


def _enu_quaternion(pos_ecef: NDArray[np.float64]) -> list[float]:
    """Unit quaternion ``[x, y, z, w]`` of the rotation whose columns are the east, north and up
    axes at ``pos_ecef`` (so a shape's local x, y, z are east, north, up)."""
    lat, lon, _ = ecef_to_geodetic(pos_ecef, WGS84)
    return Rotation.from_matrix(enu_rotation(lat, lon).T).as_quat().tolist()


def _footprint_radius_m(alt_m: float, field_of_regard_deg: float, max_range_m: float) -> float:
    """Ground radius (m, spherical Earth) of the cap a nadir cone of full angle
    ``field_of_regard_deg`` sees from ``alt_m``, limited by the limb and ``max_range_m``.

    Central angle ``λ = asin((R + h)/R · sin η) − η`` for the half angle η (law of sines in
    the centre-satellite-ground triangle), ``acos(R/(R + h))`` beyond the limb; a slant range
    above the maximum is cut back with the law of cosines.
    """
    r = _SPHERE_R_M
    rs = r + max(alt_m, 1.0)
    eta = math.radians(field_of_regard_deg / 2.0)
    s = rs / r * math.sin(eta)
    lam = math.acos(r / rs) if s >= 1.0 else math.asin(s) - eta
    slant = math.sqrt(r * r + rs * rs - 2.0 * r * rs * math.cos(lam))
    if slant > max_range_m:
        lam = math.acos(min(1.0, (r * r + rs * rs - max_range_m ** 2) / (2.0 * r * rs)))
    return r * lam


def _covering_arc_deg(az_deg: NDArray[np.float64]) -> tuple[float, float]:
    """``(start, span)`` of the smallest clockwise arc holding every azimuth (degrees)."""
    a = np.sort(np.mod(az_deg, 360.0))
    gaps = np.diff(np.append(a, a[0] + 360.0))
    k = int(np.argmax(gaps))
    start = float(a[(k + 1) % a.size])
    return start, float(360.0 - gaps[k])


class _Clock:
    """Times of the scene: seconds since the epoch, written as ISO 8601 UTC."""

    def __init__(self, epoch: dt.datetime, start_s: float, stop_s: float):
        self.epoch = epoch
        self.epoch_iso = self.iso(0.0)
        self.start_s = start_s
        self.stop_s = stop_s

    def iso(self, t_s: float) -> str:
        when = self.epoch + dt.timedelta(seconds=float(t_s))
        return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def interval(self, start_s: float, stop_s: float | None = None) -> TimeInterval:
        return TimeInterval(start=self.iso(start_s),
                            end=self.iso(self.stop_s if stop_s is None else stop_s))

    def position(self, t_s: NDArray[np.float64], pos: NDArray[np.float64], *, degree: int = 3,
                 hold: bool = False) -> Position:
        degree = min(degree, max(1, t_s.size - 1))
        return Position(
            epoch=self.epoch_iso, cartesian=_samples(t_s, pos),
            interpolationAlgorithm=(InterpolationAlgorithms.LAGRANGE if degree > 1
                                    else InterpolationAlgorithms.LINEAR),
            interpolationDegree=degree,
            forwardExtrapolationType=ExtrapolationTypes.HOLD if hold else None,
        )


def _label(text: str, hex_color: str = "#ffffff") -> Label:
    return Label(text=text, font="13px sans-serif", fillColor=_rgba(hex_color),
                 outlineColor=_rgba("#000000"), outlineWidth=2.0,
                 style=LabelStyles.FILL_AND_OUTLINE, horizontalOrigin=HorizontalOrigins.LEFT,
                 pixelOffset=Cartesian2Value(values=[10.0, -10.0]))


def _finite(value: Any) -> float | None:
    """``value`` as a float, or None when it is null or not finite."""
    if value is None:
        return None
    x = float(value)
    return x if math.isfinite(x) else None


def _description(rows: Mapping[str, Any]) -> str:
    cells = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                    for k, v in rows.items() if v is not None)
    return f"<table>{cells}</table>"


# --------------------------------------------------------------------------- threats


@dataclass(frozen=True)
class _Truth:
    t_s: NDArray[np.float64]
    pos: NDArray[np.float64]
    vel: NDArray[np.float64]
    phase: NDArray[np.object_]

    def position_at(self, t_s: float) -> NDArray[np.float64] | None:
        """Cubic Hermite of the truth (the run's own interpolant) at ``t_s``; None outside."""
        t = self.t_s
        if not t.size or not t[0] <= t_s <= t[-1]:
            return None
        if t.size == 1:
            return self.pos[0]
        k = int(np.clip(np.searchsorted(t, t_s, side="right") - 1, 0, t.size - 2))
        return hermite(t[k], t[k + 1], self.pos[k], self.pos[k + 1], self.vel[k],
                       self.vel[k + 1], np.float64(t_s))


def _truths(run: RunData) -> dict[str, _Truth]:
    truth = run.table("truth")
    if truth is None:
        return {}
    t = _num(truth, "t_s")
    pos, vel = _xyz(truth), np.stack([_num(truth, f"v{c}_mps") for c in "xyz"], axis=-1)
    phase = _str(truth, "phase")
    return {tid: _Truth(t[i], pos[i], vel[i], phase[i])
            for tid, i in _groups(_str(truth, "threat_id"), t).items()}


def _threat_packets(run: RunData, truths: Mapping[str, _Truth], clock: _Clock,
                    max_samples: int) -> list[Packet]:
    rows = {str(r.get("threat_id")): r for r in run.summary.get("threats", [])}
    packets = []
    for tid, tr in truths.items():
        n = tr.t_s.size
        change = np.flatnonzero(tr.phase[1:] != tr.phase[:-1]) + 1
        starts, stops = np.r_[0, change], np.r_[change, n]
        keep = np.zeros(n, dtype=bool)
        keep[starts] = True
        keep[np.maximum(starts - 1, 0)] = True
        idx = _thin(n, max_samples, keep)
        colors = [IntervalValue(start=clock.iso(tr.t_s[a]),
                                end=clock.iso(tr.t_s[b] if b < n else clock.stop_s),
                                value=_rgba(PHASE_COLORS.get(str(tr.phase[a]), _GREY)))
                  for a, b in zip(starts, stops, strict=True)]
        summary = rows.get(tid, {})
        packets.append(Packet(
            id=f"threat/{tid}", name=f"threat {tid}",
            description=_description({"type": summary.get("type"),
                                      "outcome": summary.get("outcome"),
                                      "phases": ", ".join(summary.get("phases", []))}),
            availability=clock.interval(tr.t_s[0], tr.t_s[-1]),
            position=clock.position(tr.t_s[idx], tr.pos[idx]),
            point=Point(pixelSize=9.0, color=TimeIntervalCollection(values=colors),
                        outlineColor=_rgba("#ffffff"), outlineWidth=1.5),
            label=_label(tid),
        ))
        for k, (a, b) in enumerate(zip(starts, stops, strict=True)):
            phase = str(tr.phase[a])
            if phase in _TERMINAL_PHASES:
                continue  # the previous segment ends on it
            last = min(b, n - 1)  # the next segment's first row joins them
            seg = idx[(idx >= a) & (idx <= last)]
            seg = np.union1d(seg, [a, last])
            packets.append(Packet(
                id=f"threat/{tid}/path/{k}", name=f"threat {tid}: {phase}",
                availability=clock.interval(tr.t_s[a]),
                position=clock.position(tr.t_s[seg], tr.pos[seg], hold=True),
                path=CzmlPath(leadTime=0.0, trailTime=clock.stop_s - clock.start_s + 1.0,
                              width=3.0, resolution=10.0,
                              material=_line(PHASE_COLORS.get(phase, _GREY))),
            ))
    return packets


# --------------------------------------------------------------------------- sensors


def _satellite_packets(run: RunData, sites: SceneSites, clock: _Clock,
                       max_samples: int) -> list[Packet]:
    sats = run.table("satellites")
    if sats is None:
        return []
    t, pos = _num(sats, "t_s"), _xyz(sats)
    layer = _str(sats, "layer_id")
    layer_colors = {lid: _LAYER_COLORS[i % len(_LAYER_COLORS)]
                    for i, lid in enumerate(dict.fromkeys(layer.tolist()))}
    packets = []
    for sat_id, i in _groups(_str(sats, "sat_id"), t).items():
        i = i[_last_of_equal_times(t[i])]
        i = i[_thin(i.size, max_samples)]
        lid = str(layer[i[0]])
        color = layer_colors[lid]
        ellipse = None
        if lid in sites.ir_sensors:
            _, _, alt = ecef_to_geodetic(pos[i], WGS84)
            radius = _footprint_radius_m(float(np.mean(alt)), *sites.ir_sensors[lid])
            ellipse = Ellipse(semiMajorAxis=radius, semiMinorAxis=radius, height=0.0,
                              fill=False, outline=True, outlineColor=_rgba(color, 0.35),
                              granularity=0.03)
        packets.append(Packet(
            id=f"satellite/{sat_id}", name=f"satellite {sat_id} ({lid})",
            availability=clock.interval(t[i[0]], t[i[-1]]),
            position=clock.position(t[i], pos[i], degree=5),
            point=Point(pixelSize=4.0, color=_rgba(color)),
            path=CzmlPath(leadTime=0.0, trailTime=600.0, width=1.0, resolution=60.0,
                          material=_line(color, 0.4)),
            ellipse=ellipse,
        ))
    return packets


def _radar_fans(run: RunData, sites: SceneSites) -> dict[str, RadarFan]:
    """Each radar's fan: from the scenario where given, else the sector its reports span."""
    fans: dict[str, RadarFan] = {}
    det = run.table("detections")
    if det is not None:
        det = det.filter(pc.equal(det.column("sensor_type"), "radar"))
    if det is not None and det.num_rows:
        sensor = _str(det, "sensor_id")
        pos = _xyz(det, "sensor_")
        rng, az, el = (_num(det, c) for c in ("range_m", "az_rad", "el_rad"))
        real = np.asarray(pc.is_valid(det.column("truth_id")).to_numpy(zero_copy_only=False))
        for rid, i in _groups(sensor, _num(det, "t_s")).items():
            j = i[real[i]] if real[i].any() else i
            start, span = _covering_arc_deg(np.degrees(az[j]))
            el_deg = np.degrees(el[j])
            fans[str(rid)] = RadarFan(
                site_ecef=tuple(float(v) for v in pos[i[0]]),  # type: ignore[arg-type]
                max_range_m=float(np.max(rng[j])),
                min_elevation_deg=max(0.0, float(np.min(el_deg)) - 1.0),
                max_elevation_deg=min(90.0, float(np.max(el_deg)) + 1.0),
                az_from_deg=start - 2.0, az_span_deg=min(360.0, span + 4.0))
    fans.update(sites.radars)
    return fans


def _radar_packets(run: RunData, sites: SceneSites) -> list[Packet]:
    packets = []
    for rid, fan in _radar_fans(run, sites).items():
        site = np.asarray(fan.site_ecef)
        # Cesium's ellipsoid sector: clock from +x (east) toward +y (north), cone from +z (up).
        clock_max = math.radians(90.0 - fan.az_from_deg)
        clock_min = clock_max - math.radians(fan.az_span_deg)
        packets.append(Packet(
            id=f"radar/{rid}", name=f"radar {rid}",
            description=_description({"range (km)": f"{fan.max_range_m / 1e3:,.0f}",
                                      "elevation (deg)": f"{fan.min_elevation_deg:.1f} to "
                                                         f"{fan.max_elevation_deg:.1f}"}),
            position=Position(cartesian=np.round(site, 1).tolist()),
            orientation=Orientation(unitQuaternion=_enu_quaternion(site)),
            point=Point(pixelSize=10.0, color=_rgba(_RADAR_COLOR),
                        outlineColor=_rgba("#ffffff"), outlineWidth=2.0),
            label=_label(rid, _RADAR_COLOR),
            ellipsoid=Ellipsoid(
                radii=EllipsoidRadii(cartesian=[fan.max_range_m] * 3),
                innerRadii=EllipsoidRadii(cartesian=[1000.0] * 3),
                minimumClock=clock_min, maximumClock=clock_max,
                minimumCone=math.radians(90.0 - fan.max_elevation_deg),
                maximumCone=math.radians(90.0 - fan.min_elevation_deg),
                material=_fill(_RADAR_COLOR, 0.08), outline=True,
                outlineColor=_rgba(_RADAR_COLOR, 0.3), slicePartitions=24,
                stackPartitions=8),
        ))
    return packets


# --------------------------------------------------------------------------- tracks


def _covariance_axes(cov: NDArray[np.float64]) -> tuple[NDArray[np.float64],
                                                          NDArray[np.float64]]:
    """3-σ radii ``(n, 3)`` and unit quaternions ``(n, 4)`` (x, y, z, w) of the principal axes
    of position covariances ``(n, 3, 3)``, with axis signs and quaternion hemisphere kept
    continuous from sample to sample (so Cesium interpolates between them smoothly)."""
    w, v = np.linalg.eigh(cov)
    radii = SIGMA_SCALE * np.sqrt(np.clip(w, 1e-4, None))  # at least 3 cm: drawable
    for k in range(1, v.shape[0]):
        flip = np.einsum("ij,ij->j", v[k], v[k - 1]) < 0.0
        v[k][:, flip] *= -1.0
    v[np.linalg.det(v) < 0.0, :, 2] *= -1.0
    q = Rotation.from_matrix(v).as_quat()
    for k in range(1, q.shape[0]):
        if np.dot(q[k], q[k - 1]) < 0.0:
            q[k] = -q[k]
    return radii, q


def _track_packets(run: RunData, clock: _Clock, max_samples: int) -> list[Packet]:
    tracks = run.table("tracks")
    if tracks is None:
        return []
    status = _str(tracks, "status")
    firm_ids = set(_str(tracks, "track_id")[np.isin(status, _FIRM)].tolist())
    if not firm_ids:
        return []
    t, pos = _num(tracks, "t_s"), _xyz(tracks)
    ids = _str(tracks, "track_id")
    truth_id = _str(tracks, "truth_id")
    groups = {k: v for k, v in _groups(ids, t).items() if k in firm_ids}
    held = sorted(groups, key=lambda k: -int(np.isin(status[groups[k]], _FIRM).sum()))
    with_cov = set(held[:MAX_ELLIPSOID_TRACKS])
    cov_cols = {(a, b): _num(tracks, f"cov_{a}{b}") for a in range(3) for b in range(a, 3)
                if f"cov_{a}{b}" in tracks.column_names}
    packets = []
    for tid, i in groups.items():
        i = i[_last_of_equal_times(t[i])]
        follows = next((str(x) for x in truth_id[i] if x is not None), None)
        name = f"track {tid}" + (f" ({follows})" if follows else " (false track)")
        ellipsoid = orientation = None
        if tid in with_cov and len(cov_cols) == 6:
            j = i[_every(t[i], ELLIPSOID_STEP_S)]
            j = j[_thin(j.size, max_samples)]
            cov = np.empty((j.size, 3, 3))
            for (a, b), col in cov_cols.items():
                cov[:, a, b] = cov[:, b, a] = col[j]
            ok = np.all(np.isfinite(cov), axis=(1, 2))
            j, cov = j[ok], cov[ok]
            if j.size:
                radii, quat = _covariance_axes(cov)
                radii_samples = _samples(t[j], radii, decimals=2)
                ellipsoid = Ellipsoid(
                    radii=EllipsoidRadii(epoch=clock.epoch_iso, cartesian=radii_samples),
                    material=_fill(_TRACK_COLOR, 0.35), outline=False)
                orientation = Orientation(epoch=clock.epoch_iso,
                                          unitQuaternion=_samples(t[j], quat, decimals=6))
        k = i[_thin(i.size, max_samples)]
        packets.append(Packet(
            id=f"track/{tid}", name=name,
            description=_description({"follows": follows or "none (false track)",
                                      "first": f"{t[i[0]]:.1f} s", "last": f"{t[i[-1]]:.1f} s",
                                      "covariance": f"{SIGMA_SCALE:g}-sigma ellipsoid"
                                      if ellipsoid else None}),
            availability=clock.interval(t[i[0]], t[i[-1]]),
            position=clock.position(t[k], pos[k], degree=1),
            orientation=orientation,
            point=Point(pixelSize=6.0, color=_rgba(_TRACK_COLOR),
                        outlineColor=_rgba("#000000"), outlineWidth=1.0),
            ellipsoid=ellipsoid,
        ))
    return packets


# --------------------------------------------------------------------------- shots


def _shot_packets(run: RunData, truths: Mapping[str, _Truth], sites: SceneSites,
                  clock: _Clock) -> list[Packet]:
    shots = run.table("engagements")
    if shots is None:
        return []
    packets = [Packet(id=f"weapon/{wid}", name=f"weapon {wid}",
                      position=Position(cartesian=np.round(site, 1).tolist()),
                      point=Point(pixelSize=10.0, color=_rgba(_SHOT_COLOR),
                                  outlineColor=_rgba("#000000"), outlineWidth=2.0),
                      label=_label(wid))
               for wid, site in sites.weapons.items()]
    cols = {c: shots.column(c).to_pylist() for c in shots.column_names}
    other = iter(("#ff7f0e", "#9467bd", "#17becf"))
    outcome_colors = dict(OUTCOME_COLORS)
    for r in range(shots.num_rows):
        row = {c: cols[c][r] for c in cols}
        sid, wid, outcome = row["shot_id"], str(row["weapon_id"]), str(row["outcome"])
        t0, t1 = float(row["launch_t_s"]), _finite(row.get("intercept_t_s"))
        miss = _finite(row.get("miss_m"))
        truth = truths.get(str(row.get("threat_id")))
        point = truth.position_at(t1) if t1 is not None and truth is not None else None
        if outcome not in outcome_colors:
            outcome_colors[outcome] = next(other, _GREY)
        desc = _description({"weapon": wid, "threat": row.get("threat_id"), "outcome": outcome,
                             "launch": f"{t0:.1f} s",
                             "intercept": f"{t1:.1f} s" if point is not None else None,
                             "miss (m)": f"{miss:.2f}" if miss is not None else None,
                             "planned Pk": row.get("planned_pk")})
        if point is not None and t1 is not None:
            text = outcome if outcome == "kill" or miss is None else f"{outcome} {miss:.0f} m"
            packets.append(Packet(
                id=f"shot/{sid}/intercept", name=f"shot {sid}: {outcome}", description=desc,
                availability=clock.interval(t1),
                position=Position(cartesian=np.round(point, 1).tolist()),
                point=Point(pixelSize=14.0, color=_rgba(outcome_colors[outcome]),
                            outlineColor=_rgba("#ffffff"), outlineWidth=2.0),
                label=_label(text, outcome_colors[outcome]),
            ))
        site = sites.weapons.get(wid)
        if site is not None and point is not None and t1 is not None:
            ts = np.array([t0, t1])
            packets.append(Packet(
                id=f"shot/{sid}", name=f"shot {sid} of {wid} (straight line, not the flown "
                                      "path)", description=desc,
                availability=clock.interval(t0),
                position=clock.position(ts, np.stack([np.asarray(site), point]), degree=1,
                                        hold=True),
                point=Point(pixelSize=6.0, color=_rgba(_SHOT_COLOR),
                            show=TimeIntervalCollection(values=[
                                IntervalValue(start=clock.iso(t0), end=clock.iso(t1),
                                              value=True)])),
                path=CzmlPath(leadTime=0.0, trailTime=t1 - t0 + 1.0, width=2.0,
                              material=_line(_SHOT_COLOR, 0.9)),
            ))
        elif site is None and _finite(row.get("pip_lat_deg")) is not None:
            pip = geodetic_to_ecef(math.radians(row["pip_lat_deg"]),
                                   math.radians(row["pip_lon_deg"]), row["pip_alt_m"], WGS84)
            end = t1 if t1 is not None else _finite(row.get("predicted_intercept_t_s")) or t0
            packets.append(Packet(
                id=f"shot/{sid}", name=f"shot {sid} of {wid}: predicted intercept point",
                description=desc, availability=clock.interval(t0, max(end, t0)),
                position=Position(cartesian=np.round(pip, 1).tolist()),
                point=Point(pixelSize=8.0, color=_rgba(_SHOT_COLOR, 0.0),
                            outlineColor=_rgba(_SHOT_COLOR), outlineWidth=2.0),
            ))
    return packets


# --------------------------------------------------------------------------- scene


def _epoch(run: RunData) -> dt.datetime:
    text = run.summary.get("epoch")
    if not text:
        raise ValueError("summary.json has no epoch: not a run folder of `hdsim run`")
    epoch = dt.datetime.fromisoformat(str(text))
    return epoch if epoch.tzinfo else epoch.replace(tzinfo=dt.UTC)


def scene_czml(run: RunData, sites: SceneSites | None = None, *,
               max_samples: int = MAX_SAMPLES) -> Document:
    """The CZML scene of a run (see the module's docstring for its packets).

    Args:
        run: a run's tables and summary (:func:`hdsim.viz.load_run`).
        sites: what the run folder does not record (weapon sites, radar coverage, infrared
            fields of regard), e.g. ``SceneSites.from_scenario(scenario)``; default none.
        max_samples: the most position samples per object (≥ 2).

    Raises:
        ValueError: the run has no truth table (not a folder of ``hdsim run``), or
            ``max_samples`` < 2.
    """
    if max_samples < 2:
        raise ValueError(f"max_samples = {max_samples}: must be at least 2")
    truths = _truths(run)
    if not truths:
        raise ValueError("the run folder has no truth.parquet rows: not a run of `hdsim run` "
                         "(coverage and nees folders have no scene)")
    sites = sites or SceneSites.from_summary(run.summary)
    ends = [tr.t_s[-1] for tr in truths.values()]
    shots = run.table("engagements")
    if shots is not None:
        ends += [x for x in _num(shots, "intercept_t_s") if math.isfinite(x)]
    start = min(0.0, min(float(tr.t_s[0]) for tr in truths.values()))
    stop = float(max(ends)) + 60.0
    duration = run.summary.get("duration_s")
    if duration is not None:
        stop = min(stop, max(float(duration), float(max(ends))))
    clock = _Clock(_epoch(run), start, stop)
    document = Packet(
        id="document", name=run.title, version="1.0",
        clock=Clock(interval=clock.interval(start, stop), currentTime=clock.iso(start),
                    multiplier=10.0, range=ClockRanges.LOOP_STOP,
                    step=ClockSteps.SYSTEM_CLOCK_MULTIPLIER),
    )
    packets = [document,
               *_threat_packets(run, truths, clock, max_samples),
               *_satellite_packets(run, sites, clock, max_samples),
               *_radar_packets(run, sites),
               *_track_packets(run, clock, max_samples),
               *_shot_packets(run, truths, sites, clock)]
    return Document(packets=packets)


def save_scene(doc: Document, out_file: str | os.PathLike[str]) -> Path:
    """Write a scene as compact CZML JSON, atomically (a temporary file beside it, renamed
    into place, so a reader never sees half a scene); its folder is created if needed.

    Returns:
        The absolute path of the file.
    """
    out = Path(out_file).expanduser().absolute()
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(doc.model_dump_json(exclude_none=True).encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def write_scene(run_dir: str | os.PathLike[str], out_file: str | os.PathLike[str] | None = None,
                sites: SceneSites | None = None, *, max_samples: int = MAX_SAMPLES) -> Path:
    """Write the CZML scene of a finished run folder (:func:`scene_czml`, :func:`save_scene`).

    Args:
        run_dir: a result folder written by ``hdsim run`` (has ``_SUCCESS``).
        out_file: the file to write; default ``run_dir/scene.czml``.
        sites, max_samples: as :func:`scene_czml`.

    Returns:
        The absolute path of the scene.

    Raises:
        ValueError: ``run_dir`` is not a finished run folder of ``hdsim run``.
    """
    run_dir = Path(run_dir).expanduser()
    doc = scene_czml(load_run(run_dir), sites, max_samples=max_samples)
    return save_scene(doc, out_file if out_file is not None else run_dir / SCENE_FILE)
