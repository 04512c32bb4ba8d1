"""Checkpoints of the Flask views exercise: a profile that 404s, sign-up, change of email and deletion by POST.

Each collect half drives the student's view through Flask's test client on fresh scratch apps (one per scenario,
each with its own seeded in-memory database) and returns what the requests answered and the rows afterwards. Each
rule decides on that data alone.
"""

from typing import Any

from course_lib.checks.judging.web import BROKEN_EMAIL, Request, describe_view, run_scenario, view_of
from course_lib.checks.registry import Attempt, Evidence, checkpoint
from course_lib.checks.verdict import Finding, mistake, passed
from course_lib.bookclub.seed import READERS

PROFILE = "flask_views.profile"
SIGN_UP = "flask_views.sign_up"
EDIT_EMAIL = "flask_views.edit_email"
DELETE_READER = "flask_views.delete_reader"

ANN_EMAIL = "ann.adams@example.com"
SAM_EMAIL = "sam.adams@example.com"
NEW_READER = {"name": "Nova", "surname": "Lee", "email": "nova.lee@example.com"}
TAKEN_READER = {"name": "Pat", "surname": "Adams", "email": ANN_EMAIL}
BROKEN_READER = {"name": "Dee", "surname": "Fault", "email": BROKEN_EMAIL}
NEW_EMAIL = "ann@adams.example.org"
FITTING_CONFLICT = (409, 422)
SEE_OTHER = (302, 303)
MISSING_ID = 999
SEED_READERS = {str(id_): email for id_, _name, _surname, email in READERS}


def _scenarios(attempt: Attempt, name: str, scenarios: dict[str, list[Request]]) -> Evidence:
    """The view's kind and, when it is a function, what each scenario's requests answered on a fresh app."""
    kind = describe_view(attempt.namespace, name)
    view = view_of(attempt.namespace, name)
    if view is None:
        return {"view": kind}
    return {"view": kind, **{key: run_scenario(view, name, requests) for key, requests in scenarios.items()}}


def _answers(evidence: Evidence, scenario: str) -> list[dict[str, Any]]:
    """The answers of a scenario, checked to be well formed (a malformed one raises: "could not be checked")."""
    answers = evidence[scenario]["answers"]
    for answer in answers:
        if not isinstance(answer["status"], int) or not isinstance(answer["flashed"], list):
            raise ValueError(f"malformed answer in {scenario}")
        str(answer["body"]), answer["location"], answer["error"], bool(answer["left_needing_rollback"])
    return answers


def _rows(evidence: Evidence, scenario: str) -> dict[str, Any]:
    rows = evidence[scenario]["rows"]
    if not all(isinstance(rows[key], dict) for key in ("readers", "reviews_by", "annotations_by")):
        raise ValueError(f"malformed rows in {scenario}")
    return rows


def _no_view(evidence: Evidence, name: str, signature: str) -> Finding | None:
    """A finding when the view function does not exist."""
    kind = evidence["view"]
    if kind == "function":
        return None
    if kind == "missing":
        return mistake(f"There is no function named {name} yet: define it with def {signature}: ...")
    return mistake(f"{name} is a {kind}, not a function: define it with def {signature}: ...")


def _crash(answer: dict[str, Any]) -> str | None:
    """In plain words, why a request ended in 500 Internal Server Error (None when it did not)."""
    if answer["status"] != 500:
        return None
    error = answer["error"] or "an error"
    said = f"{answer['request']} ended in 500 Internal Server Error: your view raised {error}."
    if error.startswith("PendingRollbackError"):
        return (
            f"{said} The commit failed and nothing rolled the session back, so the next query in the same request "
            "(the page's member count) is refused. Call db.session.rollback() in the except branch before "
            "rendering the page."
        )
    if error.startswith("IntegrityError"):
        return f"{said} The failed commit is not caught: put it in try/except IntegrityError and roll back there."
    if (error.startswith("AttributeError") and "NoneType" in error) or (
        error.startswith("UndefinedError") and "'None' has no attribute" in error
    ):
        return (
            f"{said} db.session.get returns None for an id that does not exist, and the view (or its template) "
            "then used it as a reader: a 500 where a 404 was due. Use db.get_or_404(Reader, reader_id)."
        )
    if error.startswith("UnmappedInstanceError"):
        return (
            f"{said} db.session.get returned None for an id that does not exist, and db.session.delete(None) "
            "fails: a 500 where a 404 was due. Use db.get_or_404(Reader, reader_id)."
        )
    if error.startswith("NoResultFound"):
        return (
            f"{said} .one() raises NoResultFound when no row matches: a 500 where a 404 was due. Use "
            "db.get_or_404(Reader, reader_id) (or db.one_or_404 / db.first_or_404 with a select)."
        )
    return said


