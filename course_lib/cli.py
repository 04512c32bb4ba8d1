"""The kit's command line.

build     regenerate exercises/, the references the checks compare with and the README's outline from solutions/,
          and refresh the notebooks' stored outputs
grade     run submitted notebooks, judge every checkpoint, write the gradebook (or, with --shard, one part of it)
merge     build the gradebook from the part files of every shard
progress  check your own exercises: each checkpoint's diagnosis and the next task (lesson notebooks are skipped)
mutate    mutation-test the checks: every wrong variant of a solution answer must fail some check
check     the author's self-check: manifest and files agree, solutions pass, exercises fail unsolved (seconds)
classroom print a GitHub Classroom autograding workflow: a step, and a point, per checkpoint
app       serve the book-club web app on 127.0.0.1, on a fresh database
"""

import argparse
import contextlib
import json
import os
import shutil
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

import nbformat

from course_lib.arguments import (
    HelpFormatter,
    LaidOutHelpFormatter,
    OneLineParser,
    cell_seconds,
    course_exercises,
    course_root_problem,
    environment_port,
    listening_problem,
    output_folder_problem,
    port_number,
    positive_whole_number,
)
from course_lib.authoring.execution import execute_file
from course_lib.authoring.exercise_builder import exercise_from_solution
from course_lib.authoring.layout import CourseLayout
from course_lib.authoring.manifest import load_manifest
from course_lib.authoring.notebook_format import format_problems
from course_lib.authoring.outline import with_outline
from course_lib.authoring.references import write_references
from course_lib.grading.classroom import classroom_workflow
from course_lib.grading.gradebook import GradeRow, write_atomically
from course_lib.grading.outputs import GRADEBOOK_FILES, Written, write_gradebook
from course_lib.grading.pipeline import SandboxUnavailable, Settings, grade_all, sandbox_for
from course_lib.grading.progress import lesson_note, progress_table
from course_lib.grading.safe_text import name_of_path
from course_lib.grading.sandbox import NOTEBOOK_CELL_LIMITS
from course_lib.grading.shards import (
    SHARDS_VARIABLE,
    Shard,
    ShardError,
    merged_rows,
    parse_shard,
    part_json,
    shard_from_environment,
    shard_of,
)
from course_lib.grading.submissions import (
    NoSubmissions,
    find_notebooks,
    submission_name,
    submissions_root,
)
from course_lib.protocol import ANSWER_TAG, marked_checkpoints


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
    for record in write_references(layout):
        print(f"recorded {record.relative_to(layout.root)}")
    layout.classroom_workflow.parent.mkdir(parents=True, exist_ok=True)
    layout.classroom_workflow.write_text(classroom_workflow(manifest), encoding="utf-8")
    print(f"generated {layout.classroom_workflow.relative_to(layout.root)}")
    if execute:
        for path in [*layout.lessons, *layout.solutions, *layout.exercises]:
            print(f"running {path.relative_to(layout.root)}")
            execute_file(path)
    return 0


DEFAULT_JOBS = os.cpu_count() or 1
JOBS_HELP = f"submissions graded at once, at least 1 (default: {DEFAULT_JOBS}, the number of cores)"
PROGRESS_JOBS_HELP = f"notebooks checked at once, at least 1 (default: {DEFAULT_JOBS}, the number of cores)"
DEFAULT_TIMEOUT = 30.0
TIMEOUT_HELP = (
    f"seconds one cell may run, above 0 and at most a day; a whole notebook may run {NOTEBOOK_CELL_LIMITS} times as "
    f"long, however many cells it has (default: {DEFAULT_TIMEOUT:g})"
)
DEFAULT_PORT = 5000
KIT_ROOT = Path(__file__).resolve().parent.parent
GRADED_FOLDER = "graded"  # where, in --out, the graded copies go: never graded themselves, on a later run


