"""A feedback page per student, to send them: each checkpoint's status, the check's message, their answer, the hint.

A page holds only what the student already has or may see: their own files and answers, the check messages, and the
tasks and hints of the manifest. Never a reference solution or anyone else's work. Everything is HTML-escaped.
"""

import re
import unicodedata
from collections.abc import Sequence

from course_lib.authoring.manifest import Manifest
from course_lib.grading.gradebook import GradeRow
from course_lib.grading.safe_text import html_text
from course_lib.grading.students import StudentRecord, by_submission

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 60em; color: #1f2328; padding: 0 1em; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1.5em; } td, th { padding: .4em .6em;
text-align: left; vertical-align: top; border-bottom: 1px solid #d0d7de; } pre { white-space: pre-wrap;
background: #f6f8fa; padding: .5em; margin: 0; } .passed { color: #1a7f37; font-weight: bold; }
.failed, .error, .timeout, .missing, .invalid, .held { color: #cf222e; font-weight: bold; }
.note { color: #59636e; }
"""
STATUS_WORDS = {
    "passed": "passed",
    "failed": "not yet",
    "error": "error",
    "timeout": "time limit",
    "missing": "no answer",
    "invalid": "could not be graded",
    "held": "held for review",
}
HELD_NOTE = (
    "Your instructor will read this notebook before it gets any points: some of its code goes beyond what the "
    "exercises use, so the grader did not run it. Where:"
)


def feedback_file_names(records: Sequence[StudentRecord]) -> list[str]:
    """A safe, distinct file name for each record's page: letters and digits of the name and id, joined by hyphens."""
    names: list[str] = []
    for record in records:
        text = unicodedata.normalize("NFKC", f"{record.submitter.name} {record.submitter.student_id}").lower()
        stem = re.sub(r"[^\w]+|_+", "-", text).strip("-")[:80].strip("-") or "student"
        name, number = f"{stem}.html", 1
        while name in names:
            number += 1
            name = f"{stem}-{number}.html"
        names.append(name)
    return names


def feedback_html(record: StudentRecord, manifest: Manifest) -> str:
    """The whole feedback page of one student."""
    who = record.submitter
    heading = html_text(who.name) + (f" ({html_text(who.student_id)})" if who.student_id else "")
    parts = [
        f"<!doctype html><html lang='en'><meta charset='utf-8'><title>Feedback: {html_text(who.name)}</title>",
        f"<style>{STYLE}</style><main><h1>Feedback for {heading}</h1>",
        f"<p>{html_text(manifest.title)}</p>",
        f"<p><strong>{record.total} of {record.maximum} points ({record.percent:.0f}%).</strong></p>",
    ]
    files = by_submission(record.rows)
    lessons = {lesson.exercise: lesson for lesson in manifest.lessons}
    for exercise, points in record.points.items():
        title = html_text(lessons[exercise].title)
        parts.append(f"<h2>{title}: {points} of {record.maxima[exercise]}</h2>")
        counted = record.counted.get(exercise)
        if counted is None:
            parts.append("<p class='note'>No notebook for this exercise was received: 0 points.</p>")
            continue
        parts.append(_file_section(counted, files[counted], manifest, "the notebook graded"))
        for other in (name for name, rows in files.items() if rows[0].exercise == exercise and name != counted):
            parts.append(_file_section(other, files[other], manifest, "another notebook for it (a better one counts)"))
    unmatched = [name for name, rows in files.items() if rows[0].exercise not in record.points]
    if unmatched:
        parts.append("<h2>Other files</h2>")
        for name in unmatched:
            role = (
                "not counted in this grading" if files[name][0].exercise in lessons else "not an exercise of the course"
            )
            parts.append(_file_section(name, files[name], manifest, role))
    return "\n".join([*parts, "</main>"]) + "\n"


def _file_section(name: str, rows: list[GradeRow], manifest: Manifest, role: str) -> str:
    """One submitted file: its name, and a row per checkpoint (or why it could not be graded)."""
    lines = [f"<p class='note'>{html_text(role).capitalize()}: <code>{html_text(name)}</code></p>"]
    if rows[0].status == "invalid":
        return "\n".join([*lines, f"<p class='invalid'>Could not be graded: {html_text(rows[0].message)}</p>"])
    if rows[0].status == "held":
        where = rows[0].message.partition(": ")[2]
        return "\n".join([*lines, f"<p class='held'>{HELD_NOTE} {html_text(where)}</p>"])
    lines.append("<table><tr><th>checkpoint</th><th>result</th><th>your answer</th><th>hint</th></tr>")
    for row in rows:
        info = manifest.checkpoint(row.checkpoint)
        task = f"<br><span class='note'>{html_text(info.task)}</span>" if info else ""
        answer = "<span class='note'>none</span>"
        if row.answer.strip():
            answer = f"<pre>{html_text(row.answer, code=True)}</pre>"
        hint = html_text(info.hint) if info else ""
        status = row.status if row.status in STATUS_WORDS else "error"
        lines.append(
            f"<tr><td><code>{html_text(row.checkpoint)}</code>{task}</td>"
            f"<td><span class='{status}'>{STATUS_WORDS[status]}</span>"
            f"<br>{html_text(row.message)}</td><td>{answer}</td><td>{hint}</td></tr>"
        )
    return "\n".join([*lines, "</table>"])
