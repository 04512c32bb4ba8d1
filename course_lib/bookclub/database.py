"""Flask apps with a fresh, seeded book-club database (in-memory SQLite unless COURSE_DATABASE says otherwise).

A *shared* database (lesson 08) is one that several connections use at once: on SQLite a file (in a temporary
folder, or the grader's lesson file), in WAL mode (readers do not wait for the writer). It also holds the club's
shelf (`lending.py`), and a statement that waits for another transaction's lock gives up after WAIT_SECONDS instead
of waiting for ever.
"""

import functools
import os
import sqlite3
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Engine, StaticPool, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, InterfaceError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import configure_mappers

from course_lib.bookclub.lending import Lending, create_shelf
from course_lib.bookclub.models import db
from course_lib.bookclub.postgres import POSTGRES_KEYWORD, fresh_postgres_database
from course_lib.bookclub.seed import insert_seed_data
from course_lib.protocol import DATABASE_VARIABLE, LESSON_FILE_VARIABLE

IN_MEMORY_SQLITE = "sqlite://"
SHARED_FILE_NAME = "club.db"
#: On a shared database, how long a statement waits for a lock that another transaction holds before it fails
#: (SQLite's busy timeout, PostgreSQL's lock_timeout): in one thread nothing releases it, so waiting longer only stalls.
WAIT_SECONDS = 0.5


ACCEPTED_SETTINGS = (
    f"${DATABASE_VARIABLE} accepts: nothing (unset or empty: in-memory SQLite), `{POSTGRES_KEYWORD}` (a server the "
    "kit starts), or an SQLAlchemy URL such as sqlite:///club.db or postgresql://user:password@host/database"
)


class DatabaseSettingError(ValueError):
    """$COURSE_DATABASE names a database the kit cannot use: the message says why, and which values it accepts."""

    def _render_traceback_(self) -> list[str]:
        """What IPython shows in a notebook instead of a traceback through SQLAlchemy: this one message."""
        return [f"{type(self).__name__}: {self}"]


def database_setting() -> str:
    """What $COURSE_DATABASE asks for: empty (in-memory SQLite), `postgresql` (the kit's own server) or a URL."""
    return os.environ.get(DATABASE_VARIABLE, "").strip()


def database_url(setting: str | None = None) -> str:
    """The SQLAlchemy URL for a setting of $COURSE_DATABASE: `postgresql` makes a fresh database on the kit's server.

    A setting the kit cannot use raises DatabaseSettingError, before anything connects.
    """
    setting = database_setting() if setting is None else setting
    if setting == POSTGRES_KEYWORD:
        return fresh_postgres_database()
    if setting:
        check_database_setting(setting)
    return setting or IN_MEMORY_SQLITE


def check_database_setting(setting: str | None = None) -> None:
    """Raise DatabaseSettingError unless the kit can use the setting: a URL that parses, of an installed driver."""
    setting = database_setting() if setting is None else setting
    if setting in ("", POSTGRES_KEYWORD):
        return
    try:
        url = make_url(setting)
    except ArgumentError:
        raise DatabaseSettingError(
            f"${DATABASE_VARIABLE}={_shown(setting)} is not a database URL. {ACCEPTED_SETTINGS}."
        ) from None
    try:
        url.get_dialect().import_dbapi()
    except NoSuchModuleError:
        raise DatabaseSettingError(
            f"${DATABASE_VARIABLE} names the database kind {url.drivername!r}, which SQLAlchemy does not know. "
            f"{ACCEPTED_SETTINGS}."
        ) from None
    except ImportError as error:
        raise DatabaseSettingError(
            f"${DATABASE_VARIABLE} names {url.drivername!r}, whose driver is not installed ({error}): install it, "
            f"or choose another. {ACCEPTED_SETTINGS}."
        ) from None


def _shown(setting: str) -> str:
    """The setting as a message may quote it: never what could be a password (a URL's part before an `@`)."""
    return (
        repr(setting)
        if "@" not in setting and len(setting) <= 80
        else "(a value not shown here: it may hold a password)"
    )


def is_in_memory_sqlite(url: str) -> bool:
    """True for an SQLite URL without a file: each connection is a new, private database."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")


def lesson_file() -> str | None:
    """The file the grader's runner asks the lesson's in-memory SQLite database to live in, if any."""
    return os.environ.get(LESSON_FILE_VARIABLE) or None


def shared_sqlite_url(folder: Path) -> str:
    """The URL of the shared SQLite database kept in `folder` (a file: every connection opens the same database)."""
    return f"sqlite:///{folder / SHARED_FILE_NAME}"


def create_course_app(url: str = IN_MEMORY_SQLITE, *, file: str | None = None, shared: bool = False) -> Flask:
    """A Flask app bound to `url`, whose database holds exactly the seed data (`shared`: and the shelf, see above).

    With `file`, an in-memory SQLite database lives in that file instead, still through one shared connection: the
    same behaviour, and another process can read what is committed.
    """
    in_memory = is_in_memory_sqlite(url)
    if shared and in_memory:
        raise ValueError("An in-memory SQLite database is private to one connection: share a file (shared_sqlite_url).")
    sqlite = make_url(url).get_backend_name() == "sqlite"
    app = Flask("course_lib")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    if in_memory:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"creator": functools.partial(_copy_of_seeded_template, file)}
    elif shared:
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = _waiting_options(sqlite)
    db.init_app(app)
    with app.app_context():
        if sqlite:
            _use_explicit_sqlite_transactions(db.engine, write_ahead_log=shared)
        if not in_memory:
            try:
                _replace_with_seeded_schema(db.engine, shelf=shared)
            except (OperationalError, InterfaceError) as error:  # it cannot connect, or open the file
                reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
                raise DatabaseSettingError(
                    f"The kit could not open the database {_hidden(make_url(url))} ({reason}): check "
                    f"${DATABASE_VARIABLE}. {ACCEPTED_SETTINGS}."
                ) from None
    return app


def _hidden(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def dispose(app: Flask) -> None:
    """Close every connection of the app's database (an in-memory database is gone afterwards)."""
    with app.app_context():
        db.engine.dispose()


