"""What a notebook's first cell calls: a Flask app, its context pushed, on a fresh seeded database."""

import contextlib
import sys

from flask import Flask
from flask.ctx import AppContext
from IPython import get_ipython
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from course_lib.bookclub.database import (
    create_course_app,
    database_setting,
    database_url,
    dispose,
    is_in_memory_sqlite,
    lesson_file,
)
from course_lib.bookclub.models import Annotation, Book, Reader, Review, db, restore_model_classes
from course_lib.bookclub.postgres import POSTGRES_KEYWORD
from course_lib.classroom.answer_log import ANSWERS
from course_lib.classroom.browser_kernel import answer_unavailable_with_notes, share_context_with_later_cells
from course_lib.classroom.echo import echo_of
from course_lib.classroom.short_errors import show_database_errors_short

_pushed: list[AppContext] = []


def start_lesson(*, show_sql: bool = True, short_errors: bool = True) -> Flask:
    """Replace any earlier lesson database by a fresh seeded one and push its app context (model classes restored).

    `short_errors`: show a database error a cell raises in a few lines (the database's words, your line, the lesson
    to read), not SQLAlchemy's whole traceback.
    """
    _end_previous_lesson()
    restore_model_classes()
    url = database_url()
    app = create_course_app(url, file=lesson_file())
    echo = echo_of(app)
    context = app.app_context()
    context.push()
    _pushed.append(context)
    if sys.platform == "emscripten":  # JupyterLite's Pyodide kernel
        share_context_with_later_cells()
        answer_unavailable_with_notes()
    shell = get_ipython()
    if shell is not None:
        ANSWERS.record_cells_of(shell)
        show_database_errors_short(shell, short_errors)
    ANSWERS.clear()
    print(f"Fresh book-club database ({describe_database(url)}): {seed_counts()}.")
    echo.enabled = show_sql
    return app


def show_sql(enabled: bool = True) -> None:
    """Print (or stop printing) the SQL that each following step sends to the lesson's database."""
    if not _pushed:
        raise RuntimeError("Run start_lesson() first: there is no lesson database yet.")
    echo_of(_pushed[-1].app).enabled = enabled


def describe_database(url: str) -> str:
    """A short human name for a database URL, without any password."""
    if is_in_memory_sqlite(url):
        return "in-memory SQLite"
    if database_setting() == POSTGRES_KEYWORD:
        return "PostgreSQL, on a server the kit started"
    return make_url(url).render_as_string(hide_password=True)


def seed_counts() -> str:
    """How many rows each table of the current database holds, in words."""
    counts = [
        f"{db.session.scalar(select(func.count()).select_from(model))} {name}"
        for model, name in ((Reader, "readers"), (Book, "books"), (Review, "reviews"), (Annotation, "annotations"))
    ]
    db.session.rollback()
    return ", ".join(counts)


def _end_previous_lesson() -> None:
    while _pushed:
        context = _pushed.pop()
        echo_of(context.app).enabled = False  # the old session's teardown is not a step of the new lesson
        db.session.remove()
        # ValueError: in the browser the context was pushed in another cell's context (classroom/browser_kernel.py)
        with contextlib.suppress(AssertionError, RuntimeError, LookupError, ValueError):
            context.pop()
        dispose(context.app)
