"""Lesson 08 and exercise 08 in the JupyterLite site, offline: two sessions on an SQLite file in the browser.

A file of its own, so that a second test worker can run it beside test_lite_in_browser.py (the fixtures are in
conftest.py).
"""

import json

import pytest
from jupyterlab_driver import ROOT
from lite_driver import CODE_CELLS, RUN_EVERY_CELL, output_text
from test_lite_in_browser import assert_the_solutions_answers_pass, errors_of, notebook_page, shoot

pytestmark = pytest.mark.browser
LESSON = "notebooks/08_two_requests.ipynb"


def test_every_cell_of_lesson_08_runs_in_the_browser_and_prints_what_it_prints_on_the_desktop(browser, site_url, guard):
    """In the browser lesson 08 runs on SQLite only: its stored outputs, which come from SQLite, are what it prints."""
    with notebook_page(browser, site_url, guard, LESSON) as page:
        page.evaluate(RUN_EVERY_CELL)
        cells = page.evaluate(CODE_CELLS)
        shoot(page, "lesson-08-all-cells-ran")
    assert all(cell["count"] for cell in cells), "a cell did not run"
    assert errors_of(cells) == []
    stored = json.loads((ROOT / LESSON).read_text(encoding="utf-8"))["cells"]
    expected = [[output_text(output) for output in cell["outputs"]] for cell in stored if cell["cell_type"] == "code"]
    assert [[output_text(output) for output in cell["outputs"]] for cell in cells] == expected


def test_exercise_08_with_the_solutions_answers_passes_every_check(browser, site_url, guard):
    assert_the_solutions_answers_pass(browser, site_url, guard, "08_two_requests")


def test_no_request_left_the_loopback(guard):
    assert guard.blocked == [], f"{len(guard.blocked)} requests left the loopback: {guard.blocked[:5]}"
