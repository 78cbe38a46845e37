"""A realistic course for the course tests: a Canvas roster of 40 students in 2 sections (Canvas's
current export: its Manual Posting row, Integration ID and Root Account, a byte-order mark and
CRLF; tests/course/canvas_shapes.py says where each comes from), Canvas's downloads (late ones, a
resubmission, a mangled name, an anonymous one), 3 students without a submission, a times file,
and a Gradescope export zip of the same assignment (a group, and Gradescope's ``:history:``).

Three kinds of work are handed in, each a notebook of the student release: q1-q3 answered (4 of
10 points), q1 answered (2), nothing answered (0). Identical files are graded once, so the course
costs three gradings however many students it has. The expected scores below are written by hand.
"""

import csv
import datetime as dt
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from mnist_kit.questions import QUESTIONS
from sample_submissions.notebooks import UNANSWERED, Case, make_notebook
from tests.course import canvas_shapes

STUB_ALL = {name: UNANSWERED for unit in QUESTIONS.values() for name in unit.functions}
KINDS = {
    "q1-q3": Case(
        "q1-q3", functions={n: s for n, s in STUB_ALL.items() if n not in ("shuffle_split", "cast_labels", "make_binary_target")}
    ),
    "q1": Case("q1", functions={n: s for n, s in STUB_ALL.items() if n != "shuffle_split"}),
    "none": Case("none", functions=STUB_ALL),
}
RAW = {"q1-q3": 4.0, "q1": 2.0, "none": 0.0}
DUE = dt.datetime(2026, 12, 4, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=-6)))  # America/Chicago in December
SECTIONS = ("Section A", "Section B")


@dataclass(frozen=True)
class Person:
    number: int
    login: str
    kind: str = ""  # what they hand in ("" for nothing)
    late_by: dt.timedelta | None = dt.timedelta(hours=-3)  # None: Canvas's late flag, no time
    flagged: bool = False

    @property
    def id(self):
        return str(1000 + self.number)

    @property
    def sis_id(self):
        return f"9000{self.number:02d}"

    @property
    def name(self):
        return f"Last{self.number:02d}, First{self.number:02d}"

    @property
    def section(self):
        return SECTIONS[self.number % 2]

    @property
    def canvas_prefix(self):
        return f"last{self.number:02d}first{self.number:02d}{'_LATE' if self.flagged else ''}_{self.id}"


SPECIAL = {
    5: Person(5, "elate", "q1-q3", dt.timedelta(hours=2), True),
    6: Person(6, "flate", "q1-q3", dt.timedelta(hours=30), True),
    7: Person(7, "glate", "q1-q3", dt.timedelta(days=10), True),
    8: Person(8, "hflag", "q1", None, True),
    9: Person(9, "igrace", "q1-q3", dt.timedelta(minutes=10), True),
    10: Person(10, "bkim", "q1-q3", dt.timedelta(hours=26), True),  # extension: 2 more days
    11: Person(11, "cruiz", "q1-q3", dt.timedelta(days=3, hours=1), True),  # extension: until 3 days later
    12: Person(12, "dpatel", "q1-q3"),  # an override: q4 2 points
    13: Person(13, "eng", "q1-q3"),  # resubmitted: the first attempt handed in nothing
    14: Person(14, "fmangled", "q1-q3"),  # the file's name lost its ids: it belongs to no one
}
NO_SUBMISSION = (38, 39, 40)
PEOPLE = [SPECIAL.get(n) or Person(n, f"s{n:02d}", "" if n in NO_SUBMISSION else ("q1-q3", "q1", "none")[n % 3]) for n in range(1, 41)]
# By hand, under the README's policy (10 % of the score per started day, 15 minutes' grace, at
# most 50 %, 0 after 7 days) and extensions (bkim 2 days, cruiz until Dec 7 23:59).
EXPECTED_SPECIAL = {
    "elate": 3.6,  # 2 hours late: one day, 10 % of 4
    "flate": 3.2,  # 30 hours: two days, 20 %
    "glate": 0.0,  # 10 days: after 7 days, 0
    "hflag": 1.8,  # Canvas's flag, no time: one day, 10 % of 2
    "igrace": 4.0,  # 10 minutes: within the grace
    "bkim": 4.0,  # 26 hours, within a 2-day extension
    "cruiz": 3.6,  # 1 hour past the extended due time
    "dpatel": 6.0,  # 4 + the override's 2 on q4
    "eng": 4.0,  # the later of two submissions counts
    "fmangled": 0.0,  # no file of theirs was recognised
}
# The same, with 25 % per day: only the late students whose penalty was neither 0 nor everything change.
EXPECTED_AT_25 = {**EXPECTED_SPECIAL, "elate": 3.0, "flate": 2.0, "hflag": 1.5, "cruiz": 3.0}
OVERRIDE = "student,question,score,reason\ndpatel,q4,2,regrade request: the q4 cell was run out of order\n"


