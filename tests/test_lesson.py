"""start_lesson: a fresh seeded database per call, its context pushed, the SQL echo switchable."""

import pytest
from flask import current_app
from sqlalchemy import select

from course_lib.bookclub.database import DATABASE_VARIABLE
from course_lib.bookclub.models import Reader, db
from course_lib.classroom import lesson
from course_lib.classroom.lesson import describe_database, show_sql, start_lesson


@pytest.fixture(autouse=True)
def no_lesson_left_behind():
    lesson._end_previous_lesson()
    yield
    lesson._end_previous_lesson()


def test_start_lesson_pushes_a_seeded_app_and_says_so(capsys):
    app = start_lesson(show_sql=False)
    assert current_app._get_current_object() is app
    assert db.session.get(Reader, 753).email == "tom.fox@sample.edu"
    assert capsys.readouterr().out == (
        "Fresh book-club database (in-memory SQLite): 6 readers, 5 books, 6 reviews, 4 annotations.\n"
    )


def test_starting_again_gives_a_fresh_database_and_pops_the_old_context():
    first = start_lesson(show_sql=False)
    db.session.add(Reader(name="Peter", surname="Johnson", email="peter.johnson@example.com"))
    db.session.commit()
    second = start_lesson(show_sql=False)
    assert current_app._get_current_object() is second is not first
    assert db.session.scalar(select(Reader).where(Reader.name == "Peter")) is None
    assert lesson._pushed == [lesson._pushed[-1]] and lesson._pushed[-1].app is second


def test_show_sql_switches_the_echo(capsys):
    start_lesson(show_sql=False)
    capsys.readouterr()
    show_sql(True)
    db.session.get(Reader, 123)
    show_sql(False)
    db.session.get(Reader, 345)
    assert capsys.readouterr().out.splitlines() == [
        "SQL> BEGIN",
        "SQL> SELECT reader.id, reader.name, reader.surname, reader.email FROM reader WHERE reader.id = ?  -- (123,)",
    ]


def test_show_sql_before_any_lesson_says_what_to_do():
    with pytest.raises(RuntimeError, match=r"Run start_lesson\(\) first"):
        show_sql(True)


def test_start_lesson_uses_course_database(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(DATABASE_VARIABLE, f"sqlite:///{tmp_path / 'club.db'}")
    start_lesson(show_sql=False)
    assert f"Fresh book-club database (sqlite:///{tmp_path / 'club.db'})" in capsys.readouterr().out
    assert (tmp_path / "club.db").exists()


def test_describe_database_hides_passwords():
    assert describe_database("sqlite://") == "in-memory SQLite"
    assert describe_database("postgresql://kim:secret@localhost/club") == "postgresql://kim:***@localhost/club"


def test_starting_again_does_not_echo_the_old_sessions_teardown(capsys):
    start_lesson(show_sql=True)
    db.session.get(Reader, 123)  # opens a transaction that the restart must end
    capsys.readouterr()
    start_lesson(show_sql=True)
    assert capsys.readouterr().out.startswith("Fresh book-club database")
