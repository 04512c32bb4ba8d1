"""Builds the notebook that is really graded: the reference exercise, with only the student's answers put in."""

import copy

from nbformat import NotebookNode
from nbformat.v4 import new_code_cell, new_output

from course_lib.authoring.exercise_builder import exercise_from_solution
from course_lib.authoring.notebook_format import ANSWER_TAG, CHECK_TAG, checkpoint_of, has_tag
from course_lib.classroom.answer_log import marked_checkpoints
from course_lib.grading.integrity import INTACT

NBVAL_IGNORE_OUTPUT = "nbval-ignore-output"
NBVAL_RAISES_EXCEPTION = "raises-exception"


def student_answers(student: NotebookNode, answer_cell_ids: dict[str, str]) -> dict[str, str]:
    """The source of each answer the student wrote, by checkpoint: found by metadata, marker line or cell id."""
    cells = student.get("cells")
    answers: dict[str, str] = {}
    for cell in cells if isinstance(cells, list) else []:
        if not isinstance(cell, dict) or cell.get("cell_type") != "code" or not isinstance(cell.get("source"), str):
            continue
        cell_id = cell.get("id")
        by_id = answer_cell_ids.get(cell_id) if isinstance(cell_id, str) else None
        named = checkpoint_of(cell) if has_tag(cell, ANSWER_TAG) else None
        for checkpoint in [named] if named else marked_checkpoints(cell["source"]) or ([by_id] if by_id else []):
            answers.setdefault(checkpoint, cell["source"])
    return answers


def graded_copy(solution: NotebookNode, student: NotebookNode) -> tuple[NotebookNode, list[str]]:
    """The reference exercise with the student's answer cells in place, and the checkpoints the student left out.

    Everything but the answers comes from the reference: the setup, the check cells with their tags, metadata and
    expected outputs (those of the solution), and the notebook metadata. Answer cells get nbval tags that let them
    raise and print freely (their check judges them); the student's own markers are neutralised.
    """
    reference = exercise_from_solution(solution, {})
    expected = {checkpoint_of(cell): cell.outputs for cell in solution.cells if has_tag(cell, CHECK_TAG)}
    answer_cell_ids = {cell.id: checkpoint_of(cell) for cell in reference.cells if has_tag(cell, ANSWER_TAG)}
    answers = student_answers(student, answer_cell_ids)
    missing = []
    for cell in reference.cells:
        if cell.cell_type != "code":
            continue
        checkpoint = checkpoint_of(cell)
        if has_tag(cell, CHECK_TAG):
            cell.outputs = copy.deepcopy(expected[checkpoint])
            cell.execution_count = 1
            continue
        if has_tag(cell, ANSWER_TAG):
            if checkpoint in answers:
                source = _neutralised(answers[checkpoint])
                marked = checkpoint in marked_checkpoints(source)
                cell.source = source if marked else f"# answer: {checkpoint}\n{source}"
            else:
                missing.append(checkpoint)
        cell.metadata["tags"] = [*cell.metadata.get("tags", []), NBVAL_IGNORE_OUTPUT, NBVAL_RAISES_EXCEPTION]
    _add_audit(reference)
    return reference, missing


AUDIT_START_ID, AUDIT_END_ID = "grader-audit-start", "grader-audit-end"


def _add_audit(notebook: NotebookNode) -> None:
    """Fingerprint the checking machinery after the setup cell, and compare at the very end."""
    start = new_code_cell("from course_lib.grading.integrity import start_audit\n\nstart_audit()", id=AUDIT_START_ID)
    end = new_code_cell("from course_lib.grading.integrity import finish_audit\n\nfinish_audit()", id=AUDIT_END_ID)
    end.outputs = [new_output("stream", name="stdout", text=f"{INTACT}\n")]
    end.execution_count = 1
    setup = next(index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code")
    notebook.cells.insert(setup + 1, start)
    notebook.cells.append(end)


def _neutralised(source: str) -> str:
    """The source with nbval's comment markers (# NBVAL_SKIP and the like) made inert."""
    return source.replace("NBVAL_", "NBVAL-ignored-by-the-grader_")
