"""A campaign's draws: which runs exist, their seeds and varied values, checked before any runs.

The plan is a pure function of the scenario and its ``campaign:`` section, so it is the same on
every machine, whatever the number of workers, and on a resume:

* the grid is the product of the ``list`` sweeps (paths sorted), grid point ``g`` in row-major
  order; each grid point gets ``runs`` draws ``r = 0 … runs − 1``; the run id is
  ``g{g:04d}-r{r:06d}``;
* draw ``r``'s scenario seed is ``SeedSequence(campaign_seed, spawn_key=(r, 0))``'s first 63
  bits, and so every per-run stream of the seed tree (sensor noise, detections, kill draws)
  follows from it;
* each random varied field ``p`` is drawn from its own generator
  ``SeedSequence(campaign_seed, spawn_key=(r, 1, *id_words(p)))``: adding a varied field
  leaves the draws of the others as they were;
* neither depends on the grid point: draw ``r`` of every grid point of a sweep sees the same
  noise, kill draws and varied values (common random numbers), so the difference between two
  swept values is the effect of the value, not of different luck.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hdsim.scenario.build import id_words
from hdsim.scenario.config import CampaignSection, Scenario, VarySpec
from hdsim.scenario.loading import ScenarioError, scenario_from_dict
from hdsim.scenario.overrides import apply_overrides, resolve_path

__all__ = ["NORMAL_CHECK_SD", "Draw", "check_vary", "draw_scenario", "plan_draws"]

NORMAL_CHECK_SD = 4.0
"""A ``normal`` distribution's support is checked at ``mean ± 4 sd`` (a draw outside the field's
allowed range is then rarer than 6e-5; such a draw would fail alone and be recorded)."""


@dataclass(frozen=True)
class Draw:
    """One run of a campaign: its id, grid point, draw index, scenario seed, varied values."""

    run_id: str
    grid_point: int
    draw: int
    seed: int
    values: dict[str, Any]

    def overrides(self) -> dict[str, Any]:
        """The dotted-path overrides of this run (varied values and the seed)."""
        return {**self.values, "seed": self.seed}


def _grid(vary: Mapping[str, VarySpec]) -> list[dict[str, Any]]:
    sweeps = sorted((p, v.list) for p, v in vary.items() if v.kind == "list")
    if not sweeps:
        return [{}]
    paths = [p for p, _ in sweeps]
    return [dict(zip(paths, combo, strict=True))
            for combo in itertools.product(*(vals for _, vals in sweeps))]


def _sample(spec: VarySpec, rng: np.random.Generator) -> Any:
    if spec.kind == "normal":
        return float(rng.normal(spec.normal.mean, spec.normal.sd))
    if spec.kind == "uniform":
        return float(rng.uniform(spec.uniform.low, spec.uniform.high))
    return spec.choice[int(rng.integers(len(spec.choice)))]


def plan_draws(section: CampaignSection, scenario_seed: int, runs: int | None = None
               ) -> list[Draw]:
    """Every draw of the campaign, grid point by grid point (see the module doc)."""
    seed = section.seed if section.seed is not None else scenario_seed
    n = section.runs if runs is None else runs
    random_paths = sorted(p for p, v in section.vary.items() if v.kind != "list")
    out = []
    for g, point in enumerate(_grid(section.vary)):
        for r in range(n):
            run_seed = int(np.random.SeedSequence(seed, spawn_key=(r, 0))
                           .generate_state(1, np.uint64)[0] >> np.uint64(1))
            values = dict(point)
            for p in random_paths:
                rng = np.random.default_rng(
                    np.random.SeedSequence(seed, spawn_key=(r, 1, *id_words(p))))
                values[p] = _sample(section.vary[p], rng)
            out.append(Draw(f"g{g:04d}-r{r:06d}", g, r, run_seed, values))
    return out


def _support(spec: VarySpec) -> list[Any]:
    if spec.kind == "normal":
        m, s = spec.normal.mean, spec.normal.sd
        return [m - NORMAL_CHECK_SD * s, m, m + NORMAL_CHECK_SD * s]
    if spec.kind == "uniform":
        return [spec.uniform.low, spec.uniform.high]
    return list(spec.choice if spec.kind == "choice" else spec.list)


def check_vary(data: Mapping[str, Any], section: CampaignSection, source: str = "<campaign>",
               base_dir: Path | None = None) -> None:
    """Refuse, before anything runs, a ``vary`` path that does not exist in the scenario or a
    distribution whose support leaves the field's allowed range.

    Raises:
        ScenarioError: one line per problem, naming ``campaign.vary.<path>``.
    """
    problems = []
    for path, spec in section.vary.items():
        if path == "seed" or path.startswith("campaign"):
            problems.append(f"campaign.vary.{path}: cannot be varied (the campaign sets "
                            "every run's seed)")
            continue
        try:
            resolve_path(data, path)
        except (ValueError, ScenarioError) as err:
            problems.append(f"campaign.vary.{path}: {err}")
            continue
        for value in _support(spec):
            try:
                scenario_from_dict(apply_overrides(data, {path: value}), source=source,
                                   base_dir=base_dir)
            except ScenarioError as err:
                why = "; ".join(err.problems)
                problems.append(f"campaign.vary.{path}: {spec.kind} reaches {value!r}, which "
                                f"is not allowed: {why}")
                break
    if problems:
        raise ScenarioError(source, problems)


def draw_scenario(data: Mapping[str, Any], draw: Draw, source: str = "<campaign>",
                  base_dir: Path | None = None) -> Scenario:
    """The validated scenario of one draw (the base data with the draw's overrides)."""
    return scenario_from_dict(apply_overrides(data, draw.overrides()), source=source,
                              base_dir=base_dir)
