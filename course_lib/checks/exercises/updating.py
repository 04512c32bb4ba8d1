"""Checkpoints of the updating exercise: get book 19, change its month, commit the change."""

from sqlalchemy import select

from course_lib.checks.registry import Attempt, judged_in_place
from course_lib.checks.judging.replay import replay_error, replayed
from course_lib.checks.judging.rows import row_checkpoint
from course_lib.checks.judging.source_code import compares_attribute
from course_lib.checks.verdict import Finding, mistake, passed
from course_lib.classroom.journal import flushed_not_committed
from course_lib.bookclub.models import Book, db
from course_lib.bookclub.seed import BOOKS

BOOK_19 = "updating.book_19"
MONTH = "updating.month"
COMMIT = "updating.commit"
COLUMNS = ("title", "author_name", "author_surname", "month", "year")
SEED_BOOKS = {id_: dict(zip(COLUMNS, values, strict=True)) for id_, *values in BOOKS}
EXPECTED = {**SEED_BOOKS, 19: {**SEED_BOOKS[19], "month": "June"}}


row_checkpoint(BOOK_19, "book_19", Book, 19, done="book_19 is book 19, Guns, Germs and Steel.")


@judged_in_place(MONTH)
def judge_month(attempt: Attempt) -> Finding:
    """Replay the answers on a scratch database: book 19's month, and nothing else, must have become June."""
    with replayed(attempt) as (_, error):
        books = _books() if error is None else {}
    if error is not None:
        return mistake(replay_error(error))
    problem = _change_problem(books, attempt.answer.source)
    return mistake(problem) if problem else passed("book 19's month is June, and nothing else changed.")


@judged_in_place(COMMIT)
def judge_commit(attempt: Attempt) -> Finding:
    """Replay the answers on a scratch database, roll back at the end: June must survive, so it was committed."""
    with replayed(attempt) as (_, error):
        if error is not None:
            return mistake(replay_error(error))
        with db.session.no_autoflush:
            book = db.session.get(Book, 19)
        dirty, flushed = book in db.session.dirty, flushed_not_committed(db.session, book)
        db.session.rollback()
        committed_month = db.session.get(Book, 19).month
    if committed_month == "June":
        return passed("The new month is committed: June survives a rollback.")
    if dirty:
        return mistake("The change is only in the session (the object is dirty): nothing sent or committed it.")
    if flushed:
        return mistake("The UPDATE was flushed but not committed: the transaction is still open and a rollback would "
            "bring August back. Call db.session.commit().",
        )
    return mistake(f"The database still says {committed_month!r}: the change was rolled back or never made.")


def _books() -> dict[int, dict[str, object]]:
    """The scratch database's books after sending pending changes."""
    db.session.flush()
    rows = db.session.execute(select(Book.id, *(getattr(Book, column) for column in COLUMNS)))
    return {row[0]: dict(zip(COLUMNS, row[1:], strict=True)) for row in rows}


def _change_problem(books: dict[int, dict[str, object]], source: str) -> str | None:
    """Why the books differ from the seed with book 19 in June (None when they do not)."""
    if books == EXPECTED:
        return None
    month = books.get(19, {}).get("month")
    others = [
        f"book {id_}'s {column} became {books[id_][column]!r}"
        for id_ in sorted(EXPECTED)
        for column in COLUMNS
        if id_ in books and books[id_][column] != EXPECTED[id_][column] and (id_, column) != (19, "month")
    ]
    if others and month == "August":
        return f"You changed the wrong row or column: {'; '.join(others)}; book 19's month is still 'August'."
    if others:
        return f"You also changed what the task did not ask for: {'; '.join(others)}."
    if month == "August" and compares_attribute(source, "month"):
        return "You compared with == instead of assigning: book_19.month == ... changes nothing. Use a single =."
    if month == "August":
        return "book 19's month is still 'August': assign the new month to book_19.month."
    case_hint = " (check capitals and spaces)" if str(month).strip().lower() == "june" else ""
    return f"book 19's month is {month!r}, but the task asks for 'June'{case_hint}."
