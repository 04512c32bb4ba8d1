"""The course manifest: sound, complete, in step with the notebooks and the README, and hints that give nothing away."""

from pathlib import Path

import nbformat
import pytest

from course_lib.authoring.exercise_builder import SOLUTION_BLOCK
from course_lib.authoring.layout import CourseLayout
from course_lib.authoring.manifest import load_manifest, parse_manifest
from course_lib.authoring.notebook_format import checkpoint_of, checkpoints, exercise_name, has_tag
from course_lib.authoring.outline import outline_markdown
from course_lib.checks import all_judges
from course_lib.protocol import HINT_TAG

ROOT = Path(__file__).resolve().parent.parent
COURSE = CourseLayout(ROOT)
MANIFEST = load_manifest(COURSE.manifest)
LESSONS = {lesson.notebook: lesson for lesson in MANIFEST.lessons}


def test_manifest_is_sound_and_every_checkpoint_has_a_judge():
    assert MANIFEST.problems() == []
    assert {info.id for info in MANIFEST.checkpoint_infos()} == set(all_judges())


@pytest.mark.parametrize("folder", ["notebooks", "solutions", "exercises"])
def test_every_notebook_is_listed_and_every_listed_one_exists(folder):
    assert sorted(path.name for path in (ROOT / folder).glob("*.ipynb")) == sorted(LESSONS)


@pytest.mark.parametrize("notebook", sorted(LESSONS))
def test_solution_has_the_manifest_checkpoints_in_order(notebook):
    solution = nbformat.read(ROOT / "solutions" / notebook, as_version=4)
    assert exercise_name(solution) == LESSONS[notebook].exercise
    assert checkpoints(solution) == [info.id for info in LESSONS[notebook].checkpoints]


@pytest.mark.parametrize("notebook", sorted(LESSONS))
def test_every_check_has_a_folded_hint_that_does_not_give_the_solution_away(notebook):
    solution = nbformat.read(ROOT / "solutions" / notebook, as_version=4)
    exercise = nbformat.read(ROOT / "exercises" / notebook, as_version=4)
    hints = {checkpoint_of(cell): cell.source for cell in exercise.cells if has_tag(cell, HINT_TAG)}
    assert set(hints) == {info.id for info in LESSONS[notebook].checkpoints}
    for cell in solution.cells:
        for block in SOLUTION_BLOCK.finditer(cell.source):
            hint = hints[checkpoint_of(cell)]
            assert hint.startswith("<details><summary>")
            code_lines = [line.strip() for line in block.group(0).splitlines()[1:-1] if line.strip()]
            assert not [line for line in code_lines if line in hint], (
                f"the hint of {checkpoint_of(cell)} shows the solution"
            )


def test_readme_shows_the_current_outline():
    assert outline_markdown(MANIFEST) in COURSE.readme.read_text(encoding="utf-8"), "run `make build` to update it"


MINIMAL = """
[[lesson]]
notebook = "01_demo.ipynb"
exercise = "demo"
title = "Demo"
objectives = ["Learn."]
[[lesson.checkpoint]]
id = "demo.one"
task = "Do it."
hint = "Like this."
"""


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (('hint = "Like this."', 'hint = " "'), "demo.one: empty hint"),
        (('task = "Do it."', 'task = ""'), "demo.one: empty task"),
        (('id = "demo.one"', 'id = "other.one"'), "other.one: the id does not start with its exercise, demo."),
        (('objectives = ["Learn."]', "objectives = []"), "01_demo.ipynb: empty learning objectives"),
        (
            ('hint = "Like this."', 'hint = "x"\n[[lesson.checkpoint]]\nid = "demo.one"\ntask = "t"\nhint = "h"'),
            "demo.one: listed more than once",
        ),
    ],
)
def test_manifest_problems_are_each_named(change, problem):
    assert parse_manifest(MINIMAL).problems() == []
    assert problem in parse_manifest(MINIMAL.replace(*change)).problems()