def grade(
    paths: list[Path],
    out: Path,
    *,
    jobs: int,
    timeout: float,
    require_sandbox: bool = False,
    shard: Shard | None = None,
    strict: bool = False,
    exercises: list[str] | None = None,
    admit: Sequence[Path] = (),
) -> int:
    """Grade submissions (all, or one shard's share) against the reference solutions; write the gradebook or part.

    Percentages count `exercises` (default: every exercise of the course).
    """
    notebooks = _notebooks_or_report(paths, skipped=out / GRADED_FOLDER)
    if notebooks is None:
        return 2
    try:
        sandbox = sandbox_for(require=require_sandbox)
    except SandboxUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if sandbox is None:
        print("warning: no sandbox (bubblewrap) here: grading UNSANDBOXED, as the gradebook says", file=sys.stderr)
    root = submissions_root(paths)
    names = [submission_name(notebook, root) for notebook in notebooks]
    mine = [
        nb for nb, name in zip(notebooks, names, strict=True) if not shard or shard_of(name, shard.count) == shard.index
    ]
    out.mkdir(parents=True, exist_ok=True)
    course = CourseLayout(KIT_ROOT)
    manifest = load_manifest(course.manifest)
    counted = exercises or [lesson.exercise for lesson in manifest.lessons]
    admitted = _admitted(admit, notebooks, names)
    bar = ProgressBar(len(mine))
    # named below the folder given, in every shard alike: the names, and the graded copies' paths, never collide
    settings = Settings(
        course, manifest, out / GRADED_FOLDER, timeout, jobs, sandbox, root, bar.started, bar.finished, admitted
    )
    rows = grade_all(mine, settings) if mine else []
    write_atomically(out / "grading.json", json.dumps({"sandbox": sandbox or "none: unsandboxed"}, indent=2) + "\n")
    if shard:
        write_atomically(out / shard.file_name, part_json(shard, names, rows, counted))
        print(f"graded shard {shard}: {len(mine)} of {len(notebooks)} submissions into "
              f"{name_of_path(str(out / shard.file_name))}{_invalid_note(rows)}{_held_note(rows)}")  # fmt: skip
        return INVALID_FILES_STATUS if strict and _invalid(rows) else 0
    written = write_gradebook(rows, out, manifest, counted)
    return _summary(f"graded {len(mine)} submissions", out, rows, written, strict=strict)


def merge(parts: list[Path], out: Path, *, strict: bool = False) -> int:
    """Build the gradebook from the part files of every shard, after checking that none is missing or repeated."""
    try:
        rows, counted = merged_rows(parts)
    except ShardError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    written = write_gradebook(rows, out, load_manifest(CourseLayout(KIT_ROOT).manifest), counted)
    return _summary(f"merged {len({row.submission for row in rows})} submissions", out, rows, written, strict=strict)


def _summary(done: str, out: Path, rows: list[GradeRow], written: Written, *, strict: bool) -> int:
    """Print the summary line and any file that could not be written; return the exit status.

    The summary line says what was written, what to know before importing it, and which files could not be graded.
    """
    notes = "".join(f"; {note}" for note in written.notes)
    folder = name_of_path(str(out))
    print(
        f"{done} into {folder}/ ({', '.join(GRADEBOOK_FILES)}, feedback/){notes}{_invalid_note(rows)}{_held_note(rows)}"
    )
    for problem in written.problems:
        print(f"error: {problem}", file=sys.stderr)
    if written.problems:
        return UNEXPECTED_STATUS
    return INVALID_FILES_STATUS if strict and _invalid(rows) else 0


UNEXPECTED_STATUS = 1
INVALID_FILES_STATUS = 3
EXIT_STATUS_HELP = f"""exit status:
  0  graded; files that could not be graded are named on the last line and count 0 points
  {UNEXPECTED_STATUS}  an unexpected failure (a bug: please report it), such as a gradebook file that could not be
     written (every other one is written all the same)
  2  nothing to grade, no sandbox with --require-sandbox, bad arguments, or shards that do not fit together
  {INVALID_FILES_STATUS}  with --strict: some files could not be graded (the results are written all the same)"""
