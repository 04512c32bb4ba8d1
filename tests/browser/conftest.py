"""The JupyterLite site's fixtures, shared by its test files: served on loopback, guarded, in Debian's Chromium.

A test file that defines a fixture of the same name (the JupyterLab and web app tests have their own `browser`)
uses its own.
"""

from collections.abc import Iterator

import pytest
from jupyterlab_driver import CHROMIUM_FLAGS
from lite_driver import SITE, LoopbackGuard, require_site, serve_site
from test_lesson_in_browser import require_chromium


@pytest.fixture(scope="module")
def guard() -> LoopbackGuard:
    return LoopbackGuard()


@pytest.fixture(scope="module")
def site_url() -> Iterator[str]:
    with serve_site(require_site(SITE)) as url:
        yield url


@pytest.fixture(scope="module")
def browser(site_url) -> Iterator[object]:
    executable = require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()
