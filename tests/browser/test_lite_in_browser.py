"""The course as a static JupyterLite site in Debian's Chromium, offline: lesson 03 and exercise 03 run in the browser.

The site (build/lite/, made by `make lite`) is served on loopback; every request for another host is blocked and
counted, and none may happen (the fixtures are in conftest.py). Skips, with the reason, when the site is not built;
fails instead in CI.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from jupyterlab_driver import (
    ROOT,
    assert_the_playground_renders,
    commit_a_duplicate_email,
    roll_back_and_read_the_inspector,
)
from lite_driver import (
    CODE_CELLS,
    REQUIRE_VARIABLE,
    RUN_EVERY_CELL,
    SET_SOURCES,
    LoopbackGuard,
    artifacts_folder,
    offline_context,
    open_notebook,
    output_text,
    require_site,
)

from course_lib.authoring.manifest import load_manifest

pytestmark = pytest.mark.browser
LESSON = "notebooks/03_add_and_rollback.ipynb"
# Step 9 of lesson 03 compares SQLite with the kit's own PostgreSQL server, which only a local install can start:
# in the browser its cells say so, and skip the PostgreSQL half.
NO_POSTGRES_HERE = "PostgreSQL needs the course installed on your computer (`make lab`, see the README)"
NO_SERVER_LINE = "No PostgreSQL server here: the stored output shows what this cell prints with one."


@contextmanager
def notebook_page(browser, site_url: str, guard: LoopbackGuard, path: str) -> Iterator[object]:
    """A notebook of the site open in a browser context of its own (a fresh JupyterLite, no other tab restored)."""
    context = offline_context(browser, site_url, guard)
    try:
        yield open_notebook(context, site_url, path)
    finally:
        context.close()


@pytest.fixture(scope="module")
def lesson_page(browser, site_url, guard):
    with notebook_page(browser, site_url, guard, LESSON) as page:
        page.evaluate(RUN_EVERY_CELL)
        yield page


def shoot(page, name: str, element=None) -> None:
    """A screenshot kept as a test artifact."""
    path = artifacts_folder() / f"{name}.png"
    (element or page).screenshot(path=str(path), **({} if element else {"full_page": True}))


def errors_of(cells: list[dict]) -> list[str]:
    return [output_text(output) for cell in cells for output in cell["outputs"] if output["output_type"] == "error"]


def test_every_cell_of_lesson_03_runs_in_the_browser(lesson_page):
    cells = lesson_page.evaluate(CODE_CELLS)
    assert all(cell["count"] for cell in cells), "a cell did not run"
    said = "\n".join(output_text(output) for cell in cells for output in cell["outputs"])
    assert "Fresh book-club database (in-memory SQLite): 6 readers, 5 books, 6 reviews, 4 annotations." in said
    assert "SQL> INSERT INTO reader (name, surname, email) VALUES (?, ?, ?)" in said
    assert "Grace's id: 755" in said and "UNIQUE constraint failed: reader.email" in said
    assert "ROLLBACK TO SAVEPOINT sa_savepoint_1" in said
    assert errors_of(cells) == [], "every cell runs in the browser, Step 9's PostgreSQL cells included"
    assert NO_POSTGRES_HERE in said and said.count(NO_SERVER_LINE) == 2
    shoot(lesson_page, "lesson-03-all-cells-ran")


def test_the_widgets_render(lesson_page):
    assert_the_playground_renders(lesson_page)


def test_the_playground_rolls_back_a_duplicate_email(lesson_page):
    page = lesson_page
    playground = commit_a_duplicate_email(page)
    shown = roll_back_and_read_the_inspector(page, playground)
    assert "no transaction" in shown and "transient" in shown and "as committed: 6 rows" in shown
    shoot(page, "playground-after-rollback", playground)


def test_exercise_03_with_the_solutions_answers_passes_every_check(browser, site_url, guard):
    assert_the_solutions_answers_pass(browser, site_url, guard, "03_add_and_rollback")


def assert_the_solutions_answers_pass(browser, site_url: str, guard: LoopbackGuard, name: str) -> None:
    """Fill an exercise with its solution's answers in the browser, run every cell, and see every check pass."""
    solution = json.loads((ROOT / "solutions" / f"{name}.ipynb").read_text(encoding="utf-8"))
    answers = {
        cell["metadata"]["course"]["checkpoint"]: "".join(cell["source"])
        for cell in solution["cells"]
        if "answer" in cell["metadata"].get("tags", [])
    }
    lesson = next(lesson for lesson in load_manifest().lessons if lesson.notebook == f"{name}.ipynb")
    assert list(answers) == [info.id for info in lesson.checkpoints]
    with notebook_page(browser, site_url, guard, f"exercises/{name}.ipynb") as page:
        run_with_answers(page, answers)
        cells = page.evaluate(CODE_CELLS)
        shown = page.locator(".jp-CodeCell", has=page.locator(".jp-OutputArea-output", has_text="✅")).count()
        shoot(page, f"exercise-{name[:2]}-all-checks-passed")
    assert errors_of(cells) == []
    checks = [cell for cell in cells if "check" in cell["tags"]]
    verdicts = [output_text(output) for cell in checks for output in cell["outputs"]]
    assert len(checks) == len(verdicts) == len(answers)
    assert all(
        verdict.startswith(f"✅ {cell['checkpoint']}: passed") for cell, verdict in zip(checks, verdicts, strict=True)
    ), verdicts
    assert shown == len(answers), "each check cell shows the ✅ verdict"


def run_with_answers(page, answers: dict[str, str]) -> None:
    """Write each answer in its answer cell of the open exercise, as a student would, then run every cell."""
    cells = page.evaluate(CODE_CELLS)
    answer_cells = {cell["index"]: answers[cell["checkpoint"]] for cell in cells if "answer" in cell["tags"]}
    assert len(answer_cells) == len(answers)
    page.evaluate(SET_SOURCES, {str(index): source for index, source in answer_cells.items()})
    page.evaluate(RUN_EVERY_CELL)


def test_no_request_left_the_loopback(guard, lesson_page):
    assert guard.blocked == [], f"{len(guard.blocked)} requests left the loopback: {guard.blocked[:5]}"
    served = "\n".join(guard.served)
    # the kernel's worker fetched Pyodide and the wheels through the guard too
    assert "/static/pyodide/pyodide.asm.wasm" in served and "/static/pyodide/course_lib-" in served


def test_without_a_built_site_the_test_skips_or_fails_in_ci(monkeypatch, tmp_path):
    monkeypatch.delenv(REQUIRE_VARIABLE, raising=False)
    with pytest.raises(pytest.skip.Exception, match="is not built: run `make lite`"):
        require_site(tmp_path)
    monkeypatch.setenv(REQUIRE_VARIABLE, "1")  # as in CI
    with pytest.raises(pytest.fail.Exception, match="is not built: run `make lite`"):
        require_site(tmp_path)
