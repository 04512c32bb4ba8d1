"""Checkpoints of the Flask views exercise: a profile that 404s, sign-up, change of email and deletion by POST.

Each collect half drives the student's view through Flask's test client (`judging/web.py`), scenario by scenario,
and observes every response: status, template, content type, redirect target, flashes, the request's commits, and
the rows afterwards. The reference solution's views were observed on the same scenarios (`checks/reference.py`).
Each rule compares the two: the same behaviour passes, whatever the style; where they differ, the classifiers below
name the misconception from what was seen, and failing that the difference itself is named.
"""

from http import HTTPStatus
from typing import Any

from course_lib.checks.judging.web import (
    BROKEN_EMAIL,
    RACED_EMAIL,
    Request,
    Scenario,
    describe_view,
    observe_view,
    view_of,
)
from course_lib.checks.registry import Attempt, Evidence, checkpoint
from course_lib.checks.verdict import Finding, mistake, passed

PROFILE = "flask_views.profile"
SIGN_UP = "flask_views.sign_up"
EDIT_EMAIL = "flask_views.edit_email"
DELETE_READER = "flask_views.delete_reader"

ANN_EMAIL = "ann.adams@example.com"
SAM_EMAIL = "sam.adams@example.com"
NEW_READER = {"name": "Nova", "surname": "Lee", "email": "nova.lee@example.com"}
TAKEN_READER = {"name": "Pat", "surname": "Adams", "email": ANN_EMAIL}
RACED_READER = {"name": "Rae", "surname": "Cing", "email": RACED_EMAIL}
BROKEN_READER = {"name": "Dee", "surname": "Fault", "email": BROKEN_EMAIL}
NEW_EMAIL = "ann@adams.example.org"
MISSING_ID = 999
#: Statuses the task accepts as the same answer: a redirect after a POST, a refused form.
SAME_STATUS = {302: 303, 422: 409}
TAKEN_MESSAGE = "that email is already registered"
#: What a comparison looks at in each answer; `body` and `writes` only word messages.
COMPARED = ("status", "mimetype", "templates", "redirect", "flashes_taken", "shows", "error", "commits")
COMPARED += ("other_session_commits", "left_needing_rollback")


def _get(path: str) -> Request:
    return Request("GET", path)


def _post(path: str, form: dict[str, str] | None = None) -> Request:
    return Request("POST", path, form or {})


def _query(path: str, form: dict[str, str]) -> Request:
    """A GET carrying a form's fields in its query string: it must change nothing."""
    return _get(f"{path}?{'&'.join(f'{key}={value}' for key, value in form.items())}")


SCENARIOS: dict[str, dict[str, Scenario]] = {
    PROFILE: {
        "pages": Scenario(
            (_get("/readers/123"), _get("/readers/345"), _get(f"/readers/{MISSING_ID}"), _get("/readers"))
        ),
    },
    SIGN_UP: {
        "form": Scenario((_get("/sign-up"),)),
        "query": Scenario((_query("/sign-up", NEW_READER),), (NEW_READER["email"],)),
        "new": Scenario((_post("/sign-up", NEW_READER), _get("/readers")), (NEW_READER["email"],)),
        "taken": Scenario((_post("/sign-up", TAKEN_READER), _get("/readers"))),
        "raced": Scenario((_post("/sign-up", RACED_READER),), (RACED_EMAIL,)),
        "broken": Scenario((_post("/sign-up", BROKEN_READER), _get("/readers"))),
    },
    EDIT_EMAIL: {
        "form": Scenario((_get("/readers/123/email"),)),
        "query": Scenario((_query("/readers/123/email", {"email": NEW_EMAIL}),), (NEW_EMAIL,)),
        "new": Scenario((_post("/readers/123/email", {"email": NEW_EMAIL}), _get("/readers/123")), (NEW_EMAIL,)),
        "taken": Scenario((_post("/readers/123/email", {"email": SAM_EMAIL}), _get("/readers/123"))),
        "raced": Scenario((_post("/readers/123/email", {"email": RACED_EMAIL}),), (RACED_EMAIL,)),
        "missing": Scenario((_get(f"/readers/{MISSING_ID}/email"), _post(f"/readers/{MISSING_ID}/email"))),
        "broken": Scenario((_post("/readers/123/email", {"email": BROKEN_EMAIL}), _get("/readers/123"))),
    },
    DELETE_READER: {
        "confirm": Scenario((_get("/readers/123/delete"),)),
        "query": Scenario((_query("/readers/123/delete", {"confirm": "yes"}),)),
        "delete": Scenario((_post("/readers/123/delete"), _get("/readers"))),
        "missing": Scenario((_get(f"/readers/{MISSING_ID}/delete"), _post(f"/readers/{MISSING_ID}/delete"))),
    },
}
VIEW_NAMES = {PROFILE: "profile", SIGN_UP: "sign_up", EDIT_EMAIL: "edit_email", DELETE_READER: "delete_reader"}
SIGNATURES = {
    PROFILE: "profile(reader_id)",
    SIGN_UP: "sign_up()",
    EDIT_EMAIL: "edit_email(reader_id)",
    DELETE_READER: "delete_reader(reader_id)",
}


