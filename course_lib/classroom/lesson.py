"""What a notebook's first cell calls: a Flask app, its context pushed, on a fresh seeded database."""

import contextlib
import sys
import tempfile
from pathlib import Path
from typing import Any

from flask import Flask
from flask.ctx import AppContext
from IPython import get_ipython
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from course_lib.bookclub.database import (
    create_course_app,
    database_setting,
    database_url,
    dispose,
    is_in_memory_sqlite,
    lesson_file,
    shared_sqlite_url,
)
from course_lib.bookclub.lending import Shelf
from course_lib.bookclub.models import Annotation, Book, Reader, Review, db, restore_model_classes
from course_lib.bookclub.postgres import POSTGRES_KEYWORD
from course_lib.classroom.answer_log import ANSWERS
from course_lib.classroom.browser_kernel import answer_unavailable_with_notes, share_context_with_later_cells
from course_lib.classroom.echo import LABEL_OPTION, echo_of
from course_lib.classroom.short_errors import show_database_errors_short

_pushed: list[AppContext] = []
_opened: list[Session] = []  # the sessions open_session() gave, closed when the lesson ends
_folders: list[tempfile.TemporaryDirectory] = []  # the folder of a shared SQLite file, deleted when the lesson ends
_shared_urls: list[str] = []  # the URL of the lesson's shared SQLite file, while the lesson lasts
SHARED_SQLITE = "SQLite, a file in a temporary folder"


def start_lesson(*, show_sql: bool = True, shared: bool = False, short_errors: bool = True) -> Flask:
    """Replace any earlier lesson database by a fresh seeded one and push its app context (model classes restored).

    `shared` (lesson 08): a database that several sessions use at once, holding the club's shelf too. The default
    in-memory SQLite becomes a file in a temporary folder (deleted when the next lesson starts, or at exit).
    `short_errors`: show a database error a cell raises in a few lines (the database's words, your line, the lesson
    to read), not SQLAlchemy's whole traceback.
    """
    _end_previous_lesson()
    restore_model_classes()
    url = database_url()
    if shared and is_in_memory_sqlite(url):
        url = _shared_sqlite()
    app = create_course_app(url, file=lesson_file(), shared=shared)
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
    print(f"Fresh book-club database ({describe_database(url)}): {seed_counts(shelf=shared)}.")
    echo.enabled = show_sql
    return app


def open_session(label: str, **options: Any) -> Session:
    """A new session on the lesson's database, as another request has, whose SQL prints as `<label> SQL> ...`.

    It is `Session(db.engine)`, on a copy of the engine whose connections carry the label and `options` (execution
    options such as `isolation_level="SERIALIZABLE"`): each transaction takes a connection from the engine's pool.
    """
    if not _pushed:
        raise RuntimeError("Run start_lesson() first: there is no lesson database yet.")
    session = Session(db.engine.execution_options(**options, **{LABEL_OPTION: label}))
    _opened.append(session)
    return session


def _shared_sqlite() -> str:
    """The shared SQLite file's URL: the grader's lesson file if it names one (it reads it), else a temporary one."""
    if (file := lesson_file()) is not None:
        url = f"sqlite:///{file}"
    else:
        folder = tempfile.TemporaryDirectory(prefix="course-shared-")
        _folders.append(folder)
        url = shared_sqlite_url(Path(folder.name))
    _shared_urls.append(url)
    return url


def show_sql(enabled: bool = True) -> None:
    """Print (or stop printing) the SQL that each following step sends to the lesson's database."""
    if not _pushed:
        raise RuntimeError("Run start_lesson() first: there is no lesson database yet.")
    echo_of(_pushed[-1].app).enabled = enabled


def describe_database(url: str) -> str:
    """A short human name for a database URL, without any password."""
    if is_in_memory_sqlite(url):
        return "in-memory SQLite"
    if url in _shared_urls:
        return SHARED_SQLITE
    if database_setting() == POSTGRES_KEYWORD:
        return "PostgreSQL, on a server the kit started"
    return make_url(url).render_as_string(hide_password=True)


def seed_counts(*, shelf: bool = False) -> str:
    """How many rows each table of the current database holds, in words (`shelf`: the shelf's books too)."""
    tables = [(Reader, "readers"), (Book, "books"), (Review, "reviews"), (Annotation, "annotations")]
    counts = [
        f"{db.session.scalar(select(func.count()).select_from(model))} {name}"
        for model, name in [*tables, *[(Shelf, "books on the shelf")] * shelf]
    ]
    db.session.rollback()
    return ", ".join(counts)


def _end_previous_lesson() -> None:
    for context in _pushed:
        echo_of(context.app).enabled = False  # the old sessions' teardown is not a step of the new lesson
    while _opened:
        _opened.pop().close()
    while _pushed:
        context = _pushed.pop()
        db.session.remove()
        # ValueError: in the browser the context was pushed in another cell's context (classroom/browser_kernel.py)
        with contextlib.suppress(AssertionError, RuntimeError, LookupError, ValueError):
            context.pop()
        dispose(context.app)
    while _folders:
        _folders.pop().cleanup()
    _shared_urls.clear()
