"""Grading on a Dask cluster: a real scheduler and two workers on this machine, started by the tests.

The same mixed batch graded through ``--scheduler`` and by the local pool gets the same statuses
and scores; a worker killed mid-grading loses nothing and counts nothing twice; a worker with
another kit is refused and grades nothing. The submissions answer q1-q3 and leave q4-q6 as stubs
(as the attack cases do), so each grading costs seconds.
"""

import csv
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from mnist_kit import calibration, cli, cluster, pipeline, sandbox
from mnist_kit.files import GradedFolder, file_sha256
from mnist_kit.fingerprint import autograder_fingerprint
from mnist_kit.options import GradingOptions
from mnist_kit.results_folder import load_results
from sample_submissions import attacks, cases, notebooks, timing

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LIMITS = sandbox.Limits(timeout=300, idle_timeout=60, threads=1)
STUBS = attacks.STUBS  # q4-q6 unanswered


def cheap(case):
    """``case`` with q4-q6 left as stubs (so expected to lose them)."""
    return dataclasses.replace(case, functions={**STUBS, **case.functions}, fails=tuple(dict.fromkeys((*case.fails, "q4", "q5", "q6"))))


MIXED = [
    cheap(cases.RIGHT[0]),
    cheap(next(c for c in cases.WRONG if c.fails == ("q1",))),
    cheap(next(c for c in cases.BROKEN if c.name == "broken_syntax_error")),
    *attacks.hostile_byte_cases(["answers_forged_memory_error"]),
]
SLOW_STEP = notebooks.Case(
    "slow_but_right",
    functions={
        **STUBS,
        "cast_labels": "def cast_labels(y):\n    import time\n    time.sleep(15)\n    return y.astype(np.int8)\n",
    },
    fails=("q4", "q5", "q6"),
)


def start(command, log, env=None):
    return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT, env=env)


def stop(process):
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


class LocalDask:
    """``dask scheduler`` and ``dask worker`` processes on localhost (TCP), as an instructor starts them."""

    def __init__(self, folder, config=None):
        self.folder, self.workers = Path(folder), {}
        self.folder.mkdir(parents=True, exist_ok=True)
        self.file = self.folder / "scheduler.json"
        self.log = open(self.folder / "dask.log", "w")
        self.scheduler = start(
            [str(BIN / "dask"), "scheduler", "--scheduler-file", str(self.file), "--port", "0", "--no-dashboard"],
            self.log,
            {**os.environ, **(config or {})},
        )
        deadline = time.monotonic() + 60
        while not self.file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert self.file.exists(), (self.folder / "dask.log").read_text()
        self.address = json.loads(self.file.read_text())["address"]

    def add_worker(self, name, env=None):
        command = [str(BIN / "dask"), "worker", self.address, "--name", name, "--nthreads", "1", "--no-dashboard", "--no-nanny"]
        self.workers[name] = subprocess.Popen(
            command, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.folder, env=env or os.environ
        )

    def wait_for(self, count):
        from distributed import Client

        with Client(self.address, timeout="30s") as client:
            client.wait_for_workers(count, timeout=120)

    def close(self):
        for process in [*self.workers.values(), self.scheduler]:
            stop(process)
        self.log.close()


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    local = LocalDask(tmp_path_factory.mktemp("dask"))
    try:
        for name in ("w1", "w2"):
            local.add_worker(name)
        local.wait_for(2)
        yield local
    finally:
        local.close()


def _verdicts(results):
    return {r.submission: (r.status, {q: e.score for q, e in r.questions.items()}) for r in results}


@pytest.mark.slow
def test_a_cluster_grades_a_mixed_batch_as_the_local_pool_does(dask_cluster, tmp_path, capsys):
    submissions = tmp_path / "submissions"
    notebooks.write_cases(MIXED, submissions)
    (submissions / "not_a_notebook.ipynb").write_bytes(b"\x00\x01")
    local = pipeline.grade_class([submissions], GradedFolder(tmp_path / "local"), GradingOptions(LIMITS, jobs=2))
    assert cli.main(["grade", str(submissions), "--out", str(tmp_path / "cluster"), "--scheduler", dask_cluster.address]) == 0
    on_cluster = load_results(GradedFolder(tmp_path / "cluster"))
    assert _verdicts(on_cluster) == _verdicts(local)
    assert {r.status for r in local} == {"graded", "invalid"}
    for case in MIXED:
        entry = next(r for r in on_cluster if r.submission == case.name)
        assert {q: e.score == e.possible for q, e in entry.questions.items()} == {q: q not in case.fails for q in entry.questions}
    assert "worker(s) connected" in capsys.readouterr().err