MERGE_EXIT_STATUS_HELP = f"""exit status:
  0  merged; files that could not be graded are named on the last line and count 0 points
  {UNEXPECTED_STATUS}  an unexpected failure (a bug: please report it), such as a gradebook file that could not be
     written (every other one is written all the same)
  2  bad arguments, or parts that are missing, repeated, damaged or from different gradings
  {INVALID_FILES_STATUS}  with --strict: some files could not be graded (the results are written all the same)"""
SHARD_HELP = f"""

grading across machines:
  --shard I/N grades the submissions whose path (below the folder given) hashes to shard I, into
  FOLDER/part-I-of-N.json; `merge` then builds the gradebook from all N parts. Without --shard, a Kubernetes Indexed
  Job's task grades shard $JOB_COMPLETION_INDEX+1 of ${SHARDS_VARIABLE} (or --shards N), and a Slurm array task
  shard $SLURM_ARRAY_TASK_ID-$SLURM_ARRAY_TASK_MIN+1 of $SLURM_ARRAY_TASK_COUNT."""


def _invalid(rows: list[GradeRow]) -> list[str]:
    return [row.submission for row in rows if row.status == "invalid"]


def _admitted(admit: Sequence[Path], notebooks: list[Path], names: list[str]) -> frozenset[str]:
    """The absolute paths of the submissions that --admit names (by path, or by their name in the gradebook)."""
    found: set[str] = set()
    for wanted in admit:
        matches = [
            os.path.abspath(notebook)
            for notebook, name in zip(notebooks, names, strict=True)
            if os.path.abspath(notebook) == os.path.abspath(wanted) or name == wanted.as_posix()
        ]
        if not matches:
            print(f"warning: --admit {wanted}: no submission has that path or name", file=sys.stderr)
        found.update(matches)
    return frozenset(found)


def _held_note(rows: list[GradeRow]) -> str:
    """The end of the summary line naming the submissions held for review, and how to grade them anyway."""
    held = list(dict.fromkeys(row.submission for row in rows if row.status == "held"))
    if not held:
        return ""
    return f"; {len(held)} held for review (read each, then grade it with --admit FILE): {', '.join(held)}"


def _invalid_note(rows: list[GradeRow]) -> str:
    """The end of the summary line naming the files that could not be graded ("; 2 invalid: a, b"), if any."""
    invalid = _invalid(rows)
    return f"; {len(invalid)} invalid: {', '.join(invalid)}" if invalid else ""


def _shard_argument(text: str) -> Shard:
    """--shard's value, or argparse's error saying what is wrong with it."""
    try:
        return parse_shard(text)
    except ShardError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def progress(paths: list[Path], *, jobs: int, timeout: float) -> int:
    """Check the student's own exercise notebooks with the grader's engine and print what is done and what is next."""
    course = CourseLayout(KIT_ROOT)
    manifest = load_manifest(course.manifest)
    notebooks = _notebooks_or_report(paths)
    if notebooks is None:
        return 2
    lessons = [path for path in notebooks if _is_lesson(path)]
    for path in lessons:
        print(lesson_note(name_of_path(path.name)))
    exercises = [path for path in notebooks if path not in lessons]
    if not exercises:
        return 0
    try:
        sandbox = sandbox_for(require=False)
    except SandboxUnavailable as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    settings = Settings(course, manifest, None, timeout, jobs, sandbox)
    print(progress_table(grade_all(exercises, settings), manifest, details=True))
    return 0


def _is_lesson(path: Path) -> bool:
    """True for a lesson notebook: it has no answer cell (a `# answer:` line, or the answer tag)."""
    if not path.is_file() or path.is_symlink():  # never opened (a pipe would wait forever): graded as invalid
        return False
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception:
        return False
    return not any(
        marked_checkpoints(cell.get("source", "")) or ANSWER_TAG in cell.get("metadata", {}).get("tags", [])
        for cell in notebook.get("cells", [])
    )