def _get_changes_nothing(answer: dict[str, Any], before: dict[str, Any], after: dict[str, Any]) -> str | None:
    """What is wrong with a GET that should only show a page and leave the data alone."""
    if crash := _crash(answer):
        return crash
    if answer["status"] == 400:
        return (
            f"{answer['request']} answered 400 Bad Request: your view reads request.form on a GET too, and a GET "
            "sends no form. Read the form and change data only when request.method == 'POST'."
        )
    if after != before:
        return (
            f"{answer['request']} changed the data: a GET must only show a page (browsers, crawlers and link "
            "previews send GETs freely). Change data only when request.method == 'POST'."
        )
    if answer["status"] != 200:
        return f"{answer['request']} answered {answer['status']}: a GET of this page should show it, with 200 OK."
    return None


def _redirected(answer: dict[str, Any], where: str) -> str | None:
    """What is wrong when a successful POST does not answer with a redirect (Post/Redirect/Get)."""
    status = answer["status"]
    if status in SEE_OTHER and answer["location"]:
        return None
    if status in (307, 308):
        return (
            f"{answer['request']} redirected with {status}, which makes the browser send the POST again to the new "
            "address. Use 303 See Other (or 302): the browser then GETs the page."
        )
    return (
        f"{answer['request']} worked but answered {status} with a page instead of a redirect. After a POST that "
        f"changed data, redirect (Post/Redirect/Get): return redirect(url_for({where}), code=303), so that "
        "reloading the page does not send the form again."
    )


TAKEN_MESSAGE = "that email is already registered"


def _is_taken_message(message: str) -> bool:
    """True for the task's message, whatever its capitals and final full stop or exclamation mark."""
    return message.strip().rstrip(".!").strip().lower() == TAKEN_MESSAGE


def _conflict(answer: dict[str, Any], page: str) -> str | None:
    """What is wrong with the answer to a POST whose email is taken: rolled back, flashed, the form again, 409."""
    if crash := _crash(answer):
        return crash
    status, flashed = answer["status"], [str(message) for message in answer["flashed"]]
    if not any(_is_taken_message(message) for message in flashed):
        shown = f" (it flashed {', '.join(map(repr, flashed))})" if flashed else ""
        return (
            f"{answer['request']} with an email that is taken did not flash the message{shown}: call "
            f'flash("{TAKEN_MESSAGE}") in the except branch.'
        )
    if status in SEE_OTHER or 300 <= status < 400:
        return (
            f"{answer['request']} with a taken email redirected ({status}): a redirect tells the browser the POST "
            f"worked, and the form loses what was typed. Render {page} again with the status 409 Conflict."
        )
    if status == 200:
        return (
            f"{answer['request']} with a taken email answered 200 OK: for the browser, a test or a script that means "
            f"it worked. Return the page with the status 409 Conflict: render_template({page!r}, ...), 409."
        )
    if status == 400:
        return (
            f"{answer['request']} with a taken email answered 400 Bad Request, which says the request itself is "
            "malformed; it is well formed, but conflicts with a row already stored: 409 Conflict says that."
        )
    if status not in FITTING_CONFLICT:
        return f"{answer['request']} with a taken email answered {status}: use 409 Conflict."
    return None


def _hides_other_errors(answer: dict[str, Any]) -> str | None:
    """What is wrong when a database error that is not an IntegrityError was reported as a taken email."""
    if answer["status"] == 500 and (answer["error"] or "").startswith("OperationalError"):
        return None
    if any("already registered" in message.lower() for message in answer["flashed"]) or answer["status"] != 500:
        return (
            f"Your except clause catches more than IntegrityError. The check made the database fail for another "
            f"reason (OperationalError: database or disk is full) on {answer['request']}, and your view answered "
            f"{answer['status']}{' saying the email is already registered' if answer['flashed'] else ''}. That hides "
            "real bugs: catch only IntegrityError (from sqlalchemy.exc), so other errors stay a 500 with a traceback."
        )
    return None


def _next_request(answers: list[dict[str, Any]]) -> str | None:
    """What is wrong when the request after the one judged failed."""
    after = answers[-1]
    if after["status"] == 200:
        return None
    error = f": {after['error']}" if after["error"] else ""
    return f"The next request, {after['request']}, answered {after['status']}{error}: it should work, with 200 OK."


# --- profile ---------------------------------------------------------------------------------------------------------


def _collect_profile(attempt: Attempt) -> Evidence:
    pages = [("GET", "/readers/123", {}), ("GET", "/readers/345", {}), ("GET", f"/readers/{MISSING_ID}", {})]
    return _scenarios(attempt, "profile", {"pages": [*pages, ("GET", "/readers", {})]})


