"""Grading across machines: shards, array-job environments, part files, merging; and one class graded end to end.

The end-to-end test grades a few notebooks named as Canvas and Moodle name them, once in one run, then in shards by
the commands of deploy/kubernetes-indexed-job.yaml and deploy/slurm-array.sh, and checks the merged gradebooks are
byte for byte the single run's.
"""

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

from course_lib.authoring.manifest import load_manifest
from course_lib.cli import main
from course_lib.grading.gradebook import GradeRow, write_atomically
from course_lib.grading.outputs import GRADEBOOK_FILES
from course_lib.grading.shards import (
    Shard,
    ShardError,
    merged_rows,
    parse_shard,
    part_json,
    shard_from_environment,
    shard_of,
)

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "03_add_and_rollback.ipynb"
HOSTILE = "</script><script>alert(1)</script>"
HOSTILE_FOLDER = '"><img src=x onerror=alert(1)>_78_assignsubmission_file'  # no "/" in a file name


@pytest.mark.parametrize("text", ["3/2", "0/2", "1/0", "x", "2", "-1/2", "1/2/3", ""])
def test_a_shard_that_does_not_exist_or_is_not_i_of_n_is_refused_with_the_reason(text):
    with pytest.raises(ShardError, match=r"i/N|no shard"):
        parse_shard(text)


def test_the_command_line_says_what_is_wrong_with_a_shard(tmp_path, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["grade", str(tmp_path), "--out", str(tmp_path / "out"), "--shard", "3/2"])
    assert stopped.value.code == 2
    assert "there is no shard 3/2: with N shards, i goes from 1 to N" in capsys.readouterr().err


def test_the_shard_comes_from_a_kubernetes_indexed_job_or_a_slurm_array():
    assert shard_from_environment({}) is None
    assert shard_from_environment({"JOB_COMPLETION_INDEX": "0", "COURSE_GRADE_SHARDS": "3"}) == Shard(1, 3)
    assert shard_from_environment({"JOB_COMPLETION_INDEX": "2"}, shards=3) == Shard(3, 3)
    slurm = {"SLURM_ARRAY_TASK_ID": "7", "SLURM_ARRAY_TASK_MIN": "5", "SLURM_ARRAY_TASK_COUNT": "4"}
    assert shard_from_environment(slurm) == Shard(3, 4)
    with pytest.raises(ShardError, match="COURSE_GRADE_SHARDS"):
        shard_from_environment({"JOB_COMPLETION_INDEX": "0"})
    with pytest.raises(ShardError, match="there is no shard 4/3"):
        shard_from_environment({"JOB_COMPLETION_INDEX": "3", "COURSE_GRADE_SHARDS": "3"})


def test_shards_split_the_class_into_disjoint_stable_shares():
    names = [f"student{number:03}/03_add_and_rollback.ipynb" for number in range(200)]
    shares = [{name for name in names if shard_of(name, 4) == index} for index in range(1, 5)]
    assert set().union(*shares) == set(names) and sum(map(len, shares)) == len(names)
    assert all(30 < len(share) < 70 for share in shares)
    assert shard_of("student007/03_add_and_rollback.ipynb", 4) == 3  # sha256 never changes: a shard can be re-run


def write_parts(folder: Path, count: int, names: list[str], skip: tuple[int, ...] = ()) -> None:
    folder.mkdir(exist_ok=True)
    for index in range(1, count + 1):
        if index in skip:
            continue
        rows = [GradeRow(name, "add_rollback", "add_rollback.add", "passed", 1, 1, "ok") for name in names]
        shard = Shard(index, count)
        mine = [row for row in rows if shard_of(row.submission, count) == index]
        (folder / shard.file_name).write_text(part_json(shard, names, mine, ["add_rollback"]), encoding="utf-8")


def test_merging_says_which_shards_are_missing(tmp_path):
    write_parts(tmp_path, 4, [f"s{number}.ipynb" for number in range(20)], skip=(2, 4))
    with pytest.raises(ShardError, match=r"missing shard\(s\) 2/4, 4/4 of 4: run `grade --shard I/4`"):
        merged_rows([tmp_path])


