"""The gradebook built from grade rows: who each file is from, the student table, platform CSVs, feedback, report."""

import csv
import io

import pytest

from course_lib.authoring.manifest import load_manifest
from course_lib.cli import main
from course_lib.grading.feedback import feedback_file_names, feedback_html
from course_lib.grading.gradebook import GradeRow
from course_lib.grading.outputs import GRADEBOOK_FILES, gradebook_notes, write_gradebook
from course_lib.grading.platform_names import Submitter, submitter, uploaded_file_stem
from course_lib.grading.report import report_html
from course_lib.grading.students import canvas_csv, moodle_csv, student_records, students_csv

HOSTILE = "</script><script>alert(1)</script>"
ADD_ROLLBACK = ("add_rollback.new_reader", "add_rollback.add", "add_rollback.commit")


def rows_of(submission: str, statuses: str, exercise: str = "add_rollback", answer: str = "x = 1") -> list[GradeRow]:
    """Rows of one add_rollback submission, "pfm" meaning passed, failed, missing."""
    names = {"p": "passed", "f": "failed", "m": "missing", "t": "timeout"}
    return [
        GradeRow(submission, exercise, checkpoint, names[code], int(code == "p"), 1, f"{names[code]} message", answer)
        for checkpoint, code in zip(ADD_ROLLBACK, statuses, strict=True)
    ]


def invalid(submission: str, exercise: str = "add_rollback") -> GradeRow:
    return GradeRow(submission, exercise, "", "invalid", 0, 0, "the file is empty")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("lastfirst_1001_5001_03_add_and_rollback.ipynb", Submitter("lastfirst", "1001", "canvas")),
        ("lastfirst_LATE_1001_5001_03_add_and_rollback.ipynb", Submitter("lastfirst", "1001", "canvas")),
        ("obriensmithjosé_1002_5002_03_add_and_rollback-2.ipynb", Submitter("obriensmithjosé", "1002", "canvas")),
        ("sub/folder/nguyễnthịanh_1003_5003_notes_v2.ipynb", Submitter("nguyễnthịanh", "1003", "canvas")),
        ("anon_x7Yq2_5004_03_add_and_rollback.ipynb", Submitter("anon_x7Yq2", "", "canvas")),
        ("LATE_anon_x7Yq2_5004_03.ipynb", Submitter("anon_x7Yq2", "", "canvas")),
        ("lastfirst_1001_5001_project/work/03.ipynb", Submitter("lastfirst", "1001", "canvas")),
        ("Ann Lee_1001_assignsubmission_file_/03_add_and_rollback.ipynb", Submitter("Ann Lee", "1001", "moodle")),
        (
            "CS101-Transactions-42/José O'Brien-Smith_77_assignsubmission_file/extracted/nested/03.ipynb",
            Submitter("José O'Brien-Smith", "77", "moodle"),
        ),
        ("Zoë Ünal_9_assignsubmission_file_03_add_and_rollback (1).ipynb", Submitter("Zoë Ünal", "9", "moodle")),
        ("student007/03_add_and_rollback.ipynb", Submitter("student007", "", "")),
        ("ann.ipynb", Submitter("ann", "", "")),
        ("Course_2024_Week3/solution.ipynb", Submitter("Course_2024_Week3", "", "")),
    ],
)
def test_the_student_is_read_from_canvas_and_moodle_names_else_the_folder_or_file(path, expected):
    assert submitter(path) == expected


@pytest.mark.parametrize(
    ("file_name", "stem"),
    [
        ("lastfirst_LATE_1001_5001_03_add_and_rollback-1.ipynb", "03_add_and_rollback"),
        ("Ann Lee_1001_assignsubmission_file_03_add_and_rollback (2).ipynb", "03_add_and_rollback"),
        ("03_add_and_rollback (1).ipynb", "03_add_and_rollback"),
        ("03_add_and_rollback.ipynb", "03_add_and_rollback"),
    ],
)
def test_the_uploaded_file_name_is_recovered_for_matching_the_exercise(file_name, stem):
    assert uploaded_file_stem(file_name) == stem


