"""Rebuild ``src/hdsim/viz/data/natural_earth_50m.npz``, the coastlines and borders of the maps.

Source: the npm package ``world-atlas`` 2.0.2 (Natural Earth 4.1.0 vector data as TopoJSON,
public domain; package ISC), file ``countries-50m.json``. Nothing is downloaded at run time:
this script is run by hand when the data should change, and its output is committed.

    python scripts/build_natural_earth.py                        # runs `npm pack world-atlas@2.0.2`
    python scripts/build_natural_earth.py --tarball world-atlas-2.0.2.tgz

TopoJSON (topojson-specification, sections 2.1.2-2.2): every arc is a list of quantized
positions, delta-encoded (the first absolute, each next one the difference from the previous);
``lon = x * scale[0] + translate[0]``, ``lat = y * scale[1] + translate[1]``. A ring lists arc
indices; ``~i`` (``-i - 1``) means arc ``i`` reversed; consecutive arcs share their end point.

What is written (quantized integers, exact to the source's 1e5-step grid, about 0.0036 deg):

- ``coast_dq (N, 2) int32``, ``coast_offsets (n + 1,) int64``: the rings of the ``land`` object
  (coastlines, holes such as the Caspian Sea included), each delta-encoded from zero. Longitudes
  are unwrapped along each ring, so a ring that crosses the antimeridian (Chukotka, Fiji) stays
  continuous and may run past 180 deg. Exterior rings are counter-clockwise in (lon, lat), holes
  clockwise, so that a nonzero-winding fill shows the holes.
- ``coast_pole (n,) int8``: +1 / -1 for a ring that encloses the north / south pole (its
  unwrapped longitude ends a whole turn from its start: Antarctica); a fill closes such a ring
  through the pole, a coastline is drawn without that closure. 0 otherwise.
- ``border_dq``, ``border_offsets``: the arcs that two different countries share (land borders).
- ``scale (2,)``, ``translate (2,)`` float64: the TopoJSON transform; ``source`` (str).
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import tarfile
import tempfile
import zipfile
from pathlib import Path

import numpy as np

PACKAGE = "world-atlas@2.0.2"
MEMBER = "package/countries-50m.json"
OUT = Path(__file__).resolve().parents[1] / "src/hdsim/viz/data/natural_earth_50m.npz"
SOURCE = ("Natural Earth 4.1.0 (public domain), 1:50m admin-0 countries and the land merged from "
          "them, via the npm package world-atlas 2.0.2 (countries-50m.json)")


def read_topology(tarball: Path | None) -> dict:
    """The TopoJSON topology, from ``tarball`` or from a fresh ``npm pack``."""
    if tarball is None:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=tmp, check=True,
                           stdout=subprocess.DEVNULL)
            (tarball_tmp,) = Path(tmp).glob("world-atlas-*.tgz")
            return read_topology(tarball_tmp)
    with tarfile.open(tarball) as tar:
        member = tar.extractfile(MEMBER)
        if member is None:
            raise ValueError(f"{tarball}: no {MEMBER}")
        return json.load(member)


def decode_arcs(topology: dict) -> list[np.ndarray]:
    """Absolute quantized positions ``(n, 2) int64`` of every arc (undo the delta encoding)."""
    return [np.cumsum(np.asarray(a, dtype=np.int64)[:, :2], axis=0) for a in topology["arcs"]]


def stitch(arcs: list[np.ndarray], ring: list[int]) -> np.ndarray:
    """The positions of a ring of arc indices (``~i``: arc ``i`` reversed), shared ends once."""
    parts = []
    for k, i in enumerate(ring):
        a = arcs[i] if i >= 0 else arcs[~i][::-1]
        parts.append(a if k == 0 else a[1:])
    return np.concatenate(parts)


def polygons(geometry: dict) -> list[list[list[int]]]:
    """The polygons (lists of rings of arc indices) of a Polygon or MultiPolygon geometry."""
    if geometry["type"] == "Polygon":
        return [geometry["arcs"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["arcs"]
    return []


def signed_area(lon_deg: np.ndarray, lat_deg: np.ndarray) -> float:
    """Shoelace area of a closed ring in (lon, lat) degrees (positive counter-clockwise)."""
    return 0.5 * float(np.sum(lon_deg * np.roll(lat_deg, -1) - np.roll(lon_deg, -1) * lat_deg))


def unwrap(q: np.ndarray, turn: int) -> np.ndarray:
    """Longitudes (grid units) unwrapped along a line: no step longer than half a turn."""
    step = np.diff(q[:, 0])
    step -= turn * np.round(step / turn).astype(np.int64)
    out = q.copy()
    out[1:, 0] = q[0, 0] + np.cumsum(step)
    return out


def land_rings(topology: dict, arcs: list[np.ndarray]) -> tuple[list[np.ndarray], list[int]]:
    """The land rings, longitudes unwrapped, oriented (exterior CCW, holes CW), with pole flags."""
    scale, translate = (np.asarray(topology["transform"][k]) for k in ("scale", "translate"))
    turn = round(360.0 / scale[0])  # grid steps in 360 deg
    rings, poles = [], []
    for geometry in topology["objects"]["land"]["geometries"]:
        for polygon in polygons(geometry):
            for k, ring in enumerate(polygon):
                q = unwrap(stitch(arcs, ring), turn)
                lon, lat = (q * scale + translate).T
                pole = 0 if abs(q[-1, 0] - q[0, 0]) < turn // 2 else int(np.sign(lat.mean()))
                if pole and np.all(np.abs(lat) > 89.9):
                    continue  # a sliver along the pole itself: no area, nothing to draw
                if pole:  # close through the pole, as a fill will
                    lon = np.concatenate([lon, [lon[-1], lon[0]]])
                    lat = np.concatenate([lat, [90.0 * pole] * 2])
                if (signed_area(lon, lat) > 0) != (k == 0):  # k == 0: exterior ring
                    q = q[::-1].copy()
                rings.append(q)
                poles.append(pole)
    return rings, poles


def border_arcs(topology: dict, arcs: list[np.ndarray]) -> list[np.ndarray]:
    """The arcs used by two different countries (land borders), longitudes unwrapped."""
    turn = round(360.0 / topology["transform"]["scale"][0])
    users: dict[int, set[int]] = {}
    for g, geometry in enumerate(topology["objects"]["countries"]["geometries"]):
        for polygon in polygons(geometry):
            for ring in polygon:
                for i in ring:
                    users.setdefault(i if i >= 0 else ~i, set()).add(g)
    return [unwrap(arcs[i], turn) for i in sorted(i for i, u in users.items() if len(u) >= 2)]


def delta_encode(lines: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated per-line deltas (each line's first row absolute) and the line offsets."""
    dq = np.concatenate([np.diff(q, axis=0, prepend=np.zeros((1, 2), np.int64)) for q in lines])
    offsets = np.concatenate([[0], np.cumsum([len(q) for q in lines])]).astype(np.int64)
    if np.abs(dq).max() >= 2 ** 31:
        raise ValueError("a delta does not fit in int32")
    return dq.astype(np.int32), offsets


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """An ``.npz`` (``np.load`` reads it) with fixed member dates, so a rebuild from the same
    source gives the same bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
            z.writestr(zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0)),
                       buf.getvalue(), compress_type=zipfile.ZIP_DEFLATED)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tarball", type=Path, help="world-atlas-2.0.2.tgz from `npm pack`")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    topology = read_topology(args.tarball)
    arcs = decode_arcs(topology)
    rings, poles = land_rings(topology, arcs)
    borders = border_arcs(topology, arcs)
    coast_dq, coast_offsets = delta_encode(rings)
    border_dq, border_offsets = delta_encode(borders)
    t = topology["transform"]
    write_npz(args.out, {
        "scale": np.asarray(t["scale"], np.float64),
        "translate": np.asarray(t["translate"], np.float64),
        "coast_dq": coast_dq, "coast_offsets": coast_offsets,
        "coast_pole": np.asarray(poles, np.int8),
        "border_dq": border_dq, "border_offsets": border_offsets,
        "source": np.asarray(SOURCE),
    })
    print(f"{args.out}: {len(rings)} land rings ({coast_offsets[-1]} vertices), "
          f"{len(borders)} border arcs ({border_offsets[-1]} vertices), "
          f"{args.out.stat().st_size / 1024:.0f} KiB")


if __name__ == "__main__":
    main()
