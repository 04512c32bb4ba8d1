"""Exercise 08's checkpoints: two requests at once on a scratch database they share; every misconception named.

The checks replay each answer on scratch databases of their own, so one shell serves the whole module: each test
starts from the setup's names, its answers forgotten (an IPython reset per test would cost more than the checks).
"""

from collections.abc import Iterator

import pytest
from conftest import SETUP_CELL, FakeNotebook
from IPython.core.interactiveshell import InteractiveShell

from course_lib.checks import Status
from course_lib.checks.admission import refusals
from course_lib.classroom import lesson
from course_lib.classroom.answer_log import ANSWERS

IMPORTS = (
    "from sqlalchemy import insert, select, text, update\n"
    "from sqlalchemy.exc import IntegrityError, OperationalError\n"
    "from sqlalchemy.orm.exc import StaleDataError\n"
    "from course_lib import Reader, Shelf, VersionedShelf\n"
)
SIGN_UP = "two_requests.sign_up"
LEND = "two_requests.lend"
RETRY = "two_requests.retry"

GUARDED_SIGN_UP = """
def sign_up(session, name, surname, email):
    reader = Reader(name=name, surname=surname, email=email)
    session.add(reader)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    return reader.id
"""
CHECK_FIRST = """
def sign_up(session, name, surname, email):
    if session.scalar(select(Reader.id).filter_by(email=email)) is not None:
        return None
    reader = Reader(name=name, surname=surname, email=email)
    session.add(reader)
{commit}
    return reader.id
"""
COMMIT = "    session.commit()"
GUARDED_COMMIT = """    try:
        session.commit()
    except {caught}:
        session.rollback()
        return {gives}"""
UPSERT = """
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
def sign_up(session, name, surname, email):
    values = {"name": name, "surname": surname, "email": email}
    new_id = session.scalar(sqlite_insert(Reader).values(values).on_conflict_do_nothing().returning(Reader.id))
    session.commit()
    return new_id
"""
SAVEPOINT = """
def sign_up(session, name, surname, email):
    reader = Reader(name=name, surname=surname, email=email)
    try:
        with session.begin_nested():
            session.add(reader)
    except IntegrityError:
        session.rollback()
        return None
    session.commit()
    return reader.id
"""
TIRED = """
calls = []
def sign_up(session, name, surname, email):
    calls.append(1)
    if len(calls) == 3:  # the first request of the race (the other one would run inside it)
        raise RuntimeError("tired")
    reader = Reader(name=name, surname=surname, email=email)
    session.add(reader)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    return reader.id
"""
BUSY = """
running = []
def sign_up(session, name, surname, email):
    if running:  # the other request of the race runs while the first one waits
        raise RuntimeError("busy")
    running.append(1)
    reader = Reader(name=name, surname=surname, email=email)
    session.add(reader)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    finally:
        running.clear()
    return reader.id
"""
TRY_AGAIN = """
def sign_up(session, name, surname, email):
    if session.scalar(select(Reader.id).filter_by(email=email)) is not None:
        return None
    reader = Reader(name=name, surname=surname, email=email)
    session.add(reader)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    except OperationalError:
        session.rollback()
        return "try again"
    return reader.id
"""


@pytest.fixture(scope="module")
def shell() -> Iterator[FakeNotebook]:
    shell = InteractiveShell.instance()
    shell.reset(new_session=False)
    fake = FakeNotebook(shell)
    fake.run(SETUP_CELL + IMPORTS)
    fake.baseline = set(shell.user_ns)
    yield fake
    shell.reset(new_session=False)
    lesson._end_previous_lesson()


