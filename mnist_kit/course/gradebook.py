"""One row per student: the grader's raw score, the instructor's overrides, lateness and the final score.

A course gradebook is computed, never edited: from the graded results, the roster, the course
file and the overrides file, every time. So a regrade, a new policy or a new extension changes
exactly what it should, and a penalty is never applied twice nor lost.
"""

import csv
import dataclasses
import datetime as dt
import io
import json
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..files import GradedFolder, shown_name, spreadsheet_safe, write_atomically
from ..questions import assignment_points, gradebook_columns, points_of
from ..results import TO_MARK, TO_REVIEW, Result
from . import CourseError
from .config import Course, read_csv
from .matching import Claim
from .roster import Roster, Student

MISSING, UNMATCHED = "missing", "unmatched"
OVERRIDE_COLUMNS = ("student", "question", "score", "reason")


@dataclass(frozen=True)
class Override:
    """An instructor's score for one question of one student, with the reason the student is shown."""

    student: str  # roster id
    question: str
    score: float
    reason: str


@dataclass(frozen=True)
class Lateness:
    """When the counted submission came in against its student's due time, and what that costs."""

    submitted_at: str  # ISO 8601, "" when unknown
    time_source: str  # "gradescope", "times file", "canvas late flag", or ""
    due: str  # ISO 8601, "" when the course has no due date
    late_seconds: float  # 0 when on time; a Canvas late flag alone counts as one period
    penalty_fraction: float
    note: str = ""


@dataclass(frozen=True)
class StudentGrade:
    """A student's row (or, with ``student`` None, a file that belongs to no one)."""

    student: Student | None
    status: str  # the grading's status, "missing" or "unmatched"
    submission: str  # the counted submission's name in grades.csv ("" when missing)
    questions: dict[str, float]  # after overrides
    raw: float  # the grader's total
    adjusted: float  # after overrides
    penalty: float  # points taken for lateness
    final: float
    possible: float
    lateness: Lateness
    overrides: tuple[Override, ...] = ()
    grader_scores: dict[str, float] = dataclasses.field(default_factory=dict)  # before overrides
    not_counted: tuple[str, ...] = ()  # the student's other submissions
    problem: str = ""  # why a file belongs to no one
    to_mark: tuple[str, ...] = ()  # written questions whose answer is still to mark (or to review): counted as 0

    @property
    def rostered(self) -> Student:
        """The student of a row of :attr:`CourseGradebook.rows`: every such row has one (only unmatched files have none)."""
        if self.student is None:
            raise ValueError(f"{self.submission} belongs to no student on the roster")
        return self.student


@dataclass(frozen=True)
class CourseGradebook:
    """Every student's grade, the files that belong to no one, and the course they were computed under."""

    assignment: str
    canvas_column: str
    policy: str  # the late policy in words
    roster: str  # the roster's path, for the export
    rows: tuple[StudentGrade, ...]
    unmatched: tuple[StudentGrade, ...]

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=1)

    @classmethod
    def from_json(cls, text: str) -> "CourseGradebook":
        raw = json.loads(text)

        def row(entry: dict) -> StudentGrade:
            entry = dict(entry)
            entry["student"] = Student(**entry["student"]) if entry["student"] else None
            entry["lateness"] = Lateness(**entry["lateness"])
            entry["overrides"] = tuple(Override(**o) for o in entry["overrides"])
            entry["not_counted"] = tuple(entry["not_counted"])
            entry["to_mark"] = tuple(entry.get("to_mark", ()))
            return StudentGrade(**entry)

        return cls(
            raw["assignment"],
            raw["canvas_column"],
            raw["policy"],
            raw["roster"],
            tuple(map(row, raw["rows"])),
            tuple(map(row, raw["unmatched"])),
        )


