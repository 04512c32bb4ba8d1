"""Checkpoints of the add-and-rollback exercise: create Peter, add him, commit him safely; undo one insert."""

import ast
from typing import Any

from sqlalchemy import inspect

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
    other_session,
    uncalled,
)
from course_lib.checks.judging.replay import replay_error, replayed, run_answer, scratch_database, scratch_namespace
from course_lib.checks.judging.rows import describe, lookup, object_problem
from course_lib.checks.judging.source_code import calls, names_without_calling, parse, try_statements
from course_lib.checks.judging.transactions import COMMIT as COMMITTED_EVENT
from course_lib.checks.judging.transactions import (
    ROLLBACK,
    SAVEPOINT_ROLLBACK,
    added_values,
    first,
    logged,
    logged_replay,
    saved_after_rollback,
)
from course_lib.checks.judging.transactions import SAVEPOINT as SAVEPOINT_EVENT
from course_lib.checks.registry import Attempt, Evidence, checkpoint, described_error
from course_lib.checks.verdict import Finding, mistake, passed
from course_lib.classroom.journal import id_set_by_hand

NEW_READER = "add_rollback.new_reader"
ADD = "add_rollback.add"
COMMIT = "add_rollback.commit"
EXPECTED = {"name": "Peter", "surname": "Johnson", "email": "peter.johnson@example.com"}
BARE = "a bare except:"  # what `_caught_names` says of an except clause without a type
TIPS = {
    BARE: (
        " Tip: a bare except: catches every error, even a typo's NameError or Ctrl+C's KeyboardInterrupt, and hides "
        "it. Catch only what a failed commit raises: except IntegrityError:."
    ),
    "Exception": (
        " Tip: except Exception: also catches your own mistakes (a typo's NameError, an AttributeError) and hides "
        "them behind the rollback. Catch only what a failed commit raises: except IntegrityError:."
    ),
}


def _collect_new_reader(attempt: Attempt) -> Evidence:
    evidence: Evidence = {"new_reader": describe(lookup(attempt.namespace, "new_reader"))}
    if not isinstance(lookup(attempt.namespace, "new_reader"), Reader):
        return evidence
    with replayed(attempt, forget=("new_reader",)) as (namespace, error):
        reader = namespace.get("new_reader")
        evidence["replay_error"] = replay_error(error) if error else None
        evidence["again"] = describe(reader, load=True) if isinstance(reader, Reader) else None
        evidence["id_by_hand"] = isinstance(reader, Reader) and id_set_by_hand(db.session, reader)
    return evidence


@checkpoint(NEW_READER, collect=_collect_new_reader)
def judge_new_reader(evidence: Evidence) -> Finding:
    """The Reader the answer creates when run again on a scratch database."""
    if problem := object_problem("new_reader", evidence["new_reader"], Reader):
        return mistake(problem)
    if evidence["replay_error"]:
        return mistake(evidence["replay_error"])
    reader = evidence["again"]
    if reader is None:
        return mistake("Your answer cell does not assign a Reader to new_reader: write new_reader = Reader(...).")
    if evidence["id_by_hand"] is True:
        return mistake(
            f"You gave new_reader the id {reader['identity'] or reader['values'].get('id')} by hand. Leave id out: "
            "the database generates it when the INSERT runs, so it can never collide with another reader's.",
        )
    if wrong := _wrong_values(reader["values"]):
        return mistake(" ".join(wrong))
    return passed("new_reader is a Reader, Peter Johnson, peter.johnson@example.com; the database will choose its id.")


def _collect_add(attempt: Attempt) -> Evidence:
    reader = lookup(attempt.namespace, "new_reader")
    evidence: Evidence = {"new_reader": describe(reader), "source": attempt.answer.source}
    if isinstance(reader, Reader):
        evidence["in_session"] = reader in db.session
        evidence["twin_added"] = any(
            isinstance(other, Reader) and other is not reader and _same_values(other, reader)
            for other in db.session.new
        )
    return evidence


@checkpoint(ADD, collect=_collect_add)
def judge_add(evidence: Evidence) -> Finding:
    """Pass when new_reader is in the student's session, pending or already persistent."""
    if problem := object_problem("new_reader", evidence["new_reader"], Reader):
        return mistake(problem)
    if evidence["in_session"] is True:
        return passed("new_reader is in the session: the next flush or commit sends its INSERT, if none has yet.")
    if names_without_calling(evidence["source"], "add"):
        return mistake(
            "You wrote db.session.add without parentheses: that names the method but never calls it. "
            "Write db.session.add(new_reader).",
        )
    if evidence["twin_added"] is True:
        return mistake(
            "You added another Reader with Peter's details, not new_reader itself. "
            "The session tracks objects, not values: write db.session.add(new_reader).",
        )
    return mistake(
        "new_reader is not in the session, so a commit would not save it. Call db.session.add(new_reader). "
        "(A rollback also takes pending objects out of the session: if you rolled back, add it again.)",
    )


