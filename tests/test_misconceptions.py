"""Issue 13 audit: every checkpoint of exercises 01-06 and 08 names at least three misconceptions, each made to fire.

Each entry is a wrong answer a student writes (after the right answers to the checkpoints before it) and words the
check's message must contain. The checkpoints added with issues 13 and 21 have their own files, which prove their
tables; they are counted in here.
"""

import pytest
from test_checks_failure_paths import CHECKPOINTS as FAILURE_PATHS
from test_checks_savepoint import EARLIER as SAVEPOINT_EARLIER
from test_checks_savepoint import SAVEPOINT_MISTAKES
from test_checks_two_requests import MISTAKES as TWO_REQUESTS_MISTAKES
from test_checks_undo import DELETE_MISTAKES, DELETING, UPDATE_MISTAKES, UPDATING

from course_lib.authoring.manifest import load_manifest
from course_lib.checks import Status

ANN = {"the_database.ann": "ann = db.session.get(Reader, 123)"}
KIM = 'kim = Reader(name="Kim", surname="Lee", email="kim.lee@example.com")'
PENDING = {"add_and_commit.pending": f"{KIM}\ndb.session.add(kim)"}
FLUSHED = {**PENDING, "add_and_commit.flush": "db.session.flush()\nkim_id = kim.id"}
PETER = 'new_reader = Reader(name="Peter", surname="Johnson", email="peter.johnson@example.com")'
ADDED = {"add_rollback.new_reader": PETER, "add_rollback.add": "db.session.add(new_reader)"}
TRY = "try:\n    {commit}\nexcept {caught}:\n    {handle}"
ROWS = "{name} = db.session.scalars(select({model}){clauses}).all()"
BOOK_19 = {"updating.book_19": "book_19 = db.session.get(Book, 19)"}
MONTH = {**BOOK_19, "updating.month": 'book_19.month = "June"'}
MARKED = {"deleting.delete": "ann = db.session.get(Reader, 123)\ndb.session.delete(ann)"}
DELETED = {**MARKED, "deleting.commit": "db.session.commit()"}
NONE: dict[str, str] = {}
THEN = "then"  # a key of the answers before: a plain cell run after the answer (not an answer itself)

