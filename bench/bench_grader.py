"""Benchmark: seconds per submission for the kit's grader and for plain serial `pytest --nbval-lax`, and the floor.

Run with `.venv/bin/python bench/bench_grader.py [--submissions N] [--jobs J]`; prints a Markdown table. The class is
N copies of solution 03 (each a separate submission), graded by the kit with forked kernels (its default) and with
kernels started from scratch; the floor is the cost of starting one kernel from scratch and running a cell.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jupyter_client.manager import start_new_kernel

from course_lib.cli import DEFAULT_JOBS

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "03_add_and_rollback.ipynb"


def seconds(command: list[str]) -> float:
    """Wall-clock seconds of a command, which must succeed."""
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def kernel_floor(runs: int = 5) -> float:
    """Seconds to start a kernel, run one cell and shut it down, the least any per-submission kernel costs."""
    durations = []
    for _ in range(runs):
        start = time.perf_counter()
        manager, client = start_new_kernel(kernel_name="python3")
        client.execute_interactive("x = 1 + 1", timeout=60)
        client.stop_channels()
        manager.shutdown_kernel(now=True)
        durations.append(time.perf_counter() - start)
    return min(durations)


def main() -> None:
    """Make the class, time the graders, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=DEFAULT_JOBS)
    arguments = parser.parse_args()
    count, jobs = arguments.submissions, arguments.jobs
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "class"
        for number in range(count):
            (folder / f"student{number:03}").mkdir(parents=True)
            shutil.copy(SOLUTION, folder / f"student{number:03}" / SOLUTION.name)
        grade = [
            sys.executable,
            "-m",
            "course_lib",
            "grade",
            str(folder),
            "--out",
            f"{scratch}/out",
            "--jobs",
            str(jobs),
        ]
        kit = seconds(grade)
        kit_fresh = seconds([*grade, "--fresh-kernels"])
        plain = seconds(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "--nbval-lax",
             "--nbval-current-env", str(folder)]
        )  # fmt: skip
    floor = kernel_floor()
    machine = f"Python {sys.version.split()[0]}, {os.cpu_count()} cores"
    print(f"{count} submissions (copies of solution 03); {machine}\n")
    print("| grader | seconds per submission | speed-up over plain nbval |")
    print("|---|---:|---:|")
    print(f"| plain `pytest --nbval-lax`, serial | {plain / count:.2f} | 1.0× |")
    print(f"| kit, kernels started from scratch: `grade --jobs {jobs} --fresh-kernels` | {kit_fresh / count:.2f} | "
          f"{plain / kit_fresh:.1f}× |")  # fmt: skip
    print(f"| kit, forked kernels (the default): `grade --jobs {jobs}` | {kit / count:.2f} | {plain / kit:.1f}× |")
    print(f"| floor: start one kernel from scratch, run one cell | {floor:.2f} | |")


if __name__ == "__main__":
    main()