def read_overrides(path: Path, roster: Roster) -> tuple[Override, ...]:
    """The overrides file (``student, question, score, reason``), each row checked against the roster and questions.

    Raises
    ------
    CourseError
        Naming the file and row: a student not on the roster, a question that does not exist, a
        score outside the question's points, a missing reason, or one question overridden twice.
    """
    overrides, seen = [], set()
    for number, row in read_csv(path, OVERRIDE_COLUMNS):
        where = f"{path}, row {number}"
        found = roster.find(row["student"])
        if len(found) != 1:
            raise CourseError(f"{where}: {row['student']!r} is not one student on the roster; use their id or login")
        question = row["question"]
        if question not in gradebook_columns():
            raise CourseError(f"{where}: there is no question {question!r}; the questions are {', '.join(gradebook_columns())}")
        try:
            score = float(row["score"])
        except ValueError:
            score = -1.0
        if not 0 <= score <= points_of(question):
            raise CourseError(f"{where}: score {row['score']!r} is not between 0 and {question}'s {points_of(question)} points")
        if not row["reason"]:
            raise CourseError(f"{where}: give a reason; the student's feedback shows it")
        if (found[0].id, question) in seen:
            raise CourseError(f"{where}: {question} of {row['student']} is overridden twice; keep one row")
        seen.add((found[0].id, question))
        overrides.append(Override(found[0].id, question, score, row["reason"]))
    return tuple(overrides)


def extensions_by_student(course: Course, roster: Roster) -> dict[str, dt.datetime | float]:
    """The course's extensions keyed by roster id; an extension for someone not on the roster is an error."""
    resolved = {}
    for name, extension in course.extensions.items():
        found = roster.find(name)
        if len(found) != 1:
            raise CourseError(f"{course.path}: the extension for {name!r} names {len(found)} students on the roster; use their id or login")
        resolved[found[0].id] = extension
    return resolved


def build(
    results: Mapping[str | None, Result], claims: list[Claim], roster: Roster, course: Course, overrides: tuple[Override, ...] = ()
) -> CourseGradebook:
    """Compute the course gradebook (see the module's docstring).

    Parameters
    ----------
    results : dict
        Graded results by submission name.
    claims : list of Claim
        Whose each graded upload is (:func:`mnist_kit.course.matching.claim`).
    roster, course : Roster, Course
    overrides : tuple of Override
    """
    extensions = extensions_by_student(course, roster)
    by_student: dict[str, list[Claim]] = {}
    for item in claims:
        for student_id in item.students:
            by_student.setdefault(student_id, []).append(item)
    rows = []
    for student in roster.students:
        own = sorted(by_student.get(student.id, []), key=_submission_order)
        mine = tuple(o for o in overrides if o.student == student.id)
        due = _Due(course.due_for(extensions.get(student.id)), extensions.get(student.id) is not None)
        if not own:
            rows.append(_row(student, _Counted(), mine, course, due))
            continue
        counted = _Counted(own[-1], tuple(o.upload.submission for o in own[:-1]), results[own[-1].upload.submission])
        rows.append(_row(student, counted, mine, course, due))
    unmatched = tuple(_row(None, _Counted(c, (), results[c.upload.submission]), (), course, _Due()) for c in claims if not c.students)
    return CourseGradebook(course.name, course.canvas_column, policy_in_words(course), str(roster.path.resolve()), tuple(rows), unmatched)


@dataclass(frozen=True)
class _Counted:
    """A student's counted upload (None: none), the others not counted, and the counted one's result."""

    claim: Claim | None = None
    others: tuple[str, ...] = ()
    result: Result | None = None


@dataclass(frozen=True)
class _Due:
    """A student's due time (None: no due date), and whether an extension set it."""

    at: dt.datetime | None = None
    extended: bool = False


def _submission_order(item: Claim) -> tuple:
    at = item.time.at if item.time and item.time.at else dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    return at, item.order, item.upload.submission


def _row(student: Student | None, counted: _Counted, overrides: tuple[Override, ...], course: Course, due: _Due) -> StudentGrade:
    result = counted.result
    if result is None:
        grader = dict.fromkeys(gradebook_columns(), 0.0)
        status, submission, possible, raw = (MISSING if student else UNMATCHED), "", assignment_points(), 0.0
    else:
        grader = {q: result.score_of(q) for q in gradebook_columns()}
        status, submission, possible, raw = result.status, result.submission or "", result.possible, result.total
    if student is None:
        status = UNMATCHED
    questions = {**grader, **{o.question: o.score for o in overrides}}
    adjusted = round(sum(questions.values()), 2)
    lateness = _lateness(counted.claim, course, due)
    penalty = course.late.penalty(lateness.penalty_fraction, adjusted, possible)
    return StudentGrade(
        student=student,
        status=status,
        submission=submission,
        questions=questions,
        raw=raw,
        adjusted=adjusted,
        penalty=penalty,
        final=round(adjusted - penalty, 2),
        possible=possible,
        lateness=lateness,
        overrides=overrides,
        grader_scores=grader,
        not_counted=counted.others,
        problem=counted.claim.problem if counted.claim else "",
        to_mark=tuple(f"{q} ({e.marking})" for q, e in (result.questions.items() if result else ()) if e.marking in (TO_MARK, TO_REVIEW)),
    )


