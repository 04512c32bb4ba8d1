"""Benchmark: seconds per submission and peak memory of the kit's grader, beside plain serial `pytest --nbval-lax`.

Run with `.venv/bin/python bench/bench_grader.py [--submissions N] [--jobs J] [--kit-only]`; prints a Markdown table.
The class is N copies of solution 03, one per student folder named as Moodle names them, graded into the whole
gradebook (CSV files, report, a feedback page per student). Peak memory is the largest resident set of the grader's
own process, and of any process it started (the sandboxed runners), from `resource.getrusage`. `--kit-only` skips
plain nbval, which takes about a second per submission, and the floor, the cost of starting one kernel from scratch.
"""

import argparse
import json
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
# Runs the grader in a process of its own and prints its peak resident sets (KiB on Linux) as JSON on the last line.
MEASURED_GRADE = """
import json, resource, sys
from course_lib.cli import main
status = main(sys.argv[1:])
print(json.dumps({"status": status, "grader_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "children_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}))
"""


def seconds(command: list[str]) -> float:
    """Wall-clock seconds of a command, which must succeed."""
    start = time.perf_counter()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def measured_grade(folder: Path, out: Path, jobs: int) -> tuple[float, dict[str, int]]:
    """Seconds to grade the class, and the peak resident sets of the grader and of its largest child."""
    command = [sys.executable, "-c", MEASURED_GRADE, "grade", str(folder), "--out", str(out), "--jobs", str(jobs)]
    start = time.perf_counter()
    done = subprocess.run(command, check=True, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    usage = json.loads(done.stdout.strip().splitlines()[-1])
    if usage["status"] != 0:
        raise RuntimeError(f"grading failed with status {usage['status']}: {done.stderr[-2000:]}")
    return elapsed, usage


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
    parser.add_argument("--kit-only", action="store_true", help="time only the kit (no plain nbval, no floor)")
    arguments = parser.parse_args()
    count, jobs = arguments.submissions, arguments.jobs
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "class"
        for number in range(count):
            student = folder / f"Student {number:03}_{1000 + number}_assignsubmission_file"
            student.mkdir(parents=True)
            shutil.copy(SOLUTION, student / SOLUTION.name)
        kit, usage = measured_grade(folder, Path(scratch) / "out", jobs)
        plain = None
        if not arguments.kit_only:
            plain = seconds(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=", "--nbval-lax",
                 "--nbval-current-env", str(folder)]
            )  # fmt: skip
    machine = f"Python {sys.version.split()[0]}, {os.cpu_count()} cores"
    grader_mib, child_mib = usage["grader_kib"] / 1024, usage["children_kib"] / 1024
    print(f"{count} submissions (copies of solution 03), `grade --jobs {jobs}`; {machine}\n")
    print(f"- kit: {kit:.1f} s in all, {kit / count:.3f} s per submission")
    print(f"- peak memory: grader process {grader_mib:.0f} MiB; largest process it started {child_mib:.0f} MiB\n")
    if plain is not None:
        print("| grader | seconds per submission | speed-up over plain nbval |")
        print("|---|---:|---:|")
        print(f"| plain `pytest --nbval-lax`, serial | {plain / count:.2f} | 1.0× |")
        print(f"| kit (the default): `grade --jobs {jobs}` | {kit / count:.2f} | {plain / kit:.1f}× |")
        print(f"| floor: start one kernel from scratch, run one cell | {kernel_floor():.2f} | |")


if __name__ == "__main__":
    main()
