"""The four book-club models, in SQLAlchemy 2.x typed style on Flask-SQLAlchemy 3.1."""

from __future__ import annotations

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import ForeignKey, String, inspect
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry, relationship

CASCADE = "all, delete, delete-orphan"


def _columns_and_relationships_only(self: object, **values: object) -> None:
    """The models' constructor: keyword arguments for mapped columns and relationships only (never `__dict__=...`)."""
    mapped = inspect(type(self)).attrs.keys()
    for key, value in values.items():
        if key not in mapped:
            raise TypeError(f"{key!r} is an invalid keyword argument for {type(self).__name__}")
        setattr(self, key, value)


class Base(DeclarativeBase):
    """Declarative base whose models print as `Model(column=value, ...)`."""

    registry = registry(constructor=_columns_and_relationships_only)

    def __repr__(self) -> str:
        """Show every column, reading only what the object already holds when the session cannot load."""
        columns = [column.key for column in inspect(type(self)).column_attrs]
        try:
            values = {key: getattr(self, key) for key in columns}
        except SQLAlchemyError:
            loaded = inspect(self).dict
            values = {key: loaded.get(key, _Unloaded()) for key in columns}
        fields = ", ".join(f"{key}={value!r}" for key, value in values.items())
        return f"{type(self).__name__}({fields})"


class _Unloaded:
    """Stands for a value the session cannot load right now (for example before a rollback)."""

    def __repr__(self) -> str:
        """Print as a question mark."""
        return "?"


db = SQLAlchemy(model_class=Base)


class Book(db.Model):
    """A book the club reads."""

    __tablename__ = "book"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(80), unique=True, index=True)
    author_name: Mapped[str] = mapped_column(String(50))
    author_surname: Mapped[str] = mapped_column(String(80))
    month: Mapped[str] = mapped_column(String(20))
    year: Mapped[int]

    reviews: Mapped[list[Review]] = relationship(back_populates="book", cascade=CASCADE)
    annotations: Mapped[list[Annotation]] = relationship(back_populates="book", cascade=CASCADE)


class Reader(db.Model):
    """A member of the book club; the email must be unique."""

    __tablename__ = "reader"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    surname: Mapped[str] = mapped_column(String(80))
    email: Mapped[str] = mapped_column(String(120), unique=True, index=True)

    reviews: Mapped[list[Review]] = relationship(back_populates="reviewer", cascade=CASCADE)
    annotations: Mapped[list[Annotation]] = relationship(back_populates="author", cascade=CASCADE)


class Review(db.Model):
    """A reader's star rating and short review of a book."""

    __tablename__ = "review"

    id: Mapped[int] = mapped_column(primary_key=True)
    stars: Mapped[int]
    text: Mapped[str] = mapped_column(String(200))
    book_id: Mapped[int] = mapped_column(ForeignKey("book.id"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reader.id"))

    book: Mapped[Book] = relationship(back_populates="reviews")
    reviewer: Mapped[Reader] = relationship(back_populates="reviews")


class Annotation(db.Model):
    """A reader's note on a book."""

    __tablename__ = "annotation"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(String(200))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("reader.id"))
    book_id: Mapped[int] = mapped_column(ForeignKey("book.id"))

    author: Mapped[Reader] = relationship(back_populates="annotations")
    book: Mapped[Book] = relationship(back_populates="annotations")


MODELS = (Book, Reader, Review, Annotation)
#: Each model's mapped attributes as declared: a lesson's restart puts back any that a student's code replaced.
_DECLARED = {model: {prop.key: model.__dict__[prop.key] for prop in inspect(model).attrs} for model in MODELS}


def clobbered_attributes() -> list[str]:
    """`Model.attribute` for each mapped attribute replaced on the class itself, e.g. by `Book.month = "June"`."""
    return [
        f"{model.__name__}.{key}"
        for model, declared in _DECLARED.items()
        for key, attribute in declared.items()
        if model.__dict__.get(key) is not attribute
    ]


def restore_model_classes() -> None:
    """Put back every mapped attribute a student's code replaced on a model class."""
    for model, declared in _DECLARED.items():
        for key, attribute in declared.items():
            if model.__dict__.get(key) is not attribute:
                type.__setattr__(model, key, attribute)