@checkpoint(PROFILE, collect=_collect_profile)
def judge_profile(evidence: Evidence) -> Finding:
    """Pass when readers 123 and 345 get their own page with 200, and a missing id gets 404 Not Found."""
    if problem := _no_view(evidence, "profile", "profile(reader_id)"):
        return problem
    ann, sam, missing, _ = _answers(evidence, "pages")
    for answer, email in ((ann, ANN_EMAIL), (sam, SAM_EMAIL)):
        if crash := _crash(answer):
            return mistake(crash)
        if answer["status"] == 404:
            return mistake(
                f"{answer['request']} answered 404 Not Found, but that reader exists: look the reader up by the "
                "reader_id the URL gives, db.get_or_404(Reader, reader_id)."
            )
        if answer["status"] != 200:
            return mistake(f"{answer['request']} answered {answer['status']}: an existing reader's page is 200 OK.")
        if email not in answer["body"]:
            return mistake(
                f"{answer['request']} does not show that reader (their email, {email}, is not on the page): look "
                "the reader up by reader_id and pass it on with render_template('profile.html', reader=reader)."
            )
    if crash := _crash(missing):
        return mistake(crash)
    if missing["status"] == 200:
        return mistake(
            f"{missing['request']} (no reader has that id) answered 200 OK with a page about nobody: db.session.get "
            "returns None for a missing id, and the view showed that. Use db.get_or_404(Reader, reader_id): "
            "a missing reader is 404 Not Found."
        )
    if missing["status"] != 404:
        return mistake(f"{missing['request']} (no reader has that id) answered {missing['status']}; it should be 404.")
    return passed(
        "profile shows readers 123 and 345 with 200 OK, and a reader that does not exist with 404 Not Found."
    )


# --- sign_up ---------------------------------------------------------------------------------------------------------


def _collect_sign_up(attempt: Attempt) -> Evidence:
    return _scenarios(
        attempt,
        "sign_up",
        {
            "form": [("GET", "/sign-up", {})],
            "new": [("POST", "/sign-up", NEW_READER), ("GET", "/readers", {})],
            "taken": [("POST", "/sign-up", TAKEN_READER), ("GET", "/readers", {})],
            "broken": [("POST", "/sign-up", BROKEN_READER)],
        },
    )


@checkpoint(SIGN_UP, collect=_collect_sign_up)
def judge_sign_up(evidence: Evidence) -> Finding:
    """Pass when GET shows the form, POST adds and redirects, a taken email is rolled back, flashed and 409."""
    if problem := _no_view(evidence, "sign_up", "sign_up()"):
        return problem
    before = SEED_READERS
    if problem := _get_changes_nothing(_answers(evidence, "form")[0], before, _rows(evidence, "form")["readers"]):
        return mistake(problem)
    added, after_added = _answers(evidence, "new")
    if crash := _crash(added):
        return mistake(crash)
    emails = _rows(evidence, "new")["readers"].values()
    if NEW_READER["email"] not in emails:
        return mistake(
            f"{added['request']} answered {added['status']}, but at the next request Nova Lee is not in the "
            "database: nothing committed her, and the session of the request was removed (rolled back) at its end. "
            "Call db.session.commit() after db.session.add(reader)."
        )
    if problem := _redirected(added, '"profile", reader_id=reader.id'):
        return mistake(problem)
    taken, after_taken = _answers(evidence, "taken")
    if problem := _conflict(taken, "sign_up.html"):
        return mistake(problem)
    if _rows(evidence, "taken")["readers"] != before:
        return mistake(f"After {taken['request']} with a taken email the readers changed: nothing must be saved.")
    if problem := _next_request([after_added]) or _next_request([after_taken]):
        return mistake(problem)
    if problem := _hides_other_errors(_answers(evidence, "broken")[0]):
        return mistake(problem)
    return passed(
        "sign_up shows the form on GET, saves a new reader and redirects, and answers a taken email with the "
        f"form again, the flashed message and {taken['status']}, after rolling back; the next request works."
    )


# --- edit_email ------------------------------------------------------------------------------------------------------


def _collect_edit_email(attempt: Attempt) -> Evidence:
    path = "/readers/123/email"
    return _scenarios(
        attempt,
        "edit_email",
        {
            "form": [("GET", path, {})],
            "new": [("POST", path, {"email": NEW_EMAIL}), ("GET", "/readers/123", {})],
            "taken": [("POST", path, {"email": SAM_EMAIL}), ("GET", "/readers/123", {})],
            "missing": [("GET", f"/readers/{MISSING_ID}/email", {}), ("POST", f"/readers/{MISSING_ID}/email", {})],
            "broken": [("POST", path, {"email": BROKEN_EMAIL})],
        },
    )


