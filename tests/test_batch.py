"""Batch grading: anything students upload gets a row and a status; batches resume after a kill."""

import csv
import functools
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mnist_kit import pipeline, report, results_folder, sandbox
from mnist_kit.files import GradedFolder, shown_name
from mnist_kit.options import GradingOptions
from mnist_kit.questions import QUESTIONS, TOTAL_POINTS
from mnist_kit.results import CheckResult, QuestionResult, Result, Status
from sample_submissions.notebooks import STUDENT_NOTEBOOK
from sample_submissions.uploads import INVALID, invalid_content

ROOT = Path(__file__).resolve().parent.parent
FAST = sandbox.Limits(timeout=120, min_step_cpu=15, idle_timeout=15)


def untouched_with(*cells):
    """The untouched student notebook (fast to grade: every stub raises) plus extra code cells."""
    notebook = json.loads(STUDENT_NOTEBOOK.read_text())
    notebook["cells"] += [{"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": c} for c in cells]
    return json.dumps(notebook)


@functools.cache
def uploaded_files():
    """(file name, content, expected status, words the reason must contain) of each upload."""
    return [
        *[(name, invalid_content(name), "invalid", reason) for name, (_, reason) in INVALID.items()],
        ("syntax.ipynb", untouched_with("def broken(:\n    pass"), "graded", None),
        ("no_functions.ipynb", json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}), "graded", None),
        # Busy, not asleep: a step limit must stop a process that keeps a core to itself.
        (
            "spins_at_definition.ipynb",
            untouched_with("def spin():\n    while True:\n        pass\n\n\ndef f(x=spin()):\n    pass"),
            "timeout",
            "top-level definition",
        ),
        ("exits_at_definition.ipynb", untouched_with("import os\ndef f(x=os._exit(3)):\n    pass"), "crashed", "died"),
        ("segfaults_at_definition.ipynb", untouched_with("import ctypes\ndef f(x=ctypes.string_at(0)):\n    pass"), "crashed", "died"),
        ("memory_at_definition.ipynb", untouched_with("def f(x=bytearray(50 * 2**30)):\n    pass"), "graded", None),
        (
            "writes_parent.ipynb",
            untouched_with(
                "import pathlib\nclass C:\n    pathlib.Path('../escaped.txt').write_text('x')\n"
                "    for p in pathlib.Path('.').glob('*'):\n        p.unlink()\n"
            ),
            "graded",
            None,
        ),
        ("alice/mnist.ipynb", untouched_with("# alice"), "graded", None),
        ("bob/mnist.ipynb", untouched_with("# bob"), "graded", None),
    ]


@pytest.fixture(scope="module")
def uploads(tmp_path_factory):
    folder = tmp_path_factory.mktemp("uploads")
    for name, content, _, _ in uploaded_files():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return folder


@pytest.mark.slow
def test_anything_uploaded_gets_a_row_a_status_and_a_reason(uploads, tmp_path):
    out = tmp_path / "out"
    results = pipeline.grade_class([uploads], GradedFolder(out), GradingOptions(FAST, jobs=2))
    rows = list(csv.DictReader(GradedFolder(out).gradebook.open()))
    assert len(rows) == len(uploaded_files()) == len(results)
    by_file = {Path(r.file).relative_to(uploads).as_posix(): r for r in results}
    for name, _, status, reason in uploaded_files():
        result = by_file[name]
        row = next(r for r in rows if r["submission"] == shown_name(result.submission))
        assert result.status == row["status"] == status, (name, result.reason)
        if reason:
            assert reason in result.reason and "\n" not in result.reason, name
            assert reason in row["reason"], name
        assert row["sandbox"] == ("" if status == "invalid" else "bwrap"), name
        assert result.total == 0, name
        assert GradedFolder(out).feedback_for(result.submission).exists()
    assert {"alice/mnist", "bob/mnist"} <= {r["submission"] for r in rows}
    assert GradedFolder(out).report.exists()
    assert not (tmp_path / "escaped.txt").exists() and not (uploads.parent / "escaped.txt").exists()
    assert sorted(p.name for p in uploads.rglob("*") if p.is_file()) == sorted(Path(n).name for n, *_ in uploaded_files())


