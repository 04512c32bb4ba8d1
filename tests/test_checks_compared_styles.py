"""Exercises 02 to 06 on answers written as beginners write them: right styles that behave as the reference does
pass (a savepoint undoes as well as a rollback), "not yet" is one rule wherever a task says it, and messages say
what happened rather than a symptom's usual cause."""

import pytest
from test_checks_undo import DELETING, SAM, UPDATING

from course_lib.checks import Status

KIM = 'kim = Reader(name="Kim", surname="Lee", email="kim.lee@example.com")\ndb.session.add(kim)'
PETER = 'new_reader = Reader(name="Peter", surname="Johnson", email="peter.johnson@example.com")'


def verdict_of(notebook, earlier: dict[str, str], checkpoint: str, body: str):
    notebook.answers({**earlier, checkpoint: body})
    return notebook.verdict(checkpoint)


SAVEPOINT_UNDOS = {
    "updating.rollback": (
        UPDATING,
        'savepoint = db.session.begin_nested()\nbook_19.month = "July"\ndb.session.flush()\nsavepoint.rollback()',
    ),
    "updating.rollback, a with block": (
        UPDATING,
        'try:\n    with db.session.begin_nested():\n        book_19.month = "July"\n        db.session.flush()\n'
        '        raise ValueError("undo")\nexcept ValueError:\n    pass',
    ),
    "deleting.undo": (
        DELETING,
        f"{SAM}savepoint = db.session.begin_nested()\ndb.session.delete(sam)\ndb.session.flush()\nsavepoint.rollback()",
    ),
}


@pytest.mark.parametrize("name", SAVEPOINT_UNDOS)
def test_undoing_with_a_savepoint_passes_as_a_rollback_does(notebook, name):
    earlier, body = SAVEPOINT_UNDOS[name]
    verdict = verdict_of(notebook, earlier, name.partition(",")[0], body)
    assert verdict.status is Status.PASSED, verdict.message


NOT_YET = {
    "a delete committed at once": (
        DELETING
        | {"deleting.delete": "ann = db.session.get(Reader, 123)\ndb.session.delete(ann)\ndb.session.commit()"},
        "deleting.delete",
        "Your cell commits, but the task says not to commit yet: the point of this step is to see ann marked for "
        "deletion",
    ),
    "kim flushed by a query's autoflush": (
        {"add_and_commit.pending": f"{KIM}\nprint(db.session.scalars(db.select(Reader)).all())"},
        "add_and_commit.pending",
        "Your cell sends INSERT INTO reader (a flush, or a query's autoflush, sends what is pending), but the task "
        "says not to flush yet",
    ),
    "kim committed at the flush": (
        {"add_and_commit.pending": KIM, "add_and_commit.flush": "db.session.commit()\nkim_id = kim.id"},
        "add_and_commit.flush",
        "Your cell commits, but the task says not to commit yet: the point of this step is to see kim flushed",
    ),
    "june committed at once": (
        {
            "updating.book_19": UPDATING["updating.book_19"],
            "updating.month": 'book_19.month = "June"\ndb.session.commit()',
        },
        "updating.month",
        "Your cell commits, but the task says not to commit yet: the point of this step is to see the change pending",
    ),
}


@pytest.mark.parametrize("name", NOT_YET)
def test_every_task_that_says_not_yet_is_judged_by_the_same_rule(notebook, name):
    bodies, checkpoint, says = NOT_YET[name]
    notebook.answers(bodies)
    verdict = notebook.verdict(checkpoint)
    assert verdict.status is Status.MISTAKE and says in verdict.message, verdict.message


SAID_AS_SEEN = {
    "refresh instead of a rollback": (
        UPDATING,
        "updating.rollback",
        'book_19.month = "July"\ndb.session.refresh(book_19)',
        "You called refresh(), which reloaded book_19 from the database, instead of rolling back",
    ),
    "set back by hand": (
        UPDATING,
        "updating.rollback",
        'book_19.month = "July"\nbook_19.month = "June"',
        "You set 'June' back by hand",
    ),
    "june set, then refreshed away": (
        {"updating.book_19": UPDATING["updating.book_19"]},
        "updating.month",
        'book_19.month = "June"\ndb.session.refresh(book_19)',
        "You set book_19.month to 'June', and then refresh() threw the change away",
    ),
    "the reviews of a list read before the delete": (
        {
            "deleting.delete": "ann = db.session.get(Reader, 123)\n"
            "all_reviews = db.session.scalars(db.select(Review)).all()\ndb.session.delete(ann)",
            "deleting.commit": "db.session.commit()",
        },
        "deleting.remaining_reviews",
        "remaining_reviews = all_reviews",
        "which the database no longer has: it was read from objects loaded before the delete",
    ),
    "peter committed by a session of one's own": (
        {"add_rollback.new_reader": PETER},
        "add_rollback.commit",
        "from sqlalchemy.orm import Session\nmine = Session(db.engine)\nmine.add(new_reader)\ntry:\n"
        "    mine.commit()\nexcept IntegrityError:\n    mine.rollback()",
        "new_reader was added to (and committed by) a session you created",
    ),
    "a rollback before the commit": (
        {"add_rollback.new_reader": PETER, "add_rollback.add": "db.session.add(new_reader)"},
        "add_rollback.commit",
        "db.session.rollback()\ntry:\n    db.session.commit()\nexcept IntegrityError:\n    db.session.rollback()",
        "a rollback (or expunge) took it out before it was committed",
    ),
}


@pytest.mark.parametrize("name", SAID_AS_SEEN)
def test_a_message_says_what_happened_not_a_symptoms_usual_cause(notebook, name):
    earlier, checkpoint, body, says = SAID_AS_SEEN[name]
    verdict = verdict_of(notebook, earlier, checkpoint, body)
    assert verdict.status is Status.MISTAKE and says in verdict.message, verdict.message
