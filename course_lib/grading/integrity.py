"""Inside a graded kernel: notices student code that tampers with the checking machinery."""

import sys
from typing import Any

from IPython import get_ipython

import course_lib.checks as checks_package
from course_lib.checks import registry as checkpoint_module
from course_lib.classroom.answer_log import ANSWERS, AnswerLog

INTACT = "integrity: intact"
_baseline: dict[str, Any] = {}


def fingerprint() -> dict[str, Any]:
    """What student code must leave as it is for the checks to be trusted."""
    shell = get_ipython()
    return {
        "check function": checks_package.check,
        "check in the notebook": shell.user_ns.get("check"),
        "judge function": checkpoint_module.judge,
        "registered judges": tuple(checkpoint_module.all_judges().items()),
        "answer recording": (AnswerLog.record, AnswerLog._record_result, ANSWERS.latest),
        "post-run hooks": tuple(shell.events.callbacks["post_run_cell"]),
        "tracebacks": (shell.showtraceback, shell.showsyntaxerror, shell.custom_exceptions, sys.excepthook),
        "input transformers": (
            tuple(shell.input_transformers_cleanup),
            tuple(shell.input_transformers_post),
            tuple(shell.ast_transformers),
            shell.transform_cell,
        ),
        "display": (sys.displayhook, shell.display_pub.publish, shell.displayhook.__call__),
    }


def start_audit() -> None:
    """Remember the machinery as it is before any student code runs."""
    _baseline.clear()
    _baseline.update(fingerprint())


def finish_audit() -> None:
    """Print INTACT, or which parts of the machinery changed since `start_audit`."""
    now = fingerprint()
    changed = [name for name, value in _baseline.items() if not _same(value, now[name])]
    print(INTACT if _baseline and not changed else f"integrity: changed: {', '.join(changed) or 'no baseline'}")


def _same(before: Any, after: Any) -> bool:
    if isinstance(before, tuple) and isinstance(after, tuple):
        return len(before) == len(after) and all(_same(one, other) for one, other in zip(before, after, strict=True))
    return before is after or before == after
