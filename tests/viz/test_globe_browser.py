"""The globe of ``hdsim view``: its server, and the page in a real browser.

Fast tests: the server's contract (listens on 127.0.0.1 only; serves the page, the Cesium
build and the run's scene and nothing else; stops when :func:`view_run` returns), with a
stand-in Cesium folder so they need neither npm nor a browser.

Slow test: Debian's Chromium, headless with SwiftShader's software WebGL, driven by
Playwright, loads the page of a small run and must report ready (scene loaded, globe tiles
in) with one entity per CZML packet, no page error, no request to any host but 127.0.0.1,
and pixels of a threat's colour (the boost-phase red of its path) that vanish when the
threats are hidden. It skips, naming what is missing, without Chromium, Cesium
(``npm ci --prefix src/hdsim/web``) or Playwright, unless ``HDSIM_REQUIRE_BROWSER=1``
(``.ci/run`` sets it): then it fails.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest

from hdsim.scenario.loading import load_scenario
from hdsim.scenario.run import run_scenario
from hdsim.viz import globe
from hdsim.viz.czml import write_scene

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--use-angle=swiftshader", "--enable-unsafe-swiftshader", "--no-sandbox",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
BOOST_RGB = (0xD6, 0x27, 0x28)  # PHASE_COLORS["boost"]
SCENARIO = """
name: globe-test
epoch: "2027-03-01T00:00:00Z"
duration_s: 400
seed: 3
step_s: 1.0
threats:
  - id: hcm-1
    type: cruise
    launch: {lat_deg: 36.0, lon_deg: 135.0}
    target: {lat_deg: 35.68, lon_deg: 139.77}
    cruise: {mach: 5, altitude_m: 26000}
  - id: hcm-2
    type: cruise
    launch: {lat_deg: 37.0, lon_deg: 135.5}
    target: {lat_deg: 35.60, lon_deg: 139.70}
    launch_time_s: 30
    cruise: {mach: 5, altitude_m: 24000}
sensors:
  space_layers:
    - id: leo
      walker: {total: 24, planes: 4, phasing: 1, altitude_m: 1000000, inclination_deg: 70}
  radars:
    - id: xband
      preset: xband_long_range
      site: {lat_deg: 35.40, lon_deg: 139.40, alt_m: 50}
