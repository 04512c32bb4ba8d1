"""In the browser (JupyterLite's Pyodide kernel): later cells keep the lesson's context; what it lacks gets a note.

A cell that needs what the browser cannot have (PostgreSQL) answers with a one-line note instead of a traceback, and
ends without an error, so that Run All goes on to the next cell.
"""

import asyncio
import contextvars
import functools
from typing import Any

from IPython import get_ipython

from course_lib.bookclub.postgres import PostgresNotInTheBrowser
from course_lib.classroom.answer_log import bound_names
from course_lib.classroom.short_errors import handle_errors

COMM_HANDLERS = ("comm_open", "comm_msg", "comm_close")
# What the browser cannot have: each exception type names what is missing in `needs`.
UNAVAILABLE_HERE: tuple[type[Exception], ...] = (PostgresNotInTheBrowser,)
NOTE = "Skipped in the browser: "


def share_context_with_later_cells() -> None:
    """Run the kernel's later cells and widget messages in a copy of the running cell's context, taken now.

    Flask keeps the pushed app context in a context variable. A desktop kernel runs every cell in one context, but
    Pyodide's kernel runs each cell as a task of its own, in a fresh copy of the page's context: without this, the
    app context that start_lesson() pushed would be gone in the next cell and in the playground's button clicks.
    """
    kernel = getattr(get_ipython(), "kernel", None)
    if kernel is None:
        return
    context, loop, run = contextvars.copy_context(), asyncio.get_running_loop(), type(kernel).run

    def run_in_context(code: str) -> asyncio.Task[Any]:
        return loop.create_task(run(kernel, code), context=context)

    kernel.run = run_in_context
    for name in COMM_HANDLERS:
        handler = getattr(type(kernel.comm_manager), name)
        setattr(kernel.comm_manager, name, functools.partial(context.run, handler, kernel.comm_manager))


class UnavailableNotes:
    """What the browser cannot have, as notes: the cell that asked for it and later cells using what it left unbound.

    Each prints one line and ends without an error (IPython's custom exception handler shows no traceback, and
    Pyodide's kernel answers "ok" to a cell that showed none), so that Run All goes on to the next cell.
    """

    def __init__(self, shell: Any) -> None:
        """Attach to an IPython shell: its exception handler for these errors, and its cell events."""
        self.shell = shell
        self.running = ""  # the source of the cell being run
        self.unbound: dict[str, str] = {}  # name -> what it needed, for names a skipped cell left unbound
        shell.events.register("pre_run_cell", self._cell_starts)
        shell.events.register("post_run_cell", self._cell_ended)
        handle_errors(shell, (*UNAVAILABLE_HERE, NameError), self._handle)

    def _cell_starts(self, info: Any) -> None:
        self.running = info.raw_cell or ""

    def _cell_ended(self, _result: Any) -> None:
        for name in [name for name in self.unbound if name in self.shell.user_ns]:
            del self.unbound[name]  # bound since: its NameErrors are the student's own again

    def _handle(self, shell: Any, etype: type, value: BaseException, tb: Any, tb_offset: int | None = None) -> None:
        if isinstance(value, UNAVAILABLE_HERE):
            needs = getattr(value, "needs", type(value).__name__)
            self.unbound |= {name: needs for name in bound_names(self.running) if name not in shell.user_ns}
            print(f"{NOTE}{value}")
        elif isinstance(value, NameError) and value.name in self.unbound:
            print(f"{NOTE}{value.name} needs {self.unbound[value.name]} (see the note of the cell that makes it).")
        else:
            shell.showtraceback((etype, value, tb), tb_offset=tb_offset)


def answer_unavailable_with_notes() -> None:
    """In the running IPython shell (once), turn what the browser cannot have into one-line notes (see above)."""
    shell = get_ipython()
    if shell is not None and not isinstance(getattr(shell, "_course_lib_notes", None), UnavailableNotes):
        shell._course_lib_notes = UnavailableNotes(shell)
