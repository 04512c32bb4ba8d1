"""Judges a variable that should hold database rows: one object, a list of objects, or a number."""

from typing import Any

from sqlalchemy import Result, Row, ScalarResult, Select, inspect
from sqlalchemy.orm import Query

from course_lib.models import db

MISSING = object()


def lookup(namespace: dict[str, Any], name: str) -> Any:
    """The value of a variable in the student's namespace, or MISSING."""
    return namespace.get(name, MISSING)


def missing_message(name: str) -> str:
    """What to say when the variable does not exist."""
    return f"There is no variable named {name} yet: assign your answer to {name}."


def object_problem(name: str, value: Any, model: type) -> str | None:
    """Why `value` is not a `model` object: missing, the class itself, or something else (None when it is one)."""
    kind = model.__name__
    if value is MISSING:
        return missing_message(name)
    if value is model:
        return f"{name} is the {kind} class itself: call it, {kind}(...), to make a {kind.lower()}."
    if not isinstance(value, model):
        return f"{name} is a {type(value).__name__}, not a {kind} object."
    return None


def one_problem(name: str, value: Any, model: type, expected_id: int) -> str | None:
    """Why `value` is not the `model` object with primary key `expected_id` (None when it is)."""
    kind = model.__name__
    if value is MISSING:
        return missing_message(name)
    if (problem := _statement_problem(name, value, "first()")) is not None:
        return problem
    if value is None:
        return f"{name} is None: nothing matched. Check the id or the condition."
    if isinstance(value, list | tuple):
        if len(value) == 1 and _identity(value[0]) == expected_id:
            return f"{name} is a list holding one {kind}; the task asks for the object itself: use .first() or get."
        return f"{name} is a list of {len(value)}; the task asks for one {kind} object: use .first() or get."
    if not isinstance(value, model):
        return f"{name} is a {type(value).__name__}, not a {kind} object."
    if _identity(value) != expected_id:
        return f"{name} is {kind} {_identity(value)}, but the task asks for {kind} {expected_id}."
    return None


def rows_problem(name: str, value: Any, model: type, expected_ids: list[int]) -> str | None:
    """Why `value` is not a list of exactly the `model` objects with these primary keys, in any order."""
    kind = model.__name__
    if value is MISSING:
        return missing_message(name)
    if (problem := _statement_problem(name, value, "all()")) is not None:
        return problem
    if isinstance(value, db.Model):
        return f"{name} is one {type(value).__name__}; the task asks for a list of {kind} objects: use .all()."
    if not isinstance(value, list | tuple):
        return f"{name} is a {type(value).__name__}, not a list of {kind} objects."
    if any(isinstance(item, Row) for item in value):
        return f"{name} holds Row tuples (from db.session.execute); db.session.scalars(...) gives the objects."
    strangers = sorted({type(item).__name__ for item in value if not isinstance(item, model)})
    if strangers:
        return f"{name} holds {', '.join(strangers)} items; the task asks for {kind} objects."
    ids = [_identity(item) for item in value]
    if sorted(ids, key=str) == sorted(expected_ids, key=str):
        return None
    missing, extra = [id_ for id_ in expected_ids if id_ not in ids], [id_ for id_ in ids if id_ not in expected_ids]
    details = [f"missing {_listed(missing)}"] * bool(missing) + [f"not asked for {_listed(extra)}"] * bool(extra)
    return (
        f"{name} holds {kind} {_listed(ids)}, but the task asks for {_listed(expected_ids)}: "
        f"{'; '.join(details) or 'some appear more than once'}."
    )


def number_problem(name: str, value: Any, expected: int) -> str | None:
    """Why `value` is not the number `expected`."""
    if value is MISSING:
        return missing_message(name)
    if (problem := _statement_problem(name, value, "scalar")) is not None:
        return problem
    if isinstance(value, list | tuple):
        return f"{name} is a list of {len(value)} items, not a number: count the rows with func.count() (or len())."
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{name} is a {type(value).__name__}, not a whole number."
    if value != expected:
        return f"{name} is {value}, but the database holds {expected}."
    return None


def identities(values: list[Any]) -> list[Any]:
    """The primary keys of database objects, in order."""
    return [_identity(value) for value in values]


def _statement_problem(name: str, value: Any, finish: str) -> str | None:
    """A message when the value is a statement, a query or a one-shot result instead of what it selects."""
    run = "db.session.scalar(statement)" if finish == "scalar" else f"db.session.scalars(statement).{finish}"
    if isinstance(value, Select):
        return f"{name} is a Select statement, not what it selects: run it, {run}."
    if isinstance(value, Query):
        ending = "scalar()" if finish == "scalar" else finish
        return f"{name} is a query object, not its rows: finish it with .{ending}."
    if isinstance(value, Result | ScalarResult):
        ending = "scalar_one()" if finish == "scalar" else finish
        return f"{name} is a result that can be read only once, not the rows: add .{ending}."
    return None


def _identity(value: Any) -> Any:
    state = inspect(value, raiseerr=False)
    identity = getattr(state, "identity", None)
    return identity[0] if identity else None


def _listed(ids: list[Any]) -> str:
    return ", ".join(str(id_) for id_ in ids) or "none"
