"""Architecture trade studies: which constellation and battery mix to buy (``hdsim trade``).

A *trade file* (its own YAML, validated by :class:`TradeFile`) names a scenario, the design
variables (dotted scenario paths, as ``--set`` and ``campaign.vary``), the objectives and
constraints (figures of each candidate's campaign, its coverage, or its notional cost) and a
budget of candidate evaluations::

    scenario: ../raid_defense.yaml          # relative to the trade file
    runs: 20                                # campaign draws per candidate
    seed: 7                                 # the optimiser's and every candidate campaign's
    budget: 40                              # candidates evaluated
    optimizer: {population: 8}
    variables:
      sensors.space_layers.leo-track.walker.total: {int: {low: 48, high: 144, step: 24}}
      sensors.space_layers.leo-track.walker.planes: {choice: [6, 8, 12]}
      weapons.sam-1.magazine: {int: {low: 4, high: 16, step: 4}}
    objectives: {p_no_leaker: maximize, cost: minimize}
    constraints: ["custody >= 0.99"]
    cost: {unit: M$, satellite: 30, radar: 400, battery: {interceptor: 250},
           round: {interceptor: 4}}

The optimiser is Optuna's NSGA-II sampler (Deb et al. 2002), driven by ask and tell: a
generation of ``population`` candidates is asked, the new ones are evaluated, and all are told
in ask order with their objective values and constraint violations (constrained domination:
a feasible candidate beats an infeasible one, two infeasible ones compare by total violation).
Numerical variables get simulated binary crossover (Deb & Agrawal 1995) and, when mutated, a
random resample (``optimizer.crossover: uniform`` and ``mutation: polynomial`` are the other
choices; see ``docs/design.md`` for the measurement that chose these); choices get uniform
crossover and random resampling.

Each candidate is identified by a hash of its variable values (:func:`candidate_id`) and
evaluated once, in ``DIR/candidates/<cid>/``: a campaign (:func:`~hdsim.campaign.runner.
run_campaign`, ``runs`` draws with the trade's seed, so draw ``r`` of every candidate shares its
seed: common random numbers across designs), the coverage of its space layers
(:func:`~hdsim.scenario.coverage.run_coverage`) when a coverage figure is asked for, and its
cost from the cost table. ``candidate.json`` is written last (atomically): a candidate with it
is finished and is read back, never re-run; one without it resumes at draw level.

**Reproducible, resumable**: no optimiser state is stored. A rerun replays the same ask/tell
sequence from the seed, reading the stored evaluations instead of running them, so a resumed
trade is the trade run uninterrupted, and the same trade file gives the same candidates and the
same tables bit for bit (whatever the workers). A larger ``--budget`` extends a trade: the
first candidates are those of the smaller budget. The search stops at ``budget`` distinct
candidates, when a search space without real variables is exhausted, or after
:data:`STALL_GENERATIONS` generations that propose nothing new.

A candidate whose scenario is not valid (``walker.total`` not divisible by ``planes``) is
recorded with status ``invalid`` and is infeasible; one whose figures are undefined (every
draw failed) has status ``failed``. Outputs in ``DIR`` (see ``docs/results.md``):
``trade.parquet``, ``pareto.parquet``, ``convergence.parquet``, ``pareto.png``,
``convergence.png``, ``trade.html``, ``designs/<cid>.yaml``, ``trade.json`` (the trade's
identity: a folder of another trade is refused) and ``summary.json``.

The optimiser layer (:func:`optimise`) takes any evaluation function, so the same code path
is tested on problems with known answers (Walker's minimum constellations, a closed-form
Pareto front) in ``tests/campaign/test_trade.py``.
"""

from __future__ import annotations

import base64
import contextlib
import difflib
import hashlib
import html
import json
import logging
import math
import os
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from pydantic import Field, ValidationError, field_validator, model_validator

from hdsim.campaign.runner import CampaignInput, atomic_write_bytes, run_campaign
from hdsim.campaign.summary import wilson_interval
from hdsim.config_base import ConfigModel, located_error
from hdsim.results import to_jsonable
from hdsim.scenario.loading import (
    ScenarioError,
    format_validation_error,
    read_scenario_data,
    scenario_from_dict,
)
from hdsim.scenario.overrides import apply_overrides, resolve_path

__all__ = ["METRICS", "STALL_GENERATIONS", "Candidate", "Constraint", "CostTable", "Evaluation",
           "IntRange", "Metric", "Objective", "OptimizerSettings", "RealRange", "Trade",
           "TradeFile", "TradeHistory", "TradeInput", "Variable", "candidate_id",
           "convergence_table", "hypervolume", "load_trade", "non_dominated", "optimise",
           "run_trade", "trade_table"]

TRADE_FILE = "trade.json"
CANDIDATE_FILE = "candidate.json"
STALL_GENERATIONS = 20
"""Generations in a row that propose no new candidate before the search stops (converged)."""
INVALID_VIOLATION = 1.0e6
"""Constraint violation told for a candidate that is invalid or whose figures are undefined:
worse than any real violation (those are relative to the bound, see :class:`Constraint`)."""


# ---------------------------------------------------------------------------------------------
# Figures a trade can optimise
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """A figure of a candidate: its label (words with unit), how it is evaluated
    (``campaign``, ``coverage`` or ``cost``), whether it is a proportion of runs (then it has a
    Wilson 95 % interval) and what the scenario needs for it."""

    label: str
    source: Literal["campaign", "coverage", "cost"]
    proportion: bool = False
    needs: Literal["weapons", "sensors", "space_layers", "cost"] | None = None


METRICS: dict[str, Metric] = {
    "p_no_leaker": Metric("P(no leaker), probability per run", "campaign", True, "weapons"),
    "pk": Metric("Pk, fraction of threats killed", "campaign", True, "weapons"),
    "mean_leakers": Metric("leakers per run", "campaign", False, "weapons"),
    "rounds": Metric("rounds fired per run", "campaign", False, "weapons"),
    "custody": Metric("custody, mean fraction of flight tracked", "campaign", False,
                      "sensors"),
    "fire_control_s": Metric("time from launch to first fire-control track, mean, s",
                             "campaign", False, "sensors"),
    "coverage": Metric("time fraction seen by at least 1 satellite, area mean", "coverage",
                       False, "space_layers"),
    "coverage_min": Metric("time fraction seen by at least 1 satellite, worst point",
                           "coverage", False, "space_layers"),
    "coverage_2": Metric("time fraction seen by at least 2 satellites, area mean", "coverage",
                         False, "space_layers"),
    "max_gap_s": Metric("longest coverage gap, worst point, s", "coverage", False,
                        "space_layers"),
    "cost": Metric("cost", "cost", False, "cost"),
}
"""Objective and constraint names. ``fire_control_s`` counts a threat that never gets a
fire-control track at its whole flight time (so a design cannot gain by never tracking)."""


# ---------------------------------------------------------------------------------------------
# The trade file
# ---------------------------------------------------------------------------------------------


