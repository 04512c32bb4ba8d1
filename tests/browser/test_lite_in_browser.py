"""The course as a static JupyterLite site in Debian's Chromium, offline: it opens on the course, Run All completes in
every lesson, the widgets work, and exercise 03 with the solution's answers passes every check.

The site (build/lite/, made by `make lite`) is served on loopback; every request for another host is blocked and
counted, and none may happen. Skips, with the reason, when the site is not built; fails instead in CI.
"""

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from accessibility import serious_violations
from jupyterlab_driver import (
    CHROMIUM_FLAGS,
    ROOT,
    assert_the_playground_renders,
    commit_a_duplicate_email,
    roll_back_and_read_the_inspector,
)
from lite_driver import (
    CLOSE_NOTEBOOK,
    CODE_CELLS,
    KERNEL_READY,
    NOTEBOOK_PATH,
    OPEN_FILE,
    RUN_ALL,
    SET_SOURCES,
    SITE,
    LoopbackGuard,
    artifacts_folder,
    offline_context,
    output_text,
    serve_site,
)
from test_lesson_in_browser import require_chromium

from course_lib.authoring.manifest import load_manifest
from course_lib.bookclub.postgres import IN_THE_BROWSER

pytestmark = pytest.mark.browser
MANIFEST = load_manifest()
LESSONS = [f"notebooks/{lesson.notebook}" for lesson in MANIFEST.lessons]
SHARED_LESSONS = {"notebooks/08_two_requests.ipynb"}  # start_lesson(shared=True): two sessions share an SQLite file
PLAYGROUND_LESSON = "notebooks/03_add_and_rollback.ipynb"  # run last, and kept open for the playground's tests
EXERCISE = "exercises/03_add_and_rollback.ipynb"
SOLUTION = ROOT / "solutions" / "03_add_and_rollback.ipynb"
REQUIRE_VARIABLE = "COURSE_REQUIRE_LITE"
# Step 9 of lesson 03 compares SQLite with the kit's own PostgreSQL server, which only a local install can start:
# in the browser its cells say so (IN_THE_BROWSER), and skip the PostgreSQL half.
NO_SERVER_LINE = "No PostgreSQL server here: the stored output shows what this cell prints with one."
NOTE = "Skipped in the browser: "
RUN_ALL_SECONDS = 300  # a lesson's Run All in Pyodide, on a loaded machine


def require_site(site: Path) -> Path:
    """The built site, or a skip saying how to build it (a failure where $COURSE_REQUIRE_LITE is set, as in CI)."""
    if not (site / "index.html").is_file():
        reason = f"{site} is not built: run `make lite` (CI does, and sets {REQUIRE_VARIABLE}=1)"
        if os.environ.get(REQUIRE_VARIABLE):
            pytest.fail(reason)
        pytest.skip(reason)
    return site


@dataclass
class CourseRun:
    """What one visit of the site saw: its first page, each notebook after Run All, and the page, still open."""

    page: Any
    welcome: dict[str, Any] = field(default_factory=dict)
    cells: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    verdicts_shown: int = 0


@pytest.fixture(scope="module")
def guard() -> LoopbackGuard:
    return LoopbackGuard()


@pytest.fixture(scope="module")
def site_url() -> Iterator[str]:
    with serve_site(require_site(SITE)) as url:
        yield url


@pytest.fixture(scope="module")
def browser(site_url) -> Iterator[object]:
    executable = require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


def solution_answers() -> dict[str, str]:
    """Exercise 03's answers, as the solution notebook has them, by checkpoint."""
    solution = json.loads(SOLUTION.read_text(encoding="utf-8"))
    return {
        cell["metadata"]["course"]["checkpoint"]: "".join(cell["source"])
        for cell in solution["cells"]
        if "answer" in cell["metadata"].get("tags", [])
    }


def read_the_welcome_page(page) -> dict[str, Any]:
    """What the site's first page shows, and axe-core's serious violations on it."""
    start = page.get_by_role("link", name="Start with lesson 01")
    return {
        "title": page.locator("h1").inner_text(),
        "lessons": page.locator("ol.lessons h3").all_inner_texts(),
        "links": page.eval_on_selector_all("ol.lessons a", "links => links.map(link => link.getAttribute('href'))"),
        "start": start.get_attribute("href"),
        "violations": serious_violations(page),
    }


