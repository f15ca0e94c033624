"""Trade studies (`hdsim trade`): the optimiser on problems with known answers, the checks
before any work, and a trade end to end (outputs, resume, reproducibility).

Oracles:

* Walker's published minimum constellations for continuous whole-Earth single coverage
  (J. G. Walker, RAE TR 77044, 1977, as reproduced in Wertz & Larson, *Space Mission Analysis
  and Design*, 3rd ed., §7.4; the same table as ``tests/sensors/test_coverage_against_walker
  _table.py``): the best 6-satellite pattern (6/6/4) needs coverage circles of Earth central
  angle 66.7°, the best 7-satellite one (7/7/5) 60.3°. With circles of 64° the fewest
  satellites of a Walker pattern that cover the whole Earth (the latitude band −90°…90°)
  is 7. The optimiser searches total T, phasing and inclination with hdsim's coverage
  computation (:func:`hdsim.sensors.coverage.coverage_grid`) as its evaluation function and
  must find T = 7 within its budget (and never a feasible T ≤ 6).
* A closed-form two-objective toy: n satellites at altitude h, each seeing a spherical cap of
  area fraction ``a(h) = (1 − cos λ)/2`` (λ the Earth central angle of the cap at 10° minimum
  elevation, Wertz §5.2), placed independently at random, cover a point a fraction
  ``1 − (1 − a(h))^n`` of the time; cost ``n (1 + (h / 1000 km)²)``. For each cost C the best
  coverage is ``max_n coverage(n, h(C, n))`` with all of C spent on altitude: the analytic
  front, to which the found front must lie close.
"""

from __future__ import annotations

import copy
import json
import math
import time

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from hdsim.campaign.trade import (
    Constraint,
    Evaluation,
    Objective,
    OptimizerSettings,
    Variable,
    candidate_id,
    hypervolume,
    load_trade,
    non_dominated,
    optimise,
    run_trade,
)
from hdsim.cli import app
from hdsim.earth import SPHERE
from hdsim.scenario.loading import ScenarioError, load_scenario
from hdsim.sensors.coverage import coverage_grid
from hdsim.space import propagate_two_body, walker_delta

# ---------------------------------------------------------------------------------------------
# The optimiser layer on problems with known answers
# ---------------------------------------------------------------------------------------------

WALKER_R_DEG = {6: 66.7, 7: 60.3}      # published: best pattern's required central angle
CIRCLE_DEG = 64.0                      # our coverage circle: 60.3 <= 64 < 66.7 -> 7 is fewest
ALT_M = 20_000_000.0
MU = 3.986004418e14


def _fibonacci_sphere(n: int) -> np.ndarray:
    k = np.arange(n) + 0.5
    phi = np.arccos(1.0 - 2.0 * k / n)
    th = np.pi * (1.0 + 5.0**0.5) * k
    return np.stack([np.cos(th) * np.sin(phi), np.sin(th) * np.sin(phi), np.cos(phi)], -1)


def _walker_coverage(total: int, phasing: int, inclination_deg: float) -> float:
    """Mean fraction of (point, time) samples covered, whole Earth (sphere), T/T/F pattern.

    The pattern repeats (up to a rotation about the axis) every period / T, so 30 samples
    over that span and 5,000 points (≈ 2.9° apart) see every hole of the 6-satellite patterns
    at 64° (checked over every 6/6/F and inclinations 40°-70° by 0.25°)."""
    r_sat = SPHERE.a_m + ALT_M
    el = walker_delta(total, total, phasing, ALT_M, inclination_deg,
                      earth_radius_m=SPHERE.a_m)
    period = 2.0 * np.pi * np.sqrt(r_sat**3 / MU)
    t = np.arange(30) * (period / total / 30)
    pos, _ = propagate_two_body(el, t)
    lam = np.radians(CIRCLE_DEG)   # nadir angle at which a point at central angle λ is seen
    eta = float(np.arctan2(SPHERE.a_m * np.sin(lam), r_sat - SPHERE.a_m * np.cos(lam)))
    grid = _fibonacci_sphere(5_000) * SPHERE.a_m
    cov = coverage_grid(pos, t, grid, eta, 1e12, 0.0, grid_alt_m=np.zeros(len(grid)),
                        ellipsoid=SPHERE)
    return float(cov.fraction_1.mean())


