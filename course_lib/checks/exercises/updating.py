"""Checkpoints of the updating exercise: get book 19, change its month, commit the change."""

from typing import Any

from sqlalchemy import select

from course_lib.bookclub.models import Book, db
from course_lib.bookclub.seed import BOOKS
from course_lib.checks.judging.commits import COMMITTED, FLUSHED, UNSENT, commit_stage, replayed_commit_state, uncalled
from course_lib.checks.judging.replay import flush_error, replay_error, replayed
from course_lib.checks.judging.rows import row_checkpoint
from course_lib.checks.judging.source_code import compares_attribute, creates
from course_lib.checks.registry import Attempt, Evidence, checkpoint
from course_lib.checks.verdict import Finding, mistake, passed
from course_lib.protocol import marked_checkpoints

BOOK_19 = "updating.book_19"
MONTH = "updating.month"
COMMIT = "updating.commit"
COLUMNS = ("title", "author_name", "author_surname", "month", "year")
SEED_BOOKS = {id_: dict(zip(COLUMNS, values, strict=True)) for id_, *values in BOOKS}
EXPECTED = {**SEED_BOOKS, 19: {**SEED_BOOKS[19], "month": "June"}}


row_checkpoint(BOOK_19, "book_19", Book, 19, done="book_19 is book 19, Guns, Germs and Steel.")


def _collect_month(attempt: Attempt) -> Evidence:
    with replayed(attempt) as (_, error):
        error = error or flush_error()
        books = _books() if error is None else {}
    evidence: Evidence = {
        "replay_error": replay_error(error) if error else None,
        "new_book": creates(attempt.answer.source, "Book"),
        "books": [{"id": id_, **columns} for id_, columns in books.items()],
        "source": attempt.answer.source,
    }
    if error is None and COMMIT not in marked_checkpoints(attempt.answer.source):
        evidence["commit"] = replayed_commit_state(attempt, Book, 19, "book_19")
    return evidence


@checkpoint(MONTH, collect=_collect_month)
def judge_month(evidence: Evidence) -> Finding:
    """Book 19's month, and nothing else, must have become June in the replay; and not be committed yet."""
    if evidence["replay_error"] and evidence["new_book"] is True:
        return mistake(
            "You created a new Book instead of changing the one you loaded: the database already holds book 19, so "
            "a second one with its id cannot be stored. Change the loaded object's attribute: "
            f'book_19.month = "June". ({evidence["replay_error"]})'
        )
    if evidence["replay_error"]:
        return mistake(evidence["replay_error"])
    books = {book["id"]: {column: book[column] for column in COLUMNS} for book in evidence["books"]}
    if problem := _change_problem(books, evidence["source"]):
        return mistake(problem)
    commit = evidence.get("commit")
    if commit is not None and "replay_error" not in commit and commit_stage(commit, _june(commit)) == COMMITTED:
        return mistake(
            "Your cell commits, but the task says not to commit yet: the point of this step is to see the change "
            "pending (book_19 is dirty) before the commit. Take db.session.commit() out of this cell, then run the "
            "notebook again from the top.",
        )
    return passed("book 19's month is June, and nothing else changed.")


def _collect_commit(attempt: Attempt) -> Evidence:
    return replayed_commit_state(attempt, Book, 19, "book_19")


@checkpoint(COMMIT, collect=_collect_commit)
def judge_commit(evidence: Evidence) -> Finding:
    """Replayed answers, rolled back at the end: June must survive, so it was committed."""
    if "replay_error" in evidence:
        return mistake(evidence["replay_error"])
    stage = commit_stage(evidence, _june(evidence))
    if stage == COMMITTED:
        return passed("The new month is committed: June survives a rollback.")
    if problem := uncalled(evidence, "commit"):
        return mistake(problem)
    if stage == UNSENT:
        return mistake("The change is only in the session (the object is dirty): nothing sent or committed it.")
    if stage == FLUSHED:
        return mistake(
            "The UPDATE was flushed but not committed: the transaction is still open and a rollback would "
            "bring August back. Call db.session.commit().",
        )
    month = evidence["after_rollback"].get("values", {}).get("month")
    return mistake(f"The database still says {month!r}: the change was rolled back or never made.")


def _june(evidence: Evidence) -> bool:
    after = evidence["after_rollback"]
    return after["kind"] == "object" and after["values"].get("month") == "June"


def _books() -> dict[int, dict[str, Any]]:
    """The scratch database's books (pending changes already flushed)."""
    rows = db.session.execute(select(Book.id, *(getattr(Book, column) for column in COLUMNS)))
    return {row[0]: dict(zip(COLUMNS, row[1:], strict=True)) for row in rows}


def _change_problem(books: dict[int, dict[str, Any]], source: str) -> str | None:
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
