"""Checkpoints of the add-and-rollback exercise: create Peter, add him, commit him safely."""

import ast
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from course_lib.checks.registry import Attempt, judged_in_place, describe_error
from course_lib.checks.judging.replay import replay_error, replayed, run_answer, scratch_database, scratch_namespace
from course_lib.checks.judging.rows import describe, lookup, object_problem
from course_lib.checks.judging.source_code import calls, names_without_calling, try_statements
from course_lib.checks.verdict import Finding, mistake, passed
from course_lib.classroom.journal import flushed_not_committed, id_set_by_hand
from course_lib.bookclub.models import Reader, db

NEW_READER = "add_rollback.new_reader"
ADD = "add_rollback.add"
COMMIT = "add_rollback.commit"
EXPECTED = {"name": "Peter", "surname": "Johnson", "email": "peter.johnson@example.com"}


@judged_in_place(NEW_READER)
def judge_new_reader(attempt: Attempt) -> Finding:
    """Run the answer again on a scratch database and judge the Reader it creates."""
    problem = _missing_new_reader(attempt.namespace)
    if problem:
        return problem
    with replayed(attempt, forget=("new_reader",)) as (namespace, error):
        if error is not None:
            return mistake(replay_error(error))
        reader = namespace.get("new_reader")
        if not isinstance(reader, Reader):
            return mistake("Your answer cell does not assign a Reader to new_reader: write new_reader = Reader(...)."
            )
        if id_set_by_hand(db.session, reader):
            return mistake(f"You gave new_reader the id {inspect(reader).identity or reader.id} by hand. Leave id out: "
                "the database generates it when the INSERT runs, so it can never collide with another reader's.",
            )
        wrong = _wrong_values(reader)
    if wrong:
        return mistake(" ".join(wrong))
    return passed("new_reader is a Reader, Peter Johnson, peter.johnson@example.com; the database will choose its id."
    )


@judged_in_place(ADD)
def judge_add(attempt: Attempt) -> Finding:
    """Pass when new_reader is in the student's session, pending or already persistent."""
    problem = _missing_new_reader(attempt.namespace)
    if problem:
        return problem
    reader = attempt.namespace["new_reader"]
    if reader in db.session:
        return passed("new_reader is in the session: the next flush or commit sends its INSERT, if none has yet.")
    if names_without_calling(attempt.answer.source, "add"):
        return mistake("You wrote db.session.add without parentheses: that names the method but never calls it. "
            "Write db.session.add(new_reader).",
        )
    if any(isinstance(other, Reader) and _same_values(other, reader) for other in db.session.new):
        return mistake("You added another Reader with Peter's details, not new_reader itself. "
            "The session tracks objects, not values: write db.session.add(new_reader).",
        )
    return mistake("new_reader is not in the session, so a commit would not save it. Call db.session.add(new_reader). "
        "(A rollback also takes pending objects out of the session: if you rolled back, add it again.)",
    )


@judged_in_place(COMMIT)
def judge_commit(attempt: Attempt) -> Finding:
    """Pass when Peter is committed, the session is usable, and the answer rolls back a commit that fails."""
    problem = _missing_new_reader(attempt.namespace) or _not_committed(attempt.namespace["new_reader"])
    if problem:
        return problem
    return _failure_handling(attempt) or passed("Peter is committed, and when the commit fails (tested on a scratch database with his email already taken) "
        "your code rolls back and the session stays usable.",
    )


