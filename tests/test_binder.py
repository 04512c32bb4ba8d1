"""The repository works on Binder as it is: repo2docker's files, pinned requirements, a badge that opens a lesson."""

import re
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
