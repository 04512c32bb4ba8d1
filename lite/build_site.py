"""Builds the course as a static JupyterLite site in build/lite/ that runs offline: nothing is fetched at run time.

Run by `make lite` with the tools of requirements-lite.txt. Everything comes from the package registries at build
time: Pyodide from npm, the browser's wheels from PyPI; course_lib's wheel is built from this checkout.
"""

import json
import os
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

ROOT = Path(__file__).resolve().parent.parent
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
}


def run(*command: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None) -> None:
    """Run a command, stopping the build if it fails."""
    print("+", " ".join(str(part) for part in command), flush=True)
    subprocess.run([str(part) for part in command], check=True, env=env, cwd=cwd)


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
    lock = write_lock(wheels, pyodide / "pyodide-lock.json", LEFT_OUT)
    check_preloaded_packages(lock)
    for folder in CONTENTS:
        shutil.copytree(ROOT / folder, STAGE / "files" / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    shutil.copy(SETTINGS, STAGE / SETTINGS.name)
    run(
        Path(sys.prefix, "bin", "jupyter"), "lite", "build", "--lite-dir", STAGE, "--output-dir", OUTPUT,
        "--contents", STAGE / "files", "--no-sourcemaps", "--no-unused-shared-packages",
        cwd=STAGE,  # where jupyter lite keeps its record of done tasks: a fresh one each build
    )  # fmt: skip
    megabytes, seconds = folder_size(OUTPUT) / 1e6, time.monotonic() - start
    print(f"Built {OUTPUT.relative_to(ROOT)}: {megabytes:.1f} MB, {len(wheels)} wheels, in {seconds:.0f} s")
    print(f"Serve it with: python -m http.server -d {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
