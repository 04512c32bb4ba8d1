"""The course's notebooks in real kernels: solutions pass every check, exercises fail every check, outputs are clean."""

import json
import re
from pathlib import Path

import nbformat
import pytest

from course_lib.authoring.execution import execute
from course_lib.authoring.layout import CourseLayout
from course_lib.authoring.notebook_format import checkpoint_of, checkpoints, has_tag
from course_lib.protocol import CHECK_TAG, VERDICT_MIMETYPE

ROOT = Path(__file__).resolve().parent.parent
COURSE = CourseLayout(ROOT)
ALL_NOTEBOOKS = [*COURSE.lessons, *COURSE.solutions, *COURSE.exercises]


def verdicts(notebook) -> dict[str, str]:
    """The status each check cell reported, by checkpoint."""
    found = {}
    for cell in notebook.cells:
        if has_tag(cell, CHECK_TAG):
            data = [
                output["data"][VERDICT_MIMETYPE]
                for output in cell.outputs
                if VERDICT_MIMETYPE in output.get("data", {})
            ]
            assert len(data) == 1, f"check cell of {checkpoint_of(cell)} showed {len(data)} verdicts"
            found[checkpoint_of(cell)] = json.loads(data[0])["status"]
    return found


def run(path: Path):
    return execute(nbformat.read(path, as_version=4), path.parent)


def unmet_postgresql_claims(notebook) -> list[str]:
    """What cells of a notebook run on PostgreSQL claim to print there (metadata course.on_postgresql) and did not."""
    unmet = []
    for cell in notebook.cells:
        claims = cell.get("metadata", {}).get("course", {}).get("on_postgresql", [])
        printed = "".join(output.get("text", "") for output in cell.get("outputs", []))
        unmet += [f"cell {cell.get('id')}: {claim!r}" for claim in claims if claim not in printed]
    return unmet


def errors(notebook) -> list[str]:
    return [
        output.get("ename", "")
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.output_type == "error"
    ]


# nbval (make test) re-runs every committed notebook in a fresh kernel and requires each stored output again, so the
# stored verdicts below are what a fresh kernel shows: no need to execute the notebooks a second time here.
@pytest.mark.parametrize("solution", COURSE.solutions, ids=lambda path: path.name)
def test_every_solution_passes_every_check(solution):
    notebook = nbformat.read(solution, as_version=4)
    assert errors(notebook) == []
    assert verdicts(notebook) == dict.fromkeys(checkpoints(notebook), "passed")


@pytest.mark.parametrize("exercise", COURSE.exercises, ids=lambda path: path.name)
def test_every_unsolved_exercise_runs_and_every_check_says_not_done_yet(exercise):
    notebook = nbformat.read(exercise, as_version=4)
    assert errors(notebook) == []
    assert verdicts(notebook) == dict.fromkeys(checkpoints(notebook), "not_done")


def test_in_a_real_kernel_a_mistake_is_diagnosed_and_a_magic_would_be_held(tmp_path):
    solution = nbformat.read(COURSE.root / "solutions" / "03_add_and_rollback.ipynb", as_version=4)
    answers = {checkpoint_of(cell): cell for cell in solution.cells if has_tag(cell, "answer")}
    answers["add_rollback.commit"].source = "# answer: add_rollback.commit\ndb.session.commit()"
    notebook = execute(solution, tmp_path)
    assert verdicts(notebook)["add_rollback.commit"] == "mistake"
    assert "You committed without try/except." in _check_output(notebook, "add_rollback.commit")

    answers["add_rollback.savepoint"].source += "\n%time db.session.commit()"
    notebook = execute(solution, tmp_path)
    assert verdicts(notebook)["add_rollback.savepoint"] == "held"
    assert "`%time db.session.commit()` is an IPython magic" in _check_output(notebook, "add_rollback.savepoint")


def _check_output(notebook, checkpoint: str) -> str:
    check = next(cell for cell in notebook.cells if has_tag(cell, CHECK_TAG) and checkpoint_of(cell) == checkpoint)
    return check.outputs[0]["data"]["text/plain"]


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_notebook_is_committed_executed_in_order_with_clean_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1)), "run `make build` and commit"
    stored = json.dumps([cell.outputs for cell in code])
    assert not re.search(r" at 0x[0-9a-f]{6,}", stored), "a memory address in the outputs changes at every run"
    assert errors(notebook) == []


@pytest.mark.parametrize(
    "path", [*COURSE.lessons, *COURSE.solutions], ids=lambda path: f"{path.parent.name}/{path.name}"
)
def test_runs_on_postgresql_with_the_check_results_of_sqlite(path, monkeypatch):
    """The stored outputs come from in-memory SQLite (nbval proves them current); PostgreSQL must judge alike.

    And where a lesson's text says what a cell prints on PostgreSQL (its metadata course.on_postgresql), it does.
    """
    monkeypatch.setenv("COURSE_DATABASE", "postgresql")
    notebook = run(path)
    assert errors(notebook) == []
    assert (
        "on a server the kit started"
        in notebook.cells[[c.cell_type for c in notebook.cells].index("code")].outputs[0]["text"]
    )
    assert verdicts(notebook) == verdicts(nbformat.read(path, as_version=4))
    assert unmet_postgresql_claims(notebook) == [], "a lesson's text says what a cell prints on PostgreSQL"


def test_a_cell_that_does_not_print_what_it_claims_on_postgresql_is_named():
    """Lessons quote, in their text, what a cell prints on PostgreSQL; the stored outputs come from SQLite."""
    cell = nbformat.v4.new_code_cell("print('B reads 5')", id="reads")
    cell.metadata = {"course": {"on_postgresql": ["B reads 5", "B reads again 6"]}}
    cell.outputs = [nbformat.v4.new_output("stream", text="B reads 5\nB reads again 5\n")]
    assert unmet_postgresql_claims(nbformat.v4.new_notebook(cells=[cell])) == ["cell reads: 'B reads again 6'"]
    lesson = nbformat.read(COURSE.root / "notebooks" / "08_two_requests.ipynb", as_version=4)
    assert len([cell for cell in lesson.cells if "on_postgresql" in cell.metadata.get("course", {})]) >= 5
