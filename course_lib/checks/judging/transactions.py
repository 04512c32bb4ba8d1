"""What an answer did to the transaction, step by step: commits, rollbacks, savepoints, rows deleted, values set.

`watched_replay` replays the earlier answers on a scratch database, then runs the answer itself while the scratch
session's events are recorded as plain words (the collect half). The rules read that list: "committed before the
savepoint", "rolled back the whole transaction", "never rolled back" are questions of order, which the end state
alone cannot answer. `logged_replay` adds the answer's transaction log, the lines the `SQL>` echo prints, in the
order the database received them: statements (on SQLite `BEGIN`, `SAVEPOINT`, `ROLLBACK TO SAVEPOINT`, `RELEASE
SAVEPOINT` among them), `COMMIT` and `ROLLBACK`.
"""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from sqlalchemy import event, inspect

from course_lib.bookclub.models import db
from course_lib.checks.judging.replay import (
    recorded_statements,
    run_answer,
    run_answers,
    scratch_database,
    scratch_namespace,
)
from course_lib.checks.registry import Attempt
from course_lib.classroom.echo import echo_of

COMMIT = "commit"  # the whole transaction committed
ROLLBACK = "rollback"  # the whole transaction rolled back
SAVEPOINT = "savepoint"  # begin_nested() started a savepoint
SAVEPOINT_ROLLBACK = "savepoint rolled back"  # the savepoint's own rollback: only what followed it is undone
SAVEPOINT_RELEASE = "savepoint released"  # the savepoint committed (released): what followed it is kept
DELETED = "deleted"  # prefix: "deleted Reader 345", a DELETE flushed for that row
LOG_LINE_LENGTH = 500  # a transaction log line longer than this (a long value in its parameters) is cut
ADDED = "added"  # prefix: 'added Reader {"email": ...}', a new object given to the session, with its column values


@contextmanager
def watched_replay(
    attempt: Attempt, watch: tuple[Any, ...] = ()
) -> Iterator[tuple[dict[str, Any], BaseException | None, list[str], list[str]]]:
    """Replay the earlier answers, then the answer with its transaction events recorded, on a scratch database.

    Yields the scratch namespace, the error raised, the events (see the constants above; `watch`: model attributes,
    such as `Book.month`, whose assignments are recorded too, as "set Book.month 'July'") and the SQL statements the
    answer sent. The scratch database's app context stays pushed for the duration of the block.
    """
    with scratch_database() as scratch_app:
        namespace = scratch_namespace(attempt.namespace, scratch_app)
        error = run_answers([run.source for run in attempt.earlier], namespace, attempt.transform)
        events: list[str] = []
        with recording(db.session(), events, watch), recorded_statements() as statements:
            error = error or run_answer(attempt.answer.source, namespace, attempt.transform)
        yield namespace, error, events, statements


@dataclass
class Replay:
    """What `logged_replay` saw of an answer run again: its namespace, error, events, log, and a measure before it.

    `before` is what the `measure` function returned, called after the earlier answers and before the answer.
    """

    namespace: dict[str, Any]
    error: BaseException | None
    events: list[str] = field(default_factory=list)
    log: list[str] = field(default_factory=list)
    before: Any = None


@contextmanager
def logged_replay(
    attempt: Attempt, watch: tuple[Any, ...] = (), measure: Callable[[], Any] | None = None
) -> Iterator[Replay]:
    """`watched_replay`, with the answer's transaction log (`transaction_log`) and, if asked, a measure taken before it.

    The scratch database's app context stays pushed for the duration of the block.
    """
    with scratch_database() as scratch_app:
        namespace = scratch_namespace(attempt.namespace, scratch_app)
        error = run_answers([run.source for run in attempt.earlier], namespace, attempt.transform)
        replay = Replay(namespace, error, before=measure() if measure and error is None else None)
        with recording(db.session(), replay.events, watch), transaction_log() as log:
            replay.error = error or run_answer(attempt.answer.source, namespace, attempt.transform)
        replay.log = log
        yield replay


@contextmanager
def transaction_log() -> Iterator[list[str]]:
    """Collect: the lines the current app's `SQL>` echo gives for the block, statements, COMMIT and ROLLBACK in order.

    The list is filled when the block ends (the echo keeps the last `HISTORY_SIZE` lines), each line cut to
    `LOG_LINE_LENGTH` characters: the rules read how lines start, and the evidence stays small.
    """
    echo = echo_of(current_app._get_current_object())
    mark = echo.sent
    log: list[str] = []
    try:
        yield log
    finally:
        log.extend(line[:LOG_LINE_LENGTH] for line in echo.since(mark))


