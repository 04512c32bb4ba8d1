"""Checkpoints of the deleting exercise: delete reader 123 through the ORM, commit, see the cascade; undo a delete."""

import ast

from sqlalchemy import inspect, select

from course_lib.bookclub.models import Annotation, Reader, Review, db
from course_lib.bookclub.seed import ANNOTATIONS, READERS, REVIEWS
from course_lib.checks.judging.commits import COMMITTED, FLUSHED, UNSENT, commit_stage, replayed_commit_state, uncalled
from course_lib.checks.judging.replay import flush_error, replay_error, replayed
from course_lib.checks.judging.rows import describe, identities, lookup, one_problem, rows_problem
from course_lib.checks.judging.source_code import calls, parse
from course_lib.checks.judging.transactions import ROLLBACK as ROLLBACK_EVENT
from course_lib.checks.judging.transactions import first, watched_replay
from course_lib.checks.registry import Attempt, Evidence, checkpoint
from course_lib.checks.verdict import Finding, mistake, passed

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
    return {"remaining_reviews": describe(lookup(attempt.namespace, "remaining_reviews"))}


@checkpoint(REMAINING_REVIEWS, collect=_collect_remaining_reviews)
def judge_remaining_reviews(evidence: Evidence) -> Finding:
    """Pass when remaining_reviews holds the reviews left after the cascade."""
    value = evidence["remaining_reviews"]
    problem = rows_problem("remaining_reviews", value, Review, sorted(EXPECTED["Review"]))
    if problem is None:
        return passed("remaining_reviews holds reviews 112, 114, 116 and 117: Ann's went with her.")
    if value["kind"] == "list" and ANN_ROWS["Review"] & set(identities(value)):
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
    if first(events, ROLLBACK_EVENT) is None:
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
