"""The repository works on Binder as it is: repo2docker's files, pinned requirements, a badge that opens a lesson, and
a postBuild that gives the kernels the kit's settings."""

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parent.parent


def test_runtime_txt_names_a_python_the_kit_supports():
    match = re.fullmatch(r"python-(3\.\d+)\n?", (ROOT / "runtime.txt").read_text(encoding="utf-8"))
    assert match, "runtime.txt must read like python-3.11 (repo2docker's format)"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["requires-python"]
    assert f"{match[1]}.0" in SpecifierSet(requires)


def test_every_requirement_is_pinned_and_the_kit_is_installed_from_the_repository():
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()]
    requirements = [line for line in lines if line and not line.startswith("#")]
    assert requirements[-1] == "-e ."  # a local reference: repo2docker copies the repository before installing
    unpinned = [line for line in requirements[:-1] if not re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.]+", line)]
    assert unpinned == []


def test_the_binder_badge_opens_a_lesson_that_exists():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    badge = re.search(r"\(https://mybinder\.org/v2/gh/[^)]*\?urlpath=lab/tree/([^)]+)\)", readme)
    assert badge, "the README has no Binder badge"
    assert (ROOT / badge[1]).is_file()


def run_post_build(env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run the repository's postBuild as repo2docker does, with this environment."""
    return subprocess.run([str(ROOT / "postBuild")], env=env, capture_output=True, text=True, timeout=60, check=True)


def test_post_build_installs_the_kernel_settings_in_the_kernel_environment(tmp_path):
    # repo2docker names the kernel's environment KERNEL_PYTHON_PREFIX
    run_post_build({"PATH": os.environ["PATH"], "KERNEL_PYTHON_PREFIX": str(tmp_path)})
    installed = tmp_path / "etc" / "ipython" / "ipython_kernel_config.py"
    assert installed.read_bytes() == (ROOT / "etc" / "ipython" / "ipython_kernel_config.py").read_bytes()


def test_post_build_otherwise_uses_the_prefix_of_the_python_on_the_path(tmp_path):
    shims = tmp_path / "bin"
    shims.mkdir()
    (shims / "python").write_text(f"#!/bin/sh\necho {tmp_path / 'env'}\n")  # a Python whose sys.prefix is env/
    (shims / "python").chmod(0o755)
    said = run_post_build({"PATH": f"{shims}{os.pathsep}{os.environ['PATH']}"}).stdout
    assert (tmp_path / "env" / "etc" / "ipython" / "ipython_kernel_config.py").is_file()
    assert said == f"Kernel settings installed in {tmp_path / 'env'}/etc/ipython/\n"


def test_a_kernel_reads_its_settings_where_post_build_puts_them():
    """IPython reads the config files of {sys.prefix}/etc/ipython: a kernel of that environment gets the settings."""
    from IPython.core.application import ENV_CONFIG_DIRS

    assert [str(Path(sys.prefix) / "etc" / "ipython")] == ENV_CONFIG_DIRS
    assert os.access(ROOT / "postBuild", os.X_OK)
