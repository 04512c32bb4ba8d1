"""Issue 13: every mistake named in words, no false passes, no raw tracebacks, kit bugs only for the kit's own."""

import pytest

from course_lib.checks import Status
from course_lib.checks.registry import all_judges, decide

KIM = 'kim = Reader(name="Kim", surname="Lee", email="kim.lee@example.com")\ndb.session.add(kim)'
PETER = 'new_reader = Reader(name="Peter", surname="Johnson", email="peter.johnson@example.com")'
BOOK_19 = "book_19 = db.session.get(Book, 19)"


def verdict_of(notebook, checkpoint: str, bodies: dict[str, str]):
    notebook.answers(bodies)
    return notebook.verdict(checkpoint)


FEEDBACK = {
    "commit where the flush task says not yet": (
        "add_and_commit.flush",
        {"add_and_commit.pending": KIM, "add_and_commit.flush": "db.session.commit()\nkim_id = kim.id"},
        Status.MISTAKE,
        "Your cell commits, but the task says not to commit yet",
    ),
    "commit where the month task says not yet": (
        "updating.month",
        {"updating.book_19": BOOK_19, "updating.month": 'book_19.month = "June"\ndb.session.commit()'},
        Status.MISTAKE,
        "Your cell commits, but the task says not to commit yet",
    ),
    "first_book without order_by": (
        "reading.first_book",
        {"reading.first_book": "first_book = db.session.scalars(select(Book).where(Book.year <= 2019)).first()"},
        Status.MISTAKE,
        "only by luck: your query has no ORDER BY",
    ),
    "like with an s anywhere": (
        "reading.s_names",
        {"reading.s_names": 's_names = db.session.scalars(select(Reader).where(Reader.surname.like("%s%"))).all()'},
        Status.MISTAKE,
        "readers surnamed Mason and Stone, your condition picks them too",
    ),
    "bare except": (
        "add_rollback.commit",
        {
            "add_rollback.new_reader": PETER,
            "add_rollback.add": "db.session.add(new_reader)",
            "add_rollback.commit": "try:\n    db.session.commit()\nexcept:\n    db.session.rollback()",
        },
        Status.PASSED,
        "Tip: a bare except: catches every error",
    ),
    "except Exception": (
        "add_rollback.commit",
        {
            "add_rollback.new_reader": PETER,
            "add_rollback.add": "db.session.add(new_reader)",
            "add_rollback.commit": "try:\n    db.session.commit()\nexcept Exception:\n    db.session.rollback()",
        },
        Status.PASSED,
        "Tip: except Exception: also catches your own mistakes",
    ),
    "legacy query.get": (
        "reading.book_1",
        {"reading.book_1": "book_1 = Book.query.get(12)"},
        Status.PASSED,
        "Tip: Model.query.get(...) is the legacy form",
    ),
    "the class given to add": (
        "add_rollback.add",
        {"add_rollback.new_reader": PETER, "add_rollback.add": "db.session.add(Reader)"},
        Status.MISTAKE,
        "You gave the session the Reader class itself",
    ),
    "get's arguments swapped": (
        "the_database.ann",
        {"the_database.ann": "ann = db.session.get(123, Reader)"},
        Status.MISTAKE,
        "The model comes first, then the primary key: db.session.get(Reader, 123)",
    ),
    "db.add": (
        "add_rollback.add",
        {"add_rollback.new_reader": PETER, "add_rollback.add": "db.add(new_reader)"},
        Status.MISTAKE,
        "db has no add: db is the Flask-SQLAlchemy extension",
    ),
    "positional model arguments": (
        "add_rollback.new_reader",
        {"add_rollback.new_reader": 'new_reader = Reader("Peter", "Johnson", "peter.johnson@example.com")'},
        Status.MISTAKE,
        "You passed the values by position, but model classes take keyword arguments only",
    ),
    "commit without parentheses (add and commit)": (
        "add_and_commit.commit",
        {
            "add_and_commit.pending": KIM,
            "add_and_commit.flush": "db.session.flush()\nkim_id = kim.id",
            "add_and_commit.commit": "db.session.commit",
        },
        Status.MISTAKE,
        "You wrote db.session.commit without parentheses",
    ),
    "commit without parentheses (updating)": (
        "updating.commit",
        {
            "updating.book_19": BOOK_19,
            "updating.month": 'book_19.month = "June"',
            "updating.commit": "db.session.commit",
        },
        Status.MISTAKE,
        "You wrote db.session.commit without parentheses",
    ),
    "commit without parentheses (deleting)": (
        "deleting.commit",
        {
            "deleting.delete": "ann = db.session.get(Reader, 123)\ndb.session.delete(ann)",
            "deleting.commit": "db.session.commit",
        },
        Status.MISTAKE,
        "You wrote db.session.commit without parentheses",
    ),
    "commit without parentheses (add and rollback)": (
        "add_rollback.commit",
        {
            "add_rollback.new_reader": PETER,
            "add_rollback.add": "db.session.add(new_reader)",
            "add_rollback.commit": "try:\n    db.session.commit\nexcept IntegrityError:\n    db.session.rollback()",
        },
        Status.MISTAKE,
        "You wrote db.session.commit without parentheses",
    ),
    "flush without parentheses": (
        "add_and_commit.flush",
        {"add_and_commit.pending": KIM, "add_and_commit.flush": "db.session.flush\nkim_id = kim.id"},
        Status.MISTAKE,
        "You wrote db.session.flush without parentheses",
    ),
    "an item of the list": (
        "the_database.ann_reviews",
        {
            "the_database.ann": "ann = db.session.get(Reader, 123)",
            "the_database.ann_reviews": "ann_reviews = ann.reviews[0]",
        },
        Status.MISTAKE,
        "picked out of the list with [...]: the task asks for the whole list. Drop the [...]",
    ),
    "a new, unsaved object": (
        "updating.book_19",
        {"updating.book_19": "book_19 = Book(title='Guns, Germs and Steel')"},
        Status.MISTAKE,
        "book_19 is a new Book that is not in the database (it has no id yet)",
    ),
    "a new Book instead of the loaded one": (
        "updating.month",
        {
            "updating.book_19": BOOK_19,
            "updating.month": 'book_19 = Book(id=19, title="Guns, Germs and Steel", month="June")\n'
            "db.session.add(book_19)",
        },
        Status.MISTAKE,
        "You created a new Book instead of changing the one you loaded",
    ),
    "a column assigned on the class": (
        "updating.month",
        {"updating.book_19": BOOK_19, "updating.month": 'Book.month = "June"'},
        Status.MISTAKE,
        "You assigned to Book.month on the class itself, not on one object",
    ),
    "an article before a vowel": (
        "reading.book_19_annotations",
        {"reading.book_19_annotations": "book_19_annotations = db.session.get(Annotation, 331)"},
        Status.MISTAKE,
        "book_19_annotations is one Annotation",
    ),
}


