"""Inside the sandbox: runs a submission's cells as Jupyter would, and writes the evidence of each checkpoint.

Run by `sandbox.runner_command()` with the job (JSON) on standard input; it writes JSON lines on its
standard output: one per code cell (what the cell printed) and one per checkpoint (the evidence its judge collected).
Nothing here decides a grade: the grader reads these lines as untrusted data and applies the rules itself.
"""

import io
import json
import os
import resource
import signal
import sys
from contextlib import redirect_stderr, redirect_stdout
from typing import Any, BinaryIO

OUTPUT_CHARACTERS = 20_000
MEMORY_BYTES = 2 * 1024**3
FILE_BYTES = 16 * 1024**2
PROCESSES = 64


class BoundedText(io.StringIO):
    """A text buffer keeping only its first OUTPUT_CHARACTERS characters: printing forever costs no memory."""

    def write(self, text: str) -> int:
        """Keep what still fits, count it all as written."""
        room = OUTPUT_CHARACTERS - self.tell()
        if room > 0:
            super().write(text[:room])
        return len(text)


class CellTimeout(BaseException):
    """A cell ran past its time limit (a BaseException, like KeyboardInterrupt: `except Exception` cannot hide it)."""


def main() -> None:
    """Read the job, limit this process, run the cells, write one JSON line per cell and per checkpoint."""
    job = json.loads(sys.stdin.buffer.read())
    channel = os.fdopen(os.dup(1), "wb")
    _silence_standard_streams()
    _limit_resources(float(job["cell_timeout"]) * (len(job["cells"]) + 2))
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance(history_length=0)
    shell.history_manager.enabled = False
    collected: set[str] = set()
    for index, cell in enumerate(job["cells"]):
        if cell["kind"] == "check":
            collected.add(cell["checkpoint"])
            _write(channel, _evidence(cell["checkpoint"], shell))
        else:
            _write(channel, {"cell": index, "output": _run_cell(shell, cell["source"], float(job["cell_timeout"]))})
    for checkpoint_id in job["checkpoints"]:
        if checkpoint_id not in collected:
            _write(channel, _evidence(checkpoint_id, shell))
    _write(channel, {"done": True})
    channel.close()
    os._exit(0)  # no exit handlers: nothing the student's code registered runs after the evidence


def _run_cell(shell: Any, source: str, timeout: float) -> str:
    """Run one cell as the notebook would; return what it printed (cut short), a traceback included."""
    printed = BoundedText()

    def interrupt(_signal: int, _frame: object) -> None:
        raise CellTimeout(f"the cell ran past its time limit of {timeout:g} s")

    signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        with redirect_stdout(printed), redirect_stderr(printed):
            shell.run_cell(source, store_history=False)
    except CellTimeout as error:  # raised outside the cell's own code, between its statements
        printed.write(f"{error}\n")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return printed.getvalue()


def _evidence(checkpoint_id: str, shell: Any) -> dict[str, Any]:
    """What the checkpoint's judge collects now, with how its answer cell ran."""
    from course_lib.checks.registry import Attempt, collect_evidence, described_error, is_placeholder
    from course_lib.classroom.answer_log import ANSWERS

    answer = ANSWERS.latest(checkpoint_id)
    entry: dict[str, Any] = {"checkpoint": checkpoint_id, "ran": answer is not None}
    if answer is None:
        return entry
    entry["error"] = described_error(answer.error) if answer.error is not None else None
    entry["timed_out"] = isinstance(answer.error, CellTimeout)
    if answer.error is None and not is_placeholder(answer.source):
        from course_lib.authoring.manifest import load_manifest

        earlier = tuple(
            run for id_ in load_manifest().checkpoints_before(checkpoint_id) if (run := ANSWERS.latest(id_))
        )
        with redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
            entry["evidence"] = collect_evidence(
                checkpoint_id, Attempt(shell.user_ns, answer, earlier, shell.transform_cell)
            )
    return entry


def _write(channel: BinaryIO, record: dict[str, Any]) -> None:
    channel.write(json.dumps(record, default=str).encode() + b"\n")
    channel.flush()


def _silence_standard_streams() -> None:
    """Point file descriptors 1 and 2 at /dev/null: what student code writes there never mixes with the evidence."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


def _limit_resources(cpu_seconds: float) -> None:
    """Hard limits on memory, file size, processes, open files and CPU time, for this process and its children."""
    for limit, value in (
        (resource.RLIMIT_AS, MEMORY_BYTES),
        (resource.RLIMIT_FSIZE, FILE_BYTES),
        (resource.RLIMIT_NPROC, PROCESSES),
        (resource.RLIMIT_NOFILE, 256),
        (resource.RLIMIT_CORE, 0),
    ):
        resource.setrlimit(limit, (value, value))
    resource.setrlimit(resource.RLIMIT_CPU, (int(cpu_seconds) + 1, int(cpu_seconds) + 3))  # SIGXCPU, then SIGKILL
