"""The terminal summary of a run fits the terminal without losing a value.

Oracle: the summary itself. Every threat id, outcome word and number of the summary, formatted
here at the precision the tables document (their headers give the unit), must appear whole in
the text rich renders at 80 and 120 columns (and at 40, where the tables become one block per
threat), and no line may be wider than the console. Nothing is cut with an ellipsis, and the
first line is the headline.
"""

from __future__ import annotations

import io
import re

import pytest
from rich.cells import cell_len
from rich.console import Console

from hdsim.viz.console import headline, print_run, print_table

SUMMARY = {
    "scenario": "raid-against-the-capital-with-a-long-name",
    "threats": [
        {"threat_id": "hgv-north-01", "type": "boost_glide", "ground_range_m": 1629456.4,
         "flight_time_s": 430.56, "max_speed_mps": 5001.83, "max_mach": 15.39,
         "apogee_m": 45000.0, "mean_glide_alt_m": 30573.5, "impacted": False,
         "impact_error_m": None, "first_detection_s": 0.0, "first_track_s": 1.0,
         "first_confirmed_s": 2.0, "first_fire_control_s": 2.0, "custody": 0.9956,
         "n_tracks": 1, "rmse_pos_m": 46.96, "rmse_vel_mps": 27.22, "outcome": "killed",
         "kill_t_s": 430.56, "kill_alt_m": 18291.1, "shots": 2, "nearest_asset_id": None,
         "asset_distance_m": None, "in_asset": False, "why_not_engaged": None},
        {"threat_id": "bm-1", "type": "ballistic", "ground_range_m": 714909.9,
         "flight_time_s": 433.43, "max_speed_mps": 2500.0, "max_mach": 8.41,
         "apogee_m": 216980.2, "mean_glide_alt_m": None, "impacted": True,
         "impact_error_m": 235116.6, "first_detection_s": 0.0, "first_track_s": 1.0,
         "first_confirmed_s": 2.0, "first_fire_control_s": 2.0, "custody": 0.9908,
         "n_tracks": 3, "rmse_pos_m": 15.45, "rmse_vel_mps": 5.97, "outcome": "leaked",
         "kill_t_s": None, "kill_alt_m": None, "shots": 0,
         "nearest_asset_id": "capital-region-north", "asset_distance_m": 12345.6,
         "in_asset": True,
         "why_not_engaged": "sam-battery-1: no_intercept (1,211 of 1,216 decisions); "
                            "railgun-1: track_not_fire_control_quality (65 of 75 decisions)"},
        {"threat_id": "hcm-1", "type": "cruise", "ground_range_m": 483899.1,
         "flight_time_s": 500.0, "max_speed_mps": 1495.45, "max_mach": 5.07,
         "apogee_m": 25967.7, "mean_glide_alt_m": 25892.7, "impacted": False,
         "impact_error_m": None, "first_detection_s": 38.0, "first_track_s": 39.0,
         "first_confirmed_s": None, "first_fire_control_s": None, "custody": 0.0,
         "n_tracks": 0, "rmse_pos_m": None, "rmse_vel_mps": None, "outcome": "in_flight",
         "kill_t_s": None, "kill_alt_m": None, "shots": 1, "nearest_asset_id": "port",
         "asset_distance_m": None, "in_asset": False, "why_not_engaged": None},
    ],
    "detection": [
        {"threat_id": tid, "layer_id": layer, "first_detection_s": first,
         "fraction_detected": frac, "n_gaps": gaps, "longest_gap_s": gap}
        for tid, layer, first, frac, gaps, gap in (
            ("hgv-north-01", "leo-tracking-layer", 0.0, 1.0, 0, 1.0),
            ("hgv-north-01", "xband-west", 176.0, 0.6, 1, 176.0),
            ("bm-1", "leo-tracking-layer", 20.0, 0.21, 1, 501.0),
            ("bm-1", "xband-west", None, 0.0, 1, 433.0),
            ("hcm-1", "leo-tracking-layer", 38.0, 0.87, 2, 38.0),
            ("hcm-1", "xband-west", 1024.0, 0.05, 1, 1024.0))],
    "tracking": {"n_tracks": 4, "mean_ospa_m": 3861.4},
    "weapons": [
        {"weapon_id": "railgun-1", "kind": "railgun", "shots": 0, "kills": 0,
         "rounds_left": 40},
        {"weapon_id": "sam-battery-1", "kind": "interceptor", "shots": 3, "kills": 1,
         "rounds_left": 5}],
    "engagement": {"shots": 3, "kills": 1, "leakers": 1, "in_flight": 1,
                   "leakers_in_assets": 1},
}


