"""Metrics: scores computed from a run's results (truth, detections, tracks).

Pure functions on arrays or result tables; nothing in hdsim imports this package back.

* :mod:`~hdsim.metrics.ospa` — OSPA and GOSPA multi-target distances;
* :mod:`~hdsim.metrics.pcrlb` — posterior Cramér-Rao lower bound of a single target;
* :mod:`~hdsim.metrics.consistency` — NEES / NIS and their chi-square intervals;
* :mod:`~hdsim.metrics.timeline` — first detection / track, custody, breaks, SIAP scores.

Example::

    from hdsim.metrics import gospa, ospa
    ospa([[0.0, 0.0, 0.0]], [[3.0, 4.0, 0.0], [100.0, 0.0, 0.0]], c=10.0, p=1.0)  # 7.5
"""

from hdsim.metrics.consistency import (
    ConsistencyTest,
    average_nees,
    average_nis,
    chi2_interval,
    nees,
    nis,
    run_average_nees,
)
from hdsim.metrics.ospa import (
    GospaResult,
    gospa,
    gospa_series,
    ospa,
    ospa_series,
    split_by_time,
)
from hdsim.metrics.pcrlb import (
    PcrlbResult,
    measurement_information,
    pcrlb,
    transition_matrices,
)
from hdsim.metrics.timeline import (
    CONFIRMED_STATUSES,
    SiapScores,
    siap_scores,
    threat_timeline,
)

__all__ = [
    "CONFIRMED_STATUSES",
    "ConsistencyTest",
    "GospaResult",
    "PcrlbResult",
    "SiapScores",
    "average_nees",
    "average_nis",
    "run_average_nees",
    "chi2_interval",
    "gospa",
    "gospa_series",
    "measurement_information",
    "nees",
    "nis",
    "ospa",
    "ospa_series",
    "pcrlb",
    "siap_scores",
    "split_by_time",
    "threat_timeline",
    "transition_matrices",
]
