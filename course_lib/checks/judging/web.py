"""Drives a student's view functions through Flask's test client, each scenario on a fresh scratch app and database.

The collect half of a web checkpoint calls `run_scenario`: it builds the book-club app with the student's view (the
kit's views for the rest) on a fresh in-memory database, sends the requests one by one, and returns plain data: for
each request its status, Location header, flashed messages, the page's text, the error a view raised and whether the
session was left needing a rollback; then the rows that matter, read in a new app context after the last request.
"""

import re
import sqlite3
from collections.abc import Callable
from typing import Any

from flask import Flask, message_flashed
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from course_lib.bookclub.database import IN_MEMORY_SQLITE, dispose
from course_lib.bookclub.models import Annotation, Reader, Review, db
from course_lib.bookclub.webapp import ERRORS_KEY, create_club_app

#: An email whose INSERT or UPDATE the scratch database fails with an error that is not an IntegrityError.
BROKEN_EMAIL = "disk.full@example.com"
BODY_CHARACTERS = 600

#: one request: method, path, form data
Request = tuple[str, str, dict[str, str]]


def view_of(namespace: dict[str, Any], name: str) -> Callable[..., Any] | None:
    """The student's function of that name, or None."""
    value = namespace.get(name)
    return value if callable(value) and not isinstance(value, type) else None


def describe_view(namespace: dict[str, Any], name: str) -> str:
    """'function', 'missing', or the type of what the name holds."""
    if name not in namespace:
        return "missing"
    return "function" if view_of(namespace, name) is not None else type(namespace[name]).__name__


def run_scenario(view: Callable[..., Any], name: str, requests: list[Request]) -> dict[str, Any]:
    """Send the requests to a fresh app that serves `view` as the endpoint `name`; return what happened as data."""
    app = create_club_app(_named(view, name), url=IN_MEMORY_SQLITE)
    try:
        _fail_on_broken_email(app)
        flashed: list[str] = []
        message_flashed.connect(lambda _app, message, category: flashed.append(str(message)), app, weak=False)
        left_failed: list[bool] = []
        app.teardown_request(lambda _error: left_failed.append(_needs_rollback()))
        client = app.test_client()
        answers = []
        for method, path, data in requests:
            flashed.clear()
            left_failed.clear()
            errors = app.extensions[ERRORS_KEY]
            errors.clear()
            response = client.open(path, method=method, data=data)
            answers.append(
                {
                    "request": f"{method} {path}",
                    "status": response.status_code,
                    "location": response.headers.get("Location"),
                    "flashed": list(flashed),
                    "body": page_text(response.get_data(as_text=True)),
                    "error": errors[0] if errors else None,
                    "left_needing_rollback": any(left_failed),
                }
            )
        return {"answers": answers, "rows": _rows(app)}
    finally:
        dispose(app)


def page_text(html: str) -> str:
    """The text of a page: no tags, whitespace collapsed, cut to a few hundred characters."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()[:BODY_CHARACTERS]


def _named(view: Callable[..., Any], name: str) -> Callable[..., Any]:
    """The view itself when its name is the endpoint's, else a wrapper by that name (the student may rename it)."""
    if getattr(view, "__name__", None) == name:
        return view

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return view(*args, **kwargs)

    wrapper.__name__ = name
    return wrapper


def _needs_rollback() -> bool:
    """True when the request's session is stuck in a failed transaction (a flush failed and nothing rolled back)."""
    return not db.session().is_active


def _fail_on_broken_email(app: Flask) -> None:
    """Make the scratch database fail any statement that writes BROKEN_EMAIL, as a full disk would."""
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _fail(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.startswith(("INSERT", "UPDATE")) and BROKEN_EMAIL in str(parameters):
            raise OperationalError(statement, parameters, sqlite3.OperationalError("database or disk is full"))


def _rows(app: Flask) -> dict[str, Any]:
    """The readers (id and email) and who wrote the reviews and annotations, read in a new app context."""
    with app.app_context():
        readers = db.session.execute(select(Reader.id, Reader.email).order_by(Reader.id)).all()
        reviews = db.session.execute(select(Review.reviewer_id, func.count()).group_by(Review.reviewer_id)).all()
        notes = db.session.execute(select(Annotation.reviewer_id, func.count()).group_by(Annotation.reviewer_id)).all()
        db.session.remove()
    return {
        "readers": {str(id_): email for id_, email in readers},
        "reviews_by": {str(id_): count for id_, count in reviews},
        "annotations_by": {str(id_): count for id_, count in notes},
    }
