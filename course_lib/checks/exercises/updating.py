"""Checkpoints of the updating exercise: book 19 changed, committed, a change rolled back; a taken title refused."""

from typing import Any

from sqlalchemy import inspect, select

from course_lib.bookclub.models import Book, db
from course_lib.bookclub.seed import BOOKS
from course_lib.checks.judging.commits import (
    COMMITTED,
    FLUSHED,
    UNSENT,
    commit_stage,
    not_yet_problem,
    replayed_commit_state,
    uncalled,
)
from course_lib.checks.judging.replay import flush_error, replay_error, replay_observation
from course_lib.checks.judging.rows import describe, lookup, missing_message, row_checkpoint
from course_lib.checks.judging.source_code import calls, compares_attribute, creates, parse
from course_lib.checks.judging.transactions import ROLLBACK as ROLLBACK_EVENT
from course_lib.checks.judging.transactions import first, logged, logged_replay, undone, watched_replay
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
    with watched_replay(attempt, watch=(Book.month,)) as (_, error, events, _statements):
        error = error or flush_error()
        books = _books() if error is None else {}
    evidence: Evidence = {
        "replay_error": replay_error(error) if error else None,
        "new_book": creates(attempt.answer.source, "Book"),
        "books": [{"id": id_, **columns} for id_, columns in books.items()],
        "source": attempt.answer.source,
        "set_june": "set Book.month 19 'June'" in events,
    }
    if error is None and COMMIT not in marked_checkpoints(attempt.answer.source):
        evidence["as_replayed"] = replay_observation(attempt)
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
    if problem := _change_problem(books, evidence["source"], evidence["set_june"] is True):
        return mistake(problem)
    if problem := not_yet_problem(evidence.get("as_replayed"), ("commit",), "the change pending (book_19 dirty)"):
        return mistake(problem)
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


def _change_problem(books: dict[int, dict[str, Any]], source: str, set_june: bool) -> str | None:
    """Why the books differ from the seed with book 19 in June (None when they do not).

    `set_june`: the replay saw book_19.month set to June (then undone, when the month is August again).
    """
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
    if month == "August" and set_june:
        undo = next((f"{name}()" for name in ("refresh", "expire", "rollback") if calls(parse(source), name)), None)
        return (
            f"You set book_19.month to 'June', and then {undo or 'something'} threw the change away: book_19 was "
            "loaded again from the database, which still says 'August'. Keep the change in the session: end the "
            "cell with the assignment."
        )
    if month == "August" and compares_attribute(source, "month"):
        return "You compared with == instead of assigning: book_19.month == ... changes nothing. Use a single =."
    if month == "August":
        return "book 19's month is still 'August': assign the new month to book_19.month."
    case_hint = " (check capitals and spaces)" if str(month).strip().lower() == "june" else ""
    return f"book 19's month is {month!r}, but the task asks for 'June'{case_hint}."


# --- rolling an update back ------------------------------------------------------------------------------------------

ROLLBACK = "updating.rollback"
TRIED = "July"  # the month the answer sets, then rolls back


def _collect_rollback(attempt: Attempt) -> Evidence:
    with watched_replay(attempt, watch=(Book.month,)) as (namespace, error, events, statements):
        if error is not None:
            return {"replay_error": replay_error(error), "source": attempt.answer.source}
        evidence: Evidence = {
            "replay_error": None,
            "source": attempt.answer.source,
            "events": events,
            "update_sent": any(statement.startswith("UPDATE book") for statement in statements),
            "session_active": bool(db.session.is_active),
        }
        book = namespace.get("book_19")
        if isinstance(book, Book) and db.session.is_active:
            state = inspect(book)
            evidence["book_19"] = {
                "detached": bool(state.detached),
                "modified": bool(not state.detached and db.session.is_modified(book)),
                "month": state.dict.get("month") if state.detached else book.month,
            }
        evidence["saved_month"] = _saved_month()
    return evidence


@checkpoint(ROLLBACK, collect=_collect_rollback)
def judge_rollback(evidence: Evidence) -> Finding:
    """Replayed with its transaction watched: July set, then thrown away by a rollback; June everywhere again."""
    if evidence["replay_error"]:
        return mistake(evidence["replay_error"])
    events, source = evidence["events"], evidence["source"]
    if problem := _july_problem(events, evidence["update_sent"]):
        return mistake(problem)
    if evidence["saved_month"] != "June":  # a change survives the check's own rollback only when it was committed
        return mistake(
            f"You committed {TRIED!r} before rolling back: the commit ended the transaction, so the rollback had "
            f"nothing to undo and the database keeps {evidence['saved_month']!r}. Roll back instead of committing.",
        )
    book = evidence.get("book_19")
    if book is None:
        return mistake("book_19 is no longer book 19 from the session: keep book 19 in book_19, then change it.")
    if book["detached"] is True:
        return mistake(
            f"You took book_19 out of the session (expunge): the database never got {TRIED!r}, but book_19 is no "
            f"longer tracked and still says {book['month']!r} in memory. db.session.rollback() throws the change "
            "away and expires book_19, so that it reloads 'June'.",
        )
    by_statement = evidence["update_sent"] and first(events, f"set Book.month 19 {TRIED!r}") is None
    if not (
        undone(events, f"set Book.month 19 {TRIED!r}") or (by_statement and first(events, ROLLBACK_EVENT) is not None)
    ):
        return mistake(_no_rollback(book, source, events))
    if book["month"] != "June" or book["modified"] is True:
        return mistake(
            f"After your rollback book_19 says {book['month']!r}: something changed it again after the rollback. "
            "End the cell with the rollback.",
        )
    return passed(
        f"The rollback threw {TRIED!r} away and expired book_19, which reloaded 'June' from the database: an "
        "uncommitted change is undone.",
    )