@pytest.mark.parametrize("name", FEEDBACK)
def test_feedback_names_the_mistake(notebook, name):
    checkpoint, bodies, status, says = FEEDBACK[name]
    verdict = verdict_of(notebook, checkpoint, bodies)
    assert verdict.status is status, verdict
    assert says in verdict.message
    assert "bug in the kit" not in verdict.message


def test_start_lesson_restores_a_clobbered_class(notebook):
    notebook.run('Book.month = "June"')
    notebook.run("app = start_lesson(show_sql=False)")
    verdict = verdict_of(
        notebook, "updating.month", {"updating.book_19": BOOK_19, "updating.month": 'book_19.month = "June"'}
    )
    assert verdict.status is Status.PASSED, verdict


@pytest.mark.parametrize(
    "evidence",
    [{}, {"kim": {"kind": "object"}}, {"x": 1}, [], "passed", {"live": None, "source": 3}, {"replay_error": None}],
)
def test_rules_never_pass_hostile_evidence(evidence):
    for checkpoint in all_judges():
        verdict = decide(checkpoint, "x = 1", None, evidence)
        assert verdict.status is not Status.PASSED, (checkpoint, evidence)


def test_an_answer_cell_whose_marker_was_replaced_is_found_by_its_cell_id(notebook):
    notebook.shell.run_cell(f"# my answer\n{PETER}", store_history=True, cell_id="answer-new-reader")
    verdict = notebook.verdict("add_rollback.new_reader")
    assert verdict.status is Status.PASSED, verdict


def test_the_latest_run_of_a_cell_counts_marker_or_not(notebook):
    notebook.shell.run_cell(
        f"# answer: add_rollback.new_reader\n{PETER}", store_history=True, cell_id="answer-new-reader"
    )
    notebook.shell.run_cell('new_reader = Reader(name="Pete")', store_history=True, cell_id="answer-new-reader")
    verdict = notebook.verdict("add_rollback.new_reader")
    assert verdict.status is Status.MISTAKE
    assert "The name is 'Pete'" in verdict.message


def test_an_unmarked_cell_run_just_before_the_check_is_judged(notebook):
    notebook.run(PETER)
    notebook.run('check("add_rollback.new_reader")')
    verdict = notebook.verdict("add_rollback.new_reader")
    assert verdict.status is Status.PASSED, verdict
