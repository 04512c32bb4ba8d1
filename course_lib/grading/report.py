"""The instructor's report: one self-contained HTML page, plain inline JavaScript, everything escaped.

Students in a sortable table, the score distribution, the hardest checkpoints, and the most common diagnoses, each
linking to the students concerned.
"""

import statistics
from collections.abc import Sequence

from course_lib.authoring.manifest import Manifest
from course_lib.grading.gradebook import GradeRow
from course_lib.grading.safe_text import html_text
from course_lib.grading.students import StudentRecord, by_submission, graded_exercises, received_exercises

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; max-width: 80em; color: #1f2328; }
table { border-collapse: collapse; margin-bottom: 1.5em; } td, th { padding: .25em .6em; text-align: left; }
tbody tr:nth-child(even) { background: #f6f8fa; } td.number { text-align: right; }
th button { font: inherit; font-weight: bold; background: none; border: none; cursor: pointer; padding: 0; }
th[aria-sort=ascending] button::after { content: " ▲"; } th[aria-sort=descending] button::after { content: " ▼"; }
.bar { background: #cf222e; height: 1em; display: inline-block; } #filter-note { background: #fff8c5; padding: .5em; }
svg text { font-size: 12px; fill: #1f2328; } svg rect { fill: #2da44e; }
"""
SCRIPT = """
(() => {
  const table = document.getElementById("students");
  const body = table.tBodies[0];
  table.querySelectorAll("thead th button").forEach((button, column) => {
    button.addEventListener("click", () => {
      const header = button.parentElement;
      const ascending = header.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("thead th").forEach((other) => other.removeAttribute("aria-sort"));
      header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      const numeric = header.dataset.type === "number";
      const key = (row) => {
        const cell = row.cells[column];
        const text = cell.dataset.value ?? cell.textContent.trim();
        return numeric ? Number(text) : text.toLocaleLowerCase();
      };
      const rows = [...body.rows].sort((a, b) => {
        const order = numeric ? key(a) - key(b) : key(a).localeCompare(key(b));
        return ascending ? order : -order;
      });
      body.append(...rows);
    });
  });
  const note = document.getElementById("filter-note");
  const filter = () => {
    const match = /^#diagnosis=(d[0-9]+)$/.exec(location.hash);
    const chosen = match ? match[1] : null;
    let shown = 0;
    for (const row of body.rows) {
      const keep = !chosen || row.dataset.diagnoses.split(" ").includes(chosen);
      row.hidden = !keep;
      shown += keep ? 1 : 0;
    }
    note.hidden = !chosen;
    if (chosen) {
      note.querySelector("span").textContent =
        `${shown} student(s) with the diagnosis: ${document.getElementById(chosen).textContent}`;
      table.scrollIntoView();
    }
  };
  window.addEventListener("hashchange", filter);
  filter();
})();
"""


def report_html(
    rows: Sequence[GradeRow], records: Sequence[StudentRecord], feedback_names: Sequence[str], manifest: Manifest
) -> str:
    """The whole report page."""
    diagnoses = common_diagnoses(records)
    percents = [record.percent for record in records]
    invalid = [row.submission for row in rows if row.status == "invalid"]
    held = {row.submission: row.message for row in rows if row.status == "held"}
    mean = f"mean {statistics.fmean(percents):.1f}%, median {statistics.median(percents):.1f}%" if percents else ""
    parts = [
        f"<!doctype html><html lang='en'><meta charset='utf-8'><title>Gradebook</title><style>{STYLE}</style>",
        f"<main><h1>Gradebook</h1><p>{html_text(manifest.title)}</p>",
        f"<p>{len(records)} students, {len(by_submission(rows))} files, {len(invalid)} not gradable, "
        f"{len(held)} held for review; {mean}.</p>",
        _counted_note(records, manifest),
        _held_section(held),
        "<h2>Score distribution</h2>",
        distribution_svg(percents),
        _students_table(records, feedback_names, diagnoses, manifest),
        _hardest_checkpoints(rows, manifest),
        _diagnoses_table(diagnoses),
    ]
    if invalid:
        parts.append("<h2>Files that could not be graded</h2><ul>")
        parts += [
            f"<li><code>{html_text(row.submission)}</code>: {html_text(row.message)}</li>"
            for row in rows
            if row.status == "invalid"
        ]
        parts.append("</ul>")
    parts.append(f"</main><script>{SCRIPT}</script>")
    return "\n".join(parts) + "\n"


def _counted_note(records: Sequence[StudentRecord], manifest: Manifest) -> str:
    """Which exercises the percentages count, and those of them nobody sent a file for."""
    titles = {lesson.exercise: lesson.title for lesson in manifest.lessons}
    counted = graded_exercises(records)
    received = received_exercises(records)
    named = ", ".join(f"{html_text(titles[e])}{'' if e in received else ' (no file received)'}" for e in counted)
    points = sum(records[0].maxima.values()) if records else 0
    return f"<p id='counted'>Percentages count {len(counted)} exercise(s), {points} points: {named}.</p>"


def _held_section(held: dict[str, str]) -> str:
    """The submissions held for review, first: each with where its code leaves the course's vocabulary."""
    if not held:
        return ""
    items = "".join(
        f"<li><code>{html_text(name)}</code>: {html_text(message.partition(': ')[2])}</li>"
        for name, message in held.items()
    )
    return (
        f"<h2 id='held'>Held for review ({len(held)})</h2><p>Their code goes beyond the course's vocabulary, so the "
        "grader did not run them: 0 points until you decide. Read each one; to grade it anyway (still sandboxed), "
        "run the grade command again with <code>--admit FILE</code>.</p><ul>" + items + "</ul>"
    )


def common_diagnoses(records: Sequence[StudentRecord], most: int = 15) -> list[tuple[str, str, list[int]]]:
    """The most common (checkpoint, message) of unpassed checkpoints, with the indexes of the students concerned."""
    students: dict[tuple[str, str], list[int]] = {}
    for index, record in enumerate(records):
        for row in record.rows:
            if row.checkpoint and row.status != "passed":
                concerned = students.setdefault((row.checkpoint, row.message), [])
                if index not in concerned:
                    concerned.append(index)
    ranked = sorted(students.items(), key=lambda item: (-len(item[1]), item[0]))[:most]
    return [(checkpoint, message, concerned) for (checkpoint, message), concerned in ranked]


def distribution_svg(percents: Sequence[float], width: int = 520, height: int = 180) -> str:
    """A bar chart of how many students scored 0-9%, 10-19%, ... 90-100%, as inline SVG."""
    counts = [0] * 10
    for percent in percents:
        counts[min(int(percent // 10), 9)] += 1
    top = max(counts) or 1
    step, base = width // 10, height - 20
    bars = []
    for index, count in enumerate(counts):
        bar = (base - 16) * count / top
        x = index * step
        bars.append(
            f"<rect x='{x + 4}' y='{base - bar:.1f}' width='{step - 8}' height='{bar:.1f}'>"
            f"<title>{count} students at {index * 10}-{index * 10 + 9 if index < 9 else 100}%</title></rect>"
            f"<text x='{x + step / 2}' y='{base - bar - 3:.1f}' text-anchor='middle'>{count}</text>"
            f"<text x='{x + step / 2}' y='{height - 4}' text-anchor='middle'>{index * 10}%</text>"
        )
    label = "Students per score band: " + ", ".join(f"{i * 10}%: {count}" for i, count in enumerate(counts))
    return (
        f"<svg id='distribution' role='img' aria-label='{label}' width='{width}' height='{height}' "
        f"viewBox='0 0 {width} {height}' xmlns='http://www.w3.org/2000/svg'>{''.join(bars)}</svg>"
    )


def _students_table(
    records: Sequence[StudentRecord],
    feedback_names: Sequence[str],
    diagnoses: list[tuple[str, str, list[int]]],
    manifest: Manifest,
) -> str:
    exercises = graded_exercises(records)
    titles = {lesson.exercise: lesson.title for lesson in manifest.lessons}
    diagnosed: dict[int, list[str]] = {}
    for number, (_, _, concerned) in enumerate(diagnoses):
        for index in concerned:
            diagnosed.setdefault(index, []).append(f"d{number}")
    headers = [("student", "text"), ("id", "text"), *((e, "number") for e in exercises), ("total", "number")]
    headers.append(("percent", "number"))
    lines = [
        "<h2>Students</h2>",
        "<p id='filter-note' hidden><span></span> <a href='#students'>Show all students</a></p>",
        "<table id='students'><thead><tr>",
        *(
            f"<th data-type='{kind}' title='{html_text(titles.get(name, name))}'><button type='button'>"
            f"{html_text(name)}</button></th>"
            for name, kind in headers
        ),
        "<th>feedback</th></tr></thead><tbody>",
    ]
    for index, (record, page) in enumerate(zip(records, feedback_names, strict=True)):
        cells = [
            f"<td>{html_text(record.submitter.name)}</td><td>{html_text(record.submitter.student_id)}</td>",
            *(f"<td class='number'>{record.points[exercise]}</td>" for exercise in exercises),
            f"<td class='number'>{record.total}</td>",
            f"<td class='number' data-value='{record.percent:.2f}'>{record.percent:.0f}%</td>",
            f"<td><a href='feedback/{html_text(page)}'>feedback</a></td>",
        ]
        lines.append(f"<tr data-diagnoses='{' '.join(diagnosed.get(index, []))}'>{''.join(cells)}</tr>")
    return "\n".join([*lines, "</tbody></table>"])


def _hardest_checkpoints(rows: Sequence[GradeRow], manifest: Manifest, most: int = 10) -> str:
    attempts: dict[str, list[bool]] = {}
    for row in rows:
        if row.checkpoint:
            attempts.setdefault(row.checkpoint, []).append(row.status == "passed")
    rates = sorted(((sum(passed) / len(passed), checkpoint) for checkpoint, passed in attempts.items()))[:most]
    lines = ["<h2>Hardest checkpoints</h2><table id='hardest'>"]
    lines.append("<tr><th>checkpoint</th><th>passed</th><th>not passed</th></tr>")
    for rate, checkpoint in rates:
        info = manifest.checkpoint(checkpoint)
        task = f"<br>{html_text(info.task)}" if info else ""
        lines.append(
            f"<tr><td><code>{html_text(checkpoint)}</code>{task}</td>"
            f"<td>{rate:.0%} of {len(attempts[checkpoint])}</td>"
            f"<td><span class='bar' aria-hidden='true' style='width:{(1 - rate) * 10:.1f}em'></span></td></tr>"
        )
    return "\n".join([*lines, "</table>"])


def _diagnoses_table(diagnoses: list[tuple[str, str, list[int]]]) -> str:
    lines = ["<h2>Most common diagnoses</h2><table id='diagnoses'><tr><th>students</th><th>checkpoint</th>"]
    lines.append("<th>diagnosis</th></tr>")
    for number, (checkpoint, message, concerned) in enumerate(diagnoses):
        lines.append(
            f"<tr><td><a href='#diagnosis=d{number}'>{len(concerned)} student(s)</a></td>"
            f"<td><code>{html_text(checkpoint)}</code></td><td id='d{number}'>{html_text(message)}</td></tr>"
        )
    return "\n".join([*lines, "</table>"])
