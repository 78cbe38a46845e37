"""Grade a class: many submissions in parallel into one graded folder, resumable.

Each submission's result is stored (:mod:`mnist_kit.results_folder`) as it finishes, and the
gradebook rewritten; rerunning skips submissions already graded from the same bytes by the same
autograder, so an interrupted batch resumes where it stopped. A result about to be replaced is
kept first (:mod:`mnist_kit.history`). What people read of a result (feedback, the report) is not
this module's: :func:`grade_many` hands each result to an ``on_result`` callback
(:func:`mnist_kit.pipeline.grade_class` writes the feedback with it).
"""

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from . import sandbox as sandboxes
from .answers import UnitCodeError
from .files import GradedFolder, file_sha256
from .fingerprint import autograder_fingerprint
from .grade import Checker, crashed_result, grade_notebook, invalid_result
from .history import keep_history
from .options import GradingOptions
from .results import Result, Status
from .results_folder import read_result, store_result, write_gradebook
from .submissions import InvalidSubmission, find_submissions, read_upload, submission_names

ResultCallback = Callable[[Result], object]
DEFAULT_OPTIONS = GradingOptions()


class GraderError(RuntimeError):
    """A bug of the grader's own while grading some files; every row was written before it was raised."""


class Runner(Protocol):
    """Where :func:`grade_many` has its submissions graded: :class:`LocalRunner` or :class:`mnist_kit.cluster.ClusterRunner`."""

    def run(self, pending: list[tuple[Path, str]]) -> Iterator[tuple[Path, str, Result | BaseException]]: ...

    def workers(self) -> int: ...

    def close(self) -> None: ...


class LocalRunner:
    """Grades on this machine, ``options.jobs`` submissions at a time (threads here; each student runs in its own sandbox).

    :class:`mnist_kit.cluster.ClusterRunner` does the same on a Dask cluster's workers.
    """

    def __init__(self, options: GradingOptions, checker: Checker | None = None) -> None:
        self.options, self.checker = options, checker or Checker()

    def grade(self, path: Path) -> Result:
        limits, sandbox = self.options.limits, self.options.sandbox
        try:
            upload = read_upload(path, limits.max_upload)
            return upload.noted(grade_notebook(upload.text, self.checker, limits, self.options.seed, sandbox))
        except InvalidSubmission as error:
            return invalid_result(str(error))

    def run(self, pending: list[tuple[Path, str]]) -> Iterator[tuple[Path, str, Result | BaseException]]:
        """Yield ``(path, key, result)`` for each of ``pending`` as it finishes (the exception, if grading raised)."""
        with ThreadPoolExecutor(max_workers=self.options.parallel) as pool:
            futures = {pool.submit(self.grade, path): (path, key) for path, key in pending}
            for future in as_completed(futures):
                path, key = futures[future]
                error = future.exception()
                yield path, key, error if error is not None else future.result()

    def workers(self) -> int:
        """The gradings this runner keeps going at once."""
        return self.options.parallel

    def close(self) -> None:
        pass


def runner_for(options: GradingOptions) -> Runner:
    """The runner ``options`` ask for: a Dask cluster's (``scheduler``) or this machine's."""
    if options.scheduler:
        from . import cluster  # Dask is imported only for a cluster

        return cluster.ClusterRunner(options)
    return LocalRunner(options)


@dataclass
class _Batch:
    """One run over a class: what is already graded, what is to grade, and what came of it."""

    folder: GradedFolder
    names: dict[Path, str]
    on_result: ResultCallback | None
    results: dict[Path, Result] = field(default_factory=dict)
    pending: list[tuple[Path, str]] = field(default_factory=list)
    copies: dict[str, list[Path]] = field(default_factory=dict)
    errors: list[tuple[Path, BaseException]] = field(default_factory=list)

    def finished(self, path: Path, result: Result) -> Result:
        """Record ``result`` as ``path``'s (already stored, or stored now) and hand it to the callback."""
        self.results[path] = result
        if self.on_result:
            try:
                self.on_result(result)
            except Exception as error:  # noqa: BLE001 - the grader's own bug: the row stands, the bug is shown at the end
                self.errors.append((path, error))
        return result

    def store(self, path: Path, key: str, result: Result) -> None:
        """Store ``result`` as the one of ``path`` (graded from ``key``), then give every copy of the file the same."""
        self._store_one(path, key, result)
        self.share(key, result)

    def share(self, key: str, result: Result) -> None:
        """Copies of a file take its result under their own names (see ``GradingOptions.identical_once``)."""
        for path in self.copies.pop(key, []):
            self._store_one(path, key, result)

    def _store_one(self, path: Path, key: str, result: Result) -> None:
        named = result.replace(submission=self.names[path], file=str(path), key=key)
        store_result(self.folder, named)
        self.finished(path, named)


