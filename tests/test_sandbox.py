"""The sandbox's parts, fast: choosing the isolation, refusing without it, leasing users."""

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mnist_kit import cli, feedback, grade, manifest, report, sandbox
from mnist_kit.questions import QUESTIONS
from mnist_kit.results import Result
from tests.conftest import ALL_PROOFS, unavailable

EMPTY_NOTEBOOK = json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
needs_bwrap = pytest.mark.skipif(sandbox.bwrap_problem() is not None and not ALL_PROOFS, reason=f"{sandbox.bwrap_problem()}")


@pytest.fixture
def no_bwrap(monkeypatch):
    """A machine without bubblewrap."""
    real_which = sandbox.shutil.which
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None if name == "bwrap" else real_which(name))
    sandbox.bwrap_problem.cache_clear()
    yield
    sandbox.bwrap_problem.cache_clear()


def test_without_bubblewrap_choosing_refuses_and_says_how_to_install_it(no_bwrap):
    with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install bubblewrap.*--no-sandbox"):
        sandbox.choose()


def test_without_bubblewrap_grade_is_one_line_and_grades_nothing(no_bwrap, tmp_path, capsys):
    (tmp_path / "a.ipynb").write_text(EMPTY_NOTEBOOK)
    assert cli.main(["grade", str(tmp_path), "--out", str(tmp_path / "out")]) == 1
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "bubblewrap" in error and "--no-sandbox" in error
    assert not (tmp_path / "out").exists()


def test_no_sandbox_warns_and_every_result_and_the_report_record_it(no_bwrap, tmp_path, capsys):
    (tmp_path / "a.ipynb").write_text(EMPTY_NOTEBOOK)
    out = tmp_path / "out"
    assert cli.main(["grade", str(tmp_path / "a.ipynb"), "--out", str(out), "--no-sandbox"]) == 0
    assert "WITHOUT the bubblewrap sandbox" in capsys.readouterr().err
    result = json.loads((out / "results" / "a.json").read_text())
    confined = result["sandbox"]["kind"] == "user" and sandbox.confinement_problem() is None
    assert result["sandbox"]["kind"] in ("user", "none") and result["sandbox"]["network"] is not confined
    assert 'id="sandbox-warning"' in (out / "report.html").read_text()
    assert "without the bubblewrap sandbox" in feedback.unsandboxed_warning(Result.from_json(result))


@needs_bwrap
def test_bubblewrap_is_recorded_and_the_report_has_no_warning(tmp_path):
    result = grade.grade_notebook(EMPTY_NOTEBOOK, seed=1)
    assert result.sandbox == {**result.sandbox, "kind": "bwrap", "network": False, "pid_namespace": True, "sees_checker": False}
    assert feedback.unsandboxed_warning(result) is None
    assert 'id="sandbox-warning"' not in report.report_html([result.replace(submission="a")])


def test_unknown_kind_is_named():
    with pytest.raises(sandbox.SandboxUnavailable, match="unknown sandbox kind 'docker'"):
        sandbox.choose(kind="docker")