def test_merging_refuses_overlapping_parts_and_parts_of_different_gradings(tmp_path):
    names = [f"s{number}.ipynb" for number in range(20)]
    write_parts(tmp_path / "a", 2, names)
    write_parts(tmp_path / "b", 2, names)
    with pytest.raises(ShardError, match="shard 1/2 appears twice"):
        merged_rows([tmp_path / "a", tmp_path / "b" / "part-1-of-2.json"])
    write_parts(tmp_path / "c", 2, names[:-1])
    with pytest.raises(ShardError, match="different gradings"):
        merged_rows([tmp_path / "a" / "part-1-of-2.json", tmp_path / "c" / "part-2-of-2.json"])
    (tmp_path / "d.json").write_text("{}", encoding="utf-8")
    with pytest.raises(ShardError, match="not a part file"):
        merged_rows([tmp_path / "d.json"])


def test_the_merge_command_reports_a_missing_shard_and_writes_nothing(tmp_path, capsys):
    write_parts(tmp_path / "parts", 3, [f"s{number}.ipynb" for number in range(20)], skip=(3,))
    assert main(["merge", str(tmp_path / "parts"), "--out", str(tmp_path / "out")]) == 2
    assert "missing shard(s) 3/3" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def notebook_text(base: Path = SOLUTION, answers: dict[str, str] | None = None) -> str:
    notebook = nbformat.read(base, as_version=4)
    for cell in notebook.cells:
        checkpoint = cell.metadata.get("course", {}).get("checkpoint")
        if answers and checkpoint in answers and "answer" in cell.metadata.get("tags", []):
            cell.source = answers[checkpoint]
    return nbformat.writes(notebook)


CLASS = {
    "canvas/leeann_LATE_1001_5001_03_add_and_rollback-1.ipynb": notebook_text(
        answers={"add_rollback.add": f"# answer: add_rollback.add\ndb.session.add(new_reader)  # {HOSTILE}"}
    ),
    "canvas/leeann_1001_5002_01_the_database.ipynb": notebook_text(ROOT / "exercises" / "01_the_database.ipynb"),
    "canvas/smithbob_1002_5003_03_add_and_rollback.ipynb": "",
    "moodle/José O'Brien-Smith_77_assignsubmission_file/03_add_and_rollback.ipynb": notebook_text(
        answers={"add_rollback.commit": "# answer: add_rollback.commit\ndb.session.commit()"}
    ),
    f"moodle/{HOSTILE_FOLDER}/03_add_and_rollback.ipynb": notebook_text(),
}


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    for name, text in CLASS.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    out = tmp_path_factory.mktemp("single")
    assert main(["grade", str(folder), "--out", str(out), "--jobs", "2", "--timeout", "10"]) == 0
    return folder, out


TOTAL = str(sum(len(lesson.checkpoints) for lesson in load_manifest().lessons))  # a point per checkpoint


def percent(points: int) -> str:
    return f"{100 * points / int(TOTAL):.2f}"


def test_one_run_grades_canvas_and_moodle_downloads_into_a_student_table(graded_class):
    _, out = graded_class
    students = list(csv.reader((out / "students.csv").open(encoding="utf-8")))
    exercises = [lesson.exercise for lesson in load_manifest().lessons]  # all count: no --exercises was given
    assert students[0] == ["student", "student_id", *exercises, "total", "max", "percent"]
    points = dict(zip(exercises, list(zip(*students[1:], strict=True))[2:], strict=False))
    assert [row[:2] + row[-3:] for row in students[1:]] == [
        ['"><img src=x onerror=alert(1)>', "78", "4", TOTAL, percent(4)],
        ["José O'Brien-Smith", "77", "3", TOTAL, percent(3)],
        ["leeann", "1001", "4", TOTAL, percent(4)],
        ["smithbob", "1002", "0", TOTAL, percent(0)],
    ]
    assert points["the_database"] == ("0",) * 4 and points["add_rollback"] == ("4", "3", "4", "0")


