"""Engagement physics: guidance laws (PN, APN), interceptor and railgun flyout, kill models.

Public surface::

    from hdsim.engagement import (pn_command, apn_command, fly_interceptors, InterceptorParams,
                                  fly_projectiles, RailgunParams, railgun_notional, KillModel)

Fire control (intercept-point prediction, weapon-target assignment) and the run-loop wiring are
not here yet.
"""

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
from hdsim.engagement.interceptor import (
    STATUS_CLOSEST_APPROACH,
    STATUS_GROUND,
    STATUS_NAMES,
    STATUS_TARGET_LOST,
    STATUS_TIMEOUT,
    FlyoutResult,
    InterceptorParams,
    TargetFn,
    fly_interceptors,
    launch_state,
)
from hdsim.engagement.kill import KillModel, draw_kills, pk_gaussian, pk_lethal_radius
from hdsim.engagement.railgun import (
    RailgunParams,
    fly_projectiles,
    railgun_launch_state,
    railgun_notional,
)

__all__ = [
    "STATUS_CLOSEST_APPROACH",
    "STATUS_GROUND",
    "STATUS_NAMES",
    "STATUS_TARGET_LOST",
    "STATUS_TIMEOUT",
    "AdjointMiss",
    "FlyoutResult",
    "InterceptorParams",
    "KillModel",
    "LinearHomingRun",
    "RailgunParams",
    "TargetFn",
    "apn_command",
    "closing_speed",
    "draw_kills",
    "fly_interceptors",
    "fly_projectiles",
    "lag_derivative",
    "lag_step",
    "lateral",
    "launch_state",
    "limit_magnitude",
    "linear_homing",
    "linear_homing_adjoint",
    "los_rate",
    "pk_gaussian",
    "pk_lethal_radius",
    "pn_command",
    "railgun_launch_state",
    "railgun_notional",
]
