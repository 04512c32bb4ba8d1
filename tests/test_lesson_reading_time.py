"""Every lesson reads in 15 minutes or less: its prose and code at 200 words a minute (issue 21)."""

from pathlib import Path

import nbformat
import pytest

from course_lib.authoring.layout import CourseLayout

ROOT = Path(__file__).resolve().parent.parent
WORDS_PER_MINUTE = 200
MOST_MINUTES = 15
LESSONS = CourseLayout(ROOT).lessons


def words(path: Path) -> int:
    """Words of prose and code a student reads: every markdown and code cell, split on whitespace (not outputs)."""
    notebook = nbformat.read(path, as_version=4)
    return sum(len(cell.source.split()) for cell in notebook.cells if cell.cell_type in ("markdown", "code"))


def reading_minutes(path: Path) -> float:
    """How long a lesson takes to read, in minutes."""
    return words(path) / WORDS_PER_MINUTE


def test_the_course_has_lessons_to_time():
    assert len(LESSONS) >= 7


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda path: path.name)
def test_the_lesson_reads_in_15_minutes_or_less(lesson):
    minutes = reading_minutes(lesson)
    assert minutes <= MOST_MINUTES, f"{lesson.name} reads in {minutes:.1f} min ({words(lesson)} words)"


def test_words_count_prose_and_code_but_not_outputs(tmp_path):
    notebook = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("print('one two')")
    code.outputs = [nbformat.v4.new_output("stream", text="many words of output " * 50)]
    notebook.cells = [nbformat.v4.new_markdown_cell("# A title\n\nThree more words."), code]
    path = tmp_path / "lesson.ipynb"
    nbformat.write(notebook, path)
    assert words(path) == 6 + 2
    assert reading_minutes(path) == 8 / WORDS_PER_MINUTE


def test_a_lesson_longer_than_15_minutes_fails(tmp_path):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("word " * (MOST_MINUTES * WORDS_PER_MINUTE + 1))]
    path = tmp_path / "long.ipynb"
    nbformat.write(notebook, path)
    with pytest.raises(AssertionError, match=r"long\.ipynb reads in 15\.0 min \(3001 words\)"):
        test_the_lesson_reads_in_15_minutes_or_less(path)
