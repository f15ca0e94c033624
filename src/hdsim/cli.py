"""The ``hdsim`` command line (typer).

Commands: ``validate FILE``, ``run FILE --out DIR``, ``coverage FILE --out DIR``,
``nees FILE --out DIR``, ``campaign FILE --out DIR`` and ``campaign summary DIR``,
``footprint FILE --weapon ID --threat ID --out DIR``, ``report RUN_DIR [--out FILE]``,
``version``.
A bad scenario or any ``ValueError`` at the edge prints a red message on stderr and exits with
code 2, without a traceback. The heavy packages (the run loop, coverage) are imported inside the
commands, so ``hdsim validate`` and ``hdsim --help`` start fast.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.text import Text

from hdsim.scenario.config import Scenario
from hdsim.scenario.loading import load_scenario

EXIT_BAD_INPUT = 2
"""Exit code for a bad scenario file or bad arguments (as click's usage errors)."""

EXIT_UNAVAILABLE = 1
"""Exit code when a command's implementation is not installed/available."""

app = typer.Typer(
    name="hdsim",
    help="Simulate a layered defense against hypersonic threats.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

FileArg = Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)]
OutOpt = Annotated[
    Path,
    typer.Option("--out", "-o", help="Result folder (replaced atomically).", show_default=False),
]


def _installed_version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("hdsim")
    except PackageNotFoundError:  # running from a source tree without installing
        return "unknown"


def _version_option(value: bool) -> None:
    if value:
        _out_console().print(Text(f"hdsim {_installed_version()}"))
        raise typer.Exit()


@app.callback()
def _main(
    version_flag: Annotated[bool, typer.Option(
        "--version", "-V", help="Print the installed version and exit.", is_eager=True,
        callback=_version_option)] = False,
) -> None:
    """Simulate a layered defense against hypersonic threats."""


def _err_console() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _out_console() -> Console:
    return Console(highlight=False, soft_wrap=True)


WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", "-w", min=0, help="Worker processes of the local Dask cluster (default: the "
    "CPUs; 0: run in this process).", show_default=False)]
SchedulerOpt = Annotated[str | None, typer.Option(
    "--scheduler", help="Address of a running Dask scheduler, e.g. tcp://host:8786.",
    show_default=False)]


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> typer.Exit:
    """Print ``message`` in red on stderr; return the ``typer.Exit`` to raise.

    Each line of the message is printed with its control characters escaped (``\\x1b``,
    ``\\t``: :func:`~hdsim.scenario.loading.escape_controls`), so that a file name, a path or a
    value quoted in it never sends a terminal escape sequence or a line break of its own."""
    from hdsim.scenario.loading import escape_controls

    safe = "\n".join(escape_controls(line) for line in str(message).split("\n"))
    _err_console().print(Text(safe, style="bold red"))
    return typer.Exit(code=code)


def _load(path: Path) -> Scenario:
    try:
        return load_scenario(path)
    except ValueError as exc:  # ScenarioError is a ValueError
        raise _fail(str(exc)) from None


def _entry_point(module: str, function: str, command: str) -> Callable[..., Any]:
    """Import ``module.function`` on demand; a clear exit if it is not available."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name is not None and module.startswith(exc.name):
            raise _fail(
                f"hdsim {command} is not available in this installation "
                f"({module} is missing).",
                EXIT_UNAVAILABLE,
            ) from None
        raise
    func = getattr(mod, function, None)
    if func is None:
        raise _fail(
            f"hdsim {command} is not available in this installation "
            f"({module}.{function} is missing).",
            EXIT_UNAVAILABLE,
        )
    return func


def _summary_line(scenario: Scenario) -> str:
    def n(count: int, word: str) -> str:
        return f"{count} {word}{'' if count == 1 else 's'}"

    s = scenario.sensors
    return ", ".join(
        [
            n(len(scenario.threats), "threat"),
            n(len(s.space_layers), "space layer"),
            n(len(s.radars), "radar"),
            n(len(scenario.weapons), "weapon"),
            n(len(scenario.defended_assets), "defended asset"),
        ]
    )


@app.command()
def validate(file: FileArg) -> None:
    """Check a scenario file; list every problem (exit code 2) or print a one-line summary."""
    scenario = _load(file)
    _out_console().print(Text(f"OK: {scenario.name}: {_summary_line(scenario)}"))


@app.command()
def run(
    file: FileArg,
    out: OutOpt,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Run a scenario end to end and write its result folder (Parquet tables, summary.json)."""
    scenario = _load(file)
    run_scenario = _entry_point("hdsim.scenario.run", "run_scenario", "run")
    try:
        result = run_scenario(scenario, out, quiet=quiet)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    if not quiet:
        from hdsim.viz.console import print_run

        console = _out_console()
        print_run(result.summary, console)
        console.print(Text(f"Results of {scenario.name} written to {out}"))


