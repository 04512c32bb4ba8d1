"""`python -m course_lib check`: the author's self-check of the course, in seconds.

Manifest and files agree, every checkpoint is judged, hinted and tasked, the notebooks follow the format, exercises
and reference records match their solutions, solutions pass and exercises fail unsolved. Like rustlings' `dev
check`: it answers an author in seconds, where the whole test suite takes minutes.
"""

from collections.abc import Callable
from pathlib import Path

import nbformat

from course_lib.authoring.exercise_builder import exercise_from_solution, without_outputs
from course_lib.authoring.in_process import answer_cells, run_notebook
from course_lib.authoring.layout import CourseLayout
from course_lib.authoring.manifest import Manifest, load_manifest
from course_lib.authoring.notebook_format import checkpoints, exercise_name, format_problems
from course_lib.authoring.references import stale_references
from course_lib.checks.registry import all_judges


def course_problems(layout: CourseLayout, manifest: Manifest) -> list[str]:
    """Every way the course breaks its own rules, in words, the cheap checks first (empty when it is sound)."""
    problems = list(manifest.problems())
    listed = {lesson.notebook for lesson in manifest.lessons}
    for folder in ("notebooks", "solutions", "exercises"):
        present = {path.name for path in (layout.root / folder).glob("*.ipynb")}
        problems += [f"{folder}/{name}: listed in the manifest, but missing" for name in sorted(listed - present)]
        problems += [f"{folder}/{name}: not listed in the manifest" for name in sorted(present - listed)]
    judges = all_judges()
    for lesson in manifest.lessons:
        ids = [info.id for info in lesson.checkpoints]
        problems += [f"{id_}: no judge in course_lib/checks/exercises/" for id_ in ids if id_ not in judges]
        solution = layout.root / "solutions" / lesson.notebook
        if not solution.exists():
            continue
        notebook = nbformat.read(solution, as_version=4)
        problems += [f"solutions/{lesson.notebook}: {problem}" for problem in format_problems(notebook)]
        if exercise_name(notebook) != lesson.exercise:
            problems.append(f"solutions/{lesson.notebook}: course.exercise is not {lesson.exercise!r}")
        if checkpoints(notebook) != ids:
            problems.append(f"solutions/{lesson.notebook}: answer cells {checkpoints(notebook)}, manifest {ids}")
        problems += _stale(layout, solution, manifest)
    from course_lib.grading.classroom import classroom_workflow

    workflow = layout.classroom_workflow
    if workflow.exists() and workflow.read_text(encoding="utf-8") != classroom_workflow(manifest):
        problems.append(f"{workflow.relative_to(layout.root)}: stale, run `make build` and commit the result")
    exercises = {lesson.exercise for lesson in manifest.lessons}
    strays = {id_ for id_ in judges if id_.partition(".")[0] in exercises} - _ids(manifest)
    problems += [f"{id_}: judged, but not in the manifest" for id_ in sorted(strays)]
    return problems


def behaviour_problems(layout: CourseLayout, manifest: Manifest) -> list[str]:
    """Every solution must pass each of its checks, every exercise as generated must fail each one, unsolved.

    And what each solution commits must be what its reference record, which the grader compares with, says.
    """
    problems = stale_references(layout)
    for lesson in manifest.lessons:
        for folder, wanted in (("solutions", {"passed"}), ("exercises", {"not done yet"})):
            path = layout.root / folder / lesson.notebook
            if not path.exists():
                continue
            statuses = run_notebook(answer_cells(path))
            problems += [
                f"{folder}/{lesson.notebook}: {id_} is {status!r}, expected {' or '.join(sorted(wanted))}"
                for id_, status in statuses.items()
                if status not in wanted
            ]
    return problems


def main(layout: CourseLayout, report: Callable[[str], None] = print) -> int:
    """Print every problem found, or that the course is sound; 0 only when it is."""
    manifest = load_manifest(layout.manifest)
    problems = course_problems(layout, manifest)
    problems += behaviour_problems(layout, manifest)
    for problem in problems:
        report(f"✗ {problem}")
    lessons = len(manifest.lessons)
    report(f"{len(problems)} problem(s)" if problems else f"the course is sound: {lessons} lessons, all checks agree")
    return 1 if problems else 0


def _stale(layout: CourseLayout, solution: Path, manifest: Manifest) -> list[str]:
    """A problem when the committed exercise is not what its solution generates."""
    exercise = layout.exercise_for(solution)
    if not exercise.exists():
        return []
    hints = {info.id: info.hint for info in manifest.checkpoint_infos()}
    expected = nbformat.writes(exercise_from_solution(nbformat.read(solution, as_version=4), hints))
    if nbformat.writes(without_outputs(nbformat.read(exercise, as_version=4))) != expected:
        return [f"exercises/{exercise.name}: stale, run `make build` and commit the result"]
    return []


def _ids(manifest: Manifest) -> set[str]:
    return {info.id for info in manifest.checkpoint_infos()}
