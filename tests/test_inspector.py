"""The session inspector: states, rows and SQL at each moment, read without changing the session or the SQL echo."""

import pytest
from sqlalchemy.exc import IntegrityError

from course_lib.bookclub.models import Reader, db
from course_lib.classroom import lesson
from course_lib.classroom.echo import echo_of
from course_lib.classroom.inspector import NO_LESSON, SessionInspector, show_session
from course_lib.classroom.lesson import start_lesson
from course_lib.classroom.session_state import session_state

SEED_READER_IDS = [123, 345, 450, 568, 653, 753]


@pytest.fixture(autouse=True)
def fresh_lesson():
    lesson._end_previous_lesson()
    app = start_lesson(show_sql=False)
    show_session()  # start each test's "SQL since the previous view" afresh
    yield app
    lesson._end_previous_lesson()


def nova(surname: str = "Yeni", email: str = "nova.yeni@example.com") -> Reader:
    return Reader(name="Nova", surname=surname, email=email)


def states(view) -> list[tuple[str, str]]:
    return [(item.state, item.label.split(", email")[0]) for item in view.state.objects]


def ids(view) -> list[int]:
    return [row[0] for row in view.state.rows]


def test_before_and_after_add_nothing_reaches_the_table():
    assert show_session().view.state.objects == ()
    db.session.add(nova())
    view = show_session().view
    assert states(view) == [("pending", "Reader(id=?, name='Nova', surname='Yeni'")]
    assert ids(view) == SEED_READER_IDS
    assert view.state.rows_source == "as committed"
    assert view.sql == ()
    assert "nothing sent to the database yet" in view.state.transaction


def test_after_commit_the_row_is_there_and_the_object_persistent_and_expired():
    reader = nova()  # the session holds persistent objects weakly, as a lesson's variable holds them
    db.session.add(reader)
    db.session.commit()
    view = show_session().view
    assert states(view) == [("persistent", "Reader(id=754, name=?, surname=?")]
    assert "expired" in view.state.objects[0].note
    assert ids(view) == [*SEED_READER_IDS, 754]
    assert view.sql[0] == "BEGIN" and view.sql[1].startswith("INSERT INTO reader") and view.sql[-1] == "COMMIT"


def test_a_flushed_row_is_shown_as_the_transaction_sees_it():
    db.session.add(nova())
    db.session.flush()
    view = show_session().view
    assert ids(view) == [*SEED_READER_IDS, 754]
    assert view.state.rows_source == "as this transaction sees them, rows flushed but not committed included"
    assert "not committed yet" in view.state.transaction


def test_after_the_failed_commit_and_after_the_rollback():
    db.session.add(nova())
    db.session.commit()
    duplicate = nova("Yuni")
    db.session.add(duplicate)
    with pytest.raises(IntegrityError):
        db.session.commit()
    failed = show_session().view
    assert failed.state.transaction.startswith("inactive")
    assert ("transient", "Reader(id=?, name='Nova', surname='Yuni'") in states(failed)
    assert "no longer in the session" in failed.text()
    assert ids(failed) == [*SEED_READER_IDS, 754]
    assert failed.sql[-1] == "ROLLBACK"
    db.session.rollback()
    rolled_back = show_session().view
    assert rolled_back.state.transaction.startswith("no transaction")
    assert ids(rolled_back) == [*SEED_READER_IDS, 754]
    assert rolled_back.sql == ()  # the database had already rolled back


def test_deleted_then_committed_objects_say_so():
    reader = db.session.get(Reader, 753)
    db.session.delete(reader)
    marked = [item for item in show_session().view.state.objects if "id=753" in item.label]
    assert [(item.state, item.note) for item in marked] == [
        ("persistent", "marked for deletion: the next flush sends its DELETE")
    ]
    db.session.flush()
    assert ("deleted", "Reader(id=753, name='Tom', surname='Fox'") in states(show_session().view)
    db.session.commit()
    view = show_session().view
    assert [(item.state, item.note) for item in view.state.objects if "id=753" in item.label] == [
        ("detached", "deleted from the database")
    ]
    assert 753 not in ids(view)


