"""What each student reads: the Markdown feedback of a submission, and of a student on the roster.

Everything is derived from the stored results (:mod:`mnist_kit.results_folder`), so feedback can
be rewritten at any time, with or without the checks ``spec.VISIBILITY`` withholds.
"""

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass

from . import sandbox, spec, untrusted
from .answers import said_once
from .course import gradebook as course_gradebook
from .course.gradebook import CourseGradebook, StudentGrade
from .course.late import late_in_words
from .files import GradedFolder, shown_name, write_atomically
from .marking import MarkBook, mark_books, with_marks
from .questions import QUESTIONS
from .results import MARKED, NO_ANSWER, QuestionResult, Result, Status

CHECK_KINDS = ("public", "hidden")
# When a withheld kind of check is released, in the words of a sentence to the student.
RELEASED = {"after_due_date": "after the due date", "after_published": "when grades are published", "hidden": "to instructors only"}


@dataclass(frozen=True)
class QuestionPart:
    """One kind of check of one question, as students are shown it (a Gradescope test, a row of the feedback)."""

    kind: str  # one of CHECK_KINDS
    count: int  # checks of that kind
    passed: int
    score: float
    possible: float  # its share of the question's points, by the checks' weights
    error: str | None  # why nothing was checked (on the first part only)
    failures: tuple[str, ...]  # the failed checks' messages, each said once


def question_parts(question: str, entry: QuestionResult) -> list[QuestionPart]:
    """Split one question's result into its public and its hidden checks, as students are shown them.

    Parameters
    ----------
    question : str
        The question, e.g. ``"q1"``.
    entry : mnist_kit.results.QuestionResult
        Its result.

    Returns
    -------
    list of QuestionPart
        One per kind of check the question has, in :data:`CHECK_KINDS` order. The parts' scores
        and points add up to the question's exactly.

    Examples
    --------
    >>> from mnist_kit.results import CheckResult
    >>> entry = QuestionResult(1, 0.5, None, (
    ...     CheckResult("q2", "cast_dtype", True, "", hidden=False, weight=1.0),
    ...     CheckResult("q2", "cast_values", False, "wrong values", hidden=True, weight=1.0)))
    >>> [(p.kind, p.score, p.possible, p.failures) for p in question_parts("q2", entry)]
    [('public', 0.5, 0.5, ()), ('hidden', 0.0, 0.5, ('wrong values',))]
    """
    registered = QUESTIONS[question].checks
    total_weight = sum(check.weight for check in registered)
    parts: list[QuestionPart] = []
    possible_left = entry.possible
    for kind in CHECK_KINDS:
        of_kind = [check for check in registered if check.hidden == (kind == "hidden")]
        if not of_kind:
            continue
        weight = sum(check.weight for check in of_kind)
        ran = [c for c in entry.checks if c.hidden == (kind == "hidden")]
        passed_weight = sum(c.weight for c in ran if c.passed)
        # The last part takes what is left, so the parts' points add up to the question's.
        last = len(of_kind) == len(registered) - sum(p.count for p in parts)
        possible = possible_left if last else round(entry.possible * weight / total_weight, 2)
        possible_left = round(possible_left - possible, 2)
        parts.append(
            QuestionPart(
                kind,
                len(of_kind),
                sum(c.passed for c in ran),
                round(possible * passed_weight / weight, 2),
                possible,
                None if parts else entry.error,
                tuple(said_once(c.message for c in ran if not c.passed)),
            )
        )
    # The question's score was rounded once, the parts' each: give any cent of difference to a
    # part it fits, partly passed ones first, so the parts add up to exactly what the gradebook says.
    drift = round(entry.score - sum(p.score for p in parts), 2)
    if drift:
        candidates = sorted(parts, key=lambda p: p.passed in (0, p.count))
        part = next((p for p in candidates if 0 <= p.score + drift <= p.possible), parts[-1])
        parts[parts.index(part)] = dataclasses.replace(part, score=round(part.score + drift, 2))
    return parts


def failure_messages(entry: QuestionResult) -> list[str]:
    """What a student is told about one question: the error, or each distinct failure (:func:`~mnist_kit.answers.said_once`)."""
    if entry.error:
        return [entry.error]
    return said_once(check.message for check in entry.failures)


