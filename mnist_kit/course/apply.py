"""Apply a course to a graded batch: read everything the instructor gave before grading, then compute and write.

:func:`load_plan` reads and checks the course file, roster, times, mapping and overrides before
anything is graded, so a mistake costs seconds, not a class's grading. :func:`expand_exports`
unpacks Gradescope export zips among the inputs. :func:`apply_course` matches the graded files to
students and writes the course gradebook and its lines of news (the students' feedback files
follow from it: :func:`mnist_kit.pipeline.grade_course`).
"""

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..files import GradedFolder, shown_name
from ..results import Result
from ..submissions import find_submissions, submission_names
from . import CourseError, gradebook as course_gradebook, gradescope_export, matching
from .config import Course, parse_time, read_course, read_csv
from .roster import Roster, read_roster


@dataclass(frozen=True)
class CoursePlan:
    """Everything a course needs besides the grading, read and checked."""

    course: Course
    roster: Roster
    mapping: dict[str, str] = field(default_factory=dict)
    times: dict = field(default_factory=dict)
    overrides: tuple = ()


def load_plan(course_file: Path | None = None, roster_file: Path | None = None, folder: GradedFolder | None = None) -> CoursePlan:
    """Read the course (``course_file``, optional), the roster (``roster_file`` or the course's), and ``folder``'s overrides.

    Raises
    ------
    CourseError
        In one line naming the file and row, for any problem in any of them.
    """
    course = read_course(course_file) if course_file else Course(None)
    roster_path = roster_file or course.roster
    if roster_path is None:
        raise CourseError(f'{course_file}: no roster; add [files] roster = "roster.csv", or pass --roster')
    roster = read_roster(roster_path)
    course_gradebook.extensions_by_student(course, roster)  # an extension for someone not on the roster stops here
    mapping = {row["file"]: row["student"] for _, row in read_csv(course.mapping, ("file", "student"))} if course.mapping else {}
    for file, student in mapping.items():
        if len(roster.find(student)) != 1:
            raise CourseError(f"{course.mapping}: {file} is mapped to {student!r}, who is not one student on the roster")
    times = {}
    if course.times:
        for number, row in read_csv(course.times, ("file", "submitted_at")):
            times[row["file"]] = parse_time(row["submitted_at"], course.timezone, f"{course.times}, row {number}")
    overrides_file = folder.overrides if folder else None
    overrides = course_gradebook.read_overrides(overrides_file, roster) if overrides_file and overrides_file.is_file() else ()
    return CoursePlan(course, roster, mapping, times, overrides)


# Each unpacked Gradescope submission folder: (its submitters' SIDs or emails, its time)
Exports = dict[Path, tuple[tuple[str, ...], dt.datetime | None]]


def expand_exports(inputs: list[Path], folder: GradedFolder, max_bytes: int) -> tuple[list[Path], Exports]:
    """Replace each Gradescope export zip among ``inputs`` by the folder it is unpacked into.

    Returns
    -------
    inputs : list of Path
    exports : dict
        Each unpacked submission folder: (its submitters' SIDs or emails, its time).
    """
    expanded: list[Path] = []
    exports: Exports = {}
    for item in map(Path, inputs):
        if gradescope_export.is_export(item):
            unpacked = gradescope_export.unpack(item, folder.gradescope_exports / item.stem, max_bytes)
            exports.update({each.resolve(): entry for each, entry in unpacked.submissions.items()})
            expanded.append(unpacked.folder)
        else:
            expanded.append(item)
    return expanded, exports


def apply_course(
    plan: CoursePlan,
    inputs: list[Path],
    results: list[Result],
    folder: GradedFolder,
    exports: Exports | None = None,
) -> tuple[course_gradebook.CourseGradebook, list[str]]:
    """Match ``results`` (of :func:`mnist_kit.batch.grade_many` on ``inputs``) to students; write the course gradebook.

    Returns
    -------
    gradebook : CourseGradebook
    notes : list of str
        One line per thing an instructor should know: files that belong to no one, students with
        several submissions, submissions whose time is unknown.
    """
    paths, root = find_submissions(inputs)
    names = submission_names(paths, root)
    sources = matching.Sources(plan.mapping, plan.times, exports or {})
    claims = []
    for path in paths:
        relative = PurePosixPath(Path(os.path.relpath(path.resolve(), root)).as_posix())
        claims.append(matching.claim(matching.Upload(names[path], path.resolve(), relative), plan.roster, sources))
    by_name = {r.submission: r for r in results}
    gradebook = course_gradebook.build(by_name, claims, plan.roster, plan.course, plan.overrides)
    course_gradebook.write(folder, gradebook)
    notes = [f"{shown_name(row.submission)}: {row.problem}; graded under its file name" for row in gradebook.unmatched]
    notes += [
        f"{row.rostered.name}: {len(row.not_counted) + 1} submissions; counted {shown_name(row.submission)}, "
        f"not {'; '.join(map(shown_name, row.not_counted))}"
        for row in gradebook.rows
        if row.not_counted
    ]
    unknown = [row.rostered.name for row in gradebook.rows if row.lateness.note.startswith("no submission time")]
    if unknown:
        notes.append(
            f"{len(unknown)} submission(s) have no known time and count as on time (first: {unknown[0]}); list them in a times file"
        )
    return gradebook, notes
