"""Checkpoints of the database exercise: one reader, her reviews through a relationship, a count, a related book."""

from course_lib.checks.checkpoint import Attempt, checkpoint
from course_lib.checks.rows import lookup, number_problem, one_problem, rows_problem
from course_lib.checks.verdict import Verdict, mistake, passed
from course_lib.models import Book, Reader, Review
from course_lib.seed import REVIEWS

ANN = "the_database.ann"
ANN_REVIEWS = "the_database.ann_reviews"
REVIEW_COUNT = "the_database.review_count"
ANNOTATED_BOOK = "the_database.annotated_book"


@checkpoint(ANN)
def judge_ann(attempt: Attempt) -> Verdict:
    """Pass when ann is reader 123."""
    problem = one_problem("ann", lookup(attempt.namespace, "ann"), Reader, 123)
    return mistake(ANN, problem) if problem else passed(ANN, "ann is reader 123, Ann Adams.")


@checkpoint(ANN_REVIEWS)
def judge_ann_reviews(attempt: Attempt) -> Verdict:
    """Pass when ann_reviews lists exactly Ann's reviews."""
    problem = rows_problem("ann_reviews", lookup(attempt.namespace, "ann_reviews"), Review, [111, 113])
    return mistake(ANN_REVIEWS, problem) if problem else passed(ANN_REVIEWS, "ann_reviews holds reviews 111 and 113.")


@checkpoint(REVIEW_COUNT)
def judge_review_count(attempt: Attempt) -> Verdict:
    """Pass when review_count is the number of reviews."""
    problem = number_problem("review_count", lookup(attempt.namespace, "review_count"), len(REVIEWS))
    return mistake(REVIEW_COUNT, problem) if problem else passed(REVIEW_COUNT, f"review_count is {len(REVIEWS)}.")


@checkpoint(ANNOTATED_BOOK)
def judge_annotated_book(attempt: Attempt) -> Verdict:
    """Pass when annotated_book is the book annotation 331 is about."""
    value = lookup(attempt.namespace, "annotated_book")
    problem = one_problem("annotated_book", value, Book, 19)
    if problem and isinstance(value, Reader):
        problem = "annotated_book is a Reader: that is the annotation's author. Follow the relationship to its book."
    if problem:
        return mistake(ANNOTATED_BOOK, problem)
    return passed(ANNOTATED_BOOK, "annotated_book is book 19, Guns, Germs and Steel.")
