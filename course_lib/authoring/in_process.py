"""Runs a course notebook's code cells in an in-process IPython shell and judges its checkpoints (fast, no kernel)."""

import gc
import io
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import nbformat

from course_lib.protocol import CHECK_TAG, marked_checkpoints


def answer_cells(path: Path) -> list[tuple[str | None, str]]:
    """The notebook's code cells to run, in order: (checkpoint, source) for answers, (None, source) for the rest."""
    cells = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code" or CHECK_TAG in cell.get("metadata", {}).get("tags", []):
            continue
        marked = marked_checkpoints(cell.source)
        cells.append((marked[0] if marked else None, cell.source))
    return cells


def run_notebook(cells: list[tuple[str | None, str]], replaced: tuple[str, str] | None = None) -> dict[str, str]:
    """Run the cells (one answer swapped: checkpoint, source) in an in-process IPython shell; the verdicts.

    Each checkpoint is judged right after its answer cell, where its check cell stands (as in the notebook and the
    grader), so that a later cell (say, one that commits) cannot make an earlier mistake look right.
    """
    from IPython.core.interactiveshell import InteractiveShell

    from course_lib.checks.registry import judge
    from course_lib.classroom import lesson
    from course_lib.classroom.answer_log import ANSWERS

    shell = InteractiveShell.instance()
    gc.freeze()  # what is loaded by now stays: a shell's reset collects garbage, and need not walk it all each time
    shell.reset(new_session=False)
    verdicts = {}
    try:
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            for checkpoint, source in cells:
                swapped = replaced is not None and checkpoint == replaced[0]
                shell.run_cell(replaced[1] if swapped else source, store_history=True)
                if checkpoint:  # judged where its check cell stands, before later cells change the session
                    verdicts[checkpoint] = judge(checkpoint, shell.user_ns, ANSWERS.latest, shell.transform_cell)
        return {id_: verdict.status.value for id_, verdict in verdicts.items()}
    finally:
        shell.reset(new_session=False)
        lesson._end_previous_lesson()
