"""Admission: a notebook's code is admitted only when every cell keeps to the course's vocabulary (an allow-list).

The grader reads each code cell as Jupyter would run it (after IPython's transformations, so that magics and shell
escapes show up as the `get_ipython()` calls they become), before anything runs, in its own process; a student's
`check()` applies the same rule to the cells run so far. A notebook outside the vocabulary is held for the
instructor's review. Nothing here runs code: it reads syntax trees.
"""

import ast
import builtins
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache

from course_lib.checks.vocabulary import ATTRIBUTES, BUILTINS, MODEL_FIELDS, MODULES, SHELL_NAMES

TYPO_MINIMUM = 4  # names this long or longer may be a letter away from the vocabulary (a typo)
#: Classes an answer may build on: views, and exceptions (its own, or the libraries').
VIEW_BASES = frozenset({"MethodView", "View"})
BUILTIN_EXCEPTIONS = frozenset(
    name
    for name in dir(builtins)
    if isinstance(getattr(builtins, name), type) and issubclass(getattr(builtins, name), BaseException)
)
MODULE_NAMES = frozenset(MODULES)
READABLE = ATTRIBUTES | MODEL_FIELDS
LIBRARY_EXCEPTIONS = MODULES["sqlalchemy.exc"] | MODULES["sqlalchemy.orm.exc"] | MODULES["werkzeug.exceptions"]
REFUSED_NODES = {
    ast.AsyncFunctionDef: "async code",
    ast.AsyncFor: "async code",
    ast.AsyncWith: "async code",
    ast.Await: "async code",
}


@dataclass(frozen=True)
class Refusal:
    """One construct outside the vocabulary: where it is (cell, line) and what it is."""

    cell: int  # the cell's index in the notebook (0-based)
    line: int  # 1-based, in the cell as Jupyter runs it
    construct: str  # what the cell uses, as written: `getattr`, `__class__`, `import os`, `%time`
    why: str  # why it is outside, in a few words
    cell_start: str = ""  # the cell's first line, to help find it

    def sentence(self) -> str:
        """Where and what, in one sentence: `cell 4 ("# answer: ..."), line 2: `getattr`, a built-in ...`."""
        start = f' ("{self.cell_start}")' if self.cell_start else ""
        return f"cell {self.cell + 1}{start}, line {self.line}: {self.construct}, {self.why}"

    def in_words(self) -> str:
        """Where and what, for the student in a notebook, whose cells the kit knows by their first line only."""
        return f'in the cell that starts "{self.cell_start}", line {self.line}: {self.construct} is {self.why}'


def held_message(found: list[Refusal]) -> str:
    """What a student's check says when the grader would hold the notebook: the first construct and what to do."""
    first = found[0]
    more = f" ({len(found) - 1} more like it)" if len(found) > 1 else ""
    return (
        f"The grader would hold this notebook for your instructor to read before giving it any points: "
        f"{first.in_words()}{more}. Answers need only the course's own vocabulary (the models, db.session, "
        "select, Flask's request, redirect, flash...). Remove it, then run the notebook again from the top."
    )


def transformed(source: str) -> str:
    """A cell's source as IPython runs it: magics and shell escapes become `get_ipython()` calls."""
    return _transformer().transform_cell(source)


def refusals(cells: Iterable[tuple[int, str]]) -> list[Refusal]:
    """Every construct outside the vocabulary in the notebook's code cells, given as (cell index, raw source)."""
    trees = []
    for index, source in cells:
        code = transformed(source)
        try:
            trees.append((index, source, ast.parse(code)))
        except SyntaxError:
            continue  # a cell that does not parse runs nothing
    bindings = _bindings(tree for _, _, tree in trees)
    found: list[Refusal] = []
    for index, source, tree in trees:
        lines = source.splitlines()
        start = next((line.strip() for line in lines if line.strip()), "")[:60]
        for line, construct, why in _Reader(bindings).refusals(tree):
            raw = lines[line - 1].strip() if 0 < line <= len(lines) else ""
            if "get_ipython" in transformed(raw) and "get_ipython" not in raw:  # a magic or shell escape
                construct, why = f"`{raw[:40]}`", "an IPython magic or shell command"
            refusal = Refusal(index, line, construct, why, start)
            if refusal not in found:
                found.append(refusal)
    return found


