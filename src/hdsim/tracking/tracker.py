"""Multi-sensor multi-target tracker: centralized measurement fusion of radar and space-IR reports.

``Tracker(config).run(detections) -> TrackHistory``. All sensors feed one set of tracks (ECEF
state ``[x, y, z, vx, vy, vz]`` plus, for 9-state models, acceleration). The loop is over scans
— groups of reports with the same time and sensor, in time order — and every step inside a
scan is batched over tracks (no Python loop over tracks):

1. **predict** all eligible tracks to the scan time (per-track ``dt``; EKF, UKF or IMM);
2. **gate**: predicted measurement and ``H P Hᵀ`` of every track (of every IMM model: a report
   is in the gate of a track when it is in the gate of one of its models), chi-square gate on all
   track-detection pairs (:func:`hdsim.tracking.association.gate_sparse`, identical to the full
   matrix), each detection with its own noise ``R = diag(σ²)``;
3. **associate**: GNN (default) or JPDA (:mod:`hdsim.tracking.association`);
4. **update** the associated tracks (EKF/UKF/IMM update, or the JPDA combined update);
5. **initiate** from what is left: radar reports become position fixes, IR lines of sight of
   the same epoch (within ``ir_sync_tol_s``) are triangulated across satellites; a fix is paired
   with an earlier fix by two-point differencing (:mod:`hdsim.tracking.initiation`); IR lines of
   sight that find no partner start or update *angle-only* tentative tracks of that satellite;
6. **manage**: M-of-N confirmation, coasting after ``coast_after_s`` without an update,
   deletion (too long without update, position sigma too large, tentative failing M-of-N),
   merging of duplicates (Mahalanobis distance of the 6-states below ``merge_d2``).

Track status: tentative → confirmed ⇄ coasting → deleted. An M-of-N *opportunity* is a scan of a
sensor that has already updated the track (or that updates it now), so a target outside a
sensor's coverage is not penalised by that sensor's scans.

**Out-of-sequence reports.** :meth:`Tracker.process` accepts chunks of reports in any order and
keeps them in a reorder buffer; a scan is processed once the newest time seen exceeds it by
``reorder_lag_s``, so reports that are late by less than the lag are processed exactly in time
order (same result as sorted input). Reports later than the lag are still processed (never
dropped) by *retrodiction*: the tracks are predicted backwards to the report time (negative
``dt``: the motion models give the exact ``F(dt)`` and ``Q(|dt|)``), updated there, and
predicted forward again at the next scan. For linear dynamics this is exact when ``q = 0``;
with process noise it is an approximation — it neglects the correlation between the process
noise over the late interval and the current estimate, which the exact OOSM update accounts for
(Bar-Shalom, "Update with out-of-sequence measurements in tracking: exact solution", IEEE TAES
38(3), 2002) — and it counts that noise twice (back and forth), inflating the covariance.
:meth:`Tracker.run` is ``process`` + ``finish``.

**Truth is never read.** ``Detections.truth_idx`` is not passed into the processing; the tracker
records which input rows updated which track, and :meth:`Tracker.finish` computes the
``truth_id`` column from those rows afterwards (scoring only).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from scipy.linalg import expm
from scipy.spatial import cKDTree
from threadpoolctl import threadpool_limits

from hdsim.earth import ecef_to_geodetic, enu_rotation
from hdsim.sensors.detections import RADAR, SPACE_IR, Detections, nadir_frame
from hdsim.tracking.association import GatedPairs, gate_sparse, gnn_assign, jpda_weights
from hdsim.tracking.gating import chi2_gate
from hdsim.tracking.imm import imm_combine, imm_predict, imm_update, make_predictor, make_updater
from hdsim.tracking.initiation import (
    angle_only_state,
    hits_in_window,
    pair_fixes,
    radar_fix,
    ray_sphere_range,
    two_point_state,
)
from hdsim.tracking.kalman import safe_cholesky, solve_lower, symmetrize
from hdsim.tracking.measurement import (
    IrLosMeasurement,
    RadarMeasurement,
    ir_residual,
    radar_residual,
)
from hdsim.tracking.motion import (
    Augmented,
    HypersonicEcef,
    NearlyConstantAcceleration,
    NearlyConstantVelocity,
    Singer,
)
from hdsim.tracking.triangulation import associate_los, ir_los_direction
from hdsim.tracking.ukf import sigma_points

__all__ = [
    "SOJOURN_DEFAULTS_S",
    "STATUS_NAMES",
    "TrackHistory",
    "Tracker",
    "TrackerConfig",
]

TENTATIVE, CONFIRMED, COASTING, DELETED = 0, 1, 2, 3
STATUS_NAMES = ("tentative", "confirmed", "coasting", "deleted")
_MODELS = ("ncv", "nca", "singer", "hypersonic", "maneuver")
_SEED_W = 8  # max detections remembered per seed fix
_POLAR_RADIUS_M = 6356752.3


@dataclass(frozen=True)
class TrackerConfig:
    """Tracker settings (SI units; defaults for hypersonic threats seen by radars and space IR).

    Filter and motion:
        filter: ``"imm"`` (default), ``"ekf"`` or ``"ukf"``.
        motion: model of the single-model filters: ``"ncv"`` (default), ``"nca"``, ``"singer"``,
            ``"hypersonic"`` (:class:`~hdsim.tracking.motion.HypersonicEcef`), ``"maneuver"``.
        imm_models: models of the IMM (mixed sizes are embedded with
            :class:`~hdsim.tracking.motion.Augmented`). Default: Singer (boost: thrust
            acceleration), hypersonic (gravity plus a slowly varying lift/drag: glide, ballistic
            midcourse, cruise) and maneuver (a Singer model of hard maneuvers up to ~30 g:
            pull-ups, bank reversals, the terminal dive).
        imm_filter: per-model filter of the IMM, ``"ekf"`` or ``"ukf"``.
        imm_sojourn_s: mean time (s) the target stays in each model of ``imm_models`` (default
            :data:`SOJOURN_DEFAULTS_S`). The model switching is a continuous-time Markov chain
            with generator ``Λ``: ``Π(dt) = exp(Λ dt)`` over each track's own prediction
            interval, so the switching does not depend on how many sensor scans fall in a
            second (the discrete rule of Bar-Shalom, Li & Kirubarajan 2001, ch. 11,
            ``π_ii = 1 - T/τ_i`` for a sampling period ``T``, is its first-order form).
        imm_stay_probability: legacy per-scan Markov matrix (diagonal ``p``, off-diagonal mass
            shared equally); when set it replaces ``imm_sojourn_s``. Default ``None``.
        q_ncv_m2ps3: NCV acceleration PSD per axis, m²/s³ (100: ~10 m/s² in 1 s).
        q_nca_m2ps5: NCA jerk PSD, m²/s⁵.
        singer_tau_s, singer_sigma_mps2: Singer time constant (s) and acceleration sigma (m/s²).
        hypersonic_q_m2ps5, hypersonic_tau_s: specific-force PSD and correlation time of the
            hypersonic model. The default (0.05 m²/s⁵) is the IMM's quiet model; alone, as a
            single-model filter, it needs ~1 m²/s⁵ to follow glide maneuvers.
        maneuver_sigma_mps2, maneuver_tau_s: acceleration sigma (300 m/s²) and time constant
            (2 s) of the ``"maneuver"`` Singer model.
        accel_sigma_mps2: prior sigma of acceleration states at initiation and the variance
            (its square) of the extra states of augmented IMM models.
    Association:
        association: ``"gnn"`` (default) or ``"jpda"`` (single-model EKF only).
        gate_probability: chi-square gate probability ``P_G`` (0.9997: γ = 21 for 4 dof).
        pd: detection probability used by JPDA (times ``P_G``).
        clutter_density: JPDA false-alarm density per unit measurement volume (units of the
            measurement space, e.g. 1/(m·rad²·m/s) for a 4-D radar report).
        jpda_max_hypotheses: joint events enumerated per cluster before cheap JPDA is used.
    Initiation and management:
        confirm_m, confirm_n: M-of-N confirmation (N ≤ 8); two-point initiation counts 2 hits.
        coast_after_s: a confirmed track with no update for this long is ``coasting``.
        delete_after_s: a confirmed/coasting track with no update for this long is deleted.
        tentative_delete_after_s: a tentative 3-D track with no update for this long is deleted.
        max_sigma_pos_m: tracks whose predicted position sigma (sqrt trace) exceeds this are
            deleted.
        max_speed_mps: largest target speed: gates two-point initiation and is the velocity
            prior of angle-only tracks.
        seed_max_age_s: how long an unpaired fix waits for a partner.
        merge_d2: two tracks whose 6-state squared Mahalanobis distance (with ``Pa + Pb``) is
            below this are duplicates (12.6 = χ²₆ at 0.95); the one with the better status,
            then more updates, then the older id survives.
        merge_interval_s: how often duplicates are searched (simulation time).
        merge_max_radius_m: largest position separation examined for merging.
        ir_sync_tol_s: IR reports of different satellites within this time are triangulated
            together.
        ir_gate_probability: gate of the LOS triangulation association.
        ir_min_alt_m: lowest altitude of a triangulated fix (rejects ghosts below ground).
        angle_only: start angle-only tentative tracks from IR reports seen by one satellite.
        angle_only_alt_m: nominal altitude where an angle-only track is placed on its LOS.
        angle_only_sigma_range_m: sigma of that position along the LOS.
        angle_only_delete_after_s: deletion time without update of angle-only tracks.
        reorder_lag_s: reorder-buffer lag of :meth:`Tracker.process` (see module doc).
    """

    filter: str = "imm"
    motion: str = "ncv"
    imm_models: tuple[str, ...] = ("singer", "hypersonic", "maneuver")
    imm_filter: str = "ekf"
    imm_stay_probability: float | None = None
    imm_sojourn_s: tuple[float, ...] | None = None
    q_ncv_m2ps3: float = 100.0
    q_nca_m2ps5: float = 10.0
    singer_tau_s: float = 20.0
    singer_sigma_mps2: float = 30.0
    hypersonic_q_m2ps5: float = 0.05
    hypersonic_tau_s: float = 30.0
    maneuver_sigma_mps2: float = 300.0
    maneuver_tau_s: float = 2.0
    accel_sigma_mps2: float = 30.0
    association: str = "gnn"
    gate_probability: float = 0.9997
    pd: float = 0.9
    clutter_density: float = 1.0e-9
    jpda_max_hypotheses: int = 2000
    confirm_m: int = 3
    confirm_n: int = 5
    coast_after_s: float = 3.0
    delete_after_s: float = 12.0
    tentative_delete_after_s: float = 5.0
    max_sigma_pos_m: float = 30_000.0
    max_speed_mps: float = 8_000.0
    seed_max_age_s: float = 5.0
    merge_d2: float = 12.6
    merge_interval_s: float = 1.0
    merge_max_radius_m: float = 20_000.0
    ir_sync_tol_s: float = 0.05
    ir_gate_probability: float = 0.999
    ir_min_alt_m: float = -5_000.0
    angle_only: bool = True
    angle_only_alt_m: float = 30_000.0
    angle_only_sigma_range_m: float = 500_000.0
    angle_only_delete_after_s: float = 10.0
    reorder_lag_s: float = 2.0

    def __post_init__(self) -> None:
        def need(ok: bool, name: str, allowed: str) -> None:
            if not ok:
                raise ValueError(f"TrackerConfig.{name} = {getattr(self, name)!r}: {allowed}")

        need(self.filter in ("ekf", "ukf", "imm"), "filter", "allowed 'ekf', 'ukf', 'imm'")
        need(self.motion in _MODELS, "motion", f"allowed {_MODELS}")
        need(len(self.imm_models) >= 2 and all(m in _MODELS for m in self.imm_models),
             "imm_models", f"at least two of {_MODELS}")
        need(self.imm_filter in ("ekf", "ukf"), "imm_filter", "allowed 'ekf', 'ukf'")
        need(self.imm_stay_probability is None or 0.0 < self.imm_stay_probability < 1.0,
             "imm_stay_probability", "must be in (0, 1) or null")
        need(self.imm_sojourn_s is None or (
            len(self.imm_sojourn_s) == len(self.imm_models)
            and all(isinstance(v, int | float) and v > 0 for v in self.imm_sojourn_s)),
            "imm_sojourn_s", f"one number > 0 (s) per model of imm_models {self.imm_models}")
        need(self.association in ("gnn", "jpda"), "association", "allowed 'gnn', 'jpda'")
        need(self.association == "gnn" or (self.filter == "ekf"), "association",
             "'jpda' needs filter='ekf' (the default filter is 'imm')")
        need(0.0 < self.gate_probability < 1.0, "gate_probability", "must be in (0, 1)")
        need(0.0 < self.pd < 1.0, "pd", "must be in (0, 1)")
        need(self.clutter_density > 0.0, "clutter_density", "must be > 0")
        need(1 <= self.confirm_n <= 8, "confirm_n", "must be in [1, 8]")
        need(1 <= self.confirm_m <= self.confirm_n, "confirm_m", "must be in [1, confirm_n]")
        for name in ("maneuver_sigma_mps2", "maneuver_tau_s", "coast_after_s", "delete_after_s",
                     "tentative_delete_after_s",
                     "max_sigma_pos_m", "max_speed_mps", "seed_max_age_s", "merge_d2",
                     "merge_interval_s", "merge_max_radius_m", "angle_only_sigma_range_m",
                     "angle_only_delete_after_s", "q_ncv_m2ps3", "q_nca_m2ps5",
                     "singer_tau_s", "hypersonic_q_m2ps5", "hypersonic_tau_s",
                     "accel_sigma_mps2"):
            need(getattr(self, name) > 0.0, name, "must be > 0")
        need(self.ir_sync_tol_s >= 0.0, "ir_sync_tol_s", "must be >= 0")
        need(self.reorder_lag_s >= 0.0, "reorder_lag_s", "must be >= 0")
        need(0.0 < self.ir_gate_probability < 1.0, "ir_gate_probability", "must be in (0, 1)")


    def imm_sojourn(self, names: tuple[str, ...]) -> tuple[float, ...]:
        """Mean sojourn time of each IMM model, s (``imm_sojourn_s`` or the defaults)."""
        if self.imm_sojourn_s is not None:
            return tuple(float(v) for v in self.imm_sojourn_s)
        return tuple(SOJOURN_DEFAULTS_S[n] for n in names)


SOJOURN_DEFAULTS_S = {"ncv": 60.0, "nca": 60.0, "singer": 60.0, "hypersonic": 120.0,
                      "maneuver": 3.0}
"""Default mean time a target stays in each IMM model, s."""


# ------------------------------------------------------------------------------------------
# Filter bank: one code path for single-model filters (m = 1) and the IMM (m models)
# ------------------------------------------------------------------------------------------
def _model(name: str, cfg: TrackerConfig):
    if name == "maneuver":
        return Singer(cfg.maneuver_tau_s, cfg.maneuver_sigma_mps2)
    if name == "ncv":
        return NearlyConstantVelocity(cfg.q_ncv_m2ps3)
    if name == "nca":
        return NearlyConstantAcceleration(cfg.q_nca_m2ps5)
    if name == "singer":
        return Singer(cfg.singer_tau_s, cfg.singer_sigma_mps2)
    return HypersonicEcef(cfg.hypersonic_q_m2ps5, cfg.hypersonic_tau_s)


def _generator(sojourn_s: tuple[float, ...]) -> NDArray:
    """Generator ``Λ`` of the continuous-time model-switching chain: leave model ``i`` at rate
    ``1/T_i`` (mean sojourn ``T_i``) to the other models in equal shares."""
    m = len(sojourn_s)
    rate = 1.0 / np.asarray(sojourn_s, dtype=np.float64)
    lam = np.repeat((rate / (m - 1))[:, None], m, axis=1)
    np.fill_diagonal(lam, -rate)
    return lam


def _transition(generator: NDArray, dt: NDArray) -> NDArray:
    """Markov matrices ``Π(dt) = exp(Λ |dt|)`` ``(n, m, m)`` over each track's own interval:
    switching is a property of time, not of how many sensor scans fall in it (several scans
    at one instant mix nothing)."""
    Pi = np.maximum(expm(generator[None] * np.abs(np.asarray(dt, np.float64))[:, None, None]),
                    0.0)  # round-off can leave -1e-17
    return Pi / Pi.sum(axis=-1, keepdims=True)


class _Bank:
    """Per-model states ``x (n, m, d)``, ``P (n, m, d, d)``, probabilities ``mu (n, m)``."""

    def __init__(self, cfg: TrackerConfig) -> None:
        names = cfg.imm_models if cfg.filter == "imm" else (cfg.motion,)
        self.method = cfg.imm_filter if cfg.filter == "imm" else cfg.filter
        base = [_model(n, cfg) for n in names]
        self.d = max(b.dim for b in base)
        self.models = [b if b.dim == self.d else Augmented(b, self.d, cfg.accel_sigma_mps2**2)
                       for b in base]
        self.names = tuple(names)
        self.m = len(self.models)
        self.Pi = None
        self.generator = None
        if cfg.imm_stay_probability is not None:  # per-scan Markov matrix
            stay = cfg.imm_stay_probability
            self.Pi = np.full((self.m, self.m), (1.0 - stay) / max(self.m - 1, 1))
            np.fill_diagonal(self.Pi, stay if self.m > 1 else 1.0)
        elif self.m > 1:
            self.generator = _generator(cfg.imm_sojourn(names))
        self.accel_var = cfg.accel_sigma_mps2**2

    def init(self, x6: NDArray, P6: NDArray) -> tuple[NDArray, NDArray, NDArray]:
        n = x6.shape[0]
        x = np.zeros((n, self.d))
        x[:, :6] = x6
        P = np.zeros((n, self.d, self.d))
        P[:, :6, :6] = P6
        extra = np.arange(6, self.d)
        P[:, extra, extra] = self.accel_var
        mu = np.full((n, self.m), 1.0 / self.m)
        return (np.repeat(x[:, None], self.m, axis=1), np.repeat(P[:, None], self.m, axis=1), mu)

    def predict(self, x, P, mu, dt):
        if x.shape[0] == 0:
            return x, P, mu
        if self.m == 1:
            xp, Pp = make_predictor(self.models[0], dt, self.method)(x[:, 0], P[:, 0])
            return xp[:, None], Pp[:, None], mu
        preds = [make_predictor(mod, dt, self.method) for mod in self.models]
        Pi = self.Pi if self.Pi is not None else _transition(self.generator, dt)
        return imm_predict(x, P, mu, Pi, preds)

    def combine(self, x, P, mu):
        if self.m == 1:
            return x[:, 0], P[:, 0]
        return imm_combine(x, P, mu)

    def update(self, x, P, mu, z, R, meas):
        upd = make_updater(meas, self.method)
        if self.m == 1:
            xn, Pn, info = upd(x[:, 0], P[:, 0], z, R)
            return xn[:, None], Pn[:, None], mu
        xs, Ps, mun, _ = imm_update(x, P, mu, z, R, [upd] * self.m)
        return xs, Ps, mun


def _moments(xc: NDArray, Pc: NDArray, meas, unscented: bool):
    """Predicted measurement ``ẑ (n, dz)`` and ``H P Hᵀ (n, dz, dz)`` (first order or UT)."""
    if not unscented:
        H = meas.jacobian(xc)
        return meas.h(xc), symmetrize(H @ Pc @ np.swapaxes(H, -1, -2))
    X, wm, wc, _ = sigma_points(xc, Pc)
    Zs = meas.h(X)
    dZ = meas.residual(Zs, Zs[0][None])
    off = np.einsum("s,s...->...", wm, dZ)
    D = dZ - off
    return Zs[0] + off, symmetrize(np.einsum("s,s...i,s...j->...ij", wc, D, D))


# ------------------------------------------------------------------------------------------
# Output
# ------------------------------------------------------------------------------------------
_IU = np.triu_indices(6)


@dataclass
class TrackHistory:
    """Track estimates over time, one row per track per update or status change (columnar).

    Attributes:
        track_id: ``(N,)`` int64.
        t_s: ``(N,)`` time of the estimate, s.
        state: ``(N, 6)`` ECEF position (m) and velocity (m/s).
        cov: ``(N, 6, 6)`` covariance of ``state``.
        status: ``(N,)`` int8 codes into :data:`STATUS_NAMES`.
        model_prob: ``(N, m)`` IMM model probabilities (``(N, 1)`` of ones for one model).
        model_names: names of the models.
        truth_idx: ``(N,)`` threat index of the track (majority of its associated reports,
            −1 when that majority is false alarms); scoring only, filled after the run.
        assoc_track, assoc_row: ``(A,)`` every (track id, input row) association.
    """

    track_id: NDArray[np.int64]
    t_s: NDArray[np.float64]
    state: NDArray[np.float64]
    cov: NDArray[np.float64]
    status: NDArray[np.int8]
    model_prob: NDArray[np.float64]
    model_names: tuple[str, ...]
    truth_idx: NDArray[np.int64]
    assoc_track: NDArray[np.int64]
    assoc_row: NDArray[np.int64]

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    @property
    def sigma_pos_m(self) -> NDArray[np.float64]:
        """sqrt of the trace of the position covariance, m."""
        return np.sqrt(np.trace(self.cov[:, :3, :3], axis1=-2, axis2=-1))

    def last(self) -> TrackHistory:
        """The last row of every track."""
        order = np.lexsort((self.t_s, self.track_id))
        ids = self.track_id[order]
        last = order[np.r_[ids[1:] != ids[:-1], True][: order.size]]
        return self._take(last)

    def _take(self, idx: NDArray) -> TrackHistory:
        return TrackHistory(self.track_id[idx], self.t_s[idx], self.state[idx], self.cov[idx],
                            self.status[idx], self.model_prob[idx], self.model_names,
                            self.truth_idx[idx], self.assoc_track, self.assoc_row)

    def to_arrow(self, threat_ids: list[str] | None = None) -> pa.Table:
        """The ``tracks.parquet`` table (SCENARIO.md columns, then the 21 upper-triangle
        covariance entries ``cov_ij`` (i ≤ j, order x y z vx vy vz) and ``p_<model>``)."""
        if threat_ids is None:
            truth = pa.array(np.where(self.truth_idx >= 0, self.truth_idx, 0).astype(str),
                             pa.string(), mask=self.truth_idx < 0)
        else:
            tid = np.array(list(threat_ids) + [None], dtype=object)
            truth = pa.array(tid[np.where(self.truth_idx >= 0, self.truth_idx, len(threat_ids))],
                             pa.string())
        cols = {
            "track_id": self.track_id, "t_s": self.t_s,
            "x_m": self.state[:, 0], "y_m": self.state[:, 1], "z_m": self.state[:, 2],
            "vx_mps": self.state[:, 3], "vy_mps": self.state[:, 4], "vz_mps": self.state[:, 5],
            "sigma_pos_m": self.sigma_pos_m,
            "status": pa.array(np.array(STATUS_NAMES, dtype=object)[self.status], pa.string()),
            "truth_id": truth,
        }
        for i, j in zip(*_IU, strict=True):
            cols[f"cov_{i}{j}"] = self.cov[:, i, j]
        for k, name in enumerate(self.model_names):
            cols[f"p_{name}"] = self.model_prob[:, k]
        return pa.table(cols)


def majority_truth(assoc_track: NDArray, assoc_row: NDArray, truth_of_row: NDArray
                   ) -> dict[int, int]:
    """Track id → the truth index most frequent among its associated rows (ties: smallest)."""
    if assoc_track.size == 0:
        return {}
    tr = truth_of_row[assoc_row].astype(np.int64)
    pairs, counts = np.unique(np.stack([assoc_track, tr], 1), axis=0, return_counts=True)
    order = np.lexsort((pairs[:, 1], -counts, pairs[:, 0]))
    p = pairs[order]
    first = np.r_[True, p[1:, 0] != p[:-1, 0]]
    return dict(zip(p[first, 0].tolist(), p[first, 1].tolist(), strict=True))


class _Scan(NamedTuple):
    t: float
    sensor: int
    stype: int
    rows: NDArray[np.int64]
    z: NDArray[np.float64]
    sigma: NDArray[np.float64]
    pos: NDArray[np.float64]


# ------------------------------------------------------------------------------------------
# Tracker
# ------------------------------------------------------------------------------------------
@dataclass
class Tracker:
    """Centralized multi-sensor tracker (see the module docstring).

    Usage::

        history = Tracker(TrackerConfig()).run(detections)
        table = history.to_arrow(threat_ids)

    or streaming: ``tr.process(chunk)`` as reports arrive (any order), then ``tr.finish()``.
    """

    config: TrackerConfig = field(default_factory=TrackerConfig)

    def __post_init__(self) -> None:
        cfg = self.config
        self.bank = _Bank(cfg)
        self._unscented = self.bank.method == "ukf"
        self.gamma = {dz: chi2_gate(cfg.gate_probability, dz) for dz in (2, 3, 4)}
        m, d = self.bank.m, self.bank.d
        self.tr = {
            "id": np.zeros(0, np.int64), "x": np.zeros((0, m, d)), "P": np.zeros((0, m, d, d)),
            "mu": np.zeros((0, m)), "t": np.zeros(0), "status": np.zeros(0, np.int8),
            "hist": np.zeros(0, np.uint8), "nhist": np.zeros(0, np.int16),
            "hits": np.zeros(0, np.int64), "t_hit": np.zeros(0), "los": np.zeros(0, np.int64),
            "seen": np.zeros((0, 1), bool),
        }
        self.seeds = {"pos": np.zeros((0, 3)), "cov": np.zeros((0, 3, 3)), "t": np.zeros(0),
                      "rows": np.zeros((0, _SEED_W), np.int64),
                      "sensors": np.zeros((0, _SEED_W), np.int64)}
        self._next_id = 0
        self._rec: list[tuple] = []
        self._assoc: list[tuple[NDArray, NDArray]] = []
        self._ir_pool: list[tuple[_Scan, NDArray]] = []
        self._radar_geom: dict[int, tuple[NDArray, NDArray]] = {}
        self._last_merge = -math.inf
        # reorder buffer (never holds truth)
        self._buf: list[dict[str, NDArray]] = []
        self._n_rows = 0
        self._t_max = -math.inf
        self._truth_parts: list[NDArray] = []  # carried for scoring at finish() only

    # ------------------------------------------------------------------ public driver
    def run(self, detections: Detections) -> TrackHistory:
        """Track all reports (any order) and return the history."""
        self.process(detections)
        return self.finish()

    def process(self, detections: Detections) -> None:
        """Add reports (any order); process every scan older than ``newest - reorder_lag_s``."""
        k = len(detections)
        rows = self._n_rows + np.arange(k, dtype=np.int64)
        self._n_rows += k
        self._truth_parts.append(np.array(detections.truth_idx, copy=True))
        if k == 0:
            return
        self._buf.append({  # the tracker's own view: no truth
            "t": np.asarray(detections.t_s, np.float64), "sensor": np.asarray(
                detections.sensor_idx, np.int64), "stype": np.asarray(detections.sensor_type),
            "z": np.asarray(detections.z, np.float64), "sigma": np.asarray(detections.sigma,
                                                                             np.float64),
            "pos": np.asarray(detections.sensor_pos_ecef, np.float64), "row": rows})
        self._t_max = max(self._t_max, float(np.max(detections.t_s)))
        self._drain(self._t_max - self.config.reorder_lag_s)

    def finish(self) -> TrackHistory:
        """Process everything buffered, flush the IR pool and return the history."""
        self._drain(math.inf)
        self._flush_ir()
        return self._history()

    # ------------------------------------------------------------------ scan loop
    def _drain(self, watermark: float) -> None:
        if not self._buf:
            return
        # Every matrix here is tiny (≤ 9×9, batched): a multithreaded BLAS only adds thread
        # hand-offs (raid example: 40 s with 2 OpenBLAS threads, 15 s with 1).
        with threadpool_limits(limits=1, user_api="blas"):
            self._drain_scans(watermark)

    def _drain_scans(self, watermark: float) -> None:
        buf = {key: np.concatenate([b[key] for b in self._buf]) for key in self._buf[0]}
        ready = buf["t"] <= watermark
        rest = {key: v[~ready] for key, v in buf.items()}
        self._buf = [rest] if rest["t"].size else []
        if not ready.any():
            return
        b = {key: v[ready] for key, v in buf.items()}
        # canonical order inside a scan (by the measurement itself, not by arrival), so that
        # the result does not depend on the order in which reports were delivered
        order = np.lexsort((b["z"][:, 1], b["z"][:, 0], b["sensor"], b["t"]))
        b = {key: v[order] for key, v in b.items()}
        new = np.r_[True, (np.diff(b["t"]) != 0) | (np.diff(b["sensor"]) != 0)]
        starts = np.flatnonzero(new)
        ends = np.r_[starts[1:], b["t"].size]
        for s, e in zip(starts, ends, strict=True):
            sc = _Scan(float(b["t"][s]), int(b["sensor"][s]), int(b["stype"][s]), b["row"][s:e],
                       b["z"][s:e], b["sigma"][s:e], b["pos"][s])
            self._scan(sc)

    def _scan(self, sc: _Scan) -> None:
        cfg = self.config
        if self._ir_pool and abs(sc.t - self._ir_pool[0][0].t) > cfg.ir_sync_tol_s:
            self._flush_ir()
        self._ensure_sensor(sc.sensor)
        eligible = (self.tr["status"] != DELETED) & (self.tr["los"] == -1)
        used, blocked = self._associate(sc, np.flatnonzero(eligible))
        free = ~(used | blocked)
        if sc.stype == RADAR:
            self._initiate_radar(sc, free)
        elif sc.stype == SPACE_IR and free.any():
            self._ir_pool.append((sc, free))
        self._manage(sc.t)

    def _gate_models(self, xp, Pp, meas, Z, Rv, resid, wrap1) -> GatedPairs:
        """IMM gate: a report is in a track's gate when it is inside the gate of *any* of the
        track's models (Bar-Shalom, Willett & Tian, *Tracking and Data Fusion*, 2011, gate an
        IMM with the model of largest innovation covariance; the union is the same idea
        without choosing one).  Gating on the mixture's moments alone loses a target at the
        onset of a hard maneuver: the maneuver model that predicts the report carries little
        probability before the report arrives, so the combined covariance is too small.  The
        pair's ``d2`` (GNN cost) is the smallest over the models."""
        n, m, d = xp.shape
        zp, HPHt = _moments(xp.reshape(n * m, d), Pp.reshape(n * m, d, d), meas,
                            self._unscented)
        pm = gate_sparse(zp, HPHt, Z, Rv, self.config.gate_probability, resid, wrap1)
        if pm.track.size == 0:
            return pm
        track = pm.track // m
        o = np.lexsort((pm.d2, pm.det, track))
        first = np.r_[True, (track[o][1:] != track[o][:-1]) | (pm.det[o][1:] != pm.det[o][:-1])]
        k = o[first]
        return GatedPairs(track[k], pm.det[k], pm.d2[k], pm.log_likelihood[k],
                          pm.innovation[k])

    def _meas(self, sc: _Scan):
        if sc.stype == RADAR:
            if sc.sensor not in self._radar_geom:
                lat, lon, _ = ecef_to_geodetic(sc.pos)
                self._radar_geom[sc.sensor] = (sc.pos.copy(), enu_rotation(lat, lon))
            site, rot = self._radar_geom[sc.sensor]
            rr = bool(np.all(np.isfinite(sc.sigma[:, 3])))
            return RadarMeasurement(site, rot, rr), radar_residual, True, (4 if rr else 3)
        return IrLosMeasurement(sc.pos, nadir_frame(sc.pos)), ir_residual, False, 2

    def _associate(self, sc: _Scan, idx: NDArray) -> tuple[NDArray, NDArray]:
        """Predict tracks ``idx`` to the scan, gate, associate, update. Returns masks over the
        scan's reports: used (associated) and blocked (gated by a confirmed/coasting track)."""
        k = sc.rows.size
        used = np.zeros(k, bool)
        blocked = np.zeros(k, bool)
        if idx.size == 0:
            return used, blocked
        cfg = self.config
        tr = self.tr
        meas, resid, wrap1, dz = self._meas(sc)
        Z = sc.z[:, :dz]
        Rv = sc.sigma[:, :dz] ** 2
        xp, Pp, mup = self.bank.predict(tr["x"][idx], tr["P"][idx], tr["mu"][idx],
                                        sc.t - tr["t"][idx])
        xc, Pc = self.bank.combine(xp, Pp, mup)
        n = idx.size
        if self.bank.m == 1:
            zp, HPHt = _moments(xc, Pc, meas, self._unscented)
            pairs = gate_sparse(zp, HPHt, Z, Rv, cfg.gate_probability, resid, wrap1)
        else:
            pairs = self._gate_models(xp, Pp, meas, Z, Rv, resid, wrap1)
        firm = tr["status"][idx] != TENTATIVE
        blocked[pairs.det[firm[pairs.track]]] = True
        if cfg.association == "gnn":
            dot = gnn_assign(pairs.track, pairs.det, pairs.d2, n, k, self.gamma[dz])
            a = np.flatnonzero(dot >= 0)
            da = dot[a]
            if a.size:
                R = np.zeros((a.size, dz, dz))
                R[:, np.arange(dz), np.arange(dz)] = Rv[da]
                xn, Pn, mun = self.bank.update(xp[a], Pp[a], mup[a], Z[da], R, meas)
        else:
            w = jpda_weights(pairs.track, pairs.det, pairs.log_likelihood, n, k,
                             cfg.pd * cfg.gate_probability, cfg.clutter_density,
                             cfg.jpda_max_hypotheses)
            a = np.unique(pairs.track)
            # detection of largest β per track, for the association record
            o = np.lexsort((-w.beta, pairs.track))
            first = np.r_[True, pairs.track[o][1:] != pairs.track[o][:-1]][: o.size]
            da = pairs.det[o][first]
            if a.size:
                xn, Pn = _jpda_update(xp[a, 0], Pp[a, 0], xc, meas, pairs, w, a, Rv, n)
                xn, Pn, mun = xn[:, None], Pn[:, None], mup[a]
        hit = np.zeros(n, bool)
        if a.size:
            ti = idx[a]
            tr["x"][ti], tr["P"][ti], tr["mu"][ti] = xn, Pn, mun
            tr["t"][ti] = sc.t
            hit[a] = True
            used[da] = True
            self._assoc.append((tr["id"][ti], sc.rows[da]))
        # M-of-N bookkeeping: opportunity = sensor already seen by the track, or a hit now
        opp = hit | tr["seen"][idx, sc.sensor]
        oi = idx[opp]
        tr["hist"][oi] = (tr["hist"][oi] << np.uint8(1)) | hit[opp].astype(np.uint8)
        tr["nhist"][oi] += 1
        if a.size:
            tr["seen"][ti, sc.sensor] = True
            tr["hits"][ti] += 1
            tr["t_hit"][ti] = sc.t
            self._record(ti)
        # tracks whose predicted covariance blew up
        big = np.trace(Pc[:, :3, :3], axis1=-2, axis2=-1) > cfg.max_sigma_pos_m**2
        big &= ~hit & (tr["los"][idx] == -1)
        if big.any():
            self._set_status(idx[big], DELETED, sc.t)
        return used, blocked

    # ------------------------------------------------------------------ initiation
    def _initiate_radar(self, sc: _Scan, free: NDArray) -> None:
        if not free.any():
            self._expire_seeds(sc.t)
            return
        _, _, _, dz = self._meas(sc)
        site, rot = self._radar_geom[sc.sensor]
        pos, cov = radar_fix(sc.z[free], sc.sigma[free], site, rot)
        rows = np.full((pos.shape[0], _SEED_W), -1, np.int64)
        rows[:, 0] = sc.rows[free]
        sens = np.full_like(rows, -1)
        sens[:, 0] = sc.sensor
        rr = sc.z[free, 3] if dz == 4 else np.full(pos.shape[0], np.nan)
        ell = pos - site
        ell /= np.linalg.norm(ell, axis=-1, keepdims=True)
        self._pair_and_start(pos, cov, np.full(pos.shape[0], sc.t), rows, sens, sc.t,
                             (ell, rr, sc.sigma[free, 3]))

    def _flush_ir(self) -> None:
        pool, self._ir_pool = self._ir_pool, []
        if not pool:
            return
        cfg = self.config
        parts = []
        for sc, free in pool:
            fi = np.flatnonzero(free)
            parts.append((sc, fi))
        o = np.concatenate([np.broadcast_to(sc.pos, (fi.size, 3)) for sc, fi in parts])
        frames = np.concatenate([np.broadcast_to(nadir_frame(sc.pos), (fi.size, 3, 3))
                                 for sc, fi in parts])
        z = np.concatenate([sc.z[fi, :2] for sc, fi in parts])
        sig = np.concatenate([np.sqrt(np.mean(sc.sigma[fi, :2] ** 2, axis=1))
                              for sc, fi in parts])
        sen = np.concatenate([np.full(fi.size, sc.sensor) for sc, fi in parts])
        rows = np.concatenate([sc.rows[fi] for sc, fi in parts])
        tt = np.concatenate([np.full(fi.size, sc.t) for sc, fi in parts])
        u = ir_los_direction(z, frames)
        fixes = associate_los(o, u, sig, sen, cfg.ir_gate_probability, cfg.ir_min_alt_m)
        t_now = float(tt.max())
        used = np.zeros(rows.size, bool)
        if fixes.pos.shape[0]:
            mem = fixes.members[:, :_SEED_W]
            valid = mem >= 0
            mi = np.where(valid, mem, 0)
            used[mem[valid]] = True
            frow = np.where(valid, rows[mi], -1)
            fsen = np.where(valid, sen[mi], -1)
            ft = np.max(np.where(valid, tt[mi], -np.inf), axis=1)
            pad = _SEED_W - frow.shape[1]
            frow = np.pad(frow, ((0, 0), (0, pad)), constant_values=-1)
            fsen = np.pad(fsen, ((0, 0), (0, pad)), constant_values=-1)
            self._pair_and_start(fixes.pos, fixes.cov, ft, frow, fsen, t_now)
        else:
            self._expire_seeds(t_now)
        if not cfg.angle_only:
            return
        # lines of sight seen once: update angle-only tracks of their satellite, or start them
        start = 0
        for sc, fi in parts:
            left = ~used[start:start + fi.size]
            start += fi.size
            if not left.any():
                continue
            sub = _Scan(sc.t, sc.sensor, sc.stype, sc.rows[fi[left]], sc.z[fi[left]],
                        sc.sigma[fi[left]], sc.pos)
            mine = np.flatnonzero((self.tr["status"] != DELETED) & (self.tr["los"] == sc.sensor))
            u_sub, _ = self._associate(sub, mine)
            new = ~u_sub
            if new.any():
                self._start_angle_only(sub, new)
        self._manage(t_now)

    def _start_angle_only(self, sc: _Scan, new: NDArray) -> None:
        cfg = self.config
        frame = nadir_frame(sc.pos)
        u = ir_los_direction(sc.z[new, :2], frame)
        o = np.broadcast_to(sc.pos, u.shape)
        rho = ray_sphere_range(o, u, _POLAR_RADIUS_M + cfg.angle_only_alt_m)
        sig = np.sqrt(np.mean(sc.sigma[new, :2] ** 2, axis=1))
        x6, P6 = angle_only_state(o, u, sig, rho, np.full(rho.shape, cfg.angle_only_sigma_range_m),
                                  cfg.max_speed_mps)
        ids = self._add_tracks(x6, P6, sc.t, los=sc.sensor, sensors=[sc.sensor], n_hits=1)
        self._assoc.append((ids, sc.rows[new]))

    def _expire_seeds(self, t: float) -> None:
        keep = (t - self.seeds["t"]) <= self.config.seed_max_age_s
        if not keep.all():
            self.seeds = {key: v[keep] for key, v in self.seeds.items()}

    def _pair_and_start(self, pos, cov, t_fix, rows, sens, t_now, radial=(None, None, None)
                        ) -> None:
        cfg = self.config
        self._expire_seeds(t_now)
        sd = self.seeds
        match = pair_fixes(pos, cov, t_fix, sd["pos"], sd["cov"], sd["t"], cfg.max_speed_mps,
                           max_dt_s=cfg.seed_max_age_s, los_new=radial[0],
                           range_rate_new=radial[1], sigma_range_rate_new=radial[2])
        m = np.flatnonzero(match >= 0)
        if m.size:
            j = match[m]
            x6, P6 = two_point_state(sd["pos"][j], sd["cov"][j], sd["t"][j], pos[m], cov[m],
                                     t_fix[m])
            both_rows = np.concatenate([rows[m], sd["rows"][j]], axis=1)
            both_sens = np.concatenate([sens[m], sd["sensors"][j]], axis=1)
            ids = self._add_tracks(x6, P6, t_fix[m], los=-1, sensors=both_sens, n_hits=2)
            ok = both_rows >= 0
            self._assoc.append((np.broadcast_to(ids[:, None], both_rows.shape)[ok],
                                both_rows[ok]))
            keep = np.ones(sd["t"].size, bool)
            keep[j] = False
            self.seeds = {key: v[keep] for key, v in sd.items()}
        rest = match < 0
        if rest.any():
            add = {"pos": pos[rest], "cov": cov[rest], "t": t_fix[rest], "rows": rows[rest],
                   "sensors": sens[rest]}
            self.seeds = {key: np.concatenate([self.seeds[key], add[key]]) for key in add}

    # ------------------------------------------------------------------ track store
    def _ensure_sensor(self, s: int) -> None:
        seen = self.tr["seen"]
        if s >= seen.shape[1]:
            self.tr["seen"] = np.pad(seen, ((0, 0), (0, s + 1 - seen.shape[1])))

    def _add_tracks(self, x6, P6, t, los: int, sensors, n_hits: int) -> NDArray[np.int64]:
        n = x6.shape[0]
        ids = self._next_id + np.arange(n, dtype=np.int64)
        self._next_id += n
        x, P, mu = self.bank.init(x6, P6)
        sens = np.asarray(sensors).reshape(n, -1) if np.ndim(sensors) == 2 else \
            np.broadcast_to(np.asarray(sensors), (n, len(sensors)))
        smax = int(sens.max(initial=-1))
        self._ensure_sensor(max(smax, 0))
        seen = np.zeros((n, self.tr["seen"].shape[1]), bool)
        rr, cc = np.nonzero(sens >= 0)
        seen[rr, sens[rr, cc]] = True
        add = {"id": ids, "x": x, "P": P, "mu": mu, "t": np.broadcast_to(t, (n,)).astype(float),
               "status": np.full(n, TENTATIVE, np.int8),
               "hist": np.full(n, (1 << n_hits) - 1, np.uint8),
               "nhist": np.full(n, n_hits, np.int16), "hits": np.full(n, n_hits, np.int64),
               "t_hit": np.broadcast_to(t, (n,)).astype(float),
               "los": np.full(n, los, np.int64), "seen": seen}
        start = self.tr["id"].size
        self.tr = {key: np.concatenate([self.tr[key], add[key]]) for key in self.tr}
        self._record(np.arange(start, start + n))
        return ids

    def _record(self, ti: NDArray, x=None, P=None, t=None) -> None:
        tr = self.tr
        if x is None:
            x, P = self.bank.combine(tr["x"][ti], tr["P"][ti], tr["mu"][ti])
            t = tr["t"][ti]
        self._rec.append((tr["id"][ti], np.broadcast_to(t, ti.shape).astype(float),
                          x[:, :6].copy(), P[:, :6, :6].copy(), tr["status"][ti].copy(),
                          tr["mu"][ti].copy()))

    def _set_status(self, ti: NDArray, status: int, t: float) -> None:
        """Change status of tracks ``ti`` and record a row at ``t`` (predicted state)."""
        if ti.size == 0:
            return
        tr = self.tr
        tr["status"][ti] = status
        xp, Pp, mup = self.bank.predict(tr["x"][ti], tr["P"][ti], tr["mu"][ti], t - tr["t"][ti])
        xc, Pc = self.bank.combine(xp, Pp, mup)
        self._record(ti, xc, Pc, t)

    def _manage(self, now: float) -> None:
        cfg = self.config
        tr = self.tr
        st = tr["status"]
        since = now - tr["t_hit"]
        three_d = tr["los"] == -1
        hw = hits_in_window(tr["hist"], cfg.confirm_n)
        tent = (st == TENTATIVE) & three_d
        confirm = tent & (hw >= cfg.confirm_m)
        self._set_status(np.flatnonzero(confirm), CONFIRMED, now)
        drop = tent & ~confirm & (((tr["nhist"] >= cfg.confirm_n) & (hw < cfg.confirm_m))
                                  | (since > cfg.tentative_delete_after_s))
        drop |= (st == TENTATIVE) & ~three_d & (since > cfg.angle_only_delete_after_s)
        firm = (st == CONFIRMED) | (st == COASTING)
        drop |= firm & (since > cfg.delete_after_s)
        self._set_status(np.flatnonzero(drop), DELETED, now)
        coast = (st == CONFIRMED) & (since > cfg.coast_after_s)
        self._set_status(np.flatnonzero(coast), COASTING, now)
        back = (st == COASTING) & (since <= 0.0)
        self._set_status(np.flatnonzero(back), CONFIRMED, now)
        if now - self._last_merge >= cfg.merge_interval_s:
            self._last_merge = now
            self._merge(now)
        alive = tr["status"] != DELETED
        if not alive.all():
            self.tr = {key: v[alive] for key, v in tr.items()}

    def _merge(self, now: float) -> None:
        cfg = self.config
        tr = self.tr
        idx = np.flatnonzero((tr["status"] != DELETED) & (tr["los"] == -1))
        if idx.size < 2:
            return
        xp, Pp, mup = self.bank.predict(tr["x"][idx], tr["P"][idx], tr["mu"][idx],
                                        now - tr["t"][idx])
        xc, Pc = self.bank.combine(xp, Pp, mup)
        x6, P6 = xc[:, :6], Pc[:, :6, :6]
        tr_pos = np.trace(P6[:, :3, :3], axis1=-2, axis2=-1)
        r = min(cfg.merge_max_radius_m, math.sqrt(cfg.merge_d2 * 2.0 * float(tr_pos.max())))
        pairs = cKDTree(x6[:, :3]).query_pairs(r, output_type="ndarray")
        if pairs.shape[0] == 0:
            return
        a, b = pairs[:, 0], pairs[:, 1]
        L, ok = safe_cholesky(P6[a] + P6[b])
        w = solve_lower(L, (x6[a] - x6[b])[..., None])[..., 0]
        d2 = np.where(ok, np.einsum("pi,pi->p", w, w), np.inf)
        sel = np.flatnonzero(d2 < cfg.merge_d2)
        if sel.size == 0:
            return
        rank = np.stack([tr["status"][idx] != TENTATIVE, tr["hits"][idx], -tr["id"][idx]], 1)
        dead = np.zeros(idx.size, bool)
        for p in sel[np.argsort(d2[sel])]:
            i, j = a[p], b[p]
            if dead[i] or dead[j]:
                continue
            loser = j if tuple(rank[i]) > tuple(rank[j]) else i
            dead[loser] = True
        self._set_status(idx[dead], DELETED, now)

    # ------------------------------------------------------------------ output
    def _history(self) -> TrackHistory:
        m = self.bank.m
        if self._rec:
            cols = list(zip(*self._rec, strict=True))
            tid, t, x, P, st, mu = (np.concatenate(c) for c in cols)
        else:
            tid, t, x, P = np.zeros(0, np.int64), np.zeros(0), np.zeros((0, 6)), np.zeros((0, 6, 6))
            st, mu = np.zeros(0, np.int8), np.zeros((0, m))
        if self._assoc:
            at = np.concatenate([a for a, _ in self._assoc]).astype(np.int64)
            ar = np.concatenate([r for _, r in self._assoc]).astype(np.int64)
        else:
            at = ar = np.zeros(0, np.int64)
        truth = np.concatenate(self._truth_parts) if self._truth_parts else np.zeros(0, np.int64)
        maj = majority_truth(at, ar, truth)
        lut = np.full(self._next_id + 1, -1, np.int64)
        if maj:
            lut[np.fromiter(maj.keys(), np.int64)] = np.fromiter(maj.values(), np.int64)
        order = np.lexsort((np.arange(t.size), t, tid))
        hist = TrackHistory(tid, t, x, P, st, mu, self.bank.names, lut[tid], at, ar)
        return hist._take(order)


