"""The session inspector: the session's objects and their states, a table's rows and the SQL sent, live or frozen.

`show_session()` shows one moment and never changes afterwards; `SessionInspector()` is a widget that refreshes after
every cell. Both carry a text and an HTML view, so that where no widget can be drawn (nbval, nbconvert, a notebook
shown on a code-hosting site) the same information is still there.
"""

import html
import weakref
from dataclasses import dataclass
from typing import Any

import ipywidgets as widgets
from flask import Flask, current_app
from IPython import get_ipython

from course_lib.bookclub.models import Reader, db
from course_lib.classroom.echo import SqlEcho, echo_of
from course_lib.classroom.session_state import SessionState, session_state

NO_LESSON = "No lesson database yet: run start_lesson() first."
_STATE_COLOURS = {"pending": "#9a6700", "persistent": "#1a7f37", "deleted": "#cf222e"}
_live: "weakref.WeakSet[SessionInspector]" = weakref.WeakSet()


@dataclass(frozen=True)
class SessionView:
    """One moment of the session, with the SQL sent just before it, rendered as text or HTML."""

    title: str
    state: SessionState | None
    sql: tuple[str, ...]
    sql_heading: str

    def text(self) -> str:
        """The view as plain text."""
        lines = [self.title] if self.title else []
        if self.state is None:
            return "\n".join([*lines, NO_LESSON])
        lines.append(f"Session: {self.state.transaction}")
        lines.append("Objects (held by the session, or that left it):" if self.state.objects else "Objects: none")
        for item in self.state.objects:
            lines.append(f"  {item.state:<10} {item.label}" + (f"  ({item.note})" if item.note else ""))
        lines.append(f"Table {self.state.table}, {self.state.rows_source}: {_count(self.state.rows)}")
        lines += ["  " + " | ".join(map(str, row)) for row in self.state.rows]
        lines.append(f"{self.sql_heading}:" if self.sql else f"{self.sql_heading}: none")
        lines += [f"  {statement}" for statement in self.sql]
        return "\n".join(lines)

    def html(self) -> str:
        """The view as an HTML block (inline styles only, so that it looks the same wherever it is shown)."""
        parts = [f"<div class='course-session-view' style='{_BOX}'>"]
        if self.title:
            parts.append(f"<div style='font-weight:bold'>{html.escape(self.title)}</div>")
        if self.state is None:
            parts.append(f"<div>{html.escape(NO_LESSON)}</div></div>")
            return "".join(parts)
        parts.append(f"<div class='course-transaction'><b>Session:</b> {html.escape(self.state.transaction)}</div>")
        parts.append(_objects_table(self.state))
        parts.append(
            f"<div><b>Table <code>{self.state.table}</code></b>, {html.escape(self.state.rows_source)}: "
            f"{_count(self.state.rows)}</div>"
        )
        parts.append(_rows_table(self.state))
        statements = "\n".join(html.escape(statement) for statement in self.sql) or "none"
        parts.append(f"<div><b>{html.escape(self.sql_heading)}:</b></div><pre class='course-sql' style='{_PRE}'>")
        parts.append(f"{statements}</pre></div>")
        return "".join(parts)


class ShownSession:
    """A frozen view, displayed as HTML where HTML is shown and as text elsewhere."""

    def __init__(self, view: SessionView) -> None:
        self.view = view

    def _repr_mimebundle_(self, **_kwargs: Any) -> dict[str, str]:
        return {"text/plain": self.view.text(), "text/html": self.view.html()}


class SessionInspector:
    """A live view of the lesson's session, refreshed after every cell; where no widget is drawn, its latest view."""

    def __init__(self, model: type[Any] = Reader, title: str = "Session inspector (live)") -> None:
        """Show `model`'s table (readers by default) and start following the session."""
        self._model = model
        self._title = title
        self._marks = SqlMarks()
        self.view = SessionView(title, None, (), "")
        self.widget = widgets.HTML()
        self.widget.add_class("course-inspector")
        app = _lesson_app()
        if app is not None:
            self._marks.new_statements(echo_of(app))  # what was sent before the inspector existed is not its story
        self.refresh("SQL sent by the last cell")
        _live.add(self)
        _refresh_after_each_cell()

    def refresh(self, sql_heading: str = "SQL sent by the last cell") -> None:
        """Read the session again and redraw."""
        self.view = current_view(self._title, self._model, self._marks, sql_heading)
        self.widget.value = self.view.html()

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(**kwargs) or {}
        return {**bundle, "text/plain": self.view.text(), "text/html": self.view.html()}


