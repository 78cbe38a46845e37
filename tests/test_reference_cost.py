"""The reference's recorded CPU cost: the build only reads it, says when it is stale, and only a deliberate re-measure writes it."""

import contextlib
import doctest
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mnist_kit import calibration, reference_cost
from mnist_kit.calibration import Calibration, Workload
from mnist_kit.questions import QUESTIONS
from mnist_kit.reference_cost import Remeasurement
from mnist_kit.results import QuestionResult, Result, Status
from tests.conftest import cpu_group

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "autograder" / "mnist.ipynb"
RECORD = ROOT / "mnist_kit" / "reference_cost.json"
Q4_FIT = 'LogisticRegression(tol=0.1, solver="lbfgs", max_iter=1000)'


def test_the_modules_examples_hold():
    failed, tried = doctest.testmod(reference_cost, optionflags=doctest.ELLIPSIS)
    assert failed == 0 and tried >= 4


def test_the_committed_record_was_measured_on_the_committed_code():
    """A change to a question's reference or unit fails here until `mnist-kit measure-cost` re-measures it."""
    assert reference_cost.stale_questions(json.loads(REFERENCE.read_text()), RECORD) == []
    assert set(calibration.reference_units(RECORD)) == set(QUESTIONS)


def _with_q4_fit(notebook, fit):
    """The reference notebook with q4's fit changed to ``fit``."""
    cells = [dict(cell, source="".join(cell["source"]).replace(Q4_FIT, fit)) for cell in notebook["cells"]]
    assert cells != [dict(cell, source="".join(cell["source"])) for cell in notebook["cells"]], "q4's fit is not in the reference"
    return dict(notebook, cells=cells)


@pytest.mark.parametrize(
    ("fit", "stale"),
    [
        ('LogisticRegression(tol=0.01, solver="lbfgs", max_iter=1000)', ["q4"]),  # more work: the record no longer holds
        ('LogisticRegression(tol=0.1,  solver="lbfgs", max_iter=1000)', []),  # the same work, laid out otherwise
    ],
)
def test_a_changed_reference_names_its_question_and_no_other(fit, stale):
    changed = _with_q4_fit(json.loads(REFERENCE.read_text()), fit)
    assert reference_cost.stale_questions(changed, RECORD) == stale


def test_a_record_without_a_question_or_its_digest_is_stale(tmp_path):
    reference = json.loads(REFERENCE.read_text())
    content = json.loads(RECORD.read_text())
    del content["questions"]["q5"], content["measured_code"]["q6"]
    (tmp_path / "record.json").write_text(json.dumps(content))
    line = reference_cost.stale_line(reference, tmp_path / "record.json")
    assert line.startswith("note: mnist_kit/reference_cost.json has no cost, or one measured on other code, for q5, q6: ")
    assert "`mnist-kit measure-cost`" in line and "\n" not in line


def _run(cpu):
    return Result(Status.GRADED, {q: QuestionResult(1.0, 1.0, cpu=seconds) for q, seconds in cpu.items()}, len(cpu), len(cpu))


@pytest.mark.parametrize(
    ("q4_cpu", "says"),
    [
        (2.0, None),  # 10 workloads where the record says 11: noise
        (1.14, "q4 used 5.7 workloads here where the record says 11.0 (a limit of 114 CPU-s, not 220)"),  # the TA's busy laptop
        (4.6, "q4 used 23.0 workloads here where the record says 11.0 (a limit of 460 CPU-s, not 220)"),
    ],
)
def test_the_builds_own_run_only_warns_of_a_far_cost_in_one_line(q4_cpu, says):
    here = Calibration(0.2, {"q1": 0.56, "q4": 11.0})
    # q1's limit is the floor either way: its cost moving sixfold moves no limit.
    line = reference_cost.drift_line(_run({"q1": 0.02, "q4": q4_cpu}), here)
    if says is None:
        assert line is None
    else:
        advice = "the record is kept; if the reference changed, run `mnist-kit measure-cost` on an idle machine"
        assert line == f"note: the reference's {says}: {advice}"


