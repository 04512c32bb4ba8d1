"""The kit's command line: `python -m course_lib build` regenerates exercises and outline, refreshes stored outputs."""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import nbformat

from course_lib.course import CourseLayout
from course_lib.execution import execute_file
from course_lib.exercise_builder import exercise_from_solution
from course_lib.manifest import load_manifest
from course_lib.notebook_format import format_problems
from course_lib.outline import with_outline


def build(layout: CourseLayout, *, execute: bool) -> int:
    """Generate every exercise from its solution, then (optionally) run lessons, solutions and exercises."""
    manifest = load_manifest(layout.manifest)
    hints = {info.id: info.hint for info in manifest.checkpoint_infos()}
    for solution in layout.solutions:
        notebook = nbformat.read(solution, as_version=4)
        problems = format_problems(notebook)
        if problems:
            print(f"{solution}: " + "; ".join(problems), file=sys.stderr)
            return 1
        target = layout.exercise_for(solution)
        target.parent.mkdir(exist_ok=True)
        nbformat.write(exercise_from_solution(notebook, hints), target)
        print(f"generated {target.relative_to(layout.root)}")
    if layout.readme.exists():
        layout.readme.write_text(with_outline(layout.readme.read_text(encoding="utf-8"), manifest), encoding="utf-8")
    if execute:
        for path in [*layout.lessons, *layout.solutions, *layout.exercises]:
            print(f"running {path.relative_to(layout.root)}")
            execute_file(path)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    parser = argparse.ArgumentParser(prog="python -m course_lib", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="generate exercises/ from solutions/ and store fresh outputs")
    build_parser.add_argument("--root", type=Path, default=Path.cwd(), help="the course checkout (default: here)")
    build_parser.add_argument("--no-execute", action="store_true", help="only generate, do not run the notebooks")
    arguments = parser.parse_args(argv)
    return build(CourseLayout(arguments.root.resolve()), execute=not arguments.no_execute)