def _plan(paths: list[Path], batch: _Batch, options: GradingOptions) -> dict[str, Result]:
    """Sort ``paths`` into kept results, files to grade and copies of either; keep what a regrade replaces.

    Returns the stored results a copy may take (by key), under ``options.identical_once``.
    """
    fingerprint = autograder_fingerprint()
    stored = {path.stem: result for path in sorted(batch.folder.results.glob("*.json")) if (result := read_result(path))}
    reusable = options.identical_once and not options.force
    already = {r.key: r for r in stored.values() if r.status != Status.CRASHED} if reusable else {}
    first_of: set[str] = set()
    replaced = []
    for path in paths:
        key = f"{fingerprint}:{file_sha256(path)}"
        previous = stored.get(batch.names[path])
        if previous and previous.key == key and not options.force:
            batch.finished(path, previous)
            continue
        if previous:
            replaced.append(previous)
        if options.identical_once and (key in already or key in first_of):
            batch.copies.setdefault(key, []).append(path)
        else:
            batch.pending.append((path, key))
            first_of.add(key)
    if replaced:
        keep_history(batch.folder, replaced)
    return {key: result for key, result in already.items() if key in batch.copies}


def grade_many(
    inputs: Iterable[Path | str],
    folder: GradedFolder,
    options: GradingOptions = DEFAULT_OPTIONS,
    progress: Callable[..., object] | None = None,
    on_result: ResultCallback | None = None,
) -> list[Result]:
    """Grade many submissions in parallel into ``folder``; resumable.

    Parameters
    ----------
    inputs : list of path-like
        Notebooks, otter export zips, or folders holding them.
    folder : mnist_kit.files.GradedFolder
        Where ``results/<name>.json`` per submission and ``grades.csv`` go.
    options : mnist_kit.options.GradingOptions
        Limits, seed, force, jobs, scheduler, sandbox (bubblewrap by default, and
        :class:`~mnist_kit.sandbox.SandboxUnavailable` before anything is graded if it cannot run).
    progress : callable, optional
        Called as ``progress(done, total, failures)`` after each submission (and ``workers=`` on a cluster).
    on_result : callable, optional
        Called with each submission's result, graded now or kept from before, in no set order.

    Returns
    -------
    list of mnist_kit.results.Result
        One result per submission, in the order of the gradebook.

    Raises
    ------
    GraderError
        After every row is written, when the grader itself failed on some files (their rows say so).
    """
    paths, root = find_submissions(inputs)
    options = options.per_grading()
    if options.sandbox is None:
        options = dataclasses.replace(options, sandbox=sandboxes.choose())
    folder.results.mkdir(parents=True, exist_ok=True)
    batch = _Batch(folder, submission_names(paths, root), on_result)
    for key, result in _plan(paths, batch, options).items():
        batch.share(key, result)
    runner = runner_for(options)

    def report_progress() -> None:
        if progress:
            failures = sum(r.status != Status.GRADED for r in batch.results.values())
            progress(len(batch.results), len(paths), failures, **({"workers": runner.workers()} if options.scheduler else {}))

    report_progress()
    try:
        for path, key, outcome in runner.run(batch.pending):
            batch.store(path, key, _as_result(path, outcome, batch))
            write_gradebook(folder, [batch.results[p] for p in paths if p in batch.results])
            report_progress()
    finally:
        runner.close()
    ordered = [batch.results[p] for p in paths]
    write_gradebook(folder, ordered)
    _raise_grader_errors(batch.errors)
    return ordered


def _as_result(path: Path, outcome: Result | BaseException, batch: _Batch) -> Result:
    """Whatever happens to one file ends as its row; the batch goes on (the error is raised at the end)."""
    if not isinstance(outcome, BaseException):
        return outcome
    batch.errors.append((path, outcome))
    return crashed_result(
        f"the grader failed on this file ({type(outcome).__name__}); every other row is complete; report it to the kit's maintainers"
    )


def _raise_grader_errors(errors: list[tuple[Path, BaseException]]) -> None:
    if errors:
        path, error = errors[0]
        because = f" ({error})" if isinstance(error, UnitCodeError) else ""
        raise GraderError(
            f"the grader failed on {len(errors)} file(s), first {path}{because}; their rows say so, "
            "every other row, the report and the feedback are written"
        ) from error
