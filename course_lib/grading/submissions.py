"""Finds submitted notebooks and matches each to its exercise, by `course.exercise` metadata or by file name."""

import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from course_lib.authoring.layout import CourseLayout
from course_lib.authoring.manifest import Manifest
from course_lib.authoring.notebook_format import exercise_name

COPY_SUFFIX = re.compile(r"\s*\(\d+\)$")  # "03_add_and_rollback (1).ipynb", as learning platforms rename files


@dataclass(frozen=True)
class Submission:
    """One submitted file: its exercise and reference solution, or why it cannot be graded."""

    path: Path
    exercise: str | None
    reference: Path | None
    notebook: NotebookNode | None
    problem: str | None


class NoSubmissions(Exception):
    """The instructor's input holds nothing to grade."""


def find_notebooks(paths: list[Path]) -> list[Path]:
    """Every .ipynb file named or found (recursively) under the given paths, in a stable order; at least one."""
    found: list[Path] = []
    for path in paths:
        if not path.exists():
            raise NoSubmissions(f"No such file or folder: {path}")
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        else:
            found.append(path)
    if not found:
        raise NoSubmissions(f"no .ipynb file under {', '.join(map(str, paths))}")
    return found


def read_submission(path: Path, course: CourseLayout, manifest: Manifest) -> Submission:
    """Read a submitted file and match it to its exercise; an unreadable file gets its problem in words."""
    by_name = _exercise_by_file_name(path, manifest)
    try:
        notebook = nbformat.read(path, as_version=4)
    except (OSError, ValueError, json.JSONDecodeError, UnicodeDecodeError, KeyError, AttributeError) as error:
        problem = (
            "the file is empty" if path.stat().st_size == 0 else f"not a readable notebook ({type(error).__name__})"
        )
        return Submission(path, by_name, None, None, problem)
    exercise = exercise_name(notebook)
    lesson = next((item for item in manifest.lessons if item.exercise == exercise), None)
    if lesson is None:
        exercise = by_name
        lesson = next((item for item in manifest.lessons if item.exercise == exercise), None)
    if lesson is None:
        return Submission(path, None, None, notebook, "no exercise of the course matches its metadata or file name")
    return Submission(path, exercise, course.root / "solutions" / lesson.notebook, notebook, None)


def _exercise_by_file_name(path: Path, manifest: Manifest) -> str | None:
    stem = COPY_SUFFIX.sub("", path.stem)
    return next((lesson.exercise for lesson in manifest.lessons if Path(lesson.notebook).stem == stem), None)