def _collect(checkpoint_id: str) -> Any:
    """The collect half of a view checkpoint: the view's kind and, when it is a function, every scenario observed."""

    def collect(attempt: Attempt) -> Evidence:
        name = VIEW_NAMES[checkpoint_id]
        view = view_of(attempt.namespace, name)
        kind = describe_view(attempt.namespace, name)
        return {"view": kind} if view is None else {"view": kind, **observe_view(view, name, SCENARIOS[checkpoint_id])}

    return collect


# --- comparing with the reference --------------------------------------------------------------------------------


def _compared(answer: dict[str, Any]) -> dict[str, Any]:
    """What of an answer the comparison looks at, the task's equivalences applied (302 is 303, 422 is 409)."""
    if not isinstance(answer.get("status"), int) or not isinstance(answer.get("flashed"), list):
        raise ValueError("malformed answer")
    return {
        "status": SAME_STATUS.get(answer["status"], answer["status"]),
        "mimetype": str(answer["mimetype"]),
        "templates": list(answer["templates"]),
        "redirect": answer["redirect"],
        "flashes_taken": any(_is_taken_message(str(message)) for message in answer["flashed"]),
        "shows": list(answer["shows"]),
        "error": str(answer["error"]).partition(":")[0] if answer["error"] else None,
        "commits": int(answer["commits"]),
        "other_session_commits": int(answer["other_session_commits"]),
        # after a crash (500) the request's session is thrown away whatever state it was in
        "left_needing_rollback": bool(answer["left_needing_rollback"]) and answer["status"] != 500,
    }


def _differences(evidence: Evidence, reference: Evidence, checkpoint_id: str) -> list[tuple[str, int, str]]:
    """Every (scenario, request index, field) where the student's view answered otherwise than the reference's."""
    found = []
    for scenario in SCENARIOS[checkpoint_id]:
        mine, theirs = evidence[scenario], reference[scenario]
        for index, (answer, expected) in enumerate(zip(mine["answers"], theirs["answers"], strict=True)):
            seen, due = _compared(answer), _compared(expected)
            found += [(scenario, index, key) for key in COMPARED if seen[key] != due[key]]
        if mine["rows"] != theirs["rows"]:
            found.append((scenario, len(mine["answers"]) - 1, "rows"))
    return found


def _judged(checkpoint_id: str, evidence: Evidence, reference: Evidence, classify: Any) -> Finding:
    """The shared rule: the same behaviour as the reference passes; a difference is named by a classifier."""
    name, signature = VIEW_NAMES[checkpoint_id], SIGNATURES[checkpoint_id]
    if problem := _no_view(evidence, name, signature):
        return problem
    differences = _differences(evidence, reference, checkpoint_id)
    if not differences:
        return passed(_summary(checkpoint_id, evidence))
    if (named := classify(evidence)) is not None:
        return mistake(named)
    return mistake(_difference_message(evidence, reference, differences[0]))


