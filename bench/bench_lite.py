"""Benchmark: the JupyterLite site's size, the time until the first lesson's kernel is ready, the first start_lesson().

Run with `make bench-lite` after `make lite` (or `.venv/bin/python bench/bench_lite.py [--runs N]`); prints a
Markdown table. Each run opens lesson 01 in a fresh browser context (empty cache, as a student's first visit) of
Debian's Chromium, from the site served on loopback, with every other host blocked and the site's own settings (the
test's, which draw every cell, are not used); it reuses the lite browser test's driver (tests/browser/lite_driver.py).
"""

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from jupyterlab_driver import CHROMIUM_FLAGS, chromium_path  # noqa: E402  (after the driver's folder is on the path)
from lite_driver import (  # noqa: E402
    BENCH_SETTINGS,
    KERNEL_READY,
    SITE,
    LoopbackGuard,
    notebook_url,
    offline_context,
    serve_site,
)
from playwright.sync_api import sync_playwright  # noqa: E402

LESSON = "notebooks/01_the_database.ipynb"
# Runs the notebook's first code cell (`app = start_lesson()`) and returns how long it took, in milliseconds.
RUN_FIRST_CELL = """async () => {
    const notebook = window.jupyterapp.shell.currentWidget.content;
    notebook.activeCellIndex = notebook.widgets.findIndex(cell => cell.model.type === 'code');
    const start = performance.now();
    await window.jupyterapp.commands.execute('notebook:run-cell');
    return performance.now() - start;
}"""
FIRST_OUTPUT = """() => window.jupyterapp.shell.currentWidget.content.widgets
    .find(cell => cell.model.type === 'code').model.outputs.toJSON().map(o => (o.text || '')).join('')"""


def megabytes(folder: Path) -> float:
    """The total size of the files under a folder, in MB (10^6 bytes)."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file()) / 1e6


def one_visit(browser: object, url: str) -> tuple[float, float]:
    """Seconds from opening lesson 01 until its kernel is ready, and seconds its first start_lesson() takes."""
    guard = LoopbackGuard()
    context = offline_context(browser, url, guard, BENCH_SETTINGS)
    page = context.new_page()
    page.set_default_timeout(120_000)
    start = time.perf_counter()
    page.goto(notebook_url(url, LESSON))
    page.wait_for_function(KERNEL_READY)
    ready = time.perf_counter() - start
    first_cell = page.evaluate(RUN_FIRST_CELL) / 1000
    said = page.evaluate(FIRST_OUTPUT)
    context.close()
    if "Fresh book-club database" not in said or guard.blocked:
        raise SystemExit(f"the visit went wrong: first cell said {said!r}; blocked requests: {guard.blocked}")
    return ready, first_cell


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3, help="visits to measure (default 3)")
    runs = parser.parse_args().runs
    executable = chromium_path()
    if not (SITE / "index.html").is_file() or executable is None:
        raise SystemExit("Needs the built site (`make lite`) and Debian's Chromium.")
    with serve_site(SITE) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_FLAGS)
        visits = [one_visit(browser, url) for _ in range(runs)]
        version = browser.version
        browser.close()
    ready, first_cell = ([visit[i] for visit in visits] for i in range(2))
    machine = f"{platform.system()} {platform.machine()}, {len(os.sched_getaffinity(0))} cores, Chromium {version}"
    print(f"JupyterLite site: {runs} visits of lesson 01, each in a fresh browser context; {machine}\n")
    print("| measure | median | worst |")
    print("| --- | --- | --- |")
    print(f"| site size (build/lite) | {megabytes(SITE):.1f} MB | |")
    print(f"| Pyodide and the wheels (static/pyodide) | {megabytes(SITE / 'static' / 'pyodide'):.1f} MB | |")
    print(f"| opening lesson 01 until its kernel is ready | {statistics.median(ready):.1f} s | {max(ready):.1f} s |")
    print(f"| first `start_lesson()` | {statistics.median(first_cell):.2f} s | {max(first_cell):.2f} s |")


if __name__ == "__main__":
    main()
