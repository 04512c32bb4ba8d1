"""Mutation testing of the checks: each solution's answers changed the ways students err must fail some check.

`python -m course_lib mutate` makes every mutant of every answer cell of solutions/ (drop the commit, name it
without calling it, drop the rollback, catch the wrong exception, drop order_by, `del` instead of session.delete,
flush turned into commit, a literal changed, `==` flipped, drop the add, the flush, the delete or the execute, run the
execute statements in reverse order; and for views: another status, a redirect elsewhere, another template, JSON
instead of the page, a commit per step, a GET that changes data, a SELECT first instead of catching the
IntegrityError), runs the notebook with the mutant in an
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


class _ReverseExecutes(ast.NodeTransformer):
    """Run each block's consecutive `db.session.execute(...)` statements in reverse order (the reader first...)."""

    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        for field in ("body", "orelse", "finalbody"):
            statements = getattr(node, field, None)
            if isinstance(statements, list) and statements and isinstance(statements[0], ast.stmt):
                setattr(node, field, _runs_reversed(statements, lambda item: _is_session_call(item, "execute")))
        return node


def _runs_reversed(statements: list[ast.stmt], member: Callable[[ast.stmt], bool]) -> list[ast.stmt]:
    """The statements, each run of consecutive members in reverse order."""
    result: list[ast.stmt] = []
    run: list[ast.stmt] = []
    for statement in [*statements, None]:
        if statement is not None and member(statement):
            run.append(statement)
            continue
        result += reversed(run)
        run = []
        if statement is not None:
            result.append(statement)
    return result


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


#: What makes a function a view: it reads the request, or answers with a page, a redirect, a flash or an abort.
VIEW_NAMES = frozenset({"request", "render_template", "redirect", "url_for", "flash", "abort", "jsonify"})


class _InViews(ast.NodeTransformer):
    """A way of erring that only a view can: it changes the code inside views only (functions using Flask's API)."""

    inside = False

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        if not any(isinstance(inner, ast.Name) and inner.id in VIEW_NAMES for inner in ast.walk(node)):
            return node  # a plain function, say one given a session (exercise 08), is no view
        self.inside = True
        try:
            return self.generic_visit(node)
        finally:
            self.inside = False

    def visit(self, node: ast.AST) -> ast.AST:
        if isinstance(node, ast.Module | ast.FunctionDef) or self.inside:
            return super().visit(node)
        return node


class _StatusChanged(_InViews):
    """A view answers another status: `return page, 409` answers 200, a redirect's `code=303` becomes 301."""

    def visit_Return(self, node: ast.Return) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.value, ast.Tuple) and len(node.value.elts) == 2:
            node.value = node.value.elts[0]
        return node

    def visit_keyword(self, node: ast.keyword) -> ast.AST:
        if node.arg == "code" and isinstance(node.value, ast.Constant):
            node.value = ast.Constant(301)
        return node


class _RedirectElsewhere(ast.NodeTransformer):
    """`redirect(url_for("profile", ...))` points at the list of readers instead."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if _called(node, "url_for") and node.args and _literal(node.args[0]) not in (None, "readers"):
            return ast.Call(ast.Name("url_for"), [ast.Constant("readers")], [])
        if _called(node, "url_for") and _literal(node.args[0] if node.args else None) == "readers":
            return ast.Call(ast.Name("url_for"), [ast.Constant("sign_up")], [])
        return node


class _OtherTemplate(ast.NodeTransformer):
    """`render_template("sign_up.html", ...)` renders the list of readers instead."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if _called(node, "render_template") and node.args:
            node.args[0] = ast.Constant("readers.html")
        return node


class _JsonInstead(ast.NodeTransformer):
    """A view returns a JSON object (Flask turns a dict into one) where it rendered a page."""

    def visit_Call(self, node: ast.Call) -> ast.AST:
        self.generic_visit(node)
        if _called(node, "render_template"):
            return ast.Dict([ast.Constant("page")], [node.args[0] if node.args else ast.Constant("")])
        return node


class _CommitTwice(_InViews):
    """Every `db.session.commit()` of a view runs twice: a commit per step, where a request is one unit of work."""

    def generic_visit(self, node: ast.AST) -> ast.AST:
        super().generic_visit(node)
        for field in ("body", "orelse", "finalbody") if self.inside else ():
            statements = getattr(node, field, None)
            if isinstance(statements, list) and statements and isinstance(statements[0], ast.stmt):
                doubled = []
                for item in statements:
                    doubled += [item, copy.deepcopy(item)] if _is_session_call(item, "commit") else [item]
                setattr(node, field, doubled)
        return node


class _GetChangesData(_InViews):
    """The view handles every request as the POST (`if True:`) and reads the fields from the query string too."""

    def visit_Compare(self, node: ast.Compare) -> ast.AST:
        self.generic_visit(node)
        if isinstance(node.left, ast.Attribute) and node.left.attr == "method":
            return ast.Constant(True)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        if node.attr == "form":
            node.attr = "values"
        return node


class _CheckFirst(_InViews):
    """`try: commit() except IntegrityError: ...` becomes a SELECT for the email first, then an unguarded commit."""

    def visit_Try(self, node: ast.Try) -> ast.AST | list[ast.stmt]:
        self.generic_visit(node)
        caught = [handler for handler in node.handlers if "IntegrityError" in ast.unparse(handler.type or ast.Pass())]
        if not caught or not any(_is_session_call(item, "commit") for item in node.body):
            return node
        handler = [item for item in caught[0].body if not _is_session_call(item, "rollback")]
        taken = ast.parse(
            'db.session.scalar(db.select(Reader).filter_by(email=request.form["email"])) is not None', mode="eval"
        ).body
        return [ast.If(taken, handler or [ast.Pass()], []), *node.body]


def _called(node: ast.Call, name: str) -> bool:
    return isinstance(node.func, ast.Name) and node.func.id == name


def _literal(node: ast.AST | None) -> object:
    return node.value if isinstance(node, ast.Constant) else None


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
    "drop the execute": lambda: _DropCall("execute"),
    "execute statements reversed": _ReverseExecutes,
    "the status changed": _StatusChanged,
    "redirected elsewhere": _RedirectElsewhere,
    "another template rendered": _OtherTemplate,
    "JSON instead of the page": _JsonInstead,
    "a commit per step": _CommitTwice,
    "a GET changes data": _GetChangesData,
    "check first instead of catching": _CheckFirst,
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
