"""Grading as a declared pipeline: read, plan, run in the sandbox, decide, keep; each stage one small function.

Student code runs only in the `run` stage, in a sandboxed process of its own per submission, which writes evidence
as plain data. Every other stage runs here, in the grader's trusted process, and runs no student code.
"""

import functools
import json
import os
import queue
import signal
import stat
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbformat.v4 import new_output

from course_lib.authoring.layout import CourseLayout
from course_lib.authoring.manifest import Manifest
from course_lib.authoring.notebook_format import checkpoint_of, has_tag
from course_lib.checks.registry import Witness, decide
from course_lib.checks.verdict import Status, Verdict
from course_lib.grading.gradebook import GradeRow
from course_lib.grading.program import Program, program_of
from course_lib.grading.safe_text import storable_path
from course_lib.grading.sandbox import Outcome, Slot, grading_command, notebook_seconds, sandbox_available
from course_lib.grading.submissions import Submission, read_submission, submission_name
from course_lib.protocol import ANSWER_TAG

OUTPUT_LIMIT = 8 * 1024 * 1024  # what one submission may write back, evidence and printed text together
READY_SECONDS = 10.0  # starting Python and importing the kit, on a busy machine, on top of the cells' time


TAMPERED = "Suspected tampering, no points: "
HELD = "Held for review, no points until your instructor has read it: "
SHOWN_REFUSALS = 3  # how many constructs a held submission's message names


class SandboxUnavailable(RuntimeError):
    """Grading was asked to be sandboxed, and no sandbox works on this machine."""


@dataclass
class Settings:
    """How one grading run works: where the course is, how long a cell may run, the sandbox and the parallelism."""

    course: CourseLayout
    manifest: Manifest
    graded_folder: Path | None
    cell_timeout: float
    jobs: int
    sandbox: str | None  # its description, or None when unsandboxed
    names_below: Path | None = None  # the folder submissions are named from (default: the deepest holding them all)
    on_start: Callable[[str], None] = lambda name: None  # told each submission's name as it starts, and ends
    on_done: Callable[[str], None] = lambda name: None
    admitted: frozenset[str] = frozenset()  # the absolute paths of submissions to grade even when held


@dataclass
class Work:
    """One submission as it goes through the stages."""

    path: Path
    name: str
    submission: Submission | None = None
    program: Program | None = None
    outcome: Outcome | None = None
    records: list[dict[str, Any]] = field(default_factory=list)
    rows: list[GradeRow] = field(default_factory=list)
    slot: Slot | None = None  # the sandbox this submission runs in, while it is graded


def sandbox_for(*, require: bool) -> str | None:
    """The sandbox grading will use; None (unsandboxed) where there is none, unless one is required."""
    if not hasattr(os, "fork"):
        raise SandboxUnavailable(
            "grading needs a POSIX system (Linux, macOS, or WSL on Windows): it forks and sets limits"
        )
    found = sandbox_available()
    if found is None and require:
        raise SandboxUnavailable(
            "no sandbox (bubblewrap, `bwrap`) works on this machine, and --require-sandbox asks for one"
        )
    return found


def read(settings: Settings, work: Work) -> None:
    """Read the file, never following a link; match it to its exercise, or say why it cannot be graded."""
    mode = os.lstat(work.path).st_mode
    if stat.S_ISLNK(mode) or not stat.S_ISREG(mode):
        kind = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
        work.rows = [_invalid(work, None, f"{kind}: not followed, not graded")]
        return
    work.submission = read_submission(work.path, settings.course, settings.manifest)
    if work.submission.problem is not None:
        work.rows = [_invalid(work, work.submission.exercise, work.submission.problem)]


def plan(settings: Settings, work: Work) -> None:
    """Decide what the sandbox will run, or hold the submission for review when its code is outside the vocabulary."""
    submission = work.submission
    if work.rows or submission is None or submission.notebook is None or submission.reference is None:
        return
    program = program_of(submission.notebook, _checkpoints(settings, work), _answer_cell_ids(submission.reference))
    if program.refusals and str(work.path) not in settings.admitted:
        work.rows = [_held(work, checkpoint, program) for checkpoint in _checkpoints(settings, work)]
        return
    work.program = program


def run(settings: Settings, work: Work) -> None:
    """Run the program in a child of a sandbox's warm runner, under the grader's limits; keep the lines it wrote."""
    if work.program is None or work.slot is None:
        return
    job = {
        "cells": work.program.cells,
        "checkpoints": _checkpoints(settings, work),
        "cell_timeout": settings.cell_timeout,
        "sandboxed": settings.sandbox is not None,
    }
    timeout = READY_SECONDS + notebook_seconds(settings.cell_timeout)  # the same for 4 cells or 400
    work.outcome = work.slot.run(job, timeout)
    for line in work.outcome.output.split(b"\n"):
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            work.records.append(record)


