"""Time limits are CPU time: the same file gets the same verdict idle, loaded, one or two at a time, slowed by a quota.

The three cases of :mod:`sample_submissions.timing` (right and fast, right and slow at half its
limit, over its limit at twice it) are graded under each condition; the Dask path grades them in
``test_cluster.py``. The limits scale with the machine through its calibration (fast tests below).
"""

import contextlib
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mnist_kit import budget, calibration, grade, pipeline
from mnist_kit.calibration import Calibration
from mnist_kit.files import GradedFolder
from mnist_kit.limits import Limits
from mnist_kit.options import GradingOptions
from mnist_kit.results import Result, Status
from sample_submissions import notebooks, timing
from tests.conftest import cpu_group

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def timed_cases(tmp_path_factory):
    folder = tmp_path_factory.mktemp("timed")
    notebooks.write_cases(timing.CASES, folder)
    measured = calibration.machine_calibration()
    return folder, measured, timing.limits_for(measured)


@contextlib.contextmanager
def busy_processes(count):
    """``count`` processes that keep a core each busy, as other users' work on a shared machine does."""
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def _grade(folder, out, limits, jobs):
    options = GradingOptions(limits, jobs=jobs, identical_once=False)
    return pipeline.grade_class([folder], GradedFolder(out), options)


@pytest.mark.slow
def test_the_same_files_get_the_same_verdicts_idle_loaded_and_one_or_two_at_a_time(timed_cases, tmp_path):
    folder, measured, limits = timed_cases
    runs = {"idle, --jobs 1": _grade(folder, tmp_path / "one", limits, 1), "idle, --jobs 2": _grade(folder, tmp_path / "two", limits, 2)}
    with busy_processes(2):  # two busy processes on two cores: each grading gets a third of the machine or less
        runs["loaded, --jobs 2"] = _grade(folder, tmp_path / "loaded", limits, 2)
    for condition, results in runs.items():
        timing.check_verdicts(results, limits, measured)
        assert timing.verdicts(results) == timing.verdicts(runs["idle, --jobs 1"]), condition


@pytest.mark.slow
def test_the_reference_uses_the_same_cpu_with_one_blas_thread_or_two():
    """--jobs sets each grading's BLAS threads (cores / jobs); the CPU-s a step uses must not follow it."""
    text = (ROOT / "autograder" / "mnist.ipynb").read_text()
    checker = grade.Checker()
    used = {}
    for threads in (1, 2):
        results = [grade.grade_notebook(text, checker, Limits(threads=threads), seed=1, questions=["q4", "q5"]) for _ in range(2)]
        used[threads] = statistics.mean(sum(entry.cpu for entry in result.questions.values()) for result in results)
    # Idle, two threads cost 1.0-1.1x one thread's CPU-s (1.6-1.8x with OpenBLAS's spinning); under the suite's own
    # load up to 1.35x was seen.
    assert max(used.values()) < 1.5 * min(used.values()), used


GRADE_IN_GROUP = """
import json, sys
from pathlib import Path
from mnist_kit import calibration, pipeline
from mnist_kit.files import GradedFolder
from mnist_kit.options import GradingOptions
from sample_submissions import timing
from mnist_kit.limits import Limits
measured = calibration.machine_calibration()  # measured here, under the quota: the cache folder is new
limits = Limits(**json.loads(sys.argv[3]))  # the idle machine's, to the multiple: what changes is the calibration
results = pipeline.grade_class([Path(sys.argv[1])], GradedFolder(sys.argv[2]), GradingOptions(limits, jobs=2))
print(json.dumps({"machine_seconds": measured.machine_seconds, "results": [r.to_json() for r in results]}))
"""


@pytest.mark.slow
def test_a_machine_slowed_to_half_a_core_draws_the_same_line(timed_cases, tmp_path):
    folder, measured, limits = timed_cases
    group = cpu_group(f"mnist-kit-test-quota-{os.getpid()}", quota=0.5)
    enter = f'echo $$ > {group / "cgroup.procs"} && exec "$@"'
    env = {**os.environ, "MNIST_KIT_CACHE": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT)}
    same = {name: getattr(limits, name) for name in ("cpu_multiple", "min_step_cpu", "idle_timeout", "timeout")}
    try:
        started = time.monotonic()
        done = subprocess.run(
            ["sh", "-c", enter, "quota", sys.executable, "-c", GRADE_IN_GROUP, str(folder), str(tmp_path / "slowed"), json.dumps(same)],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
            timeout=600,
        )
        wall = time.monotonic() - started
        assert done.returncode == 0, done.stderr[-3000:]
        throttled = int(dict(line.split() for line in (group / "cpu.stat").read_text().splitlines())["nr_throttled"])
    finally:
        for pid in (group / "cgroup.procs").read_text().split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), 9)
        with contextlib.suppress(OSError):
            group.rmdir()
    slowed = json.loads(done.stdout.splitlines()[-1])
    assert throttled > 0, "the quota never held the grading back"
    results = [Result.from_json(r) for r in slowed["results"]]
    timing.check_verdicts(results, limits, Calibration(slowed["machine_seconds"], measured.reference_units))
    # The workload's CPU time is the machine's speed, which a quota does not change: the line stays where it was.
    assert 0.6 < slowed["machine_seconds"] / measured.machine_seconds < 1.6, (slowed["machine_seconds"], measured.machine_seconds)
    print(f"half a core: graded in {wall:.0f} s of wall-clock time, calibration {slowed['machine_seconds']:.3f} CPU-s")


