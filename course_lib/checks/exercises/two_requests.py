"""Checkpoints of the two-requests exercise: a sign-up that survives the race, a counter that loses no update, a retry.

Each check runs the student's function the way two requests at once would: on a scratch SQLite file that two
sessions share (judging/two_sessions.py), with the other request's work slipped in just before the student's
function sends its INSERT or UPDATE. The evidence is what each call returned or raised, the transaction events, the
statements each session sent, and the rows a new request sees afterwards.
"""

import re
from collections.abc import Callable
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from course_lib.bookclub.lending import COPIES, Shelf
from course_lib.bookclub.models import Reader, db
from course_lib.checks.judging.replay import replay_error
from course_lib.checks.judging.rows import describe, lookup, missing_message
from course_lib.checks.judging.transactions import COMMIT, ROLLBACK, recording
from course_lib.checks.judging.two_sessions import (
    FOR_UPDATE,
    OTHER,
    called,
    committed_rows,
    labelled_session,
    reads_before,
    recorded,
    rival_before,
    sent_by,
    shared_replay,
    usable,
)
from course_lib.checks.registry import Attempt, Evidence, checkpoint
from course_lib.checks.verdict import Finding, mistake, passed

SIGN_UP = "two_requests.sign_up"
LEND = "two_requests.lend"
RETRY = "two_requests.retry"
ALONE = ("Lin", "Wu", "lin.wu@example.com")  # a new email
TAKEN = ("Pat", "Adams", "ann.adams@example.com")  # Ann's email
RACE = ("Max", "Roe", "max.roe@example.com")  # a new email that two requests sign up at once
BOOK = 19
INSERT_READER = "INSERT INTO reader"
UPDATE_SHELF = "UPDATE shelf"
ATOMIC = "update(Shelf).where(Shelf.book_id == book_id).values(on_loan=Shelf.on_loan + 1)"


# --- shared by the three checkpoints ---------------------------------------------------------------------------------


def _function_evidence(attempt: Attempt, name: str) -> Evidence:
    """Collect: the student's function as the notebook has it, described (is there one, can it be called)."""
    value = lookup(attempt.namespace, name)
    return {"function": describe(value), "callable": callable(value)}


def _replayed_function(namespace: dict[str, Any], error: BaseException | None, name: str) -> Evidence | Any:
    """Collect: the function the replayed answers define, or evidence of why there is none."""
    if error is not None:
        return {"replay_error": replay_error(error)}
    function = namespace.get(name)
    if not callable(function):
        return {
            "replay_error": f"Run again on a fresh database, your answer cells leave no function in {name}: define "
            "it in its answer cell, the cell that starts with # answer:, whatever the database holds."
        }
    return function


def _function_problem(evidence: Evidence, name: str, parameters: str) -> str | None:
    """Rule: why there is no function to judge (None when there is one)."""
    value = evidence["function"]
    if value["kind"] == "missing":
        return f"{missing_message(name, value.get('leftover') is True)} Define it: def {name}({parameters}): ..."
    if evidence["callable"] is not True:
        return f"{name} is {_shown(value)}, not a function: define it with def {name}({parameters}): ..."
    return evidence.get("replay_error")


def _shown(value: Evidence) -> str:
    """Rule helper: a described value in a few words."""
    if value["kind"] == "number":
        return str(value["value"])
    if value["kind"] == "none":
        return "None"
    if value["kind"] == "object":
        return f"a {value['type']} object"
    if value["kind"] == "text":
        return repr(value["value"])
    return f"a {value.get('type') or value['kind']}"


def _elsewhere(outcome: Evidence) -> bool:
    """Rule helper: the function sent its statements through another session than the one it was given."""
    labels = {line.partition(": ")[0] for line in outcome["statements"]}
    return "A" not in labels and OTHER in labels


def _used_another_session(name: str) -> str:
    """Rule: the message when the function did its work through another session than the one it was given."""
    return (
        f"Your {name} did not use the session it is given: its statements went through another session "
        "(db.session?). A request's work belongs to its own session: do it all through the session parameter "
        "(session.add, session.execute, session.commit)."
    )


# --- checkpoint 1: a sign-up that survives the race ------------------------------------------------------------------


