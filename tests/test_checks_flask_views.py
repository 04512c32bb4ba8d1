"""The Flask views checkpoints: right views pass in several styles; each typical mistake gets its own diagnosis.

Every mistake is a real view, driven by the check through Flask's test client on fresh scratch apps.
"""

import json

import pytest

from course_lib.checks import Status
from course_lib.checks.exercises.flask_views import DELETE_READER, EDIT_EMAIL, PROFILE, SIGN_UP
from course_lib.checks.registry import decide

IMPORTS = (
    "from flask import abort, flash, redirect, render_template, request, url_for\n"
    "from sqlalchemy.exc import IntegrityError\n"
)

PROFILE_VIEW = """
def profile(reader_id):
    reader = db.get_or_404(Reader, reader_id)
    return render_template("profile.html", reader=reader)
"""

SIGN_UP_VIEW = """
def sign_up():
    if request.method == "POST":
        reader = Reader(name=request.form["name"], surname=request.form["surname"], email=request.form["email"])
        db.session.add(reader)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            flash("that email is already registered")
            return render_template("sign_up.html"), 409
        return redirect(url_for("profile", reader_id=reader.id), code=303)
    return render_template("sign_up.html")
"""

EDIT_VIEW = """
def edit_email(reader_id):
    reader = db.get_or_404(Reader, reader_id)
    if request.method == "POST":
        reader.email = request.form["email"]
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            flash("that email is already registered")
            return render_template("edit_email.html", reader=reader), 409
        return redirect(url_for("profile", reader_id=reader_id), code=303)
    return render_template("edit_email.html", reader=reader)
"""

DELETE_VIEW = """
def delete_reader(reader_id):
    reader = db.get_or_404(Reader, reader_id)
    if request.method == "POST":
        db.session.delete(reader)
        db.session.commit()
        flash("deleted")
        return redirect(url_for("readers"))
    return render_template("confirm_delete.html", reader=reader)
"""

RIGHT = {PROFILE: PROFILE_VIEW, SIGN_UP: SIGN_UP_VIEW, EDIT_EMAIL: EDIT_VIEW, DELETE_READER: DELETE_VIEW}


def verdict_of(notebook, checkpoint, body):
    notebook.run(IMPORTS)
    notebook.answer(checkpoint, body)
    return notebook.verdict(checkpoint)


def assert_passes(notebook, checkpoint, body):
    verdict = verdict_of(notebook, checkpoint, body)
    assert verdict.status is Status.PASSED, verdict.message


def assert_diagnosed(notebook, checkpoint, body, says):
    verdict = verdict_of(notebook, checkpoint, body)
    assert verdict.status is Status.MISTAKE, verdict
    assert says in verdict.message, verdict.message


@pytest.mark.parametrize("checkpoint", list(RIGHT))
def test_the_lessons_views_pass(notebook, checkpoint):
    assert_passes(notebook, checkpoint, RIGHT[checkpoint])


def test_all_four_views_in_one_cell_pass_every_checkpoint(notebook):
    notebook.run(IMPORTS)
    notebook.run("".join(f"# answer: {id_}\n" for id_ in RIGHT) + "".join(RIGHT.values()))
    assert [notebook.verdict(id_).status for id_ in RIGHT] == [Status.PASSED] * 4


OTHER_STYLES = {
    "profile with first_or_404": (
        PROFILE,
        "def profile(reader_id):\n"
        "    reader = db.first_or_404(db.select(Reader).filter_by(id=reader_id))\n"
        '    return render_template("profile.html", reader=reader)\n',
    ),
    "profile with abort(404)": (
        PROFILE,
        "def profile(reader_id):\n"
        "    reader = db.session.get(Reader, reader_id)\n"
        "    if reader is None:\n        abort(404)\n"
        '    return render_template("profile.html", reader=reader)\n',
    ),
    "a renamed function assigned to the name": (
        PROFILE,
        PROFILE_VIEW.replace("def profile", "def show_reader") + "profile = show_reader\n",
    ),
    "sign-up with 422 and a 302 redirect": (
        SIGN_UP,
        SIGN_UP_VIEW.replace("), 409", "), 422").replace(", code=303", ""),
    ),
    "sign-up committing inside a savepoint-free with block": (
        SIGN_UP,
        SIGN_UP_VIEW.replace("        db.session.add(reader)\n", "").replace(
            "db.session.commit()", "db.session.add(reader)\n            db.session.commit()"
        ),
    ),
}


@pytest.mark.parametrize("name", OTHER_STYLES)
def test_other_right_styles_pass(notebook, name):
    checkpoint, body = OTHER_STYLES[name]
    assert_passes(notebook, checkpoint, body)


