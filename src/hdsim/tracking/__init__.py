"""Tracking: models, batched KF/EKF/UKF/IMM, gating, association (GNN, JPDA), initiation
(triangulation), the multi-sensor tracker and covariance-intersection fusion.

Tracker modules: :mod:`~hdsim.tracking.config` (``TrackerConfig``), :mod:`~hdsim.tracking.bank`
(single-model / IMM filter bank), :mod:`~hdsim.tracking.tracker` (the scan loop, ``Tracker``),
:mod:`~hdsim.tracking.history` (``TrackHistory`` and ``TrackStatus``, the project's one track
status vocabulary). The tracker never reads truth: the threat of each track is
:func:`hdsim.metrics.labels.track_truth_labels`.

Filters are functions on ``(x (n, d), P (n, d, d))`` batched over tracks (STYLE 5)::

    from hdsim.tracking import NearlyConstantVelocity, RadarMeasurement, ekf_predict, ekf_update

    model = NearlyConstantVelocity(q_m2ps3=1.0)
    x, P = ekf_predict(x, P, lambda s: model.f(s, dt), lambda s: model.jacobian(s, dt), model.Q(dt))
    x, P, info = ekf_update(x, P, z, R, radar.h, radar.jacobian, radar.residual)
"""

from hdsim.tracking.association import (
    GatedPairs,
    JpdaWeights,
    candidate_pairs,
    clusters,
    gate_any_model,
    gate_dense,
    gate_sparse,
    gnn_assign,
    gnn_assign_dense,
    jpda_update,
    jpda_weights,
)
from hdsim.tracking.bank import (
    FilterBank,
    measurement_moments,
    motion_model,
    switching_generator,
    transition_matrices,
)
from hdsim.tracking.config import MODEL_NAMES, SOJOURN_DEFAULTS_S, ModelName, TrackerConfig
from hdsim.tracking.fusion import covariance_intersection, fuse_track_lists
from hdsim.tracking.gating import chi2_gate, gate, mahalanobis_matrix, predicted_measurement
from hdsim.tracking.history import TrackHistory, TrackStatus
from hdsim.tracking.imm import (
    ImmInfo,
    imm_combine,
    imm_mix,
    imm_predict,
    imm_update,
    make_predictor,
    make_updater,
)
from hdsim.tracking.initiation import (
    angle_only_state,
    hits_in_window,
    pair_fixes,
    radar_fix,
    ray_sphere_range,
    two_point_state,
)
from hdsim.tracking.kalman import (
    LOG_2PI,
    UpdateInfo,
    ekf_predict,
    ekf_update,
    kf_predict,
    kf_update,
    safe_cholesky,
    solve_lower,
    symmetrize,
)
from hdsim.tracking.measurement import (
    CartesianPosition,
    IrLosMeasurement,
    RadarMeasurement,
    ir_jacobian,
    ir_measure,
    ir_residual,
    radar_jacobian,
    radar_measure,
    radar_residual,
    sensor_frame,
    wrap_angle,
)
from hdsim.tracking.motion import (
    Augmented,
    CoordinatedTurn3D,
    HypersonicEcef,
    NearlyConstantAcceleration,
    NearlyConstantVelocity,
    Singer,
    gauss_markov_axis,
)
from hdsim.tracking.tracker import Tracker
from hdsim.tracking.triangulation import (
    LosFixes,
    associate_los,
    ir_los_direction,
    ray_miss_distance,
    triangulate,
)
from hdsim.tracking.ukf import sigma_points, ukf_predict, ukf_update

__all__ = [
    "Augmented",
    "CartesianPosition",
    "CoordinatedTurn3D",
    "FilterBank",
    "GatedPairs",
    "HypersonicEcef",
    "ImmInfo",
    "IrLosMeasurement",
    "JpdaWeights",
    "LOG_2PI",
    "LosFixes",
    "MODEL_NAMES",
    "ModelName",
    "NearlyConstantAcceleration",
    "NearlyConstantVelocity",
    "RadarMeasurement",
    "SOJOURN_DEFAULTS_S",
    "Singer",
    "TrackHistory",
    "TrackStatus",
    "Tracker",
    "TrackerConfig",
    "UpdateInfo",
    "angle_only_state",
    "associate_los",
    "candidate_pairs",
    "chi2_gate",
    "clusters",
    "covariance_intersection",
    "ekf_predict",
    "ekf_update",
    "fuse_track_lists",
    "gate",
    "gate_any_model",
    "gate_dense",
    "gate_sparse",
    "gauss_markov_axis",
    "gnn_assign",
    "gnn_assign_dense",
    "hits_in_window",
    "imm_combine",
    "imm_mix",
    "imm_predict",
    "imm_update",
    "ir_jacobian",
    "ir_los_direction",
    "ir_measure",
    "ir_residual",
    "jpda_update",
    "jpda_weights",
    "kf_predict",
    "kf_update",
    "mahalanobis_matrix",
    "make_predictor",
    "make_updater",
    "measurement_moments",
    "motion_model",
    "pair_fixes",
    "predicted_measurement",
    "radar_fix",
    "radar_jacobian",
    "radar_measure",
    "radar_residual",
    "ray_miss_distance",
    "ray_sphere_range",
    "safe_cholesky",
    "sensor_frame",
    "sigma_points",
    "solve_lower",
    "switching_generator",
    "symmetrize",
    "transition_matrices",
    "triangulate",
    "two_point_state",
    "ukf_predict",
    "ukf_update",
    "wrap_angle",
]
