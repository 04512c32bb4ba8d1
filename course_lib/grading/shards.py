"""Grading across machines: each shard grades a stable share of the class into a part file; merging checks the parts.

A submission's shard comes from the sha256 of its path below the submissions root, so every machine that sees the
same submissions agrees on the shares, and a failed shard can be run again alone.
"""

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from course_lib.grading.gradebook import GradeRow

SHARDS_VARIABLE = "COURSE_GRADE_SHARDS"  # how many shards a Kubernetes Indexed Job has (its `completions`)
PART_FORMAT = "course_lib gradebook part 2"


class ShardError(ValueError):
    """A shard, or a set of part files, that cannot be used; the message says why and what to do."""


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count`, counted from 1."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @property
    def file_name(self) -> str:
        """The name of this shard's part file."""
        return f"part-{self.index}-of-{self.count}.json"


def parse_shard(text: str) -> Shard:
    """A shard from its `i/N` form, such as 2/4, the second of four shards."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text)
    if not match:
        raise ShardError(f"a shard is written i/N, such as 2/4 for the second of four shards, not {text!r}")
    index, count = int(match[1]), int(match[2])
    if count < 1 or not 1 <= index <= count:
        raise ShardError(f"there is no shard {index}/{count}: with N shards, i goes from 1 to N")
    return Shard(index, count)


def shard_from_environment(environ: Mapping[str, str], shards: int | None = None) -> Shard | None:
    """The shard of this task of a Kubernetes Indexed Job or a Slurm job array; None outside of both."""
    if "JOB_COMPLETION_INDEX" in environ:
        count = shards or _number(environ, SHARDS_VARIABLE, "set it to the Job's `completions`, or pass --shards N")
        return parse_shard(f"{_number(environ, 'JOB_COMPLETION_INDEX') + 1}/{count}")
    if "SLURM_ARRAY_TASK_ID" in environ:
        task = _number(environ, "SLURM_ARRAY_TASK_ID")
        first = _number(environ, "SLURM_ARRAY_TASK_MIN", "Slurm sets it in every job array")
        count = shards or _number(environ, "SLURM_ARRAY_TASK_COUNT", "Slurm sets it in every job array")
        return parse_shard(f"{task - first + 1}/{count}")
    return None


def _number(environ: Mapping[str, str], name: str, advice: str = "") -> int:
    value = environ.get(name, "")
    if not value.strip().isdigit():
        hint = f" ({advice})" if advice else ""
        raise ShardError(f"${name} must be a whole number to choose the shard, not {value!r}{hint}")
    return int(value)


def shard_of(submission: str, count: int) -> int:
    """The shard (1 to count) a submission belongs to, by the sha256 of its path below the submissions root."""
    digest = hashlib.sha256(submission.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def class_fingerprint(submissions: Sequence[str]) -> str:
    """A fingerprint of the whole class's submission paths, which every part of one grading shares."""
    return hashlib.sha256("\n".join(sorted(submissions)).encode("utf-8")).hexdigest()


def part_json(shard: Shard, class_submissions: Sequence[str], rows: Sequence[GradeRow], counted: Sequence[str]) -> str:
    """A shard's part file: which shard of which class, the exercises that count, and the rows of its submissions."""
    part = {
        "format": PART_FORMAT,
        "shard": str(shard),
        "class_size": len(class_submissions),
        "class_fingerprint": class_fingerprint(class_submissions),
        "exercises": list(counted),
        "rows": [asdict(row) for row in rows],
    }
    return json.dumps(part, indent=1) + "\n"  # ASCII, with escapes: what a notebook held may be a lone surrogate


def part_files(paths: Sequence[Path]) -> list[Path]:
    """The part files named, or found in the folders named."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(path.glob("part-*-of-*.json"))
        elif path.is_file():
            found.append(path)
        else:
            raise ShardError(f"no such part file or folder: {path}")
    if not found:
        raise ShardError(f"no part file (part-I-of-N.json) in {', '.join(map(str, paths))}")
    return found


def merged_rows(paths: Sequence[Path]) -> tuple[list[GradeRow], list[str]]:
    """The rows of all parts of one grading, and the exercises that count, once every part is checked to be there."""
    parts = {path: _read_part(path) for path in part_files(paths)}
    first_path, first = next(iter(parts.items()))
    count = parse_shard(first["shard"]).count
    by_index: dict[int, Path] = {}
    for path, part in parts.items():
        shard = parse_shard(part["shard"])
        grading = (shard.count, part["class_fingerprint"], part["exercises"])
        if grading != (count, first["class_fingerprint"], first["exercises"]):
            raise ShardError(
                f"{path} and {first_path} come from different gradings (other submissions, shard count or "
                "--exercises): merge the parts of one grading only"
            )
        if shard.index in by_index:
            raise ShardError(f"shard {shard} appears twice, in {by_index[shard.index]} and {path}: keep one of them")
        by_index[shard.index] = path
    missing = [f"{index}/{count}" for index in range(1, count + 1) if index not in by_index]
    if missing:
        raise ShardError(
            f"missing shard(s) {', '.join(missing)} of {count}: run `grade --shard I/{count}` for each, and merge again"
        )
    owner: dict[str, Path] = {}
    for path, part in parts.items():
        for name in {row["submission"] for row in part["rows"]}:
            if name in owner:
                raise ShardError(f"{name} was graded in two parts, {owner[name]} and {path}: they overlap")
            owner[name] = path
    if len(owner) != first["class_size"]:
        raise ShardError(f"the parts hold {len(owner)} submissions but the class has {first['class_size']}")
    return [GradeRow(**row) for part in parts.values() for row in part["rows"]], first["exercises"]


#: Each field of a part file, and the type of its value; each row's fields and their types are GradeRow's own.
PART_FIELDS = {
    "format": str,
    "shard": str,
    "class_size": int,
    "class_fingerprint": str,
    "exercises": list,
    "rows": list,
}
ROW_FIELDS = {field.name: field.type for field in fields(GradeRow)}


def _read_part(path: Path) -> dict:
    """A part file's content, checked field by field and row by row, so that merging it cannot fail later."""
    try:
        part = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise ShardError(f"{path} is not a readable part file ({type(error).__name__})") from error
    if not isinstance(part, dict) or part.get("format") != PART_FORMAT:
        raise ShardError(f"{path} is not a part file written by this version of `grade --shard`")
    wrong = [name for name, kind in PART_FIELDS.items() if type(part.get(name)) is not kind]
    if not wrong and not all(isinstance(exercise, str) for exercise in part["exercises"]):
        wrong.append("exercises")
    if not wrong and not all(_is_row(row) for row in part["rows"]):
        wrong.append("rows")
    if wrong:
        raise ShardError(f"{path} is damaged: its {', '.join(wrong)} cannot be read; grade that shard again")
    try:
        parse_shard(part["shard"])
    except ShardError as error:
        raise ShardError(f"{path} is damaged: {error}") from error
    return part


def _is_row(row: object) -> bool:
    """True for a row as `part_json` writes it: exactly GradeRow's fields, each of its type."""
    return (
        isinstance(row, dict)
        and row.keys() == ROW_FIELDS.keys()
        and all(type(row[name]) is kind for name, kind in ROW_FIELDS.items())
    )
