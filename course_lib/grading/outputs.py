"""Every file of a gradebook, written from the grade rows: the CSV files, the report, and the feedback pages."""

import functools
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from course_lib.authoring.manifest import Manifest
from course_lib.grading.feedback import feedback_file_names, feedback_html
from course_lib.grading.gradebook import GradeRow, grades_csv, summary_csv, write_atomically
from course_lib.grading.report import report_html
from course_lib.grading.students import (
    StudentRecord,
    by_submission,
    canvas_csv,
    graded_exercises,
    moodle_csv,
    received_exercises,
    student_records,
    students_csv,
    with_real_maximum,
)

GRADEBOOK_FILES = ("grades.csv", "summary.csv", "students.csv", "canvas.csv", "moodle.csv", "report.html")


def in_path_order(rows: Sequence[GradeRow]) -> list[GradeRow]:
    """The rows, submissions in the order of their paths (folder by folder), each submission's rows kept in order."""
    grouped = by_submission(rows)
    return [row for name in sorted(grouped, key=lambda name: PurePosixPath(name).parts) for row in grouped[name]]


@dataclass(frozen=True)
class Written:
    """What writing a gradebook came to: the files that could not be written, and what the instructor should know."""

    problems: list[str]
    notes: list[str]


def write_gradebook(
    rows: Sequence[GradeRow], out: Path, manifest: Manifest, counted: Sequence[str] | None = None
) -> Written:
    """Write grades.csv, summary.csv, students.csv, canvas.csv, moodle.csv, report.html and feedback/ into `out`.

    Percentages count the `counted` exercises (default: every exercise of the course). Each file is replaced whole,
    and the feedback folder at once, so a reader never sees half a gradebook file and no page of an earlier run is
    left beside the new ones. A file that cannot be made or written is named in the problems, and every other one is
    written all the same.
    """
    rows = in_path_order(with_real_maximum(rows, manifest))
    problems: list[str] = []

    @functools.cache
    def records() -> list[StudentRecord]:
        return student_records(rows, manifest, counted)

    @functools.cache
    def pages() -> list[str]:
        return feedback_file_names(records())

    out.mkdir(parents=True, exist_ok=True)
    builders: dict[str, Callable[[], str]] = {
        "grades.csv": lambda: grades_csv(rows),
        "summary.csv": lambda: summary_csv(rows),
        "students.csv": lambda: students_csv(records()),
        "canvas.csv": lambda: canvas_csv(records(), manifest),
        "moodle.csv": lambda: moodle_csv(records()),
        "report.html": lambda: report_html(rows, records(), pages(), manifest),
    }
    for name in GRADEBOOK_FILES:
        _attempt(problems, name, lambda path, build: write_atomically(path, build()), out / name, builders[name])
    _attempt(problems, "feedback/", lambda: _write_feedback(out, records(), pages(), manifest, problems))
    notes: list[str] = []
    _attempt(problems, "the summary's notes", lambda: notes.extend(gradebook_notes(rows, records())))
    return Written(problems, notes)


def gradebook_notes(rows: Sequence[GradeRow], records: Sequence[StudentRecord]) -> list[str]:
    """What to know before importing: counted exercises nobody sent, files not counted, students Moodle cannot match."""
    notes = []
    counted = graded_exercises(records)
    unsent = [exercise for exercise in counted if exercise not in received_exercises(records)]
    if unsent:
        notes.append(
            f"percentages count {len(counted)} exercises, and no file came for {len(unsent)} of them "
            f"({', '.join(unsent)}): grade --exercises chooses those that count"
        )
    uncounted = list(dict.fromkeys(row.exercise for row in rows if row.exercise and row.exercise not in counted))
    if uncounted:
        notes.append(f"files of {', '.join(uncounted)} are not counted (grade --exercises counts them)")
    unknown = [record for record in records if record.submitter.platform != "moodle"]
    if records and len(unknown) == len(records):
        notes.append("moodle.csv has no Moodle identifiers (not a Moodle download): Moodle would skip every row")
    elif unknown:
        notes.append(
            f"moodle.csv: {len(unknown)} of {len(records)} students have no Moodle identifier: Moodle skips them"
        )
    return notes


def _write_feedback(
    out: Path, records: Sequence[StudentRecord], pages: Sequence[str], manifest: Manifest, problems: list[str]
) -> None:
    """Write a page per student into a fresh folder, then put it in place of the old one at once."""
    fresh, stale = out / ".feedback.partial", out / ".feedback.stale"
    for leftover in (fresh, stale):
        shutil.rmtree(leftover, ignore_errors=True)
    fresh.mkdir()
    for record, page in zip(records, pages, strict=True):
        text = functools.partial(feedback_html, record, manifest)
        _attempt(problems, f"feedback/{page}", lambda path, text: path.write_text(text(), "utf-8"), fresh / page, text)
    if (out / "feedback").exists():
        (out / "feedback").rename(stale)
    fresh.rename(out / "feedback")
    shutil.rmtree(stale, ignore_errors=True)


def _attempt(problems: list[str], name: str, action: Callable[..., object], *arguments: object) -> None:
    """Do one output's work; if it fails, say so in the problems and go on with the others."""
    try:
        action(*arguments)
    except Exception as error:  # one output's failure must not cost the others
        problems.append(f"{name} could not be written ({type(error).__name__}: {error})")
