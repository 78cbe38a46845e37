"""Regrading after an autograder fix: nothing is lost, and everyone can see whose grade changed and why."""

import csv
import dataclasses
import html
import json

import pytest

from mnist_kit import batch, checks, cli
from mnist_kit.files import GradedFolder
from mnist_kit.history import keep_history, regrade_changes
from mnist_kit.questions import QUESTIONS, TOTAL_POINTS
from mnist_kit.questions.q2_cast_labels import checks as cast_checks, public as cast_public
from mnist_kit.results import CheckResult, QuestionResult, Result, Status
from sample_submissions.notebooks import UNANSWERED, Case, write_cases

# q1 to q3 answered, the slow questions left as stubs: each grading takes seconds.
QUICK = {name: UNANSWERED for question in ("q4", "q5", "q6") for name in QUESTIONS[question].functions}


def _buggy_cast_values(answers, context):
    raise checks.CheckFailed("a bug in the autograder")


_buggy_cast_values.__name__ = "cast_values"  # the same check, before its fix


def _history_runs(out):
    return sorted(p.name for p in GradedFolder(out).history.iterdir())


@pytest.mark.slow
def test_a_regrade_after_a_fix_keeps_the_old_results_and_says_whose_grade_changed(tmp_path, monkeypatch, capsys):
    folder, out = tmp_path / "class", tmp_path / "graded"
    write_cases([Case("ann", QUICK), Case("ben", {**QUICK, "cast_labels": UNANSWERED})], folder)
    command = ["grade", str(folder), "--out", str(out), "--jobs", "2"]
    # Version 1 of the autograder has a bug: one of q2's checks fails everyone.
    monkeypatch.setattr(
        cast_checks,
        "CHECKS",
        [dataclasses.replace(c, function=_buggy_cast_values) if c.function is cast_public.cast_values else c for c in cast_checks.CHECKS],
    )
    monkeypatch.setattr(batch, "autograder_fingerprint", lambda: "version-1")
    assert cli.main(command) == 0
    gradebook_before = GradedFolder(out).gradebook.read_text()
    results_before = {p.name: p.read_text() for p in GradedFolder(out).results.glob("*.json")}
    assert not GradedFolder(out).history.exists(), "a first grading has no history"
    monkeypatch.undo()  # the fix: the real checks, a new autograder version
    capsys.readouterr()

    assert cli.main(command) == 0
    printed = capsys.readouterr().out
    changes = regrade_changes(GradedFolder(out))
    assert changes.regraded == 2
    (ann,) = changes.changed  # ben's q2 raised under both versions: same grade, not listed
    weights = [c.weight for c in cast_checks.CHECKS]
    before = round(1 - weights[[c.function for c in cast_checks.CHECKS].index(cast_public.cast_values)] / sum(weights), 2)
    assert (ann.submission, ann.questions, ann.cause) == ("ann", {"q2": (before, 1.0)}, "autograder changed")
    assert round(ann.total[1] - ann.total[0], 2) == round(1 - before, 2) and ann.status == ("graded", "graded")
    assert ann.why == ("q2 cast_values: failed → passed",)
    assert "changed 1 of the 2 grades" in printed
    assert f"ann: status graded, q2 {before} → 1.0, total" in printed and "why q2 cast_values: failed → passed" in printed
    page = html.unescape((out / "report.html").read_text())
    assert 'id="changed-grades"' in page and "q2 cast_values: failed → passed" in page
    # Nothing is lost: the earlier gradebook and results, byte for byte.
    (run,) = _history_runs(out)
    kept = GradedFolder(out).history / run
    assert GradedFolder(kept).gradebook.read_text() == gradebook_before
    assert {p.name: p.read_text() for p in kept.glob("*.json")} == results_before
    assert [r["submission"] for r in csv.DictReader(GradedFolder(out).gradebook.open())] == ["ann", "ben"]

    assert cli.main(command) == 0  # nothing to regrade: no new history, no table printed
    assert "changed" not in capsys.readouterr().out and len(_history_runs(out)) == 1

    assert cli.main([*command, "--force"]) == 0
    printed = capsys.readouterr().out
    changes = regrade_changes(GradedFolder(out))
    assert len(_history_runs(out)) == 2 and changes.regraded == 2
    assert changes.changed == () and "changed 0 of the 2 grades" in printed


def _result(name, score, seed):
    cast_dtype = (CheckResult("q2", "cast_dtype", bool(score), "", False, 1.0),)
    questions = {
        q: QuestionResult(i.points, score if q == "q2" else 0.0, None, cast_dtype if q == "q2" else ()) for q, i in QUESTIONS.items()
    }
    return Result(Status.GRADED, questions, score, TOTAL_POINTS, seed=seed, submission=name, key=f"v{seed}:{name}")


def test_an_interrupted_regrade_resumes_into_the_same_history_run(tmp_path):
    results = GradedFolder(tmp_path).results
    results.mkdir()
    old = {name: _result(name, 0.0, 1) for name in ("ann", "ben")}
    for name, result in old.items():
        (results / f"{name}.json").write_text(json.dumps(result.to_json()))
    keep_history(GradedFolder(tmp_path), list(old.values()))
    (results / "ann.json").write_text(json.dumps(_result("ann", 1.0, 2).to_json()))  # then the run was killed
    keep_history(GradedFolder(tmp_path), [old["ben"]])  # the rerun regrades ben only
    (results / "ben.json").write_text(json.dumps(_result("ben", 0.0, 2).to_json()))
    assert len(_history_runs(tmp_path)) == 1
    changes = regrade_changes(GradedFolder(tmp_path))
    assert changes.regraded == 2
    assert [(c.submission, c.questions, c.why) for c in changes.changed] == [
        ("ann", {"q2": (0.0, 1.0)}, ("q2 cast_dtype: failed → passed",))
    ]
