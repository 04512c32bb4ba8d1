"""The site's first page: the course outline from the manifest, with a link to open each lesson and exercise."""

from html import escape

from course_lib.authoring.manifest import LessonInfo, Manifest

STYLE = """
body { font: 1rem/1.5 system-ui, sans-serif; color: #1b1b1b; background: #fff; margin: 0; }
main { max-width: 58rem; margin: 0 auto; padding: 1.5rem; }
a { color: #0b4f9c; }
a:focus-visible { outline: 3px solid #0b4f9c; outline-offset: 2px; }
.start { display: inline-block; padding: .6rem 1rem; background: #0b4f9c; color: #fff; border-radius: .3rem;
         font-weight: 600; text-decoration: none; }
.start:focus-visible { outline-color: #1b1b1b; }
ol.lessons { padding: 0; list-style: none; }
ol.lessons > li { border-top: 1px solid #767676; padding: .75rem 0; }
ol.lessons h3 { margin: 0 0 .25rem; font-size: 1.1rem; }
ol.lessons ul { margin: .25rem 0 .5rem; }
.note { border-left: 4px solid #767676; padding-left: .75rem; }
"""


def open_url(path: str) -> str:
    """The address that opens a file of the site in its JupyterLab."""
    return f"lab/index.html?path={escape(path)}"


def lesson_item(lesson: LessonInfo) -> str:
    """One lesson of the outline: its title, what it teaches, and links to the lesson and to its exercise."""
    number = escape(lesson.notebook[:2])
    learn = "".join(f"<li>{escape(objective)}</li>" for objective in lesson.objectives)
    return (
        f"<li><h3>{number} · {escape(lesson.title)}</h3><p>You learn to:</p><ul>{learn}</ul>"
        f'<p><a href="{open_url(f"notebooks/{lesson.notebook}")}">Lesson {number}</a> · '
        f'<a href="{open_url(f"exercises/{lesson.notebook}")}">Exercise {number}</a></p></li>'
    )


def welcome_page(manifest: Manifest, site_config: str) -> str:
    """The whole page: what the site is, a link to the first lesson, the outline, and what the browser cannot do.

    `site_config` is the `<script id="jupyter-config-data">` element of JupyterLite's own first page, which every
    JupyterLite page reads from the site's root: kept as it is, without the script that redirects to JupyterLab.
    """
    first = manifest.lessons[0]
    items = "\n".join(lesson_item(lesson) for lesson in manifest.lessons)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(manifest.title)}</title>
<style>{STYLE}</style>
{site_config}
</head>
<body>
<main>
<h1>{escape(manifest.title)}</h1>
<p>An interactive course in Jupyter notebooks, running in this browser: Python runs in the page, nothing is
installed and nothing leaves your computer. Each lesson has an exercise whose checks answer at once.</p>
<p><a class="start" href="{open_url(f"notebooks/{first.notebook}")}">Start with lesson 01: {escape(first.title)}</a></p>
<h2>The course</h2>
<ol class="lessons">
{items}
</ol>
<h2>Good to know</h2>
<p class="note">Your changes stay in this browser's storage. Everything works here except PostgreSQL: the cells
that compare with it say so in a note, and the course installed on your computer (<code>make lab</code>) runs them.
<a href="lab/index.html">Open JupyterLab with every file</a>.</p>
</main>
</body>
</html>
"""
