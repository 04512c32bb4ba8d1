"""Drives a view function through Flask's test client, scenario by scenario, and observes what each request answers.

The collect half of a web checkpoint calls `observe_view` with scenarios: each a fresh copy of the seeded database
(optionally with a twist: an email the database refuses only when the INSERT or UPDATE reaches it, as when another
request took it in between, or one whose write fails for another reason) and requests sent in order. For each
request it observes, as plain data: the status, the content type, the templates rendered (Flask's
`template_rendered` signal), where a redirect points (its endpoint and arguments), the messages flashed, which
emails the page shows, the error a view raised, and the request's transaction (how many commits, on which session,
and whether it was left needing a rollback); after the last request, the rows that matter. The reference solution's
views are observed the same way (`checks/reference.py`), and the rule compares the two.
"""

import re
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, got_request_exception, message_flashed, template_rendered
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException

from course_lib.bookclub.database import IN_MEMORY_SQLITE, reset_to_seed
from course_lib.bookclub.models import db
from course_lib.bookclub.seed import READERS
from course_lib.bookclub.webapp import create_club_app
from course_lib.checks.judging.observation import observed_log
from course_lib.checks.registry import describe_error

#: An email whose INSERT or UPDATE fails with an error that is not an IntegrityError (a full disk, say).
BROKEN_EMAIL = "disk.full@example.com"
#: An email free when the view reads (no row has it), refused by the UNIQUE constraint when the write reaches the
#: database: another request signed up with it in between. Only a view that handles IntegrityError copes.
RACED_EMAIL = "taken.meanwhile@example.com"
BODY_CHARACTERS = 600
AUTOFLUSH_NOTE = "Query-invoked autoflush"  # in SQLAlchemy's message of an error a query's autoflush raised
WATCHED_EMAILS = tuple(email for *_, email in READERS)


@dataclass(frozen=True)
class Request:
    """One request of a scenario: method, path (a query string included), form data."""

    method: str
    path: str
    form: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        """`POST /sign-up`, as messages name a request."""
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class Scenario:
    """Requests sent one after another to a fresh seeded database; `race` refuses RACED_EMAIL at the write."""

    requests: tuple[Request, ...]
    watched: tuple[str, ...] = ()  # emails, beyond the seed's, whose presence on a page is observed


def view_of(namespace: dict[str, Any], name: str) -> Callable[..., Any] | None:
    """The student's function of that name, or None."""
    value = namespace.get(name)
    return value if callable(value) and not isinstance(value, type) else None


def describe_view(namespace: dict[str, Any], name: str) -> str:
    """'function', 'missing', or the type of what the name holds."""
    if name not in namespace:
        return "missing"
    return "function" if view_of(namespace, name) is not None else type(namespace[name]).__name__


def observe_view(view: Callable[..., Any], name: str, scenarios: dict[str, Scenario]) -> dict[str, Any]:
    """What each scenario's requests answered when `view` serves the endpoint `name`, as plain data."""
    app = _check_app()
    app.view_functions[name] = view
    try:
        return {key: _run(app, scenario) for key, scenario in scenarios.items()}
    finally:
        app.view_functions[name] = _KIT_VIEWS[name]


