"""Checkpoints of the database exercise: one reader, her reviews through a relationship, a count, a related book."""

from typing import Any

from course_lib.bookclub.models import Book, Reader, Review
from course_lib.bookclub.seed import REVIEWS
from course_lib.checks.judging.rows import describe, lookup, number_problem, row_checkpoint
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