@pytest.mark.slow
def test_against_walker_table_fewest_satellites_for_whole_earth_coverage():
    variables = {
        "total": Variable.model_validate({"int": {"low": 4, "high": 10}}),
        "phasing_fraction": Variable.model_validate({"real": {"low": 0.0, "high": 0.999}}),
        "inclination_deg": Variable.model_validate({"real": {"low": 40.0, "high": 70.0}}),
    }
    calls = []

    def evaluate(batch):
        out = []
        for _cid, v in batch:
            total = v["total"]
            phasing = int(v["phasing_fraction"] * total)      # F in [0, T - 1]
            calls.append((total, phasing, v["inclination_deg"]))
            out.append(Evaluation({"satellites": float(total),
                                   "coverage": _walker_coverage(total, phasing,
                                                                v["inclination_deg"])}))
        return out

    history = optimise(variables, [Objective("satellites", "minimize"),
                                   Objective("coverage", "maximize")], [], evaluate,
                       budget=60, seed=5, settings=OptimizerSettings(population=12))
    assert len(calls) == len(history.candidates) == 60        # each candidate evaluated once
    covering = [c for c in history.candidates if c.evaluation.metrics["coverage"] >= 1.0]
    fewest = min(c.values["total"] for c in covering)
    assert fewest == 7                                        # the published minimum
    assert all(c.values["total"] >= 7 for c in covering)
    # found by the search, not by the first (random) generation
    assert min(c.generation for c in covering if c.values["total"] == 7) >= 1
    # the found front holds it: (7 satellites, full coverage) is non-dominated
    front = [c for c, f in zip(history.candidates, history.front(), strict=True) if f]
    assert any(c.values["total"] == 7 and c.evaluation.metrics["coverage"] >= 1.0
               for c in front)
    # and the coverage computation agrees with the table on the published patterns
    assert _walker_coverage(7, 5, 55.7) == 1.0 and _walker_coverage(6, 4, 53.1) < 1.0


EPS_RAD = math.radians(10.0)
R_E = 6_371_000.0


def _cap_fraction(h_m):
    lam = np.arccos(R_E * np.cos(EPS_RAD) / (R_E + h_m)) - EPS_RAD
    return (1.0 - np.cos(lam)) / 2.0


def _coverage(n, h_m):
    return 1.0 - (1.0 - _cap_fraction(h_m)) ** n


def _cost(n, h_m):
    return n * (1.0 + (h_m / 1e6) ** 2)


def _best_coverage(cost: float) -> float:
    """The analytic front: the best coverage at a cost of at most ``cost``."""
    best = 0.0
    for n in range(1, 21):
        x = cost / n - 1.0
        if x < 0.3**2:                  # cannot afford n satellites at the lowest altitude
            continue
        best = max(best, float(_coverage(n, min(1e6 * math.sqrt(x), 3e6))))
    return best


def test_toy_front_lies_on_the_analytic_front():
    variables = {"n": Variable.model_validate({"int": {"low": 1, "high": 20}}),
                 "h_m": Variable.model_validate({"real": {"low": 3e5, "high": 3e6}})}

    def evaluate(batch):
        return [Evaluation({"cost": float(_cost(v["n"], v["h_m"])),
                            "coverage": float(_coverage(v["n"], v["h_m"]))}) for _, v in batch]

    history = optimise(variables, [Objective("cost", "minimize"),
                                   Objective("coverage", "maximize")], [], evaluate,
                       budget=600, seed=3, settings=OptimizerSettings(population=30))
    front = [c.evaluation.metrics for c, f in zip(history.candidates, history.front(),
                                                   strict=True) if f]
    gap = np.array([_best_coverage(m["cost"]) - m["coverage"] for m in front])
    assert len(front) >= 50
    assert gap.min() > -1e-9                  # nothing beats the analytic front
    assert gap.max() < 0.025 and gap.mean() < 0.008        # and the found one is close to it
    # it spans the front: at every cost from 2 to 150 a found design is within 0.03 of it
    costs = np.array([m["cost"] for m in front])
    cover = np.array([m["coverage"] for m in front])
    for c in np.linspace(2.0, 150.0, 60):
        assert _best_coverage(c) - cover[costs <= c].max(initial=0.0) < 0.03, c


