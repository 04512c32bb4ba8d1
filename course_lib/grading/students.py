"""The class by student: one record per student with points per exercise, and the CSV files platforms import."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from course_lib.authoring.manifest import Manifest
from course_lib.grading.gradebook import GradeRow, csv_text
from course_lib.grading.platform_names import Submitter, submitter


@dataclass(frozen=True)
class StudentRecord:
    """One student: who, the points counted per exercise (course order), and every row of every file they sent."""

    submitter: Submitter
    points: dict[str, int]
    maxima: dict[str, int]
    counted: dict[str, str]  # exercise -> the submission whose points count for it
    rows: tuple[GradeRow, ...]

    @property
    def total(self) -> int:
        """Points over all exercises."""
        return sum(self.points.values())

    @property
    def maximum(self) -> int:
        """The most points the exercises could give."""
        return sum(self.maxima.values())

    @property
    def percent(self) -> float:
        """Total as a percentage of the maximum."""
        return 100 * self.total / self.maximum if self.maximum else 0.0


def exercise_maxima(manifest: Manifest) -> dict[str, int]:
    """Each exercise's maximum, one point per checkpoint the manifest lists, in course order."""
    return {lesson.exercise: len(lesson.checkpoints) for lesson in manifest.lessons}


def with_real_maximum(rows: Iterable[GradeRow], manifest: Manifest) -> list[GradeRow]:
    """The rows, an invalid file's row worth 0 of its exercise's maximum (0 of 0 only when no exercise matched)."""
    maxima = exercise_maxima(manifest)
    return [replace(row, max_points=maxima.get(row.exercise, 0)) if row.status == "invalid" else row for row in rows]


def by_submission(rows: Iterable[GradeRow]) -> dict[str, list[GradeRow]]:
    """The rows of each submission, in the order they come."""
    grouped: dict[str, list[GradeRow]] = {}
    for row in rows:
        grouped.setdefault(row.submission, []).append(row)
    return grouped


def student_records(
    rows: Sequence[GradeRow], manifest: Manifest, counted: Sequence[str] | None = None
) -> list[StudentRecord]:
    """One record per student, sorted by name then id: points of the `counted` exercises (default: the course's).

    When a student sent several files for one exercise, the one with the most points counts (the first by path on a
    tie); a counted exercise a student sent nothing for counts 0 of its maximum. Files of exercises not counted are
    kept in the record's rows (their feedback page shows them) and count nothing.
    """
    submissions = by_submission(rows)
    chosen = set(exercise_maxima(manifest) if counted is None else counted)
    maxima = {exercise: top for exercise, top in exercise_maxima(manifest).items() if exercise in chosen}
    students: dict[tuple[str, str, str], list[str]] = {}
    for name in sorted(submissions):
        who = submitter(name)
        key = (who.platform, who.student_id, "" if who.student_id else who.name)
        students.setdefault(key, []).append(name)
    records = []
    for names in students.values():
        points, counted = {}, {}
        for exercise in maxima:
            candidates = [name for name in names if submissions[name][0].exercise == exercise]
            best = max(candidates, key=lambda name: sum(row.points for row in submissions[name]), default=None)
            points[exercise] = sum(row.points for row in submissions[best]) if best else 0
            if best:
                counted[exercise] = best
        own_rows = tuple(row for name in names for row in submissions[name])
        records.append(StudentRecord(submitter(names[0]), points, maxima, counted, own_rows))
    return sorted(records, key=lambda record: (record.submitter.name.casefold(), record.submitter.student_id))


def graded_exercises(records: Sequence[StudentRecord]) -> list[str]:
    """The exercises the class is graded on (those counted), in course order."""
    return list(records[0].maxima) if records else []


def received_exercises(records: Sequence[StudentRecord]) -> list[str]:
    """The counted exercises that at least one file was received for, in course order."""
    return [exercise for exercise in graded_exercises(records) if any(exercise in r.counted for r in records)]


def students_csv(records: Sequence[StudentRecord]) -> str:
    """One row per student: name, id, points per exercise, total, maximum, percent."""
    exercises = graded_exercises(records)
    return csv_text(
        ["student", "student_id", *exercises, "total", "max", "percent"],
        (
            [
                record.submitter.name,
                record.submitter.student_id,
                *(record.points[exercise] for exercise in exercises),
                record.total,
                record.maximum,
                f"{record.percent:.2f}",
            ]
            for record in records
        ),
    )


def canvas_csv(records: Sequence[StudentRecord], manifest: Manifest) -> str:
    """Canvas's gradebook import: one column of points per exercise, named by its lesson title, matched on Canvas's ID.

    Only counted exercises that some file was received for have a column: a column of zeros for an exercise nobody
    sent would overwrite that assignment's grades in Canvas. A student not named by a Canvas download has an empty
    ID; Canvas then matches the name, or asks.
    """
    exercises = received_exercises(records)
    titles = {lesson.exercise: lesson.title for lesson in manifest.lessons}
    maxima = records[0].maxima if records else {}
    rows: list[list[object]] = [["Points Possible", "", "", "", "", *(maxima[e] for e in exercises)]]
    for record in records:
        canvas_id = record.submitter.student_id if record.submitter.platform == "canvas" else ""
        rows.append([record.submitter.name, canvas_id, "", "", "", *(record.points[e] for e in exercises)])
    return csv_text(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *(titles[e] for e in exercises)], rows)


def moodle_csv(records: Sequence[StudentRecord]) -> str:
    """Moodle's grading worksheet for an assignment: the percent as grade out of 100, matched on "Participant <id>".

    The percent is of the counted exercises' points. A student not named by a Moodle download has an empty
    identifier, and Moodle skips the row.
    """
    rows = []
    for record in records:
        moodle = record.submitter.platform == "moodle"
        identifier = f"Participant {record.submitter.student_id}" if moodle else ""
        rows.append([identifier, record.submitter.name, f"{record.percent:.2f}", "100.00", "-"])
    return csv_text(["Identifier", "Full name", "Grade", "Maximum Grade", "Last modified (grade)"], rows)
