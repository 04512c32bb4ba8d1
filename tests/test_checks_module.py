"""The module's other exercises: right answers pass in several styles; each typical mistake gets its own diagnosis."""

import pytest

from course_lib.checks import Status

ROWS = "db.session.scalars(db.select({model}){clauses}).all()"


def passes(notebook, checkpoint: str, bodies: dict[str, str]) -> None:
    notebook.answers(bodies)
    verdict = notebook.verdict(checkpoint)
    assert verdict.status is Status.PASSED, verdict.message


def diagnosed(notebook, checkpoint: str, bodies: dict[str, str], says: str) -> None:
    notebook.answers(bodies)
    verdict = notebook.verdict(checkpoint)
    assert verdict.status is Status.MISTAKE, verdict
    assert says in verdict.message


# --- reading -------------------------------------------------------------------------------------------------------

READING_RIGHT = [
    ("reading.reviews", "reviews = db.session.scalars(db.select(Review)).all()"),
    ("reading.reviews", "reviews = list(db.session.scalars(select(Review).order_by(Review.stars.desc())))"),
    ("reading.reviews", "reviews = Review.query.all()"),
    ("reading.book_1", "book_1 = db.session.get(Book, 12)"),
    ("reading.book_1", "book_1 = db.session.scalars(select(Book).where(Book.id == 12)).one()"),
    ("reading.book_13_reviews", "book_13_reviews = db.session.get(Book, 13).reviews"),
    ("reading.book_13_reviews", "book_13_reviews = db.session.scalars(select(Review).filter_by(book_id=13)).all()"),
    ("reading.book_19_annotations", "book_19_annotations = db.session.get(Book, 19).annotations"),
    ("reading.author_331", "author_331 = db.session.get(Annotation, 331).author"),
    ("reading.adams", 'adams = db.session.scalars(select(Reader).where(Reader.surname == "Adams")).all()'),
    ("reading.adams", 'adams = db.session.scalars(select(Reader).filter_by(surname="Adams")).all()'),
    (
        "reading.first_book",
        "first_book = db.session.scalars(select(Book).where(Book.year <= 2019).order_by(Book.id)).first()",
    ),
    (
        "reading.first_book",
        "first_book = sorted(db.session.scalars(select(Book).where(Book.year < 2020)), key=lambda book: book.id)[0]",
    ),
    ("reading.s_names", 's_names = db.session.scalars(select(Reader).where(Reader.surname.endswith("s"))).all()'),
    ("reading.s_names", 's_names = db.session.scalars(select(Reader).where(Reader.surname.like("%s"))).all()'),
    (
        "reading.sample_emails",
        'sample_emails = db.session.scalars(select(Reader).where(Reader.email.like("%@sample%"))).all()',
    ),
    ("reading.ordered_reviews", "ordered_reviews = db.session.scalars(select(Review).order_by(Review.stars)).all()"),
    ("reading.ordered_reviews", "ordered_reviews = sorted(Review.query.all(), key=lambda review: review.stars)"),
]


@pytest.mark.parametrize(("checkpoint", "body"), READING_RIGHT)
def test_reading_right_answers_pass(notebook, checkpoint, body):
    passes(notebook, checkpoint, {checkpoint: body})