def logged(log: list[str], prefix: str) -> list[int]:
    """Rule helper: the positions of the log's lines that start with `prefix` (`"DELETE FROM reader"`, `"COMMIT"`)."""
    return [index for index, line in enumerate(log) if line.startswith(prefix)]


def saved_after_rollback(model: type, **where: Any) -> bool:
    """Collect: roll the scratch session back, then whether a row with those values is in the database (committed)."""
    db.session.rollback()
    query = db.select(model.id).filter_by(**where)
    return db.session.scalar(query) is not None


def added_values(events: list[str], model: str) -> list[dict[str, Any]]:
    """Rule helper: the column values of each `model` object added to the session, in order."""
    prefix = f"{ADDED} {model} "
    return [json.loads(name.removeprefix(prefix)) for name in events if name.startswith(prefix)]


def first(events: list[str], wanted: str) -> int | None:
    """Rule helper: the position of the first event that is (or starts with) `wanted`, None when there is none."""
    return next((index for index, name in enumerate(events) if name == wanted or name.startswith(f"{wanted} ")), None)


@contextmanager
def recording(session: Any, events: list[str], watch: tuple[Any, ...] = ()) -> Iterator[None]:
    """Append the session's transaction events (and the assignments to `watch`) to `events` during the block."""

    def created(_session: Any, transaction: Any) -> None:
        if transaction.nested:
            events.append(SAVEPOINT)

    def ended(_session: Any, transaction: Any) -> None:
        if transaction.nested:
            events.append(SAVEPOINT_RELEASE)  # becomes SAVEPOINT_ROLLBACK if a soft rollback follows

    def rolled_back(_session: Any, previous: Any) -> None:
        if previous.nested and events and events[-1] == SAVEPOINT_RELEASE:
            events[-1] = SAVEPOINT_ROLLBACK
        elif not previous.nested and previous.parent is None:
            events.append(ROLLBACK)

    def committed(_session: Any) -> None:
        events.append(COMMIT)

    def deleted(_session: Any, instance: Any) -> None:
        identity = inspect(instance).identity
        events.append(f"{DELETED} {type(instance).__name__} {identity[0] if identity else '?'}")

    def added(_session: Any, instance: Any) -> None:
        columns = {column.key: getattr(instance, column.key) for column in inspect(instance).mapper.column_attrs}
        events.append(f"{ADDED} {type(instance).__name__} {json.dumps(columns, sort_keys=True, default=str)}")

    def setter(attribute: Any) -> Any:
        def assigned(target: Any, value: Any, _old: Any, _initiator: Any) -> None:
            identity = inspect(target).identity
            where = f" {identity[0]}" if identity else ""
            events.append(f"set {attribute.class_.__name__}.{attribute.key}{where} {value!r}")

        return assigned

    listeners = [
        (session, "after_transaction_create", created),
        (session, "after_transaction_end", ended),
        (session, "after_soft_rollback", rolled_back),
        (session, "after_commit", committed),
        (session, "persistent_to_deleted", deleted),
        (session, "transient_to_pending", added),
        *((attribute, "set", setter(attribute)) for attribute in watch),
    ]
    for target, name, listener in listeners:
        event.listen(target, name, listener)
    try:
        yield
    finally:
        for target, name, listener in listeners:
            event.remove(target, name, listener)


def undone(events: list[str], change: str) -> bool:
    """Rule helper: True when the change (the first event starting with `change`) was undone by a rollback.

    Either the whole transaction's rollback after it, or the rollback of a savepoint begun before it and rolled
    back after it: both undo it (and both are right, whatever older tutorials say of `rollback()`).
    """
    at = first(events, change)
    if at is None:
        return False
    open_savepoints: list[int] = []
    for index, name in enumerate(events):
        if name == SAVEPOINT:
            open_savepoints.append(index)
        elif name in (SAVEPOINT_ROLLBACK, SAVEPOINT_RELEASE):
            begun = open_savepoints.pop() if open_savepoints else -1
            if name == SAVEPOINT_ROLLBACK and begun < at < index:
                return True
        elif name == ROLLBACK and index > at:
            return True
    return False