@pytest.fixture
def notebook(shell, request) -> Iterator[FakeNotebook]:
    """The module's shell with the names of earlier tests' answers gone, and no answer run yet.

    Afterwards, as with conftest's notebook, every cell the test ran must be admitted by the grader, unless the test
    says with @pytest.mark.outside_vocabulary that it runs code outside the course's vocabulary on purpose.
    """
    for name in set(shell.shell.user_ns) - shell.baseline:
        del shell.shell.user_ns[name]
    ANSWERS.clear()
    start = len(shell.ran)
    yield shell
    if request.node.get_closest_marker("outside_vocabulary") is None:
        held = refusals(enumerate(shell.ran[start:]))
        assert not held, f"an honest answer would be held for review: {held[0].sentence()}"


def verdict_of(notebook, checkpoint: str, body: str):
    notebook.answer(checkpoint, body)
    return notebook.verdict(checkpoint)


@pytest.mark.parametrize(
    ("body", "tip"),
    [
        (GUARDED_SIGN_UP, None),
        (UPSERT, None),
        (SAVEPOINT, None),
        (CHECK_FIRST.format(commit=GUARDED_COMMIT.format(caught="Exception", gives="None")), "is not needed"),
    ],
    ids=["try/except", "upsert", "savepoint", "checking first, catching every error"],
)
def test_sign_up_passes_in_every_style(notebook, body, tip):
    verdict = verdict_of(notebook, SIGN_UP, body)
    assert verdict.status is Status.PASSED, verdict
    assert "Two requests signed up the same new email at once: the first to commit got the id" in verdict.message
    assert (tip in verdict.message) if tip else ("Tip" not in verdict.message)


SIGN_UP_MISTAKES = {
    "checking first": (
        CHECK_FIRST.format(commit=COMMIT),
        "Your sign_up looks the email up first: both requests found it free, the other one committed, and your "
        "INSERT then failed with OperationalError: database is locked. A SELECT reserves nothing",
    ),
    "checking first, then catching IntegrityError only": (
        CHECK_FIRST.format(commit=GUARDED_COMMIT.format(caught="IntegrityError", gives="None")),
        "Your sign_up looks the email up first",
    ),
    "no rollback": (
        GUARDED_SIGN_UP.replace("        session.rollback()\n", ""),
        "catches the failure but does not roll back: the session stays in its failed transaction",
    ),
    "no try/except": (
        GUARDED_SIGN_UP.replace(GUARDED_COMMIT.format(caught="IntegrityError", gives="None"), COMMIT),
        "lets the IntegrityError escape: the UNIQUE constraint refused the INSERT",
    ),
    "another error for a taken email": (
        GUARDED_SIGN_UP.replace("        return None", "        raise RuntimeError('taken')"),
        "With an email already taken (Ann's), your sign_up raised RuntimeError: taken.",
    ),
    "flushed, never committed": (
        GUARDED_SIGN_UP.replace("session.commit()", "session.flush()"),
        "Your sign_up never commits: Lin Wu stays in its transaction, and a new request does not see her",
    ),
    "nothing added": (
        GUARDED_SIGN_UP.replace("    session.add(reader)\n", ""),
        "Lin Wu is not in the database after your sign_up",
    ),
    "db.session, not the session given": (
        GUARDED_SIGN_UP.replace("session.", "db.session."),
        "Your sign_up did not use the session it is given: its statements went through another session",
    ),
    "db.session, flushed only": (
        GUARDED_SIGN_UP.replace("session.", "db.session.").replace("commit()", "flush()"),
        "Your sign_up did not use the session it is given",
    ),
    "the reader, not its id": (
        GUARDED_SIGN_UP.replace("return reader.id", "return reader"),
        "For Lin Wu your sign_up returns a Reader object; the task asks for her new id, 754",
    ),
    "False for a taken email": (
        GUARDED_SIGN_UP.replace("return None", "return False"),
        "With an email already taken, your sign_up returns a bool; the task asks for None.",
    ),
    "a parameter missing": (
        GUARDED_SIGN_UP.replace("(session, name, surname, email)", "(session, email)"),
        "Signing up Lin Wu, whose email is new, your sign_up raised TypeError",
    ),
    "not a function": ("sign_up = 3", "sign_up is 3, not a function: define it with def sign_up("),
    "no function": (
        "signup = None",
        "There is no variable named sign_up yet: assign your answer to sign_up. Define it: def sign_up(",
    ),
    "the race answered with a string": (
        TRY_AGAIN,
        "one must get the new id and the other None, with its session rolled back: yours returned",
    ),
    "the race raised without a SELECT": (
        TIRED,
        "When two requests sign up the same new email at once, your sign_up raised RuntimeError: tired.",
    ),
    "the other request raised": (
        BUSY,
        "The other request, signing up the same email at the same time, raised RuntimeError: busy.",
    ),
}


