"""Space-based infrared sensor: detections of every threat by every satellite of a layer.

One call, :func:`simulate_space_ir`, turns satellite and threat positions at the frame times
into a :class:`~hdsim.sensors.detections.Detections` table. Per satellite, threat and frame:

1. **Geometry** — :func:`hdsim.sensors.visibility.space_visibility` (field of regard about
   geocentric nadir, maximum slant range, Earth limb with the grazing altitude).
2. **Sun exclusion** — no report when the angle at the satellite between the line of sight and
   the direction to the Sun is below ``sun_exclusion_rad``, unless the Earth hides the Sun from
   that satellite (then there is no glare to exclude).
3. **Background** — *look-down* when the line of sight, continued beyond the target, hits the
   Earth (the ellipsoid inflated by the grazing altitude, the same clouds/haze/airglow layer the
   limb test uses): the target is seen against the warm, cluttered Earth and the sensor's noise
   is ``nei_look_down_w_m2``. Otherwise the target is seen *above the horizon*, against cold
   space, with ``nei_above_horizon_w_m2``.
4. **Signature** — for a threat with a geometry (``threat_geometry``; every threat of a
   scenario has one) the body's temperature field seen from the satellite
   (:mod:`hdsim.sensors.signature`): stagnation and along-body heating, radiative-equilibrium
   wall temperature per station, gray-body band radiance of each facet, summed over the facets
   that face the satellite, each by its projected area; the attitude from the velocity and the
   bank angle (``threat_bank_rad``; 0 when not given). This once per threat and frame (the
   facet intensities), then one small product per pair (the aspect). Without a geometry, the
   older isotropic model :func:`ir_signature_w_sr`: ``ε L_band(T_w) A`` with one wall
   temperature (:func:`~hdsim.sensors.infrared_physics.surface_temperature_k`, Sutton-Graves
   at ``heating_radius_m``) over the area ``A``. Either way, in the ``boost`` phase, plus the
   booster plume :func:`~hdsim.sensors.infrared_physics.plume_radiant_intensity_w_sr`.
   The ambient temperature in the wall balance is capped at ``max_ambient_temp_k`` (300 K):
   above 86 km the 1976 atmosphere's *kinetic* temperature climbs to 1000 K, but that
   near-vacuum cannot heat a body; without the cap an exo-atmospheric warhead would glow at
   ~900 K. Below 86 km the air is never warmer than 288 K, so the cap changes nothing there.
5. **Detection** — ``E = I / R²`` (no atmospheric transmission: the grazing altitude keeps the
   line of sight above the absorbing layers), ``SNR = E / NEI``, ``Pd = Q(T − SNR)`` with
   ``T = Q⁻¹(pfa)`` (:mod:`hdsim.sensors.infrared_physics`), and one Bernoulli draw per frame.
6. **Measurement** — the true tangent-plane angles ``(u, v)`` of the line of sight in the
   satellite's nadir frame (:func:`ir_tangent_angles`, the definition in
   :mod:`hdsim.sensors.detections`) plus independent Gaussian noise of standard deviation
   ``angle_noise_rad`` on each.

**No false alarms** are generated for now: ``pfa`` only sets the detection threshold. (A
staring focal plane with ~1e6 pixels at pfa = 1e-6 would report about one clutter point per
frame per satellite; modelling them needs a pixel/clutter model and is left for later.)

Cost and memory
---------------
Satellite × threat × frame pairs are screened in time chunks of at most ``max_pairs`` pairs
(work buffers of 5 bytes per pair, reused) by one float32 product per frame. In coordinates
with z scaled by ``k = (a+g)/(b+g)`` the ellipsoid inflated by the grazing altitude g is a
sphere (as in :mod:`hdsim.earth.los`), and a straight line of sight clears a sphere of radius
R only if the central angle γ between its ends satisfies ``γ ≤ α_s + α_t``, ``α = acos(R/r)``
the horizon angle of each end. ``cos γ ≥ cos(α_s + α_t)`` is the sign of the dot product of
the augmented unit vectors ``[r̂_s, −cos α_s, sin α_s]·[r̂_t, cos α_t, sin α_t]``, so the
screen is an ``(S, 5) @ (5, N)`` product per frame (a sphere inside the blocking surface for
the satellites' end, each target's own for its end: conservative; targets below the grazing
altitude have a lower surface, see :mod:`hdsim.sensors.visibility`). Where the maximum range or
the field of regard limit the central angle more than the horizon does, a second product
``r̂_s · r̂_t ≥ cos(limit)`` tightens the screen. Only the pairs that pass (8.7 % for a
1,000 km layer against 40 km targets, of which 5.3 % are visible) go through the exact
visibility test and the radiometry, in float64; the signature is computed once per threat and
frame, not per pair. The screen is checked against brute-force visibility in the tests.

Measured (``benchmarks/bench_sensors.py``, 2-core development machine shared with other jobs,
NumPy 2, one thread): 300 satellites × 1,000 threats × 1,800 frames (5.4e8 pairs, 2.8e7
detections) take 18.5 s of CPU (22 s wall) and 0.43 GiB peak when fed in 60 s windows. About
a quarter is :func:`~hdsim.sensors.visibility.space_visibility` on the candidates, 15 % the
signature, 10 % the angles (isotropic signature, no geometry). With a geometry for every threat
(HTV-2, the signature by aspect), the same layer and threats over 600 frames took 8.2 s of CPU
against 4.5 s isotropic: the temperature field costs ~5 µs per threat and frame, the aspect one
small product per visible pair. The screen uses ``einsum``, not ``matmul``: with an inner
dimension of 5 BLAS gains nothing, and OpenBLAS's threads ran 100× slower than one core when
the cores were shared. The table itself is 113 bytes per detection (float64, padded ``z`` and
``sigma``): one call over the whole 30 minutes holds 3.1 GB of detections (6.3 GiB peak with
the chunk parts and allocator fragmentation), so long runs should call this function window by
window (the rows are in time order, so windows concatenate into the same table).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
from numpy.typing import ArrayLike, NDArray

from hdsim.earth.atmosphere import atmosphere
from hdsim.earth.ellipsoid import WGS84, Ellipsoid
from hdsim.earth.frames import ecef_to_geodetic
from hdsim.earth.los import line_of_sight_clear
from hdsim.sensors.detections import SPACE_IR, Detections, nadir_frame
from hdsim.sensors.infrared_physics import (
    DEFAULT_HEATING_RADIUS_M,
    MWIR_BAND_M,
    band_radiance_w_m2_sr,
    ir_threshold_snr,
    pd_ir,
    plume_radiant_intensity_w_sr,
    surface_temperature_k,
)
from hdsim.sensors.signature import (
    BodyGeometry,
    body_frame_ecef,
    body_heat_field,
    body_model,
    facet_intensities_w_sr,
    radiant_intensity_w_sr,
)
from hdsim.sensors.visibility import space_visibility

__all__ = [
    "SpaceIrParams",
    "ir_frame_times",
    "ir_signature_w_sr",
    "ir_tangent_angles",
    "simulate_space_ir",
]

_BOOST = 0  # index of "boost" in hdsim.threats.PHASES (sensors sit below threats: no import)
_DEORBIT = 8  # index of "deorbit" (a fractional-orbital threat's retro burn) in PHASES
_SCREEN_SLACK = 1e-5  # float32 slack on the screening dot product (≈ 2e-5 rad of central angle)


@dataclass(frozen=True)
class SpaceIrParams:
    """One space IR sensor type (every satellite of a layer carries the same). Notional defaults
    as in the scenario's ``InfraredConfig`` (docs/scenario.md), radians and SI units.

    Attributes:
        frame_rate_hz: frames per second (see :func:`ir_frame_times`).
        angle_noise_rad: 1-σ noise of each tangent-plane angle, rad.
        field_of_regard_rad: FULL cone angle about geocentric nadir, rad, in (0, π].
        max_range_m: maximum slant range, m.
        grazing_alt_m: the line of sight must clear the Earth by this height, m (≥ 0).
        sun_exclusion_rad: no detection within this angle of the Sun, rad (0: none).
        nei_look_down_w_m2: noise-equivalent irradiance against the Earth, W/m².
        nei_above_horizon_w_m2: noise-equivalent irradiance against space, W/m².
        pfa: false-alarm probability per resolution cell per frame (sets the threshold).
        band_m: spectral band ``(min, max)``, m.
        emissivity: gray-body emissivity of the threats' surface (isotropic model only: a
            threat's geometry carries its own).
        heating_radius_m: effective heating radius of the isotropic body signature, m.
        boost_thrust_n: booster thrust used for the plume when no per-threat thrust is given, N.
        deorbit_thrust_n: thrust of a fractional-orbital threat's deorbit motor, for its plume
            in the ``deorbit`` phase, N (notional 2e4: a 1-2 t body at 10 m/s²).
        max_ambient_temp_k: cap on the ambient temperature of the wall balance, K (module doc).
    """

    frame_rate_hz: float = 1.0
    angle_noise_rad: float = 5.0e-5
    field_of_regard_rad: float = math.radians(120.0)
    max_range_m: float = 5.0e6
    grazing_alt_m: float = 20_000.0
    sun_exclusion_rad: float = math.radians(10.0)
    nei_look_down_w_m2: float = 5.0e-12
    nei_above_horizon_w_m2: float = 1.0e-12
    pfa: float = 1.0e-6
    band_m: tuple[float, float] = MWIR_BAND_M
    emissivity: float = 0.85
    heating_radius_m: float = DEFAULT_HEATING_RADIUS_M
    boost_thrust_n: float = 5.0e5
    deorbit_thrust_n: float = 2.0e4
    max_ambient_temp_k: float = 300.0

    def __post_init__(self) -> None:
        positive = ("frame_rate_hz", "angle_noise_rad", "max_range_m", "nei_look_down_w_m2",
                    "nei_above_horizon_w_m2", "heating_radius_m", "max_ambient_temp_k")
        for name in positive:
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0.0):
                raise ValueError(f"{name} = {value!r}: must be a finite number > 0")
        checks = (
            ("field_of_regard_rad", 0.0 < self.field_of_regard_rad <= math.pi, "in (0, π]"),
            ("grazing_alt_m", 0.0 <= self.grazing_alt_m < 1.0e6, "in [0, 1e6) m"),
            ("sun_exclusion_rad", 0.0 <= self.sun_exclusion_rad < math.pi, "in [0, π)"),
            ("pfa", 0.0 < self.pfa < 1.0, "in (0, 1)"),
            ("emissivity", 0.0 < self.emissivity <= 1.0, "in (0, 1]"),
            ("boost_thrust_n", self.boost_thrust_n >= 0.0, ">= 0"),
            ("deorbit_thrust_n", self.deorbit_thrust_n >= 0.0, ">= 0"),
            ("band_m", len(self.band_m) == 2 and 0.0 < self.band_m[0] < self.band_m[1],
             "(min, max) with 0 < min < max, m"),
        )
        for name, ok, allowed in checks:
            if not ok:
                raise ValueError(f"{name} = {getattr(self, name)!r}: must be {allowed}")


def ir_frame_times(start_s: float, end_s: float, frame_rate_hz: float) -> NDArray[np.float64]:
    """Frame times ``start_s, start_s + 1/rate, …`` up to ``end_s`` inclusive, s since epoch."""
    n = int(math.floor((end_s - start_s) * frame_rate_hz + 1e-9)) + 1
    return start_s + np.arange(max(n, 0)) / frame_rate_hz


def _angles_from_frames(frames: NDArray[np.float64], los: NDArray[np.float64]) -> NDArray:
    """``(u, v) = (atan2(e1·d, b·d), atan2(e2·d, b·d))`` from nadir frames ``(..., 3, 3)``."""
    x = np.einsum("...ij,...j->...i", frames, los)
    return np.stack([np.arctan2(x[..., 0], x[..., 2]), np.arctan2(x[..., 1], x[..., 2])], axis=-1)


def ir_tangent_angles(sat_pos_ecef: ArrayLike, target_pos_ecef: ArrayLike) -> NDArray[np.float64]:
    """Tangent-plane angles ``(u, v)`` of targets seen from satellites, rad, ``(..., 2)``.

    The IR measurement of :mod:`hdsim.sensors.detections`: with ``d = target − satellite`` and
    the rows ``(e1, e2, b)`` of :func:`~hdsim.sensors.detections.nadir_frame` (east, north at
    the sub-satellite point, toward the Earth's centre), ``u = atan2(e1·d, b·d)`` and
    ``v = atan2(e2·d, b·d)``. Positions ``(..., 3)`` ECEF, m; they broadcast.
    """
    sat = np.asarray(sat_pos_ecef, dtype=np.float64)
    tgt = np.asarray(target_pos_ecef, dtype=np.float64)
    sat, tgt = np.broadcast_arrays(sat, tgt)
    with np.errstate(invalid="ignore", divide="ignore"):  # nadir_frame's unused polar branch
        frames = nadir_frame(sat)
    return _angles_from_frames(frames, tgt - sat)


def ir_signature_w_sr(
    speed_mps: ArrayLike,
    alt_m: ArrayLike,
    phase: ArrayLike,
    area_m2: ArrayLike,
    params: SpaceIrParams = SpaceIrParams(),
    thrust_n: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """In-band radiant intensity of threats, W/sr (module docstring, step 4); broadcasts.

    ``I = ε L_band(T_w) A`` (+ ``c × thrust`` in the boost phase, code 0), ``T_w`` the wall
    temperature of :func:`~hdsim.sensors.infrared_physics.surface_temperature_k` with the 1976
    atmosphere at ``alt_m`` and its ambient temperature capped at ``params.max_ambient_temp_k``.

    Args:
        speed_mps: speed relative to the air (ECEF speed), m/s.
        alt_m: height above the ellipsoid, m.
        phase: phase codes (``hdsim.threats.PHASES``; 0 = boost).
        area_m2: projected area seen by the sensor, m².
        params: sensor parameters (band, emissivity, heating radius, default thrust).
        thrust_n: booster thrust, N; ``params.boost_thrust_n`` when None.
    """
    atm = atmosphere(alt_m)
    t_amb = np.minimum(atm.temperature_k, params.max_ambient_temp_k)
    t_wall = surface_temperature_k(speed_mps, t_amb, atm.density_kgpm3, params.emissivity,
                                   params.heating_radius_m)
    body = (params.emissivity * band_radiance_w_m2_sr(t_wall, *params.band_m)
            * np.asarray(area_m2, dtype=np.float64))
    thrust = params.boost_thrust_n if thrust_n is None else thrust_n
    ph = np.asarray(phase)
    plume = np.where(ph == _BOOST, plume_radiant_intensity_w_sr(thrust),
                     np.where(ph == _DEORBIT,
                              plume_radiant_intensity_w_sr(params.deorbit_thrust_n), 0.0))
    return body + plume


def _facet_signatures(
    geoms: list[BodyGeometry | None], states: NDArray, flying: NDArray, alt: NDArray,
    bank: NDArray, params: SpaceIrParams,
) -> list[tuple]:
    """Per distinct geometry: ``(model, which (N,) bool, J (C·N, F), J_nose (C·N,),
    body axes (C·N, 3, 3))`` for the chunk's threat-frames (``states (C, N, 6)``; zeros where
    a threat does not fly or has another geometry)."""
    out = []
    distinct: list[BodyGeometry] = []
    for g in geoms:
        if g is not None and g not in distinct:
            distinct.append(g)
    flat_states = states.reshape(-1, 6)
    for g in distinct:
        which = np.array([h is not None and h == g for h in geoms])
        m = (flying & which[None, :]).ravel()
        model = body_model(g)
        j = np.zeros((m.size, model.facet_normals.shape[0]))
        nose = np.zeros(m.size)
        axes = np.zeros((m.size, 3, 3))
        if m.any():
            x = flat_states[m]
            heat = body_heat_field(model, np.linalg.norm(x[:, 3:], axis=-1), alt.ravel()[m],
                                   params.max_ambient_temp_k)
            j[m], nose[m] = facet_intensities_w_sr(model, heat, params.band_m)
            axes[m] = body_frame_ecef(x[:, :3], x[:, 3:], bank.ravel()[m])
        out.append((model, which, j, nose, axes))
    return out


def _central_angle_limit(
    r_sat: NDArray, r_low: float, r_tgt_lo: float, r_tgt_hi: float, params: SpaceIrParams
) -> NDArray:
    """Per satellite, the largest central angle (rad) at which a target with radius in
    ``[r_tgt_lo, r_tgt_hi]`` can be within range and inside the field of regard (π: no limit).
    Conservative; ``r_low`` is the radius of a sphere inside the blocking surface."""
    with np.errstate(invalid="ignore", divide="ignore"):
        # Range: r_s² + r_t² − 2 r_s r_t cos γ ≤ Rmax² for some r_t in [lo, hi]  ⇒  cos γ ≥ min f
        # (f convex in r_t, smallest at sqrt(r_s² − Rmax²)).
        rmax = params.max_range_m
        r_star = np.sqrt(np.maximum(r_sat * r_sat - rmax * rmax, 0.0))
        r_t = np.clip(r_star, r_tgt_lo, r_tgt_hi)
        f_min = (r_sat * r_sat + r_t * r_t - rmax * rmax) / (2.0 * r_sat * r_t)
        beta = np.arccos(np.clip(f_min, -1.0, 1.0))
        # Field of regard: when every ray of the cone hits the Earth and the targets are below
        # the satellite, a visible target lies before that hit, at most at the central angle
        # where the cone's edge crosses the lowest target radius.
        half = 0.5 * params.field_of_regard_rad
        s = r_sat * math.sin(half)
        cone_ok = (half < 0.5 * math.pi) & (s <= r_low) & (r_tgt_hi < r_sat)
        gamma = np.where(cone_ok, np.arcsin(np.clip(s / r_tgt_lo, -1.0, 1.0)) - half, np.pi)
    return np.minimum(beta, gamma)


def _look_down(sat: NDArray, los: NDArray, h_m: float, ellipsoid: Ellipsoid) -> NDArray:
    """Whether the ray from ``sat`` along ``los`` (continued past the target) meets the ellipsoid
    inflated by ``h_m`` (z scaled by ``(a+h)/(b+h)`` to a sphere of radius ``a+h``)."""
    radius = ellipsoid.a_m + h_m
    zs = radius / (ellipsoid.b_m + h_m)
    qx, qy, qz = sat[:, 0], sat[:, 1], sat[:, 2] * zs
    dx, dy, dz = los[:, 0], los[:, 1], los[:, 2] * zs
    qd = qx * dx + qy * dy + qz * dz
    dd = dx * dx + dy * dy + dz * dz
    closest2 = qx * qx + qy * qy + qz * qz - qd * qd / dd
    return (qd < 0.0) & (closest2 < radius * radius)


def _check_shapes(sat_ids, sat_pos, times, states, phase, area, sun, thrust) -> None:
    s_count, t_count, n_count = sat_pos.shape[0], times.shape[0], states.shape[0]
    expected = (
        ("sat_pos_ecef", sat_pos.shape, (s_count, t_count, 3)),
        ("threat_states", states.shape, (n_count, t_count, 6)),
        ("threat_phase", phase.shape, (n_count, t_count)),
        ("threat_area_m2", area.shape, (n_count,)),
        ("sun_ecef", sun.shape, (t_count, 3)),
    )
    if times.ndim != 1:
        raise ValueError(f"times: shape {times.shape}, must be (T,)")
    for name, got, want in expected:
        if got != want:
            raise ValueError(f"{name}: shape {got}, must be {want} (S satellites, T times, "
                             "N threats)")
    if len(sat_ids) != s_count:
        raise ValueError(f"sat_ids: {len(sat_ids)} ids for {s_count} satellites")
    if thrust is not None and thrust.shape != (n_count,):
        raise ValueError(f"threat_thrust_n: shape {thrust.shape}, must be ({n_count},)")


def simulate_space_ir(
    layer_id: str,
    sat_ids: Sequence[str],
    sat_pos_ecef: ArrayLike,
    times: ArrayLike,
    threat_states: ArrayLike,
    threat_phase: ArrayLike,
    threat_area_m2: ArrayLike,
    params: SpaceIrParams,
    sun_ecef: ArrayLike,
    rng: np.random.Generator,
    *,
    threat_thrust_n: ArrayLike | None = None,
    ellipsoid: Ellipsoid = WGS84,
    max_pairs: int = 2_000_000,
    threat_geometry: Sequence[BodyGeometry | None] | None = None,
    threat_bank_rad: ArrayLike | None = None,
) -> Detections:
    """Detections of all threats by all satellites of one space IR layer (module docstring).

    Args:
        layer_id: the layer's id (``Detections.layer_ids``).
        sat_ids: ``S`` satellite ids (``Detections.sensor_ids``, indexed by ``sensor_idx``).
        sat_pos_ecef: ``(S, T, 3)`` satellite positions, m, ECEF (NaN: no satellite).
        times: ``(T,)`` frame times, s since epoch (e.g. :func:`ir_frame_times`).
        threat_states: ``(N, T, 6)`` ECEF states (m, m/s), NaN where a threat is not flying
            (``TrajectorySet.states_at``).
        threat_phase: ``(N, T)`` phase codes into ``hdsim.threats.PHASES`` (0 = boost).
        threat_area_m2: ``(N,)`` projected areas seen by the sensor, m².
        params: the sensor.
        sun_ecef: ``(T, 3)`` Earth-to-Sun vectors, m, ECEF (:func:`hdsim.earth.sun_position_ecef`).
        rng: random generator (detection draws, then measurement noise, chunk by chunk).
        threat_thrust_n: ``(N,)`` booster thrusts for the plume, N; ``params.boost_thrust_n``
            for every threat when None.
        ellipsoid: the Earth's surface.
        max_pairs: at most this many satellite × threat × frame pairs are screened at once
            (work buffers: 5 bytes per pair, plus ~9 % of the pairs as candidates).
        threat_geometry: ``N`` body geometries (``hdsim.threats.VehicleGeometry``) for the
            signature by aspect, None for a threat of the isotropic model (uses
            ``threat_area_m2``); None: every threat isotropic.
        threat_bank_rad: ``(N, T)`` bank angles for the attitude, rad (NaN or None: 0).

    Returns:
        ``Detections`` with ``sensor_type = SPACE_IR``, ``z = [u, v, nan, nan]`` (rad),
        ``sigma = [σ, σ, nan, nan]``, ``sensor_pos_ecef`` the satellite position,
        ``truth_idx`` the threat index and ``snr_db``; rows in time order (ties: satellite,
        then threat order). No false alarms (module docstring).

    Raises:
        ValueError: if the array shapes disagree.
    """
    sat_pos = np.asarray(sat_pos_ecef, dtype=np.float64)
    t_arr = np.asarray(times, dtype=np.float64)
    states = np.asarray(threat_states, dtype=np.float64)
    phase = np.asarray(threat_phase)
    area = np.asarray(threat_area_m2, dtype=np.float64)
    sun = np.asarray(sun_ecef, dtype=np.float64)
    thrust = None if threat_thrust_n is None else np.asarray(threat_thrust_n, dtype=np.float64)
    _check_shapes(sat_ids, sat_pos, t_arr, states, phase, area, sun, thrust)
    s_count, t_count, n_count = sat_pos.shape[0], t_arr.shape[0], states.shape[0]
    geoms = [None] * n_count if threat_geometry is None else list(threat_geometry)
    if len(geoms) != n_count:
        raise ValueError(f"threat_geometry: {len(geoms)} entries for {n_count} threats")
    bank = (np.zeros((n_count, t_count)) if threat_bank_rad is None
            else np.asarray(threat_bank_rad, dtype=np.float64))
    if bank.shape != (n_count, t_count):
        raise ValueError(f"threat_bank_rad: shape {bank.shape}, must be ({n_count}, {t_count})")
    sensor_ids = [str(s) for s in sat_ids]
    layer_ids = [layer_id] * s_count
    if s_count == 0 or n_count == 0 or t_count == 0:
        return Detections.empty(sensor_ids, layer_ids)

    chunk = min(t_count, max(1, int(max_pairs) // (s_count * n_count)))
    # Screening buffers reused by every chunk (fresh large arrays would page-fault each time).
    gram = np.empty((chunk, s_count, n_count), dtype=np.float32)
    mask = np.empty(gram.shape, dtype=np.bool_)
    parts: list[Detections] = []
    for t0 in range(0, t_count, chunk):
        sl = slice(t0, min(t_count, t0 + chunk))
        c = sl.stop - sl.start
        part = _simulate_chunk(sat_pos[:, sl], t_arr[sl], states[:, sl], phase[:, sl], area,
                               thrust, sun[sl], params, rng, ellipsoid, gram[:c], mask[:c],
                               geoms, bank[:, sl])
        if part is not None:
            parts.append(part)
    out = _concatenate_same_sensors(parts, sensor_ids, layer_ids)
    if np.any(np.diff(t_arr) < 0.0):
        out = out.sorted()
    return out


def _simulate_chunk(
    sat: NDArray, t_chunk: NDArray, states: NDArray, phase: NDArray, area: NDArray,
    thrust: NDArray | None, sun: NDArray, params: SpaceIrParams, rng: np.random.Generator,
    ellipsoid: Ellipsoid, gram: NDArray[np.float32], mask: NDArray[np.bool_],
    geoms: list[BodyGeometry | None], bank: NDArray,
) -> Detections | None:
    """One time chunk: ``sat (S, C, 3)``, ``states (N, C, 6)`` … → a ``Detections`` or None
    (``gram`` and ``mask``: ``(C, S, N)`` work buffers)."""
    s_count, n_count = sat.shape[0], states.shape[0]
    # Frame-major copies, so that a pair (c, s, n) indexes rows c·S + s and c·N + n.
    sat = np.ascontiguousarray(sat.transpose(1, 0, 2))  # (C, S, 3)
    states = np.ascontiguousarray(states.transpose(1, 0, 2))  # (C, N, 6)
    pos = states[..., :3]
    flying = np.all(np.isfinite(states), axis=-1)  # (C, N)
    if not flying.any():
        return None
    # Per threat and frame: altitude and signature (never per pair).
    alt = np.full(flying.shape, np.nan)
    intensity = np.zeros(flying.shape)
    _, _, alt[flying] = ecef_to_geodetic(pos[flying], ellipsoid)
    # Isotropic part: the body of threats without a geometry, and every booster's plume.
    has_geom = np.broadcast_to(np.array([g is not None for g in geoms]), flying.shape)
    thrust_cn = (np.full(flying.shape, params.boost_thrust_n) if thrust is None
                 else np.broadcast_to(thrust, flying.shape))
    iso = flying & ~has_geom
    if iso.any():
        intensity[iso] = ir_signature_w_sr(
            np.linalg.norm(states[..., 3:][iso], axis=-1), alt[iso], phase.T[iso],
            np.broadcast_to(area, flying.shape)[iso], params, thrust_cn[iso])
    plume = flying & has_geom & (phase.T == _BOOST)
    intensity[plume] = plume_radiant_intensity_w_sr(thrust_cn[plume])
    burn = flying & has_geom & (phase.T == _DEORBIT)      # the deorbit motor's plume
    intensity[burn] = plume_radiant_intensity_w_sr(params.deorbit_thrust_n)
    facets = _facet_signatures(geoms, states, flying, alt, bank.T, params)

    # Screen: float32 (S, 5) @ (5, N) products per frame (module docstring). Horizon test in
    # coordinates with z scaled by k = (a+g)/(b+g), where the ellipsoid inflated by the grazing
    # altitude g is the sphere of radius a+g (as in hdsim.earth.los); a target below g, with
    # clearance h < g, is blocked by its own inflated ellipsoid, which there contains the
    # sphere of radius (b+h)·k. Each end's horizon angle uses a sphere inside the blocking
    # surface: r_low (the lowest clearance in the chunk) for the satellites, its own for each
    # target (a smaller sphere for one end is conservative).
    g = params.grazing_alt_m
    k_scale = np.array([1.0, 1.0, (ellipsoid.a_m + g) / (ellipsoid.b_m + g)])
    h_clear = np.minimum(g, alt - 1000.0)
    r_tgt_low = (ellipsoid.b_m + h_clear) * k_scale[2]
    r_low = max(float(np.nanmin(r_tgt_low)), 0.5 * ellipsoid.b_m)
    sat_k = sat * k_scale
    pos_k = pos * k_scale
    r_sat_k = np.linalg.norm(sat_k, axis=-1)  # (C, S)
    r_tgt_k = np.linalg.norm(pos_k, axis=-1)  # (C, N)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha_s = np.arccos(np.minimum(r_low / r_sat_k, 1.0))
        alpha_t = np.arccos(np.minimum(r_tgt_low / r_tgt_k, 1.0))
        a_mat = np.concatenate([sat_k / r_sat_k[..., None], -np.cos(alpha_s)[..., None],
                                np.sin(alpha_s)[..., None]], axis=-1)  # (C, S, 5)
        b_mat = np.concatenate([pos_k / r_tgt_k[..., None], np.cos(alpha_t)[..., None],
                                np.sin(alpha_t)[..., None]], axis=-1)  # (C, N, 5)
    # No satellite (NaN): a row that fails against every target; no threat: a failing column.
    bad_sat = ~np.all(np.isfinite(a_mat), axis=-1)
    a_mat[bad_sat] = (0.0, 0.0, 0.0, -1.0, 0.0)
    b_mat[~flying] = (0.0, 0.0, 0.0, 1.0, 0.0)
    # einsum, not matmul: with K = 5 BLAS gains nothing, and OpenBLAS threads are ~100× slower
    # than one core when the cores are shared (module docstring).
    np.einsum("csk,ckn->csn", a_mat.astype(np.float32),
              np.ascontiguousarray(b_mat.transpose(0, 2, 1), dtype=np.float32), out=gram)
    np.greater_equal(gram, -_SCREEN_SLACK, out=mask)
    # Range and field of regard, where they limit more than the horizon: cos γ ≥ cos(limit),
    # γ the central angle in true (unscaled) coordinates; r_low / k is inside the surface.
    r_sat = np.linalg.norm(sat, axis=-1)
    r_tgt = np.linalg.norm(pos, axis=-1)
    limit = _central_angle_limit(r_sat, r_low / k_scale[2], float(np.nanmin(r_tgt)),
                                 float(np.nanmax(r_tgt)), params)
    # (Scaling z by k moves central angles by < 0.2°: compare with some margin.)
    if np.any(limit[~bad_sat] < (alpha_s + np.nanmax(alpha_t))[~bad_sat] + 0.01):
        with np.errstate(invalid="ignore", divide="ignore"):
            u_sat = (sat / r_sat[..., None]).astype(np.float32)
            u_tgt = np.ascontiguousarray((pos / r_tgt[..., None]).transpose(0, 2, 1),
                                         dtype=np.float32)
        np.einsum("csk,ckn->csn", u_sat, u_tgt, out=gram)
        mask &= gram >= (np.cos(limit) - _SCREEN_SLACK).astype(np.float32)[..., None]
    flat = np.flatnonzero(mask)  # candidate pairs in (c, s, n) order
    if flat.size == 0:
        return None
    cs, n_idx = np.divmod(flat, n_count)  # cs = c·S + s
    c_idx = cs // s_count
    cn = c_idx * n_count + n_idx

    # Exact geometry on the candidates. Pairs that fail a test are masked, not removed: the
    # arrays are compressed once, to the detections (copies cost more than the radiometry).
    sat_rows = sat.reshape(-1, 3)
    sp = sat_rows[cs]
    los = pos.reshape(-1, 3)[cn]
    half = 0.5 * params.field_of_regard_rad
    ok = space_visibility(sp, los, half, params.max_range_m, params.grazing_alt_m, ellipsoid,
                          target_alt_m=alt.ravel()[cn])
    los -= sp  # line of sight, satellite to target
    rng2 = np.einsum("ki,ki->k", los, los)

    if params.sun_exclusion_rad > 0.0:
        # Unit vector to the Sun per satellite and frame. Only satellites that see the Sun
        # (the Earth does not hide it) within the field of regard widened by the exclusion
        # angle can lose a pair; the per-pair angle is computed for those pairs only.
        to_sun = sun[:, None, :] - sat
        to_sun /= np.linalg.norm(to_sun, axis=-1, keepdims=True)
        cos_nadir_sun = -np.einsum("csi,csi->cs", to_sun, sat) / np.linalg.norm(sat, axis=-1)
        reach = min(0.5 * params.field_of_regard_rad + params.sun_exclusion_rad, math.pi)
        at_risk = ((cos_nadir_sun >= math.cos(reach) - 1e-9)
                   & line_of_sight_clear(sat, sun[:, None, :], 0.0, ellipsoid)).ravel()
        risky = np.flatnonzero(at_risk[cs])
        if risky.size:
            cos_sun = np.einsum("ki,ki->k", los[risky], to_sun.reshape(-1, 3)[cs[risky]])
            glare = cos_sun > math.cos(params.sun_exclusion_rad) * np.sqrt(rng2[risky])
            ok[risky[glare]] = False

    # Radiometry and detection.
    down = _look_down(sp, los, params.grazing_alt_m, ellipsoid)
    nei = np.where(down, params.nei_look_down_w_m2, params.nei_above_horizon_w_m2)
    pair_intensity = intensity.ravel()[cn]
    for model, which, j, nose, axes in facets:
        sel = np.flatnonzero(ok & which[n_idx])
        if sel.size == 0:
            continue
        to_sat = -los[sel] / np.sqrt(rng2[sel])[:, None]
        d_body = np.einsum("kij,kj->ki", axes[cn[sel]], to_sat)
        pair_intensity[sel] += radiant_intensity_w_sr(model, j[cn[sel]], nose[cn[sel]], d_body)
    snr = pair_intensity / rng2 / nei
    pd = pd_ir(snr, ir_threshold_snr(params.pfa))
    det = np.flatnonzero(ok & (rng.random(snr.shape[0]) < pd))
    if det.size == 0:
        return None
    cs, cn, sp, los, snr = cs[det], cn[det], sp[det], los[det], snr[det]
    k = cs.shape[0]

    # Measurement: true tangent-plane angles + noise.
    with np.errstate(invalid="ignore", divide="ignore"):  # nadir_frame's unused polar branch
        frames = nadir_frame(sat_rows)  # (C·S, 3, 3): one per satellite and frame
    z = np.full((k, 4), np.nan)
    z[:, :2] = _angles_from_frames(frames[cs], los)
    z[:, :2] += rng.normal(0.0, params.angle_noise_rad, size=(k, 2))
    sigma = np.full((k, 4), np.nan)
    sigma[:, :2] = params.angle_noise_rad
    return Detections(
        t_s=t_chunk[cs // s_count], sensor_idx=(cs % s_count).astype(np.int32),
        sensor_type=np.full(k, SPACE_IR, dtype=np.int8),
        truth_idx=(cn % n_count).astype(np.int32),
        z=z, sigma=sigma, sensor_pos_ecef=sp, snr_db=10.0 * np.log10(snr),
        sensor_ids=[], layer_ids=[],
    )


def _concatenate_same_sensors(
    parts: list[Detections], sensor_ids: list[str], layer_ids: list[str]
) -> Detections:
    """Rows of all parts (same sensor list), one field at a time to bound the peak memory."""
    if not parts:
        return Detections.empty(sensor_ids, layer_ids)
    if len(parts) == 1:
        out = parts[0]
        out.sensor_ids, out.layer_ids = sensor_ids, layer_ids
        return out
    kw: dict[str, NDArray] = {}
    for f in fields(Detections):
        if f.name in ("sensor_ids", "layer_ids"):
            continue
        kw[f.name] = np.concatenate([getattr(p, f.name) for p in parts])
        for p in parts:  # release this field of the parts before the next one is joined
            setattr(p, f.name, None)
    return Detections(sensor_ids=sensor_ids, layer_ids=layer_ids, **kw)
