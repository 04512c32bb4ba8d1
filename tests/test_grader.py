"""The grader on a corpus of synthetic submissions: right, mistaken, broken and hostile, each with its verdict."""

import csv
import hashlib
from pathlib import Path

import nbformat
import pytest

from course_lib.authoring.layout import CourseLayout
from course_lib.authoring.manifest import load_manifest
from course_lib.authoring.notebook_format import checkpoint_of
from course_lib.cli import main
from course_lib.grading.gradebook import GradeRow, grades_csv, write_atomically

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "03_add_and_rollback.ipynb"
EXERCISE = ROOT / "exercises" / "03_add_and_rollback.ipynb"
PETER = 'new_reader = Reader(name="Peter", surname="Johnson", email="peter.johnson@example.com")'


def submission(answers: dict[str, str] | None = None, *, base: Path = SOLUTION, edit=None):
    notebook = nbformat.read(base, as_version=4)
    for cell in notebook.cells:
        checkpoint = checkpoint_of(cell)
        if answers and checkpoint in answers and "answer" in cell.metadata.get("tags", []):
            cell.source = answers[checkpoint]
    if edit:
        edit(notebook)
    return nbformat.writes(notebook)


def replace_check(notebook, text):
    for cell in notebook.cells:
        if "check" in cell.metadata.get("tags", []):
            cell.source = text
            cell.outputs = []


def drop_markers_and_tags(notebook):
    for cell in notebook.cells:
        cell.metadata = {}
        cell.source = cell.source.replace("# answer: add_rollback.commit\n", "")


def malformed_metadata(notebook):
    shapes = iter(
        [
            {"tags": ["answer"], "course": 5},
            {"tags": 7},
            {"tags": ["answer"], "course": {"checkpoint": ["x"]}},
            {"tags": "answer", "course": []},
        ]
    )
    for cell in notebook.cells:
        if "answer" in cell.metadata.get("tags", []):
            cell.metadata = next(shapes)


def check_cell_on_top(notebook):
    """An honest student copies a check cell to the top, before any answer has run."""
    notebook.cells.insert(1, nbformat.v4.new_code_cell('check("add_rollback.new_reader")'))


def wrong_answer_at_the_end(notebook):
    """A right answer, checked, then rewritten wrong below every check: the last answer is the one judged."""
    notebook.cells.append(
        nbformat.v4.new_code_cell("# answer: add_rollback.new_reader\nnew_reader = Reader(name='Pete')")
    )


def add_skip_tags(notebook):
    for cell in notebook.cells:
        cell.metadata.setdefault("tags", []).extend(["skip", "nbval-skip", "raises-exception"])


PASS_MESSAGES = {
    "add_rollback.new_reader": "new_reader is a Reader, Peter Johnson, peter.johnson@example.com; "
    "the database will choose its id.",
    "add_rollback.add": "new_reader is in the session: the next flush or commit sends its INSERT, if none has yet.",
    "add_rollback.commit": "Peter is committed, and when the commit fails (tested on a scratch database with his "
    "email already taken) your code rolls back and the session stays usable.",
}