def _difference_message(evidence: Evidence, reference: Evidence, where: tuple[str, int, str]) -> str:
    """A difference no classifier names, said as what was seen: "POST /sign-up answered 301 ...; the task's ..."."""
    scenario, index, key = where
    answer, expected = evidence[scenario]["answers"][index], reference[scenario]["answers"][index]
    if key == "rows":
        return (
            f"After {answer['request']}, the rows are not the task's: readers {_emails(evidence[scenario]['rows'])}, "
            f"where the task's answer leaves {_emails(reference[scenario]['rows'])}."
        )
    said = {
        "status": lambda a: f"answered {_status(a['status'])}",
        "mimetype": lambda a: f"answered {a['mimetype'] or 'no content type'}",
        "templates": lambda a: f"rendered {', '.join(a['templates']) or 'no template'}",
        "redirect": lambda a: f"redirected to {_where(a['redirect'])}" if a["redirect"] else "did not redirect",
        "flashes_taken": lambda a: "flashed " + (", ".join(map(repr, a["flashed"])) or "nothing"),
        "shows": lambda a: f"showed {', '.join(a['shows']) or 'no reader email'}",
        "error": lambda a: f"raised {a['error']}" if a["error"] else "raised nothing",
        "commits": lambda a: f"committed {_times(a['commits'])}",
        "other_session_commits": lambda a: f"committed {_times(a['other_session_commits'])} on another session",
        "left_needing_rollback": lambda a: (
            "left the session "
            + ("in a failed transaction, never rolled back" if a["left_needing_rollback"] else "usable")
        ),
    }[key]
    return f"{answer['request']} {said(answer)}; the task's answer {said(expected)}."


def _summary(checkpoint_id: str, evidence: Evidence) -> str:
    """A pass, in words, from what was seen."""
    name = VIEW_NAMES[checkpoint_id]
    lines = []
    for scenario in SCENARIOS[checkpoint_id]:
        first = evidence[scenario]["answers"][0]
        templates = f", {', '.join(first['templates'])}" if first["templates"] else ""
        redirect = f" to {_where(first['redirect'])}" if first["redirect"] else ""
        flash = " with the flashed message" if any(_is_taken_message(m) for m in first["flashed"]) else ""
        lines.append(f"{first['request']}: {_status(first['status'])}{templates}{redirect}{flash}")
    return f"{name} answers as the task's view does. " + "; ".join(lines) + "."


def _status(code: int) -> str:
    try:
        return f"{code} {HTTPStatus(code).phrase}"
    except ValueError:
        return str(code)


def _where(target: dict[str, Any]) -> str:
    if "endpoint" not in target:
        return str(target.get("address"))
    arguments = ", ".join(f"{key}={value}" for key, value in target["arguments"].items())
    return f"{target['endpoint']}({arguments})"


def _times(count: int) -> str:
    return {0: "nothing", 1: "once"}.get(count, f"{count} times")


def _emails(rows: dict[str, Any]) -> str:
    return ", ".join(f"{id_} {email}" for id_, email in rows["readers"].items())


# --- classifiers: the usual misconceptions, named from what was seen ---------------------------------------------


def _is_taken_message(message: str) -> bool:
    """True for the task's message, whatever its capitals and final full stop or exclamation mark."""
    return message.strip().rstrip(".!").strip().lower() == TAKEN_MESSAGE


def _no_view(evidence: Evidence, name: str, signature: str) -> Finding | None:
    """A finding when the view function does not exist."""
    kind = evidence["view"]
    if kind == "function":
        return None
    if kind == "missing":
        return mistake(f"There is no function named {name} yet: define it with def {signature}: ...")
    return mistake(f"{name} is a {kind}, not a function: define it with def {signature}: ...")