def _waiting_options(sqlite: bool) -> dict[str, Any]:
    """Engine options that make a statement give up after WAIT_SECONDS when another transaction holds its lock."""
    if sqlite:
        return {"connect_args": {"timeout": WAIT_SECONDS}}
    return {"connect_args": {"options": f"-c lock_timeout={round(WAIT_SECONDS * 1000)}"}}


def _replace_with_seeded_schema(engine: Engine, *, shelf: bool = False) -> None:
    """Drop the course's tables (and any shelf), create them and insert the seed data (and a shelf), at once."""
    with engine.begin() as connection:
        Lending.metadata.drop_all(connection)
        db.metadata.drop_all(connection)
        db.metadata.create_all(connection)
        insert_seed_data(connection)
        if shelf:
            create_shelf(connection)
        if connection.dialect.name == "postgresql":
            for table in db.metadata.sorted_tables:  # the seed gave explicit ids: new rows must continue after them
                sequence = f"pg_get_serial_sequence('{table.name}', 'id')"
                connection.execute(text(f"SELECT setval({sequence}, (SELECT max(id) FROM {table.name}))"))


@functools.cache
def _seeded_template() -> sqlite3.Connection:
    """An in-memory SQLite database with the schema and seed data, built once per process and only copied."""
    template = sqlite3.connect(":memory:", check_same_thread=False)
    engine = create_engine(IN_MEMORY_SQLITE, creator=lambda: template, poolclass=StaticPool)
    _replace_with_seeded_schema(engine)
    return template


def build_seeded_template() -> None:
    """Build this process's seeded template now (processes forked afterwards start with it) and configure the models."""
    _seeded_template()
    configure_mappers()


def _copy_of_seeded_template(file: str | None = None) -> sqlite3.Connection:
    """A new private database (in memory, or in `file`), copied from the seeded template with SQLite's backup API."""
    connection = sqlite3.connect(file or ":memory:", check_same_thread=False)
    _seeded_template().backup(connection)
    if file:  # a throwaway file another process only reads: no need to wait for the disk at each commit
        connection.execute("PRAGMA synchronous = OFF")
    return connection


def reset_to_seed(app: Flask, statements: tuple[str, ...] = ()) -> None:
    """Put an in-memory app's database back to exactly the seed data (in place: the app stays), then run `statements`.

    Copying the seeded template over the one connection costs a few milliseconds, where a new app costs tens.
    """
    with app.app_context():
        db.session.remove()
        raw = db.engine.raw_connection()
        try:
            _seeded_template().backup(raw.driver_connection)
            for statement in statements:
                raw.driver_connection.execute(statement)
        finally:
            raw.close()


def committed_rows(file: str | Path) -> dict[str, Any]:
    """What the course's tables hold as committed in an SQLite file, read-only: {table: [row, ...]}, or {"error": ...}.

    The grader's runner reads the lesson database this way, from outside the process that ran the student's code.
    """
    try:
        connection = sqlite3.connect(f"file:{file}?mode=ro", uri=True, timeout=1)
    except sqlite3.Error as error:
        return {"error": f"{type(error).__name__}: {error}"}
    try:
        connection.execute("PRAGMA trusted_schema = OFF")
        return {
            table.name: [
                dict(zip(table.columns.keys(), row, strict=True))
                for row in connection.execute(f"SELECT {', '.join(table.columns.keys())} FROM {table.name} ORDER BY id")
            ]
            for table in db.metadata.sorted_tables
        }
    except sqlite3.Error as error:
        return {"error": f"{type(error).__name__}: {error}"}
    finally:
        connection.close()


def _use_explicit_sqlite_transactions(engine: Engine, *, write_ahead_log: bool = False) -> None:
    """SQLAlchemy's documented recipe: let SQLAlchemy, not the sqlite3 driver, emit BEGIN, so savepoints work.

    `write_ahead_log`: open the file in WAL mode, where readers keep reading while one transaction writes.
    """

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.isolation_level = None
        if write_ahead_log:
            dbapi_connection.execute("PRAGMA journal_mode=WAL")

    @event.listens_for(engine, "begin")
    def _begin(connection: object) -> None:
        connection.exec_driver_sql("BEGIN")  # type: ignore[attr-defined]