CORPUS = {
    "right/solution.ipynb": submission(),
    "right/other style (1).ipynb": submission(
        {
            "add_rollback.commit": "# answer: add_rollback.commit\nfrom sqlalchemy import exc\ntry:\n"
            "    db.session.commit()\nexcept exc.IntegrityError as error:\n"
            "    db.session.rollback()\n    print(error.orig)",
        }
    ),
    "right/no metadata or marker.ipynb": submission(edit=drop_markers_and_tags),
    "right/check cell on top.ipynb": submission(edit=check_cell_on_top),
    "mistake/right then wrong.ipynb": submission(edit=wrong_answer_at_the_end),
    "mistake/no try.ipynb": submission({"add_rollback.commit": "# answer: add_rollback.commit\ndb.session.commit()"}),
    "mistake/unsolved.ipynb": submission(base=EXERCISE),
    "hostile/endless loop.ipynb": submission({"add_rollback.add": "# answer: add_rollback.add\nwhile True:\n    pass"}),
    "hostile/kernel dies.ipynb": submission({"add_rollback.add": "# answer: add_rollback.add\nimport os\nos._exit(1)"}),
    "hostile/huge output.ipynb": submission(
        {"add_rollback.add": "# answer: add_rollback.add\nprint('x' * 5_000_000)\ndb.session.add(new_reader)"}
    ),
    "hostile/fake checks.ipynb": submission(
        base=EXERCISE, edit=lambda nb: replace_check(nb, 'print("✅ add_rollback: passed")')
    ),
    "hostile/skip tags.ipynb": submission(base=EXERCISE, edit=add_skip_tags),
    "hostile/malformed metadata.ipynb": submission(edit=malformed_metadata),
    "hostile/NBVAL markers.ipynb": submission(
        {"add_rollback.new_reader": "# answer: add_rollback.new_reader\n# NBVAL_SKIP\nnew_reader = 1"}
    ),
    "hostile/warnings on stderr.ipynb": submission(
        {
            "add_rollback.new_reader": f"# answer: add_rollback.new_reader\nimport sys, warnings\n"
            f"warnings.warn('careful')\nprint('noise', file=sys.stderr)\n{PETER}"
        }
    ),
    "tampering/look-alike check.ipynb": submission(
        {
            "add_rollback.new_reader": "# answer: add_rollback.new_reader\n"
            "from course_lib.checks import Status, Verdict, judge\nfrom IPython.display import display\n"
            "def check(checkpoint_id):\n"
            "    display(Verdict(checkpoint_id, Status.PASSED, PASSES[checkpoint_id]))\n"
            f"PASSES = {PASS_MESSAGES!r}\nnew_reader = None",
        }
    ),
    "tampering/tracebacks off.ipynb": submission(
        {
            "add_rollback.add": "# answer: add_rollback.add\nget_ipython().showtraceback = lambda *a, **k: None\n"
            "db.session.add(new_reader)"
        }
    ),
    "tampering/input transformer.ipynb": submission(
        {
            "add_rollback.add": "# answer: add_rollback.add\n"
            "get_ipython().input_transformers_post.append(lambda lines: lines)\n"
            "db.session.add(new_reader)"
        }
    ),
    "broken/not json.ipynb": "{ this is not a notebook",
    "broken/empty.ipynb": "",
    "broken/Ünïcödé 名前 03_add_and_rollback.ipynb": submission(),
}
#: Submissions whose code is outside the course's vocabulary, which the instructor grades anyway (--admit): what
#: they do at run time is what these tests are about. The others are held for review, unrun.
ADMITTED = (
    "hostile/kernel dies.ipynb",
    "hostile/warnings on stderr.ipynb",
    "tampering/look-alike check.ipynb",
    "tampering/input transformer.ipynb",
)
HELD = ("tampering/tracebacks off.ipynb",)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    for name, text in CORPUS.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    before = {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in folder.rglob("*.ipynb")}
    out = tmp_path_factory.mktemp("out")
    admit = [argument for name in ADMITTED for argument in ("--admit", str(folder / name))]
    assert main(["grade", str(folder), "--out", str(out), "--jobs", "2", "--timeout", "8", *admit]) == 0
    after = {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in folder.rglob("*.ipynb")}
    rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    return {"before": before, "after": after, "rows": rows, "out": out}


def statuses(graded, name: str) -> list[str]:
    return [row["status"] for row in graded["rows"] if row["submission"] == name]


def messages(graded, name: str) -> str:
    return " ".join(row["message"] for row in graded["rows"] if row["submission"] == name)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("right/solution.ipynb", ["passed", "passed", "passed", "passed"]),
        ("right/other style (1).ipynb", ["passed", "passed", "passed", "passed"]),
        ("right/no metadata or marker.ipynb", ["passed", "passed", "passed", "passed"]),
        ("right/check cell on top.ipynb", ["passed", "passed", "passed", "passed"]),
        ("mistake/right then wrong.ipynb", ["failed", "passed", "passed", "passed"]),
        ("mistake/no try.ipynb", ["passed", "passed", "failed", "passed"]),
        ("mistake/unsolved.ipynb", ["failed", "failed", "failed", "failed"]),
        # a hanging answer costs its own checkpoint only: the reference's stands in for it, for the cells after it
        ("hostile/endless loop.ipynb", ["passed", "timeout", "passed", "passed"]),
        ("hostile/huge output.ipynb", ["passed", "passed", "passed", "passed"]),
        ("hostile/fake checks.ipynb", ["failed", "failed", "failed", "failed"]),
        ("hostile/skip tags.ipynb", ["failed", "failed", "failed", "failed"]),
        ("hostile/malformed metadata.ipynb", ["passed", "passed", "passed", "passed"]),
        ("hostile/warnings on stderr.ipynb", ["passed", "passed", "passed", "passed"]),
        ("broken/not json.ipynb", ["invalid"]),
        ("broken/empty.ipynb", ["invalid"]),
        ("broken/Ünïcödé 名前 03_add_and_rollback.ipynb", ["passed", "passed", "passed", "passed"]),
    ],
)
def test_each_submission_gets_its_verdict(graded, name, expected):
    assert statuses(graded, name) == expected


