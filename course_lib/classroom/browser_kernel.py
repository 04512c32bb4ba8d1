"""In the browser (JupyterLite's Pyodide kernel): later cells and widget clicks keep the lesson's app context."""

import asyncio
import contextvars
import functools
from typing import Any

from IPython import get_ipython

COMM_HANDLERS = ("comm_open", "comm_msg", "comm_close")


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