def _collect_sign_up(attempt: Attempt) -> Evidence:
    evidence = _function_evidence(attempt, "sign_up")
    if evidence["callable"] is not True:
        return evidence
    with shared_replay(attempt) as (namespace, error):
        function = _replayed_function(namespace, error, "sign_up")
        if isinstance(function, dict):
            return {**evidence, **function}
        evidence["alone"] = _signing_up(function, ALONE)
        evidence["taken"] = _signing_up(function, TAKEN)
        evidence["race"] = _signing_up(function, RACE, race=True)
    return evidence


def _signing_up(function: Callable[..., Any], who: tuple[str, str, str], *, race: bool = False) -> Evidence:
    """Collect: sign `who` up with session A (in a race: request B signs the same email up just before A's INSERT)."""
    a, b = labelled_session("A"), labelled_session("B")
    events: list[str] = []
    rival: Evidence = {}
    try:
        with (
            rival_before("A", INSERT_READER, lambda: rival.update(called(function, b, *who)) if race else None),
            recorded(a, b) as statements,
            recording(a, events),
        ):
            outcome = called(function, a, *who)
        outcome.update(events=events, statements=statements.sent, usable=usable(a))
    finally:
        a.close()
        b.close()
        db.session.remove()  # whatever the function left in the app's own session ends here
    outcome["saved"] = [row["id"] for row in committed_rows(select(Reader.id).where(Reader.email == who[2]))]
    if race:
        outcome["rival"] = rival or None
    return outcome


@checkpoint(SIGN_UP, collect=_collect_sign_up)
def judge_sign_up(evidence: Evidence) -> Finding:
    """Lin Wu signed up alone, Ann's email refused, and two requests signing up one email at once: one id, one None."""
    if problem := _function_problem(evidence, "sign_up", "session, name, surname, email"):
        return mistake(problem)
    alone, taken, race = evidence["alone"], evidence["taken"], evidence["race"]
    if alone["error"]:
        return mistake(f"Signing up Lin Wu, whose email is new, your sign_up raised {alone['error']['text']}.")
    if not alone["saved"]:
        return mistake(_not_saved(alone))
    new_id = alone["saved"][0]
    if alone["result"] != {"kind": "number", "value": new_id}:
        return mistake(
            f"For Lin Wu your sign_up returns {_shown(alone['result'])}; the task asks for her new id, {new_id}: "
            "return reader.id after the commit."
        )
    if problem := _taken_problem(taken):
        return mistake(problem)
    if problem := _race_problem(race):
        return mistake(problem)
    tip = ""
    if reads_before(sent_by(race["statements"], "A"), "reader", INSERT_READER):
        tip = (
            " Tip: your SELECT before the INSERT is not needed. The constraint decides anyway, and in a race it is "
            "that SELECT that gets the transaction refused on SQLite (database is locked)."
        )
    return passed(
        "Two requests signed up the same new email at once: the first to commit got the id, and your other call "
        "returned None after rolling back. Alone, Lin Wu got her id, and Ann's email was refused with the session "
        "still usable." + tip
    )


def _not_saved(alone: Evidence) -> str:
    """Rule: why Lin Wu is not in the database after a sign-up that raised nothing."""
    if _elsewhere(alone):
        return _used_another_session("sign_up")
    if COMMIT not in alone["events"]:
        return (
            "Your sign_up never commits: Lin Wu stays in its transaction, and a new request does not see her. When "
            "the request ends, the transaction is rolled back and she is lost. Call session.commit()."
        )
    return "Lin Wu is not in the database after your sign_up: add a Reader with the name, surname and email given."


def _taken_problem(taken: Evidence) -> str | None:
    """Rule: what goes wrong when the email is already taken (None when the function rolls back and returns None)."""
    if taken["error"] and "IntegrityError" in taken["error"]["types"]:
        return (
            "With an email already taken (Ann's), your sign_up lets the IntegrityError escape: the UNIQUE constraint "
            "refused the INSERT, and the function must expect that. Commit inside try, and in except IntegrityError "
            "roll back and return None."
        )
    if taken["error"]:
        return f"With an email already taken (Ann's), your sign_up raised {taken['error']['text']}."
    if taken["usable"] is not True:
        return (
            "With an email already taken, your sign_up catches the failure but does not roll back: the session stays "
            "in its failed transaction, and the request's next query raises PendingRollbackError. Call "
            "session.rollback() in the except branch."
        )
    if taken["result"]["kind"] != "none":
        return f"With an email already taken, your sign_up returns {_shown(taken['result'])}; the task asks for None."
    return None


