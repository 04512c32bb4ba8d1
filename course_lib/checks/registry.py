"""The checkpoint registry, and the judging every checkpoint shares: unknown, not run, not done, raised, then its own.

A checkpoint's judge has two halves. `collect` runs where the student's code runs (the notebook's kernel, or the
grader's sandbox): it looks at the answer, replays it on scratch databases if it must, and returns plain JSON data,
the evidence. `rule` turns evidence into a finding and never runs student code, so the grader can apply it in its own
trusted process. In a notebook both halves run one after the other: one engine for the student and the grader.
"""

import ast
import importlib
import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from course_lib.authoring.manifest import load_manifest
from course_lib.checks.reference import committed_difference, reference_answer, reference_evidence
from course_lib.checks.verdict import Finding, Status, Verdict
from course_lib.classroom.answer_log import AnswerRun
from course_lib.classroom.short_errors import error_in_words

EXERCISES_PACKAGE = "course_lib.checks.exercises"
COLLECT_FAILED = "collect failed"  # the key of the evidence of a collect that raised
WARNINGS = "library warnings"  # the key of what the libraries warned while the answer was judged
BACKGROUND_LINK = re.compile(r" ?\(Background on .*")
CLOBBERED = "model attributes replaced"  # the key of the evidence when student code replaced a model's column

#: Plain JSON data: what a judge's collect half saw.
Evidence = dict[str, Any]


class CurrentNamespace(dict):
    """The student's namespace without leftovers: the names earlier runs of answer cells left behind are in `stale`."""

    stale: frozenset[str] = frozenset()


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


@dataclass(frozen=True)
class Judge:
    """A checkpoint's judge: evidence collected beside the student's code, and the rule that decides on it.

    A judge that `compares` decides by comparing the evidence with the reference solution's, collected the same way
    when the course was built (`checks/reference.py`): its rule takes both.
    """

    collect: Callable[[Attempt], Evidence]
    rule: Callable[..., Finding]
    compares: bool = False


_JUDGES: dict[str, Judge] = {}


def checkpoint(
    checkpoint_id: str, *, collect: Callable[[Attempt], Evidence], compares: bool = False
) -> Callable[[Callable], Callable]:
    """Register the decorated rule, with its collect half, as the judge of a checkpoint listed in the manifest."""

    def register(rule: Callable[..., Finding]) -> Callable[..., Finding]:
        _JUDGES[checkpoint_id] = Judge(collect, rule, compares)
        return rule

    return register


def judge_of(checkpoint_id: str) -> Judge | None:
    """The judge of a checkpoint of the course, its exercise's module imported at the first use (None if unknown)."""
    exercise = checkpoint_id.partition(".")[0]
    if checkpoint_id not in _JUDGES and exercise in {lesson.exercise for lesson in load_manifest().lessons}:
        importlib.import_module(f"{EXERCISES_PACKAGE}.{exercise}")
    return _JUDGES.get(checkpoint_id)


def all_judges() -> dict[str, Judge]:
    """Every registered judge, each exercise's module imported."""
    for lesson in load_manifest().lessons:
        importlib.import_module(f"{EXERCISES_PACKAGE}.{lesson.exercise}")
    return dict(_JUDGES)


RAN_AGAIN_HINT = (
    "An answer cell of yours ran more than once: if the database refused what an earlier run had already saved, run "
    "the setup cell (start_lesson()) again, then your cells from the top."
)
RUN_FROM_THE_TOP = (
    "Your answers are right when they run from the top on a fresh database, but this notebook's database still "
    "holds what earlier runs of your answer cells did (one of them ran more than once). Run the setup cell "
    "(start_lesson()) again, then your answer cells from the top, and check again."
)