def test_the_mistake_is_named_in_the_gradebook(graded):
    assert "You committed without try/except." in messages(graded, "mistake/no try.ipynb")
    assert "not done yet" in messages(graded, "mistake/unsolved.ipynb")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("tampering/look-alike check.ipynb", ["failed", "failed", "failed", "failed"]),
        ("tampering/input transformer.ipynb", ["passed", "passed", "passed", "passed"]),
    ],
)
def test_tampering_with_the_checks_in_the_notebook_changes_no_verdict(graded, name, expected):
    """The verdicts are decided by the grader from evidence: a replaced check() or display decides nothing."""
    assert statuses(graded, name) == expected


def test_code_outside_the_vocabulary_is_held_for_review_naming_the_cell_line_and_construct(graded):
    for name in HELD:
        assert statuses(graded, name) == ["held"] * 4
    message = messages(graded, "tampering/tracebacks off.ipynb")
    assert "Held for review" in message and "line 2: `get_ipython`" in message
    assert '("# answer: add_rollback.add")' in message
    report = (graded["out"] / "report.html").read_text(encoding="utf-8")
    assert report.index("Held for review (1)") < report.index("Score distribution")
    assert "tampering/tracebacks off.ipynb</code>: cell" in report and "--admit FILE" in report
    page = next((graded["out"] / "feedback").glob("tampering*"))
    assert "Your instructor will read this notebook before it gets any points" in page.read_text(encoding="utf-8")
    summary = {row["submission"]: row for row in csv.DictReader((graded["out"] / "summary.csv").open())}
    assert (summary["tampering/tracebacks off.ipynb"]["held"], summary["tampering/tracebacks off.ipynb"]["points"]) == (
        "4",
        "0",
    )


def test_a_dying_kernel_affects_only_its_own_submission(graded):
    assert statuses(graded, "hostile/kernel dies.ipynb")[0] == "passed"
    assert statuses(graded, "hostile/kernel dies.ipynb")[1:] == ["error", "error", "error"]
    assert "The kernel died before this check" in messages(graded, "hostile/kernel dies.ipynb")
    assert statuses(graded, "right/solution.ipynb") == ["passed"] * 4


def test_nbval_markers_in_an_answer_do_not_skip_it(graded):
    assert statuses(graded, "hostile/NBVAL markers.ipynb")[0] == "failed"
    assert "new_reader is an int, not a Reader object." in messages(graded, "hostile/NBVAL markers.ipynb")


def test_unreadable_files_say_why(graded):
    assert "not a readable notebook" in messages(graded, "broken/not json.ipynb")
    assert "the file is empty" in messages(graded, "broken/empty.ipynb")


def test_submitted_files_are_never_modified(graded):
    assert graded["after"] == graded["before"]


def test_summary_report_and_graded_copies_are_written(graded):
    out = graded["out"]
    summary = {row["submission"]: row for row in csv.DictReader((out / "summary.csv").open(encoding="utf-8"))}
    assert (summary["right/solution.ipynb"]["points"], summary["right/solution.ipynb"]["max_points"]) == ("4", "4")
    assert summary["mistake/no try.ipynb"]["points"] == "3"
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Hardest checkpoints" in report and "You committed without try/except." in report
    executed = nbformat.read(out / "graded" / "mistake" / "no try.ipynb", as_version=4)
    assert any("You committed without try/except." in str(cell.get("outputs")) for cell in executed.cells)
    assert not list(out.glob(".*.partial"))


