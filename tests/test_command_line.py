"""Bad input gets one sentence: every option and setting each command reads, checked before any work; help that is
right. No test here grades a notebook: each bad input is refused before grading would start."""

import argparse
import re
import socket
from pathlib import Path

import pytest

from course_lib.arguments import cell_seconds, course_exercises, port_number, positive_whole_number
from course_lib.cli import main
from course_lib.protocol import DATABASE_VARIABLE

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "03_add_and_rollback.ipynb"
COMMANDS = ("build", "check", "grade", "merge", "progress", "mutate", "app")


@pytest.fixture
def places(tmp_path):
    """A class of one notebook, a file, an empty folder, a link to nothing, and where an out folder would go."""
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "03_add_and_rollback.ipynb").write_bytes(SOLUTION.read_bytes())
    (tmp_path / "a file").write_text("x")
    (tmp_path / "empty").mkdir()
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    return tmp_path


GRADE = ["grade", "{class}", "--out", "{out}"]
BAD_ARGUMENTS = {
    "negative timeout": ([*GRADE, "--timeout", "-1"], "--timeout"),
    "zero timeout": ([*GRADE, "--timeout", "0"], "--timeout"),
    "timeout not a number": ([*GRADE, "--timeout", "soon"], "--timeout"),
    "timeout nan": ([*GRADE, "--timeout", "nan"], "--timeout"),
    "timeout infinite": ([*GRADE, "--timeout", "inf"], "--timeout"),
    "timeout above a day": ([*GRADE, "--timeout", "1e9"], "--timeout"),
    "zero jobs": ([*GRADE, "--jobs", "0"], "--jobs"),
    "negative jobs": ([*GRADE, "--jobs", "-3"], "--jobs"),
    "fractional jobs": ([*GRADE, "--jobs", "1.5"], "--jobs"),
    "out is a file": (["grade", "{class}", "--out", "{tmp}/a file"], "is a file"),
    "out below a file": (["grade", "{class}", "--out", "{tmp}/a file/gradebook"], "which is a file"),
    "out a link to nothing": (["grade", "{class}", "--out", "{tmp}/dangling"], "a link to nothing"),
    "out where no folder can be made": (["grade", "{class}", "--out", "/proc/gradebook"], "no folder can be made"),
    "shard out of range": ([*GRADE, "--shard", "3/2"], "no shard 3/2"),
    "shard not i/N": ([*GRADE, "--shard", "half"], "i/N"),
    "zero shards": ([*GRADE, "--shards", "0"], "--shards"),
    "shards beside another shard count": ([*GRADE, "--shard", "1/2", "--shards", "3"], "--shards is for array jobs"),
    "unknown exercise": ([*GRADE, "--exercises", "add_rollback,nonsense"], "no exercise 'nonsense'"),
    "no exercise named": ([*GRADE, "--exercises", ""], "no exercise ''"),
    "exercise number out of range": ([*GRADE, "--exercises", "09"], "no exercise '09'"),
    "missing submissions": (["grade", "{tmp}/nowhere", "--out", "{out}"], "No such file or folder"),
    "no notebook": (["grade", "{tmp}/empty", "--out", "{out}"], "no .ipynb file"),
    "grade without out": (["grade", "{class}"], "--out"),
    "merge out is a file": (["merge", "{tmp}/empty", "--out", "{tmp}/a file"], "is a file"),
    "merge missing parts": (["merge", "{tmp}/nowhere", "--out", "{out}"], "no such part file or folder"),
    "merge no part": (["merge", "{tmp}/empty", "--out", "{out}"], "no part file"),
    "progress zero jobs": (["progress", "{class}", "--jobs", "0"], "--jobs"),
    "progress negative timeout": (["progress", "{class}", "--timeout", "-1"], "--timeout"),
    "progress missing folder": (["progress", "{tmp}/nowhere"], "No such file or folder"),
    "app port above 65535": (["app", "--port", "99999"], "--port"),
    "app port zero": (["app", "--port", "0"], "--port"),
    "app port negative": (["app", "--port", "-1"], "--port"),
    "app port not a number": (["app", "--port", "http"], "--port"),
    "app unknown host": (["app", "--host", "no-such-host.invalid", "--port", "5999"], "--host"),
    "app host not of this machine": (["app", "--host", "192.0.2.1", "--port", "5999"], "not an address of this"),
    "unknown command": (["frobnicate"], "invalid choice"),
    "unknown option": (["grade", "{class}", "--out", "{out}", "--fast"], "unrecognized arguments: --fast"),
    **{
        f"{command} root missing": ([command, "--root", "{tmp}/nowhere"], "no such folder")
        for command in ("build", "check", "mutate")
    },
    **{
        f"{command} root a file": ([command, "--root", "{tmp}/a file"], "not a folder")
        for command in ("build", "check")
    },
    **{
        f"{command} root empty": ([command, "--root", "{tmp}/empty"], "not a course checkout")
        for command in ("build", "check", "mutate")
    },
}


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    """The command's exit status, what it printed on stdout, and on stderr (argparse exits; the kit returns)."""
    try:
        status = main(argv)
    except SystemExit as stop:
        status = stop.code
    printed = capsys.readouterr()
    return status, printed.out, printed.err