MISTAKES = {
    # profile
    "get returning None, used in Python: 500 where 404 was due": (
        PROFILE,
        "def profile(reader_id):\n"
        "    reader = db.session.get(Reader, reader_id)\n"
        '    return render_template("profile.html", reader=reader, title=reader.name)\n',
        "db.session.get returns None for an id that does not exist",
    ),
    "get returning None, page rendered empty with 200": (
        PROFILE,
        'def profile(reader_id):\n    reader = db.session.get(Reader, reader_id)\n    return f"<h1>{reader}</h1>"\n',
        "answered 200 OK with a page about nobody",
    ),
    ".one() raising NoResultFound": (
        PROFILE,
        "def profile(reader_id):\n"
        "    reader = db.session.scalars(db.select(Reader).filter_by(id=reader_id)).one()\n"
        '    return render_template("profile.html", reader=reader)\n',
        ".one() raises NoResultFound",
    ),
    "always the same reader": (
        PROFILE,
        "def profile(reader_id):\n"
        "    reader = db.get_or_404(Reader, 123)\n"
        '    return render_template("profile.html", reader=reader)\n',
        "does not show that reader",
    ),
    "a wrong filter: 404 for an existing reader": (
        PROFILE,
        "def profile(reader_id):\n"
        "    reader = db.first_or_404(db.select(Reader).filter_by(email=str(reader_id)))\n"
        '    return render_template("profile.html", reader=reader)\n',
        "but that reader exists",
    ),
    "profile missing": (PROFILE, "def show(reader_id):\n    pass\n", "There is no function named profile yet"),
    # sign_up
    "no rollback: a 500 in the same request": (
        SIGN_UP,
        SIGN_UP_VIEW.replace("            db.session.rollback()\n", ""),
        "nothing rolled the session back",
    ),
    "not caught at all": (
        SIGN_UP,
        SIGN_UP_VIEW.replace(
            "        try:\n            db.session.commit()\n",
            "        db.session.commit()\n        try:\n            pass\n",
        ),
        "The failed commit is not caught",
    ),
    "a bare except hides another database error": (
        SIGN_UP,
        SIGN_UP_VIEW.replace("except IntegrityError:", "except:"),
        "Your except clause catches more than IntegrityError",
    ),
    "except Exception hides another database error": (
        SIGN_UP,
        SIGN_UP_VIEW.replace("except IntegrityError:", "except Exception:"),
        "Your except clause catches more than IntegrityError",
    ),
    "commit missing: the row is gone at the next request": (
        SIGN_UP,
        SIGN_UP_VIEW.replace("db.session.commit()", "db.session.flush()"),
        "at the next request Nova Lee is not in the database",
    ),
    "no redirect after POST": (
        SIGN_UP,
        SIGN_UP_VIEW.replace(
            'return redirect(url_for("profile", reader_id=reader.id), code=303)',
            'return render_template("profile.html", reader=reader)',
        ),
        "Post/Redirect/Get",
    ),
    "307 repeats the POST": (
        SIGN_UP,
        SIGN_UP_VIEW.replace("code=303", "code=307"),
        "send the POST again",
    ),
    "200 for a taken email": (
        SIGN_UP,
        SIGN_UP_VIEW.replace("), 409", ")"),
        "answered 200 OK",
    ),
    "400 for a taken email": (
        SIGN_UP,
        SIGN_UP_VIEW.replace("), 409", "), 400"),
        "400 Bad Request, which says the request itself is malformed",
    ),
    "a redirect for a taken email": (
        SIGN_UP,
        SIGN_UP_VIEW.replace('return render_template("sign_up.html"), 409', 'return redirect(url_for("sign_up"))'),
        "a redirect tells the browser the POST worked",
    ),
    "no flash": (
        SIGN_UP,
        SIGN_UP_VIEW.replace('            flash("that email is already registered")\n', ""),
        "did not flash the message",
    ),
    "a GET that reads the form": (
        SIGN_UP,
        SIGN_UP_VIEW.replace('    if request.method == "POST":\n', "    if True:\n"),
        "your view reads request.form on a GET too",
    ),
    "a GET that changes data": (
        SIGN_UP,
        SIGN_UP_VIEW.replace(
            '    if request.method == "POST":\n',
            '    if request.method == "GET":\n'
            '        db.session.add(Reader(name="Guest", surname="Visitor", email="guest@example.com"))\n'
            "        db.session.commit()\n"
            '    if request.method == "POST":\n',
        ),
        "changed the data: a GET must only show a page",
    ),
    # edit_email
    "edit: get returning None": (
        EDIT_EMAIL,
        EDIT_VIEW.replace("db.get_or_404(Reader, reader_id)", "db.session.get(Reader, reader_id)"),
        "a 500 where a 404 was due",
    ),
    "edit: commit missing": (
        EDIT_EMAIL,
        EDIT_VIEW.replace("            db.session.commit()\n", "            pass\n"),
        "at the next request Ann's email is unchanged",
    ),
    "edit: no rollback": (
        EDIT_EMAIL,
        EDIT_VIEW.replace("            db.session.rollback()\n", ""),
        "nothing rolled the session back",
    ),
    "edit: no redirect": (
        EDIT_EMAIL,
        EDIT_VIEW.replace(
            'return redirect(url_for("profile", reader_id=reader_id), code=303)',
            'return render_template("profile.html", reader=reader)',
        ),
        "Post/Redirect/Get",
    ),
    "edit: a GET that changes data": (
        EDIT_EMAIL,
        EDIT_VIEW.replace(
            '    if request.method == "POST":\n',
            '    reader.email = request.args.get("email", "ann.a@example.com")\n    db.session.commit()\n'
            '    if request.method == "POST":\n',
        ),
        "changed the data: a GET must only show a page",
    ),
    "edit: a bare except": (
        EDIT_EMAIL,
        EDIT_VIEW.replace("except IntegrityError:", "except:"),
        "Your except clause catches more than IntegrityError",
    ),
    "edit: 200 for a taken email": (EDIT_EMAIL, EDIT_VIEW.replace("), 409", ")"), "answered 200 OK"),
    # delete_reader
    "delete: a GET that deletes": (
        DELETE_READER,
        DELETE_VIEW.replace('    if request.method == "POST":\n', "    if True:\n"),
        "changed the data: a GET must only show a page",
    ),
    "delete: get returning None": (
        DELETE_READER,
        DELETE_VIEW.replace("db.get_or_404(Reader, reader_id)", "db.session.get(Reader, reader_id)"),
        "db.session.get returns None",
    ),
    "delete: commit missing": (
        DELETE_READER,
        DELETE_VIEW.replace("        db.session.commit()\n", "        db.session.flush()\n"),
        "Ann is still in the database",
    ),
    "delete: a bulk DELETE around the ORM leaves orphans": (
        DELETE_READER,
        DELETE_VIEW.replace(
            "        db.session.delete(reader)\n",
            "        db.session.execute(db.delete(Reader).where(Reader.id == reader_id))\n",
        ),
        "her reviews and annotations are still there",
    ),
    "delete: no redirect": (
        DELETE_READER,
        DELETE_VIEW.replace('return redirect(url_for("readers"))', 'return "deleted"'),
        "Post/Redirect/Get",
    ),
}