AUDIT: dict[str, list[tuple[dict[str, str], str, str]]] = {
    "the_database.ann": [
        (NONE, "ann = db.select(Reader).where(Reader.id == 123)", "ann is a Select statement, not what it selects"),
        (NONE, "ann = db.session.scalars(db.select(Reader)).all()", "ann is a list of 6; the task asks for one"),
        (NONE, "ann = db.session.get(Reader, 345)", "ann is Reader 345, but the task asks for Reader 123."),
        (NONE, "ann = db.session.get(Reader, 999)", "ann is None: nothing matched."),
    ],
    "the_database.ann_reviews": [
        (ANN, "ann_reviews = ann.annotations", "ann_reviews holds Annotation items; the task asks for Review objects"),
        (ANN, "ann_reviews = db.select(Review)", "ann_reviews is a Select statement"),
        (ANN, "ann_reviews = db.session.scalars(db.select(Review)).all()", "not asked for 112, 114, 116, 117"),
        (ANN, "ann_reviews = ann.reviews[0]", "picked out of the list with [...]"),
    ],
    "the_database.review_count": [
        (NONE, "review_count = db.session.scalars(db.select(Review)).all()", "is a list of 6 items, not a number"),
        (NONE, "review_count = 7", "review_count is 7, but the database holds 6."),
        (NONE, "review_count = db.select(func.count()).select_from(Review)", "review_count is a Select statement"),
    ],
    "the_database.annotated_book": [
        (NONE, "annotated_book = db.session.get(Annotation, 331).author", "that is the annotation's author"),
        (NONE, "annotated_book = db.session.get(Book, 13)", "annotated_book is Book 13, but the task asks for Book 19"),
        (NONE, "annotated_book = db.session.get(Annotation, 331)", "annotated_book is an Annotation, not a Book"),
    ],
    "add_and_commit.pending": [
        (NONE, KIM, "kim is not in the session: db.session.add(kim) makes it pending."),
        (NONE, f"{KIM}\ndb.session.add(kim)\ndb.session.flush()", "Your cell sends INSERT INTO reader"),
        (NONE, KIM.replace('"Lee"', '"Li"') + "\ndb.session.add(kim)", "its surname is 'Li', not 'Lee'"),
        (NONE, KIM.replace("Reader(", "Reader(id=7, ") + "\ndb.session.add(kim)", "You gave kim an id by hand"),
        ({THEN: "db.session.rollback()"}, f"{KIM}\ndb.session.add(kim)", "kim is not in your session any more"),
    ],
    "add_and_commit.flush": [
        (PENDING, "kim_id = kim.id\ndb.session.flush()", "kim_id is None: you read kim.id before the flush"),
        (PENDING, "db.session.flush()\nkim_id = 999", "kim_id is 999, but kim's id, chosen by the database, is"),
        (PENDING, "db.session.commit()\nkim_id = kim.id", "Your cell commits, but the task says not to commit yet"),
        (PENDING, "db.session.flush\nkim_id = kim.id", "You wrote db.session.flush without parentheses"),
    ],
    "add_and_commit.commit": [
        (FLUSHED, "db.session.rollback()", "kim is not in the database: a rollback (or a failed commit) discarded it"),
        (FLUSHED, "print(kim_id)", "kim was flushed, not committed"),
        (FLUSHED, "db.session.commit", "You wrote db.session.commit without parentheses"),
    ],
    "add_rollback.new_reader": [
        (NONE, PETER.replace("Reader(", "Reader(id=1, "), "You gave new_reader the id 1 by hand"),
        (
            NONE,
            'new_reader = Reader(name="Johnson", surname="Peter", email="peter.johnson@example.com")',
            "The name and surname are swapped",
        ),
        (NONE, "new_reader = Reader", "new_reader is the Reader class itself"),
        (NONE, PETER.replace('"Peter"', '"peter"'), "The name is 'peter', but the task asks for 'Peter'"),
    ],
    "add_rollback.add": [
        ({"add_rollback.new_reader": PETER}, "print(new_reader)", "new_reader is not in the session"),
        ({"add_rollback.new_reader": PETER}, "db.session.add", "You wrote db.session.add without parentheses"),
        (
            {"add_rollback.new_reader": PETER},
            'db.session.add(Reader(name="Peter", surname="Johnson", email="peter.johnson@example.com"))',
            "You added another Reader with Peter's details, not new_reader itself",
        ),
    ],
    "add_rollback.commit": [
        (ADDED, "db.session.flush()", "new_reader was flushed, not committed"),
        (ADDED, "db.session.commit()", "You committed without try/except"),
        (
            ADDED,
            TRY.format(commit="db.session.commit()", caught="ValueError", handle="db.session.rollback()"),
            "Your except clause catches ValueError, but a failed commit raises sqlalchemy.exc.IntegrityError",
        ),
        (
            ADDED,
            TRY.format(commit="db.session.commit()", caught="IntegrityError", handle="print('taken')"),
            "your except branch does not call db.session.rollback()",
        ),
    ],
    "reading.reviews": [
        (NONE, "reviews = db.select(Review)", "reviews is a Select statement"),
        (NONE, "reviews = db.session.scalars(db.select(Review))", "can be read only once"),
        (NONE, "reviews = db.session.execute(db.select(Review)).all()", "holds Row tuples"),
    ],
    "reading.book_1": [
        (NONE, "book_1 = db.session.get(Book, 13)", "book_1 is Book 13, but the task asks for Book 12"),
        (NONE, "book_1 = db.session.get(12, Book)", "The model comes first, then the primary key"),
        (NONE, "book_1 = db.session.scalars(db.select(Book)).all()", "book_1 is a list of 5"),
    ],
    "reading.book_13_reviews": [
        (NONE, "book_13_reviews = db.session.get(Book, 13).annotations", "holds Annotation items"),
        (NONE, "book_13_reviews = db.session.get(Book, 13).reviews[0]", "picked out of the list with [...]"),
        (NONE, "book_13_reviews = db.select(Review).filter_by(book_id=13)", "book_13_reviews is a Select statement"),
    ],
    "reading.book_19_annotations": [
        (NONE, "book_19_annotations = db.session.get(Book, 19).reviews", "holds Review items"),
        (NONE, "book_19_annotations = db.session.get(Annotation, 331)", "book_19_annotations is one Annotation"),
        (NONE, "book_19_annotations = db.session.get(Book, 18).annotations", "but the task asks for 331"),
    ],
    "reading.author_331": [
        (
            NONE,
            "author_331 = db.session.get(Reader, 123)",
            "author_331 is Reader 123, but the task asks for Reader 568",
        ),
        (NONE, "author_331 = db.session.get(Annotation, 331)", "author_331 is an Annotation, not a Reader"),
        (NONE, "author_331 = db.select(Reader).where(Reader.id == 568)", "author_331 is a Select statement"),
    ],
    "reading.adams": [
        (NONE, 'adams = db.session.scalars(select(Reader).where(Reader.surname = "Adams")).all()', "You wrote ="),
        (NONE, 'adams = db.session.scalars(select(Reader).filter_by(Reader.surname == "Adams")).all()', "filter_by"),
        (NONE, 'adams = Reader.query.filter_by(surname="Adams")', "adams is a query object, not its rows"),
    ],
    "reading.first_book": [
        (
            NONE,
            "first_book = db.session.scalars(select(Book).where(Book.year <= 2019).order_by(Book.year)).first()",
            "is the earliest by year; the task asks for the first in id order",
        ),
        (
            NONE,
            "first_book = db.session.scalars(select(Book).where(Book.year <= 2019).order_by(Book.id)).all()",
            "first_book is a list of 3",
        ),
        (
            NONE,
            "first_book = db.session.scalars(select(Book).where(Book.year <= 2019)).first()",
            "only by luck: your query has no ORDER BY",
        ),
    ],
    "reading.s_names": [
        (
            NONE,
            ROWS.format(name="s_names", model="Reader", clauses='.where(Reader.surname.like("%s%"))'),
            "Mason and Stone",
        ),
        (
            NONE,
            ROWS.format(name="s_names", model="Reader", clauses='.where(Reader.surname.startswith("s"))'),
            "missing 123, 345",
        ),
        (NONE, "s_names = db.select(Reader)", "s_names is a Select statement"),
    ],
    "reading.sample_emails": [
        (NONE, "sample_emails = db.select(Reader)", "sample_emails is a Select statement"),
        (NONE, "sample_emails = db.session.scalars(db.select(Reader))", "can be read only once"),
        (
            NONE,
            ROWS.format(name="sample_emails", model="Reader", clauses='.where(Reader.email.like("%@example%"))'),
            "missing 653, 753",
        ),
    ],
    "reading.ordered_reviews": [
        (
            NONE,
            ROWS.format(name="ordered_reviews", model="Review", clauses=".order_by(Review.stars.desc())"),
            "from most stars to fewest",
        ),
        (NONE, ROWS.format(name="ordered_reviews", model="Review", clauses=""), "is not sorted by stars"),
        (NONE, "ordered_reviews = db.select(Review).order_by(Review.stars)", "ordered_reviews is a Select statement"),
    ],
    "updating.book_19": [
        (NONE, "book_19 = db.session.get(Book, 18)", "book_19 is Book 18, but the task asks for Book 19."),
        (NONE, "book_19 = db.session.get(19, Book)", "The model comes first, then the primary key"),
        (NONE, "book_19 = db.session.scalars(db.select(Book).where(Book.id == 19))", "can be read only once"),
        (NONE, "book_19 = Book(title='Guns, Germs and Steel')", "is a new Book that is not in the database"),
    ],
    "updating.month": [
        (BOOK_19, 'book_19.month == "June"', "You compared with == instead of assigning"),
        (BOOK_19, 'book_19.month = "june"', "'june', but the task asks for 'June' (check capitals"),
        (BOOK_19, 'db.session.get(Book, 14).month = "June"', "You changed the wrong row or column"),
        (BOOK_19, 'Book.month = "June"', "You assigned to Book.month on the class itself"),
    ],
    "updating.commit": [
        (MONTH, "print(db.session.scalars(select(Book.month)).all())", "The UPDATE was flushed but not committed"),
        (MONTH, "print('later')", "The change is only in the session"),
        (MONTH, "db.session.rollback()", "The database still says 'August'"),
        (MONTH, "db.session.commit", "You wrote db.session.commit without parentheses"),
    ],
    "deleting.delete": [
        (
            NONE,
            "ann = db.session.get(Reader, 123)\ndb.session.execute(delete(Reader).where(Reader.id == 123))",
            "a bulk DELETE statement skips the ORM cascade",
        ),
        (NONE, "ann = db.session.get(Reader, 123)\ndb.session.delete(db.session.get(Reader, 345))", "the wrong row"),
        (NONE, "ann = db.session.get(Reader, 123)", "Nothing was deleted"),
        (
            NONE,
            "ann = db.session.get(Reader, 123)\ndb.session.delete(ann)\ndb.session.delete(db.session.get(Reader, 345))",
            "You deleted more than reader 123 and her rows",
        ),
    ],
    "deleting.commit": [
        (MARKED, "print('done')", "ann is only marked for deletion"),
        (MARKED, "print(len(db.session.scalars(select(Reader)).all()))", "The DELETE was flushed"),
        (MARKED, "db.session.rollback()", "Reader 123 is still in the database"),
    ],
    "deleting.remaining_reviews": [
        (NONE, "remaining_reviews = db.session.scalars(db.select(Review)).all()", "Ann's reviews are still there"),
        (DELETED, "remaining_reviews = db.select(Review)", "remaining_reviews is a Select statement"),
        (DELETED, "remaining_reviews = db.session.execute(db.select(Review)).all()", "holds Row tuples"),
    ],
}
ELSEWHERE = {  # checkpoint: (the answers before it, {name: (answer, what the check says)}), proven in their own files
    "add_rollback.savepoint": (SAVEPOINT_EARLIER, SAVEPOINT_MISTAKES),
    "updating.rollback": (UPDATING, UPDATE_MISTAKES),
    "deleting.undo": (DELETING, DELETE_MISTAKES),
    **{checkpoint: (earlier, mistakes) for checkpoint, (earlier, _, mistakes) in FAILURE_PATHS.items()},
}
CASES = [(checkpoint, *case) for checkpoint, cases in AUDIT.items() for case in cases]


