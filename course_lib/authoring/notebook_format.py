"""The kit's notebook format: answer and check cells tagged and linked by `course.checkpoint` metadata."""

from nbformat import NotebookNode

from course_lib.protocol import ANSWER_TAG, CHECK_TAG, KIT_KEY, marked_checkpoints


def exercise_name(notebook: NotebookNode) -> str | None:
    """The exercise a notebook belongs to (`metadata.course.exercise`), if it names one."""
    value = _kit_metadata(notebook.get("metadata")).get("exercise")
    return value if isinstance(value, str) else None


def checkpoint_of(cell: NotebookNode) -> str | None:
    """The checkpoint id an answer or check cell belongs to (`metadata.course.checkpoint`), if it names one."""
    value = _kit_metadata(cell.get("metadata")).get("checkpoint")
    return value if isinstance(value, str) else None


def has_tag(cell: NotebookNode, tag: str) -> bool:
    """True when the cell carries the tag."""
    metadata = cell.get("metadata")
    tags = metadata.get("tags") if isinstance(metadata, dict) else None
    return isinstance(tags, list) and tag in tags


def _kit_metadata(metadata: object) -> dict:
    """The kit's part of a metadata mapping; empty when a (student's) notebook has it in any other shape."""
    kit = metadata.get(KIT_KEY) if isinstance(metadata, dict) else None
    return kit if isinstance(kit, dict) else {}


def checkpoints(notebook: NotebookNode) -> list[str]:
    """The checkpoint ids of the notebook's answer cells, in order."""
    return [checkpoint_of(cell) or "" for cell in notebook.cells if has_tag(cell, ANSWER_TAG)]


def format_problems(notebook: NotebookNode) -> list[str]:
    """Every way the notebook breaks the kit's exercise format, in words (empty when it is well formed)."""
    problems = [] if exercise_name(notebook) else ["the notebook has no metadata course.exercise"]
    cells = notebook.cells
    for index, cell in enumerate(cells):
        checkpoint = checkpoint_of(cell)
        if has_tag(cell, ANSWER_TAG):
            if not checkpoint:
                problems.append(f"answer cell {index} has no metadata course.checkpoint")
            elif checkpoint not in marked_checkpoints(cell.source):
                problems.append(f"answer cell {index} lacks the line '# answer: {checkpoint}'")
            following = cells[index + 1] if index + 1 < len(cells) else None
            if following is None or not has_tag(following, CHECK_TAG) or checkpoint_of(following) != checkpoint:
                problems.append(f"answer cell {index} ({checkpoint}) is not followed by its check cell")
        elif has_tag(cell, CHECK_TAG) and not checkpoint:
            problems.append(f"check cell {index} has no metadata course.checkpoint")
    ids = checkpoints(notebook)
    problems += [f"checkpoint {id_} has more than one answer cell" for id_ in sorted(set(ids)) if ids.count(id_) > 1]
    return problems
