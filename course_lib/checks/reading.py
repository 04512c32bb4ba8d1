"""Checkpoints of the reading exercise: get, select, where, filter_by, like, endswith, order_by, relationships."""

from course_lib.checks.checkpoint import Attempt, Judge, checkpoint
from course_lib.checks.rows import identities, lookup, one_problem, rows_problem
from course_lib.checks.verdict import Verdict, mistake, passed
from course_lib.models import Annotation, Book, Reader, Review
from course_lib.seed import REVIEWS

STARS = {review_id: stars for review_id, stars, *_ in REVIEWS}

#: checkpoint, variable, model, expected primary keys (a list), or one primary key for a single object
ROW_TASKS: list[tuple[str, str, type, list[int] | int]] = [
    ("reading.reviews", "reviews", Review, [111, 112, 113, 114, 116, 117]),
    ("reading.book_1", "book_1", Book, 12),
    ("reading.book_13_reviews", "book_13_reviews", Review, [113, 114]),
    ("reading.book_19_annotations", "book_19_annotations", Annotation, [331]),
    ("reading.author_331", "author_331", Reader, 568),
    ("reading.adams", "adams", Reader, [123, 345]),
    ("reading.first_book", "first_book", Book, 14),
    ("reading.s_names", "s_names", Reader, [123, 345, 450, 568]),
    ("reading.sample_emails", "sample_emails", Reader, [653, 753]),
]
ORDERED_REVIEWS = "reading.ordered_reviews"


def _rows_judge(checkpoint_id: str, name: str, model: type, expected: list[int] | int) -> Judge:
    """A judge that passes when the variable holds exactly the expected row or rows."""
    kind = model.__name__

    def judge_rows(attempt: Attempt) -> Verdict:
        value = lookup(attempt.namespace, name)
        if isinstance(expected, int):
            problem = one_problem(name, value, model, expected)
            if problem is None:
                return passed(checkpoint_id, f"{name} is {kind} {expected}.")
            if checkpoint_id == "reading.first_book" and _first_by_year(value):
                problem += " Book 18 is the earliest by year; the task asks for the first in id order."
            return mistake(checkpoint_id, problem)
        problem = rows_problem(name, value, model, expected)
        if problem is None:
            return passed(checkpoint_id, f"{name} holds {kind} {', '.join(map(str, expected))}.")
        return mistake(checkpoint_id, problem)

    return judge_rows


def _first_by_year(value: object) -> bool:
    return isinstance(value, Book) and identities([value]) == [18]


for _task in ROW_TASKS:
    checkpoint(_task[0])(_rows_judge(*_task))


@checkpoint(ORDERED_REVIEWS)
def judge_ordered_reviews(attempt: Attempt) -> Verdict:
    """Pass when ordered_reviews holds every review, sorted by stars from fewest to most."""
    value = lookup(attempt.namespace, "ordered_reviews")
    problem = rows_problem("ordered_reviews", value, Review, sorted(STARS))
    if problem:
        return mistake(ORDERED_REVIEWS, problem)
    stars = [STARS[id_] for id_ in identities(value)]
    if stars == sorted(stars):
        return passed(ORDERED_REVIEWS, "ordered_reviews holds every review, from fewest stars to most.")
    if stars == sorted(stars, reverse=True):
        return mistake(ORDERED_REVIEWS, "ordered_reviews goes from most stars to fewest: the task asks fewest first.")
    return mistake(ORDERED_REVIEWS, f"ordered_reviews is not sorted by stars: the stars go {stars}. Use order_by.")
