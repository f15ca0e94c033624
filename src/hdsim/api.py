"""The public Python API: load a scenario, run it, read the results back.

    import hdsim

    scenario = hdsim.load_scenario("scenarios/hgv_defense.yaml")
    res = hdsim.run(scenario, seed=3,
                    overrides={"weapons.railgun-1.muzzle_speed_mps": 2500})
    res.summary["engagement"]          # {'shots': ..., 'kills': ..., 'leakers': ...}
    res["tracks"].to_pandas()          # every table is a pyarrow.Table
    res.figures()["ground_track"]      # matplotlib figures
    again = hdsim.load_results("out/hgv")   # a result folder written by `hdsim run`

This module sits at the top of the layering, beside the command line: it may use every package.
"""

from __future__ import annotations

import html
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from hdsim.results import read_run, read_summary
from hdsim.scenario.config import Scenario
from hdsim.scenario.loading import read_scenario_data, scenario_from_dict
from hdsim.scenario.overrides import apply_overrides

__all__ = ["Results", "load_results", "load_scenario", "run", "with_overrides"]

ScenarioLike = Scenario | str | Path | Mapping[str, Any]


def load_scenario(source: str | Path | Mapping[str, Any], *,
                  overrides: Mapping[str, Any] | None = None) -> Scenario:
    """A validated scenario from a YAML file or a mapping of fields.

    Args:
        source: a path to a scenario YAML file, or its content as a mapping.
        overrides: dotted paths with list items by id and their values, e.g.
            ``{"threats.hgv-1.burnout.speed_mps": 5200}``; applied before validation, so a bad
            path or value is reported like an error in the file.

    Raises:
        hdsim.scenario.ScenarioError: every problem, one line each (path, value, what is
            allowed, YAML line when there is one).
    """
    if isinstance(source, Mapping):
        data, lines, base_dir, name = dict(source), None, None, "<scenario>"
    else:
        path = Path(source).expanduser()
        data, lines = read_scenario_data(path)
        base_dir, name = path.resolve().parent, str(path)
    if overrides:
        if not isinstance(data, Mapping):
            return scenario_from_dict(data, source=name)  # reports the non-mapping
        data = apply_overrides(data, overrides, source=name)
    return scenario_from_dict(data, base_dir=base_dir, source=name, lines=lines)


def with_overrides(scenario: Scenario, overrides: Mapping[str, Any]) -> Scenario:
    """``scenario`` with dotted-path ``overrides`` applied and validated again."""
    data = scenario.model_dump(mode="python", exclude_unset=True)
    return scenario_from_dict(apply_overrides(data, overrides))


def run(scenario: ScenarioLike, *, seed: int | None = None,
        overrides: Mapping[str, Any] | None = None, out: str | Path | None = None,
        progress: bool = False) -> Results:
    """Run a scenario end to end, as ``hdsim run`` does.

    Args:
        scenario: a :class:`~hdsim.scenario.config.Scenario`, a YAML path, or a mapping.
        seed: replaces the scenario's seed (all randomness derives from it).
        overrides: dotted paths and values applied before validation (see
            :func:`load_scenario`).
        out: result folder to write atomically; ``None`` keeps everything in memory.
        progress: show progress bars in the terminal.
    """
    from hdsim.scenario.run import run_scenario

    extra = dict(overrides or {})
    if seed is not None:
        extra["seed"] = seed
    if isinstance(scenario, Scenario):
        sc = with_overrides(scenario, extra) if extra else scenario
    else:
        sc = load_scenario(scenario, overrides=extra)
    result = run_scenario(sc, out, quiet=not progress)
    return Results(tables=result.tables, summary=result.summary, out_dir=result.out_dir)


def load_results(out_dir: str | Path) -> Results:
    """The results of a finished result folder (written by ``hdsim run`` or :func:`run`)."""
    path = Path(out_dir).expanduser()
    return Results(tables=read_run(path), summary=read_summary(path), out_dir=path.absolute())


@dataclass(frozen=True, repr=False)
class Results:
    """One run's results: the tables (``pyarrow.Table``), the summary, and figures.

    ``res["tracks"]`` is a table; ``res.to_pandas("tracks")`` a DataFrame (needs pandas:
    ``pip install 'hdsim[pandas]'``); ``res.summary`` the content of ``summary.json``;
    ``res.figures()`` the run's matplotlib figures by name.
    """

    tables: Mapping[str, pa.Table]
    summary: Mapping[str, Any] = field(default_factory=dict)
    out_dir: Path | None = None

    def __getitem__(self, name: str) -> pa.Table:
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(f"no table {name!r}; this run has: {', '.join(self.tables)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __contains__(self, name: object) -> bool:
        return name in self.tables

    @property
    def name(self) -> str:
        """The scenario's name."""
        return str(self.summary.get("scenario", "run"))

    @property
    def threats(self) -> list[dict[str, Any]]:
        """Per-threat summary rows (flight, detection, tracking and engagement figures)."""
        return list(self.summary.get("threats", []))

    def to_pandas(self, name: str):
        """Table ``name`` as a pandas DataFrame."""
        try:
            import pandas  # noqa: F401
        except ImportError:
            raise ImportError("to_pandas needs pandas: pip install 'hdsim[pandas]'") from None
        return self[name].to_pandas()

    def figures(self) -> dict[str, Any]:
        """The run's figures (matplotlib ``Figure`` by name), as in the HTML report."""
        from hdsim.viz.plots import RunData, figures

        return figures(RunData(tables=dict(self.tables), summary=dict(self.summary)))

    def headline(self) -> str:
        """One line: threats, and with weapons kills, leakers and shots."""
        n = len(self.threats)
        eng = self.summary.get("engagement")
        if eng:
            return (f"{eng['kills']} of {n} threats killed, {eng['leakers']} leaked, "
                    f"{eng['shots']} shots")
        return f"{n} threat{'s' if n != 1 else ''}, no weapons"

    def __repr__(self) -> str:
        tables = ", ".join(f"{k}[{t.num_rows}]" for k, t in self.tables.items())
        where = f", out_dir={str(self.out_dir)!r}" if self.out_dir else ", in memory"
        return f"<Results {self.name!r}: {self.headline()}; tables {tables}{where}>"

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><td><code>{html.escape(k)}</code></td><td>{t.num_rows:,}</td>"
                       f"<td>{t.num_columns}</td></tr>" for k, t in self.tables.items())
        where = html.escape(str(self.out_dir)) if self.out_dir else "in memory"
        return (f"<div><b>{html.escape(self.name)}</b>: {html.escape(self.headline())} "
                f"<small>({where})</small><table><tr><th>table</th><th>rows</th>"
                f"<th>columns</th></tr>{rows}</table></div>")
