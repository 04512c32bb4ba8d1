"""No file can take the class down, and every output is safe to open: one class graded once.

Beside an honest classmate: students whose folder or file names hold bytes that are not UTF-8, a right-to-left
override, terminal escapes and spreadsheet formulas; an empty file with such a name; and two stragglers whose hundreds
of cells each run just under the cell's limit (sleeping, or busy on the CPU; admitted, as their code leaves the
course's vocabulary). Costs about 15 s on two cores.
"""

import csv
import io
import json
import os
import unicodedata
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import nbformat
import pytest

from course_lib.cli import main
from course_lib.grading import pipeline
from course_lib.grading.safe_text import name_of_path, spreadsheet_safe, storable_path
from course_lib.grading.sandbox import NOTEBOOK_CELL_LIMITS
from course_lib.grading.submissions import MAX_NOTEBOOK_BYTES

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "03_add_and_rollback.ipynb"
TIMEOUT = 2
READY_SECONDS = 2.0  # instead of the grader's 10 s to start a sandbox on a busy machine: the stragglers end sooner
SLOW_CELLS = 300
#: Submitted path (bytes, as a zip would leave them) -> the student the gradebook must find in it: name and id.
STUDENTS = {
    b"moodle/Jos\xe9 Garc\xeda_77_assignsubmission_file/03_add_and_rollback.ipynb": (r"Jos\xe9 Garc\xeda", "77"),
    b"canvas/garc\xeda_1001_5001_03_add_and_rollback.ipynb": (r"garc\xeda", "1001"),
    "moodle/Ann\u202eeeL_78_assignsubmission_file/03_add_and_rollback.ipynb".encode(): (r"Ann\u202eeeL", "78"),
    b"moodle/Bo\x1b[31mEk\x07\n_79_assignsubmission_file/03_add_and_rollback.ipynb": (
        r"Bo\u001b[31mEk\u0007\u000a",
        "79",
    ),
    b'moodle/=HYPERLINK("evil.example","x")_80_assignsubmission_file/03.ipynb': (
        '\'=HYPERLINK("evil.example","x")',
        "80",
    ),
    b"moodle/@SUM(1+1)*cmd|' -C calc'!A0_81_assignsubmission_file/03.ipynb": ("'@SUM(1+1)*cmd|' -C calc'!A0", "81"),
    b"moodle/-2+3_82_assignsubmission_file/03_add_and_rollback.ipynb": ("'-2+3", "82"),
    b"=1+1/03_add_and_rollback.ipynb": ("'=1+1", ""),
    b"honest/03_add_and_rollback.ipynb": ("honest", ""),
}
LONG = b"long/" + b"\xff" * 200 + b".ipynb"  # its name, escaped, is longer than a file system holds: 800 bytes
SURROGATE = "surrogate/03_add_and_rollback.ipynb"  # its JSON holds a lone surrogate, \ud800, that UTF-8 cannot
HUGE = "huge/03_add_and_rollback.ipynb"  # larger than the grader reads (sparse: it costs no disk)
EMPTY = "invalid/\u202egpj.exe\x1b]0;x\x07.ipynb".encode()  # an empty file: its name is in the summary line
SLEEPING, SPINNING = "zz slow/sleeping.ipynb", "zz slow/spinning.ipynb"
RAW = ("\u202e", "\x1b", "\x07")


def straggler(cell_code: str) -> str:
    """Solution 03, but hundreds of cells, each just under the cell's limit, come first and print their number."""
    notebook = nbformat.read(SOLUTION, as_version=4)
    slow = [nbformat.v4.new_code_cell(cell_code.format(number=number)) for number in range(SLOW_CELLS)]
    notebook.cells = notebook.cells[:1] + slow + notebook.cells[1:]
    return nbformat.writes(notebook)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder, out = tmp_path_factory.mktemp("class"), tmp_path_factory.mktemp("out")
    honest = SOLUTION.read_bytes()
    for raw in [*STUDENTS, EMPTY]:
        path = Path(os.fsdecode(os.path.join(os.fsencode(folder), raw)))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"" if raw == EMPTY else honest)
    Path(os.fsdecode(os.path.join(os.fsencode(folder), LONG))).parent.mkdir()
    Path(os.fsdecode(os.path.join(os.fsencode(folder), LONG))).write_bytes(honest)
    odd = nbformat.read(SOLUTION, as_version=4)
    odd.cells.insert(1, nbformat.v4.new_code_cell('odd = "\\ud800"\nprint(odd)'))
    (folder / SURROGATE).parent.mkdir()
    (folder / SURROGATE).write_text(json.dumps(odd, ensure_ascii=True), encoding="ascii")
    (folder / HUGE).parent.mkdir()
    with (folder / HUGE).open("wb") as huge:
        huge.truncate(MAX_NOTEBOOK_BYTES + 1)
    (folder / SLEEPING).parent.mkdir()
    (folder / SLEEPING).write_text(straggler(f"import time\ntime.sleep({TIMEOUT * 0.75})\nprint('cell {{number}}')"))
    busy = f"import time\nstart = time.process_time()\nwhile time.process_time() - start < {TIMEOUT * 0.75}:\n    pass"
    (folder / SPINNING).write_text(straggler(busy + "\nprint('cell {number}')"))
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(stdout), redirect_stderr(stderr):
        patch.setattr(pipeline, "READY_SECONDS", READY_SECONDS)
        patch.setenv("COLUMNS", "250")  # the progress bar names the submission waited for in full
        admit = [word for straggler in (SLEEPING, SPINNING) for word in ("--admit", str(folder / straggler))]
        status = main(["grade", str(folder), "--out", str(out), "--jobs", "2", "--timeout", str(TIMEOUT), *admit])
    rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    return {"status": status, "out": out, "rows": rows, "stdout": stdout.getvalue(), "stderr": stderr.getvalue()}