class IntRange(ConfigModel):
    """Integers ``low, low + step, ..., high``."""

    low: int
    high: int
    step: int = Field(1, ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> IntRange:
        if self.high < self.low:
            raise ValueError(f"high = {self.high} must be at least low = {self.low}")
        if (self.high - self.low) % self.step:
            raise ValueError(f"high - low = {self.high - self.low} must be a multiple of "
                             f"step = {self.step}")
        return self


class RealRange(ConfigModel):
    """Real numbers in ``[low, high]``."""

    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> RealRange:
        if not self.high > self.low:
            raise ValueError(f"high = {self.high:g} must be greater than low = {self.low:g}")
        return self


class Variable(ConfigModel):
    """One design variable: exactly one of ``int``, ``real``, ``choice`` (a list of values,
    mappings included: e.g. candidate radar sites)."""

    int_: IntRange | None = Field(None, alias="int")
    real: RealRange | None = None
    choice: tuple[Any, ...] | None = Field(None, min_length=1)

    @model_validator(mode="after")
    def _exactly_one(self) -> Variable:
        given = [k for k, v in (("int", self.int_), ("real", self.real),
                                ("choice", self.choice)) if v is not None]
        if len(given) != 1:
            raise ValueError(f"give exactly one of int, real, choice (got "
                             f"{', '.join(given) or 'none'})")
        return self

    @property
    def kind(self) -> Literal["int", "real", "choice"]:
        """``int``, ``real`` or ``choice``."""
        return "int" if self.int_ is not None else "real" if self.real is not None else "choice"

    def support(self) -> list[Any]:
        """The values checked before any work: the bounds, or every choice."""
        if self.int_ is not None:
            return [self.int_.low, self.int_.high]
        if self.real is not None:
            return [self.real.low, self.real.high]
        return list(self.choice or ())

    def size(self) -> float:
        """Number of values (infinite for a real variable)."""
        if self.int_ is not None:
            return (self.int_.high - self.int_.low) // self.int_.step + 1
        return math.inf if self.real is not None else len(self.choice or ())


WeaponType = Literal["railgun", "interceptor"]


class CostTable(ConfigModel):
    """Notional cost of a design, in ``unit``: ``fixed`` + ``satellite`` × satellites of every
    space layer + ``radar`` × radars + per weapon ``battery[type]`` + ``round[type]`` ×
    magazine + for each ``per_unit`` path its value × the cost per unit."""

    unit: str = Field("M$", min_length=1, description="Label of the cost unit.")
    fixed: float = Field(0.0, ge=0.0)
    satellite: float = Field(0.0, ge=0.0)
    radar: float = Field(0.0, ge=0.0)
    battery: dict[WeaponType, float] = Field(default_factory=dict)
    round: dict[WeaponType, float] = Field(default_factory=dict)
    per_unit: dict[str, float] = Field(default_factory=dict)

    @field_validator("battery", "round")
    @classmethod
    def _non_negative(cls, v: dict[str, float]) -> dict[str, float]:
        for k, x in v.items():
            if x < 0:
                raise located_error((k,), x, "must be at least 0")
        return v


class OptimizerSettings(ConfigModel):
    """NSGA-II settings (Optuna's ``NSGAIISampler``)."""

    population: int = Field(8, ge=2, le=1000, description="Candidates per generation.")
    crossover: Literal["sbx", "uniform"] = Field(
        "sbx", description="Crossover of numerical variables: simulated binary (Deb & Agrawal "
        "1995) or uniform; choices always cross uniformly.")
    mutation: Literal["random", "polynomial"] = Field(
        "random", description="Mutation of numerical variables: a random resample (Optuna's "
        "default) or polynomial (Deb's NSGA-II, small steps); choices are resampled.")
    crossover_prob: float = Field(0.9, ge=0.0, le=1.0)
    mutation_prob: float | None = Field(
        None, ge=0.0, le=1.0, description="Per variable; default 1 / number of variables.")


_CONSTRAINT = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*(>=|<=)\s*"
                         r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*")


def _unknown_metric(name: str) -> str:
    close = difflib.get_close_matches(name, list(METRICS), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown figure ({hint}allowed: {', '.join(METRICS)})"


class TradeFile(ConfigModel):
    """A trade file (see the module doc); validated before any work."""

    scenario: str = Field(min_length=1, description="Scenario file, relative to the trade "
                          "file (required).")
    name: str | None = Field(None, min_length=1, description="Name of the trade (default: the "
                             "scenario's name).")
    runs: int = Field(10, ge=1, description="Campaign draws per candidate.")
    seed: int = Field(0, ge=0, description="Seed of the optimiser and of every candidate's "
                      "campaign.")
    budget: int = Field(40, ge=1, description="Distinct candidates evaluated.")
    optimizer: OptimizerSettings = Field(default_factory=OptimizerSettings)
    variables: dict[str, Variable] = Field(min_length=1)
    objectives: dict[str, Literal["minimize", "maximize"]] = Field(min_length=1)
    constraints: tuple[str, ...] = ()
    cost: CostTable | None = None

    @field_validator("objectives")
    @classmethod
    def _known_objectives(cls, v: dict[str, str]) -> dict[str, str]:
        for name in v:
            if name not in METRICS:   # an empty mapping as the value: the key says it all
                raise located_error((name,), {}, _unknown_metric(name))
        return v

    @field_validator("constraints")
    @classmethod
    def _parsable_constraints(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        for i, text in enumerate(v):
            m = _CONSTRAINT.fullmatch(text)
            if m is None:
                raise located_error((i,), text, "must read 'FIGURE >= NUMBER' or 'FIGURE <= "
                                    "NUMBER', e.g. 'custody >= 0.99'")
            if m.group(1) not in METRICS:
                raise located_error((i,), text, _unknown_metric(m.group(1)))
        return v


# ---------------------------------------------------------------------------------------------
# The optimiser layer
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Objective:
    """A figure to minimise or maximise."""

    name: str
    direction: Literal["minimize", "maximize"]

    @property
    def sign(self) -> float:
        """+1 to minimise, -1 to maximise: ``sign × value`` is minimised."""
        return 1.0 if self.direction == "minimize" else -1.0


@dataclass(frozen=True)
class Constraint:
    """``name op bound`` with ``op`` ``>=`` or ``<=``."""

    name: str
    op: Literal[">=", "<="]
    bound: float

    @classmethod
    def parse(cls, text: str) -> Constraint:
        """From ``'custody >= 0.99'``."""
        m = _CONSTRAINT.fullmatch(text)
        if m is None:
            raise ValueError(f"constraint {text!r}: must read 'FIGURE >= NUMBER' or "
                             "'FIGURE <= NUMBER'")
        return cls(m.group(1), m.group(2), float(m.group(3)))  # type: ignore[arg-type]

    def violation(self, value: float) -> float:
        """How far ``value`` is on the wrong side of the bound, relative to ``max(|bound|,
        1)`` (so constraints in different units add up); ≤ 0 when satisfied."""
        gap = self.bound - value if self.op == ">=" else value - self.bound
        return float(gap / max(abs(self.bound), 1.0))

    def __str__(self) -> str:
        return f"{self.name} {self.op} {self.bound:g}"


@dataclass(frozen=True)
class Evaluation:
    """What a candidate gave: its figures (NaN where undefined), their Wilson intervals
    (proportions), its status (``ok``, ``invalid``, ``failed``) and a note."""

    metrics: dict[str, float]
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    status: Literal["ok", "invalid", "failed"] = "ok"
    note: str | None = None
    runs_ok: int | None = None
    runs_failed: int | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON-safe (NaN as null)."""
        return to_jsonable({"metrics": self.metrics,
                            "intervals": {k: list(v) for k, v in self.intervals.items()},
                            "status": self.status, "note": self.note, "runs_ok": self.runs_ok,
                            "runs_failed": self.runs_failed})

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Evaluation:
        """The inverse of :meth:`to_json` (null back to NaN)."""
        def num(x: Any) -> float:
            return math.nan if x is None else float(x)

        return cls({k: num(v) for k, v in doc["metrics"].items()},
                   {k: (num(v[0]), num(v[1])) for k, v in (doc.get("intervals") or {}).items()},
                   doc.get("status", "ok"), doc.get("note"), doc.get("runs_ok"),
                   doc.get("runs_failed"))


@dataclass(frozen=True)
class Candidate:
    """A distinct candidate, at its first appearance: id, trial, generation, values."""

    cid: str
    trial: int
    generation: int
    values: dict[str, Any]
    evaluation: Evaluation


@dataclass
class TradeHistory:
    """What :func:`optimise` did: the distinct candidates in order of first appearance, every
    trial as ``(trial, generation, cid)``, the generations and why it stopped."""

    candidates: list[Candidate]
    trials: list[tuple[int, int, str]]
    generations: int
    stopped: str
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...]

    def objective_matrix(self) -> np.ndarray:
        """``(n, m)`` objective values, oriented to be minimised (``sign × value``)."""
        return np.array([[o.sign * c.evaluation.metrics.get(o.name, math.nan)
                          for o in self.objectives] for c in self.candidates],
                        float).reshape(len(self.candidates), len(self.objectives))

    def violations(self) -> np.ndarray:
        """``(n,)`` total violation (sum of the positive parts; INVALID_VIOLATION when the
        candidate is not ``ok``)."""
        return np.array([_total_violation(c.evaluation, self.constraints)
                         for c in self.candidates], float)

    def feasible(self) -> np.ndarray:
        """``(n,)`` bool: ``ok`` and every constraint satisfied."""
        return self.violations() <= 0.0

    def front(self) -> np.ndarray:
        """``(n,)`` bool: feasible and not dominated by another feasible candidate."""
        feas = self.feasible()
        out = np.zeros(len(self.candidates), bool)
        if feas.any():
            out[np.flatnonzero(feas)[non_dominated(self.objective_matrix()[feas])]] = True
        return out


def candidate_id(values: Mapping[str, Any]) -> str:
    """12 hex digits of BLAKE2b over the canonical JSON of the variable values (sorted
    paths): the same design has the same id in every run and on every machine."""
    text = json.dumps(to_jsonable(dict(values)), sort_keys=True, separators=(",", ":"),
                      allow_nan=False)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest()


def non_dominated(points: np.ndarray) -> np.ndarray:
    """Mask of the rows of ``points (n, m)`` (to be minimised) that no other row dominates
    (≤ in every objective, < in one); equal rows are all kept."""
    f = np.asarray(points, float)
    if f.shape[0] == 0:
        return np.zeros(0, bool)
    le = np.all(f[:, None, :] <= f[None, :, :], axis=-1)   # le[j, i]: j <= i everywhere
    lt = np.any(f[:, None, :] < f[None, :, :], axis=-1)
    return ~np.any(le & lt, axis=0)


def hypervolume(points: np.ndarray, ref: Sequence[float]) -> float:
    """Exact hypervolume dominated by ``points (n, m)`` (minimisation) up to ``ref``, by
    slicing along the last objective (Zitzler & Thiele 1999, "HSO"); fine for the few tens of
    points of a trade front."""
    r = np.asarray(ref, float)
    p = np.asarray(points, float).reshape(-1, r.size)
    p = p[np.all(p < r, axis=1)]
    if p.shape[0] == 0:
        return 0.0
    if r.size == 1:
        return float(r[0] - p[:, 0].min())
    p = p[np.argsort(p[:, -1], kind="stable")]
    vol = 0.0
    for i in range(p.shape[0]):
        top = p[i + 1, -1] if i + 1 < p.shape[0] else r[-1]
        if top > p[i, -1]:
            vol += (top - p[i, -1]) * hypervolume(p[: i + 1, :-1], r[:-1])
    return float(vol)


def _total_violation(ev: Evaluation, constraints: Sequence[Constraint]) -> float:
    if ev.status != "ok":
        return INVALID_VIOLATION
    return float(sum(max(c.violation(ev.metrics[c.name]), 0.0) for c in constraints))


def _distributions(variables: Mapping[str, Variable]) -> dict[str, Any]:
    from optuna.distributions import (
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    out: dict[str, Any] = {}
    for path, v in variables.items():
        if v.int_ is not None:
            out[path] = IntDistribution(v.int_.low, v.int_.high, step=v.int_.step)
        elif v.real is not None:
            out[path] = FloatDistribution(v.real.low, v.real.high)
        else:
            out[path] = CategoricalDistribution(tuple(range(len(v.choice or ()))))
    return out


def _decode(variables: Mapping[str, Variable], params: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path, v in variables.items():
        x = params[path]
        if v.kind == "int":
            out[path] = int(x)
        elif v.kind == "real":
            out[path] = float(x)
        else:
            out[path] = (v.choice or ())[int(x)]
    return out


@contextlib.contextmanager
def _quiet_optuna() -> Iterator[None]:
    """Optuna's per-trial log lines and its experimental-feature warnings off, restored after."""
    import optuna

    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(logging.WARNING)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            yield
    finally:
        optuna.logging.set_verbosity(level)


def _sampler(settings: OptimizerSettings, seed: int) -> Any:
    from optuna.samplers import NSGAIISampler
    from optuna.samplers.nsgaii import PolynomialMutation, SBXCrossover, UniformCrossover

    crossover = SBXCrossover() if settings.crossover == "sbx" else UniformCrossover()
    mutation = PolynomialMutation() if settings.mutation == "polynomial" else None
    return NSGAIISampler(population_size=settings.population, seed=seed, crossover=crossover,
                         mutation=mutation, crossover_prob=settings.crossover_prob,
                         mutation_prob=settings.mutation_prob)


def optimise(
    variables: Mapping[str, Variable],
    objectives: Sequence[Objective],
    constraints: Sequence[Constraint],
    evaluate: Callable[[list[tuple[str, dict[str, Any]]]], list[Evaluation]],
    *,
    budget: int,
    seed: int,
    settings: OptimizerSettings | None = None,
    on_generation: Callable[[int, int], None] | None = None,
) -> TradeHistory:
    """NSGA-II by ask and tell over ``variables``, at most ``budget`` distinct candidates.

    Each generation asks ``population`` candidates in order; the ones never seen are passed to
    ``evaluate`` together as ``[(cid, values), ...]`` (it returns their evaluations in the same
    order; it may read stored ones instead of computing them); every trial is then told, in
    ask order, its objective values and its constraint violations (a candidate that is not
    ``ok`` gets :data:`INVALID_VIOLATION`). The sequence depends only on the seed and the
    evaluations, so replaying it with stored evaluations rebuilds the optimiser's state.

    Args:
        variables: path -> :class:`Variable`, in a fixed order (the optimiser's order).
        objectives, constraints: what is optimised and required.
        evaluate: the evaluation function (see above).
        budget: most distinct candidates evaluated.
        seed: the optimiser's seed.
        settings: NSGA-II settings (default :class:`OptimizerSettings`).
        on_generation: called with (generation, distinct candidates so far) after each.
    """
    import optuna

    settings = settings or OptimizerSettings()
    objectives, constraints = tuple(objectives), tuple(constraints)
    dists = _distributions(variables)
    space = math.prod(v.size() for v in variables.values())
    seen: dict[str, Candidate] = {}
    trials: list[tuple[int, int, str]] = []
    stopped, generation, stall = "budget", 0, 0
    with _quiet_optuna():
        sampler = _sampler(settings, seed)
        study = optuna.create_study(directions=[o.direction for o in objectives],
                                    sampler=sampler)
        while True:
            if len(seen) >= budget:
                stopped = "budget"
                break
            if len(seen) >= space:
                stopped = "search space exhausted"
                break
            if stall >= STALL_GENERATIONS:
                stopped = f"no new candidate in {STALL_GENERATIONS} generations"
                break
            asked: list[tuple[Any, str, dict[str, Any]]] = []
            new: dict[str, dict[str, Any]] = {}
            full = False
            for _ in range(settings.population):
                trial = study.ask(dists)
                values = _decode(variables, trial.params)
                cid = candidate_id(values)
                if cid not in seen and cid not in new:
                    if len(seen) + len(new) >= budget:
                        full = True
                        break
                    new[cid] = values
                asked.append((trial, cid, values))
            gen = (sampler.get_trial_generation(
                study, study.get_trials(deepcopy=False)[asked[0][0].number])
                if asked else generation)
            evaluations = evaluate(list(new.items())) if new else []
            if len(evaluations) != len(new):
                raise RuntimeError(f"evaluate returned {len(evaluations)} evaluations for "
                                   f"{len(new)} candidates")
            for (cid, values), ev in zip(new.items(), evaluations, strict=True):
                trial_no = next(t.number for t, c, _ in asked if c == cid)
                seen[cid] = Candidate(cid, trial_no, gen, values, ev)
            for trial, cid, _ in asked:
                ev = seen[cid].evaluation
                ok = ev.status == "ok"
                for c in constraints:
                    trial.set_constraint(c.name, c.violation(ev.metrics[c.name]) if ok else 0.0)
                trial.set_constraint("valid", 0.0 if ok else INVALID_VIOLATION)
                study.tell(trial, [ev.metrics[o.name] if ok else 0.0 for o in objectives])
                trials.append((trial.number, gen, cid))
            stall = 0 if new else stall + 1
            generation = gen + 1
            if on_generation is not None:
                on_generation(gen, len(seen))
            if full:
                stopped = "budget"
                break
    return TradeHistory(list(seen.values()), trials, generation, stopped, objectives,
                        constraints)


# ---------------------------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TradeInput:
    """A checked trade: the file's settings, the scenario data, and what it needs."""

    file: TradeFile
    scenario_data: dict[str, Any]
    base_dir: Path | None
    source: str
    name: str
    objectives: tuple[Objective, ...]
    constraints: tuple[Constraint, ...]

    @property
    def figures(self) -> list[str]:
        """Every figure the trade reads, objectives first (the table's column order)."""
        out = [o.name for o in self.objectives]
        out += [c.name for c in self.constraints if c.name not in out]
        if self.file.cost is not None and "cost" not in out:
            out.append("cost")
        return out

    def needs(self, source: str) -> bool:
        """Whether a ``campaign`` or ``coverage`` evaluation is needed."""
        return any(METRICS[f].source == source for f in self.figures)


def _read_trade(source: str | Path | Mapping[str, Any]
                ) -> tuple[Any, dict[tuple[Any, ...], int], str, Path]:
    if isinstance(source, Mapping):
        return dict(source), {}, "<trade>", Path.cwd()
    path = Path(source).expanduser()
    data, lines = read_scenario_data(path)
    return data, lines, str(path), path.resolve().parent


def _check_variable(data: Mapping[str, Any], path: str, var: Variable, source: str,
                    base_dir: Path | None) -> str | None:
    if path == "seed" or path == "campaign" or path.startswith("campaign."):
        return (f"variables.{path}: cannot be a design variable (the trade sets the seed "
                "and each candidate's campaign)")
    try:
        resolve_path(data, path)
    except (ValueError, ScenarioError) as err:
        return f"variables.{path}: {err}"
    for value in var.support():
        try:
            scenario_from_dict(apply_overrides(data, {path: value}), source=source,
                               base_dir=base_dir)
        except ScenarioError as err:
            shown = json.dumps(to_jsonable(value)) if isinstance(value, Mapping | list) \
                else repr(value)
            return (f"variables.{path}: {var.kind} reaches {shown}, which is not allowed: "
                    f"{'; '.join(err.problems)}")
    return None


def load_trade(source: str | Path | Mapping[str, Any], *, budget: int | None = None
               ) -> TradeInput:
    """Read and check a trade file (a path, or a mapping whose ``scenario`` is relative to the
    current folder) before any work: the file's fields, the scenario, every variable path and
    the scenario at each variable's bounds or choices, and that the scenario has what each
    figure needs. ``budget`` replaces the file's.

    Raises:
        ScenarioError: every problem, one line each (field, value, what is allowed).
    """
    data, lines, name, base = _read_trade(source)
    if not isinstance(data, Mapping):
        raise ScenarioError(name, ["(top level): a trade file must be a mapping of fields "
                                   "(scenario: ..., variables: ..., objectives: ...)"])
    if budget is not None:
        if not (isinstance(budget, int) and budget >= 1):
            raise ScenarioError(name, [f"--budget = {budget!r}: must be an integer >= 1"])
        data = dict(data) | {"budget": budget}
    try:
        tf = TradeFile.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(name, format_validation_error(exc, data, model=TradeFile,
                                                          lines=lines)) from None
    spath = Path(tf.scenario).expanduser()
    if not spath.is_absolute():
        spath = base / spath
    sdata, slines = read_scenario_data(spath)
    sbase = spath.resolve().parent
    scenario = scenario_from_dict(sdata, base_dir=sbase, source=str(spath), lines=slines)
    sdata = dict(sdata)
    problems: list[str] = []
    camp = sdata.get("campaign")
    if scenario.campaign is not None and any(v.kind == "list" for v in
                                             scenario.campaign.vary.values()):
        sweeps = ", ".join(p for p, v in scenario.campaign.vary.items() if v.kind == "list")
        problems.append(f"scenario {spath.name}: campaign.vary has list sweeps ({sweeps}); a "
                        "trade candidate is one design (make them trade variables instead)")
    for path, var in tf.variables.items():
        problem = _check_variable(sdata, path, var, str(spath), sbase)
        if problem:
            problems.append(problem + _line(lines, ("variables", path)))
    objectives = tuple(Objective(k, v) for k, v in tf.objectives.items())
    constraints = tuple(Constraint.parse(c) for c in tf.constraints)
    has = {"weapons": bool(scenario.weapons),
           "sensors": bool(scenario.sensors.radars or scenario.sensors.space_layers),
           "space_layers": bool(scenario.sensors.space_layers),
           "cost": tf.cost is not None}
    words = {"weapons": "the scenario has no weapons", "sensors": "the scenario has no sensors",
             "space_layers": "the scenario has no space layer",
             "cost": "the trade file has no cost table (cost: ...)"}
    for where, figure in ([(f"objectives.{o.name}", o.name) for o in objectives]
                          + [(f"constraints[{i}]", c.name) for i, c in enumerate(constraints)]):
        need = METRICS[figure].needs
        if need is not None and not has[need]:
            problems.append(f"{where}: {figure} cannot be evaluated: {words[need]}")
    if tf.cost is not None:
        for path in tf.cost.per_unit:
            if path in tf.variables:
                continue
            try:
                _, value = resolve_path(sdata, path)
            except ValueError as err:
                problems.append(f"cost.per_unit.{path}: {err}")
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                problems.append(f"cost.per_unit.{path} = {value!r}: the field must hold a "
                                "number (or be a design variable)")
    if problems:
        raise ScenarioError(name, problems)
    if isinstance(camp, Mapping):
        sdata["campaign"] = dict(camp)
    return TradeInput(tf, sdata, sbase, name, tf.name or scenario.name, objectives,
                      constraints)


def _line(lines: Mapping[tuple[Any, ...], int], key: tuple[Any, ...]) -> str:
    n = lines.get(key)
    return f" (line {n})" if n is not None else ""


# ---------------------------------------------------------------------------------------------
# Evaluating one candidate
# ---------------------------------------------------------------------------------------------


def _candidate_data(inp: TradeInput, values: Mapping[str, Any]) -> dict[str, Any]:
    """The candidate's scenario data: the variables set, and its campaign section (the
    scenario's own random draws, if any, with the trade's runs and seed)."""
    data = apply_overrides({k: v for k, v in inp.scenario_data.items() if k != "campaign"},
                           values, source=inp.source)
    section = {k: v for k, v in dict(inp.scenario_data.get("campaign") or {}).items()
               if k not in ("runs", "seed", "workers")}
    data["campaign"] = section | {"runs": inp.file.runs, "seed": inp.file.seed}
    return json.loads(json.dumps(to_jsonable(data)))   # plain data, no shared objects


def _cost(inp: TradeInput, scenario: Any, data: Mapping[str, Any]) -> float:
    from hdsim.scenario.build import constellation, earth_model

    table = inp.file.cost
    if table is None:
        return math.nan
    earth = earth_model(scenario.earth)
    sats = sum(layer.walker.total if layer.walker is not None
               else len(constellation(layer, earth)) for layer in scenario.sensors.space_layers)
    total = table.fixed + table.satellite * sats + table.radar * len(scenario.sensors.radars)
    for w in scenario.weapons:
        total += table.battery.get(w.type, 0.0) + table.round.get(w.type, 0.0) * w.magazine
    for path, unit_cost in table.per_unit.items():
        _, value = resolve_path(data, path)
        total += unit_cost * float(value or 0.0)
    return float(total)


def _mean(x: np.ndarray) -> float:
    x = x[np.isfinite(x)]
    return float(np.mean(x)) if x.size else math.nan


def _campaign_figures(camp: Any, scenario: Any) -> tuple[dict[str, float],
                                                         dict[str, tuple[float, float]],
                                                         int, int]:
    """The campaign figures of a candidate, from its catalog (rows in a fixed order, so
    the numbers do not depend on the order the draws finished)."""
    runs = camp.sql("SELECT run_id, status FROM runs ORDER BY run_id")
    status = runs["status"].to_pylist()
    n_ok, n_failed = status.count("ok"), len(status) - status.count("ok")
    t = camp.sql("""SELECT t.run_id, t.threat_id, t.outcome, t.shots, t.custody,
                           t.first_fire_control_s, t.flight_time_s
                    FROM threat_outcomes t JOIN runs r USING (run_id) WHERE r.status = 'ok'
                    ORDER BY t.run_id, t.threat_id""")

    def col(name: str) -> np.ndarray:
        return np.array([math.nan if v is None else v for v in t[name].to_pylist()], float)

    outcome = np.array(t["outcome"].to_pylist(), object)
    run_ids = np.array(t["run_id"].to_pylist(), object)
    leaked_runs = set(run_ids[outcome == "leaked"].tolist())
    no_leak = n_ok - len(leaked_runs)
    kills = int(np.sum(outcome == "killed"))
    n_thr = t.num_rows
    launch = {th.id: float(th.launch_time_s) for th in scenario.threats}
    ff = col("first_fire_control_s") - np.array([launch.get(i, 0.0) for i in
                                                 t["threat_id"].to_pylist()], float)
    ff = np.where(np.isfinite(ff), ff, col("flight_time_s"))
    shots = col("shots")
    figures = {
        "p_no_leaker": no_leak / n_ok if n_ok else math.nan,
        "pk": kills / n_thr if n_thr else math.nan,
        "mean_leakers": float(np.sum(outcome == "leaked")) / n_ok if n_ok else math.nan,
        "rounds": float(np.nansum(shots)) / n_ok if n_ok else math.nan,
        "custody": _mean(col("custody")),
        "fire_control_s": _mean(ff),
    }
    if not scenario.weapons:
        for k in ("p_no_leaker", "pk", "mean_leakers", "rounds"):
            figures[k] = math.nan
    lo, hi = wilson_interval([no_leak, kills], [n_ok, n_thr])
    intervals = {"p_no_leaker": (float(lo[0]), float(hi[0])), "pk": (float(lo[1]), float(hi[1]))}
    return figures, intervals, n_ok, n_failed


class _Evaluator:
    """Evaluates candidates into ``DIR/candidates/<cid>/`` (or reads them back)."""

    def __init__(self, inp: TradeInput, out: Path, *, workers: int | None,
                 scheduler: str | None, client: Any,
                 progress: Callable[[int, int], None] | None) -> None:
        self.inp, self.out = inp, out
        self.workers, self.scheduler, self.client = workers, scheduler, client
        self.progress = progress
        self.per_candidate = inp.file.runs if inp.needs("campaign") else 1
        self.total = inp.file.budget * self.per_candidate
        self.done = 0
        self.evaluated = 0          # candidates evaluated (not read back) in this call
        self._in_flight: dict[str, int] = {}
        self._lock = threading.Lock()
        self._plot_lock = threading.Lock()
        self._own: list[Any] = []

    def _client(self) -> Any:
        if self.client is not None:
            return self.client
        k = self.workers if self.workers is not None else (os.cpu_count() or 1)
        if self.scheduler is None and k == 0:
            return None
        import logging as _logging

        from distributed import Client, LocalCluster

        if self.scheduler is not None:
            self.client = Client(self.scheduler)
        else:
            cluster = LocalCluster(n_workers=max(int(k), 1), threads_per_worker=1,
                                   processes=True, dashboard_address=":0",
                                   silence_logs=_logging.ERROR)
            self._own.append(cluster)
            self.client = Client(cluster)
        self._own.insert(0, self.client)
        return self.client

    def close(self) -> None:
        for thing in self._own:
            thing.close()
        self._own.clear()

    def _tick(self, cid: str | None = None, in_flight: int = 0) -> None:
        with self._lock:
            if cid is not None:
                self._in_flight[cid] = in_flight
            value = self.done + sum(self._in_flight.values())
            if self.progress:
                self.progress(min(value, self.total), self.total)

    def _finish(self, cid: str, evaluated: bool) -> None:
        with self._lock:
            self._in_flight.pop(cid, None)
            self.done += self.per_candidate
            self.evaluated += int(evaluated)
        self._tick()

    def __call__(self, batch: list[tuple[str, dict[str, Any]]]) -> list[Evaluation]:
        """The evaluations of a generation's new candidates, in order. On a Dask cluster as
        many candidates as there are workers are evaluated at once (threads of this process
        sharing the client), so one candidate's catalog and plots overlap the others' draws;
        each candidate's figures depend only on its own draws, so the order does not matter."""
        todo = [c for c, _ in batch
                if not (self.out / "candidates" / c / CANDIDATE_FILE).is_file()]
        client = self._client() if todo and self.inp.needs("campaign") else None
        k = 1 if client is None else max(1, len(client.scheduler_info().get("workers", {})))
        if k == 1 or len(todo) <= 1:
            return [self.one(cid, values) for cid, values in batch]
        with ThreadPoolExecutor(max_workers=min(k, len(todo))) as pool:
            return list(pool.map(lambda cv: self.one(*cv), batch))

    def one(self, cid: str, values: Mapping[str, Any]) -> Evaluation:
        """One candidate: read back when ``candidate.json`` exists, else evaluated and
        recorded (the returned evaluation is the one read back from the record)."""
        folder = self.out / "candidates" / cid
        record = folder / CANDIDATE_FILE
        if record.is_file():
            doc = json.loads(record.read_text(encoding="utf-8"))
            self._finish(cid, evaluated=False)
            return Evaluation.from_json(doc["evaluation"])
        ev = self._evaluate(cid, values, folder)
        folder.mkdir(parents=True, exist_ok=True)
        doc = {"cid": cid, "values": to_jsonable(dict(values)), "evaluation": ev.to_json()}
        atomic_write_bytes(record, (json.dumps(doc, indent=2, allow_nan=False) + "\n").encode())
        self._finish(cid, evaluated=True)
        return Evaluation.from_json(json.loads(record.read_text(encoding="utf-8"))["evaluation"])

    def _evaluate(self, cid: str, values: Mapping[str, Any], folder: Path) -> Evaluation:
        inp = self.inp
        data = _candidate_data(inp, values)
        label = f"{inp.source} (candidate {cid})"
        try:
            scenario = scenario_from_dict(data, base_dir=inp.base_dir, source=label)
        except ScenarioError as err:
            return Evaluation({f: math.nan for f in inp.figures}, status="invalid",
                              note="; ".join(err.problems))
        figures: dict[str, float] = {}
        intervals: dict[str, tuple[float, float]] = {}
        runs_ok = runs_failed = None
        if inp.needs("campaign"):
            assert scenario.campaign is not None   # _candidate_data always adds one
            cinp = CampaignInput(data, scenario.campaign, scenario.seed,
                                 label, inp.base_dir)
            client = self._client()
            camp = run_campaign(cinp, folder, workers=0 if client is None else None,
                                client=client, progress=lambda d, _t: self._tick(cid, d))
            figs, intervals, runs_ok, runs_failed = _campaign_figures(camp, scenario)
            figures |= figs
        if inp.needs("coverage"):
            from hdsim.scenario.coverage import run_coverage

            with self._plot_lock:   # its figure is drawn with pyplot: one at a time
                s = run_coverage(scenario, folder / "coverage", quiet=True)
            means = s["area_weighted_mean"]
            figures |= {"coverage": means["fraction_1"], "coverage_min": s["min_fraction_1"],
                        "coverage_2": means["fraction_2"], "max_gap_s": s["worst_max_gap_s"]}
        figures["cost"] = _cost(inp, scenario, data)
        figures = {f: float(figures.get(f, math.nan)) for f in inp.figures}
        undefined = [f for f in figures if not math.isfinite(figures[f])]
        intervals = {k: v for k, v in intervals.items() if k in figures}
        if undefined:
            return Evaluation(figures, intervals, "failed",
                              f"undefined: {', '.join(undefined)} (no successful draw?)",
                              runs_ok, runs_failed)
        return Evaluation(figures, intervals, "ok", None, runs_ok, runs_failed)


# ---------------------------------------------------------------------------------------------
# The trade folder
# ---------------------------------------------------------------------------------------------


def _identity(inp: TradeInput) -> dict[str, Any]:
    file = inp.file.model_dump(mode="json", by_alias=True, exclude={"budget"})
    return to_jsonable({"format": 1, "trade": file, "scenario": inp.scenario_data})


def _prepare_folder(out: Path, identity: dict[str, Any]) -> None:
    plan = out / TRADE_FILE
    text = (json.dumps(identity, indent=2, allow_nan=False) + "\n").encode("utf-8")
    if out.exists():
        if not out.is_dir():
            raise ValueError(f"out = {str(out)!r}: exists and is not a folder")
        if plan.is_file():
            old = json.loads(plan.read_text(encoding="utf-8"))
            if old != json.loads(text):
                raise ValueError(f"out = {str(out)!r}: holds a trade of another trade file or "
                                 "scenario; resuming into it would mix two trades (use another "
                                 "--out; only --budget may change)")
            return
        if any(out.iterdir()):
            raise ValueError(f"out = {str(out)!r}: exists, is not empty and is not an hdsim "
                             f"trade folder (no {TRADE_FILE}); refusing to write into it")
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(plan, text)


def _column(values: list[Any], var: Variable) -> pa.Array:
    if var.kind == "int":
        return pa.array(values, pa.int64())
    if var.kind == "real":
        return pa.array(values, pa.float64())
    choices = list(var.choice or ())
    if all(isinstance(c, int) and not isinstance(c, bool) for c in choices):
        return pa.array(values, pa.int64())
    if all(isinstance(c, int | float) and not isinstance(c, bool) for c in choices):
        return pa.array([float(v) for v in values], pa.float64())
    if all(isinstance(c, str) for c in choices):
        return pa.array(values, pa.string())
    return pa.array([json.dumps(to_jsonable(v), sort_keys=True) for v in values], pa.string())


def _float_array(x: Sequence[float]) -> pa.Array:
    a = np.asarray(x, float)
    return pa.array(a, pa.float64(), mask=~np.isfinite(a))


def trade_table(history: TradeHistory, variables: Mapping[str, Variable],
                figures: Sequence[str]) -> pa.Table:
    """``trade.parquet``: one row per distinct candidate, in order of first appearance."""
    cands = history.candidates
    viol = history.violations()
    cols: dict[str, pa.Array] = {
        "cid": pa.array([c.cid for c in cands], pa.string()),
        "generation": pa.array([c.generation for c in cands], pa.int64()),
        "trial": pa.array([c.trial for c in cands], pa.int64()),
        "status": pa.array([c.evaluation.status for c in cands], pa.string()),
    }
    for path, var in variables.items():
        cols[path] = _column([c.values[path] for c in cands], var)
    for f in figures:
        cols[f] = _float_array([c.evaluation.metrics.get(f, math.nan) for c in cands])
        if METRICS.get(f, Metric("", "cost")).proportion:
            iv = [c.evaluation.intervals.get(f, (math.nan, math.nan)) for c in cands]
            cols[f"{f}_lo"] = _float_array([v[0] for v in iv])
            cols[f"{f}_hi"] = _float_array([v[1] for v in iv])
    cols["runs_ok"] = pa.array([c.evaluation.runs_ok for c in cands], pa.int64())
    cols["runs_failed"] = pa.array([c.evaluation.runs_failed for c in cands], pa.int64())
    cols["violation"] = _float_array(np.where(viol >= INVALID_VIOLATION, np.nan, viol))
    cols["feasible"] = pa.array(viol <= 0.0, pa.bool_())
    cols["pareto"] = pa.array(history.front(), pa.bool_())
    cols["note"] = pa.array([c.evaluation.note for c in cands], pa.string())
    return pa.table(cols)


def convergence_table(history: TradeHistory) -> pa.Table:
    """Per generation: candidates so far, feasible so far, the best value of each objective
    among the feasible ones, and the hypervolume of their front (objectives scaled to [0, 1]
    over every feasible candidate of the trade, reference point 1.1 in each)."""
    f = history.objective_matrix()
    feas = history.feasible()
    gen = np.array([c.generation for c in history.candidates], int)
    lo = np.nanmin(f[feas], axis=0) if feas.any() else np.zeros(f.shape[1])
    hi = np.nanmax(f[feas], axis=0) if feas.any() else np.ones(f.shape[1])
    scale = np.where(hi > lo, hi - lo, 1.0)
    rows: dict[str, list[Any]] = {"generation": [], "candidates": [], "feasible": [],
                                  "hypervolume": []}
    for o in history.objectives:
        rows[f"best_{o.name}"] = []
    for g in range(history.generations):
        upto = gen <= g
        ok = upto & feas
        rows["generation"].append(g)
        rows["candidates"].append(int(upto.sum()))
        rows["feasible"].append(int(ok.sum()))
        pts = (f[ok] - lo) / scale
        rows["hypervolume"].append(hypervolume(pts[non_dominated(pts)], [1.1] * f.shape[1])
                                   if ok.any() else 0.0)
        for k, o in enumerate(history.objectives):
            rows[f"best_{o.name}"].append(float(o.sign * f[ok, k].min()) if ok.any()
                                          else None)
    return pa.table({k: pa.array(v, pa.float64() if k.startswith("best_") or
                                 k == "hypervolume" else pa.int64())
                     for k, v in rows.items()})


def _parquet_bytes(table: pa.Table) -> bytes:
    buf = pa.BufferOutputStream()
    pq.write_table(table, buf)
    return buf.getvalue().to_pybytes()


class _NoAliasDumper(yaml.SafeDumper):
    """YAML without anchors and aliases (the scenario loader refuses them)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _design_yaml(inp: TradeInput, cand: Candidate) -> bytes:
    data = _candidate_data(inp, cand.values)
    for layer in (data.get("sensors") or {}).get("space_layers") or []:   # paths: absolute
        tle = layer.get("tle_file") if isinstance(layer, dict) else None
        if isinstance(tle, str) and not Path(tle).expanduser().is_absolute() and inp.base_dir:
            layer["tle_file"] = str(inp.base_dir / tle)
    figs = ", ".join(f"{k} = {v:.6g}" for k, v in cand.evaluation.metrics.items())
    head = (f"# Design {cand.cid} of the trade {inp.name!r} (generation {cand.generation}): "
            f"a non-dominated feasible design.\n# {figs}\n"
            f"# Run it with `hdsim run FILE --out DIR`, or its campaign with "
            f"`hdsim campaign FILE --out DIR`.\n")
    head = "".join(c if c.isprintable() or c == "\n" else "?" for c in head)
    body = yaml.dump(data, Dumper=_NoAliasDumper, sort_keys=False, allow_unicode=True)
    return (head + body).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Figures and the HTML section
# ---------------------------------------------------------------------------------------------


def _label(inp: TradeInput, name: str) -> str:
    if name == "cost" and inp.file.cost is not None:
        return f"cost, {inp.file.cost.unit} (notional)"
    return METRICS[name].label


def pareto_figure(inp: TradeInput, table: pa.Table) -> Any:
    """Every candidate in each pair of objectives (one objective: against the trial), the
    feasible non-dominated ones highlighted, Wilson 95 % whiskers on proportions."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    names = [o.name for o in inp.objectives]
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1:]][:6] or \
        [("trial", names[0])]
    ncol = min(len(pairs), 3)
    nrow = math.ceil(len(pairs) / ncol)
    fig = Figure(figsize=(5.2 * ncol, 4.4 * nrow), layout="constrained")
    FigureCanvasAgg(fig)
    feas = np.array(table["feasible"].to_pylist(), bool)
    front = np.array(table["pareto"].to_pylist(), bool)
    ok = np.array([s == "ok" for s in table["status"].to_pylist()], bool)

    def vals(name: str) -> np.ndarray:
        return np.array([math.nan if v is None else v for v in table[name].to_pylist()], float)

    def err(name: str, x: np.ndarray, m: np.ndarray) -> np.ndarray | None:
        if name not in METRICS or not METRICS[name].proportion:
            return None
        lo, hi = vals(f"{name}_lo")[m], vals(f"{name}_hi")[m]
        return np.vstack([np.clip(x[m] - lo, 0, None), np.clip(hi - x[m], 0, None)])

    for k, (a, b) in enumerate(pairs):
        ax = fig.add_subplot(nrow, ncol, k + 1)
        x, y = vals(a), vals(b)
        groups = ((ok & ~feas, "infeasible (a constraint not met)", "x", "0.6", 0.5),
                  (feas & ~front, "feasible, dominated", "o", "tab:blue", 0.45),
                  (front, "non-dominated feasible designs", "D", "tab:red", 1.0))
        for m, lab, marker, color, alpha in groups:
            if not m.any():
                continue
            ax.errorbar(x[m], y[m], xerr=err(a, x, m), yerr=err(b, y, m), fmt=marker,
                        color=color, alpha=alpha, ms=6 if marker == "D" else 5, capsize=2,
                        elinewidth=0.8, label=lab)
        if front.sum() > 1 and a != "trial":
            o = np.argsort(x[front], kind="stable")
            ax.plot(x[front][o], y[front][o], "-", color="tab:red", lw=1, alpha=0.7)
        ax.set_xlabel("candidate (trial number)" if a == "trial" else _label(inp, a))
        ax.set_ylabel(_label(inp, b))
        ax.set_title(("Objective by candidate" if a == "trial" else
                      f"{_label(inp, b).split(',')[0]} against {_label(inp, a).split(',')[0]}")
                     + (" (95 % whiskers)" if any(METRICS.get(n, METRICS["cost"]).proportion
                                                  for n in (a, b)) else ""), fontsize=10)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8, loc="best")
    fig.suptitle(f"Trade study {inp.name}\n{table.num_rows} candidates, "
                 f"{int(feas.sum())} feasible, {int(front.sum())} non-dominated", fontsize=11)
    return fig


