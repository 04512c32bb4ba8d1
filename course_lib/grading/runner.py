"""Inside the sandbox: runs a submission's cells as Jupyter would, and writes the evidence of each checkpoint.

Run by `sandbox.grading_command()`, it reads jobs on its standard input, one JSON line each, and writes JSON lines on
its standard output: one per code cell (what the cell printed) and one per checkpoint (the evidence its judge
collected), then `done` and, once the sandbox is clean again, `end`.
Nothing here decides a grade: the grader reads these lines as untrusted data and applies the rules itself.
"""

import contextlib
import ctypes
import io
import json
import os
import resource
import secrets
import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import redirect_stderr, redirect_stdout
from typing import Any, BinaryIO

from course_lib.grading.sandbox import SANDBOX_HOME, WORK_FOLDER, notebook_seconds
from course_lib.protocol import LESSON_FILE_VARIABLE

OUTPUT_CHARACTERS = 20_000
MEMORY_BYTES = 2 * 1024**3
FILE_BYTES = 16 * 1024**2
PROCESSES = 64
MAX_REPLY_BYTES = 16 * 1024**2
PR_SET_DUMPABLE = 4
TIME_LIMIT_NOTE = "the cell ran past its time limit"


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
    """Read jobs, one JSON line each; grade each in a fresh child, reset the sandbox, then say the job has ended.

    This process never runs student code. For each job it forks a child that does, and that answers one command at
    a time (run cell i, collect checkpoint k) with a reply carrying that command's random nonce. A line the
    student's code writes into the pipe answers no command: it is reported as tampering, and the grader gives that
    submission nothing.
    """
    jobs = os.fdopen(os.dup(0), "rb")
    channel = os.fdopen(os.dup(1), "wb")
    _silence_standard_streams()
    _not_dumpable()  # the children's code cannot read or trace this process's memory
    shell_class = _warm_up()
    while line := jobs.readline():
        job = json.loads(line)
        _grade(job, shell_class, channel)
        if job.get("sandboxed") is True:
            _reset_sandbox()
        _write(channel, {"end": True})
    os._exit(0)


def _warm_up() -> Any:
    """Import what every child needs and build the seeded database once, before any student code runs."""
    from IPython.core.interactiveshell import InteractiveShell

    from course_lib.bookclub.database import build_seeded_template
    from course_lib.checks.registry import all_judges

    all_judges()
    build_seeded_template()
    return InteractiveShell


def _grade(job: dict[str, Any], shell_class: Any, channel: BinaryIO) -> None:
    """Fork a child for one submission and drive it; report how it ended if it died."""
    commands_read, commands = os.pipe()
    replies, replies_written = os.pipe()
    folder = tempfile.mkdtemp(prefix="lesson-")  # the lesson's database lives here, for this process to read
    lesson_file = os.path.join(folder, "lesson.sqlite")
    child = os.fork()
    if child == 0:
        os.close(commands)
        os.close(replies)
        os.environ[LESSON_FILE_VARIABLE] = lesson_file
        _limit_resources(notebook_seconds(float(job["cell_timeout"])))
        _serve(job, shell_class, os.fdopen(commands_read, "rb"), os.fdopen(replies_written, "wb"))
    os.close(commands_read)
    os.close(replies_written)
    with os.fdopen(commands, "wb") as sending, os.fdopen(replies, "rb") as receiving:
        child_died = not _drive(job, channel, sending, receiving, lesson_file)
    shutil.rmtree(folder, ignore_errors=True)
    with contextlib.suppress(ProcessLookupError):
        os.kill(child, signal.SIGKILL)
    code = os.waitstatus_to_exitcode(os.waitpid(child, 0)[1])
    if child_died:  # how it ended says why: a crash, os._exit, or a limit (SIGXCPU, then SIGKILL, for CPU time)
        _write(channel, {"child_exit": code})


