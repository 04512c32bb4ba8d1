"""The author's self-check finds each way a course can be unsound, and passes the course as committed."""

import shutil
from pathlib import Path

import nbformat
import pytest

from course_lib.authoring.layout import CourseLayout
from course_lib.authoring.self_check import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def course(tmp_path) -> CourseLayout:
    for folder in ("notebooks", "solutions", "exercises", "course_lib"):
        (tmp_path / folder).mkdir()
    for folder in ("notebooks", "solutions", "exercises"):
        for name in ("03_add_and_rollback.ipynb", "04_reading.ipynb"):
            shutil.copy(ROOT / folder / name, tmp_path / folder / name)
    (tmp_path / "course_lib" / "checks" / "references").mkdir(parents=True)
    for name in ("add_rollback.json", "reading.json"):
        shutil.copy(
            ROOT / "course_lib" / "checks" / "references" / name, tmp_path / "course_lib" / "checks" / "references"
        )
    manifest = (ROOT / "course_lib" / "course.toml").read_text(encoding="utf-8")
    lessons = manifest.split("[[lesson]]")
    kept = [lesson for lesson in lessons[1:] if '"03_add_and_rollback.ipynb"' in lesson or '"04_reading' in lesson]
    (tmp_path / "course_lib" / "course.toml").write_text(lessons[0] + "[[lesson]]" + "[[lesson]]".join(kept))
    return CourseLayout(tmp_path)


def problems_of(course: CourseLayout) -> list[str]:
    from course_lib.authoring import self_check
    from course_lib.authoring.manifest import parse_manifest

    manifest = parse_manifest(course.manifest.read_text(encoding="utf-8"))
    return self_check.course_problems(course, manifest) + self_check.behaviour_problems(course, manifest)


def test_the_committed_course_is_sound(capsys):
    assert main(CourseLayout(ROOT)) == 0
    assert "the course is sound" in capsys.readouterr().out


def test_a_trimmed_copy_is_sound(course):
    assert problems_of(course) == []


def test_a_stray_notebook_and_a_missing_one_are_named(course):
    shutil.copy(ROOT / "notebooks" / "05_updating.ipynb", course.root / "notebooks")
    (course.root / "exercises" / "04_reading.ipynb").unlink()
    problems = problems_of(course)
    assert "notebooks/05_updating.ipynb: not listed in the manifest" in problems
    assert "exercises/04_reading.ipynb: listed in the manifest, but missing" in problems


def test_an_empty_hint_is_named(course):
    text = course.manifest.read_text(encoding="utf-8")
    start = text.index("hint =", text.index('id = "reading.adams"'))
    end = text.index("\n", start)
    course.manifest.write_text(text[:start] + 'hint = ""' + text[end:], encoding="utf-8")
    assert "reading.adams: empty hint" in problems_of(course)


def test_a_stale_or_missing_reference_record_is_named(course):
    record = course.references / "reading.json"
    record.write_text(record.read_text(encoding="utf-8").replace("753", "754"), encoding="utf-8")
    (course.references / "add_rollback.json").unlink()
    stale = "the reference record is stale, run `make build` and commit the result"
    assert {f"reading.json: {stale}", f"add_rollback.json: {stale}"} <= set(problems_of(course))


def test_a_stale_exercise_is_named(course):
    path = course.root / "exercises" / "04_reading.ipynb"
    notebook = nbformat.read(path, as_version=4)
    notebook.cells[0].source += "\nedited by hand"
    nbformat.write(notebook, path)
    assert "exercises/04_reading.ipynb: stale, run `make build` and commit the result" in problems_of(course)


def test_a_solution_that_fails_its_check_is_named(course):
    path = course.root / "solutions" / "04_reading.ipynb"
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if "# answer: reading.adams" in cell.source:
            cell.source = "# answer: reading.adams\nadams = []"
    nbformat.write(notebook, path)
    assert any(
        problem.startswith("solutions/04_reading.ipynb: reading.adams is 'mistake'") for problem in problems_of(course)
    )


def test_a_broken_notebook_format_is_named(course):
    path = course.root / "solutions" / "03_add_and_rollback.ipynb"
    notebook = nbformat.read(path, as_version=4)
    check = next(cell for cell in notebook.cells if "check" in cell.metadata.get("tags", []))
    notebook.cells.remove(check)
    nbformat.write(notebook, path)
    assert any("is not followed by its check cell" in problem for problem in problems_of(course))


def test_a_stale_classroom_workflow_is_named(course):
    course.classroom_workflow.parent.mkdir(parents=True)
    course.classroom_workflow.write_text("name: an old workflow\n", encoding="utf-8")
    stale = "deploy/github-classroom/classroom.yml: stale, run `make build` and commit the result"
    assert stale in problems_of(course)
