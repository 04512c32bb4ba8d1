"""Mutation testing of the checks: every wrong variant of every solution answer fails some check (score 100%).

And the grader agrees with the student's own check on every mutant, checkpoint by checkpoint: it decides on more
than a check can see in a notebook (the database's own word about what was committed, the answer as the notebook ran
compared with a replay of it), which must never change the verdict on an honest answer, right or wrong.
"""

import csv
from pathlib import Path

import nbformat
import pytest

from course_lib.authoring.layout import CourseLayout
from course_lib.authoring.mutation import OPERATORS, Mutant, answer_cells, mutants_of, mutation_score
from course_lib.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_every_way_of_erring_applies_to_some_solution():
    layout = CourseLayout(ROOT)
    mutants = [
        mutant
        for path in layout.solutions
        for checkpoint, source in answer_cells(path)
        if checkpoint
        for mutant in mutants_of(path.name, checkpoint, source)
    ]
    applied = {mutant.operator for mutant in mutants}
    assert len(mutants) >= 30
    assert set(OPERATORS) <= applied
    assert any(name.startswith("literal") for name in applied)


SOLUTIONS = CourseLayout(ROOT).solutions


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda path: path.stem)
def test_every_mutant_is_caught_and_graded_as_its_check_says(solution, tmp_path):
    lines: list[str] = []
    verdicts: list[tuple[Mutant, dict[str, str]]] = []
    caught, total, survivors = mutation_score(CourseLayout(ROOT), lines.append, only=solution, verdicts=verdicts)
    assert total >= 1
    assert survivors == [], "\n".join(lines)
    assert caught == total
    assert disagreements_with_the_grader(solution, verdicts, tmp_path) == []


def disagreements_with_the_grader(solution: Path, verdicts, folder: Path) -> list[str]:
    """Grade every mutant as a submission; each checkpoint the grader and the check do not both pass, or both fail."""
    expected = {}
    for number, (mutant, statuses) in enumerate(verdicts):
        notebook = nbformat.read(solution, as_version=4)
        cell = next(
            cell
            for cell in notebook.cells
            if cell.metadata.get("course", {}).get("checkpoint") == mutant.checkpoint
            and "answer" in cell.metadata.get("tags", [])
        )
        cell.source = mutant.source
        name = f"{number} {mutant.checkpoint}.ipynb"
        nbformat.write(notebook, folder / name)
        expected[name] = statuses
    assert main(["grade", str(folder), "--out", str(folder / "out")]) == 0
    rows = list(csv.DictReader((folder / "out" / "grades.csv").open(encoding="utf-8")))
    return [
        f"{row['submission']} {row['checkpoint']}: the check says {expected[row['submission']][row['checkpoint']]}, "
        f"the grader {row['status']} ({row['message']})"
        for row in rows
        if (row["status"] == "passed") != (expected[row["submission"]][row["checkpoint"]] == "passed")
    ]
