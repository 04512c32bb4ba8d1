"""Checkpoints of the deleting exercise: delete reader 123 through the ORM, commit, see the cascade's effect."""

from sqlalchemy import inspect, select

from course_lib.checks.registry import Attempt, judged_in_place
from course_lib.checks.judging.replay import replay_error, replayed
from course_lib.checks.judging.rows import describe, lookup, one_problem, rows_problem
from course_lib.checks.verdict import Finding, mistake, passed
from course_lib.classroom.journal import flushed_not_committed
from course_lib.bookclub.models import Annotation, Reader, Review, db
from course_lib.bookclub.seed import ANNOTATIONS, READERS, REVIEWS

DELETE = "deleting.delete"
COMMIT = "deleting.commit"
REMAINING_REVIEWS = "deleting.remaining_reviews"
ANN_ROWS = {Reader: {123}, Review: {111, 113}, Annotation: {332}}
SEED_IDS = {
    Reader: {row[0] for row in READERS},
    Review: {row[0] for row in REVIEWS},
    Annotation: {row[0] for row in ANNOTATIONS},
}
EXPECTED = {model: SEED_IDS[model] - ANN_ROWS[model] for model in SEED_IDS}


@judged_in_place(DELETE)
def judge_delete(attempt: Attempt) -> Finding:
    """Replay the answer on a scratch database: reader 123 and, through the cascade, her rows must be gone."""
    problem = one_problem("ann", describe(lookup(attempt.namespace, "ann")), Reader, 123)
    if problem and "There is no variable" in problem:
        return mistake(problem)
    with replayed(attempt) as (_, error):
        remaining = _remaining_ids() if error is None else {}
    if error is not None:
        return mistake(replay_error(error))
    if remaining == EXPECTED:
        return passed("Reader 123 is deleted, and the cascade takes her reviews 111, 113 and annotation 332.")
    return mistake(_deletion_problem(remaining))


@judged_in_place(COMMIT)
def judge_commit(attempt: Attempt) -> Finding:
    """Replay the answers on a scratch database, then roll back: a deletion that survives was committed."""
    with replayed(attempt) as (namespace, error):
        if error is not None:
            return mistake(replay_error(error))
        ann = namespace.get("ann")
        pending = any(isinstance(obj, Reader) for obj in db.session.deleted)
        flushed = isinstance(ann, Reader) and flushed_not_committed(db.session, ann)
        db.session.rollback()
        still_there = db.session.get(Reader, 123) is not None
    if not still_there:
        return passed("The deletion is committed: reader 123 stays deleted after a rollback.")
    if pending:
        return mistake("ann is only marked for deletion: nothing sent or committed the DELETE.")
    if flushed:
        return mistake("The DELETE was flushed (a query's autoflush sends it, so it looks done) but never committed: "
            "a rollback brings Ann back. Call db.session.commit().",
        )
    return mistake("Reader 123 is still in the database: the deletion was rolled back or never made.")


@judged_in_place(REMAINING_REVIEWS)
def judge_remaining_reviews(attempt: Attempt) -> Finding:
    """Pass when remaining_reviews holds the reviews left after the cascade."""
    value = lookup(attempt.namespace, "remaining_reviews")
    problem = rows_problem("remaining_reviews", describe(value), Review, sorted(EXPECTED[Review]))
    if problem is None:
        return passed("remaining_reviews holds reviews 112, 114, 116 and 117: Ann's went with her.")
    kept = {inspect(item).identity[0] for item in value if isinstance(item, Review) and inspect(item).identity}
    if isinstance(value, list) and ANN_ROWS[Review] & kept:
        problem += " Ann's reviews are still there: the delete did not cascade, or was not done when this cell ran."
    return mistake(problem)


def _remaining_ids() -> dict[type, set[int]]:
    """The primary keys left in the scratch database after sending pending changes."""
    db.session.flush()
    return {model: set(db.session.scalars(select(model.id))) for model in SEED_IDS}


def _deletion_problem(remaining: dict[type, set[int]]) -> str:
    """What the deletion did wrong, compared with deleting reader 123 and cascading to her rows."""
    gone = {model: SEED_IDS[model] - remaining[model] for model in SEED_IDS}
    if 123 in remaining[Reader]:
        if gone[Reader]:
            return f"You deleted reader {', '.join(map(str, sorted(gone[Reader])))}, not reader 123 (the wrong row)."
        return "Nothing was deleted: call db.session.delete(ann) on reader 123."
    if remaining[Review] & ANN_ROWS[Review] or remaining[Annotation] & ANN_ROWS[Annotation]:
        return (
            "Reader 123 is gone but not her reviews and annotations: a bulk DELETE statement skips the ORM cascade "
            "and leaves rows pointing at a reader that no longer exists. Use db.session.delete(ann)."
        )
    extra = {model.__name__: sorted(ids - ANN_ROWS[model]) for model, ids in gone.items() if ids - ANN_ROWS[model]}
    return f"You deleted more than reader 123 and her rows: {extra}."