def known(name: str, vocabulary: frozenset[str], real: frozenset[str]) -> bool:
    """True for a name of the vocabulary, or a typo of one: a letter away from it, and the name of nothing `real`.

    A typo (`db.session.rolback()`) is an honest mistake, which fails as it runs and which the check names: not a
    reason to hold a notebook. A name one letter away that does name something (`db.session.bind`) is not a typo.
    """
    if name in vocabulary:
        return True
    if len(name) < TYPO_MINIMUM or name in real:
        return False
    return any(_one_edit_apart(name, word) for word in vocabulary)


@cache
def real_attributes() -> frozenset[str]:
    """Every public attribute name of the objects an answer can reach: what a one-letter slip must not name."""
    found: set[str] = set()
    for holder in _reachable_classes():
        found.update(name for name in dir(holder) if not name.startswith("_") and name.isidentifier())
    return frozenset(found)


def _reachable_classes() -> list[object]:
    """The modules of the vocabulary, what they offer, and the classes of the objects answers work with."""
    import types

    from flask import Flask, Request, Response
    from flask.testing import FlaskClient
    from flask_sqlalchemy.pagination import Pagination
    from sqlalchemy import Connection, Engine, Result, Row, ScalarResult, Select
    from sqlalchemy.engine import CursorResult
    from sqlalchemy.orm import InstanceState, Mapper, Query, Session, SessionTransaction, scoped_session
    from sqlalchemy.orm.attributes import InstrumentedAttribute

    from course_lib.bookclub.models import Reader, db

    holders: list[object] = [
        Flask, Request, Response, FlaskClient, Pagination, Connection, Engine, Result, Row, ScalarResult, Select,
        CursorResult, InstanceState, Mapper, Query, Session, SessionTransaction, scoped_session,
        InstrumentedAttribute, Reader, db, str, bytes, list, dict, set, tuple, int, float, BaseException,
        types.FunctionType, types.MethodType, types.GeneratorType, types.CoroutineType, types.FrameType,
        types.TracebackType, types.CodeType, types.ModuleType, type,
    ]  # fmt: skip
    for module_name, names in MODULES.items():
        module = _imported(module_name)
        holders.append(module)
        holders += [getattr(module, name) for name in names if isinstance(getattr(module, name, None), type)]
    return holders


def _imported(module_name: str) -> object:
    import importlib

    try:
        return importlib.import_module(module_name)
    except ImportError:  # an optional driver (psycopg) that is not installed
        return object()


def _exists(module_name: str) -> bool:
    """True when a module of that name can be imported here (a one-letter slip of a course module may be real)."""
    import importlib.util

    try:
        return importlib.util.find_spec(module_name) is not None
    except (ImportError, ValueError):
        return False


def _one_edit_apart(one: str, other: str) -> bool:
    """True when one letter inserted, deleted, replaced, or two neighbours swapped, turn `one` into `other`."""
    if abs(len(one) - len(other)) > 1 or one == other:
        return False
    start = next((index for index, pair in enumerate(zip(one, other, strict=False)) if pair[0] != pair[1]), None)
    start = min(len(one), len(other)) if start is None else start
    if len(one) == len(other):
        swapped = one[start + 1 : start + 2] + one[start : start + 1] + one[start + 2 :]
        return one[start + 1 :] == other[start + 1 :] or swapped == other[start:]
    shorter, longer = sorted((one, other), key=len)
    return shorter[start:] == longer[start + 1 :]


@cache
def _transformer() -> object:
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager()


@dataclass(frozen=True)
class _Binding:
    """How the notebook binds one name: the modules it names, and whether anything else ever binds it."""

    modules: frozenset[str]
    classes: frozenset[str]  # what the name was imported as, when imported from an allowed module
    defined_class: bool
    other: bool


