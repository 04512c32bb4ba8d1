"""The class at a glance in one HTML page: pass rate per checkpoint, common diagnoses, feedback per student."""

import html
from collections import Counter
from collections.abc import Sequence

from course_lib.grading.gradebook import GradeRow, summary_rows

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 70em; color: #1f2328; }
table { border-collapse: collapse; margin-bottom: 1.5em; } td, th { padding: .25em .6em; text-align: left; }
tr:nth-child(even) { background: #f6f8fa; } .bar { background: #2da44e; height: 1em; display: inline-block; }
.passed { color: #1a7f37; } .failed, .error, .timeout, .missing, .invalid { color: #cf222e; }
"""


def report_html(rows: Sequence[GradeRow]) -> str:
    """The whole report page."""
    summary = summary_rows(rows)
    mean = sum(int(row["points"]) for row in summary) / max(len(summary), 1)
    parts = [
        f"<!doctype html><meta charset='utf-8'><title>Gradebook</title><style>{_STYLE}</style>",
        f"<h1>Gradebook</h1><p>{len(summary)} submissions, mean {mean:.1f} points.</p>",
        _pass_rates(rows),
        _common_diagnoses(rows),
        _feedback(rows),
    ]
    return "\n".join(parts)


def _pass_rates(rows: Sequence[GradeRow]) -> str:
    graded = [row for row in rows if row.checkpoint]
    checkpoints = list(dict.fromkeys(row.checkpoint for row in graded))
    lines = ["<h2>Pass rate per checkpoint</h2><table><tr><th>checkpoint</th><th>passed</th><th></th></tr>"]
    for checkpoint in checkpoints:
        own = [row for row in graded if row.checkpoint == checkpoint]
        rate = sum(row.status == "passed" for row in own) / len(own)
        lines.append(
            f"<tr><td><code>{html.escape(checkpoint)}</code></td><td>{rate:.0%} of {len(own)}</td>"
            f"<td><span class='bar' style='width:{rate * 20:.1f}em'></span></td></tr>"
        )
    return "\n".join([*lines, "</table>"])


def _common_diagnoses(rows: Sequence[GradeRow]) -> str:
    counts = Counter((row.checkpoint, row.message) for row in rows if row.status != "passed")
    lines = ["<h2>Most common diagnoses</h2><table><tr><th>students</th><th>checkpoint</th><th>diagnosis</th></tr>"]
    lines += [
        f"<tr><td>{count}</td><td><code>{html.escape(checkpoint)}</code></td><td>{html.escape(message)}</td></tr>"
        for (checkpoint, message), count in counts.most_common(15)
    ]
    return "\n".join([*lines, "</table>"])


def _feedback(rows: Sequence[GradeRow]) -> str:
    lines = ["<h2>Feedback per student</h2>"]
    for entry in summary_rows(rows):
        name = str(entry["submission"])
        lines.append(f"<h3>{html.escape(name)}: {entry['points']} / {entry['max_points']}</h3><table>")
        lines += [
            f"<tr><td><code>{html.escape(row.checkpoint)}</code></td><td class='{row.status}'>{row.status}</td>"
            f"<td>{html.escape(row.message)}</td></tr>"
            for row in rows
            if row.submission == name
        ]
        lines.append("</table>")
    return "\n".join(lines)
