"""Checkpoints of the reading exercise: get, select, where, filter_by, like, endswith, order_by, relationships."""

from typing import Any

from course_lib.bookclub.models import Annotation, Book, Reader, Review
from course_lib.bookclub.seed import REVIEWS
from course_lib.checks.judging.replay import replay_recording, replayed
from course_lib.checks.judging.rows import describe, identities, lookup, row_checkpoint, rows_problem
from course_lib.checks.judging.source_code import sorts_in_python
from course_lib.checks.registry import Attempt, Evidence, checkpoint, judge_of
from course_lib.checks.verdict import Finding, Status, mistake, passed

STARS = {review_id: stars for review_id, stars, *_ in REVIEWS}

#: checkpoint, variable, model, expected primary keys (a list), or one primary key for a single object
ROW_TASKS: list[tuple[str, str, type, list[int] | int]] = [
    ("reading.reviews", "reviews", Review, [111, 112, 113, 114, 116, 117]),
    ("reading.book_1", "book_1", Book, 12),
    ("reading.book_13_reviews", "book_13_reviews", Review, [113, 114]),
    ("reading.book_19_annotations", "book_19_annotations", Annotation, [331]),
    ("reading.author_331", "author_331", Reader, 568),
    ("reading.adams", "adams", Reader, [123, 345]),
    ("reading.sample_emails", "sample_emails", Reader, [653, 753]),
]
ORDERED_REVIEWS = "reading.ordered_reviews"
FIRST_BOOK = "reading.first_book"
S_NAMES_ID = "reading.s_names"
S_NAMES = [123, 345, 450, 568]


def _first_by_year(value: dict[str, Any], problem: str) -> str:
    if value["kind"] == "object" and value["type"] == "Book" and value["identity"] == 18:
        return f"{problem} Book 18 is the earliest by year; the task asks for the first in id order."
    return problem


for _task in ROW_TASKS:
    row_checkpoint(*_task)
row_checkpoint("reading.first_book", "first_book", Book, 14, advice=_first_by_year)
row_checkpoint("reading.s_names", "s_names", Reader, S_NAMES)
_first_book_collect, _first_book_rule = judge_of(FIRST_BOOK).collect, judge_of(FIRST_BOOK).rule
_s_names_collect, _s_names_rule = judge_of(S_NAMES_ID).collect, judge_of(S_NAMES_ID).rule


def _collect_first_book(attempt: Attempt) -> Evidence:
    evidence = _first_book_collect(attempt)
    _, error, statements = replay_recording(attempt, forget=("first_book",))
    evidence["ordered"] = error is None and any(
        "ORDER BY" in statement.upper() for statement in statements if "FROM BOOK" in statement.upper()
    )
    evidence["sorts_in_python"] = sorts_in_python(attempt.answer.source)
    return evidence


@checkpoint(FIRST_BOOK, collect=_collect_first_book)
def judge_first_book(evidence: Evidence) -> Finding:
    """The first book in id order, found with an ORDER BY (or a sort in Python), not by the storage order's luck."""
    finding = _first_book_rule(evidence)
    if finding.status is Status.PASSED and evidence["ordered"] is not True and evidence["sorts_in_python"] is not True:
        return mistake(
            "first_book is Book 14, but only by luck: your query has no ORDER BY, and without one the database may "
            "return rows in any order (here, the order it happened to store them). Add order_by(Book.id) "
            "before .first()."
        )
    return finding


#: Readers whose surname contains an s without ending in one: they tell "ends with s" from "contains an s".
S_INSIDE = [(901, "Rosa", "Mason", "rosa.mason@example.com"), (902, "Sven", "Stone", "sven.stone@example.com")]


def _collect_s_names(attempt: Attempt) -> Evidence:
    evidence = _s_names_collect(attempt)
    extra = [Reader(id=id_, name=name, surname=surname, email=email) for id_, name, surname, email in S_INSIDE]
    with replayed(attempt, forget=("s_names",), extra_rows=extra) as (namespace, error):
        evidence["with_s_inside"] = None if error else describe(lookup(namespace, "s_names"))
    return evidence


@checkpoint(S_NAMES_ID, collect=_collect_s_names)
def judge_s_names(evidence: Evidence) -> Finding:
    """Surnames ending in s, also on a database with surnames that contain an s elsewhere (Mason, Stone)."""
    finding = _s_names_rule(evidence)
    again = evidence["with_s_inside"]
    if finding.status is Status.PASSED and again is not None and again.get("kind") == "list":
        caught = sorted({id_ for id_ in identities(again) if id_ in dict((row[0], row) for row in S_INSIDE)})
        if caught:
            names = " and ".join(row[2] for row in S_INSIDE if row[0] in caught)
            return mistake(
                "s_names is right on this data only by luck: tested on a database that also has readers surnamed "
                f"{names}, your condition picks them too, though their surnames do not end in s. "
                'like("%s%") means "contains an s"; "ends in s" is like("%s") or endswith("s").'
            )
    return finding


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