def assert_one_line(status: int, out: str, err: str, expected: str) -> None:
    assert status == 2, (status, out, err)
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and expected in err, err
    assert "Traceback" not in out + err and out == ""


@pytest.mark.parametrize("name", BAD_ARGUMENTS)
def test_a_bad_argument_gets_one_line_and_status_2_before_any_work(name, places, capsys):
    words, expected = BAD_ARGUMENTS[name]
    spots = {"class": places / "class", "out": places / "out", "tmp": places}
    status, out, err = run([word.format(**spots) for word in words], capsys)
    assert_one_line(status, out, err, expected)
    assert not (places / "out").exists()  # nothing was written: refused before any work


BAD_SETTINGS = {
    "PORT not a number": ({"PORT": "http"}, ["app"], "$PORT"),
    "PORT out of range": ({"PORT": "70000"}, ["app"], "$PORT"),
    **{
        f"{DATABASE_VARIABLE}={value} for {command}": ({DATABASE_VARIABLE: value}, [command], expected)
        for value, expected in (
            ("nonsense", "not a database URL"),
            ("foo://x", "does not know"),
            ("mysql://user@host/db", "driver is not installed"),
        )
        for command in ("app", "build", "check", "mutate")
    },
}


@pytest.mark.parametrize("name", BAD_SETTINGS)
def test_a_bad_setting_gets_one_line_naming_it_and_what_it_accepts(name, monkeypatch, capsys):
    environment, argv, expected = BAD_SETTINGS[name]
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    status, out, err = run([*argv, *(["--root", str(ROOT)] if argv[0] != "app" else [])], capsys)
    assert_one_line(status, out, err, expected)
    assert next(iter(environment)) in err
    if DATABASE_VARIABLE in environment:
        assert "accepts: nothing (unset or empty: in-memory SQLite), `postgresql`" in err
        assert "user@host" not in err  # a URL with a user part may hold a password: never repeated


def test_a_port_in_use_gets_one_line(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        status, out, err = run(["app", "--port", str(taken.getsockname()[1])], capsys)
    assert_one_line(status, out, err, "is in use by another program")


@pytest.mark.parametrize(
    ("parse", "good", "bad"),
    [
        (positive_whole_number, {"1": 1, "16": 16, " 2 ": 2}, ["0", "-1", "1.5", "", "two", "1e3"]),
        (cell_seconds, {"0.5": 0.5, "30": 30.0, "86400": 86400.0}, ["0", "-0.1", "nan", "inf", "86401", "", "x"]),
        (port_number, {"1": 1, "5000": 5000, "65535": 65535}, ["0", "65536", "99999", "-80", "", "80.5"]),
    ],
)
def test_numbers_are_accepted_in_their_range_only(parse, good, bad):
    assert {text: parse(text) for text in good} == good
    for text in bad:
        with pytest.raises(argparse.ArgumentTypeError):
            parse(text)


def test_exercises_are_named_as_the_gradebook_names_them_by_notebook_or_by_number():
    assert course_exercises("add_rollback") == ["add_rollback"]
    assert course_exercises("05,03_add_and_rollback, 3") == ["add_rollback", "updating"]  # course order, once each
    assert course_exercises("07_flask_views.ipynb,the_database") == ["the_database", "flask_views"]


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_each_default_once_no_default_for_a_required_option_and_only_the_commands_own_options(
    command, capsys
):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    text = capsys.readouterr().out
    assert "(default: None)" not in text and "(default: False)" not in text
    entries = re.split(r"\n  (?=-)", text.split("options:", 1)[1].split("\n\n", 1)[0])
    assert all(entry.count("(default:") <= 1 for entry in entries), entries
    own = set(re.findall(r"^  (-[-\w]+)", text.split("options:", 1)[1], re.MULTILINE))
    named = set(re.findall(r"(?<!grade )(?<![\w-])(--[a-z][-a-z]*)", text))  # `grade --shard`: another command's
    assert named <= own | {"--help"}, named - own  # merge's help named --require-sandbox, which it does not have


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"JOB_COMPLETION_INDEX": "first", "COURSE_GRADE_SHARDS": "4"}, "$JOB_COMPLETION_INDEX must be a whole number"),
        ({"JOB_COMPLETION_INDEX": "0"}, "$COURSE_GRADE_SHARDS must be a whole number"),
        ({"JOB_COMPLETION_INDEX": "4", "COURSE_GRADE_SHARDS": "4"}, "there is no shard 5/4"),
        ({"JOB_COMPLETION_INDEX": "0", "COURSE_GRADE_SHARDS": "-2"}, "$COURSE_GRADE_SHARDS must be a whole number"),
        ({"SLURM_ARRAY_TASK_ID": "3"}, "$SLURM_ARRAY_TASK_MIN must be a whole number"),
        ({"SLURM_ARRAY_TASK_ID": "9", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_COUNT": "4"}, "no shard 9/4"),
    ],
)
def test_an_array_jobs_bad_shard_variables_get_one_line(environment, expected, places, monkeypatch, capsys):
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    status, out, err = run(["grade", str(places / "class"), "--out", str(places / "out")], capsys)
    assert_one_line(status, out, err, expected)
    assert not (places / "out").exists()
