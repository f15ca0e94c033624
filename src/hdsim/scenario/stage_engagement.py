"""Run-loop stage 4: fire control on the tracks, shots flown against the truth, outcomes.

Runs :func:`hdsim.engagement.simulate_engagements` with the weapons, fire-control settings and
defended assets built by :mod:`hdsim.scenario.build`. The kill draws use their own generator
from the run's seed tree, so a run is reproducible bit for bit.

Approximation (documented in ``docs/design.md``): sensors and tracking run before engagement,
so a killed threat's reports and tracks after its kill are not re-simulated; fire control
stops seeing the killed threat's tracks at kill time + the assessment delay.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa

from hdsim.engagement import TrackColumns, simulate_engagements
from hdsim.scenario.build import Components
from hdsim.threats import TrajectorySet
from hdsim.tracking import TrackHistory

__all__ = ["EngagementOutput", "run_engagement"]


@dataclass
class EngagementOutput:
    engagements: pa.Table
    threats: list[dict[str, Any]]
    weapons: list[dict[str, Any]]
    kill_t_s: np.ndarray
    reasons: pa.Table | None = None
    """``engagement_reasons.parquet``: decisions by reason, per weapon and threat."""


def _rows(table: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    keys = list(table)
    n = len(table[keys[0]]) if keys else 0
    out = []
    for i in range(n):
        row = {}
        for k in keys:
            v = table[k][i]
            v = v.item() if hasattr(v, "item") else v
            if isinstance(v, float) and not math.isfinite(v):
                v = None
            row[k] = v
        out.append(row)
    return out


def run_engagement(comp: Components, history: TrackHistory | None,
                   labels: np.ndarray | None, trajs: TrajectorySet,
                   progress: Callable[[float], None] | None = None) -> EngagementOutput:
    """Fire control, shots and outcomes for the run's weapons.

    ``labels``: threat index of each history row (scoring only; names the threat a shot was
    fired at), from :mod:`hdsim.metrics.labels`."""
    if history is None:  # no sensors: no tracks, so nothing is ever engaged
        tracks = TrackColumns.empty()
    else:
        tracks = TrackColumns.from_arrays(history.t_s, history.track_id, history.state,
                                          history.cov, history.status, labels)
    res = simulate_engagements(tracks, trajs, comp.weapons, comp.fire_control, comp.earth,
                               np.random.default_rng(comp.seeds.engagement()),
                               defended_assets=comp.defended_assets, progress=progress)
    eng = {k: (pa.array(list(v), pa.string()) if np.asarray(v).dtype == object else v)
           for k, v in res.engagements.items()}
    reasons = pa.table({
        "weapon_id": pa.array(list(res.reasons.get("weapon_id", [])), pa.string()),
        "threat_id": pa.array(list(res.reasons.get("threat_id", [])), pa.string()),
        "reason": pa.array(list(res.reasons.get("reason", [])), pa.string()),
        "decisions": pa.array(np.asarray(res.reasons.get("decisions", []), np.int64)),
    })
    return EngagementOutput(engagements=pa.table(eng), threats=_rows(res.threats),
                            weapons=_rows(res.weapons), kill_t_s=res.kill_t_s, reasons=reasons)