def judge(settings: Settings, work: Work) -> None:
    """Turn the evidence into one row per checkpoint, deciding with the same rules as the student's check()."""
    if work.program is None or work.outcome is None:
        return
    tampered = next((record["tampered"] for record in work.records if isinstance(record.get("tampered"), str)), None)
    if tampered is not None:
        work.rows = [
            GradeRow(work.name, work.submission.exercise or "", checkpoint, "error", 0, 1, TAMPERED + tampered + ".")
            for checkpoint in _checkpoints(settings, work)
        ]
        return
    evidence = {}
    for record in work.records:  # one record per checkpoint, collected where program.py placed it
        checkpoint = record.get("checkpoint")
        if isinstance(checkpoint, str):
            evidence[checkpoint] = record
    checkpoints = _checkpoints(settings, work)
    work.rows = [
        _row(settings, work, checkpoint, evidence.get(checkpoint), evidence.get(before) if index else None)
        for index, (before, checkpoint) in enumerate(zip([None, *checkpoints], checkpoints, strict=False))
    ]


def keep(settings: Settings, work: Work) -> None:
    """Store the student's notebook with what each cell printed and each verdict, for the instructor to review."""
    if settings.graded_folder is None or work.program is None or work.submission is None:
        return
    notebook = work.submission.notebook
    assert notebook is not None
    executed = _executed_copy(notebook, work)
    target = settings.graded_folder / storable_path(work.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    # a lone surrogate (which a notebook's JSON may hold, as \ud800) is written back as that same JSON escape
    target.write_text(nbformat.writes(executed), encoding="utf-8", errors="backslashreplace")


#: The stages, in order. Each takes the settings and one submission; `run` is the only one that runs student code.
STAGES: tuple[Callable[[Settings, Work], None], ...] = (read, plan, run, judge, keep)


def grade_all(paths: list[Path], settings: Settings) -> list[GradeRow]:
    """Grade every submission, `settings.jobs` at a time; rows come back in the order of `paths`."""
    paths = [Path(os.path.abspath(path)) for path in paths]
    common = settings.names_below or _common_folder(paths)
    works = [Work(path, submission_name(path, common)) for path in paths]

    command = grading_command(sandboxed=settings.sandbox is not None)
    slots: queue.Queue[Slot] = queue.Queue()
    for _ in range(max(1, settings.jobs)):
        slots.put(Slot(command, output_limit=OUTPUT_LIMIT))

    def grade_one(work: Work) -> None:
        work.slot = slots.get()
        try:
            settings.on_start(work.name)
            for stage in STAGES:
                stage(settings, work)
        except Exception as error:  # one unforeseen shape must cost its own row, never the class's gradebook
            work.rows = [_invalid(work, None, f"could not be graded ({type(error).__name__}: {error})")]
        finally:
            slots.put(work.slot)
            work.slot = None
        settings.on_done(work.name)

    try:
        with ThreadPoolExecutor(max_workers=max(1, settings.jobs)) as pool:
            list(pool.map(grade_one, works))
    finally:
        while not slots.empty():
            slots.get().close()
    return [row for work in works for row in work.rows]


@functools.cache
def _answer_cell_ids(reference: Path) -> dict[str, str]:
    """The ids of a reference solution's answer cells and their checkpoints, read once per grading process."""
    notebook = nbformat.read(reference, as_version=4)
    return {cell.id: checkpoint_of(cell) or "" for cell in notebook.cells if has_tag(cell, ANSWER_TAG)}


def _checkpoints(settings: Settings, work: Work) -> list[str]:
    assert work.submission is not None
    lesson = next(item for item in settings.manifest.lessons if item.exercise == work.submission.exercise)
    return [info.id for info in lesson.checkpoints]


def _invalid(work: Work, exercise: str | None, problem: str) -> GradeRow:
    return GradeRow(work.name, exercise or "", "", "invalid", 0, 0, problem)


def _held(work: Work, checkpoint: str, program: Program) -> GradeRow:
    """The row of a checkpoint of a submission held for review: no points, and where its code leaves the vocabulary."""
    assert work.submission is not None
    shown = "; ".join(refusal.sentence() for refusal in program.refusals[:SHOWN_REFUSALS])
    more = len(program.refusals) - SHOWN_REFUSALS
    message = HELD + shown + (f"; and {more} more." if more > 0 else ".")
    answer = program.answers.get(checkpoint, "")
    return GradeRow(work.name, work.submission.exercise or "", checkpoint, "held", 0, 1, message, answer)


def _row(
    settings: Settings, work: Work, checkpoint: str, record: dict[str, Any] | None, before: dict[str, Any] | None
) -> GradeRow:
    """The gradebook row of one checkpoint, from the file's answer and the sandbox's evidence (also `before`'s)."""
    assert work.program is not None and work.outcome is not None and work.submission is not None

    def row(status: str, message: str) -> GradeRow:
        exercise, answer = work.submission.exercise or "", work.program.answers.get(checkpoint) or ""
        return GradeRow(work.name, exercise, checkpoint, status, int(status == "passed"), 1, message, answer)

    source = work.program.answers.get(checkpoint)
    if source is None:
        return row("missing", "The submission has no answer cell for this checkpoint.")
    if record is None:
        return row(*_why_no_evidence(work))
    if record.get("timed_out") is True:
        return row(
            "timeout", f"An answer cell ran past the time limit ({settings.cell_timeout:g} s) for this check: stopped."
        )
    if not record.get("ran"):
        source = None
    error = record.get("error") if isinstance(record.get("error"), dict) else None
    witness = Witness(
        record.get("stored", {"error": "none read"}),
        record.get("as_run"),
        record.get("run_again"),
        before.get("stored") if isinstance(before, dict) else None,
    )
    verdict = decide(checkpoint, source, error, record.get("evidence"), witness)
    if verdict.status is Status.PASSED:
        return row("passed", verdict.message)
    if verdict.status is Status.CHECK_FAILED:
        return row("error", verdict.message)
    return row("failed", f"{verdict.status.value}: {verdict.message}")


def _why_no_evidence(work: Work) -> tuple[str, str]:
    """Why the sandbox wrote no evidence for a checkpoint: stopped at a limit, or a process died first."""
    outcome = work.outcome
    assert outcome is not None
    if outcome.timed_out:
        return "timeout", "The notebook ran past its time limit (an endless loop?) before this check: it was stopped."
    if outcome.output_cut:
        return "error", "The notebook printed more than the grader reads before this check: it was stopped."
    if outcome.process_cap_reached:
        return (
            "error",
            "The notebook started more processes than allowed (a fork bomb?) before this check: it was stopped.",
        )
    if any(record.get("done") is True for record in work.records):
        return "error", "The notebook ended without running this check."
    exits = [record["child_exit"] for record in work.records if isinstance(record.get("child_exit"), int)]
    if not exits:  # the sandbox's runner itself died: only the notebook's code could have killed it
        return (
            "error",
            f"The kernel died before this check: the notebook killed its grader ({_ending(outcome.returncode)}).",
        )
    if _signal_of(exits[0]) in (signal.SIGXCPU, signal.SIGKILL):  # the CPU-time limit: SIGXCPU, then SIGKILL
        return "timeout", "The notebook used up its CPU time (an endless loop?) before this check: it was stopped."
    return "error", f"The kernel died before this check ({_ending(exits[0])}): a crash, os._exit or sys.exit."


def _signal_of(code: int | None) -> int:
    """The signal that ended a process, from its exit code (negative, or 128 + signal from a shell or bwrap)."""
    code = code or 0
    return -code if code < 0 else code - 128 if code > 128 else 0


def _ending(code: int | None) -> str:
    number = _signal_of(code)
    return f"signal {signal.Signals(number).name}" if number in signal.valid_signals() else f"exit status {code}"


def _executed_copy(notebook: NotebookNode, work: Work) -> NotebookNode:
    """A copy of the student's notebook with the sandbox's printed output and the grader's verdicts as outputs."""
    assert work.program is not None
    executed = nbformat.from_dict(json.loads(json.dumps(notebook, default=str)))
    printed = {
        record["cell"]: record.get("output", "") for record in work.records if isinstance(record.get("cell"), int)
    }
    verdicts = {row.checkpoint: row for row in work.rows}
    for step, planned in enumerate(work.program.cells):
        if "at" not in planned:
            continue  # a collect step of the grader's, not a cell of the notebook
        cell = executed.cells[planned["at"]]
        if planned["kind"] == "check" and planned["checkpoint"] in verdicts:
            graded = verdicts[planned["checkpoint"]]
            shown = Verdict(graded.checkpoint, _status(graded.status), graded.message)
            cell["outputs"] = [new_output("display_data", data=shown._repr_mimebundle_())]
        else:
            text = printed.get(step, "")
            cell["outputs"] = [new_output("stream", name="stdout", text=text)] if text else []
    return executed


def _status(status: str) -> Status:
    return Status.PASSED if status == "passed" else Status.MISTAKE


def _common_folder(paths: list[Path]) -> Path:
    """The deepest folder holding every path, so that submissions are named by their path below it."""
    parents = [path.parent for path in paths]
    common = parents[0] if parents else Path.cwd()
    while any(common not in (parent, *parent.parents) for parent in parents):
        common = common.parent
    return common
