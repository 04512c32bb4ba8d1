"""Checkpoints of the add-and-commit exercise: an object pending, then flushed with a generated id, then committed."""

from sqlalchemy import inspect

from course_lib.checks.registry import Attempt, judged_in_place
from course_lib.checks.judging.replay import replay_error, replayed
from course_lib.checks.judging.rows import describe, MISSING, lookup, missing_message, object_problem
from course_lib.checks.verdict import Finding, mistake, passed
from course_lib.classroom.journal import flushed_not_committed, id_set_by_hand
from course_lib.bookclub.models import Reader, db

PENDING = "add_and_commit.pending"
FLUSH = "add_and_commit.flush"
COMMIT = "add_and_commit.commit"
KIM = {"name": "Kim", "surname": "Lee", "email": "kim.lee@example.com"}


@judged_in_place(PENDING)
def judge_pending(attempt: Attempt) -> Finding:
    """Run the answer again on a scratch database: kim must be a right, pending Reader; and in the real session."""
    kim = lookup(attempt.namespace, "kim")
    if problem := object_problem("kim", describe(kim), Reader):
        return mistake(problem)
    with replayed(attempt, forget=("kim",)) as (namespace, error):
        again = namespace.get("kim")
        if error is not None or not isinstance(again, Reader):
            return mistake(replay_error(error) if error else "Run again, your cell put no Reader in kim.")
        state = inspect(again)
        wrong = [
            f"its {key} is {getattr(again, key)!r}, not {value!r}"
            for key, value in KIM.items()
            if getattr(again, key) != value
        ]
        if wrong:
            return mistake("kim is not Kim Lee, kim.lee@example.com: " + "; ".join(wrong) + ".")
        if id_set_by_hand(db.session, again):
            return mistake("You gave kim an id by hand. Leave it out: the database generates it at the INSERT."
            )
        if state.transient:
            return mistake("kim is not in the session: db.session.add(kim) makes it pending.")
        if not state.pending:
            return mistake("kim is already in the database: your cell flushed or committed it. The task asks you to "
                "stop at pending, with nothing sent yet (db.session.new lists it).",
            )
    if kim not in db.session:
        return mistake("kim is not in your session any more: add it again (a rollback takes pending objects out)."
        )
    return passed("kim is Kim Lee, kim.lee@example.com, pending in the session: no SQL has been sent for it.")


@judged_in_place(FLUSH)
def judge_flush(attempt: Attempt) -> Finding:
    """Pass when kim is persistent with its generated id, and kim_id holds that id."""
    kim, kim_id = lookup(attempt.namespace, "kim"), lookup(attempt.namespace, "kim_id")
    if problem := object_problem("kim", describe(kim), Reader):
        return mistake(problem)
    state = inspect(kim)
    if state.pending:
        return mistake("kim is still pending: nothing sent its INSERT. Call db.session.flush().")
    if not state.persistent:
        return mistake("kim is not in the session: add it again, then flush.")
    if kim_id is MISSING:
        return mistake(missing_message("kim_id"))
    if kim_id is None:
        return mistake("kim_id is None: you read kim.id before the flush, while the database had not chosen it.")
    if kim_id != state.identity[0]:
        return mistake(f"kim_id is {kim_id!r}, but kim's id, chosen by the database, is {state.identity[0]}.")
    return passed("kim's INSERT was sent and kim_id holds the id the database generated.")


@judged_in_place(COMMIT)
def judge_commit(attempt: Attempt) -> Finding:
    """Pass when kim is committed and the session is usable."""
    kim = lookup(attempt.namespace, "kim")
    if problem := object_problem("kim", describe(kim), Reader):
        return mistake(problem)
    state = inspect(kim)
    if not db.session.is_active:
        return mistake("The session is in a failed transaction: call db.session.rollback(), then start again.")
    if state.pending:
        return mistake("kim is still pending: neither flushed nor committed. Call db.session.commit().")
    if not state.persistent:
        return mistake("kim is not in the database: a rollback (or a failed commit) discarded it.")
    if flushed_not_committed(db.session, kim):
        return mistake("kim was flushed, not committed: the transaction is still open and a rollback would erase the "
            "INSERT. Call db.session.commit().",
        )
    return passed("Kim is committed: the INSERT is permanent.")
