"""Runs untrusted code in a bubblewrap sandbox: no network, own PID namespace, an allow-listed read-only file system.

Where bubblewrap is missing (macOS, Windows, a container without user namespaces) the same command runs as a plain
process with the same resource limits: the grader says so, marks it in the gradebook, and `--require-sandbox` refuses.
"""

import contextlib
import functools
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import psutil

BWRAP = "bwrap"
#: Everything the sandboxed interpreter may read: the system's programs and libraries, Python, the kit's own code.
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc/ld.so.cache", "/etc/alternatives")
SANDBOX_HOME = "/tmp/home"
WORK_FOLDER = "/tmp/work"
#: Where the sandbox shows the kit's package and the grader's virtual environment: fixed paths, not the instructor's.
SANDBOX_KIT = "/opt/course-grader/kit"
SANDBOX_VENV = "/opt/course-grader/venv"
TMP_BYTES = 64 * 1024 * 1024
#: The only environment a sandboxed process gets.
CLEAN_ENVIRONMENT = {
    "PATH": "/usr/bin:/bin",
    "HOME": SANDBOX_HOME,
    "IPYTHONDIR": f"{SANDBOX_HOME}/.ipython",
    "JUPYTER_CONFIG_DIR": f"{SANDBOX_HOME}/.jupyter",
    "JUPYTER_DATA_DIR": f"{SANDBOX_HOME}/.local/share/jupyter",
    "MPLCONFIGDIR": f"{SANDBOX_HOME}/.matplotlib",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONHASHSEED": "0",
    "LANG": "C.UTF-8",
}


#: Where control groups cap a sandbox (cgroup v1, as root): its number of processes, and its CPU to one core.
PIDS_HIERARCHY = Path("/sys/fs/cgroup/pids")
CPU_HIERARCHY = Path("/sys/fs/cgroup/cpu")
MAX_PROCESSES = 64
GROUP_PREFIX = "course-grader-"
CPU_PERIOD_MICROSECONDS = 100_000
#: A notebook may run, in all, as long as this many of its cells at their time limit, however many cells it has.
NOTEBOOK_CELL_LIMITS = 4
#: The line the runner writes when it has finished a job and is ready for the next.
END_OF_JOB = b'{"end": true}'
ARGUMENTS_PIPE_BYTES = 65536  # what a Linux pipe holds before its reader starts: the sandbox's arguments need ~2 KiB
POLL_SECONDS = 0.1  # how often a running job's process cap is looked at


@dataclass(frozen=True)
class Outcome:
    """How a sandboxed run ended: what it wrote (cut at the limit), its exit code, and whether the grader stopped it."""

    output: bytes
    returncode: int | None
    timed_out: bool
    output_cut: bool
    process_cap_reached: bool = False


def notebook_seconds(cell_timeout: float) -> float:
    """How long one notebook's cells may run in all (wall clock, and CPU time): a few cells' limits, not one each."""
    return NOTEBOOK_CELL_LIMITS * cell_timeout


