"""The book-club web app (`make app`, lesson 7) served on loopback, used in Debian's Chromium: the sign-up form."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path

import pytest
from jupyterlab_driver import CHROMIUM_FLAGS, ROOT, artifacts_folder
from test_lesson_in_browser import require_chromium


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def club_url(tmp_path_factory) -> Iterator[str]:
    """`python -m course_lib app` on a free port of 127.0.0.1, this checkout's course_lib first on the path."""
    port = free_port()
    log = tmp_path_factory.mktemp("app") / "app.log"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    env.pop("COURSE_DATABASE", None)  # the default database: in-memory SQLite
    with log.open("wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "course_lib", "app", "--port", str(port)],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_answering(f"{url}/readers", server, log)
        yield url
    finally:
        server.terminate()
        with suppress(subprocess.TimeoutExpired):
            server.wait(timeout=10)
        if server.poll() is None:
            server.kill()
            server.wait()


def wait_until_answering(url: str, server: subprocess.Popen[bytes], log: Path, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the app ended at start:\n{log.read_text(encoding='utf-8')[-3000:]}")
        with suppress(OSError), urllib.request.urlopen(url, timeout=2) as answer:
            if answer.status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"the app did not answer within {seconds} s:\n{log.read_text(encoding='utf-8')[-3000:]}")


def post(url: str, fields: dict[str, str]) -> tuple[int, str]:
    """POST a form without following redirects: the status, and the Location or the page."""

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    data = urllib.parse.urlencode(fields).encode()
    try:
        with urllib.request.build_opener(NoRedirect).open(url, data=data, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location") or error.read().decode()


def test_the_served_app_keeps_its_in_memory_database_across_requests(club_url):
    """No browser needed: a reader signed up in one request is listed by the next (one StaticPool connection)."""
    status, location = post(f"{club_url}/sign-up", {"name": "Ida", "surname": "Web", "email": "ida.web@example.com"})
    assert (status, location) == (303, "/readers/754")
    with urllib.request.urlopen(f"{club_url}/readers", timeout=10) as answer:
        assert "ida.web@example.com" in answer.read().decode()
    status, page = post(f"{club_url}/sign-up", {"name": "Ida", "surname": "Web", "email": "ida.web@example.com"})
    assert status == 409
    assert "that email is already registered" in page


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), headless=True, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    page = browser.new_page(viewport={"width": 1000, "height": 700})
    page.set_default_timeout(30_000)
    yield page
    page.close()


def sign_up(page, club_url: str, name: str, surname: str, email: str) -> int:
    """Fill the sign-up form in the browser and send it; the status of the page the browser lands on."""
    page.goto(f"{club_url}/sign-up")
    page.fill("input[name=name]", name)
    page.fill("input[name=surname]", surname)
    page.fill("input[name=email]", email)
    with page.expect_navigation() as navigation:
        page.click("button[type=submit]")
    return navigation.value.status


@pytest.mark.browser
def test_a_taken_email_shows_the_flashed_message_and_keeps_the_form(page, club_url):
    status = sign_up(page, club_url, "Pat", "Adams", "ann.adams@example.com")
    page.screenshot(path=str(artifacts_folder() / "app-sign-up-taken.png"), full_page=True)
    assert status == 409
    assert page.locator("p.flash").inner_text() == "that email is already registered"
    assert page.input_value("input[name=email]") == "ann.adams@example.com"  # the form keeps what was typed
    page.goto(f"{club_url}/readers")
    assert page.locator("#readers tr", has_text="ann.adams@example.com").count() == 1


@pytest.mark.browser
def test_a_new_reader_lands_in_the_list(page, club_url):
    status = sign_up(page, club_url, "Nova", "Browser", "nova.browser@example.com")
    assert status == 200
    assert page.url.startswith(f"{club_url}/readers/")  # redirected (303) to her page
    assert page.locator("h1").inner_text() == "Nova Browser"
    page.click("text=Readers")
    row = page.locator("#readers tr", has_text="nova.browser@example.com")
    assert row.count() == 1
    assert "Nova" in row.inner_text()
    page.screenshot(path=str(artifacts_folder() / "app-readers-after-sign-up.png"), full_page=True)
