"""The Flask views checks' remaining messages, each made to fire (tests/test_messages_tested.py requires it)."""

import pytest
from test_checks_flask_views import DELETE_VIEW, EDIT_VIEW, IMPORTS, PROFILE_VIEW, SIGN_UP_VIEW

from course_lib.checks import Status
from course_lib.checks.exercises.flask_views import DELETE_READER, EDIT_EMAIL, PROFILE, SIGN_UP

GONE = "    if reader is None:\n        abort(410)\n"
ROLLBACK = "            db.session.rollback()\n"

MESSAGES = {
    "a view that is not a function": (PROFILE, "profile = 3", "not a function: define it with def profile(reader_id)"),
    "201 for an existing reader": (
        PROFILE,
        PROFILE_VIEW.replace("reader=reader)", "reader=reader), 201"),
        ": an existing reader's page is 200 OK.",
    ),
    "profile: 410 for a missing reader": (
        PROFILE,
        PROFILE_VIEW.replace("db.get_or_404(Reader, reader_id)\n", f"db.session.get(Reader, reader_id)\n{GONE}"),
        " (no reader has that id) answered 410 Gone; it should be 404 Not Found.",
    ),
    "edit: 410 for a missing reader": (
        EDIT_EMAIL,
        EDIT_VIEW.replace("db.get_or_404(Reader, reader_id)\n", f"db.session.get(Reader, reader_id)\n{GONE}"),
        " (no reader has that id) answered 410 Gone; it should be 404 Not Found.",
    ),
    "delete: 410 for a missing reader": (
        DELETE_READER,
        DELETE_VIEW.replace("db.get_or_404(Reader, reader_id)\n", f"db.session.get(Reader, reader_id)\n{GONE}"),
        " (no reader has that id) answered 410 Gone; it should be 404 Not Found.",
    ),
    "sign_up: something saved after a taken email": (
        SIGN_UP,
        SIGN_UP_VIEW.replace(
            ROLLBACK,
            ROLLBACK + '            db.session.add(Reader(name="X", surname="Y", email="x.y@example.com"))\n'
            "            db.session.commit()\n",
        ),
        " with a taken email the readers changed: nothing must be saved.",
    ),
    "edit: Ann's email changed after a taken email": (
        EDIT_EMAIL,
        EDIT_VIEW.replace(
            ROLLBACK,
            ROLLBACK + '            reader.email = "ann.changed@example.com"\n            db.session.commit()\n',
        ),
        " with a taken email, Ann's email changed: nothing must be saved.",
    ),
}


@pytest.mark.parametrize("name", MESSAGES)
def test_each_message_fires(notebook, name):
    checkpoint, body, says = MESSAGES[name]
    notebook.answer(checkpoint, IMPORTS + body)
    verdict = notebook.verdict(checkpoint)
    assert verdict.status is Status.MISTAKE, verdict
    assert says in verdict.message