def test_one_record_per_student_the_best_file_counts_and_what_is_missing_counts_zero_of_its_maximum():
    rows = [
        *rows_of("leeann_7_1_03_add_and_rollback.ipynb", "pff"),
        *rows_of("leeann_7_2_03_add_and_rollback-1.ipynb", "ppf"),
        invalid("smithbob_8_3_03_add_and_rollback.ipynb"),
        GradeRow("smithbob_8_4_01_the_database.ipynb", "the_database", "the_database.ann", "passed", 1, 1, "ok"),
    ]
    manifest = load_manifest()
    records = student_records(rows, manifest, ["the_database", "add_rollback"])
    most = sum(
        len(lesson.checkpoints) for lesson in manifest.lessons if lesson.exercise in ("the_database", "add_rollback")
    )
    assert most == 9  # a point per checkpoint: 5 of exercise 01, 4 of exercise 03
    assert [(r.submitter.name, r.points, r.total, r.maximum) for r in records] == [
        ("leeann", {"the_database": 0, "add_rollback": 2}, 2, most),
        ("smithbob", {"the_database": 1, "add_rollback": 0}, 1, most),
    ]
    assert records[0].counted == {"add_rollback": "leeann_7_2_03_add_and_rollback-1.ipynb"}


def test_students_csv_has_a_column_per_exercise_in_course_order_then_total_max_and_percent():
    rows = [*rows_of("Ann Lee_1_assignsubmission_file/03.ipynb", "ppf"), invalid("Bo Ek_2_assignsubmission_file/x")]
    text = students_csv(student_records(rows, load_manifest(), ["add_rollback"]))
    assert text.splitlines() == [
        "student,student_id,add_rollback,total,max,percent",
        "Ann Lee,1,2,2,4,50.00",
        "Bo Ek,2,0,0,4,0.00",
    ]


def test_invalid_files_count_zero_of_their_exercises_real_maximum(tmp_path):
    write_gradebook([invalid("a.ipynb"), invalid("b.ipynb", exercise="")], tmp_path, load_manifest())
    rows = list(csv.DictReader((tmp_path / "grades.csv").open(encoding="utf-8")))
    assert [(row["submission"], row["points"], row["max_points"]) for row in rows] == [
        ("a.ipynb", "0", "4"),
        ("b.ipynb", "0", "0"),
    ]


def test_canvas_csv_follows_the_gradebook_import_header_and_matches_on_the_canvas_user_id():
    manifest = load_manifest()
    rows = [
        *rows_of("leeann_LATE_1001_5001_03.ipynb", "ppp"),
        *rows_of("Bo Ek_2_assignsubmission_file/03.ipynb", "pff"),
    ]
    table = list(csv.reader(io.StringIO(canvas_csv(student_records(rows, manifest), manifest))))
    assert table[0] == [
        "Student",
        "ID",
        "SIS User ID",
        "SIS Login ID",
        "Section",
        "Adding readers, and rolling back when a commit fails",
    ]
    assert table[1][0] == "Points Possible" and table[1][5] == "4"
    assert table[2:] == [["Bo Ek", "", "", "", "", "1"], ["leeann", "1001", "", "", "", "3"]]


def test_moodle_csv_is_a_grading_worksheet_matching_on_participant_identifiers():
    rows = [*rows_of("Ann Lee_1001_assignsubmission_file/03.ipynb", "ppf"), *rows_of("leeann_7_1_03.ipynb", "ppp")]
    table = list(csv.DictReader(io.StringIO(moodle_csv(student_records(rows, load_manifest(), ["add_rollback"])))))
    assert {"Identifier", "Grade", "Last modified (grade)"} <= set(table[0])  # what Moodle's importer requires
    assert [(row["Identifier"], row["Full name"], row["Grade"]) for row in table] == [
        ("Participant 1001", "Ann Lee", "50.00"),
        ("", "leeann", "75.00"),
    ]


def test_feedback_escapes_hostile_answers_names_and_messages_and_shows_hints_not_solutions():
    manifest = load_manifest()
    name = f"{HOSTILE}_1_assignsubmission_file/03.ipynb"
    rows = [replace_message(row, HOSTILE) for row in rows_of(name, "pfm", answer=f"# {HOSTILE}\nnew_reader = 1")]
    page = feedback_html(student_records(rows, manifest)[0], manifest)
    assert "<script>" not in page and "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "new_reader = 1" in page
    assert manifest.checkpoint("add_rollback.commit").hint.split(":")[0] in page
    assert 'peter.johnson@example.com")' not in page  # the reference answer (the task quotes the email, escaped)


def replace_message(row: GradeRow, message: str) -> GradeRow:
    return GradeRow(row.submission, row.exercise, row.checkpoint, row.status, row.points, row.max_points, message,
                    row.answer)  # fmt: skip


