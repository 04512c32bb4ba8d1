"""Generates an exercise notebook from its solution: solution blocks become placeholders, outputs are cleared."""

import copy
import html
import re
from collections.abc import Mapping

from nbformat import NotebookNode
from nbformat.v4 import new_markdown_cell

from course_lib.authoring.notebook_format import checkpoint_of, has_tag
from course_lib.protocol import CHECK_TAG, HINT_TAG, KIT_KEY

PLACEHOLDER = "pass  # your code here"
SOLUTION_BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*(\n|\Z)",
    re.MULTILINE | re.DOTALL,
)


def strip_solutions(source: str) -> str:
    """Replace every `### BEGIN SOLUTION` ... `### END SOLUTION` block by an indented placeholder line."""
    return SOLUTION_BLOCK.sub(lambda match: f"{match['indent']}{PLACEHOLDER}\n", source).rstrip("\n")


def exercise_from_solution(solution: NotebookNode, hints: Mapping[str, str]) -> NotebookNode:
    """The student's copy of a solution: same cells and ids, no solutions or outputs, a folded hint under each check."""
    exercise = without_outputs(solution)
    cells = []
    for cell in exercise.cells:
        cell.source = strip_solutions(cell.source)
        cells.append(cell)
        checkpoint = checkpoint_of(cell)
        if has_tag(cell, CHECK_TAG) and checkpoint in hints:
            cells.append(hint_cell(checkpoint, hints[checkpoint]))
    exercise.cells = cells
    return exercise


def hint_cell(checkpoint: str, hint: str) -> NotebookNode:
    """A markdown cell whose hint stays folded until the student opens it."""
    cell = new_markdown_cell(
        f"<details><summary>💡 Hint for {checkpoint}</summary>\n\n{html.escape(hint, quote=False)}\n\n</details>",
        id=f"hint-{checkpoint.replace('.', '-').replace('_', '-')}",
    )
    cell.metadata = {"tags": [HINT_TAG], KIT_KEY: {"checkpoint": checkpoint}}
    return cell


def without_outputs(notebook: NotebookNode) -> NotebookNode:
    """A copy of the notebook with every output and execution count cleared (to compare structure only)."""
    bare = copy.deepcopy(notebook)
    for cell in bare.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return bare