def _reset_sandbox() -> None:
    """Kill every process of the sandbox but this one (and its init), and empty /tmp, for the next submission."""
    for _ in range(100):
        with contextlib.suppress(ProcessLookupError):
            os.kill(-1, signal.SIGKILL)  # every process this one may signal, but itself and the namespace's init
        others = [name for name in os.listdir("/proc") if name.isdigit() and int(name) not in (1, os.getpid())]
        if not others:
            break
        for name in others:
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(int(name), os.WNOHANG)
    for folder in ("/tmp", "/dev/shm"):
        for entry in os.listdir(folder) if os.path.isdir(folder) else []:
            path = os.path.join(folder, entry)
            with contextlib.suppress(OSError):
                shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)
    for folder in (SANDBOX_HOME, WORK_FOLDER):
        os.makedirs(folder, exist_ok=True)
    os.chdir(WORK_FOLDER)


def _steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    """The commands, in order: run each code cell; collect a checkpoint's evidence where the grader judges it."""
    steps: list[dict[str, Any]] = []
    for index, cell in enumerate(job["cells"]):
        if cell["kind"] == "code":
            steps.append({"run": index})
        elif cell["kind"] == "collect" or cell.get("judged") is True:
            steps.append({"collect": cell["checkpoint"]})
    return steps


def _drive(job: dict[str, Any], channel: BinaryIO, commands: BinaryIO, replies: BinaryIO, lesson_file: str) -> bool:
    """Send each command, check that the next reply answers it and pass it on; stop at the first that does not.

    To each checkpoint's evidence this process adds what the lesson's database holds as committed, read in the file
    itself while the child waits for its next command: the database's word, not the child's. False when the child
    died before answering every command.
    """
    for step in _steps(job):
        nonce = secrets.token_hex(16)
        _write(commands, {**step, "nonce": nonce})
        line = replies.readline(MAX_REPLY_BYTES)
        if not line:
            return False  # the child died: the grader says so for every checkpoint left
        try:
            reply = json.loads(line)
        except ValueError:
            reply = None
        if not (isinstance(reply, dict) and reply.pop("nonce", None) == nonce and _answers(reply, step)):
            _write(channel, {"tampered": "a line in the grader's channel answered no command"})
            return True
        if "collect" in step:
            reply["stored"] = _stored(lesson_file)
        _write(channel, reply)
    _write(channel, {"done": True})
    return True


def _stored(lesson_file: str) -> dict[str, Any]:
    """The committed rows of the lesson's database file, or why there are none."""
    from course_lib.bookclub.database import committed_rows

    if not os.path.exists(lesson_file):
        return {"error": "the notebook made no lesson database (it never ran start_lesson())"}
    return committed_rows(lesson_file)


def _answers(reply: dict[str, Any], step: dict[str, Any]) -> bool:
    if "run" in step:
        return reply.get("cell") == step["run"]
    return reply.get("checkpoint") == step["collect"]


def _serve(job: dict[str, Any], shell_class: Any, commands: BinaryIO, replies: BinaryIO) -> None:
    """In the child: run each command as it comes, reply with its nonce; never returns."""
    for stream in (0, 1, 2):  # nothing of the parent's: not the next jobs, not the grader's channel
        os.dup2(os.open(os.devnull, os.O_RDWR), stream)
    for handle in range(3, 256):
        if handle not in (commands.fileno(), replies.fileno()):
            with contextlib.suppress(OSError):
                os.close(handle)
    shell = shell_class.instance(history_length=0)
    shell.history_manager.enabled = False
    as_run: dict[str, Any] = {}  # checkpoint -> what the latest run of its answer cell did (observation.py)
    while line := commands.readline():
        command = json.loads(line)
        if "run" in command:
            cell = job["cells"][command["run"]]
            output, observed, timed_out = _run_cell(shell, cell["source"], float(job["cell_timeout"]))
            as_run.update(dict.fromkeys(cell.get("answers", []), observed))
            if timed_out:
                _stand_in(shell, cell.get("answers", []), float(job["cell_timeout"]))
            reply = {"cell": command["run"], "output": output}
        else:
            reply = _evidence(command["collect"], shell, float(job["cell_timeout"]))
            reply["as_run"] = as_run.get(command["collect"])
        _write(replies, {**reply, "nonce": command["nonce"]})
    os._exit(0)  # no exit handlers: nothing the student's code registered runs


