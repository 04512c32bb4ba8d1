"""The checkpoint registry and the judging every checkpoint shares: not run, not done, raised, then its own check."""

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from course_lib.answers import AnswerRun
from course_lib.checks.verdict import Status, Verdict


@dataclass(frozen=True)
class Attempt:
    """What a check sees: the student's namespace and the latest run of the answer cell."""

    namespace: dict[str, Any]
    answer: AnswerRun
    transform: Callable[[str], str] = field(default=str)


@dataclass(frozen=True)
class Checkpoint:
    """One checkpoint: its id, the task (said while it is not done) and the judge of a finished attempt."""

    id: str
    task: str
    judge: Callable[[Attempt], Verdict]


CHECKPOINTS: dict[str, Checkpoint] = {}


def checkpoint(checkpoint_id: str, task: str) -> Callable[[Callable[[Attempt], Verdict]], Callable[[Attempt], Verdict]]:
    """Register the decorated function as the judge of a checkpoint."""

    def register(judge_attempt: Callable[[Attempt], Verdict]) -> Callable[[Attempt], Verdict]:
        CHECKPOINTS[checkpoint_id] = Checkpoint(checkpoint_id, task, judge_attempt)
        return judge_attempt

    return register


def judge(
    checkpoint_id: str,
    namespace: dict[str, Any],
    answer: AnswerRun | None,
    transform: Callable[[str], str] = str,
) -> Verdict:
    """The verdict on a checkpoint, given the student's namespace and the latest run of its answer cell."""
    found = CHECKPOINTS.get(checkpoint_id)
    if found is None:
        known = ", ".join(sorted(CHECKPOINTS))
        return Verdict(checkpoint_id, Status.CHECK_FAILED, f"There is no checkpoint of that name. Known: {known}.")
    if answer is None:
        return Verdict(
            checkpoint_id,
            Status.NOT_RUN,
            f"Run your answer cell first (the cell that starts with `# answer: {checkpoint_id}`), then this check.",
        )
    if is_placeholder(answer.source):
        return Verdict(checkpoint_id, Status.NOT_DONE, found.task)
    if answer.error is not None:
        return Verdict(checkpoint_id, Status.RAISED, _raised_message(answer.error))
    try:
        return found.judge(Attempt(namespace, answer, transform))
    except Exception as error:
        return Verdict(
            checkpoint_id,
            Status.CHECK_FAILED,
            f"The check itself failed ({describe_error(error)}). This is a bug in the kit: tell your instructor.",
        )


def is_placeholder(source: str) -> bool:
    """True when a cell holds nothing but comments, `pass`, `...` and assignments of `...`."""
    try:
        statements = ast.parse(source).body
    except SyntaxError:
        return False
    return all(_is_placeholder_statement(statement) for statement in statements)


def describe_error(error: BaseException) -> str:
    """`ExceptionName: first line of its message`, with the database's own words for SQLAlchemy errors."""
    cause = getattr(error, "orig", None) or error
    first_line = (str(cause).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__


def _raised_message(error: BaseException) -> str:
    message = f"Your answer cell stopped with {describe_error(error)}. Fix it, run it again, then run this check."
    if type(error).__name__ in ("IntegrityError", "PendingRollbackError"):
        message += " If you ran cells more than once, restart from a fresh database: run the notebook from the top."
    return message


def _is_ellipsis(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def _is_placeholder_statement(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Pass):
        return True
    if isinstance(statement, ast.Expr):
        return _is_ellipsis(statement.value)
    return isinstance(statement, ast.Assign) and _is_ellipsis(statement.value)
