"""Runs untrusted code in a bubblewrap sandbox: no network, own PID namespace, an allow-listed read-only file system.

Where bubblewrap is missing (macOS, Windows, a container without user namespaces) the same command runs as a plain
process with the same resource limits: the grader says so, marks it in the gradebook, and `--require-sandbox` refuses.
"""

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

BWRAP = "bwrap"
#: Everything the sandboxed interpreter may read: the system's programs and libraries, Python, the kit's own code.
SYSTEM_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc/ld.so.cache", "/etc/alternatives")
SANDBOX_HOME = "/tmp/home"
WORK_FOLDER = "/tmp/work"
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


#: Where a control group can cap how many processes one run may have (cgroup v1 `pids`, as root), and the cap.
PIDS_HIERARCHY = Path("/sys/fs/cgroup/pids")
MAX_PROCESSES = 64


@dataclass(frozen=True)
class Outcome:
    """How a sandboxed run ended: what it wrote (cut at the limit), its exit code, and whether the grader stopped it."""

    output: bytes
    returncode: int | None
    timed_out: bool
    output_cut: bool


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


def sandboxed_command(command: list[str], readable: list[Path]) -> list[str]:
    """The bwrap command line that runs `command` with only `readable` (and the system) visible, read-only."""
    options = [BWRAP, *_namespace_options(), "--clearenv"]
    for key, value in CLEAN_ENVIRONMENT.items():
        options += ["--setenv", key, value]
    options += ["--proc", "/proc", "--dev", "/dev", "--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
    for path in SYSTEM_PATHS:
        options += ["--ro-bind-try", path, path]
    for path in readable:  # after the private /tmp, so that a Python installed below /tmp stays visible
        options += ["--ro-bind", str(path), str(path)]
    options += ["--dir", SANDBOX_HOME, "--dir", WORK_FOLDER, "--chdir", WORK_FOLDER]
    return [*options, "--", *command]


def kit_package() -> Path:
    """The folder of the `course_lib` package this process runs (a checkout's, a worktree's or an installed one)."""
    import course_lib

    return Path(course_lib.__file__).resolve().parent


def python_paths() -> list[Path]:
    """What a sandboxed copy of this interpreter must see: its installation, its environment and the kit's package."""
    return sorted({Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), kit_package()})


def runner_command() -> list[str]:
    """The isolated interpreter command that runs the sandbox's runner from this very `course_lib` (no other copy)."""
    start = (
        "import sys; sys.path.insert(0, sys.argv[1]); sys.modules.setdefault('rfc3987_syntax', None); "
        "from course_lib.grading.runner import main; main()"
    )
    return [sys.executable, "-I", "-c", start, str(kit_package().parent)]


@functools.cache
def process_cap_available() -> bool:
    """True when each run can be put in a control group of its own that caps its number of processes."""
    try:
        with _process_cap() as prefix:
            return bool(prefix)
    except OSError:
        return False


@contextlib.contextmanager
def _process_cap() -> Iterator[list[str]]:
    """A command prefix that moves the command into a new `pids` control group (empty where there is none)."""
    if not os.access(PIDS_HIERARCHY, os.W_OK):
        yield []
        return
    group = PIDS_HIERARCHY / f"course-grader-{uuid.uuid4().hex}"
    group.mkdir()
    try:
        (group / "pids.max").write_text(str(MAX_PROCESSES))
        yield ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', str(group / "cgroup.procs")]
    finally:
        for _ in range(50):  # the group can be removed once its last process is gone
            try:
                group.rmdir()
                break
            except OSError:
                _kill_all((group / "cgroup.procs").read_text().split())
                time.sleep(0.05)


def _kill_all(pids: list[str]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid), signal.SIGKILL)


def run_limited(command: list[str], stdin: bytes, *, timeout: float, output_limit: int) -> Outcome:
    """Run a command in a session of its own, its processes capped; kill it all at the time or output limit."""
    with _process_cap() as prefix:
        return _run(prefix + command, stdin, timeout=timeout, output_limit=output_limit)


def _run(command: list[str], stdin: bytes, *, timeout: float, output_limit: int) -> Outcome:
    """Run a command in a session of its own; kill it and everything it started at the time or output limit."""
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        env=CLEAN_ENVIRONMENT if BWRAP not in command else None, cwd="/", start_new_session=True,
    )  # fmt: skip
    chunks: list[bytes] = []
    size = [0]
    cut = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        while chunk := process.stdout.read1(65536):
            if size[0] + len(chunk) > output_limit:
                chunks.append(chunk[: output_limit - size[0]])
                cut.set()
                _kill_session(process)
                return
            chunks.append(chunk)
            size[0] += len(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    with contextlib.suppress(OSError):
        assert process.stdin is not None
        process.stdin.write(stdin)
        process.stdin.close()
    deadline = time.monotonic() + timeout
    timed_out = False
    while process.poll() is None:
        if time.monotonic() > deadline:
            timed_out = True
            _kill_session(process)
            break
        time.sleep(0.02)
    process.wait()
    _kill_session(process)  # whatever the command left behind in its session
    reader.join(timeout=5)
    return Outcome(b"".join(chunks), process.returncode, timed_out, cut.is_set())


def _kill_session(process: subprocess.Popen[bytes]) -> None:
    """Kill the process's session: the sandbox (whose PID namespace dies with it) or the plain process tree."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(psutil.Error):
        for child in psutil.Process(process.pid).children(recursive=True):
            with contextlib.suppress(psutil.Error):
                child.kill()
