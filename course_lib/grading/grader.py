"""Grades submissions: a graded copy each, run by nbval in parallel, judged check cell by check cell."""

import json
import sys
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode

from course_lib.authoring.layout import CourseLayout
from course_lib.authoring.manifest import Manifest
from course_lib.authoring.notebook_format import CHECK_TAG, checkpoint_of, has_tag
from course_lib.checks.verdict import VERDICT_MIMETYPE
from course_lib.grading.engine import EngineRun, grading_environment, run_nbval
from course_lib.grading.gradebook import GradeRow
from course_lib.grading.graded_copy import AUDIT_END_ID, graded_copy
from course_lib.grading.integrity import INTACT
from course_lib.grading.kernel_source import kernel_source
from course_lib.grading.submissions import read_submission


def grade_all(
    paths: list[Path],
    course: CourseLayout,
    manifest: Manifest,
    graded_folder: Path,
    *,
    jobs: int,
    cell_timeout: float,
    forked: bool = True,
    on_done: Callable[[], None] = lambda: None,
) -> list[GradeRow]:
    """Grade every submission, in batches run `jobs` at a time; rows come back in the order of `paths`."""
    paths = [path.resolve() for path in paths]
    common = _common_folder(paths)
    submissions = [read_submission(path, course, manifest) for path in paths]
    with tempfile.TemporaryDirectory(prefix="course-grade-") as scratch:
        copies: dict[int, tuple[NotebookNode, list[str], Path]] = {}
        problems: dict[int, str] = {}
        for number, submission in enumerate(submissions):
            if submission.problem is None and submission.reference and submission.notebook is not None:
                try:
                    notebook, missing = graded_copy(
                        nbformat.read(submission.reference, as_version=4), submission.notebook
                    )
                except Exception as error:  # one unforeseen notebook shape must not stop the class's grading
                    problems[number] = f"its cells could not be read ({type(error).__name__}: {error})"
                    on_done()
                    continue
                copy_path = Path(scratch) / f"{number:05}" / "graded.ipynb"
                copy_path.parent.mkdir()
                nbformat.write(notebook, copy_path)
                copies[number] = (notebook, missing, copy_path)
            else:
                on_done()
        runs: dict[Path, EngineRun] = {}

        def run_batch(batch: list[Path]) -> None:
            runs.update(run_nbval(batch, cell_timeout, kernels, on_notebook_done=lambda _: on_done()))

        kernels_folder = Path(scratch) / "kernels"
        with (
            kernel_source(kernels_folder, grading_environment(), forked=forked) as kernels,
            ThreadPoolExecutor(max_workers=max(1, jobs)) as pool,
        ):
            list(pool.map(run_batch, _batches([copy_path for _, _, copy_path in copies.values()], jobs)))
    rows: list[GradeRow] = []
    for number, submission in enumerate(submissions):
        name = paths[number].relative_to(common)
        if number not in copies:
            problem = submission.problem or problems.get(number, "not gradable")
            rows.append(GradeRow(name.as_posix(), submission.exercise or "", "", "invalid", 0, 0, problem))
            continue
        notebook, missing, copy_path = copies[number]
        rows += submission_rows(name, submission.exercise or "", notebook, missing, runs[copy_path], graded_folder)
    return rows


def submission_rows(
    name: Path, exercise: str, notebook: NotebookNode, missing: list[str], run: EngineRun, graded_folder: Path
) -> list[GradeRow]:
    """The gradebook rows of one graded copy; its executed copy is kept under `graded_folder`."""
    _keep_executed_copy(notebook, run, graded_folder / name)
    rows = [
        _checkpoint_row(name.as_posix(), exercise, cell, run, missing)
        for cell in notebook.cells
        if has_tag(cell, CHECK_TAG)
    ]
    tampering = _tampering(run)
    if tampering:
        rows = [GradeRow(row.submission, row.exercise, row.checkpoint, "error", 0, 1, tampering) for row in rows]
    return rows