def _lateness(counted: Claim | None, course: Course, due_time: _Due) -> Lateness:
    due, time = due_time.at, counted.time if counted else None
    shown_due = due.isoformat() if due else ""
    if time is None or due is None:
        note = "" if counted is None or due is None else "no submission time known: counted on time (give a times file)"
        return Lateness(time.at.isoformat() if time and time.at else "", time.source if time else "", shown_due, 0.0, 0.0, note)
    if time.at is None:  # Canvas's late flag alone
        if due_time.extended:
            note = "Canvas marked it late against its own due date, but the student has an extension and no time is known: counted on time"
            return Lateness("", time.source, shown_due, 0.0, 0.0, note)
        period, fraction, note = course.late.flagged_late()
        return Lateness("", time.source, shown_due, period.total_seconds(), fraction, note)
    late_by = max(time.at - due, dt.timedelta(0))
    fraction = course.late.penalty_fraction(late_by)
    return Lateness(time.at.isoformat(), time.source, shown_due, late_by.total_seconds(), fraction)


def policy_in_words(course: Course) -> str:
    """The course's late policy as one sentence for the report and the feedback (:meth:`LatePolicy.in_words`)."""
    return course.late.in_words(course.due)


def handle_file_name(student: Student) -> str:
    """A safe file name for a student's feedback, from their login (or id)."""
    return urllib.parse.quote(student.handle, safe="-_.@").lstrip(".") or urllib.parse.quote(student.id, safe="")


def course_columns() -> list[str]:
    """The columns of ``course.csv``: a column per question, in notebook order."""
    return [
        *("student_id", "name", "login", "sis_id", "section", "status", "submission", "submitted_at", "time_source", "due"),
        *("late_hours", "raw", "adjusted", "penalty", "final", "possible", *gradebook_columns(), "to_mark", "overrides"),
        *("not_counted", "note"),
    ]


def course_csv(gradebook: CourseGradebook) -> str:
    """``course.csv``: one row per student on the roster, then one per file that belongs to no one."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=course_columns(), lineterminator="\n")
    writer.writeheader()
    for row in (*gradebook.rows, *gradebook.unmatched):
        student = row.student or Student("", "")
        cells = {
            "student_id": student.id,
            "name": student.name,
            "login": student.login,
            "sis_id": student.sis_id,
            "section": student.section,
            "status": row.status,
            "submission": shown_name(row.submission),
            "submitted_at": row.lateness.submitted_at,
            "time_source": row.lateness.time_source,
            "due": row.lateness.due,
            "late_hours": round(row.lateness.late_seconds / 3600, 2),
            "raw": row.raw,
            "adjusted": row.adjusted,
            "penalty": row.penalty,
            "final": row.final,
            "possible": row.possible,
            **row.questions,
            "to_mark": "; ".join(row.to_mark),
            "overrides": "; ".join(f"{o.question} {o.score:g} ({o.reason})" for o in row.overrides),
            "not_counted": "; ".join(map(shown_name, row.not_counted)),
            "note": row.problem or row.lateness.note,
        }
        writer.writerow({k: spreadsheet_safe(v) for k, v in cells.items()})
    return buffer.getvalue()


def write(folder: GradedFolder, gradebook: CourseGradebook) -> Path:
    """Write ``course.csv`` and ``course.json`` in ``folder``; return the CSV's path."""
    write_atomically(folder.course_gradebook, course_csv(gradebook))
    write_atomically(folder.course_state, gradebook.to_json())
    return folder.course_gradebook


def load(folder: GradedFolder) -> CourseGradebook | None:
    """The course gradebook of a graded folder, or None if it was graded without a roster."""
    path = folder.course_state
    return CourseGradebook.from_json(path.read_text(encoding="utf-8")) if path.is_file() else None
