"""Issue 13: every message a check can give is expected by some test (so each diagnosis is proven to fire).

The messages are read from the checks' source: the string given to mistake(...) or passed(...), and the strings a
module's own helper returns when its call is what mistake(...) is given (or what assigned the variable it is
given). A message counts as tested when a string of some test, or a check's output stored in a committed notebook
(which nbval compares on every run), lies within one of its constant parts (the text between f-string fields), or
holds 30 consecutive characters of one.
"""

import ast
from pathlib import Path

import nbformat
import pytest

from course_lib.protocol import CHECK_TAG

ROOT = Path(__file__).resolve().parent.parent
CHECKS = sorted((ROOT / "course_lib" / "checks" / "exercises").glob("*.py"))
SHORTEST = 12  # a constant part shorter than this ("The ", ", not ") says nothing on its own
WINDOW = 30  # how many consecutive characters of a message a test must expect


def constant_parts(node: ast.AST) -> list[str]:
    """The literal text of a message expression: a string, the constant parts of an f-string, or of a + b."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [part.value for part in node.values if isinstance(part, ast.Constant)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return constant_parts(node.left) + constant_parts(node.right)
    return []


def returned_messages(function: ast.FunctionDef, helpers: dict, seen: frozenset = frozenset()) -> list[list[str]]:
    """The constant parts of each message a helper returns, following the helpers it returns the result of."""
    return [
        parts
        for node in ast.walk(function)
        if isinstance(node, ast.Return) and node.value
        for parts in message_parts(node.value, helpers, seen | {function.name})
    ]


def message_parts(node: ast.AST | None, helpers: dict, seen: frozenset = frozenset()) -> list[list[str]]:
    """The messages an expression can be: its constant parts, or each message of the module helper it calls."""
    if parts := constant_parts(node):
        return [parts]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in helpers:
        return [] if node.func.id in seen else returned_messages(helpers[node.func.id], helpers, seen)
    return []


def messages(path: Path) -> list[tuple[int, list[str]]]:
    """(line, constant parts) of every message the checks of one module can give.

    A message is the string given to mistake(...) or passed(...), or what a module helper returns when its call is
    given, directly or through a variable of the same function (`if problem := helper(...)`, `for problem in (...)`).
    """
    tree = ast.parse(path.read_text(encoding="utf-8"))
    helpers = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    found = []
    for function in [node for node in tree.body if isinstance(node, ast.FunctionDef)]:
        assigned = assignments(function)
        for node in ast.walk(function):
            if not (
                isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("mistake", "passed")
            ):
                continue
            argument = node.args[0] if node.args else None
            sources = assigned.get(argument.id, []) if isinstance(argument, ast.Name) else [argument]
            found += [(node.lineno, parts) for source in sources for parts in message_parts(source, helpers)]
    return found


def assignments(function: ast.FunctionDef) -> dict[str, list[ast.AST]]:
    """The values each plain name of a function is given: by =, by :=, or as a for loop's target over a tuple."""
    assigned: dict[str, list[ast.AST]] = {}
    for node in ast.walk(function):
        if isinstance(node, ast.NamedExpr) and isinstance(node.target, ast.Name):
            assigned.setdefault(node.target.id, []).append(node.value)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            assigned.setdefault(node.targets[0].id, []).append(node.value)
        elif isinstance(node, ast.For) and isinstance(node.target, ast.Name) and isinstance(node.iter, ast.Tuple):
            assigned.setdefault(node.target.id, []).extend(node.iter.elts)
    return assigned


def expected_strings() -> list[str]:
    """The strings of every test, and the verdicts stored in the committed notebooks."""
    strings = []
    for path in sorted((ROOT / "tests").glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            strings += [part for part in constant_parts(node) if len(part) >= SHORTEST]
    for folder in ("solutions", "exercises"):
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            for cell in nbformat.read(path, as_version=4).cells:
                outputs = cell.get("outputs", []) if CHECK_TAG in cell.metadata.get("tags", []) else []
                strings += [str(output.get("data", {}).get("text/plain", "")) for output in outputs]
    return strings


TESTED = expected_strings()
MESSAGES = [(f"{path.name}:{line}", parts) for path in CHECKS for line, parts in messages(path)]


def is_expected(parts: list[str]) -> bool:
    """An expected string lies within a constant part, or holds WINDOW consecutive characters of one (or all of it)."""
    text = "\0".join(TESTED)
    for part in (part for part in parts if len(part.strip()) >= SHORTEST):
        if any(expected in part for expected in TESTED):
            return True
        size = min(WINDOW, len(part))
        if any(part[start : start + size] in text for start in range(len(part) - size + 1)):
            return True
    return False


def test_the_messages_are_found():
    assert len(MESSAGES) >= 60


@pytest.mark.parametrize(("where", "parts"), MESSAGES, ids=[where for where, _ in MESSAGES])
def test_every_message_is_expected_by_some_test(where, parts):
    assert is_expected(parts), f"{where}: no test expects {' … '.join(parts)!r}"