def _batches(paths: list[Path], jobs: int, largest: int = 50) -> list[list[Path]]:
    """Split the work so that every worker has about the same share, in batches of at most `largest` notebooks."""
    size = max(1, min(largest, -(-len(paths) // max(1, jobs))))
    return [paths[start : start + size] for start in range(0, len(paths), size)]


def _tampering(run: EngineRun) -> str | None:
    """Why the checks of this run cannot be trusted, if the audit at its end saw the machinery changed."""
    record = run.cells.get(AUDIT_END_ID)
    if record is None or record.get("after_timeout"):
        return None  # the run did not get that far: the rows already say why
    text = "".join(output.get("text", "") for output in record["outputs"] if output.get("name") == "stdout").strip()
    if text == INTACT:
        return None
    return f"Suspected tampering with the checks ({text.removeprefix('integrity: ') or 'no audit output'}): no points."


def _checkpoint_row(label: str, exercise: str, cell: NotebookNode, run: EngineRun, missing: list[str]) -> GradeRow:
    checkpoint = checkpoint_of(cell) or ""
    record = run.cells.get(cell.id)
    verdict = _verdict(record["outputs"]) if record else None

    def row(status: str, message: str) -> GradeRow:
        return GradeRow(label, exercise, checkpoint, status, int(status == "passed"), 1, message)

    if checkpoint in missing:
        return row("missing", "The submission has no answer cell for this checkpoint.")
    if record is not None and record.get("after_timeout"):
        return row("timeout", "An earlier cell ran past the time limit (an endless loop?) and was interrupted.")
    if record is None or record["outcome"] == "skipped":
        if run.timed_out:
            return row("timeout", "The notebook ran past its time limit (an endless loop?) before this check.")
        return row("error", "The notebook stopped before this check (did the kernel die?).")
    if record["outcome"] == "passed" and verdict and verdict.get("status") == "passed":
        return row("passed", verdict.get("message", ""))
    if verdict is None:
        return row("error", "The check cell showed no verdict: the checking machinery may have been tampered with.")
    if verdict.get("status") == "passed":
        return row("error", "The check passed but its output differs from the reference: suspected tampering.")
    return row("failed", f"{verdict.get('label', '')}: {verdict.get('message', '')}")


def _verdict(outputs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The verdict a check cell displayed, if it displayed exactly one."""
    found = [output["data"][VERDICT_MIMETYPE] for output in outputs if VERDICT_MIMETYPE in output.get("data", {})]
    if len(found) != 1:
        return None
    try:
        verdict = json.loads(found[0])
    except (TypeError, ValueError):
        return None
    return verdict if isinstance(verdict, dict) else None


def _keep_executed_copy(notebook: NotebookNode, run: EngineRun, target: Path) -> None:
    """Store the graded copy with the outputs of this run, for the instructor to review."""
    executed = nbformat.from_dict(json.loads(nbformat.writes(notebook)))
    for cell in executed.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.from_dict(output) for output in run.cells.get(cell.id, {}).get("outputs", [])]
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(executed, target)


def _common_folder(paths: list[Path]) -> Path:
    """The deepest folder holding every path, so that submissions are named by their path below it."""
    parents = [path.resolve().parent for path in paths]
    common = parents[0] if parents else Path.cwd()
    while any(common not in (parent, *parent.parents) for parent in parents):
        common = common.parent
    return common


def progress_bar(total: int) -> Callable[[], None]:
    """A callback that redraws a one-line progress bar on stderr each time a submission is done."""
    done = [0]
    lock = threading.Lock()

    def advance() -> None:
        with lock:
            done[0] += 1
            filled = int(30 * done[0] / max(total, 1))
            bar = f"\rgrading [{'#' * filled}{'.' * (30 - filled)}] {done[0]}/{total}"
            print(bar, end="\n" if done[0] == total else "", file=sys.stderr, flush=True)

    return advance