def test_feedback_lists_only_the_students_own_files():
    manifest = load_manifest()
    rows = [*rows_of("annlee_1_1_03.ipynb", "ppp", answer="ann's code"), *rows_of("bo_2_2_03.ipynb", "fff")]
    records = student_records(rows, manifest)
    pages = [feedback_html(record, manifest) for record in records]
    assert "annlee_1_1_03.ipynb" in pages[0] and "bo_2_2_03.ipynb" not in pages[0]
    assert "ann&#x27;s code" not in pages[1] and "annlee" not in pages[1]


def test_feedback_file_names_are_safe_and_distinct():
    rows = [
        *rows_of(f"{HOSTILE}/03.ipynb", "pff"),
        *rows_of("../../etc/03.ipynb", "pff"),
        *rows_of("Zoë Ünal_9_assignsubmission_file/03.ipynb", "pff"),
        *rows_of("zoë-ünal 9/03.ipynb", "pff"),
        *rows_of("..._/03.ipynb", "pff"),
    ]
    names = feedback_file_names(student_records(rows, load_manifest()))
    assert len(set(names)) == len(names)
    assert all(name.endswith(".html") and "/" not in name and not name.startswith(".") for name in names)
    assert all(char.isalnum() or char in "-." for name in names for char in name)
    assert "zoë-ünal-9.html" in names and "zoë-ünal-9-2.html" in names


def test_report_escapes_everything_and_links_diagnoses_to_students():
    manifest = load_manifest()
    rows = [
        *rows_of(f"{HOSTILE}_1_assignsubmission_file/03.ipynb", "pff"),
        *rows_of("Bo Ek_2_assignsubmission_file/03.ipynb", "ppf"),
    ]
    records = student_records(rows, manifest)
    page = report_html(rows, records, feedback_file_names(records), manifest)
    assert HOSTILE not in page and page.count("<script>") == 1
    assert "<svg id='distribution'" in page
    assert "<a href='#diagnosis=d0'>2 student(s)</a>" in page  # add_rollback.commit failed for both
    assert page.count("data-diagnoses='d0 d1'") == 1 and page.count("data-diagnoses='d0'") == 1


def test_a_new_gradebook_leaves_no_feedback_page_of_an_earlier_run(tmp_path):
    manifest = load_manifest()
    write_gradebook(rows_of("annlee_1_1_03.ipynb", "ppp"), tmp_path, manifest)
    write_gradebook(rows_of("bo_2_2_03.ipynb", "ppp"), tmp_path, manifest)
    assert [path.name for path in (tmp_path / "feedback").iterdir()] == ["bo-2.html"]
    assert not list(tmp_path.glob(".*"))


BUILDERS = {
    "grades.csv": "grades_csv",
    "summary.csv": "summary_csv",
    "students.csv": "students_csv",
    "canvas.csv": "canvas_csv",
    "moodle.csv": "moodle_csv",
    "report.html": "report_html",
    "feedback/": "feedback_html",
}