READING_MISTAKES = {
    "a Select where a list was wanted": (
        "reading.reviews",
        "reviews = db.select(Review)",
        "reviews is a Select statement, not what it selects",
    ),
    "a legacy query object": (
        "reading.adams",
        'adams = Reader.query.filter_by(surname="Adams")',
        "adams is a query object, not its rows",
    ),
    "a one-shot result": (
        "reading.reviews",
        "reviews = db.session.scalars(db.select(Review))",
        "can be read only once",
    ),
    "Row tuples": ("reading.reviews", "reviews = db.session.execute(db.select(Review)).all()", "holds Row tuples"),
    "= instead of ==": (
        "reading.adams",
        'adams = db.session.scalars(select(Reader).where(Reader.surname = "Adams")).all()',
        "You wrote = inside a condition: = assigns, == compares.",
    ),
    "filter_by given an expression": (
        "reading.adams",
        'adams = db.session.scalars(select(Reader).filter_by(Reader.surname == "Adams")).all()',
        "filter_by takes keyword arguments",
    ),
    "the wrong rows": (
        "reading.s_names",
        's_names = db.session.scalars(select(Reader).where(Reader.surname.startswith("S"))).all()',
        "s_names holds Reader 450, 568, but the task asks for 123, 345, 450, 568: missing 123, 345.",
    ),
    "one object where a list was wanted": (
        "reading.adams",
        "adams = db.session.get(Reader, 123)",
        "adams is one Reader; the task asks for a list",
    ),
    "a list where one object was wanted": (
        "reading.first_book",
        "first_book = db.session.scalars(select(Book).where(Book.year <= 2019).order_by(Book.id)).all()",
        "first_book is a list of 3; the task asks for one Book object",
    ),
    "the earliest by year instead of the first by id": (
        "reading.first_book",
        "first_book = db.session.scalars(select(Book).where(Book.year <= 2019).order_by(Book.year)).first()",
        "Book 18 is the earliest by year; the task asks for the first in id order.",
    ),
    "the wrong model": (
        "reading.book_19_annotations",
        "book_19_annotations = db.session.get(Book, 19).reviews",
        "book_19_annotations holds Review items; the task asks for Annotation objects.",
    ),
    "an id instead of the object": ("reading.author_331", "author_331 = 568", "author_331 is an int, not a Reader"),
    "the wrong row": (
        "reading.book_1",
        "book_1 = db.session.get(Book, 13)",
        "book_1 is Book 13, but the task asks for Book 12.",
    ),
    "a get that found nothing": (
        "reading.book_1",
        "book_1 = db.session.get(Book, 1)",
        "book_1 is None: nothing matched.",
    ),
    "descending order": (
        "reading.ordered_reviews",
        "ordered_reviews = db.session.scalars(select(Review).order_by(Review.stars.desc(), Review.id.desc())).all()",
        "from most stars to fewest",
    ),
    "not ordered": (
        "reading.ordered_reviews",
        "ordered_reviews = db.session.scalars(select(Review).order_by(Review.text)).all()",
        "ordered_reviews is not sorted by stars",
    ),
    "no variable": ("reading.sample_emails", "emails = Reader.query.all()", "There is no variable named sample_emails"),
}


@pytest.mark.parametrize("name", READING_MISTAKES)
def test_reading_mistakes_are_diagnosed(notebook, name):
    checkpoint, body, says = READING_MISTAKES[name]
    diagnosed(notebook, checkpoint, {checkpoint: body}, says)


# --- the database ----------------------------------------------------------------------------------------------------

DATABASE = {
    "the_database.ann": "ann = db.session.get(Reader, 123)",
    "the_database.ann_reviews": "ann_reviews = ann.reviews",
    "the_database.review_count": "review_count = db.session.scalar(select(func.count()).select_from(Review))",
    "the_database.annotated_book": "annotated_book = db.session.get(Annotation, 331).book",
}


@pytest.mark.parametrize("checkpoint", DATABASE)
def test_database_solution_passes(notebook, checkpoint):
    passes(notebook, checkpoint, DATABASE)


def test_database_count_by_len_passes(notebook):
    passes(
        notebook, "the_database.review_count", {"the_database.review_count": "review_count = len(Review.query.all())"}
    )


@pytest.mark.parametrize(
    ("checkpoint", "body", "says"),
    [
        ("the_database.ann", "ann = db.select(Reader).where(Reader.id == 123)", "ann is a Select statement"),
        (
            "the_database.ann",
            "ann = db.session.get(Reader, 345)",
            "ann is Reader 345, but the task asks for Reader 123.",
        ),
        ("the_database.ann_reviews", "ann_reviews = Review.query.all()", "not asked for 112, 114, 116, 117"),
        (
            "the_database.review_count",
            "review_count = select(func.count()).select_from(Review)",
            "review_count is a Select",
        ),
        (
            "the_database.review_count",
            "review_count = Review.query.all()",
            "review_count is a list of 6 items, not a number",
        ),
        ("the_database.review_count", "review_count = 5", "review_count is 5, but the database holds 6."),
        (
            "the_database.annotated_book",
            "annotated_book = db.session.get(Annotation, 331).author",
            "that is the annotation's author",
        ),
    ],
)
def test_database_mistakes_are_diagnosed(notebook, checkpoint, body, says):
    bodies = {"the_database.ann": DATABASE["the_database.ann"], checkpoint: body}
    diagnosed(notebook, checkpoint, bodies, says)


