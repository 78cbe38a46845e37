"""Grade a class: many submissions in parallel into one folder, resumable, with a gradebook.

``OUT/results/<submission>.json`` is written as each submission finishes (atomically), then
``OUT/grades.csv``, ``OUT/feedback/<submission>.md`` and ``OUT/report.html`` are derived from
the results. Rerunning skips submissions already graded from the same bytes by the same
autograder, so an interrupted batch resumes where it stopped.

A result is never overwritten unseen: before a run regrades a submission (another autograder
version, a changed file, or ``force``), it keeps the earlier result and the gradebook as they
were in ``OUT/results/history/<run>/``, and :func:`regrade_changes` tells whose grade changed.
"""

import csv
import dataclasses
import hashlib
import io
import json
import os
import shutil
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Protocol

from . import data, pins, report, sandbox as sandboxes, spec
from .answers import UnitCodeError
from .files import GradedFolder, file_sha256, shown_name, spreadsheet_safe, submission_name, write_atomically
from .grade import (
    Checker,
    InvalidSubmission,
    Limits,
    crashed_result,
    grade_notebook,
    invalid_result,
    is_candidate,
    read_upload,
)
from .questions import QUESTIONS
from .results import GradeChange, QuestionResult, Regrade, Result, Status

DEFAULT_LIMITS = Limits()


def csv_columns() -> list[str]:
    """The columns of ``grades.csv``: a column per question."""
    return ["submission", "status", *QUESTIONS, "total", "possible", "seconds", "sandbox", "reason"]


PACKAGE = Path(__file__).resolve().parent


def find_submissions(inputs: Iterable[Path | str]) -> tuple[list[Path], Path]:
    """Expand files and folders into the submission files to grade, sorted, each once.

    Returns
    -------
    paths : list of pathlib.Path
    root : pathlib.Path
        The folder every submission's name is relative to: the common folder of the inputs.

    Raises
    ------
    FileNotFoundError
        When an input does not exist, or a folder holds no submission, naming it.
    """
    found, roots = [], []
    for item in map(Path, inputs):
        if item.is_dir():
            # Jupyter's checkpoints, macOS's __MACOSX, hidden files and backups are never submissions.
            in_folder = [p for p in item.rglob("*") if p.is_file() and is_candidate(p.relative_to(item).as_posix())]
            if not in_folder:
                raise FileNotFoundError(f"{item} holds no .ipynb or .zip file; pass the folder of submissions")
            found += in_folder
            roots.append(item.resolve())
        elif item.is_file():
            found.append(item)
            roots.append(item.resolve().parent)
        else:
            raise FileNotFoundError(f"no such file or folder: {item}")
    return sorted(set(found), key=lambda p: str(p)), Path(os.path.commonpath(roots))


def submission_names(paths: list[Path], root: Path) -> dict[Path, str]:
    """A unique, file-system-safe and stable name for each submission: its path below ``root`` (:func:`files.submission_name`).

    The file's suffix is dropped unless two files differ only by it.

    Examples
    --------
    >>> [submission_names([Path(p)], Path("."))[Path(p)] for p in ("s1/x/hw.ipynb", "a b.zip", ".x.ipynb")]
    ['s1~x~hw', 'a%20b', '%2Ex']
    """
    relative = {path: Path(os.path.relpath(path.resolve(), root)) for path in paths}
    stems = [r.with_suffix("") for r in relative.values()]
    return {
        path: submission_name((rel if stems.count(rel.with_suffix("")) > 1 else rel.with_suffix("")).parts)
        for path, rel in relative.items()
    }


def autograder_parts(package: Path = PACKAGE) -> dict[str, str]:
    """What can change a grade, part by part: each module's digest, the data's, the versions of the
    grading packages and of everything they install (:mod:`mnist_kit.pins`).

    Every module of the kit counts (questions included: their inputs, collectors and checks), so
    two machines with the same parts grade alike; :func:`autograder_fingerprint` hashes them.
    """
    parts = {
        path.relative_to(package).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        for path in sorted(Path(package).rglob("*.py"))
    }
    parts["data"] = file_sha256(Path(package) / data.EMBEDDED_PATH.name)[:16]
    computing = sorted({*spec.GRADING_PACKAGES, *pins.COMPUTING_CLOSURE})
    parts.update({f"{name} version": version for name, version in pins.installed_versions(computing).items()})
    return parts


def autograder_fingerprint(package: Path = PACKAGE) -> str:
    """A hash of :func:`autograder_parts`, so that results from another version are redone."""
    return hashlib.sha256(json.dumps(autograder_parts(package), sort_keys=True).encode()).hexdigest()[:16]


