"""The add-and-rollback checkpoints: right answers in several styles pass, every typical mistake gets its diagnosis."""

import pytest
from sqlalchemy import inspect, select

from course_lib.authoring.manifest import load_manifest
from course_lib.checks import Status
from course_lib.checks.exercises.add_rollback import ADD, COMMIT, NEW_READER

PETER = 'new_reader = Reader(name="Peter", surname="Johnson", email="peter.johnson@example.com")'
ADD_PETER = "db.session.add(new_reader)"
SAFE_COMMIT = "try:\n    db.session.commit()\nexcept IntegrityError:\n    db.session.rollback()"


def solve_up_to_commit(notebook, commit_body: str) -> None:
    notebook.answer(NEW_READER, PETER)
    notebook.answer(ADD, ADD_PETER)
    notebook.answer(COMMIT, commit_body)


@pytest.mark.parametrize(
    "body",
    [
        PETER,
        'new_reader = Reader(email="peter.johnson@example.com", surname="Johnson", name="Peter")',
        'new_reader = Reader()\nnew_reader.name = "Peter"\nnew_reader.surname = "Johnson"\n'
        'new_reader.email = "peter.johnson@example.com"',
        'details = {"name": "Peter", "surname": "Johnson", "email": "peter.johnson@example.com"}\n'
        "new_reader = Reader(**details)",
        f"{PETER}\nprint(new_reader)",
    ],
)
def test_new_reader_passes_in_every_style(notebook, body):
    notebook.answer(NEW_READER, body)
    assert notebook.verdict(NEW_READER).status is Status.PASSED


@pytest.mark.parametrize(
    "body",
    [
        SAFE_COMMIT,
        "try:\n    db.session.commit()\nexcept:\n    db.session.rollback()",
        "try:\n    db.session.commit()\nexcept Exception as error:\n    db.session.rollback()\n    print(error)",
        "from sqlalchemy import exc\ntry:\n    db.session.commit()\nexcept exc.IntegrityError as error:\n"
        "    db.session.rollback()\n    print('taken:', error.orig)",
        "try:\n    db.session.flush()\n    db.session.commit()\nexcept (IntegrityError, ValueError):\n"
        "    db.session.rollback()",
        "def save():\n    try:\n        db.session.commit()\n    except IntegrityError:\n"
        "        db.session.rollback()\n        return False\n    return True\nsave()",
    ],
)
def test_commit_passes_in_every_style(notebook, body):
    solve_up_to_commit(notebook, body)
    verdict = notebook.verdict(COMMIT)
    assert verdict.status is Status.PASSED, verdict.message


def test_everything_in_one_cell_passes_every_checkpoint(notebook):
    notebook.run(f"# answer: {NEW_READER}\n# answer: {ADD}\n# answer: {COMMIT}\n{PETER}\n{ADD_PETER}\n{SAFE_COMMIT}")
    assert [notebook.verdict(id_).status for id_ in (NEW_READER, ADD, COMMIT)] == [Status.PASSED] * 3


@pytest.mark.parametrize("checkpoint", [NEW_READER, ADD, COMMIT])
def test_answer_cell_not_run_yet(notebook, checkpoint):
    verdict = notebook.verdict(checkpoint)
    assert verdict.status is Status.NOT_RUN
    assert f"# answer: {checkpoint}" in verdict.message


@pytest.mark.parametrize("placeholder", ["pass  # your code here", "...", "new_reader = ...", "# thinking"])
@pytest.mark.parametrize("checkpoint", [NEW_READER, ADD, COMMIT])
def test_placeholder_is_not_done_yet(notebook, checkpoint, placeholder):
    notebook.answer(checkpoint, placeholder)
    verdict = notebook.verdict(checkpoint)
    assert verdict.status is Status.NOT_DONE
    assert verdict.message == load_manifest().checkpoint(checkpoint).task


@pytest.mark.parametrize(
    ("checkpoint", "body", "says"),
    [
        (NEW_READER, 'new_reader = Reader(name="Peter", surnme="Johnson")', "TypeError: 'surnme' is an invalid"),
        (NEW_READER, "new_reader = Reder()", "NameError: name 'Reder' is not defined"),
        (ADD, "db.session.add(new_reader)", "NameError: name 'new_reader' is not defined"),
        (COMMIT, "try:\n    db.session.commit()\nexcept IntegrityError\n    pass", "SyntaxError"),
    ],
)
def test_answer_that_raises_is_reported_with_its_error(notebook, checkpoint, body, says):
    notebook.answer(checkpoint, body)
    verdict = notebook.verdict(checkpoint)
    assert verdict.status is Status.RAISED
    assert says in verdict.message


