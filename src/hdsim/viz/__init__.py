"""Plots and an HTML report of a run's result folder.

Public surface::

    from hdsim.viz import load_run, figures, png_bytes, write_report

    run = load_run("out/hgv")             # tables + summary.json of a finished run
    figs = figures(run)                   # {"ground_track": Figure, ...}, the ones with data
    png = png_bytes(figs["ground_track"])
    write_report("out/hgv")               # out/hgv/report.html, self-contained

Figures are built on the Agg canvas without pyplot (no display needed). This package reads
results only; nothing below it imports it.
"""

from hdsim.viz.plots import (
    FIGURES,
    OUTCOME_COLORS,
    PHASE_COLORS,
    RunData,
    coverage_maps,
    detection_timeline,
    engagement_timeline,
    figure_bytes,
    figures,
    flight_profile,
    ground_track,
    load_run,
    ospa_timeline,
    png_bytes,
    tracking_errors,
)
from hdsim.viz.report import REPORT_FILE, report_html, write_report

__all__ = [
    "FIGURES",
    "OUTCOME_COLORS",
    "PHASE_COLORS",
    "REPORT_FILE",
    "RunData",
    "coverage_maps",
    "detection_timeline",
    "engagement_timeline",
    "figure_bytes",
    "figures",
    "flight_profile",
    "ground_track",
    "load_run",
    "ospa_timeline",
    "png_bytes",
    "report_html",
    "tracking_errors",
    "write_report",
]
