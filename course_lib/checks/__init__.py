"""Checkpoints that answer at once: `check("add_rollback.commit")` in a check cell shows the verdict."""

from course_lib.checks.admission import held_message, refusals
from course_lib.checks.registry import all_judges, judge
from course_lib.checks.verdict import Status, Verdict

__all__ = ["Status", "Verdict", "all_judges", "check", "judge"]


def check(checkpoint_id: str) -> None:
    """Judge a checkpoint against the notebook's own namespace and show the verdict under the cell."""
    from IPython import get_ipython
    from IPython.display import display

    from course_lib.authoring.manifest import load_manifest
    from course_lib.classroom.answer_log import ANSWERS

    shell = get_ipython()
    if shell is None:
        print("Checks run inside a Jupyter notebook: open the exercise in JupyterLab.")
        return
    held = refusals(enumerate(ANSWERS.ran_cells()))
    if held:
        display(Verdict(checkpoint_id, Status.HELD, held_message(held)))
        return
    ids = [checkpoint_id, *load_manifest().checkpoints_before(checkpoint_id)]
    display(judge(checkpoint_id, shell.user_ns, ANSWERS.latest, shell.transform_cell, ANSWERS.ran_again(ids)))
