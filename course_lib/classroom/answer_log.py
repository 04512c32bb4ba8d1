"""Records each run of an answer cell (marked `# answer: <checkpoint>`) so that its check can judge it."""

from dataclasses import dataclass
from typing import Any

from course_lib.protocol import marked_checkpoints


@dataclass(frozen=True)
class AnswerRun:
    """One run of an answer cell: its source and the exception it stopped with, if any."""

    checkpoint: str
    source: str
    error: BaseException | None


class AnswerLog:
    """The latest run of each checkpoint's answer cell."""

    def __init__(self) -> None:
        """Start with no runs."""
        self._latest: dict[str, AnswerRun] = {}

    def record(self, source: str, error: BaseException | None) -> None:
        """Remember a cell run if the cell is an answer cell."""
        for checkpoint in marked_checkpoints(source):
            self._latest[checkpoint] = AnswerRun(checkpoint, source, error)

    def latest(self, checkpoint: str) -> AnswerRun | None:
        """The most recent run of the checkpoint's answer cell, or None if it has not run."""
        return self._latest.get(checkpoint)

    def clear(self) -> None:
        """Forget every run (the database they changed is gone)."""
        self._latest.clear()

    def record_cells_of(self, shell: Any) -> None:
        """Record every cell that an IPython shell runs from now on (once per shell)."""
        if getattr(shell, "_course_lib_answer_log", None) is self:
            return
        shell._course_lib_answer_log = self
        shell.events.register("post_run_cell", self._record_result)

    def _record_result(self, result: Any) -> None:
        self.record(result.info.raw_cell or "", result.error_before_exec or result.error_in_exec)


ANSWERS = AnswerLog()
