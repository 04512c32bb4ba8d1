"""The add-and-rollback playground: simulated clicks, and the states, rows and explanations they must produce."""

import pytest

from course_lib.bookclub.models import Reader, db
from course_lib.classroom import lesson
from course_lib.classroom.lesson import start_lesson
from course_lib.classroom.playground import NO_WIDGETS, RollbackPlayground, rollback_playground

SEED_READER_IDS = [123, 345, 450, 568, 653, 753]


@pytest.fixture
def playground():
    lesson._end_previous_lesson()
    start_lesson(show_sql=False)
    yield rollback_playground()
    lesson._end_previous_lesson()


def fill(playground: RollbackPlayground, name: str, surname: str, email: str) -> None:
    for field, value in {"name": name, "surname": surname, "email": email}.items():
        playground.fields[field].value = value


def row_ids(playground: RollbackPlayground) -> list[int]:
    return [row[0] for row in playground.inspector.view.state.rows]


def object_states(playground: RollbackPlayground) -> list[tuple[str, str]]:
    return [(item.state, item.label) for item in playground.inspector.view.state.objects]


def test_add_then_commit_saves_the_reader(playground):
    fill(playground, "Nova", "Yeni", "nova.yeni@example.com")
    playground.add_button.click()
    assert "Nova Yeni is now pending" in playground.said and "No SQL was sent" in playground.said
    assert object_states(playground)[0][0] == "pending" and row_ids(playground) == SEED_READER_IDS
    assert playground.inspector.view.sql == ()
    playground.commit_button.click()
    assert playground.said == "Committed: the database keeps the transaction for good. Saved: Nova Yeni (id 754)."
    assert row_ids(playground) == [*SEED_READER_IDS, 754]
    assert playground.inspector.view.sql[-1] == "COMMIT" and "INSERT INTO reader" in playground.inspector.view.sql[1]
    assert playground.inspector.view.sql_heading == "SQL sent by the last click"


def test_a_form_with_an_empty_field_adds_nothing(playground):
    fill(playground, "Nova", "", " ")
    playground.add_button.click()
    assert playground.said.startswith("Fill in surname, email first")
    assert list(db.session.new) == []


def test_the_duplicate_email_is_refused_explained_and_rolled_back(backend):
    playground = rollback_playground()
    fill(playground, "Nova", "Yuni", "ann.adams@example.com")  # Ann Adams, reader 123, has this email
    playground.add_button.click()
    playground.commit_button.click()
    assert "the email ann.adams@example.com is already used by another reader" in playground.said
    assert "UNIQUE rule on reader.email" in playground.said and "press Rollback" in playground.said
    view = playground.inspector.view
    assert view.state.transaction.startswith("inactive")
    assert [state for state, label in object_states(playground) if "Yuni" in label] == ["transient"]
    assert row_ids(playground) == SEED_READER_IDS and view.sql[-1] == "ROLLBACK"

    playground.add_button.click()  # the session refuses work until it is rolled back
    assert playground.said.startswith("Press Rollback first") and list(db.session.new) == []

    playground.rollback_button.click()
    assert playground.said.startswith("Rolled back: the session is usable again. No SQL was needed")
    assert playground.inspector.view.state.transaction.startswith("no transaction")
    assert playground.inspector.view.sql == () and row_ids(playground) == SEED_READER_IDS

    fill(playground, "Nova", "Yuni", "nova.yuni@example.com")
    playground.add_button.click()
    playground.commit_button.click()
    assert playground.said.startswith("Committed") and len(row_ids(playground)) == 7


def test_commit_while_the_session_waits_for_rollback_is_explained(playground):
    fill(playground, "Nova", "Yuni", "ann.adams@example.com")
    playground.add_button.click()
    playground.commit_button.click()
    playground.commit_button.click()
    assert playground.said.startswith("Refused before any SQL was sent")
    assert playground.inspector.view.sql == ()


def test_rollback_throws_away_readers_never_committed(playground):
    fill(playground, "Nova", "Yeni", "nova.yeni@example.com")
    playground.add_button.click()
    playground.rollback_button.click()
    assert playground.said == "Rolled back: Nova Yeni left the session without ever reaching the database."
    assert object_states(playground) == [
        ("transient", "Reader(id=?, name='Nova', surname='Yeni', email='nova.yeni@example.com')")
    ]
    assert row_ids(playground) == SEED_READER_IDS


def test_rollback_with_nothing_to_undo(playground):
    playground.rollback_button.click()
    assert playground.said == "Rolled back: there was nothing waiting to be undone."


def test_the_playground_also_shows_a_static_view(playground):
    bundle = playground._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].startswith(NO_WIDGETS) and "Table reader, as committed: 6 rows" in bundle["text/plain"]
    assert "ann.adams@example.com" in bundle["text/html"]
    assert "course-playground" in playground.widget._dom_classes


def test_the_playground_works_on_the_lessons_session(playground):
    fill(playground, "Nova", "Yeni", "nova.yeni@example.com")
    playground.add_button.click()
    playground.commit_button.click()
    assert db.session.get(Reader, 754).email == "nova.yeni@example.com"
