"""Exercise 03's savepoint checkpoint: an INSERT sent inside a SAVEPOINT, undone by its own rollback; the rest kept."""

import pytest

from course_lib.checks import Status

PETER = 'new_reader = Reader(name="Peter", surname="Johnson", email="peter.johnson@example.com")'
EARLIER = {
    "add_rollback.new_reader": PETER,
    "add_rollback.add": "db.session.add(new_reader)",
    "add_rollback.commit": "try:\n    db.session.commit()\nexcept IntegrityError:\n    db.session.rollback()",
}
MIA = 'mia = Reader(name="Mia", surname="Wong", email="mia.wong@example.com")\ndb.session.add(mia)\n'
LEO = 'leo = Reader(name="Leo", surname="Park", email="leo.park@example.com")\ndb.session.add(leo)\n'
FLUSHED = LEO + "db.session.flush()\n"  # Leo's INSERT sent inside the savepoint
SOLUTION = MIA + "savepoint = db.session.begin_nested()\n" + FLUSHED + "savepoint.rollback()\ndb.session.commit()"


def verdict_of(notebook, body: str):
    notebook.answers({**EARLIER, "add_rollback.savepoint": body})
    return notebook.verdict("add_rollback.savepoint")


@pytest.mark.parametrize(
    "body",
    [
        SOLUTION,
        MIA
        + "with db.session.begin_nested() as nested:\n    "
        + FLUSHED.replace("\n", "\n    ")
        + "nested.rollback()\n"
        "db.session.commit()",
        MIA
        + "nested = db.session.begin_nested()\n"
        + LEO
        + "print(db.session.scalar(select(func.count()).select_from(Reader)))\n"
        "nested.rollback()\ndb.session.commit()",
    ],
)
def test_savepoint_passes_in_every_style(notebook, body):
    verdict = verdict_of(notebook, body)
    assert verdict.status is Status.PASSED, verdict


SAVEPOINT_MISTAKES = {
    "db.session.rollback() instead of the savepoint's": (
        MIA + "savepoint = db.session.begin_nested()\n" + LEO + "db.session.rollback()\ndb.session.commit()",
        "db.session.rollback() rolls back the whole transaction, not only the savepoint: Mia is gone with Leo",
    ),
    "begin_nested without a rollback": (
        MIA + "savepoint = db.session.begin_nested()\n" + LEO + "db.session.commit()",
        "you started a savepoint but never rolled it back",
    ),
    "committed before the savepoint": (
        MIA + "db.session.commit()\nsavepoint = db.session.begin_nested()\n" + LEO + "savepoint.rollback()\n"
        "db.session.commit()",
        "You committed before the savepoint",
    ),
    "leo added before the savepoint": (
        MIA + LEO + "savepoint = db.session.begin_nested()\nsavepoint.rollback()\ndb.session.commit()",
        "he was added before begin_nested()",
    ),
    "the savepoint released, not rolled back": (
        MIA + "savepoint = db.session.begin_nested()\n" + LEO + "savepoint.commit()\ndb.session.commit()",
        "the savepoint was released",
    ),
    "a with block that ends without an error": (
        MIA + "with db.session.begin_nested():\n    " + LEO.replace("\n", "\n    ") + "\ndb.session.commit()",
        "the savepoint was released",
    ),
    "no savepoint at all": (MIA + LEO + "db.session.commit()", "Your cell never starts a savepoint"),
    "begin_nested without parentheses": (
        MIA + "db.session.begin_nested\n" + LEO + "db.session.commit()",
        "You wrote db.session.begin_nested without parentheses",
    ),
    "never committed": (
        MIA + "savepoint = db.session.begin_nested()\n" + FLUSHED + "savepoint.rollback()",
        "Mia is not committed: the savepoint undid Leo, but nothing ended the transaction",
    ),
    "leo's email mistyped": (
        SOLUTION.replace("leo.park@example.com", "leo.park@example.org"),
        "You added Leo Park (leo.park@example.org), but the task asks for Mia Wong",
    ),
    "mia never added": (
        "savepoint = db.session.begin_nested()\n" + FLUSHED + "savepoint.rollback()\ndb.session.commit()",
        "Mia (mia.wong@example.com) is not in the database: add her before the savepoint, and keep her.",
    ),
    "leo never flushed inside the savepoint": (
        MIA + "savepoint = db.session.begin_nested()\n" + LEO + "savepoint.rollback()\ndb.session.commit()",
        "Your savepoint never reached the database: nothing ran inside it, so no SAVEPOINT was sent",
    ),
    "flush without parentheses inside the savepoint": (
        MIA + "savepoint = db.session.begin_nested()\n" + LEO + "db.session.flush\nsavepoint.rollback()\n"
        "db.session.commit()",
        "You wrote db.session.flush without parentheses",
    ),
    "leo deleted, the savepoint released": (
        MIA + "savepoint = db.session.begin_nested()\n" + FLUSHED + "db.session.delete(leo)\nsavepoint.commit()\n"
        "db.session.commit()",
        "Leo is not saved, but no ROLLBACK TO SAVEPOINT reached the database",
    ),
}


@pytest.mark.parametrize("name", SAVEPOINT_MISTAKES)
def test_savepoint_mistakes_are_diagnosed(notebook, name):
    body, says = SAVEPOINT_MISTAKES[name]
    verdict = verdict_of(notebook, body)
    assert verdict.status is Status.MISTAKE, verdict
    assert says in verdict.message