def test_same_seed_same_candidates_and_helpers():
    variables = {"x": Variable.model_validate({"real": {"low": 0.0, "high": 1.0}}),
                 "k": Variable.model_validate({"choice": [{"a": 1}, {"a": 2}, "b"]})}

    def evaluate(batch):
        return [Evaluation({"f": v["x"] ** 2, "g": (1 - v["x"]) ** 2}) for _, v in batch]

    runs = [optimise(variables, [Objective("f", "minimize"), Objective("g", "minimize")],
                     [Constraint.parse("f <= 0.5")], evaluate, budget=20, seed=5)
            for _ in range(2)]
    assert [(c.cid, c.values) for c in runs[0].candidates] == \
        [(c.cid, c.values) for c in runs[1].candidates]
    assert candidate_id({"b": 1, "a": 2.5}) == candidate_id({"a": 2.5, "b": 1})
    assert candidate_id({"a": 2.5}) != candidate_id({"a": 2.5000001})
    assert Constraint.parse("custody >= 0.99").violation(0.98) == pytest.approx(0.01 / 1.0)
    assert non_dominated(np.array([[1, 2], [2, 1], [2, 2], [1, 2]])).tolist() == \
        [True, True, False, True]
    assert hypervolume(np.array([[1.0, 0.0], [0.0, 1.0]]), [2.0, 2.0]) == pytest.approx(3.0)
    assert hypervolume(np.array([[0.5, 0.5, 0.5]]), [1, 1, 1]) == pytest.approx(0.125)


def _field(data, key):
    return data[key]


def test_shared_dicts_of_two_calls_on_one_client_stay_apart():
    """``Client.scatter`` scatters a bare dict value by value under its field names as keys;
    two campaigns of a trade on one client (two candidates' scenario data) then shared the key
    ``"threats"`` and a draw could run with the other candidate's data. Each shared argument
    goes as one object, keyed by its content."""
    from distributed import Client

    from hdsim.campaign.executor import run_tasks

    with Client(processes=False, n_workers=1, threads_per_worker=1,
                dashboard_address=":0") as client:
        seen: dict[str, list] = {}
        for name, data in (("a", {"threats": 1, "sensors": "a"}),
                           ("b", {"threats": 2, "sensors": "b"})):
            out = seen.setdefault(name, [])
            run_tasks(_field, [("threats",), ("sensors",)],
                      lambda i, r, out=out: out.append((i, r)), client=client, shared=(data,))
            out.sort()
    assert seen == {"a": [(0, 1), (1, "a")], "b": [(0, 2), (1, "b")]}


# ---------------------------------------------------------------------------------------------
# Trade files: checked before any work
# ---------------------------------------------------------------------------------------------

SCENARIO = {
    "name": "trade-tiny", "epoch": "2027-03-01T00:00:00Z", "duration_s": 240, "seed": 5,
    "threats": [{"id": "bm-1", "type": "ballistic",
                 "launch": {"lat_deg": 36.6, "lon_deg": 138.6},
                 "target": {"lat_deg": 35.68, "lon_deg": 139.77},
                 "burnout": {"speed_mps": 1150, "flight_path_deg": 45, "altitude_m": 25000},
                 "vehicle": "rv_generic"}],
    "sensors": {"radars": [{"id": "xband-1", "preset": "xband_long_range",
                            "site": {"lat_deg": 36.0, "lon_deg": 139.0, "alt_m": 100}}]},
    "tracking": {"filter": "ekf"},
    "weapons": [{"id": "railgun-1", "type": "railgun",
                 "site": {"lat_deg": 35.60, "lon_deg": 139.60, "alt_m": 5},
                 "muzzle_speed_mps": 2300, "magazine": 4}],
    "defended_assets": [{"id": "capital", "lat_deg": 35.68, "lon_deg": 139.77,
                         "radius_m": 20000}],
}
TRADE = {
    "scenario": "scenario.yaml", "runs": 2, "seed": 3, "budget": 6,
    "optimizer": {"population": 4},
    "variables": {
        "sensors.radars.xband-1.site": {"choice": [
            {"lat_deg": 36.0, "lon_deg": 139.0, "alt_m": 100},
            {"lat_deg": 35.0, "lon_deg": 140.5, "alt_m": 100}]},
        "weapons.railgun-1.magazine": {"int": {"low": 2, "high": 8, "step": 2}},
    },
    "objectives": {"p_no_leaker": "maximize", "cost": "minimize"},
    "constraints": ["custody >= 0.9"],
    "cost": {"unit": "M$", "radar": 100, "battery": {"railgun": 50},
             "round": {"railgun": 1.5}},
}


def _write(folder, trade, scenario=SCENARIO):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "scenario.yaml").write_text(yaml.safe_dump(scenario, sort_keys=False))
    (folder / "trade.yaml").write_text(yaml.safe_dump(trade, sort_keys=False))
    return folder / "trade.yaml"


def _edit(change):
    t = copy.deepcopy(TRADE)
    change(t)
    return t


