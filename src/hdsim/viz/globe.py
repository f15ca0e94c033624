"""``hdsim view``: a run on an offline 3D globe (CesiumJS), served on this machine only.

:func:`view_run` writes the run's CZML scene (:mod:`hdsim.viz.czml`) into the run folder and,
unless asked only to export it, serves the globe page (``hdsim/web``), CesiumJS and the scene
over HTTP on ``127.0.0.1`` until interrupted. CesiumJS is not vendored: it is installed from
the pinned ``package-lock.json`` beside the page by ``npm ci --prefix <that folder>`` (the
project's install step does it), into ``node_modules/cesium/Build/Cesium``.

Routes: ``/`` and ``/index.html`` (the page), ``/globe.js``, ``/scene.czml`` (the run's scene)
and ``/cesium/...`` (the Cesium build); anything else is 404. The page makes no request to any
other host (no Cesium ion, no online imagery or terrain).
"""

from __future__ import annotations

import os
import threading
import webbrowser
from collections.abc import Callable
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hdsim.viz.czml import SCENE_FILE, SceneSites, save_scene, scene_czml
from hdsim.viz.plots import load_run

__all__ = ["WEB_DIR", "GlobeServer", "cesium_build_dir", "cesium_install_command", "view_run"]

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
"""The globe page's folder (``index.html``, ``globe.js``, ``package.json``, the lock file)."""

_PAGE_FILES = {"/": "index.html", "/index.html": "index.html", "/globe.js": "globe.js"}


def cesium_build_dir(web_dir: Path = WEB_DIR) -> Path | None:
    """The installed Cesium build (``.../node_modules/cesium/Build/Cesium``), or None."""
    build = web_dir / "node_modules" / "cesium" / "Build" / "Cesium"
    return build if (build / "Cesium.js").is_file() else None


def cesium_install_command(web_dir: Path = WEB_DIR) -> str:
    """The command that installs Cesium for the globe page."""
    return f"npm ci --prefix {web_dir}"


class _Handler(SimpleHTTPRequestHandler):
    """Static files of the page, the Cesium build and the run's scene; nothing else."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, ".czml": "application/json",
                      ".js": "text/javascript", ".wasm": "application/wasm",
                      ".json": "application/json", ".glb": "model/gltf-binary"}

    def __init__(self, *args: Any, web_dir: Path, cesium_dir: Path, scene: Path, **kwargs: Any):
        self._web_dir, self._cesium_dir, self._scene = web_dir, cesium_dir, scene
        super().__init__(*args, directory=str(web_dir), **kwargs)

    @staticmethod
    def _known(route: str) -> bool:
        return (route in _PAGE_FILES or route == "/" + SCENE_FILE or route == "/cesium"
                or route.startswith("/cesium/"))

    def send_head(self) -> Any:
        if not self._known(urlsplit(self.path).path):
            self.send_error(404, "Not found")
            return None
        return super().send_head()

    def translate_path(self, path: str) -> str:
        route = urlsplit(path).path
        if route in _PAGE_FILES:
            return str(self._web_dir / _PAGE_FILES[route])
        if route == "/" + SCENE_FILE:
            return str(self._scene)
        self.directory = str(self._cesium_dir)  # the base class drops ".." and such
        return super().translate_path(path[len("/cesium"):] or "/")

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base's name)
        """Quiet: the command prints the URL only."""


class GlobeServer:
    """The globe page and one run's scene served over HTTP on ``127.0.0.1`` (a thread).

    Use as a context manager, or call :meth:`close`. ``port`` 0 takes a free port.
    """

    def __init__(self, scene: Path, *, port: int = 0, cesium_dir: Path | None = None,
                 web_dir: Path = WEB_DIR):
        cesium = cesium_dir or cesium_build_dir(web_dir)
        if cesium is None:
            raise ValueError(f"Cesium is not installed for the globe page: run "
                             f"`{cesium_install_command(web_dir)}` (needs npm)")
        handler = partial(_Handler, web_dir=web_dir, cesium_dir=cesium, scene=Path(scene))
        try:
            self._httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
        except OSError as exc:
            raise ValueError(f"--port {port}: cannot listen on 127.0.0.1:{port} "
                             f"({exc.strerror or exc})") from None
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="hdsim-globe",
                                        daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The page's address, ``http://127.0.0.1:<port>/``."""
        return f"http://127.0.0.1:{self.port}/"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    def __enter__(self) -> GlobeServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def view_run(run_dir: str | os.PathLike[str], *, export: bool = False, port: int = 0,
             browser: bool = True, sites: SceneSites | None = None,
             echo: Callable[[str], None] = print,
             wait: Callable[[], None] | None = None) -> Path:
    """``hdsim view``: write ``run_dir/scene.czml``; unless ``export``, serve the globe on
    ``127.0.0.1:port``, print its URL, open a browser (unless ``browser`` is false) and serve
    until interrupted (Ctrl-C).

    Args:
        run_dir: a result folder written by ``hdsim run``.
        export: only write the scene (no Cesium needed) and print its path.
        port: the port to listen on; 0 takes a free one.
        browser: open the page in the default browser.
        sites: what the run folder does not record (:class:`~hdsim.viz.czml.SceneSites`).
        echo: where the URL (or the scene's path) is printed.
        wait: called while serving, returns to stop; default: wait for Ctrl-C.

    Returns:
        The scene's path.

    Raises:
        ValueError: ``run_dir`` is not a finished run of ``hdsim run``; Cesium is not installed
            (the message gives the command that installs it); the port is taken.
    """
    run_dir = Path(run_dir).expanduser()
    doc = scene_czml(load_run(run_dir), sites)  # refuses a folder that is not a finished run
    if not export and cesium_build_dir() is None:
        raise ValueError(f"Cesium is not installed for the globe page: run "
                         f"`{cesium_install_command()}` (needs npm), or use "
                         f"`hdsim view {run_dir} --export` to write {SCENE_FILE} only")
    scene = save_scene(doc, run_dir / SCENE_FILE)
    if export:
        echo(str(scene))
        return scene
    with GlobeServer(scene, port=port) as server:
        echo(f"Serving {run_dir} on {server.url} (Ctrl-C to stop)")
        if browser:
            webbrowser.open(server.url)
        try:
            (wait or threading.Event().wait)()
        except KeyboardInterrupt:
            pass
    return scene
