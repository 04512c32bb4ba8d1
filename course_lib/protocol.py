"""What the kit's processes and files agree on: markers, tags, metadata keys, MIME types, variables, entry points.

Dependency-free on purpose: the grader, the sandboxed runner, the kernel and authoring tools all import it cheaply.
"""

import re

#: The first line of an answer cell, `# answer: <checkpoint id>`, which is how a check finds its answer.
ANSWER_MARKER = re.compile(r"^#\s*answer:\s*(?P<checkpoint>[\w.]+)\s*$", re.MULTILINE)

#: Cell tags of the notebook format, and the key of the kit's own metadata (`metadata.course`).
ANSWER_TAG = "answer"
CHECK_TAG = "check"
HINT_TAG = "hint"
KIT_KEY = "course"

#: The machine-readable part of a verdict a check cell displays.
VERDICT_MIMETYPE = "application/vnd.course-lib.verdict+json"

#: The environment variable that chooses the lessons' database (empty: in-memory SQLite).
DATABASE_VARIABLE = "COURSE_DATABASE"

#: Set by the grader's runner: the file that holds the lesson's SQLite database instead of memory, so that the
#: runner's parent can read what the student's notebook committed, in the database itself.
LESSON_FILE_VARIABLE = "COURSE_LESSON_FILE"

#: jsonschema (through nbformat) imports this optional IRI checker, which builds ~35 parsers at import (seconds per
#: process; python-jsonschema/jsonschema#1428). No notebook schema uses IRI formats: the kit marks it absent.
SLOW_OPTIONAL_MODULE = "rfc3987_syntax"


def marked_checkpoints(source: str) -> list[str]:
    """The checkpoint ids named by the answer markers in a cell's source."""
    return [match["checkpoint"] for match in ANSWER_MARKER.finditer(source)]