def _bindings(trees: Iterable[ast.Module]) -> dict[str, _Binding]:
    """What each name of the notebook is bound to: modules, imported names, classes it defines, anything else."""
    modules: dict[str, set[str]] = {}
    imported: dict[str, set[str]] = {}
    defined: set[str] = set()
    other: set[str] = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    name = alias.asname or alias.name.partition(".")[0]
                    modules.setdefault(name, set()).add(alias.name if alias.asname else name)
            elif isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    name, full = alias.asname or alias.name, f"{node.module}.{alias.name}"
                    if full in MODULES:
                        modules.setdefault(name, set()).add(full)
                    else:
                        imported.setdefault(name, set()).add(alias.name)
            elif isinstance(node, ast.ClassDef):
                defined.add(node.name)
            elif isinstance(node, ast.FunctionDef):
                other.add(node.name)
                other.update(argument.arg for argument in _arguments(node.args))
            elif isinstance(node, ast.Lambda):
                other.update(argument.arg for argument in _arguments(node.args))
            elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
                other.add(node.id)
            elif isinstance(node, ast.ExceptHandler) and node.name:
                other.add(node.name)
            elif isinstance(node, ast.Global | ast.Nonlocal):
                other.update(node.names)
            elif isinstance(node, ast.MatchAs | ast.MatchStar) and node.name:
                other.add(node.name)
    names = set(modules) | set(imported) | defined | other
    return {
        name: _Binding(
            frozenset(modules.get(name, ())), frozenset(imported.get(name, ())), name in defined, name in other
        )
        for name in names
    }


def _arguments(arguments: ast.arguments) -> Iterator[ast.arg]:
    yield from (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs)
    yield from (argument for argument in (arguments.vararg, arguments.kwarg) if argument is not None)


