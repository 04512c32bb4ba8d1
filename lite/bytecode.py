"""Adds compiled bytecode to the site's wheels, for what the browser imports first; run inside Pyodide by build_site.py.

Pyodide installs a wheel by unpacking it, so without bytecode the browser compiles every module from source at each
visit: most of the time the kernel takes to start and the first `start_lesson()` takes to run. This runs in the
site's own Pyodide (under Node, through lite/run_in_pyodide.mjs), so the bytecode is exactly its Python's. It
unpacks every wheel, imports what the kernel imports as it starts and what a lesson's first steps import, then adds
to each wheel the bytecode of those of its modules (unchecked-hash .pyc files, PEP 552, beside the sources, which
tracebacks and `??` still show).

Usage (in Pyodide): bytecode.py WHEELS_FOLDER
"""

import contextlib
import importlib
import importlib.util
import io
import pkgutil
import py_compile
import sys
import tempfile
import zipfile
from pathlib import Path

from wheel_files import rewrite_wheel

SITE = Path(tempfile.mkdtemp(prefix="site-"))
KERNEL_MODULES = ("pyodide_kernel", "piplite.piplite", "micropip", "jedi")  # the kernel's start, and completions
LESSON_PACKAGES = ("course_lib.bookclub", "course_lib.classroom", "course_lib.checks")  # what runs in the browser


def unpack(wheels: list[Path]) -> dict[str, Path]:
    """Unpack the wheels into SITE; each file's path inside its wheel -> the wheel."""
    owners = {}
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(SITE)
            owners |= dict.fromkeys(archive.namelist(), wheel)
    return owners


def warm_up() -> None:
    """Import what the kernel imports as it starts, and run what a lesson's first steps run."""
    with contextlib.ExitStack() as restore:
        for stream in ("stdout", "stderr"):  # pyodide_kernel replaces them with the page's streams
            restore.callback(setattr, sys, stream, getattr(sys, stream))
        for name in KERNEL_MODULES:
            importlib.import_module(name)
    for package in LESSON_PACKAGES:
        for module in pkgutil.walk_packages(importlib.import_module(package).__path__, f"{package}."):
            importlib.import_module(module.name)
    from IPython import get_ipython

    get_ipython().send_comm = lambda *_args, **_kwargs: None  # the page's end of the widgets' messages
    from course_lib import create_club_app, rollback_playground, show_session, start_lesson

    start_lesson(show_sql=False)
    show_session("warm-up")
    rollback_playground()
    client = create_club_app().test_client()
    client.get("/readers")
    client.post("/sign-up", data={"name": "Ann", "surname": "Again", "email": "ann.adams@example.com"})


def imported_sources() -> set[str]:
    """The paths, inside their wheels, of the source files of every module imported from SITE."""
    files = {getattr(module, "__file__", None) for module in list(sys.modules.values())}
    return {Path(file).relative_to(SITE).as_posix() for file in files if file and Path(file).is_relative_to(SITE)}


def bytecode(name: str) -> bytes:
    """The unchecked-hash bytecode of a source file of SITE."""
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch, "module.pyc")
        py_compile.compile(
            str(SITE / name), cfile=str(target), dfile=name, doraise=True,
            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
        )  # fmt: skip
        return target.read_bytes()


def main() -> None:
    """Add the bytecode to the wheels of the folder given, and say how many modules it compiled."""
    wheels = sorted(Path(sys.argv[1]).glob("*.whl"))
    owners = unpack(wheels)
    sys.path.insert(0, str(SITE))
    with contextlib.redirect_stdout(io.StringIO()):  # what the warm-up prints is not the build's
        warm_up()
    sources = sorted(name for name in imported_sources() if name.endswith(".py") and name in owners)
    for wheel in wheels:
        mine = [name for name in sources if owners[name] == wheel]
        if mine:
            rewrite_wheel(wheel, add={importlib.util.cache_from_source(name): bytecode(name) for name in mine})
    print(f"Compiled {len(sources)} modules of {len({owners[name] for name in sources})} wheels for the browser")


if __name__ == "__main__":
    main()
