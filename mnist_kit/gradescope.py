"""Gradescope entry point: grade ``<root>/submission`` into ``<root>/results/results.json``.

The bundle's ``run_autograder`` calls this, as root, with the autograder root (``/autograder`` on
Gradescope; any folder with the same layout locally). It grades exactly as ``mnist-kit grade``
does and reports two Gradescope tests per question (its public and its hidden checks, shown to
students as ``spec.VISIBILITY`` says), whose output lists the failure messages only.

The student's code runs in the bubblewrap sandbox when the container allows namespaces, and
otherwise as the unprivileged ``mnist-student`` user that ``setup.sh`` creates. Either way, every
process of the student's user is killed before ``results.json`` is written, into a folder that
user cannot write, so nothing the student started can race the grader for it.
"""

import argparse
import json
import sys
import traceback
from pathlib import Path
from typing import Any

from . import budget, export, feedback, files, grade, import_patches, sandbox as sandboxes, spec, submissions, untrusted
from .questions import WRITTEN
from .results import Result


def find_submission(submission_dir: Path, max_bytes: int = sandboxes.Limits.max_upload) -> tuple[Path, submissions.NotebookChoice]:
    """The notebook (or ``grader.export()`` zip) to grade in Gradescope's submission folder, and why it (see
    :func:`mnist_kit.submissions.choose_notebook`).

    Jupyter's checkpoints, ``__MACOSX``, hidden files and editors' backups are never graded; of
    several notebooks, the choice and the others are named in the result.

    Raises
    ------
    InvalidSubmission
        When the folder holds no notebook or zip.
    """
    folder = Path(submission_dir)
    files = {p.relative_to(folder).as_posix(): p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink()}
    choice = submissions.choose_notebook(files, lambda name: untrusted.read_upload(folder / name, max_bytes))
    return folder / choice.chosen, choice


RECEIPT_TEST = "Receipt: what the grade found in your upload"


def upload_receipt(notebook_text: str, name: str) -> str:
    """The receipt ``grader.export()`` prints, made from the uploaded file, as text (one line if it cannot be made).

    Made in a child process (:func:`mnist_kit.export.receipt_in_child`): it parses the student's
    code (never runs it), with the memory and time a parse of hostile bytes may take bounded.
    """
    return export.receipt_in_child(notebook_text.encode(), name)


def gradescope_results(result: Result, visibility: dict[str, str] | None = None, receipt: str | None = None) -> dict[str, Any]:
    """Turn a kit result (a :class:`~mnist_kit.results.Result`) into Gradescope's results.json structure.

    Each question becomes a test for its public checks and one for its hidden checks, each with
    its share of the question's points, the failed checks' messages (never their code), and the
    visibility ``visibility`` sets for its kind (``spec.VISIBILITY`` by default). The overall
    score is left for Gradescope to add up from the tests unless every test is visible, so it
    never states a withheld test's points by itself. ``receipt``, when given, is shown first as a
    visible test worth no points, so a wrong or empty upload is seen at upload time.
    """
    visibility = visibility or spec.VISIBILITY
    tests = []
    if receipt is not None:
        tests.append(
            {"name": RECEIPT_TEST, "score": 0, "max_score": 0, "output": receipt, "visibility": "visible", "output_format": "text"}
        )
    for question, entry in result.questions.items():
        for part in feedback.question_parts(question, entry):
            # Messages carry student text: one line each, shown as plain text, never as markup.
            lines = [untrusted.one_line(part.error, 500)] if part.error else []
            lines += [f"- {untrusted.one_line(message, 500)}" for message in part.failures]
            summary = f"{part.passed} of {part.count} {part.kind} checks passed" if entry.checks else f"{part.kind} checks: not run"
            tests.append(
                {
                    "name": f"{question}: {part.kind} checks",
                    "score": part.score,
                    "max_score": part.possible,
                    "output": "\n".join([summary, *lines]),
                    "visibility": visibility[part.kind],
                    "output_format": "text",
                }
            )
    output = f"Status: {result.status}" + (f" ({untrusted.one_line(result.reason, 500)})" if result.reason else "")
    if any(visibility[kind] != "visible" for kind in feedback.CHECK_KINDS):
        parts = {q: feedback.question_parts(q, e) for q, e in result.questions.items()}
        shown = {kind: visibility[kind] == "visible" for kind in feedback.CHECK_KINDS}
        output += "\n" + feedback.withheld_summary(result, parts, shown, visibility).replace("**", "")
    if WRITTEN:
        # The kit never claims points it did not mark: written answers are Gradescope's manually graded questions.
        written = ", ".join(f"{q} ({WRITTEN[q].points:g} points)" for q in WRITTEN)
        output += f"\nThis autograder grades the code questions only; {written} is marked by hand in Gradescope."
    output += f"\nIsolation: {result.sandbox_kind or 'none'}"
    enforced = sandboxes.enforced_in_words(result.sandbox)
    if enforced:
        output += f"\nEnforced: {enforced}"
    results: dict[str, Any] = {"tests": tests, "output": output, "output_format": "text", "test_output_format": "text"}
    if all(test["visibility"] == "visible" for test in tests):  # the receipt is worth nothing, so it changes no total
        results["score"] = result.total
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default="/autograder", help="the autograder folder (default /autograder)")
    parser.add_argument(
        "--cpu-multiple", type=float, default=sandboxes.Limits.cpu_multiple, help="a question's CPU limit, in times the reference's"
    )
    parser.add_argument(
        "--idle-timeout", type=float, default=sandboxes.Limits.idle_timeout, help="seconds a question may wait without computing"
    )
    parser.add_argument(
        "--threads", type=int, default=sandboxes.Limits.threads, help="BLAS and OpenMP threads for the student (default: cores)"
    )
    parser.add_argument(
        "--sandbox",
        choices=sandboxes.KINDS,
        default=None,
        help="force one isolation (default: bubblewrap where it works, else the unprivileged user)",
    )
    args = parser.parse_args(argv)
    import_patches.lighten_scientific_imports()
    root = Path(args.root)
    limits = sandboxes.Limits(cpu_multiple=args.cpu_multiple, idle_timeout=args.idle_timeout, threads=args.threads)
    sandbox = sandboxes.choose(allow_weaker=True, kind=args.sandbox)
    results_dir = root / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    results_dir.chmod(0o755)  # the student's user may read its result, never write it
    receipt = None
    with sandbox.account() as uid:  # held until results.json is written
        try:
            submitted, choice = find_submission(root / "submission", limits.max_upload)
            upload = submissions.read_upload(submitted, limits.max_upload)
            notes = tuple(n for n in (choice.note, upload.note) if n)
            receipt = "\n".join([*notes, upload_receipt(upload.text, submitted.name)])
            result = grade.grade_notebook(upload.text, limits=limits, sandbox=sandbox.only(uid))
            result = result.replace(notes=(*notes, *result.notes))
        except submissions.InvalidSubmission as error:
            result = grade.invalid_result(str(error))
        except Exception as error:  # noqa: BLE001 - the grader's own bug: the student still gets a result, the log the traceback
            traceback.print_exc()
            result = grade.crashed_result(
                f"the grader failed on this file ({type(error).__name__}); tell your instructor, who can regrade it"
            )
        sandbox.kill_leftovers(uid)
        files.write_atomically(results_dir / "results.json", json.dumps(gradescope_results(result, receipt=receipt), indent=1))
    peak = budget.own_peak_memory() / 2**30
    print(f"graded: {result.total}/{result.possible} ({result.status}); the grader's peak memory: {peak:.2f} GiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