def _race_problem(race: Evidence) -> str | None:
    """Rule: what goes wrong when two requests sign up one new email at once (None when one wins, one gets None)."""
    rival = race["rival"]
    if race["error"] and reads_before(sent_by(race["statements"], "A"), "reader", INSERT_READER):
        return (
            "Two requests signed up max.roe@example.com at the same moment. Your sign_up looks the email up first: "
            "both requests found it free, the other one committed, and your INSERT then failed with "
            f"{race['error']['text']}. A SELECT reserves nothing: drop it, insert, and let the UNIQUE constraint "
            "refuse the second request (except IntegrityError: roll back, return None)."
        )
    if race["error"]:
        return f"When two requests sign up the same new email at once, your sign_up raised {race['error']['text']}."
    if rival is None:
        return _used_another_session("sign_up")
    if rival["error"]:
        return f"The other request, signing up the same email at the same time, raised {rival['error']['text']}."
    if race["result"]["kind"] != "none" or rival["result"]["kind"] != "number" or race["usable"] is not True:
        return (
            "When two requests sign up the same new email at once, one must get the new id and the other None, with "
            f"its session rolled back: yours returned {_shown(rival['result'])} and {_shown(race['result'])}."
        )
    return None


# --- checkpoint 2: a counter that loses no update --------------------------------------------------------------------


def _collect_lend(attempt: Attempt) -> Evidence:
    evidence = _function_evidence(attempt, "lend")
    if evidence["callable"] is not True:
        return evidence
    with shared_replay(attempt) as (namespace, error):
        function = _replayed_function(namespace, error, "lend")
        if isinstance(function, dict):
            return {**evidence, **function}
        evidence["alone"] = _lending(function)
        evidence["race"] = _lending(function, race=True)
    return evidence


def _lending(function: Callable[..., Any], *, race: bool = False) -> Evidence:
    """Collect: lend a copy of book 19 with session A (in a race: request B lends one just before A's UPDATE)."""
    a, b = labelled_session("A"), labelled_session("B")
    events: list[str] = []
    rival: Evidence = {}
    try:
        with (
            rival_before("A", UPDATE_SHELF, lambda: rival.update(called(function, b, BOOK)) if race else None),
            recorded(a, b) as statements,
            recording(a, events),
        ):
            outcome = called(function, a, BOOK)
        outcome.update(events=events, statements=statements.sent, usable=usable(a))
    finally:
        a.close()
        b.close()
        db.session.remove()  # whatever the function left in the app's own session ends here
    outcome["shelf"] = committed_rows(select(Shelf.book_id, Shelf.copies, Shelf.on_loan).order_by(Shelf.book_id))
    if race:
        outcome["rival"] = rival or None
    reset = update(Shelf).values(on_loan=0)
    with labelled_session("reset") as session:  # the next scenario starts from an empty shelf again
        session.execute(reset)
        session.commit()
    return outcome


@checkpoint(LEND, collect=_collect_lend)
def judge_lend(evidence: Evidence) -> Finding:
    """One loan counts one; two requests lending at once count two, with an UPDATE that adds in the database."""
    if problem := _function_problem(evidence, "lend", "session, book_id"):
        return mistake(problem)
    alone, race = evidence["alone"], evidence["race"]
    if alone["error"]:
        return mistake(f"Lending a copy of book {BOOK}, your lend raised {alone['error']['text']}.")
    if problem := _one_loan_problem(alone):
        return mistake(problem)
    if race["error"]:
        return mistake(_refused(race))
    if race["rival"] is None:
        return mistake(_used_another_session("lend"))
    if race["rival"]["error"]:
        return mistake(f"The other request, lending a copy at the same time, raised {race['rival']['error']['text']}.")
    counted = _on_loan(race)
    if counted != 2:
        return mistake(
            f"Two requests each lent a copy of book {BOOK}, but the shelf counts {counted}: your lend wrote a number "
            "it had computed from what it read before the other request committed, and so undid that loan. Let the "
            f"database add instead: session.execute({ATOMIC})."
        )
    updates = _updates(sent_by(race["statements"], "A"))
    unguarded = [line for line in updates if not _adds_in_database(line) and not _checks_version(line)]
    if unguarded:
        return mistake(
            "Both loans counted here only because SQLite refused your first write and your code tried again: your "
            f"UPDATE sets on_loan to a number computed in Python ({unguarded[-1]}). On PostgreSQL, at READ COMMITTED, "
            f"nothing refuses it, and one loan of two is lost. Let the database add: session.execute({ATOMIC})."
        )
    if not all(_adds_in_database(line) for line in updates):
        return passed(
            f"Two requests lent a copy of book {BOOK} at once and the shelf counts both: your version check refused "
            "the stale write and your retry ran it again. Tip: on PostgreSQL the same refusal is a StaleDataError "
            "(from the version check), not an OperationalError; an UPDATE that adds in the database needs no retry."
        )
    return passed(
        f"Two requests lent a copy of book {BOOK} at once and the shelf counts both (on_loan went from 0 to 2): "
        "your UPDATE adds 1 in the database, where the other request's commit is already counted."
    )


