"""The grader's engine: kernels forked from a warm server, one process per notebook, runs that die are re-run."""

import json
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import psutil
import pytest

from course_lib.grading.engine import grading_environment, run_nbval
from course_lib.grading.forked_kernels import ForkedProcess, forking_supported
from course_lib.grading.kernel_source import kernel_source

pytestmark = pytest.mark.skipif(not forking_supported(), reason="forked kernels need os.fork (POSIX)")

PROBE = """
import os, sys
warm = "flask_sqlalchemy" in sys.modules
import course_lib
print(json.dumps({"warm": warm, "pid": os.getpid(), "cwd": os.getcwd(),
                  "left_by_another": getattr(course_lib, "left_here", None)}))
course_lib.left_here = os.getpid()
"""
KILL_THE_RUN = """
import psutil
for process in psutil.process_iter(["cmdline"]):
    if "pytest.main" in " ".join(process.info["cmdline"] or []):
        process.kill()
"""
KILL_THE_FORK_SERVER = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"


def notebook(folder: Path, name: str, *sources: str) -> Path:
    path = folder / name / "graded.ipynb"
    path.parent.mkdir(parents=True)
    cells = [nbformat.v4.new_code_cell("import json")] + [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path


def run(paths: list[Path], *, forked: bool = True, on_notebook_done=lambda _: None):
    with kernel_source(paths[0].parent.parent / "kernels", grading_environment(), forked=forked) as kernels:
        return run_nbval(paths, 30, kernels, on_notebook_done)


def probe_output(run, path: Path) -> dict:
    cells = nbformat.read(path, as_version=4).cells
    outputs = run.cells[cells[1].id]["outputs"]
    return json.loads(outputs[0]["text"])


def test_forked_kernels_start_warm_each_in_its_own_process(tmp_path):
    first, second = notebook(tmp_path, "a", PROBE), notebook(tmp_path, "b", PROBE)
    runs = run([first, second])
    seen = [probe_output(runs[path], path) for path in (first, second)]
    assert [probe["warm"] for probe in seen] == [True, True]  # the server had imported Flask-SQLAlchemy
    assert seen[0]["pid"] != seen[1]["pid"]
    assert [probe["left_by_another"] for probe in seen] == [None, None]  # nothing leaks from one kernel to the next
    assert [Path(probe["cwd"]) for probe in seen] == [first.parent, second.parent]


def test_ordinary_kernels_start_cold(tmp_path):
    path = notebook(tmp_path, "a", PROBE)
    assert probe_output(run([path], forked=False)[path], path)["warm"] is False


@pytest.mark.parametrize(
    ("forked", "hostile_code"),
    [(True, KILL_THE_RUN), (False, KILL_THE_RUN), (True, KILL_THE_FORK_SERVER)],
    ids=["forked, nbval killed", "ordinary, nbval killed", "forked, fork server killed"],
)
def test_a_run_killed_by_one_notebook_is_run_again_for_the_others(tmp_path, forked, hostile_code):
    hostile = notebook(tmp_path, "hostile", hostile_code)
    good = [notebook(tmp_path, f"good{number}", "print(6 * 7)") for number in range(2)]
    done: list[Path] = []
    runs = run([hostile, *good], forked=forked, on_notebook_done=done.append)
    for path in good:
        outputs = [record["outputs"] for record in runs[path].cells.values()]
        assert outputs[1] == [{"output_type": "stream", "name": "stdout", "text": "42\n"}]
    assert sorted(done) == sorted([hostile, *good])  # each notebook reported once, the hostile one included


def test_a_forked_process_tolerates_signals_after_it_ended():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    ended = ForkedProcess(child.pid)
    ended.send_signal(9)  # no ProcessLookupError, as with Popen
    assert ended.poll() == -1
    assert ended.wait(timeout=1) == -1


def test_killing_a_forked_process_ends_it():
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    running = ForkedProcess(child.pid)
    assert running.poll() is None
    running.kill()
    assert child.wait(timeout=10) == -9


def test_the_fork_server_ends_when_the_grader_dies(tmp_path):
    grader = (
        "import os, sys; from pathlib import Path; from course_lib.grading.forked_kernels import start_fork_server; "
        "server, _ = start_fork_server(Path(sys.argv[1]) / 'server', dict(os.environ)); print(server.pid, flush=True); "
        "os._exit(0)"
    )
    output = subprocess.run([sys.executable, "-c", grader, str(tmp_path)], capture_output=True, text=True, check=True)
    assert _gone_within(int(output.stdout), seconds=30)


def _gone_within(pid: int, seconds: float) -> bool:
    """Wait until the process has ended, for at most `seconds`; True if it did."""
    deadline = time.monotonic() + seconds
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return not _running(pid)


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_no_kernel_or_server_outlives_a_run(tmp_path):
    before = _kernels_and_servers()
    run([notebook(tmp_path, "a", "print(1)")])
    assert _kernels_and_servers() <= before


def _kernels_and_servers() -> set[int]:
    """Running processes that are kernels or fork servers (a forked kernel shows the server's command line)."""
    found = set()
    for process in psutil.process_iter(["cmdline"]):
        command = " ".join(process.info["cmdline"] or [])
        if ("ipykernel" in command or "fork_server" in command) and _running(process.pid):
            found.add(process.pid)
    return found


def test_kernels_left_by_a_killed_run_are_ended_and_no_other_process(tmp_path, monkeypatch):
    from nbval.kernel import RunningKernel

    from course_lib.grading.forked_kernels import KERNEL_PIDS_VARIABLE

    pid_file = tmp_path / "kernels.txt"
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    with kernel_source(tmp_path / "kernels", grading_environment(), forked=True) as source:
        options, variables = source.nbval_options()
        for name, value in {**variables, KERNEL_PIDS_VARIABLE: str(pid_file)}.items():
            monkeypatch.setenv(name, value)
        kernel = RunningKernel(options[-1], cwd=str(tmp_path))  # as nbval starts it; then nbval "is killed"
        kernel.kc.stop_channels()
        kernel_pid = kernel.km.provisioner.pid
        with pid_file.open("a") as pids:
            pids.write(f"{bystander.pid}\n")  # a pid in the file that is not one of our kernels
        source.end_kernels(pid_file)
        assert _gone_within(kernel_pid, seconds=10)
        kernel.km.shutdown_kernel(now=True)  # release the manager's sockets, or their context blocks at exit
        kernel.km.context.destroy(linger=0)
    assert bystander.poll() is None
    bystander.kill()
    bystander.wait()


def test_the_grader_plugins_do_not_import_the_lesson_library():
    """nbval's processes load the capture plugin and the provisioner: Flask-SQLAlchemy would cost them half a second."""
    code = (
        "import sys, course_lib.grading.capture, course_lib.grading.forked_kernels; "
        "print('flask_sqlalchemy' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_the_lesson_names_are_still_importable_from_the_package():
    import course_lib
    from course_lib import Reader, check, start_lesson

    assert Reader.__name__ == "Reader" and callable(check) and callable(start_lesson)
    assert {"Reader", "db", "start_lesson"} <= set(dir(course_lib))
    with pytest.raises(AttributeError, match="no attribute 'Raeder'"):
        course_lib.Raeder  # noqa: B018


def test_a_bad_request_gets_an_answer_and_the_server_goes_on(tmp_path):
    import socket

    from course_lib.grading.forked_kernels import start_fork_server

    server, _ = start_fork_server(tmp_path / "server", grading_environment())
    try:
        for request in (b"not json\n", b'{"cwd": "/nowhere"}\n'):
            with socket.socket(socket.AF_UNIX) as client:
                client.connect(str(tmp_path / "server" / "fork-server.sock"))
                client.sendall(request)
                assert "error" in json.loads(client.makefile().readline())
        assert server.poll() is None
    finally:
        server.kill()
        server.wait()