class _Reader(ast.NodeVisitor):
    """Walks one cell's syntax tree and notes every construct outside the vocabulary."""

    def __init__(self, bindings: dict[str, _Binding]) -> None:
        self.bindings = bindings
        self.found: list[tuple[int, str, str]] = []

    def refusals(self, tree: ast.Module) -> list[tuple[int, str, str]]:
        """(line, construct, why) of each construct of the tree outside the vocabulary."""
        self.visit(tree)
        return self.found

    def refuse(self, node: ast.AST, construct: str, why: str) -> None:
        """Note a construct outside the vocabulary."""
        self.found.append((getattr(node, "lineno", 1), construct, why))

    def generic_visit(self, node: ast.AST) -> None:
        """Refuse async code; visit everything else."""
        if type(node) in REFUSED_NODES:
            self.refuse(node, f"`{type(node).__name__}`", REFUSED_NODES[type(node)] + " (the course uses none)")
            return
        super().generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        """Refuse underscore names, the shell's own names and the built-ins outside the list."""
        name = node.id
        if name == "_" and not isinstance(node.ctx, ast.Load):
            return  # the usual throwaway variable, assigned to only
        if name.startswith("_"):
            self.refuse(node, f"`{name}`", "a name starting with _ (the course's answers never need one)")
        elif name in SHELL_NAMES:
            self.refuse(node, f"`{name}`", "the notebook's own machinery, which answers do not use")
        elif hasattr(builtins, name) and name not in BUILTINS and name not in BUILTIN_EXCEPTIONS:
            self.refuse(node, f"`{name}`", "a built-in the exercises do not use (if it is your variable, rename it)")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        """Attributes: read only those of the vocabulary; assign or delete only a model's columns and relationships."""
        attribute = node.attr
        if attribute.startswith("_"):
            self.refuse(node, f"`.{attribute}`", "an attribute starting with _ (the course's answers never need one)")
        elif not isinstance(node.ctx, ast.Load):
            if attribute not in MODEL_FIELDS:
                self.refuse(
                    node,
                    f"`{_shown(node)} = ...`",
                    "an assignment to an attribute that is not a column or relationship of a model",
                )
        elif (module := self._module_of(node.value)) is not None:
            if not known(attribute, MODULES.get(module, frozenset()), frozenset(dir(_imported(module)))):
                self.refuse(node, f"`{_shown(node)}`", f"a name of {module} that the exercises do not use")
        elif not _readable(attribute):
            self.refuse(node, f"`.{attribute}`", "an attribute the exercises do not use")
        self.visit(node.value)

    def visit_Import(self, node: ast.Import) -> None:
        """Import only the course's modules."""
        for alias in node.names:
            if not _known_module(alias.name):
                self.refuse(node, f"`import {alias.name}`", "a module the exercises do not use")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        """Import only the names each course module offers answers."""
        module = "." * node.level + (node.module or "")
        if not _known_module(module):
            self.refuse(node, f"`from {module} import ...`", "a module the exercises do not use")
            return
        for alias in node.names:
            if alias.name == "*":
                self.refuse(node, f"`from {module} import *`", "a star import (name what you use)")
            elif module in MODULES and not known(alias.name, MODULES[module], _offered(module)):
                self.refuse(node, f"`from {module} import {alias.name}`", f"a name of {module} answers do not use")

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        """Functions (views, helpers): no underscore names, for the function or its parameters."""
        for name in (node.name, *(argument.arg for argument in _arguments(node.args))):
            if name.startswith("_"):
                self.refuse(node, f"`{name}`", "a name starting with _ (the course's answers never need one)")
        self.generic_visit(node)

    visit_Lambda = generic_visit

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        """Classes only for views and exceptions: their bases must be view or exception classes, no keywords."""
        if node.name.startswith("_"):
            self.refuse(node, f"`{node.name}`", "a name starting with _ (the course's answers never need one)")
        for keyword in node.keywords:
            self.refuse(node, f"`{keyword.arg}=...` in a class statement", "a class keyword answers do not use")
        for base in node.bases:
            if not self._acceptable_base(base):
                self.refuse(
                    node,
                    f"`class {node.name}({ast.unparse(base)})`",
                    "a class built on something other than a view (MethodView, View) or an exception",
                )
        self.generic_visit(node)

    def _acceptable_base(self, base: ast.expr) -> bool:
        final = base.attr if isinstance(base, ast.Attribute) else base.id if isinstance(base, ast.Name) else None
        if isinstance(base, ast.Attribute):
            return self._module_of(base.value) is not None and final in VIEW_BASES | LIBRARY_EXCEPTIONS
        if final is None:
            return False
        binding = self.bindings.get(final)
        if binding is None:
            return final in BUILTIN_EXCEPTIONS
        if binding.other or binding.modules:
            return False
        return binding.defined_class or (bool(binding.classes) and binding.classes <= VIEW_BASES | LIBRARY_EXCEPTIONS)

    def _module_of(self, node: ast.expr) -> str | None:
        """The course module an expression names (`sa`, `sqlalchemy.orm`), or None when it names something else."""
        if isinstance(node, ast.Name):
            binding = self.bindings.get(node.id)
            if binding is None or len(binding.modules) != 1 or binding.other or binding.classes:
                return None
            return next(iter(binding.modules))
        if isinstance(node, ast.Attribute):
            parent = self._module_of(node.value)
            if parent is not None and f"{parent}.{node.attr}" in MODULES:
                return f"{parent}.{node.attr}"
        return None


def _readable(attribute: str) -> bool:
    """True for the attributes an answer may read: the vocabulary's, a model's, and constants (`HTTPStatus.OK`)."""
    return attribute.isupper() or known(attribute, READABLE, real_attributes())


def _known_module(module: str) -> bool:
    """A course module, or a slip of one that names no module at all (the import then fails as it runs)."""
    return module in MODULES or (
        not module.startswith(".") and not _exists(module) and known(module, MODULE_NAMES, frozenset())
    )


def _offered(module: str) -> frozenset[str]:
    """Every name a course module has, and its submodules: what `from module import name` could really import."""
    return frozenset(dir(_imported(module))) | {name for name in MODULE_NAMES if name.startswith(f"{module}.")}


def _shown(node: ast.expr) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 40 else "..." + text[-37:]
