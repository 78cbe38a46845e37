"""What an LMS imports, one entry a format: :data:`FORMATS` is the registry ``mnist-kit export`` offers.

Adding a format is one function that turns a :class:`~mnist_kit.course.gradebook.CourseGradebook`
into the file's text, one :class:`LmsFormat` in :data:`FORMATS` (the CLI takes its choices and
help from there), and one test.

- ``canvas``: the gradebook export's own shape (Grades > Import; see "How do I import grades in
  the Gradebook?" in the Canvas Instructor Guide, https://community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807,
  and ``lib/gradebook_exporter.rb`` in Canvas's repository): the identity columns as the roster
  had them (``Student, ID, SIS User ID, SIS Login ID``, ``Integration ID`` and ``Root Account``
  when present, ``Section``), the assignment's column named as Canvas names it,
  ``<name> (<assignment id>)`` (a name Canvas does not know creates a new assignment), and a
  ``Points Possible`` row. Canvas matches students by ``ID``.
- ``moodle``: a file for Moodle's grade import (Grades > Import > CSV file; ``grade/import/csv``
  in Moodle's repository): any header, mapped in Moodle's form "Map from" a user column
  (``ID number``, ``Email address`` or ``Username``) "Map to" the same user field, and the
  assignment's column to its grade item.
- ``csv``: a plain gradebook by student, every number the kit computed.
"""

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..files import spreadsheet_safe
from ..questions import assignment_points, gradebook_columns
from . import CourseError
from .gradebook import CourseGradebook
from .roster import ASSIGNMENT_COLUMN, CANVAS_COLUMNS, Roster, Student, read_roster

POINTS_POSSIBLE = "    Points Possible"  # as Canvas writes it in its exports
CANVAS_CELLS: dict[str, Callable[[Student], str]] = {
    "Student": lambda s: s.name,
    "LastName": lambda s: s.name.partition(", ")[0],
    "FirstName": lambda s: s.name.partition(", ")[2],
    "ID": lambda s: s.id,
    "SIS User ID": lambda s: s.sis_id,
    "SIS Login ID": lambda s: s.login,
    "Integration ID": lambda s: s.integration_id,
    "Root Account": lambda s: s.root_account,
    "Section": lambda s: s.section,
}


@dataclass(frozen=True)
class ExportTarget:
    """Where the grades go, beyond the gradebook: the roster to write back into, and the LMS's column.

    ``roster`` is a path (default: the roster the course was graded with); ``column`` the LMS's
    name of the assignment (default: from ``course.toml`` or the roster).
    """

    roster: Path | None = None
    column: str = ""


@dataclass(frozen=True)
class LmsFormat:
    """One format ``mnist-kit export`` writes: its name on the command line, a line of help, and its writer."""

    name: str
    help: str
    write: Callable[[CourseGradebook, ExportTarget], str]


def plain_columns() -> list[str]:
    """The columns of the plain gradebook: a column per question, in notebook order."""
    return ["id", "name", "login", "sis_id", "section", "status", "raw", "late_hours", "penalty", "final", "possible", *gradebook_columns()]


def _assignment_name(column: str) -> str:
    """The assignment's name in a Canvas gradebook column ``"MNIST (81234)"``; "" for another column."""
    found = ASSIGNMENT_COLUMN.match(column)
    return found["name"] if found else ""


def canvas_column(gradebook: CourseGradebook, roster: Roster, column: str = "") -> str:
    """The Canvas column the grades go under: ``column``, the course's ``canvas_column``, or the roster's column of the assignment's name.

    Raises
    ------
    CourseError
        When no column can be told, or several of the roster's have the assignment's name.
    """
    chosen = column or gradebook.canvas_column
    if chosen:
        return chosen
    if not gradebook.assignment:
        raise CourseError(
            'the course names no assignment; set [assignment] name (or canvas_column) in course.toml, or pass --column "MNIST (81234)"'
        )
    named = [c for c in roster.assignment_columns if _assignment_name(c).casefold() == gradebook.assignment.casefold()]
    if len(named) > 1:
        raise CourseError(
            f"{roster.path}: {len(named)} columns are named {gradebook.assignment!r} ({', '.join(named)}); pass --column with one"
        )
    return named[0] if named else gradebook.assignment