def _on_loan(outcome: Evidence, book_id: int = BOOK) -> int | None:
    """Rule helper: how many copies of the book the shelf has on loan after the scenario (committed)."""
    return next((row["on_loan"] for row in outcome["shelf"] if row["book_id"] == book_id), None)


def _one_loan_problem(alone: Evidence) -> str | None:
    """Rule: what is wrong with one loan on its own (None when book 19, and only it, has one more copy on loan)."""
    others = [
        f"book {row['book_id']}'s {column} became {row[column]}"
        for row in alone["shelf"]
        for column, seeded in (("copies", COPIES), ("on_loan", 0))
        if row[column] != seeded and (row["book_id"], column) != (BOOK, "on_loan")
    ]
    if others:
        return f"Your lend changed what the task did not ask for: {'; '.join(others)}."
    counted = _on_loan(alone)
    if counted == 0 and _elsewhere(alone):
        return _used_another_session("lend")
    if counted == 0:
        return (
            f"After your lend the shelf still has no copy of book {BOOK} on loan, as a new request sees it: the "
            "change was never committed. Call session.commit() after the UPDATE."
        )
    if counted != 1:
        return f"After one loan the shelf counts {counted} copies of book {BOOK} on loan: one loan adds 1."
    return None


def _refused(race: Evidence) -> str:
    """Rule: why the function failed when another request lent a copy at the same moment."""
    lines, error = sent_by(race["statements"], "A"), race["error"]["text"]
    if FOR_UPDATE in lines:
        return (
            f"Another request lent a copy while yours was running, and your lend failed with {error}. "
            "with_for_update() locks the row on PostgreSQL, but SQLite has no row locks: it ignores FOR UPDATE and "
            "refuses the second writer of the whole database instead. An UPDATE that adds in the database works on "
            f"both: session.execute({ATOMIC})."
        )
    updates = _updates(lines)
    if updates and _sets_version(updates[0]) and not _checks_version(updates[0]):
        return (
            "You keep the version by hand: your UPDATE sets a new version but does not check the old one in its "
            "WHERE clause, so it protects nothing, and here the other request's loan got your write refused "
            f"({error}). Let the database add instead: session.execute({ATOMIC})."
        )
    if updates and _checks_version(updates[0]):
        return (
            f"Your lend checks the version (VersionedShelf): when another request lends a copy in between, your write "
            f"is refused ({error} here on SQLite; StaleDataError on PostgreSQL), and the loan fails unless you retry "
            f"the whole transaction. An UPDATE that adds in the database never needs one: session.execute({ATOMIC})."
        )
    if reads_before(lines, "shelf", UPDATE_SHELF):
        return (
            f"Your lend reads on_loan, then writes back a number computed in Python. Another request lent a copy in "
            f"between, and your write failed with {error}: SQLite refuses a transaction that would overwrite a "
            "change it has not seen (PostgreSQL, at READ COMMITTED, would let it through and lose a loan). Let the "
            f"database add: session.execute({ATOMIC})."
        )
    return f"When another request lends a copy at the same time, your lend raised {error}."


def _updates(lines: list[str]) -> list[str]:
    """Rule helper: the UPDATE statements of the shelf among the lines."""
    return [line for line in lines if line.upper().startswith(UPDATE_SHELF.upper())]


