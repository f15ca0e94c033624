"""Issue "Tracking": the average NEES is inside its χ² bounds on the standard scenarios.

The example scenarios with sensors (``hgv_defense.yaml``: one maneuvering HGV with bank
reversals and a terminal dive; ``raid_defense.yaml``: three HGVs, two ballistic missiles and a
cruise missile) are tracked with their own ``tracking:`` section (the default IMM) over ``M``
Monte Carlo runs of the sensors.  Each threat's time-averaged NEES, averaged over the runs, must
lie inside the two-sided 95 % interval of ``M`` runs ``[χ²_{6M}(0.025)/M, χ²_{6M}(0.975)/M]``
(Bar-Shalom, Li & Kirubarajan 2001, §5.4.2; conservative for time averages, see
:mod:`hdsim.metrics.consistency`), and so must the pooled average of all threats and runs.

Measured with 10 runs (``hdsim nees``), numbers in docs/design.md.  Before the IMM's maneuver
model, union gating and continuous-time switching, the raid's HGVs had NEES of 5.7, 13.9 and
3.3 and the cruise missile 2.5 (one run).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hdsim.campaign.nees import nees_runs
from hdsim.scenario.loading import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.mark.parametrize("name, runs", [("hgv_defense.yaml", 6), ("raid_defense.yaml", 4)])
def test_mean_nees_inside_chi2_bounds(name, runs):
    nr = nees_runs(load_scenario(SCENARIOS / name), runs=runs)
    test = nr.test()
    report = {tid: np.round(nr.mean_nees[:, k], 2).tolist()
              for k, tid in enumerate(nr.threat_ids)}
    assert np.all(nr.n_rows > 100), nr.n_rows  # every threat tracked in every run
    assert np.all(test.inside), (test, report)
    assert nr.pooled().inside, (nr.pooled(), report)
    # the run-averaged NEES of a second is inside the interval most of the flight
    assert np.all(nr.fraction_inside() > 0.6), nr.fraction_inside()