def _july_problem(events: list[str], update_sent: bool) -> str | None:
    """Rule: why the answer did not first change book 19's month to July (None when it did)."""
    months = [name.split(" ", 3)[3] for name in events if name.startswith("set Book.month 19 ")]
    if repr(TRIED) in months or update_sent:
        return None
    if months:
        return f"You changed the month to {months[0]}, but the task asks for {TRIED!r} first, then the rollback."
    return f"Your cell never changes book_19's month to {TRIED!r}: change it first, then undo the change."


def _no_rollback(book: Evidence, source: str, events: list[str]) -> str:
    """Rule: what the answer did instead of rolling back, as the replay saw it (the source only names a call)."""
    if problem := uncalled({"source": source}, "rollback"):
        return problem
    tried = first(events, f"set Book.month 19 {TRIED!r}") or 0
    set_back = any(name == "set Book.month 19 'June'" for name in events[tried:])
    if book["month"] == "June" and not set_back:
        reloaded = next((name for name in ("refresh", "expire") if calls(parse(source), name)), "refresh")
        return (
            f"You called {reloaded}(), which reloaded book_19 from the database, instead of rolling back: that "
            "throws away a change not yet sent, but a change already flushed stays in the transaction, and a "
            "commit would save it. Undo with db.session.rollback()."
        )
    if book["month"] == "June":
        return (
            "You set 'June' back by hand: that is a second change, not an undo, and every other change of the "
            "transaction would still be committed. db.session.rollback() throws them all away at once and reloads "
            "what the database holds."
        )
    return (
        f"book_19 still says {book['month']!r}: nothing rolled the change back, so the next commit would save it. "
        "Call db.session.rollback()."
    )


def _saved_month() -> str | None:
    """Collect: roll the scratch session back, then book 19's month as the database keeps it."""
    db.session.rollback()
    return db.session.scalar(select(Book.month).where(Book.id == 19))


# --- a UNIQUE title refused on update -------------------------------------------------------------------------------

UNIQUE_TITLE = "updating.unique_title"
TAKEN = SEED_BOOKS[13]["title"]  # book 13's title, which book 18 is given
SEED_TITLES = {id_: columns["title"] for id_, columns in SEED_BOOKS.items()}


def _collect_unique_title(attempt: Attempt) -> Evidence:
    evidence: Evidence = {"book_18": describe(lookup(attempt.namespace, "book_18")), "source": attempt.answer.source}
    with logged_replay(attempt, watch=(Book.title,)) as replay:
        if replay.error is not None:
            return {**evidence, "replay_error": replay_error(replay.error)}
        session = db.session()
        evidence.update(
            replay_error=None,
            events=replay.events,
            log=replay.log,
            session_active=bool(session.is_active),
            pending=bool(session.is_active and any(session.is_modified(book) for book in session.dirty)),
        )
        session.rollback()
        evidence["titles"] = dict(session.execute(select(Book.id, Book.title)).all())
    return evidence


@checkpoint(UNIQUE_TITLE, collect=_collect_unique_title)
def judge_unique_title(evidence: Evidence) -> Finding:
    """Replayed with its SQL logged: book 18 given book 13's title, the UPDATE refused, rolled back, session usable."""
    if evidence["book_18"]["kind"] == "missing":
        return mistake(missing_message("book_18", evidence["book_18"].get("leftover") is True))
    if evidence["replay_error"]:
        return mistake(evidence["replay_error"])
    changed = sorted(set(_retitled(evidence["events"])))
    if changed and "18" not in changed:
        ids = ", ".join(changed)
        return mistake(f"You changed the title of book {ids}: the task asks you to give book 18 the title of book 13.")
    titles = {int(id_): title for id_, title in evidence["titles"].items()}
    if committed := [f"book {id_} is now {title!r}" for id_, title in titles.items() if SEED_TITLES.get(id_) != title]:
        return mistake(
            f"Your change was committed, not refused: {'; '.join(committed)}. Give book 18 the title book 13 keeps, "
            f"{TAKEN!r}, letter for letter: the UNIQUE rule on titles then refuses it.",
        )
    if not logged(evidence["log"], "UPDATE book SET title"):
        return mistake(_unsent(evidence))
    if evidence["session_active"] is not True:
        return mistake(
            uncalled(evidence, "rollback")
            or "When the commit failed, your except branch did not roll back: the session is left in the failed "
            "transaction, and its next use raises PendingRollbackError. Call db.session.rollback() in the except "
            "branch.",
        )
    return passed(
        f"The database refused the UPDATE (book titles are UNIQUE), your except branch rolled back, and the session "
        f"is usable again: book 18 is still {SEED_TITLES[18]!r}.",
    )


def _retitled(events: list[str]) -> list[str]:
    """Rule helper: the ids of the stored books whose title the answer set ("set Book.title 18 'x'")."""
    words = [name.split(" ") for name in events if name.startswith("set Book.title ")]
    return [parts[2] for parts in words if len(parts) > 3 and parts[2].isdigit()]


def _unsent(evidence: Evidence) -> str:
    """Rule: why the new title never reached the database (no UPDATE sent)."""
    if problem := uncalled(evidence, "commit"):
        return problem
    if evidence["pending"] is True:
        return (
            "The new title is only in the session: nothing sent its UPDATE, so the database has not refused it yet. "
            "Commit it inside try, and roll back in the except IntegrityError branch."
        )
    if any(name.startswith("set Book.title ") for name in evidence["events"]):
        return (
            "You rolled back before the UPDATE was sent: the change was thrown away before the database could "
            "refuse it. Commit it first, inside try, and roll back in the except branch."
        )
    return f"Your cell never changes a title: give book_18 the title {TAKEN!r}, then commit it inside try/except."
