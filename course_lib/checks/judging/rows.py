"""Judges a variable that should hold database rows: one object, a list of objects, or a number.

`describe` runs where the student's code runs and turns a value into plain data; the `*_problem` functions judge that
data, so they never touch a live object and can run in the grader's trusted process.
"""

from collections.abc import Callable
from typing import Any

from sqlalchemy import Result, Row, ScalarResult, Select, inspect
from sqlalchemy.orm import Query

from course_lib.bookclub.models import db
from course_lib.checks.judging.source_code import legacy_get, subscripts
from course_lib.checks.registry import Attempt, Evidence, checkpoint
from course_lib.checks.verdict import Finding, mistake, passed

MISSING = object()
LEFTOVER = object()  # the variable exists, but only an earlier run of an answer cell assigned it
LEGACY_GET_TIP = (
    " Tip: Model.query.get(...) is the legacy form, deprecated since SQLAlchemy 2.0 (hence its warning); "
    "the current one is db.session.get(Model, id)."
)
MAX_ITEMS = 200  # a list longer than this is described by its first items and its length


def lookup(namespace: dict[str, Any], name: str) -> Any:
    """The value of a variable in the student's namespace, or MISSING (LEFTOVER: only an earlier run assigned it)."""
    if name in getattr(namespace, "stale", ()):
        return LEFTOVER
    return namespace.get(name, MISSING)


def describe(value: Any, *, load: bool = False) -> dict[str, Any]:
    """A value as plain data: its kind, and for database objects their model, primary key, state and columns.

    Columns not loaded (expired by a commit) are described as None, unless `load` asks to read them from the
    database: only on a scratch database, never in the student's session, where that would send SQL.
    """
    if value is MISSING:
        return {"kind": "missing"}
    if value is LEFTOVER:
        return {"kind": "missing", "leftover": True}
    if value is None:
        return {"kind": "none"}
    if isinstance(value, type) and issubclass(value, db.Model):
        return {"kind": "class", "type": value.__name__}
    for kind, classes in (("select", Select), ("query", Query), ("result", (Result, ScalarResult)), ("row", Row)):
        if isinstance(value, classes):
            return {"kind": kind, "type": type(value).__name__}
    if isinstance(value, db.Model):
        return _describe_object(value, load)
    if isinstance(value, list | tuple):
        return {"kind": "list", "length": len(value), "items": [describe(item) for item in value[:MAX_ITEMS]]}
    if isinstance(value, int) and not isinstance(value, bool):
        return {"kind": "number", "value": value}
    if isinstance(value, str):
        return {"kind": "text", "type": "str", "value": value[:500]}
    return {"kind": "other", "type": type(value).__name__}


def _describe_object(value: Any, load: bool) -> dict[str, Any]:
    state = inspect(value)
    read = (lambda key: getattr(value, key)) if load and not state.detached else state.dict.get
    columns = {attribute.key: read(attribute.key) for attribute in state.mapper.column_attrs}
    return {
        "kind": "object",
        "type": type(value).__name__,
        "identity": state.identity[0] if state.identity else None,
        "state": next(name for name in _STATES if getattr(state, name)),
        "values": {
            key: item if isinstance(item, int | str | float | None) else str(item) for key, item in columns.items()
        },
    }


_STATES = ("transient", "pending", "persistent", "deleted", "detached")


def missing_message(name: str, leftover: bool = False) -> str:
    """What to say when the variable does not exist (or only an earlier run of an answer cell assigned it)."""
    if leftover:
        return (
            f"{name} is left over from an earlier run: the answer cell that assigned it no longer does, as you last "
            f"ran it. Assign your answer to {name} in that cell again, and run it."
        )
    return f"There is no variable named {name} yet: assign your answer to {name}."


def object_problem(name: str, value: dict[str, Any], model: type) -> str | None:
    """Why a described value is not a `model` object: missing, the class itself, or something else (None if it is)."""
    kind = model.__name__
    if value["kind"] == "missing":
        return missing_message(name, value.get("leftover") is True)
    if value["kind"] == "class" and value["type"] == kind:
        return f"{name} is the {kind} class itself: call it, {kind}(...), to make a {kind.lower()}."
    if not _is(value, kind):
        return f"{name} is {_a_value(value)}, not a {kind} object."
    return None


def one_problem(name: str, value: dict[str, Any], model: type, expected_id: int) -> str | None:
    """Why a described value is not the `model` object with primary key `expected_id` (None when it is)."""
    kind = model.__name__
    if (problem := _missing_or_unrun(name, value, "first()")) is not None:
        return problem
    if value["kind"] == "none":
        return f"{name} is None: nothing matched. Check the id or the condition."
    if value["kind"] == "list":
        items = value["items"]
        if value["length"] == 1 and items[0].get("identity") == expected_id:
            return f"{name} is a list holding one {kind}; the task asks for the object itself: use .first() or get."
        return f"{name} is a list of {value['length']}; the task asks for one {kind} object: use .first() or get."
    if not _is(value, kind):
        return f"{name} is {_a_value(value)}, not a {kind} object."
    if value["identity"] is None:
        return (
            f"{name} is a new {kind} that is not in the database (it has no id yet): the task asks for the stored "
            f"{kind} {expected_id}. Load it with db.session.get({kind}, {expected_id})."
        )
    if value["identity"] != expected_id:
        return f"{name} is {kind} {value['identity']}, but the task asks for {kind} {expected_id}."
    return None