@app.command()
def coverage(file: FileArg, out: OutOpt) -> None:
    """Map the geometric coverage of the scenario's space layers (coverage.parquet)."""
    scenario = _load(file)
    run_coverage = _entry_point("hdsim.scenario.coverage", "run_coverage", "coverage")
    try:
        run_coverage(scenario, out)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    _out_console().print(Text(f"Coverage of {scenario.name} written to {out}"))


@app.command()
def nees(
    file: FileArg,
    out: OutOpt,
    runs: Annotated[int, typer.Option("--runs", "-n", min=1,
                                      help="Monte Carlo runs of the sensors.")] = 10,
    jobs: Annotated[int, typer.Option("--jobs", "-j", min=1, help="Worker processes.")] = 1,
) -> None:
    """Check the tracker's consistency: NEES over Monte Carlo runs of the sensor noise, per
    threat, against its chi-square interval (nees.parquet, nees_series.parquet, nees.png)."""
    scenario = _load(file)
    nees_runs = _entry_point("hdsim.campaign.nees", "nees_runs", "nees")
    from rich.progress import Progress
    from rich.table import Table

    from hdsim.results import check_out_dir, write_run
    from hdsim.viz.plots import nees_timeline, png_bytes

    try:
        out = check_out_dir(out)  # before any work
        with Progress(transient=True) as bar:
            task = bar.add_task(f"{runs} runs", total=1.0)
            nr = nees_runs(scenario, runs=runs, jobs=jobs,
                           progress=lambda f: bar.update(task, completed=f))
    except ValueError as exc:
        raise _fail(str(exc)) from None
    test, pooled, frac = nr.test(), nr.pooled(), nr.fraction_inside()
    rows = [{"threat_id": tid, "mean_nees": float(test.average[k]),
             "inside": bool(test.inside[k]), "fraction_of_seconds_inside": float(frac[k]),
             "rmse_pos_m": float(np.nanmean(nr.rmse_pos_m[:, k]))}
            for k, tid in enumerate(nr.threat_ids)]
    summary = {"scenario": scenario.name, "runs": runs, "seeds": nr.seeds.tolist(),
               "interval": [test.lower, test.upper], "threats": rows,
               "pooled": {"mean_nees": float(pooled.average), "interval":
                          [pooled.lower, pooled.upper], "inside": bool(pooled.inside)}}
    fig = nees_timeline(nr)
    try:
        write_run(out, {"nees": nr.to_arrow(), "nees_series": nr.series_arrow()}, summary,
                  extra_files={"nees.png": png_bytes(fig)})
    except (ValueError, OSError) as exc:
        raise _fail(str(exc)) from None
    table = Table(title=f"NEES over {runs} runs (expected 6; 95 % interval "
                        f"[{test.lower:.2f}, {test.upper:.2f}])")
    for col in ("threat", "mean NEES", "verdict", "seconds inside %", "RMSE pos m"):
        table.add_column(col, justify="left" if col == "threat" else "right")
    for r in rows:
        table.add_row(r["threat_id"], f"{r['mean_nees']:.2f}",
                      "consistent" if r["inside"] else "INCONSISTENT",
                      f"{100 * r['fraction_of_seconds_inside']:.0f}", f"{r['rmse_pos_m']:.0f}")
    console = _out_console()
    console.print(table)
    console.print(Text(f"All threats: {pooled.average:.2f} in [{pooled.lower:.2f}, "
                       f"{pooled.upper:.2f}]: {'consistent' if pooled.inside else 'INCONSISTENT'}"
                       f". Written to {out}"))


