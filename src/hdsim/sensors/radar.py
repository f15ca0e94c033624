"""Ground and sea radars: detections of range, azimuth, elevation and range rate.

:func:`simulate_radar` turns threat trajectories into the :class:`~hdsim.sensors.detections.
Detections` rows one radar reports, vectorized over threats × scans:

1. **Scans.** The radar looks at every target once per ``revisit_s``: scan times
   ``t_k = t_0 + k · revisit_s`` inside ``[times[0], times[-1]]``. Threat states are evaluated
   at the scan times (cubic Hermite interpolation of the given samples, or a callable).
2. **Geometry.** The true measurement ``h(x) = [R, az, el, Ṙ]`` in the site's ENU frame on the
   ellipsoid: slant range, azimuth clockwise from north in [0, 2π), *geometric* elevation above
   the site's horizontal plane (the radar is assumed to correct the standard refraction
   bending, as operational radars do), and the range rate ``Ṙ = u · v`` with ``u`` the unit
   line of sight and ``v`` the ECEF velocity (the site is fixed in ECEF, so the ECEF velocity
   is the velocity relative to the radar). Vallado, *Fundamentals of Astrodynamics*, 4th ed.,
   §4.4 (SEZ/ENU range, azimuth, elevation and their rates).
3. **Visibility.** The target must be within ``[min_range_m, max_range_m]``, not blocked by the
   effective Earth of radius ``k R`` (k = 4/3, standard refraction) and at an *apparent*
   (refracted) elevation ≥ ``min_elevation_rad``
   (:func:`~hdsim.sensors.radar_physics.above_radar_horizon`; Skolnik, *Introduction to Radar
   Systems*, 3rd ed., 2001, Sec. 8.2).
4. **Detection.** Per-pulse mean SNR from the reference point, ``SNR ∝ σ / R⁴``
   (:func:`~hdsim.sensors.radar_physics.snr_db_from_reference`; Skolnik eq. 1.10), the mean
   RCS σ a constant per threat or, with an aspect table (:mod:`hdsim.sensors.rcs`), the
   table's value at the look's aspect angle (between the threat's velocity and the line of
   sight from the threat to the radar), probability
   of detection for the Swerling case (:func:`~hdsim.sensors.radar_physics.pd_from_snr`), one
   Bernoulli draw per look. Looks are independent from scan to scan (exact for Swerling 0, 1
   and 3 with scan-to-scan decorrelation, and for 2 and 4).
5. **Noise.** Each coordinate gets independent Gaussian noise with the standard deviation of
   :func:`~hdsim.sensors.radar_physics.measurement_sigma`: the configured (reference-SNR)
   sigma scaled by ``sqrt(SNR_ref / SNR)`` (thermal-noise limit, Skolnik Ch. 6; Barton,
   *Radar System Analysis and Modeling*, 2005), floored at ``sigma_floor_fraction`` times the
   reference sigma. The reported SNR is the mean SNR of the look.
6. **False alarms.** ``Poisson(pfa · n_cells)`` per scan
   (:func:`~hdsim.sensors.radar_physics.false_alarm_count`), spread uniformly over the
   resolution cells of the surveillance volume — range in ``[min_range_m, max_range_m]``,
   elevation in ``[min_elevation_rad, π/2]``, all azimuths, range rate uniform in
   ``±max_abs_range_rate_mps`` (:func:`~hdsim.sensors.radar_physics.sample_false_alarms`) —
   with ``truth_idx = −1`` and the reference sigmas.

Randomness comes from three independent child streams of the caller's ``rng`` (detection,
noise, false alarms), each consumed in (scan, threat) order, so the output does not depend on
how the work is chunked; the same seed gives identical output.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.earth.ellipsoid import WGS84, Ellipsoid
from hdsim.earth.frames import enu_rotation, geodetic_to_ecef
from hdsim.sensors.detections import RADAR, Detections
from hdsim.sensors.radar_physics import (
    STANDARD_REFRACTION_K,
    SurveillanceVolume,
    above_radar_horizon,
    detection_threshold,
    false_alarm_count,
    measurement_sigma,
    pd_from_snr,
    sample_false_alarms,
    snr_db_from_reference,
)
from hdsim.sensors.rcs import AspectRcsTable, aspect_angle_rad

__all__ = [
    "RadarParams",
    "radar_measurement",
    "radar_scan_times",
    "simulate_radar",
]

StatesAt = Callable[[NDArray[np.float64]], NDArray[np.float64]]
"""``states_at(t (K,)) -> (N, K, 6)`` ECEF states, NaN where a threat is not flying."""

_TWO_PI = 2.0 * np.pi
_MIN_RADIUS_OF_CURVATURE_M = 6_335_000.0  # WGS-84 meridian radius at the equator, rounded down
_CHUNK_PAIRS = 1 << 19  # threat-scan pairs per chunk (bounds the temporaries to ~100 MB)


@dataclass(frozen=True)
class RadarParams:
    """One radar, in SI units and radians (mirrors the scenario's ``RadarConfig``).

    Attributes:
        radar_id: the sensor id.
        lat_rad, lon_rad, alt_m: geodetic site of the antenna (rad, rad, m above the ellipsoid).
        min_elevation_rad: lowest apparent elevation searched, rad.
        max_range_m: instrumented range, m.
        revisit_s: time between looks at a target (one scan), s.
        pfa: false-alarm probability per resolution cell, in (0, 1).
        swerling: target fluctuation model 0-4.
        ref_snr_db, ref_range_m, ref_rcs_m2: the radar equation's anchor: per-pulse SNR (dB) at
            ``ref_range_m`` on a target of ``ref_rcs_m2``.
        sigma_range_m, sigma_angle_rad, sigma_range_rate_mps: 1-sigma measurement noise at the
            reference SNR (angle: per axis, azimuth and elevation).
        n_pulses: pulses integrated noncoherently per look.
        min_range_m: blind range (no detections, no false alarms closer), m.
        range_resolution_m: range cell size, m (150 m ≈ a 1 MHz bandwidth).
        beam_cells: beam positions whose cells are thresholded each scan (the search raster).
        doppler_cells: Doppler cells per range-beam cell.
        max_abs_range_rate_mps: false-alarm range rates are uniform in ± this, m/s.
        sigma_floor_fraction: noise floor as a fraction of the reference sigmas (bias-like
            errors that do not average down at high SNR); 0 = pure thermal noise.
        refraction_k: effective-Earth-radius factor (4/3 standard atmosphere; 1 = no refraction).

    The false-alarm model thresholds ``n_cells = ceil((max_range − min_range) / range_resolution)
    · beam_cells · doppler_cells`` cells per scan; with the defaults and ``pfa = 1e-6`` that is
    about 1.3 false alarms per scan at 2,000 km.
    """

    radar_id: str
    lat_rad: float
    lon_rad: float
    alt_m: float = 0.0
    min_elevation_rad: float = math.radians(0.5)
    max_range_m: float = 2.0e6
    revisit_s: float = 1.0
    pfa: float = 1.0e-6
    swerling: int = 1
    ref_snr_db: float = 20.0
    ref_range_m: float = 1.0e6
    ref_rcs_m2: float = 0.1
    sigma_range_m: float = 20.0
    sigma_angle_rad: float = 1.0e-3
    sigma_range_rate_mps: float = 5.0
    n_pulses: int = 1
    min_range_m: float = 0.0
    range_resolution_m: float = 150.0
    beam_cells: int = 100
    doppler_cells: int = 1
    max_abs_range_rate_mps: float = 8000.0
    sigma_floor_fraction: float = 0.0
    refraction_k: float = STANDARD_REFRACTION_K

    def __post_init__(self) -> None:
        def need(ok: bool, name: str, allowed: str) -> None:
            if not ok:
                raise ValueError(f"RadarParams.{name} = {getattr(self, name)!r}: {allowed}")

        need(-np.pi / 2 <= self.lat_rad <= np.pi / 2, "lat_rad", "must be in [-pi/2, pi/2]")
        need(np.isfinite(self.lon_rad), "lon_rad", "must be finite")
        need(np.isfinite(self.alt_m), "alt_m", "must be finite")
        need(-np.pi / 2 <= self.min_elevation_rad < np.pi / 2, "min_elevation_rad",
             "must be in [-pi/2, pi/2)")
        need(0.0 <= self.min_range_m, "min_range_m", "must be >= 0")
        need(self.max_range_m > self.min_range_m, "max_range_m", "must be > min_range_m")
        need(self.revisit_s > 0.0, "revisit_s", "must be > 0")
        need(0.0 < self.pfa < 1.0, "pfa", "must be in (0, 1)")
        need(self.swerling in (0, 1, 2, 3, 4), "swerling", "must be one of 0, 1, 2, 3, 4")
        need(self.ref_range_m > 0.0, "ref_range_m", "must be > 0")
        need(self.ref_rcs_m2 > 0.0, "ref_rcs_m2", "must be > 0")
        need(np.isfinite(self.ref_snr_db), "ref_snr_db", "must be finite")
        for name in ("sigma_range_m", "sigma_angle_rad", "sigma_range_rate_mps",
                     "range_resolution_m", "refraction_k"):
            need(getattr(self, name) > 0.0, name, "must be > 0")
        for name in ("n_pulses", "beam_cells", "doppler_cells"):
            v = getattr(self, name)
            need(int(v) == v and v >= 1, name, "must be an integer >= 1")
        need(self.max_abs_range_rate_mps >= 0.0, "max_abs_range_rate_mps", "must be >= 0")
        need(self.sigma_floor_fraction >= 0.0, "sigma_floor_fraction", "must be >= 0")

    @classmethod
    def from_degrees(
        cls,
        radar_id: str,
        lat_deg: float,
        lon_deg: float,
        alt_m: float = 0.0,
        min_elevation_deg: float = 0.5,
        **kwargs: float,
    ) -> RadarParams:
        """Build from the site and minimum elevation in degrees (other fields as keywords)."""
        return cls(radar_id, math.radians(lat_deg), math.radians(lon_deg), alt_m,
                   math.radians(min_elevation_deg), **kwargs)

    def site_ecef(self, ellipsoid: Ellipsoid = WGS84) -> NDArray[np.float64]:
        """ECEF position of the antenna, ``(3,)``, m."""
        return geodetic_to_ecef(self.lat_rad, self.lon_rad, self.alt_m, ellipsoid)

    @property
    def sigma_ref(self) -> NDArray[np.float64]:
        """``[σ_R, σ_az, σ_el, σ_Ṙ]`` at the reference SNR (m, rad, rad, m/s)."""
        return np.array([self.sigma_range_m, self.sigma_angle_rad, self.sigma_angle_rad,
                         self.sigma_range_rate_mps])

    @property
    def surveillance_volume(self) -> SurveillanceVolume:
        """The searched volume: ranges, elevations ≥ min elevation, all azimuths, range rates."""
        return SurveillanceVolume(
            min_range_m=self.min_range_m, max_range_m=self.max_range_m,
            min_el_rad=self.min_elevation_rad, max_el_rad=np.pi / 2,
            max_abs_range_rate_mps=self.max_abs_range_rate_mps,
        )

    @property
    def n_cells(self) -> int:
        """Resolution cells thresholded per scan (see the class docstring)."""
        n_r = math.ceil((self.max_range_m - self.min_range_m) / self.range_resolution_m)
        return n_r * int(self.beam_cells) * int(self.doppler_cells)

    @property
    def false_alarms_per_scan(self) -> float:
        """Mean number of false alarms per scan, ``pfa · n_cells``."""
        return self.pfa * self.n_cells


def radar_scan_times(t_start_s: float, t_end_s: float, revisit_s: float) -> NDArray[np.float64]:
    """Scan times ``t_start + k · revisit_s`` (k = 0, 1, ...) that are ``<= t_end`` (s)."""
    if not t_end_s >= t_start_s:
        return np.empty(0)
    n = int(math.floor((t_end_s - t_start_s) / revisit_s * (1.0 + 1e-12) + 1e-9)) + 1
    return t_start_s + revisit_s * np.arange(n, dtype=np.float64)


def radar_measurement(
    params: RadarParams, states_ecef: ArrayLike, ellipsoid: Ellipsoid = WGS84
) -> NDArray[np.float64]:
    """Noise-free radar measurement ``h(x) = [R, az, el, Ṙ]`` of ECEF states ``(..., 6)``.

    Slant range (m), azimuth clockwise from north in [0, 2π) (rad), geometric elevation (rad) in
    the site's ENU frame on ``ellipsoid``, and range rate ``(r − s)·v / |r − s|`` (m/s) with the
    site ``s`` fixed in ECEF (Vallado 4th ed., §4.4). Returns ``(..., 4)``; NaN states give NaN.
    """
    x = np.asarray(states_ecef, dtype=np.float64)
    rot = enu_rotation(params.lat_rad, params.lon_rad)
    d = x[..., :3] - params.site_ecef(ellipsoid)
    enu = d @ rot.T
    az, el, rng_m = _aer(enu)
    with np.errstate(invalid="ignore", divide="ignore"):
        rr = np.sum(d * x[..., 3:6], axis=-1) / rng_m
    return np.stack([rng_m, az, el, rr], axis=-1)


def _aer(enu: NDArray[np.float64]) -> tuple[NDArray, NDArray, NDArray]:
    e, n, u = enu[..., 0], enu[..., 1], enu[..., 2]
    horiz = np.hypot(e, n)
    az = np.mod(np.arctan2(e, n), _TWO_PI)
    az = np.where(az >= _TWO_PI, 0.0, az)
    return az, np.arctan2(u, horiz), np.hypot(horiz, u)


def _interpolator(times: NDArray[np.float64], states: NDArray[np.float64]) -> StatesAt:
    """``states_at`` over samples ``states (N, T, 6)`` at ``times (T,)``.

    Position: cubic Hermite of (position, velocity); velocity: linear (de Boor, *A Practical
    Guide to Splines*, ch. IV). Exact at the sample times (a NaN neighbour does not leak into a
    sample), NaN outside ``[times[0], times[-1]]``.
    """
    if times.ndim != 1 or states.ndim != 3 or states.shape[1:] != (times.size, 6):
        raise ValueError(
            f"threat_states shape {states.shape}: need (n_threats, {times.size}, 6) for "
            f"times of shape {times.shape}"
        )

    def states_at(t: NDArray[np.float64]) -> NDArray[np.float64]:
        t = np.asarray(t, dtype=np.float64)
        if times.size == 1:
            out = np.repeat(states[:, :1], t.size, axis=1)
            out[:, t != times[0]] = np.nan
            return out
        j = np.searchsorted(times, t)
        if np.all((j < times.size) & (times[np.minimum(j, times.size - 1)] == t)):
            return states[:, j]  # scans on sample times (the common case): no interpolation
        i = np.clip(np.searchsorted(times, t, side="right") - 1, 0, times.size - 2)
        t0, t1 = times[i], times[i + 1]
        h = t1 - t0
        s = (t - t0) / h
        x0, x1 = states[:, i], states[:, i + 1]
        s_ = s[:, None]
        s2, s3 = s_ * s_, s_ * s_ * s_
        hh = h[:, None]
        pos = ((2 * s3 - 3 * s2 + 1) * x0[..., :3] + (s3 - 2 * s2 + s_) * hh * x0[..., 3:]
               + (-2 * s3 + 3 * s2) * x1[..., :3] + (s3 - s2) * hh * x1[..., 3:])
        vel = (1.0 - s_) * x0[..., 3:] + s_ * x1[..., 3:]
        out = np.concatenate([pos, vel], axis=-1)
        out = np.where((s == 0.0)[:, None], x0, out)
        out = np.where((s == 1.0)[:, None], x1, out)
        out[:, (t < times[0]) | (t > times[-1])] = np.nan
        return out

    return states_at


def _split_streams(rng: np.random.Generator) -> list[np.random.Generator]:
    try:
        return rng.spawn(3)
    except (TypeError, ValueError, AttributeError):  # bit generator without a SeedSequence
        return [np.random.default_rng(s) for s in rng.integers(0, 2**63, size=3)]


def simulate_radar(
    params: RadarParams,
    times: ArrayLike,
    threat_states: ArrayLike | StatesAt,
    rcs_m2: ArrayLike,
    rng: np.random.Generator,
    ellipsoid: Ellipsoid = WGS84,
    *,
    rcs_tables: Sequence[AspectRcsTable | None] | None = None,
) -> Detections:
    """Detections (threats and false alarms) of one radar over ``[times[0], times[-1]]``.

    Args:
        params: the radar.
        times: ``(T,)`` s since the epoch, increasing. Scans run every ``params.revisit_s``
            from ``times[0]`` to ``times[-1]``.
        threat_states: either the ECEF states ``(N, T, 6)`` (m, m/s) sampled at ``times`` (NaN
            where a threat is not flying), interpolated to the scan times (position cubic
            Hermite, velocity linear; exact at sample times), or a callable
            ``states_at(t (K,)) -> (N, K, 6)`` such as ``TrajectorySet.states_at``, called once
            per chunk of scans.
        rcs_m2: radar cross-section per threat ``(N,)`` (or a scalar), m².
        rng: random generator (three child streams are spawned from it).
        ellipsoid: Earth shape for the site position and the ENU frame. The horizon test
            (:func:`~hdsim.sensors.radar_physics.above_radar_horizon`) uses WGS-84 heights.
        rcs_tables: per threat, an aspect table (:class:`~hdsim.sensors.rcs.AspectRcsTable`)
            whose mean RCS at each look's aspect replaces ``rcs_m2``, or None (that threat
            keeps its constant ``rcs_m2``); None: every threat constant.

    Returns:
        :class:`Detections` for this one sensor (``sensor_ids = layer_ids = [radar_id]``),
        sorted by time; per scan the threat rows (by threat index) come before false alarms.
        ``z = [range_m, az_rad, el_rad, range_rate_mps]``, ``sigma`` the four standard
        deviations, ``snr_db`` the mean per-pulse SNR of the look (for a false alarm the
        apparent SNR ``(X − N)/N`` of the threshold-crossing noise sum ``X``, drawn as
        ``X = T + Exp(1)``: exact for one pulse, an approximation of the tail for N > 1).
    """
    p = params
    times = np.atleast_1d(np.asarray(times, dtype=np.float64))
    if times.size == 0:
        return Detections.empty([p.radar_id], [p.radar_id])
    scans = radar_scan_times(float(times[0]), float(times[-1]), p.revisit_s)
    if callable(threat_states):
        states_at: StatesAt = threat_states
        n_threats = int(np.shape(states_at(scans[:1]))[0])
    else:
        arr = np.asarray(threat_states, dtype=np.float64)
        states_at = _interpolator(times, arr)
        n_threats = arr.shape[0]
    rcs = np.atleast_1d(np.asarray(rcs_m2, dtype=np.float64))
    if rcs.size == 1:
        rcs = np.full(n_threats, rcs[0])
    if rcs.shape != (n_threats,):
        raise ValueError(f"rcs_m2 shape {rcs.shape}: need ({n_threats},) or a scalar")
    tables = [None] * n_threats if rcs_tables is None else list(rcs_tables)
    if len(tables) != n_threats:
        raise ValueError(f"rcs_tables: {len(tables)} entries for {n_threats} threats")
    table_idx = np.full(n_threats, -1, np.intp)
    distinct: list[AspectRcsTable] = []
    for i, tab in enumerate(tables):
        if tab is not None:
            if tab not in distinct:
                distinct.append(tab)
            table_idx[i] = distinct.index(tab)
    det_rng, noise_rng, fa_rng = _split_streams(rng)

    site = p.site_ecef(ellipsoid)
    rot = enu_rotation(p.lat_rad, p.lon_rad)
    sig_ref = p.sigma_ref
    floor = p.sigma_floor_fraction * sig_ref
    # Refraction raises the apparent elevation by at most ~ (1 − 1/k) g / (2 R) at ground range
    # g (effective-Earth geometry); candidates lower than min_el minus twice that bound (plus
    # 1 mrad) cannot be visible, so the exact horizon test runs only on the rest.
    el_margin = (2.0 * abs(1.0 - 1.0 / p.refraction_k) * p.max_range_m
                 / (2.0 * _MIN_RADIUS_OF_CURVATURE_M) + 1e-3)
    sin_el_cut = math.sin(max(p.min_elevation_rad - el_margin, -np.pi / 2))
    up = rot[2]

    parts: dict[str, list[NDArray]] = {k: [] for k in ("t", "truth", "z", "sigma", "snr")}
    k_chunk = max(1, _CHUNK_PAIRS // max(1, n_threats))
    for k0 in range(0, scans.size, k_chunk):
        ts = scans[k0:k0 + k_chunk]
        st = np.asarray(states_at(ts), dtype=np.float64)
        if st.shape != (n_threats, ts.size, 6):
            raise ValueError(
                f"threat states of shape {st.shape}: need ({n_threats}, {ts.size}, 6)")
        # (K, N, ·): scan-major so that rows and random draws come in (scan, threat) order.
        st = np.swapaxes(st, 0, 1)
        d = st[..., :3] - site
        rng_m = np.sqrt(np.einsum("knj,knj->kn", d, d))
        with np.errstate(invalid="ignore"):
            # el >= min_el - margin  <=>  up · d >= R sin(min_el - margin)
            cand = (rng_m <= p.max_range_m) & (rng_m >= p.min_range_m) & (
                d @ up >= rng_m * sin_el_cut)
        kk, nn = np.nonzero(cand)
        if kk.size:
            vis, _ = above_radar_horizon(site, st[kk, nn, :3], p.min_elevation_rad,
                                         k=p.refraction_k, ellipsoid=ellipsoid)
            kk, nn = kk[vis], nn[vis]
        if kk.size == 0:
            continue
        r = rng_m[kk, nn]
        sigma = rcs[nn]
        if distinct:
            aspect = aspect_angle_rad(st[kk, nn, 3:6], -d[kk, nn])
            tab_of = table_idx[nn]
            sigma = sigma.copy()
            for j, tab in enumerate(distinct):
                sel = tab_of == j
                sigma[sel] = tab.rcs_m2_at(aspect[sel])
        snr = snr_db_from_reference(r, sigma, p.ref_snr_db, p.ref_range_m, p.ref_rcs_m2)
        pd = pd_from_snr(snr, p.pfa, p.swerling, p.n_pulses)
        hit = det_rng.random(kk.size) < pd
        kk, nn, r, snr = kk[hit], nn[hit], r[hit], snr[hit]
        if kk.size == 0:
            continue
        dv = d[kk, nn]
        az, el, _ = _aer(dv @ rot.T)
        rr = np.sum(dv * st[kk, nn, 3:6], axis=-1) / r
        z = np.stack([r, az, el, rr], axis=-1)
        sig = measurement_sigma(sig_ref, snr[:, None], p.ref_snr_db, floor)
        z = z + sig * noise_rng.standard_normal(z.shape)
        z[:, 1] = np.mod(z[:, 1], _TWO_PI)
        z[:, 1] = np.where(z[:, 1] >= _TWO_PI, 0.0, z[:, 1])
        parts["t"].append(ts[kk])
        parts["truth"].append(nn.astype(np.int32))
        parts["z"].append(z)
        parts["sigma"].append(sig)
        parts["snr"].append(snr)

    # False alarms: Poisson count per scan, uniform over the volume's cells.
    counts = false_alarm_count(fa_rng, p.pfa, np.full(scans.size, float(p.n_cells)))
    n_fa = int(counts.sum())
    fa = sample_false_alarms(fa_rng, n_fa, p.surveillance_volume)
    thr = float(detection_threshold(p.pfa, p.n_pulses))
    x = thr + fa_rng.exponential(1.0, n_fa)
    with np.errstate(divide="ignore"):
        fa_snr = 10.0 * np.log10(np.maximum(x - p.n_pulses, 1e-30) / p.n_pulses)
    parts["t"].append(np.repeat(scans, counts))
    parts["truth"].append(np.full(n_fa, -1, np.int32))
    parts["z"].append(np.stack([fa.range_m, fa.az_rad, fa.el_rad, fa.range_rate_mps], axis=-1))
    parts["sigma"].append(np.broadcast_to(sig_ref, (n_fa, 4)))
    parts["snr"].append(fa_snr)

    t_all = np.concatenate(parts["t"])
    k = t_all.size
    out = Detections(
        t_s=t_all,
        sensor_idx=np.zeros(k, np.int32),
        sensor_type=np.full(k, RADAR, np.int8),
        truth_idx=np.concatenate(parts["truth"]),
        z=np.concatenate(parts["z"]),
        sigma=np.ascontiguousarray(np.concatenate(parts["sigma"])),
        sensor_pos_ecef=np.repeat(site[None, :], k, axis=0),
        snr_db=np.concatenate(parts["snr"]),
        sensor_ids=[p.radar_id],
        layer_ids=[p.radar_id],
    )
    return out.sorted()