tracking: {filter: ekf}
"""

_LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy


def get(url: str) -> tuple[int, bytes]:
    try:
        with _LOCAL.open(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("globe")
    (folder / "s.yaml").write_text(SCENARIO)
    run_scenario(load_scenario(folder / "s.yaml"), folder / "run", quiet=True)
    return folder / "run"


@pytest.fixture()
def fake_cesium(tmp_path, monkeypatch) -> Path:
    """A stand-in Cesium build folder, used by the server in place of the installed one."""
    build = tmp_path / "Cesium"
    (build / "Widgets").mkdir(parents=True)
    (build / "Cesium.js").write_text("// stand-in\n")
    (build / "Widgets" / "widgets.css").write_text("/* stand-in */\n")
    monkeypatch.setattr(globe, "cesium_build_dir", lambda web_dir=globe.WEB_DIR: build)
    return build


def test_server_serves_the_page_cesium_and_the_scene_only_on_localhost(run_dir, fake_cesium):
    scene = write_scene(run_dir)
    with globe.GlobeServer(scene) as server:
        assert server.url.startswith("http://127.0.0.1:") and server.port > 0
        status, page = get(server.url)
        assert status == 200 and b'src="globe.js"' in page and b"cesium/Cesium.js" in page
        assert get(server.url + "globe.js")[0] == 200
        assert get(server.url + "scene.czml") == (200, scene.read_bytes())
        assert get(server.url + "cesium/Cesium.js") == (200, b"// stand-in\n")
        assert get(server.url + "cesium/Widgets/widgets.css")[0] == 200
        for path in ("package.json", "package-lock.json", "node_modules/", "summary.json",
                     "truth.parquet", "cesium/../../../pyproject.toml",
                     "%2e%2e/%2e%2e/pyproject.toml"):
            assert get(server.url + path)[0] == 404, path
    with pytest.raises(OSError):
        get(server.url)  # closed


def test_view_run_prints_the_url_serves_and_stops(run_dir, fake_cesium):
    printed: list[str] = []
    seen: list[int] = []

    def wait() -> None:  # stands in for Ctrl-C
        url = printed[0].split(" on ")[1].split()[0]
        seen.append(get(url + "scene.czml")[0])

    path = globe.view_run(run_dir, browser=False, echo=printed.append, wait=wait)
    assert path == (run_dir / "scene.czml").absolute()
    assert seen == [200]
    assert printed[0].startswith(f"Serving {run_dir} on http://127.0.0.1:")


def test_a_taken_port_is_a_clear_error(run_dir, fake_cesium):
    with globe.GlobeServer(write_scene(run_dir)) as server:
        with pytest.raises(ValueError, match=f"--port {server.port}: cannot listen"):
            globe.GlobeServer(run_dir / "scene.czml", port=server.port)


def _missing_for_the_browser() -> list[str]:
    missing = []
    if not CHROMIUM.is_file():
        missing.append(f"{CHROMIUM} is missing (Debian: apt-get install chromium)")
    if globe.cesium_build_dir() is None:
        missing.append(f"Cesium is not installed (run `{globe.cesium_install_command()}`)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("Playwright is not installed (pip install -e '.[dev]')")
    return missing


def _boost_pixels(png: bytes) -> int:
    import io

    import matplotlib.image as mpimg

    rgb = (mpimg.imread(io.BytesIO(png), format="png")[..., :3] * 255).astype(int)
    close = np.all(np.abs(rgb - np.array(BOOST_RGB)) <= 40, axis=-1)
    return int(close.sum())


@pytest.fixture(scope="module")
def browser_ready() -> None:
    """Skip (or fail, with ``HDSIM_REQUIRE_BROWSER=1``) before the run is built."""
    missing = _missing_for_the_browser()
    if missing:
        if os.environ.get("HDSIM_REQUIRE_BROWSER") == "1":
            pytest.fail("HDSIM_REQUIRE_BROWSER=1 but " + "; ".join(missing))
        pytest.skip("; ".join(missing))


@pytest.mark.slow
def test_the_globe_loads_offline_in_chromium(browser_ready, run_dir):
    from playwright.sync_api import sync_playwright

    start = time.monotonic()
    scene = write_scene(run_dir)
    n_packets = len(json.loads(scene.read_text(encoding="utf-8"))) - 1  # less the document
    errors: list[str] = []
    foreign: list[str] = []
    with globe.GlobeServer(scene) as server, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 960, "height": 640})

            def check(request) -> None:
                parts = urlsplit(request.url)
                if parts.scheme not in ("data", "blob") and parts.hostname != "127.0.0.1":
                    foreign.append(request.url)

            context.on("request", check)
            page = context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(server.url + "?t=200")
            page.wait_for_function("window.hdsimReady === true || 'hdsimError' in window",
                                   timeout=120_000)
            assert page.evaluate("window.hdsimError || null") is None
            assert page.evaluate("window.hdsimEntityCount") == n_packets
            shown = _boost_pixels(page.screenshot())
            page.evaluate("""() => new Promise(resolve => {
                const viewer = window.hdsimViewer;
                for (const e of viewer.dataSources.get(0).entities.values) {
                    if (e.id.startsWith('threat/')) { e.show = false; }
                }
                const done = () => { viewer.scene.postRender.removeEventListener(done);
                                     resolve(); };
                viewer.scene.postRender.addEventListener(done);
                viewer.scene.requestRender();
            })""")
            hidden = _boost_pixels(page.screenshot())
            assert page.evaluate("window.hdsimError || null") is None  # no render error
        finally:
            browser.close()
    assert errors == []
    assert foreign == []
    assert shown >= 30 and hidden <= shown // 10, (shown, hidden)
    assert time.monotonic() - start < 90
