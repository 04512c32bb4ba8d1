"""Who submitted a file, read from the names Canvas and Moodle give the files of a "download all submissions" zip."""

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

# Canvas names each file <name>_[LATE_]<user id>_<file id>_<uploaded file name>, the name being the student's sortable
# name lowercased with everything but letters, digits and underscores removed ("O'Brien-Smith, José" gives
# obriensmithjosé); anonymous grading puts anon_<anonymous id> for name and user id (canvas-lms, lib/content_zipper.rb).
# A student who uploads a file name twice gets "-1", "-2" before its extension.
# A byte that was not UTF-8 (the zip's name in another encoding) is escaped in the name the grader reads, as \xe9.
CANVAS_NAME = re.compile(
    r"^(?:(?P<name>(?!LATE_|anon_)(?:\w|\\x[0-9a-f]{2})+?)_)?(?P<late>LATE_)?(?P<id>\d+|anon_[^\W_]+)_\d+_(?P<file>.+)$"
)
# Moodle names a folder per student and plugin <Full Name>_<participant id>_assignsubmission_<plugin>, with an
# underscore at the end in Moodle 3.x; with "download submissions in folders" off, that prefix and an underscore start
# each file name. Underscores in the full name become spaces (mod/assign, download_submissions).
MOODLE_NAME = re.compile(r"^(?P<name>[^_]+)_(?P<id>\d+)_assignsubmission_[a-z]+(?:_(?P<file>.*))?$")
DUPLICATE_SUFFIX = re.compile(r"(?:\s*\(\d+\)|-\d+)$")  # "file (1).ipynb" (browsers, Moodle), "file-1.ipynb" (Canvas)


@dataclass(frozen=True)
class Submitter:
    """The student a submitted file belongs to: name and id as the platform wrote them, and which platform."""

    name: str
    student_id: str
    platform: str  # "canvas", "moodle", or "" when only a folder or file name says who it is


def platform_submitter(relative_path: str) -> Submitter | None:
    """The student named along the path by a Canvas or Moodle download, outermost name first; None if none is."""
    for part in PurePosixPath(relative_path).parts:
        moodle = MOODLE_NAME.match(part)
        if moodle:
            return Submitter(" ".join(moodle["name"].split()), moodle["id"], "moodle")
        canvas = CANVAS_NAME.match(part)
        if canvas and (canvas["name"] or "") == (canvas["name"] or "").lower():
            anonymous = canvas["id"].startswith("anon_")
            return Submitter(canvas["name"] or canvas["id"], "" if anonymous else canvas["id"], "canvas")
    return None


def submitter(relative_path: str) -> Submitter:
    """The student a file belongs to: as the platform named them, else the first folder, else the file's own name."""
    found = platform_submitter(relative_path)
    if found:
        return found
    path = PurePosixPath(relative_path)
    return Submitter(path.parts[0] if len(path.parts) > 1 else path.stem, "", "")


def uploaded_file_stem(file_name: str) -> str:
    """The file's name as the student uploaded it, without extension, platform prefix or duplicate suffix."""
    for pattern in (MOODLE_NAME, CANVAS_NAME):
        found = pattern.match(file_name)
        if found and found["file"]:
            file_name = found["file"]
            break
    return DUPLICATE_SUFFIX.sub("", PurePosixPath(file_name).stem)
