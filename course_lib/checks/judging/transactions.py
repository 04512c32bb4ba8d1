"""What an answer did to the transaction, step by step: commits, rollbacks, savepoints, rows deleted, values set.

`watched_replay` replays the earlier answers on a scratch database, then runs the answer itself while the scratch
session's events are recorded as plain words (the collect half). The rules read that list: "committed before the
savepoint", "rolled back the whole transaction", "never rolled back" are questions of order, which the end state
alone cannot answer.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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

COMMIT = "commit"  # the whole transaction committed
ROLLBACK = "rollback"  # the whole transaction rolled back
SAVEPOINT = "savepoint"  # begin_nested() started a savepoint
SAVEPOINT_ROLLBACK = "savepoint rolled back"  # the savepoint's own rollback: only what followed it is undone
SAVEPOINT_RELEASE = "savepoint released"  # the savepoint committed (released): what followed it is kept
DELETED = "deleted"  # prefix: "deleted Reader 345", a DELETE flushed for that row
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
