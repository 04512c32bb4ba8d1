"""Builds the course as a static JupyterLite site in build/lite/ that runs offline: nothing is fetched at run time.

Run by `make lite` with the tools of requirements-lite.txt, and Node (which npm brings). Everything comes from the
package registries at build time: Pyodide from npm, the browser's wheels from PyPI; course_lib's wheel is built from
this checkout. The site leaves out what no browser loads (LEFT_OUT_FILES, UNUSED_SITE_FILES, JupyterLab's other
apps), its wheels carry the bytecode of what the browser imports first (lite/bytecode.py, compiled by the site's own
Pyodide), and its first page is the course's outline (lite/welcome.py) instead of a redirect to JupyterLab.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

from jupyterlite_pyodide_kernel.constants import PYODIDE_VERSION
from packaging.utils import canonicalize_name, parse_wheel_filename
from pyodide_lock import write_lock
from wheel_files import rewrite_wheel

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the manifest, for the welcome page (course_lib.authoring.manifest needs no packages)

from welcome import welcome_page  # noqa: E402  (after the checkout is on the path)

from course_lib.authoring.manifest import load_manifest  # noqa: E402

LITE = ROOT / "lite"
OUTPUT = ROOT / "build" / "lite"
STAGE = ROOT / "build" / "lite-stage"  # the JupyterLite project folder the build reads, made anew each time
CACHE = ROOT / "build" / "lite-cache"  # Pyodide's npm tarball, kept between builds
SETTINGS = ROOT / "lite" / "jupyter-lite.json"
BROWSER_REQUIREMENTS = ROOT / "lite" / "browser-requirements.txt"
CONTENTS = ("notebooks", "exercises")
# Pyodide's core, all the kernel loads from the npm package (its lock file is replaced by the site's own).
PYODIDE_FILES = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json")
BROWSER_PYTHON = "3.14"  # Pyodide 314's Python
# No pure-Python wheel on PyPI: built from the sdist, whose setup.py falls back to pure Python without a C compiler.
FROM_SDIST = {"markupsafe"}
# The Pyodide kernel's wheels, shipped in jupyterlite-pyodide-kernel (widgetsnbextension 4 stand-in for ipywidgets 8).
KERNEL_WHEELS = ("piplite-*.whl", "pyodide_kernel-*.whl", "ipykernel-*.whl", "widgetsnbextension-4.*.whl")
KERNEL_EXTENSION = Path(sys.prefix, "share", "jupyter", "labextensions", "@jupyterlite", "pyodide-kernel-extension")
# Dependencies declared by the served wheels that the browser does without.
LEFT_OUT = {
    "jupyterlab-widgets": "ipywidgets' JupyterLab extension: the site serves it to the page, not to the kernel",
    "nbformat": "course_lib's authoring and grading commands read notebooks; lessons do not",
    "nbclient": "course_lib's grader runs notebooks; lessons do not",
    "psutil": "course_lib's grader and its PostgreSQL watcher end processes; the browser has none",
    "ipykernel": "the browser's kernel is Pyodide's own",
    "prompt-toolkit": "IPython's terminal: the browser's kernel has none (IPython imports it only in IPython.terminal)",
    "wcwidth": "prompt_toolkit's, which the browser does without",
}
# Files of the served wheels that the browser does without: a path prefix inside the wheel, and why.
LEFT_OUT_FILES = {
    "jedi": {
        "jedi/third_party/typeshed/stubs/": "type stubs of third-party packages the browser does not have",
        "jedi/third_party/django-stubs/": "Django's type stubs: the browser has no Django",
    },
}
# Files of JupyterLite's own build that no browser it supports loads, and why (each glob below the site).
UNUSED_SITE_FILES = {
    "build/fa-*.eot": "Font Awesome for Internet Explorer: browsers take the .woff2 beside it",
    "build/fa-*.svg": "Font Awesome as SVG fonts, for old Safari: browsers take the .woff2 beside it",
    "build/fa-*.ttf": "Font Awesome as TrueType: browsers take the .woff2 beside it",
    "build/fa-*.woff": "Font Awesome as WOFF 1: browsers take the .woff2 beside it",
}
# jupyter lite build's optional helpers, asked not to be looked for (it warns when they are missing): libarchive-c,
# a faster unpacker than Python's tarfile (--no-libarchive), and jupyterlab_server, for translations (this variable):
# the course is in English and ships no language pack.
QUIET_BUILD = {"JUPYTERLITE_NO_JUPYTERLAB_SERVER": "1"}
BUILD_LOG = ROOT / "build" / "lite-build.log"


def run(*command: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
    """Run a command, stopping the build if it fails or is not installed."""
    print("+", " ".join(str(part) for part in command), flush=True)
    try:
        subprocess.run([str(part) for part in command], check=True, env=env, cwd=cwd)
    except FileNotFoundError:
        raise SystemExit(f"{command[0]} is not installed: make lite needs npm and Node (apt-get install npm)") from None


def pyodide_core(destination: Path) -> None:
    """Copy Pyodide's core files from its npm package (packed once into the cache) into `destination`."""
    tarball = CACHE / f"pyodide-{PYODIDE_VERSION}.tgz"
    if not tarball.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        run("npm", "pack", "--silent", f"pyodide@{PYODIDE_VERSION}", "--pack-destination", CACHE)
    destination.mkdir(parents=True, exist_ok=True)
    with tarfile.open(tarball) as archive:
        for name in PYODIDE_FILES:
            source = archive.extractfile(f"package/{name}")
            assert source is not None, f"{name} is not a file in {tarball.name}"
            (destination / name).write_bytes(source.read())