class SqlMarks:
    """Remembers how many statements each lesson's engine had sent, to tell what was sent since."""

    def __init__(self) -> None:
        self._echo: SqlEcho | None = None
        self._mark = 0

    def new_statements(self, echo: SqlEcho) -> list[str]:
        """The statements sent since the previous call (all of them for a new lesson's engine)."""
        if echo is not self._echo:
            self._echo, self._mark = echo, 0
        statements = echo.since(self._mark)
        self._mark = echo.sent
        return statements


_SHOWN_MARKS = SqlMarks()


def show_session(title: str = "", model: type[Any] = Reader) -> ShownSession:
    """The session and `model`'s table at this moment, with the SQL sent since the previous `show_session()`."""
    return ShownSession(current_view(title, model, _SHOWN_MARKS, "SQL sent since the previous view"))


def current_view(title: str, model: type[Any], marks: SqlMarks, sql_heading: str) -> SessionView:
    """The lesson's session right now, or a view saying there is no lesson yet."""
    app = _lesson_app()
    if app is None:
        return SessionView(title, None, (), sql_heading)
    state = session_state(db.session(), model)
    return SessionView(title, state, tuple(marks.new_statements(echo_of(app))), sql_heading)


def _lesson_app() -> Flask | None:
    """The app of the lesson started last, if any."""
    try:
        return current_app._get_current_object()  # type: ignore[attr-defined]
    except RuntimeError:
        return None


def _refresh_after_each_cell() -> None:
    """Make every live inspector refresh after each cell the shell runs (registered once per shell)."""
    shell = get_ipython()
    if shell is None or getattr(shell, "_course_lib_inspectors", False):
        return
    shell._course_lib_inspectors = True
    shell.events.register("post_run_cell", lambda _result: [inspector.refresh() for inspector in list(_live)])


def _count(rows: tuple[Any, ...]) -> str:
    return f"{len(rows)} row{'s' if len(rows) != 1 else ''}"


def _objects_table(state: SessionState) -> str:
    if not state.objects:
        return "<div><b>Objects:</b> none</div>"
    rows = "".join(
        f"<tr><td style='{_CELL};color:{_STATE_COLOURS.get(item.state, '#6e7781')};font-weight:bold'>{item.state}</td>"
        f"<td style='{_CELL}'><code>{html.escape(item.label)}</code></td>"
        f"<td style='{_CELL}'>{html.escape(item.note)}</td></tr>"
        for item in state.objects
    )
    header = f"<tr><th style='{_CELL}'>state</th><th style='{_CELL}'>object</th><th style='{_CELL}'>note</th></tr>"
    heading = "<div><b>Objects (held by the session, or that left it):</b></div>"
    return f"{heading}<table class='course-objects'>{header}{rows}</table>"


def _rows_table(state: SessionState) -> str:
    header = "".join(f"<th style='{_CELL}'>{column}</th>" for column in state.columns)
    body = "".join(
        "<tr>" + "".join(f"<td style='{_CELL}'>{html.escape(str(value))}</td>" for value in row) + "</tr>"
        for row in state.rows
    )
    return f"<table class='course-rows'><tr>{header}</tr>{body}</table>"


_BOX = "border:1px solid #d0d7de;border-radius:6px;padding:6px 10px;font-family:sans-serif;font-size:13px"
_CELL = "border:1px solid #d0d7de;padding:2px 6px;text-align:left"
_PRE = "margin:2px 0;padding:4px;background:#f6f8fa;white-space:pre-wrap"
