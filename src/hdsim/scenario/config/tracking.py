"""``tracking:``: the tracker's settings and the scoring settings of the run, validated once.

The section is the tracker's own configuration (:class:`hdsim.tracking.TrackerConfig`: filter,
motion models, gates, M-of-N, deletion) plus three scoring fields read by the run loop's
scoring (:mod:`hdsim.metrics.scoring`), never by the tracker. It is a subclass of
``TrackerConfig``, so the validated section is handed to the tracker as it is: there is no
second copy of the tracker's fields.
"""

from __future__ import annotations

from pydantic import Field
from pydantic.dataclasses import dataclass

from hdsim.config_base import COMPONENT_CONFIG
from hdsim.tracking import TrackerConfig

__all__ = ["TrackingSection"]


@dataclass(frozen=True, config=COMPONENT_CONFIG)
class TrackingSection(TrackerConfig):
    """The ``tracking:`` section: every :class:`~hdsim.tracking.TrackerConfig` field, and:"""

    fire_control_sigma_m: float = Field(
        1000.0, gt=0.0, description="1-sigma position error (sqrt of the trace of the position "
        "covariance) below which a track is of fire-control quality, m. Default 1,000.")
    ospa_cutoff_m: float = Field(
        50_000.0, gt=0.0, description="Cutoff c of the OSPA and GOSPA series, m. Default 50,000.")
    metrics_step_s: float = Field(
        1.0, gt=0.0, description="Step of the OSPA/GOSPA series and of custody sampling, s. "
        "Default 1.")