IDLE = Workload(0.2, 0.205)


@pytest.mark.parametrize(
    ("workloads", "runs", "busy"),
    [
        ((IDLE,) * 4, ({"q4": 10.3, "q1": 0.2}, {"q4": 7.2, "q1": 0.8}, {"q4": 9.6, "q1": 0.7}), None),  # an idle VM's noise
        ((IDLE,) * 3, ({"q4": 11.0}, {"q4": 5.7}), "the runs disagree: q4 measured 5.7 to 11.0 workloads (1.93 times apart"),
        ((IDLE, Workload(0.2, 0.4), IDLE), ({"q4": 11.0}, {"q4": 11.2}), "the calibration workload got 50% of a CPU"),
    ],
)
def test_a_busy_machine_is_told_from_its_workloads_and_its_runs(workloads, runs, busy):
    problem = Remeasurement(workloads, runs).busy()
    assert problem is None if busy is None else problem.startswith(busy), problem


def test_the_record_keeps_what_was_not_measured(tmp_path):
    record = tmp_path / "record.json"
    record.write_bytes(RECORD.read_bytes())
    reference = json.loads(REFERENCE.read_text())
    before = calibration.reference_units(record)
    reference_cost.write_record(Remeasurement((IDLE,) * 3, ({"q4": 9.0}, {"q4": 10.0})), reference, record)
    assert calibration.reference_units(record) == {**before, "q4": 9.5}
    assert calibration.measured_code(record) == calibration.measured_code(RECORD)
    assert reference_cost.stale_questions(reference, record) == []
    lines = reference_cost.limits_table(Remeasurement((IDLE,) * 3, ({"q4": 5.0}, {"q4": 5.0})), record=record)
    assert lines[1] == "q4: 9.50 workloads, limit 190 CPU-s -> 5.00 workloads, limit 100 CPU-s"


# The slow proofs run the kit's own commands in a clean clone of the working tree, as a TA would.


