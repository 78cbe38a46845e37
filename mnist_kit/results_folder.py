"""The stored results of a graded folder: one JSON file a submission, and ``grades.csv`` made from them.

Every other file of a graded folder (feedback, report, course gradebook) is derived from these
results, so folders graded on several machines combine by :func:`merge`.
"""

import csv
import io
import json
import shutil
from pathlib import Path

from .files import GradedFolder, shown_name, spreadsheet_safe, write_atomically
from .marking import mark_books, with_marks
from .questions import gradebook_columns
from .results import MARKED, NO_ANSWER, Result


def csv_columns() -> list[str]:
    """The columns of ``grades.csv``: a column per question, the written ones after the autograded ones."""
    return ["submission", "status", *gradebook_columns(), "total", "possible", "seconds", "sandbox", "reason"]


def load_results(folder: GradedFolder) -> list[Result]:
    """Every result in ``folder``, sorted by submission name."""
    found = (read_result(path) for path in sorted(folder.results.glob("*.json")))
    return [result for result in found if result]


def read_result(path: Path) -> Result | None:
    """The result stored at ``path``, or None if there is none or it is damaged."""
    try:
        return Result.from_json(json.loads(Path(path).read_text()))
    except (OSError, json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        return None


def write_gradebook(folder: GradedFolder, results: list[Result]) -> None:
    """Write ``folder``'s ``grades.csv``: one row a submission, scores per question.

    A written question's cell is its marked score, or where its marking stands (``to mark``,
    ``to review``); the total counts marked points only (:func:`mnist_kit.marking.with_marks`).
    """
    books = mark_books(folder)
    results = [with_marks(result, books) for result in results]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=csv_columns(), lineterminator="\n")
    writer.writeheader()
    for result in results:
        row = {
            "submission": shown_name(result.submission or ""),
            "status": result.status,
            "total": result.total,
            "possible": result.possible,
            "seconds": result.seconds,
            "sandbox": result.sandbox_kind,
            "reason": " ".join((result.reason or "").split()),
        }
        row.update({q: _cell(result, q) for q in gradebook_columns()})
        writer.writerow({column: spreadsheet_safe(value) for column, value in row.items()})
    write_atomically(folder.gradebook, buffer.getvalue())


def _cell(result: Result, question: str) -> object:
    entry = result.questions.get(question)
    if entry is not None and entry.marking not in (None, MARKED, NO_ANSWER):
        return entry.marking
    return result.score_of(question)


def store_result(folder: GradedFolder, result: Result) -> None:
    """Write ``result`` (named: a batch's) as its submission's ``results/<name>.json``, atomically."""
    if result.submission is None:
        raise ValueError("a result without a submission name cannot be stored; grade it with grade_many")
    folder.results.mkdir(parents=True, exist_ok=True)
    write_atomically(folder.result(result.submission), json.dumps(result.to_json(), indent=1))


def merge(sources: list[GradedFolder], folder: GradedFolder) -> list[Result]:
    """Combine graded folders (e.g. from several machines) into ``folder``: its results and gradebook.

    The feedback and the report follow from the results (:func:`mnist_kit.report.publish`).

    Returns
    -------
    list of mnist_kit.results.Result
        Every result of ``folder`` after the merge.

    Raises
    ------
    FileNotFoundError
        If a source is not a folder written by ``mnist-kit grade``.
    ValueError
        If two folders hold different results for the same submission name.
    """
    folder.results.mkdir(parents=True, exist_ok=True)
    seen: dict[str, str | None] = {}
    for source in sources:
        if not source.results.is_dir():
            raise FileNotFoundError(f"{source.root} has no results/ folder; pass folders written by mnist-kit grade --out")
        for path in sorted(source.results.glob("*.json")):
            key = getattr(read_result(path), "key", None)
            if seen.get(path.name, key) != key:
                raise ValueError(f"{path.name} was graded differently in two folders; rename one submission or regrade it")
            seen[path.name] = key
            if path.resolve() != (folder.results / path.name).resolve():
                shutil.copy(path, folder.results / path.name)
    results = load_results(folder)
    write_gradebook(folder, results)
    return results