def rows_problem(name: str, value: dict[str, Any], model: type, expected_ids: list[int]) -> str | None:
    """Why a described value is not a list of exactly the `model` objects with these primary keys, in any order."""
    kind = model.__name__
    if (problem := _missing_or_unrun(name, value, "all()")) is not None:
        return problem
    if value["kind"] == "object":
        return f"{name} is one {value['type']}; the task asks for a list of {kind} objects: use .all()."
    if value["kind"] != "list":
        return f"{name} is {_a_value(value)}, not a list of {kind} objects."
    items = value["items"]
    if any(item["kind"] == "row" for item in items):
        return f"{name} holds Row tuples (from db.session.execute); db.session.scalars(...) gives the objects."
    strangers = sorted({_type_name(item) for item in items if not _is(item, kind)})
    if strangers:
        return f"{name} holds {', '.join(strangers)} items; the task asks for {kind} objects."
    ids = identities(value)
    if value["length"] == len(items) and sorted(ids, key=str) == sorted(expected_ids, key=str):
        return None
    missing, extra = [id_ for id_ in expected_ids if id_ not in ids], [id_ for id_ in ids if id_ not in expected_ids]
    details = [f"missing {_listed(missing)}"] * bool(missing) + [f"not asked for {_listed(extra)}"] * bool(extra)
    return (
        f"{name} holds {kind} {_listed(ids)}, but the task asks for {_listed(expected_ids)}: "
        f"{'; '.join(details) or 'some appear more than once'}."
    )


def number_problem(name: str, value: dict[str, Any], expected: int) -> str | None:
    """Why a described value is not the number `expected`."""
    if (problem := _missing_or_unrun(name, value, "scalar")) is not None:
        return problem
    if value["kind"] == "list":
        return (
            f"{name} is a list of {value['length']} items, not a number: count the rows with func.count() (or len())."
        )
    if value["kind"] != "number":
        return f"{name} is {_a_value(value)}, not a whole number."
    if value["value"] != expected:
        return f"{name} is {value['value']}, but the database holds {expected}."
    return None


def identities(value: dict[str, Any]) -> list[Any]:
    """The primary keys of a described list's database objects, in order."""
    return [item.get("identity") for item in value["items"]]


#: Rewords the generic problem for a value wrong in a way it does not explain: (described value, problem) -> message.
Advice = Callable[[dict[str, Any], str], str]


def row_checkpoint(
    checkpoint_id: str,
    name: str,
    model: type,
    expected: list[int] | int,
    *,
    done: str | None = None,
    advice: Advice | None = None,
) -> None:
    """Register a judge passing when the variable holds exactly the expected row (one id) or rows (a list of ids)."""
    kind = model.__name__
    if isinstance(expected, int):
        default_done = f"{name} is {kind} {expected}."
    else:
        default_done = f"{name} holds {kind} {', '.join(map(str, expected))}."

    def collect(attempt: Attempt) -> Evidence:
        return {name: describe(lookup(attempt.namespace, name)), "source": attempt.answer.source}

    def rule(evidence: Evidence) -> Finding:
        value, source = evidence[name], str(evidence["source"])
        if isinstance(expected, int):
            problem = one_problem(name, value, model, expected)
        else:
            problem = rows_problem(name, value, model, expected)
            if problem and value["kind"] == "object" and subscripts(source):
                problem = (
                    f"{name} is one {value['type']}, picked out of the list with [...]: the task asks for the whole "
                    "list. Drop the [...] (the relationship or .all() already gives the list)."
                )
        if problem is None:
            return passed((done or default_done) + (LEGACY_GET_TIP if legacy_get(source) else ""))
        return mistake(advice(value, problem) if advice else problem)

    checkpoint(checkpoint_id, collect=collect)(rule)


def _is(value: dict[str, Any], kind: str) -> bool:
    return value["kind"] == "object" and value["type"] == kind


def _a_value(value: dict[str, Any]) -> str:
    """A described value's type with its article, `an int`, `a Reader`; None as itself."""
    if value["kind"] == "none":
        return "None"
    name = _type_name(value)
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


def _type_name(value: dict[str, Any]) -> str:
    if value["kind"] == "class":
        return f"{value['type']} class"
    names = {"none": "NoneType", "number": "int", "list": "list"}
    return value.get("type") or names.get(value["kind"], value["kind"])


def _missing_or_unrun(name: str, value: dict[str, Any], finish: str) -> str | None:
    """A message when the variable is missing, or holds a statement, a query or a one-shot result, not its rows."""
    if value["kind"] == "missing":
        return missing_message(name, value.get("leftover") is True)
    run = "db.session.scalar(statement)" if finish == "scalar" else f"db.session.scalars(statement).{finish}"
    if value["kind"] == "select":
        return f"{name} is a Select statement, not what it selects: run it, {run}."
    if value["kind"] == "query":
        ending = "scalar()" if finish == "scalar" else finish
        return f"{name} is a query object, not its rows: finish it with .{ending}."
    if value["kind"] == "result":
        ending = "scalar_one()" if finish == "scalar" else finish
        return f"{name} is a result that can be read only once, not the rows: add .{ending}."
    return None


def _listed(ids: list[Any]) -> str:
    return ", ".join(str(id_) for id_ in ids) or "none"
