"""The gradebook: one row per submission and checkpoint, a summary per submission, written all or nothing."""

import csv
import io
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from course_lib.grading.safe_text import spreadsheet_safe, visible

STATUSES = ("passed", "failed", "error", "timeout", "missing", "invalid", "held")


@dataclass(frozen=True)
class GradeRow:
    """One checkpoint of one submission (or one row for a file that is not a gradable notebook)."""

    submission: str
    exercise: str
    checkpoint: str
    status: str
    points: int
    max_points: int
    message: str
    answer: str = ""  # the student's answer cell for this checkpoint, shown in their feedback (not in grades.csv)


GRADE_COLUMNS = ("submission", "exercise", "checkpoint", "status", "points", "max_points", "message")


def summary_rows(rows: Iterable[GradeRow]) -> list[dict[str, object]]:
    """One row per submission: its total, and how many checkpoints ended in each status."""
    by_submission: dict[str, list[GradeRow]] = {}
    for row in rows:
        by_submission.setdefault(row.submission, []).append(row)
    summary = []
    for submission, own in by_submission.items():
        counts = {status: sum(row.status == status for row in own) for status in STATUSES}
        summary.append(
            {
                "submission": submission,
                "exercise": own[0].exercise,
                "points": sum(row.points for row in own),
                "max_points": sum(row.max_points for row in own),
                **counts,
            },
        )
    return summary


def write_atomically(path: Path, text: str) -> None:
    """Write a file so that a reader sees either the old or the whole new content, never half of it."""
    temporary = path.with_name(f".{path.name}.partial")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A CSV file's text, safe to open: every CSV of the gradebook is written by this function.

    In each cell, invisible and control characters are escaped but line breaks and tabs (a bare carriage return or
    a NUL would end a row where no reader expects it), and a cell a spreadsheet would run as a formula is neutralised.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows([_safe_cell(cell) for cell in row] for row in [header, *rows])
    return buffer.getvalue()


def _safe_cell(cell: object) -> object:
    return spreadsheet_safe(visible(cell, keep="\n\t") if isinstance(cell, str) else cell)


def grades_csv(rows: Iterable[GradeRow]) -> str:
    """The gradebook as CSV text."""
    return csv_text(GRADE_COLUMNS, ([getattr(row, column) for column in GRADE_COLUMNS] for row in rows))


def summary_csv(rows: Iterable[GradeRow]) -> str:
    """The per-submission summary as CSV text."""
    columns = ["submission", "exercise", "points", "max_points", *STATUSES]
    return csv_text(columns, ([row[column] for column in columns] for row in summary_rows(rows)))