def judge(
    checkpoint_id: str,
    namespace: dict[str, Any],
    latest: Callable[[str], AnswerRun | None],
    transform: Callable[[str], str] = str,
    ran_again: bool = False,
) -> Verdict:
    """The verdict on a checkpoint in a notebook: evidence collected from its namespace, then decided.

    `ran_again` says an answer cell of this checkpoint or one before it ran more than once since the lesson began:
    a mistake is then judged once more as if the notebook had run from the top, and if it passes that way the
    student is told to start again from a fresh database, not blamed for what earlier runs left behind.
    """
    answer = latest(checkpoint_id) if judge_of(checkpoint_id) else None
    if answer is None or answer.error is not None or is_placeholder(answer.source):
        error = described_error(answer.error) if answer and answer.error else None
        verdict = decide(checkpoint_id, answer.source if answer else None, error, None)
        if (
            verdict.status is Status.RAISED
            and ran_again
            and {"IntegrityError", "PendingRollbackError"} & {*(error or {}).get("types", ())}
        ):
            return Verdict(checkpoint_id, verdict.status, f"{verdict.message} {RAN_AGAIN_HINT}")
        return verdict
    earlier = earlier_answers(checkpoint_id, latest)
    current = CurrentNamespace({name: value for name, value in namespace.items() if name not in answer.stale})
    current.stale = answer.stale & namespace.keys()
    evidence = collect_evidence(checkpoint_id, Attempt(current, answer, earlier, transform))
    verdict = decide(checkpoint_id, answer.source, None, evidence)
    if (
        verdict.status is Status.MISTAKE
        and ran_again
        and _passes_from_the_top(checkpoint_id, current, answer, earlier, transform)
    ):
        return Verdict(checkpoint_id, Status.NOT_RUN, RUN_FROM_THE_TOP)
    return verdict


def _passes_from_the_top(
    checkpoint_id: str,
    namespace: dict[str, Any],
    answer: AnswerRun,
    earlier: tuple[AnswerRun, ...],
    transform: Callable[[str], str],
) -> bool:
    """True when the answers, run in order on a fresh database as the grader runs them, pass this checkpoint."""
    from course_lib.checks.judging.replay import run_answers, scratch_database, scratch_namespace

    with scratch_database() as scratch_app:
        fresh = scratch_namespace(namespace, scratch_app)
        if run_answers([run.source for run in (*earlier, answer)], fresh, transform) is not None:
            return False
        evidence = collect_evidence(checkpoint_id, Attempt(CurrentNamespace(fresh), answer, earlier, transform))
        return decide(checkpoint_id, answer.source, None, evidence).status is Status.PASSED


def earlier_answers(checkpoint_id: str, latest: Callable[[str], AnswerRun | None]) -> tuple[AnswerRun, ...]:
    """The latest run of each answer before this checkpoint, in course order, as its check replays them.

    An answer that never finished (interrupted, or stopped at its time limit) is replaced by the reference's: run
    again, it would only hang once more, and a hanging answer must cost its own checkpoint, not the ones after it.
    """
    runs = []
    for id_ in load_manifest().checkpoints_before(checkpoint_id):
        run = latest(id_)
        if run is not None and run.error is not None and not isinstance(run.error, Exception):
            reference = reference_answer(id_)
            run = AnswerRun(id_, reference, None, run.stale) if reference is not None else run
        if run is not None:
            runs.append(run)
    return tuple(runs)


def collect_evidence(checkpoint_id: str, attempt: Attempt) -> Evidence:
    """The untrusted half: what the checkpoint's judge collects, as plain JSON data (a failure is evidence too)."""
    found = judge_of(checkpoint_id)
    try:
        if found is None:
            raise LookupError(f"no judge for {checkpoint_id}")
        from course_lib.bookclub.models import clobbered_attributes

        if clobbered := clobbered_attributes():
            return {CLOBBERED: clobbered}
        with warnings.catch_warnings(record=True) as warned:
            warnings.simplefilter("always")
            evidence = json.loads(json.dumps(found.collect(attempt)))
        said = list(dict.fromkeys(_warning_in_words(warning.message) for warning in warned))
        return evidence | ({WARNINGS: said} if said and isinstance(evidence, dict) else {})
    except Exception as error:
        return {COLLECT_FAILED: describe_error(error)}


