"""Names of any bytes, invisible characters and spreadsheet formulas, made safe to show: each rule over its category."""

import csv
import os
import random
import unicodedata

import pytest

from course_lib.authoring.manifest import load_manifest
from course_lib.grading.gradebook import GradeRow
from course_lib.grading.outputs import GRADEBOOK_FILES, write_gradebook
from course_lib.grading.platform_names import Submitter, submitter
from course_lib.grading.safe_text import html_text, name_of_path, spreadsheet_safe, visible

#: What no page or terminal line may show raw: controls, format characters (the bidirectional ones among them),
#: line and paragraph separators, surrogates and private-use characters.
INVISIBLE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
TRIGGERS = "=+-@\t\r\0"


def random_names(count: int, seed: int) -> list[bytes]:
    """File names of random bytes (any but / and NUL), some of them valid UTF-8 with odd characters in it."""
    chooser = random.Random(seed)
    odd = "é名\u202e\u2066\u200b\x1b\n\t\\\u00a0\u2028\ufeff\U000e0041ﬁ𝔸😀"
    names = []
    for _ in range(count):
        if chooser.random() < 0.5:
            names.append(bytes(chooser.choice([b for b in range(1, 256) if b != 0x2F]) for _ in range(12)))
        else:
            names.append("".join(chooser.choice(odd + "ab_ ") for _ in range(8)).encode())
    return names


def test_names_of_any_bytes_are_distinct_visible_and_writable():
    paths = list(dict.fromkeys(os.fsdecode(name) for name in random_names(3000, seed=19)))
    names = [name_of_path(path) for path in paths]
    assert len(set(names)) == len(paths)  # never two files under one name
    for name in names:
        name.encode("utf-8")  # no surrogate left: every file can hold it
        assert not {unicodedata.category(character) for character in name} & INVISIBLE_CATEGORIES, repr(name)


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        (b"Jos\xe9 Garc\xeda", r"Jos\xe9 Garc\xeda"),  # Latin-1 bytes: not UTF-8
        ("Ann\u202eeeL".encode(), r"Ann\u202eeeL"),  # a right-to-left override
        (b"Bo\x1b[31mEk\x07", r"Bo\u001b[31mEk\u0007"),  # a terminal's escape sequence and bell
        (b"a\\xe9", r"a\\xe9"),  # a backslash written in the name itself stays apart from an escaped byte
        ("Zoë Ünal 名前 😀 Ñ".encode(), "Zoë Ünal 名前 😀 Ñ"),  # any letters, scripts and symbols stay as they are
    ],
)
def test_a_name_shows_undecodable_bytes_and_invisible_characters_escaped(raw, shown):
    assert name_of_path(os.fsdecode(raw)) == shown


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"garc\xeda_1001_5001_03_add_and_rollback.ipynb", Submitter(r"garc\xeda", "1001", "canvas")),
        (b"Jos\xe9 Garc\xeda_77_assignsubmission_file/03.ipynb", Submitter(r"Jos\xe9 Garc\xeda", "77", "moodle")),
        ("Ann\u202eLee_78_assignsubmission_file/03.ipynb".encode(), Submitter(r"Ann\u202eLee", "78", "moodle")),
        (b"Bo\nEk_79_assignsubmission_file_03.ipynb", Submitter(r"Bo\u000aEk", "79", "moodle")),
    ],
)
def test_the_student_is_still_found_in_a_name_with_escapes(raw, expected):
    assert submitter(name_of_path(os.fsdecode(raw))) == expected


def test_visible_escapes_exactly_the_invisible_characters():
    for code in [*range(0x0, 0x3100), *range(0xFE00, 0xFFFF), *range(0xE0000, 0xE0080), 0x1F600, 0x10FFFD]:
        character = chr(code)
        invisible = unicodedata.category(character) in INVISIBLE_CATEGORIES and character not in "\u200c\u200d"
        assert (visible(character) != character) == invisible, hex(code)
        assert visible(character) == (f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}") or not invisible


