"""Every file of a gradebook, written from the grade rows: the CSV files, the report, and the feedback pages."""

import shutil
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from course_lib.authoring.manifest import Manifest
from course_lib.grading.feedback import feedback_file_names, feedback_html
from course_lib.grading.gradebook import GradeRow, grades_csv, summary_csv, write_atomically
from course_lib.grading.report import report_html
from course_lib.grading.students import (
    by_submission,
    canvas_csv,
    moodle_csv,
    student_records,
    students_csv,
    with_real_maximum,
)

GRADEBOOK_FILES = ("grades.csv", "summary.csv", "students.csv", "canvas.csv", "moodle.csv", "report.html")


def in_path_order(rows: Sequence[GradeRow]) -> list[GradeRow]:
    """The rows, submissions in the order of their paths (folder by folder), each submission's rows kept in order."""
    grouped = by_submission(rows)
    return [row for name in sorted(grouped, key=lambda name: PurePosixPath(name).parts) for row in grouped[name]]


def write_gradebook(rows: Sequence[GradeRow], out: Path, manifest: Manifest) -> None:
    """Write grades.csv, summary.csv, students.csv, canvas.csv, moodle.csv, report.html and feedback/ into `out`.

    Each file is replaced whole, and the feedback folder at once, so a reader never sees half a gradebook file and
    no page of an earlier run is left beside the new ones.
    """
    rows = in_path_order(with_real_maximum(rows, manifest))
    records = student_records(rows, manifest)
    pages = feedback_file_names(records)
    out.mkdir(parents=True, exist_ok=True)
    fresh, stale = out / ".feedback.partial", out / ".feedback.stale"
    for leftover in (fresh, stale):
        shutil.rmtree(leftover, ignore_errors=True)
    fresh.mkdir()
    for record, page in zip(records, pages, strict=True):
        (fresh / page).write_text(feedback_html(record, manifest), encoding="utf-8")
    texts = {
        "grades.csv": grades_csv(rows),
        "summary.csv": summary_csv(rows),
        "students.csv": students_csv(records),
        "canvas.csv": canvas_csv(records, manifest),
        "moodle.csv": moodle_csv(records),
        "report.html": report_html(rows, records, pages, manifest),
    }
    for name in GRADEBOOK_FILES:
        write_atomically(out / name, texts[name])
    if (out / "feedback").exists():
        (out / "feedback").rename(stale)
    fresh.rename(out / "feedback")
    shutil.rmtree(stale, ignore_errors=True)
