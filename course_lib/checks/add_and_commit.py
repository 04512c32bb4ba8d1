"""Checkpoints of the add-and-commit exercise: an object pending, then flushed with a generated id, then committed."""

from sqlalchemy import inspect

from course_lib.checks.checkpoint import Attempt, checkpoint
from course_lib.checks.replay import replay_error, replayed
from course_lib.checks.rows import MISSING, lookup, missing_message, object_problem
from course_lib.checks.verdict import Verdict, mistake, passed
from course_lib.journal import flushed_not_committed, id_set_by_hand
from course_lib.models import Reader, db

PENDING = "add_and_commit.pending"
FLUSH = "add_and_commit.flush"
COMMIT = "add_and_commit.commit"
KIM = {"name": "Kim", "surname": "Lee", "email": "kim.lee@example.com"}


@checkpoint(PENDING)
def judge_pending(attempt: Attempt) -> Verdict:
    """Run the answer again on a scratch database: kim must be a right, pending Reader; and in the real session."""
    kim = lookup(attempt.namespace, "kim")
    if problem := object_problem("kim", kim, Reader):
        return mistake(PENDING, problem)
    with replayed(attempt, forget=("kim",)) as (namespace, error):
        again = namespace.get("kim")
        if error is not None or not isinstance(again, Reader):
            return mistake(PENDING, replay_error(error) if error else "Run again, your cell put no Reader in kim.")
        state = inspect(again)
        wrong = [
            f"its {key} is {getattr(again, key)!r}, not {value!r}"
            for key, value in KIM.items()
            if getattr(again, key) != value
        ]
        if wrong:
            return mistake(PENDING, "kim is not Kim Lee, kim.lee@example.com: " + "; ".join(wrong) + ".")
        if id_set_by_hand(db.session, again):
            return mistake(
                PENDING, "You gave kim an id by hand. Leave it out: the database generates it at the INSERT."
            )
        if state.transient:
            return mistake(PENDING, "kim is not in the session: db.session.add(kim) makes it pending.")
        if not state.pending:
            return mistake(
                PENDING,
                "kim is already in the database: your cell flushed or committed it. The task asks you to "
                "stop at pending, with nothing sent yet (db.session.new lists it).",
            )
    if kim not in db.session:
        return mistake(
            PENDING, "kim is not in your session any more: add it again (a rollback takes pending objects out)."
        )
    return passed(PENDING, "kim is Kim Lee, kim.lee@example.com, pending in the session: no SQL has been sent for it.")


@checkpoint(FLUSH)
def judge_flush(attempt: Attempt) -> Verdict:
    """Pass when kim is persistent with its generated id, and kim_id holds that id."""
    kim, kim_id = lookup(attempt.namespace, "kim"), lookup(attempt.namespace, "kim_id")
    if problem := object_problem("kim", kim, Reader):
        return mistake(FLUSH, problem)
    state = inspect(kim)
    if state.pending:
        return mistake(FLUSH, "kim is still pending: nothing sent its INSERT. Call db.session.flush().")
    if not state.persistent:
        return mistake(FLUSH, "kim is not in the session: add it again, then flush.")
    if kim_id is MISSING:
        return mistake(FLUSH, missing_message("kim_id"))
    if kim_id is None:
        return mistake(FLUSH, "kim_id is None: you read kim.id before the flush, while the database had not chosen it.")
    if kim_id != state.identity[0]:
        return mistake(FLUSH, f"kim_id is {kim_id!r}, but kim's id, chosen by the database, is {state.identity[0]}.")
    return passed(FLUSH, "kim's INSERT was sent and kim_id holds the id the database generated.")


@checkpoint(COMMIT)
def judge_commit(attempt: Attempt) -> Verdict:
    """Pass when kim is committed and the session is usable."""
    kim = lookup(attempt.namespace, "kim")
    if problem := object_problem("kim", kim, Reader):
        return mistake(COMMIT, problem)
    state = inspect(kim)
    if not db.session.is_active:
        return mistake(COMMIT, "The session is in a failed transaction: call db.session.rollback(), then start again.")
    if state.pending:
        return mistake(COMMIT, "kim is still pending: neither flushed nor committed. Call db.session.commit().")
    if not state.persistent:
        return mistake(COMMIT, "kim is not in the database: a rollback (or a failed commit) discarded it.")
    if flushed_not_committed(db.session, kim):
        return mistake(
            COMMIT,
            "kim was flushed, not committed: the transaction is still open and a rollback would erase the "
            "INSERT. Call db.session.commit().",
        )
    return passed(COMMIT, "Kim is committed: the INSERT is permanent.")
