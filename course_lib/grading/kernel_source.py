"""Where the grader's kernels come from: one warm fork server shared by every batch, or ordinary kernel starts."""

import contextlib
import itertools
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import psutil

from course_lib.grading.forked_kernels import KERNEL_NAME, forking_supported, start_fork_server

ORDINARY_KERNELS = ["--nbval-current-env"]


class KernelSource:
    """Gives each nbval run its kernel options; starts the fork server, again if a student's code killed it."""

    def __init__(self, folder: Path, environment: dict[str, str], *, forked: bool) -> None:
        self._folder = folder
        self._environment = environment
        self._forked = forked and forking_supported()
        self._servers: list[subprocess.Popen[str]] = []
        self._variables: dict[str, str] = {}
        self._lock = threading.Lock()
        self._numbers = itertools.count()

    def nbval_options(self) -> tuple[list[str], dict[str, str]]:
        """The pytest options choosing the kernels, and the environment variables they need."""
        with self._lock:
            if not self._forked:
                return ORDINARY_KERNELS, {}
            if not self._servers or self._servers[-1].poll() is not None:
                folder = self._folder / f"fork-server-{next(self._numbers)}"
                try:
                    server, self._variables = start_fork_server(folder, self._environment)
                except (RuntimeError, OSError):  # no fork server: ordinary kernels, only slower
                    self._forked = False
                    return ORDINARY_KERNELS, {}
                self._servers.append(server)
            return ["--nbval-kernel-name", KERNEL_NAME], self._variables

    def end_kernels(self, pid_file: Path) -> None:
        """Kill the forked kernels listed in the file that still run (nbval ends its kernels unless it was killed)."""
        if not pid_file.exists():
            return
        servers = {server.pid for server in self._servers}
        for line in pid_file.read_text(encoding="utf-8").split():
            with contextlib.suppress(psutil.Error, ValueError):
                kernel = psutil.Process(int(line))
                if kernel.ppid() in servers:  # still the kernel we were given, not a process that reused its pid
                    kill_with_children(kernel.pid)

    def close(self) -> None:
        """Stop the fork servers and whatever they still run."""
        for server in self._servers:
            kill_with_children(server.pid)
            server.wait()


@contextlib.contextmanager
def kernel_source(folder: Path, environment: dict[str, str], *, forked: bool) -> Iterator[KernelSource]:
    """A kernel source for the duration of the block, its servers stopped afterwards."""
    source = KernelSource(folder, environment, forked=forked)
    try:
        yield source
    finally:
        source.close()


def kill_with_children(pid: int) -> None:
    """Kill a process and everything it started, kernels included (they run in sessions of their own)."""
    with contextlib.suppress(psutil.NoSuchProcess):
        parent = psutil.Process(pid)
        for process in [*parent.children(recursive=True), parent]:
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()
