"""The class list: Canvas's gradebook export, or a plain CSV with documented columns.

Canvas's export (Grades > Export > Export Entire Gradebook) is read in every shape Canvas's own
exporter writes it (``lib/gradebook_exporter.rb`` in Canvas's repository):

- the identity columns ``Student`` (or ``LastName, FirstName``), ``ID``, ``SIS User ID``,
  ``SIS Login ID``, ``Integration ID`` and ``Root Account`` (those three only in some
  instances), ``Section`` (several sections joined with "and"), then custom columns, one column
  per assignment named ``<name> (<assignment id>)``, and total columns;
- a row under the header holding only ``Manual Posting`` (older exports: ``Muted``) in the
  columns of assignments whose grades are posted by hand, before the ``Points Possible`` row,
  whose read-only columns say ``(read only)``;
- a name starting with ``=`` wrapped as ``="…"`` so that spreadsheets do not run it;
- the test student (``Student, Test``) last; a byte-order mark, CRLF line ends, and ``;`` as
  the separator where the user chose it.

A plain roster has the columns of :data:`PLAIN_COLUMNS`, ``id`` and ``name`` required.
"""

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from . import CourseError

# Canvas's identity columns in the order its exporter writes them; the required ones first.
CANVAS_REQUIRED = ("ID", "SIS Login ID", "Section")
CANVAS_IDENTITY = ("Student", "LastName", "FirstName", "ID", "SIS User ID", "SIS Login ID", "Integration ID", "Root Account", "Section")
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")  # what the kit writes when the roster is not Canvas's
CANVAS_HIDDEN_MARKS = ("Manual Posting", "Muted")  # the row Canvas writes for assignments posted by hand
CANVAS_TEST_STUDENT = "Student, Test"
PLAIN_COLUMNS = {
    "id": "the student's id in the LMS (required; Canvas's user ID if grades go to Canvas)",
    "name": "the name shown in the report (required)",
    "login": "the student's login; feedback files are named by it",
    "sis_id": "the student information system's id (what Gradescope calls SID)",
    "section": "the section, shown in the gradebook",
    "email": "the student's email (Gradescope's exports name submitters by it)",
}
ASSIGNMENT_COLUMN = re.compile(r"^(?P<name>.*\S) \((?P<id>\d+)\)$")
FORMULA_WRAPPED = re.compile(r'^="(?P<text>.*)"$', re.S)
MAX_ROSTER_BYTES = 50 * 2**20


@dataclass(frozen=True)
class Student:
    """One student on the roster.

    ``id`` is the LMS's id (Canvas's user ID); the others are empty when the roster lacks them.
    ``integration_id`` and ``root_account`` are kept only to write them back to Canvas as it wrote them.
    """

    id: str
    name: str
    login: str = ""
    sis_id: str = ""
    section: str = ""
    email: str = ""
    integration_id: str = ""
    root_account: str = ""

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
    that grades go back under the name Canvas knows; ``identity_columns`` are the identity
    columns it had, in its order, so that the export back carries them as Canvas wrote them. A
    plain roster has neither.
    """

    path: Path
    students: tuple[Student, ...]
    kind: str  # "canvas" or "plain"
    assignment_columns: tuple[str, ...] = ()
    identity_columns: tuple[str, ...] = ()

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
    rows = list(_rows(path))
    if not rows:
        raise CourseError(f"{path}: the roster is empty; export it again from your LMS")
    header = [h.strip() for h in rows[0][1]]
    if "ID" in header and ("Student" in header or {"LastName", "FirstName"} <= set(header)):
        return _canvas(path, header, rows[1:])
    if {"id", "name"} <= {h.lower() for h in header}:
        return _plain(path, [h.lower() for h in header], rows[1:])
    raise CourseError(
        f"{path}: neither a Canvas gradebook export (columns {', '.join(CANVAS_COLUMNS)}) nor a plain roster "
        f"(columns id, name, and optionally {', '.join(list(PLAIN_COLUMNS)[2:])}); its header is {', '.join(header[:8])}"
    )


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """The file's non-blank rows, each with the line it starts on (a quoted cell may span lines)."""
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
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_separator(text))
    try:
        start = 1
        for row in reader:
            if any(cell.strip() for cell in row):
                yield start, row
            start = reader.line_num + 1
    except csv.Error as error:
        raise CourseError(f"{path}, line {reader.line_num}: not a readable CSV ({error}); save it as CSV and try again") from None


