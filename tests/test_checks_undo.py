"""Exercises 05 and 06: rolling back an update, undoing a delete; each misconception named, each proven here."""

import pytest

from course_lib.checks import Status

UPDATING = {
    "updating.book_19": "book_19 = db.session.get(Book, 19)",
    "updating.month": 'book_19.month = "June"',
    "updating.commit": "db.session.commit()",
}
DELETING = {
    "deleting.delete": "ann = db.session.get(Reader, 123)\ndb.session.delete(ann)",
    "deleting.commit": "db.session.commit()",
    "deleting.remaining_reviews": "remaining_reviews = db.session.scalars(db.select(Review)).all()",
}
SAM = "sam = db.session.get(Reader, 345)\n"


def verdict_of(notebook, earlier: dict[str, str], checkpoint: str, body: str):
    notebook.answers({**earlier, checkpoint: body})
    return notebook.verdict(checkpoint)


@pytest.mark.parametrize(
    "body",
    [
        'book_19.month = "July"\ndb.session.rollback()',
        'book_19.month = "July"\ndb.session.flush()\ndb.session.rollback()',
        'db.session.execute(update(Book).where(Book.id == 19).values(month="July"))\ndb.session.rollback()',
    ],
)
def test_rolling_back_an_update_passes(notebook, body):
    verdict = verdict_of(notebook, UPDATING, "updating.rollback", body)
    assert verdict.status is Status.PASSED, verdict


UPDATE_MISTAKES = {
    "committed before the rollback": (
        'book_19.month = "July"\ndb.session.commit()\ndb.session.rollback()',
        "You committed 'July' before rolling back: the commit ended the transaction",
    ),
    "never rolled back": ('book_19.month = "July"', "book_19 still says 'July': nothing rolled the change back"),
    "expunge instead of a rollback": (
        'book_19.month = "July"\ndb.session.expunge(book_19)',
        "You took book_19 out of the session (expunge)",
    ),
    "set back by hand": (
        'book_19.month = "July"\nbook_19.month = "June"',
        "You set 'June' back by hand: that is a second change, not an undo",
    ),
    "refresh instead of a rollback": (
        'book_19.month = "July"\ndb.session.refresh(book_19)',
        "You called refresh(), which reloaded book_19 from the database, instead of rolling back",
    ),
    "rollback without parentheses": (
        'book_19.month = "July"\ndb.session.rollback',
        "You wrote db.session.rollback without parentheses",
    ),
    "nothing changed first": ("db.session.rollback()", "Your cell never changes book_19's month to 'July'"),
    "another month": ('book_19.month = "May"\ndb.session.rollback()', "You changed the month to 'May'"),
    "changed again after the rollback": (
        'book_19.month = "July"\ndb.session.rollback()\nbook_19.month = "July"',
        "After your rollback book_19 says 'July'",
    ),
    "book_19 replaced by another book": (
        'book_19.month = "July"\ndb.session.rollback()\nbook_19 = "Guns"',
        "book_19 is no longer book 19 from the session",
    ),
}


@pytest.mark.parametrize("name", UPDATE_MISTAKES)
def test_rolling_back_an_update_mistakes_are_diagnosed(notebook, name):
    body, says = UPDATE_MISTAKES[name]
    verdict = verdict_of(notebook, UPDATING, "updating.rollback", body)
    assert verdict.status is Status.MISTAKE, verdict
    assert says in verdict.message


@pytest.mark.parametrize(
    "body",
    [
        SAM + "db.session.delete(sam)\ndb.session.flush()\ndb.session.rollback()",
        SAM + "db.session.delete(sam)\nprint(len(db.session.scalars(select(Reader)).all()))\ndb.session.rollback()",
    ],
)
def test_undoing_a_delete_passes(notebook, body):
    verdict = verdict_of(notebook, DELETING, "deleting.undo", body)
    assert verdict.status is Status.PASSED, verdict


DELETE_MISTAKES = {
    "committed the delete first": (
        SAM + "db.session.delete(sam)\ndb.session.commit()\ndb.session.rollback()",
        "You committed the delete before rolling back",
    ),
    "never rolled back": (
        SAM + "db.session.delete(sam)\ndb.session.flush()",
        "Sam's DELETE is still in the open transaction: nothing rolled it back",
    ),
    "expunge instead of a rollback": (
        SAM + "db.session.delete(sam)\ndb.session.flush()\ndb.session.expunge(sam)",
        "You took sam out of the session (expunge)",
    ),
    "delete never sent": (
        SAM + "db.session.delete(sam)\ndb.session.rollback()",
        "Sam's DELETE was never sent: db.session.delete(sam) only marks him",
    ),
    "flush without parentheses": (
        SAM + "db.session.delete(sam)\ndb.session.flush\ndb.session.rollback()",
        "You wrote db.session.flush without parentheses",
    ),
    "rollback without parentheses": (
        SAM + "db.session.delete(sam)\ndb.session.flush()\ndb.session.rollback",
        "You wrote db.session.rollback without parentheses",
    ),
    "del instead of session.delete": (
        SAM + "del sam\ndb.session.flush()\ndb.session.rollback()",
        "del sam only forgets the Python name",
    ),
    "a DELETE statement around the session": (
        SAM + "db.session.execute(delete(Reader).where(Reader.id == 345))\ndb.session.rollback()",
        "You deleted with a DELETE statement, around the session",
    ),
    "no delete at all": (SAM + "db.session.flush()\ndb.session.rollback()", "Your cell never deletes reader 345"),
    "the wrong reader": (
        SAM + "db.session.delete(db.session.get(Reader, 450))\ndb.session.flush()\ndb.session.rollback()",
        "You deleted reader 450, not reader 345 (the wrong row).",
    ),
    "a copy put back by hand": (
        SAM + "db.session.delete(sam)\ndb.session.commit()\n"
        'db.session.add(Reader(id=345, name="Sam", surname="Adams", email="sam.adams@example.com"))\n'
        "db.session.commit()",
        "Reader 345 is there, but not annotation 333, review 112, review 114",
    ),
    "sam not kept": (
        SAM + "db.session.delete(sam)\ndb.session.flush()\ndb.session.rollback()\nsam = None",
        "After the rollback sam is missing, not reader 345 back in the session",
    ),
}


@pytest.mark.parametrize("name", DELETE_MISTAKES)
def test_undoing_a_delete_mistakes_are_diagnosed(notebook, name):
    body, says = DELETE_MISTAKES[name]
    verdict = verdict_of(notebook, DELETING, "deleting.undo", body)
    assert verdict.status is Status.MISTAKE, verdict
    assert says in verdict.message
