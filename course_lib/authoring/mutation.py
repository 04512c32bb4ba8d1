"""Mutation testing of the checks: each solution's answers changed the ways students err must fail some check.

`python -m course_lib mutate` makes every mutant of every answer cell of solutions/ (drop the commit, name it
without calling it, drop the rollback, catch the wrong exception, drop order_by, `del` instead of session.delete,
flush turned into commit, a literal changed, `==` flipped, drop the add), runs the notebook with the mutant in an
in-process IPython shell, judges every checkpoint of the exercise, and counts the mutant caught when one verdict is
not a pass. The score must be 100%: a mutant that passes every check is a wrong answer the kit would accept.
"""

import ast
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from course_lib.authoring.in_process import answer_cells, run_notebook
from course_lib.authoring.layout import CourseLayout


@dataclass(frozen=True)
class Mutant:
    """One wrong variant of a solution: which answer cell, how it was changed, and its new source."""

    notebook: str
    checkpoint: str
    operator: str
    source: str


def _is_session_call(node: ast.AST, method: str) -> bool:
    """`db.session.<method>(...)` as a statement's expression."""
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr == method
    )


class _DropCall(ast.NodeTransformer):
    def __init__(self, method: str) -> None:
        self.method = method

    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        for field in ("body", "orelse", "finalbody"):
            statements = getattr(node, field, None)
            if isinstance(statements, list) and statements and isinstance(statements[0], ast.stmt):
                kept = [item for item in statements if not _is_session_call(item, self.method)]
                setattr(node, field, kept or [ast.Pass()])
        return node


class _Uncall(ast.NodeTransformer):
    def __init__(self, method: str) -> None:
        self.method = method

    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        if _is_session_call(node, self.method):
            return ast.Expr(node.value.func)
        return node


class _RenameCall(ast.NodeTransformer):
    def __init__(self, old: str, new: str) -> None:
        self.old, self.new = old, new

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        if node.attr == self.old:
            node.attr = self.new
        return node


class _WrongException(ast.NodeTransformer):
    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> ast.AST:
        self.generic_visit(node)
        node.type = ast.Name("ValueError")
        return node


class _DropOrderBy(ast.NodeTransformer):
    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.func, ast.Attribute) and node.func.attr == "order_by":
            return node.func.value
        return node


class _DelInsteadOfDelete(ast.NodeTransformer):
    def visit_Expr(self, node: ast.Expr) -> ast.AST:
        if _is_session_call(node, "delete") and node.value.args:
            target = copy.deepcopy(node.value.args[0])
            if isinstance(target, ast.Name):
                return ast.Delete([ast.Name(target.id, ast.Del())])
        return node


class _FlipEquals(ast.NodeTransformer):
    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        node.ops = [ast.NotEq() if isinstance(op, ast.Eq) else op for op in node.ops]
        return node


class _ChangeLiteral(ast.NodeTransformer):
    """Change the `index`-th literal (a string, or a whole number) outside print(...)."""

    def __init__(self, index: int) -> None:
        self.index, self.seen = index, 0

    def visit_Call(self, node: ast.Call) -> ast.AST:
        if isinstance(node.func, ast.Name) and node.func.id == "print":
            return node
        self.generic_visit(node)
        return node

    def visit_JoinedStr(self, node: ast.JoinedStr) -> ast.AST:
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, bool) or not isinstance(node.value, str | int):
            return node
        self.seen += 1
        if self.seen - 1 != self.index:
            return node
        return ast.Constant(node.value + "x" if isinstance(node.value, str) else node.value + 1)


#: The ways students err, each a syntax-tree transformation (or several, for literals: one mutant per literal).
OPERATORS: dict[str, Callable[[], ast.NodeTransformer]] = {
    "drop the commit": lambda: _DropCall("commit"),
    "commit named, not called": lambda: _Uncall("commit"),
    "drop the rollback": lambda: _DropCall("rollback"),
    "catch the wrong exception": _WrongException,
    "drop order_by": _DropOrderBy,
    "del instead of session.delete": _DelInsteadOfDelete,
    "flush turned into commit": lambda: _RenameCall("flush", "commit"),
    "== flipped": _FlipEquals,
    "drop the add": lambda: _DropCall("add"),
    "drop the flush": lambda: _DropCall("flush"),
    "drop the delete": lambda: _DropCall("delete"),
}
MAX_LITERALS = 8


def mutants_of(notebook: str, checkpoint: str, source: str) -> Iterator[Mutant]:
    """Every mutant of one answer cell's source that differs from it."""
    marker, _, body = source.partition("\n")
    original = ast.unparse(ast.parse(body))
    transforms = [(name, make) for name, make in OPERATORS.items()]
    transforms += [
        (f"literal {index + 1} changed", lambda index=index: _ChangeLiteral(index)) for index in range(MAX_LITERALS)
    ]
    for name, make in transforms:
        changed = ast.unparse(ast.fix_missing_locations(make().visit(ast.parse(body))))
        if changed != original:
            yield Mutant(notebook, checkpoint, name, f"{marker}\n{changed}")


def mutation_score(
    layout: CourseLayout,
    report: Callable[[str], None] = print,
    only: Path | None = None,
    verdicts: list[tuple[Mutant, dict[str, str]]] | None = None,
) -> tuple[int, int, list[Mutant]]:
    """Run every mutant of every solution (or of `only` that one); (caught, total, the mutants no check caught).

    `verdicts`, when given, receives each mutant with the status of each of its notebook's checkpoints.
    """
    caught, total, survivors = 0, 0, []
    for path in [only] if only else layout.solutions:
        cells = answer_cells(path)
        baseline = run_notebook(cells)
        if any(status != "passed" for status in baseline.values()):
            report(f"{path.name}: the solution itself does not pass: {baseline}")
            survivors.append(Mutant(path.name, "", "the unchanged solution", ""))
            total += 1
            continue
        mutants = [
            mutant for checkpoint, source in cells if checkpoint for mutant in mutants_of(path.name, checkpoint, source)
        ]
        for mutant in mutants:
            statuses = run_notebook(cells, (mutant.checkpoint, mutant.source))
            total += 1
            if verdicts is not None:
                verdicts.append((mutant, statuses))
            if any(status != "passed" for status in statuses.values()):
                caught += 1
            else:
                survivors.append(mutant)
                report(f"SURVIVED {path.name} {mutant.checkpoint} [{mutant.operator}]:\n{mutant.source}")
        report(f"{path.name}: {len(mutants)} mutants")
    return caught, total, survivors


def main(layout: CourseLayout) -> int:
    """The `mutate` command: print each surviving mutant and the score; 0 only when every mutant was caught."""
    caught, total, survivors = mutation_score(layout)
    print(f"mutation score: {caught}/{total} mutants caught ({100 * caught / max(total, 1):.0f}%)")
    return 0 if not survivors else 1