@pytest.mark.parametrize(("trade", "needle"), [
    (_edit(lambda t: t["variables"].update({"weapons.railgun-1.magazine": {
        "int": {"low": 0, "high": 8, "step": 2}}})),
     "variables.weapons.railgun-1.magazine: int reaches 0, which is not allowed: "
     "weapons[0].magazine = 0: must be at least 1"),
    (_edit(lambda t: t["variables"].update({"weapons.gun-9.magazine": {"choice": [2]}})),
     "weapons has no item with id 'gun-9' (ids: railgun-1)"),
    (_edit(lambda t: t["variables"].update({"weapons.railgun-1.magazin": {"choice": [2]}})),
     "magazin: unknown field (did you mean 'magazine'?)"),
    (_edit(lambda t: t["variables"].update({"weapons.railgun-1.muzzle_speed_mps": {
        "real": {"low": 2500, "high": 2000}}})),
     "must be greater than low = 2500"),
    (_edit(lambda t: t["objectives"].update({"p_no_leakr": "maximize"})),
     "objectives.p_no_leakr: unknown figure (did you mean 'p_no_leaker'?"),
    (_edit(lambda t: t.update(constraints=["custody > 0.9"])),
     "constraints[0] = 'custody > 0.9': must read 'FIGURE >= NUMBER'"),
    (_edit(lambda t: t["objectives"].update({"coverage": "maximize"})),
     "objectives.coverage: coverage cannot be evaluated: the scenario has no space layer"),
    (_edit(lambda t: t.pop("cost")),
     "objectives.cost: cost cannot be evaluated: the trade file has no cost table"),
    (_edit(lambda t: t.update(budgett=3)), "budgett: unknown field (did you mean 'budget'?)"),
    (_edit(lambda t: t.update(scenario="missing.yaml")), "scenario file not found"),
])
def test_bad_trade_files_are_refused_before_any_work(trade, needle, tmp_path):
    path = _write(tmp_path / "in", trade)
    with pytest.raises(ScenarioError) as err:
        run_trade(path, tmp_path / "out", workers=0)
    assert needle in str(err.value)
    assert not (tmp_path / "out").exists()


