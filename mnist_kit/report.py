"""The class report: one self-contained HTML page about a graded class, for its instructors.

Everything is derived from the per-submission results, so a report can be rebuilt at any time,
also from folders graded on several machines and merged (:func:`mnist_kit.results_folder.merge`).
"""

import base64
import collections
import html
import io
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from . import feedback
from .course import gradebook as course_gradebook
from .course.gradebook import CourseGradebook
from .course.late import late_in_words
from .feedback import unsandboxed_warning, when_in_words
from .files import GradedFolder, shown_name, write_atomically
from .marking import mark_books, with_marks
from .questions import QUESTIONS, WRITTEN, assignment_points
from .results import MARKED, NO_ANSWER, TO_MARK, TO_REVIEW, Regrade, Result, Status


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
        bins = [x - 0.5 for x in range(int(assignment_points()) + 2)]
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
            when_in_words(row.lateness.submitted_at),
            late_in_words(row.lateness.late_seconds),
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
    mean, possible = (sum(r.total for r in results) / len(results) if results else 0), assignment_points()
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
<h2>Written answers, marked by hand</h2>{_written_html(results)}
<h2>Similar code, for review</h2>{_similarity_html(similar)}
</body></html>
"""


def _written_html(results: list[Result]) -> str:
    """Each written question: how many answers are marked, to mark, to review or blank, and the marked scores' spread."""
    parts = []
    for question in WRITTEN:
        entries = [r.questions[question] for r in results if question in r.questions and r.questions[question].marking]
        states = collections.Counter(entry.marking for entry in entries)
        scores = collections.Counter(entry.score for entry in entries if entry.marking == MARKED)
        counts = _table(["marked", "to mark", "to review", "no answer"], [[states[s] for s in (MARKED, TO_MARK, TO_REVIEW, NO_ANSWER)]])
        spread = _table(["score", "answers"], sorted(scores.items())) if scores else "<p>Nothing marked yet.</p>"
        parts.append(f'<h3 id="written-{html.escape(question)}">{html.escape(question)}</h3>{counts}{spread}')
    if not parts:
        return "<p>The assignment has no written question.</p>"
    command = "<p>Mark them by question with <code>mnist-kit mark</code> on this folder; then rerun the grade command.</p>"
    return "".join(parts) + command


def _similarity_html(flagged: int | None) -> str:
    if flagged is None:
        return "<p>Not reviewed yet: <code>mnist-kit similarity</code> on this folder ranks the pairs that share unusual code.</p>"
    return (
        f'<p id="similarity"><a href="similarity.html">{flagged} pair(s) of submissions</a> share unusual code in their graded '
        "functions. Similar code is not proof of anything: read both, and judge.</p>"
    )


def write_report(folder: GradedFolder, results: list[Result], changes: Regrade | None = None) -> Path:
    """Write ``folder``'s ``report.html`` about ``results`` (and ``changes``, see :func:`report_html`); return its path."""
    similar = None
    if folder.similarity.is_file():
        similar = max(0, len(folder.similarity.read_text(encoding="utf-8").splitlines()) - 1)
    books = mark_books(folder)
    marked = [with_marks(result, books) for result in results]
    write_atomically(folder.report, report_html(marked, changes, similar, course_gradebook.load(folder)))
    return folder.report


def publish(folder: GradedFolder, results: list[Result], changes: Regrade | None, everything: bool = False) -> Path:
    """Write every result's feedback and the class report (after a merge, or to follow another ``everything``)."""
    books = mark_books(folder)
    for result in results:
        feedback.write_feedback(folder, result, everything, books)
    return write_report(folder, results, changes)