# --- add and commit --------------------------------------------------------------------------------------------------

KIM = 'kim = Reader(name="Kim", surname="Lee", email="kim.lee@example.com")'
ADD_AND_COMMIT = {
    "add_and_commit.pending": f"{KIM}\ndb.session.add(kim)",
    "add_and_commit.flush": "db.session.flush()\nkim_id = kim.id",
    "add_and_commit.commit": "db.session.commit()",
}


@pytest.mark.parametrize("checkpoint", ADD_AND_COMMIT)
def test_add_and_commit_solution_passes(notebook, checkpoint):
    passes(notebook, checkpoint, ADD_AND_COMMIT)


@pytest.mark.parametrize(
    ("bodies", "checkpoint", "says"),
    [
        ({"add_and_commit.pending": KIM}, "add_and_commit.pending", "kim is not in the session"),
        (
            {"add_and_commit.pending": f"{KIM}\ndb.session.add(kim)\ndb.session.commit()"},
            "add_and_commit.pending",
            "Your cell commits, but the task says not to commit yet: the point of this step is to see kim pending",
        ),
        (
            {
                "add_and_commit.pending": 'kim = Reader(name="Kim", surname="Li", email="kim.lee@example.com")\n'
                "db.session.add(kim)"
            },
            "add_and_commit.pending",
            "its surname is 'Li', not 'Lee'",
        ),
        (
            {
                "add_and_commit.pending": 'kim = Reader(id=1, name="Kim", surname="Lee", email="kim.lee@example.com")\n'
                "db.session.add(kim)"
            },
            "add_and_commit.pending",
            "You gave kim an id by hand",
        ),
        (
            {
                "add_and_commit.pending": ADD_AND_COMMIT["add_and_commit.pending"],
                "add_and_commit.flush": "kim_id = kim.id",
            },
            "add_and_commit.flush",
            "kim is still pending",
        ),
        (
            {
                "add_and_commit.pending": ADD_AND_COMMIT["add_and_commit.pending"],
                "add_and_commit.flush": "kim_id = kim.id\ndb.session.flush()",
            },
            "add_and_commit.flush",
            "kim_id is None: you read kim.id before the flush",
        ),
        (
            {**ADD_AND_COMMIT, "add_and_commit.commit": "print('done')"},
            "add_and_commit.commit",
            "kim was flushed, not committed",
        ),
        (
            {
                "add_and_commit.pending": ADD_AND_COMMIT["add_and_commit.pending"],
                "add_and_commit.commit": "db.session.rollback()",
            },
            "add_and_commit.commit",
            "kim is not in the database",
        ),
    ],
)
def test_add_and_commit_mistakes_are_diagnosed(notebook, bodies, checkpoint, says):
    diagnosed(notebook, checkpoint, bodies, says)


# --- updating --------------------------------------------------------------------------------------------------------

UPDATING = {
    "updating.book_19": "book_19 = db.session.get(Book, 19)",
    "updating.month": 'book_19.month = "June"',
    "updating.commit": "db.session.commit()",
}


@pytest.mark.parametrize("checkpoint", UPDATING)
def test_updating_solution_passes(notebook, checkpoint):
    passes(notebook, checkpoint, UPDATING)


def test_updating_with_an_update_statement_passes(notebook):
    bodies = {
        **UPDATING,
        "updating.month": 'db.session.execute(update(Book).where(Book.id == 19).values(month="June"))',
    }
    passes(notebook, "updating.commit", bodies)


