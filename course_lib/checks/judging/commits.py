"""Is a change committed, flushed, only in the session, discarded, or stuck in a failed transaction? One answer for all.

Two collect helpers look, beside the student's code, either at the student's own session (`live_commit_state`) or at
a replay of the answers on a scratch database that is then rolled back (`replayed_commit_state`: a change that
survives the rollback was committed). Both return plain data; `commit_stage` is the rule half, deciding on that data.
"""

from typing import Any

from sqlalchemy import inspect

from course_lib.bookclub.models import db
from course_lib.checks.judging.replay import replay_error, replayed
from course_lib.checks.judging.rows import describe
from course_lib.checks.judging.source_code import names_without_calling
from course_lib.checks.registry import Attempt, Evidence
from course_lib.classroom.journal import flushed_not_committed

FAILED = "failed transaction"  # the session needs a rollback before any further use
UNSENT = "only in the session"  # added, changed or marked for deletion: no SQL sent yet
FLUSHED = "flushed"  # the SQL ran inside the transaction that is still open
DISCARDED = "discarded"  # rolled back, or never made
COMMITTED = "committed"
STAGES = (FAILED, UNSENT, FLUSHED, DISCARDED, COMMITTED)


def live_commit_state(session: Any, instance: Any) -> Evidence:
    """Where an object of the student's own session stands (collect half: reads the live session, sends no SQL)."""
    state = inspect(instance)
    return {
        "session_active": bool(session.is_active),
        "unsent": bool(state.pending or _changed(session, instance)),
        "flushed": flushed_not_committed(session, instance),
        "discarded": not (state.pending or state.persistent),
    }


def replayed_commit_state(attempt: Attempt, model: type, id_: int | None, name: str | None = None) -> Evidence:
    """Replay the answers on a scratch database, note where the change to row `id_` stands, roll back, describe the row.

    `after_rollback` describes the row as the database keeps it: a change still there was committed. The object in
    variable `name` (if any) and the one the session maps to that primary key are the objects looked at; with no
    `id_`, the row is the one the replayed variable `name` got its primary key for.
    """
    with replayed(attempt) as (namespace, error):
        if error is not None:
            return {"replay_error": replay_error(error)}
        session = db.session()
        named = namespace.get(name) if name else None
        if id_ is None and isinstance(named, model) and inspect(named).identity is not None:
            id_ = inspect(named).identity[0]
        if id_ is None:
            return {"replay_error": f"Run again on a fresh database, your cells left no {model.__name__} in {name}."}
        candidates = [named, session.identity_map.get(session.identity_key(model, id_))]
        objects = [obj for obj in candidates if isinstance(obj, db.Model)]
        evidence = {
            "source": attempt.answer.source,
            "session_active": bool(session.is_active),
            "unsent": any(_changed(session, obj) for obj in objects),
            "flushed": any(flushed_not_committed(session, obj) for obj in objects),
            "discarded": False,
        }
        session.rollback()
        evidence["after_rollback"] = describe(session.get(model, id_), load=True)
    return evidence


OTHER_SESSION = (
    "{name} was added to (and committed by) a session you created, Session(db.engine) say, not db.session, the "
    "session of the app that the task, and every view, uses. Add and commit with db.session."
)


def other_session(instance: Any) -> bool:
    """Collect: True when the object belongs to a session other than db.session (one the student made)."""
    from sqlalchemy.orm import object_session

    session = object_session(instance)
    return session is not None and session is not db.session()


def commit_stage(evidence: Evidence, committed: bool | None = None) -> str:
    """Rule half: which of STAGES the evidence shows. `committed`: what the caller read in `after_rollback`, if any."""
    if committed is True:
        return COMMITTED
    if evidence["session_active"] is not True:
        return FAILED
    if evidence["unsent"] is True:
        return UNSENT
    if evidence["discarded"] is True:
        return DISCARDED
    if evidence["flushed"] is True:
        return FLUSHED
    if committed is False:
        return DISCARDED
    return COMMITTED


def uncalled(evidence: Evidence, method: str) -> str | None:
    """Rule half: a message when the answer names `db.session.<method>` without calling it (None otherwise)."""
    if not names_without_calling(str(evidence.get("source", "")), method):
        return None
    return (
        f"You wrote db.session.{method} without parentheses: that names the method but never calls it, so nothing "
        f"happens. Write db.session.{method}()."
    )


def _changed(session: Any, instance: Any) -> bool:
    """True when the object holds a change the session has not sent: new, modified or marked for deletion."""
    if instance in session.new or instance in session.deleted:
        return True
    return instance in session.dirty and session.is_modified(instance)


def not_yet_problem(observed: Any, forbidden: tuple[str, ...], stage: str) -> str | None:
    """Rule half, the one "not yet" rule of every task that says not to commit (or flush) yet.

    `observed` is the answer's observation when replayed (`replay.replay_observation`): its statements that write
    or end a transaction. `forbidden` holds "commit", "flush" or both; `stage` says what the step is there to show.
    """
    log = observed.get("log") if isinstance(observed, dict) and not observed.get("error") else None
    if not isinstance(log, list):
        return None
    if "commit" in forbidden and "COMMIT" in log:
        return (
            f"Your cell commits, but the task says not to commit yet: the point of this step is to see {stage} "
            "before the commit makes it permanent. Take db.session.commit() out of this cell, then run the notebook "
            "again from the top."
        )
    sent = [entry for entry in log if entry.split(" ", 1)[0] in ("INSERT", "UPDATE", "DELETE")]
    if "flush" in forbidden and sent:
        return (
            f"Your cell sends {sent[0]} (a flush, or a query's autoflush, sends what is pending), but the task says "
            f"not to flush yet: the point of this step is to see {stage}, with no SQL sent. Take the flush (or the "
            "query) out of this cell, then run the notebook again from the top."
        )
    return None
