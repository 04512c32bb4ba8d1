"""Lesson 07, the Flask lesson, takes no longer to read than the longest of the other lessons (issue 12)."""

from pathlib import Path

import nbformat

from course_lib.authoring.layout import CourseLayout

ROOT = Path(__file__).resolve().parent.parent
WORDS_PER_MINUTE = 200


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


def test_words_count_prose_and_code_but_not_outputs(tmp_path):
    notebook = nbformat.v4.new_notebook()
    code = nbformat.v4.new_code_cell("print('one two')")
    code.outputs = [nbformat.v4.new_output("stream", text="many words of output " * 50)]
    notebook.cells = [nbformat.v4.new_markdown_cell("# A title\n\nThree more words."), code]
    path = tmp_path / "lesson.ipynb"
    nbformat.write(notebook, path)
    assert words(path) == 6 + 2
