"""The tutorial kit's helper library: a fresh seeded book-club database per notebook, SQL echo and checks."""

import importlib
from typing import Any

# What `from course_lib import ...` offers, and where each name lives. Each is imported on first use, so that the
# grader's processes, which use only course_lib.grading, do not pay half a second for Flask-SQLAlchemy.
_EXPORTS = {
    "Annotation": "course_lib.bookclub.models",
    "Book": "course_lib.bookclub.models",
    "Reader": "course_lib.bookclub.models",
    "Review": "course_lib.bookclub.models",
    "SessionInspector": "course_lib.classroom.inspector",
    "Shelf": "course_lib.bookclub.lending",
    "VersionedShelf": "course_lib.bookclub.lending",
    "check": "course_lib.checks",
    "create_club_app": "course_lib.bookclub.webapp",
    "db": "course_lib.bookclub.models",
    "open_session": "course_lib.classroom.lesson",
    "rollback_playground": "course_lib.classroom.playground",
    "show_session": "course_lib.classroom.inspector",
    "show_sql": "course_lib.classroom.lesson",
    "start_lesson": "course_lib.classroom.lesson",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Import a lesson-facing name the first time it is asked for."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'course_lib' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The module's names, the lesson-facing ones included before their first use."""
    return sorted({*globals(), *_EXPORTS})