def parts_that_differ(mine: dict[str, str], theirs: dict[str, str], limit: int = 3) -> list[str]:
    """The parts of two kits that differ, as short phrases (see :func:`autograder_parts`).

    Examples
    --------
    >>> parts_that_differ({"a.py": "1", "numpy version": "2.4.6"}, {"a.py": "2", "numpy version": "2.4.6", "b.py": "3"})
    ['a.py differs', 'b.py only on the worker']
    """
    phrases = [f"{part} differs" for part in mine if part in theirs and mine[part] != theirs[part]]
    phrases += [f"{part} missing on the worker" for part in mine if part not in theirs]
    phrases += [f"{part} only on the worker" for part in theirs if part not in mine]
    return phrases[:limit]


def grade_many(
    inputs: Iterable[Path | str],
    out: Path | str,
    jobs: int | None = None,
    limits: Limits = DEFAULT_LIMITS,
    force: bool = False,
    seed: int | None = None,
    progress: Callable[..., object] | None = None,
    sandbox: sandboxes.Sandbox | None = None,
    all_feedback: bool = False,
    identical_once: bool = True,
    scheduler: str | None = None,
) -> list[Result]:
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
    identical_once : bool
        Grade a file once however many submissions are byte for byte the same (a resubmission, a
        copy in another export): the others get its result under their own names. A grade is a
        function of the bytes (the suite proves it, grading copies under different seeds), so
        this changes no grade, only the time. False grades every file.
    scheduler : str, optional
        The address of a Dask scheduler (``tcp://host:8786``): each submission is graded as one
        task on its workers (see :mod:`mnist_kit.cluster`); this process alone writes ``out``.

    Returns
    -------
    list of mnist_kit.results.Result
        One result per submission, in the order of the gradebook.
    """
    paths, root = find_submissions(inputs)
    out = Path(out)
    sandbox = sandbox or sandboxes.choose()
    jobs = jobs or os.cpu_count() or 1
    # Each submission graded at once gets its share of the cores (see Sandbox.environment).
    limits = dataclasses.replace(limits, threads=max(1, (os.cpu_count() or 1) // jobs))
    graded = GradedFolder(out)
    graded.results.mkdir(parents=True, exist_ok=True)
    names, fingerprint, checker = submission_names(paths, root), autograder_fingerprint(), Checker()
    results: dict[Path, Result] = {}
    pending: list[tuple[Path, str]] = []
    replaced: list[Result] = []
    copies: dict[str, list[Path]] = {}
    first_of: dict[str, Path] = {}
    # The folder's results, read once: each file's own earlier result, and (identical_once) any result by its key.
    stored = {path.stem: result for path in sorted(graded.results.glob("*.json")) if (result := _read_result(path))}
    already = {} if force or not identical_once else {r.key: r for r in stored.values() if r.status != Status.CRASHED}
    for path in paths:
        key = f"{fingerprint}:{file_sha256(path)}"
        previous = stored.get(names[path])
        if previous and previous.key == key and not force:
            results[path] = previous
            report.write_feedback(out, previous, all_feedback)  # so every file follows this run's setting
            continue
        if previous:
            replaced.append(previous)
        if identical_once and (key in already or key in first_of):
            copies.setdefault(key, []).append(path)
        else:
            pending.append((path, key))
            first_of[key] = path
    if replaced:
        _keep_history(out, replaced)

    grader_errors: list[tuple[Path, BaseException]] = []

    def store(path: Path, key: str, result: Result) -> Result:
        result = result.replace(submission=names[path], file=str(path), key=key)
        write_atomically(graded.result(names[path]), json.dumps(result.to_json(), indent=1))
        try:
            report.write_feedback(out, result, all_feedback)
        except Exception as error:  # noqa: BLE001 - the grader's own bug: the row stands, the bug is shown at the end
            grader_errors.append((path, error))
        return result

    def same_as(result: Result, key: str) -> None:
        # Copies of a file take its result under their own names (see identical_once).
        for path in copies.pop(key, []):
            results[path] = store(path, key, result)

    for key in list(copies):
        if key in already:
            same_as(already[key], key)
    runner: Runner
    if scheduler:
        from . import cluster  # Dask is imported only for a cluster

        runner = cluster.ClusterRunner(scheduler, limits, seed, sandbox.kind)
    else:
        runner = LocalRunner(jobs, checker, limits, seed, sandbox)

    def report_progress() -> None:
        if progress:
            failures = sum(r.status != Status.GRADED for r in results.values())
            progress(len(results), len(paths), failures, **({"workers": runner.workers()} if scheduler else {}))

    report_progress()
    try:
        for path, key, outcome in runner.run(pending):
            if isinstance(outcome, BaseException):  # whatever happens to one file ends as its row; the batch goes on
                grader_errors.append((path, outcome))
                outcome = crashed_result(
                    f"the grader failed on this file ({type(outcome).__name__}); every other row is complete; "
                    "report it to the kit's maintainers"
                )
            results[path] = store(path, key, outcome)
            same_as(results[path], key)
            write_gradebook(out, [results[p] for p in paths if p in results])
            report_progress()
    finally:
        runner.close()
    ordered = [results[p] for p in paths]
    write_gradebook(out, ordered)
    report.write_report(out, load_results(out), regrade_changes(out))
    if grader_errors:
        path, error = grader_errors[0]
        because = f" ({error})" if isinstance(error, UnitCodeError) else ""
        raise GraderError(
            f"the grader failed on {len(grader_errors)} file(s), first {path}{because}; their rows say so, "
            "every other row, the report and the feedback are written"
        ) from error
    return ordered


class Runner(Protocol):
    """Where :func:`grade_many` has its submissions graded: :class:`LocalRunner` or :class:`mnist_kit.cluster.ClusterRunner`."""

    def run(self, pending: list[tuple[Path, str]]) -> Iterator[tuple[Path, str, Result | BaseException]]: ...

    def workers(self) -> int: ...

    def close(self) -> None: ...


class LocalRunner:
    """Grades on this machine, ``jobs`` submissions at a time (threads here; each student runs in its own sandbox).

    :class:`mnist_kit.cluster.ClusterRunner` does the same on a Dask cluster's workers.
    """

    def __init__(self, jobs: int, checker: Checker, limits: Limits, seed: int | None, sandbox: sandboxes.Sandbox) -> None:
        self.jobs, self.checker, self.limits, self.seed, self.sandbox = jobs, checker, limits, seed, sandbox

    def grade(self, path: Path) -> Result:
        try:
            upload = read_upload(path, self.limits.max_upload)
            return upload.noted(grade_notebook(upload.text, self.checker, self.limits, self.seed, self.sandbox))
        except InvalidSubmission as error:
            return invalid_result(str(error))

    def run(self, pending: list[tuple[Path, str]]) -> Iterator[tuple[Path, str, Result | BaseException]]:
        """Yield ``(path, key, result)`` for each of ``pending`` as it finishes (the exception, if grading raised)."""
        with ThreadPoolExecutor(max_workers=self.jobs) as pool:
            futures = {pool.submit(self.grade, path): (path, key) for path, key in pending}
            for future in as_completed(futures):
                path, key = futures[future]
                error = future.exception()
                yield path, key, error if error is not None else future.result()

    def workers(self) -> int:
        """The gradings this runner keeps going at once."""
        return self.jobs

    def close(self) -> None:
        pass


class GraderError(RuntimeError):
    """A bug of the grader's own while grading some files; every row was written before it was raised."""


def _keep_history(out: Path, previous_results: list[Result]) -> None:
    """Copy the results about to be replaced, and the gradebook they made, into a history run.

    A run that was interrupted before it replaced all it had kept is continued, so that one
    regrade stays one run however often it is resumed.
    """
    history = GradedFolder(out).history
    run = _unfinished_run(out)
    if run is None:
        stamp = time.strftime("%Y-%m-%dT%H-%M-%S", time.gmtime())
        run = history / stamp
        for suffix in range(1, 1000):  # two runs in one second get their own folders
            if not run.exists():
                break
            run = history / f"{stamp}.{suffix}"
        run.mkdir(parents=True)
        gradebook = GradedFolder(out).gradebook
        if gradebook.exists():
            shutil.copy(gradebook, run / gradebook.name)
    for result in previous_results:
        if not (run / f"{result.submission}.json").exists():
            write_atomically(run / f"{result.submission}.json", json.dumps(result.to_json(), indent=1))


def _history_runs(out: Path) -> list[Path]:
    history = GradedFolder(out).history
    return sorted(p for p in history.iterdir() if p.is_dir()) if history.is_dir() else []


def _unfinished_run(out: Path) -> Path | None:
    """The latest history run if some result it kept has not been replaced yet, else None."""
    runs = _history_runs(out)
    if runs and any(_read_result(kept) == _read_result(GradedFolder(out).results / kept.name) for kept in runs[-1].glob("*.json")):
        return runs[-1]
    return None


def regrade_changes(out: Path) -> Regrade | None:
    """Whose grade the latest regrade changed, and why.

    Parameters
    ----------
    out : path-like
        A folder written by :func:`grade_many`.

    Returns
    -------
    mnist_kit.results.Regrade or None
        None if nothing was ever regraded; else the history folder's name, how many submissions
        the regrade redid so far, and a :class:`~mnist_kit.results.GradeChange` for each whose
        status or any question's score changed.

    Examples
    --------
    >>> changes = regrade_changes("graded")  # doctest: +SKIP
    >>> [(c.submission, c.total) for c in changes.changed]  # doctest: +SKIP
    [('ann', (8.0, 10.0))]
    """
    runs = _history_runs(out)
    if not runs:
        return None
    changed, regraded = [], 0
    for before_path in sorted(runs[-1].glob("*.json")):
        before, after = _read_result(before_path), _read_result(GradedFolder(out).results / before_path.name)
        if not before or not after or after == before:
            continue  # removed since, or not regraded yet (the run was interrupted)
        regraded += 1
        questions = {
            q: (before.questions[q].score, entry.score)
            for q, entry in after.questions.items()
            if q in before.questions and before.questions[q].score != entry.score
        }
        if questions or before.status != after.status:
            changed.append(
                GradeChange(
                    after.submission,
                    (before.status, after.status),
                    (before.total, after.total),
                    questions,
                    _regrade_cause(before, after),
                    tuple(flipped_checks(before, after)),
                )
            )
    return Regrade(runs[-1].name, regraded, tuple(changed))


def _regrade_cause(before: Result, after: Result) -> str:
    fingerprint_before, _, file_before = (before.key or "").partition(":")
    fingerprint_after, _, file_after = (after.key or "").partition(":")
    if fingerprint_before != fingerprint_after:
        return "autograder changed"
    return "file changed" if file_before != file_after else "forced"


def flipped_checks(before: Result, after: Result) -> list[str]:
    """What differs between two results of one submission, question by question, in short phrases.

    Examples
    --------
    >>> from mnist_kit.results import CheckResult
    >>> def graded(*checks):
    ...     q2 = QuestionResult(1, checks=tuple(CheckResult("q2", name, passed, "", False, 1.0) for name, passed in checks))
    ...     return Result(Status.GRADED, {"q2": q2}, 0.0, 1)
    >>> flipped_checks(graded(("cast_dtype", False)), graded(("cast_dtype", True)))
    ['q2 cast_dtype: failed → passed']
    >>> flipped_checks(graded(("cast_dtype", False)), graded())
    ['q2 cast_dtype: failed → gone']
    """
    phrases = []
    word: dict[bool | None, str] = {True: "passed", False: "failed"}
    for question, entry in after.questions.items():
        old = before.questions.get(question, QuestionResult(entry.possible))
        if (old.error or None) != (entry.error or None):
            phrases.append(f"{question}: {_outcome(old)} → {_outcome(entry)}")
            continue
        passed_before = {c.name: c.passed for c in old.checks}
        passed_after = {c.name: c.passed for c in entry.checks}
        for name in [*passed_after, *(n for n in passed_before if n not in passed_after)]:
            was, now = passed_before.get(name), passed_after.get(name)
            if was != now:  # a check the new autograder added or removed shows as new or gone
                phrases.append(f"{question} {name}: {word.get(was, 'new')} → {word.get(now, 'gone')}")
    return phrases


def _outcome(entry: QuestionResult) -> str:
    return f"error ({entry.error[:80]})" if entry.error else "checked"


def load_results(out: Path) -> list[Result]:
    """Every result in ``out/results``, sorted by submission name."""
    found = (_read_result(path) for path in sorted(GradedFolder(out).results.glob("*.json")))
    return [result for result in found if result]


def _read_result(path: Path) -> Result | None:
    """The result stored at ``path``, or None if there is none or it is damaged."""
    try:
        return Result.from_json(json.loads(Path(path).read_text()))
    except (OSError, json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        return None


def write_gradebook(out: Path, results: list[Result]) -> None:
    """Write ``grades.csv``: one row a submission, scores per question."""
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
        row.update({q: result.score_of(q) for q in QUESTIONS})
        writer.writerow({column: spreadsheet_safe(value) for column, value in row.items()})
    write_atomically(GradedFolder(out).gradebook, buffer.getvalue())


def merge(sources: list[Path], out: Path, all_feedback: bool = False) -> Path:
    """Combine graded folders (e.g. from several machines) into ``out``: results, gradebook, feedback, report.

    Raises
    ------
    FileNotFoundError
        If a source is not a folder written by ``mnist-kit grade``.
    ValueError
        If two folders hold different results for the same submission name.
    """
    graded = GradedFolder(out)
    graded.results.mkdir(parents=True, exist_ok=True)
    seen: dict[str, str | None] = {}
    for source in map(Path, sources):
        if not GradedFolder(source).results.is_dir():
            raise FileNotFoundError(f"{source} has no results/ folder; pass folders written by mnist-kit grade --out")
        for path in sorted(GradedFolder(source).results.glob("*.json")):
            key = getattr(_read_result(path), "key", None)
            if seen.get(path.name, key) != key:
                raise ValueError(f"{path.name} was graded differently in two folders; rename one submission or regrade it")
            seen[path.name] = key
            if path.resolve() != (graded.results / path.name).resolve():
                shutil.copy(path, graded.results / path.name)
    results = load_results(out)
    write_gradebook(out, results)
    for result in results:
        report.write_feedback(out, result, all_feedback)
    return report.write_report(out, results, regrade_changes(out))