@functools.cache
def sandbox_available() -> str | None:
    """A description of the sandbox in use ("bubblewrap 0.8.0"), or None where none works on this machine."""
    bwrap = shutil.which(BWRAP)
    if bwrap is None or not sys.platform.startswith("linux"):
        return None
    probe = subprocess.run(
        [bwrap, *_namespace_options(), "--ro-bind", "/", "/", "true"], capture_output=True, timeout=30, check=False
    )
    if probe.returncode != 0:
        return None
    version = subprocess.run([bwrap, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    return version or "bubblewrap"


def _namespace_options() -> list[str]:
    return ["--unshare-all", "--die-with-parent", "--new-session", "--unshare-user", "--uid", "65534", "--gid", "65534"]


def sandboxed_command(command: list[str], readable: list[tuple[Path, str]]) -> list[str]:
    """The bwrap command line that runs `command` with only `readable` (source, path inside) and the system visible."""
    options = [shutil.which(BWRAP) or BWRAP, *_namespace_options(), "--clearenv"]
    for key, value in CLEAN_ENVIRONMENT.items():
        options += ["--setenv", key, value]
    options += ["--proc", "/proc", "--dev", "/dev", "--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
    for path in SYSTEM_PATHS:
        options += ["--ro-bind-try", path, path]
    for source, inside in readable:  # after the private /tmp, so that a Python installed below /tmp stays visible
        options += ["--ro-bind", str(source), inside]
    options += ["--dir", SANDBOX_HOME, "--dir", WORK_FOLDER, "--chdir", WORK_FOLDER]
    return [*options, "--", *command]


def kit_package() -> Path:
    """The folder of the `course_lib` package this process runs (a checkout's, a worktree's or an installed one)."""
    import course_lib

    return Path(course_lib.__file__).resolve().parent


def grading_command(*, sandboxed: bool) -> list[str]:
    """The command that starts a runner: in bubblewrap, where the kit and the virtual environment have fixed paths."""
    if not sandboxed:
        return runner_command(sys.executable, str(kit_package().parent))
    base = Path(sys.base_prefix).resolve()
    readable = [(base, str(base))]  # the installation stays where it is: its programs may name their libraries' paths
    executable = sys.executable
    inside_environment = os.path.relpath(sys.executable, sys.prefix)
    if sys.prefix != sys.base_prefix and not inside_environment.startswith(".."):
        readable.append((Path(sys.prefix).resolve(), SANDBOX_VENV))
        executable = f"{SANDBOX_VENV}/{Path(inside_environment).as_posix()}"
    elif sys.prefix != sys.base_prefix:
        readable.append((Path(sys.prefix).resolve(), str(Path(sys.prefix).resolve())))
    readable.append((kit_package(), f"{SANDBOX_KIT}/{kit_package().name}"))
    return sandboxed_command(runner_command(executable, SANDBOX_KIT), readable)


def runner_command(executable: str, kit_folder: str) -> list[str]:
    """The isolated interpreter command that runs the runner from the `course_lib` in `kit_folder` (no other copy)."""
    start = (
        "import sys; sys.path.insert(0, sys.argv[1]); sys.modules.setdefault('rfc3987_syntax', None); "
        "from course_lib.grading.runner import main; main()"
    )
    return [executable, "-I", "-c", start, kit_folder]


@functools.cache
def process_cap_available() -> bool:
    """True when a sandbox can be put in control groups of its own that cap its processes (and its CPU)."""
    try:
        groups = _new_control_groups()
    except OSError:
        return False
    _remove_control_groups(groups)
    return bool(groups)


def control_groups_of(pid: int) -> list[Path]:
    """The control groups made by the grader process `pid` (named after it) that still exist."""
    return [
        group for hierarchy in (PIDS_HIERARCHY, CPU_HIERARCHY) for group in hierarchy.glob(f"{GROUP_PREFIX}{pid}-*")
    ]


def _new_control_groups() -> list[Path]:
    """New control groups for one sandbox: at most MAX_PROCESSES processes, at most one core (none where none can).

    Groups left by a grader that was killed (its pid named in theirs is gone) are removed first.
    """
    for hierarchy in (PIDS_HIERARCHY, CPU_HIERARCHY):
        for stale in hierarchy.glob(f"{GROUP_PREFIX}*") if os.access(hierarchy, os.W_OK) else []:
            owner = stale.name.removeprefix(GROUP_PREFIX).split("-")[0]
            if owner.isdigit() and not psutil.pid_exists(int(owner)):
                _remove_control_groups([stale])
    groups = []
    for hierarchy, settings in (
        (PIDS_HIERARCHY, {"pids.max": MAX_PROCESSES}),
        (CPU_HIERARCHY, {"cpu.cfs_period_us": CPU_PERIOD_MICROSECONDS, "cpu.cfs_quota_us": CPU_PERIOD_MICROSECONDS}),
    ):
        if not os.access(hierarchy, os.W_OK):
            continue
        group = hierarchy / f"{GROUP_PREFIX}{os.getpid()}-{uuid.uuid4().hex}"
        group.mkdir()
        groups.append(group)
        for name, value in settings.items():
            (group / name).write_text(str(value))
    return groups


def _process_cap_reached(groups: list[Path]) -> bool:
    """True once the sandbox tried to start more processes than its cap allows (a fork bomb)."""
    events = next((group / "pids.events" for group in groups if group.parent == PIDS_HIERARCHY), None)
    with contextlib.suppress(OSError, ValueError):
        return events is not None and int(events.read_text().split()[1]) > 0
    return False


def _remove_control_groups(groups: list[Path]) -> None:
    """Kill what is left in the groups, then remove them (possible once their last process is gone)."""
    for group in groups:
        for _ in range(50):
            try:
                group.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                for pid in (group / "cgroup.procs").read_text().split():
                    with contextlib.suppress(ProcessLookupError, ValueError):
                        os.kill(int(pid), signal.SIGKILL)
                time.sleep(0.05)


class Slot:
    """A sandbox that grades submissions one after another: started warm at first use, and again after it died.

    The runner inside forks a fresh child per submission from a parent that never runs student code, and between
    submissions kills every process but its own and empties /tmp: nothing of one submission reaches the next.
    """

    def __init__(self, command: list[str], *, output_limit: int) -> None:
        """Remember the command that starts the runner; nothing starts before the first job."""
        self._command = command
        self._output_limit = output_limit
        self._process: subprocess.Popen[bytes] | None = None
        self._groups: list[Path] = []
        self._lines: queue.Queue[bytes | None] = queue.Queue()

    def run(self, job: dict[str, object], timeout: float) -> Outcome:
        """Grade one job; kill the whole sandbox at the time or output limit, or if the job ends it."""
        process = self._started()
        try:
            assert process.stdin is not None
            process.stdin.write(json.dumps(job).encode() + b"\n")
            process.stdin.flush()
        except OSError:
            pass  # the sandbox died: the lines read below end at once
        lines: list[bytes] = []
        size, deadline = 0, time.monotonic() + timeout
        while True:
            try:
                line = self._lines.get(timeout=min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
            except queue.Empty:
                if _process_cap_reached(self._groups):
                    return self._stopped(lines, process_cap_reached=True)
                if time.monotonic() >= deadline:
                    return self._stopped(lines, timed_out=True)
                continue
            if line is None:
                return self._stopped(lines)
            if line.strip() == END_OF_JOB:
                return Outcome(b"".join(lines), 0, False, False)
            size += len(line)
            if size > self._output_limit:
                return self._stopped(lines, output_cut=True)
            lines.append(line)

    def close(self) -> None:
        """Stop the sandbox and everything in it."""
        if self._process is not None:
            _kill_session(self._process)
            self._process.wait()
            self._process = None
        _remove_control_groups(self._groups)
        self._groups = []

    def _started(self) -> subprocess.Popen[bytes]:
        if self._process is not None and self._process.poll() is None:
            return self._process
        self.close()
        self._groups = _new_control_groups()
        join = " && ".join(f'echo $$ > "{group / "cgroup.procs"}"' for group in self._groups)
        prefix = ["/bin/sh", "-c", f'{join} && exec "$@"', "sh"] if self._groups else []
        sandboxed = Path(self._command[0]).name == BWRAP
        # bubblewrap is the sandbox's first process, readable from inside: it starts with an empty environment and
        # reads its options (the paths it binds) from a pipe, so that its command line is `bwrap --args N -- runner`
        end = self._command.index("--") if sandboxed else 0
        arguments = _arguments_pipe(self._command[1:end]) if sandboxed else None
        command = [self._command[0], "--args", str(arguments), *self._command[end:]] if sandboxed else self._command
        try:
            self._process = subprocess.Popen(
                [*prefix, *command],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                env={} if sandboxed else CLEAN_ENVIRONMENT, cwd="/", start_new_session=True,
                pass_fds=() if arguments is None else (arguments,),
            )  # fmt: skip
        finally:
            if arguments is not None:
                os.close(arguments)
        self._lines = queue.Queue()
        threading.Thread(target=_read_lines, args=(self._process, self._lines, self._output_limit), daemon=True).start()
        return self._process

    def _stopped(
        self,
        lines: list[bytes],
        *,
        timed_out: bool = False,
        output_cut: bool = False,
        process_cap_reached: bool = False,
    ) -> Outcome:
        """End the sandbox after a job that did not finish; the next job starts a fresh one."""
        assert self._process is not None
        process = self._process
        self.close()
        return Outcome(b"".join(lines), process.returncode, timed_out, output_cut, process_cap_reached)


def _arguments_pipe(arguments: list[str]) -> int:
    """A pipe's read end holding the arguments, each ended by a NUL byte, as `bwrap --args FD` reads them."""
    data = b"".join(os.fsencode(argument) + b"\0" for argument in arguments)
    read_end, write_end = os.pipe()
    try:
        if len(data) > ARGUMENTS_PIPE_BYTES:
            raise ValueError(f"the sandbox's arguments take {len(data)} bytes, more than a pipe holds")
        os.write(write_end, data)
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    return read_end


def _read_lines(process: subprocess.Popen[bytes], lines: queue.Queue[bytes | None], limit: int) -> None:
    """Pass the process's output on line by line (a line cut at the limit), then None at its end."""
    assert process.stdout is not None
    with contextlib.suppress(OSError, ValueError):
        while line := process.stdout.readline(limit + 1):
            lines.put(line)
    lines.put(None)


def _kill_session(process: subprocess.Popen[bytes]) -> None:
    """Kill the process's session: the sandbox (whose PID namespace dies with it) or the plain process tree."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(psutil.Error):
        for child in psutil.Process(process.pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                child.kill()
