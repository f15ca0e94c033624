"""The public Python API (`import hdsim`): load, run with seed and overrides, read back.

Oracles: the command line's result folder for the same scenario and seed (byte-identical
tables), the scenario file's own values, and the loader's located error messages.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import hdsim

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def test_version_and_api_names():
    assert isinstance(hdsim.__version__, str) and hdsim.__version__
    for name in ("load_scenario", "run", "load_results", "Results", "ScenarioError"):
        assert name in dir(hdsim) and getattr(hdsim, name) is not None


def test_run_in_memory_matches_the_written_folder(tmp_path):
    mem = hdsim.run(SCENARIOS / "cruise.yaml", seed=4)
    assert mem.out_dir is None
    disk = hdsim.run(SCENARIOS / "cruise.yaml", seed=4, out=tmp_path / "cruise")
    back = hdsim.load_results(tmp_path / "cruise")
    assert set(back.tables) == set(mem.tables)
    for name in mem.tables:
        assert back[name].equals(mem[name]), name
    assert back.summary["seed"] == 4 == disk.summary["seed"]
    assert "cruise" in repr(back) and "<table>" in back._repr_html_()


def test_overrides_by_id_change_the_scenario_and_are_validated():
    base = hdsim.load_scenario(SCENARIOS / "hgv_defense.yaml")
    sc = hdsim.load_scenario(SCENARIOS / "hgv_defense.yaml",
                             overrides={"weapons.railgun-1.muzzle_speed_mps": 2500,
                                        "tracking.confirm_m": 2})
    assert base.weapons[0].muzzle_speed_mps != 2500
    assert sc.weapons[0].muzzle_speed_mps == 2500 and sc.tracking.confirm_m == 2
    with pytest.raises(hdsim.ScenarioError) as err:
        hdsim.load_scenario(SCENARIOS / "hgv_defense.yaml",
                            overrides={"weapons.railgun-9.muzzle_speed_mps": 2500})
    assert "weapons has no item with id 'railgun-9' (ids: railgun-1)" in str(err.value)
    with pytest.raises(hdsim.ScenarioError) as err:
        hdsim.load_scenario(SCENARIOS / "hgv_defense.yaml",
                            overrides={"weapons.railgun-1.muzzle_speed_mps": -1})
    assert "weapons[0].muzzle_speed_mps = -1: must be greater than 0" in str(err.value)


def test_overrides_of_a_loaded_scenario_equal_overrides_of_its_file():
    over = {"threats.hgv-1.burnout.speed_mps": 5200}
    a = hdsim.load_scenario(SCENARIOS / "hgv.yaml", overrides=over)
    from hdsim.api import with_overrides

    b = with_overrides(hdsim.load_scenario(SCENARIOS / "hgv.yaml"), over)
    assert a == b


def test_results_to_pandas_and_figures():
    res = hdsim.run(SCENARIOS / "hgv.yaml")
    df = res.to_pandas("truth")
    assert list(df.columns[:2]) == ["threat_id", "t_s"] and len(df) == res["truth"].num_rows
    figs = res.figures()
    assert "ground_track" in figs
    with pytest.raises(KeyError, match="no table 'tracks'"):
        res["tracks"]


@pytest.mark.slow
def test_tutorial_notebook_runs():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    docs = Path(__file__).resolve().parents[1] / "docs"
    nb = nbformat.read(docs / "tutorial.ipynb", as_version=4)
    nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(docs)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "tracking.confirm_m = 'three'" in text  # the located error is shown