def run_all(page, path: str) -> list[dict[str, Any]]:
    """Run > Run All Cells in the open notebook, wait until its kernel is idle again, and read every code cell."""
    assert page.evaluate(NOTEBOOK_PATH) == path
    page.evaluate(RUN_ALL)
    page.wait_for_function(KERNEL_READY, timeout=RUN_ALL_SECONDS * 1000)
    return page.evaluate(CODE_CELLS)


def open_in_the_lab(page, path: str) -> None:
    """Open a notebook of the site in the page's JupyterLab, and wait until its own, fresh kernel is ready."""
    page.evaluate(OPEN_FILE, path)
    page.wait_for_function(f"() => ({NOTEBOOK_PATH})() === {json.dumps(path)}")
    page.wait_for_function(KERNEL_READY)


@pytest.fixture(scope="module")
def course(browser, site_url, guard) -> Iterator[CourseRun]:
    """One visit: the first page, lesson 01 opened from it, every other lesson and exercise 03 (with the solution's
    answers written in) each in a fresh kernel and run with Run All, lesson 03 last and kept open."""
    context = offline_context(browser, site_url, guard)
    page = context.new_page()
    page.set_default_timeout(90_000)
    try:
        page.goto(f"{site_url}/")
        run = CourseRun(page, welcome=read_the_welcome_page(page))
        page.get_by_role("link", name="Start with lesson 01").click()
        page.wait_for_function(KERNEL_READY)
        order = [lesson for lesson in LESSONS if lesson != PLAYGROUND_LESSON] + [EXERCISE, PLAYGROUND_LESSON]
        for number, path in enumerate(order):
            if number:
                open_in_the_lab(page, path)
            if path == EXERCISE:
                write_the_answers(page, solution_answers())
            run.cells[path] = run_all(page, path)
            if path == EXERCISE:
                run.verdicts_shown = page.locator(".jp-OutputArea-output", has_text="✅").count()
                shoot(page, "exercise-03-all-checks-passed")
            if path != PLAYGROUND_LESSON:
                page.evaluate(CLOSE_NOTEBOOK)
        yield run
    finally:
        context.close()


def write_the_answers(page, answers: dict[str, str]) -> None:
    """Write each answer in its answer cell of the open exercise, as a student would."""
    cells = page.evaluate(CODE_CELLS)
    answer_cells = {cell["index"]: answers[cell["checkpoint"]] for cell in cells if "answer" in cell["tags"]}
    assert len(answer_cells) == len(answers)
    page.evaluate(SET_SOURCES, {str(index): source for index, source in answer_cells.items()})


def shoot(page, name: str, element=None) -> None:
    """A screenshot kept as a test artifact."""
    path = artifacts_folder() / f"{name}.png"
    (element or page).screenshot(path=str(path), **({} if element else {"full_page": True}))


def said(cells: list[dict[str, Any]]) -> str:
    return "\n".join(output_text(output) for cell in cells for output in cell["outputs"])


def errors_of(cells: list[dict[str, Any]]) -> list[str]:
    return [output_text(output) for cell in cells for output in cell["outputs"] if output["output_type"] == "error"]


def test_the_site_opens_on_the_course_outline(course):
    welcome = course.welcome
    assert welcome["title"] == MANIFEST.title
    assert welcome["lessons"] == [f"{lesson.notebook[:2]} · {lesson.title}" for lesson in MANIFEST.lessons]
    assert welcome["links"] == [
        f"lab/index.html?path={folder}/{lesson.notebook}"
        for lesson in MANIFEST.lessons
        for folder in ("notebooks", "exercises")
    ]
    assert welcome["start"] == f"lab/index.html?path={LESSONS[0]}"
    assert welcome["violations"] == []


