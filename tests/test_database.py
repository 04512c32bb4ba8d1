"""Fresh seeded databases: the seed data, independence, COURSE_DATABASE, constraints, cascades, savepoints, reprs."""

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from course_lib.bookclub.database import (
    DATABASE_VARIABLE,
    create_course_app,
    database_url,
    dispose,
    is_in_memory_sqlite,
)
from course_lib.bookclub.models import Annotation, Book, Reader, Review, db
from course_lib.bookclub.seed import ANNOTATIONS, BOOKS, READERS, REVIEWS


@pytest.fixture
def app():
    app = create_course_app()
    with app.app_context():
        yield app
        db.session.remove()
    dispose(app)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_fresh_database_holds_exactly_the_seed_data(app):
    readers = db.session.execute(select(Reader.id, Reader.name, Reader.surname, Reader.email).order_by(Reader.id))
    assert readers.all() == sorted(READERS)
    assert [count(model) for model in (Book, Review, Annotation)] == [len(BOOKS), len(REVIEWS), len(ANNOTATIONS)]
    assert db.session.get(Book, 19).year == 2019
    assert db.session.get(Annotation, 331).author.name == "Sam"
    assert [review.id for review in db.session.get(Book, 12).reviews] == [111, 112]


def test_each_app_has_its_own_database(app):
    db.session.add(Reader(name="Peter", surname="Johnson", email="peter.johnson@example.com"))
    db.session.commit()
    other = create_course_app()
    with other.app_context():
        assert count(Reader) == len(READERS)
        db.session.remove()
    dispose(other)
    assert count(Reader) == len(READERS) + 1


def test_generated_ids_follow_the_largest_seed_id(app):
    reader = Reader(name="Nova", surname="Yeni", email="nova.yeni@example.com")
    db.session.add(reader)
    assert reader.id is None
    db.session.commit()
    assert reader.id == 754


def test_course_database_variable_chooses_the_database(monkeypatch, tmp_path):
    url = f"sqlite:///{tmp_path / 'club.db'}"
    monkeypatch.setenv(DATABASE_VARIABLE, url)
    assert database_url() == url
    monkeypatch.delenv(DATABASE_VARIABLE)
    assert database_url() == "sqlite://"


def test_a_database_file_is_reset_to_the_seed_data_every_time(tmp_path):
    url = f"sqlite:///{tmp_path / 'club.db'}"
    assert not is_in_memory_sqlite(url)
    for _ in range(2):
        app = create_course_app(url)
        with app.app_context():
            assert count(Reader) == len(READERS)
            db.session.add(Reader(name="Peter", surname="Johnson", email="peter.johnson@example.com"))
            db.session.commit()
            db.session.remove()
        dispose(app)


def test_email_is_unique_and_the_error_names_the_column(app):
    db.session.add(Reader(name="Ann", surname="Other", email="ann.adams@example.com"))
    with pytest.raises(IntegrityError, match=r"UNIQUE constraint failed: reader\.email"):
        db.session.commit()
    db.session.rollback()


def test_deleting_a_reader_cascades_to_reviews_and_annotations(app):
    db.session.delete(db.session.get(Reader, 123))
    db.session.commit()
    assert db.session.scalars(select(Review.id).order_by(Review.id)).all() == [112, 114, 116, 117]
    assert db.session.scalars(select(Annotation.id).order_by(Annotation.id)).all() == [331, 333, 334]


def test_savepoint_rollback_keeps_the_outer_transaction(app):
    db.session.add(Reader(name="Ada", surname="Byron", email="ada.byron@example.com"))
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(Reader(name="Ann", surname="Again", email="ann.adams@example.com"))
    db.session.commit()
    emails = db.session.scalars(select(Reader.email)).all()
    assert "ada.byron@example.com" in emails
    assert emails.count("ann.adams@example.com") == 1


def test_reprs_are_readable_and_deterministic(app):
    assert repr(db.session.get(Reader, 123)) == (
        "Reader(id=123, name='Ann', surname='Adams', email='ann.adams@example.com')"
    )
    assert repr(Reader(name="Nova")) == "Reader(id=None, name='Nova', surname=None, email=None)"
    assert repr(db.session.get(Book, 18)) == (
        "Book(id=18, title='Demian', author_name='Herman', author_surname='Hesse', month='June', year=2018)"
    )


def test_repr_never_raises_when_the_session_needs_a_rollback(app):
    reader = db.session.get(Reader, 123)
    db.session.commit()
    db.session.add(Reader(name="Ann", surname="Again", email="ann.adams@example.com"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    assert repr(reader) == "Reader(id=?, name=?, surname=?, email=?)"
    db.session.rollback()
    assert repr(reader).startswith("Reader(id=123, name='Ann'")
