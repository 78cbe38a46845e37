"""A graded folder's regrade history: what each regrade replaced, and whose grade it changed.

Before a run replaces a stored result (another autograder version, a changed file, or
``--force``), :func:`keep_history` keeps the earlier result and the gradebook as they were in
``results/history/<run>/``; :func:`regrade_changes` compares the latest run with what replaced it.
"""

import json
import shutil
import time
from pathlib import Path

from .files import GradedFolder, write_atomically
from .results import GradeChange, QuestionResult, Regrade, Result
from .results_folder import read_result


def keep_history(folder: GradedFolder, previous_results: list[Result]) -> None:
    """Copy the results about to be replaced, and the gradebook they made, into a history run.

    A run that was interrupted before it replaced all it had kept is continued, so that one
    regrade stays one run however often it is resumed.
    """
    history = folder.history
    run = _unfinished_run(folder)
    if run is None:
        stamp = time.strftime("%Y-%m-%dT%H-%M-%S", time.gmtime())
        run = history / stamp
        for suffix in range(1, 1000):  # two runs in one second get their own folders
            if not run.exists():
                break
            run = history / f"{stamp}.{suffix}"
        run.mkdir(parents=True)
        if folder.gradebook.exists():
            shutil.copy(folder.gradebook, run / folder.gradebook.name)
    for result in previous_results:
        if not (run / f"{result.submission}.json").exists():
            write_atomically(run / f"{result.submission}.json", json.dumps(result.to_json(), indent=1))


def _history_runs(folder: GradedFolder) -> list[Path]:
    history = folder.history
    return sorted(p for p in history.iterdir() if p.is_dir()) if history.is_dir() else []


def _unfinished_run(folder: GradedFolder) -> Path | None:
    """The latest history run if some result it kept has not been replaced yet, else None."""
    runs = _history_runs(folder)
    if runs and any(read_result(kept) == read_result(folder.results / kept.name) for kept in runs[-1].glob("*.json")):
        return runs[-1]
    return None


def regrade_changes(folder: GradedFolder) -> Regrade | None:
    """Whose grade the latest regrade changed, and why.

    Parameters
    ----------
    folder : mnist_kit.files.GradedFolder
        A folder written by :func:`mnist_kit.batch.grade_many`.

    Returns
    -------
    mnist_kit.results.Regrade or None
        None if nothing was ever regraded; else the history folder's name, how many submissions
        the regrade redid so far, and a :class:`~mnist_kit.results.GradeChange` for each whose
        status or any question's score changed.

    Examples
    --------
    >>> changes = regrade_changes(GradedFolder("graded"))  # doctest: +SKIP
    >>> [(c.submission, c.total) for c in changes.changed]  # doctest: +SKIP
    [('ann', (8.0, 10.0))]
    """
    runs = _history_runs(folder)
    if not runs:
        return None
    changed, regraded = [], 0
    for before_path in sorted(runs[-1].glob("*.json")):
        before, after = read_result(before_path), read_result(folder.results / before_path.name)
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
