"""Drives the JupyterLite site in Debian's Chromium: a static server on loopback, and a page kept off the network."""

import functools
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from jupyterlab_driver import ARTIFACTS_VARIABLE, ROOT

SITE = ROOT / "build" / "lite"
# What a static host must say for each kind of file: browsers refuse to stream WebAssembly or import modules otherwise.
MIME_TYPES = {
    ".wasm": "application/wasm",
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".json": "application/json",
    ".ipynb": "application/json",
    ".whl": "application/zip",
    ".zip": "application/zip",
}
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
# The test's own settings, added to the site's jupyter-lite.json as the page loads (the site itself is unchanged):
# the app as window.jupyterapp, to fill answer cells and read the kernel's state, and every cell in the page.
TEST_SETTINGS = {
    "exposeAppInBrowser": True,
    "settingsOverrides": {"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}},
}
# The benchmark's: only the app, to read the kernel's state; the notebook renders as a student's does.
BENCH_SETTINGS = {"exposeAppInBrowser": True}
# The open notebook's kernel, once it has started and answered: the moment a student can run the first cell.
KERNEL_READY = """() => {
    const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const kernel = panel && panel.sessionContext && panel.sessionContext.session && panel.sessionContext.session.kernel;
    return !!kernel && kernel.status === 'idle' && kernel.connectionStatus === 'connected';
}"""

# Run > Run All Cells, as a student chooses it: true once every cell ran without an error (JupyterLab stops at one).
RUN_ALL = "async () => await window.jupyterapp.commands.execute('notebook:run-all-cells')"
# The path in the site of the open document (null while none is open, or the open tab is not a document).
NOTEBOOK_PATH = """() => {
    const widget = window.jupyterapp.shell.currentWidget;
    return widget && widget.context ? widget.context.path : null;
}"""
# Opens a file of the site in the running JupyterLab, as a double click in its file browser does.
OPEN_FILE = "async (path) => { await window.jupyterapp.commands.execute('docmanager:open', {path}); }"
# Closes the open notebook and shuts its kernel down, without asking to save (the site's files stay as they are).
CLOSE_NOTEBOOK = """async () => {
    const panel = window.jupyterapp.shell.currentWidget;
    await panel.sessionContext.shutdown();
    panel.context.model.dirty = false;
    panel.dispose();
}"""
# Each code cell of the open notebook: its position, tags, execution count and outputs (as in the .ipynb file).
CODE_CELLS = """() => window.jupyterapp.shell.currentWidget.content.widgets
    .map((cell, index) => ({index, model: cell.model}))
    .filter(({model}) => model.type === 'code')
    .map(({index, model}) => ({
        index,
        tags: model.getMetadata('tags') || [],
        checkpoint: (model.getMetadata('course') || {}).checkpoint || null,
        count: model.executionCount,
        outputs: model.outputs.toJSON(),
    }))"""
# Replaces the source of cells of the open notebook, as a student typing: {position: new source}.
SET_SOURCES = """(sources) => {
    const cells = window.jupyterapp.shell.currentWidget.content.widgets;
    for (const [index, source] of Object.entries(sources)) cells[Number(index)].model.sharedModel.setSource(source);
}"""


class _SiteFiles(SimpleHTTPRequestHandler):
    """Serves the site's files with the MIME types above, quietly."""

    extensions_map: ClassVar[dict[str, str]] = {**SimpleHTTPRequestHandler.extensions_map, **MIME_TYPES}

    def log_message(self, format: str, *args: Any) -> None:
        """Log nothing: the test reports what matters."""


@contextmanager
def serve_site(folder: Path = SITE) -> Iterator[str]:
    """Serve a folder on 127.0.0.1 (a free port) from a thread; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_SiteFiles, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, name="lite-site", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class LoopbackGuard:
    """A route handler that lets loopback requests through and blocks, and records, every other one."""

    served: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # loopback requests answered with an HTTP error

    def answered(self, response: Any) -> None:
        """Record a response that is an HTTP error."""
        if response.status >= 400:
            self.failed.append(f"{response.status} {response.url}")

    def handle(self, route: Any) -> None:
        """Continue a request to the loopback; abort any other."""
        url = route.request.url
        if urlsplit(url).hostname in LOOPBACK_HOSTS:
            self.served.append(url)
            route.fallback()
        else:
            self.blocked.append(url)
            route.abort("blockedbyclient")


def settings_adder(settings: dict[str, Any]) -> Any:
    """A route handler answering the site's jupyter-lite.json with these settings added."""

    def add_settings(route: Any) -> None:
        response = route.fetch()
        config = response.json()
        config["jupyter-config-data"].update(settings)
        route.fulfill(response=response, body=json.dumps(config))

    return add_settings


def offline_context(browser: Any, base_url: str, guard: LoopbackGuard, settings: dict[str, Any] = TEST_SETTINGS) -> Any:
    """A browser context whose requests all go through the guard, with the test's settings for the site."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.route("**/*", guard.handle)
    context.on("response", guard.answered)
    context.route(f"{base_url}/jupyter-lite.json", settings_adder(settings))  # added last: tried first, then the guard
    return context


def notebook_url(base_url: str, path: str) -> str:
    """The address that opens a notebook of the site in JupyterLite's JupyterLab."""
    return f"{base_url}/lab/index.html?path={path}"


def open_notebook(context: Any, base_url: str, path: str) -> Any:
    """A new page showing a notebook of the site, once its kernel is ready."""
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(notebook_url(base_url, path))
    page.wait_for_function(KERNEL_READY)
    return page


def output_text(output: dict[str, Any]) -> str:
    """What an output (as in an .ipynb file) says in plain text: a stream, a result or display, or an error."""
    if output["output_type"] == "stream":
        return "".join(output["text"])
    if output["output_type"] == "error":
        return f"{output['ename']}: {output['evalue']}"
    return "".join(output.get("data", {}).get("text/plain", ""))


def artifacts_folder() -> Path:
    """Where the lite test's screenshots go: lite/ in $COURSE_TEST_ARTIFACTS, else test-artifacts/lite (git-ignored)."""
    folder = Path(os.environ.get(ARTIFACTS_VARIABLE) or ROOT / "test-artifacts") / "lite"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
