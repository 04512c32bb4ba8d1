"""Shared fixtures: an in-process IPython shell that runs cells the way a notebook does."""

from collections.abc import Iterator

import pytest
from IPython.core.interactiveshell import InteractiveShell

from course_lib.bookclub.database import create_course_app, database_url, dispose
from course_lib.bookclub.models import db
from course_lib.checks import Verdict, judge
from course_lib.checks.admission import refusals
from course_lib.classroom import lesson
from course_lib.classroom.answer_log import ANSWERS

SETUP_CELL = """\
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from course_lib import Annotation, Book, Reader, Review, check, db, start_lesson
app = start_lesson(show_sql=False)
"""


class FakeNotebook:
    """Runs cells in a real IPython shell and judges checkpoints against its namespace."""

    def __init__(self, shell: InteractiveShell) -> None:
        self.shell = shell
        self.ran: list[str] = []

    def run(self, source: str) -> None:
        self.ran.append(source)
        self.shell.run_cell(source, store_history=True)

    def answer(self, checkpoint: str, body: str) -> None:
        self.run(f"# answer: {checkpoint}\n{body}")

    def answers(self, bodies: dict[str, str]) -> None:
        for checkpoint, body in bodies.items():
            self.answer(checkpoint, body)

    def verdict(self, checkpoint: str) -> Verdict:
        return judge(checkpoint, self.shell.user_ns, ANSWERS.latest, self.shell.transform_cell)


@pytest.fixture
def notebook(request) -> Iterator[FakeNotebook]:
    """A fresh notebook; afterwards, every cell it ran must be admitted by the grader (no honest answer is held).

    A test that runs code on purpose outside the course's vocabulary says so with @pytest.mark.outside_vocabulary.
    """
    shell = InteractiveShell.instance()
    shell.reset(new_session=False)
    fake = FakeNotebook(shell)
    fake.run(SETUP_CELL)
    yield fake
    shell.reset(new_session=False)
    lesson._end_previous_lesson()
    if request.node.get_closest_marker("outside_vocabulary") is None:
        held = refusals(enumerate(fake.ran))
        assert not held, f"an honest answer would be held for review: {held[0].sentence()}"


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> Iterator[str]:
    """An app context on a fresh seeded database: in-memory SQLite, then the kit's PostgreSQL server."""
    app = create_course_app(database_url("" if request.param == "sqlite" else "postgresql"))
    with app.app_context():
        yield request.param
        db.session.remove()
    dispose(app)