def _missing_reader_problem(evidence: Evidence) -> str | None:
    """What is wrong with the answers about a reader who does not exist: each must be a 404, not a crash."""
    for answer in _answers(evidence, "missing"):
        if crash := _crash(answer):
            return crash
        if answer["status"] != 404:
            return f"{answer['request']} (no reader has that id) answered {answer['status']}; it should be 404."
    return None


@checkpoint(EDIT_EMAIL, collect=_collect_edit_email)
def judge_edit_email(evidence: Evidence) -> Finding:
    """Pass when GET shows the form, POST changes and redirects, a taken email gives 409, a missing id 404."""
    if problem := _no_view(evidence, "edit_email", "edit_email(reader_id)"):
        return problem
    after_form = _rows(evidence, "form")["readers"]
    if problem := _get_changes_nothing(_answers(evidence, "form")[0], SEED_READERS, after_form):
        return mistake(problem)
    if problem := _missing_reader_problem(evidence):
        return mistake(problem)
    changed, after_changed = _answers(evidence, "new")
    if crash := _crash(changed):
        return mistake(crash)
    if _rows(evidence, "new")["readers"].get("123") != NEW_EMAIL:
        return mistake(
            f"{changed['request']} answered {changed['status']}, but at the next request Ann's email is unchanged: "
            "the change was never committed, so the session of the request threw it away at its end. Call "
            "db.session.commit() after setting reader.email."
        )
    if problem := _redirected(changed, '"profile", reader_id=reader_id'):
        return mistake(problem)
    taken, after_taken = _answers(evidence, "taken")
    if problem := _conflict(taken, "edit_email.html"):
        return mistake(problem)
    if _rows(evidence, "taken")["readers"].get("123") != ANN_EMAIL:
        return mistake(f"After {taken['request']} with a taken email, Ann's email changed: nothing must be saved.")
    if problem := _next_request([after_changed]) or _next_request([after_taken]):
        return mistake(problem)
    if problem := _hides_other_errors(_answers(evidence, "broken")[0]):
        return mistake(problem)
    return passed(
        "edit_email shows the form on GET, saves a new email and redirects, answers a taken email with 409 and "
        "the flashed message after rolling back, and a reader that does not exist with 404."
    )


# --- delete_reader ---------------------------------------------------------------------------------------------------


def _collect_delete_reader(attempt: Attempt) -> Evidence:
    path = "/readers/123/delete"
    return _scenarios(
        attempt,
        "delete_reader",
        {
            "confirm": [("GET", path, {})],
            "delete": [("POST", path, {}), ("GET", "/readers", {})],
            "missing": [("GET", f"/readers/{MISSING_ID}/delete", {}), ("POST", f"/readers/{MISSING_ID}/delete", {})],
        },
    )


@checkpoint(DELETE_READER, collect=_collect_delete_reader)
def judge_delete_reader(evidence: Evidence) -> Finding:
    """Pass when GET only asks, POST deletes Ann with her reviews and annotations and redirects, a missing id 404s."""
    if problem := _no_view(evidence, "delete_reader", "delete_reader(reader_id)"):
        return problem
    after_confirm = _rows(evidence, "confirm")["readers"]
    if problem := _get_changes_nothing(_answers(evidence, "confirm")[0], SEED_READERS, after_confirm):
        return mistake(problem)
    if problem := _missing_reader_problem(evidence):
        return mistake(problem)
    deleted, after = _answers(evidence, "delete")
    if crash := _crash(deleted):
        return mistake(crash)
    rows = _rows(evidence, "delete")
    if "123" in rows["readers"]:
        return mistake(
            f"{deleted['request']} answered {deleted['status']}, but at the next request Ann is still in the "
            "database: the deletion was never committed, so the session of the request threw it away at its end. "
            "Call db.session.commit() after db.session.delete(reader)."
        )
    if "123" in rows["reviews_by"] or "123" in rows["annotations_by"]:
        return mistake(
            "Ann is deleted, but her reviews and annotations are still there, pointing at a reader who does not "
            "exist: a DELETE statement (db.session.execute(delete(Reader)...)) goes around the ORM and its cascade "
            "(and PostgreSQL would refuse it). Delete the object: db.session.delete(reader)."
        )
    if problem := _redirected(deleted, '"readers"'):
        return mistake(problem)
    if problem := _next_request([after]):
        return mistake(problem)
    return passed(
        "delete_reader asks for confirmation on GET, deletes Ann with her reviews and annotations on POST and "
        "redirects, and answers a reader that does not exist with 404."
    )
