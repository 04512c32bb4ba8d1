"""Checkpoints of the add-and-commit exercise: an object pending, flushed with a generated id, committed; a rollback."""

from course_lib.bookclub.models import Reader, db
from course_lib.checks.judging.commits import (
    COMMITTED,
    DISCARDED,
    FAILED,
    FLUSHED,
    OTHER_SESSION,
    UNSENT,
    commit_stage,
    live_commit_state,
    not_yet_problem,
    other_session,
    uncalled,
)
from course_lib.checks.judging.replay import replay_error, replay_observation, replayed
from course_lib.checks.judging.rows import describe, lookup, missing_message, object_problem
from course_lib.checks.judging.transactions import added_values, logged, logged_replay, saved_after_rollback
from course_lib.checks.registry import Attempt, Evidence, checkpoint
from course_lib.checks.verdict import Finding, mistake, passed
from course_lib.classroom.journal import id_set_by_hand
from course_lib.protocol import marked_checkpoints

PENDING = "add_and_commit.pending"
FLUSH = "add_and_commit.flush"
COMMIT = "add_and_commit.commit"
KIM = {"name": "Kim", "surname": "Lee", "email": "kim.lee@example.com"}


def _collect_pending(attempt: Attempt) -> Evidence:
    kim = lookup(attempt.namespace, "kim")
    evidence: Evidence = {"kim": describe(kim), "in_session": isinstance(kim, Reader) and kim in db.session}
    if not isinstance(kim, Reader):
        return evidence
    with replayed(attempt, forget=("kim",)) as (namespace, error):
        again = namespace.get("kim")
        evidence["replay_error"] = replay_error(error) if error else None
        evidence["again"] = describe(again, load=True) if isinstance(again, Reader) else None
        evidence["id_by_hand"] = isinstance(again, Reader) and id_set_by_hand(db.session, again)
    evidence["as_replayed"] = replay_observation(attempt)
    return evidence


@checkpoint(PENDING, collect=_collect_pending)
def judge_pending(evidence: Evidence) -> Finding:
    """kim, run again on a scratch database, must be a right, pending Reader; and in the student's session."""
    if problem := object_problem("kim", evidence["kim"], Reader):
        return mistake(problem)
    if evidence["replay_error"] or evidence["again"] is None:
        return mistake(evidence["replay_error"] or "Run again, your cell put no Reader in kim.")
    again = evidence["again"]
    wrong = [
        f"its {key} is {again['values'].get(key)!r}, not {value!r}"
        for key, value in KIM.items()
        if again["values"].get(key) != value
    ]
    if wrong:
        return mistake("kim is not Kim Lee, kim.lee@example.com: " + "; ".join(wrong) + ".")
    if evidence["id_by_hand"] is True:
        return mistake("You gave kim an id by hand. Leave it out: the database generates it at the INSERT.")
    if again["state"] == "transient":
        return mistake("kim is not in the session: db.session.add(kim) makes it pending.")
    if problem := not_yet_problem(evidence.get("as_replayed"), ("flush", "commit"), "kim pending"):
        return mistake(problem)
    if evidence["in_session"] is not True:
        return mistake("kim is not in your session any more: add it again (a rollback takes pending objects out).")
    return passed("kim is Kim Lee, kim.lee@example.com, pending in the session: no SQL has been sent for it.")


def _collect_flush(attempt: Attempt) -> Evidence:
    kim, kim_id = lookup(attempt.namespace, "kim"), lookup(attempt.namespace, "kim_id")
    evidence: Evidence = {"kim": describe(kim), "kim_id": describe(kim_id), "source": attempt.answer.source}
    if isinstance(kim, Reader):
        evidence["live"] = live_commit_state(db.session, kim)
        if COMMIT not in marked_checkpoints(attempt.answer.source):
            evidence["as_replayed"] = replay_observation(attempt)
    return evidence


@checkpoint(FLUSH, collect=_collect_flush)
def judge_flush(evidence: Evidence) -> Finding:
    """Pass when kim is persistent with its generated id, kim_id holds that id, and nothing committed it yet."""
    kim, kim_id = evidence["kim"], evidence["kim_id"]
    if problem := object_problem("kim", kim, Reader):
        return mistake(problem)
    stage = commit_stage(evidence["live"])
    if stage == UNSENT:
        return mistake(
            uncalled(evidence, "flush") or "kim is still pending: nothing sent its INSERT. Call db.session.flush()."
        )
    if stage in (DISCARDED, FAILED):
        return mistake("kim is not in the session: add it again, then flush.")
    if kim_id["kind"] == "missing":
        return mistake(missing_message("kim_id", kim_id.get("leftover") is True))
    if kim_id["kind"] == "none":
        return mistake("kim_id is None: you read kim.id before the flush, while the database had not chosen it.")
    if kim_id.get("value") != kim["identity"] or kim_id["kind"] != "number":
        shown = repr(kim_id["value"]) if "value" in kim_id else f"a {kim_id.get('type', kim_id['kind'])}"
        return mistake(f"kim_id is {shown}, but kim's id, chosen by the database, is {kim['identity']}.")
    if problem := not_yet_problem(evidence.get("as_replayed"), ("commit",), "kim flushed but not committed"):
        return mistake(problem)
    return passed("kim's INSERT was sent and kim_id holds the id the database generated.")


