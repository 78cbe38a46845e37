"""Turn graded results into things people read: per-student feedback and a class report page.

Everything is derived from the per-submission results, so a report can be rebuilt at any time,
also from folders graded on several machines and merged (:func:`mnist_kit.batch.merge`).
"""

import base64
import collections
import dataclasses
import html
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import sandbox, spec, untrusted
from .answers import said_once
from .course import gradebook as course_gradebook
from .course.gradebook import CourseGradebook, StudentGrade
from .files import GradedFolder, shown_name, write_atomically
from .questions import QUESTIONS
from .results import QuestionResult, Regrade, Result, Status

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
    parts = {q: question_parts(q, e) for q, e in result.questions.items()}
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
    return "\n".join(lines) + "\n"


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


def write_feedback(out: Path, result: Result, everything: bool = False) -> None:
    """Write ``out/feedback/<submission>.md`` (see :func:`feedback_markdown`); ``result`` is a batch's, named."""
    if result.submission is None:
        raise ValueError("a result without a submission name has no feedback file; grade it with grade_many")
    graded = GradedFolder(out)
    graded.feedback.mkdir(parents=True, exist_ok=True)
    write_atomically(graded.feedback_for(result.submission), feedback_markdown(result, everything))


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
        late_by = course_gradebook.late_in_words(late.late_seconds)
        lines.append(f"Submitted {_when(late.submitted_at)}, {late_by} after your due time ({_when(late.due)}).")
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


def _when(iso: str) -> str:
    """An ISO 8601 time as people read it: ``2026-12-04 23:59 (UTC-06:00)``."""
    return f"{iso[:16].replace('T', ' ')} (UTC{iso[19:]})" if len(iso) > 19 else iso.replace("T", " ")


def write_student_feedback(out: Path, gradebook: CourseGradebook, results: Mapping[str | None, Result], everything: bool = False) -> None:
    """Write ``out/students/<login>.md`` for every student of a course gradebook (see :func:`student_feedback_markdown`).

    ``results`` are the graded results by submission name.
    """
    folder = GradedFolder(out).student_feedback
    folder.mkdir(parents=True, exist_ok=True)
    for row in gradebook.rows:
        text = student_feedback_markdown(row, results.get(row.submission), gradebook.policy, everything)
        write_atomically(folder / f"{course_gradebook.handle_file_name(row.rostered)}.md", text)


def _figure_png(draw: Callable[[Any], object]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 3.2))
    draw(axes)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def _score_histogram(results: list[Result]) -> str:
    def draw(axes: Any) -> None:
        bins = [x - 0.5 for x in range(int(QUESTIONS.total_points) + 2)]
        axes.hist([r.total for r in results], bins=bins, color="#3b6ea5", edgecolor="white")
        axes.set_xlabel("total score")
        axes.set_ylabel("submissions")
        axes.set_title("Score distribution")

    return _figure_png(draw)


def pass_rates(results: list[Result]) -> dict[str, float]:
    """Share of the submissions graded on each question that earned its full marks.

    Results graded before a question was added (or with only some questions) do not count for it.
    """
    graded = {q: [r.questions[q] for r in results if q in r.questions] for q in QUESTIONS}
    return {q: sum(entry.full_marks for entry in entries) / max(len(entries), 1) for q, entries in graded.items()}


def _pass_rate_chart(results: list[Result]) -> str:
    rates = pass_rates(results)

    def draw(axes: Any) -> None:
        axes.bar(list(rates), [100 * v for v in rates.values()], color="#4f9a5b")
        axes.set_ylim(0, 100)
        axes.set_ylabel("% with full marks")
        axes.set_title("Pass rate per question")

    return _figure_png(draw)


def common_failures(results: list[Result], limit: int = 5) -> dict[str, list[tuple[str, int]]]:
    """For each question, its most frequent failures with how many submissions met each (not how many checks)."""
    counts: dict[str, collections.Counter[str]] = {q: collections.Counter() for q in QUESTIONS}
    for result in results:
        for question, entry in result.questions.items():
            if question in counts:  # a question since removed from the registry is not reported
                met = [entry.error] if entry.error else [c.message for c in entry.failures]
                counts[question].update(set(met))
    return {q: c.most_common(limit) for q, c in counts.items()}


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _change(pair: tuple[object, object]) -> str:
    return f"{pair[0]} → {pair[1]}"


