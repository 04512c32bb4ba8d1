"""The checkpoint registry and the judging every checkpoint shares: not run, not done, raised, then its own check."""

import ast
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from course_lib.answers import AnswerRun
from course_lib.checks.verdict import Status, Verdict
from course_lib.manifest import load_manifest


@dataclass(frozen=True)
class Attempt:
    """What a check sees: the student's namespace, the latest run of the answer cell and of the ones before it."""

    namespace: dict[str, Any]
    answer: AnswerRun
    earlier: tuple[AnswerRun, ...] = ()
    transform: Callable[[str], str] = field(default=str)

    @property
    def sources(self) -> list[str]:
        """The sources of the earlier answer cells and this one, in course order."""
        return [run.source for run in (*self.earlier, self.answer)]


Judge = Callable[[Attempt], Verdict]
JUDGES: dict[str, Judge] = {}


def checkpoint(checkpoint_id: str) -> Callable[[Judge], Judge]:
    """Register the decorated function as the judge of a checkpoint listed in the manifest."""

    def register(judge_attempt: Judge) -> Judge:
        JUDGES[checkpoint_id] = judge_attempt
        return judge_attempt

    return register


def judge(
    checkpoint_id: str,
    namespace: dict[str, Any],
    latest: Callable[[str], AnswerRun | None],
    transform: Callable[[str], str] = str,
) -> Verdict:
    """The verdict on a checkpoint, given the student's namespace and the latest run of each answer cell."""
    manifest = load_manifest()
    info, found = manifest.checkpoint(checkpoint_id), JUDGES.get(checkpoint_id)
    if info is None or found is None:
        known = ", ".join(sorted(JUDGES))
        return Verdict(checkpoint_id, Status.CHECK_FAILED, f"There is no checkpoint of that name. Known: {known}.")
    answer = latest(checkpoint_id)
    if answer is None:
        return Verdict(
            checkpoint_id,
            Status.NOT_RUN,
            f"Run your answer cell first (the cell that starts with `# answer: {checkpoint_id}`), then this check.",
        )
    if is_placeholder(answer.source):
        return Verdict(checkpoint_id, Status.NOT_DONE, info.task)
    if answer.error is not None:
        return _raised(checkpoint_id, answer.error)
    earlier = tuple(run for id_ in manifest.checkpoints_before(checkpoint_id) if (run := latest(id_)) is not None)
    try:
        return found(Attempt(namespace, answer, earlier, transform))
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


KNOWN_ERRORS: tuple[tuple[type[BaseException], str, str], ...] = (
    (
        SyntaxError,
        'perhaps you meant "=="',
        'You wrote = inside a condition: = assigns, == compares. Write, for example, where(Reader.surname == "Adams").',
    ),
    (
        TypeError,
        "filter_by() takes 1 positional argument",
        'filter_by takes keyword arguments, filter_by(surname="Adams"), not an expression. '
        'An expression such as Reader.surname == "Adams" goes in where(...).',
    ),
)


def _raised(checkpoint_id: str, error: BaseException) -> Verdict:
    for kind, fragment, diagnosis in KNOWN_ERRORS:
        if isinstance(error, kind) and fragment in str(error):
            return Verdict(checkpoint_id, Status.MISTAKE, diagnosis)
    message = f"Your answer cell stopped with {describe_error(error)}. Fix it, run it again, then run this check."
    if type(error).__name__ in ("IntegrityError", "PendingRollbackError"):
        message += " If you ran cells more than once, restart from a fresh database: run the notebook from the top."
    return Verdict(checkpoint_id, Status.RAISED, message)


def _is_ellipsis(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def _is_placeholder_statement(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Pass):
        return True
    if isinstance(statement, ast.Expr):
        return _is_ellipsis(statement.value)
    return isinstance(statement, ast.Assign) and _is_ellipsis(statement.value)