def _collect_commit(attempt: Attempt) -> Evidence:
    reader = lookup(attempt.namespace, "new_reader")
    evidence: Evidence = {"new_reader": describe(reader), "source": attempt.answer.source}
    if isinstance(reader, Reader):
        evidence["live"] = live_commit_state(db.session, reader)
        identity = inspect(reader).identity
        evidence["flushed_id"] = identity[0] if identity else None
        evidence["other_session"] = other_session(reader)
        evidence["when_commit_fails"] = _failure_handling(attempt)
    return evidence


@checkpoint(COMMIT, collect=_collect_commit)
def judge_commit(evidence: Evidence) -> Finding:
    """Pass when Peter is committed, the session is usable, and the answer rolls back a commit that fails."""
    if problem := object_problem("new_reader", evidence["new_reader"], Reader):
        return mistake(problem)
    if problem := _not_committed(evidence):
        return problem
    failure = evidence["when_commit_fails"]
    if problem := _failure_problem(failure, evidence["source"]):
        return problem
    caught = failure["caught"]
    tip = next((TIPS[name] for name in (BARE, "Exception") if name in caught), "")
    return passed(
        "Peter is committed, and when the commit fails (tested on a scratch database with his email already taken) "
        "your code rolls back and the session stays usable." + tip,
    )


def _not_committed(evidence: Evidence) -> Finding | None:
    """A finding when the student's own session did not commit new_reader."""
    if evidence.get("other_session") is True:
        return mistake(OTHER_SESSION.format(name="new_reader"))
    stage = commit_stage(evidence["live"])
    if stage != COMMITTED and (problem := uncalled(evidence, "commit")):
        return mistake(problem)
    if stage == FAILED:
        return mistake(
            "The session is stuck in a failed transaction: something failed and nothing rolled back, so "
            "every further use raises PendingRollbackError. Run db.session.rollback(), then fix your except branch.",
        )
    if stage == UNSENT:
        return mistake("new_reader is still pending: nothing sent it to the database. Call db.session.commit().")
    if stage == DISCARDED:
        return mistake(
            "new_reader is not in the database, and no longer in the session: a rollback (or expunge) took it out "
            "before it was committed. Add it, then commit it in the try block, and roll back only in the except "
            "branch.",
        )
    if stage == FLUSHED:
        return mistake(
            f"new_reader was flushed, not committed: the INSERT ran and gave it id {evidence['flushed_id']}, but the "
            "transaction is still open and a rollback would erase it. Call db.session.commit().",
        )
    return None


def _failure_handling(attempt: Attempt) -> Evidence:
    """Collect: what the answer does when run again on a scratch database where Peter's email is taken."""
    with scratch_database() as scratch_app:
        namespace = scratch_namespace(attempt.namespace, scratch_app)
        db.session.add(Reader(name="Pat", surname="Johnson", email=EXPECTED["email"]))
        db.session.commit()
        namespace["new_reader"] = Reader(**EXPECTED)
        db.session.add(namespace["new_reader"])
        error = run_answer(attempt.answer.source, namespace, attempt.transform)
        rolled_back = db.session.is_active
    guarded = [node for node in try_statements(attempt.answer.source) if any(map(_commits, node.body))]
    return {
        "error": described_error(error) if error is not None else None,
        "rolled_back": rolled_back,
        "caught": _caught_names(guarded, namespace),
    }


