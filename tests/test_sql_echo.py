"""The SQL echo: one clean line per statement, transaction control included, nothing while switched off."""

import pytest
from sqlalchemy.exc import IntegrityError

from course_lib.bookclub.database import create_course_app, dispose
from course_lib.bookclub.models import Reader, db
from course_lib.classroom.echo import echo_of, format_statement


@pytest.fixture
def echo():
    app = create_course_app()
    with app.app_context():
        yield echo_of(app)
        db.session.remove()
    dispose(app)


def test_format_statement_puts_the_statement_on_one_line_with_its_parameters():
    assert (
        format_statement("SELECT a\n  FROM t\n WHERE ( a = ? )", ("x",)) == "SELECT a FROM t WHERE (a = ?)  -- ('x',)"
    )
    assert format_statement("BEGIN", ()) == "BEGIN"
    assert (
        format_statement("INSERT INTO t VALUES (?)", [("a",), ("b",)])
        == "INSERT INTO t VALUES (?)  -- (('a',), ('b',))"
    )


def test_add_and_commit_print_begin_insert_commit(echo, capsys):
    with echo.switched(True):
        db.session.add(Reader(name="Nova", surname="Yeni", email="nova.yeni@example.com"))
        db.session.commit()
    assert capsys.readouterr().out.splitlines() == [
        "SQL> BEGIN",
        "SQL> INSERT INTO reader (name, surname, email) VALUES (?, ?, ?)  -- ('Nova', 'Yeni', 'nova.yeni@example.com')",
        "SQL> COMMIT",
    ]


def test_failed_commit_prints_the_rollback_and_a_savepoint_prints_its_own(echo, capsys):
    with echo.switched(True):
        db.session.add(Reader(name="Nova", surname="Yuni", email="ann.adams@example.com"))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(IntegrityError), db.session.begin_nested():
            db.session.add(Reader(name="Nova", surname="Yuni", email="ann.adams@example.com"))
        db.session.rollback()
    lines = [line.split("  --")[0] for line in capsys.readouterr().out.splitlines()]
    assert lines == [
        "SQL> BEGIN",
        "SQL> INSERT INTO reader (name, surname, email) VALUES (?, ?, ?)",
        "SQL> ROLLBACK",
        "SQL> BEGIN",
        "SQL> SAVEPOINT sa_savepoint_1",
        "SQL> INSERT INTO reader (name, surname, email) VALUES (?, ?, ?)",
        "SQL> ROLLBACK TO SAVEPOINT sa_savepoint_1",
        "SQL> ROLLBACK",
    ]


def test_switched_off_prints_nothing(echo, capsys):
    db.session.add(Reader(name="Nova", surname="Yeni", email="nova.yeni@example.com"))
    db.session.commit()
    assert capsys.readouterr().out == ""
    with echo.switched(True):
        pass
    assert echo.enabled is False
