"""A database error raised by a student's cell, shown short: the database's own words, their line, where to read on.

SQLAlchemy's tracebacks run to forty lines of library frames above the one line a beginner needs. `start_lesson()`
installs this for SQLAlchemy's errors only (`start_lesson(short_errors=False)` keeps whole tracebacks), and the cell
still counts as failed: the answer's check says it raised, and Run All stops there as usual.
"""

import re
import sys
from collections.abc import Callable
from types import TracebackType
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

#: Where the course explains an error, by the name of its class (or of a base class).
LESSON_OF_ERROR = {
    "IntegrityError": "lesson 03, which catches it and rolls back",
    "PendingRollbackError": "lesson 03, on the rollback a failed flush asks for",
    "NoResultFound": "lesson 04, on one(), first() and get()",
    "MultipleResultsFound": "lesson 04, on one(), first() and get()",
    "ObjectDeletedError": "lesson 06, on deleting",
    "DetachedInstanceError": "lesson 07, on objects after the request",
    "StaleDataError": "lesson 08, on two requests at once",
    "OperationalError": "lesson 08, when another session holds the database",
}


def show_database_errors_short(shell: Any, short: bool = True) -> None:
    """Make the shell show SQLAlchemy's errors short (or, `short=False`, whole again)."""
    handle_errors(shell, (SQLAlchemyError,), _shown_short if short else None)


#: The handler of each kind of error the kit shows its own way, per shell (IPython keeps one custom handler).
HANDLERS_KEY = "_course_lib_error_handlers"
Handler = Callable[[Any, type, BaseException, Any, Any], None]


def handle_errors(shell: Any, kinds: tuple[type[BaseException], ...], handler: Handler | None) -> None:
    """Show these kinds of error with `handler` (None: as IPython does), beside the kit's other handlers."""
    handlers: dict[type[BaseException], Handler] = shell.__dict__.setdefault(HANDLERS_KEY, {})
    for kind in kinds:
        if handler is None:
            handlers.pop(kind, None)
        else:
            handlers[kind] = handler
    shell.set_custom_exc(tuple(handlers), _dispatched) if handlers else shell.set_custom_exc((), None)


def _dispatched(shell: Any, kind: type, error: BaseException, traceback: Any, tb_offset: Any = None) -> None:
    """The one custom handler IPython calls: the handler of the first kind the error is, else IPython's own."""
    for handled, handler in shell.__dict__.get(HANDLERS_KEY, {}).items():
        if isinstance(error, handled):
            handler(shell, kind, error, traceback, tb_offset)
            return
    shell.showtraceback((kind, error, traceback), tb_offset=tb_offset)


#: How SQLAlchemy names an object in its messages, `<Reader at 0x7f3a...>`: a memory address, no use to a student.
OBJECT_AT_ADDRESS = re.compile(r"<(\w+) at 0x[0-9a-fA-F]+>")


def error_in_words(error: BaseException) -> str:
    """`ExceptionName: first line of its message`, with the database's own words for SQLAlchemy errors.

    An object SQLAlchemy names by its memory address is named by its class: "(a Reader object)".
    """
    cause = getattr(error, "orig", None) or error
    first_line = OBJECT_AT_ADDRESS.sub(r"(a \1 object)", (str(cause).strip().splitlines() or [""])[0])
    return f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__


def short_lines(error: BaseException, traceback: TracebackType | None, shell: Any) -> list[str]:
    """The lines shown for a database error: what the database said, the student's line, where to read on."""
    lines = [error_in_words(error)]
    if (where := _students_line(traceback, shell)) is not None:
        lines.append(f"  in your cell {where[0]}, line {where[1]}:  {where[2]}")
    kinds = [kind.__name__ for kind in type(error).__mro__]
    lesson = next((LESSON_OF_ERROR[kind] for kind in kinds if kind in LESSON_OF_ERROR), None)
    ending = f"See {lesson}. " if lesson else ""
    lines.append(f"  {ending}(start_lesson(short_errors=False) shows whole tracebacks.)")
    return lines


def _shown_short(shell: Any, kind: type, error: BaseException, traceback: TracebackType, tb_offset: Any = None) -> None:
    sys.last_type, sys.last_value, sys.last_traceback = kind, error, traceback  # as IPython keeps the last error
    shell._showtraceback(kind, error, short_lines(error, traceback, shell))


def _students_line(traceback: TracebackType | None, shell: Any) -> tuple[str, int, str] | None:
    """The last line of the student's own cells the error passed through: (cell, line number, the line)."""
    import linecache

    found = None
    while traceback is not None:
        code = traceback.tb_frame.f_code
        name = shell.compile.format_code_name(code.co_filename)
        if name is not None:
            text = linecache.getline(code.co_filename, traceback.tb_lineno).strip()
            found = (name[1], traceback.tb_lineno, text)
        traceback = traceback.tb_next
    return found
