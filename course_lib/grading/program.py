"""Reads a submitted notebook as the grader's trusted side: its cells as Jupyter would run them, and its answers.

It also places each checkpoint's evidence collection, and lists the code outside the course's vocabulary.
"""

import re
from dataclasses import dataclass
from typing import Any

from nbformat import NotebookNode

from course_lib.authoring.notebook_format import checkpoint_of, has_tag
from course_lib.checks.admission import Refusal, refusals
from course_lib.protocol import ANSWER_TAG, CHECK_TAG, marked_checkpoints

CHECK_CALL = re.compile(r"""^\s*check\(\s*["'](?P<checkpoint>[\w.]+)["']\s*\)\s*;?\s*$""")


@dataclass(frozen=True)
class Program:
    """What the sandbox runs, in order, and what the grader judges.

    `cells` holds the code cells (`kind` "code", with the checkpoints it `answers`), the check cells (`kind`
    "check"; `judged` when it is the one whose evidence counts) and, where no check cell follows a checkpoint's last
    answer cell, a step collecting its evidence right there (`kind` "collect", no `at`). `answers` maps each
    checkpoint to the source of the last cell that answers it, as Jupyter would run it; `refusals` lists what in the
    code is outside the course's vocabulary.
    """

    cells: list[dict[str, Any]]
    answers: dict[str, str]
    refusals: list[Refusal]


def program_of(student: NotebookNode, checkpoint_ids: list[str], reference_answer_ids: dict[str, str]) -> Program:
    """The student's code cells in order: answer cells marked so the answer log sees them, check cells as check steps.

    An answer cell is recognised by its metadata, by its `# answer:` lines or by the id of the exercise's answer
    cell it still carries; where several cells answer one checkpoint, the last one counts, as when Jupyter runs
    the notebook top to bottom. Each checkpoint is judged on the evidence collected right after that last answer:
    at the first check cell of the checkpoint that follows it, or else at once. Cells of any other shape are skipped.
    """
    cells: list[dict[str, Any]] = []
    answers: dict[str, str] = {}
    last_answer: dict[str, int] = {}  # checkpoint -> position in `cells` of its last answer cell
    sources: list[tuple[int, str]] = []
    raw_cells = student.get("cells")
    for at, cell in enumerate(raw_cells if isinstance(raw_cells, list) else []):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code" or not isinstance(cell.get("source"), str):
            continue
        source = cell["source"]
        sources.append((at, source))
        checked = _checked_checkpoint(cell, source, checkpoint_ids)
        if checked is not None:
            cells.append({"kind": "check", "checkpoint": checked, "at": at, "judged": False})
            continue
        answered = _answered_checkpoints(cell, source, checkpoint_ids, reference_answer_ids)
        unmarked = [id_ for id_ in answered if id_ not in marked_checkpoints(source)]
        source = "".join(f"# answer: {id_}\n" for id_ in unmarked) + source
        for checkpoint_id in answered:
            answers[checkpoint_id] = source
            last_answer[checkpoint_id] = len(cells)
        cells.append({"kind": "code", "source": source, "at": at, "answers": answered})
    return Program(_with_judged_steps(cells, last_answer), answers, refusals(sources))


def _with_judged_steps(cells: list[dict[str, Any]], last_answer: dict[str, int]) -> list[dict[str, Any]]:
    """Mark the check cell each checkpoint is judged at; add a collect step where no check cell follows its answer."""
    collect_after: dict[int, list[str]] = {}
    for checkpoint, position in last_answer.items():
        check = next(
            (step for step in cells[position + 1 :] if step["kind"] == "check" and step["checkpoint"] == checkpoint),
            None,
        )
        if check is not None:
            check["judged"] = True
        else:
            collect_after.setdefault(position, []).append(checkpoint)
    steps: list[dict[str, Any]] = []
    for position, step in enumerate(cells):
        steps.append(step)
        steps += [{"kind": "collect", "checkpoint": checkpoint} for checkpoint in collect_after.get(position, [])]
    return steps


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
