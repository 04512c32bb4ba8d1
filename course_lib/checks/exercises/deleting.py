"""Checkpoints of the deleting exercise: reader 123 deleted through the ORM and committed; an undo; a bulk delete."""

import ast

from sqlalchemy import inspect, select

from course_lib.bookclub.models import Annotation, Reader, Review, db
from course_lib.bookclub.seed import ANNOTATIONS, READERS, REVIEWS
from course_lib.checks.judging.commits import (
    COMMITTED,
    FLUSHED,
    UNSENT,
    commit_stage,
    not_yet_problem,
    replayed_commit_state,
    uncalled,
)
from course_lib.checks.judging.replay import (
    flush_error,
    replay_error,
    replay_observation,
    replayed,
    run_answers,
    scratch_database,
    scratch_namespace,
)
from course_lib.checks.judging.rows import describe, identities, lookup, one_problem, rows_problem
from course_lib.checks.judging.source_code import calls, parse
from course_lib.checks.judging.transactions import logged, logged_replay, undone, watched_replay
from course_lib.checks.registry import Attempt, Evidence, checkpoint
from course_lib.checks.verdict import Finding, mistake, passed
from course_lib.protocol import marked_checkpoints

DELETE = "deleting.delete"
COMMIT = "deleting.commit"
REMAINING_REVIEWS = "deleting.remaining_reviews"
MODELS = {"Reader": Reader, "Review": Review, "Annotation": Annotation}
ANN_ROWS = {"Reader": {123}, "Review": {111, 113}, "Annotation": {332}}
SEED_IDS = {
    "Reader": {row[0] for row in READERS},
    "Review": {row[0] for row in REVIEWS},
    "Annotation": {row[0] for row in ANNOTATIONS},
}
EXPECTED = {model: SEED_IDS[model] - ANN_ROWS[model] for model in SEED_IDS}


def _collect_delete(attempt: Attempt) -> Evidence:
    evidence: Evidence = {"ann": describe(lookup(attempt.namespace, "ann"))}
    if COMMIT not in marked_checkpoints(attempt.answer.source):
        evidence["as_replayed"] = replay_observation(attempt)
    with replayed(attempt) as (_, error):
        error = error or flush_error()
        evidence["replay_error"] = replay_error(error) if error else None
        if error is None:
            evidence["remaining"] = {
                name: sorted(db.session.scalars(select(model.id))) for name, model in MODELS.items()
            }
    return evidence


@checkpoint(DELETE, collect=_collect_delete)
def judge_delete(evidence: Evidence) -> Finding:
    """The replayed answer: reader 123 and, through the cascade, her rows must be gone."""
    problem = one_problem("ann", evidence["ann"], Reader, 123)
    if problem and evidence["ann"]["kind"] == "missing":
        return mistake(problem)
    if evidence["replay_error"]:
        return mistake(evidence["replay_error"])
    remaining = {name: set(evidence["remaining"][name]) for name in MODELS}
    if remaining == EXPECTED:
        if problem := not_yet_problem(evidence.get("as_replayed"), ("commit",), "ann marked for deletion"):
            return mistake(problem)
        return passed("Reader 123 is deleted, and the cascade takes her reviews 111, 113 and annotation 332.")
    return mistake(_deletion_problem(remaining))


def _collect_commit(attempt: Attempt) -> Evidence:
    return replayed_commit_state(attempt, Reader, 123, "ann")


@checkpoint(COMMIT, collect=_collect_commit)
def judge_commit(evidence: Evidence) -> Finding:
    """The replayed answers, then a rollback: a deletion that survives was committed."""
    if "replay_error" in evidence:
        return mistake(evidence["replay_error"])
    stage = commit_stage(evidence, evidence["after_rollback"]["kind"] == "none")
    if stage == COMMITTED:
        return passed("The deletion is committed: reader 123 stays deleted after a rollback.")
    if problem := uncalled(evidence, "commit"):
        return mistake(problem)
    if stage == UNSENT:
        return mistake("ann is only marked for deletion: nothing sent or committed the DELETE.")
    if stage == FLUSHED:
        return mistake(
            "The DELETE was flushed (a query's autoflush sends it, so it looks done) but never committed: "
            "a rollback brings Ann back. Call db.session.commit().",
        )
    return mistake("Reader 123 is still in the database: the deletion was rolled back or never made.")