def page_text(html: str) -> str:
    """The text of a page: no tags, whitespace collapsed, cut to a few hundred characters."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()[:BODY_CHARACTERS]


_KIT_VIEWS: dict[str, Callable[..., Any]] = {}


@cache
def _check_app() -> Flask:
    """One book-club app per process for the web checks: its database is reset to the seed before each scenario."""
    app = create_club_app(url=IN_MEMORY_SQLITE)
    _KIT_VIEWS.update(app.view_functions)
    event.listen(Session, "after_commit", _count_commit)
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _fail(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.startswith(("INSERT", "UPDATE")) and BROKEN_EMAIL in str(parameters):
            raise OperationalError(statement, parameters, sqlite3.OperationalError("database or disk is full"))

    return app


RACE_TRIGGERS = tuple(
    f"CREATE TEMP TRIGGER IF NOT EXISTS raced_{when} BEFORE {when} ON reader WHEN NEW.email = '{RACED_EMAIL}' "
    "BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: reader.email'); END"
    for when in ("INSERT", "UPDATE")
)


def _run(app: Flask, scenario: Scenario) -> dict[str, Any]:
    """Send a scenario's requests to the check app on a fresh seeded database; what each answered, the rows after."""
    reset_to_seed(app, RACE_TRIGGERS)
    client = app.test_client()
    watched = (*WATCHED_EMAILS, *scenario.watched)
    answers = []
    for request in scenario.requests:
        with _observed(app) as seen:
            response = client.open(request.path, method=request.method, data=request.form)
        body = page_text(response.get_data(as_text=True))
        answers.append(
            {
                "request": str(request),
                "status": response.status_code,
                "mimetype": response.mimetype or "",
                "templates": seen["templates"],
                "redirect": _target(app, response.headers.get("Location")),
                "flashed": seen["flashed"],
                "shows": [email for email in watched if email in body],
                "body": body,
                "error": seen["errors"][0] if seen["errors"] else None,
                "commits": seen["commits"],
                "other_session_commits": seen["other_commits"],
                "writes": [entry for entry in seen["log"] if entry.split()[0] in ("INSERT", "UPDATE", "DELETE")],
                "left_needing_rollback": seen["failed"],
            }
        )
    return {"answers": answers, "rows": _rows(app)}


@contextmanager
def _observed(app: Flask) -> Iterator[dict[str, Any]]:
    """Watch one request: templates rendered, flashes, errors, commits (on which session), a session left failed."""
    seen: dict[str, Any] = {"templates": [], "flashed": [], "commits": 0, "other_commits": 0, "failed": False}
    seen["errors"] = []

    def rendered(_app: Any, template: Any, context: Any, **_: Any) -> None:
        seen["templates"].append(template.name)

    def flashed(_app: Any, message: str, category: str, **_: Any) -> None:
        seen["flashed"].append(str(message))

    def raised(_app: Any, exception: BaseException, **_: Any) -> None:
        autoflush = " (in an autoflush, before a query)" if AUTOFLUSH_NOTE in str(exception) else ""
        seen["errors"].append(describe_error(exception) + autoflush)  # the database's own words

    def torn_down(_error: Any) -> None:
        seen["failed"] = seen["failed"] or not db.session().is_active

    template_rendered.connect(rendered, app)
    message_flashed.connect(flashed, app)
    got_request_exception.connect(raised, app)
    _COMMITS.append(seen)
    app.teardown_request_funcs.setdefault(None, []).insert(0, torn_down)
    try:
        with observed_log() as log:
            yield seen
        seen["log"] = log
    finally:
        app.teardown_request_funcs[None].remove(torn_down)
        _COMMITS.remove(seen)
        got_request_exception.disconnect(raised, app)
        message_flashed.disconnect(flashed, app)
        template_rendered.disconnect(rendered, app)


#: What the requests being observed now saw; one listener, installed with the check app, counts their commits.
_COMMITS: list[dict[str, Any]] = []


def _count_commit(session: Session) -> None:
    for seen in _COMMITS:
        seen["commits" if session is db.session() else "other_commits"] += 1


def _target(app: Flask, location: str | None) -> dict[str, Any] | None:
    """Where a redirect points: the endpoint and arguments of the app's URL it names, or the address itself."""
    if not location:
        return None
    parts = urlsplit(location)
    try:
        endpoint, arguments = app.url_map.bind("localhost").match(parts.path, method="GET")
    except HTTPException:
        return {"address": location}
    return {"endpoint": endpoint, "arguments": {key: str(value) for key, value in sorted(arguments.items())}}


def _rows(app: Flask) -> dict[str, Any]:
    """The readers (id and email) and who wrote the reviews and annotations, as committed (plain SQL, past the ORM)."""
    with app.app_context():
        db.session.remove()
        raw = db.engine.raw_connection()
        try:
            read = raw.driver_connection.execute
            readers = read("SELECT id, email FROM reader ORDER BY id").fetchall()
            reviews = read("SELECT reviewer_id, count(*) FROM review GROUP BY reviewer_id").fetchall()
            notes = read("SELECT reviewer_id, count(*) FROM annotation GROUP BY reviewer_id").fetchall()
        finally:
            raw.close()
    return {
        "readers": {str(id_): email for id_, email in readers},
        "reviews_by": {str(id_): count for id_, count in reviews},
        "annotations_by": {str(id_): count for id_, count in notes},
    }
