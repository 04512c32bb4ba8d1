"""Lesson 08's kit: a database two sessions share (an SQLite file in a temporary folder), labelled sessions."""

import time
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, select, text, update
from sqlalchemy.exc import OperationalError

from course_lib.bookclub.database import WAIT_SECONDS, create_course_app, dispose, shared_sqlite_url
from course_lib.bookclub.lending import COPIES, Shelf, VersionedShelf
from course_lib.bookclub.models import Reader, db
from course_lib.classroom import lesson
from course_lib.classroom.lesson import open_session, start_lesson


@pytest.fixture(autouse=True)
def no_lesson_left_behind():
    lesson._end_previous_lesson()
    yield
    lesson._end_previous_lesson()


def shared_file() -> Path:
    return Path(db.engine.url.database)


def test_a_shared_lesson_is_a_file_in_a_temporary_folder_with_the_shelf(capsys):
    start_lesson(shared=True, show_sql=False)
    assert capsys.readouterr().out == (
        "Fresh book-club database (SQLite, a file in a temporary folder): 6 readers, 5 books, 6 reviews, "
        "4 annotations, 5 books on the shelf.\n"
    )
    assert shared_file().is_file() and shared_file().parent.name.startswith("course-shared-")
    assert db.session.scalar(text("PRAGMA journal_mode")) == "wal"
    assert db.session.get(Shelf, 19) == db.session.get(Shelf, 19)  # one identity per row
    assert repr(db.session.get(Shelf, 19)) == f"Shelf(book_id=19, copies={COPIES}, on_loan=0, version=1)"


def test_the_next_lesson_deletes_the_folder_and_is_in_memory_with_four_tables_again():
    start_lesson(shared=True, show_sql=False)
    folder = shared_file().parent
    start_lesson(show_sql=False)
    assert not folder.exists()
    assert db.engine.url.database in (None, "")
    assert sorted(inspect(db.engine).get_table_names()) == ["annotation", "book", "reader", "review"]


def test_two_sessions_see_what_the_other_committed_and_nothing_else():
    start_lesson(shared=True, show_sql=False)
    a, b = open_session("A"), open_session("B")
    lin = select(Reader.name).filter_by(email="lin.wu@example.com")
    a.add(Reader(name="Lin", surname="Wu", email="lin.wu@example.com"))
    a.flush()
    assert a.scalar(lin) == "Lin" and b.scalar(lin) is None
    a.commit()
    b.rollback()
    assert b.scalar(lin) == "Lin"


def test_open_session_labels_its_sql_and_passes_execution_options_on(capsys):
    start_lesson(shared=True)
    capsys.readouterr()
    c = open_session("C", isolation_level="SERIALIZABLE")
    assert c.connection().get_isolation_level() == "SERIALIZABLE"
    c.scalar(select(func.count()).select_from(Shelf))
    c.rollback()
    db.session.scalar(select(func.count()).select_from(Shelf))
    db.session.rollback()
    assert capsys.readouterr().out.splitlines() == [
        "C SQL> BEGIN",
        "C SQL> SELECT count(*) AS count_1 FROM shelf",
        "C SQL> ROLLBACK",
        "SQL> BEGIN",
        "SQL> SELECT count(*) AS count_1 FROM shelf",
        "SQL> ROLLBACK",
    ]


def test_a_lesson_that_ends_closes_the_sessions_it_opened(capsys):
    start_lesson(shared=True)
    a = open_session("A")
    a.add(Reader(name="Lin", surname="Wu", email="lin.wu@example.com"))
    a.flush()  # holds the write lock of the file
    capsys.readouterr()
    start_lesson(shared=True)
    assert "ROLLBACK" not in capsys.readouterr().out, "the old session's teardown is not a step of the new lesson"
    assert not a.in_transaction()


def test_open_session_needs_a_lesson():
    with pytest.raises(RuntimeError, match=r"Run start_lesson\(\) first"):
        open_session("A")


def test_an_in_memory_database_cannot_be_shared():
    with pytest.raises(ValueError, match="private to one connection"):
        create_course_app("sqlite://", shared=True)


def test_a_writer_waits_for_the_other_writer_then_gives_up(tmp_path):
    app = create_course_app(shared_sqlite_url(tmp_path), shared=True)
    lend = update(Shelf).where(Shelf.book_id == 19).values(on_loan=Shelf.on_loan + 1)
    try:
        with app.app_context(), db.engine.connect() as first, db.engine.connect() as second:
            first.execute(lend)
            started = time.monotonic()
            with pytest.raises(OperationalError, match="database is locked"):
                second.execute(lend)
            assert WAIT_SECONDS <= time.monotonic() - started < WAIT_SECONDS + 1
    finally:
        dispose(app)


def test_the_versioned_shelf_checks_and_raises_the_version(tmp_path):
    app = create_course_app(shared_sqlite_url(tmp_path), shared=True)
    try:
        with app.app_context():
            shelf = db.session.get(VersionedShelf, 19)
            shelf.on_loan += 1
            db.session.commit()
            assert (shelf.on_loan, shelf.version) == (1, 2)
            assert db.session.get(Shelf, 19).version == 2  # the same row, through the plain mapping
    finally:
        dispose(app)


def test_each_replay_of_the_checks_has_a_database_of_its_own_deleted_afterwards():
    """Exercise 08's checks replay answers on an SQLite file in a folder of their own: nothing leaks between replays."""
    from course_lib.checks.judging.two_sessions import committed_rows, labelled_session, shared_replay
    from course_lib.checks.registry import Attempt
    from course_lib.classroom.answer_log import AnswerRun

    source = "# answer: two_requests.sign_up\nkept = Reader(name='Lin', surname='Wu', email='lin.wu@example.com')"
    attempt = Attempt(namespace={"Reader": Reader}, answer=AnswerRun("two_requests.sign_up", source, None))
    folders = []
    for _ in range(2):
        with shared_replay(attempt) as (namespace, error):
            assert error is None
            folders.append(shared_file().parent)
            with labelled_session("A") as session:
                session.add(namespace["kept"])
                session.commit()
            assert len(committed_rows(select(Reader.id))) == 7, "the six seed readers and Lin, as on a fresh database"
    assert folders[0] != folders[1]
    assert not folders[0].exists() and not folders[1].exists()
