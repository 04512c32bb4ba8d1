"""Prints the SQL an engine sends (BEGIN, INSERT, SAVEPOINT, COMMIT, ROLLBACK...), one clean line per statement.

A connection made with the execution option LABEL_OPTION (`engine.execution_options(course_label="A")`) has its lines
marked with that label, `A SQL> ...`: lesson 08 tells two sessions apart that way.
"""

import re
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import Connection, Engine, event

from course_lib.bookclub.models import db

PROMPT = "SQL> "
LABEL_OPTION = "course_label"
EXTENSION_KEY = "course_lib.sql_echo"
HISTORY_SIZE = 200


class SqlEcho:
    """Listens to one engine, keeps the last statements it sent and, while switched on, prints each one."""

    def __init__(self, engine: Engine) -> None:
        """Attach to the engine, switched off."""
        self.enabled = False
        self.sent = 0  # how many statements the engine has sent; the last HISTORY_SIZE are kept in `history`
        self.history: deque[str] = deque(maxlen=HISTORY_SIZE)
        event.listen(engine, "before_cursor_execute", self._statement)
        if engine.dialect.name != "sqlite":  # SQLite's BEGIN is a real statement (see database.py); others are implicit
            event.listen(engine, "begin", self._implicit_begin)
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "rollback", self._rollback)

    @contextmanager
    def switched(self, enabled: bool) -> Iterator[None]:
        """Switch the echo on or off for the duration of a `with` block."""
        previous, self.enabled = self.enabled, enabled
        try:
            yield
        finally:
            self.enabled = previous

    def since(self, mark: int) -> list[str]:
        """The statements sent after the first `mark` ones (as many as are still kept)."""
        return list(self.history)[max(0, len(self.history) - (self.sent - mark)) :]

    def _log(self, connection: Connection, line: str) -> None:
        self.sent += 1
        self.history.append(line)
        if self.enabled:
            label = connection.get_execution_options().get(LABEL_OPTION)
            print(f"{label} {PROMPT}{line}" if label else PROMPT + line)

    def _statement(self, conn: Connection, _cursor: Any, statement: str, parameters: Any, *_context: Any) -> None:
        self._log(conn, format_statement(statement, parameters))

    def _implicit_begin(self, conn: Connection) -> None:
        self._log(conn, "BEGIN (implicit)")

    def _commit(self, conn: Connection) -> None:
        self._log(conn, "COMMIT")

    def _rollback(self, conn: Connection) -> None:
        self._log(conn, "ROLLBACK")


def format_statement(statement: str, parameters: Any) -> str:
    """One line of SQL, followed by its parameters as an SQL comment when there are any."""
    line = re.sub(r"\s+", " ", statement).strip()
    line = re.sub(r"\( ", "(", re.sub(r" \)", ")", line))
    if parameters:
        line += f"  -- {tuple(parameters) if isinstance(parameters, list) else parameters}"
    return line


def echo_of(app: Flask) -> SqlEcho:
    """The SQL echo of a course app, attached (switched off) at the first call."""
    if EXTENSION_KEY not in app.extensions:
        with app.app_context():
            app.extensions[EXTENSION_KEY] = SqlEcho(db.engine)
    return app.extensions[EXTENSION_KEY]
