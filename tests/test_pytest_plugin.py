"""Grading inside pytest and in GitHub Classroom: the grader's own pipeline, an item (and a point) per checkpoint.

Each run is a real `python -m pytest --course-grade ...` in a folder of its own, as an instructor or GitHub's
autograding action runs it; its JUnit XML is what CI systems read.
"""

import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import nbformat
import pytest
import yaml

from course_lib.authoring.layout import CourseLayout
from course_lib.authoring.manifest import load_manifest
from course_lib.grading.classroom import classroom_workflow

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "03_add_and_rollback.ipynb"
EXERCISE = ROOT / "exercises" / "03_add_and_rollback.ipynb"
CHECKPOINTS = ["add_rollback.new_reader", "add_rollback.add", "add_rollback.commit", "add_rollback.savepoint"]


def pytest_run(folder: Path, *arguments: str) -> tuple[int, dict[str, str | None], str]:
    """Run pytest with the plugin in `folder`: exit status, each item's failure message (None: it passed), output."""
    report = folder / "report.xml"
    command = [sys.executable, "-m", "pytest", *arguments, f"--junitxml={report}", "-p", "no:cacheprovider"]
    done = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=600, check=False)
    items = {}
    for case in ElementTree.parse(report).iter("testcase"):
        failure = case.find("failure")
        items[f"{case.get('classname')}::{case.get('name')}"] = None if failure is None else failure.get("message")
    return done.returncode, items, done.stdout + done.stderr


@pytest.fixture(scope="module")
def class_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("classroom")
    for student, source in (("ann", SOLUTION), ("bob", EXERCISE), ("cy", SOLUTION)):
        (folder / "class" / student).mkdir(parents=True)
        shutil.copy(source, folder / "class" / student / "03_add_and_rollback.ipynb")
    wrong = nbformat.read(SOLUTION, as_version=4)
    next(
        cell for cell in wrong.cells if "commit()" in cell.source and "answer" in cell.metadata.get("tags", [])
    ).source = "# answer: add_rollback.commit\ndb.session.commit()"
    nbformat.write(wrong, folder / "class" / "cy" / "03_add_and_rollback.ipynb")
    return folder


def test_a_solved_notebook_is_one_passing_item_per_checkpoint(class_folder):
    status, items, output = pytest_run(class_folder, "--course-grade", "class/ann/03_add_and_rollback.ipynb")
    assert status == 0, output
    assert items == {f"class.ann.03_add_and_rollback.ipynb::{checkpoint}": None for checkpoint in CHECKPOINTS}


def test_an_unsolved_notebook_fails_every_item_with_the_checks_message(class_folder):
    status, items, _ = pytest_run(class_folder, "--course-grade", "class/bob/03_add_and_rollback.ipynb")
    assert status == 1
    assert list(items) == [f"class.bob.03_add_and_rollback.ipynb::{checkpoint}" for checkpoint in CHECKPOINTS]
    assert all(message.startswith("failed: not done yet: ") for message in items.values())
    assert (
        "Add new_reader to the session with db.session.add(new_reader)."
        in items["class.bob.03_add_and_rollback.ipynb::add_rollback.add"]
    )


def test_a_folder_of_students_is_graded_at_once_each_item_named_by_file_and_checkpoint(class_folder):
    status, items, output = pytest_run(class_folder, "--course-grade", "class", "--course-jobs", "2")
    assert status == 1 and len(items) == 12, output
    assert [name for name, message in items.items() if message is None] == [
        *(f"class.ann.03_add_and_rollback.ipynb::{checkpoint}" for checkpoint in CHECKPOINTS),
        "class.cy.03_add_and_rollback.ipynb::add_rollback.new_reader",
        "class.cy.03_add_and_rollback.ipynb::add_rollback.add",
        "class.cy.03_add_and_rollback.ipynb::add_rollback.savepoint",
    ]
    assert "You committed without try/except." in items["class.cy.03_add_and_rollback.ipynb::add_rollback.commit"]


def test_the_same_rules_as_the_grader_hold_and_bad_input_is_one_line(class_folder):
    held = nbformat.read(SOLUTION, as_version=4)
    held.cells.insert(1, nbformat.v4.new_code_cell("import os"))
    nbformat.write(held, class_folder / "held.ipynb")
    status, items, _ = pytest_run(class_folder, "--course-grade", "held.ipynb")
    assert status == 1 and all(message.startswith("held: Held for review") for message in items.values())
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--course-grade", "nowhere.ipynb"],
        cwd=class_folder, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 4 and "No such file or folder: nowhere.ipynb" in done.stderr


def test_the_classroom_workflow_is_current_and_a_step_and_a_point_per_checkpoint():
    layout = CourseLayout(ROOT)
    manifest = load_manifest(layout.manifest)
    assert layout.classroom_workflow.read_text(encoding="utf-8") == classroom_workflow(manifest)
    steps = yaml.safe_load(layout.classroom_workflow.read_text(encoding="utf-8"))["jobs"]["run-autograding-tests"]
    graded = [step for step in steps["steps"] if step.get("uses") == "education/autograding-command-grader@v1"]
    assert [step["with"]["test-name"] for step in graded] == [info.id for info in manifest.checkpoint_infos()]
    assert {step["with"]["max-score"] for step in graded} == {1}
    reporter = steps["steps"][-1]
    assert reporter["with"]["runners"].split(",") == [step["id"] for step in graded]
    assert all(f"{step['id'].upper()}_RESULTS" in reporter["env"] for step in graded)


@pytest.mark.parametrize(("source", "passes"), [(SOLUTION, True), (EXERCISE, False)])
def test_the_classroom_workflows_own_command_grades_a_students_repository(tmp_path, source, passes):
    """Two steps' commands, as the workflow file states them, in a copy of a student's repository (the second one
    finds the first one's grading in pytest's cache)."""
    workflow = yaml.safe_load(CourseLayout(ROOT).classroom_workflow.read_text(encoding="utf-8"))
    steps = workflow["jobs"]["run-autograding-tests"]["steps"]
    chosen = ("add_rollback.add", "add_rollback.commit")
    commands = [step["with"]["command"] for step in steps if step.get("with", {}).get("test-name") in chosen]
    assert len(commands) == 2
    (tmp_path / "exercises").mkdir()
    shutil.copy(source, tmp_path / "exercises" / "03_add_and_rollback.ipynb")
    for command in commands:
        words = shlex.split(command)
        assert words[:3] == ["python", "-m", "pytest"]
        done = subprocess.run([sys.executable, *words[1:]], cwd=tmp_path, capture_output=True, text=True, check=False)
        assert (done.returncode == 0) is passes, done.stdout
        assert "1 passed" in done.stdout if passes else "1 failed" in done.stdout