def _warning_in_words(message: Warning | str) -> str:
    """A library warning as a tip's words: its kind and first sentence, never a file path or a link."""
    kind = type(message).__name__ if isinstance(message, Warning) else "Warning"
    first = re.split(r"(?<=[.!?])\s", str(message).strip(), maxsplit=1)[0]
    return f"{kind}: {BACKGROUND_LINK.sub('', first)}"


@dataclass(frozen=True)
class Witness:
    """What the grader knows beyond a judge's evidence: the database's word, and the answer as the notebook ran it.

    `stored` is what the lesson's database held as committed, read in the database file by the sandbox's runner,
    never told by the student's process; `as_run` and `run_again` observe the answer as the notebook ran and as a
    check runs it again (`judging/observation.py`). A pass stands only if the first agrees with the reference and
    the other two with each other.
    """

    stored: Any
    as_run: Any = None
    run_again: Any = None
    stored_before: Any = None  # what was committed at the checkpoint before this one


def decide(
    checkpoint_id: str,
    source: str | None,
    error: dict[str, Any] | None,
    evidence: Any,
    witness: Witness | None = None,
) -> Verdict:
    """The trusted half: a verdict from the answer's source, the error it stopped with, the evidence; runs no code."""
    info, found = load_manifest().checkpoint(checkpoint_id), judge_of(checkpoint_id)
    if info is None or found is None:
        known = ", ".join(item.id for item in load_manifest().checkpoint_infos())
        return Verdict(checkpoint_id, Status.CHECK_FAILED, f"There is no checkpoint of that name. Known: {known}.")
    if source is None:
        return Verdict(
            checkpoint_id,
            Status.NOT_RUN,
            f"Run your answer cell first (the cell that starts with `# answer: {checkpoint_id}`), then this check.",
        )
    if is_placeholder(source):
        return Verdict(checkpoint_id, Status.NOT_DONE, info.task)
    if error is not None:
        return _raised(checkpoint_id, error)
    if isinstance(evidence, dict) and CLOBBERED in evidence:
        return Verdict(checkpoint_id, Status.MISTAKE, _clobbered_message(evidence[CLOBBERED]))
    try:
        if not isinstance(evidence, dict) or COLLECT_FAILED in evidence:
            raise ValueError(evidence.get(COLLECT_FAILED) if isinstance(evidence, dict) else "no evidence")
        if found.compares:
            reference = reference_evidence(checkpoint_id)
            if reference is None:
                raise LookupError("the reference's record is missing: run `make build`")
            finding = found.rule(evidence, reference)
        else:
            finding = found.rule(evidence)
        if not isinstance(finding, Finding) or not isinstance(finding.message, str):
            raise TypeError("the rule gave no finding")
    except Exception as failure:
        return Verdict(
            checkpoint_id,
            Status.CHECK_FAILED,
            f"The check itself failed ({describe_error(failure)}). This is a bug in the kit: tell your instructor.",
        )
    tips = [f" Tip: the library warned as your answer ran ({said})." for said in evidence.get(WARNINGS, [])]
    if tips and "Tip:" not in finding.message:
        finding = Finding(finding.status, finding.message + "".join(tips[:1]))
    if finding.status is Status.PASSED and witness is not None:
        from course_lib.checks.judging.observation import run_difference

        difference = run_difference(witness.as_run, witness.run_again)
        difference = difference or committed_difference(checkpoint_id, witness.stored, witness.stored_before)
        if difference is not None:
            return Verdict(checkpoint_id, Status.MISTAKE, difference)
    return Verdict(checkpoint_id, Status(finding.status), finding.message)


def is_placeholder(source: str) -> bool:
    """True when a cell holds nothing but comments, `pass`, `...` and assignments of `...`."""
    try:
        statements = ast.parse(source).body
    except SyntaxError:
        return False
    return all(_is_placeholder_statement(statement) for statement in statements)


