"""Issue 21: each exercise practises its lesson's failure path; every misconception of the new checkpoints is proven.

A transaction ended in the SQL (exercise 01), a rollback after a flush (02), a UNIQUE title refused on update (05),
a bulk delete that leaves no orphans (06). Each checkpoint's passing styles pass, and each mistake gets its message.
"""

import pytest
from test_checks_undo import DELETING as UNTIL_UNDO
from test_checks_undo import SAM
from test_checks_undo import UPDATING as UNTIL_ROLLBACK

from course_lib.checks import Status

THE_DATABASE = {"the_database.ann": "ann = db.session.get(Reader, 123)"}
KIM_LEE = 'kim = Reader(name="Kim", surname="Lee", email="kim.lee@example.com")'
ADD_AND_COMMIT = {
    "add_and_commit.pending": f"{KIM_LEE}\ndb.session.add(kim)",
    "add_and_commit.flush": "db.session.flush()\nkim_id = kim.id",
    "add_and_commit.commit": "db.session.commit()",
}
UPDATING = {**UNTIL_ROLLBACK, "updating.rollback": 'book_19.month = "July"\ndb.session.rollback()'}
UNDO = SAM + "db.session.delete(sam)\ndb.session.flush()\ndb.session.rollback()"
DELETING = {**UNTIL_UNDO, "deleting.undo": UNDO}

COUNT = "book_count = db.session.scalar(select(func.count()).select_from(Book))"
TRANSACTION_PASSES = [
    f"db.session.commit()\n{COUNT}",
    "db.session.rollback()\nbook_count = len(db.session.scalars(select(Book)).all())",
    f"db.session.close()\n{COUNT}",
]
TRANSACTION_MISTAKES = {
    "never ended": (COUNT, "Your cell never ends the transaction your reads began: its SQL has no COMMIT"),
    "counted, then committed": (f"{COUNT}\ndb.session.commit()", "You counted before ending the transaction"),
    "a count not from the database": ("db.session.commit()\nbook_count = 5", "sends no query for the books"),
    "commit without parentheses": (f"db.session.commit\n{COUNT}", "You wrote db.session.commit without parentheses"),
    "the reviews counted": (
        "db.session.commit()\nbook_count = db.session.scalar(select(func.count()).select_from(Review))",
        "book_count is 6, but the database holds 5.",
    ),
    "no book_count": ("db.session.commit()", "There is no variable named book_count yet"),
}

NOAH = 'noah = Reader(name="Noah", surname="Berg", email="noah.berg@example.com")\ndb.session.add(noah)\n'
FLUSH_ROLLBACK_PASSES = [
    NOAH + "db.session.flush()\ndb.session.rollback()",
    NOAH + "print(db.session.scalar(select(func.count()).select_from(Reader)))\ndb.session.rollback()",
]
FLUSH_ROLLBACK_MISTAKES = {
    "committed before the rollback": (
        NOAH + "db.session.commit()\ndb.session.rollback()",
        "You committed Noah before rolling back",
    ),
    "never flushed": (NOAH + "db.session.rollback()", "Noah's INSERT was never sent"),
    "never rolled back": (NOAH + "db.session.flush()", "Noah's INSERT is still in the open transaction"),
    "expunge instead of a rollback": (
        NOAH + "db.session.flush()\ndb.session.expunge(noah)",
        "You took noah out of the session (expunge)",
    ),
    "deleted instead of rolled back": (
        NOAH + "db.session.flush()\ndb.session.delete(noah)\ndb.session.flush()",
        "You deleted Noah: a DELETE is a second change, not an undo",
    ),
    "never added": (
        'noah = Reader(name="Noah", surname="Berg", email="noah.berg@example.com")\ndb.session.flush()\n'
        "db.session.rollback()",
        "Your cell never adds noah to the session",
    ),
    "another email": (
        NOAH.replace("example.com", "example.org") + "db.session.flush()\ndb.session.rollback()",
        "You added Noah Berg (noah.berg@example.org), but the task asks for Noah Berg",
    ),
    "flush without parentheses": (
        NOAH + "db.session.flush\ndb.session.rollback()",
        "You wrote db.session.flush without parentheses",
    ),
    "rollback without parentheses": (
        NOAH + "db.session.flush()\ndb.session.rollback",
        "You wrote db.session.rollback without parentheses",
    ),
    "added again after the rollback": (
        NOAH + "db.session.flush()\ndb.session.rollback()\ndb.session.add(noah)",
        "After your rollback noah is pending, not transient",
    ),
    "no noah": ("db.session.rollback()", "There is no variable named noah yet"),
}

