"""Runs graded copies through nbval, a batch per process, each notebook in its own kernel, with time limits."""

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from course_lib.grading.capture import RESULTS_VARIABLE

# jsonschema (through nbformat) imports the optional IRI checker rfc3987_syntax, which builds ~35 parsers at import
# (seconds per process; python-jsonschema/jsonschema#1428). No notebook schema uses IRI formats: mark it absent.
PYTEST_WITHOUT_SLOW_IMPORTS = "import sys; sys.modules['rfc3987_syntax'] = None; import pytest; sys.exit(pytest.main())"


@dataclass(frozen=True)
class EngineRun:
    """What nbval reported for each cell of one notebook (by cell id), and whether a time limit cut it short."""

    cells: dict[str, dict[str, Any]]
    timed_out: bool


def run_nbval(notebooks: list[Path], cell_timeout: float, batch_timeout: float) -> dict[Path, EngineRun]:
    """Execute the notebooks with `pytest --nbval` in one separate process group; never raises for student code."""
    with tempfile.TemporaryDirectory(prefix="course-nbval-") as scratch:
        results = Path(scratch) / "results.jsonl"
        command = [
            sys.executable, "-c", PYTEST_WITHOUT_SLOW_IMPORTS, *map(str, notebooks), "-q", "-p", "no:cacheprovider",
            "-o", "addopts=", "--rootdir", scratch, "-p", "course_lib.grading.capture", "--nbval",
            "--nbval-current-env", f"--nbval-cell-timeout={cell_timeout}",
        ]  # fmt: skip
        environment = {**os.environ, RESULTS_VARIABLE: str(results), "PYTHONWARNINGS": "ignore"}
        process = subprocess.Popen(
            command, cwd=scratch, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        try:
            process.wait(timeout=batch_timeout)
            killed = False
        except subprocess.TimeoutExpired:
            _kill_with_children(process.pid)
            process.wait()
            killed = True
        records = (
            [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()] if results.exists() else []
        )
    runs = {}
    for notebook in notebooks:
        cells = {record["cell"]: record for record in records if Path(record["notebook"]) == notebook}
        after_timeout = any(record.get("after_timeout") for record in cells.values())
        runs[notebook] = EngineRun(cells, after_timeout or (killed and not _finished(notebook, cells)))
    return runs


def _finished(notebook: Path, cells: dict[str, dict[str, Any]]) -> bool:
    """True when every code cell of the notebook has a record."""
    notebook_cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return all(cell["id"] in cells for cell in notebook_cells if cell["cell_type"] == "code")


def _kill_with_children(pid: int) -> None:
    """Kill a process and everything it started, kernels included (they run in sessions of their own)."""
    parent = psutil.Process(pid)
    for process in [*parent.children(recursive=True), parent]:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
