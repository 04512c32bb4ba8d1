"""Exercises are generated from solutions, follow the notebook format, and are never stale."""

import copy
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course_lib.authoring.exercise_builder import exercise_from_solution, strip_solutions, without_outputs
from course_lib.authoring.layout import CourseLayout
from course_lib.authoring.manifest import load_manifest
from course_lib.authoring.notebook_format import checkpoints, format_problems
from course_lib.checks import all_judges
from course_lib.cli import main

ROOT = Path(__file__).resolve().parent.parent
COURSE = CourseLayout(ROOT)
HINTS = {info.id: info.hint for info in load_manifest(COURSE.manifest).checkpoint_infos()}


def test_strip_solutions_keeps_the_indentation_and_everything_around_the_blocks():
    source = (
        "# answer: x.y\n### BEGIN SOLUTION\nvalue = 1\n### END SOLUTION\n"
        "try:\n    ### BEGIN SOLUTION\n    risky()\n    ### END SOLUTION\nfinally:\n    done()"
    )
    assert strip_solutions(source) == (
        "# answer: x.y\npass  # your code here\ntry:\n    pass  # your code here\nfinally:\n    done()"
    )
    assert strip_solutions("print(1)") == "print(1)"


def sample_solution():
    answer = new_code_cell("# answer: demo.one\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION", id="answer-one")
    answer.metadata = {"tags": ["answer"], "course": {"checkpoint": "demo.one"}}
    answer.outputs = [nbformat.v4.new_output("stream", text="hi\n")]
    answer.execution_count = 3
    check = new_code_cell('check("demo.one")', id="check-one")
    check.metadata = {"tags": ["check"], "course": {"checkpoint": "demo.one"}}
    notebook = new_notebook(cells=[answer, check], metadata={"course": {"exercise": "demo"}})
    return notebook


def test_exercise_from_solution_clears_outputs_and_keeps_ids_tags_and_metadata():
    exercise = exercise_from_solution(sample_solution(), {"demo.one": "Use <b>x</b>."})
    answer, check, hint = exercise.cells
    assert hint.source == "<details><summary>💡 Hint for demo.one</summary>\n\nUse &lt;b&gt;x&lt;/b&gt;.\n\n</details>"
    assert (hint.id, hint.metadata) == ("hint-demo-one", {"tags": ["hint"], "course": {"checkpoint": "demo.one"}})
    assert answer.source == "# answer: demo.one\npass  # your code here"
    assert (answer.outputs, answer.execution_count, answer.id) == ([], None, "answer-one")
    assert answer.metadata == {"tags": ["answer"], "course": {"checkpoint": "demo.one"}}
    assert check.source == 'check("demo.one")'
    assert exercise.metadata == {"course": {"exercise": "demo"}}
    assert format_problems(exercise) == []


def broken(change):
    notebook = sample_solution()
    change(notebook)
    return format_problems(notebook)


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda nb: nb.metadata.pop("course"), "the notebook has no metadata course.exercise"),
        (lambda nb: nb.cells[0].metadata.pop("course"), "answer cell 0 has no metadata course.checkpoint"),
        (lambda nb: setattr(nb.cells[0], "source", "x = 1"), "answer cell 0 lacks the line '# answer: demo.one'"),
        (lambda nb: nb.cells.pop(1), "answer cell 0 (demo.one) is not followed by its check cell"),
        (lambda nb: nb.cells[1].metadata.pop("course"), "check cell 1 has no metadata course.checkpoint"),
        (lambda nb: nb.cells.extend(copy.deepcopy(nb.cells)), "checkpoint demo.one has more than one answer cell"),
    ],
)
def test_format_problems_are_each_named(change, problem):
    assert problem in broken(change)


@pytest.mark.parametrize("solution", COURSE.solutions, ids=lambda path: path.name)
def test_solution_is_well_formed_and_its_checkpoints_exist(solution):
    notebook = nbformat.read(solution, as_version=4)
    assert format_problems(notebook) == []
    assert set(checkpoints(notebook)) <= set(all_judges())


def test_every_registered_checkpoint_has_a_solution():
    covered = {id_ for path in COURSE.solutions for id_ in checkpoints(nbformat.read(path, as_version=4))}
    assert covered == set(all_judges())


@pytest.mark.parametrize("solution", COURSE.solutions, ids=lambda path: path.name)
def test_committed_exercise_is_generated_from_its_solution(solution):
    expected = exercise_from_solution(nbformat.read(solution, as_version=4), HINTS)
    committed = without_outputs(nbformat.read(COURSE.exercise_for(solution), as_version=4))
    assert nbformat.writes(committed) == nbformat.writes(expected), (
        f"{COURSE.exercise_for(solution).name} is stale: run `make build` and commit the result"
    )


def test_build_writes_the_exercises_and_refuses_a_malformed_solution(tmp_path, capsys):
    (tmp_path / "solutions").mkdir()
    (tmp_path / "course_lib").mkdir()
    (tmp_path / "course_lib" / "course.toml").write_text(
        '[[lesson]]\nnotebook = "01_demo.ipynb"\nexercise = "demo"\ntitle = "Demo"\n'
    )
    nbformat.write(sample_solution(), tmp_path / "solutions" / "01_demo.ipynb")
    assert main(["build", "--root", str(tmp_path), "--no-execute"]) == 0
    exercise = nbformat.read(tmp_path / "exercises" / "01_demo.ipynb", as_version=4)
    assert exercise.cells[0].source == "# answer: demo.one\npass  # your code here"
    bad = sample_solution()
    bad.cells.pop(1)
    nbformat.write(bad, tmp_path / "solutions" / "01_demo.ipynb")
    assert main(["build", "--root", str(tmp_path), "--no-execute"]) == 1
    assert "is not followed by its check cell" in capsys.readouterr().err
