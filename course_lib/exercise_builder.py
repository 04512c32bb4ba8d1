"""Generates an exercise notebook from its solution: solution blocks become placeholders, outputs are cleared."""

import copy
import re

from nbformat import NotebookNode

PLACEHOLDER = "pass  # your code here"
SOLUTION_BLOCK = re.compile(
    r"^(?P<indent>[ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*(\n|\Z)",
    re.MULTILINE | re.DOTALL,
)


def strip_solutions(source: str) -> str:
    """Replace every `### BEGIN SOLUTION` ... `### END SOLUTION` block by an indented placeholder line."""
    return SOLUTION_BLOCK.sub(lambda match: f"{match['indent']}{PLACEHOLDER}\n", source).rstrip("\n")


def exercise_from_solution(solution: NotebookNode) -> NotebookNode:
    """The student's copy of a solution notebook: same cells and ids, no solutions, no outputs."""
    exercise = without_outputs(solution)
    for cell in exercise.cells:
        cell.source = strip_solutions(cell.source)
    return exercise


def without_outputs(notebook: NotebookNode) -> NotebookNode:
    """A copy of the notebook with every output and execution count cleared (to compare structure only)."""
    bare = copy.deepcopy(notebook)
    for cell in bare.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return bare
