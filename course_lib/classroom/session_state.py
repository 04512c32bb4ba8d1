"""What a session holds at one moment: its objects and their states, its transaction, and a table's rows.

Reading all this must not change what it describes: no autoflush, no lazy load of expired attributes, no BEGIN the
student did not ask for, and no line in the student's `SQL>` echo. Rows are therefore read with a plain driver cursor.
"""

import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, event, inspect
from sqlalchemy.orm import Session, SessionTransaction

# Each session's current connection, noted when the session begins using it and forgotten when its transaction ends.
_connections: "weakref.WeakKeyDictionary[Session, Connection]" = weakref.WeakKeyDictionary()
# Objects each session has held, so that a view can still show them once a rollback or expunge took them out.
_seen: "weakref.WeakKeyDictionary[Session, weakref.WeakSet[Any]]" = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class ObjectState:
    """One object: how it prints (without loading anything), its state, and what else is worth knowing."""

    label: str
    state: str
    note: str


@dataclass(frozen=True)
class SessionState:
    """Everything a session view shows about one moment."""

    transaction: str
    objects: tuple[ObjectState, ...]
    table: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    rows_source: str


@event.listens_for(Session, "after_begin")
def _note_connection(session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
    _connections[session] = connection


@event.listens_for(Session, "after_attach")
def _note_object(session: Session, instance: Any) -> None:
    _seen.setdefault(session, weakref.WeakSet()).add(instance)


@event.listens_for(Session, "after_transaction_end")
def _forget_connection(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        _connections.pop(session, None)


def session_state(session: Session, model: type[Any]) -> SessionState:
    """The state of the session and of the model's table, read without changing either."""
    columns = tuple(column.key for column in inspect(model).column_attrs)
    try:
        rows, source = _table_rows(session, model.__table__.name, columns)
    except UnreadableRows as refusal:
        rows, source = (), f"cannot be read now: {refusal}"
    return SessionState(_transaction(session), _objects(session), model.__table__.name, columns, rows, source)


def waits_for_rollback(session: Session) -> bool:
    """True after a failed flush: the database rolled back, and the session refuses work until rollback()."""
    transaction = session.get_transaction()
    return transaction is not None and not transaction.is_active


def _transaction(session: Session) -> str:
    """The session's transaction, in words."""
    if session.get_transaction() is None:
        return "no transaction: the next statement will begin one"
    if waits_for_rollback(session):
        return "inactive: a flush failed and the database rolled back; call db.session.rollback() to go on"
    nested = session.get_nested_transaction()
    if nested is not None:
        return "transaction open, inside a savepoint (begin_nested)"
    if session in _connections:
        return "transaction open: statements sent since BEGIN are not committed yet"
    return "transaction begun in the session; nothing sent to the database yet"


def _objects(session: Session) -> tuple[ObjectState, ...]:
    """Every object the session holds, then those it held that have left it, in a stable order."""
    held = [*session.new, *session.identity_map.values(), *session.deleted]
    seen = _seen.setdefault(session, weakref.WeakSet())
    seen.update(held)
    unique = {id(instance): instance for instance in [*held, *seen]}
    marked = {id(instance) for instance in session.deleted}
    states = [_object_state(instance, instance in session, id(instance) in marked) for instance in unique.values()]
    order = ["pending", "persistent", "deleted", "transient", "detached"]
    return tuple(sorted(states, key=lambda state: (order.index(state.state), state.label)))


def _object_state(instance: Any, in_session: bool, marked_for_deletion: bool) -> ObjectState:
    """The state of one object, with a note on expired or changed attributes, or on why it left the session."""
    state = inspect(instance)
    name = next(name for name in ("pending", "persistent", "deleted", "transient", "detached") if getattr(state, name))
    notes = ["marked for deletion: the next flush sends its DELETE"] if marked_for_deletion else []
    if state.expired_attributes:
        notes.append("expired: the next read loads it again")
    if in_session and state.modified and name == "persistent":
        notes.append("changed, not flushed yet")
    if not in_session:
        notes.append("deleted from the database" if state.was_deleted else "no longer in the session")
    return ObjectState(_label(instance), name, "; ".join(notes))


def _label(instance: Any) -> str:
    """How an object prints, from what it already holds (printing it normally could send a SELECT)."""
    state = inspect(instance)
    loaded = state.dict
    columns = [column.key for column in state.mapper.column_attrs]
    if state.identity is not None and "id" not in loaded:
        loaded = {**loaded, "id": state.identity[0]}
    fields = ", ".join(f"{key}={loaded[key]!r}" if key in loaded else f"{key}=?" for key in columns)
    return f"{type(instance).__name__}({fields})"


def _table_rows(session: Session, table: str, columns: tuple[str, ...]) -> tuple[tuple[tuple[Any, ...], ...], str]:
    """The table's rows, as the session's own transaction sees them if it holds a connection, else as committed."""
    query = f"SELECT {', '.join(columns)} FROM {table} ORDER BY id"  # names from the model, not from input
    connection = _connections.get(session)
    if connection is not None and not connection.closed:
        rows = _fetch(connection.connection.dbapi_connection, query)
        if waits_for_rollback(session):
            return rows, "as committed (the database already rolled the failed transaction back)"
        return rows, "as this transaction sees them, rows flushed but not committed included"
    raw = session.get_bind().raw_connection()
    try:
        return _fetch(raw.dbapi_connection, query), "as committed"
    finally:
        raw.close()


def _fetch(dbapi_connection: Any, query: str) -> tuple[tuple[Any, ...], ...]:
    """Run a query on a driver connection, past SQLAlchemy's events: no echo, no autoflush, no implicit BEGIN."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(query)
        return tuple(tuple(row) for row in cursor.fetchall())
    except Exception as error:  # e.g. PostgreSQL refusing every statement in an aborted transaction
        raise UnreadableRows(str(error).splitlines()[0]) from error
    finally:
        cursor.close()


class UnreadableRows(Exception):
    """The database refused to show the rows right now."""
