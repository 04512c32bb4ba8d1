"""A warm parent process that forks a fresh IPython kernel per request, each in a session of its own (POSIX only).

Starting a kernel from scratch costs about a second of imports (IPython, ipykernel, Flask-SQLAlchemy, the kit) while a
student's cells take milliseconds. This server imports all of that once, starts no thread, and for each request forks
a child that becomes an ordinary kernel on the given connection file: every submission still gets its own process.
"""

import contextlib
import json
import os
import signal
import socket
import sys
from typing import Any

# Modules every graded kernel imports; importing them here, before any fork, is what makes a forked kernel cheap.
# (The debugger alone, debugpy, is 0.6 s.) None of them starts a thread, so forking stays safe.
WARM_MODULES = (
    "ipykernel.kernelapp",
    "ipykernel.ipkernel",
    "ipykernel.zmqshell",
    "ipykernel.debugger",
    "IPython.core.completer",
    "IPython.core.completerlib",
    "IPython.core.debugger",
    "psutil",
    "tornado.platform.asyncio",
    "flask_sqlalchemy",
    "flask_sqlalchemy.cli",
    "sqlalchemy.dialects.sqlite",
    "course_lib",
    "course_lib.checks.registry",
)
READY = "ready"
PARENT_CHECK_SECONDS = 1.0
REQUEST_SECONDS = 10.0


def serve(socket_path: str) -> None:
    """Import the warm modules, listen on `socket_path`, and fork a kernel per request, until killed or orphaned."""
    for module in WARM_MODULES:
        __import__(module)
    from course_lib.bookclub.database import (
        build_seeded_template,  # here: the provisioner imports this module, and stays light
    )

    build_seeded_template()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # kernels are reaped by the system as they end
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen()
    listener.settimeout(PARENT_CHECK_SECONDS)
    grader = os.getppid()
    print(READY, flush=True)
    while os.getppid() == grader:  # once the grader is gone, end: the kernels follow (they watch this process)
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            continue
        connection.settimeout(REQUEST_SECONDS)  # a client that connects and says nothing must not stall the others
        with connection:
            try:
                request = _checked(json.loads(connection.makefile("r", encoding="utf-8").readline()))
                reply: dict[str, Any] = {"pid": _fork_kernel(request, listener, connection)}
            except Exception as error:  # a bad request must not stop the server
                reply = {"error": f"{type(error).__name__}: {error}"}
            with contextlib.suppress(OSError):  # the client may have given up
                connection.sendall((json.dumps(reply) + "\n").encode())


def _checked(request: Any) -> dict[str, Any]:
    """The request, if it names a connection file, an existing folder and an environment; else a ValueError."""
    if not (
        isinstance(request, dict)
        and isinstance(request.get("connection_file"), str)
        and isinstance(request.get("cwd"), str)
        and os.path.isdir(request["cwd"])
        and isinstance(request.get("env"), dict)
    ):
        raise ValueError("expected {connection_file, cwd (an existing folder), env}")
    return request


def _fork_kernel(request: dict[str, Any], *inherited: socket.socket) -> int:
    """Fork a child that becomes a kernel; return its pid once the kernel's sockets are bound (or the child died)."""
    ready_read, ready_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(ready_read)
        for handle in inherited:
            handle.close()
        _become_kernel(request, ready_write)
    os.close(ready_write)
    with os.fdopen(ready_read, "rb") as ready:
        ready.read(1)  # clients that connect now find the sockets bound: no reconnection delay, no lost first message
    return pid


def _become_kernel(request: dict[str, Any], ready_write: int) -> None:
    """In the forked child: reset what the server changed, then run an ordinary IPython kernel; never returns."""
    code = 1
    try:
        os.setsid()  # a process group of its own, which the provisioner signals (interrupt, kill)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        devnull = os.open(os.devnull, os.O_RDWR)
        for stream in (0, 1, 2):
            os.dup2(devnull, stream)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        from ipykernel.kernelapp import IPKernelApp

        watch_server = f"--IPKernelApp.parent_handle={os.getppid()}"  # the kernel ends when this server does
        sys.argv = [sys.executable, "-m", "ipykernel_launcher", "-f", request["connection_file"], watch_server]
        kernel = IPKernelApp.instance()
        kernel.initialize(sys.argv[3:])
        os.write(ready_write, b"1")
        os.close(ready_write)
        kernel.start()
        code = 0
    except SystemExit as exit_request:
        code = exit_request.code if isinstance(exit_request.code, int) else 1
    finally:
        os._exit(code)


if __name__ == "__main__":
    serve(sys.argv[1])
