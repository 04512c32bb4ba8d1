"""What the reference solutions do, recorded once from `solutions/` (`course_lib build`), and comparison with it.

`references/<exercise>.json` holds the seed data once, and, for each checkpoint, what the reference answers up to it
have committed (the rows changed, added or deleted since the seed), the reference's answer cell, and, for a judge
that compares, the evidence it collected from the reference answer. The grader compares the database's own word about
a submission (read by the sandbox's runner in the database file, never by the student's process) with it.
"""

import json
from functools import cache
from pathlib import Path
from typing import Any

REFERENCES = Path(__file__).resolve().parent / "references"
#: How a row is named in a message, and what identifies it: readers by email, books by title, the rest by id.
NATURAL_KEYS = {"reader": "email", "book": "title", "review": "id", "annotation": "id"}
MODEL_NAMES = {"reader": "reader", "book": "book", "review": "review", "annotation": "annotation"}

#: {table: [row, ...]}: what a database holds, each row a dict of its columns.
Rows = dict[str, list[dict[str, Any]]]


@cache
def reference_of(exercise: str) -> dict[str, Any]:
    """An exercise's reference record (empty when the exercise has none)."""
    path = REFERENCES / f"{exercise}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def reference_answer(checkpoint_id: str) -> str | None:
    """The reference solution's answer cell, for a check to run in place of a student's answer that never finished."""
    return reference_of(checkpoint_id.partition(".")[0]).get("answers", {}).get(checkpoint_id)


def reference_evidence(checkpoint_id: str) -> dict[str, Any] | None:
    """What the reference solution's answer gave a checkpoint's judge to collect, for a judge that compares."""
    return reference_of(checkpoint_id.partition(".")[0]).get("evidence", {}).get(checkpoint_id)


def changes(seed: Rows, rows: Rows) -> dict[str, dict[str, Any]]:
    """What `rows` changed since `seed`: {table: {natural key: the row as it is now, or None once deleted}}."""
    found: dict[str, dict[str, Any]] = {}
    for table, key in NATURAL_KEYS.items():
        before, after = _keyed(seed.get(table, []), key), _keyed(rows.get(table, []), key)
        changed = {
            str(name): after.get(name)
            for name in before.keys() | after.keys()
            if _without_generated_id(before.get(name), table) != _without_generated_id(after.get(name), table)
        }
        if changed:
            found[table] = dict(sorted(changed.items()))
    return found


def committed_difference(checkpoint_id: str, stored: Any, stored_before: Any = None) -> str | None:
    """What differs between what the submission and the reference committed, at this checkpoint; None if nothing.

    The question is the one the checkpoint asks of the database: did this step commit what the task's step commits
    (these rows added, those deleted, these columns changed)? The values are the business of the checkpoints that
    set them, so an earlier mistake is not blamed here again. The step agrees when its own change has the shape of
    the reference's, or when everything committed since the seed has (a change committed one step early, then kept).
    `stored_before` is what the submission had committed at the checkpoint before (None: the seed).
    """
    record = reference_of(checkpoint_id.partition(".")[0])
    expected = record.get("committed", {}).get(checkpoint_id)
    if expected is None:
        return None
    if not isinstance(stored, dict) or "error" in stored:
        error = stored.get("error") if isinstance(stored, dict) else "nothing was read"
        return f"The grader could not read what your notebook committed ({error})."
    seed = record["seed"]
    before = stored_before if isinstance(stored_before, dict) and "error" not in stored_before else seed
    earlier = _earlier_checkpoint(record, checkpoint_id)
    reference_before = _applied(seed, record["committed"][earlier]) if earlier else seed
    reference_now = _applied(seed, expected)
    step, wanted_step = _shape(seed, before, stored), _shape(seed, reference_before, reference_now)
    if step == wanted_step or _shape(seed, seed, stored) == _shape(seed, seed, reference_now):
        return None
    return _shape_difference(step, wanted_step)


def _earlier_checkpoint(record: dict[str, Any], checkpoint_id: str) -> str | None:
    """The checkpoint recorded just before this one, in the order the course gives them."""
    order = record.get("order", [])
    position = order.index(checkpoint_id) if checkpoint_id in order else 0
    return order[position - 1] if position > 0 else None


def _applied(seed: Rows, changed: dict[str, dict[str, Any]]) -> Rows:
    """The seed with the recorded changes applied: the rows as the reference had committed them."""
    rows: Rows = {}
    for table, key in NATURAL_KEYS.items():
        kept = {str(row.get(key)): row for row in seed.get(table, [])}
        for name, row in changed.get(table, {}).items():
            if row is None:
                kept.pop(name, None)
            else:
                kept[name] = row
        rows[table] = list(kept.values())
    return rows


def _shape(seed: Rows, before: Rows, after: Rows) -> dict[str, tuple[Any, ...]]:
    """What changed from `before` to `after`, without the values: rows added, seed rows deleted or changed."""
    shape: dict[str, tuple[Any, ...]] = {}
    for table, key in NATURAL_KEYS.items():
        seeded = {str(row.get(key)) for row in seed.get(table, [])}
        old, new = _keyed(before.get(table, []), key), _keyed(after.get(table, []), key)
        added = sum(1 for name in new if name not in old)
        deleted = sorted(str(name) for name in old if name not in new and str(name) in seeded)
        gone = sum(1 for name in old if name not in new and str(name) not in seeded)
        changed = sorted(
            f"{name}: {column}"
            for name in old.keys() & new.keys()
            if str(name) in seeded
            for column in old[name]
            if column != "id" and old[name].get(column) != new[name].get(column)
        )
        if added or deleted or gone or changed:
            shape[table] = (added, tuple(deleted), gone, tuple(changed))
    return shape


def _shape_difference(step: dict[str, tuple[Any, ...]], wanted: dict[str, tuple[Any, ...]]) -> str:
    """The first difference between two shapes of change, in one sentence."""
    said = "In the database itself (what your notebook had committed when this check ran, read after it ran), "
    for table in NATURAL_KEYS:
        done, due = step.get(table, (0, (), 0, ())), wanted.get(table, (0, (), 0, ()))
        if done == due:
            continue
        name = MODEL_NAMES[table]
        parts = [
            (done[0], due[0], f"new {name}s committed"),
            (len(done[1]) + done[2], len(due[1]) + due[2], f"{name}s deleted"),
        ]
        for count, expected, what in parts:
            if count != expected:
                return f"{said}this step left {count} {what}; the task's answer leaves {expected}."
        return f"{said}this step changed {', '.join(done[3]) or 'nothing'} in {name}s; the task's answer changes " + (
            f"{', '.join(due[3]) or 'nothing'}."
        )
    return f"{said}this step's change is not the task's."


def _seed_key(name: str, seed: dict[Any, Any]) -> Any:
    """The seed's key for a key read from JSON (ids are numbers there)."""
    return next((key for key in seed if str(key) == name), name)


def _without_generated_id(row: dict[str, Any] | None, table: str) -> dict[str, Any] | None:
    """A row without its id where the id is not what names it (readers and books are named by email and title)."""
    if row is None or NATURAL_KEYS[table] == "id":
        return row
    return {column: value for column, value in row.items() if column != "id"}


def _keyed(rows: Any, key: str) -> dict[Any, dict[str, Any]]:
    if not isinstance(rows, list):
        return {}
    return {row.get(key): row for row in rows if isinstance(row, dict)}
