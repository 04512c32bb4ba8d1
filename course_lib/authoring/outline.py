"""The course outline in Markdown, rendered from the manifest, and kept up to date inside the README."""

import re

from course_lib.authoring.manifest import Manifest

START, END = "<!-- outline:start -->", "<!-- outline:end -->"


def outline_markdown(manifest: Manifest) -> str:
    """A table of the lessons in order: notebook, title, objectives and checkpoints."""
    lines = ["| # | lesson and exercise | you learn to | checkpoints |", "|---|---|---|---|"]
    for lesson in manifest.lessons:
        objectives = "<br>".join(f"• {objective}" for objective in lesson.objectives)
        checkpoints = "<br>".join(f"`{info.id}`" for info in lesson.checkpoints)
        lines.append(
            f"| {lesson.notebook[:2]} | **{lesson.title}**<br>`{lesson.notebook}` | {objectives} | {checkpoints} |"
        )
    return "\n".join(lines)


def with_outline(readme: str, manifest: Manifest) -> str:
    """The README text with the part between the outline markers replaced by the current outline."""
    block = f"{START}\n{outline_markdown(manifest)}\n{END}"
    return re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: block, readme, flags=re.DOTALL)