def _failure_problem(failure: Evidence, source: str) -> Finding | None:
    """Rule: what the answer does wrong when the commit fails (None when it rolls back and carries on)."""
    error = failure["error"]
    if error is None:
        if failure["rolled_back"] is True:
            return None
        return mistake(
            "When the commit fails, your except branch does not call db.session.rollback(): the session "
            "stays in the failed transaction and its next use raises PendingRollbackError.",
        )
    if "IntegrityError" not in error["types"]:
        return mistake(f"When the commit fails, your code raises {error['text']} instead of rolling back.")
    if failure["rolled_back"] is True:
        return mistake(
            "When the commit fails, your code rolls back but then lets the IntegrityError escape, so the "
            "cell stops with a traceback. Handle it in the except branch (for example print a message) instead.",
        )
    tries = try_statements(source)
    if not tries:
        return mistake(
            "You committed without try/except. When the commit fails (a reused email breaks the UNIQUE "
            "constraint) the IntegrityError stops the cell and the session is left needing a rollback.",
        )
    if not any(_commits(statement) for node in tries for statement in node.body):
        return mistake("Your db.session.commit() is outside the try block, so except never sees its failure.")
    caught = ", ".join(name for name in failure["caught"] if name != BARE) or "nothing"
    return mistake(
        f"Your except clause catches {caught}, but a failed commit raises sqlalchemy.exc.IntegrityError, "
        "which it cannot catch. Write: from sqlalchemy.exc import IntegrityError ... except IntegrityError:",
    )


def _commits(statement: ast.AST) -> bool:
    return calls(statement, "commit")


def _wrong_values(values: dict[str, Any]) -> list[str]:
    """One sentence per column whose value differs from the task's."""
    if (values.get("name"), values.get("surname")) == (EXPECTED["surname"], EXPECTED["name"]):
        return ["The name and surname are swapped: name is the first name, Peter; surname is Johnson."]
    sentences = []
    for column, expected in EXPECTED.items():
        actual = values.get(column)
        if actual is None:
            sentences.append(f'new_reader has no {column}: pass {column}="{expected}".')
        elif actual != expected:
            hint = " (check capitals and spaces)" if str(actual).strip().lower() == expected.lower() else ""
            sentences.append(f"The {column} is {actual!r}, but the task asks for {expected!r}{hint}.")
    return sentences


def _same_values(one: Reader, other: Reader) -> bool:
    return all(inspect(one).dict.get(key) == inspect(other).dict.get(key) for key in EXPECTED)


def _caught_names(tries: list[ast.Try], namespace: dict[str, Any]) -> list[str]:
    """Collect only (it evaluates the student's except expressions): the names of the exception classes caught."""
    names = []
    for handler in (handler for node in tries for handler in node.handlers):
        if handler.type is None:
            names.append(BARE)
            continue
        try:
            caught = eval(compile(ast.Expression(handler.type), "<except>", "eval"), dict(namespace))
        except Exception:
            names.append(ast.unparse(handler.type))
            continue
        for kind in caught if isinstance(caught, tuple) else (caught,):
            names.append(_qualified_name(kind) if isinstance(kind, type) else repr(kind))
    return names


def _qualified_name(kind: type) -> str:
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


# --- the savepoint ---------------------------------------------------------------------------------------------------

SAVEPOINT = "add_rollback.savepoint"
KEPT = {"name": "Mia", "surname": "Wong", "email": "mia.wong@example.com"}  # added before the savepoint: kept
UNDONE = {"name": "Leo", "surname": "Park", "email": "leo.park@example.com"}  # added inside it: undone


def _collect_savepoint(attempt: Attempt) -> Evidence:
    with logged_replay(attempt) as replay:
        if replay.error is not None:
            return {"replay_error": replay_error(replay.error), "source": attempt.answer.source}
        session_active = bool(db.session.is_active)
        people = {"mia": KEPT["email"], "leo": UNDONE["email"]}
        with db.session.no_autoflush:
            in_transaction = {who: _found(email) for who, email in people.items()} if session_active else {}
        saved = {who: saved_after_rollback(Reader, email=email) for who, email in people.items()}
    return {
        "replay_error": None,
        "source": attempt.answer.source,
        "events": replay.events,
        "log": replay.log,
        "session_active": session_active,
        "in_transaction": in_transaction,
        "saved": saved,
    }


