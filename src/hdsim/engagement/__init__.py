"""Engagement physics: guidance laws (PN, APN), interceptor and railgun flyout, kill models.

Public surface::

    from hdsim.engagement import (pn_command, apn_command, fly_interceptors, InterceptorParams,
                                  fly_projectiles, RailgunParams, railgun_notional, KillModel)

Fire control decides from tracks only, with fly-out tables (:mod:`flyout_table`): predicted
intercept point, weapon-target assignment, doctrine (:mod:`fire_control`); the engagement loop
flies the shots against the truth and scores them (:mod:`engage`)::

    from hdsim.engagement import (Weapon, FireControlConfig, DefendedAsset, flyout_table,
                                  simulate_engagements)
"""

from hdsim.engagement.engage import (
    OUTCOMES,
    EngagementResult,
    simulate_engagements,
    truncated_truth,
)
from hdsim.engagement.fire_control import (
    FireOrders,
    InterceptSolution,
    TofFn,
    assign_weapons,
    engageable,
    expected_pk,
    plan_shots,
    solve_intercepts,
    threat_priority,
    weapon_tof_fn,
)
from hdsim.engagement.flyout import (
    FlyoutResult,
    FlyoutStatus,
    ShotVehicles,
    TargetFn,
    fly_shots,
    free_fall_accel,
)
from hdsim.engagement.flyout_table import (
    FlyoutTable,
    TableSpec,
    build_flyout_table,
    flyout_table,
    point_at_range_alt,
    site_range_alt,
)
from hdsim.engagement.guidance import (
    AdjointMiss,
    LinearHomingRun,
    apn_command,
    closing_speed,
    lag_derivative,
    lag_step,
    lateral,
    limit_magnitude,
    linear_homing,
    linear_homing_adjoint,
    los_rate,
    pn_command,
)
from hdsim.engagement.interceptor import InterceptorParams, fly_interceptors, launch_state
from hdsim.engagement.kill import KillModel, draw_kills, pk_gaussian, pk_lethal_radius
from hdsim.engagement.prediction import (
    position_sigma_m,
    predict_impact,
    predict_states,
    predicted_position_sigma_m,
)
from hdsim.engagement.railgun import (
    RailgunParams,
    fly_projectiles,
    railgun_launch_state,
    railgun_notional,
)
from hdsim.engagement.tracks import TrackColumns, TrackUplink, latest_rows
from hdsim.engagement.weapons import DefendedAsset, FireControlConfig, Weapon, ground_distance_m

__all__ = [
    "OUTCOMES",
    "AdjointMiss",
    "DefendedAsset",
    "EngagementResult",
    "FireControlConfig",
    "FireOrders",
    "FlyoutResult",
    "FlyoutStatus",
    "FlyoutTable",
    "InterceptSolution",
    "InterceptorParams",
    "KillModel",
    "LinearHomingRun",
    "RailgunParams",
    "ShotVehicles",
    "TableSpec",
    "TargetFn",
    "TofFn",
    "TrackColumns",
    "TrackUplink",
    "Weapon",
    "apn_command",
    "assign_weapons",
    "build_flyout_table",
    "closing_speed",
    "draw_kills",
    "engageable",
    "expected_pk",
    "fly_interceptors",
    "fly_projectiles",
    "fly_shots",
    "flyout_table",
    "free_fall_accel",
    "ground_distance_m",
    "lag_derivative",
    "lag_step",
    "lateral",
    "latest_rows",
    "launch_state",
    "limit_magnitude",
    "linear_homing",
    "linear_homing_adjoint",
    "los_rate",
    "pk_gaussian",
    "pk_lethal_radius",
    "plan_shots",
    "pn_command",
    "point_at_range_alt",
    "position_sigma_m",
    "predict_impact",
    "predict_states",
    "predicted_position_sigma_m",
    "railgun_launch_state",
    "railgun_notional",
    "simulate_engagements",
    "site_range_alt",
    "solve_intercepts",
    "threat_priority",
    "truncated_truth",
    "weapon_tof_fn",
]
