"""Mutation testing of the checks: every wrong variant of every solution answer fails some check (score 100%)."""

from pathlib import Path

from course_lib.authoring.layout import CourseLayout
from course_lib.authoring.mutation import OPERATORS, answer_cells, mutants_of, mutation_score

ROOT = Path(__file__).resolve().parent.parent


def test_every_way_of_erring_applies_to_some_solution():
    layout = CourseLayout(ROOT)
    applied = {
        mutant.operator
        for path in layout.solutions
        for checkpoint, source in answer_cells(path)
        if checkpoint
        for mutant in mutants_of(path.name, checkpoint, source)
    }
    assert set(OPERATORS) <= applied
    assert any(name.startswith("literal") for name in applied)


def test_every_mutant_is_caught():
    lines: list[str] = []
    caught, total, survivors = mutation_score(CourseLayout(ROOT), lines.append)
    assert total >= 30
    assert survivors == [], "\n".join(lines)
    assert caught == total
