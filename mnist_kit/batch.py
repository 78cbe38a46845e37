"""Grade a class: many submissions in parallel into one folder, resumable, with a gradebook.

``OUT/results/<submission>.json`` is written as each submission finishes (atomically), then
``OUT/grades.csv``, ``OUT/feedback/<submission>.md`` and ``OUT/report.html`` are derived from
the results. Rerunning skips submissions already graded from the same bytes by the same
autograder, so an interrupted batch resumes where it stopped.
"""

import csv
import dataclasses
import hashlib
import io
import json
import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from . import checks, collect, data, report, spec
from . import sandbox as sandboxes
from .grade import SUBMISSION_SUFFIXES, Checker, InvalidSubmission, Limits, file_sha256, grade_notebook, invalid_result, read_notebook, write_atomically

CSV_COLUMNS = ["submission", "status", *spec.QUESTIONS, "total", "possible", "seconds", "sandbox", "reason"]
RESULTS_DIR = "results"
GRADES_FILE = "grades.csv"

def find_submissions(inputs):
    """Expand files and folders into the submission files to grade, sorted, each once.

    Raises
    ------
    FileNotFoundError
        When an input does not exist, or a folder holds no submission, naming it.
    """
    found = []
    for item in map(Path, inputs):
        if item.is_dir():
            in_folder = [p for p in item.rglob("*") if p.is_file() and p.suffix in SUBMISSION_SUFFIXES]
            if not in_folder:
                raise FileNotFoundError(f"{item} holds no .ipynb or .zip file; pass the folder of submissions")
            found += in_folder
        elif item.is_file():
            found.append(item)
        else:
            raise FileNotFoundError(f"no such file or folder: {item}")
    return sorted(set(found), key=lambda p: str(p))


def submission_names(paths):
    """A unique, file-system-safe name for each submission: its stem, made unique with its folder."""
    names, stems = {}, [p.stem for p in paths]
    for path in paths:
        name = path.stem if stems.count(path.stem) == 1 else f"{path.parent.name}__{path.name}"
        names[path] = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    return names


def autograder_fingerprint():
    """A hash of everything that decides a grade, so that results from another version are redone."""
    digest = hashlib.sha256()
    for module in (checks, collect, spec, sandboxes, sys.modules["mnist_kit.grade"]):
        digest.update(Path(module.__file__).read_bytes())
    digest.update(data.EMBEDDED_SHA256.encode())
    return digest.hexdigest()[:16]


def grade_many(inputs, out, jobs=None, limits=Limits(), force=False, seed=None, progress=None, sandbox=None,
               all_feedback=False):
    """Grade many submissions in parallel into ``out``; resumable.

    Parameters
    ----------
    inputs : list of path-like
        Notebooks, otter export zips, or folders holding them.
    out : path-like
        Output folder: ``results/<name>.json`` per submission and ``grades.csv``.
    jobs : int, optional
        Submissions graded at once; the number of cores by default.
    limits : Limits
        Per-submission limits.
    force : bool
        Grade again even where a result for the same file and autograder exists.
    seed : int, optional
        Fix the challenge seed (for reproducing a grade); random by default.
    progress : callable, optional
        Called as ``progress(done, total, failures)`` after each submission.
    sandbox : mnist_kit.sandbox.Sandbox, optional
        Where students' code runs; bubblewrap by default (and
        :class:`~mnist_kit.sandbox.SandboxUnavailable` before anything is graded if it cannot run).
    all_feedback : bool
        Feedback files show every check; by default they withhold what ``spec.VISIBILITY`` withholds.

    Returns
    -------
    list of dict
        One result per submission, in the order of the gradebook.
    """
    paths = find_submissions(inputs)
    sandbox = sandbox or sandboxes.choose()
    jobs = jobs or os.cpu_count() or 1
    # Each submission graded at once gets its share of the cores (see Sandbox.environment).
    limits = dataclasses.replace(limits, threads=max(1, (os.cpu_count() or 1) // jobs))
    out = Path(out)
    (out / RESULTS_DIR).mkdir(parents=True, exist_ok=True)
    names, fingerprint, checker = submission_names(paths), autograder_fingerprint(), Checker()
    results, pending = {}, []
    for path in paths:
        key = f"{fingerprint}:{file_sha256(path)}"
        previous = _read_result(out / RESULTS_DIR / f"{names[path]}.json")
        if previous and previous.get("key") == key and not force:
            results[path] = previous
        else:
            pending.append((path, key))

    def grade_one(path, key):
        try:
            result = grade_notebook(read_notebook(path), checker, limits, seed, sandbox)
        except InvalidSubmission as error:
            result = invalid_result(str(error))
        result.update(submission=names[path], file=str(path), key=key)
        write_atomically(out / RESULTS_DIR / f"{names[path]}.json", json.dumps(result, indent=1))
        report.write_feedback(out, result, all_feedback)
        return path, result

    failures = sum(r["status"] != "graded" for r in results.values())
    if progress:
        progress(len(results), len(paths), failures)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for future in as_completed([pool.submit(grade_one, *item) for item in pending]):
            path, result = future.result()
            results[path] = result
            failures += result["status"] != "graded"
            write_gradebook(out, [results[p] for p in paths if p in results])
            if progress:
                progress(len(results), len(paths), failures)
    ordered = [results[p] for p in paths]
    write_gradebook(out, ordered)
    for result in ordered:  # resumed ones too, so every file follows this run's all_feedback
        report.write_feedback(out, result, all_feedback)
    report.write_report(out, load_results(out))
    return ordered


def load_results(out):
    """Every result in ``out/results``, sorted by submission name."""
    found = (_read_result(path) for path in sorted((Path(out) / RESULTS_DIR).glob("*.json")))
    return [result for result in found if result]


def _read_result(path):
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError):
        return None


def write_gradebook(out, results):
    """Write ``grades.csv``: one row a submission, scores per question."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for result in results:
        row = {"submission": result["submission"], "status": result["status"], "total": result["total"],
               "possible": result["possible"], "seconds": result["seconds"],
               "sandbox": (result.get("sandbox") or {}).get("kind", ""), "reason": " ".join((result.get("reason") or "").split())}
        row.update({q: result["questions"][q]["score"] for q in spec.QUESTIONS})
        writer.writerow(row)
    write_atomically(Path(out) / GRADES_FILE, buffer.getvalue())


def merge(sources, out, all_feedback=False):
    """Combine graded folders (e.g. from several machines) into ``out``: results, gradebook, feedback, report.

    Raises
    ------
    FileNotFoundError
        If a source is not a folder written by ``mnist-kit grade``.
    ValueError
        If two folders hold different results for the same submission name.
    """
    out = Path(out)
    (out / RESULTS_DIR).mkdir(parents=True, exist_ok=True)
    seen = {}
    for source in map(Path, sources):
        if not (source / RESULTS_DIR).is_dir():
            raise FileNotFoundError(f"{source} has no {RESULTS_DIR}/ folder; pass folders written by mnist-kit grade --out")
        for path in sorted((source / RESULTS_DIR).glob("*.json")):
            key = (_read_result(path) or {}).get("key")
            if seen.get(path.name, key) != key:
                raise ValueError(f"{path.name} was graded differently in two folders; rename one submission or regrade it")
            seen[path.name] = key
            if path.resolve() != (out / RESULTS_DIR / path.name).resolve():
                shutil.copy(path, out / RESULTS_DIR / path.name)
    results = load_results(out)
    write_gradebook(out, results)
    for result in results:
        report.write_feedback(out, result, all_feedback)
    return report.write_report(out, results)
