"""The gradebook built from grade rows: who each file is from, the student table, platform CSVs, feedback, report."""

import csv
import io

import pytest

from course_lib.authoring.manifest import load_manifest
from course_lib.grading.feedback import feedback_file_names, feedback_html
from course_lib.grading.gradebook import GradeRow
from course_lib.grading.outputs import write_gradebook
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
    records = student_records(rows, manifest)
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
    text = students_csv(student_records(rows, load_manifest()))
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
    table = list(csv.DictReader(io.StringIO(moodle_csv(student_records(rows, load_manifest())))))
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