def canvas_csv(gradebook: CourseGradebook, roster: Roster, column: str = "") -> str:
    """The file Canvas's gradebook import takes: every student on ``roster``, the final score under the assignment's column.

    The identity columns are the roster's own when it is Canvas's export (with ``Integration ID``
    and ``Root Account`` if it had them), written back as Canvas wrote them.

    Raises
    ------
    CourseError
        When a student on the roster has no row in the gradebook (it was computed with another roster).
    """
    column = canvas_column(gradebook, roster, column)
    identity = [c for c in roster.identity_columns if c in CANVAS_CELLS] or list(CANVAS_COLUMNS)
    finals = {row.rostered.id: row for row in gradebook.rows}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*identity, column])
    # The assignment's points, written questions included: what every student's final is out of.
    possible = assignment_points()
    writer.writerow([POINTS_POSSIBLE, *[""] * (len(identity) - 1), points(possible)])
    for student in roster.students:
        if student.id not in finals:
            raise CourseError(f"{roster.path}: {student.name} ({student.id}) is not in the graded course; grade again with this roster")
        cells = [CANVAS_CELLS[name](student) for name in identity] + [points(finals[student.id].final)]
        writer.writerow([canvas_cell(cell) for cell in cells])
    return buffer.getvalue()


def canvas_cell(text: str) -> str:
    """A cell no spreadsheet runs as a formula, protected as Canvas's exporter protects names: ``="…"``, which the roster unwraps.

    Examples
    --------
    >>> canvas_cell("=Eve, Zed"), canvas_cell('-1"+1'), canvas_cell("Ann")
    ('="=Eve, Zed"', '="-1""+1"', 'Ann')
    """
    return f'="{text.replace(chr(34), chr(34) * 2)}"' if spreadsheet_safe(text) != text else text


def points(value: float | str) -> str:
    """A score as Canvas shows it: ``8.4``, ``10``, never ``10.0``.

    Examples
    --------
    >>> points(10.0), points(8.4), points("")
    ('10', '8.4', '')
    """
    return f"{float(value):g}" if value != "" else ""


def plain_csv(gradebook: CourseGradebook) -> str:
    """A gradebook by student: id, name, section, raw, lateness, penalty, final and each question's score."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=plain_columns(), lineterminator="\n")
    writer.writeheader()
    for row in gradebook.rows:
        student = row.rostered
        cells = {
            "id": student.id,
            "name": student.name,
            "login": student.login,
            "sis_id": student.sis_id,
            "section": student.section,
            "status": row.status,
            "raw": row.raw,
            "late_hours": round(row.lateness.late_seconds / 3600, 2),
            "penalty": row.penalty,
            "final": row.final,
            "possible": row.possible,
            **row.questions,
        }
        writer.writerow({k: spreadsheet_safe(v) for k, v in cells.items()})
    return buffer.getvalue()


def moodle_csv(gradebook: CourseGradebook, column: str = "") -> str:
    """A file for Moodle's CSV grade import: the user columns Moodle maps from, and the final score under the assignment's name.

    Examples
    --------
    >>> from mnist_kit.course.gradebook import CourseGradebook
    >>> moodle_csv(CourseGradebook("MNIST", "", "", "", (), ()))
    'ID number,Email address,Username,Full name,MNIST\\n'
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["ID number", "Email address", "Username", "Full name", column or gradebook.assignment or "MNIST"])
    for row in gradebook.rows:
        student = row.rostered
        cells = [student.sis_id, student.email, student.login, student.name, points(row.final)]
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return buffer.getvalue()


def _canvas(gradebook: CourseGradebook, target: ExportTarget) -> str:
    return canvas_csv(gradebook, read_roster(target.roster or gradebook.roster), target.column)


FORMATS: dict[str, LmsFormat] = {
    f.name: f
    for f in (
        LmsFormat("canvas", "Canvas's gradebook import (Grades > Import)", _canvas),
        LmsFormat("moodle", "Moodle's CSV grade import (Grades > Import > CSV file)", lambda book, target: moodle_csv(book, target.column)),
        LmsFormat("csv", "a plain gradebook by student: every number the kit computed", lambda book, target: plain_csv(book)),
    )
}


def export(gradebook: CourseGradebook, format: str, target: ExportTarget) -> str:
    """The text of ``gradebook`` in the LMS format named ``format`` (a key of :data:`FORMATS`).

    Raises
    ------
    CourseError
        When no such format exists, naming the ones that do.
    """
    if format not in FORMATS:
        raise CourseError(f"no LMS format {format!r}; choose one of {', '.join(FORMATS)}")
    return FORMATS[format].write(gradebook, target)