def _answers(evidence: Evidence, scenario: str) -> list[dict[str, Any]]:
    answers = evidence[scenario]["answers"]
    for answer in answers:
        _compared(answer)
    return answers


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
    if error.startswith("IntegrityError") and error.endswith("(in an autoflush, before a query)"):
        return (
            f"{said} A query sent the session's changes first (autoflush), outside your try block, and the "
            "database refused them there. Query before you change the object, or keep the query inside the try."
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


def _get_changes_nothing(evidence: Evidence, scenario: str, reference: dict[str, Any] | None = None) -> str | None:
    """What is wrong with a GET that should only show a page and leave the data alone."""
    answer = _answers(evidence, scenario)[0]
    if crash := _crash(answer):
        return crash
    if answer["status"] == 400:
        return (
            f"{answer['request']} answered 400 Bad Request: your view reads request.form on a GET too, and a GET "
            "sends no form. Read the form and change data only when request.method == 'POST'."
        )
    if answer["commits"] or answer["writes"]:
        carried = " (its query string carried the form's fields)" if "?" in answer["request"] else ""
        return (
            f"{answer['request']}{carried} changed the data: a GET must only show a page (browsers, crawlers and "
            "link previews send GETs freely). Read request.form, never request.args or request.values, and change "
            "data only when request.method == 'POST'."
        )
    if answer["status"] != 200:
        return (
            f"{answer['request']} answered {_status(answer['status'])}: a GET of this page should show it, with 200 OK."
        )
    return None


def _redirected(answer: dict[str, Any], where: str) -> str | None:
    """What is wrong when a successful POST does not answer with a redirect (Post/Redirect/Get)."""
    status = answer["status"]
    if status in (302, 303) and answer["redirect"]:
        return None
    if status in (307, 308):
        return (
            f"{answer['request']} redirected with {_status(status)}, which makes the browser send the POST again to "
            "the new address. Use 303 See Other (or 302): the browser then GETs the page."
        )
    if 300 <= status < 400:
        return (
            f"{answer['request']} answered {_status(status)}; the task asks for 303 See Other, which tells the "
            f"browser to GET the next page: return redirect(url_for({where}), code=303)."
        )
    return (
        f"{answer['request']} worked but answered {_status(status)} with a page instead of a redirect. After a POST "
        f"that changed data, redirect (Post/Redirect/Get): return redirect(url_for({where}), code=303), so that "
        "reloading the page does not send the form again."
    )


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
    if 300 <= status < 400:
        return (
            f"{answer['request']} with a taken email redirected ({_status(status)}): a redirect tells the browser "
            f"the POST worked, and the form loses what was typed. Render {page} again with the status 409 Conflict."
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
    if status not in (409, 422):
        return f"{answer['request']} with a taken email answered {_status(status)}: use 409 Conflict."
    if page not in answer["templates"]:
        shown = ", ".join(answer["templates"]) or "no template"
        return (
            f"{answer['request']} with a taken email answered {status} but rendered {shown}: show the form again, "
            f"render_template({page!r}, ...), so the reader can correct the email."
        )
    return None


def _raced(evidence: Evidence, page: str) -> str | None:
    """What is wrong when the database refused an email that no row had when the view looked (another request)."""
    answer = _answers(evidence, "raced")[0]
    if answer["status"] not in (409, 422) and (answer["error"] or "").startswith("IntegrityError"):
        return (
            f"{answer['request']} ended in 500 Internal Server Error: the database refused the email with an "
            "IntegrityError when the write reached it, although no reader had it when your view looked (another "
            "request took it in between: the check made that happen). A SELECT first never replaces the UNIQUE "
            f"constraint: put the commit in try/except IntegrityError, roll back, flash and render {page} with 409."
        )
    return _conflict(answer, page)


def _hides_other_errors(evidence: Evidence) -> str | None:
    """What is wrong when a database error that is not an IntegrityError was reported as a taken email."""
    answer = _answers(evidence, "broken")[0]
    if answer["status"] == 500 and (answer["error"] or "").startswith("OperationalError"):
        return None
    said = " saying the email is already registered" if answer["flashed"] else ""
    return (
        f"Your except clause catches more than IntegrityError. The check made the database fail for another "
        f"reason (OperationalError: database or disk is full) on {answer['request']}, and your view answered "
        f"{_status(answer['status'])}{said}. That hides real bugs: catch only IntegrityError (from sqlalchemy.exc), "
        "so other errors stay a 500 with a traceback."
    )


def _next_request(evidence: Evidence, scenario: str) -> str | None:
    """What is wrong when the request after the one judged failed."""
    after = _answers(evidence, scenario)[-1]
    if after["status"] == 200:
        return None
    error = f": {after['error']}" if after["error"] else ""
    return (
        f"The next request, {after['request']}, answered {_status(after['status'])}{error}: it should work, "
        "with 200 OK."
    )


def _commits(answer: dict[str, Any]) -> str | None:
    """What is wrong with how a successful POST committed: not on db.session, or more than once."""
    if answer["other_session_commits"] and not answer["commits"]:
        return (
            f"{answer['request']}: the COMMIT went to a session you created (Session(db.engine), say), not to "
            "db.session, the request's own session, which Flask-SQLAlchemy removes at the end of the request. Use "
            "db.session throughout the view."
        )
    if answer["commits"] > 1:
        return (
            f"{answer['request']} committed {answer['commits']} times: one request is one unit of work, committed "
            "once at its end, so that a failure halfway leaves nothing half done. Commit once, after every change."
        )
    return None


def _saved_then_refused(
    evidence: Evidence, page: str, profile: tuple[str, str], unchanged: bool, changed: str
) -> str | None:
    """What is wrong after a form's POST saved ("new"): its commit and redirect, then the taken email and the rest.

    `profile` names whose profile the redirect leads to and the url_for arguments that say so; `unchanged` is whether
    the POST with a taken email left the data alone, and `changed` says what changed when it did not.
    """
    saved = _answers(evidence, "new")[0]
    whose, arguments = profile
    if problem := _commits(saved) or _redirected(saved, f'"profile", {arguments}'):
        return problem
    if (saved["redirect"] or {}).get("endpoint") != "profile":
        return (
            f"{saved['request']} redirected to {_where(saved['redirect'])}; the task redirects to {whose} profile: "
            f'redirect(url_for("profile", {arguments}), code=303).'
        )
    taken = _answers(evidence, "taken")[0]
    if problem := _conflict(taken, page):
        return problem
    if not unchanged:
        return f"After {taken['request']} with a taken email{changed}: nothing must be saved."
    if problem := _raced(evidence, page):
        return problem
    if problem := _next_request(evidence, "new") or _next_request(evidence, "taken"):
        return problem
    return _hides_other_errors(evidence)


def _missing_reader_problem(evidence: Evidence) -> str | None:
    """What is wrong with the answers about a reader who does not exist: each must be a 404, not a crash."""
    for answer in _answers(evidence, "missing"):
        if crash := _crash(answer):
            return crash
        if answer["status"] != 404:
            return (
                f"{answer['request']} (no reader has that id) answered {_status(answer['status'])}; it should be "
                "404 Not Found."
            )
    return None


# --- profile -----------------------------------------------------------------------------------------------------


def _classify_profile(evidence: Evidence) -> str | None:
    ann, sam, missing, _ = _answers(evidence, "pages")
    for answer in (ann, sam, missing):
        if crash := _crash(answer):
            return crash
    for answer, email in ((ann, ANN_EMAIL), (sam, SAM_EMAIL)):
        if answer["status"] == 404:
            return (
                f"{answer['request']} answered 404 Not Found, but that reader exists: look the reader up by the "
                "reader_id the URL gives, db.get_or_404(Reader, reader_id)."
            )
        if answer["status"] != 200:
            return f"{answer['request']} answered {_status(answer['status'])}: an existing reader's page is 200 OK."
        if email not in answer["shows"]:
            return (
                f"{answer['request']} does not show that reader (their email, {email}, is not on the page): look "
                "the reader up by reader_id and pass it on with render_template('profile.html', reader=reader)."
            )
    if missing["status"] == 200:
        return (
            f"{missing['request']} (no reader has that id) answered 200 OK with a page about nobody: db.session.get "
            "returns None for a missing id, and the view showed that. Use db.get_or_404(Reader, reader_id): "
            "a missing reader is 404 Not Found."
        )
    for answer in (ann, sam):
        if answer["mimetype"] != "text/html" or "profile.html" not in answer["templates"]:
            shown = answer["mimetype"] if answer["mimetype"] != "text/html" else ", ".join(answer["templates"])
            return (
                f"{answer['request']} answered {shown or 'a page of its own'}; the task's view renders the page "
                "with render_template('profile.html', reader=reader)."
            )
    if missing["status"] != 404:
        return (
            f"{missing['request']} (no reader has that id) answered {_status(missing['status'])}; it should be "
            "404 Not Found."
        )
    return None


@checkpoint(PROFILE, collect=_collect(PROFILE), compares=True)
def judge_profile(evidence: Evidence, reference: Evidence) -> Finding:
    """Pass when every page answers as the reference's: readers 123 and 345 with profile.html, 404 for a missing id."""
    return _judged(PROFILE, evidence, reference, _classify_profile)


# --- sign_up -----------------------------------------------------------------------------------------------------


def _classify_sign_up(evidence: Evidence) -> str | None:
    if problem := _get_changes_nothing(evidence, "form") or _get_changes_nothing(evidence, "query"):
        return problem
    added = _answers(evidence, "new")[0]
    if crash := _crash(added):
        return crash
    if NEW_READER["email"] not in evidence["new"]["rows"]["readers"].values():
        return (
            f"{added['request']} answered {_status(added['status'])}, but at the next request Nova Lee is not in the "
            "database: nothing committed her on db.session, and the session of the request was removed (rolled "
            "back) at its end. Call db.session.commit() after db.session.add(reader)."
        )
    unchanged = evidence["taken"]["rows"] == evidence["form"]["rows"]
    return _saved_then_refused(
        evidence, "sign_up.html", ("the new reader's", "reader_id=reader.id"), unchanged, " the readers changed"
    )


@checkpoint(SIGN_UP, collect=_collect(SIGN_UP), compares=True)
def judge_sign_up(evidence: Evidence, reference: Evidence) -> Finding:
    """Pass when every request answers as the reference's: the form, a committed sign-up, a refused email, ..."""
    return _judged(SIGN_UP, evidence, reference, _classify_sign_up)


# --- edit_email --------------------------------------------------------------------------------------------------


def _classify_edit_email(evidence: Evidence) -> str | None:
    if problem := _get_changes_nothing(evidence, "form") or _get_changes_nothing(evidence, "query"):
        return problem
    if problem := _missing_reader_problem(evidence):
        return problem
    changed = _answers(evidence, "new")[0]
    if crash := _crash(changed):
        return crash
    if evidence["new"]["rows"]["readers"].get("123") != NEW_EMAIL:
        return (
            f"{changed['request']} answered {_status(changed['status'])}, but at the next request Ann's email is "
            "unchanged: the change was never committed on db.session, so the session of the request threw it away "
            "at its end. Call db.session.commit() after setting reader.email."
        )
    unchanged = evidence["taken"]["rows"]["readers"].get("123") == ANN_EMAIL
    return _saved_then_refused(
        evidence, "edit_email.html", ("the reader's", "reader_id=reader_id"), unchanged, ", Ann's email changed"
    )


@checkpoint(EDIT_EMAIL, collect=_collect(EDIT_EMAIL), compares=True)
def judge_edit_email(evidence: Evidence, reference: Evidence) -> Finding:
    """Pass when every request answers as the reference's: the form, a committed change, a refused email, 404, ..."""
    return _judged(EDIT_EMAIL, evidence, reference, _classify_edit_email)


# --- delete_reader -----------------------------------------------------------------------------------------------


def _classify_delete_reader(evidence: Evidence) -> str | None:
    if problem := _get_changes_nothing(evidence, "confirm") or _get_changes_nothing(evidence, "query"):
        return problem
    if problem := _missing_reader_problem(evidence):
        return problem
    deleted = _answers(evidence, "delete")[0]
    if crash := _crash(deleted):
        return crash
    rows = evidence["delete"]["rows"]
    if "123" in rows["readers"]:
        return (
            f"{deleted['request']} answered {_status(deleted['status'])}, but at the next request Ann is still in "
            "the database: the deletion was never committed on db.session, so the session of the request threw "
            "it away at its end. Call db.session.commit() after db.session.delete(reader)."
        )
    if "123" in rows["reviews_by"] or "123" in rows["annotations_by"]:
        return (
            "Ann is deleted, but her reviews and annotations are still there, pointing at a reader who does not "
            "exist: a DELETE statement (db.session.execute(delete(Reader)...)) goes around the ORM and its cascade "
            "(and PostgreSQL would refuse it). Delete the object: db.session.delete(reader)."
        )
    if problem := _commits(deleted) or _redirected(deleted, '"readers"'):
        return problem
    return _next_request(evidence, "delete")


@checkpoint(DELETE_READER, collect=_collect(DELETE_READER), compares=True)
def judge_delete_reader(evidence: Evidence, reference: Evidence) -> Finding:
    """Pass when every request answers as the reference's: GET only asks, POST deletes with the cascade, 404, ..."""
    return _judged(DELETE_READER, evidence, reference, _classify_delete_reader)