MISTAKES = {
    "id assigned by hand": (
        NEW_READER,
        'new_reader = Reader(id=7, name="Peter", surname="Johnson", email="peter.johnson@example.com")',
        "You gave new_reader the id 7 by hand",
    ),
    "id assigned by hand after creation": (
        NEW_READER,
        f"{PETER}\nnew_reader.id = 800",
        "the id 800 by hand",
    ),
    "wrong name": (
        NEW_READER,
        'new_reader = Reader(name="Pete", surname="Johnson", email="peter.johnson@example.com")',
        "The name is 'Pete', but the task asks for 'Peter'.",
    ),
    "wrong surname in case": (
        NEW_READER,
        'new_reader = Reader(name="Peter", surname="johnson", email="peter.johnson@example.com")',
        "The surname is 'johnson', but the task asks for 'Johnson' (check capitals and spaces).",
    ),
    "wrong email": (
        NEW_READER,
        'new_reader = Reader(name="Peter", surname="Johnson", email="peter@example.com")',
        "The email is 'peter@example.com', but the task asks for 'peter.johnson@example.com'.",
    ),
    "missing email": (
        NEW_READER,
        'new_reader = Reader(name="Peter", surname="Johnson")',
        'new_reader has no email: pass email="peter.johnson@example.com".',
    ),
    "name and surname swapped": (
        NEW_READER,
        'new_reader = Reader(name="Johnson", surname="Peter", email="peter.johnson@example.com")',
        "The name and surname are swapped",
    ),
    "the class instead of an object": (NEW_READER, "new_reader = Reader", "new_reader is the Reader class itself"),
    "not a Reader": (NEW_READER, 'new_reader = "Peter Johnson"', "new_reader is a str, not a Reader object."),
    "cell does not create new_reader": (
        NEW_READER,
        f"{PETER}\nnew_reader = None\nanother = 1",
        "new_reader is None, not a Reader object.",
    ),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_new_reader_mistakes_are_diagnosed(notebook, name):
    checkpoint, body, says = MISTAKES[name]
    notebook.answer(checkpoint, body)
    verdict = notebook.verdict(checkpoint)
    assert verdict.status is Status.MISTAKE
    assert says in verdict.message


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("print(new_reader)", "new_reader is not in the session, so a commit would not save it."),
        ("db.session.add", "You wrote db.session.add without parentheses"),
        (
            'db.session.add(Reader(name="Peter", surname="Johnson", email="peter.johnson@example.com"))',
            "You added another Reader with Peter's details, not new_reader itself.",
        ),
        ("db.session.add(new_reader)\ndb.session.rollback()", "if you rolled back, add it again"),
    ],
)
def test_add_mistakes_are_diagnosed(notebook, body, says):
    notebook.answer(NEW_READER, PETER)
    notebook.answer(ADD, body)
    verdict = notebook.verdict(ADD)
    assert verdict.status is Status.MISTAKE
    assert says in verdict.message


def test_add_without_new_reader_says_to_create_it_first(notebook):
    notebook.answer(ADD, "db.session.add(Reader())")
    verdict = notebook.verdict(ADD)
    assert verdict.status is Status.MISTAKE
    assert "There is no variable named new_reader yet" in verdict.message


COMMIT_MISTAKES = {
    "flushed but not committed": ("db.session.flush()", "new_reader was flushed, not committed"),
    "never committed": ("print(db.session.new)", "new_reader is still pending"),
    "committed without try/except": ("db.session.commit()", "You committed without try/except."),
    "commit outside the try block": (
        "try:\n    x = 1\nexcept IntegrityError:\n    db.session.rollback()\ndb.session.commit()",
        "Your db.session.commit() is outside the try block",
    ),
    "except branch without rollback": (
        "try:\n    db.session.commit()\nexcept IntegrityError:\n    print('email taken')",
        "your except branch does not call db.session.rollback()",
    ),
    "except clause that cannot catch": (
        "try:\n    db.session.commit()\nexcept ValueError:\n    db.session.rollback()",
        "Your except clause catches ValueError, but a failed commit raises sqlalchemy.exc.IntegrityError",
    ),
    "the driver's IntegrityError": (
        "import sqlite3\ntry:\n    db.session.commit()\nexcept sqlite3.IntegrityError:\n    db.session.rollback()",
        "Your except clause catches sqlite3.IntegrityError, but",
    ),
    "rolls back then raises again": (
        "try:\n    db.session.commit()\nexcept IntegrityError:\n    db.session.rollback()\n    raise",
        "rolls back but then lets the IntegrityError escape",
    ),
    "except branch that itself fails": (
        "try:\n    db.session.commit()\nexcept IntegrityError:\n    db.session.rolback()",
        "When the commit fails, your code raises AttributeError",
    ),
}


