"""Canvas's gradebook export in each shape Canvas writes it, for the roster tests.

Written after Canvas's own exporter, ``lib/gradebook_exporter.rb`` in instructure/canvas-lms
(``GradebookExporter#csv_data``), and its CSV settings (``lib/csv_with_i18n.rb``):

- header: ``Student`` (or ``LastName, FirstName`` when the user shows names split), ``ID``,
  ``SIS User ID`` (only with ``include_sis_id``), ``SIS Login ID``, ``Integration ID`` (only
  when the root account includes integration ids), ``Root Account`` (only when the account
  trusts others), ``Section``, custom columns, each assignment's ``title_with_id``, then
  totals (``Current Points``, ``Final Points``, ``Current Score``, ``Unposted Current Score``,
  ``Final Score``, ``Unposted Final Score``);
- when any assignment is posted by hand, a row of empty identity cells with ``Manual Posting``
  (``Manual Posting (scores hidden from instructors)`` for an anonymous one) in those
  assignments' columns; exports before post policies wrote ``Muted`` there;
- ``    Points Possible`` (four leading spaces), ``(read only)`` under read-only custom columns
  and every total, points as ``I18n.n(points, precision: 2)`` (``10.00``);
- a name starting with ``=`` written as ``="…"``; several sections joined by "and"; ``N/A`` and
  ``EX`` as scores; the test student (``StudentViewEnrollment``) last, as ``Student, Test``;
- ``;`` as the separator when the user chose it, and a UTF-8 byte-order mark when the user's
  feature flag asks for one. (Windows' Excel, saving it again, adds CRLF line ends.)
"""

import csv
import io
from dataclasses import dataclass

ASSIGNMENTS = ("Quiz 1 (81200)", "MNIST (81234)", "Essay (81250)")
TOTALS = ("Current Points", "Final Points", "Current Score", "Unposted Current Score", "Final Score", "Unposted Final Score")
READ_ONLY = "(read only)"


@dataclass(frozen=True)
class CanvasStudent:
    name: str  # the sortable name, "Last, First"
    id: str
    sis_id: str
    login: str
    section: str
    integration_id: str = ""
    root_account: str = ""


STUDENTS = (
    CanvasStudent("Lee, Ann", "17", "000017", "alee", "Section A", "int-17", "canvas.example.edu"),
    CanvasStudent("=Eve, Zed", "18", "900018", "ezed", "Section A and Section B", "", "canvas.example.edu"),  # a name Canvas wraps
    CanvasStudent("O'Brien, Liam", "19", "", "lobrien", "Section B", "int-19", "canvas.example.edu"),  # no SIS id
    CanvasStudent("Nguyễn, Thị", "20", "900020", "tnguyen", "Section B", "", "canvas.example.edu"),
)
TEST_STUDENT = CanvasStudent("Student, Test", "99", "", "", "Section A")


@dataclass(frozen=True)
class Shape:
    """Which of the exporter's options were on, as ``GradebookExporter`` reads them."""

    include_sis_id: bool = True
    integration_id: bool = False
    root_account: bool = False
    split_names: bool = False
    hidden_mark: str = ""  # "Manual Posting", "Muted", or "" (no assignment posted by hand)
    separator: str = ","
    bom: bool = False
    crlf: bool = False
    custom_column: bool = False  # a read-only custom column ("Notes")


SHAPES = {
    "current, manual posting, integration id, root account": Shape(
        integration_id=True, root_account=True, hidden_mark="Manual Posting", bom=True, crlf=True, custom_column=True
    ),
    "older, muted": Shape(hidden_mark="Muted"),
    "split names, semicolons, no SIS user id": Shape(include_sis_id=False, split_names=True, separator=";", hidden_mark="Manual Posting"),
}


def _name(name):
    return f'="{name}"' if name.lstrip().startswith("=") else name


def export(shape, students=STUDENTS, scores=None):
    """The text of Canvas's "Export Entire Gradebook" for ``students`` in ``shape``."""
    scores = scores or {}
    identity = ["LastName", "FirstName"] if shape.split_names else ["Student"]
    identity += ["ID"] + (["SIS User ID"] if shape.include_sis_id else []) + ["SIS Login ID"]
    identity += ["Integration ID"] if shape.include_sis_id and shape.integration_id else []
    identity += ["Root Account"] if shape.include_sis_id and shape.root_account else []
    identity += ["Section"]
    custom = ["Notes"] if shape.custom_column else []
    rows = [identity + custom + list(ASSIGNMENTS) + list(TOTALS)]
    blank = [""] * len(identity)
    if shape.hidden_mark:
        marks = [
            shape.hidden_mark,
            shape.hidden_mark + (" (scores hidden from instructors)" if shape.hidden_mark == "Manual Posting" else ""),
            "",
        ]
        rows.append(blank + [""] * len(custom) + marks + [""] * len(TOTALS))
    points = ["    Points Possible"] + blank[1:] + [READ_ONLY] * len(custom) + ["5.00", "10.00", "20.00"] + [READ_ONLY] * len(TOTALS)
    rows.append(points)
    for student in (*students, TEST_STUDENT):
        last, _, first = student.name.partition(", ")
        cells = {
            "Student": _name(student.name),
            "LastName": _name(last),
            "FirstName": _name(first),
            "ID": student.id,
            "SIS User ID": student.sis_id,
            "SIS Login ID": student.login,
            "Integration ID": student.integration_id,
            "Root Account": student.root_account,
            "Section": student.section,
        }
        grades = ["5.00", scores.get(student.id, "N/A"), "EX"]
        rows.append(
            [cells[c] for c in identity] + ["late start"] * len(custom) + grades + ["15.00", "15.00", "75.00", "75.00", "42.86", "42.86"]
        )
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=shape.separator, lineterminator="\r\n" if shape.crlf else "\n").writerows(rows)
    return ("\ufeff" if shape.bom else "") + buffer.getvalue()
