"""The HTML report in a real browser: Debian's Chromium (headless, driven by Playwright) opens
``report.html`` of a small run with a weapon at a laptop width (1280 px) and a narrow one
(800 px): the page never scrolls sideways, every table either fits its box or sits in a
scroll container no wider than the page, every figure has loaded, and no request leaves the
file (the report is self-contained). Skips without Chromium or Playwright unless
``HDSIM_REQUIRE_BROWSER=1`` (``.ci/run`` sets it): then it fails."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hdsim.scenario.loading import scenario_from_dict
from hdsim.scenario.run import run_scenario
from hdsim.viz import write_report

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-gpu"]
SCENARIO = {
    "name": "report-browser-test", "epoch": "2027-03-01T00:00:00Z", "duration_s": 400,
    "seed": 4,
    "threats": [{"id": "hcm-1", "type": "cruise", "launch": {"lat_deg": 36.0, "lon_deg": 137.5},
                 "target": {"lat_deg": 35.68, "lon_deg": 139.77},
                 "cruise": {"mach": 5, "altitude_m": 26000}}],
    "sensors": {"radars": [{"id": "xband", "preset": "xband_long_range",
                            "site": {"lat_deg": 35.40, "lon_deg": 139.40, "alt_m": 50}}]},
    "tracking": {"filter": "ekf"},
    "weapons": [{"id": "emrg-1", "type": "railgun", "preset": "us_navy_emrg",
                 "site": {"lat_deg": 35.60, "lon_deg": 139.60, "alt_m": 5}}],
    "fire_control": {"doctrine": "required_pk"},
    "defended_assets": [{"id": "capital", "lat_deg": 35.68, "lon_deg": 139.77,
                         "radius_m": 20000}],
}
LAYOUT = """() => {
  const page = document.documentElement;
  const bad = [];
  for (const t of document.querySelectorAll('table')) {
    const box = t.closest('.scroll') || t.parentElement;
    const fits = t.scrollWidth <= box.clientWidth + 1;
    const scrolls = getComputedStyle(box).overflowX === 'auto'
                    && box.clientWidth <= page.clientWidth + 1;
    if (!fits && !scrolls) bad.push(t.innerText.slice(0, 60));
  }
  const imgs = [...document.images];
  return {pageScroll: page.scrollWidth - page.clientWidth, bad: bad,
          tables: document.querySelectorAll('table').length, images: imgs.length,
          broken: imgs.filter(i => !i.complete || i.naturalWidth === 0).length};
}"""


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    missing = [] if CHROMIUM.is_file() else [f"{CHROMIUM} is missing"]
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("Playwright is not installed")
    if missing:
        if os.environ.get("HDSIM_REQUIRE_BROWSER") == "1":
            pytest.fail("HDSIM_REQUIRE_BROWSER=1 but " + "; ".join(missing))
        pytest.skip("; ".join(missing))
    out = tmp_path_factory.mktemp("rep") / "run"
    run_scenario(scenario_from_dict(SCENARIO), out, quiet=True)
    return Path(write_report(out))


@pytest.mark.slow
@pytest.mark.parametrize("width", [1280, 800])
def test_report_fits_the_page_in_chromium(report, width):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            requests, errors = [], []
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(report.as_uri())
            page.wait_for_load_state("load")
            res = page.evaluate(LAYOUT)
        finally:
            browser.close()
    assert errors == []
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    assert res["tables"] >= 4 and res["images"] >= 4
    assert res["broken"] == 0
    assert res["pageScroll"] <= 1, res
    assert res["bad"] == [], res