@pytest.mark.outside_vocabulary  # it tells the check's database from the notebook's by its URL
def test_an_answer_that_defines_no_function_on_a_fresh_database_is_named(notebook):
    body = GUARDED_SIGN_UP + "if db.engine.url.database:  # a file: the check's databases\n    sign_up = None"
    verdict = verdict_of(notebook, SIGN_UP, body)
    assert verdict.status is Status.MISTAKE, verdict
    assert "Run again on a fresh database, your answer cells leave no function in sign_up" in verdict.message


@pytest.mark.parametrize("name", SIGN_UP_MISTAKES)
def test_sign_up_mistakes_are_diagnosed(notebook, name):
    body, says = SIGN_UP_MISTAKES[name]
    verdict = verdict_of(notebook, SIGN_UP, body)
    assert verdict.status is Status.MISTAKE, verdict
    assert says in verdict.message


ATOMIC_LEND = """
def lend(session, book_id):
    session.execute(update(Shelf).where(Shelf.book_id == book_id).values(on_loan=Shelf.on_loan + 1))
    session.commit()
"""
READ_THEN_WRITE = """
def lend(session, book_id):
    shelf = session.{read}
    shelf.on_loan += 1{more}
    session.commit()
"""
RETRIED = """
def lend(session, book_id):
    for attempt in range(3):
        try:
            shelf = session.get({model}, book_id)
            shelf.on_loan += 1
            session.commit()
            return
        except (OperationalError, StaleDataError):
            session.rollback()
"""


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (ATOMIC_LEND, "your UPDATE adds 1 in the database, where the other request's commit is already counted"),
        (
            'def lend(session, book_id):\n    session.execute(text("UPDATE shelf SET on_loan = on_loan + 1 WHERE '
            'book_id = :id"), {"id": book_id})\n    session.commit()',
            "your UPDATE adds 1 in the database",
        ),
        (RETRIED.format(model="VersionedShelf"), "your version check refused the stale write and your retry ran it"),
    ],
    ids=["update()", "text()", "a version and a retry"],
)
def test_lend_passes_in_every_style(notebook, body, says):
    verdict = verdict_of(notebook, LEND, body)
    assert verdict.status is Status.PASSED, verdict
    assert says in verdict.message