def test_reading_the_session_changes_nothing_and_prints_no_sql(capsys, fresh_lesson):
    echo = echo_of(fresh_lesson)
    echo.enabled = True
    reader = db.session.get(Reader, 123)
    db.session.commit()  # expires the reader: printing it normally would send a SELECT
    db.session.add(nova())
    capsys.readouterr()
    sent = echo.sent
    for _ in range(2):
        show_session()
        session_state(db.session(), Reader)
    assert capsys.readouterr().out == ""
    assert echo.sent == sent
    assert db.session().in_transaction()
    assert reader in db.session and "name" not in db.inspect(reader).dict  # still expired, not loaded
    assert len(db.session.new) == 1


def test_on_both_backends_the_rows_follow_the_transaction(backend):
    db.session.add(nova())
    db.session.flush()
    assert [row[0] for row in session_state(db.session(), Reader).rows] == [*SEED_READER_IDS, 754]
    db.session.rollback()
    state = session_state(db.session(), Reader)
    assert [row[0] for row in state.rows] == SEED_READER_IDS and state.rows_source == "as committed"


def test_rows_of_a_transaction_postgresql_aborted_are_explained_not_raised(backend):
    connection = db.session.connection()
    with pytest.raises(IntegrityError):
        connection.execute(Reader.__table__.insert(), {"name": "A", "surname": "B", "email": "ann.adams@example.com"})
    state = session_state(db.session(), Reader)
    if backend == "postgresql":
        assert state.rows == () and "cannot be read now" in state.rows_source and "aborted" in state.rows_source
    else:
        assert [row[0] for row in state.rows] == SEED_READER_IDS
    db.session.rollback()


def test_the_text_and_html_views_carry_the_same_facts():
    db.session.add(nova())
    shown = show_session("after add")
    bundle = shown._repr_mimebundle_()
    for fact in ("after add", "pending", "nova.yeni@example.com", "tom.fox@sample.edu"):
        assert fact in bundle["text/plain"] and fact in bundle["text/html"]
    assert "<script" not in bundle["text/html"] and " at 0x" not in bundle["text/plain"]


def test_the_html_view_escapes_what_students_type():
    db.session.add(nova(surname="<b>bold</b>"))
    assert "&lt;b&gt;bold&lt;/b&gt;" in show_session()._repr_mimebundle_()["text/html"]


def test_without_a_lesson_the_view_says_what_to_do():
    lesson._end_previous_lesson()
    assert show_session().view.text() == NO_LESSON


def test_the_live_inspector_follows_the_session_and_offers_a_widget_and_static_views():
    inspector = SessionInspector()
    assert inspector.view.sql == ()  # the SQL sent before it existed (start_lesson's counts) is not shown
    db.session.add(nova())
    assert inspector.view.state.objects == ()  # not refreshed yet: a cell has not ended
    inspector.refresh()
    assert states(inspector.view) == [("pending", "Reader(id=?, name='Nova', surname='Yeni'")]
    assert "pending" in inspector.widget.value
    bundle = inspector._repr_mimebundle_()
    assert {"application/vnd.jupyter.widget-view+json", "text/plain", "text/html"} <= bundle.keys()
    assert "course-inspector" in inspector.widget._dom_classes


def test_the_live_inspector_refreshes_after_each_cell(notebook):
    notebook.run("from course_lib import SessionInspector\ninspector = SessionInspector()")
    notebook.run("db.session.add(Reader(name='Nova', surname='Yeni', email='nova.yeni@example.com'))")
    inspector = notebook.shell.user_ns["inspector"]
    assert [item.state for item in inspector.view.state.objects] == ["pending"]
    notebook.run("db.session.commit()")
    assert inspector.view.sql[-1] == "COMMIT" and [row[0] for row in inspector.view.state.rows][-1] == 754


def test_the_live_inspector_follows_a_new_lesson(notebook):
    notebook.run("from course_lib import SessionInspector\ninspector = SessionInspector()")
    notebook.run("db.session.add(Reader(name='Nova', surname='Yeni', email='nova.yeni@example.com'))")
    notebook.run("db.session.commit()")
    notebook.run("app = start_lesson(show_sql=False)")
    inspector = notebook.shell.user_ns["inspector"]
    assert [row[0] for row in inspector.view.state.rows] == SEED_READER_IDS
    assert "INSERT" not in "".join(inspector.view.sql)