@pytest.mark.parametrize("name", MISTAKES)
def test_mistakes_are_diagnosed(notebook, name):
    checkpoint, body, says = MISTAKES[name]
    assert_diagnosed(notebook, checkpoint, body, says)


def test_the_next_request_is_unaffected_by_a_missing_rollback(notebook):
    """The check's evidence shows the 500 in the same request, and 200 for the next one (the session was removed)."""
    from course_lib.checks.registry import Attempt, collect_evidence
    from course_lib.classroom.answer_log import ANSWERS

    notebook.run(IMPORTS)
    notebook.answer(SIGN_UP, SIGN_UP_VIEW.replace("            db.session.rollback()\n", ""))
    attempt = Attempt(notebook.shell.user_ns, ANSWERS.latest(SIGN_UP))
    taken, after = collect_evidence(SIGN_UP, attempt)["taken"]["answers"]
    assert (taken["status"], taken["left_needing_rollback"]) == (500, True)
    assert taken["error"].startswith("PendingRollbackError")
    assert (after["status"], after["left_needing_rollback"]) == (200, False)


@pytest.mark.parametrize("checkpoint", list(RIGHT))
def test_evidence_is_plain_json_and_the_rule_decides_alone(notebook, checkpoint):
    from course_lib.checks.registry import Attempt, collect_evidence
    from course_lib.classroom.answer_log import ANSWERS

    notebook.run(IMPORTS)
    notebook.answer(checkpoint, RIGHT[checkpoint])
    evidence = collect_evidence(checkpoint, Attempt(notebook.shell.user_ns, ANSWERS.latest(checkpoint)))
    assert json.loads(json.dumps(evidence)) == evidence
    assert decide(checkpoint, RIGHT[checkpoint], None, evidence).status is Status.PASSED


@pytest.mark.parametrize(
    "evidence",
    [
        {},
        {"view": "function"},
        {"view": "function", "pages": {"answers": [{"status": "200"}]}},
        {"view": "function", "form": {}},
    ],
)
@pytest.mark.parametrize("checkpoint", list(RIGHT))
def test_malformed_evidence_is_never_a_pass(checkpoint, evidence):
    assert decide(checkpoint, RIGHT[checkpoint], None, evidence).status is Status.CHECK_FAILED