BOOK_18 = "book_18 = db.session.get(Book, 18)\n"
GUARDED = "try:\n    db.session.{send}\nexcept IntegrityError:\n    {handle}\n"
RETITLE = BOOK_18 + 'book_18.title = "The Stranger"\n'
UNIQUE_TITLE_PASSES = [
    RETITLE + GUARDED.format(send="commit()", handle="db.session.rollback()\n    print('taken')"),
    RETITLE + GUARDED.format(send="flush()", handle="db.session.rollback()"),
    BOOK_18
    + GUARDED.format(
        send="execute(update(Book).where(Book.id == 18).values(title='The Stranger'))",
        handle="db.session.rollback()",
    ),
]
UNIQUE_TITLE_MISTAKES = {
    "no rollback in the except branch": (
        RETITLE + GUARDED.format(send="commit()", handle="print('taken')"),
        "When the commit failed, your except branch did not roll back",
    ),
    "a title that is not taken": (
        BOOK_18 + 'book_18.title = "The stranger"\n' + GUARDED.format(send="commit()", handle="db.session.rollback()"),
        "Your change was committed, not refused: book 18 is now 'The stranger'",
    ),
    "the other book changed": (
        "book_18 = db.session.get(Book, 13)\nbook_18.title = 'Demian'\n"
        + GUARDED.format(send="commit()", handle="db.session.rollback()"),
        "You changed the title of book 13: the task asks you to give book 18 the title of book 13.",
    ),
    "rolled back before the commit": (
        RETITLE + "db.session.rollback()\n" + GUARDED.format(send="commit()", handle="db.session.rollback()"),
        "You rolled back before the UPDATE was sent",
    ),
    "never sent": (RETITLE, "The new title is only in the session: nothing sent its UPDATE"),
    "commit without parentheses": (
        RETITLE + GUARDED.format(send="commit", handle="db.session.rollback()"),
        "You wrote db.session.commit without parentheses",
    ),
    "rollback without parentheses": (
        RETITLE + GUARDED.format(send="commit()", handle="db.session.rollback"),
        "You wrote db.session.rollback without parentheses",
    ),
    "no title changed": (
        BOOK_18 + GUARDED.format(send="commit()", handle="db.session.rollback()"),
        "Your cell never changes a title",
    ),
    "book 13 renamed first, so nothing is refused": (
        BOOK_18
        + "db.session.get(Book, 13).title = 'Old'\nbook_18.title = 'The Stranger'\n"
        + GUARDED.format(send="commit()", handle="db.session.rollback()"),
        "book 13 is now 'Old'; book 18 is now 'The Stranger'",
    ),
    "no book_18": (GUARDED.format(send="commit()", handle="db.session.rollback()"), "no variable named book_18"),
}

ANNOTATIONS_OF_KIM = "db.session.execute(delete(Annotation).where(Annotation.reviewer_id == 450))\n"
REVIEWS_OF_KIM = "db.session.execute(delete(Review).where(Review.reviewer_id == 450))\n"
KIM = "db.session.execute(delete(Reader).where(Reader.id == 450))\n"
BULK_PASSES = [
    ANNOTATIONS_OF_KIM + REVIEWS_OF_KIM + KIM + "db.session.commit()",
    REVIEWS_OF_KIM + ANNOTATIONS_OF_KIM + KIM + "db.session.commit()",
]
BULK_MISTAKES = {
    "the reader first": (
        KIM + REVIEWS_OF_KIM + ANNOTATIONS_OF_KIM + "db.session.commit()",
        "You deleted Kim before the rows that point at her",
    ),
    "the reader alone": (
        KIM + "db.session.commit()",
        "Reader 450 is gone, but review 117 and annotation 334 still point at her: orphaned rows",
    ),
    "the annotations forgotten": (
        REVIEWS_OF_KIM + KIM + "db.session.commit()",
        "Reader 450 is gone, but annotation 334 still points at her",
    ),
    "a DELETE without where": (
        ANNOTATIONS_OF_KIM + "db.session.execute(delete(Review))\n" + KIM + "db.session.commit()",
        "You deleted more than Kim's rows: review 112, 114, 116",
    ),
    "another reader": (
        (ANNOTATIONS_OF_KIM + REVIEWS_OF_KIM + KIM).replace("450", "568") + "db.session.commit()",
        "You deleted reader 568; review 116; annotation 331, not Kim's rows",
    ),
    "not committed": (
        ANNOTATIONS_OF_KIM + REVIEWS_OF_KIM + KIM,
        "Your DELETE statements ran inside the open transaction, but nothing committed them",
    ),
    "commit without parentheses": (
        ANNOTATIONS_OF_KIM + REVIEWS_OF_KIM + KIM + "db.session.commit",
        "You wrote db.session.commit without parentheses",
    ),
    "through the session": (
        "db.session.delete(db.session.get(Reader, 450))\ndb.session.commit()",
        "You deleted through the session (db.session.delete)",
    ),
    "her row kept": (
        ANNOTATIONS_OF_KIM + REVIEWS_OF_KIM + "db.session.commit()",
        "Reader 450 is still there: you deleted what she wrote but not her own row",
    ),
    "nothing deleted": ("db.session.commit()", "Your cell deletes nothing"),
}

