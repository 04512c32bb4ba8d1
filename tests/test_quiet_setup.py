"""Issue 13: no warning the student can do nothing about, at setup or at a kernel's start; their own still show."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_lib.authoring.execution import KERNEL_CONFIG

ROOT = Path(__file__).resolve().parent.parent
TCP_NOTICE = "Kernel is running over TCP without encryption"
RUN = """
import sys, nbformat
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell, new_notebook
from course_lib.authoring.execution import execute
notebook = new_notebook(cells=[new_code_cell("import warnings\\nwarnings.warn('my own warning')")])
if sys.argv[1] == "build":
    execute(notebook, __import__("pathlib").Path("."))
else:
    NotebookClient(notebook, kernel_name="python3", extra_arguments=sys.argv[2:]).execute()
print(notebook.cells[0].outputs)
"""


def started_kernel(*arguments: str) -> subprocess.CompletedProcess:
    """Run one cell that warns in a fresh kernel; the kernel's stderr is the process's."""
    return subprocess.run(
        [sys.executable, "-c", RUN, *arguments], capture_output=True, text=True, timeout=120, check=True
    )


def test_the_kits_kernel_config_drops_only_the_tcp_notice():
    import inspect

    from ipykernel.kernelapp import IPKernelApp

    # what ipykernel 7 logs at every start without the kit's settings (a venv made by `make setup` already has them)
    assert TCP_NOTICE in inspect.getsource(IPKernelApp.init_sockets)
    quiet = started_kernel("client", f"--config={KERNEL_CONFIG}", "--IPKernelApp.no_such_setting=1")
    assert TCP_NOTICE not in quiet.stderr
    assert "no_such_setting" in quiet.stderr  # the kernel application's other warnings still show
    assert "UserWarning: my own warning" in quiet.stdout  # and so do the student's, in the notebook


def test_notebooks_the_kit_executes_start_quiet_kernels():
    run = started_kernel("build")
    assert TCP_NOTICE not in run.stderr
    assert "UserWarning: my own warning" in run.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_setup_installs_the_kernel_config_in_the_venv():
    plan = subprocess.run(
        ["make", "-n", "-B", "setup", "VENV=/nonexistent/venv"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "cp etc/ipython/ipython_kernel_config.py /nonexistent/venv/etc/ipython/ipython_kernel_config.py" in plan


def test_the_editable_install_builds_without_a_build_backend_warning(tmp_path):
    project = tmp_path / "project"
    shutil.copytree(ROOT / "course_lib", project / "course_lib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", project)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", tmp_path / "venv"], check=True)
    pip = [sys.executable, "-m", "pip", "--python", str(tmp_path / "venv" / "bin" / "python"), "install"]
    run = subprocess.run(
        [*pip, "--no-deps", "--no-input", "--editable", str(project)], capture_output=True, text=True, timeout=300
    )
    if run.returncode != 0 and "setuptools" in run.stdout + run.stderr and "No matching distribution" in run.stderr:
        pytest.skip("no package index to build the editable install with")
    assert run.returncode == 0, run.stderr
    assert "BuildBackendWarning" not in run.stdout + run.stderr
    assert "Editable installation" not in run.stdout + run.stderr
