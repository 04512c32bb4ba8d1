"""Lessons are referred to one way everywhere, and every link to a lesson's step leads to that step (issue 21).

A reference reads `lesson 03` (two digits), or is a link `[lesson 03, Step 7](03_add_and_rollback.ipynb#cell-id=...)`
whose cell id JupyterLab scrolls to: the cell must exist in that lesson and hold the heading the link names.
"""

import re
from pathlib import Path

import nbformat
import pytest

from course_lib.authoring.layout import CourseLayout

ROOT = Path(__file__).resolve().parent.parent
COURSE = CourseLayout(ROOT)
NOTEBOOKS = [*COURSE.lessons, *COURSE.solutions, *COURSE.exercises]
LINK = re.compile(r"\[lesson (\d\d)(?:, ([^\]]+))?\]\(([^)#\s]+)(?:#cell-id=([\w-]+))?\)")
ANY_NOTEBOOK_LINK = re.compile(r"\[[^\]]*\]\([^)\s]*\.ipynb[^)\s]*\)")
ONE_DIGIT = re.compile(r"\b(?:[Ll]esson|Exercise) \d\b")
HEADING = re.compile(r"^## (Step \d+|Setup|Summary)\b", re.MULTILINE)


def markdown_of(path: Path) -> str:
    notebook = nbformat.read(path, as_version=4)
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def heading_of(path: Path, cell_id: str) -> str | None:
    """The `## Step N` (or Setup, Summary) heading of a notebook's cell, None when there is no such cell or heading."""
    cell = next((cell for cell in nbformat.read(path, as_version=4).cells if cell.get("id") == cell_id), None)
    found = HEADING.search(cell.source) if cell is not None and cell.cell_type == "markdown" else None
    return found.group(1) if found else None


def link_problems(path: Path, lessons: Path = ROOT / "notebooks") -> list[str]:
    """Every link of the notebook to a lesson that does not lead where its text says (empty when all do)."""
    problems = []
    text = markdown_of(path)
    for link in ANY_NOTEBOOK_LINK.findall(text):
        if not LINK.fullmatch(link):
            problems.append(f"{link}: a link to a lesson reads [lesson NN](...) or [lesson NN, Step N](...)")
    for match in LINK.finditer(text):
        number, label, target, cell_id = match.groups()
        lesson = (path.parent / target).resolve()
        if not lesson.is_file() or lesson.parent != lessons.resolve():
            problems.append(f"{match.group(0)}: {target} is not a lesson notebook")
        elif not lesson.name.startswith(number):
            problems.append(f"{match.group(0)}: the link names lesson {number} but leads to {lesson.name}")
        elif (label is None) != (cell_id is None):
            problems.append(f"{match.group(0)}: a step is named without its cell id, or the reverse")
        elif cell_id is not None and heading_of(lesson, cell_id) != label:
            problems.append(f"{match.group(0)}: cell {cell_id} of {lesson.name} is {heading_of(lesson, cell_id)}")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_every_link_to_a_lesson_leads_to_the_step_it_names(path):
    assert link_problems(path) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_lessons_and_exercises_are_numbered_with_two_digits(path):
    found = ONE_DIGIT.findall(markdown_of(path))
    assert found == [], f"write 'lesson 03', not {found}"


def test_each_wrong_link_is_named(tmp_path):
    lessons = tmp_path / "notebooks"
    lessons.mkdir()
    lesson = lessons / "02_add_and_commit.ipynb"
    lesson.write_bytes((ROOT / "notebooks" / lesson.name).read_bytes())
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell(
            "[lesson 02, Step 2](02_add_and_commit.ipynb#cell-id=flush-intro), [lesson 03](02_add_and_commit.ipynb), "
            "[lesson 02, Step 1](02_add_and_commit.ipynb#cell-id=no-such-cell), [the flush](02_add_and_commit.ipynb), "
            "[lesson 02, Step 3](02_add_and_commit.ipynb), [lesson 05](05_updating.ipynb)"
        )
    ]
    path = lessons / "99_links.ipynb"
    nbformat.write(notebook, path)
    assert link_problems(path, lessons) == [
        "[the flush](02_add_and_commit.ipynb): a link to a lesson reads [lesson NN](...) or [lesson NN, Step N](...)",
        "[lesson 02, Step 2](02_add_and_commit.ipynb#cell-id=flush-intro): cell flush-intro of 02_add_and_commit.ipynb "
        "is Step 3",
        "[lesson 03](02_add_and_commit.ipynb): the link names lesson 03 but leads to 02_add_and_commit.ipynb",
        "[lesson 02, Step 1](02_add_and_commit.ipynb#cell-id=no-such-cell): cell no-such-cell of "
        "02_add_and_commit.ipynb is None",
        "[lesson 02, Step 3](02_add_and_commit.ipynb): a step is named without its cell id, or the reverse",
        "[lesson 05](05_updating.ipynb): 05_updating.ipynb is not a lesson notebook",
    ]
