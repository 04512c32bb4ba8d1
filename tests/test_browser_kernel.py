"""Pyodide's kernel runs each cell as a task of its own: start_lesson() makes later cells share its context."""

import asyncio
import contextvars
import sys
from types import SimpleNamespace

from flask import current_app

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