@pytest.mark.parametrize("name", COMMIT_MISTAKES)
def test_commit_mistakes_are_diagnosed(notebook, name):
    body, says = COMMIT_MISTAKES[name]
    solve_up_to_commit(notebook, body)
    verdict = notebook.verdict(COMMIT)
    assert verdict.status is Status.MISTAKE
    assert says in verdict.message


def test_commit_of_a_never_added_reader_says_it_is_not_in_the_database(notebook):
    notebook.answer(NEW_READER, PETER)
    notebook.answer(COMMIT, SAFE_COMMIT)
    verdict = notebook.verdict(COMMIT)
    assert verdict.status is Status.MISTAKE
    assert "new_reader is not in the database" in verdict.message


def test_commit_that_failed_and_was_not_rolled_back_reports_the_stuck_session(notebook):
    notebook.answer(NEW_READER, 'new_reader = Reader(name="Peter", surname="Johnson", email="ann.adams@example.com")')
    notebook.answer(ADD, ADD_PETER)
    notebook.answer(COMMIT, "try:\n    db.session.commit()\nexcept IntegrityError:\n    pass")
    verdict = notebook.verdict(COMMIT)
    assert verdict.status is Status.MISTAKE
    assert "The session is stuck in a failed transaction" in verdict.message


def test_every_mistake_has_its_own_message(notebook):
    messages = set()
    for body, _ in COMMIT_MISTAKES.values():
        notebook.run("app = start_lesson(show_sql=False)")
        solve_up_to_commit(notebook, body)
        messages.add(notebook.verdict(COMMIT).message)
    assert len(messages) == len(COMMIT_MISTAKES)


def session_state(notebook) -> tuple:
    """What a check must leave as it was in the student's session, read without sending SQL."""
    session = notebook.shell.user_ns["db"].session()
    objects = sorted((repr(inspect(obj).key), inspect(obj).pending, frozenset(inspect(obj).dict)) for obj in session)
    return session.in_transaction(), session.is_active, len(session.new), len(session.dirty), objects


def reader_rows(notebook) -> list:
    session = notebook.shell.user_ns["db"].session()
    with session.no_autoflush:
        return session.execute(select(notebook.shell.user_ns["Reader"].__table__)).all()


def run_every_check(notebook) -> None:
    for checkpoint in (NEW_READER, ADD, COMMIT):
        notebook.verdict(checkpoint)


@pytest.mark.parametrize("step", [0, 1, 2, 3])
def test_checks_do_not_change_the_session_or_the_data(notebook, step):
    steps = [(NEW_READER, PETER), (ADD, ADD_PETER), (COMMIT, SAFE_COMMIT)]
    for checkpoint, body in steps[:step]:
        notebook.answer(checkpoint, body)
    state = session_state(notebook)
    run_every_check(notebook)
    assert session_state(notebook) == state
    rows = reader_rows(notebook)
    run_every_check(notebook)
    assert reader_rows(notebook) == rows


def test_checks_do_not_print_sql_or_answer_output(notebook, capsys):
    notebook.run("from course_lib import show_sql\nshow_sql(True)")
    solve_up_to_commit(notebook, SAFE_COMMIT + "\n    print('taken')\nprint('done')")
    capsys.readouterr()
    for checkpoint in (NEW_READER, ADD, COMMIT):
        notebook.verdict(checkpoint)
    assert capsys.readouterr().out == ""


def test_restarting_the_lesson_forgets_earlier_answers(notebook):
    notebook.answer(NEW_READER, PETER)
    notebook.run("app = start_lesson(show_sql=False)")
    assert notebook.verdict(NEW_READER).status is Status.NOT_RUN