def _not_committed(reader: Reader) -> Finding | None:
    """A verdict when the student's own session did not commit new_reader."""
    if not db.session.is_active:
        return mistake("The session is stuck in a failed transaction: something failed and nothing rolled back, so "
            "every further use raises PendingRollbackError. Run db.session.rollback(), then fix your except branch.",
        )
    state = inspect(reader)
    if state.pending:
        return mistake("new_reader is still pending: nothing sent it to the database. Call db.session.commit()."
        )
    if state.transient or state.detached or state.deleted:
        return mistake("new_reader is not in the database: it is no longer in the session. If your commit failed and "
            "was rolled back, the rollback discarded it: fix the earlier checkpoints, then run the notebook again.",
        )
    if flushed_not_committed(db.session, reader):
        return mistake(f"new_reader was flushed, not committed: the INSERT ran and gave it id {reader.id}, but the "
            "transaction is still open and a rollback would erase it. Call db.session.commit().",
        )
    return None


def _failure_handling(attempt: Attempt) -> Finding | None:
    """Run the answer again on a scratch database where Peter's email is taken, and judge how it handles the failure."""
    with scratch_database() as scratch_app:
        namespace = scratch_namespace(attempt.namespace, scratch_app)
        db.session.add(Reader(name="Pat", surname="Johnson", email=EXPECTED["email"]))
        db.session.commit()
        namespace["new_reader"] = Reader(**EXPECTED)
        db.session.add(namespace["new_reader"])
        error = run_answer(attempt.answer.source, namespace, attempt.transform)
        rolled_back = db.session.is_active
    source = attempt.answer.source
    if error is None:
        if rolled_back:
            return None
        return mistake("When the commit fails, your except branch does not call db.session.rollback(): the session "
            "stays in the failed transaction and its next use raises PendingRollbackError.",
        )
    if not isinstance(error, IntegrityError):
        return mistake(f"When the commit fails, your code raises {describe_error(error)} instead of rolling back."
        )
    if rolled_back:
        return mistake("When the commit fails, your code rolls back but then lets the IntegrityError escape, so the "
            "cell stops with a traceback. Handle it in the except branch (for example print a message) instead.",
        )
    tries = try_statements(source)
    if not tries:
        return mistake("You committed without try/except. When the commit fails (a reused email breaks the UNIQUE "
            "constraint) the IntegrityError stops the cell and the session is left needing a rollback.",
        )
    guarded = [node for node in tries if any(calls(statement, "commit") for statement in node.body)]
    if not guarded:
        return mistake("Your db.session.commit() is outside the try block, so except never sees its failure.")
    caught = ", ".join(_caught_names(guarded, namespace)) or "nothing"
    return mistake(f"Your except clause catches {caught}, but a failed commit raises sqlalchemy.exc.IntegrityError, "
        "which it cannot catch. Write: from sqlalchemy.exc import IntegrityError ... except IntegrityError:",
    )


def _missing_new_reader(namespace: dict[str, Any]) -> Finding | None:
    """A finding when new_reader does not exist or is not a Reader object."""
    problem = object_problem("new_reader", describe(lookup(namespace, "new_reader")), Reader)
    return mistake(problem) if problem else None


def _wrong_values(reader: Reader) -> list[str]:
    """One sentence per column whose value differs from the task's."""
    if (reader.name, reader.surname) == (EXPECTED["surname"], EXPECTED["name"]):
        return ["The name and surname are swapped: name is the first name, Peter; surname is Johnson."]
    sentences = []
    for column, expected in EXPECTED.items():
        actual = getattr(reader, column)
        if actual is None:
            sentences.append(f'new_reader has no {column}: pass {column}="{expected}".')
        elif actual != expected:
            hint = " (check capitals and spaces)" if str(actual).strip().lower() == expected.lower() else ""
            sentences.append(f"The {column} is {actual!r}, but the task asks for {expected!r}{hint}.")
    return sentences


def _same_values(one: Reader, other: Reader) -> bool:
    return all(inspect(one).dict.get(key) == inspect(other).dict.get(key) for key in EXPECTED)


def _caught_names(tries: list[ast.Try], namespace: dict[str, Any]) -> list[str]:
    """The qualified names of the exception classes the except clauses catch."""
    names = []
    for handler in (handler for node in tries for handler in node.handlers):
        if handler.type is None:
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
