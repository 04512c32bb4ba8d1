"""What a check says: a status and a message, shown as text, HTML and machine-readable JSON."""

import html
import json
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from course_lib.protocol import VERDICT_MIMETYPE


class Status(StrEnum):
    """How far a checkpoint got."""

    PASSED = "passed"
    NOT_DONE = "not done yet"
    NOT_RUN = "not run yet"
    RAISED = "answer raised"
    MISTAKE = "mistake"
    CHECK_FAILED = "could not be checked"
    HELD = "held for review"


_ICONS = {
    Status.PASSED: "✅",
    Status.NOT_DONE: "⏳",
    Status.NOT_RUN: "▶️",
    Status.RAISED: "💥",
    Status.MISTAKE: "❌",
    Status.CHECK_FAILED: "⚠️",
    Status.HELD: "🔒",
}
_COLOURS = {Status.PASSED: "#1a7f37", Status.NOT_DONE: "#6e7781", Status.NOT_RUN: "#6e7781"}


@dataclass(frozen=True)
class Verdict:
    """The outcome of one checkpoint, with a message that says what to do next."""

    checkpoint: str
    status: Status
    message: str

    @property
    def headline(self) -> str:
        """Icon, checkpoint and status on one line."""
        return f"{_ICONS[self.status]} {self.checkpoint}: {self.status.value}"

    def __str__(self) -> str:
        """Headline, then the message."""
        return f"{self.headline}\n{self.message}"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        colour = _COLOURS.get(self.status, "#cf222e")
        return {
            "text/plain": str(self),
            "text/html": (
                f'<div style="border-left: 4px solid {colour}; padding: 0.3em 0.8em">'
                f"<strong>{html.escape(self.headline)}</strong><br>{html.escape(self.message)}</div>"
            ),
            VERDICT_MIMETYPE: json.dumps(
                {**asdict(self), "status": self.status.name.lower(), "label": self.status.value}
            ),
        }


@dataclass(frozen=True)
class Finding:
    """What a judge found, before the registry binds it to its checkpoint as a Verdict."""

    status: Status
    message: str


def passed(message: str) -> Finding:
    """A pass, with what was verified."""
    return Finding(Status.PASSED, message)


def mistake(message: str) -> Finding:
    """A diagnosed mistake, with how to fix it."""
    return Finding(Status.MISTAKE, message)
