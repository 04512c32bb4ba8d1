"""Checkpoints of the database exercise: one reader, her reviews, a count, a related book, a transaction ended."""

import re
from typing import Any

from sqlalchemy import func, select

from course_lib.bookclub.models import Book, Reader, Review, db
from course_lib.bookclub.seed import BOOKS, REVIEWS
from course_lib.checks.judging.commits import uncalled
from course_lib.checks.judging.replay import replay_error, run_answer, run_answers, scratch_database, scratch_namespace
from course_lib.checks.judging.rows import describe, lookup, number_problem, row_checkpoint
from course_lib.checks.judging.transactions import transaction_log
from course_lib.checks.registry import Attempt, Evidence, checkpoint
from course_lib.checks.verdict import Finding, mistake, passed

REVIEW_COUNT = "the_database.review_count"


def _author_instead_of_book(value: dict[str, Any], problem: str) -> str:
    if value["kind"] == "object" and value["type"] == "Reader":
        return "annotated_book is a Reader: that is the annotation's author. Follow the relationship to its book."
    return problem


row_checkpoint("the_database.ann", "ann", Reader, 123, done="ann is reader 123, Ann Adams.")
row_checkpoint(
    "the_database.ann_reviews", "ann_reviews", Review, [111, 113], done="ann_reviews holds reviews 111 and 113."
)
row_checkpoint(
    "the_database.annotated_book",
    "annotated_book",
    Book,
    19,
    done="annotated_book is book 19, Guns, Germs and Steel.",
    advice=_author_instead_of_book,
)


def _collect_review_count(attempt: Attempt) -> Evidence:
    return {"review_count": describe(lookup(attempt.namespace, "review_count"))}


@checkpoint(REVIEW_COUNT, collect=_collect_review_count)
def judge_review_count(evidence: Evidence) -> Finding:
    """Pass when review_count is the number of reviews."""
    problem = number_problem("review_count", evidence["review_count"], len(REVIEWS))
    return mistake(problem) if problem else passed(f"review_count is {len(REVIEWS)}.")


# --- a transaction seen in the SQL -----------------------------------------------------------------------------------

TRANSACTION = "the_database.transaction"
ENDS = ("COMMIT", "ROLLBACK")  # the log lines that end a transaction (ROLLBACK TO SAVEPOINT does not)
BOOK_QUERY = re.compile(r"^SELECT .*\bFROM book\b")


def _collect_transaction(attempt: Attempt) -> Evidence:
    evidence: Evidence = {
        "book_count": describe(lookup(attempt.namespace, "book_count")),
        "source": attempt.answer.source,
    }
    with scratch_database() as scratch_app:
        namespace = scratch_namespace(attempt.namespace, scratch_app)
        error = run_answers([run.source for run in attempt.earlier], namespace, attempt.transform)
        if error is None and not db.session().in_transaction():
            db.session.scalar(select(func.count()).select_from(Reader))  # the reads the task starts from
        with transaction_log() as log:
            error = error or run_answer(attempt.answer.source, namespace, attempt.transform)
        evidence["replay_error"] = replay_error(error) if error else None
        evidence["log"] = log
        evidence["open_after"] = bool(db.session().in_transaction())
    return evidence


@checkpoint(TRANSACTION, collect=_collect_transaction)
def judge_transaction(evidence: Evidence) -> Finding:
    """The replayed answer's SQL: COMMIT (or ROLLBACK), then a BEGIN, then the count of the books; book_count right."""
    if evidence["replay_error"]:
        return mistake(evidence["replay_error"])
    if problem := number_problem("book_count", evidence["book_count"], len(BOOKS)):
        return mistake(problem)
    log = evidence["log"]
    ends = [index for index, line in enumerate(log) if line in ENDS]
    queries = [index for index, line in enumerate(log) if BOOK_QUERY.match(line)]
    if not ends:
        return mistake(
            uncalled(evidence, "commit")
            or "Your cell never ends the transaction your reads began: its SQL has no COMMIT (or ROLLBACK), so the "
            "count ran in that same transaction. Call db.session.commit() before counting.",
        )
    if not queries:
        return mistake(
            "Your cell ends the transaction but sends no query for the books: book_count must come from the "
            "database, counted in the new transaction, so that the SQL shows its BEGIN and its SELECT. Count with "
            "select(func.count()).select_from(Book).",
        )
    begun = [index for index, line in enumerate(log) if line.startswith("BEGIN") and index > ends[0]]
    if not begun or queries[-1] < begun[0]:
        return mistake(
            f"You counted before ending the transaction: the count ran in the transaction your reads began, and "
            f"the {log[ends[0]]} came after it. End the transaction first, then count: the count's BEGIN shows the "
            "new transaction.",
        )
    return passed(
        f"The {log[ends[0]]} ended the transaction your reads began, and the count began a new one (BEGIN, then its "
        f"SELECT): book_count is {len(BOOKS)}.",
    )
