"""Runs an answer cell again, on a scratch database, without touching the student's session or data."""

import io
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from typing import Any

from flask import Flask
from sqlalchemy import Connection, Engine, event, inspect
from sqlalchemy.orm import Session

from course_lib.bookclub.database import create_course_app, dispose
from course_lib.bookclub.models import db
from course_lib.checks.registry import Attempt, describe_error


@contextmanager
def scratch_database(extra_rows: Sequence[Any] = ()) -> Iterator[Flask]:
    """A fresh seeded in-memory database whose app context is pushed for the duration of the block.

    `extra_rows` (new model objects) are committed on top of the seed: a variant of the data built to tell a right
    answer from one that is right only by the seed data's luck.
    """
    app = create_course_app()
    try:
        with app.app_context():
            if extra_rows:
                db.session.add_all(extra_rows)
                db.session.commit()
            yield app
            db.session.remove()
    finally:
        dispose(app)


@contextmanager
def replayed(
    attempt: Attempt, forget: tuple[str, ...] = (), extra_rows: Sequence[Any] = ()
) -> Iterator[tuple[dict[str, Any], BaseException | None]]:
    """The attempt's answers, earlier ones first, run again on a fresh scratch database whose context stays pushed.

    Yields the scratch namespace (it keeps the replayed objects alive) and the exception the answers raised, if any.
    Names in `forget` are left out of the namespace, so that the answers must create them again.
    """
    with scratch_database(extra_rows) as scratch_app:
        namespace = scratch_namespace(attempt.namespace, scratch_app)
        for name in forget:
            namespace.pop(name, None)
        yield namespace, run_answers(attempt.sources, namespace, attempt.transform)


@contextmanager
def recorded_statements() -> Iterator[list[str]]:
    """The SQL statements the current app's engine sends during the block (say, a scratch database's replay)."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def replay_recording(attempt: Attempt, forget: tuple[str, ...] = ()) -> tuple[dict[str, Any], Any, list[str]]:
    """Replay the earlier answers, then record the SQL the answer itself sends: (variables, error, statements).

    The variables are described with `describe` before the scratch database goes away.
    """
    from course_lib.checks.judging.rows import describe

    with scratch_database() as scratch_app:
        namespace = scratch_namespace(attempt.namespace, scratch_app)
        for name in forget:
            namespace.pop(name, None)
        error = run_answers([run.source for run in attempt.earlier], namespace, attempt.transform)
        with recorded_statements() as statements:
            error = error or run_answer(attempt.answer.source, namespace, attempt.transform)
        described = {name: describe(namespace.get(name, None)) for name in forget}
    return described, error, statements


def replay_error(error: BaseException) -> str:
    """What to say when the answers, run again on a fresh database, raised."""
    return f"Run again on a fresh database, your cells raised {describe_error(error)}."


def flush_error() -> BaseException | None:
    """Send the scratch session's pending changes; return (and roll back) the error the database answered, if any."""
    try:
        db.session.flush()
    except Exception as error:
        db.session.rollback()
        return error
    return None


def run_answer(source: str, namespace: dict[str, Any], transform: Callable[[str], str] = str) -> BaseException | None:
    """Run an answer cell's source in `namespace`, swallowing what it prints; return the exception it raised."""
    try:
        code = compile(transform(source), "<answer cell>", "exec")
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            exec(code, namespace)
    except Exception as error:
        return error
    return None


def run_answers(sources: Sequence[str], namespace: dict[str, Any], transform: Callable[[str], str] = str) -> Any:
    """Run answer cells in order, like a student running them top to bottom; return the first exception, if any."""
    for source in sources:
        if (error := run_answer(source, namespace, transform)) is not None:
            return error
    return None


def scratch_namespace(namespace: dict[str, Any], scratch_app: Flask) -> dict[str, Any]:
    """A copy of `namespace` with apps, engines, sessions and database objects swapped for their scratch twins.

    A value tied to the real database that has no twin (an open connection, an object that is not in the seed
    data) is left out, so the replay cannot reach the real database through it.
    """
    scratch_session = db.session()
    copy: dict[str, Any] = {}
    for name, value in namespace.items():
        twin = _scratch_twin(value, scratch_app, scratch_session)
        if twin is not _NO_TWIN:
            copy[name] = twin
    return copy


_NO_TWIN = object()


def _scratch_twin(value: Any, scratch_app: Flask, scratch_session: Session) -> Any:
    """The scratch counterpart of a value, _NO_TWIN if it has none, or the value itself if no database is involved."""
    if isinstance(value, Flask):
        return scratch_app
    if isinstance(value, Session):
        return scratch_session
    if isinstance(value, Engine):
        return db.engine
    if isinstance(value, Connection):
        return _NO_TWIN
    if not isinstance(value, db.Model):
        return value
    state = inspect(value)
    if state.identity is None:
        return _NO_TWIN
    twin = scratch_session.get(type(value), state.identity)
    return _NO_TWIN if twin is None else twin


def replay_observation(attempt: Attempt) -> dict[str, Any]:
    """What the answer does when run again after the earlier answers on a fresh database (see observation.py)."""
    from course_lib.checks.judging.observation import observed_log, session_observation

    with scratch_database() as scratch_app:
        namespace = scratch_namespace(attempt.namespace, scratch_app)
        error = run_answers([run.source for run in attempt.earlier], namespace, attempt.transform)
        if error is not None:
            return {"error": describe_error(error)}
        with observed_log() as log:
            error = run_answer(attempt.answer.source, namespace, attempt.transform)
        return {"log": log, "session": session_observation(), "error": describe_error(error) if error else None}
