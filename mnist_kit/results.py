"""What a grading produces, as typed data: a submission's result, its questions' and its checks'.

Every command passes these objects around (:mod:`~mnist_kit.grade` makes them, :mod:`~mnist_kit.batch`
stores them, :mod:`~mnist_kit.report`, :mod:`~mnist_kit.gradescope` and :mod:`~mnist_kit.course`
read them); JSON exists only at the edges, through :meth:`Result.to_json` and
:meth:`Result.from_json` (a graded folder's ``results/<submission>.json``, a Dask task's return
value).
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Status(enum.StrEnum):
    """What happened to a submission: the gradebook's ``status`` column (a ``str``, so JSON and CSV keep the word)."""

    GRADED = "graded"  # ran to the end
    TIMEOUT = "timeout"  # a question, or the whole submission, ran past its time limit
    MEMORY = "memory"  # the kernel killed a process of the submission for its memory
    CRASHED = "crashed"  # the Python process died or filled its folder, or the grader failed on the file
    INVALID = "invalid"  # not a readable notebook, or larger than the upload limit


@dataclass(frozen=True)
class CheckResult:
    """One check of one question, as the checker ran it on a submission's answers."""

    question: str
    name: str
    passed: bool
    message: str  # what is wrong and how to fix it; empty when the check passed
    hidden: bool  # withheld from students until grades are released (see spec.VISIBILITY)
    weight: float  # the check's share of its question's points, relative to the question's other checks
    measured: Mapping[str, float] = field(default_factory=dict)  # what a passing check measured, by threshold name

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "passed": self.passed,
            "hidden": self.hidden,
            "weight": self.weight,
            "message": self.message,
            **({"measured": dict(self.measured)} if self.measured else {}),
        }

    @classmethod
    def from_json(cls, question: str, data: Mapping[str, Any]) -> CheckResult:
        return cls(
            question,
            str(data["name"]),
            bool(data["passed"]),
            str(data["message"]),
            bool(data["hidden"]),
            _number(data.get("weight", 1.0)),
            {str(k): _number(v) for k, v in data.get("measured", {}).items()},
        )


@dataclass(frozen=True)
class QuestionResult:
    """One question of a submission: its score out of ``possible``, and either its checks or why none ran."""

    possible: float
    score: float = 0.0
    error: str | None = None  # why no check ran (the step crashed, hung, or recorded no answer)
    checks: tuple[CheckResult, ...] = ()
    # A written question's: where its marking stands (MARKING_STATES), and what the marker said
    marking: str | None = None
    remarks: tuple[str, ...] = ()
    # CPU seconds the question's step used (all the submission's processes), and the limit it had
    cpu: float | None = None
    cpu_limit: float | None = None

    @property
    def full_marks(self) -> bool:
        return self.score == self.possible

    @property
    def failures(self) -> tuple[CheckResult, ...]:
        return tuple(check for check in self.checks if not check.passed)

    def to_json(self) -> dict[str, Any]:
        marked = {"marking": self.marking, "remarks": list(self.remarks)} if self.marking else {}
        timed = {"cpu": self.cpu, "cpu_limit": self.cpu_limit} if self.cpu is not None else {}
        checks = [c.to_json() for c in self.checks]
        return {"possible": self.possible, "score": self.score, "error": self.error, "checks": checks, **marked, **timed}

    @classmethod
    def from_json(cls, question: str, data: Mapping[str, Any]) -> QuestionResult:
        error = data.get("error")
        return cls(
            _number(data["possible"]),
            _number(data["score"]),
            None if error is None else str(error),
            tuple(CheckResult.from_json(question, check) for check in data.get("checks", ())),
            None if data.get("marking") is None else str(data["marking"]),
            tuple(map(str, data.get("remarks") or ())),
            None if data.get("cpu") is None else _number(data["cpu"]),
            None if data.get("cpu_limit") is None else _number(data["cpu_limit"]),
        )


# Where a written question's marking stands, in a gradebook's words: a score counts only when "marked".
MARKED, TO_MARK, TO_REVIEW, NO_ANSWER = "marked", "to mark", "to review", "no answer"
MARKING_STATES = (MARKED, TO_MARK, TO_REVIEW, NO_ANSWER)
# What Otter Assign puts in a written question's answer cell, for the student to replace.
PLACEHOLDER = "_Type your answer here, replacing this text._"


@dataclass(frozen=True)
class WrittenAnswer:
    """One written answer as the student left it.

    Examples
    --------
    >>> WrittenAnswer("  4s read as  9s ").same_as(WrittenAnswer("4S READ AS 9S"))
    True
    >>> WrittenAnswer(PLACEHOLDER).state, WrittenAnswer(" ").state, WrittenAnswer("4s as 9s").state
    ('untouched', 'empty', 'answered')
    """

    text: str
    truncated: bool = False

    @property
    def state(self) -> str:
        """``answered``, ``empty`` (nothing written) or ``untouched`` (the placeholder left as it was)."""
        if not self.text.strip():
            return "empty"
        return "untouched" if self.text.strip() == PLACEHOLDER else "answered"

    @property
    def needs_marking(self) -> bool:
        return self.state == "answered"

    @property
    def normalised(self) -> str:
        """The text with its whitespace collapsed and its case folded: answers equal so are marked together."""
        return " ".join(self.text.split()).casefold()

    @property
    def digest(self) -> str:
        """A digest of :attr:`normalised`: what a mark was made on (a resubmission with other text needs review)."""
        return hashlib.sha256(self.normalised.encode()).hexdigest()[:16]

    def same_as(self, other: WrittenAnswer) -> bool:
        return self.normalised == other.normalised

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, **({"truncated": True} if self.truncated else {})}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WrittenAnswer:
        return cls(str(data.get("text", "")), bool(data.get("truncated", False)))