def render(width: int | None, summary=SUMMARY) -> str:
    console = Console(width=width, record=True, file=io.StringIO())
    print_run(summary, console)
    return console.export_text()


def whole(token: str, text: str) -> bool:
    """``token`` occurs in ``text`` not glued to other letters, digits or separators."""
    return re.search(rf"(?<![\w.,-]){re.escape(token)}(?![\w,-]|\.\d)", text) is not None


def n(v, digits=0, scale=1.0):
    return f"{v * scale:,.{digits}f}"


def expected_numbers(s) -> set[str]:
    """The summary's numbers at the precision of the tables' headers."""
    out: set[str] = set()
    for r in s["threats"]:
        out |= {n(r["ground_range_m"], 0, 1e-3), n(r["flight_time_s"]),
                n(r["max_speed_mps"]), n(r["max_mach"], 1), n(r["apogee_m"], 1, 1e-3),
                n(r["custody"], 0, 100), str(r["n_tracks"]), str(r["shots"])}
        out |= {n(r[k], 1, 1e-3) for k in ("mean_glide_alt_m", "kill_alt_m")
                if r[k] is not None}
        out |= {n(r[k]) for k in ("first_detection_s", "first_confirmed_s",
                                  "first_fire_control_s", "kill_t_s", "rmse_pos_m")
                if r[k] is not None}
        if r["rmse_vel_mps"] is not None:
            out.add(n(r["rmse_vel_mps"], 1))
        if r["impacted"]:
            out.add(n(r["impact_error_m"], 2, 1e-3))
        if r["outcome"] == "leaked" and r["asset_distance_m"] is not None:
            out.add(n(r["asset_distance_m"], 1, 1e-3))
    for d in s["detection"]:
        out |= {n(d["fraction_detected"], 0, 100), str(d["n_gaps"]), n(d["longest_gap_s"])}
        if d["first_detection_s"] is not None:
            out.add(n(d["first_detection_s"]))
    for w in s["weapons"]:
        out |= {str(w["shots"]), str(w["kills"]), str(w["rounds_left"])}
    return out


@pytest.mark.parametrize("width", [80, 120, 40])
def test_every_value_appears_whole_within_the_width(width):
    text = render(width)
    lines = text.splitlines()
    assert max(cell_len(line) for line in lines) <= width
    assert "…" not in text
    for r in SUMMARY["threats"]:
        assert whole(r["threat_id"], text), r["threat_id"]
        assert whole(r["outcome"], text), r["outcome"]
        assert whole(r["type"], text), r["type"]
    for d in SUMMARY["detection"]:
        assert whole(d["layer_id"], text)
    for w in SUMMARY["weapons"]:
        assert whole(w["weapon_id"], text) and whole(w["kind"], text)
    assert whole("capital-region-north", text)
    missing = [v for v in sorted(expected_numbers(SUMMARY)) if not whole(v, text)]
    assert not missing


def test_wide_terminal_shows_tables_narrow_one_shows_blocks():
    wide = render(120)
    assert "apogee km" in wide and "max speed m/s" in wide  # one header line
    assert "apogee km:" not in wide
    narrow = render(40)
    assert "apogee km: 45.0" in narrow  # the threat's block: key: value
    assert any(line == "hgv-north-01" for line in narrow.splitlines())


def test_headline_comes_first_and_wraps_with_a_hanging_indent():
    lines = render(None).splitlines()  # not a terminal: rich's default of 80 columns
    assert lines[0].startswith(SUMMARY["scenario"] + ": ")  # nothing blank before it
    first = headline(SUMMARY)[0]
    assert len(first) > 80
    k = 1 + next(i for i, line in enumerate(lines[1:]) if not line.startswith("    "))
    assert k >= 2 and " ".join(x.strip() for x in lines[:k]) == first


def test_a_table_never_cuts_a_value():
    rows = [["x" * 12, "a b c d e f g h", "1,234,567.89"], ["y", "z", "0"]]
    columns = [("identifier", "left"), ("words that wrap", "left"), ("value m", "right")]
    for width in (60, 30, 24):
        console = Console(width=width, record=True, file=io.StringIO())
        print_table(console, "T", columns, rows)
        text = console.export_text()
        assert max(cell_len(line) for line in text.splitlines()) <= width
        assert whole("x" * 12, text) and whole("1,234,567.89", text), (width, text)
        assert all(whole(w, text) for w in "abcdefgh")
