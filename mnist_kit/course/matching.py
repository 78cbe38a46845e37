"""Whose is each submission: from the names platforms give files, an export's metadata, or a mapping.

In order, a submission belongs to the student(s) named by

1. the mapping CSV (``files.mapping``: columns ``file, student``), the instructor's word;
2. Gradescope's ``submission_metadata.yml`` (its submitters, by SID or email);
3. Canvas's "Download Submissions" name, ``<sortable name>[_LATE]_<user id>_<attachment id>_<original name>``
   (Canvas's content zipper: the sortable name lower-cased with its non-word characters removed;
   the attachment id is the uploaded file's, not the submission's);
4. a folder or file named by the student's login, SIS id, id or email.

A file that names no student, or several, belongs to no one: it is graded under its file name
and listed, never dropped. Canvas names the files of an anonymously graded assignment
``anon_<anonymous id>[_LATE]_<attachment id>_<original name>``, with no user id: they are graded,
listed as belonging to no one with the reason, and the mapping file gives each to its student
once Canvas shows who ``anon_<anonymous id>`` is (a row ``file, student`` whose file is the
name, or just ``anon_<anonymous id>``).
"""

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from .roster import Roster

CANVAS_NAME = re.compile(r"^(?P<sortable>[^_]+)(?P<late>_LATE)?_(?P<user>\d+)_(?P<attachment>\d+)_(?P<original>.+)$")
CANVAS_ANONYMOUS = re.compile(r"^(?P<anonymous>anon_[A-Za-z0-9]+)(?P<late>_LATE)?_(?P<attachment>\d+)_(?P<original>.+)$")


@dataclass(frozen=True)
class Upload:
    """One graded file: its submission name in the gradebook, and where it was found."""

    submission: str
    path: Path  # absolute
    relative: PurePosixPath  # below the folder of submissions


@dataclass(frozen=True)
class SubmissionTime:
    """When a file was submitted, and who says so; ``at`` is None when only a late flag is known."""

    at: dt.datetime | None
    source: str  # "gradescope", "times file" or "canvas late flag"
    flagged_late: bool = False


@dataclass(frozen=True)
class Claim:
    """An upload with the students it belongs to (several for a group), or why it belongs to no one."""

    upload: Upload
    students: tuple[str, ...]  # roster ids
    how: str  # "mapping", "gradescope", "canvas name", "login or id in the name", or "" if unmatched
    time: SubmissionTime | None
    order: tuple[int, ...] = ()  # Canvas's attachment id: ids come from one increasing sequence, so a later upload has a larger one
    problem: str = ""


@dataclass(frozen=True)
class Sources:
    """What the course knows about files beyond their names, each keyed by a file's relative path or name."""

    mapping: dict[str, str]
    times: dict[str, dt.datetime]
    gradescope: dict[Path, tuple[tuple[str, ...], dt.datetime | None]]  # export folder: (submitters' SIDs or emails, time)

    def lookup(self, table: dict[str, Any], upload: Upload) -> Any:
        anonymous = CANVAS_ANONYMOUS.match(upload.relative.name)
        for key in (upload.relative.as_posix(), upload.relative.name, upload.relative.stem, anonymous and anonymous["anonymous"]):
            if key in table:
                return table[key]
        return None


def claim(upload: Upload, roster: Roster, sources: Sources) -> Claim:
    """Find the student(s) ``upload`` belongs to (see the module's docstring for the order)."""
    mapped = sources.lookup(sources.mapping, upload)
    listed_time = sources.lookup(sources.times, upload)
    known_time = SubmissionTime(listed_time, "times file") if listed_time else None
    if mapped is not None:
        return _named(upload, roster, [mapped], "mapping", known_time, f"the mapping names {mapped!r}")
    folder = next((f for f in (upload.path, *upload.path.parents) if f in sources.gradescope), None)
    if folder is not None:
        submitters, created = sources.gradescope[folder]
        time = known_time or (SubmissionTime(created, "gradescope") if created else None)
        return _named(upload, roster, list(submitters), "gradescope", time, "its Gradescope submitters")
    anonymous = CANVAS_ANONYMOUS.match(upload.relative.name)
    if anonymous:
        time = known_time or (SubmissionTime(None, "canvas late flag", True) if anonymous["late"] else None)
        problem = (
            f"Canvas's anonymous name {anonymous['anonymous']}: the assignment is graded anonymously; once Canvas shows whose it is, "
            f"add {anonymous['anonymous']},<student> to the mapping file"
        )
        return Claim(upload, (), "", time, (int(anonymous["attachment"]),), problem)
    canvas = CANVAS_NAME.match(upload.relative.parts[0]) or CANVAS_NAME.match(upload.relative.name)
    if canvas:
        time = known_time or (SubmissionTime(None, "canvas late flag", True) if canvas["late"] else None)
        found = _named(upload, roster, [canvas["user"]], "canvas name", time, f"Canvas's user id {canvas['user']}")
        return Claim(found.upload, found.students, found.how, found.time, (int(canvas["attachment"]),), found.problem)
    parts = [*upload.relative.parts[:-1], upload.relative.stem]
    named = {s.id for part in parts for s in roster.find(part)}
    if len(named) == 1:
        return Claim(upload, tuple(named), "login or id in the name", known_time)
    problem = f"names {len(named)} students" if named else "names no student on the roster (add it to the mapping file: file, student)"
    return Claim(upload, (), "", known_time, problem=problem)


def _named(upload: Upload, roster: Roster, identifiers: list[str], how: str, time: SubmissionTime | None, what: str) -> Claim:
    students = []
    for identifier in identifiers:
        found = roster.find(identifier)
        if len(found) != 1:
            return Claim(upload, (), "", time, problem=f"{what} matches {len(found)} students on the roster")
        students.append(found[0].id)
    return Claim(upload, tuple(dict.fromkeys(students)), how, time)