@contextmanager
def _draws_bar(quiet: bool) -> Iterator[Callable[[int, int], None]]:
    """A progress bar of draws on stderr (draws done of draws to run, elapsed, ETA); yields the
    ``progress(done, total)`` callback of the campaign runners."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
    with Progress(*columns, transient=True, disable=quiet, console=_err_console()) as bar:
        task = bar.add_task("draws", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _parse_sets(sets: list[str] | None) -> dict[str, Any]:
    """``PATH=VALUE`` pairs of ``--set``; values read as YAML by the scenario file's rules
    (``2500`` is a number, ``010`` is refused)."""
    from hdsim.scenario.loading import parse_yaml_value

    out: dict[str, Any] = {}
    for item in sets or []:
        path, sep, value = item.partition("=")
        if not sep or not path.strip():
            raise _fail(f"--set {item!r}: expected PATH=VALUE, e.g. "
                        "weapons.railgun-1.muzzle_speed_mps=2500")
        try:
            out[path.strip()] = parse_yaml_value(value, f"--set {path.strip()}")
        except ValueError as exc:
            raise _fail(str(exc)) from None
    return out


@app.command()
def campaign(
    file: Annotated[str, typer.Argument(
        help="Campaign file (a scenario with a `campaign:` section, or `scenario: PATH` plus "
        "the section's fields); or the word `summary` followed by a campaign folder.",
        show_default=False, metavar="FILE")],
    folder: Annotated[Path | None, typer.Argument(
        help="With `summary`: the campaign folder.", show_default=False, metavar="[DIR]")] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Campaign folder (created, or resumed: finished draws are kept).",
        show_default=False)] = None,
    runs: Annotated[int | None, typer.Option(
        "--runs", "-n", min=1, help="Draws per grid point (replaces the file's).",
        show_default=False)] = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    sets: Annotated[list[str] | None, typer.Option(
        "--set", help="PATH=VALUE: set a scenario field before validation (repeatable).",
        show_default=False)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Monte Carlo draws and sweeps of a scenario on a Dask cluster (local by default); writes
    runs/, catalog.duckdb, summary tables and plots. `hdsim campaign summary DIR` prints a
    finished or interrupted campaign's summary again."""
    from hdsim.viz.console import print_campaign

    console = _out_console()
    if file == "summary":
        if folder is None:
            raise _fail("hdsim campaign summary DIR: give the campaign folder")
        open_campaign = _entry_point("hdsim.campaign.runner", "open_campaign", "campaign")
        try:
            result = open_campaign(folder)
        except ValueError as exc:
            raise _fail(str(exc)) from None
        print_campaign(result, console)
        return
    if folder is not None:
        raise _fail(f"unexpected argument {str(folder)!r} (the folder goes in --out)")
    if out is None:
        raise _fail("hdsim campaign FILE: give --out DIR")
    mod = _entry_point("hdsim.campaign.runner", "run_campaign", "campaign")
    load_campaign = _entry_point("hdsim.campaign.runner", "load_campaign", "campaign")
    try:
        inp = load_campaign(Path(file), overrides=_parse_sets(sets), runs=runs)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    try:
        with _draws_bar(quiet) as progress:
            result = mod(inp, out, workers=workers, scheduler=scheduler, progress=progress)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    if not quiet:
        print_campaign(result, console)
    console.print(Text(f"Campaign written to {out}"))


