"""The command line's checks: each option and setting read is checked before any work, and a bad one gets one line.

Every problem is one sentence on stderr naming the option (or variable), what it accepts and what was given, and
the command exits with status 2; argparse's own errors are one line too.
"""

import argparse
import contextlib
import errno
import math
import os
import socket
import tempfile
from pathlib import Path

from course_lib.authoring.layout import CourseLayout
from course_lib.authoring.manifest import load_manifest

MAX_CELL_SECONDS = 24 * 60 * 60  # a cell's time limit above a day is a typing error, and overflows the timers
PORTS = range(1, 65536)


class OneLineParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line: what is wrong, and where the help is."""

    def error(self, message: str) -> None:  # type: ignore[override]
        """Print the problem on one line and exit with status 2."""
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


class HelpFormatter(argparse.HelpFormatter):
    """Help with each option's default where it has one worth saying: not a flag's, not a required option's, once."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        text = action.help or ""
        default = action.default
        if action.required or default in (None, False, argparse.SUPPRESS, [], ()) or "(default" in text:
            return text
        shown = " ".join(map(str, default)) if isinstance(default, list | tuple) else str(default)
        return f"{text} (default: {shown.replace('%', '%%')})"


class LaidOutHelpFormatter(HelpFormatter, argparse.RawDescriptionHelpFormatter):
    """The same, with the description and the notes after the options laid out as written."""


def positive_whole_number(text: str) -> int:
    """A count such as --jobs or --shards: a whole number of at least 1."""
    with contextlib.suppress(ValueError):
        if (number := int(text)) >= 1:
            return number
    raise argparse.ArgumentTypeError(f"a whole number of at least 1 is needed, not {text!r}")


def cell_seconds(text: str) -> float:
    """--timeout: a number of seconds above 0 and at most a day."""
    with contextlib.suppress(ValueError):
        if 0 < (seconds := float(text)) <= MAX_CELL_SECONDS and math.isfinite(seconds):
            return seconds
    raise argparse.ArgumentTypeError(
        f"a number of seconds above 0 and at most {MAX_CELL_SECONDS} (a day) is needed, not {text!r}"
    )


def port_number(text: str) -> int:
    """--port (or $PORT): a TCP port, 1 to 65535."""
    with contextlib.suppress(ValueError):
        if (port := int(text)) in PORTS:
            return port
    raise argparse.ArgumentTypeError(f"a port number from {PORTS[0]} to {PORTS[-1]} is needed, not {text!r}")


def course_exercises(text: str) -> list[str]:
    """--exercises: exercises of the course, separated by commas, in course order.

    Each is named as the gradebook names it (add_rollback), by its notebook (03_add_and_rollback) or its number (03).
    """
    lessons = load_manifest().lessons
    chosen = []
    for word in (part.strip() for part in text.split(",")):
        match = [
            lesson.exercise
            for number, lesson in enumerate(lessons, start=1)
            if word in (lesson.exercise, Path(lesson.notebook).stem, lesson.notebook)
            or (word.isdigit() and int(word) == number)
        ]
        if not match:
            names = ", ".join(f"{lesson.exercise} ({number:02})" for number, lesson in enumerate(lessons, start=1))
            raise argparse.ArgumentTypeError(f"the course has no exercise {word!r}: choose among {names}")
        chosen += match
    return [lesson.exercise for lesson in lessons if lesson.exercise in chosen]


def environment_port(environ: dict[str, str] | os._Environ[str], default: int) -> int:
    """The port $PORT asks for, or `default` when it is unset or empty; a bad value raises ArgumentTypeError."""
    text = environ.get("PORT", "").strip()
    if not text:
        return default
    try:
        return port_number(text)
    except argparse.ArgumentTypeError as error:
        raise argparse.ArgumentTypeError(f"$PORT: {error}") from None


def course_root_problem(root: Path) -> str | None:
    """Why --root is not a course checkout (None when it is one): it must be a folder with the course manifest."""
    if not root.is_dir():
        return f"--root {root}: {'not a folder' if root.exists() else 'no such folder'}"
    manifest = CourseLayout(root).manifest
    if not manifest.is_file():
        return f"--root {root} is not a course checkout: it has no {manifest.relative_to(root)}"
    return None


def output_folder_problem(out: Path) -> str | None:
    """Why --out cannot hold the gradebook (None when it can): it must be a folder, or a path that can become one."""
    if out.exists() and not out.is_dir():
        return f"--out {out} is a file: name a folder, or a new path for one"
    if out.is_symlink() and not out.exists():
        return f"--out {out} is a link to nothing: name a folder, or a new path for one"
    existing = next(parent for parent in [out, *out.absolute().parents] if parent.exists())
    if not existing.is_dir():
        return f"--out {out} is below {existing}, which is a file: name a folder, or a new path for one"
    try:  # whether a folder can be made there, the only sure test (root's access() says yes to /proc)
        os.rmdir(tempfile.mkdtemp(prefix=".course-grader-", dir=existing))
    except OSError as error:
        return f"--out {out}: no folder can be made in {existing} ({error.strerror}): choose another"
    return None


def listening_problem(host: str, port: int) -> str | None:
    """Why the app could not listen on host:port (None when it can, now): an unknown address, or a port in use."""
    try:
        family, kind, protocol, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as error:
        return f"--host {host!r} is not an address this machine knows ({error})"
    with socket.socket(family, kind, protocol) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server will
        try:
            probe.bind(address)
        except OSError as error:
            reasons: dict[int, str] = {
                errno.EADDRINUSE: f"port {port} is in use by another program: stop it, or choose another --port",
                errno.EADDRNOTAVAIL: f"--host {host} is not an address of this machine",
                errno.EACCES: f"port {port} needs administrator rights here: choose one above 1023",
            }
            return reasons.get(error.errno or 0, f"cannot listen on {host}:{port} ({error.strerror})")
    return None
