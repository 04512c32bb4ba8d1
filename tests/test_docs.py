"""The README and the guides in docs/: short enough to read, every relative link resolves, the lesson count is right."""

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from course_lib.authoring.manifest import load_manifest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
DOCS = sorted([README, *(ROOT / "docs").glob("*.md")])
README_LIMIT = 15_000  # characters: what it is, the two commands, the outline, where to read on
NUMBER_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
                "twelve", "thirteen", "fourteen", "fifteen")  # fmt: skip
FENCE = re.compile(r"^```.*?^```", re.DOTALL | re.MULTILINE)
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[(?:[^\]\n]|\][^(\n])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)
HTML_ANCHOR = re.compile(r"<a\s+(?:id|name)=\"([^\"]+)\"")
STATED_COUNT = re.compile(rf"\b({'|'.join(NUMBER_WORDS)}|\d+)\s+lessons\b", re.IGNORECASE)


def prose(markdown: str) -> str:
    """The text without fenced code blocks (links and headings in code are examples, not links)."""
    return FENCE.sub("", markdown)


def links(markdown: str) -> list[str]:
    """Every link target of a Markdown text, images included, outside code."""
    return LINK.findall(INLINE_CODE.sub("", prose(markdown)))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: its text in lower case, punctuation dropped, spaces made hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link shows its text
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    """The anchors a Markdown page has: one per heading (repeats numbered -1, -2 as GitHub does), and <a id=...>."""
    found: set[str] = set(HTML_ANCHOR.findall(markdown))
    seen: dict[str, int] = {}
    for heading in HEADING.findall(prose(markdown)):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(page: Path) -> list[str]:
    """The relative links of a page whose file, or whose #anchor in a Markdown file, does not exist."""
    broken = []
    for target in links(page.read_text(encoding="utf-8")):
        if re.match(r"[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # http:, https:, mailto:: not ours to check
            continue
        path_part, _, anchor = target.partition("#")
        file = (page.parent / unquote(path_part)).resolve() if path_part else page
        if not file.exists():
            broken.append(f"{target}: no such file")
        elif anchor and file.suffix == ".md" and anchor not in anchors(file.read_text(encoding="utf-8")):
            broken.append(f"{target}: no such heading in {file.name}")
    return broken


def stated_lesson_counts(markdown: str) -> list[int]:
    """Every number of lessons a text states ("Seven lessons", "7 lessons"), as numbers."""
    return [
        int(word) if word.isdigit() else NUMBER_WORDS.index(word.lower())
        for word in STATED_COUNT.findall(INLINE_CODE.sub("", prose(markdown)))
    ]


def test_the_readme_is_short_and_points_to_the_guides():
    readme = README.read_text(encoding="utf-8")
    assert len(readme) < README_LIMIT, f"README.md has {len(readme)} characters: move detail into docs/"
    for guide in ("docs/students.md", "docs/instructors.md", "docs/authors.md"):
        assert guide in links(readme)


@pytest.mark.parametrize("page", DOCS, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_resolves(page):
    assert broken_links(page) == []


def test_the_lesson_count_stated_is_the_manifests():
    lessons = len(load_manifest().lessons)
    stated = {page.name: stated_lesson_counts(page.read_text(encoding="utf-8")) for page in DOCS}
    assert stated["README.md"], "the README states how many lessons the course has"
    assert {name: counts for name, counts in stated.items() if set(counts) - {lessons}} == {}, f"{lessons} lessons"


def test_broken_files_anchors_and_counts_are_found(tmp_path):
    (tmp_path / "other.md").write_text("# A page\n\n## Grading a class: the `grade` command\n\n## A page\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Here\n\nSee [it](other.md#grading-a-class-the-grade-command), [again](other.md#a-page-1), [here](#here),\n"
        "[gone](missing.md), [wrong](other.md#grading), [self](#nowhere), [web](https://example.org/x.md),\n"
        "![logo](img/logo.png) and `[code](not-a-link.md)`.\n\n```md\n[example](also-not-a-link.md)\n```\n\n"
        "Six lessons, or 7 lessons, or the lessons.\n"
    )
    assert broken_links(page) == [
        "missing.md: no such file",
        "other.md#grading: no such heading in other.md",
        "#nowhere: no such heading in page.md",
        "img/logo.png: no such file",
    ]
    assert stated_lesson_counts(page.read_text()) == [6, 7]