def test_feedback_pages_escape_what_students_wrote(graded_class):
    _, out = graded_class
    pages = {path.name: path.read_text(encoding="utf-8") for path in (out / "feedback").iterdir()}
    assert sorted(pages) == ["img-src-x-onerror-alert-1-78.html", "josé-o-brien-smith-77.html", "leeann-1001.html",
                             "smithbob-1002.html"]  # fmt: skip
    assert (
        "db.session.add(new_reader)  # &lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"
        in pages["leeann-1001.html"]
    )
    assert all("<script" not in page and "<img" not in page for page in pages.values())
    assert "You committed without try/except." in pages["josé-o-brien-smith-77.html"]
    assert "the file is empty" in pages["smithbob-1002.html"]


def kubernetes_commands(parts: Path, submissions: Path) -> list[tuple[list[str], dict[str, str]]]:
    """The Indexed Job's command and environment for each of its completion indexes, paths pointed at the test's."""
    job = yaml.safe_load((ROOT / "deploy" / "kubernetes-indexed-job.yaml").read_text(encoding="utf-8"))
    assert job["spec"]["completionMode"] == "Indexed"
    container = job["spec"]["template"]["spec"]["containers"][0]
    environment = {item["name"]: item["value"] for item in container["env"]}
    assert environment["COURSE_GRADE_SHARDS"] == str(job["spec"]["completions"])
    mounts = {"python": sys.executable, "/submissions": str(submissions), "/results": str(parts)}
    command = [mounts.get(word, word) for word in container["command"]]
    return [
        (command, {**environment, "JOB_COMPLETION_INDEX": str(index)}) for index in range(job["spec"]["completions"])
    ]


def slurm_commands(parts: Path, submissions: Path) -> list[tuple[list[str], dict[str, str]]]:
    """The job array script and, for each task of its #SBATCH --array, the environment Slurm gives it."""
    script = ROOT / "deploy" / "slurm-array.sh"
    first, last = map(int, re.search(r"^#SBATCH --array=(\d+)-(\d+)$", script.read_text(), re.MULTILINE).groups())
    common = {"PYTHON": sys.executable, "SUBMISSIONS": str(submissions), "PARTS": str(parts)}
    common |= {"SLURM_ARRAY_TASK_MIN": str(first), "SLURM_ARRAY_TASK_COUNT": str(last - first + 1)}
    return [(["bash", str(script)], {**common, "SLURM_ARRAY_TASK_ID": str(task)}) for task in range(first, last + 1)]


@pytest.mark.parametrize("commands", [kubernetes_commands, slurm_commands], ids=["kubernetes", "slurm"])
def test_shards_run_by_the_deploy_manifests_merge_into_the_single_runs_gradebook(graded_class, tmp_path, commands):
    folder, single = graded_class
    for command, environment in commands(tmp_path / "parts", folder):
        environment = {**os.environ, "PYTHONPATH": str(ROOT), **environment}
        subprocess.run(command, env=environment, cwd=ROOT, check=True, capture_output=True, timeout=300)
    parts = sorted((tmp_path / "parts").glob("part-*.json"))
    assert len(parts) == 4 and sum(len(json.loads(part.read_text())["rows"]) > 0 for part in parts) >= 2
    copies = sorted(
        path.relative_to(tmp_path / "parts" / "graded").as_posix() for path in (tmp_path / "parts").rglob("*.ipynb")
    )
    assert copies == sorted(name for name, text in CLASS.items() if text)  # each under its own name: none overwritten
    assert main(["merge", *map(str, parts), "--out", str(tmp_path / "merged")]) == 0
    for name in GRADEBOOK_FILES:
        assert (tmp_path / "merged" / name).read_bytes() == (single / name).read_bytes(), name
    for page in (single / "feedback").iterdir():
        assert (tmp_path / "merged" / "feedback" / page.name).read_bytes() == page.read_bytes()
    assert main(["merge", str(tmp_path / "parts"), "--out", str(tmp_path / "strict"), "--strict"]) == 3