def _collect_commit(attempt: Attempt) -> Evidence:
    kim = lookup(attempt.namespace, "kim")
    evidence: Evidence = {"kim": describe(kim), "source": attempt.answer.source}
    if isinstance(kim, Reader):
        evidence["live"] = live_commit_state(db.session, kim)
        evidence["other_session"] = other_session(kim)
    return evidence


@checkpoint(COMMIT, collect=_collect_commit)
def judge_commit(evidence: Evidence) -> Finding:
    """Pass when kim is committed and the session is usable."""
    if problem := object_problem("kim", evidence["kim"], Reader):
        return mistake(problem)
    if evidence.get("other_session") is True:
        return mistake(OTHER_SESSION.format(name="kim"))
    stage = commit_stage(evidence["live"])
    if stage != COMMITTED and (problem := uncalled(evidence, "commit")):
        return mistake(problem)
    if stage == FAILED:
        return mistake("The session is in a failed transaction: call db.session.rollback(), then start again.")
    if stage == UNSENT:
        return mistake("kim is still pending: neither flushed nor committed. Call db.session.commit().")
    if stage == DISCARDED:
        return mistake("kim is not in the database: a rollback (or a failed commit) discarded it.")
    if stage == FLUSHED:
        return mistake(
            "kim was flushed, not committed: the transaction is still open and a rollback would erase the "
            "INSERT. Call db.session.commit().",
        )
    return passed("Kim is committed: the INSERT is permanent.")


# --- a rollback after a flush ----------------------------------------------------------------------------------------

ROLLBACK = "add_and_commit.rollback"
NOAH = {"name": "Noah", "surname": "Berg", "email": "noah.berg@example.com"}


def _collect_rollback(attempt: Attempt) -> Evidence:
    evidence: Evidence = {"noah": describe(lookup(attempt.namespace, "noah")), "source": attempt.answer.source}
    with logged_replay(attempt) as replay:
        if replay.error is not None:
            return {**evidence, "replay_error": replay_error(replay.error)}
        noah = replay.namespace.get("noah")
        evidence.update(
            replay_error=None,
            events=replay.events,
            log=replay.log,
            noah_after=describe(noah) if isinstance(noah, Reader) else None,
            session_active=bool(db.session.is_active),
        )
        evidence["saved"] = {"noah": saved_after_rollback(Reader, email=NOAH["email"])}
        evidence["saved"]["kim"] = saved_after_rollback(Reader, email=KIM["email"])
    return evidence


@checkpoint(ROLLBACK, collect=_collect_rollback)
def judge_rollback(evidence: Evidence) -> Finding:
    """Replayed with its SQL logged: Noah added and his INSERT sent, then a ROLLBACK; Noah transient, not saved."""
    if problem := object_problem("noah", evidence["noah"], Reader):
        return mistake(problem)
    if evidence["replay_error"]:
        return mistake(evidence["replay_error"])
    added, log = added_values(evidence["events"], "Reader"), evidence["log"]
    if not added:
        return mistake("Your cell never adds noah to the session: create him, then db.session.add(noah).")
    if wrong := [values for values in added if any(values.get(key) != value for key, value in NOAH.items())]:
        shown = f"{wrong[0].get('name')} {wrong[0].get('surname')} ({wrong[0].get('email')})"
        return mistake(f"You added {shown}, but the task asks for Noah Berg ({NOAH['email']}), letter for letter.")
    if evidence["saved"]["noah"] is True:
        return mistake(
            "You committed Noah before rolling back: the commit made his INSERT permanent, so the rollback had "
            "nothing left to undo. Flush him, then roll back, with no commit in between.",
        )
    inserts = logged(log, "INSERT INTO reader")
    if not inserts:
        return mistake(
            uncalled(evidence, "flush")
            or "Noah's INSERT was never sent: without a flush, the rollback only took him out of the session. Call "
            "db.session.flush() before the rollback, to see a rollback undo an INSERT the database ran.",
        )
    if not [index for index in logged(log, "ROLLBACK") if index > inserts[-1] and log[index] == "ROLLBACK"]:
        return mistake(_not_rolled_back(evidence))
    after = evidence["noah_after"]
    if after is None or after["state"] != "transient":
        state = "missing" if after is None else after["state"]
        return mistake(
            f"After your rollback noah is {state}, not transient: the rollback takes a flushed new object out of "
            "the session. Keep Noah in noah, and end the cell with the rollback.",
        )
    return passed(
        f"The rollback undid Noah's flushed INSERT: he is not in the database, and noah is transient again, still "
        f"holding the id {after['values'].get('id')} his INSERT gave him.",
    )


def _not_rolled_back(evidence: Evidence) -> str:
    """Rule: what the answer did instead of rolling Noah's INSERT back."""
    if problem := uncalled(evidence, "rollback"):
        return problem
    if any(name.startswith("deleted Reader ") for name in evidence["events"]):
        return (
            "You deleted Noah: a DELETE is a second change, not an undo, and his INSERT is still part of the "
            "transaction. db.session.rollback() throws away everything the transaction did."
        )
    after = evidence["noah_after"]
    if after is not None and after["state"] == "detached":
        return (
            "You took noah out of the session (expunge): the session forgets him, but his INSERT, already sent, "
            "stays in the transaction, and a commit would save him. Undo it with db.session.rollback()."
        )
    return (
        "Noah's INSERT is still in the open transaction: nothing rolled it back, so the next commit would save him. "
        "Call db.session.rollback()."
    )
