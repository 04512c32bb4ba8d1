"""A student's progress: checkpoints passed per exercise, each checkpoint's diagnosis, and the next one to do."""

from course_lib.authoring.manifest import Manifest
from course_lib.grading.gradebook import GradeRow
from course_lib.grading.safe_text import visible

MARKS = {"passed": "✓"}


def progress_table(rows: list[GradeRow], manifest: Manifest, *, details: bool = False) -> str:
    """A plain-text table, one line per notebook, in course order; with `details`, one line per checkpoint under it.

    Names are escaped already (`name_of_path`), and the messages are shown with every control character visible:
    what a notebook wrote cannot move the terminal's cursor or turn a line around.
    """
    order = {lesson.exercise: index for index, lesson in enumerate(manifest.lessons)}
    by_submission: dict[str, list[GradeRow]] = {}
    for row in rows:
        by_submission.setdefault(row.submission, []).append(row)
    ranked = sorted(by_submission.items(), key=lambda item: (order.get(item[1][0].exercise, len(order)), item[0]))
    width = max([len("notebook"), *(len(name) for name in by_submission)])
    lines = [f"{'notebook':<{width}}  passed  next"]
    for name, own in ranked:
        graded = [row for row in own if row.checkpoint]
        if not graded:
            lines.append(f"{name:<{width}}     -    cannot be checked: {visible(own[0].message)}")
            continue
        passed = sum(row.status == "passed" for row in graded)
        todo = next((row for row in graded if row.status != "passed"), None)
        info = manifest.checkpoint(todo.checkpoint) if todo else None
        upcoming = f"{todo.checkpoint}: {info.task if info else todo.message}" if todo else "all done"
        lines.append(f"{name:<{width}}  {passed:>2}/{len(graded):<2}  {visible(upcoming)}")
        if details:
            lines += [f"    {MARKS.get(row.status, '✗')} {row.checkpoint}: {visible(row.message)}" for row in graded]
    return "\n".join(lines)


def lesson_note(name: str) -> str:
    """The line for a lesson notebook given to `progress`: lessons have no checkpoints."""
    return f"{name}: a lesson, not an exercise: it has nothing to check. Run progress on exercises/{name} instead."