def _sets_version(statement: str) -> bool:
    """Rule helper: an UPDATE whose SET gives the version a new value."""
    return re.search(r"\bVERSION\s*=", statement.upper().partition(" SET ")[2].partition(" WHERE ")[0]) is not None


def _checks_version(statement: str) -> bool:
    """Rule helper: an UPDATE whose WHERE clause checks the version (optimistic locking, as VersionedShelf does)."""
    return "VERSION" in statement.upper().partition(" WHERE ")[2].partition("  -- ")[0]


def _adds_in_database(statement: str) -> bool:
    """Rule helper: an UPDATE whose SET computes on_loan from on_loan itself, in the database."""
    assignments = statement.upper().partition(" SET ")[2].partition(" WHERE ")[0]
    return re.search(r"\bON_LOAN\s*=\s*\(?\s*(?:SHELF\.)?ON_LOAN\s*\+", assignments) is not None


# --- checkpoint 3: a retry loop that rolls back before it retries ----------------------------------------------------

ATTEMPTS = 3
STOP_AFTER = 10  # calls of the check's work after which it stops a function that never gives up


class _TooManyAttempts(BaseException):
    """Raised by the check's work when a function has retried STOP_AFTER times (not an Exception: not caught)."""


def _collect_retry(attempt: Attempt) -> Evidence:
    evidence = _function_evidence(attempt, "run_with_retry")
    if evidence["callable"] is not True:
        return evidence
    with shared_replay(attempt) as (namespace, error):
        function = _replayed_function(namespace, error, "run_with_retry")
        if isinstance(function, dict):
            return {**evidence, **function}
        evidence["alone"] = _retrying(function, _lend_in_python)
        evidence["refused_once"] = _retrying(function, _lend_in_python, refused="once")
        evidence["refused_always"] = _retrying(function, _lend_in_python, refused="always")
        evidence["taken_email"] = _retrying(function, _sign_up_ann_again)
    return evidence


def _lend_in_python(session: Session) -> int:
    """The check's work: read book 19's shelf and add one in Python (SQLite refuses it if another loan came between)."""
    shelf = session.get(Shelf, BOOK)
    shelf.on_loan += 1
    return shelf.on_loan


def _sign_up_ann_again(session: Session) -> None:
    """The check's work that no retry can fix: a reader with Ann's email."""
    session.add(Reader(name="Pat", surname="Adams", email=TAKEN[2]))
    session.flush()


def _lend_now() -> None:
    """Another request: lend a copy of book 19 and commit, on a session of its own."""
    with labelled_session("B") as other:
        other.execute(update(Shelf).where(Shelf.book_id == BOOK).values(on_loan=Shelf.on_loan + 1))
        other.commit()


def _retrying(function: Callable[..., Any], work: Callable[[Session], Any], refused: str | None = None) -> Evidence:
    """Collect: run_with_retry(A, work), another request committing a loan before A's first (or every) UPDATE."""
    calls: list[int] = []

    def counted_work(session: Session) -> Any:
        calls.append(len(calls) + 1)
        if len(calls) > STOP_AFTER:
            raise _TooManyAttempts
        return work(session)

    a = labelled_session("A")
    events: list[str] = []
    try:
        with (
            rival_before("A", UPDATE_SHELF, _lend_now if refused else lambda: None, every_time=refused == "always"),
            recorded(a) as statements,
            recording(a, events),
        ):
            try:
                outcome = called(function, a, counted_work)
            except _TooManyAttempts:
                outcome = {"result": None, "error": None, "stopped": True}
        outcome.update(events=events, statements=statements.sent, usable=usable(a), calls=len(calls))
    finally:
        a.close()
        db.session.remove()
    outcome["on_loan"] = committed_rows(select(Shelf.on_loan).where(Shelf.book_id == BOOK))[0]["on_loan"]
    with labelled_session("reset") as session:  # the next scenario starts from an empty shelf again
        session.execute(update(Shelf).values(on_loan=0))
        session.commit()
    return outcome