def changed_grade_rows(changes: Regrade) -> list[tuple]:
    """The rows of the "changed grades" table: submission, status, each question, total, cause, why."""
    return [
        (
            shown_name(c.submission or ""),
            _change(c.status) if c.status[0] != c.status[1] else c.status[1],
            *[_change(c.questions[q]) if q in c.questions else "" for q in QUESTIONS],
            _change(c.total),
            c.cause,
            "; ".join(c.why),
        )
        for c in changes.changed
    ]


def changed_grade_header() -> list[str]:
    """The columns of the table of grades a regrade changed: a column per question."""
    return ["submission", "status", *QUESTIONS, "total", "cause", "why"]


def changed_grades_summary(changes: Regrade) -> str:
    """One sentence about the latest regrade (see :func:`mnist_kit.batch.regrade_changes`)."""
    return (
        f"The regrade of {changes.run} (UTC) changed {len(changes.changed)} of the "
        f"{changes.regraded} grades it redid; the earlier results and gradebook are kept in "
        f"results/history/{changes.run}/."
    )


OVERRIDE_HEADER = ["student", "submission", "question", "grader → instructor", "total", "reason"]


def override_rows(course: CourseGradebook | None) -> list[tuple]:
    """The rows of the "adjusted by the instructor" table: one per override of a course gradebook."""
    return [
        (
            row.rostered.name,
            shown_name(row.submission) or "(none)",
            override.question,
            _change((row.grader_scores.get(override.question, 0.0), override.score)),
            _change((row.raw, row.adjusted)),
            override.reason,
        )
        for row in (course.rows if course else ())
        for override in row.overrides
    ]


def _changed_grades_html(changes: Regrade | None, course: CourseGradebook | None = None) -> str:
    overrides = override_rows(course)
    if not changes and not overrides:
        return ""
    summary = f"<p>{html.escape(changed_grades_summary(changes))}</p>" if changes else ""
    table = _table(changed_grade_header(), changed_grade_rows(changes)) if changes and changes.changed else ""
    adjusted = f'<h3>Adjusted by the instructor</h3><div id="overrides">{_table(OVERRIDE_HEADER, overrides)}</div>' if overrides else ""
    return f'<h2>Changed grades</h2><div id="changed-grades">{summary}{table}{adjusted}</div>'


STUDENT_HEADER = ["name", "login", "section", "status", "submitted", "late", "grader", "adjusted", "penalty", "final", "note"]


def _course_html(course: CourseGradebook | None) -> str:
    """The students by name: what each earned, lost for lateness and kept; files that belong to no one."""
    if course is None:
        return ""
    rows = [
        (
            row.rostered.name,
            row.rostered.handle,
            row.rostered.section,
            row.status,
            _when(row.lateness.submitted_at),
            course_gradebook.late_in_words(row.lateness.late_seconds),
            row.raw,
            row.adjusted,
            row.penalty,
            row.final,
            row.lateness.note,
        )
        for row in course.rows
    ]
    missing = sum(row.status == course_gradebook.MISSING for row in course.rows)
    late = sum(bool(row.penalty) for row in course.rows)
    parts = [
        f'<h2>Students</h2><div id="students"><p>{len(course.rows)} students on the roster, {missing} without a submission, '
        f"{late} with a late penalty. {html.escape(course.policy)}</p>{_table(STUDENT_HEADER, rows)}"
    ]
    if course.unmatched:
        unmatched = [(shown_name(row.submission), row.problem, row.raw) for row in course.unmatched]
        parts.append(f"<h3>Files that belong to no one (graded under their names)</h3>{_table(['submission', 'why', 'grader'], unmatched)}")
    several = [
        (row.rostered.name, shown_name(row.submission), "; ".join(map(shown_name, row.not_counted)))
        for row in course.rows
        if row.not_counted
    ]
    if several:
        parts.append(
            f"<h3>Students with several submissions (the latest counts)</h3>{_table(['student', 'counted', 'not counted'], several)}"
        )
    return "".join(parts) + "</div>"


