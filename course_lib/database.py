"""Flask apps with a fresh, seeded book-club database (in-memory SQLite unless COURSE_DATABASE says otherwise)."""

import os

from flask import Flask
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

from course_lib.models import db
from course_lib.seed import add_seed_data
from course_lib.sql_echo import SqlEcho

DATABASE_VARIABLE = "COURSE_DATABASE"
IN_MEMORY_SQLITE = "sqlite://"


def database_url() -> str:
    """The SQLAlchemy URL the lessons use: $COURSE_DATABASE, or in-memory SQLite when it is unset."""
    return os.environ.get(DATABASE_VARIABLE) or IN_MEMORY_SQLITE


def create_course_app(url: str = IN_MEMORY_SQLITE) -> Flask:
    """A Flask app bound to `url`, whose database holds exactly the seed data."""
    app = Flask("course_lib")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db.init_app(app)
    with app.app_context():
        if make_url(url).get_backend_name() == "sqlite":
            _use_explicit_sqlite_transactions(db.engine)
        app.extensions["course_lib.sql_echo"] = SqlEcho(db.engine)
        db.drop_all()
        db.create_all()
        add_seed_data(db.session)
        db.session.commit()
    return app


def sql_echo(app: Flask) -> SqlEcho:
    """The SQL echo of an app made by `create_course_app`."""
    return app.extensions["course_lib.sql_echo"]


def dispose(app: Flask) -> None:
    """Close every connection of the app's database (an in-memory database is gone afterwards)."""
    with app.app_context():
        db.engine.dispose()


def _use_explicit_sqlite_transactions(engine: Engine) -> None:
    """SQLAlchemy's documented recipe: let SQLAlchemy, not the sqlite3 driver, emit BEGIN, so savepoints work."""

    @event.listens_for(engine, "connect")
    def _no_driver_transactions(dbapi_connection: object, _record: object) -> None:
        dbapi_connection.isolation_level = None  # type: ignore[attr-defined]

    @event.listens_for(engine, "begin")
    def _begin(connection: object) -> None:
        connection.exec_driver_sql("BEGIN")  # type: ignore[attr-defined]