@checkpoint(SAVEPOINT, collect=_collect_savepoint)
def judge_savepoint(evidence: Evidence) -> Finding:
    """Replayed with its SQL logged: Mia committed; Leo's INSERT, in a SAVEPOINT, undone by its rollback; one commit."""
    if evidence["replay_error"]:
        return mistake(evidence["replay_error"])
    events, saved = evidence["events"], evidence["saved"]
    if problem := _added_problem(added_values(events, "Reader")):
        return mistake(problem)
    if first(events, SAVEPOINT_EVENT) is None:
        if problem := uncalled(evidence, "begin_nested"):
            return mistake(problem)
        return mistake(
            "Your cell never starts a savepoint: call db.session.begin_nested() after adding Mia and before adding "
            "Leo, and keep what it returns, so that you can roll back to it.",
        )
    savepoint, commit = first(events, SAVEPOINT_EVENT), first(events, COMMITTED_EVENT)
    if (whole := first(events, ROLLBACK)) is not None and whole > savepoint and saved["mia"] is not True:
        return mistake(
            "db.session.rollback() rolls back the whole transaction, not only the savepoint: Mia is gone with Leo. "
            "Call rollback() on the savepoint that db.session.begin_nested() returned instead.",
        )
    if saved["leo"] is True or evidence["in_transaction"].get("leo") is True:
        return mistake(_leo_kept(events, evidence["source"]))
    if commit is not None and commit < savepoint:
        return mistake(
            "You committed before the savepoint: Mia was saved in a transaction of her own, so the savepoint did not "
            "keep the rest of a transaction. Add Mia, start the savepoint, add Leo, roll the savepoint back, and "
            "commit once, at the end.",
        )
    if not logged(evidence["log"], "SAVEPOINT"):
        return mistake(
            uncalled(evidence, "flush")
            or "Your savepoint never reached the database: nothing ran inside it, so no SAVEPOINT was sent, and its "
            "rollback only took Leo out of the session. Flush Leo inside the savepoint, db.session.flush() after "
            "adding him, to see ROLLBACK TO SAVEPOINT undo an INSERT the database ran.",
        )
    if not logged(evidence["log"], "ROLLBACK TO SAVEPOINT"):
        return mistake(
            "Leo is not saved, but no ROLLBACK TO SAVEPOINT reached the database: something else undid his INSERT, "
            "and the savepoint was released. Undo him with the savepoint's own rollback().",
        )
    if saved["mia"] is not True:
        if commit is None:
            return mistake(
                "Mia is not committed: the savepoint undid Leo, but nothing ended the transaction, so a rollback "
                "would still erase Mia. Call db.session.commit() at the end.",
            )
        return mistake(f"Mia ({KEPT['email']}) is not in the database: add her before the savepoint, and keep her.")
    return passed(
        "Mia is committed and Leo is not: ROLLBACK TO SAVEPOINT undid only Leo's INSERT, which followed the SAVEPOINT, "
        "and the COMMIT kept the rest of the transaction.",
    )


def _added_problem(added: list[dict[str, Any]]) -> str | None:
    """Rule: a reader added with other values than Mia's and Leo's (None when both were added as the task says)."""
    wanted = [KEPT, UNDONE]
    for values in added:
        if not any(all(values.get(key) == person[key] for key in person) for person in wanted):
            shown = f"{values.get('name')} {values.get('surname')} ({values.get('email')})"
            return (
                f"You added {shown}, but the task asks for Mia Wong ({KEPT['email']}) and Leo Park "
                f"({UNDONE['email']}), letter for letter."
            )
    return None


def _leo_kept(events: list[str], source: str) -> str:
    """Rule: why Leo's insert survived (the source read only to word it: a savepoint's commit, a with block)."""
    if SAVEPOINT_ROLLBACK in events:
        return (
            "Leo is still there although you rolled the savepoint back: he was added before begin_nested(), and "
            "begin_nested() first flushes what is waiting, so his INSERT happened before the savepoint. Start the "
            "savepoint first, then add Leo."
        )
    if problem := uncalled({"source": source}, "rollback"):
        return problem
    if _releases_savepoint(source):
        return (
            "Leo is kept: the savepoint was released (its commit(), or a with block that ended without an error), "
            "which keeps what followed it. Roll the savepoint back instead: savepoint.rollback()."
        )
    return (
        "Leo is kept: you started a savepoint but never rolled it back, so the commit saved Leo with Mia. Keep what "
        "begin_nested() returns and call its rollback() after adding Leo."
    )


def _releases_savepoint(source: str) -> bool:
    """Rule helper: a `with ...begin_nested()` block, or commit() called on something other than the session."""
    tree = parse(source)
    in_with = any(
        isinstance(node, ast.With) and any(calls(item.context_expr, "begin_nested") for item in node.items)
        for node in ast.walk(tree)
    )
    return in_with or any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "commit"
        and not (isinstance(node.func.value, ast.Attribute) and node.func.value.attr == "session")
        for node in ast.walk(tree)
    )


def _found(email: str) -> bool:
    """Collect: whether the open transaction holds a reader with that email (pending objects not flushed)."""
    return db.session.scalar(db.select(Reader.id).filter_by(email=email)) is not None
