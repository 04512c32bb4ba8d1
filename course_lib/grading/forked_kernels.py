"""A jupyter_client kernel provisioner whose kernels are forked by the warm fork server, and its kernel spec."""

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from jupyter_client.connect import KernelConnectionInfo
from jupyter_client.provisioning import LocalProvisioner
from traitlets import Unicode

from course_lib.grading.fork_server import READY

PROVISIONER_NAME = "course-forked-kernel"
KERNEL_NAME = "course-forked"
KERNEL_PIDS_VARIABLE = "COURSE_GRADER_KERNEL_PIDS"
FORK_SERVER_CODE = "import sys; from course_lib.grading.fork_server import serve; serve(sys.argv[1])"


class ForkedProcess:
    """The part of `subprocess.Popen` a provisioner uses, for a kernel that is not our child (the server forked it)."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """None while the kernel runs; afterwards -1 (the fork server reaped it, so its status is unknown)."""
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = -1
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait until the kernel has ended."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while (code := self.poll()) is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.01)
        return code

    def send_signal(self, signum: int) -> None:
        """Signal the kernel process; like Popen, do nothing once it has ended."""
        if self.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signum)

    def kill(self) -> None:
        """End the kernel at once."""
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        """Ask the kernel to end."""
        self.send_signal(signal.SIGTERM)


class ForkedKernelProvisioner(LocalProvisioner):  # type: ignore[misc]
    """Launches each kernel by asking the fork server for a fresh child, instead of starting a new interpreter."""

    fork_server = Unicode(config=True, help="Path of the fork server's Unix socket.")

    async def launch_kernel(self, cmd: list[str], **kwargs: Any) -> KernelConnectionInfo:
        """Ask the fork server for a kernel on our connection file, in the requested folder and environment."""
        request = {
            "connection_file": self.parent.connection_file,
            "cwd": str(kwargs.get("cwd") or Path.cwd()),
            "env": dict(kwargs.get("env") or os.environ),
        }
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(self.fork_server)
            connection.sendall((json.dumps(request) + "\n").encode())
            reply = json.loads(connection.makefile("r", encoding="utf-8").readline())
        if "pid" not in reply:
            raise RuntimeError(f"The fork server could not start a kernel: {reply.get('error')}")
        self.process = ForkedProcess(reply["pid"])
        if os.environ.get(KERNEL_PIDS_VARIABLE):  # so that whoever runs nbval can end kernels nbval could not
            with open(os.environ[KERNEL_PIDS_VARIABLE], "a", encoding="utf-8") as pids:
                pids.write(f"{reply['pid']}\n")
        self.pid = self.pgid = reply["pid"]
        self.cwd = request["cwd"]
        return self.connection_info

    async def kill(self, restart: bool = False) -> None:
        """Kill the kernel's process group and return once it is gone (the manager would otherwise sleep 100 ms)."""
        await super().kill(restart)
        for _ in range(200):
            if self.process is None or await self.poll() is not None:
                return
            await asyncio.sleep(0.005)

    async def wait(self) -> int | None:
        """Wait for the kernel to end, checking every 10 ms (the base class sleeps 100 ms between checks)."""
        while self.process is not None and await self.poll() is None:
            await asyncio.sleep(0.01)
        return await super().wait()


def start_fork_server(folder: Path, environment: dict[str, str]) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Start a fork server in a session of its own; return it and the variables that make nbval use it."""
    folder.mkdir(parents=True)
    socket_path = folder / "fork-server.sock"
    server = subprocess.Popen(
        [sys.executable, "-c", FORK_SERVER_CODE, str(socket_path)], cwd=folder, env=environment, text=True,
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    assert server.stdout is not None
    if server.stdout.readline().strip() != READY:
        server.wait()
        raise RuntimeError(f"The kernel fork server did not start (exit status {server.returncode}).")
    kernels = folder / "jupyter" / "kernels" / KERNEL_NAME
    kernels.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (forked by the course grader)",
        "language": "python",
        "metadata": {
            "kernel_provisioner": {"provisioner_name": PROVISIONER_NAME, "config": {"fork_server": str(socket_path)}}
        },
    }
    (kernels / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    return server, {"JUPYTER_PATH": str(folder / "jupyter")}


def forking_supported() -> bool:
    """True where kernels can be forked (POSIX); elsewhere the grader starts ordinary kernels."""
    return hasattr(os, "fork") and hasattr(socket, "AF_UNIX") and sys.platform != "win32"