def test_every_checkpoint_of_exercises_01_to_06_names_three_misconceptions():
    lessons = [lesson for lesson in load_manifest().lessons if lesson.notebook[:2] <= "06"]
    checkpoints = [info.id for lesson in lessons for info in lesson.checkpoints]
    assert len(checkpoints) >= 33
    for checkpoint in checkpoints:
        if checkpoint in ELSEWHERE:
            messages = {says for _, says in ELSEWHERE[checkpoint][1].values()}
        else:
            messages = {says for _, _, says in AUDIT.get(checkpoint, [])}
        assert len(messages) >= 3, f"{checkpoint} names {len(messages)} misconception(s): {sorted(messages)}"


def test_every_checkpoint_of_exercise_08_names_three_misconceptions():
    """Proven in tests/test_checks_two_requests.py, where each answer runs as two requests at once."""
    lesson = next(lesson for lesson in load_manifest().lessons if lesson.notebook.startswith("08_"))
    assert [info.id for info in lesson.checkpoints] == list(TWO_REQUESTS_MISTAKES)
    for checkpoint, mistakes in TWO_REQUESTS_MISTAKES.items():
        messages = {says for _, says in mistakes.values()}
        assert len(messages) >= 3, f"{checkpoint} names {len(messages)} misconception(s): {sorted(messages)}"


@pytest.mark.parametrize(("checkpoint", "earlier", "body", "says"), CASES, ids=[f"{c[0]}: {c[3]}" for c in CASES])
def test_the_misconception_is_named(notebook, checkpoint, earlier, body, says):
    notebook.answers({**{key: value for key, value in earlier.items() if key != THEN}, checkpoint: body})
    if THEN in earlier:
        notebook.run(earlier[THEN])
    verdict = notebook.verdict(checkpoint)
    assert verdict.status is Status.MISTAKE, verdict
    assert says in verdict.message