@pytest.mark.parametrize("path", LESSONS)
def test_run_all_completes_in_every_lesson(course, path):
    cells = course.cells[path]
    assert [cell["index"] for cell in cells if not cell["count"]] == [], "Run All stopped before these cells"
    assert errors_of(cells) == []
    database = "SQLite, a file in a temporary folder" if path in SHARED_LESSONS else "in-memory SQLite"
    assert f"Fresh book-club database ({database}): 6 readers, 5 books, 6 reviews, 4 annotations" in said(cells)


def test_what_the_browser_cannot_have_answers_with_one_short_line(course):
    """Step 9 of lesson 03 says, where the learner meets it, that PostgreSQL needs the local install: no error."""
    text = said(course.cells[PLAYGROUND_LESSON])
    assert IN_THE_BROWSER in text and text.count(NO_SERVER_LINE) == 2
    assert NOTE not in text  # the lesson answers for itself: the kit's note is for cells that do not


def test_lesson_03_shows_what_it_teaches_in_the_browser(course):
    shown = said(course.cells[PLAYGROUND_LESSON])
    assert "SQL> INSERT INTO reader (name, surname, email) VALUES (?, ?, ?)" in shown
    assert "754 | Nova | Yeni | nova.yeni@example.com" in shown  # the commit stored Nova, with the id 754
    assert "UNIQUE constraint failed: reader.email" in shown
    assert "ROLLBACK TO SAVEPOINT sa_savepoint_1" in shown
    assert "Readers after the rollback: 6" in shown  # Step 9's SQLite half runs
    shoot(course.page, "lesson-03-all-cells-ran")


def test_the_widgets_render(course):
    assert_the_playground_renders(course.page)


def test_the_playground_rolls_back_a_duplicate_email(course):
    page = course.page
    playground = commit_a_duplicate_email(page)
    roll_back_and_read_the_inspector(page, playground, "no transaction", "transient", "as committed: 6 rows")
    shoot(page, "playground-after-rollback", playground)


def test_exercise_03_with_the_solutions_answers_passes_every_check(course):
    answers = solution_answers()
    assert list(answers) == [info.id for info in MANIFEST.lessons[2].checkpoints]
    cells = course.cells[EXERCISE]
    assert errors_of(cells) == []
    checks = [cell for cell in cells if "check" in cell["tags"]]
    verdicts = [output_text(output) for cell in checks for output in cell["outputs"]]
    assert len(checks) == len(verdicts) == len(answers)
    assert all(
        verdict.startswith(f"✅ {cell['checkpoint']}: passed") for cell, verdict in zip(checks, verdicts, strict=True)
    ), verdicts
    assert course.verdicts_shown == len(answers), "each check cell shows the ✅ verdict"


def test_no_request_left_the_loopback(guard, course):
    assert guard.blocked == [], f"{len(guard.blocked)} requests left the loopback: {guard.blocked[:5]}"
    served = "\n".join(guard.served)
    # the kernel's worker fetched Pyodide and the wheels through the guard too
    assert "/static/pyodide/pyodide.asm.wasm" in served and "/static/pyodide/course_lib-" in served
    assert guard.failed == [], f"requests the site could not answer: {guard.failed[:5]}"


def test_without_a_built_site_the_test_skips_or_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.delenv(REQUIRE_VARIABLE, raising=False)
    with pytest.raises(pytest.skip.Exception, match="is not built: run `make lite`"):
        require_site(tmp_path)
    monkeypatch.setenv(REQUIRE_VARIABLE, "1")  # as in CI
    with pytest.raises(pytest.fail.Exception, match="is not built: run `make lite`"):
        require_site(tmp_path)


def test_the_build_was_quiet():
    log = require_site(SITE).parent / "lite-build.log"  # what `jupyter lite build` said during `make lite`
    assert [line for line in log.read_text(encoding="utf-8").splitlines() if "warning" in line.lower()] == []


def test_the_site_holds_45_mb_or_less():
    size = sum(path.stat().st_size for path in require_site(SITE).rglob("*") if path.is_file())
    assert size <= 45e6, f"build/lite holds {size / 1e6:.1f} MB: leave out what the browser does not need"