def _collect_remaining_reviews(attempt: Attempt) -> Evidence:
    evidence: Evidence = {"remaining_reviews": describe(lookup(attempt.namespace, "remaining_reviews"))}
    with replayed(attempt) as (_, error):
        if error is None:  # which of Ann's reviews the database itself still holds, the answers run again
            evidence["ann_reviews_stored"] = sorted(set(db.session.scalars(select(Review.id))) & ANN_ROWS["Review"])
    return evidence


@checkpoint(REMAINING_REVIEWS, collect=_collect_remaining_reviews)
def judge_remaining_reviews(evidence: Evidence) -> Finding:
    """Pass when remaining_reviews holds the reviews left after the cascade."""
    value = evidence["remaining_reviews"]
    problem = rows_problem("remaining_reviews", value, Review, sorted(EXPECTED["Review"]))
    if problem is None:
        return passed("remaining_reviews holds reviews 112, 114, 116 and 117: Ann's went with her.")
    held = sorted(ANN_ROWS["Review"] & set(identities(value))) if value["kind"] == "list" else []
    if held and evidence.get("ann_reviews_stored") == []:
        problem += (
            f" The list still holds Ann's reviews {' and '.join(map(str, held))}, which the database no longer has: "
            "it was read from objects loaded before the delete (a relationship such as book.reviews, or an earlier "
            "list), not from the database. Query the reviews again after the commit."
        )
    elif held:
        problem += " Ann's reviews are still there: the delete did not cascade, or was not done when this cell ran."
    return mistake(problem)


def _deletion_problem(remaining: dict[str, set[int]]) -> str:
    """What the deletion did wrong, compared with deleting reader 123 and cascading to her rows."""
    gone = {model: SEED_IDS[model] - remaining[model] for model in SEED_IDS}
    if 123 in remaining["Reader"]:
        if gone["Reader"]:
            return f"You deleted reader {', '.join(map(str, sorted(gone['Reader'])))}, not reader 123 (the wrong row)."
        return "Nothing was deleted: call db.session.delete(ann) on reader 123."
    if remaining["Review"] & ANN_ROWS["Review"] or remaining["Annotation"] & ANN_ROWS["Annotation"]:
        return (
            "Reader 123 is gone but not her reviews and annotations: a bulk DELETE statement skips the ORM cascade "
            "and leaves rows pointing at a reader that no longer exists. Use db.session.delete(ann)."
        )
    extra = {model: sorted(ids - ANN_ROWS[model]) for model, ids in gone.items() if ids - ANN_ROWS[model]}
    return f"You deleted more than reader 123 and her rows: {extra}."


# --- undoing a delete ------------------------------------------------------------------------------------------------

UNDO = "deleting.undo"
SAM_ROWS = {"Reader": {345}, "Review": {112, 114}, "Annotation": {333}}  # reader 345 and what the cascade takes


def _collect_undo(attempt: Attempt) -> Evidence:
    with watched_replay(attempt) as (namespace, error, events, statements):
        if error is not None:
            return {"replay_error": replay_error(error), "source": attempt.answer.source}
        sam = namespace.get("sam")
        evidence: Evidence = {
            "replay_error": None,
            "source": attempt.answer.source,
            "events": events,
            "delete_statement": any(statement.startswith("DELETE FROM reader") for statement in statements),
            "sam": _state_name(sam) if isinstance(sam, Reader) else "missing",
            "sam_is_345": isinstance(sam, Reader) and inspect(sam).identity == (345,),
        }
        db.session.rollback()
        evidence["kept"] = {
            name: sorted(set(db.session.scalars(select(MODELS[name].id))) & ids) for name, ids in SAM_ROWS.items()
        }
    return evidence


@checkpoint(UNDO, collect=_collect_undo)
def judge_undo(evidence: Evidence) -> Finding:
    """Replayed with its transaction watched: Sam's DELETE sent, then rolled back; his rows all still there."""
    if evidence["replay_error"]:
        return mistake(evidence["replay_error"])
    events, source = evidence["events"], evidence["source"]
    if (problem := _undo_delete_problem(events, source, evidence["delete_statement"])) is not None:
        return mistake(problem)
    kept = {name: set(ids) for name, ids in evidence["kept"].items()}
    if 345 not in kept["Reader"]:  # a DELETE survives the check's own rollback only when it was committed
        return mistake(
            "You committed the delete before rolling back: the commit made it permanent, so the rollback had "
            "nothing to undo and Sam is gone for good. Roll back instead of committing.",
        )
    if kept != SAM_ROWS:
        lost = sorted(f"{name.lower()} {id_}" for name, ids in SAM_ROWS.items() for id_ in ids - kept[name])
        return mistake(
            f"Reader 345 is there, but not {', '.join(lost)}: the cascade deleted them with Sam, and putting a reader "
            "back by hand does not bring them back. A rollback undoes every DELETE of the transaction at once.",
        )
    if not undone(events, "deleted Reader 345"):
        return mistake(_not_rolled_back(evidence["sam"], source))
    if evidence["sam"] != "persistent" or evidence["sam_is_345"] is not True:
        return mistake(
            f"After the rollback sam is {evidence['sam']}, not reader 345 back in the session: the rollback brings "
            "the deleted object back as it was. Keep reader 345 in sam, and end the cell with the rollback.",
        )
    return passed(
        "The DELETE ran (autoflush or flush sends it, so it looks done), and the rollback undid it: Sam, his "
        "reviews 112 and 114 and annotation 333 are back, and sam is in the session again.",
    )


