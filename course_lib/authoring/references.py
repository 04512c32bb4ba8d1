"""Records what each reference solution does (`checks/references/<exercise>.json`), from `solutions/`, for the checks.

Run by `course_lib build`; the self-check says when a record is stale. The solution's cells run in an in-process
IPython shell with the lesson's database in a file, as the grader's runner has it, and after each answer cell the
committed rows are read in the file itself.
"""

import io
import json
import os
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

from course_lib.authoring.in_process import answer_cells
from course_lib.authoring.layout import CourseLayout
from course_lib.authoring.notebook_format import exercise_name
from course_lib.checks.reference import Rows, changes
from course_lib.protocol import LESSON_FILE_VARIABLE


def reference_record(solution: Path) -> dict[str, Any]:
    """The seed, and what the solution has committed since, after each of its answer cells, by checkpoint."""
    from IPython.core.interactiveshell import InteractiveShell

    from course_lib.authoring.manifest import load_manifest
    from course_lib.bookclub.database import committed_rows
    from course_lib.checks.registry import Attempt, collect_evidence, judge_of
    from course_lib.classroom import lesson
    from course_lib.classroom.answer_log import ANSWERS

    committed: dict[str, Any] = {}
    evidence: dict[str, Any] = {}
    seed: Rows = {}
    shell = InteractiveShell.instance()
    shell.reset(new_session=False)
    with tempfile.TemporaryDirectory(prefix="reference-") as folder:
        file = os.path.join(folder, "lesson.sqlite")
        previous = os.environ.get(LESSON_FILE_VARIABLE)
        os.environ[LESSON_FILE_VARIABLE] = file
        try:
            with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
                for checkpoint, source in answer_cells(solution):
                    shell.run_cell(source, store_history=False)
                    seed = seed or committed_rows(file)  # the setup cell made the lesson's database
                    if checkpoint:
                        committed[checkpoint] = changes(seed, committed_rows(file))
                    found = judge_of(checkpoint) if checkpoint else None
                    if found is not None and found.compares and (answer := ANSWERS.latest(checkpoint)):
                        earlier = tuple(
                            run
                            for id_ in load_manifest().checkpoints_before(checkpoint)
                            if (run := ANSWERS.latest(id_)) is not None
                        )
                        attempt = Attempt(shell.user_ns, answer, earlier, shell.transform_cell)
                        evidence[checkpoint] = collect_evidence(checkpoint, attempt)
        finally:
            shell.reset(new_session=False)
            lesson._end_previous_lesson()
            if previous is None:
                os.environ.pop(LESSON_FILE_VARIABLE, None)
            else:
                os.environ[LESSON_FILE_VARIABLE] = previous
    answers = {checkpoint: source for checkpoint, source in answer_cells(solution) if checkpoint}
    record = {"seed": seed, "order": list(committed), "committed": committed, "answers": answers}
    return record | ({"evidence": evidence} if evidence else {})


def reference_text(solution: Path) -> str:
    """The reference record of a solution, as the JSON text committed in the package."""
    return json.dumps(reference_record(solution), indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write_references(layout: CourseLayout) -> list[Path]:
    """Write the reference record of each solution of the course; the files written."""
    written = []
    for solution in layout.solutions:
        target = _record_path(layout, solution)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(reference_text(solution), encoding="utf-8")
        written.append(target)
    return written


def stale_references(layout: CourseLayout) -> list[str]:
    """A problem for each reference record that is missing or not what its solution gives now."""
    problems = []
    for solution in layout.solutions:
        target = _record_path(layout, solution)
        if not target.exists() or target.read_text(encoding="utf-8") != reference_text(solution):
            problems.append(f"{target.name}: the reference record is stale, run `make build` and commit the result")
    return problems


def _record_path(layout: CourseLayout, solution: Path) -> Path:
    """Where the record of a solution goes: named after its exercise."""
    import nbformat

    return layout.references / f"{exercise_name(nbformat.read(solution, as_version=4)) or solution.stem}.json"