@checkpoint(RETRY, collect=_collect_retry)
def judge_retry(evidence: Evidence) -> Finding:
    """Refused once: a rollback, then success; refused always: 3 attempts, then the error; IntegrityError: no retry."""
    if problem := _function_problem(evidence, "run_with_retry", "session, work"):
        return mistake(problem)
    for problem in (
        _alone_problem(evidence["alone"]),
        _refused_once_problem(evidence["refused_once"]),
        _refused_always_problem(evidence["refused_always"]),
        _taken_email_problem(evidence["taken_email"]),
    ):
        if problem:
            return mistake(problem)
    return passed(
        "Refused once, your run_with_retry rolled back and the second attempt succeeded; refused every time, it "
        f"gave up after {ATTEMPTS} attempts and raised the error; an IntegrityError was not retried."
    )


def _alone_problem(alone: Evidence) -> str | None:
    """Rule: what is wrong when work succeeds at the first attempt."""
    if alone["error"]:
        return f"With work that succeeds at once, your run_with_retry raised {alone['error']['text']}."
    if alone["calls"] != 1:
        return f"Your run_with_retry calls work {alone['calls']} times, although the first attempt succeeded."
    if alone["on_loan"] != 1:
        return (
            "Your run_with_retry does not commit what work did: a new request does not see it. Call "
            "session.commit() after work(session), inside the try."
        )
    if alone["result"] != {"kind": "number", "value": 1}:
        return f"Your run_with_retry returns {_shown(alone['result'])}, not what work returned (1)."
    return None


def _refused_once_problem(once: Evidence) -> str | None:
    """Rule: what is wrong when the database refuses the first attempt only."""
    error = once["error"]
    if error and "InvalidRequestError" in error["types"] and ROLLBACK not in once["events"]:
        return (
            "When the database refused the first attempt, your run_with_retry tried again without rolling back: the "
            f"session was still in its failed transaction, so the next attempt raised {error['text'].split(':')[0]}. "
            "Call session.rollback() before you retry: it ends the failed transaction, and the next attempt reads "
            "afresh."
        )
    if error and "OperationalError" in error["types"] and once["calls"] == 1:
        return (
            f"The database refused the first attempt ({error['text']}) and your run_with_retry let the error "
            "escape. The refusal comes from the commit: keep work(session) and session.commit() inside the try, "
            "catch OperationalError, roll back and try again."
        )
    if error:
        return f"When the database refuses the first attempt, your run_with_retry raised {error['text']}."
    if once["calls"] != 2 or once["on_loan"] != 2 or once["result"] != {"kind": "number", "value": 2}:
        return (
            "Refused once, work must run again and succeed: two calls, both loans counted (on_loan 2), and what the "
            f"second call returned (2). Yours made {once['calls']} call(s), the shelf counts {once['on_loan']}, and "
            f"it returned {_shown(once['result'])}."
        )
    return None


def _refused_always_problem(always: Evidence) -> str | None:
    """Rule: what is wrong when the database refuses every attempt."""
    if always.get("stopped"):
        return (
            f"When the database refuses every attempt, your run_with_retry never stops (the check stopped it after "
            f"{STOP_AFTER} attempts): give up after {ATTEMPTS} attempts in all, and raise the error again."
        )
    if always["calls"] != ATTEMPTS:
        return (
            f"Refused every time, your run_with_retry made {always['calls']} attempt(s); the task asks for {ATTEMPTS}."
        )
    if always["error"] is None:
        return (
            f"After the last refusal your run_with_retry returns {_shown(always['result'])} instead of raising the "
            "error again: its caller would believe the work was done. Roll back, then raise."
        )
    if "OperationalError" not in always["error"]["types"]:
        return f"After the last refusal your run_with_retry raised {always['error']['text']}, not the OperationalError."
    if always["usable"] is not True:
        return "After the last refusal the session is left in its failed transaction: roll it back before raising."
    return None


def _taken_email_problem(taken: Evidence) -> str | None:
    """Rule: what is wrong when work fails in a way no retry can fix (an IntegrityError)."""
    if taken["calls"] > 1:
        return (
            f"When work failed with IntegrityError (a taken email), your run_with_retry ran it {taken['calls']} "
            "times: a retry cannot fix data that breaks a constraint, it only repeats the failure. Retry only "
            "OperationalError."
        )
    if taken["error"] is None or "IntegrityError" not in taken["error"]["types"]:
        return (
            "When work fails with IntegrityError, your run_with_retry hides it: let errors other than "
            "OperationalError go on to the caller."
        )
    return None