def test_instructor_errors_exit_non_zero_with_a_message(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]) == 2
    assert "No such file or folder" in capsys.readouterr().err
    assert main(["grade", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "no .ipynb file" in capsys.readouterr().err


def test_an_interrupted_write_leaves_the_previous_gradebook_whole(tmp_path, monkeypatch):
    target = tmp_path / "grades.csv"
    write_atomically(target, "old gradebook\n")
    row = GradeRow("a.ipynb", "add_rollback", "add_rollback.add", "passed", 1, 1, "ok")

    def interrupted(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Path, "replace", interrupted)
    monkeypatch.setattr("os.replace", lambda *args: (_ for _ in ()).throw(KeyboardInterrupt()))
    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, grades_csv([row]))
    assert target.read_text() == "old gradebook\n"


def test_progress_table_counts_passed_checkpoints_and_names_the_next_task():
    from course_lib.authoring.manifest import load_manifest
    from course_lib.grading.progress import progress_table

    rows = [
        GradeRow("05_updating.ipynb", "updating", "updating.book_19", "passed", 1, 1, ""),
        GradeRow("05_updating.ipynb", "updating", "updating.month", "failed", 0, 1, "mistake: ..."),
        GradeRow("05_updating.ipynb", "updating", "updating.commit", "failed", 0, 1, "not done yet: ..."),
        GradeRow("01_the_database.ipynb", "the_database", "the_database.ann", "passed", 1, 1, ""),
        GradeRow("broken.ipynb", "", "", "invalid", 0, 0, "the file is empty"),
    ]
    assert progress_table(rows, load_manifest()).splitlines() == [
        "notebook               passed  next",
        "01_the_database.ipynb   1/1   all done",
        '05_updating.ipynb       1/3   updating.month: Change book_19\'s month to "June". Do not commit yet.',
        "broken.ipynb              -    cannot be checked: the file is empty",
    ]


def test_progress_checks_a_students_own_notebooks(tmp_path, capsys):
    (tmp_path / "03_add_and_rollback.ipynb").write_text(submission(), encoding="utf-8")
    assert main(["progress", str(tmp_path), "--jobs", "1"]) == 0
    assert "03_add_and_rollback.ipynb   4/4   all done" in capsys.readouterr().out


def test_a_submission_that_cannot_be_prepared_is_invalid_alone(tmp_path, monkeypatch):
    from course_lib.grading import pipeline

    def unforeseen(student, checkpoint_ids, reference_answer_ids):
        raise ValueError("a notebook shape nobody foresaw")

    (tmp_path / "03_add_and_rollback.ipynb").write_text(submission(), encoding="utf-8")
    monkeypatch.setattr(pipeline, "program_of", unforeseen)
    settings = pipeline.Settings(CourseLayout(ROOT), load_manifest(), None, 10, 1, None)
    rows = pipeline.grade_all([tmp_path / "03_add_and_rollback.ipynb"], settings)
    assert [(row.status, row.message) for row in rows] == [
        ("invalid", "could not be graded (ValueError: a notebook shape nobody foresaw)")
    ]


def test_progress_on_a_folder_without_notebooks_says_so(tmp_path, capsys):
    assert main(["progress", str(tmp_path)]) == 2
    assert "no .ipynb file" in capsys.readouterr().err


@pytest.mark.parametrize("course_metadata", [5, "add_rollback", {"exercise": ["x"]}, {"exercise": 3}])
def test_malformed_notebook_metadata_falls_back_to_the_file_name(tmp_path, course_metadata):
    from course_lib.grading.submissions import read_submission

    notebook = nbformat.reads(submission(), as_version=4)
    notebook.metadata["course"] = course_metadata
    path = tmp_path / "03_add_and_rollback (2).ipynb"
    path.write_text(nbformat.writes(notebook), encoding="utf-8")
    found = read_submission(path, CourseLayout(ROOT), load_manifest())
    assert (found.exercise, found.problem) == ("add_rollback", None)


def test_grading_where_fork_is_missing_says_it_needs_a_posix_system(tmp_path, monkeypatch, capsys):
    (tmp_path / "03_add_and_rollback.ipynb").write_text(submission(), encoding="utf-8")
    monkeypatch.delattr("os.fork")
    assert main(["grade", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    assert "grading needs a POSIX system" in capsys.readouterr().err
    assert main(["progress", str(tmp_path)]) == 2
    assert "WSL on Windows" in capsys.readouterr().err


def test_without_a_sandbox_grading_says_so_and_can_be_refused(tmp_path, monkeypatch, capsys):
    import json

    from course_lib.grading import pipeline

    (tmp_path / "03_add_and_rollback.ipynb").write_text(submission(), encoding="utf-8")
    monkeypatch.setattr(pipeline, "sandbox_available", lambda: None)
    assert main(["grade", str(tmp_path), "--out", str(tmp_path / "refused"), "--require-sandbox"]) == 2
    assert "--require-sandbox" in capsys.readouterr().err
    assert not (tmp_path / "refused" / "grades.csv").exists()
    assert main(["grade", str(tmp_path), "--out", str(tmp_path / "out"), "--jobs", "1"]) == 0
    assert "grading UNSANDBOXED" in capsys.readouterr().err
    assert json.loads((tmp_path / "out" / "grading.json").read_text())["sandbox"] == "none: unsandboxed"
    assert statuses_of(tmp_path / "out") == ["passed"] * 4


def statuses_of(out: Path) -> list[str]:
    return [row["status"] for row in csv.DictReader((out / "grades.csv").open(encoding="utf-8"))]
