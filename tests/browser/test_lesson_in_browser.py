"""Lesson 03 in a real JupyterLab, in Debian's Chromium: every cell runs, widgets render, the playground rolls back."""

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from accessibility import serious_violations
from jupyterlab_driver import (
    CHROMIUM_FLAGS,
    REQUIRE_VARIABLE,
    ROOT,
    LabServer,
    artifacts_folder,
    assert_the_playground_renders,
    chromium_path,
    commit_a_duplicate_email,
    lab_server,
    require_chromium,
    roll_back_and_read_the_inspector,
)
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
LESSON = "03_add_and_rollback.ipynb"
WIDGETS = {"playground": ".course-playground", "inspector": ".course-inspector"}  # checked by axe-core
ALL_CELLS_RAN = """() => {
    const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(p => p.textContent.trim());
    return prompts.length > 0 && prompts.every(text => /^\\[\\d+\\]:$/.test(text));
}"""
NO_PROMPT_NUMBERS = """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
    .every(p => !/\\d/.test(p.textContent))"""


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[LabServer]:
    folder = tmp_path_factory.mktemp("lessons")  # a copy: JupyterLab saves what it opens
    shutil.copy(ROOT / "notebooks" / LESSON, folder / LESSON)
    with lab_server(folder, tmp_path_factory.mktemp("lab")) as server:
        yield server


@pytest.fixture(scope="module")
def lesson_page(browser, lab):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(120_000)  # JupyterLab and its kernel start slowly while other tests load the machine
    page.goto(lab.notebook_url(LESSON))
    page.locator(".jp-Notebook .jp-CodeCell").first.wait_for()
    wait_for_an_idle_kernel(page)
    menu(page, "Edit", "Clear Outputs of All Cells")
    page.wait_for_function(NO_PROMPT_NUMBERS)
    menu(page, "Run", "Run All Cells")
    page.wait_for_function(ALL_CELLS_RAN, timeout=300_000)
    yield page
    page.close()


def wait_for_an_idle_kernel(page, seconds: float = 240) -> None:
    """Wait until the notebook's kernel is idle; accept JupyterLab's kernel dialog, which a slow start can bring up."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
        if dialog.count():
            dialog.get_by_role("button", name="Select").click()
        if page.locator(".jp-StatusBar-TextItem", has_text="| Idle").count():
            return
        page.wait_for_timeout(250)
    raise AssertionError(f"the notebook's kernel was not idle within {seconds} s")


def menu(page, heading: str, item: str) -> None:
    """Choose an item of JupyterLab's main menu."""
    page.locator("#jp-menu-panel .lm-MenuBar-itemLabel", has_text=heading).first.click()
    page.locator(".lm-Menu-content .lm-Menu-itemLabel", has_text=item).first.click()


def shoot(page, name: str, element=None) -> Path:
    """A screenshot kept as a test artifact."""
    path = artifacts_folder() / f"{name}.png"
    (element or page).screenshot(path=str(path), **({} if element else {"full_page": True}))
    return path


def test_every_cell_of_the_lesson_runs_in_jupyterlab(lesson_page):
    page = lesson_page
    for shown in ("Grace's id: 755", "UNIQUE constraint failed: reader.email"):
        expect(page.locator(".jp-OutputArea-output", has_text=shown).first).to_be_visible()
    expect(page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")).to_have_count(0)
    shoot(page, "lesson-03-all-cells-ran")


def test_the_widgets_render(lesson_page):
    assert_the_playground_renders(lesson_page)


@pytest.mark.parametrize("widget", WIDGETS)
def test_the_lessons_widgets_have_no_serious_accessibility_violation(lesson_page, widget):
    lesson_page.locator(WIDGETS[widget]).first.wait_for(state="visible")
    assert serious_violations(lesson_page, WIDGETS[widget]) == []


def test_the_playground_rolls_back_a_duplicate_email(lesson_page):
    page = lesson_page
    playground = commit_a_duplicate_email(page)
    expect(playground.locator(".course-inspector")).to_contain_text("inactive")
    shoot(page, "playground-duplicate-refused", playground)
    assert serious_violations(page, WIDGETS["playground"]) == []  # with the refusal, and an object listed
    roll_back_and_read_the_inspector(page, playground, "no transaction", "transient", "as committed: 6 rows")
    shoot(page, "playground-after-rollback", playground)
    assert serious_violations(page, WIDGETS["playground"]) == []
    shoot(page, "lesson-03-after-rollback")


def test_without_chromium_the_browser_tests_skip_with_a_reason(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_CHROMIUM", str(tmp_path / "no-chromium-here"))
    assert chromium_path() is None
    monkeypatch.delenv(REQUIRE_VARIABLE, raising=False)
    with pytest.raises(pytest.skip.Exception, match="Chromium not found"):
        require_chromium()
    monkeypatch.setenv(REQUIRE_VARIABLE, "1")  # as in CI
    with pytest.raises(pytest.fail.Exception, match="Chromium not found"):
        require_chromium()