def _undo_delete_problem(events: list[str], source: str, delete_statement: bool) -> str | None:
    """Rule: why no DELETE of reader 345 was sent through the session (None when one was)."""
    deleted = [name.rsplit(" ", 1)[-1] for name in events if name.startswith("deleted Reader ")]
    cascaded = any(name.startswith("deleted Review ") for name in events)
    if "345" in deleted and cascaded:
        return None
    if deleted and "345" not in deleted:
        return f"You deleted reader {', '.join(deleted)}, not reader 345 (the wrong row)."
    if delete_statement:
        return (
            "You deleted with a DELETE statement, around the session: it skips the cascade to Sam's reviews and "
            "annotation, and sam never learns of it. Delete through the session: db.session.delete(sam)."
        )
    tree = parse(source)
    if not calls(tree, "delete"):
        if any(isinstance(node, ast.Delete) for node in ast.walk(tree)):
            return "del sam only forgets the Python name; the row stays. Mark it with db.session.delete(sam)."
        return "Your cell never deletes reader 345: call db.session.delete(sam) first."
    if problem := uncalled({"source": source}, "flush"):
        return problem
    return (
        "Sam's DELETE was never sent: db.session.delete(sam) only marks him, and the rollback just unmarked him. "
        "Call db.session.flush() before the rollback, to see that a rollback undoes a DELETE the database already ran."
    )


def _not_rolled_back(sam: str, source: str) -> str:
    """Rule: what the answer did instead of rolling the delete back."""
    if problem := uncalled({"source": source}, "rollback"):
        return problem
    if sam in ("detached", "transient") and calls(parse(source), "expunge"):
        return (
            "You took sam out of the session (expunge): the session forgets him, but his DELETE, already sent, stays "
            "in the transaction, and a commit would make it permanent. Undo it with db.session.rollback()."
        )
    return (
        "Sam's DELETE is still in the open transaction: nothing rolled it back, so the next commit would make it "
        "permanent. Call db.session.rollback()."
    )


def _state_name(instance: Reader) -> str:
    """Collect: the object's state in its session, in SQLAlchemy's words."""
    state = inspect(instance)
    for name in ("deleted", "persistent", "pending", "detached", "transient"):
        if getattr(state, name):
            return name
    return "unknown"


# --- a bulk delete that leaves no orphans ----------------------------------------------------------------------------

BULK = "deleting.bulk"
KIM_ROWS = {"Reader": {450}, "Review": {117}, "Annotation": {334}}  # reader 450 and the rows that point at her
CHILDREN = ("DELETE FROM review", "DELETE FROM annotation")


def _collect_bulk(attempt: Attempt) -> Evidence:
    with logged_replay(attempt, measure=_rows) as replay:
        if replay.error is not None:
            return {"replay_error": replay_error(replay.error), "source": attempt.answer.source}
        evidence: Evidence = {
            "replay_error": None,
            "source": attempt.answer.source,
            "events": replay.events,
            "log": replay.log,
            "seen_before": replay.before,
            "committed_before": _committed_before(attempt),
        }
        db.session.rollback()
        evidence["remaining"] = _rows()
        readers = select(Reader.id)
        evidence["orphans"] = {
            name: sorted(db.session.scalars(select(model.id).where(model.reviewer_id.not_in(readers))))
            for name, model in (("Review", Review), ("Annotation", Annotation))
        }
    return evidence


def _committed_before(attempt: Attempt) -> dict[str, list[int]] | None:
    """Collect: each table's rows as the earlier answers committed them, replayed on a scratch database of their own."""
    with scratch_database() as scratch_app:
        namespace = scratch_namespace(attempt.namespace, scratch_app)
        run_answers([run.source for run in attempt.earlier], namespace, attempt.transform)
        db.session.rollback()
        return _rows()


