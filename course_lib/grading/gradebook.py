"""The gradebook: one row per submission and checkpoint, a summary per submission, written all or nothing."""

import csv
import io
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

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


def grades_csv(rows: Iterable[GradeRow]) -> str:
    """The gradebook as CSV text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(GRADE_COLUMNS)
    writer.writerows([getattr(row, column) for column in GRADE_COLUMNS] for row in rows)
    return buffer.getvalue()


def summary_csv(rows: Iterable[GradeRow]) -> str:
    """The per-submission summary as CSV text."""
    summary = summary_rows(rows)
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=["submission", "exercise", "points", "max_points", *STATUSES], lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(summary)
    return buffer.getvalue()
