"""The journal: ids set by hand, and rows flushed but not yet committed."""

import pytest

from course_lib.bookclub.database import create_course_app, dispose
from course_lib.bookclub.models import Book, Reader, db
from course_lib.classroom.journal import flushed_not_committed, id_set_by_hand


@pytest.fixture
def session():
    app = create_course_app()
    with app.app_context():
        yield db.session()
        db.session.remove()
    dispose(app)


def peter(**extra) -> Reader:
    return Reader(name="Peter", surname="Johnson", email="peter.johnson@example.com", **extra)


def test_id_set_by_hand_before_and_after_the_flush(session):
    by_hand, generated = peter(id=900), Reader(name="Kim", surname="Lee", email="kim.lee@example.com")
    assert id_set_by_hand(session, by_hand) and not id_set_by_hand(session, generated)
    session.add_all([by_hand, generated])
    session.commit()
    assert id_set_by_hand(session, by_hand) and not id_set_by_hand(session, generated)
    assert generated.id is not None


def test_flushed_rows_are_uncommitted_until_the_outermost_commit(session):
    reader = peter()
    session.add(reader)
    assert not flushed_not_committed(session, reader)
    session.flush()
    assert flushed_not_committed(session, reader)
    with session.begin_nested():
        other = Reader(name="Kim", surname="Lee", email="kim.lee@example.com")
        session.add(other)
    assert flushed_not_committed(session, other)
    session.commit()
    assert not flushed_not_committed(session, reader) and not flushed_not_committed(session, other)


def test_rollback_forgets_flushed_rows(session):
    reader = peter()
    session.add(reader)
    session.flush()
    session.rollback()
    assert not flushed_not_committed(session, reader)


def test_flushed_updates_and_deletes_are_uncommitted_until_the_commit(session):
    book, ann = db.session.get(Book, 19), db.session.get(Reader, 123)
    session.delete(ann)  # loads ann's reviews and annotations for the cascade: a query, so an autoflush
    book.month = "June"
    assert not flushed_not_committed(session, book) and not flushed_not_committed(session, ann)
    session.flush()
    assert flushed_not_committed(session, book) and flushed_not_committed(session, ann)
    session.commit()
    assert not flushed_not_committed(session, book) and not flushed_not_committed(session, ann)


def test_an_unchanged_dirty_object_is_not_an_uncommitted_update(session):
    book = db.session.get(Book, 19)
    book.month = book.month
    session.flush()
    assert not flushed_not_committed(session, book)
