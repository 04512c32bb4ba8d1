"""The course manifest, course.toml: lessons in order, their objectives, and each checkpoint's task and hint."""

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

MANIFEST_PATH = Path(__file__).resolve().parent.parent / "course.toml"


@dataclass(frozen=True)
class CheckpointInfo:
    """A checkpoint as the manifest describes it."""

    id: str
    task: str
    hint: str


@dataclass(frozen=True)
class LessonInfo:
    """A lesson and its exercise: the notebook file name they share, titles, objectives and checkpoints."""

    notebook: str
    exercise: str
    title: str
    objectives: tuple[str, ...]
    checkpoints: tuple[CheckpointInfo, ...]


@dataclass(frozen=True)
class Manifest:
    """The whole course, in order."""

    title: str
    lessons: tuple[LessonInfo, ...]

    def checkpoint(self, checkpoint_id: str) -> CheckpointInfo | None:
        """The checkpoint with that id, if the manifest lists it."""
        return next((info for info in self.checkpoint_infos() if info.id == checkpoint_id), None)

    def checkpoint_infos(self) -> list[CheckpointInfo]:
        """Every checkpoint of the course, in course order."""
        return [info for lesson in self.lessons for info in lesson.checkpoints]

    def checkpoints_before(self, checkpoint_id: str) -> list[str]:
        """The ids of the checkpoints that come before this one in its exercise."""
        for lesson in self.lessons:
            ids = [info.id for info in lesson.checkpoints]
            if checkpoint_id in ids:
                return ids[: ids.index(checkpoint_id)]
        return []

    def problems(self) -> list[str]:
        """Every way the manifest breaks its own rules, in words (empty when it is sound)."""
        problems = []
        for lesson in self.lessons:
            if not lesson.objectives or not all(objective.strip() for objective in lesson.objectives):
                problems.append(f"{lesson.notebook}: empty learning objectives")
            if not lesson.checkpoints:
                problems.append(f"{lesson.notebook}: no checkpoints")
            for info in lesson.checkpoints:
                if not info.id.startswith(f"{lesson.exercise}."):
                    problems.append(f"{info.id}: the id does not start with its exercise, {lesson.exercise}.")
                empty = [field for field in ("task", "hint") if not getattr(info, field).strip()]
                problems += [f"{info.id}: empty {field}" for field in empty]
        ids = [info.id for info in self.checkpoint_infos()]
        problems += [f"{id_}: listed more than once" for id_ in sorted(set(ids)) if ids.count(id_) > 1]
        return problems


def parse_manifest(text: str) -> Manifest:
    """A manifest from the text of a course.toml."""
    data = tomllib.loads(text)
    lessons = tuple(
        LessonInfo(
            notebook=lesson["notebook"],
            exercise=lesson["exercise"],
            title=lesson["title"],
            objectives=tuple(lesson.get("objectives", ())),
            checkpoints=tuple(
                CheckpointInfo(item["id"], item.get("task", ""), item.get("hint", ""))
                for item in lesson.get("checkpoint", ())
            ),
        )
        for lesson in data.get("lesson", ())
    )
    return Manifest(title=data.get("title", ""), lessons=lessons)


@functools.cache
def load_manifest(path: Path = MANIFEST_PATH) -> Manifest:
    """The course's manifest, read once."""
    return parse_manifest(path.read_text(encoding="utf-8"))
