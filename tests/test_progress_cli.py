"""`progress` names each checkpoint's diagnosis and skips lessons; `--help` describes every command and default."""

import shutil
from pathlib import Path

import pytest

from course_lib.authoring.manifest import load_manifest
from course_lib.cli import main
from course_lib.grading.gradebook import GradeRow
from course_lib.grading.progress import progress_table

ROOT = Path(__file__).resolve().parent.parent


def test_progress_table_with_details_lists_each_checkpoints_diagnosis():
    rows = [
        GradeRow("05_updating.ipynb", "updating", "updating.book_19", "passed", 1, 1, "passed: book_19 is book 19."),
        GradeRow("05_updating.ipynb", "updating", "updating.month", "failed", 0, 1, "mistake: You compared with =="),
    ]
    lines = progress_table(rows, load_manifest(), details=True).splitlines()
    assert lines[1].startswith("05_updating.ipynb   1/2   updating.month: Change book_19's month")
    assert lines[2:] == [
        "    ✓ updating.book_19: passed: book_19 is book 19.",
        "    ✗ updating.month: mistake: You compared with ==",
    ]


def test_progress_on_a_lesson_says_it_is_a_lesson(tmp_path, capsys):
    shutil.copy(ROOT / "notebooks" / "05_updating.ipynb", tmp_path)
    assert main(["progress", str(tmp_path / "05_updating.ipynb")]) == 0
    out = capsys.readouterr().out
    assert "05_updating.ipynb: a lesson, not an exercise" in out
    assert "passed" not in out


@pytest.mark.parametrize("command", ["build", "grade", "progress", "mutate"])
def test_help_describes_every_command_and_shows_defaults(command, capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    assert command in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    assert "(default:" in text
