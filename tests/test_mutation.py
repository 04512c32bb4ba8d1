"""Mutation testing of the checks: every wrong variant of every solution answer fails some check (score 100%)."""

from pathlib import Path

import pytest

from course_lib.authoring.layout import CourseLayout
from course_lib.authoring.mutation import OPERATORS, answer_cells, mutants_of, mutation_score

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
def test_every_mutant_is_caught(solution):
    lines: list[str] = []
    caught, total, survivors = mutation_score(CourseLayout(ROOT), lines.append, only=solution)
    assert total >= 1
    assert survivors == [], "\n".join(lines)
    assert caught == total