class ProgressBar:
    """A one-line progress bar on stderr, redrawn as each submission starts and ends, naming the one waited for."""

    def __init__(self, total: int) -> None:
        """A bar for `total` submissions; nothing is drawn before the first starts."""
        self._total, self._done, self._width = total, 0, 0
        self._running: list[str] = []  # in the order they started
        self._lock = threading.Lock()

    def started(self, name: str) -> None:
        """A submission starts grading."""
        with self._lock:
            self._running.append(name)
            self._draw()

    def finished(self, name: str) -> None:
        """A submission is graded."""
        with self._lock:
            self._running.remove(name)
            self._done += 1
            self._draw()

    def _draw(self) -> None:
        filled = int(30 * self._done / max(self._total, 1))
        line = f"grading [{'#' * filled}{'.' * (30 - filled)}] {self._done}/{self._total}"
        if self._running and self._done < self._total:  # the one running longest: the bar waits for it
            oldest = self._running[0]
            more = f" (+{len(self._running) - 1} more)" if len(self._running) > 1 else ""
            room = shutil.get_terminal_size().columns - len(line) - len(more) - len(", waiting for ") - 1
            line += f", waiting for {oldest if len(oldest) <= room else oldest[: max(room - 1, 12)] + '…'}{more}"
        end = "\n" if self._done == self._total else ""
        with contextlib.suppress(OSError, ValueError):  # a closed terminal or pipe must not stop the grading
            print(f"\r{line}{' ' * max(self._width - len(line), 0)}", end=end, file=sys.stderr, flush=True)
        self._width = len(line)


def _argument_problem(arguments: argparse.Namespace) -> str | None:
    """What is wrong with the command's options and settings, in one sentence (None when nothing is), before any work.

    Folders that are not one or cannot be written, a port taken or out of range, a database setting the kit cannot use.
    """
    command = arguments.command
    if command in ("build", "check", "mutate"):
        problem = course_root_problem(arguments.root)
        if problem is not None:
            return problem
    if command in ("grade", "merge"):
        problem = output_folder_problem(arguments.out)
        if problem is not None:
            return problem
    if command == "grade" and arguments.shard and arguments.shards not in (None, arguments.shard.count):
        return f"--shard {arguments.shard} already says how many shards there are: --shards is for array jobs"
    if command == "app":
        try:
            arguments.port = arguments.port or environment_port(os.environ, DEFAULT_PORT)
        except argparse.ArgumentTypeError as error:
            return str(error)
    if command in ("app", "build", "check", "mutate"):
        from course_lib.bookclub.database import DatabaseSettingError, check_database_setting

        try:
            check_database_setting()
        except DatabaseSettingError as error:
            return str(error)
    return listening_problem(arguments.host, arguments.port) if command == "app" else None


