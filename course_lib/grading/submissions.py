"""Finds submitted notebooks and matches each to its exercise, by `course.exercise` metadata or by file name."""

import json
import os
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from course_lib.authoring.layout import CourseLayout
from course_lib.authoring.manifest import Manifest
from course_lib.authoring.notebook_format import exercise_name
from course_lib.grading.platform_names import uploaded_file_stem
from course_lib.grading.safe_text import name_of_path

MAX_NOTEBOOK_BYTES = 64 * 2**20  # a notebook larger than this is not read: it could exhaust the grader's memory


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


def find_notebooks(paths: list[Path], skipped: Path | None = None) -> list[Path]:
    """Every .ipynb file named or found (recursively) under the given paths, in a stable order; at least one.

    None is taken from below `skipped`: the grader's own graded copies, when --out is among the folders graded.
    """
    found: list[Path] = []
    skipped = Path(os.path.abspath(skipped)) if skipped else None
    for path in paths:
        if not path.exists():
            raise NoSubmissions(f"No such file or folder: {path}")
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*.ipynb")
                if ".ipynb_checkpoints" not in p.parts and not (skipped and skipped in Path(os.path.abspath(p)).parents)
            )
        else:
            found.append(path)
    if not found:
        raise NoSubmissions(f"no .ipynb file under {', '.join(map(str, paths))}")
    return found


def read_submission(path: Path, course: CourseLayout, manifest: Manifest) -> Submission:
    """Read a submitted file and match it to its exercise; an unreadable file gets its problem in words."""
    by_name = _exercise_by_file_name(path, manifest)
    if path.stat().st_size > MAX_NOTEBOOK_BYTES:
        problem = f"the file is larger than {MAX_NOTEBOOK_BYTES // 2**20} MiB: not read, not graded"
        return Submission(path, by_name, None, None, problem)
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
    stem = uploaded_file_stem(path.name)
    return next((lesson.exercise for lesson in manifest.lessons if Path(lesson.notebook).stem == stem), None)


def submissions_root(paths: list[Path]) -> Path:
    """The folder submissions are named from: the deepest one holding every path given (a folder given holds itself)."""
    folders = [Path(os.path.abspath(path)) if path.is_dir() else Path(os.path.abspath(path)).parent for path in paths]
    root = folders[0]
    while any(root not in (folder, *folder.parents) for folder in folders):
        root = root.parent
    return root


def submission_name(notebook: Path, root: Path) -> str:
    """A submission's name: its path below the submissions root (links not followed), escaped by `name_of_path`."""
    return name_of_path(Path(os.path.abspath(notebook)).relative_to(root).as_posix())