def test_the_summary_line_names_invalid_files_and_strict_makes_them_fail(graded_class, tmp_path, capsys):
    folder, _ = graded_class
    target = folder / "canvas" / "smithbob_1002_5003_03_add_and_rollback.ipynb"
    assert main(["grade", str(target), "--out", str(tmp_path), "--strict"]) == 3
    line = capsys.readouterr().out.strip()
    assert len(line.splitlines()) == 1
    assert line.endswith("1 invalid: smithbob_1002_5003_03_add_and_rollback.ipynb")


def good_part() -> dict:
    rows = [GradeRow("s1.ipynb", "add_rollback", "add_rollback.add", "passed", 1, 1, "ok")]
    return json.loads(part_json(Shard(1, 1), ["s1.ipynb"], rows, ["add_rollback"]))


def damaged_parts() -> dict[str, dict]:
    """A part file damaged in each field in turn: missing, or of another type; and rows damaged in each of theirs."""
    damaged = {}
    for field, value in good_part().items():
        if field == "format":
            continue
        damaged[f"no {field}"] = {key: item for key, item in good_part().items() if key != field}
        damaged[f"{field} of another type"] = {**good_part(), field: {"x": 1} if not isinstance(value, dict) else 1}
    for field in good_part()["rows"][0]:
        part = good_part()
        part["rows"][0][field] = None
        damaged[f"a row's {field} null"] = part
        part = good_part()
        del part["rows"][0][field]
        damaged[f"a row without {field}"] = part
    part = good_part()
    part["rows"][0]["points"] = "1"
    damaged["points as text"] = part
    damaged["a row that is a list"] = {**good_part(), "rows": [[1, 2]]}
    damaged["an exercise that is a number"] = {**good_part(), "exercises": [3]}
    damaged["a shard written wrong"] = {**good_part(), "shard": "1 of 1"}
    return damaged


@pytest.mark.parametrize("damage", damaged_parts())
def test_a_damaged_part_file_is_refused_in_one_line(damage, tmp_path, capsys):
    part = tmp_path / "part-1-of-1.json"
    part.write_text(json.dumps(damaged_parts()[damage]), encoding="utf-8")
    with pytest.raises(ShardError, match="is damaged"):
        merged_rows([part])
    assert main(["merge", str(part), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and "Traceback" not in err


def test_parts_of_gradings_counting_other_exercises_do_not_merge(tmp_path):
    names = [f"s{number}.ipynb" for number in range(10)]
    write_parts(tmp_path / "a", 2, names)
    (tmp_path / "a" / "part-2-of-2.json").write_text(
        part_json(Shard(2, 2), names, [], ["add_rollback", "updating"]), encoding="utf-8"
    )
    with pytest.raises(ShardError, match="different gradings"):
        merged_rows([tmp_path / "a"])


def test_merge_counts_the_exercises_the_parts_were_graded_with(tmp_path):
    write_parts(tmp_path / "parts", 2, ["Ann Lee_1_assignsubmission_file/03.ipynb", "bo/03.ipynb"])
    assert main(["merge", str(tmp_path / "parts"), "--out", str(tmp_path / "out")]) == 0
    header = (tmp_path / "out" / "students.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "student,student_id,add_rollback,total,max,percent"


def test_a_part_holds_what_a_notebook_held_even_a_lone_surrogate(tmp_path):
    rows = [GradeRow("s.ipynb", "add_rollback", "add_rollback.add", "failed", 0, 1, "raised: \ud800", "x = '\ud800'")]
    part = tmp_path / "part-1-of-1.json"
    write_atomically(part, part_json(Shard(1, 1), ["s.ipynb"], rows, ["add_rollback"]))
    assert merged_rows([part]) == (rows, ["add_rollback"])