def report_html(
    results: list[Result], changes: Regrade | None = None, similar: int | None = None, course: CourseGradebook | None = None
) -> str:
    """One self-contained HTML page about a graded class (images embedded, no network needed).

    ``changes`` (from :func:`mnist_kit.batch.regrade_changes`) adds the "changed grades" table;
    ``similar``, the number of pairs ``mnist-kit similarity`` flagged (None: not reviewed yet);
    ``course`` (a :class:`~mnist_kit.course.gradebook.CourseGradebook`), the students by name
    and the instructor's overrides.
    """
    failures = "".join(
        f"<h3>{q}</h3>" + (_table(["count", "message"], [(n, m) for m, n in rows]) if rows else "<p>No failures.</p>")
        for q, rows in common_failures(results).items()
    )
    slowest = sorted(results, key=lambda r: r.seconds, reverse=True)[:10]
    troubled = [r for r in results if r.status != Status.GRADED]
    unsandboxed = [r for r in results if unsandboxed_warning(r)]
    warning = (
        (
            f'<p id="sandbox-warning" style="background:#fde2e1;padding:.6em;border:1px solid #c00"><strong>'
            f"{len(unsandboxed)} submission(s) were graded without the bubblewrap sandbox</strong>: depending on what "
            f"each result records as enforced, their code could reach the network, files or processes beyond its own. "
            f"Regrade untrusted work with the sandbox. "
            f"{html.escape(', '.join(shown_name(r.submission or '') for r in unsandboxed[:20]))}</p>"
        )
        if unsandboxed
        else ""
    )
    mean, possible = (sum(r.total for r in results) / len(results) if results else 0), QUESTIONS.total_points
    slowest_table = _table(["submission", "seconds", "status"], [(shown_name(r.submission or ""), r.seconds, r.status) for r in slowest])
    troubled_rows = [(shown_name(r.submission or ""), r.status, r.reason or "") for r in troubled]
    troubled_table = _table(["submission", "status", "reason"], troubled_rows) if troubled else "<p>None.</p>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>MNIST assignment: grading report</title>
<style>body{{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}}
table{{border-collapse:collapse;margin:.5em 0 1.5em}}td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left}}
th{{background:#f3f3f3}}img{{max-width:100%}}</style></head><body>
<h1>MNIST assignment: grading report</h1>
{warning}<p>{len(results)} submissions, mean score {mean:.2f} / {possible}, {len(troubled)} with a status other than graded.</p>
{_changed_grades_html(changes, course)}
{_course_html(course)}
<h2>Scores</h2><img id="score-histogram" alt="histogram of total scores" src="data:image/png;base64,{_score_histogram(results)}">
<h2>Questions</h2><img id="pass-rates" alt="pass rate per question" src="data:image/png;base64,{_pass_rate_chart(results)}">
<h2>Most common failures</h2>{failures}
<h2>Slowest submissions</h2>{slowest_table}
<h2>Not graded cleanly</h2>{troubled_table}
<h2>Similar code, for review</h2>{_similarity_html(similar)}
</body></html>
"""


def _similarity_html(flagged: int | None) -> str:
    if flagged is None:
        return "<p>Not reviewed yet: <code>mnist-kit similarity</code> on this folder ranks the pairs that share unusual code.</p>"
    return (
        f'<p id="similarity"><a href="similarity.html">{flagged} pair(s) of submissions</a> share unusual code in their graded '
        "functions. Similar code is not proof of anything: read both, and judge.</p>"
    )


def write_report(out: Path, results: list[Result], changes: Regrade | None = None) -> Path:
    """Write ``out/report.html`` about ``results`` (and ``changes``, see :func:`report_html`); return its path."""
    graded = GradedFolder(out)
    similar = None
    if graded.similarity.is_file():
        similar = max(0, len(graded.similarity.read_text(encoding="utf-8").splitlines()) - 1)
    write_atomically(graded.report, report_html(results, changes, similar, course_gradebook.load(out)))
    return graded.report
