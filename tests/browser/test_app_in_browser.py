"""The book-club web app (`make app`, lesson 7) served on loopback, used in Debian's Chromium: the sign-up form, the
stylesheet, the panel that shows each request's transaction, and no serious accessibility violation on its pages."""

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
from accessibility import serious_violations
from jupyterlab_driver import CHROMIUM_FLAGS, ROOT, artifacts_folder
from playwright.sync_api import expect
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
    page.elsewhere = []  # requests to anything but the app: a stylesheet from a CDN would be one
    page.on("request", lambda request: "127.0.0.1" not in request.url and page.elsewhere.append(request.url))
    yield page
    assert page.elsewhere == []
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
def test_a_taken_email_shows_the_flashed_message_keeps_the_form_and_shows_the_rollback(page, club_url):
    status = sign_up(page, club_url, "Pat", "Adams", "ann.adams@example.com")
    page.screenshot(path=str(artifacts_folder() / "app-sign-up-taken.png"), full_page=True)
    assert status == 409
    expect(page.locator("p.flash")).to_have_text("that email is already registered")
    expect(page.locator("input[name=email]")).to_have_value("ann.adams@example.com")  # the form keeps what was typed
    transaction = page.locator("aside.transaction")
    expect(transaction).to_contain_text("POST /sign-up answered 409 Conflict with this page.")
    insert = "INSERT INTO reader (name, surname, email) VALUES (?, ?, ?)  -- ('Pat', 'Adams', 'ann.adams@example.com')"
    expect(transaction.locator("pre").first).to_contain_text(f"BEGIN\n{insert}\nROLLBACK")
    expect(transaction.locator(".control", has_text="ROLLBACK").first).to_have_css("font-weight", "700")
    page.goto(f"{club_url}/readers")
    expect(page.locator("#readers tr", has_text="ann.adams@example.com")).to_have_count(1)


@pytest.mark.browser
def test_a_new_reader_lands_on_her_page_which_shows_the_commit_then_in_the_list(page, club_url):
    status = sign_up(page, club_url, "Nova", "Browser", "nova.browser@example.com")
    assert status == 200
    assert page.url.startswith(f"{club_url}/readers/")  # redirected (303) to her page
    expect(page.locator("h1")).to_have_text("Nova Browser")
    transaction = page.locator("aside.transaction")
    expect(transaction).to_contain_text("POST /sign-up answered 303 See Other and sent the browser here.")
    expect(transaction.locator("pre").first).to_contain_text("'nova.browser@example.com')\nCOMMIT")
    expect(transaction).to_contain_text("answered 200 OK with this page.")
    page.screenshot(path=str(artifacts_folder() / "app-profile-after-sign-up.png"), full_page=True)
    page.get_by_role("link", name="Readers").click()
    row = page.locator("#readers tr", has_text="nova.browser@example.com")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Nova")
    expect(page.locator("aside.transaction")).not_to_contain_text("POST /sign-up")  # shown once, where she landed
    page.screenshot(path=str(artifacts_folder() / "app-readers-after-sign-up.png"), full_page=True)


@pytest.mark.browser
def test_the_pages_are_styled_by_the_kits_own_stylesheet(page, club_url):
    page.goto(f"{club_url}/readers")
    sheets = page.evaluate("() => [...document.styleSheets].map(sheet => [sheet.href, sheet.cssRules.length])")
    assert [href for href, _rules in sheets] == [f"{club_url}/static/club/{css}" for css in ("simple.css", "club.css")]
    assert all(rules > 0 for _href, rules in sheets)
    assert "Avenir" in page.evaluate("() => getComputedStyle(document.body).fontFamily")  # Simple.css's fonts


PAGES = {  # what each page is, and how to reach it in a fresh browser page
    "readers": lambda page, url: page.goto(f"{url}/readers"),
    "profile": lambda page, url: page.goto(f"{url}/readers/123"),
    "sign-up form": lambda page, url: page.goto(f"{url}/sign-up"),
    "sign-up refused (409)": lambda page, url: sign_up(page, url, "Pat", "Adams", "ann.adams@example.com"),
    "email form": lambda page, url: page.goto(f"{url}/readers/345/email"),
    "delete confirmation": lambda page, url: page.goto(f"{url}/readers/450/delete"),
    "not found (404)": lambda page, url: page.goto(f"{url}/readers/999"),
}


@pytest.mark.browser
@pytest.mark.parametrize("name", PAGES)
def test_no_page_has_a_serious_accessibility_violation(page, club_url, name):
    PAGES[name](page, club_url)
    assert serious_violations(page) == []


@pytest.mark.browser
def test_every_form_field_has_a_label(page, club_url):
    for path in ("/sign-up", "/readers/345/email"):
        page.goto(f"{club_url}{path}")
        fields = page.locator("input, select, textarea")
        for index in range(fields.count()):
            assert page.evaluate("(field) => field.labels.length", fields.nth(index).element_handle()) == 1


@pytest.mark.browser
def test_axe_finds_the_violations_it_claims_to(page):
    """The engine works here: an unlabelled field and grey text on grey are serious violations it names."""
    page.set_content(
        '<html lang="en"><head><title>bad</title></head><body><main><input name="email">'
        '<p style="color:#aaa;background:#bbb">faint</p></main></body></html>'
    )
    found = serious_violations(page)
    assert [line.split(" ")[0] for line in found] == ["color-contrast", "label"], found