def test_the_test_processes_use_one_blas_thread_as_conftest_says():
    from threadpoolctl import threadpool_info

    assert {pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"} == {1}


def test_students_environment_holds_nothing_of_the_graders(monkeypatch, tmp_path):
    monkeypatch.setenv("GRADER_SECRET", "s3cret")
    for kind in ("bwrap", "none"):
        env = sandbox.Sandbox(kind, [os.getuid()]).environment(tmp_path, threads=3)
        assert "s3cret" not in json.dumps(env)
        assert env["OMP_NUM_THREADS"] == env["OPENBLAS_NUM_THREADS"] == "3" and env["LOKY_MAX_CPU_COUNT"] == "1"


def test_bubblewrap_command_shows_the_student_side_only(tmp_path):
    command = sandbox.Sandbox("bwrap", [sandbox.UID_BASE]).command(tmp_path, sandbox.UID_BASE, ["-c", "pass"])
    text = " ".join(command)
    assert "--unshare-net" in command and "--unshare-pid" in command and "--die-with-parent" in command
    assert str(tmp_path) in text and "/mnist_kit " not in text  # only the copied student side is bound
    if os.geteuid() == 0:
        assert f"--reuid={sandbox.UID_BASE}" in command


def test_student_side_kit_has_no_checker():
    side = sandbox.Sandbox("none", [os.getuid()])
    package = side.kit / "mnist_kit"
    files = sorted(str(p.relative_to(package)) for p in package.rglob("*") if p.is_file())
    assert files == sorted([*map(str, manifest.sandbox_files()), "mnist_784.npz"])
    assert not [f for f in files if f.endswith("checks.py")], "no checker module, the kit's or a question's"
    units = {f"questions/{question.package}/collect.py" for question in QUESTIONS.values()}
    assert units <= set(files), "every question's collector is there"


@pytest.mark.skipif(os.geteuid() != 0 and not ALL_PROOFS, reason="leasing users and owning files as them needs root")
def test_a_leased_user_starts_without_what_an_earlier_grading_left(tmp_path):
    """A grader killed mid-grading leaves its folder (the challenge, the notebook) owned by the
    student's user; in the no-namespace fallback the next student under that user could read it."""
    import shutil
    import tempfile
    from pathlib import Path

    uid, other = sandbox.PROBE_UID - 10, sandbox.PROBE_UID - 11  # outside the pool any grading uses
    shared = Path(tempfile.gettempdir())
    stale = Path(tempfile.mkdtemp(prefix=sandbox.WORK_PREFIX))
    (stale / "work").mkdir()
    (stale / "work" / "challenge.json").write_text("{}")
    dropped, kept = shared / f"mnist-kit-test-left-by-{uid}", shared / f"mnist-kit-test-kept-{other}"
    for path, owner in ((stale / "work", uid), (dropped, uid), (kept, other)):
        path.touch() if not path.exists() else None
        os.chown(path, owner, owner)
    try:
        with sandbox.Sandbox("user", [uid, other], kit=tmp_path).account() as leased:
            assert leased == uid
            assert not stale.exists() and not dropped.exists()
            assert kept.exists(), "another user's files are not this lease's to remove"
    finally:
        shutil.rmtree(stale, ignore_errors=True)
        for path in (dropped, kept):
            path.unlink(missing_ok=True)


def _started_kinds():
    kinds = [pytest.param("bwrap", marks=needs_bwrap)]
    if os.geteuid() == 0:
        kinds.append(
            pytest.param(
                "user", marks=pytest.mark.skipif(sandbox.user_problem() is not None and not ALL_PROOFS, reason=f"{sandbox.user_problem()}")
            )
        )
    return kinds


@pytest.mark.parametrize("kind", _started_kinds())
def test_the_student_runs_under_every_limit_as_its_leased_user(tmp_path, kind):
    from pathlib import Path

    limits = sandbox.Limits(max_memory=3 * 2**30, max_file_size=2**29, max_processes=100, max_open_files=500)
    box = sandbox.choose(kind=kind)
    report_script = (
        "import json, os, resource; open('seen.json', 'w').write(json.dumps([os.getuid(), os.getgroups(), "
        "[resource.getrlimit(getattr(resource, 'RLIMIT_' + n)) for n in ('AS', 'FSIZE', 'NPROC', 'NOFILE', 'CORE')]]))"
    )
    with box.account() as uid:
        workdir = Path(tmp_path) / "work"
        workdir.mkdir()
        box.prepare(workdir, uid)
        with open(tmp_path / "stderr.txt", "wb") as stderr:
            process = box.start(sandbox.SubmissionRun(workdir, uid, limits), ["-c", report_script], stderr)
            process.wait()
            box.stop(process, uid)
        seen_uid, groups, rlimits = json.loads((workdir / "seen.json").read_text())
    assert seen_uid == uid and set(groups) <= {uid}
    wanted = [limits.max_memory, limits.max_file_size, limits.max_processes, limits.max_open_files, 0]
    assert rlimits == [[value, value] for value in wanted]


def test_no_python_runs_between_fork_and_exec(monkeypatch, tmp_path):
    """A grader's other threads may hold locks (BLAS's, the allocator's) at the fork; Python code in
    the child before exec (preexec_fn, or the user switch subprocess does itself) then waits forever:
    a batch froze this way. Without it, subprocess starts the student with vfork and runs no fork handlers."""
    seen = {}

    class Recorder:
        def __init__(self, args, **options):
            seen.update(options, args=args)

    monkeypatch.setattr(sandbox.subprocess, "Popen", Recorder)
    for kind in ("bwrap", "user"):
        run = sandbox.SubmissionRun(tmp_path, sandbox.PROBE_UID, sandbox.Limits())
        sandbox.Sandbox(kind, [sandbox.PROBE_UID], kit=tmp_path).start(run, ["-c", "pass"], subprocess.DEVNULL)
        assert not {"preexec_fn", "user", "group", "extra_groups", "umask"} & set(seen), kind
        assert seen["args"][0] == "prlimit"


def test_without_landlock_the_fallback_still_closes_the_network(monkeypatch):
    """A kernel without Landlock (before 5.13, or not in its LSM list) still gets the socket filter.

    The network is shut, and every result says the host's /tmp is not.
    """
    if sandbox.user_problem():
        unavailable(f"the fallback cannot be exercised here: {sandbox.user_problem()}")
    assert sandbox._probe_confinement(files=False) == ""  # as the probe user: an internet socket fails, its folder takes a file
    monkeypatch.setattr(sandbox, "confinement", lambda: sandbox.Confinement(True, False, "the kernel offers no Landlock"))
    described = sandbox.Sandbox("user", [sandbox.PROBE_UID], kit=Path("/nonexistent")).describe()
    assert described["network"] is False and described["confinement"] == "seccomp (Unix sockets only)"
    assert described["writable"] == "its own folder, the host's /tmp and /dev/shm"
    command = sandbox.Sandbox("user", [sandbox.PROBE_UID], kit=Path("/nonexistent")).command(Path("/w"), sandbox.PROBE_UID, ["-c", "pass"])
    assert "--network-only" in command and command[command.index("--") + 1 :] == ["-c", "pass"]


SPINNING_CAST = """
def cast_labels(y):
    import time
    started = time.process_time()
    while time.process_time() - started < 1.5:  # CPU, not sleep: what the submission's cgroup must count
        pass
    return y.astype(np.int8)
"""


@pytest.mark.slow
def test_the_cpu_of_every_process_of_a_submission_is_counted(tmp_path):
    """A submission's CPU is its cgroup's count: a spin in a child process counts as much as one in the student's own."""
    from sample_submissions.notebooks import Case, make_notebook

    in_a_child = SPINNING_CAST.replace(
        "def cast_labels(y):\n",
        "def cast_labels(y):\n    import subprocess, sys\n"
        "    subprocess.run([sys.executable, '-c', 'import time\\nt = time.process_time()\\nwhile time.process_time() - t < 1.5: pass'])\n",
    )
    used = {}
    for name, source in (("alone", None), ("spinning", SPINNING_CAST), ("child", in_a_child)):
        case = Case(name, functions={"cast_labels": source} if source else {})
        result = grade.grade_notebook(json.dumps(make_notebook(case)), seed=1, questions=["q2"])
        if result.student_cpu is None:
            unavailable("no cgroup counts the submission's CPU here (root and a writable cgroup tree are needed)")
        assert result.questions["q2"].full_marks, result.questions["q2"]
        used[name] = result.questions["q2"].cpu  # the step's own count: start-up's varies by more than the margin
    assert used["spinning"] - used["alone"] >= 1.4 and used["child"] - used["alone"] >= 2.8, used


def _on_one_core(code):
    return subprocess.Popen(["taskset", "-c", "0", sys.executable, "-c", code])


def test_run_queue_wait_tells_a_starved_process_from_a_sleeping_one():
    """Two spinners on one core each wait about half the time for it; a sleeper waits for nothing."""
    from mnist_kit import budget

    spinners = [_on_one_core("while True: pass") for _ in range(2)]
    sleeper = _on_one_core("import time; time.sleep(30)")
    try:
        time.sleep(0.3)  # the sleeper's own start-up, on the busy core, is over
        waits = {name: budget.RunQueueWait() for name in ("starved", "asleep")}
        waits["starved"].since_last({p.pid for p in spinners})
        waits["asleep"].since_last({sleeper.pid})
        started = time.monotonic()
        time.sleep(0.6)
        starved, asleep = waits["starved"].since_last({p.pid for p in spinners}), waits["asleep"].since_last({sleeper.pid})
        elapsed = time.monotonic() - started
    finally:
        for process in (*spinners, sleeper):
            process.kill()
            process.wait()
    assert 0.5 * elapsed < starved < 1.5 * elapsed, (starved, elapsed)  # together, about one of them always waits
    assert asleep < 0.05, asleep
    assert budget.RunQueueWait().since_last({2**22 + 1}) == 0.0  # a process that is gone waited for nothing


def test_empty_cgroups_a_killed_grader_left_are_swept_and_a_busy_or_fresh_one_is_not():
    from mnist_kit import budget

    parent = budget._own_cgroup("pids")
    if os.geteuid() != 0 or parent is None or not os.access(parent, os.W_OK):
        unavailable("the pids cgroup cannot be written here (root and a writable cgroup tree are needed)")
    stale, busy = parent / f"mnist-kit-sweep-stale-{os.getpid()}", parent / f"mnist-kit-sweep-busy-{os.getpid()}"
    stale.mkdir()
    busy.mkdir()
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        (busy / "cgroup.procs").write_text(str(sleeper.pid))
        budget.sweep_stale_cgroups(("pids",))
        assert stale.exists(), "a group made a moment ago is left alone"
        budget.sweep_stale_cgroups(("pids",), older_than=0)
        assert not stale.exists() and busy.exists()
    finally:
        sleeper.kill()
        sleeper.wait()
        for _ in range(100):
            with contextlib.suppress(OSError):
                busy.rmdir()
            if not busy.exists():
                break
            time.sleep(0.02)


HOLDS_MEMORY = """
def cast_labels(y):
    import os, time
    for _ in range({shm} // 2**24):  # the sandbox's private /dev/shm: a RAM-backed file
        with open("/dev/shm/hoard", "ab") as file:
            file.write(b"\\1" * 2**24)
    if {memfd}:  # a memfd, as the SGD witness's arrays travel in
        memfd = os.memfd_create("hoard")
        for _ in range({memfd} // 2**24):
            os.write(memfd, b"\\1" * 2**24)
    children = []
    for _ in range({children}):
        pid = os.fork()
        if pid == 0:
            hoard = b"\\1" * {each}
            time.sleep(2)
            os._exit(0)
        children.append(pid)
    for pid in children:
        os.waitpid(pid, 0)
    return y.astype(np.int8)
"""
GIB = 2**30


@pytest.mark.slow
@pytest.mark.parametrize(
    ("held", "ran_out"),
    [
        ({"shm": 0, "memfd": 0, "children": 1, "each": 5 * GIB // 4}, False),
        ({"shm": 7 * GIB // 8, "memfd": 0, "children": 1, "each": 5 * GIB // 4}, True),
        ({"shm": 0, "memfd": 7 * GIB // 8, "children": 1, "each": 5 * GIB // 4}, True),
        ({"shm": 3 * GIB // 4, "memfd": 0, "children": 4, "each": GIB}, True),  # the held-out attack of issue 40
    ],
    ids=["a 1.25 GiB child fits", "after 0.875 GiB in /dev/shm it does not", "nor after 0.875 GiB in a memfd", "four 1 GiB children"],
)
def test_every_byte_a_submission_holds_counts_against_its_memory_budget(held, ran_out):
    """With a 2 GiB budget, a child holding 1.25 GiB fits; the same child after 0.875 GiB of shared memory or a memfd does not.

    The submission's cgroup is charged for the pages of its RAM-backed files and memfds as for its
    processes' own, and its peak, as the cgroup saw it, never passes the budget.
    """
    from sample_submissions.notebooks import Case, make_notebook

    case = Case("holds", functions={"cast_labels": HOLDS_MEMORY.format(**held)})
    limits = sandbox.Limits(max_memory=2 * GIB)
    result = grade.grade_notebook(json.dumps(make_notebook(case)), limits=limits, seed=1, questions=["q2"])
    if result.student_memory is None:
        unavailable("no memory cgroup holds the submission here (root and a writable cgroup tree are needed)")
    seen = (result.status, result.reason, result.questions["q2"].error, result.student_memory / GIB)
    assert (result.status == "memory") == ran_out, seen
    assert result.student_memory <= limits.max_memory
    if not ran_out:
        assert result.questions["q2"].full_marks, seen
        assert result.student_memory > held["each"], "the child's memory was not charged to the submission"
