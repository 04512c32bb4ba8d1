"""What one run of an answer cell did, observed the same way wherever it ran: in the notebook, or replayed by a check.

The grader compares the two. An answer, run top to bottom as the grader runs a notebook, does the same thing when a
check runs it again on a fresh database; one that behaves otherwise (it counts its runs, say) is judged on what the
notebook did, never on what the replay showed. An observation is plain data: the transaction's statements that
write or end something (reads vary with what is already loaded), and the session's pending, changed and deleted
objects afterwards.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from sqlalchemy import Engine, event, inspect

from course_lib.bookclub.models import db

#: The statements an observation keeps: the ends of transactions and savepoints, and writes with their table. Not
#: BEGIN: when a transaction begins depends on what the session had already read, which a replay does otherwise.
KEPT = re.compile(
    r"^\s*(?P<verb>COMMIT|ROLLBACK TO SAVEPOINT|ROLLBACK|RELEASE SAVEPOINT|SAVEPOINT|INSERT INTO|UPDATE|DELETE FROM)"
    r"(?:\s+(?P<table>\w+))?",
    re.IGNORECASE,
)


#: The logs being recorded now, innermost last; the listeners below append to each (they are installed once).
_RECORDING: list[list[str]] = []


@contextmanager
def observed_log() -> Iterator[list[str]]:
    """The transaction control and write statements every engine sends during the block, normalised, in order.

    Assignments to the models' columns are logged too (`set Book 19 month 'July'`): they send nothing yet, but a
    change undone by a rollback must still show that it was made.
    """
    _install_listeners()
    log: list[str] = []
    _RECORDING.append(log)
    try:
        yield log
    finally:
        _RECORDING.remove(log)


def _record(entry: str) -> None:
    for log in _RECORDING:
        log.append(entry)


def _statement(_conn: Any, _cursor: Any, text: str, *_args: Any) -> None:
    if _RECORDING and (found := KEPT.match(text)):
        verb = " ".join(found["verb"].upper().split())
        _record(f"{verb} {found['table'].lower()}" if "SAVEPOINT" not in verb and found["table"] else verb)


def _committed(_conn: Any) -> None:
    if _RECORDING:
        _record("COMMIT")


def _rolled_back(_conn: Any) -> None:
    if _RECORDING:
        _record("ROLLBACK")


def _assigned(target: Any, value: Any, _old: Any, initiator: Any) -> None:
    if _RECORDING:
        identity = inspect(target).identity
        where = f" {identity[0]}" if identity else ""
        _record(f"set {type(target).__name__}{where} {initiator.key} {value!r}")


@cache
def _install_listeners() -> None:
    """Listen, once per process, to every engine and to the models' columns (listening costs more than it saves)."""
    for name, listener in (("before_cursor_execute", _statement), ("commit", _committed), ("rollback", _rolled_back)):
        event.listen(Engine, name, listener)
    for column in _model_columns():
        event.listen(column, "set", _assigned)


def _model_columns() -> list[Any]:
    """Every column attribute of the course's models (`Book.month`, ...)."""
    from course_lib.bookclub.models import MODELS

    return [getattr(model, column.key) for model in MODELS for column in inspect(model).column_attrs]


def session_observation(session: Any = None) -> dict[str, Any]:
    """The session's pending, changed and deleted objects, as plain data (reads nothing from the database)."""
    session = session or db.session()
    return {
        "pending": sorted(_label(instance) for instance in session.new),
        "changed": sorted(
            f"{_label(instance)}: {change}" for instance in session.dirty if (change := _changes(instance))
        ),
        "deleted": sorted(_label(instance) for instance in session.deleted),
        "active": bool(session.is_active),
    }


def _changes(instance: Any) -> str:
    """The attributes of a persistent object that hold a change, with their new values."""
    state = inspect(instance)
    changed = []
    for attribute in state.mapper.column_attrs:
        history = state.attrs[attribute.key].history
        if history.has_changes():
            changed.append(f"{attribute.key}={history.added[0] if history.added else None!r}")
    return ", ".join(changed)


def _label(instance: Any) -> str:
    """An object by its model and what it holds, never its memory address: Reader 754, Reader(email=...)."""
    state = inspect(instance)
    if state.identity is not None:
        return f"{type(instance).__name__} {state.identity[0]}"
    loaded = {key: state.dict[key] for key in sorted(state.dict) if not key.startswith("_") and key != "id"}
    values = ", ".join(f"{key}={value!r}" for key, value in loaded.items() if isinstance(value, str | int | None))
    return f"{type(instance).__name__}({values})"


def run_difference(as_run: Any, run_again: Any) -> str | None:
    """The rule half: what the answer did differently as the notebook ran and when run again (None: the same)."""
    if not isinstance(as_run, dict) or not isinstance(run_again, dict):
        return None  # nothing observed: the cell ran past its limit, or before any lesson database existed
    if run_again.get("error"):
        return None  # the replay raised: the judge's own replay says so
    for part, shown in (("log", _statements), ("session", _objects)):
        if as_run.get(part) != run_again.get(part):
            return (
                "Your answer cell did one thing as your notebook ran, and another when the check ran your answers "
                f"again on a fresh database: as the notebook ran, {shown(as_run.get(part))}; run again, "
                f"{shown(run_again.get(part))}. The grade is what your notebook did. (Did another cell change the "
                "session, or a cell run twice? Run the notebook from the top, with only the answers' work.)"
            )
    return None


def _statements(log: Any) -> str:
    sent = ", ".join(map(str, log)) if isinstance(log, list) else ""
    return f"it sent {sent}" if sent else "it sent no statement that writes or ends a transaction"


def _objects(session: Any) -> str:
    if not isinstance(session, dict):
        return "the session could not be seen"
    parts = [f"{name} {', '.join(map(str, session.get(name) or []))}" for name in ("pending", "changed", "deleted")]
    held = "; ".join(part for part in parts if part.split(" ", 1)[1])
    state = "" if session.get("active", True) else " (in a failed transaction)"
    return f"the session held {held or 'no unsent change'}{state}"
