"""Runs one graded copy through nbval in its own process, with a time limit, and reads what each cell did."""

import contextlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from course_lib.grading.capture import RESULTS_VARIABLE


@dataclass(frozen=True)
class EngineRun:
    """What nbval reported for each cell (by cell id), whether the run hit its time limit, and what it printed."""

    cells: dict[str, dict[str, Any]]
    timed_out: bool
    log: str


def run_nbval(notebook: Path, cell_timeout: float, total_timeout: float) -> EngineRun:
    """Execute the notebook with `pytest --nbval` in a separate process group; never raises for the student's code."""
    results = notebook.with_suffix(".results.json")
    command = [
        sys.executable, "-m", "pytest", str(notebook), "-q", "-p", "no:cacheprovider", "-o", "addopts=",
        "--rootdir", str(notebook.parent), "-p", "course_lib.grading.capture", "--nbval", "--nbval-current-env",
        f"--nbval-cell-timeout={cell_timeout}",
    ]  # fmt: skip
    environment = {**os.environ, RESULTS_VARIABLE: str(results), "PYTHONWARNINGS": "ignore"}
    process = subprocess.Popen(
        command, cwd=notebook.parent, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True, text=True, errors="replace",
    )  # fmt: skip
    try:
        log, _ = process.communicate(timeout=total_timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        _kill_with_children(process.pid)
        log, _ = process.communicate()
        timed_out = True
    cells = {}
    if results.exists():
        cells = {record["cell"]: record for record in json.loads(results.read_text(encoding="utf-8"))}
    return EngineRun(cells, timed_out or any(record.get("after_timeout") for record in cells.values()), log[-4000:])


def _kill_with_children(pid: int) -> None:
    """Kill a process and everything it started, kernels included (they run in sessions of their own)."""
    parent = psutil.Process(pid)
    for process in [*parent.children(recursive=True), parent]:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
