"""Benchmark: how long a fresh seeded database and every check cell take (median and worst of many runs).

Run with `make bench` (or `.venv/bin/python bench/bench_course.py [--runs N]`); prints a Markdown table. The check
cells are timed on the solutions: each solution's setup and answer cells run once in an IPython shell, then each of
its checks is judged `--runs` times.
"""

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import nbformat
from IPython.core.interactiveshell import InteractiveShell
from sqlalchemy import select

from course_lib.authoring.layout import CourseLayout
from course_lib.authoring.notebook_format import checkpoint_of, has_tag
from course_lib.bookclub.database import create_course_app, dispose
from course_lib.bookclub.models import Reader, db
from course_lib.checks import Status, judge
from course_lib.classroom.answer_log import ANSWERS
from course_lib.protocol import ANSWER_TAG, CHECK_TAG

COURSE = CourseLayout(Path(__file__).resolve().parent.parent)


def timings_ms(action: Callable[[], None], runs: int) -> list[float]:
    """Run the action `runs` times (after one warm-up run) and return each duration in milliseconds."""
    action()
    durations = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        durations.append((time.perf_counter() - start) * 1000)
    return durations


def fresh_database() -> None:
    """Create a seeded database and read a row from it (the copy is made at the first connection)."""
    app = create_course_app()
    with app.app_context():
        assert db.session.scalar(select(Reader.email).where(Reader.id == 123)) == "ann.adams@example.com"
        db.session.remove()
    dispose(app)


def solved(shell: InteractiveShell, solution: Path) -> list[str]:
    """Run a solution's code cells but its checks in the shell, with the SQL echo off; return its checkpoint ids."""
    notebook = nbformat.read(solution, as_version=4)
    shell.reset(new_session=False)
    for cell in notebook.cells:
        if cell.cell_type == "code" and not has_tag(cell, CHECK_TAG):
            shell.run_cell(cell.source.replace("start_lesson()", "start_lesson(show_sql=False)"))
    return [checkpoint_of(cell) for cell in notebook.cells if has_tag(cell, ANSWER_TAG)]


def check_cell(shell: InteractiveShell, checkpoint: str) -> Callable[[], None]:
    """What a check cell does, minus the display: judge the checkpoint against the shell's namespace."""

    def run() -> None:
        verdict = judge(checkpoint, shell.user_ns, ANSWERS.latest, shell.transform_cell)
        assert verdict.status is Status.PASSED, verdict

    return run


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    runs = parser.parse_args().runs
    rows = [("fresh seeded database (create + first query)", 10, timings_ms(fresh_database, runs))]
    shell = InteractiveShell.instance()
    for solution in COURSE.solutions:
        for checkpoint in solved(shell, solution):
            rows.append((f"check cell `{checkpoint}`", 100, timings_ms(check_cell(shell, checkpoint), runs)))
    print(f"{runs} runs each; Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores\n")
    print("| what | median ms | worst ms | target (median) ms |")
    print("|---|---:|---:|---:|")
    for name, target, durations in rows:
        print(f"| {name} | {statistics.median(durations):.1f} | {max(durations):.1f} | < {target} |")


if __name__ == "__main__":
    main()
