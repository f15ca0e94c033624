"""Benchmark: sensor measurement generation at scale — wall time and peak memory per section.

Sections (one function each; every section runs in a fresh subprocess so that its peak RSS is
its own):

* ``space``: a Walker layer (default 300 satellites, 1,000 km, 80°, 15 planes) against 1,000
  threats at 1 Hz for 30 minutes: :func:`hdsim.sensors.space_ir.simulate_space_ir` (geometric
  visibility + Sun exclusion + radiometry + detection draws + measurements). The threats are
  synthetic great-circle tracks at 40 km altitude and 5 km/s (``--flown`` flies 1,000 boost-glide
  vehicles with ``hdsim.threats.fly_threats`` instead: slower to set up, shorter flights).
  The frames are fed in windows of ``--window-s`` seconds, as a run loop streaming detections
  to the tracker would; ``--window-s 1800`` builds the whole table at once (≈ 113 bytes per
  detection: tens of millions of rows need several GiB).
* ``radar``: ``--radars`` (default 10) ground radars (the notional defaults: 2,000 km, 1 Hz,
  Swerling 1, 20 dB at 1,000 km on 0.1 m², Pfa 1e-6 with ≈ 1.3 false alarms per scan) spread
  over Japan and Korea against 1,000 threats for 30 minutes:
  :func:`hdsim.sensors.radar.simulate_radar` (scan interpolation, geometry, 4/3-Earth horizon,
  SNR/Pd, draws, noise, false alarms). The threats are synthetic great-circle tracks from
  inland China toward Japan at 30-60 km and 2-3 km/s, launched over the first 10 minutes and
  ending at their aim points (``--flown``: 1,000 flown boost-glide vehicles instead), so a
  realistic share of threat-scan pairs is in view.

Usage: ``python benchmarks/bench_sensors.py [--section space|radar|all] [--sats 300]
[--threats 1000] [--duration-s 1800] [--window-s 60] [--flown]``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime

EPOCH = datetime(2025, 3, 20, 0, 0, 0, tzinfo=UTC)


def synthetic_tracks(n: int, times, alt_m: float, speed_mps: float, seed: int = 0):
    """``(n, T, 6)`` ECEF states of great-circle tracks at constant height and speed (random
    start points uniform on the globe, random headings; Earth rotation ignored)."""
    import numpy as np

    from hdsim.earth import WGS84_A_M, geodetic_to_ecef

    rng = np.random.default_rng(seed)
    lat0 = np.arcsin(rng.uniform(-1.0, 1.0, n))[:, None]
    lon0 = rng.uniform(-np.pi, np.pi, n)[:, None]
    head = rng.uniform(0.0, 2.0 * np.pi, n)[:, None]

    def at(t):
        d = speed_mps * np.asarray(t)[None, :] / (WGS84_A_M + alt_m)
        lat = np.arcsin(np.sin(lat0) * np.cos(d) + np.cos(lat0) * np.sin(d) * np.cos(head))
        lon = lon0 + np.arctan2(np.sin(head) * np.sin(d) * np.cos(lat0),
                                np.cos(d) - np.sin(lat0) * np.sin(lat))
        return geodetic_to_ecef(lat, lon, alt_m)

    pos = at(times)
    vel = at(times + 0.5) - at(times - 0.5)
    return np.concatenate([pos, vel], axis=-1)


def flown_threats(n: int, times):
    """States and phases of ``n`` guided boost-glide vehicles (the raid of ``bench_threats.py``)."""
    from bench_threats import hgv_specs  # sibling script: benchmarks/ is on sys.path

    from hdsim.earth import EarthModel
    from hdsim.threats import TrajectorySet, fly_threats

    specs = hgv_specs(n)
    trajs = TrajectorySet(fly_threats(specs, EarthModel(), dt_s=0.5, max_time_s=3000.0))
    return trajs.states_at(times), trajs.phase_at(times)


def space_section(sats: int, threats: int, duration_s: float, window_s: float,
                  flown: bool) -> dict:
    """Time one space IR layer against ``threats`` threats; returns the measurements."""
    import numpy as np

    from hdsim.earth import sun_position_ecef
    from hdsim.sensors.space_ir import SpaceIrParams, ir_frame_times, simulate_space_ir
    from hdsim.space import Constellation

    params = SpaceIrParams()
    times = ir_frame_times(0.0, duration_s - 1.0 / params.frame_rate_hz, params.frame_rate_hz)
    t0 = time.perf_counter()
    layer = Constellation.from_walker("layer", sats, 15, 1, 1.0e6, 80.0)
    sat_pos = layer.positions_ecef(times, EPOCH)
    sun = sun_position_ecef(times, EPOCH)
    t_orbits = time.perf_counter() - t0
    t0 = time.perf_counter()
    if flown:
        states, phase = flown_threats(threats, times)
    else:
        states = synthetic_tracks(threats, times, 40_000.0, 5_000.0)
        phase = np.full(states.shape[:2], 3, np.int8)  # glide
    t_threats = time.perf_counter() - t0
    area = np.ones(threats)
    rng = np.random.default_rng(0)

    step = max(1, int(round(window_s * params.frame_rate_hz)))
    n_det, n_pairs_flying = 0, int(np.isfinite(states[..., 0]).sum()) * sats
    t0, cpu0 = time.perf_counter(), time.process_time()
    for k in range(0, times.size, step):
        sl = slice(k, k + step)
        det = simulate_space_ir("layer", layer.sat_ids, sat_pos[:, sl], times[sl], states[:, sl],
                                phase[:, sl], area, params, sun[sl], rng)
        n_det += len(det)
        del det
    t_sim, cpu_sim = time.perf_counter() - t0, time.process_time() - cpu0
    return {
        "section": "space", "sats": sats, "threats": threats, "frames": int(times.size),
        "threat_source": "fly_threats (HGV)" if flown else "synthetic 40 km, 5 km/s",
        "window_s": window_s, "pairs": n_pairs_flying, "detections": n_det,
        "orbits_s": t_orbits, "threats_s": t_threats, "simulate_s": t_sim,
        "simulate_cpu_s": cpu_sim,
        "ns_per_pair": 1e9 * t_sim / max(n_pairs_flying, 1),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


def regional_tracks(n: int, times, seed: int = 0):
    """``(n, T, 6)`` ECEF states of great-circle tracks from (35-45° N, 100-110° E) toward
    (30-40° N, 135-140° E) at constant height 30-60 km and speed 2-3 km/s, launched uniformly
    in the first 600 s; NaN before launch and after arrival (Earth rotation ignored)."""
    import numpy as np

    from hdsim.earth import WGS84_A_M, geodetic_to_ecef

    rng = np.random.default_rng(seed)
    lat0, lon0 = np.radians(rng.uniform(35, 45, n)), np.radians(rng.uniform(100, 110, n))
    lat1, lon1 = np.radians(rng.uniform(30, 40, n)), np.radians(rng.uniform(135, 140, n))
    alt = rng.uniform(30e3, 60e3, n)[:, None]
    speed = rng.uniform(2000.0, 3000.0, n)[:, None]
    t_launch = rng.uniform(0.0, 600.0, n)[:, None]
    dlon = lon1 - lon0
    head = np.arctan2(np.sin(dlon) * np.cos(lat1),
                      np.cos(lat0) * np.sin(lat1) - np.sin(lat0) * np.cos(lat1) * np.cos(dlon))
    total = np.arccos(np.clip(np.sin(lat0) * np.sin(lat1)
                              + np.cos(lat0) * np.cos(lat1) * np.cos(dlon), -1, 1))[:, None]
    lat0, lon0, head = lat0[:, None], lon0[:, None], head[:, None]

    def at(t):
        d = speed * (np.asarray(t)[None, :] - t_launch) / (WGS84_A_M + alt)
        lat = np.arcsin(np.sin(lat0) * np.cos(d) + np.cos(lat0) * np.sin(d) * np.cos(head))
        lon = lon0 + np.arctan2(np.sin(head) * np.sin(d) * np.cos(lat0),
                                np.cos(d) - np.sin(lat0) * np.sin(lat))
        out = geodetic_to_ecef(lat, lon, alt)
        out[(d < 0.0) | (d > total)] = np.nan
        return out

    pos = at(times)
    vel = at(times + 0.5) - at(times - 0.5)
    return np.concatenate([pos, vel], axis=-1)


def radar_section(radars: int = 10, threats: int = 1000, duration_s: float = 1800.0,
                  flown: bool = False, **_: object) -> dict:
    """Time ``radars`` radars (1 Hz) against ``threats`` threats for ``duration_s`` seconds."""
    import numpy as np

    from hdsim.sensors.radar import RadarParams, simulate_radar

    times = np.arange(0.0, duration_s + 0.5, 1.0)
    t0 = time.perf_counter()
    states = flown_threats(threats, times)[0] if flown else regional_tracks(threats, times)
    t_threats = time.perf_counter() - t0
    site_rng = np.random.default_rng(1)
    params = [RadarParams.from_degrees(f"radar-{k}", float(site_rng.uniform(30, 42)),
                                       float(site_rng.uniform(125, 142)), 10.0)
              for k in range(radars)]
    rcs = np.full(threats, 0.1)
    rng = np.random.default_rng(0)
    n_det = n_fa = 0
    per_radar = []
    t0, cpu0 = time.perf_counter(), time.process_time()
    for p in params:
        t1 = time.perf_counter()
        det = simulate_radar(p, times, states, rcs, rng)
        per_radar.append(time.perf_counter() - t1)
        n_fa += int((det.truth_idx < 0).sum())
        n_det += len(det)
        del det
    t_sim, cpu_sim = time.perf_counter() - t0, time.process_time() - cpu0
    pairs = int(np.isfinite(states[..., 0]).sum()) * radars
    return {
        "section": "radar", "radars": radars, "threats": threats, "scans": int(times.size),
        "threat_source": "fly_threats (HGV)" if flown else "synthetic regional 30-60 km",
        "pairs_flying": pairs, "detections": n_det, "false_alarms": n_fa,
        "threats_s": t_threats, "simulate_s": t_sim, "simulate_cpu_s": cpu_sim,
        "per_radar_s": [round(x, 3) for x in per_radar],
        "ns_per_pair": 1e9 * t_sim / max(pairs, 1),
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }


SECTIONS = {"space": space_section, "radar": radar_section}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--section", choices=[*SECTIONS, "all"], default="all")
    ap.add_argument("--sats", type=int, default=300)
    ap.add_argument("--threats", type=int, default=1000)
    ap.add_argument("--duration-s", type=float, default=1800.0)
    ap.add_argument("--window-s", type=float, default=60.0)
    ap.add_argument("--flown", action="store_true")
    ap.add_argument("--radars", type=int, default=10)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        if args.section == "space":
            out = space_section(args.sats, args.threats, args.duration_s, args.window_s,
                                args.flown)
        else:
            out = radar_section(args.radars, args.threats, args.duration_s, args.flown)
        print(json.dumps(out))
        return
    names = list(SECTIONS) if args.section == "all" else [args.section]
    for name in names:
        cmd = [sys.executable, __file__, "--child", "--section", name, "--sats", str(args.sats),
               "--threats", str(args.threats), "--duration-s", str(args.duration_s),
               "--window-s", str(args.window_s), "--radars", str(args.radars)] + (
                   ["--flown"] if args.flown else [])
        run = subprocess.run(cmd, capture_output=True, text=True, check=True)
        result = json.loads(run.stdout.strip().splitlines()[-1])
        print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
