"""Checkpoints of the reading exercise: get, select, where, filter_by, like, endswith, order_by, relationships."""

from typing import Any

from course_lib.checks.judging.rows import describe, identities, lookup, row_checkpoint, rows_problem
from course_lib.checks.registry import Attempt, Evidence, checkpoint
from course_lib.checks.verdict import Finding, mistake, passed
from course_lib.bookclub.models import Annotation, Book, Reader, Review
from course_lib.bookclub.seed import REVIEWS

STARS = {review_id: stars for review_id, stars, *_ in REVIEWS}

#: checkpoint, variable, model, expected primary keys (a list), or one primary key for a single object
ROW_TASKS: list[tuple[str, str, type, list[int] | int]] = [
    ("reading.reviews", "reviews", Review, [111, 112, 113, 114, 116, 117]),
    ("reading.book_1", "book_1", Book, 12),
    ("reading.book_13_reviews", "book_13_reviews", Review, [113, 114]),
    ("reading.book_19_annotations", "book_19_annotations", Annotation, [331]),
    ("reading.author_331", "author_331", Reader, 568),
    ("reading.adams", "adams", Reader, [123, 345]),
    ("reading.s_names", "s_names", Reader, [123, 345, 450, 568]),
    ("reading.sample_emails", "sample_emails", Reader, [653, 753]),
]
ORDERED_REVIEWS = "reading.ordered_reviews"


def _first_by_year(value: dict[str, Any], problem: str) -> str:
    if value["kind"] == "object" and value["type"] == "Book" and value["identity"] == 18:
        return f"{problem} Book 18 is the earliest by year; the task asks for the first in id order."
    return problem


for _task in ROW_TASKS:
    row_checkpoint(*_task)
row_checkpoint("reading.first_book", "first_book", Book, 14, advice=_first_by_year)


def _collect_ordered_reviews(attempt: Attempt) -> Evidence:
    return {"ordered_reviews": describe(lookup(attempt.namespace, "ordered_reviews"))}


@checkpoint(ORDERED_REVIEWS, collect=_collect_ordered_reviews)
def judge_ordered_reviews(evidence: Evidence) -> Finding:
    """Pass when ordered_reviews holds every review, sorted by stars from fewest to most."""
    value = evidence["ordered_reviews"]
    problem = rows_problem("ordered_reviews", value, Review, sorted(STARS))
    if problem:
        return mistake(problem)
    stars = [STARS[id_] for id_ in identities(value)]
    if stars == sorted(stars):
        return passed("ordered_reviews holds every review, from fewest stars to most.")
    if stars == sorted(stars, reverse=True):
        return mistake("ordered_reviews goes from most stars to fewest: the task asks fewest first.")
    return mistake(f"ordered_reviews is not sorted by stars: the stars go {stars}. Use order_by.")
