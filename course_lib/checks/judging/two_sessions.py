"""Two requests at once, on a scratch database that both share: the collect half of exercise 08's checks.

`shared_replay` runs the answers again on a fresh SQLite file of its own (in a temporary folder, deleted afterwards,
so each replay is alone), in WAL mode as in lesson 08. `labelled_session("A")` opens a session whose statements are
recorded as A's; `rival_before("A", "UPDATE shelf", rival)` runs `rival` (the other request, on its own session)
just before A sends such a statement: the interleaving of two requests, in one thread. `called` runs a student's
function and keeps what it returned or raised, as plain data.
"""

import io
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Select, event, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import ORMExecuteState, Session

from course_lib.bookclub.database import create_course_app, dispose, shared_sqlite_url
from course_lib.bookclub.lending import Lending
from course_lib.bookclub.models import db
from course_lib.checks.judging.replay import run_answers, scratch_namespace
from course_lib.checks.judging.rows import describe
from course_lib.checks.registry import Attempt, Evidence, described_error
from course_lib.classroom.echo import LABEL_OPTION, format_statement

FOR_UPDATE = "asks FOR UPDATE"  # what a statement record says when the ORM was asked for a row lock
OTHER = "other"  # the label of a statement sent by no labelled session (say, through db.session)


@contextmanager
def shared_replay(attempt: Attempt) -> Iterator[tuple[dict[str, Any], BaseException | None]]:
    """The attempt's answers run again on a fresh shared scratch database, its app context pushed for the block.

    Yields the scratch namespace and the exception the answers raised, if any.
    """
    with tempfile.TemporaryDirectory(prefix="course-check-") as folder:
        app = create_course_app(shared_sqlite_url(Path(folder)), shared=True)
        try:
            with app.app_context():
                namespace = scratch_namespace(attempt.namespace, app)
                for name in [name for name, value in namespace.items() if isinstance(value, Lending)]:
                    del namespace[name]  # a shelf object of the student's own session has no twin here
                yield namespace, run_answers(attempt.sources, namespace, attempt.transform)
                db.session.remove()
        finally:
            dispose(app)


class Statements:
    """The statements the scratch engine sends during a block, each as `label: SQL  -- parameters`."""

    def __init__(self) -> None:
        """Start with none."""
        self.sent: list[str] = []

    def _engine_statement(self, conn: Connection, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        self.sent.append(f"{label_of(conn)}: {format_statement(statement, parameters)}")

    def _orm_statement(self, state: ORMExecuteState) -> None:
        statement = state.statement
        if isinstance(statement, Select) and " FOR UPDATE" in str(statement.compile(dialect=postgresql.dialect())):
            label = state.session.bind.get_execution_options().get(LABEL_OPTION, OTHER)  # type: ignore[union-attr]
            self.sent.append(f"{label}: {FOR_UPDATE}")


@contextmanager
def recorded(*sessions: Session) -> Iterator[Statements]:
    """Every statement the scratch engine sends during the block, and the row locks these sessions ask for."""
    statements = Statements()
    event.listen(db.engine, "before_cursor_execute", statements._engine_statement)
    for session in sessions:
        event.listen(session, "do_orm_execute", statements._orm_statement)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", statements._engine_statement)
        for session in sessions:
            event.remove(session, "do_orm_execute", statements._orm_statement)


def labelled_session(label: str) -> Session:
    """A session on the scratch database whose connections carry `label` (as lesson 08's open_session does)."""
    return Session(db.engine.execution_options(**{LABEL_OPTION: label}))


def label_of(conn: Connection) -> str:
    """The label of the session a connection belongs to, OTHER when it has none."""
    return str(conn.get_execution_options().get(LABEL_OPTION, OTHER))


@contextmanager
def rival_before(label: str, prefix: str, rival: Callable[[], None], *, every_time: bool = False) -> Iterator[None]:
    """Run `rival` just before the session labelled `label` sends a statement starting `prefix` (once, or each time).

    The rival runs on a connection of its own while the first request waits: two requests interleaved in one thread.
    """
    fired = []

    def before(conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        starts = statement.lstrip().upper().startswith(prefix.upper())
        if label_of(conn) == label and starts and (every_time or not fired):
            fired.append(True)
            rival()

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def called(function: Callable[..., Any], *arguments: Any) -> Evidence:
    """Call a student's function, its output swallowed: what it returned (described) or the error it raised."""
    try:
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            result = function(*arguments)
    except Exception as error:
        return {"result": None, "error": described_error(error)}
    return {"result": describe(result), "error": None}


def usable(session: Session) -> bool:
    """Whether the session takes new work: it is not waiting for a rollback, and a query runs."""
    if not session.is_active:
        return False
    try:
        session.execute(select(1))
    except Exception:
        return False
    return True


def committed_rows(statement: Select) -> list[dict[str, Any]]:
    """The rows a new request sees (committed rows only), on a connection of its own, as plain data."""
    with db.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(statement)]


def sent_by(sent: list[str], label: str) -> list[str]:
    """Rule helper: the SQL of the recorded statements that one label sent, without the label."""
    prefix = f"{label}: "
    return [line.removeprefix(prefix) for line in sent if line.startswith(prefix)]


def reads_before(statements: list[str], table: str, write: str) -> bool:
    """Rule helper: whether a SELECT from `table` came before the first statement starting with `write`."""
    for statement in statements:
        if statement.upper().startswith(write.upper()):
            return False
        if re.match(rf"SELECT .* FROM {table}\b", statement, re.IGNORECASE):
            return True
    return False
