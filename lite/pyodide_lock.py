"""Pyodide's lock file for the site: one entry per wheel it serves, with its dependencies and sha256."""

import hashlib
import json
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path
from typing import Any

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name


def browser_environment(python_version: str) -> dict[str, str]:
    """The environment markers of Pyodide's Python (`python_version` as in the lock's info, e.g. 3.14.2)."""
    environment = default_environment()
    environment.update(
        implementation_name="cpython",
        implementation_version=python_version,
        os_name="posix",
        platform_machine="wasm32",
        platform_python_implementation="CPython",
        platform_system="Emscripten",
        python_full_version=python_version,
        python_version=".".join(python_version.split(".")[:2]),
        sys_platform="emscripten",
    )
    return environment


def wheel_metadata(wheel: Path) -> Message:
    """The METADATA of a wheel."""
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA"))
        return Parser().parsestr(archive.read(name).decode("utf-8"))


def top_level_modules(wheel: Path) -> list[str]:
    """The importable top-level names a wheel installs."""
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    modules = {
        first.removesuffix(".py")
        for name in names
        if (first := name.split("/")[0]) and not first.endswith((".dist-info", ".data"))
        if "/" in name or first.endswith(".py")
    }
    return sorted(module for module in modules if module.isidentifier())


def dependencies(metadata: Message, environment: dict[str, str]) -> list[str]:
    """The canonical names of the distributions a wheel needs in the given environment (no extras)."""
    needed = set()
    for line in metadata.get_all("Requires-Dist") or []:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate({**environment, "extra": ""}):
            needed.add(canonicalize_name(requirement.name))
    return sorted(needed)


def lock_entry(wheel: Path, depends: list[str]) -> dict[str, Any]:
    """A pyodide-lock.json package entry for a wheel served beside the lock file."""
    metadata = wheel_metadata(wheel)
    return {
        "name": metadata["Name"],
        "version": metadata["Version"],
        "file_name": wheel.name,
        "install_dir": "site",
        "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
        "package_type": "package",
        "imports": top_level_modules(wheel),
        "depends": depends,
        "unvendored_tests": False,
    }


def write_lock(wheels: list[Path], pyodide_lock: Path, left_out: dict[str, str]) -> dict[str, Any]:
    """Replace Pyodide's lock file by one listing exactly `wheels` (served beside it); return the new lock.

    `left_out` names dependencies the browser does without, each with the reason; any other dependency missing from
    `wheels` is an error.
    """
    lock = json.loads(pyodide_lock.read_text(encoding="utf-8"))
    environment = browser_environment(lock["info"]["python"])
    metadata = {canonicalize_name(wheel_metadata(wheel)["Name"]): wheel for wheel in wheels}
    packages, missing = {}, []
    for name, wheel in sorted(metadata.items()):
        needed = dependencies(wheel_metadata(wheel), environment)
        missing += [f"{wheel.name} needs {dep}" for dep in needed if dep not in metadata and dep not in left_out]
        packages[name] = lock_entry(wheel, [dep for dep in needed if dep in metadata])
    if missing:
        pin = "Wheels missing for the browser (pin them in lite/browser-requirements.txt):"
        raise SystemExit("\n".join([pin, *missing]))
    lock["packages"] = packages
    pyodide_lock.write_text(json.dumps(lock, indent=1, sort_keys=True), encoding="utf-8")
    return lock