def _jpda_update(x, P, xc, meas, pairs, w, a, Rv, n):
    """JPDA combined update of tracks ``a`` (single model, first order).

    ``x+ = x + K ν̄``, ``P+ = β0 P + (1 - β0)(P - K S Kᵀ) + K (Σ β ν νᵀ - ν̄ ν̄ᵀ) Kᵀ`` with
    ``ν̄ = Σ_j β_j ν_j`` (Bar-Shalom & Li 1995; Bar-Shalom, Daum & Huang 2009, eqs. 24-27).
    Reports carry their own noise: ``S`` uses the β-weighted mean ``R̄`` of the track's gated
    reports (exact when they share one ``R``).
    """
    dz = pairs.innovation.shape[1]
    pos = np.full(n, -1)
    pos[a] = np.arange(a.size)
    loc = pos[pairs.track]
    nb = np.zeros((a.size, dz))
    np.add.at(nb, loc, w.beta[:, None] * pairs.innovation)
    spread = np.zeros((a.size, dz, dz))
    np.add.at(spread, loc, w.beta[:, None, None] * pairs.innovation[:, :, None]
              * pairs.innovation[:, None, :])
    bsum = np.bincount(loc, w.beta, minlength=a.size)
    Rbar = np.zeros((a.size, dz))
    np.add.at(Rbar, loc, w.beta[:, None] * Rv[pairs.det])
    Rbar = Rbar / np.maximum(bsum, 1e-300)[:, None]
    spread -= nb[:, :, None] * nb[:, None, :]
    H = meas.jacobian(xc[a])[..., : x.shape[-1]]
    HP = H @ P
    S = symmetrize(HP @ np.swapaxes(H, -1, -2) + Rbar[:, :, None] * np.eye(dz))
    L, ok = safe_cholesky(S)
    Kt = solve_lower(L, solve_lower(L, HP), transpose=True)
    K = np.swapaxes(Kt, -1, -2)
    b0 = w.beta0[a][:, None, None]
    xn = x + np.einsum("nij,nj->ni", K, nb)
    Pn = b0 * P + (1.0 - b0) * (P - K @ S @ Kt) + K @ spread @ Kt
    xn = np.where(ok[:, None], xn, x)
    Pn = np.where(ok[:, None, None], symmetrize(Pn), P)
    return xn, Pn
