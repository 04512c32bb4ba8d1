"""Exercise 07 judged by comparison with the reference's views: answers written as beginners write them.

Each view below once passed the checks (they judged the symptom, not the response) or was refused although right.
The comparison sees the response itself: the template, the content type, where a redirect points, the flashes,
the request's commits, a GET carrying the form's fields, and an email the database refuses only when the INSERT
reaches it.
"""

import pytest
from test_checks_flask_views import EDIT_VIEW, IMPORTS, SIGN_UP_VIEW

from course_lib.checks import Status
from course_lib.checks.exercises.flask_views import DELETE_READER, EDIT_EMAIL, PROFILE, SIGN_UP

CHECK_FIRST = """
def sign_up():
    if request.method == "POST":
        if db.session.scalar(db.select(Reader).filter_by(email=request.form["email"])) is not None:
            flash("that email is already registered")
            return render_template("sign_up.html"), 409
        reader = Reader(name=request.form["name"], surname=request.form["surname"], email=request.form["email"])
        db.session.add(reader)
        db.session.commit()
        return redirect(url_for("profile", reader_id=reader.id), code=303)
    return render_template("sign_up.html")
"""

VALUES_SIGN_UP = """
def sign_up():
    if request.values.get("email"):
        reader = Reader(name=request.values["name"], surname=request.values["surname"], email=request.values["email"])
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

COMMIT_PER_ROW = """
def delete_reader(reader_id):
    reader = db.get_or_404(Reader, reader_id)
    if request.method == "POST":
        for review in list(reader.reviews):
            db.session.delete(review)
            db.session.commit()
        for note in list(reader.annotations):
            db.session.delete(note)
            db.session.commit()
        db.session.delete(reader)
        db.session.commit()
        return redirect(url_for("readers"), code=303)
    return render_template("confirm_delete.html", reader=reader)
"""

OWN_SESSION = SIGN_UP_VIEW.replace(
    "        db.session.add(reader)\n        try:\n            db.session.commit()\n",
    "        mine = Session(db.engine)\n        mine.add(reader)\n        try:\n            mine.commit()\n"
    "            reader = mine.merge(reader)\n",
).replace("def sign_up():", "from sqlalchemy.orm import Session\ndef sign_up():")

BEGIN_BLOCK = """
def sign_up():
    if request.method == "POST":
        reader = Reader(name=request.form["name"], surname=request.form["surname"], email=request.form["email"])
        try:
            with db.session.begin():
                db.session.add(reader)
        except IntegrityError:
            flash("that email is already registered.")
            return render_template("sign_up.html"), 409
        return redirect(url_for("profile", reader_id=reader.id))
    return render_template("sign_up.html")
