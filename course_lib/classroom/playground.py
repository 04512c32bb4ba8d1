"""The add-and-rollback playground: a form with Add, Commit and Rollback buttons, an inspector, and what happened.

The buttons do what the lesson's cells do (`db.session.add`, `commit`, `rollback`) on the lesson's own session; after
each click the playground says in plain words what just happened and shows the session, the table and the SQL.
"""

import html
from typing import Any

import ipywidgets as widgets
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError, PendingRollbackError

from course_lib.bookclub.models import Reader, db
from course_lib.classroom.inspector import SessionInspector
from course_lib.classroom.session_state import waits_for_rollback

FIELDS = ("name", "surname", "email")
NO_WIDGETS = (
    "The playground's buttons need a live Jupyter kernel: open this lesson in JupyterLab and run the cell. "
    "Below is the session as it was when the cell ran."
)


class RollbackPlayground:
    """A reader form whose buttons add, commit and roll back on the lesson's session, explained after each click."""

    def __init__(self) -> None:
        """Build the form, the buttons, the explanation and the inspector."""
        self.fields = {name: widgets.Text(description=name, placeholder=_PLACEHOLDERS[name]) for name in FIELDS}
        self.add_button = widgets.Button(description="Add", tooltip="db.session.add(Reader(...))")
        self.commit_button = widgets.Button(description="Commit", tooltip="db.session.commit()", button_style="success")
        self.rollback_button = widgets.Button(description="Rollback", tooltip="db.session.rollback()")
        self.add_button.on_click(lambda _button: self.add())
        self.commit_button.on_click(lambda _button: self.commit())
        self.rollback_button.on_click(lambda _button: self.rollback())
        self.explanation = widgets.HTML()
        self.explanation.add_class("course-explanation")
        self.inspector = SessionInspector(title="The session, after the last click")
        self.said = "Fill in a reader and press Add. To see the rollback, give a second reader an email already used."
        self.explanation.value = _paragraph(self.said)
        buttons = widgets.HBox([self.add_button, self.commit_button, self.rollback_button])
        self.widget = widgets.VBox([*self.fields.values(), buttons, self.explanation, self.inspector.widget])
        self.widget.add_class("course-playground")

    def add(self) -> None:
        """Add a reader made from the form to the session (nothing is sent to the database yet)."""
        values = {name: field.value.strip() for name, field in self.fields.items()}
        if not all(values.values()):
            missing = ", ".join(name for name, value in values.items() if not value)
            self._say(f"Fill in {missing} first: the reader table requires a value in every column (NOT NULL).")
            return
        if waits_for_rollback(db.session()):
            self._say(
                "Press Rollback first: the session still holds the failed transaction. (In code, db.session.add() "
                "would accept the reader, but the next commit would raise PendingRollbackError.)"
            )
            return
        db.session.add(Reader(**values))
        self._say(
            f"{values['name']} {values['surname']} is now pending: in db.session.new, waiting to be inserted. "
            "No SQL was sent. Press Commit to send the INSERT, or add more readers first."
        )

    def commit(self) -> None:
        """Commit, and explain a refusal of the UNIQUE rule on email, or a session that must be rolled back first."""
        pending = [
            (reader, f"{reader.name} {reader.surname}") for reader in db.session.new if isinstance(reader, Reader)
        ]
        try:
            db.session.commit()
        except IntegrityError:
            self._say(_refusal([reader for reader, _ in pending]))
            return
        except PendingRollbackError:
            self._say(
                "Refused before any SQL was sent: the session still holds the failed transaction. Press Rollback first "
                "(that is the db.session.rollback() in the lesson's except IntegrityError: branch)."
            )
            return
        # the id from the identity key: reading reader.id after the commit would send a SELECT to reload it
        saved = ", ".join(f"{name} (id {inspect(reader).identity[0]})" for reader, name in pending) or "nothing new"
        self._say(f"Committed: the database keeps the transaction for good. Saved: {saved}.")

    def rollback(self) -> None:
        """Roll back, and say what was thrown away."""
        session = db.session()
        pending = [reader for reader in session.new if isinstance(reader, Reader)]
        failed = waits_for_rollback(session)
        session.rollback()
        if failed:
            self._say(
                "Rolled back: the session is usable again. No SQL was needed: the database had already undone the "
                "failed transaction. Its readers left the session at the failed commit (transient again, with no id), "
                "and the table holds what the last successful commit left."
            )
        elif pending:
            names = ", ".join(f"{reader.name} {reader.surname}" for reader in pending)
            self._say(f"Rolled back: {names} left the session without ever reaching the database.")
        else:
            self._say("Rolled back: there was nothing waiting to be undone.")

    def _say(self, text: str) -> None:
        self.said = text
        self.explanation.value = _paragraph(text)
        self.inspector.refresh("SQL sent by the last click")

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(**kwargs) or {}
        view = self.inspector.view
        text = f"{NO_WIDGETS}\n\n{view.text()}"
        return {**bundle, "text/plain": text, "text/html": _paragraph(NO_WIDGETS) + view.html()}


def rollback_playground() -> RollbackPlayground:
    """A playground on the lesson's session: add readers, commit, provoke the duplicate email, roll back."""
    return RollbackPlayground()


def _refusal(pending: list[Reader]) -> str:
    """What a refused commit means, in plain words, naming the email that was already taken."""
    emails = sorted({reader.email for reader in pending})
    taken = f"the email {emails[0]}" if len(emails) == 1 else "one of the emails"
    return (
        f"The database refused an INSERT: {taken} is already used by another reader, and the UNIQUE rule on "
        "reader.email allows it only once. SQLAlchemy sent ROLLBACK, so the database undid the whole transaction, "
        "and the readers it was inserting left the session. The session is now inactive: press Rollback to tell "
        "it, as the lesson's except IntegrityError: branch does with db.session.rollback()."
    )


def _paragraph(text: str) -> str:
    return f"<p style='margin:4px 0;font-family:sans-serif'>{html.escape(text)}</p>"


_PLACEHOLDERS = {"name": "Nova", "surname": "Yuni", "email": "nova.yeni@example.com"}
