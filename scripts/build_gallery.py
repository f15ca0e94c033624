"""Regenerate the figure gallery in ``docs/gallery/``: every figure hdsim draws, on the examples.

Usage (from the repository root; a few minutes on two cores)::

    python scripts/build_gallery.py            # runs the examples into a temporary folder
    python scripts/build_gallery.py --keep out/gallery-runs

It runs ``scenarios/raid_defense.yaml`` (every run figure, the kill chain),
``scenarios/coverage_leo.yaml`` (coverage maps), a short NEES check of
``scenarios/hgv_defense.yaml``, a small version of ``scenarios/campaigns/railgun_sweep.yaml``
(sweep and distributions) and a coarse footprint of ``scenarios/railgun_city.yaml`` (footprint
and envelope), then writes each figure as ``docs/gallery/<name>.png`` (150 dpi) and the index
``docs/gallery.md`` from :data:`GALLERY`. ``tests/viz/test_gallery.py`` checks that the index,
the files and the list of figures the code can draw agree.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

GALLERY: tuple[tuple[str, str, str], ...] = (
    # (file stem, example it comes from, what it shows)
    ("ground_track", "raid_defense", "Ground tracks over the coastlines: one colour per threat, "
     "launches, kills, track estimates, the defended asset, weapon and radar rings."),
    ("flight_profile", "raid_defense", "Altitude, speed and Mach against time; glide and "
     "cruise threats beside the exo-atmospheric ballistic ones; line style by phase."),
    ("detections", "raid_defense", "Which sensor layer reported which threat, when."),
    ("tracking_errors", "raid_defense", "Position and velocity error of the tracks against the "
     "truth, with the filter's own 1-σ."),
    ("ospa", "raid_defense", "OSPA distance of the track picture against time."),
    ("engagements", "raid_defense", "Shots: launch to intercept, miss distance, kill or miss."),
    ("kill_chain", "raid_defense", "Per threat: detected, tracked, confirmed, fire-control "
     "quality, rounds fired, killed or impacted."),
    ("coverage", "coverage_leo", "A sparse LEO tracking layer: time with ≥ 1 and ≥ 2 "
     "satellites in view, longest gap."),
    ("nees", "hgv_defense (hdsim nees)", "Tracker consistency: NEES over Monte Carlo runs "
     "against its chi-square interval."),
    ("sweep", "campaigns/railgun_sweep", "A campaign sweep: P(no leaker) and Pk against the "
     "railgun's muzzle speed, with Wilson intervals."),
    ("distributions", "campaigns/railgun_sweep", "Distributions over a campaign's draws."),
    ("footprint", "railgun_city (hdsim footprint)", "Defended footprint: Pk of the railgun "
     "against the cruise missile at each aim point around the city."),
    ("envelope", "railgun_city (hdsim footprint)", "Engagement envelope: intercept altitude "
     "against ground range, by shot outcome."),
)
"""The gallery: every figure, the example it is drawn from, a line on what it shows."""


def _write(name: str, fig, out: Path) -> None:
    from hdsim.viz.plots import png_bytes

    (out / f"{name}.png").write_bytes(png_bytes(fig))
    print(f"  {name}.png")


def build(work: Path, out: Path) -> None:
    """Run the examples into ``work`` and write the figures into ``out``."""
    import pyarrow.parquet as pq

    from hdsim.campaign.footprint import run_footprint
    from hdsim.campaign.nees import nees_runs
    from hdsim.campaign.runner import run_campaign
    from hdsim.scenario.coverage import run_coverage
    from hdsim.scenario.loading import load_scenario
    from hdsim.scenario.run import run_scenario
    from hdsim.viz import figures, load_run
    from hdsim.viz.footprint import envelope_figure, footprint_figure
    from hdsim.viz.killchain import kill_chain_figure
    from hdsim.viz.plots import campaign_distributions, campaign_sweep, coverage_maps, nees_timeline

    out.mkdir(parents=True, exist_ok=True)
    sc = ROOT / "scenarios"
    print("raid_defense")
    run_scenario(load_scenario(sc / "raid_defense.yaml"), work / "raid", quiet=True)
    run = load_run(work / "raid")
    for name, fig in figures(run).items():
        _write(name, fig, out)
    _write("kill_chain", kill_chain_figure(run), out)

    print("coverage_leo")
    run_coverage(load_scenario(sc / "coverage_leo.yaml"), work / "cov", quiet=True)
    cov = load_run(work / "cov")
    _write("coverage", coverage_maps(cov.tables["coverage"], cov.summary), out)

    print("nees")
    nr = nees_runs(load_scenario(sc / "hgv_defense.yaml"), runs=4)
    _write("nees", nees_timeline(nr), out)

    print("campaign")
    camp = run_campaign(sc / "campaigns" / "railgun_sweep.yaml", work / "sweep", runs=4,
                        workers=2)
    _write("sweep", campaign_sweep(camp.summary, "weapons.railgun-1.muzzle_speed_mps"), out)
    outcomes = camp.sql("SELECT * FROM threat_outcomes")
    _write("distributions", campaign_distributions(outcomes), out)

    print("footprint")
    table, info = run_footprint(sc / "railgun_city.yaml", work / "fp", weapon_id="emrg-1",
                                threat_id="hcm-1", radius_km=50, step_km=25, runs=2, workers=2,
                                plots=False)
    _write("footprint", footprint_figure(table, info), out)
    _write("envelope", envelope_figure(pq.read_table(work / "fp" / "envelope.parquet"), info),
           out)


def index() -> str:
    """The text of ``docs/gallery.md``."""
    lines = ["# Figure gallery", "",
             "Every figure hdsim draws, on the example scenarios (`scenarios/`). Regenerate "
             "with `python scripts/build_gallery.py`.", ""]
    for name, source, what in GALLERY:
        lines += [f"## {name.replace('_', ' ').capitalize()}", "",
                  f"{what} Example: `{source}`.", "", f"![{name}](gallery/{name}.png)", ""]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keep", type=Path, help="keep the example runs in this folder")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="hdsim-gallery-"))
    try:
        build(work, ROOT / "docs" / "gallery")
        (ROOT / "docs" / "gallery.md").write_text(index(), encoding="utf-8")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
