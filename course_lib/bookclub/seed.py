"""The book-club seed data that every lesson and exercise starts from."""

from sqlalchemy import Connection, insert

from course_lib.bookclub.models import Annotation, Book, Reader, Review

READERS = [
    (123, "Ann", "Adams", "ann.adams@example.com"),
    (345, "Sam", "Adams", "sam.adams@example.com"),
    (450, "Kim", "Smalls", "kim.smalls@example.com"),
    (568, "Sam", "Smalls", "sam.smalls@example.com"),
    (753, "Tom", "Fox", "tom.fox@sample.edu"),
    (653, "Earl", "Grey", "earl.grey@sample.com"),
]
BOOKS = [
    (12, "Hundred years of solitude", "Gabriel", "Garcia Marquez", "April", 2020),
    (13, "The Stranger", "Albert", "Camus", "May", 2020),
    (14, "The Book of Why", "Judea", "Pearl", "September", 2019),
    (18, "Demian", "Herman", "Hesse", "June", 2018),
    (19, "Guns, Germs and Steel", "Jared", "Diamond", "August", 2019),
]
REVIEWS = [
    (111, 5, 123, 12, "This book is amazing..."),
    (112, 3, 345, 12, "Beautiful, but the family tree is hard to follow."),
    (113, 2, 123, 13, "Too cold for my taste."),
    (114, 4, 345, 13, "Short, strange and unforgettable."),
    (116, 3, 568, 19, "Big ideas, a little long."),
    (117, 5, 450, 19, "Changed how I see history."),
]
ANNOTATIONS = [
    (331, 568, 19, "Human history is a function of geography."),
    (332, 123, 13, "The first line says it all."),
    (333, 345, 13, "Note the heat of the sun in every chapter."),
    (334, 450, 18, "The bird fights its way out of the egg."),
]


def insert_seed_data(connection: Connection) -> None:
    """Insert the seed rows through a Core connection (the caller's transaction commits them)."""
    tables = (
        (Reader, ("id", "name", "surname", "email"), READERS),
        (Book, ("id", "title", "author_name", "author_surname", "month", "year"), BOOKS),
        (Review, ("id", "stars", "reviewer_id", "book_id", "text"), REVIEWS),
        (Annotation, ("id", "reviewer_id", "book_id", "text"), ANNOTATIONS),
    )
    for model, columns, rows in tables:
        connection.execute(insert(model), [dict(zip(columns, row, strict=True)) for row in rows])