@pytest.mark.parametrize(
    ("change", "checkpoint", "says"),
    [
        ({"updating.month": 'book_19.month == "June"'}, "updating.month", "You compared with == instead of assigning"),
        (
            {"updating.month": 'book_19.month = "june"'},
            "updating.month",
            "'june', but the task asks for 'June' (check capitals",
        ),
        ({"updating.month": "print(book_19)"}, "updating.month", "book 19's month is still 'August'"),
        (
            {"updating.month": 'db.session.get(Book, 14).month = "June"'},
            "updating.month",
            "You changed the wrong row or column: book 14's month became 'June'",
        ),
        ({"updating.month": 'book_19.month = "June"\nbook_19.year = 2020'}, "updating.month", "You also changed"),
        (
            {"updating.commit": "print(db.session.scalars(select(Book.month)).all())"},
            "updating.commit",
            "The UPDATE was flushed but not committed",
        ),
        ({"updating.commit": "print('later')"}, "updating.commit", "The change is only in the session"),
        ({"updating.commit": "db.session.rollback()"}, "updating.commit", "The database still says 'August'"),
    ],
)
def test_updating_mistakes_are_diagnosed(notebook, change, checkpoint, says):
    diagnosed(notebook, checkpoint, {**UPDATING, **change}, says)


# --- deleting --------------------------------------------------------------------------------------------------------

DELETING = {
    "deleting.delete": "ann = db.session.get(Reader, 123)\ndb.session.delete(ann)",
    "deleting.commit": "db.session.commit()",
    "deleting.remaining_reviews": "remaining_reviews = db.session.scalars(db.select(Review)).all()",
}


@pytest.mark.parametrize("checkpoint", DELETING)
def test_deleting_solution_passes(notebook, checkpoint):
    passes(notebook, checkpoint, DELETING)


@pytest.mark.parametrize(
    ("change", "checkpoint", "says"),
    [
        (
            {
                "deleting.delete": "ann = db.session.get(Reader, 123)\n"
                "db.session.execute(delete(Reader).where(Reader.id == 123))"
            },
            "deleting.delete",
            "a bulk DELETE statement skips the ORM cascade",
        ),
        (
            {"deleting.delete": "ann = db.session.get(Reader, 123)\ndb.session.delete(db.session.get(Reader, 345))"},
            "deleting.delete",
            "You deleted reader 345, not reader 123 (the wrong row).",
        ),
        ({"deleting.delete": "ann = db.session.get(Reader, 123)"}, "deleting.delete", "Nothing was deleted"),
        (
            {"deleting.delete": "db.session.delete(db.session.get(Reader, 123))"},
            "deleting.delete",
            "There is no variable named ann",
        ),
        ({"deleting.commit": "print('done')"}, "deleting.commit", "ann is only marked for deletion"),
        (
            {"deleting.commit": "print(len(db.session.scalars(select(Reader)).all()))"},
            "deleting.commit",
            "The DELETE was flushed (a query's autoflush sends it, so it looks done) but never committed",
        ),
        ({"deleting.commit": "db.session.rollback()"}, "deleting.commit", "Reader 123 is still in the database"),
    ],
)
def test_deleting_mistakes_are_diagnosed(notebook, change, checkpoint, says):
    diagnosed(notebook, checkpoint, {**DELETING, **change}, says)


def test_remaining_reviews_read_before_the_delete_says_so(notebook):
    bodies = {"deleting.remaining_reviews": "remaining_reviews = db.session.scalars(db.select(Review)).all()"}
    diagnosed(notebook, "deleting.remaining_reviews", bodies, "Ann's reviews are still there")


@pytest.mark.parametrize("checkpoint", ["add_and_commit.pending", "add_and_commit.flush", "add_and_commit.commit"])
@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("db.session.add(Reader())", "There is no variable named kim yet"),
        ("kim = Reader", "kim is the Reader class itself"),
        ('kim = "Kim Lee"', "kim is a str, not a Reader object."),
    ],
)
def test_add_and_commit_names_a_missing_or_wrong_kim(notebook, checkpoint, body, says):
    verdict = notebook.answers({checkpoint: body}) or notebook.verdict(checkpoint)
    assert verdict.status is Status.MISTAKE
    assert says in verdict.message
    assert " at 0x" not in verdict.message


def test_flush_without_kim_id_says_the_variable_is_missing(notebook):
    bodies = {
        "add_and_commit.pending": ADD_AND_COMMIT["add_and_commit.pending"],
        "add_and_commit.flush": "db.session.flush()",
    }
    diagnosed(notebook, "add_and_commit.flush", bodies, "There is no variable named kim_id yet")
