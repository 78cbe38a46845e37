"""Marks of written questions: one file a question in the graded folder, saved whenever a mark is made.

``<graded>/marks/<question>.json`` holds the rubric as this course marks with it (copied from the
unit at the first mark; its items' points may change while marking) and, for each submission, the
rubric items applied, a free comment and a digest of the answer the mark was made on::

    {"question": "q7", "rubric": [{"key": "1", "points": 1, "label": "...", "comment": "..."}],
     "marks": {"alice": {"items": ["1", "3"], "comment": "Clear.", "digest": "9f2c..."}}}

Scores are never stored: each is the sum of the applied items' current points
(:meth:`mnist_kit.rubric.Rubric.score`), so changing an item's points changes every score made
with it. A regrade never touches this file; an answer whose text changed since it was marked (a
resubmission) keeps its mark, shown as ``to review`` and counted as nothing until it is marked again.
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from .files import GradedFolder, write_atomically
from .questions import WRITTEN, WrittenQuestion
from .results import MARKED, NO_ANSWER, TO_MARK, TO_REVIEW, QuestionResult, Result, WrittenAnswer
from .rubric import Rubric, RubricError, rubric_from_items

MAX_COMMENT_CHARS = 2_000


class MarkError(ValueError):
    """A marks file that cannot be used as it is, said in one line naming the file and entry; nothing in it is changed."""


@dataclass(frozen=True)
class Mark:
    """One submission's mark: the rubric items applied, a free comment, and the answer's digest when it was made."""

    items: tuple[str, ...]
    comment: str
    digest: str

    def to_json(self) -> dict[str, object]:
        return {"items": list(self.items), "comment": self.comment, "digest": self.digest}


@dataclass
class MarkBook:
    """One written question's rubric and marks, as ``marks/<question>.json`` holds them.

    Examples
    --------
    >>> from mnist_kit.rubric import RubricItem
    >>> book = MarkBook(Path("q7.json"), Rubric("q7", 2, (RubricItem("1", 1, "pair"), RubricItem("2", 1, "why"))))
    >>> answer = WrittenAnswer("4s look like 9s")
    >>> book.outcome("ann", answer).marking
    'to mark'
    >>> book.marks["ann"] = Mark(("1",), "", answer.digest)
    >>> book.outcome("ann", answer).score, book.outcome("ann", WrittenAnswer("5s look like 3s")).marking
    (1.0, 'to review')
    """

    path: Path
    rubric: Rubric
    marks: dict[str, Mark] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: GradedFolder, question: WrittenQuestion) -> "MarkBook":
        """The question's marks in ``folder``; with no marks yet, the rubric beside its unit and no marks.

        Raises
        ------
        MarkError
            When the file does not parse, or names an item its rubric lacks (say, after an edit by hand).
        """
        path = folder.marks_for(question.name)
        if not path.is_file():
            return cls(path, question.rubric())
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            rubric = rubric_from_items(question.name, question.points, data["rubric"], "its rubric", authored=False)
            marks = {str(name): _mark(entry) for name, entry in data["marks"].items()}
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            if isinstance(error, RubricError):
                raise MarkError(f"{path}: {error}") from None
            raise MarkError(f"{path} cannot be read ({type(error).__name__}: {error}); restore it (nothing was changed)") from None
        for name, mark in marks.items():
            unknown = [key for key in mark.items if key not in {item.key for item in rubric.items}]
            if unknown:
                raise MarkError(f"{path}: {name}'s mark applies item {unknown[0]!r}, which its rubric has not; fix that entry")
        return cls(path, rubric, marks)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"question": self.rubric.question, "rubric": self.rubric.to_json(), "marks": {n: m.to_json() for n, m in self.marks.items()}}
        write_atomically(self.path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")

    def mark(self, submissions: Iterable[str], items: Iterable[str], comment: str, answer: WrittenAnswer) -> None:
        """Mark ``submissions`` (one answer's group) with ``items`` and ``comment``, made on ``answer``, and save."""
        applied = tuple(dict.fromkeys(items))
        for key in applied:
            self.rubric.item(key)
        for name in submissions:
            self.marks[name] = Mark(applied, comment[:MAX_COMMENT_CHARS], answer.digest)
        self.save()

    def set_points(self, key: str, points: float) -> None:
        """Give item ``key`` ``points`` (every score made with it follows), and save."""
        self.rubric = self.rubric.with_points(key, points)
        self.save()

    def outcome(self, submission: str, answer: WrittenAnswer) -> QuestionResult:
        """The question's result for ``submission`` whose answer is ``answer``: a score only once marked on that text."""
        points = self.rubric.points
        mark = self.marks.get(submission)
        if not answer.needs_marking:
            return QuestionResult(points, 0.0, marking=NO_ANSWER, remarks=(f"No answer was written ({answer.state}).",))
        if mark is None:
            return QuestionResult(points, 0.0, marking=TO_MARK)
        if mark.digest != answer.digest:
            return QuestionResult(points, 0.0, marking=TO_REVIEW)
        remarks = tuple(
            f"{self.rubric.item(key).points:+g}: {self.rubric.item(key).comment or self.rubric.item(key).label}" for key in mark.items
        )
        return QuestionResult(
            points, self.rubric.score(mark.items), marking=MARKED, remarks=remarks + ((mark.comment,) if mark.comment else ())
        )


def _mark(entry: Mapping[str, object]) -> Mark:
    items, comment, digest = entry["items"], entry.get("comment", ""), entry["digest"]
    if not isinstance(items, list) or not isinstance(comment, str) or not isinstance(digest, str):
        raise TypeError("a mark holds a list of items, a comment and a digest")
    return Mark(tuple(map(str, items)), comment, digest)


def mark_books(folder: GradedFolder) -> dict[str, MarkBook]:
    """Every written question's marks in ``folder`` (a question nobody marked yet has its unit's rubric)."""
    return {name: MarkBook.load(folder, question) for name, question in WRITTEN.items()}


def with_marks(result: Result, books: Mapping[str, MarkBook]) -> Result:
    """``result`` with each written question's outcome among its questions, its marked points in its totals.

    A written question counts its points toward ``possible`` and its score only once marked (see
    :meth:`MarkBook.outcome`): the kit never claims points it did not mark.
    """
    if result.submission is None or not books:
        return result
    questions = dict(result.questions)
    for name, book in books.items():
        questions[name] = book.outcome(result.submission, result.written.get(name, WrittenAnswer("")))
    added = [questions[name] for name in books]
    return replace(
        result,
        questions=questions,
        total=round(result.total + sum(q.score for q in added), 2),
        possible=result.possible + sum(q.possible for q in added),
    )


def unknown_submissions(books: Mapping[str, MarkBook], submissions: Iterable[str]) -> list[str]:
    """One line for each mark of a submission the graded folder has no result for (a file edited by hand)."""
    known = set(submissions)
    return [f"{book.path}: marks {name!r}, which has no result here" for book in books.values() for name in book.marks if name not in known]