def expected_finals(at_25=False):
    special = EXPECTED_AT_25 if at_25 else EXPECTED_SPECIAL
    return {p.id: special.get(p.login, RAW.get(p.kind, 0.0)) for p in PEOPLE}


def write_roster(path, shape="current, manual posting, integration id, root account"):
    """Canvas's "Export Entire Gradebook" of the class, in one of the shapes Canvas writes (:data:`canvas_shapes.SHAPES`)."""
    students = [
        canvas_shapes.CanvasStudent(p.name, p.id, p.sis_id, p.login, p.section, f"int-{p.id}", "canvas.example.edu") for p in PEOPLE
    ]
    path.write_bytes(canvas_shapes.export(canvas_shapes.SHAPES[shape], students).encode())


def write_downloads(folder, notebooks):
    """Canvas's "Download Submissions" folder, and the times of its files (Canvas's names carry none)."""
    folder.mkdir(parents=True)
    times = [("file", "submitted_at")]
    for attachment, person in enumerate(PEOPLE, start=5000):
        if not person.kind:
            continue
        name = f"{person.canvas_prefix}_{attachment}_mnist.ipynb"
        if person.login == "fmangled":
            name = "mnist (1).ipynb"
            (folder / ANONYMOUS).write_text(notebooks[person.kind])  # the same work, named as an anonymous assignment's
        if person.login == "eng":  # the first attempt, a day earlier, with a smaller Canvas id
            first = f"{person.canvas_prefix}_{attachment - 1000}_mnist.ipynb"
            (folder / first).write_text(notebooks["none"])
            times.append((first, (DUE - dt.timedelta(days=2)).isoformat()))
        (folder / name).write_text(notebooks[person.kind])
        if person.late_by is not None:
            times.append((name, (DUE + person.late_by).isoformat()))
    return times


ANONYMOUS = "anon_x8Yz1_5999_mnist.ipynb"  # Canvas's name in an anonymously graded assignment: no user id


# The Gradescope export: a few students (one pair as a group), with Gradescope's own times.
GRADESCOPE = [
    ("submission_7001", ("s01",), "q1-q3", dt.timedelta(hours=-1)),
    ("submission_7002", ("s02",), "q1", dt.timedelta(hours=5)),  # 5 hours late: 10 % of 2
    ("submission_7003", ("s03", "s04"), "q1-q3", dt.timedelta(days=1, hours=1)),  # a group, 25 hours late: 20 % of 4
    ("submission_7004", ("bkim",), "q1-q3", dt.timedelta(days=1)),  # within bkim's extension
]
EXPECTED_GRADESCOPE = {"s01": 4.0, "s02": 1.8, "s03": 3.2, "s04": 3.2, "bkim": 4.0}


def write_gradescope_export(path, notebooks):
    by_login = {p.login: p for p in PEOPLE}
    lines = []
    with zipfile.ZipFile(path, "w") as archive:
        for folder, logins, kind, late_by in GRADESCOPE:
            archive.writestr(f"assignment_81234_export/{folder}/mnist.ipynb", notebooks[kind])
            lines.append(f"{folder}:")
            lines.append("  :submitters:")
            for login in logins:
                person = by_login[login]
                lines += [f"  - :name: {json.dumps(person.name)}", f"    :sid: '{person.sis_id}'", f"    :email: {login}@example.edu"]
            created = (DUE + late_by).astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f000 Z").replace(" Z", " +00:00")
            lines += [f"  :created_at: {created}", "  :score: 0.0", "  :status: processed", "  :history:"]
            earlier = (DUE + late_by - dt.timedelta(hours=2)).astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f000 Z")
            lines += [f"  - :id: {int(folder.split('_')[1]) - 100}", f"    :created_at: {earlier}", "    :score: 0.0"]
        archive.writestr("assignment_81234_export/submission_metadata.yml", "\n".join(lines) + "\n")


def build(root: Path):
    """Write the whole course under ``root``: roster.csv, downloads/, times.csv, gradescope_export.zip."""
    notebooks = {kind: json.dumps(make_notebook(case)) for kind, case in KINDS.items()}
    write_roster(root / "roster.csv")
    times = write_downloads(root / "downloads", notebooks)
    with open(root / "times.csv", "w", newline="") as file:
        csv.writer(file).writerows(times)
    write_gradescope_export(root / "gradescope_export.zip", notebooks)
