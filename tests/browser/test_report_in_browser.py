"""The instructor's report and a feedback page in Debian's Chromium: no console error, sorting and diagnosis links work,
hostile names and answers stay text, no serious accessibility violation, and no verdict told by colour alone."""

from collections.abc import Iterator

import pytest
from accessibility import serious_violations
from jupyterlab_driver import CHROMIUM_FLAGS, artifacts_folder, require_chromium

from course_lib.authoring.manifest import load_manifest
from course_lib.grading.feedback import STATUS_WORDS
from course_lib.grading.gradebook import GradeRow
from course_lib.grading.outputs import write_gradebook

pytestmark = pytest.mark.browser
HOSTILE = "</script><script>alert(1)</script>"
HOSTILE_NAME = "<img src=x onerror=alert(2)>"  # a folder name cannot hold a "/"
CHECKPOINTS = ("add_rollback.new_reader", "add_rollback.add", "add_rollback.commit")
STUDENTS = {  # name and id as Moodle names the folder, then each checkpoint's status: passed, failed
    "Zoë Ünal_3": "ppp",
    "Ann Lee_1": "pff",
    f"{HOSTILE_NAME}_2": "ppf",
    "Bo Ek_4": "fff",
}


def class_rows() -> list[GradeRow]:
    rows = []
    for student, statuses in STUDENTS.items():
        for checkpoint, code in zip(CHECKPOINTS, statuses, strict=True):
            message = "ok" if code == "p" else f"mistake: {checkpoint} is wrong {HOSTILE}"
            rows.append(
                GradeRow(f"{student}_assignsubmission_file/03.ipynb", "add_rollback", checkpoint,
                         "passed" if code == "p" else "failed", int(code == "p"), 1, message, f"# {HOSTILE}")
            )  # fmt: skip
    return rows


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> Iterator[object]:
    executable = require_chromium()
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    out = tmp_path_factory.mktemp("gradebook")
    write_gradebook(class_rows(), out, load_manifest())
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1300, "height": 1000})
        page.problems = []
        page.on("console", lambda message: message.type == "error" and page.problems.append(message.text))
        page.on("pageerror", lambda error: page.problems.append(str(error)))
        page.on("dialog", lambda dialog: (page.problems.append(f"dialog: {dialog.message}"), dialog.dismiss()))
        page.gradebook = out
        page.goto((out / "report.html").as_uri())
        yield page
        browser.close()


def names_shown(page) -> list[str]:
    return page.eval_on_selector_all(
        "#students tbody tr:not([hidden])", "rows => rows.map(r => r.cells[0].textContent)"
    )


def test_the_report_renders_without_errors_with_its_chart(page):
    assert page.locator("#distribution rect").count() == 10
    assert page.get_by_text(HOSTILE).first.is_visible()  # shown as text, never run
    page.screenshot(path=artifacts_folder() / "report.png", full_page=True)
    assert page.problems == []


def test_clicking_a_column_header_sorts_the_students(page):
    assert names_shown(page) == [HOSTILE_NAME, "Ann Lee", "Bo Ek", "Zoë Ünal"]
    page.get_by_role("button", name="total").click()
    assert names_shown(page) == ["Bo Ek", "Ann Lee", HOSTILE_NAME, "Zoë Ünal"]
    page.get_by_role("button", name="total").click()
    assert names_shown(page) == ["Zoë Ünal", HOSTILE_NAME, "Ann Lee", "Bo Ek"]
    page.get_by_role("button", name="student").click()
    assert names_shown(page) == [HOSTILE_NAME, "Ann Lee", "Bo Ek", "Zoë Ünal"]
    assert page.problems == []


def test_a_diagnosis_link_shows_the_students_concerned(page):
    counts = page.eval_on_selector_all("#diagnoses a", "links => links.map(link => link.textContent)")
    assert counts == ["3 student(s)", "2 student(s)", "1 student(s)"]  # commit, add, new_reader failed
    page.locator("#diagnoses a[href='#diagnosis=d1']").click()
    page.wait_for_function("() => document.querySelectorAll('#students tbody tr[hidden]').length === 2")
    assert sorted(names_shown(page)) == ["Ann Lee", "Bo Ek"]
    assert page.locator("#filter-note").is_visible()
    page.screenshot(path=artifacts_folder() / "report-diagnosis.png", full_page=True)
    page.get_by_role("link", name="Show all students").click()
    page.wait_for_function("() => [...document.querySelectorAll('#students tbody tr')].every(row => !row.hidden)")
    assert page.locator("#filter-note").is_hidden()
    assert page.problems == []


def test_a_feedback_page_shows_the_answer_as_text(page):
    page.locator("#students tr", has_text="Ann Lee").get_by_role("link", name="feedback").click()
    page.wait_for_load_state()
    assert page.get_by_text(f"# {HOSTILE}").first.is_visible()
    assert page.locator("script").count() == 0
    page.screenshot(path=artifacts_folder() / "feedback.png", full_page=True)
    assert page.problems == []


@pytest.mark.parametrize("name", ["report.html", "feedback/ann-lee-1.html", "feedback/bo-ek-4.html"])
def test_no_serious_accessibility_violation(page, name):
    page.goto((page.gradebook / name).as_uri())
    assert serious_violations(page) == []


def test_a_verdict_is_never_told_by_colour_alone(page):
    page.goto((page.gradebook / "feedback" / "ann-lee-1.html").as_uri())
    spans = page.eval_on_selector_all("td span[class]", "all => all.map(span => [span.className, span.textContent])")
    results = [(status, word) for status, word in spans if status in STATUS_WORDS]
    assert [status for status, _word in results] == ["passed", "failed", "failed"]  # the colour's class
    assert all(word == STATUS_WORDS[status] for status, word in results)  # and the same verdict in words