def _stand_in(shell: Any, checkpoints: list[str], timeout: float) -> None:
    """After an answer cell stopped at its time limit, run the reference's in its place (unmarked: not its answer).

    The later cells then find what they need, and the hang costs its own checkpoint only.
    """
    from course_lib.checks.reference import reference_answer

    for checkpoint in checkpoints:
        source = reference_answer(checkpoint)
        if source is not None:
            unmarked = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#"))
            _run_cell(shell, unmarked, timeout)  # what it printed is not the student's


def _not_dumpable() -> None:
    """prctl(PR_SET_DUMPABLE, 0): no core dump, no ptrace and no /proc/<pid>/mem for processes of the same user."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


@contextlib.contextmanager
def _time_limit(timeout: float) -> Iterator[None]:
    """Raise CellTimeout in the block once `timeout` seconds have passed."""

    def interrupt(_signal: int, _frame: object) -> None:
        raise CellTimeout(f"{TIME_LIMIT_NOTE} of {timeout:g} s")

    signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _run_cell(shell: Any, source: str, timeout: float) -> tuple[str, dict[str, Any] | None, bool]:
    """Run one cell as the notebook would: what it printed (a traceback included), what it did, and if it timed out."""
    from course_lib.checks.judging.observation import observed_log, session_observation

    printed = BoundedText()
    observed: dict[str, Any] | None = None
    timed_out = False
    try:
        with _time_limit(timeout), redirect_stdout(printed), redirect_stderr(printed):
            with observed_log() as log:
                result = shell.run_cell(source, store_history=False)
            timed_out = isinstance(result.error_in_exec, CellTimeout)
            observed = None if timed_out else {"log": log, "session": session_observation()}
    except CellTimeout:  # raised outside the cell's own code, between its statements
        printed.write(f"{TIME_LIMIT_NOTE}\n")
        timed_out = True
    except Exception:  # no lesson database (start_lesson() not run yet), or a session the cell left unusable
        observed = None
    return printed.getvalue(), observed, timed_out


def _evidence(checkpoint_id: str, shell: Any, timeout: float) -> dict[str, Any]:
    """What the checkpoint's judge collects now (its replays of the answers under the cell's time limit too)."""
    from course_lib.checks.registry import Attempt, collect_evidence, described_error, earlier_answers, is_placeholder
    from course_lib.classroom.answer_log import ANSWERS

    answer = ANSWERS.latest(checkpoint_id)
    entry: dict[str, Any] = {"checkpoint": checkpoint_id, "ran": answer is not None}
    if answer is None:
        return entry
    entry["error"] = described_error(answer.error) if answer.error is not None else None
    entry["timed_out"] = isinstance(answer.error, CellTimeout)
    if answer.error is None and not is_placeholder(answer.source):
        earlier = earlier_answers(checkpoint_id, ANSWERS.latest)
        try:
            attempt = Attempt(shell.user_ns, answer, earlier, shell.transform_cell)
            with _time_limit(timeout), redirect_stdout(io.StringIO()), redirect_stderr(io.StringIO()):
                entry["evidence"] = collect_evidence(checkpoint_id, attempt)
                entry["run_again"] = _observed_again(attempt)
        except CellTimeout:  # replaying the answers ran past the limit: an endless loop in an earlier cell, say
            entry["timed_out"] = True
    return entry


def _observed_again(attempt: Any) -> dict[str, Any] | None:
    """What the answer does when run again on a fresh database, to compare with what it did as the notebook ran.

    Nothing when an earlier answer ran past its time limit: run again, it would only do so once more.
    """
    from course_lib.checks.judging.replay import replay_observation

    if any(isinstance(run.error, CellTimeout) for run in attempt.earlier):
        return None
    try:
        return replay_observation(attempt)
    except Exception:
        return None


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
