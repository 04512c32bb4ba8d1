"""Reads a submitted notebook as the grader's trusted side: its cells as Jupyter would run them, its answers."""

import re
from dataclasses import dataclass
from typing import Any

from nbformat import NotebookNode

from course_lib.authoring.notebook_format import checkpoint_of, has_tag
from course_lib.protocol import ANSWER_TAG, CHECK_TAG, marked_checkpoints

CHECK_CALL = re.compile(r"""^\s*check\(\s*["'](?P<checkpoint>[\w.]+)["']\s*\)\s*;?\s*$""")


@dataclass(frozen=True)
class Program:
    """What the sandbox runs (code cells, and check steps where the evidence is collected) and the answers to judge."""

    cells: list[dict[str, Any]]
    answers: dict[str, str]  # checkpoint id -> the source of the last cell that answers it, as Jupyter would run it


def program_of(student: NotebookNode, checkpoint_ids: list[str], reference_answer_ids: dict[str, str]) -> Program:
    """The student's code cells in order: answer cells marked so the answer log sees them, check cells as check steps.

    An answer cell is recognised by its metadata, by its `# answer:` lines or by the id of the exercise's answer
    cell it still carries; where several cells answer one checkpoint, the last one counts, as when Jupyter runs
    the notebook top to bottom. Cells of any other shape are skipped.
    """
    cells: list[dict[str, Any]] = []
    answers: dict[str, str] = {}
    raw_cells = student.get("cells")
    for at, cell in enumerate(raw_cells if isinstance(raw_cells, list) else []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code" or not isinstance(cell.get("source"), str):
            continue
        source = cell["source"]
        checked = _checked_checkpoint(cell, source, checkpoint_ids)
        if checked is not None:
            cells.append({"kind": "check", "checkpoint": checked, "at": at})
            continue
        answered = _answered_checkpoints(cell, source, checkpoint_ids, reference_answer_ids)
        unmarked = [id_ for id_ in answered if id_ not in marked_checkpoints(source)]
        source = "".join(f"# answer: {id_}\n" for id_ in unmarked) + source
        for checkpoint_id in answered:
            answers[checkpoint_id] = source
        cells.append({"kind": "code", "source": source, "at": at})
    return Program(cells, answers)


def _checked_checkpoint(cell: dict[str, Any], source: str, checkpoint_ids: list[str]) -> str | None:
    """The checkpoint a check cell checks: by its tag and metadata, or a cell that is only `check("...")`."""
    named = checkpoint_of(cell) if has_tag(cell, CHECK_TAG) else None
    if named in checkpoint_ids:
        return named
    call = CHECK_CALL.match(source)
    return call["checkpoint"] if call and call["checkpoint"] in checkpoint_ids else None


def _answered_checkpoints(
    cell: dict[str, Any], source: str, checkpoint_ids: list[str], reference_answer_ids: dict[str, str]
) -> list[str]:
    marked = [id_ for id_ in marked_checkpoints(source) if id_ in checkpoint_ids]
    if marked:
        return marked
    named = checkpoint_of(cell) if has_tag(cell, ANSWER_TAG) else None
    if named in checkpoint_ids:
        return [named]
    by_id = reference_answer_ids.get(cell.get("id")) if isinstance(cell.get("id"), str) else None
    return [by_id] if by_id in checkpoint_ids else []