def convergence_figure(inp: TradeInput, conv: pa.Table) -> Any:
    """Best feasible value of each objective by generation, and (two or more objectives) the
    hypervolume of the feasible front (objectives scaled to [0, 1], reference point 1.1)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    n = len(inp.objectives) + (1 if len(inp.objectives) > 1 else 0)
    fig = Figure(figsize=(4.6 * n, 3.8), layout="constrained")
    FigureCanvasAgg(fig)
    g = np.array(conv["generation"].to_pylist(), float)
    for k, o in enumerate(inp.objectives):
        ax = fig.add_subplot(1, n, k + 1)
        y = np.array([math.nan if v is None else v for v in conv[f"best_{o.name}"].to_pylist()],
                     float)
        ax.plot(g, y, "-o", ms=4, color="tab:blue", label=f"best feasible ({o.direction})")
        ax.set_xlabel("generation")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(_label(inp, o.name))
        ax.set_title(f"Best feasible {_label(inp, o.name).split(',')[0]} by generation",
                     fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    if len(inp.objectives) > 1:
        ax = fig.add_subplot(1, n, n)
        ax.plot(g, conv["hypervolume"].to_pylist(), "-s", ms=4, color="tab:red",
                label="hypervolume of the feasible front")
        ax.set_xlabel("generation")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("hypervolume (scaled objectives)")
        ax.set_title("Hypervolume of the feasible front by generation", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    fig.suptitle(f"Convergence of the trade study {inp.name}")
    return fig


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    return html.escape(str(v))


def trade_html(inp: TradeInput, pareto: pa.Table, info: Mapping[str, Any],
               pngs: Mapping[str, bytes]) -> str:
    """A self-contained HTML section: the front as a table, the figures embedded."""
    cols = ["cid", *inp.file.variables, *[c for c in pareto.column_names
                                          if c in inp.figures or c.endswith(("_lo", "_hi"))]]
    cols = [c for c in dict.fromkeys(cols) if c in pareto.column_names]
    head = "".join(f"<th style='padding:2px 6px;text-align:left'>{html.escape(c)}</th>"
                   for c in cols)
    body = "".join("<tr>" + "".join(f"<td style='padding:2px 6px'>{_cell(r[c])}</td>"
                                    for c in cols) + "</tr>" for r in pareto.to_pylist())
    objs = ", ".join(f"{o.direction} {html.escape(o.name)}" for o in inp.objectives)
    cons = ", ".join(html.escape(str(c)) for c in inp.constraints) or "none"
    imgs = "".join(
        f"<figure style='margin:8px 0'><img alt='{html.escape(n)}' style='max-width:100%' "
        f"src='data:image/png;base64,{base64.b64encode(b).decode('ascii')}'></figure>"
        for n, b in pngs.items())
    return (f"<section class='hdsim-trade'>\n<h2>Trade study: {html.escape(inp.name)}</h2>\n"
            f"<p>{info['candidates']} candidates evaluated ({info['feasible']} feasible) over "
            f"{info['generations']} generations, {inp.file.runs} runs each; objectives: {objs}; "
            f"constraints: {cons}. Stopped: {html.escape(info['stopped'])}.</p>\n"
            f"<h3>Non-dominated feasible designs ({pareto.num_rows})</h3>\n"
            f"<div style='max-width:100%;overflow-x:auto'><table style='border-collapse:"
            f"collapse;font-size:90%'><thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
            f"</table></div>\n{imgs}\n</section>\n")


# ---------------------------------------------------------------------------------------------
# Running a trade
# ---------------------------------------------------------------------------------------------


@dataclass
class Trade:
    """A trade folder's tables and what this call did."""

    out_dir: Path
    table: pa.Table
    pareto: pa.Table
    convergence: pa.Table
    history: TradeHistory
    info: dict[str, Any]

    def __repr__(self) -> str:
        return (f"<hdsim Trade {self.out_dir.name}: {self.table.num_rows} candidates, "
                f"{self.pareto.num_rows} non-dominated>")