@pytest.mark.slow
def test_the_workers_draw_the_cpu_limit_where_the_local_pool_does(dask_cluster, tmp_path):
    """The cases of sample_submissions/timing.py: the same verdicts as graded locally (tests/test_cpu_limits.py)."""
    notebooks.write_cases(timing.CASES, tmp_path / "submissions")
    measured = calibration.machine_calibration()  # the workers measure their own: the same machine here
    limits = timing.limits_for(measured)
    options = GradingOptions(limits, scheduler=dask_cluster.address, identical_once=False)
    results = pipeline.grade_class([tmp_path / "submissions"], GradedFolder(tmp_path / "graded"), options)
    timing.check_verdicts(results, limits, measured)


@pytest.mark.slow
def test_a_client_interrupted_and_rerun_resumes_without_redoing_finished_work(dask_cluster, tmp_path):
    submissions, out = tmp_path / "submissions", tmp_path / "graded"
    notebooks.write_cases([SLOW_STEP, *MIXED[:2]], submissions)
    command = [sys.executable, "-m", "mnist_kit", "grade", str(submissions), "--out", str(out), "--scheduler", dask_cluster.address]
    with open(tmp_path / "client.log", "w") as log:
        client = start(command, log)
        deadline = time.monotonic() + 180
        while not list(GradedFolder(out).results.glob("*.json")) and time.monotonic() < deadline and client.poll() is None:
            time.sleep(0.2)
        os.killpg(client.pid, signal.SIGKILL)  # as a closed terminal or a lost SSH session stops it
        client.wait()
    finished = {p.name: p.read_text() for p in GradedFolder(out).results.glob("*.json")}
    assert 1 <= len(finished) < 3, (tmp_path / "client.log").read_text()[-2000:]
    assert cli.main(command[3:]) == 0
    results = {p.name: p.read_text() for p in GradedFolder(out).results.glob("*.json")}
    assert len(results) == 3 and all(results[name] == text for name, text in finished.items()), "finished work was graded again"
    rows = list(csv.DictReader(GradedFolder(out).gradebook.open()))
    assert sorted(r["submission"] for r in rows) == sorted(p.stem for p in submissions.glob("*.ipynb")), "each exactly once"


def _grade_and_kill(local, submissions, out, victim_case, kills):
    """Grade ``submissions`` on ``local`` in a thread, SIGKILL the worker running ``victim_case`` ``kills`` times; the results."""
    done = {}
    grading = threading.Thread(
        target=lambda: done.update(
            results=pipeline.grade_class([submissions], GradedFolder(out), GradingOptions(LIMITS, scheduler=local.address))
        )
    )
    grading.start()
    key = f"grade-{autograder_fingerprint()}:{file_sha256(submissions / f'{victim_case.name}.ipynb')}"
    for _ in range(kills):
        os.killpg(local.workers[_worker_running(local, key)].pid, signal.SIGKILL)
    grading.join(timeout=300)
    assert not grading.is_alive() and "results" in done, (local.folder / "dask.log").read_text()[-3000:]
    rows = list(csv.DictReader(GradedFolder(out).gradebook.open()))
    assert sorted(r["submission"] for r in rows) == sorted(p.stem for p in submissions.glob("*.ipynb")), "each exactly once"
    return {r.submission: r for r in done["results"]}


@pytest.mark.slow
def test_a_worker_killed_mid_grading_loses_nothing_and_counts_nothing_twice(tmp_path):
    local = LocalDask(tmp_path / "dask-kill")
    try:
        local.add_worker("w1")
        local.add_worker("w2")
        local.wait_for(2)
        notebooks.write_cases([SLOW_STEP, *MIXED[:2]], tmp_path / "submissions")
        results = _grade_and_kill(local, tmp_path / "submissions", tmp_path / "graded", SLOW_STEP, kills=1)
        slow = results["slow_but_right"]
        assert slow.status == "graded" and slow.questions["q2"].score == 1.0
    finally:
        local.close()


@pytest.mark.slow
def test_a_submission_whose_workers_keep_dying_ends_crashed_and_the_class_goes_on(tmp_path):
    # Dask reruns a task whose worker died up to allowed-failures times (3 by default); 0 here, so one death is "repeatedly".
    # One task a worker at a time (worker-saturation 1.0), so the other submission never waits in the killed worker's queue.
    config = {"DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0", "DASK_DISTRIBUTED__SCHEDULER__WORKER_SATURATION": "1.0"}
    local = LocalDask(tmp_path / "dask-killer", config)
    try:
        local.add_worker("w1")
        local.add_worker("w2")
        local.wait_for(2)
        notebooks.write_cases([SLOW_STEP, MIXED[0]], tmp_path / "submissions")
        results = _grade_and_kill(local, tmp_path / "submissions", tmp_path / "graded", SLOW_STEP, kills=1)
        killer, other = results["slow_but_right"], results[MIXED[0].name]
        assert killer.status == "crashed" and "stopped the Dask workers it ran on" in killer.reason
        assert other.status == "graded" and other.questions["q1"].score == 2.0
    finally:
        local.close()


