"""In Pyodide's kernel: later cells share the lesson's context, and what the browser cannot have answers with a note."""

import asyncio
import contextlib
import contextvars
import io
import sys
from types import SimpleNamespace

import pytest
from flask import current_app
from IPython.core.interactiveshell import InteractiveShell

from course_lib.bookclub import postgres
from course_lib.bookclub.postgres import IN_THE_BROWSER
from course_lib.classroom import browser_kernel, lesson
from course_lib.classroom.browser_kernel import share_context_with_later_cells

LESSON_VARIABLE = contextvars.ContextVar("lesson", default="none")
CELL_NAMESPACE = {"LESSON_VARIABLE": LESSON_VARIABLE, "share_context_with_later_cells": share_context_with_later_cells}


class FakeCommManager:
    """Pyodide's comm manager: the page calls its handlers directly, outside any cell."""

    def comm_open(self, _stream, _ident, _message):
        return LESSON_VARIABLE.get()

    comm_msg = comm_close = comm_open


class FakeKernel:
    """Pyodide's kernel: the page calls run() for each cell and awaits it as a task of its own."""

    def __init__(self):
        self.comm_manager = FakeCommManager()

    async def run(self, code):
        return eval(code, CELL_NAMESPACE)


def run_cells_like_pyodide(monkeypatch, *cells):
    """Run each cell as its own task, started from outside any cell, as Pyodide's kernel does; return the results."""
    kernel = FakeKernel()
    monkeypatch.setattr(browser_kernel, "get_ipython", lambda: SimpleNamespace(kernel=kernel))

    async def page():
        results = []
        for cell in cells:
            results.append(await asyncio.ensure_future(kernel.run(cell)))
        results.append(kernel.comm_manager.comm_msg(None, None, {}))  # a widget click
        return results

    return asyncio.run(page())


def test_without_sharing_a_cells_context_is_gone_in_the_next_cell_and_in_widget_messages(monkeypatch):
    cells = ["LESSON_VARIABLE.set('03')", "LESSON_VARIABLE.get()"]
    assert run_cells_like_pyodide(monkeypatch, *cells)[1:] == ["none", "none"]


def test_after_sharing_later_cells_and_widget_messages_see_the_cells_context(monkeypatch):
    cells = ["(LESSON_VARIABLE.set('03'), share_context_with_later_cells())", "LESSON_VARIABLE.get()"]
    assert run_cells_like_pyodide(monkeypatch, *cells)[1:] == ["03", "03"]


def test_a_later_lesson_start_shares_its_own_context(monkeypatch):
    cells = ["(LESSON_VARIABLE.set('03'), share_context_with_later_cells())", "LESSON_VARIABLE.get()"]
    cells += ["(LESSON_VARIABLE.set('04'), share_context_with_later_cells())", "LESSON_VARIABLE.get()"]
    results = run_cells_like_pyodide(monkeypatch, *cells)
    assert (results[1], results[3], results[4]) == ("03", "04", "04")


def test_start_lesson_shares_its_app_context_only_in_the_browser(monkeypatch):
    shared = []
    monkeypatch.setattr(lesson, "share_context_with_later_cells", lambda: shared.append(current_app.name))
    lesson.start_lesson(show_sql=False)
    assert shared == []
    monkeypatch.setattr(sys, "platform", "emscripten")
    lesson.start_lesson(show_sql=False)
    assert shared == ["course_lib"]
    lesson._end_previous_lesson()


ASKS_FOR_POSTGRES = """\
from course_lib.bookclub.database import create_course_app, database_url
sqlite_app = create_course_app()
pg_app = create_course_app(database_url("postgresql"))
"""


@pytest.fixture
def browser_shell(monkeypatch):
    """The lesson's IPython shell as in the browser, recording the tracebacks it shows (Pyodide's kernel answers
    "error" to a cell exactly when one was shown)."""
    monkeypatch.setattr(sys, "platform", "emscripten")
    shell = InteractiveShell.instance()
    shown = []
    monkeypatch.setattr(shell, "_showtraceback", lambda etype, value, stb: shown.append(etype.__name__))
    notes = browser_kernel.UnavailableNotes(shell)
    yield shell, shown
    shell.set_custom_exc((), None)
    shell.events.unregister("pre_run_cell", notes._cell_starts)
    shell.events.unregister("post_run_cell", notes._cell_ended)
    for name in ("sqlite_app", "pg_app", "create_course_app", "database_url"):
        shell.user_ns.pop(name, None)


def run(shell, source: str) -> str:
    with contextlib.redirect_stdout(io.StringIO()) as out:
        shell.run_cell(source)
    return out.getvalue()


def test_a_cell_that_needs_postgresql_in_the_browser_answers_with_a_note_and_no_traceback(browser_shell):
    shell, shown = browser_shell
    said = run(shell, ASKS_FOR_POSTGRES)
    assert said == f"Skipped in the browser: {IN_THE_BROWSER}\n"
    assert shown == []
    assert "sqlite_app" in shell.user_ns and "pg_app" not in shell.user_ns  # what ran before the failure stays


def test_later_cells_using_what_it_could_not_make_answer_with_a_note_too(browser_shell):
    shell, shown = browser_shell
    run(shell, ASKS_FOR_POSTGRES)
    assert run(shell, "def compare(app):\n    return app.name\n\ncompare(pg_app)") == (
        "Skipped in the browser: pg_app needs PostgreSQL (see the note of the cell that makes it).\n"
    )
    assert run(shell, "print(sqlite_app.name)") == "course_lib\n"  # the SQLite half goes on working
    assert shown == []


def test_other_errors_keep_their_traceback(browser_shell):
    shell, shown = browser_shell
    run(shell, ASKS_FOR_POSTGRES)
    run(shell, "sqlite_ap.name")  # a typo: the student's own NameError
    run(shell, "raise ValueError('mine')")
    assert shown == ["NameError", "ValueError"]


def test_a_name_bound_since_is_the_students_own_again(browser_shell):
    shell, shown = browser_shell
    run(shell, ASKS_FOR_POSTGRES)
    run(shell, "pg_app = 1")
    run(shell, "del pg_app")
    run(shell, "pg_app")
    assert shown == ["NameError"]


def test_a_failure_to_start_postgresql_on_a_computer_is_not_a_note(browser_shell, monkeypatch):
    shell, shown = browser_shell
    monkeypatch.setattr(sys, "platform", "linux")

    def cannot_start():
        raise postgres.PostgresUnavailable("The kit could not start its PostgreSQL server (OSError: initdb failed).")

    monkeypatch.setattr(postgres, "_server", cannot_start)
    run(shell, ASKS_FOR_POSTGRES)
    assert shown == ["PostgresUnavailable"]


def test_start_lesson_installs_the_notes_only_in_the_browser(monkeypatch):
    installed = []
    monkeypatch.setattr(lesson, "answer_unavailable_with_notes", lambda: installed.append(True))
    lesson.start_lesson(show_sql=False)
    assert installed == []
    monkeypatch.setattr(sys, "platform", "emscripten")
    lesson.start_lesson(show_sql=False)
    assert installed == [True]
    lesson._end_previous_lesson()