def _separator(text: str) -> str:
    """``;`` when the header is separated by semicolons (a Canvas setting for decimal-comma locales), else ``,``."""
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") > header.count(",") else ","


def _canvas(path: Path, header: list[str], rows: list[tuple[int, list[str]]]) -> Roster:
    missing = [c for c in CANVAS_REQUIRED if c not in header]
    if missing:
        raise CourseError(f"{path}: a Canvas export needs the column(s) {', '.join(missing)}; export the entire gradebook again")
    at = {name: header.index(name) for name in CANVAS_IDENTITY if name in header}
    assignments = [i for i, h in enumerate(header) if ASSIGNMENT_COLUMN.match(h)]
    students = []
    for number, row in rows:
        cells = {name: _unwrapped(row[index].strip() if index < len(row) else "") for name, index in at.items()}
        name = ", ".join(p for p in ([cells["Student"]] if "Student" in cells else [cells["LastName"], cells["FirstName"]]) if p)
        if name.strip() == "Points Possible" or name == CANVAS_TEST_STUDENT or _is_hidden_row(cells, row, assignments):
            continue  # Canvas's rows under the header, and its built-in test student
        student = Student(
            id=cells["ID"],
            name=name,
            login=cells["SIS Login ID"],
            sis_id=cells.get("SIS User ID", ""),
            section=cells["Section"],
            integration_id=cells.get("Integration ID", ""),
            root_account=cells.get("Root Account", ""),
        )
        _require_id(path, number, student, "ID")
        students.append((number, student))
    columns = tuple(header[i] for i in assignments)
    identity = tuple(h for h in header if h in at)
    return Roster(path, _unique(path, students), "canvas", columns, identity)


def _unwrapped(cell: str) -> str:
    """A cell without the ``="…"`` Canvas writes around a name starting with ``=`` (and the kit's export around any formula)."""
    wrapped = FORMULA_WRAPPED.match(cell)
    return wrapped["text"].replace('""', '"') if wrapped else cell


def _is_hidden_row(cells: dict[str, str], row: list[str], assignments: list[int]) -> bool:
    """Whether ``row`` is Canvas's "Manual Posting" (or "Muted") row: no student, only those marks."""
    if cells.get("ID") or cells.get("Student") or cells.get("LastName"):
        return False
    marks = {row[i].strip() for i in assignments if i < len(row) and row[i].strip()}
    return bool(marks) and all(mark.startswith(CANVAS_HIDDEN_MARKS) for mark in marks)


def _plain(path: Path, header: list[str], rows: list[tuple[int, list[str]]]) -> Roster:
    unknown = [h for h in header if h not in PLAIN_COLUMNS]
    if unknown:
        raise CourseError(f"{path}: unknown column(s) {', '.join(unknown)}; a plain roster has {', '.join(PLAIN_COLUMNS)}")
    students = []
    for number, row in rows:
        cells = {name: (row[i].strip() if i < len(row) else "") for i, name in enumerate(header)}
        student = Student(**{field: cells.get(field, "") for field in PLAIN_COLUMNS})
        _require_id(path, number, student, "id")
        students.append((number, student))
    return Roster(path, _unique(path, students), "plain")


def _require_id(path: Path, row: int, student: Student, column: str) -> None:
    if not student.id:
        raise CourseError(f"{path}, row {row}: {student.name or 'a student'} has no {column}; every student needs one")


def _unique(path: Path, students: list[tuple[int, Student]]) -> tuple[Student, ...]:
    """The students, after checking that no id, login, SIS id or email names two of them."""
    owner: dict[str, Student] = {}
    for number, student in students:
        for value in student.identifiers():
            if value in owner:
                raise CourseError(
                    f"{path}, row {number}: {student.name} has the same id, login or email ({value}) as "
                    f"{owner[value].name}; each student needs their own"
                )
            owner[value] = student
    return tuple(student for _, student in students)