@pytest.mark.slow
def test_a_killed_batch_resumes_without_losing_or_redoing_results(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    for i in range(6):
        (folder / f"student{i}.ipynb").write_text(untouched_with(f"# student {i}"))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "mnist_kit", "grade", str(folder), "--out", str(out), "--jobs", "2"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    while len(list(GradedFolder(out).results.glob("*.json"))) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished = {p.name: p.read_text() for p in GradedFolder(out).results.glob("*.json")}
    assert 2 <= len(finished) < 6
    assert not [p for p in out.rglob(".*") if p.is_file()], "a half-written file was left behind"
    rerun = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    results = {p.name: p.read_text() for p in GradedFolder(out).results.glob("*.json")}
    assert len(results) == 6
    assert all(results[name] == text for name, text in finished.items()), "a finished result was graded again"
    assert len(list(csv.DictReader(GradedFolder(out).gradebook.open()))) == 6


def _result(name, total, status="graded", seconds=3.0, message="X_train is still in its original order."):
    questions = {q: QuestionResult(i.points, i.points) for q, i in QUESTIONS.items()}
    questions["q1"] = QuestionResult(2, 0.0, None, (CheckResult("q1", "split_is_shuffled", False, message, True, 1.0),))
    reason = None if status == "graded" else "it ran too long"
    return Result(Status(status), questions, total, TOTAL_POINTS, reason, seconds=seconds, submission=name, key=name)


def test_merge_combines_folders_from_several_machines(tmp_path):
    for machine, names in (("one", ["ann", "ben"]), ("two", ["cat"])):
        GradedFolder(tmp_path / machine).results.mkdir(parents=True)
        for name in names:
            (GradedFolder(tmp_path / machine).results / f"{name}.json").write_text(json.dumps(_result(name, 8.0).to_json()))
    pipeline.merge_folders(
        [GradedFolder(tmp_path / "one"), GradedFolder(tmp_path / "two")], GradedFolder(tmp_path / "all"), all_feedback=True
    )
    rows = list(csv.DictReader(GradedFolder(tmp_path / "all").gradebook.open()))
    assert [r["submission"] for r in rows] == ["ann", "ben", "cat"]
    assert (tmp_path / "all" / "feedback" / "cat.md").read_text().count("X_train is still in its original order.") == 1


def test_merge_refuses_two_different_grades_for_one_submission(tmp_path):
    for machine, key in (("one", "a"), ("two", "b")):
        GradedFolder(tmp_path / machine).results.mkdir(parents=True)
        (GradedFolder(tmp_path / machine).results / "ann.json").write_text(json.dumps(_result("ann", 8.0).replace(key=key).to_json()))
    with pytest.raises(ValueError, match="ann.json was graded differently"):
        pipeline.merge_folders([GradedFolder(tmp_path / "one"), GradedFolder(tmp_path / "two")], GradedFolder(tmp_path / "all"))


def test_report_counts_failures_and_lists_troubled_submissions():
    results = [
        _result("ann", 8.0),
        _result("ben", 8.0, message="Two different seeds gave the same shuffle."),
        _result("cat", 8.0, status="timeout", seconds=99.0),
    ]
    page = report.report_html(results)
    assert report.common_failures(results)["q1"][0] == ("X_train is still in its original order.", 2)
    assert report.pass_rates(results)["q1"] == 0 and report.pass_rates(results)["q2"] == 1
    assert page.count("data:image/png;base64,") == 2 and "cat" in page and "it ran too long" in page


def test_results_graded_on_other_questions_are_reported_and_tabled(tmp_path):
    """Results from before a question was added (or one removed) still make a report and a gradebook."""
    last = list(QUESTIONS)[-1]
    without_last = _result("dan", 8.0)
    without_last = without_last.replace(
        questions={**{q: e for q, e in without_last.questions.items() if q != last}, "q_removed": QuestionResult(1, 1.0)}
    )
    results = [_result("ann", 8.0), without_last]
    assert report.pass_rates(results)[last] == 1 and "q_removed" not in report.common_failures(results)
    assert "dan" in report.report_html(results)
    results_folder.write_gradebook(GradedFolder(tmp_path), results)
    rows = {row["submission"]: row for row in csv.DictReader(GradedFolder(tmp_path).gradebook.open())}
    assert float(rows["dan"][last]) == 0 and float(rows["ann"][last]) == QUESTIONS[last].points