def _rows() -> dict[str, list[int]] | None:
    """Collect: the ids of each table's rows as the scratch transaction sees them (None in a failed transaction)."""
    if not db.session.is_active:
        return None
    with db.session.no_autoflush:
        return {name: sorted(db.session.scalars(select(model.id))) for name, model in MODELS.items()}


@checkpoint(BULK, collect=_collect_bulk)
def judge_bulk(evidence: Evidence) -> Finding:
    """Replayed with its SQL logged: Kim's rows, then Kim, deleted by bulk DELETE statements, and committed."""
    if evidence["replay_error"]:
        return mistake(evidence["replay_error"])
    events, log = evidence["events"], evidence["log"]
    if any(name.startswith("deleted Reader ") for name in events):
        return mistake(
            "You deleted through the session (db.session.delete), whose cascade deletes a reader's rows for you. This "
            "checkpoint practises bulk DELETE statements, which have no cascade: send one "
            "db.session.execute(delete(...)) per table, her annotations and reviews first, then her row.",
        )
    before = {name: set(ids) for name, ids in (evidence["committed_before"] or EXPECTED).items()}
    seen = {name: set(ids) for name, ids in (evidence["seen_before"] or evidence["committed_before"] or {}).items()}
    gone = {name: ids - set(evidence["remaining"].get(name, ())) for name, ids in before.items()}
    left_open = {name: sorted((ids - seen.get(name, ids)) & gone[name]) for name, ids in before.items()}
    if any(left_open.values()):
        listed = "; ".join(f"{name.lower()} {', '.join(map(str, ids))}" for name, ids in left_open.items() if ids)
        return mistake(
            f"Your commit also made permanent what an earlier cell had left in the open transaction: the DELETE of "
            f"{listed}. That cell never rolled back or committed; fix it, then run the notebook again from the top.",
        )
    if problem := _bulk_problem(gone):
        return mistake(problem)
    if gone == KIM_ROWS:
        if (reader := logged(log, "DELETE FROM reader")) and any(index > reader[0] for index in _children(log)):
            return mistake(
                "You deleted Kim before the rows that point at her: SQLite, which here does not check foreign keys, "
                "let that DELETE through, but PostgreSQL refuses it while review 117 still points at her. Delete her "
                "annotations and reviews first, then her row.",
            )
        return passed(
            "Kim's annotation 334 and review 117, then Kim herself: DELETE statements in an order no foreign key "
            "objects to, no row left pointing at her, and the commit made it final.",
        )
    if not logged(log, "DELETE FROM"):
        return mistake("Your cell deletes nothing: send the DELETE statements with db.session.execute(delete(...)).")
    return mistake(
        uncalled(evidence, "commit")
        or "Your DELETE statements ran inside the open transaction, but nothing committed them: a rollback brings "
        "Kim back. Call db.session.commit() at the end.",
    )


def _children(log: list[str]) -> list[int]:
    """Rule helper: the positions of the log's DELETEs of reviews and annotations."""
    return sorted(index for prefix in CHILDREN for index in logged(log, prefix))


def _bulk_problem(gone: dict[str, set[int]]) -> str | None:
    """Rule: what the committed deletions say went wrong (None when they took Kim's rows, all or none of them)."""
    extra = {name: sorted(ids - KIM_ROWS[name]) for name, ids in gone.items() if ids - KIM_ROWS[name]}
    listed = "; ".join(f"{name.lower()} {', '.join(map(str, ids))}" for name, ids in extra.items())
    if extra and not any(ids & KIM_ROWS[name] for name, ids in gone.items()):
        return f"You deleted {listed}, not Kim's rows (reader 450, review 117, annotation 334): the wrong rows."
    if extra:
        return (
            f"You deleted more than Kim's rows: {listed}. Each DELETE needs a where(...) that picks only the rows "
            "that point at reader 450 (reviewer_id == 450), or her own row (id == 450)."
        )
    if gone == KIM_ROWS or not any(gone.values()):
        return None
    if 450 not in gone["Reader"]:
        return (
            "Reader 450 is still there: you deleted what she wrote but not her own row. Delete it last, with "
            "delete(Reader).where(Reader.id == 450)."
        )
    left = [f"{name.lower()} {id_}" for name in ("Review", "Annotation") for id_ in sorted(KIM_ROWS[name] - gone[name])]
    return (
        f"Reader 450 is gone, but {' and '.join(left)} {'still points' if len(left) == 1 else 'still point'} at her: "
        "orphaned rows. A DELETE statement has no cascade: delete her annotations and reviews first, each table with "
        "its own statement, then her row."
    )