LEND_MISTAKES = {
    "read, then write in Python": (
        READ_THEN_WRITE.format(read="get(Shelf, book_id)", more=""),
        "Your lend reads on_loan, then writes back a number computed in Python. Another request lent a copy in "
        "between, and your write failed with OperationalError: database is locked",
    ),
    "with_for_update on SQLite": (
        READ_THEN_WRITE.format(
            read="scalars(select(Shelf).where(Shelf.book_id == book_id).with_for_update()).one()", more=""
        ),
        "with_for_update() locks the row on PostgreSQL, but SQLite has no row locks",
    ),
    "a version kept by hand": (
        READ_THEN_WRITE.format(read="get(Shelf, book_id)", more="\n    shelf.version += 1"),
        "You keep the version by hand: your UPDATE sets a new version but does not check the old one",
    ),
    "a version checked, never retried": (
        READ_THEN_WRITE.format(read="get(VersionedShelf, book_id)", more=""),
        "Your lend checks the version (VersionedShelf): when another request lends a copy in between",
    ),
    "read, write in Python, retried": (
        RETRIED.format(model="Shelf"),
        "Both loans counted here only because SQLite refused your first write and your code tried again",
    ),
    "read in a transaction of its own": (
        "def lend(session, book_id):\n    seen = session.get(Shelf, book_id).on_loan\n    session.commit()\n"
        "    session.execute(update(Shelf).where(Shelf.book_id == book_id).values(on_loan=seen + 1))\n"
        "    session.commit()",
        "Two requests each lent a copy of book 19, but the shelf counts 1",
    ),
    "never committed": (
        ATOMIC_LEND.replace("    session.commit()\n", ""),
        "After your lend the shelf still has no copy of book 19 on loan, as a new request sees it",
    ),
    "adds 2": (ATOMIC_LEND.replace("on_loan + 1", "on_loan + 2"), "After one loan the shelf counts 2 copies"),
    "every book": (
        ATOMIC_LEND.replace(".where(Shelf.book_id == book_id)", ""),
        "Your lend changed what the task did not ask for: book 12's on_loan became 1",
    ),
    "db.session, not the session given": (
        ATOMIC_LEND.replace("session.", "db.session."),
        "Your lend did not use the session it is given",
    ),
    "db.session, never committed": (
        ATOMIC_LEND.replace("session.", "db.session.").replace("    db.session.commit()\n", ""),
        "Your lend did not use the session it is given",
    ),
    "a parameter missing": (
        ATOMIC_LEND.replace("(session, book_id)", "(session)").replace("== book_id", "== 19"),
        "Lending a copy of book 19, your lend raised TypeError",
    ),
    "the race raised after no read": (
        """
calls = []
def lend(session, book_id):
    calls.append(1)
    if len(calls) == 2:  # the first request of the race
        raise RuntimeError("tired")
    session.execute(update(Shelf).where(Shelf.book_id == book_id).values(on_loan=Shelf.on_loan + 1))
    session.commit()
""",
        "When another request lends a copy at the same time, your lend raised RuntimeError: tired.",
    ),
    "the other request raised": (
        """
running = []
def lend(session, book_id):
    if running:  # the other request of the race runs while the first one waits
        raise RuntimeError("busy")
    running.append(1)
    session.execute(update(Shelf).where(Shelf.book_id == book_id).values(on_loan=Shelf.on_loan + 1))
    session.commit()
    running.clear()
""",
        "The other request, lending a copy at the same time, raised RuntimeError: busy.",
    ),
}


@pytest.mark.parametrize("name", LEND_MISTAKES)
def test_lend_mistakes_are_diagnosed(notebook, name):
    body, says = LEND_MISTAKES[name]
    verdict = verdict_of(notebook, LEND, body)
    assert verdict.status is Status.MISTAKE, verdict
    assert says in verdict.message


RETRY_LOOP = """
def run_with_retry(session, work):
    for attempt in range(1, 4):
        try:
            result = work(session)
            session.commit()
            return result
        except OperationalError:
            session.rollback()
            if attempt == 3:
                raise
"""
WHILE_LOOP = """
def run_with_retry(session, work):
    attempts = 0
    while True:
        attempts += 1
        try:
            result = work(session)
            session.commit()
        except OperationalError:
            session.rollback()
            if attempts >= 3:
                raise
        else:
            return result
"""


@pytest.mark.parametrize("body", [RETRY_LOOP, WHILE_LOOP], ids=["for", "while"])
def test_retry_passes_in_every_style(notebook, body):
    verdict = verdict_of(notebook, RETRY, body)
    assert verdict.status is Status.PASSED, verdict
    assert "Refused once, your run_with_retry rolled back and the second attempt succeeded" in verdict.message


