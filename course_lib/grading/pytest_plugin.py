"""Grading inside pytest: `python -m pytest --course-grade PATH ...` makes a test item per checkpoint of each notebook.

A thin layer over the grader's own pipeline (`pipeline.grade_all`): the same sandbox, admission, limits, rules and
held-for-review status as `python -m course_lib grade`. Each item passes, or fails with the check's message;
pytest's `--junitxml` then gives the file CI systems read; `--course-checkpoint ID` (or `-k`) picks checkpoints.
Installing the kit registers the plugin (the `pytest11` entry point); without `--course-grade` it does nothing.
"""

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest

from course_lib.grading.gradebook import GradeRow

OPTION = "--course-grade"
CACHE_PREFIX = "course_lib/graded"


def pytest_addoption(parser: pytest.Parser) -> None:
    """The plugin's options, in a group of their own."""
    group = parser.getgroup("course_lib", "grading the course's notebooks (course_lib)")
    group.addoption(
        OPTION,
        action="extend",
        nargs="+",
        type=Path,
        default=[],
        metavar="PATH",
        help="grade these notebooks, or the notebooks in these folders: one test item per checkpoint",
    )
    group.addoption(
        "--course-checkpoint",
        action="append",
        default=[],
        metavar="ID",
        help="only this checkpoint's items (its exact id, such as add_rollback.commit; repeat for several)",
    )
    group.addoption("--course-timeout", type=float, default=30.0, help="seconds one cell may run (default: 30)")
    group.addoption(
        "--course-jobs", type=int, default=os.cpu_count() or 1, help="sandboxes grading at once (default: the cores)"
    )
    group.addoption(
        "--course-admit",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="grade this submission held for review anyway, once read (still sandboxed)",
    )
    group.addoption("--course-require-sandbox", action="store_true", help="refuse to grade without bubblewrap")


def _grading(config: pytest.Config) -> bool:
    return bool(config.getoption(OPTION))


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """While grading, the project's own tests and notebooks are not collected: only the checkpoints are."""
    return True if _grading(config) else None


def pytest_collection(session: pytest.Session) -> bool | None:
    """One item per checkpoint of each notebook given (or one for a file that cannot be graded); -k and -m apply."""
    config = session.config
    if not _grading(config):
        return None
    from course_lib.authoring.layout import CourseLayout
    from course_lib.authoring.manifest import load_manifest
    from course_lib.grading.submissions import (
        NoSubmissions,
        find_notebooks,
        read_submission,
        submission_name,
        submissions_root,
    )

    paths = config.getoption(OPTION)
    try:
        notebooks = find_notebooks(paths)
    except NoSubmissions as error:
        raise pytest.UsageError(str(error)) from None
    root, course = submissions_root(paths), CourseLayout(_kit_root())
    manifest = load_manifest(course.manifest)
    items: list[pytest.Item] = []
    for notebook in notebooks:
        name = submission_name(notebook, root)
        found = read_submission(notebook, course, manifest)
        lesson = next((item for item in manifest.lessons if item.exercise == found.exercise), None)
        ids = [info.id for info in lesson.checkpoints] if lesson and found.problem is None else [""]
        graded = SubmittedNotebook.from_parent(session, path=Path(os.path.abspath(notebook)))
        graded.submission = name
        items += [CheckpointItem.from_parent(graded, name=id_ or "the file", path_=notebook) for id_ in ids]
    if chosen := config.getoption("--course-checkpoint"):
        items = [item for item in items if item.name in chosen or item.name == "the file"]
    session.items = items
    config.stash[SESSION] = session
    config.hook.pytest_collection_modifyitems(session=session, config=config, items=session.items)
    config.hook.pytest_collection_finish(session=session)
    session.testscollected = len(session.items)
    return True


class SubmittedNotebook(pytest.File):
    """A notebook given to --course-grade: its items are made by the plugin's collection, not found in it."""

    submission = ""

    def collect(self) -> list[pytest.Item]:
        """Nothing more to find: the checkpoints come from the course's manifest."""
        return []


class CheckpointFailed(Exception):
    """A checkpoint the grader did not pass: its status and the check's message."""