def pinned_requirements() -> list[str]:
    """The requirement lines of lite/browser-requirements.txt."""
    lines = BROWSER_REQUIREMENTS.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def download_wheels(requirements: list[str], destination: Path) -> None:
    """Download the pure-Python wheels of the pinned requirements from PyPI, and build the ones that have none."""
    from_sdist = [line for line in requirements if canonicalize_name(line.split("==")[0]) in FROM_SDIST]
    wheels = [line for line in requirements if line not in from_sdist]
    run(
        sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "--platform", "any",
        "--implementation", "py", "--abi", "none", "--python-version", BROWSER_PYTHON, "--dest", destination, *wheels,
    )  # fmt: skip
    for line in from_sdist:
        name = line.split("==")[0]
        # CC=false: the optional C extension fails to compile and setup.py builds the pure-Python wheel instead.
        run(
            sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-binary", name, "--wheel-dir",
            destination, line, env={**os.environ, "CC": "false"},
        )  # fmt: skip
    for wheel in destination.glob("*.whl"):
        if not wheel.name.endswith("-none-any.whl"):
            raise SystemExit(f"{wheel.name} is not a pure-Python wheel: Pyodide cannot load it")


def course_wheel(destination: Path) -> Path:
    """Build course_lib's wheel from this checkout (a clean copy, so no stale build folder leaks into it)."""
    with tempfile.TemporaryDirectory() as scratch:
        source = Path(scratch)
        shutil.copytree(ROOT / "course_lib", source / "course_lib", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(ROOT / "pyproject.toml", source)
        run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir", destination, source)
    return next(destination.glob("course_lib-*.whl"))


def kernel_wheels(destination: Path) -> None:
    """Copy the Pyodide kernel's own wheels (from its installed JupyterLab extension) into `destination`."""
    for pattern in KERNEL_WHEELS:
        for wheel in (KERNEL_EXTENSION / "static" / "pypi").glob(pattern):
            shutil.copy(wheel, destination)


def leave_out_wheel_files(wheels: list[Path]) -> int:
    """Rewrite the wheels without the files LEFT_OUT_FILES names; how many files were left out."""
    left_out = 0
    for wheel in wheels:
        prefixes = tuple(LEFT_OUT_FILES.get(canonicalize_name(parse_wheel_filename(wheel.name)[0]), ()))
        if prefixes:
            left_out += rewrite_wheel(wheel, drop=lambda name, prefixes=prefixes: name.startswith(prefixes), add={})
    return left_out


def add_bytecode(pyodide: Path) -> None:
    """Add the bytecode of what the browser imports first to the wheels in `pyodide`, compiled by its own Python."""
    run("node", LITE / "run_in_pyodide.mjs", pyodide, LITE / "bytecode.py", pyodide)


def jupyter_lite_build() -> None:
    """Run `jupyter lite build` on the staged project, its chatter kept in build/lite-build.log (shown if it fails)."""
    command = [
        Path(sys.prefix, "bin", "jupyter"), "lite", "build", "--lite-dir", STAGE, "--output-dir", OUTPUT,
        "--contents", STAGE / "files", "--no-sourcemaps", "--no-libarchive",
        # JupyterLab only: not Notebook 7's tree and notebook views, nor the REPL, and none of their shared code
        "--apps", "lab", "--no-unused-shared-packages",
    ]  # fmt: skip
    print("+", " ".join(str(part) for part in command), f"> {BUILD_LOG.relative_to(ROOT)}", flush=True)
    with BUILD_LOG.open("w", encoding="utf-8") as log:
        # cwd: where jupyter lite keeps its record of done tasks, a fresh one each build
        done = subprocess.run(command, cwd=STAGE, env={**os.environ, **QUIET_BUILD}, stdout=log, stderr=log)
    said = BUILD_LOG.read_text(encoding="utf-8")
    for line in said.splitlines():
        if "warning" in line.lower():
            print(line)
    if done.returncode:
        raise SystemExit(f"{said[-3000:]}\njupyter lite build failed (exit {done.returncode}): see {BUILD_LOG}")


def remove_unused_site_files() -> int:
    """Delete what UNUSED_SITE_FILES names from the built site; how many files."""
    unused = [path for pattern in UNUSED_SITE_FILES for path in OUTPUT.glob(pattern)]
    for path in unused:
        path.unlink()
    return len(unused)


def write_welcome_page() -> None:
    """Replace the site's first page, a redirect to JupyterLab, by the course's welcome page (keeping its settings)."""
    first_page = OUTPUT / "index.html"
    site_config = re.search(r'<script id="jupyter-config-data".*?</script>', first_page.read_text("utf-8"), re.DOTALL)
    if site_config is None:
        raise SystemExit(f"{first_page} has no jupyter-config-data: JupyterLite changed its first page")
    first_page.write_text(welcome_page(load_manifest(), site_config.group(0)), encoding="utf-8")


def check_preloaded_packages(lock: dict[str, object]) -> None:
    """Fail unless every package the kernel preloads (lite/jupyter-lite.json) is in the site's lock file."""
    settings = json.loads(SETTINGS.read_text(encoding="utf-8"))["jupyter-config-data"]["litePluginSettings"]
    preloaded = settings["@jupyterlite/pyodide-kernel-extension:kernel"]["loadPyodideOptions"]["packages"]
    absent = [name for name in preloaded if canonicalize_name(name) not in lock["packages"]]  # type: ignore[operator]
    if absent:
        raise SystemExit(f"lite/jupyter-lite.json preloads packages the site does not serve: {absent}")


def folder_size(folder: Path) -> int:
    """The total size in bytes of the files under a folder."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def main() -> None:
    """Stage the JupyterLite project, build the site into build/lite/ and report its size."""
    start = time.monotonic()
    for folder in (STAGE, OUTPUT):
        shutil.rmtree(folder, ignore_errors=True)
    pyodide = STAGE / "static" / "pyodide"  # jupyterlite-pyodide-kernel serves a Pyodide found here, not its CDN's
    pyodide_core(pyodide)
    download_wheels(pinned_requirements(), pyodide)
    course_wheel(pyodide)
    kernel_wheels(pyodide)
    wheels = sorted(pyodide.glob("*.whl"))
    names = [parse_wheel_filename(wheel.name)[0] for wheel in wheels]
    if len(set(names)) != len(names):
        raise SystemExit(f"two wheels of one package: {sorted(wheels)}")
    left_out = leave_out_wheel_files(wheels)
    add_bytecode(pyodide)
    lock = write_lock(wheels, pyodide / "pyodide-lock.json", LEFT_OUT)
    check_preloaded_packages(lock)
    for folder in CONTENTS:
        shutil.copytree(ROOT / folder, STAGE / "files" / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copy(SETTINGS, STAGE / SETTINGS.name)
    jupyter_lite_build()
    unused = remove_unused_site_files()
    write_welcome_page()
    megabytes, seconds = folder_size(OUTPUT) / 1e6, time.monotonic() - start
    print(
        f"Built {OUTPUT.relative_to(ROOT)}: {megabytes:.1f} MB, {len(wheels)} wheels ({left_out} files they do not "
        f"need left out), {unused} unused files of JupyterLite removed, in {seconds:.0f} s"
    )
    print(f"Serve it with: python -m http.server -d {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