RETRY_MISTAKES = {
    "retried without a rollback": (
        RETRY_LOOP.replace("            session.rollback()\n", ""),
        "tried again without rolling back: the session was still in its failed transaction",
    ),
    "never gives up": (
        RETRY_LOOP.replace("for attempt in range(1, 4):", "while True:").replace(
            "            if attempt == 3:\n                raise\n", ""
        ),
        "your run_with_retry never stops (the check stopped it after 10 attempts)",
    ),
    "gives up in silence": (
        RETRY_LOOP.replace("            if attempt == 3:\n                raise\n", ""),
        "After the last refusal your run_with_retry returns None instead of raising the error again",
    ),
    "the commit outside the try": (
        """
def run_with_retry(session, work):
    for attempt in range(1, 4):
        try:
            result = work(session)
        except OperationalError:
            session.rollback()
            if attempt == 3:
                raise
            continue
        session.commit()
        return result
""",
        "let the error escape. The refusal comes from the commit",
    ),
    "retries an IntegrityError": (
        RETRY_LOOP.replace("except OperationalError:", "except Exception:"),
        "a retry cannot fix data that breaks a constraint, it only repeats the failure",
    ),
    "hides an IntegrityError": (
        """
def run_with_retry(session, work):
    for attempt in range(1, 4):
        try:
            result = work(session)
            session.commit()
            return result
        except IntegrityError:
            session.rollback()
            return None
        except OperationalError:
            session.rollback()
            if attempt == 3:
                raise
""",
        "When work fails with IntegrityError, your run_with_retry hides it",
    ),
    "two attempts": (
        RETRY_LOOP.replace("range(1, 4)", "range(1, 3)").replace("attempt == 3", "attempt == 2"),
        "Refused every time, your run_with_retry made 2 attempt(s); the task asks for 3.",
    ),
    "never commits": (
        RETRY_LOOP.replace("            session.commit()\n", ""),
        "Your run_with_retry does not commit what work did: a new request does not see it",
    ),
    "no rollback after the last refusal": (
        RETRY_LOOP.replace(
            "            session.rollback()\n            if attempt == 3:\n                raise\n",
            "            if attempt == 3:\n                raise\n            session.rollback()\n",
        ),
        "After the last refusal the session is left in its failed transaction: roll it back before raising.",
    ),
    "another error after the last refusal": (
        RETRY_LOOP.replace("                raise\n", "                raise RuntimeError('gave up')\n"),
        "After the last refusal your run_with_retry raised RuntimeError: gave up, not the OperationalError.",
    ),
    "another error at the first refusal": (
        RETRY_LOOP.replace("            session.rollback()\n", "            raise RuntimeError('refused')\n"),
        "When the database refuses the first attempt, your run_with_retry raised RuntimeError: refused.",
    ),
    "work called twice": (
        RETRY_LOOP.replace(
            "            result = work(session)\n", "            work(session)\n            result = work(session)\n"
        ),
        "Your run_with_retry calls work 2 times, although the first attempt succeeded.",
    ),
    "work's result dropped": (
        RETRY_LOOP.replace("return result", "return None"),
        "Your run_with_retry returns None, not what work returned (1).",
    ),
    "the retry left uncommitted": (
        RETRY_LOOP.replace("                raise\n", "                raise\n            return work(session)\n"),
        "Refused once, work must run again and succeed: two calls, both loans counted (on_loan 2)",
    ),
    "a parameter missing": (
        RETRY_LOOP.replace("(session, work)", "(work)").replace("work(session)", "work(None)"),
        "With work that succeeds at once, your run_with_retry raised TypeError",
    ),
}


@pytest.mark.parametrize("name", RETRY_MISTAKES)
def test_retry_mistakes_are_diagnosed(notebook, name):
    body, says = RETRY_MISTAKES[name]
    verdict = verdict_of(notebook, RETRY, body)
    assert verdict.status is Status.MISTAKE, verdict
    assert says in verdict.message


MISTAKES = {SIGN_UP: SIGN_UP_MISTAKES, LEND: LEND_MISTAKES, RETRY: RETRY_MISTAKES}