def test_html_text_escapes_markup_and_shows_invisible_characters_but_keeps_the_lines_of_code():
    assert html_text("<b>\u202e</b>") == r"&lt;b&gt;\u202e&lt;/b&gt;"
    assert html_text("a\n\tb\u2066", code=True) == "a\n\tb\\u2066"
    assert html_text("a\nb") == r"a\u000ab"


FORMULAS = ["=1+1", "=HYPERLINK(\"http://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1",
            "\r=1", "\0=1", " =1+1", "\n=1", "＝1+1", "﹢1", "－1", "＠SUM(1)"]  # fmt: skip


@pytest.mark.parametrize("cell", FORMULAS)
def test_a_cell_a_spreadsheet_would_run_gets_a_quote_before_it(cell):
    assert spreadsheet_safe(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["0", "4", "-1", "-0.5", "12.50", "-.5", "100.00", "-", "", "Ann Lee", "a=b", 3, -3])
def test_numbers_and_plain_text_stay_as_they_are(cell):
    assert spreadsheet_safe(cell) == cell


def test_no_csv_of_the_gradebook_holds_a_formula_and_its_numbers_stay_numbers(tmp_path):
    """Names, messages and answers starting with every formula sign, into every CSV file the gradebook writes."""
    checkpoints = [info.id for info in load_manifest().checkpoint_infos() if info.id.startswith("add_rollback.")]
    rows, names = [], []
    for number, trigger in enumerate(TRIGGERS):
        folder = name_of_path(f"{trigger}cmd|' /C calc'!A{number}_{70 + number}_assignsubmission_file")
        canvas = f"{trigger}x_{100 + number}_5{number}_03_add_and_rollback.ipynb"
        names += [f"{folder}/03_add_and_rollback.ipynb", canvas, f"{trigger}{number}/03.ipynb"]
        message = f"{trigger}HYPERLINK(1)\r=cmd|' /C calc'!A0\0\n@SUM(1)"  # what a check may quote of the student's
        rows += [
            GradeRow(name, "add_rollback", checkpoint, "failed", 0, 1, message, f"{trigger}1")
            for name in names[-3:]
            for checkpoint in checkpoints
        ]
    written = write_gradebook(rows, tmp_path, load_manifest(), ["add_rollback"])
    assert written.problems == []
    tables = [name for name in GRADEBOOK_FILES if name.endswith(".csv")]
    assert sorted(path.name for path in tmp_path.glob("*.csv")) == sorted(tables)  # every CSV the grader writes
    quoted = 0
    for table in tables:
        read = list(csv.reader((tmp_path / table).open(encoding="utf-8", newline="")))
        assert len({len(row) for row in read}) == 1, table  # no row broken in two by what a cell holds
        for row in read:
            for cell in row:
                assert not _runs_as_formula(cell) or _is_number(cell) or cell == "-", (table, cell)
                assert "\r" not in cell and "\0" not in cell, (table, cell)
                quoted += cell.startswith("'")
    grades = list(csv.DictReader((tmp_path / "grades.csv").open(encoding="utf-8", newline="")))
    assert len(grades) == len(rows)
    assert "'=HYPERLINK(1)\\u000d=cmd|' /C calc'!A0\\u0000\n@SUM(1)" in {row["message"] for row in grades}
    assert quoted > 3 * len(TRIGGERS)
    students = list(csv.DictReader((tmp_path / "students.csv").open(encoding="utf-8")))
    assert all(_is_number(row[column]) for row in students for column in ("add_rollback", "total", "max", "percent"))


def _runs_as_formula(cell: str) -> bool:
    """What a spreadsheet may read as a formula: a cell starting with a sign, also after spaces or in full width."""
    first = cell.lstrip()[:1]
    return bool(cell) and (cell[0] in TRIGGERS or (bool(first) and unicodedata.normalize("NFKC", first) in "=+-@"))


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True
