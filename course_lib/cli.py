"""The kit's command line: `build` regenerates exercises, outline and stored outputs; `app` serves the book club."""

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

import nbformat

from course_lib.authoring.execution import execute_file
from course_lib.authoring.exercise_builder import exercise_from_solution
from course_lib.authoring.layout import CourseLayout
from course_lib.authoring.manifest import load_manifest
from course_lib.authoring.notebook_format import format_problems
from course_lib.authoring.outline import with_outline
from course_lib.grading.gradebook import grades_csv, summary_csv, write_atomically
from course_lib.grading.grader import grade_all, progress_bar
from course_lib.grading.progress import progress_table
from course_lib.grading.report import report_html
from course_lib.grading.submissions import NoSubmissions, find_notebooks


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


# Each notebook's kernel spends about 0.2 s of its start idle (jupyter_client's IOPub flush), so two more notebooks
# than cores keep the cores busy: 60 submissions took 17.6 s with --jobs 2 and 14.6 s with --jobs 4 on 2 cores.
DEFAULT_JOBS = (os.cpu_count() or 1) + 2
JOBS_HELP = f"notebooks run at once (default: {DEFAULT_JOBS}, the number of cores plus two)"


def grade(paths: list[Path], out: Path, *, jobs: int, timeout: float, forked: bool = True) -> int:
    """Grade submissions against the course's reference solutions and write the gradebook, summary and report."""
    course = CourseLayout(Path(__file__).resolve().parent.parent)
    notebooks = _notebooks_or_report(paths)
    if notebooks is None:
        return 2
    out.mkdir(parents=True, exist_ok=True)
    rows = grade_all(
        notebooks, course, load_manifest(course.manifest), out / "graded",
        jobs=jobs, cell_timeout=timeout, forked=forked, on_done=progress_bar(len(notebooks)),
    )  # fmt: skip
    write_atomically(out / "grades.csv", grades_csv(rows))
    write_atomically(out / "summary.csv", summary_csv(rows))
    write_atomically(out / "report.html", report_html(rows))
    print(f"graded {len(notebooks)} submissions: {out / 'grades.csv'}, {out / 'summary.csv'}, {out / 'report.html'}")
    return 0


def progress(paths: list[Path], *, jobs: int, timeout: float) -> int:
    """Check the student's own exercise notebooks with the grader's engine and print what is done and what is next."""
    course = CourseLayout(Path(__file__).resolve().parent.parent)
    manifest = load_manifest(course.manifest)
    notebooks = _notebooks_or_report(paths)
    if notebooks is None:
        return 2
    with tempfile.TemporaryDirectory(prefix="course-progress-") as scratch:
        rows = grade_all(notebooks, course, manifest, Path(scratch), jobs=jobs, cell_timeout=timeout)
    print(progress_table(rows, manifest))
    return 0


def _notebooks_or_report(paths: list[Path]) -> list[Path] | None:
    """The notebooks to check, or None after telling the user, on stderr, why there are none."""
    try:
        return find_notebooks(paths)
    except NoSubmissions as error:
        print(f"error: {error}", file=sys.stderr)
        return None


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen command."""
    parser = argparse.ArgumentParser(prog="python -m course_lib", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build_parser = commands.add_parser("build", help="generate exercises/ from solutions/ and store fresh outputs")
    build_parser.add_argument("--root", type=Path, default=Path.cwd(), help="the course checkout (default: here)")
    build_parser.add_argument("--no-execute", action="store_true", help="only generate, do not run the notebooks")
    grade_parser = commands.add_parser("grade", help="grade student notebooks into a gradebook")
    grade_parser.add_argument(
        "paths", nargs="+", type=Path, help="submitted notebooks, or folders searched recursively"
    )
    grade_parser.add_argument("--out", type=Path, required=True, help="where grades.csv, summary.csv, report.html go")
    grade_parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS, help=JOBS_HELP)
    grade_parser.add_argument("--timeout", type=float, default=30.0, help="seconds one cell may run")
    grade_parser.add_argument(
        "--fresh-kernels", action="store_true", help="start every kernel from scratch instead of forking (slower)"
    )
    app_parser = commands.add_parser("app", help="serve the book-club web app on 127.0.0.1, on a fresh database")
    app_parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: 127.0.0.1)")
    app_parser.add_argument(
        "--port", type=int, default=int(os.environ.get("PORT") or 5000), help="default: $PORT, or 5000"
    )
    progress_parser = commands.add_parser("progress", help="check your own exercises: what is done, what is next")
    progress_parser.add_argument("paths", nargs="*", type=Path, default=[Path("exercises")], help="default: exercises/")
    progress_parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS, help=JOBS_HELP)
    progress_parser.add_argument("--timeout", type=float, default=30.0, help="seconds one cell may run")
    arguments = parser.parse_args(argv)
    if arguments.command == "app":
        from course_lib.bookclub.webapp import serve

        serve(arguments.host, arguments.port)
        return 0
    if arguments.command == "progress":
        return progress(arguments.paths, jobs=arguments.jobs, timeout=arguments.timeout)
    if arguments.command == "grade":
        return grade(
            arguments.paths, arguments.out, jobs=arguments.jobs, timeout=arguments.timeout,
            forked=not arguments.fresh_kernels,
        )  # fmt: skip
    return build(CourseLayout(arguments.root.resolve()), execute=not arguments.no_execute)