def describe_error(error: BaseException) -> str:
    """`ExceptionName: first line of its message`, with the database's own words for SQLAlchemy errors."""
    return error_in_words(error)


def described_error(error: BaseException) -> dict[str, Any]:
    """An exception as plain data: its class and base classes by name, its message, and the usual one-line wording."""
    return {
        "types": [kind.__name__ for kind in type(error).__mro__],
        "message": str(error),
        "text": describe_error(error),
    }


#: Errors a beginner triggers, as sentences: (a type name in the error's classes, a regular expression searched in its
#: message, what was done, why it fails and what to write instead; `{0}` is the pattern's first group).
KNOWN_ERRORS: tuple[tuple[str, str, str], ...] = (
    (
        "SyntaxError",
        re.escape('perhaps you meant "=="'),
        'You wrote = inside a condition: = assigns, == compares. Write, for example, where(Reader.surname == "Adams").',
    ),
    (
        "TypeError",
        re.escape("filter_by() takes 1 positional argument"),
        'filter_by takes keyword arguments, filter_by(surname="Adams"), not an expression. '
        'An expression such as Reader.surname == "Adams" goes in where(...).',
    ),
    (
        "UnmappedInstanceError",
        r"was a class \(\S*?(\w+)\) supplied where an instance was required",
        "You gave the session the {0} class itself, but the session stores objects made from it: create one, "
        "for example new_reader = Reader(name=..., ...), then pass that object, db.session.add(new_reader).",
    ),
    (
        "NoInspectionAvailable",
        r"No inspection system is available for object of type <class '(\w+)'>",
        "SQLAlchemy expected a model class (such as Reader) where you gave a plain {0} value. The model comes first, "
        "then the primary key: db.session.get(Reader, 123); and select takes the model: select(Reader).",
    ),
    (
        "AttributeError",
        r"^(add|add_all|commit|rollback|flush|delete|get|execute|scalars|scalar|begin_nested|refresh|expire)$",
        "db has no {0}: db is the Flask-SQLAlchemy extension, and the session's methods live on db.session. "
        "Write db.session.{0}(...).",
    ),
    (
        "TypeError",
        r"__init__\(\) takes 1 positional argument but \d+ were given",
        "You passed the values by position, but model classes take keyword arguments only, one per column: "
        'Reader(name="Peter", surname="Johnson", email="peter.johnson@example.com").',
    ),
)


def _clobbered_message(names: list[str]) -> str:
    """What to say when student code replaced a model class's column, as in `Book.month = "June"`."""
    listed = ", ".join(str(name) for name in names)
    model, _, column = str(names[0]).partition(".")
    return (
        f"You assigned to {listed} on the class itself, not on one object: that replaces the column for every "
        f"{model.lower()} and breaks every query that uses it. To change one row, assign to the object you loaded, "
        f'for example book_19.{column} = "June". Run start_lesson() (the notebook\'s first cell) to restore the class.'
    )


def _raised(checkpoint_id: str, error: dict[str, Any]) -> Verdict:
    """The verdict on an answer that stopped with an error (described as data)."""
    types, message = error.get("types") or ["Exception"], str(error.get("message", ""))
    for kind, pattern, diagnosis in KNOWN_ERRORS:
        if kind in types and (found := re.search(pattern, message)):
            return Verdict(checkpoint_id, Status.MISTAKE, diagnosis.format(*found.groups()))
    message = f"Your answer cell stopped with {error.get('text', types[0])}. Fix it, run it again, then run this check."
    return Verdict(checkpoint_id, Status.RAISED, message)


def _is_ellipsis(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and node.value is Ellipsis


def _is_placeholder_statement(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Pass):
        return True
    if isinstance(statement, ast.Expr):
        return _is_ellipsis(statement.value)
    return isinstance(statement, ast.Assign) and _is_ellipsis(statement.value)
