"""Turn graded results into things people read: per-student feedback and a class report page.

Everything is derived from the per-submission results, so a report can be rebuilt at any time,
also from folders graded on several machines and merged (:func:`mnist_kit.batch.merge`).
"""

import base64
import collections
import html
import io
from pathlib import Path

from . import grade, spec

REPORT_FILE = "report.html"
FEEDBACK_DIR = "feedback"


def failure_messages(entry):
    """What a student is told about one question: the error, or each failed check's message."""
    if entry["error"]:
        return [entry["error"]]
    return [check["message"] for check in entry["checks"] if not check["passed"]]


def unsandboxed_warning(result):
    """One line when ``result`` was graded without the full sandbox, else None."""
    kind = (result.get("sandbox") or {}).get("kind")
    if kind == "bwrap" or result.get("status") == "invalid":
        return None
    return f"graded without the bubblewrap sandbox (isolation: {kind or 'unknown'})"


def feedback_markdown(result):
    """The feedback for one submission, in Markdown: score per question and what to fix."""
    lines = [f"# Feedback for {result['submission']}", "",
             f"**Total: {result['total']} / {result['possible']}** (status: {result['status']})", ""]
    if result.get("reason"):
        lines += [f"Note: {result['reason']}.", ""]
    lines += [f"- {note}" for note in result.get("notes", [])] + ([""] if result.get("notes") else [])
    lines += ["| question | score | out of |", "|---|---|---|"]
    lines += [f"| {q} | {e['score']} | {e['possible']} |" for q, e in result["questions"].items()]
    for question, entry in result["questions"].items():
        messages = failure_messages(entry)
        if messages:
            lines += ["", f"## {question}: what to fix", ""] + [f"- {m}" for m in messages]
    return "\n".join(lines) + "\n"


def write_feedback(out, result):
    folder = Path(out) / FEEDBACK_DIR
    folder.mkdir(parents=True, exist_ok=True)
    grade.write_atomically(folder / f"{result['submission']}.md", feedback_markdown(result))


def _figure_png(draw):
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


def _score_histogram(results):
    def draw(axes):
        axes.hist([r["total"] for r in results], bins=[x - 0.5 for x in range(spec.TOTAL_POINTS + 2)], color="#3b6ea5", edgecolor="white")
        axes.set_xlabel("total score")
        axes.set_ylabel("submissions")
        axes.set_title("Score distribution")

    return _figure_png(draw)


def pass_rates(results):
    """Share of submissions with full marks on each question."""
    return {q: sum(r["questions"][q]["score"] == r["questions"][q]["possible"] for r in results) / max(len(results), 1)
            for q in spec.QUESTIONS}


def _pass_rate_chart(results):
    rates = pass_rates(results)

    def draw(axes):
        axes.bar(list(rates), [100 * v for v in rates.values()], color="#4f9a5b")
        axes.set_ylim(0, 100)
        axes.set_ylabel("% with full marks")
        axes.set_title("Pass rate per question")

    return _figure_png(draw)


def common_failures(results, limit=5):
    """For each question, its most frequent failure messages with their counts."""
    counts = {q: collections.Counter() for q in spec.QUESTIONS}
    for result in results:
        for question, entry in result["questions"].items():
            counts[question].update(failure_messages(entry))
    return {q: c.most_common(limit) for q, c in counts.items()}


def _table(header, rows):
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def report_html(results):
    """One self-contained HTML page about a graded class (images embedded, no network needed)."""
    failures = "".join(
        f"<h3>{q}</h3>" + (_table(["count", "message"], [(n, m) for m, n in rows]) if rows else "<p>No failures.</p>")
        for q, rows in common_failures(results).items()
    )
    slowest = sorted(results, key=lambda r: r.get("seconds") or 0, reverse=True)[:10]
    troubled = [r for r in results if r["status"] != "graded"]
    unsandboxed = [r for r in results if unsandboxed_warning(r)]
    warning = (f'<p id="sandbox-warning" style="background:#fde2e1;padding:.6em;border:1px solid #c00"><strong>'
               f'{len(unsandboxed)} submission(s) were graded without the bubblewrap sandbox</strong>: their code could '
               f'reach the network, the grader\'s files or processes. Regrade untrusted work with the sandbox. '
               f'{html.escape(", ".join(r["submission"] for r in unsandboxed[:20]))}</p>') if unsandboxed else ""
    mean = sum(r["total"] for r in results) / len(results) if results else 0
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>MNIST assignment: grading report</title>
<style>body{{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}}
table{{border-collapse:collapse;margin:.5em 0 1.5em}}td,th{{border:1px solid #ccc;padding:.3em .6em;text-align:left}}
th{{background:#f3f3f3}}img{{max-width:100%}}</style></head><body>
<h1>MNIST assignment: grading report</h1>
{warning}<p>{len(results)} submissions, mean score {mean:.2f} / {spec.TOTAL_POINTS}, {len(troubled)} with a status other than graded.</p>
<h2>Scores</h2><img id="score-histogram" alt="histogram of total scores" src="data:image/png;base64,{_score_histogram(results)}">
<h2>Questions</h2><img id="pass-rates" alt="pass rate per question" src="data:image/png;base64,{_pass_rate_chart(results)}">
<h2>Most common failures</h2>{failures}
<h2>Slowest submissions</h2>{_table(["submission", "seconds", "status"], [(r["submission"], r.get("seconds"), r["status"]) for r in slowest])}
<h2>Not graded cleanly</h2>{_table(["submission", "status", "reason"], [(r["submission"], r["status"], r.get("reason") or "") for r in troubled]) if troubled else "<p>None.</p>"}
</body></html>
"""


def write_report(out, results):
    """Write ``out/report.html`` about ``results``; return its path."""
    path = Path(out) / REPORT_FILE
    grade.write_atomically(path, report_html(results))
    return path