def unsandboxed_warning(result: Result) -> str | None:
    """One line when ``result`` was graded without the full sandbox, else None."""
    kind = result.sandbox_kind
    if kind == "bwrap" or result.status == Status.INVALID:
        return None
    enforced = sandbox.enforced_in_words(result.sandbox)
    return f"graded without the bubblewrap sandbox (isolation: {kind or 'unknown'}{'; ' + enforced if enforced else ''})"


def feedback_markdown(result: Result, everything: bool = False, visibility: dict[str, str] | None = None) -> str:
    """The feedback for one submission, in Markdown: score per question and what to fix.

    Parameters
    ----------
    result : mnist_kit.results.Result
        A submission's result.
    everything : bool
        Show every check's points and message. By default a kind of check whose ``visibility``
        is not ``"visible"`` is withheld, as Gradescope withholds it, and the file says when it
        will be released.
    visibility : dict, optional
        When students see each kind of check; ``spec.VISIBILITY`` by default.
    """
    visibility = visibility or spec.VISIBILITY
    shown = {kind: everything or visibility[kind] == "visible" for kind in CHECK_KINDS}
    parts = {q: question_parts(q, e) for q, e in result.questions.items() if e.marking is None}
    lines = [f"# Feedback for {quoted(shown_name(result.submission or ''))}", ""]
    if all(shown.values()):
        lines += [f"**Total: {result.total} / {result.possible}** (status: {result.status})", ""]
    else:
        lines += [withheld_summary(result, parts, shown, visibility), ""]
    if result.reason:
        lines += [f"Note: {quoted(result.reason)}", ""]
    lines += [f"- {quoted(note)}" for note in result.notes] + ([""] if result.notes else [])
    lines += ["| question | " + " | ".join(f"{kind} checks" for kind in CHECK_KINDS) + " |", "|---" * (1 + len(CHECK_KINDS)) + "|"]
    for question, kinds in parts.items():
        by_kind = {p.kind: p for p in kinds}
        cells = [
            (
                "none"
                if kind not in by_kind
                else f"{by_kind[kind].score} / {by_kind[kind].possible}"
                if shown[kind]
                else f"{by_kind[kind].possible} withheld, released {RELEASED[visibility[kind]]}"
            )
            for kind in CHECK_KINDS
        ]
        lines.append(f"| {question} | " + " | ".join(cells) + " |")
    for question, kinds in parts.items():
        entry = result.questions[question]
        shown_kinds = {p.kind for p in kinds if shown[p.kind]}
        # One mistake is said once, with every shown check it costs, whichever kinds those checks are.
        failing = (c.message for c in entry.checks if not c.passed and ("hidden" if c.hidden else "public") in shown_kinds)
        messages = ([entry.error] if entry.error else said_once(failing)) if shown_kinds else []
        if messages:
            lines += ["", f"## {question}: what to fix", ""] + [f"- {quoted(m)}" for m in messages]
    lines += written_feedback(result)
    return "\n".join(lines) + "\n"


def written_feedback(result: Result) -> list[str]:
    """The written questions' lines of the feedback: the score once marked, with the rubric's comments and the marker's."""
    lines = []
    for question, entry in result.questions.items():
        if entry.marking is None:
            continue
        score = f"{entry.score:g} / {entry.possible:g}" if entry.marking in (MARKED, NO_ANSWER) else f"{entry.marking} by your instructor"
        lines += ["", f"## {question} (written, marked by hand): {score}", ""]
        lines += [f"- {quoted(remark)}" for remark in entry.remarks]
    return lines


def withheld_summary(result: Result, parts: dict[str, list[QuestionPart]], shown: dict[str, bool], visibility: dict[str, str]) -> str:
    """The line that says what the shown checks earned, and how many points are still withheld, and until when.

    Never a total that looks final: while any check is withheld, the line says how much is missing.
    """
    visible = [p for ps in parts.values() for p in ps if shown[p.kind]]
    hidden = [p for ps in parts.values() for p in ps if not shown[p.kind]]
    earned, possible = round(sum(p.score for p in visible), 2), round(sum(p.possible for p in visible), 2)
    kinds = " and ".join(dict.fromkeys(f"{p.kind} checks" for p in visible)) or "no checks"
    withheld = round(sum(p.possible for p in hidden), 2)
    when = " and ".join(dict.fromkeys(f"{p.kind} checks, released {RELEASED[visibility[p.kind]]}" for p in hidden))
    return (
        f"**{kinds.capitalize()}: {earned} of their {possible} points** (status: {result.status}). "
        f"{withheld} more of the {result.possible} points are withheld ({when}): this is not your total."
    )