def rows_of(graded, name: str) -> list[dict[str, str]]:
    return [row for row in graded["rows"] if row["submission"] == name]


def printed_cells(graded, name: str) -> list[str]:
    copy = nbformat.read(graded["out"] / "graded" / name, as_version=4)
    texts = [output.get("text", "") for cell in copy.cells for output in cell.get("outputs", [])]
    return [line for text in texts for line in text.splitlines() if line.startswith("cell ")]


def test_the_class_is_graded(graded):
    assert graded["status"] == 0
    assert {path.name for path in graded["out"].iterdir()} >= {"grades.csv", "report.html", "feedback", "graded"}


@pytest.mark.parametrize("name", [SLEEPING, SPINNING])
def test_a_notebook_of_many_slow_cells_is_stopped_at_a_budget_that_does_not_grow_with_its_cells(graded, name):
    """Each cell stays under its limit: only the notebook's own budget, a few cells' limits, stops it."""
    assert [row["status"] for row in rows_of(graded, name)] == ["timeout"] * 4
    ran = printed_cells(graded, name)
    budget = READY_SECONDS + NOTEBOOK_CELL_LIMITS * TIMEOUT
    assert len(ran) <= budget / (TIMEOUT * 0.75) + 1, len(ran)  # of 300: the class was not held for 300 cells
    assert ran or name == SPINNING  # it ran (a busy machine may leave a spinning one no CPU time for a whole cell)


def test_names_of_any_bytes_are_graded_and_the_student_found(graded):
    students = {(row["student"], row["student_id"]) for row in csv.DictReader(
        (graded["out"] / "students.csv").open(encoding="utf-8"))}  # fmt: skip
    assert set(STUDENTS.values()) <= students
    for raw in STUDENTS:
        name = name_of_path(os.fsdecode(raw))
        assert [row["status"] for row in rows_of(graded, spreadsheet_safe(name))] == ["passed"] * 4, name
        assert (graded["out"] / "graded" / name).is_file()  # the graded copy, under the gradebook's name


def test_a_name_too_long_for_a_file_and_a_lone_surrogate_cost_nothing(graded):
    """Escaped, a name grows past what a file system holds; a lone surrogate cannot be written as UTF-8."""
    long = name_of_path(os.fsdecode(LONG))
    for name, copy in ((long, storable_path(long)), (SURROGATE, SURROGATE)):
        assert [row["status"] for row in rows_of(graded, name)] == ["passed"] * 4, name
        assert (graded["out"] / "graded" / copy).is_file()
    assert len(storable_path(long).split("/")[-1].encode()) <= 255
    odd = nbformat.read(graded["out"] / "graded" / SURROGATE, as_version=4)
    assert any(output.get("text") == "\ud800\n" for cell in odd.cells for output in cell.get("outputs", []))


def test_a_file_too_large_to_read_is_invalid_alone(graded):
    assert [(row["status"], row["message"]) for row in rows_of(graded, HUGE)] == [
        ("invalid", "the file is larger than 64 MiB: not read, not graded")
    ]


def test_every_html_page_shows_invisible_characters_escaped(graded):
    pages = [graded["out"] / "report.html", *(graded["out"] / "feedback").iterdir()]
    assert len(pages) > len(STUDENTS)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        shown = {unicodedata.category(character) for character in text.replace("\n", "").replace("\t", "")}
        assert not shown & {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}, page.name
    report = (graded["out"] / "report.html").read_text(encoding="utf-8")
    assert r"Ann\u202eeeL" in report and r"Jos\xe9 Garc\xeda" in report and r"Bo\u001b[31mEk" in report


def test_the_terminal_shows_names_escaped_and_the_bar_names_the_submission_waited_for(graded):
    lines = graded["stdout"] + graded["stderr"]
    assert not any(raw in lines for raw in RAW)
    summary = graded["stdout"].strip().splitlines()[-1]
    assert summary.endswith(rf"2 invalid: {HUGE}, invalid/\u202egpj.exe\u001b]0;x\u0007.ipynb")
    total = len(STUDENTS) + 6
    assert f"{total - 1}/{total}, waiting for zz slow/" in graded["stderr"]


def test_progress_never_opens_a_pipe_named_like_a_notebook(tmp_path, capsys):
    os.mkfifo(tmp_path / "03_add_and_rollback.ipynb")  # opening it to read would wait for a writer forever
    assert main(["progress", str(tmp_path)]) == 0
    assert "cannot be checked: not a regular file: not followed, not graded" in capsys.readouterr().out
