"""The NEES-over-runs figure draws the run-averaged series where every run had a track, and the
χ² band of M runs (scipy.stats.chi2 quantiles as the oracle)."""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2

from hdsim.campaign.nees import NeesRuns
from hdsim.viz.plots import nees_timeline


def test_nees_figure_series_and_band():
    m = 5
    nees_t = np.array([[6.0, 5.0, 9.0, 30.0], [4.0, 4.5, 5.0, 6.0]])
    runs_t = np.array([[5, 5, 3, 5], [5, 5, 5, 0]])
    nr = NeesRuns(["a", "b"], np.arange(m), np.full((m, 2), 6.0), np.full((m, 2), 30.0),
                  np.full((m, 2), 100), np.arange(4.0), nees_t, runs_t)
    fig = nees_timeline(nr)
    ax = fig.axes[0]
    full = {ln.get_gid(): ln.get_ydata() for ln in ax.get_lines()}["nees:a"]
    np.testing.assert_array_equal(np.asarray(full, float), [6.0, 5.0, np.nan, 30.0])
    patch = ax.patches[0]
    disp = patch.get_transform().transform(patch.get_path().vertices)
    band = ax.transData.inverted().transform(disp)[:, 1]
    lo, hi = chi2.ppf([0.025, 0.975], 6 * m) / m
    assert np.isclose(band.min(), lo) and np.isclose(band.max(), hi)
    assert "mean 6.00 (inside)" in ax.get_title()
    assert "67% of seconds inside" in ax.get_title()  # full runs at 0, 1, 3 s; 30 is outside