#: checkpoint: (the answers before it, the passing styles, {name: (answer, what the check says)})
CHECKPOINTS = {
    "the_database.transaction": (THE_DATABASE, TRANSACTION_PASSES, TRANSACTION_MISTAKES),
    "add_and_commit.rollback": (ADD_AND_COMMIT, FLUSH_ROLLBACK_PASSES, FLUSH_ROLLBACK_MISTAKES),
    "updating.unique_title": (UPDATING, UNIQUE_TITLE_PASSES, UNIQUE_TITLE_MISTAKES),
    "deleting.bulk": (DELETING, BULK_PASSES, BULK_MISTAKES),
}
PASSES = [(checkpoint, body) for checkpoint, (_, passes, _) in CHECKPOINTS.items() for body in passes]
MISTAKES = [(checkpoint, name) for checkpoint, (_, _, mistakes) in CHECKPOINTS.items() for name in mistakes]


def verdict_of(notebook, checkpoint: str, body: str):
    notebook.answers({**CHECKPOINTS[checkpoint][0], checkpoint: body})
    return notebook.verdict(checkpoint)


@pytest.mark.parametrize(("checkpoint", "body"), PASSES, ids=[f"{c}-{i}" for i, (c, _) in enumerate(PASSES)])
def test_every_passing_style_passes(notebook, checkpoint, body):
    verdict = verdict_of(notebook, checkpoint, body)
    assert verdict.status is Status.PASSED, verdict


@pytest.mark.parametrize(("checkpoint", "name"), MISTAKES, ids=[f"{c}: {n}" for c, n in MISTAKES])
def test_every_mistake_is_diagnosed(notebook, checkpoint, name):
    body, says = CHECKPOINTS[checkpoint][2][name]
    verdict = verdict_of(notebook, checkpoint, body)
    assert verdict.status is Status.MISTAKE, verdict
    assert says in verdict.message


def test_the_transaction_is_judged_from_the_reads_even_when_earlier_checkpoints_are_not_done(notebook):
    notebook.answer("the_database.transaction", TRANSACTION_PASSES[0])
    assert notebook.verdict("the_database.transaction").status is Status.PASSED


def test_a_bulk_delete_is_judged_against_the_rows_before_it_not_the_expected_earlier_answers(notebook):
    notebook.answer("deleting.bulk", BULK_PASSES[0])  # Ann never deleted: her rows stay, and are not Kim's business
    assert notebook.verdict("deleting.bulk").status is Status.PASSED


def test_a_delete_an_earlier_cell_left_open_is_named_when_the_bulk_commit_makes_it_permanent(notebook):
    never_rolled_back = SAM + "db.session.delete(sam)\ndb.session.flush()"
    notebook.answers({**UNTIL_UNDO, "deleting.undo": never_rolled_back, "deleting.bulk": BULK_PASSES[0]})
    verdict = notebook.verdict("deleting.bulk")
    assert verdict.status is Status.MISTAKE, verdict
    assert (
        "Your commit also made permanent what an earlier cell had left in the open transaction: the DELETE of "
        "reader 345; review 112, 114; annotation 333." in verdict.message
    )
