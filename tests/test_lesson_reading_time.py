"""How long the lessons take to read: 07 no longer than the longest other (issue 12); 07 and 08 in 15 minutes (21)."""

from pathlib import Path

import nbformat
import pytest

from course_lib.authoring.layout import CourseLayout

ROOT = Path(__file__).resolve().parent.parent
WORDS_PER_MINUTE = 200
LIMIT_MINUTES = 15


def words(path: Path) -> int:
    """Words of prose and code a student reads: every markdown and code cell, split on whitespace (not outputs)."""
    notebook = nbformat.read(path, as_version=4)
    return sum(len(cell.source.split()) for cell in notebook.cells if cell.cell_type in ("markdown", "code"))


def reading_minutes() -> dict[str, float]:
    return {path.name: words(path) / WORDS_PER_MINUTE for path in CourseLayout(ROOT).lessons}


def test_the_flask_lesson_is_not_longer_than_the_longest_other_lesson():
    minutes = reading_minutes()
    flask = next(name for name in minutes if name.startswith("07_"))
    others = {name: value for name, value in minutes.items() if name != flask}
    longest = max(others, key=others.get)
    figures = ", ".join(f"{name} {value:.1f} min" for name, value in minutes.items())
    assert minutes[flask] <= others[longest], f"{flask} reads longer than {longest}: {figures}"


@pytest.mark.parametrize("prefix", ["07_", "08_"])
def test_the_lesson_reads_in_15_minutes_or_less(prefix):
    name, minutes = next((name, value) for name, value in reading_minutes().items() if name.startswith(prefix))
    assert minutes <= LIMIT_MINUTES, f"{name} takes {minutes:.1f} minutes to read"


def test_words_count_prose_and_code_but_not_outputs(tmp_path):
    notebook = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("print('one two')")
    code.outputs = [nbformat.v4.new_output("stream", text="many words of output " * 50)]
    notebook.cells = [nbformat.v4.new_markdown_cell("# A title\n\nThree more words."), code]
    path = tmp_path / "lesson.ipynb"
    nbformat.write(notebook, path)
    assert words(path) == 6 + 2