def _notebooks_or_report(paths: list[Path], skipped: Path | None = None) -> list[Path] | None:
    """The notebooks to check (none below `skipped`), or None after telling the user, on stderr, why there are none."""
    try:
        return find_notebooks(paths, skipped)
    except NoSubmissions as error:
        print(f"error: {error}", file=sys.stderr)
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    formatter = HelpFormatter
    parser = OneLineParser(prog="python -m course_lib", description=__doc__, formatter_class=LaidOutHelpFormatter)
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="{build,check,grade,merge,progress,mutate,classroom,app}"
    )
    build_parser = commands.add_parser(
        "build",
        help="generate exercises/ from solutions/ and store fresh outputs",
        description="Generate each exercise notebook from its solution (answers blanked, hints added), update the "
        "README's outline, then run lessons, solutions and exercises to store their outputs.",
        formatter_class=formatter,
    )
    build_parser.add_argument("--root", type=Path, default=Path("."), metavar="FOLDER", help="the course checkout")
    build_parser.add_argument("--no-execute", action="store_true", help="only generate, do not run the notebooks")
    grade_parser = commands.add_parser(
        "grade",
        help="grade student notebooks into a gradebook",
        description="Run every submitted notebook in a sandboxed process of its own, judge each checkpoint with the\n"
        "course's checks, and write the gradebook: students.csv, canvas.csv, moodle.csv, a feedback page per\n"
        "student, grades.csv (one row per checkpoint), summary.csv (one row per submission) and report.html.",
        epilog=EXIT_STATUS_HELP + SHARD_HELP,
        formatter_class=LaidOutHelpFormatter,
    )
    grade_parser.add_argument(
        "paths", nargs="+", type=Path, help="submitted notebooks, or folders searched recursively"
    )
    grade_parser.add_argument(
        "--out", type=Path, required=True, metavar="FOLDER", help="the folder the gradebook (or part file) goes in"
    )
    grade_parser.add_argument("--jobs", type=positive_whole_number, default=DEFAULT_JOBS, metavar="N", help=JOBS_HELP)
    grade_parser.add_argument(
        "--timeout", type=cell_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS", help=TIMEOUT_HELP
    )
    grade_parser.add_argument(
        "--exercises",
        type=course_exercises,
        metavar="LIST",
        help="the exercises whose points count toward each student's percentage, by name or number, separated by "
        "commas, such as add_rollback or 03,05 (default: every exercise of the course)",
    )
    grade_parser.add_argument(
        "--require-sandbox", action="store_true", help="refuse to grade where no sandbox (bubblewrap) works"
    )
    grade_parser.add_argument("--strict", action="store_true", help=f"exit {INVALID_FILES_STATUS} if a file is invalid")
    grade_parser.add_argument(
        "--shard",
        type=_shard_argument,
        metavar="I/N",
        help="grade only shard I of N (such as 2/4) into FOLDER/part-I-of-N.json",
    )
    grade_parser.add_argument(
        "--admit",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="grade this held submission anyway, still sandboxed, once you have read it (a path, or its name in the "
        "gradebook; repeat for several)",
    )
    grade_parser.add_argument(
        "--shards",
        type=positive_whole_number,
        metavar="N",
        help=f"how many shards, for an array job's index (else ${SHARDS_VARIABLE}, or the Slurm array's size)",
    )
    merge_parser = commands.add_parser(
        "merge",
        help="build the gradebook from the part files of all shards",
        description="Check that the part files of `grade --shard` hold every shard of one grading once, then write\n"
        "the gradebook exactly as one run of `grade` would.",
        epilog=MERGE_EXIT_STATUS_HELP,
        formatter_class=LaidOutHelpFormatter,
    )
    merge_parser.add_argument("parts", nargs="+", type=Path, help="part files, or folders holding them")
    merge_parser.add_argument("--out", type=Path, required=True, metavar="FOLDER", help="where the gradebook goes")
    merge_parser.add_argument("--strict", action="store_true", help=f"exit {INVALID_FILES_STATUS} if a file is invalid")
    check_parser = commands.add_parser(
        "check",
        help="the author's self-check of the course, in seconds",
        description="Check that the manifest and the notebooks agree (no stray or missing file), every checkpoint has "
        "a judge, a task and a hint, the notebooks follow the format, every exercise is generated from its solution, "
        "every solution passes each of its checks and every exercise, unsolved, fails each one.",
        formatter_class=formatter,
    )
    check_parser.add_argument("--root", type=Path, default=Path("."), metavar="FOLDER", help="the course checkout")
    classroom_parser = commands.add_parser(
        "classroom",
        help="print a GitHub Classroom autograding workflow, a point per checkpoint",
        description="Print a workflow for .github/workflows/classroom.yml of a GitHub Classroom assignment: each "
        "checkpoint a step of its own (python -m pytest --course-grade NOTEBOOK --course-checkpoint ID), worth "
        "a point.",
        formatter_class=formatter,
    )
    classroom_parser.add_argument(
        "--exercises", nargs="+", metavar="EXERCISE", help="only these exercises (default: every one of the course)"
    )
    app_parser = commands.add_parser(
        "app", help="serve the book-club web app on 127.0.0.1, on a fresh database", formatter_class=formatter
    )
    app_parser.add_argument("--host", default="127.0.0.1", help="the address to listen on")
    app_parser.add_argument(
        "--port", type=port_number, help=f"the port to listen on, 1 to 65535 (default: $PORT, else {DEFAULT_PORT})"
    )
    progress_parser = commands.add_parser(
        "progress",
        help="check your own exercises: what is done, what is wrong, what is next",
        description="Run your exercise notebooks as the grader would and print, per notebook, the checkpoints "
        "passed, each checkpoint's diagnosis, and the next task. Lesson notebooks are named as such and skipped.",
        formatter_class=formatter,
    )
    progress_parser.add_argument(
        "paths", nargs="*", type=Path, default=[Path("exercises")], help="exercise notebooks, or folders"
    )
    progress_parser.add_argument(
        "--jobs", type=positive_whole_number, default=DEFAULT_JOBS, metavar="N", help=PROGRESS_JOBS_HELP
    )
    progress_parser.add_argument(
        "--timeout", type=cell_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS", help=TIMEOUT_HELP
    )
    mutate_parser = commands.add_parser(
        "mutate",
        help="mutation-test the checks: every wrong variant of a solution must fail some check",
        description="Change each solution's answers the ways students err (drop the commit, catch the wrong "
        "exception, drop order_by...), run each mutant through the exercise's checks in an in-process IPython "
        "shell, and print the share of mutants caught. Exits 1 unless every mutant is caught.",
        formatter_class=formatter,
    )
    mutate_parser.add_argument("--root", type=Path, default=Path("."), metavar="FOLDER", help="the course checkout")
    arguments = parser.parse_args(argv)
    problem = _argument_problem(arguments)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    if arguments.command == "app":
        from course_lib.bookclub.webapp import serve

        serve(arguments.host, arguments.port)
        return 0
    if arguments.command == "progress":
        return progress([Path(path) for path in arguments.paths], jobs=arguments.jobs, timeout=arguments.timeout)
    if arguments.command == "grade":
        try:
            shard = arguments.shard or shard_from_environment(os.environ, arguments.shards)
        except ShardError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        if arguments.shards and not shard:
            print("error: --shards N needs a shard index: give --shard I/N instead", file=sys.stderr)
            return 2
        return grade(
            arguments.paths, arguments.out, jobs=arguments.jobs, timeout=arguments.timeout,
            require_sandbox=arguments.require_sandbox, shard=shard, strict=arguments.strict,
            exercises=arguments.exercises, admit=arguments.admit,
        )  # fmt: skip
    if arguments.command == "merge":
        return merge(arguments.parts, arguments.out, strict=arguments.strict)
    if arguments.command == "classroom":
        manifest = load_manifest(CourseLayout(KIT_ROOT).manifest)
        unknown = sorted(set(arguments.exercises or ()) - {lesson.exercise for lesson in manifest.lessons})
        if unknown:
            known = ", ".join(lesson.exercise for lesson in manifest.lessons)
            print(f"error: no exercise {', '.join(unknown)} in the course (its exercises: {known})", file=sys.stderr)
            return 2
        print(classroom_workflow(manifest, arguments.exercises), end="")
        return 0
    if arguments.command == "check":
        from course_lib.authoring.self_check import main as self_check

        return self_check(CourseLayout(Path(arguments.root).resolve()))
    if arguments.command == "mutate":
        from course_lib.authoring.mutation import main as mutate

        return mutate(CourseLayout(arguments.root.resolve()))
    return build(CourseLayout(arguments.root.resolve()), execute=not arguments.no_execute)
