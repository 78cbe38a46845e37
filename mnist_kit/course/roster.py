"""The class list: Canvas's gradebook export, or a plain CSV with documented columns.

Canvas's export (Grades > Export > Export Entire Gradebook) starts with the columns
``Student, ID, SIS User ID, SIS Login ID`` (and, in some instances, ``Integration ID``), then
``Section`` and one column per assignment, named ``<name> (<assignment id>)``; its second row is
``Points Possible``. A plain roster has the columns of :data:`PLAIN_COLUMNS`, ``id`` and ``name``
required.
"""

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from . import CourseError

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
PLAIN_COLUMNS = {
    "id": "the student's id in the LMS (required; Canvas's user ID if grades go to Canvas)",
    "name": "the name shown in the report (required)",
    "login": "the student's login; feedback files are named by it",
    "sis_id": "the student information system's id (what Gradescope calls SID)",
    "section": "the section, shown in the gradebook",
    "email": "the student's email (Gradescope's exports name submitters by it)",
}
ASSIGNMENT_COLUMN = re.compile(r"^(?P<name>.*\S) \((?P<id>\d+)\)$")
MAX_ROSTER_BYTES = 50 * 2**20


@dataclass(frozen=True)
class Student:
    """One student on the roster.

    ``id`` is the LMS's id (Canvas's user ID); the others are empty when the roster lacks them.
    """

    id: str
    name: str
    login: str = ""
    sis_id: str = ""
    section: str = ""
    email: str = ""

    @property
    def handle(self) -> str:
        """What files for this student are named by: the login, else the id."""
        return self.login or self.id

    def identifiers(self) -> tuple[str, ...]:
        """Every value a file name or an export may name this student by, lowercased."""
        return tuple(dict.fromkeys(v.lower() for v in (self.id, self.login, self.sis_id, self.email) if v))


@dataclass(frozen=True)
class Roster:
    """A class list: its students in the file's order, and what the file says about the LMS.

    ``assignment_columns`` are a Canvas export's assignment columns (``"MNIST (81234)"``), so
    that grades go back under the name Canvas knows; a plain roster has none.
    """

    path: Path
    students: tuple[Student, ...]
    kind: str  # "canvas" or "plain"
    assignment_columns: tuple[str, ...] = ()

    def find(self, identifier: str) -> list[Student]:
        """The students ``identifier`` names (an id, login, SIS id or email; case does not matter)."""
        wanted = identifier.strip().lower()
        return [s for s in self.students if wanted and wanted in s.identifiers()]

    def by_id(self) -> dict[str, Student]:
        return {s.id: s for s in self.students}


def read_roster(path: Path | str) -> Roster:
    """Read a Canvas gradebook export or a plain roster CSV.

    Parameters
    ----------
    path : str or Path
        The CSV file.

    Returns
    -------
    Roster

    Raises
    ------
    CourseError
        When the file is missing or unreadable, lacks a required column, names a student twice,
        or has a row without an id; the message names the file and the row.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "roster.csv"
    >>> _ = path.write_text("id,name,login\\n17,Ann Lee,alee\\n")
    >>> [(s.id, s.name, s.handle) for s in read_roster(path).students]
    [('17', 'Ann Lee', 'alee')]
    """
    path = Path(path)
    rows = _rows(path)
    if not rows:
        raise CourseError(f"{path}: the roster is empty; export it again from your LMS")
    header = [h.strip() for h in rows[0]]
    if {"Student", "ID"} <= set(header):
        return _canvas(path, header, rows[1:])
    if {"id", "name"} <= {h.lower() for h in header}:
        return _plain(path, [h.lower() for h in header], rows[1:])
    raise CourseError(
        f"{path}: neither a Canvas gradebook export (columns {', '.join(CANVAS_COLUMNS)}) nor a plain roster "
        f"(columns id, name, and optionally {', '.join(list(PLAIN_COLUMNS)[2:])}); its header is {', '.join(header[:8])}"
    )


def _rows(path: Path) -> list[list[str]]:
    try:
        if path.stat().st_size > MAX_ROSTER_BYTES:
            raise CourseError(f"{path}: larger than {MAX_ROSTER_BYTES // 2**20} MiB, too large for a roster; is it the right file?")
        text = path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise CourseError(f"{path}: no such roster file; export the gradebook from your LMS and give its path") from None
    except UnicodeDecodeError:
        raise CourseError(f"{path}: not UTF-8 text; save the roster as CSV (UTF-8) and try again") from None
    except OSError as error:
        raise CourseError(f"{path}: cannot be read ({error.strerror})") from None
    try:
        return [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    except csv.Error as error:
        raise CourseError(f"{path}: not a readable CSV ({error}); save it as CSV and try again") from None


def _canvas(path: Path, header: list[str], rows: list[list[str]]) -> Roster:
    missing = [c for c in CANVAS_COLUMNS if c not in header]
    if missing:
        raise CourseError(f"{path}: a Canvas export needs the column(s) {', '.join(missing)}; export the entire gradebook again")
    at = {name: header.index(name) for name in CANVAS_COLUMNS}
    students, first_row = [], 2
    for number, row in enumerate(rows, start=first_row):
        cells = {name: (row[index].strip() if index < len(row) else "") for name, index in at.items()}
        if cells["Student"] in ("Points Possible", "Student, Test") or "Points Possible" in cells["Student"]:
            continue  # Canvas's second row, and its built-in test student
        students.append(
            Student(
                id=cells["ID"],
                name=cells["Student"],
                login=cells["SIS Login ID"],
                sis_id=cells["SIS User ID"],
                section=cells["Section"],
            )
        )
        _require_id(path, number, students[-1], "ID")
    columns = tuple(h for h in header if ASSIGNMENT_COLUMN.match(h))
    return Roster(path, _unique(path, students, first_row), "canvas", columns)


def _plain(path: Path, header: list[str], rows: list[list[str]]) -> Roster:
    unknown = [h for h in header if h not in PLAIN_COLUMNS]
    if unknown:
        raise CourseError(f"{path}: unknown column(s) {', '.join(unknown)}; a plain roster has {', '.join(PLAIN_COLUMNS)}")
    students, first_row = [], 2
    for number, row in enumerate(rows, start=first_row):
        cells = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        students.append(Student(**{field: cells.get(field, "") for field in PLAIN_COLUMNS}))
        _require_id(path, number, students[-1], "id")
    return Roster(path, _unique(path, students, first_row), "plain")


def _require_id(path: Path, row: int, student: Student, column: str) -> None:
    if not student.id:
        raise CourseError(f"{path}, row {row}: {student.name or 'a student'} has no {column}; every student needs one")


def _unique(path: Path, students: list[Student], first_row: int) -> tuple[Student, ...]:
    """The students, after checking that no id, login, SIS id or email names two of them."""
    owner: dict[str, int] = {}
    for index, student in enumerate(students):
        for value in student.identifiers():
            if value in owner:
                other = students[owner[value]]
                raise CourseError(
                    f"{path}, row {index + first_row}: {student.name} has the same id, login or email ({value}) as "
                    f"{other.name}; each student needs their own"
                )
            owner[value] = index
    return tuple(students)
