"""The grader on exercise 08: its checks replay answers on SQLite files in the sandbox's private /tmp."""

import csv
from pathlib import Path

import nbformat
import pytest

from course_lib.authoring.notebook_format import checkpoint_of
from course_lib.cli import main

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "08_two_requests.ipynb"
CHECKING_FIRST = """# answer: two_requests.sign_up
from sqlalchemy import select
def sign_up(session, name, surname, email):
    if session.scalar(select(Reader.id).filter_by(email=email)) is not None:
        return None
    reader = Reader(name=name, surname=surname, email=email)
    session.add(reader)
    session.commit()
    return reader.id
"""
LEAVES_A_FILE = """# answer: two_requests.lend
import tempfile
from pathlib import Path
(Path(tempfile.gettempdir()) / "left-by-a-student.db").write_text("not a database")
def lend(session, book_id):
    session.execute(update(Shelf).where(Shelf.book_id == book_id).values(on_loan=Shelf.on_loan + 1))
    session.commit()
"""


def submission(answers: dict[str, str]) -> str:
    notebook = nbformat.read(SOLUTION, as_version=4)
    for cell in notebook.cells:
        if checkpoint_of(cell) in answers and "answer" in cell.metadata.get("tags", []):
            cell.source = answers[checkpoint_of(cell)]
    return nbformat.writes(notebook)


CLASS = {
    "right/08_two_requests.ipynb": submission({}),
    "checking first/08_two_requests.ipynb": submission({"two_requests.sign_up": CHECKING_FIRST}),
    "a file in tmp/08_two_requests.ipynb": submission({"two_requests.lend": LEAVES_A_FILE}),
    "unsolved/08_two_requests.ipynb": (ROOT / "exercises" / "08_two_requests.ipynb").read_text(encoding="utf-8"),
}


@pytest.fixture(scope="module")
def rows(tmp_path_factory) -> dict[str, list[str]]:
    folder, out = tmp_path_factory.mktemp("class"), tmp_path_factory.mktemp("gradebook")
    for name, text in CLASS.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    admitted = str(folder / "a file in tmp" / "08_two_requests.ipynb")  # its tempfile and pathlib would be held
    assert main(["grade", str(folder), "--out", str(out), "--jobs", "1", "--timeout", "20", "--admit", admitted]) == 0
    graded: dict[str, list[str]] = {}
    for row in csv.DictReader((out / "grades.csv").open(encoding="utf-8")):
        graded.setdefault(row["submission"].partition("/")[0], []).append(f"{row['status']}: {row['message']}")
    return graded


def test_the_solution_passes_every_checkpoint_in_the_sandbox(rows):
    assert [row.partition(":")[0] for row in rows["right"]] == ["passed"] * 3


def test_checking_first_is_named_and_costs_the_sign_up_only(rows):
    assert [row.partition(":")[0] for row in rows["checking first"]] == ["failed", "passed", "passed"]
    assert "Your sign_up looks the email up first" in rows["checking first"][0]


def test_a_file_left_in_tmp_changes_no_replay_of_the_next_submission(rows):
    """Each replay's database is a file of its own, in a folder of its own, whatever else lies in /tmp (admitted)."""
    assert [row.partition(":")[0] for row in rows["a file in tmp"]] == ["passed"] * 3
    assert [row.partition(":")[0] for row in rows["unsolved"]] == ["failed"] * 3
