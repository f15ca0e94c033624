"""The kill chain of each threat of a run: first detection, first track, confirmation,
fire-control quality, the rounds fired at it, their intercepts, and the kill or the impact.

:func:`kill_chains` gathers the events from ``summary.json`` (per-threat times) and
``engagements.parquet`` (one row per round); :func:`kill_chain_figure` draws them as a
timeline, one row per threat, on the Agg canvas without pyplot. Times are seconds since the
scenario epoch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from hdsim.viz.plots import OUTCOME_COLORS, RunData

__all__ = ["CHAIN_EVENTS", "MAX_FIGURE_THREATS", "ThreatChain", "kill_chain_figure",
           "kill_chains"]

CHAIN_EVENTS = (
    ("detected", "first detection", "first_detection_s"),
    ("tracked", "first track", "first_track_s"),
    ("confirmed", "track confirmed", "first_confirmed_s"),
    ("fire_control", "fire-control quality", "first_fire_control_s"),
)
"""``(key, legend label, summary key)`` of the sensing and tracking events, in chain order."""

MAX_FIGURE_THREATS = 40
"""Rows of the figure at most (the first threats in scenario order; the title says so)."""

_STYLE = {  # marker, colour, size, vertical offset within the threat's row
    "detected": ("o", "#1f77b4", 6, -0.3),
    "tracked": ("s", "#17becf", 5, -0.1),
    "confirmed": ("D", "#9467bd", 5, 0.1),
    "fire_control": ("*", "#ff7f0e", 9, 0.3),
}


@dataclass(frozen=True)
class ThreatChain:
    """The kill chain of one threat (times in s since the epoch; ``None``: never happened).

    Attributes:
        threat_id: the threat.
        launch_s, end_s: first and last time of its flight (the kill, the impact, or the
            scenario's end).
        events: ``key -> time`` for each of :data:`CHAIN_EVENTS`.
        rounds: ``(weapon_id, launch_s, intercept_s, miss_m, outcome)`` of each round fired at
            it, in launch order (``intercept_s``, ``miss_m`` NaN without an intercept).
        end: ``"kill"``, ``"impact"`` or ``"in_flight"``.
        outcome: the summary's outcome (``killed``, ``leaked``, ``in_flight``), or ``None``
            without weapons.
    """

    threat_id: str
    launch_s: float
    end_s: float
    events: dict[str, float | None]
    rounds: tuple[tuple[str, float, float, float, str], ...]
    end: str
    outcome: str | None

    @property
    def first_round_s(self) -> float | None:
        return self.rounds[0][1] if self.rounds else None


def _f(v: Any) -> float:
    return math.nan if v is None else float(v)


def kill_chains(run: RunData) -> list[ThreatChain]:
    """One :class:`ThreatChain` per threat of ``summary.json``, scenario order."""
    shots: dict[str, list[tuple[str, float, float, float, str]]] = {}
    eng = run.table("engagements")
    if eng is not None:
        cols = {c: eng.column(c).to_pylist() for c in
                ("weapon_id", "threat_id", "launch_t_s", "intercept_t_s", "miss_m", "outcome")
                if c in eng.column_names}
        for i in range(eng.num_rows):
            tid = cols["threat_id"][i]
            if tid is None:  # a round at a false track
                continue
            shots.setdefault(str(tid), []).append((
                str(cols["weapon_id"][i]), _f(cols["launch_t_s"][i]),
                _f(cols.get("intercept_t_s", [None] * eng.num_rows)[i]),
                _f(cols.get("miss_m", [None] * eng.num_rows)[i]),
                str(cols.get("outcome", [None] * eng.num_rows)[i] or "unknown")))
    out = []
    for r in run.summary.get("threats", []):
        tid = str(r["threat_id"])
        if r.get("outcome") == "killed" or r.get("kill_t_s") is not None:
            end = "kill"
        elif r.get("impacted"):
            end = "impact"
        else:
            end = "in_flight"
        end_s = r.get("kill_t_s") if end == "kill" else r.get("end_time_s")
        out.append(ThreatChain(
            threat_id=tid, launch_s=_f(r.get("launch_time_s")), end_s=_f(end_s),
            events={key: r.get(name) for key, _, name in CHAIN_EVENTS},
            rounds=tuple(sorted(shots.get(tid, []), key=lambda s: s[1])),
            end=end, outcome=r.get("outcome")))
    return out


def kill_chain_figure(run: RunData) -> Figure | None:
    """Timeline of each threat's kill chain: one row per threat (grey bar: its flight), time
    (s) on x; markers for first detection, first track, confirmation and fire-control quality
    (stacked within the row so that events at the same second stay visible), each round from
    launch (``|``) to its closest approach (``●``, coloured by outcome), and the end: kill
    (``X``), impact (``▼``) or still flying at the scenario's end (``>``). ``None`` when the run
    has no threats, or neither sensors nor rounds (nothing beyond the flight to show)."""
    chains = kill_chains(run)
    has_chain = "tracking" in run.summary or any(c.rounds for c in chains)
    if not chains or not has_chain:
        return None
    shown = chains[:MAX_FIGURE_THREATS]
    n = len(shown)
    fig = Figure(figsize=(10.0, 1.8 + 0.55 * n), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    seen: dict[str, Line2D] = {}

    def mark(key: str, label: str, tid: str, x: float, y: float, marker: str, color: str,
             size: float, **kw: Any) -> None:
        (line,) = ax.plot([x], [y], ls="none", marker=marker, color=color, ms=size,
                          gid=f"{key}:{tid}", **kw)
        seen.setdefault(label, line)

    outcome_colors = {"kill": OUTCOME_COLORS["kill"], "miss": OUTCOME_COLORS["miss"]}
    for y, c in enumerate(shown):
        if math.isfinite(c.launch_s) and math.isfinite(c.end_s):
            ax.plot([c.launch_s, c.end_s], [y, y], color="0.85", lw=9, solid_capstyle="butt",
                    zorder=0, gid=f"flight:{c.threat_id}")
        for key, label, _ in CHAIN_EVENTS:
            t = c.events[key]
            if t is not None:
                marker, color, size, dy = _STYLE[key]
                mark(key, label, c.threat_id, t, y + dy, marker, color, size, zorder=3)
        for _, t0, t1, _, outcome in c.rounds:
            color = outcome_colors.get(outcome, "#7f7f7f")
            if math.isfinite(t1):
                ax.plot([t0, t1], [y, y], color=color, lw=1.5, zorder=1)
                mark("intercept", f"closest approach: {outcome}", c.threat_id, t1, y, "o", color, 6,
                     mec="k", mew=0.5, zorder=4)
            mark("round", "round fired", c.threat_id, t0, y, "|", "k", 12, mew=2, zorder=4)
        if math.isfinite(c.end_s):
            end = {"kill": ("kill", "X", "#2ca02c", 12), "impact": ("impact", "v", "k", 9),
                   "in_flight": ("flying at the end", ">", "0.45", 8)}[c.end]
            mark(c.end, end[0], c.threat_id, c.end_s, y, end[1], end[2], end[3], mec="k", mew=0.6,
                 zorder=5)
    ax.set_yticks(np.arange(n), [c.threat_id for c in shown])
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlabel("Time since epoch (s)")
    ax.grid(True, axis="x", alpha=0.4)
    ax.legend(handles=list(seen.values()), labels=list(seen), loc="upper left",
              bbox_to_anchor=(1.01, 1.0), fontsize=9, title="event")
    more = f" (first {n} of {len(chains)} threats)" if len(chains) > n else ""
    ax.set_title(f"Kill chain per threat{more}: {run.title}")
    return fig
