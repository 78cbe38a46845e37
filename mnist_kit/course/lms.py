"""What an LMS imports: Canvas's gradebook CSV, and a plain gradebook by student.

Canvas's format is the gradebook export's own (Grades > Import; see "How do I import grades in
the Gradebook?" in the Canvas Instructor Guide, https://community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807):
the columns ``Student, ID, SIS User ID, SIS Login ID, Section``, then one column per assignment
named as Canvas names it, ``<name> (<assignment id>)`` (a name Canvas does not know creates a new
assignment), and an optional ``Points Possible`` row. Canvas matches students by ``ID``.
"""

import csv
import io

from ..files import spreadsheet_safe
from ..questions import QUESTIONS
from . import CourseError
from .gradebook import CourseGradebook
from .roster import ASSIGNMENT_COLUMN, CANVAS_COLUMNS, Roster

POINTS_POSSIBLE = "    Points Possible"  # as Canvas writes it in its exports


def plain_columns() -> list[str]:
    """The columns of the plain gradebook: a column per question, in notebook order."""
    return ["id", "name", "login", "sis_id", "section", "status", "raw", "late_hours", "penalty", "final", "possible", *QUESTIONS]


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

    Raises
    ------
    CourseError
        When a student on the roster has no row in the gradebook (it was computed with another roster).
    """
    column = canvas_column(gradebook, roster, column)
    finals = {row.rostered.id: row for row in gradebook.rows}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*CANVAS_COLUMNS, column])
    possible = gradebook.rows[0].possible if gradebook.rows else ""
    writer.writerow([POINTS_POSSIBLE, "", "", "", "", points(possible)])
    for student in roster.students:
        if student.id not in finals:
            raise CourseError(f"{roster.path}: {student.name} ({student.id}) is not in the graded course; grade again with this roster")
        cells = [student.name, student.id, student.sis_id, student.login, student.section, points(finals[student.id].final)]
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
    return buffer.getvalue()


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
