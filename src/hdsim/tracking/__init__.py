"""Tracking: motion and measurement models, batched KF/EKF/UKF, IMM and gating.

Filters are functions on ``(x (n, d), P (n, d, d))`` batched over tracks (STYLE 5)::

    from hdsim.tracking import NearlyConstantVelocity, RadarMeasurement, ekf_predict, ekf_update

    model = NearlyConstantVelocity(q_m2ps3=1.0)
    x, P = ekf_predict(x, P, lambda s: model.f(s, dt), lambda s: model.jacobian(s, dt), model.Q(dt))
    x, P, info = ekf_update(x, P, z, R, radar.h, radar.jacobian, radar.residual)
"""

from hdsim.tracking.gating import chi2_gate, gate, mahalanobis_matrix, predicted_measurement
from hdsim.tracking.imm import (
    ImmInfo,
    imm_combine,
    imm_mix,
    imm_predict,
    imm_update,
    make_predictor,
    make_updater,
)
from hdsim.tracking.kalman import (
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
from hdsim.tracking.ukf import sigma_points, ukf_predict, ukf_update

__all__ = [
    "Augmented",
    "CartesianPosition",
    "CoordinatedTurn3D",
    "HypersonicEcef",
    "ImmInfo",
    "IrLosMeasurement",
    "NearlyConstantAcceleration",
    "NearlyConstantVelocity",
    "RadarMeasurement",
    "Singer",
    "UpdateInfo",
    "chi2_gate",
    "ekf_predict",
    "ekf_update",
    "gate",
    "gauss_markov_axis",
    "imm_combine",
    "imm_mix",
    "imm_predict",
    "imm_update",
    "ir_jacobian",
    "ir_measure",
    "ir_residual",
    "kf_predict",
    "kf_update",
    "mahalanobis_matrix",
    "make_predictor",
    "make_updater",
    "predicted_measurement",
    "radar_jacobian",
    "radar_measure",
    "radar_residual",
    "safe_cholesky",
    "sensor_frame",
    "sigma_points",
    "solve_lower",
    "symmetrize",
    "ukf_predict",
    "ukf_update",
    "wrap_angle",
]