def quoted(text: object, limit: int = 500) -> str:
    """``text`` as one Markdown code span: one line, at most ``limit`` characters, never read as markup.

    Messages carry what the student's code raised and printed, so feedback shows them verbatim,
    whatever they hold.

    Examples
    --------
    >>> quoted("**Total: 10 / 10**\n# forged")
    '`**Total: 10 / 10** # forged`'
    >>> quoted("uses `X_test`")
    '`` uses `X_test` ``'
    """
    text = untrusted.one_line(text, limit)
    fence = "`" * (1 + max((len(run) for run in re.findall("`+", text)), default=0))
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def write_feedback(folder: GradedFolder, result: Result, everything: bool = False, books: Mapping[str, MarkBook] | None = None) -> None:
    """Write the submission's ``feedback/<submission>.md`` in ``folder`` (see :func:`feedback_markdown`); ``result`` is a batch's, named."""
    if result.submission is None:
        raise ValueError("a result without a submission name has no feedback file; grade it with grade_many")
    marked = with_marks(result, mark_books(folder) if books is None else books)
    folder.feedback.mkdir(parents=True, exist_ok=True)
    write_atomically(folder.feedback_for(result.submission), feedback_markdown(marked, everything))


def student_feedback_markdown(row: StudentGrade, result: Result | None, policy: str, everything: bool = False) -> str:
    """A student's feedback: their lateness, penalty and overrides, then what the grader found.

    While some checks are withheld (``spec.VISIBILITY``) the final score is withheld too, as the
    submission's own feedback withholds its total.
    """
    student = row.rostered
    lines = [f"# Feedback for {quoted(f'{student.name} ({student.handle})')}", ""]
    shown = everything or all(v == "visible" for v in spec.VISIBILITY.values())
    if row.status == course_gradebook.MISSING:
        lines += [f"No submission of yours was received: 0 / {row.possible}.", ""]
    late = row.lateness
    if late.late_seconds and late.submitted_at:
        late_by = late_in_words(late.late_seconds)
        lines.append(f"Submitted {when_in_words(late.submitted_at)}, {late_by} after your due time ({when_in_words(late.due)}).")
    if late.note:
        lines.append(f"Note: {late.note}.")
    if row.lateness.penalty_fraction:
        taken = f": -{row.penalty} points" if shown else ", taken when grades are published"
        lines.append(f"Late penalty: {100 * late.penalty_fraction:g} % (policy: {policy.rstrip('.')}){taken}.")
    for override in row.overrides:
        before = row.grader_scores.get(override.question, 0.0)
        lines.append(f"Adjusted by your instructor: {override.question} {before:g} -> {override.score:g} ({quoted(override.reason)}).")
    if shown and row.status != course_gradebook.MISSING:
        lines.append(f"**Final score: {row.final} / {row.possible}** (the grader's score {row.raw}, after adjustments {row.adjusted}).")
    lines.append("")
    if result is not None:
        body = feedback_markdown(result, everything).split("\n", 2)[2]  # without its title: this file has one
        lines.append(body)
    return "\n".join(lines).rstrip("\n") + "\n"


def when_in_words(iso: str) -> str:
    """An ISO 8601 time as people read it: ``2026-12-04 23:59 (UTC-06:00)``."""
    return f"{iso[:16].replace('T', ' ')} (UTC{iso[19:]})" if len(iso) > 19 else iso.replace("T", " ")


def write_student_feedback(
    folder: GradedFolder, gradebook: CourseGradebook, results: Mapping[str | None, Result], everything: bool = False
) -> None:
    """Write ``students/<login>.md`` in ``folder`` for every student of a course gradebook (see :func:`student_feedback_markdown`).

    ``results`` are the graded results by submission name.
    """
    folder.student_feedback.mkdir(parents=True, exist_ok=True)
    for row in gradebook.rows:
        text = student_feedback_markdown(row, results.get(row.submission), gradebook.policy, everything)
        write_atomically(folder.student_feedback / f"{course_gradebook.handle_file_name(row.rostered)}.md", text)
