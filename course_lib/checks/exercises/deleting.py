"""Checkpoints of the deleting exercise: delete reader 123 through the ORM, commit, see the cascade's effect."""

from sqlalchemy import select

from course_lib.bookclub.models import Annotation, Reader, Review, db
from course_lib.bookclub.seed import ANNOTATIONS, READERS, REVIEWS
from course_lib.checks.judging.commits import COMMITTED, FLUSHED, UNSENT, commit_stage, replayed_commit_state, uncalled
from course_lib.checks.judging.replay import flush_error, replay_error, replayed
from course_lib.checks.judging.rows import describe, identities, lookup, one_problem, rows_problem
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
            evidence["remaining"] = {name: sorted(db.session.scalars(select(model.id))) for name, model in MODELS.items()}
    return evidence


@checkpoint(DELETE, collect=_collect_delete)
def judge_delete(evidence: Evidence) -> Finding:
    """The replayed answer: reader 123 and, through the cascade, her rows must be gone."""
    problem = one_problem("ann", evidence["ann"], Reader, 123)
    if problem and "There is no variable" in problem:
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