def run_trade(
    source: str | Path | Mapping[str, Any] | TradeInput,
    out: str | Path,
    *,
    budget: int | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
    progress: Callable[[int, int], None] | None = None,
    plots: bool = True,
) -> Trade:
    """Run (or resume) a trade study into the folder ``out`` (see the module doc).

    Args:
        source: the trade file (path, mapping, or :func:`load_trade`'s result).
        out: the trade folder.
        budget: distinct candidates to evaluate (replaces the file's; a larger one extends
            a finished trade).
        workers: worker processes of the local Dask cluster (default: the CPUs; 0: every
            draw in this process). One cluster serves every candidate's campaign.
        scheduler: address of a running Dask scheduler (``tcp://host:8786``).
        client: a ``distributed.Client`` to use (left open).
        progress: called with (draws done, draws of the whole budget) as candidates finish
            (a coverage-only candidate counts as one).
        plots: write ``pareto.png``, ``convergence.png`` and ``trade.html``.

    Raises:
        ScenarioError: a bad trade file (before any work).
        ValueError: ``out`` holds something else.
    """
    t0 = time.perf_counter()
    inp = source if isinstance(source, TradeInput) else load_trade(source, budget=budget)
    if isinstance(source, TradeInput) and budget is not None:
        inp = TradeInput(inp.file.model_copy(update={"budget": int(budget)}), inp.scenario_data,
                         inp.base_dir, inp.source, inp.name, inp.objectives, inp.constraints)
    out_dir = Path(out).expanduser().absolute()
    _prepare_folder(out_dir, _identity(inp))
    (out_dir / "candidates").mkdir(exist_ok=True)
    evaluator = _Evaluator(inp, out_dir, workers=workers, scheduler=scheduler, client=client,
                           progress=progress)
    try:
        history = optimise(inp.file.variables, inp.objectives, inp.constraints, evaluator,
                           budget=inp.file.budget, seed=inp.file.seed,
                           settings=inp.file.optimizer)
    finally:
        evaluator.close()
    table = trade_table(history, inp.file.variables, inp.figures)
    front = np.array(table["pareto"].to_pylist(), bool)
    pareto = table.filter(pa.array(front))
    if pareto.num_rows:
        first = inp.objectives[0]
        key = np.array(pareto[first.name].to_pylist(), float) * first.sign
        pareto = pareto.take(pa.array(np.argsort(key, kind="stable")))
    conv = convergence_table(history)
    atomic_write_bytes(out_dir / "trade.parquet", _parquet_bytes(table))
    atomic_write_bytes(out_dir / "pareto.parquet", _parquet_bytes(pareto))
    atomic_write_bytes(out_dir / "convergence.parquet", _parquet_bytes(conv))
    designs = out_dir / "designs"
    designs.mkdir(exist_ok=True)
    front_ids = set(pareto["cid"].to_pylist())
    for p in designs.glob("*.yaml"):            # a larger budget can move the front
        if p.stem not in front_ids:
            p.unlink()
    by_id = {c.cid: c for c in history.candidates}
    for cid in pareto["cid"].to_pylist():
        atomic_write_bytes(designs / f"{cid}.yaml", _design_yaml(inp, by_id[cid]))
    info = {"name": inp.name, "candidates": table.num_rows,
            "feasible": int(sum(table["feasible"].to_pylist())), "pareto": pareto.num_rows,
            "generations": history.generations, "trials": len(history.trials),
            "budget": inp.file.budget, "stopped": history.stopped,
            "evaluated_now": evaluator.evaluated, "objectives":
            {o.name: o.direction for o in inp.objectives},
            "constraints": [str(c) for c in inp.constraints],
            "front": pareto["cid"].to_pylist(), "wall_s": time.perf_counter() - t0}
    if plots:
        from hdsim.viz.plots import png_bytes

        pngs = {"pareto.png": png_bytes(pareto_figure(inp, table)),
                "convergence.png": png_bytes(convergence_figure(inp, conv))}
        for n, b in pngs.items():
            atomic_write_bytes(out_dir / n, b)
        atomic_write_bytes(out_dir / "trade.html",
                           trade_html(inp, pareto, info, pngs).encode("utf-8"))
    atomic_write_bytes(out_dir / "summary.json",
                       (json.dumps(to_jsonable(info), indent=2) + "\n").encode("utf-8"))
    return Trade(out_dir, table, pareto, conv, history, info)