class CheckpointItem(pytest.Item):
    """One checkpoint of one submitted notebook, as the grader judged it."""

    def __init__(self, *, path_: Path, **kwargs: Any) -> None:
        """A checkpoint item of the notebook at `path_`."""
        super().__init__(**kwargs)
        self.notebook = path_
        self.checkpoint = "" if self.name == "the file" else self.name

    def runtest(self) -> None:
        """Pass when the grader passed the checkpoint; fail with its message otherwise."""
        row = _row_of(self.config, self.notebook, self.checkpoint)
        self.user_properties += [("status", row.status), ("points", row.points), ("max_points", row.max_points)]
        if row.status != "passed":
            raise CheckpointFailed(f"{row.status}: {row.message}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """The check's message, never a traceback of the kit's."""
        if isinstance(excinfo.value, CheckpointFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self) -> tuple[Path, int, str]:
        """Where the item is: its notebook, and the checkpoint."""
        return self.notebook, 0, self.name


ROWS = pytest.StashKey[dict[Path, list[GradeRow]]]()


def _row_of(config: pytest.Config, notebook: Path, checkpoint: str) -> GradeRow:
    """The grader's row for one checkpoint of a notebook.

    Every notebook of the session is graded at the first item, all at once (`--course-jobs` sandboxes), but those
    pytest's cache already holds for the same content, kit and options.
    """
    if ROWS not in config.stash:
        config.stash[ROWS] = _graded_all(config, sorted({item.notebook for item in _items(config)}))
    rows = config.stash[ROWS][notebook]
    return next((row for row in rows if row.checkpoint == checkpoint), rows[0])


def _items(config: pytest.Config) -> list["CheckpointItem"]:
    session = config.stash[SESSION]
    return [item for item in session.items if isinstance(item, CheckpointItem)]


SESSION = pytest.StashKey[pytest.Session]()


def _graded_all(config: pytest.Config, notebooks: list[Path]) -> dict[Path, list[GradeRow]]:
    """Every notebook's rows: from pytest's cache when graded before, else graded now with the grader's pipeline."""
    kit = _kit_digest()
    found: dict[Path, list[GradeRow]] = {}
    for notebook in notebooks:
        cache = getattr(config, "cache", None)  # None with -p no:cacheprovider
        cached = cache.get(_cache_key(config, notebook, kit), None) if cache else None
        if isinstance(cached, list):
            found[notebook] = [GradeRow(**row) for row in cached]
    missing = [notebook for notebook in notebooks if notebook not in found]
    if missing:
        rows = _graded(config, missing)
        for notebook in missing:
            name = Path(os.path.abspath(notebook)).as_posix()
            found[notebook] = [row for row in rows if row.submission == name] or [
                GradeRow(name, "", "", "invalid", 0, 0, "the grader gave this file no row")
            ]
            if cache := getattr(config, "cache", None):
                cache.set(_cache_key(config, notebook, kit), [asdict(row) for row in found[notebook]])
    return found


def _graded(config: pytest.Config, notebooks: list[Path]) -> list[GradeRow]:
    """Grade notebooks with the grader's pipeline (sandboxed), as `course_lib grade` does; rows named by full path."""
    from dataclasses import replace
    from itertools import groupby

    from course_lib.authoring.layout import CourseLayout
    from course_lib.authoring.manifest import load_manifest
    from course_lib.grading.pipeline import SandboxUnavailable, Settings, grade_all, sandbox_for

    try:
        sandbox = sandbox_for(require=config.getoption("--course-require-sandbox"))
    except SandboxUnavailable as error:
        raise pytest.UsageError(str(error)) from None
    course = CourseLayout(_kit_root())
    paths = [Path(os.path.abspath(notebook)) for notebook in notebooks]
    settings = Settings(
        course=course,
        manifest=load_manifest(course.manifest),
        graded_folder=None,
        cell_timeout=config.getoption("--course-timeout"),
        jobs=max(1, config.getoption("--course-jobs")),
        sandbox=sandbox,
        admitted=frozenset(os.path.abspath(path) for path in config.getoption("--course-admit")),
    )
    groups = [list(group) for _, group in groupby(grade_all(paths, settings), key=lambda row: row.submission)]
    # grade_all gives each notebook's rows together, in the order of the paths: name each by its full path
    pairs = zip(paths, groups, strict=True)
    return [replace(row, submission=path.as_posix()) for path, group in pairs for row in group]


def _cache_key(config: pytest.Config, notebook: Path, kit: str) -> str:
    """What a cached grading depends on: the notebook's bytes and path, the kit, the options."""
    digest = hashlib.sha256(notebook.read_bytes())
    options = [config.getoption("--course-timeout"), sorted(map(str, config.getoption("--course-admit")))]
    digest.update(json.dumps([kit, os.path.abspath(notebook), *options], default=str).encode())
    return f"{CACHE_PREFIX}/{digest.hexdigest()[:32]}"


def _kit_digest() -> str:
    """The kit's code, manifest and reference records, in one hash: a cached grading from another kit is not used."""
    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted([*package.rglob("*.py"), *package.rglob("*.json"), package / "course.toml"]):
        digest.update(path.relative_to(package).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def _kit_root() -> Path:
    """The checkout (or installed copy) the kit runs from: its manifest and reference solutions."""
    return Path(__file__).resolve().parent.parent.parent