@pytest.mark.parametrize("failing", BUILDERS)
def test_every_output_is_written_when_another_one_fails(failing, tmp_path, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a shape nobody foresaw")

    monkeypatch.setattr(f"course_lib.grading.outputs.{BUILDERS[failing]}", broken)
    rows = [*rows_of("annlee_1_1_03.ipynb", "ppp"), *rows_of("bo_2_2_03.ipynb", "pff")]
    written = write_gradebook(rows, tmp_path, load_manifest(), ["add_rollback"])
    pages = [f"feedback/{page}" for page in ("annlee-1.html", "bo-2.html")]
    expected = pages if failing == "feedback/" else [failing]
    assert written.problems == [
        f"{name} could not be written (RuntimeError: a shape nobody foresaw)" for name in expected
    ]
    for name in [*GRADEBOOK_FILES, *pages]:
        assert (tmp_path / name).is_file() == (name not in expected), name
    assert not list(tmp_path.glob(".*"))


def test_a_file_that_could_not_be_written_is_named_on_stderr_and_the_command_exits_1(tmp_path, monkeypatch, capsys):
    from course_lib.grading.shards import Shard, part_json

    rows = rows_of("annlee_1_1_03.ipynb", "ppp")
    (tmp_path / "part-1-of-1.json").write_text(part_json(Shard(1, 1), ["annlee_1_1_03.ipynb"], rows, ["add_rollback"]))
    monkeypatch.setattr("course_lib.grading.outputs.report_html", lambda *args: 1 / 0)
    assert main(["merge", str(tmp_path / "part-1-of-1.json"), "--out", str(tmp_path / "out")]) == 1
    printed = capsys.readouterr()
    assert printed.err == "error: report.html could not be written (ZeroDivisionError: division by zero)\n"
    assert printed.out.startswith("merged 1 submissions into ")
    assert (tmp_path / "out" / "grades.csv").is_file() and not (tmp_path / "out" / "report.html").exists()


def test_percentages_count_every_exercise_of_the_course_unless_told_which():
    manifest = load_manifest()
    rows = [
        *rows_of("Ann Lee_1_assignsubmission_file/03.ipynb", "ppp"),
        *rows_of("Bo Ek_2_assignsubmission_file/03.ipynb", "pff"),
    ]
    everything = student_records(rows, manifest)
    assert list(everything[0].points) == [lesson.exercise for lesson in manifest.lessons]
    assert everything[0].maximum == sum(len(lesson.checkpoints) for lesson in manifest.lessons)
    chosen = student_records(rows, manifest, ["add_rollback"])
    assert [(record.points, record.maximum, f"{record.percent:.2f}") for record in chosen] == [
        ({"add_rollback": 3}, 4, "75.00"),
        ({"add_rollback": 1}, 4, "25.00"),
    ]


def test_canvas_gets_a_column_only_for_an_exercise_some_file_was_received_for():
    """A column of zeros for an exercise nobody sent would overwrite that assignment's grades in Canvas."""
    manifest = load_manifest()
    records = student_records([*rows_of("leeann_7_1_03.ipynb", "ppp")], manifest, ["the_database", "add_rollback"])
    header = next(csv.reader(io.StringIO(canvas_csv(records, manifest))))
    assert header[5:] == ["Adding readers, and rolling back when a commit fails"]
    assert students_csv(records).splitlines()[0] == "student,student_id,the_database,add_rollback,total,max,percent"


def test_the_summary_notes_exercises_nobody_sent_files_not_counted_and_students_moodle_cannot_match():
    manifest = load_manifest()
    canvas = [
        *rows_of("leeann_7_1_03.ipynb", "ppp"),
        GradeRow("leeann_7_2_05.ipynb", "updating", "updating.book_19", "passed", 1, 1, "ok"),
    ]
    notes = gradebook_notes(canvas, student_records(canvas, manifest, ["the_database", "add_rollback"]))
    assert notes == [
        "percentages count 2 exercises, and no file came for 1 of them (the_database): "
        "grade --exercises chooses those that count",
        "files of updating are not counted (grade --exercises counts them)",
        "moodle.csv has no Moodle identifiers (not a Moodle download): Moodle would skip every row",
    ]
    mixed = [*rows_of("Ann Lee_1_assignsubmission_file/03.ipynb", "ppp"), *rows_of("bo/03.ipynb", "ppp")]
    assert gradebook_notes(mixed, student_records(mixed, manifest, ["add_rollback"])) == [
        "moodle.csv: 1 of 2 students have no Moodle identifier: Moodle skips them"
    ]
    moodle = rows_of("Ann Lee_1_assignsubmission_file/03.ipynb", "ppp")
    assert gradebook_notes(moodle, student_records(moodle, manifest, ["add_rollback"])) == []


def test_the_report_says_what_the_percentages_count_and_feedback_names_a_file_not_counted():
    manifest = load_manifest()
    rows = [
        *rows_of("annlee_1_1_03.ipynb", "ppp"),
        GradeRow("annlee_1_2_05.ipynb", "updating", "updating.book_19", "passed", 1, 1, "ok"),
    ]
    records = student_records(rows, manifest, ["the_database", "add_rollback"])
    page = report_html(rows, records, feedback_file_names(records), manifest)
    counted = sum(
        len(lesson.checkpoints) for lesson in manifest.lessons if lesson.exercise in ("the_database", "add_rollback")
    )
    assert (
        f"Percentages count 2 exercise(s), {counted} points: The book-club database (no file received), Adding readers"
        in page
    )
    assert "Not counted in this grading: <code>annlee_1_2_05.ipynb</code>" in feedback_html(records[0], manifest)


def test_the_progress_bar_names_the_submission_it_waits_for(capsys, monkeypatch):
    from course_lib.cli import ProgressBar

    monkeypatch.setenv("COLUMNS", "200")
    bar = ProgressBar(3)
    for name in ("a.ipynb", "slow/b.ipynb", "c.ipynb"):
        bar.started(name)
    bar.finished("a.ipynb")
    bar.finished("c.ipynb")
    waiting = capsys.readouterr().err.split("\r")[-1]
    assert waiting.strip() == "grading [####################..........] 2/3, waiting for slow/b.ipynb"
    bar.finished("slow/b.ipynb")
    done = capsys.readouterr().err.split("\r")[-1]
    assert done.endswith("\n") and done.rstrip() == "grading [##############################] 3/3"  # no name: all done