"""

NEW_MISTAKES = {
    "check first, the constraint not handled": (
        SIGN_UP,
        CHECK_FIRST,
        "although no reader had it when your view looked",
    ),
    "a GET with the form in its query string signs up": (SIGN_UP, VALUES_SIGN_UP, "its query string carried the form"),
    "a commit per row": (DELETE_READER, COMMIT_PER_ROW, "committed 4 times: one request is one unit of work"),
    "the commit on a session of one's own": (SIGN_UP, OWN_SESSION, "the COMMIT went to a session you created"),
    "301 after the sign-up": (
        SIGN_UP,
        SIGN_UP_VIEW.replace("code=303", "code=301"),
        "answered 301 Moved Permanently; the task asks for 303 See Other",
    ),
    "redirected elsewhere": (
        SIGN_UP,
        SIGN_UP_VIEW.replace('url_for("profile", reader_id=reader.id)', 'url_for("readers")'),
        "redirected to readers(); the task redirects to the new reader's profile",
    ),
    "JSON instead of the page": (
        PROFILE,
        "from flask import jsonify\ndef profile(reader_id):\n    reader = db.get_or_404(Reader, reader_id)\n"
        "    return jsonify(id=reader.id, name=reader.name, email=reader.email)\n",
        "answered application/json; the task's view renders the page with render_template('profile.html'",
    ),
    "another template": (
        PROFILE,
        "def profile(reader_id):\n    reader = db.get_or_404(Reader, reader_id)\n"
        "    return render_template('readers.html', readers=[reader])\n",
        "answered readers.html; the task's view renders the page",
    ),
    "the form not shown again after a refused sign-up": (
        SIGN_UP,
        SIGN_UP_VIEW.replace('return render_template("sign_up.html"), 409', 'return "That email is taken.", 409'),
        "rendered no template: show the form again",
    ),
    "edit: check first, the constraint not handled": (
        EDIT_EMAIL,
        EDIT_VIEW.replace(
            '        reader.email = request.form["email"]\n',
            '        if db.session.scalar(db.select(Reader).filter_by(email=request.form["email"])):\n'
            '            flash("that email is already registered")\n'
            '            return render_template("edit_email.html", reader=reader), 409\n'
            '        reader.email = request.form["email"]\n',
        ).replace(
            "        try:\n            db.session.commit()\n        except IntegrityError:\n"
            '            db.session.rollback()\n            flash("that email is already registered")\n'
            '            return render_template("edit_email.html", reader=reader), 409\n',
            "        db.session.commit()\n",
        ),
        "although no reader had it when your view looked",
    ),
    "edit: a query's autoflush outside the try": (
        EDIT_EMAIL,
        EDIT_VIEW.replace(
            '        reader.email = request.form["email"]\n',
            '        reader.email = request.form["email"]\n        db.session.get(Annotation, 332)\n',
        ),
        "A query sent the session's changes first (autoflush), outside your try block",
    ),
    "edit: redirected elsewhere": (
        EDIT_EMAIL,
        EDIT_VIEW.replace('url_for("profile", reader_id=reader_id)', 'url_for("readers")'),
        "redirected to readers(); the task redirects to the reader's profile",
    ),
}


@pytest.mark.parametrize("name", NEW_MISTAKES)
def test_a_response_unlike_the_references_is_a_mistake_named_from_what_was_seen(notebook, name):
    checkpoint, body, says = NEW_MISTAKES[name]
    notebook.run(IMPORTS)
    notebook.answer(checkpoint, body)
    verdict = notebook.verdict(checkpoint)
    assert verdict.status is Status.MISTAKE, verdict
    assert says in verdict.message, verdict.message


NEW_RIGHT_STYLES = {
    "a with db.session.begin() block, 302 and a final full stop": (SIGN_UP, BEGIN_BLOCK),
    "request.form.get": (SIGN_UP, SIGN_UP_VIEW.replace('request.form["email"]', 'request.form.get("email")')),
}


@pytest.mark.parametrize("name", NEW_RIGHT_STYLES)
def test_the_same_behaviour_passes_whatever_the_style(notebook, name):
    checkpoint, body = NEW_RIGHT_STYLES[name]
    notebook.run(IMPORTS)
    notebook.answer(checkpoint, body)
    verdict = notebook.verdict(checkpoint)
    assert verdict.status is Status.PASSED, verdict.message
    assert "answers as the task's view does" in verdict.message


def test_a_difference_no_classifier_names_is_said_as_seen(notebook):
    """Differences no usual misconception explains are said as seen: what the view did, what the task's view does."""
    notebook.run(IMPORTS)
    notebook.answer(
        SIGN_UP,
        SIGN_UP_VIEW.replace(
            "        return redirect(", '        flash("that email is already registered")\n        return redirect('
        ),
    )
    verdict = notebook.verdict(SIGN_UP)
    assert verdict.message == (
        "POST /sign-up flashed 'that email is already registered'; the task's answer flashed nothing."
    )
    notebook.answer(
        EDIT_EMAIL,
        EDIT_VIEW.replace(
            '        reader.email = request.form["email"]\n',
            "        db.session.delete(db.session.get(Annotation, 332))\n"
            '        reader.email = request.form["email"]\n',
        ),
    )
    verdict = notebook.verdict(EDIT_EMAIL)
    assert verdict.message.startswith("After GET /readers/123, the rows are not the task's") or (
        "the rows are not the task's" in verdict.message
    ), verdict.message
