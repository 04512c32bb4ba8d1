"""Checkpoints of the add-and-commit exercise: an object pending, then flushed with a generated id, then committed."""

from sqlalchemy import inspect

from course_lib.bookclub.models import Reader, db
from course_lib.checks.judging.commits import (
    COMMITTED,
    DISCARDED,
    FAILED,
    FLUSHED,
    UNSENT,
    commit_stage,
    uncalled,
    live_commit_state,
    replayed_commit_state,
)
from course_lib.checks.judging.replay import replay_error, replayed
from course_lib.checks.judging.rows import describe, lookup, missing_message, object_problem
from course_lib.checks.registry import Attempt, Evidence, checkpoint
from course_lib.checks.verdict import Finding, mistake, passed
from course_lib.classroom.journal import id_set_by_hand
from course_lib.protocol import marked_checkpoints

PENDING = "add_and_commit.pending"
FLUSH = "add_and_commit.flush"
COMMIT = "add_and_commit.commit"
KIM = {"name": "Kim", "surname": "Lee", "email": "kim.lee@example.com"}
NOT_YET = (
    "Your cell commits, but the task says not to commit yet: the point of this step is to see kim {stage} before the "
    "commit makes it permanent. Take db.session.commit() out of this cell, then run the notebook again from the top."
)


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
    if again["state"] != "pending":
        return mistake(
            "kim is already in the database: your cell flushed or committed it. The task asks you to "
            "stop at pending, with nothing sent yet (db.session.new lists it).",
        )
    if evidence["in_session"] is not True:
        return mistake("kim is not in your session any more: add it again (a rollback takes pending objects out).")
    return passed("kim is Kim Lee, kim.lee@example.com, pending in the session: no SQL has been sent for it.")


def _collect_flush(attempt: Attempt) -> Evidence:
    kim, kim_id = lookup(attempt.namespace, "kim"), lookup(attempt.namespace, "kim_id")
    evidence: Evidence = {"kim": describe(kim), "kim_id": describe(kim_id), "source": attempt.answer.source}
    if isinstance(kim, Reader):
        evidence["live"] = live_commit_state(db.session, kim)
        if inspect(kim).identity is not None and COMMIT not in marked_checkpoints(attempt.answer.source):
            evidence["replayed"] = replayed_commit_state(attempt, Reader, None, "kim")
    return evidence


@checkpoint(FLUSH, collect=_collect_flush)
def judge_flush(evidence: Evidence) -> Finding:
    """Pass when kim is persistent with its generated id, kim_id holds that id, and nothing committed it yet."""
    kim, kim_id = evidence["kim"], evidence["kim_id"]
    if problem := object_problem("kim", kim, Reader):
        return mistake(problem)
    stage = commit_stage(evidence["live"])
    if stage == UNSENT:
        return mistake(uncalled(evidence, "flush") or "kim is still pending: nothing sent its INSERT. Call db.session.flush().")
    if stage in (DISCARDED, FAILED):
        return mistake("kim is not in the session: add it again, then flush.")
    if kim_id["kind"] == "missing":
        return mistake(missing_message("kim_id", kim_id.get("leftover") is True))
    if kim_id["kind"] == "none":
        return mistake("kim_id is None: you read kim.id before the flush, while the database had not chosen it.")
    if kim_id.get("value") != kim["identity"] or kim_id["kind"] != "number":
        shown = repr(kim_id["value"]) if "value" in kim_id else f"a {kim_id.get('type', kim_id['kind'])}"
        return mistake(f"kim_id is {shown}, but kim's id, chosen by the database, is {kim['identity']}.")
    replay = evidence.get("replayed")
    if replay is not None and "replay_error" not in replay:
        if commit_stage(replay, replay["after_rollback"]["kind"] == "object") == COMMITTED:
            return mistake(NOT_YET.format(stage="flushed but not committed"))
    return passed("kim's INSERT was sent and kim_id holds the id the database generated.")


def _collect_commit(attempt: Attempt) -> Evidence:
    kim = lookup(attempt.namespace, "kim")
    evidence: Evidence = {"kim": describe(kim), "source": attempt.answer.source}
    if isinstance(kim, Reader):
        evidence["live"] = live_commit_state(db.session, kim)
    return evidence


@checkpoint(COMMIT, collect=_collect_commit)
def judge_commit(evidence: Evidence) -> Finding:
    """Pass when kim is committed and the session is usable."""
    if problem := object_problem("kim", evidence["kim"], Reader):
        return mistake(problem)
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