@dataclass(frozen=True)
class Result:
    """A submission's grade: what happened to it (``status``, ``reason``), each question's result and the totals.

    :func:`mnist_kit.grade.grade_notebook` fills the grading's fields; :func:`mnist_kit.batch.grade_many`
    adds where the submission came from (``submission``, ``file``, ``key``).
    """

    status: Status
    questions: Mapping[str, QuestionResult]
    total: float
    possible: float
    reason: str | None = None  # the grader's own words for a status other than graded
    notes: tuple[str, ...] = ()  # what went wrong outside the questions (a top-level definition that failed)
    seed: int | None = None  # the challenge's seed: grading again with it reproduces the grade
    seconds: float = 0.0
    sandbox: Mapping[str, Any] = field(default_factory=dict)  # the isolation the student's code ran in (Sandbox.describe)
    submission: str | None = None  # the submission's name in the graded folder
    file: str | None = None  # the file graded
    key: str | None = None  # "<autograder fingerprint>:<file's SHA-256>": the same key, the same grade
    written: Mapping[str, WrittenAnswer] = field(default_factory=dict)  # each written question's answer, as text
    student_cpu: float | None = None  # CPU-s of all the submission's processes (its cgroup's count, else their own)
    student_memory: int | None = None  # peak bytes its cgroup held: processes, tmpfs files, memfds; None where none counts

    @property
    def sandbox_kind(self) -> str:
        return str(self.sandbox.get("kind", ""))

    def replace(self, **changes: Any) -> Result:
        return dataclasses.replace(self, **changes)

    def score_of(self, question: str) -> float:
        """The points ``question`` earned; 0 for one this result was not graded on (graded before it was added)."""
        entry = self.questions.get(question)
        return entry.score if entry is not None else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "status": str(self.status),
            "reason": self.reason,
            "notes": list(self.notes),
            "questions": {name: question.to_json() for name, question in self.questions.items()},
            "total": self.total,
            "possible": self.possible,
            "seed": self.seed,
            "seconds": self.seconds,
            "sandbox": dict(self.sandbox),
            **{name: value for name in ("submission", "file", "key") if (value := getattr(self, name)) is not None},
            **({"written": {name: answer.to_json() for name, answer in self.written.items()}} if self.written else {}),
            **({"student_cpu": self.student_cpu} if self.student_cpu is not None else {}),
            **({"student_memory": self.student_memory} if self.student_memory is not None else {}),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Result:
        """The result :meth:`to_json` wrote; ``KeyError``, ``TypeError`` or ``ValueError`` if it is not one."""
        return cls(
            Status(data["status"]),
            {str(name): QuestionResult.from_json(name, entry) for name, entry in data["questions"].items()},
            _number(data["total"]),
            _number(data["possible"]),
            data.get("reason"),
            tuple(map(str, data.get("notes") or ())),
            data.get("seed"),
            _number(data.get("seconds") or 0.0),
            dict(data.get("sandbox") or {}),
            data.get("submission"),
            data.get("file"),
            data.get("key"),
            {str(name): WrittenAnswer.from_json(answer) for name, answer in (data.get("written") or {}).items()},
            None if data.get("student_cpu") is None else _number(data["student_cpu"]),
            None if data.get("student_memory") is None else int(_number(data["student_memory"])),
        )


def _number(value: Any) -> float:
    """A JSON number as written (an int stays an int, so a gradebook shows 10, not 10.0)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return value


def zero_result(status: Status, reason: str, questions: Mapping[str, float]) -> Result:
    """A result with no points: every question of ``questions`` (name: points) fails with ``reason``."""
    entries = {name: QuestionResult(points, error=reason) for name, points in questions.items()}
    return Result(status, entries, 0.0, sum(questions.values()), reason=reason)


@dataclass(frozen=True)
class GradeChange:
    """A submission whose grade a regrade changed: each field a ``(before, after)`` pair."""

    submission: str | None
    status: tuple[Status, Status]
    total: tuple[float, float]
    questions: Mapping[str, tuple[float, float]]  # the questions whose score changed
    cause: str  # "autograder changed", "file changed" or "forced"
    why: tuple[str, ...]  # the checks that flipped, in short phrases


@dataclass(frozen=True)
class Regrade:
    """What the latest regrade of a graded folder did (see :func:`mnist_kit.history.regrade_changes`)."""

    run: str  # the history folder holding the results it replaced
    regraded: int  # how many submissions it regraded so far
    changed: tuple[GradeChange, ...]