@app.command()
def footprint(
    file: FileArg,
    weapon: Annotated[str, typer.Option("--weapon", help="Id of the weapon whose footprint "
                                        "is drawn (the other weapons are left out).",
                                        show_default=False)],
    threat: Annotated[str, typer.Option("--threat", help="Id of the threat aimed at the grid "
                                        "(the other threats are left out).",
                                        show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Footprint folder (a campaign "
                                      "folder: created, or resumed).", show_default=False)],
    radius_km: Annotated[float, typer.Option(
        "--radius-km", help="Half-width of the square grid of aim points around the defended "
        "asset, km.")] = 100.0,
    step_km: Annotated[float, typer.Option("--step-km", help="Grid spacing, km.")] = 25.0,
    runs: Annotated[int, typer.Option("--runs", "-n", min=1,
                                      help="Runs (seeds) per aim point.")] = 10,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    sets: Annotated[list[str] | None, typer.Option(
        "--set", help="PATH=VALUE: set a scenario field before validation (repeatable).",
        show_default=False)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Defended footprint: aim one threat at a grid of points around the defended asset, fly
    the whole chain RUNS times per point, and map where WEAPON stops it (footprint.parquet,
    footprint.png, envelope.png)."""
    mod = _entry_point("hdsim.campaign.footprint", "run_footprint", "footprint")
    kw = {"weapon_id": weapon, "threat_id": threat, "radius_km": radius_km,
          "step_km": step_km, "runs": runs}
    try:
        with _draws_bar(quiet) as progress:
            table, info = mod(file, out, **kw, workers=workers, scheduler=scheduler,
                              overrides=_parse_sets(sets), progress=progress)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    pk = table["pk"].to_pylist()
    n_pk = sum(p >= 0.5 for p in pk if p == p)
    console = _out_console()
    console.print(Text(
        f"{weapon} against {threat}: {info['cells']} aim points x {runs} runs; Pk >= 0.5 at "
        f"{n_pk} of {info['cells']} (mean Pk {info['pk_mean']:.2f}); rounds per run "
        f"{np.nanmean(table['rounds_mean'].to_numpy(zero_copy_only=False)):.1f}"))
    console.print(Text(f"Footprint written to {out}"))


@app.command()
def trade(
    file: Annotated[Path, typer.Argument(help="Trade file (YAML: scenario, runs, seed, "
                                         "variables, objectives, constraints, cost, budget).",
                                         show_default=False, metavar="FILE")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Trade folder (created, or resumed: "
                                      "finished candidates are read back).",
                                      show_default=False)],
    budget: Annotated[int | None, typer.Option(
        "--budget", "-b", min=1, help="Distinct candidates to evaluate (replaces the file's; "
        "a larger one extends a trade).", show_default=False)] = None,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")] = False,
) -> None:
    """Architecture trade study: NSGA-II over design variables, each candidate a campaign;
    writes trade.parquet, pareto.parquet, pareto.png, convergence.png, trade.html and the
    non-dominated designs as scenario files (designs/)."""
    load_trade = _entry_point("hdsim.campaign.trade", "load_trade", "trade")
    run_trade = _entry_point("hdsim.campaign.trade", "run_trade", "trade")
    try:
        inp = load_trade(file, budget=budget)
    except ValueError as exc:
        raise _fail(" ".join(str(exc).split())) from None
    try:
        with _draws_bar(quiet) as progress:
            result = run_trade(inp, out, workers=workers, scheduler=scheduler,
                               progress=progress)
    except ValueError as exc:
        raise _fail(" ".join(str(exc).split())) from None
    info = result.info
    console = _out_console()
    if not quiet:
        from rich.table import Table

        names = [*inp.file.variables, *inp.figures]
        table = Table(title=f"Non-dominated feasible designs of {info['name']} "
                            f"({info['pareto']} of {info['candidates']} candidates)")
        table.add_column("design")
        for n in names:
            table.add_column(n, justify="right")
        for row in result.pareto.to_pylist():
            cells = [row["cid"]]
            for n in names:
                v = row[n]
                cells.append(f"{v:.4g}" if isinstance(v, float) else str(v))
            table.add_row(*cells)
        console.print(table)
    console.print(Text(
        f"{info['candidates']} candidates ({info['evaluated_now']} evaluated now, "
        f"{info['feasible']} feasible), {info['pareto']} non-dominated; stopped: "
        f"{info['stopped']}. Trade written to {out}"))


@app.command()
def report(
    run_dir: Annotated[
        Path,
        typer.Argument(help="Result folder written by `hdsim run`, `hdsim coverage` or "
                       "`hdsim nees`.", metavar="RUN_DIR", show_default=False),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="HTML file to write (default: RUN_DIR/report.html).",
                     show_default=False),
    ] = None,
) -> None:
    """Write a self-contained HTML report of a result folder: for a run the outcome, the kill
    chain, tables and plots; for a coverage or NEES folder its figures and tables. Any other
    folder: a one-line message and exit code 2."""
    write_report = _entry_point("hdsim.viz.report", "write_report", "report")
    try:
        path = write_report(run_dir, out)
    except (ValueError, OSError) as exc:
        raise _fail(" ".join(str(exc).split())) from None
    _out_console().print(Text(str(path)))


@app.command()
def view(
    run_dir: Annotated[
        Path,
        typer.Argument(help="Result folder written by `hdsim run`.", metavar="DIR",
                       show_default=False),
    ],
    export: Annotated[bool, typer.Option(
        "--export", help="Only write DIR/scene.czml (CZML, for any Cesium or STK client) and "
        "exit.")] = False,
    port: Annotated[int, typer.Option(
        "--port", "-p", min=0, max=65535, help="Port on 127.0.0.1 (0: a free port).")] = 0,
    browser: Annotated[bool, typer.Option(
        "--browser/--no-browser", help="Open the page in the default browser.")] = True,
    scenario_file: Annotated[Path | None, typer.Option(
        "--scenario", "-s", help="The scenario the run came from: adds what the run folder "
        "does not record (weapon sites and fly-out lines, radar coverage, infrared "
        "footprints).", show_default=False)] = None,
) -> None:
    """Show a run on an offline 3D globe (CesiumJS) served on 127.0.0.1 until Ctrl-C; with
    --export, write its CZML scene only."""
    view_run = _entry_point("hdsim.viz.globe", "view_run", "view")
    sites = None
    if scenario_file is not None:
        from hdsim.viz.czml import SceneSites

        sites = SceneSites.from_scenario(_load(scenario_file))
    console = _out_console()
    try:
        view_run(run_dir, export=export, port=port, browser=browser, sites=sites,
                 echo=lambda line: console.print(Text(line)))
    except ValueError as exc:
        raise _fail(str(exc)) from None


@app.command()
def version() -> None:
    """Print the installed hdsim version (also `hdsim --version`)."""
    _out_console().print(Text(f"hdsim {_installed_version()}"))


__all__ = ["app"]
