"""Benchmark: how long a fresh seeded database and each check cell take (median and worst of many runs).

Run with `make bench` (or `.venv/bin/python bench/bench_course.py [--runs N]`); prints a Markdown table.
"""

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable

from IPython.core.interactiveshell import InteractiveShell
from sqlalchemy import select

from course_lib.answers import ANSWERS
from course_lib.checks import Status, judge
from course_lib.database import create_course_app, dispose
from course_lib.models import Reader, db

SOLVED_CELLS = {
    "add_rollback.new_reader": 'new_reader = Reader(name="Peter", surname="Johnson", email="peter.johnson@example.com")',  # noqa: E501
    "add_rollback.add": "db.session.add(new_reader)",
    "add_rollback.commit": "try:\n    db.session.commit()\nexcept IntegrityError:\n    db.session.rollback()",
}


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


def solved_notebook() -> InteractiveShell:
    """An IPython shell in which the setup cell and every answer cell of exercise 03 have run."""
    shell = InteractiveShell.instance()
    shell.run_cell(
        "from sqlalchemy.exc import IntegrityError\nfrom course_lib import Reader, db, start_lesson\n"
        "app = start_lesson(show_sql=False)",
    )
    for checkpoint, body in SOLVED_CELLS.items():
        shell.run_cell(f"# answer: {checkpoint}\n{body}")
    return shell


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
    rows = [("fresh seeded database (create + first query)", "10", timings_ms(fresh_database, runs))]
    shell = solved_notebook()
    rows += [
        (f"check cell `{checkpoint}`", "100", timings_ms(check_cell(shell, checkpoint), runs))
        for checkpoint in SOLVED_CELLS
    ]
    print(f"{runs} runs each; Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores\n")
    print("| what | median ms | worst ms | target (median) ms |")
    print("|---|---:|---:|---:|")
    for name, target, durations in rows:
        print(f"| {name} | {statistics.median(durations):.1f} | {max(durations):.1f} | < {target} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
