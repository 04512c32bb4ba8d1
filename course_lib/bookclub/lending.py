"""The club's shelf (lesson 08): copies of each book and how many are on loan, a counter two requests change at once.

Its table lives in a metadata of its own, created only on the databases of lesson 08 (`start_lesson(shared=True)`)
and of its checks: every other lesson's database keeps exactly the four tables of the book club.
"""

from __future__ import annotations

from sqlalchemy import Connection, ForeignKey, insert
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry

from course_lib.bookclub.models import Base, Book
from course_lib.bookclub.seed import BOOKS

COPIES = 5  # copies of each book the club owns


class Lending(DeclarativeBase):
    """Declarative base of the shelf, with its own metadata; built and printed as the book club's models are."""

    registry = registry(constructor=Base.registry.constructor)  # keyword arguments for mapped attributes only
    __repr__ = Base.__repr__


class Shelf(Lending):
    """A book's place on the club's shelf: copies owned, copies on loan, and a version number."""

    __tablename__ = "shelf"

    book_id: Mapped[int] = mapped_column(ForeignKey(Book.id), primary_key=True)
    copies: Mapped[int]
    on_loan: Mapped[int]
    version: Mapped[int]


class VersionedShelf(Lending):
    """The same table, mapped with a version counter: each UPDATE checks and raises the version (optimistic locking)."""

    __table__ = Shelf.__table__
    __mapper_args__ = {"version_id_col": Shelf.__table__.c.version}  # noqa: RUF012 (SQLAlchemy reads a plain dict)


SHELF_MODELS = (Shelf, VersionedShelf)


def create_shelf(connection: Connection) -> None:
    """Create the shelf's table and put every book on it, none on loan (the caller's transaction commits it)."""
    Lending.metadata.create_all(connection)
    rows = [{"book_id": book_id, "copies": COPIES, "on_loan": 0, "version": 1} for book_id, *_ in BOOKS]
    connection.execute(insert(Shelf), rows)