# Fast: the limits scale with the machine, are refused when they make no sense, and are measured once.


@pytest.mark.parametrize("slower", [0.5, 1.0, 2.0, 3.0])
def test_a_slower_machine_gets_proportionally_more_cpu_seconds_for_the_same_work(slower):
    limits = Limits(cpu_multiple=10, min_step_cpu=1, max_step_cpu=1000)
    base, scaled = Calibration(0.2, {"q6": 5.0}), Calibration(0.2 * slower, {"q6": 5.0})
    assert scaled.cpu_limit("q6", limits) == pytest.approx(slower * base.cpu_limit("q6", limits))
    assert scaled.cpu_limit("q6", limits) / scaled.reference_seconds("q6") == pytest.approx(10)


@pytest.mark.parametrize(
    ("units", "expected"),
    [(None, 30.0), (0.0, 30.0), (1.0, 30.0), (10.0, 200.0), (1000.0, 600.0)],
    ids=["a definition", "no cost", "under the floor", "calibrated", "over the cap"],
)
def test_a_steps_limit_is_the_calibrated_one_within_the_absolute_caps(units, expected):
    assert Limits().step_cpu(units, 0.2) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cpu_multiple": 0}, "cpu_multiple=0: a limit must be a positive number"),
        ({"idle_timeout": -1.0}, "idle_timeout=-1.0: a limit must be a positive number"),
        ({"min_step_cpu": 700.0}, "min_step_cpu=700 is above max_step_cpu=600: lower the first"),
    ],
)
def test_limits_that_make_no_sense_are_refused_in_one_line(changes, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Limits(**changes)


def test_the_machine_is_measured_once_and_again_on_another_machine(tmp_path, monkeypatch):
    measured = []
    monkeypatch.setattr(calibration, "measure_machine", lambda: measured.append(1) or 0.25)
    assert calibration.machine_seconds(tmp_path) == 0.25 and calibration.machine_seconds(tmp_path) == 0.25
    assert len(measured) == 1
    monkeypatch.setattr(calibration, "machine_key", lambda: "another node | its processor")
    assert calibration.machine_seconds(tmp_path) == 0.25 and len(measured) == 2
    assert len(json.loads((tmp_path / "calibration.json").read_text())) == 2  # both machines kept
    (tmp_path / "calibration.json").write_text("{not json")
    assert calibration.machine_seconds(tmp_path) == 0.25 and len(measured) == 3


def test_an_unwritable_cache_costs_a_measurement_not_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(calibration, "measure_machine", lambda: 0.25)
    blocked = tmp_path / "file"
    blocked.write_text("")
    assert calibration.machine_seconds(blocked / "below-a-file") == 0.25


@pytest.mark.slow
def test_the_workload_is_measured_in_a_fresh_python_and_its_failure_is_one_line(monkeypatch):
    assert 0.01 < calibration.measure_machine() < 30
    monkeypatch.setattr(calibration.sys, "executable", "/nonexistent/python")
    with pytest.raises(calibration.CalibrationError, match=r"^could not measure this machine's speed .*/nonexistent/python$"):
        calibration.measure_machine()


def test_the_processes_cpu_counts_a_whole_tree_living_and_reaped(tmp_path):
    spin = "import time\nstarted = time.process_time()\nwhile time.process_time() - started < 0.4: pass\n"
    parent = subprocess.Popen(
        [sys.executable, "-c", f"import subprocess, sys, time\nsubprocess.run([sys.executable, '-c', {spin!r}])\n{spin}time.sleep(30)"]
    )
    try:
        deadline = time.monotonic() + 30
        while (budget.processes_cpu(parent.pid) or 0) < 0.8 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert budget.processes_cpu(parent.pid) >= 0.8  # its own 0.4 and its reaped child's 0.4
    finally:
        parent.kill()
        parent.wait()
    assert budget.processes_cpu(parent.pid) is None


def test_a_step_over_its_limit_is_named_with_its_cpu_and_the_reference_multiple():
    timing_ = grade.RunTiming(Limits(), Calibration(0.2, {"q6": 10.0}), deadline=time.monotonic() + 60)
    assert timing_.over_limit("q6", 150.0) is None
    status, reason = timing_.over_limit("q6", 212.0)
    assert status == Status.TIMEOUT
    assert reason == "q6 (fit_multiclass_classifier) used 212 CPU-s (106 times the reference's); the limit is 200 CPU-s"
    assert timing_.over_limit("define:3", 31.0)[1] == "a top-level definition used 31 CPU-s; the limit is 30 CPU-s"
    timing_.charge("q5", 1801.0)
    assert timing_.over_limit("q6", 1.0)[1] == "the submission used up its 1800 CPU-s (during q6 (fit_multiclass_classifier))"
    assert timing_.exhausted()


SPINNING_TARGET = """
def make_binary_target(y, digit=2):
    started = time.process_time()
    while time.process_time() - started < 0.3:
        pass
    return y == digit
"""


def test_grader_check_states_what_the_calls_used_against_the_grades_limit(monkeypatch):
    from mnist_kit import notebook

    monkeypatch.setattr(calibration, "machine_calibration", lambda: Calibration(0.2, {"q3": 0.1}))
    namespace = {"time": time}
    exec(SPINNING_TARGET, namespace)  # noqa: S102 - our own function, as a notebook's cell defines it
    report = notebook.public_check("q3", namespace)
    assert report.passed, report
    assert re.fullmatch(r"Time: the calls used 0\.[3-9] CPU-s here; the grade stops them at 30 CPU-s on this machine\.", report.time)
    assert report.time in repr(report)


@pytest.mark.parametrize(
    ("used", "cap", "line"),
    [
        (
            2.0,
            600,
            "Time: the calls used 2.0 CPU-s here; the grade stops them at 100 CPU-s on this machine (50 times the reference's 2.0).",
        ),
        (60.0, 600, "✗ Time: the calls used 60 CPU-s here, near the grade's limit of 100 CPU-s on this machine: make them do less work."),
        (
            140.0,
            600,
            "✗ Time: the calls used 140 CPU-s here, over the grade's limit of 100 CPU-s: the grade stops them and q6 earns nothing.",
        ),
        (2.0, 80, "Time: the calls used 2.0 CPU-s here; the grade stops them at 80 CPU-s on this machine."),
    ],
    ids=["well within", "past half", "over", "at the cap: no multiple claimed"],
)
def test_grader_check_warns_near_the_limit_and_says_over_it(used, cap, line):
    from mnist_kit import notebook

    limits = Limits(cpu_multiple=50, max_step_cpu=cap)
    assert notebook.time_line("q6", used, limits, Calibration(0.2, {"q6": 10.0})) == line


def test_grader_check_without_a_calibration_still_shows_the_time_and_why_no_limit(monkeypatch):
    from mnist_kit import notebook

    def fails():
        raise calibration.CalibrationError("could not measure this machine's speed (boom)")

    monkeypatch.setattr(calibration, "machine_calibration", fails)
    line = notebook.time_line("q6", 1.25)
    why = "could not measure this machine's speed (boom)"
    assert line == f"Time: the calls used 1.2 CPU-s here; the grade's limit could not be worked out ({why})."


def test_grade_on_a_machine_that_cannot_measure_itself_stops_in_one_line_before_grading(monkeypatch, tmp_path, capsys):
    from mnist_kit import cli

    def fails():
        raise calibration.CalibrationError("could not measure this machine's speed (boom); check that numpy imports")

    monkeypatch.setattr(calibration, "machine_calibration", fails)
    notebooks.write_cases(timing.CASES[:1], tmp_path / "submissions")
    assert cli.main(["grade", str(tmp_path / "submissions"), "--out", str(tmp_path / "graded")]) == 1
    err = capsys.readouterr().err
    assert err == "mnist-kit grade: error: could not measure this machine's speed (boom); check that numpy imports\n"
    assert not (tmp_path / "graded" / "results").exists() or not list((tmp_path / "graded" / "results").iterdir())


SPINS_IN_A_CHILD = """
def cast_labels(y):
    import subprocess, sys
    subprocess.run([sys.executable, "-c", "while True: pass"])  # the work is its child's: the tree is counted
    return y.astype(np.int8)
"""


@pytest.mark.slow
def test_without_a_cgroup_the_process_tree_is_counted_and_stopped_at_its_limit():
    """``--no-sandbox`` sets up no cgroup: the CPU of the student's process and its children is read from /proc."""
    from mnist_kit import sandbox

    case = notebooks.Case("spins", functions={"cast_labels": SPINS_IN_A_CHILD})
    limits = Limits(min_step_cpu=3.0, idle_timeout=60)
    text = json.dumps(notebooks.make_notebook(case))
    result = grade.grade_notebook(text, limits=limits, seed=1, questions=["q2"], sandbox=sandbox.choose(kind="none"))
    assert "memory_total" in result.sandbox and result.sandbox["memory_total"].startswith("none"), result.sandbox
    assert result.status == "timeout", (result.status, result.reason)
    assert re.fullmatch(r"q2 \(cast_labels\) used \d CPU-s; the limit is 3 CPU-s", result.questions["q2"].error), result.questions["q2"]
    assert 3.0 <= result.questions["q2"].cpu < 5.0


def test_grader_check_counts_the_kernels_cpu_where_there_is_no_rusage(monkeypatch):
    """Windows has no ``resource`` module: grader.check counts the kernel's own CPU there, never fails."""
    from mnist_kit import notebook

    monkeypatch.setitem(sys.modules, "resource", None)  # an import of it now raises ImportError
    before = notebook._cpu_seconds()
    started = time.process_time()
    while time.process_time() - started < 0.2:
        pass
    assert notebook._cpu_seconds() - before >= 0.2
