"""Records each run of an answer cell so that its check can judge it, however the student edited the cell.

An answer cell is recognised by its `# answer: <checkpoint>` line; failing that, by the cell id the front end sends
with each execution (JupyterLab and VS Code do; IPython passes it as `result.info.cell_id`), matched against the
answer cells of the course's exercise and solution notebooks; failing that, as the cell run just before the check.

It also tells leftovers from the latest run: a name whose latest binding came from a run of an answer cell that has
run again since without binding it (the student renamed the variable, or removed the line) is *stale*: its value is
what an earlier attempt left behind, and checks must not judge it as the current answer.
"""

import ast
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from course_lib.protocol import ANSWER_TAG, KIT_KEY, marked_checkpoints

COURSE_ROOT = Path(__file__).resolve().parent.parent.parent
NOTEBOOK_FOLDERS = ("exercises", "solutions")
CHECK_CALL = re.compile(r"^\s*check\(\s*['\"](?P<checkpoint>[\w.]+)['\"]\s*\)\s*$")


@dataclass(frozen=True)
class AnswerRun:
    """One run of an answer cell: its source and the exception it stopped with, if any."""

    checkpoint: str
    source: str
    error: BaseException | None
    stale: frozenset[str] = frozenset()  # names left over from earlier runs of answer cells (see the module's note)


@cache
def answer_cell_ids(root: Path = COURSE_ROOT) -> dict[str, frozenset[str]]:
    """Cell id -> the checkpoints whose answer cell has that id, in the course's exercise and solution notebooks."""
    found: dict[str, set[str]] = {}
    for folder in NOTEBOOK_FOLDERS:
        for path in sorted((root / folder).glob("*.ipynb")):
            try:
                cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
            except (OSError, ValueError):
                continue
            for cell in cells:
                metadata = cell.get("metadata", {})
                checkpoint = metadata.get(KIT_KEY, {}).get("checkpoint")
                if checkpoint and cell.get("id") and ANSWER_TAG in metadata.get("tags", []):
                    found.setdefault(cell["id"], set()).add(checkpoint)
    return {cell_id: frozenset(checkpoints) for cell_id, checkpoints in found.items()}


class AnswerLog:
    """The latest run of each checkpoint's answer cell."""

    def __init__(self) -> None:
        """Start with no runs."""
        self._runs = 0
        self._latest: dict[str, tuple[int, AnswerRun]] = {}
        self._by_cell: dict[str, tuple[int, str, BaseException | None]] = {}
        self._previous: tuple[str, BaseException | None] | None = None
        self._binders: dict[str, tuple[int, frozenset[Any]]] = {}  # name -> (run, the cells) of its latest binding
        self._last_run_of: dict[Any, int] = {}  # an answer cell (by checkpoint or cell id) -> its latest run
        self._cells: dict[str, str] = {}  # every cell run since the lesson started, by cell id (or source): its source
        self._answer_runs: dict[str, int] = {}  # how often each checkpoint's answer ran since the lesson started

    def record(self, source: str, error: BaseException | None, cell_id: str | None = None) -> None:
        """Remember a cell run: by its answer markers, by its cell id, and as the cell a check may follow."""
        self._cells.pop(cell_id or source, None)
        self._cells[cell_id or source] = source
        if CHECK_CALL.match(source):
            return  # a check cell: the cell run before it stays the one it may judge
        self._runs += 1
        marked = marked_checkpoints(source)
        answered = {*marked, *(answer_cell_ids().get(cell_id, ()) if cell_id else ())}
        for checkpoint in answered:
            self._answer_runs[checkpoint] = self._answer_runs.get(checkpoint, 0) + 1
        for checkpoint in marked:
            self._latest[checkpoint] = (self._runs, AnswerRun(checkpoint, source, error))
        if cell_id:
            self._by_cell[cell_id] = (self._runs, source, error)
        self._previous = None if marked or "start_lesson(" in source else (source, error)
        self._remember_bindings(source, marked, cell_id)

    def stale_names(self) -> frozenset[str]:
        """Names whose latest binding came from an answer cell that has run again since without binding them."""
        return frozenset(
            name
            for name, (run, cells) in self._binders.items()
            if any(self._last_run_of.get(cell, 0) > run for cell in cells)
        )

    def _remember_bindings(self, source: str, marked: list[str], cell_id: str | None) -> None:
        cells = {("checkpoint", checkpoint) for checkpoint in marked}
        if cell_id:
            cells.add(("cell", cell_id))
            cells |= {("checkpoint", checkpoint) for checkpoint in answer_cell_ids().get(cell_id, ())}
        for cell in cells:
            self._last_run_of[cell] = self._runs
        for name in bound_names(source):
            self._binders[name] = (self._runs, frozenset(cells))

    def latest(self, checkpoint: str) -> AnswerRun | None:
        """The most recent run of the checkpoint's answer cell, or None if it has not run."""
        runs = [self._latest[checkpoint]] if checkpoint in self._latest else []
        ids = answer_cell_ids()
        runs += [
            (number, AnswerRun(checkpoint, source, error))
            for cell_id, (number, source, error) in self._by_cell.items()
            if checkpoint in ids.get(cell_id, ())
        ]
        stale = self.stale_names()
        if runs:
            latest = max(runs, key=lambda item: item[0])[1]
            return AnswerRun(checkpoint, latest.source, latest.error, stale)
        if self._previous is not None:
            return AnswerRun(checkpoint, *self._previous, stale)
        return None

    def ran_again(self, checkpoints: list[str]) -> bool:
        """True when one of these checkpoints' answer cells ran more than once since the lesson started."""
        return any(self._answer_runs.get(checkpoint, 0) > 1 for checkpoint in checkpoints)

    def ran_cells(self) -> list[str]:
        """The source of each cell run since the lesson started (its latest run, for a cell run again), in order."""
        return list(self._cells.values())

    def clear(self) -> None:
        """Forget every run (the database they changed is gone); which cell bound which name is still known."""
        self._cells.clear()
        self._answer_runs.clear()
        self._latest.clear()
        self._by_cell.clear()
        self._previous = None

    def record_cells_of(self, shell: Any) -> None:
        """Record every cell that an IPython shell runs from now on (once per shell)."""
        if getattr(shell, "_course_lib_answer_log", None) is self:
            return
        shell._course_lib_answer_log = self
        shell.events.register("post_run_cell", self._record_result)

    def _record_result(self, result: Any) -> None:
        info = result.info
        error = result.error_before_exec or result.error_in_exec
        self.record(info.raw_cell or "", error, getattr(info, "cell_id", None))


def bound_names(source: str) -> set[str]:
    """The names a cell's code binds at the top level (assignments in any branch, imports, def, class, for, with)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names: set[str] = set()
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
            continue
        if isinstance(node, ast.Lambda | ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(alias.asname or alias.name).partition(".")[0] for alias in node.names}
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        pending.extend(ast.iter_child_nodes(node))
    return names


ANSWERS = AnswerLog()
