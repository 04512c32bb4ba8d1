"""The tutorial kit's helper library: a fresh seeded book-club database per notebook, SQL echo and checks."""

from course_lib.checks import check
from course_lib.lesson import show_sql, start_lesson
from course_lib.models import Annotation, Book, Reader, Review, db

__all__ = ["Annotation", "Book", "Reader", "Review", "check", "db", "show_sql", "start_lesson"]
