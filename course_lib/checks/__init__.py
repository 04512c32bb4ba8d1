"""Checkpoints that answer at once: `check("add_rollback.commit")` in a check cell shows the verdict."""

from IPython import get_ipython
from IPython.display import display

from course_lib.answers import ANSWERS
from course_lib.checks import add_and_commit, add_rollback, deleting, reading, the_database, updating
from course_lib.checks.checkpoint import JUDGES, judge
from course_lib.checks.verdict import Status, Verdict

__all__ = [
    "JUDGES",
    "Status",
    "Verdict",
    "add_and_commit",
    "add_rollback",
    "check",
    "deleting",
    "judge",
    "reading",
    "the_database",
    "updating",
]


def check(checkpoint_id: str) -> None:
    """Judge a checkpoint against the notebook's own namespace and show the verdict under the cell."""
    shell = get_ipython()
    if shell is None:
        print("Checks run inside a Jupyter notebook: open the exercise in JupyterLab.")
        return
    display(judge(checkpoint_id, shell.user_ns, ANSWERS.latest, shell.transform_cell))