# Asks the scheduler which worker is running a task whose key starts with argv[2]; prints its name.
# It runs in a process of its own, so that the test's process holds one Dask client only: the
# grading's (two clients sharing one event loop stalled the grading under load).
PROBE = """
import sys, time
from distributed import Client
with Client(sys.argv[1], timeout="30s") as client:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        running = client.run(lambda dask_worker: [str(task.key) for task in dask_worker.state.executing])
        names = {address: info["name"] for address, info in client.scheduler_info()["workers"].items()}
        found = [names[address] for address, keys in running.items() if any(k.startswith(sys.argv[2]) for k in keys)]
        if found:
            print(found[0])
            break
        time.sleep(0.5)
"""


def _worker_running(local, key):
    """The name of the worker that is running the task whose key starts with ``key`` (waits for one)."""
    done = subprocess.run([sys.executable, "-c", PROBE, local.address, key], capture_output=True, text=True, timeout=180)
    assert done.stdout.strip(), f"no worker started {key}: {done.stderr[-500:]}"
    time.sleep(2)  # well into the grading
    return done.stdout.strip()


@pytest.mark.slow
def test_a_worker_with_another_kit_is_refused_and_grades_nothing(tmp_path, capsys):
    other = tmp_path / "other-kit"
    shutil.copytree(ROOT / "mnist_kit", other / "mnist_kit", ignore=shutil.ignore_patterns("__pycache__"))
    checks = other / "mnist_kit" / "questions" / "q1_shuffle_split" / "checks.py"
    checks.write_text(checks.read_text() + "\n# a check changed on this worker only\n")
    local = LocalDask(tmp_path / "dask-other")
    try:
        local.add_worker("changed", env={**os.environ, "PYTHONPATH": str(other)})
        local.wait_for(1)
        submissions = tmp_path / "submissions"
        notebooks.write_cases(MIXED[:1], submissions)
        code = cli.main(["grade", str(submissions), "--out", str(tmp_path / "graded"), "--scheduler", local.address])
        err = capsys.readouterr().err
        assert code == 1
        assert "refused: its kit is not this one (questions/q1_shuffle_split/checks.py differs)" in err
        assert "no worker of" in err and not list((tmp_path / "graded" / "results").glob("*.json"))
    finally:
        local.close()


def test_an_unreachable_scheduler_is_one_line(tmp_path, capsys, monkeypatch):
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "a.ipynb").write_text("{}")
    monkeypatch.setattr(cluster, "CONNECT_TIMEOUT", "1s")
    assert cli.main(["grade", str(tmp_path / "s"), "--out", str(tmp_path / "g"), "--scheduler", "tcp://127.0.0.1:9"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err


def test_the_slurm_job_script_starts_a_checked_worker_of_this_kit():
    job = cluster.WorkerJob(cores=4, memory="16GB", walltime="01:30:00", queue="short", extra=("--account=cs101",))
    script = cluster.slurm_job_script("tcp://login1:8786", job)
    lines = script.splitlines()
    assert lines[0] == "#!/usr/bin/env bash"
    assert {"#SBATCH --cpus-per-task=4", "#SBATCH --mem=15G", "#SBATCH -t 01:30:00", "#SBATCH -p short", "#SBATCH --account=cs101"} <= set(
        lines
    )
    doctor_line = next(i for i, line in enumerate(lines) if "-m mnist_kit doctor" in line)
    worker_line = next(i for i, line in enumerate(lines) if "dask_worker tcp://login1:8786" in line)
    assert doctor_line < worker_line and lines[doctor_line].endswith("|| exit 1")
    assert lines[worker_line].startswith(sys.executable) and "--nthreads 4" in lines[worker_line]


def test_without_a_scheduler_dask_is_never_imported():
    code = "import sys; from mnist_kit import cli, batch; print(sorted({m.split('.')[0] for m in sys.modules} & {'dask', 'distributed'}))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "[]"


def test_the_cli_prints_the_slurm_script(capsys):
    assert cli.main(["slurm-script", "tcp://login1:8786", "--cores", "3", "--sbatch=--account=cs101"]) == 0
    out = capsys.readouterr().out
    assert "#SBATCH --account=cs101" in out and "--nthreads 3" in out and out.endswith("\n")