def _git(folder, *args):
    return subprocess.run(["git", "-C", str(folder), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    """A clean git repository holding the working tree's tracked files, as a TA's fresh clone holds them."""
    folder = tmp_path_factory.mktemp("clone")
    tracked = _git(ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard").split("\0")
    for name in filter(None, tracked):
        source = ROOT / name
        if source.is_symlink() or source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            os.symlink(os.readlink(source), folder / name) if source.is_symlink() else (folder / name).write_bytes(source.read_bytes())
            if source.is_file() and os.access(source, os.X_OK):
                (folder / name).chmod(0o755)
    _git(folder, "init", "-q")
    _git(folder, "add", "-A")
    _git(folder, "-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "clone")
    return folder


def _kit(folder, *args, group=None, timeout=600):
    """``mnist-kit ARGS`` run from ``folder``'s own package (in the cgroup ``group``, if given)."""
    command = [sys.executable, "-m", "mnist_kit", *args]
    if group is not None:
        command = ["sh", "-c", f'echo $$ > {group / "cgroup.procs"} && exec "$@"', "in-group", *command]
    env = {**os.environ, "PYTHONPATH": str(folder)}
    return subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=timeout)


@contextlib.contextmanager
def _busy_cores(count):
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def _zips(folder):
    return {name: (folder / "dist" / name).read_bytes() for name in ("mnist-autograder.zip", "mnist-student.zip")}


@pytest.mark.slow
def test_building_on_a_loaded_machine_leaves_the_clone_clean_and_the_zips_identical(clone):
    # The idle build only writes the zips to compare with; the loaded one verifies, where the old build rewrote the record.
    idle = _kit(clone, "build", "--no-verify")
    assert idle.returncode == 0, idle.stderr[-3000:]
    assert _git(clone, "status", "--porcelain") == ""
    first = _zips(clone)
    with _busy_cores(1):  # with the other test worker's work, the machine is loaded
        loaded = _kit(clone, "build")
    assert loaded.returncode == 0, loaded.stderr[-3000:]
    assert _git(clone, "status", "--porcelain") == "", "the build rewrote a tracked file"
    assert _zips(clone) == first
    assert "reference_cost.json" not in idle.stderr + idle.stdout  # the record is the clone's own: not stale
    # A drift note may appear under load; it is one line, and it changes nothing.
    assert all(line.startswith("note: ") for line in loaded.stderr.splitlines()), loaded.stderr


@pytest.mark.slow
def test_a_changed_reference_makes_the_build_name_the_stale_record_in_one_line(clone, tmp_path):
    source = clone / "solution" / "mnist.py"
    original = source.read_text()
    try:
        source.write_text(original.replace(Q4_FIT, 'LogisticRegression(tol=0.01, solver="lbfgs", max_iter=1000)'))
        done = _kit(clone, "build", "--no-verify")
        assert done.returncode == 0, done.stderr[-3000:]
        assert done.stderr.splitlines() == [
            "note: mnist_kit/reference_cost.json has no cost, or one measured on other code, for q4: their CPU limits are the old "
            "reference's; on an idle machine run `mnist-kit measure-cost`, then ./dev build, and commit both"
        ]
        assert _git(clone, "status", "--porcelain", "mnist_kit") == ""
    finally:
        source.write_text(original)
        _git(clone, "checkout", "-q", "--", ".")


@pytest.mark.slow
def test_measure_cost_refuses_under_a_quota_and_writes_when_it_has_a_core(clone):
    record = clone / "mnist_kit" / "reference_cost.json"
    before = record.read_bytes()
    group = cpu_group(f"mnist-kit-test-measure-{os.getpid()}")
    try:
        (group / "cpu.cfs_period_us").write_text("100000")
        (group / "cpu.cfs_quota_us").write_text("30000")  # 30 % of a core: what two spinners and a build left a TA
        refused = _kit(clone, "measure-cost", "--runs", "2", "--questions", "q1", group=group)
        assert refused.returncode == 1
        [line] = refused.stderr.splitlines()
        assert line.startswith("mnist-kit measure-cost: error: the calibration workload got ")
        assert line.endswith(
            "of a CPU (less than 80%): the machine is too busy to measure, nothing was written; "
            "rerun `mnist-kit measure-cost` when it is idle"
        )
        assert record.read_bytes() == before
        # The same command with a core to itself: no quota, and the weight of 100 tasks over the other tests' processes.
        (group / "cpu.cfs_quota_us").write_text("-1")
        (group / "cpu.shares").write_text(str(100 * 1024))
        # q1, under the 30 CPU-s floor: its runs' spread never refuses (q4's read 6.5 and 10.8 under the suite's load).
        wrote = _kit(clone, "measure-cost", "--runs", "2", "--questions", "q1", group=group)
    finally:
        for pid in (group / "cgroup.procs").read_text().split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), 9)
        with contextlib.suppress(OSError):
            group.rmdir()
    assert wrote.returncode == 0, wrote.stdout + wrote.stderr
    lines = wrote.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "run 1/2",
        "run 2/2",
        "calibration workload here",
        "q1",
        "wrote mnist_kit/reference_cost.json",
    ]
    old, new = json.loads(before), json.loads(record.read_text())
    expected = rf"q1: {old['questions']['q1']:.2f} workloads, limit \d+ CPU-s -> {new['questions']['q1']:.2f} workloads, limit \d+ CPU-s"
    assert re.fullmatch(expected, lines[3]), lines[3]
    assert 0.5 < new["questions"]["q1"] / old["questions"]["q1"] < 2.0
    assert new["measured_code"] == old["measured_code"]
    assert _git(clone, "status", "--porcelain") == " M mnist_kit/reference_cost.json\n"
    _git(clone, "checkout", "-q", "--", ".")
