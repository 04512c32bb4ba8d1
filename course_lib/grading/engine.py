"""Runs graded copies through nbval, a batch per process, each notebook in its own kernel, with time limits."""

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from course_lib.grading.capture import RESULTS_VARIABLE
from course_lib.grading.forked_kernels import KERNEL_PIDS_VARIABLE
from course_lib.grading.kernel_source import KernelSource, kill_with_children

PYTEST_WITHOUT_SLOW_IMPORTS = (
    'import sys; sys.modules.setdefault("rfc3987_syntax", None); import pytest; sys.exit(pytest.main())'
)
POLL_SECONDS = 0.1


@dataclass(frozen=True)
class EngineRun:
    """What nbval reported for each cell of one notebook (by cell id), and whether a time limit cut it short."""

    cells: dict[str, dict[str, Any]]
    timed_out: bool


def grading_environment() -> dict[str, str]:
    """The environment of the grader's processes: warnings are the students' business, not the gradebook's."""
    return {**os.environ, "PYTHONWARNINGS": "ignore"}


def run_nbval(
    notebooks: list[Path],
    cell_timeout: float,
    kernels: KernelSource,
    on_notebook_done: Callable[[Path], None] = lambda _: None,
) -> dict[Path, EngineRun]:
    """Run the notebooks with `pytest --nbval`; those a dead or killed run never started get a new run. Never raises."""
    runs: dict[Path, EngineRun] = {}
    reported: set[Path] = set()

    def report(notebook: Path) -> None:
        if notebook not in reported:
            reported.add(notebook)
            on_notebook_done(notebook)

    pending = list(notebooks)
    while pending:
        batch_runs = _run_batch(pending, cell_timeout, kernels, report)
        runs.update(batch_runs)
        not_started = [notebook for notebook in pending if not batch_runs[notebook].cells]
        if len(not_started) == len(pending):
            break  # the run could not start any notebook: running it again would not either
        pending = not_started  # a run that died (or was killed) early: give the others a fresh run
    for notebook in notebooks:
        report(notebook)
    return runs


def _run_batch(
    notebooks: list[Path], cell_timeout: float, kernels: KernelSource, on_notebook_done: Callable[[Path], None]
) -> dict[Path, EngineRun]:
    """One pytest process over the notebooks, killed with all its kernels at the batch's time limit."""
    batch_timeout = len(notebooks) * (cell_timeout * 3 + 60)
    with tempfile.TemporaryDirectory(prefix="course-nbval-") as scratch:
        results = Path(scratch) / "results.jsonl"
        kernel_options, kernel_variables = kernels.nbval_options()
        kernel_pids = Path(scratch) / "kernels.txt"
        environment = {
            **grading_environment(), **kernel_variables, RESULTS_VARIABLE: str(results),
            KERNEL_PIDS_VARIABLE: str(kernel_pids),
        }  # fmt: skip
        command = [
            sys.executable, "-c", PYTEST_WITHOUT_SLOW_IMPORTS, *map(str, notebooks), "-q", "-p", "no:cacheprovider",
            "-o", "addopts=", "--rootdir", scratch, "-p", "course_lib.grading.capture", "--nbval", *kernel_options,
            f"--nbval-cell-timeout={cell_timeout}",
        ]  # fmt: skip
        process = subprocess.Popen(
            command, cwd=scratch, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        watcher = _ProgressWatcher(results, notebooks, on_notebook_done)
        killed = not watcher.wait(process, batch_timeout)
        kill_with_children(process.pid)  # after a normal end, only what the students' code left running
        process.wait()
        kernels.end_kernels(kernel_pids)
        records = watcher.records()
    runs = {}
    for notebook in notebooks:
        cells = {record["cell"]: record for record in records if Path(record["notebook"]) == notebook}
        after_timeout = any(record.get("after_timeout") for record in cells.values())
        runs[notebook] = EngineRun(cells, after_timeout or (killed and not _finished(notebook, cells)))
    return runs


class _ProgressWatcher:
    """Follows the results file while nbval runs, and reports each notebook as soon as all its cells are recorded."""

    def __init__(self, results: Path, notebooks: list[Path], on_notebook_done: Callable[[Path], None]) -> None:
        self._results = results
        self._code_cells = {notebook: _code_cell_ids(notebook) for notebook in notebooks}
        self._seen: dict[Path, set[str]] = {notebook: set() for notebook in notebooks}
        self._on_notebook_done = on_notebook_done
        self._records: list[dict[str, Any]] = []
        self._offset = 0

    def wait(self, process: subprocess.Popen[bytes], timeout: float) -> bool:
        """Wait for the process, reporting progress; False when the time limit was reached first."""
        for _ in range(int(timeout / POLL_SECONDS) + 1):
            try:
                process.wait(timeout=POLL_SECONDS)
            except subprocess.TimeoutExpired:
                self._report(self._read_new_records())
                continue
            self._report(self._read_new_records())
            return True
        return False

    def records(self) -> list[dict[str, Any]]:
        """Every complete record written so far (a line cut short by a kill is ignored)."""
        self._read_new_records()
        return self._records

    def _read_new_records(self) -> list[dict[str, Any]]:
        """The complete lines appended since the last read, decoded."""
        if not self._results.exists():
            return []
        with self._results.open("rb") as handle:
            handle.seek(self._offset)
            complete = handle.read().rpartition(b"\n")[0]
        if not complete:
            return []
        self._offset += len(complete) + 1
        new = []
        for line in complete.decode("utf-8", errors="replace").splitlines():
            with contextlib.suppress(ValueError):
                new.append(json.loads(line))
        self._records += new
        return new

    def _report(self, new_records: list[dict[str, Any]]) -> None:
        for record in new_records:
            notebook = Path(record["notebook"])
            seen = self._seen.get(notebook)
            if seen is not None:
                seen.add(record["cell"])
                if seen >= self._code_cells[notebook]:
                    self._on_notebook_done(notebook)


def _code_cell_ids(notebook: Path) -> set[str]:
    """The ids of the notebook's code cells."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return {cell["id"] for cell in cells if cell["cell_type"] == "code"}


def _finished(notebook: Path, cells: dict[str, dict[str, Any]]) -> bool:
    """True when every code cell of the notebook has a record."""
    return _code_cell_ids(notebook) <= cells.keys()
