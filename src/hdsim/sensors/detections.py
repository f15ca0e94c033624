"""The detections table: every sensor's reports, as one structure of arrays.

One row per report (a detection of a threat, or a false alarm).  Measurement vectors of the
two sensor families share a padded ``(K, 4)`` array:

* radar (``sensor_type == RADAR``): ``z = [range_m, az_rad, el_rad, range_rate_mps]`` in the
  site's ENU frame (azimuth clockwise from north in [0, 2π), elevation above the horizontal);
* space IR (``sensor_type == SPACE_IR``): ``z = [u_rad, v_rad, nan, nan]``, the tangent-plane
  angles of the line of sight in the satellite's nadir frame (:func:`nadir_frame`):
  ``u = atan2(e1·d, b·d)``, ``v = atan2(e2·d, b·d)`` with ``d`` the ECEF vector from the
  satellite to the target, ``b`` the unit vector to the Earth's centre, ``e1`` east and ``e2``
  north at the sub-satellite point.  Both are smooth for any direction within 90° of nadir,
  which covers the whole field of regard and the limb.

``sigma`` holds the standard deviations of the (independent) measurement errors — the
covariance is ``diag(sigma²)`` — NaN-padded like ``z``.  ``sensor_pos_ecef`` is where the
sensor was at the report time (the satellite moves; a radar site does not).  ``truth_idx`` is
the index of the threat in the scenario (−1 for a false alarm): kept for scoring only, the
tracker never reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike, NDArray

__all__ = ["SPACE_IR", "RADAR", "SENSOR_TYPES", "Detections", "nadir_frame"]

SPACE_IR, RADAR = 0, 1
SENSOR_TYPES = ("space_ir", "radar")


def nadir_frame(sat_ecef: ArrayLike) -> NDArray[np.float64]:
    """Rows ``(e1, e2, b)`` of the IR measurement frame at satellite positions ``(..., 3)``:
    ``b`` toward the Earth's centre, ``e1`` east, ``e2`` north (at the sub-satellite point).
    Returns ``(..., 3, 3)``."""
    r = np.asarray(sat_ecef, dtype=np.float64)
    b = -r / np.linalg.norm(r, axis=-1, keepdims=True)
    z = np.zeros_like(r)
    z[..., 2] = 1.0
    east = np.cross(z, -b)
    n = np.linalg.norm(east, axis=-1, keepdims=True)
    # Over a pole east is undefined: take the ECEF x axis projected on the horizontal plane.
    x = np.zeros_like(r)
    x[..., 0] = 1.0
    alt_e = x - np.sum(x * -b, axis=-1, keepdims=True) * -b
    alt_n = np.linalg.norm(alt_e, axis=-1, keepdims=True)
    east = np.where(n > 1e-12, east / np.where(n > 0, n, 1.0),
                    alt_e / np.where(alt_n > 0, alt_n, 1.0))
    north = np.cross(-b, east)
    return np.stack([east, north, b], axis=-2)


@dataclass
class Detections:
    """Reports of all sensors, one row each (structure of arrays, length K).

    Attributes:
        t_s: ``(K,)`` report time, s since epoch.
        sensor_idx: ``(K,)`` index into the run's sensor list (:attr:`sensor_ids`).
        sensor_type: ``(K,)`` ``SPACE_IR`` or ``RADAR``.
        truth_idx: ``(K,)`` threat index, −1 for false alarms (scoring only).
        z: ``(K, 4)`` measurement, NaN-padded (see the module docstring).
        sigma: ``(K, 4)`` measurement standard deviations, NaN-padded.
        sensor_pos_ecef: ``(K, 3)`` sensor position at ``t_s``, m.
        snr_db: ``(K,)`` signal-to-noise ratio of the report, dB.
        sensor_ids: names of the sensors (satellite ids or radar ids), indexed by sensor_idx.
        layer_ids: the layer (space layer id or radar id) of each sensor, same indexing.
    """

    t_s: NDArray[np.float64]
    sensor_idx: NDArray[np.int32]
    sensor_type: NDArray[np.int8]
    truth_idx: NDArray[np.int32]
    z: NDArray[np.float64]
    sigma: NDArray[np.float64]
    sensor_pos_ecef: NDArray[np.float64]
    snr_db: NDArray[np.float64]
    sensor_ids: list[str]
    layer_ids: list[str]

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    @classmethod
    def empty(cls, sensor_ids: Sequence[str] = (), layer_ids: Sequence[str] = ()) -> Detections:
        return cls(np.empty(0), np.empty(0, np.int32), np.empty(0, np.int8),
                   np.empty(0, np.int32), np.empty((0, 4)), np.empty((0, 4)), np.empty((0, 3)),
                   np.empty(0), list(sensor_ids), list(layer_ids))

    def take(self, idx: ArrayLike) -> Detections:
        """Rows ``idx`` (an index array or boolean mask), same sensor lists."""
        kw = {f.name: getattr(self, f.name) for f in fields(self)}
        for name, value in kw.items():
            if isinstance(value, np.ndarray):
                kw[name] = value[idx]
        return Detections(**kw)

    def sorted(self) -> Detections:
        """Rows in time order (stable: ties keep sensor order)."""
        return self.take(np.argsort(self.t_s, kind="stable"))

    @staticmethod
    def concatenate(parts: Sequence[Detections]) -> Detections:
        """Rows of all parts, sensor indices renumbered into one combined sensor list."""
        if not parts:
            return Detections.empty()
        sensor_ids: list[str] = []
        layer_ids: list[str] = []
        arrays: dict[str, list[NDArray]] = {}
        for p in parts:
            offset = len(sensor_ids)
            sensor_ids += p.sensor_ids
            layer_ids += p.layer_ids
            for f in fields(p):
                v = getattr(p, f.name)
                if isinstance(v, np.ndarray):
                    if f.name == "sensor_idx":
                        v = v + offset
                    arrays.setdefault(f.name, []).append(v)
        kw = {name: np.concatenate(vs) for name, vs in arrays.items()}
        return Detections(sensor_ids=sensor_ids, layer_ids=layer_ids, **kw)

    def to_arrow(self, threat_ids: Sequence[str]) -> pa.Table:
        """The ``detections.parquet`` table (docs/results.md columns plus measurement columns)."""
        sid = np.array(self.sensor_ids + [""], dtype=object)
        lid = np.array(self.layer_ids + [""], dtype=object)
        tid = np.array(list(threat_ids) + [None], dtype=object)
        stype = np.array(SENSOR_TYPES, dtype=object)
        truth = tid[np.where(self.truth_idx >= 0, self.truth_idx, len(threat_ids))]
        z, s = self.z, self.sigma
        return pa.table({
            "t_s": self.t_s,
            "sensor_id": pa.array(sid[self.sensor_idx], pa.string()),
            "layer_id": pa.array(lid[self.sensor_idx], pa.string()),
            "sensor_type": pa.array(stype[self.sensor_type], pa.string()),
            "truth_id": pa.array(truth, pa.string()),
            "z0": z[:, 0], "z1": z[:, 1], "z2": z[:, 2], "z3": z[:, 3],
            "sigma0": s[:, 0], "sigma1": s[:, 1], "sigma2": s[:, 2], "sigma3": s[:, 3],
            # Named views of the same numbers, per sensor family (NaN for the other family).
            "range_m": np.where(self.sensor_type == RADAR, z[:, 0], np.nan),
            "az_rad": np.where(self.sensor_type == RADAR, z[:, 1], np.nan),
            "el_rad": np.where(self.sensor_type == RADAR, z[:, 2], np.nan),
            "range_rate_mps": np.where(self.sensor_type == RADAR, z[:, 3], np.nan),
            "los_u_rad": np.where(self.sensor_type == SPACE_IR, z[:, 0], np.nan),
            "los_v_rad": np.where(self.sensor_type == SPACE_IR, z[:, 1], np.nan),
            "sensor_x_m": self.sensor_pos_ecef[:, 0],
            "sensor_y_m": self.sensor_pos_ecef[:, 1],
            "sensor_z_m": self.sensor_pos_ecef[:, 2],
            "snr_db": self.snr_db,
        })
