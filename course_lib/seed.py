"""The book-club seed data that every lesson and exercise starts from."""

from sqlalchemy.orm import Session

from course_lib.models import Annotation, Book, Reader, Review

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


def add_seed_data(session: Session) -> None:
    """Add the seed readers, books, reviews and annotations to the session (the caller commits)."""
    session.add_all(Reader(id=id_, name=name, surname=surname, email=email) for id_, name, surname, email in READERS)
    session.add_all(
        Book(id=id_, title=title, author_name=name, author_surname=surname, month=month, year=year)
        for id_, title, name, surname, month, year in BOOKS
    )
    session.add_all(
        Review(id=id_, stars=stars, reviewer_id=reader, book_id=book, text=text)
        for id_, stars, reader, book, text in REVIEWS
    )
    session.add_all(
        Annotation(id=id_, reviewer_id=reader, book_id=book, text=text) for id_, reader, book, text in ANNOTATIONS
    )
