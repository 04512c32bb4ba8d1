"""The served book club (`make app`): its stylesheets, and the panel that shows each request's transaction."""

import hashlib
import re
from pathlib import Path

import pytest

from course_lib.bookclub import webapp
from course_lib.bookclub.database import IN_MEMORY_SQLITE, dispose
from course_lib.bookclub.transaction_panel import ENDING
from course_lib.bookclub.webapp import create_club_app

STATIC = Path(webapp.__file__).parent / "static"
# Simple.css 2.3.7, simple.css of the npm package simpledotcss@2.3.7, vendored unchanged.
SIMPLE_CSS_SHA256 = "3f5f9335c0e6663f573da248630701839a01bc98d8382dd22aefb35544cea3d4"
TAKEN = {"name": "Pat", "surname": "Adams", "email": "ann.adams@example.com"}
NEW = {"name": "Nova", "surname": "Web", "email": "nova.web@example.com"}


@pytest.fixture
def served():
    app = create_club_app(url=IN_MEMORY_SQLITE, show_transactions=True)
    yield app
    dispose(app)


def panel(html: str) -> str:
    """The panel's text: tags gone, one line per line of SQL."""
    found = re.search(r'<aside class="transaction".*?</aside>', html, re.DOTALL)
    assert found, "the page has no transaction panel"
    return re.sub(r"<[^>]+>", "", found.group(0)).replace("&#39;", "'")


def test_the_vendored_stylesheet_is_simple_css_unchanged_with_its_licence():
    assert hashlib.sha256((STATIC / "simple.css").read_bytes()).hexdigest() == SIMPLE_CSS_SHA256
    assert "MIT License" in (STATIC / "simple.css.LICENSE").read_text(encoding="utf-8")


def test_every_page_links_the_stylesheets_which_the_app_serves(served):
    client = served.test_client()
    page = client.get("/readers").get_data(as_text=True)
    for name in ("simple.css", "club.css"):
        assert f'href="/static/club/{name}"' in page
        answer = client.get(f"/static/club/{name}")
        assert (answer.status_code, answer.mimetype) == (200, "text/css")
        answer.close()


def test_a_taken_email_shows_its_rollback_under_the_409_page(served):
    answer = served.test_client().post("/sign-up", data=TAKEN)
    assert answer.status_code == 409
    shown = panel(answer.get_data(as_text=True))
    assert "POST /sign-up answered 409 Conflict with this page." in shown
    assert re.search(r"BEGIN\nINSERT INTO reader .*'ann.adams@example.com'\)\nROLLBACK\n", shown)
    assert shown.rstrip().endswith(ENDING)


def test_after_a_sign_up_the_page_the_browser_lands_on_shows_the_redirects_commit(served):
    client = served.test_client()
    redirect = client.post("/sign-up", data=NEW)
    assert (redirect.status_code, redirect.headers["Location"]) == (303, "/readers/754")
    assert "<aside" not in redirect.get_data(as_text=True)  # a redirect shows nothing: its page is the next one
    shown = panel(client.get("/readers/754").get_data(as_text=True))
    before, _, here = shown.partition("GET /readers/754 answered 200 OK with this page.")
    assert "POST /sign-up answered 303 See Other and sent the browser here." in before
    assert re.search(r"BEGIN\nINSERT INTO reader .*'nova.web@example.com'\)\nCOMMIT\n", before)
    assert "COMMIT" not in here.replace(ENDING, "") and "SELECT count(*)" in here
    again = panel(client.get("/readers/754").get_data(as_text=True))
    assert "POST /sign-up" not in again  # shown once


def test_a_redirects_transaction_waits_for_its_own_browser(served):
    signing_up, other = served.test_client(), served.test_client()
    signing_up.post("/sign-up", data=NEW)
    other.get("/readers")  # another browser, meanwhile
    assert "POST /sign-up" not in panel(other.get("/readers").get_data(as_text=True))
    assert "POST /sign-up" in panel(signing_up.get("/readers/754").get_data(as_text=True))


def test_a_savepoint_shows_its_lines(served):
    def readers():
        from course_lib import Reader, db

        with db.session.begin_nested():
            db.session.add(Reader(name="Sue", surname="Point", email="sue.point@example.com"))
        db.session.commit()
        return "<!doctype html><html><body><p>done</p></body></html>"

    app = create_club_app(readers, url=IN_MEMORY_SQLITE, show_transactions=True)
    try:
        shown = panel(app.test_client().get("/readers").get_data(as_text=True))
    finally:
        dispose(app)
    assert re.search(r"SAVEPOINT sa_savepoint_1\nINSERT .*\nRELEASE SAVEPOINT sa_savepoint_1\nCOMMIT\n", shown)


def test_a_missing_reader_is_a_page_of_the_club_with_its_panel(served):
    answer = served.test_client().get("/readers/999")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 404
    assert "<h1>404 Not Found</h1>" in page and 'href="/static/club/simple.css"' in page
    assert "WHERE reader.id = ?  -- (999,)" in panel(page)


def test_without_show_transactions_the_views_answers_are_their_own(served):
    plain = create_club_app(url=IN_MEMORY_SQLITE)  # as the checks and the lessons build it
    try:
        client = plain.test_client()
        assert "<aside" not in client.post("/sign-up", data=TAKEN).get_data(as_text=True)
        assert client.get("/readers/999").get_data(as_text=True).startswith("<!doctype html>\n<html lang=en>")
        assert "Set-Cookie" not in client.get("/readers").headers
    finally:
        dispose(plain)


def test_the_pages_text_is_what_it_was_before_the_styles(served):
    """What the checks and lesson 07 read: the page's text, and its <h1>, Email and flash lines."""
    html = create_club_app(url=IN_MEMORY_SQLITE).test_client().get("/readers/123").get_data(as_text=True)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()
    assert text == "Book club Readers | Sign up | the club has 6 members Ann Adams Email: ann.adams@example.com " + (
        "Change the email | Leave the club"
    )
    assert [line for line in html.splitlines() if "<h1>" in line or "Email" in line] == [
        "<h1>Ann Adams</h1>",
        "<p>Email: ann.adams@example.com</p>",
    ]