def test_cli_bad_trade_file_exits_2_with_one_line(tmp_path):
    path = _write(tmp_path / "in", _edit(lambda t: t["objectives"].update({"pkk": "maximize"})))
    res = CliRunner().invoke(app, ["trade", str(path), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2
    assert len(res.output.strip().splitlines()) == 1, res.output
    assert "objectives.pkk: unknown figure (did you mean 'pk'?" in res.output


def test_a_folder_of_another_trade_is_refused(tmp_path):
    path = _write(tmp_path / "in", TRADE)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "trade.json").write_text(json.dumps({"format": 1}))
    with pytest.raises(ValueError, match="holds a trade of another trade file"):
        run_trade(path, tmp_path / "out", workers=0)
    inp = load_trade(path, budget=2)
    assert inp.file.budget == 2 and inp.figures == ["p_no_leaker", "cost", "custody"]


# ---------------------------------------------------------------------------------------------
# End to end: hdsim trade on a tiny scenario
# ---------------------------------------------------------------------------------------------

OUTPUTS = ("trade.parquet", "pareto.parquet", "convergence.parquet", "pareto.png",
           "convergence.png", "trade.html", "trade.json", "summary.json")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("trade")
    path = _write(root / "in", TRADE)
    t0 = time.perf_counter()
    res = CliRunner().invoke(app, ["trade", str(path), "--out", str(root / "a"),
                                   "--workers", "0", "--quiet"])
    assert res.exit_code == 0, res.output
    return {"path": path, "root": root, "out": root / "a", "wall_s": time.perf_counter() - t0}


def _run_dirs(out):
    return sorted(str(p.relative_to(out)) for p in (out / "candidates").glob("*/runs/*"))


@pytest.mark.slow
def test_trade_writes_every_output(tiny):
    out = tiny["out"]
    for name in OUTPUTS:
        assert (out / name).is_file(), name
    table = pq.read_table(out / "trade.parquet")
    assert table.num_rows == 6
    for col in ("cid", "generation", "status", "sensors.radars.xband-1.site",
                "weapons.railgun-1.magazine", "p_no_leaker", "p_no_leaker_lo",
                "p_no_leaker_hi", "cost", "custody", "feasible", "pareto", "runs_ok"):
        assert col in table.column_names, col
    rows = table.to_pylist()
    assert len({r["cid"] for r in rows}) == 6 and all(r["runs_ok"] == 2 for r in rows)
    for r in rows:                      # cost = radar + battery + magazine x round
        assert r["cost"] == pytest.approx(100 + 50 + 1.5 * r["weapons.railgun-1.magazine"])
        assert r["p_no_leaker_lo"] <= r["p_no_leaker"] <= r["p_no_leaker_hi"]
        assert r["feasible"] == (r["custody"] >= 0.9)
    pareto = pq.read_table(out / "pareto.parquet").to_pylist()
    assert pareto and all(r["feasible"] and r["pareto"] for r in pareto)
    for p in pareto:                   # nobody feasible dominates a front design
        assert not any(r["feasible"] and r["p_no_leaker"] >= p["p_no_leaker"]
                       and r["cost"] <= p["cost"] and (r["p_no_leaker"] > p["p_no_leaker"]
                                                       or r["cost"] < p["cost"]) for r in rows)
        design = out / "designs" / f"{p['cid']}.yaml"
        sc = load_scenario(design)       # ready to run
        assert sc.weapons[0].magazine == p["weapons.railgun-1.magazine"]
    assert sorted(q.stem for q in (out / "designs").iterdir()) == sorted(r["cid"] for r in pareto)
    page = (out / "trade.html").read_text()
    assert page.count("data:image/png;base64,") == 2 and "<table" in page
    assert all(r["cid"] in page for r in pareto)
    for png in ("pareto.png", "convergence.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_trade_resumes_without_rerunning_and_reruns_bit_for_bit(tiny):
    out = tiny["out"]
    before = (out / "trade.parquet").read_bytes()
    runs = _run_dirs(out)
    assert len(runs) == 12                                     # 6 candidates x 2 draws
    # a finished trade: nothing runs again
    again = run_trade(tiny["path"], out, workers=0)
    assert again.info["evaluated_now"] == 0 and _run_dirs(out) == runs
    assert (out / "trade.parquet").read_bytes() == before
    # a trade killed inside a candidate's campaign: only its missing draw runs
    cid = again.table["cid"][3].as_py()
    (out / "candidates" / cid / "candidate.json").unlink()
    victim = sorted((out / "candidates" / cid / "runs").iterdir())[-1]
    for p in victim.iterdir():
        p.unlink()
    victim.rmdir()
    seen = []
    resumed = run_trade(tiny["path"], out, workers=0, progress=lambda d, t: seen.append(d))
    assert resumed.info["evaluated_now"] == 1 and _run_dirs(out) == runs
    assert (out / "trade.parquet").read_bytes() == before
    # the same trade file into a fresh folder, on 2 Dask workers (two candidates' campaigns
    # at once on one client): the same tables, byte for byte
    fresh = run_trade(tiny["path"], tiny["root"] / "b", workers=2)
    assert fresh.info["evaluated_now"] == 6
    for name in ("trade.parquet", "pareto.parquet", "convergence.parquet"):
        assert (tiny["root"] / "b" / name).read_bytes() == (out / name).read_bytes(), name
    print(f"first trade {tiny['wall_s']:.1f} s")


def test_a_coverage_trade_runs_no_campaign(tmp_path):
    scenario = {"name": "cov-trade", "epoch": "2027-03-01T00:00:00Z", "duration_s": 60,
                "sensors": {"space_layers": [{"id": "leo", "walker": {
                    "total": 12, "planes": 3, "phasing": 1, "altitude_m": 1_000_000,
                    "inclination_deg": 60}}]},
                "coverage": {"region": {"lat_min_deg": 0, "lat_max_deg": 40,
                                        "lon_min_deg": 120, "lon_max_deg": 150},
                             "grid_deg": 10, "end_s": 3600, "step_s": 300}}
    trade = {"scenario": "scenario.yaml", "budget": 5, "optimizer": {"population": 2},
             "variables": {"sensors.space_layers.leo.walker.total": {"choice": [6, 12, 24]}},
             "objectives": {"coverage": "maximize", "cost": "minimize"},
             "cost": {"satellite": 2.0, "fixed": 1.0}}
    res = run_trade(_write(tmp_path / "in", trade, scenario), tmp_path / "out", workers=0,
                    plots=False)
    rows = res.table.to_pylist()
    assert sorted(r["sensors.space_layers.leo.walker.total"] for r in rows) == [6, 12, 24]
    assert all(r["cost"] == 1.0 + 2.0 * r["sensors.space_layers.leo.walker.total"]
               and r["runs_ok"] is None for r in rows)
    cov = {r["sensors.space_layers.leo.walker.total"]: r["coverage"] for r in rows}
    assert 0.0 <= cov[6] <= cov[12] <= cov[24] <= 1.0        # more satellites, more coverage
    assert res.info["stopped"] == "search space exhausted"
    assert not any((tmp_path / "out" / "candidates").glob("*/runs"))


def test_the_example_trade_file_is_valid():
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scenarios" / "trades" / "raid_architecture.yaml"
    inp = load_trade(path)
    assert inp.figures == ["p_no_leaker", "cost", "custody"]
    assert inp.file.variables["weapons.sam-1.magazine"].kind == "int"
