import itertools
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # lets tests import sample_submissions
# One BLAS thread in the test processes and the graders they start (before numpy is imported; children
# inherit it): the two xdist workers and the students' processes already fill both cores, and a second
# OpenBLAS thread of each only oversubscribes them (its idle threads spin). Students' processes get
# their own setting from the grade's limits, whatever this is.
os.environ["OPENBLAS_NUM_THREADS"] = "1"
# .ci/run sets it: there a proof that cannot run (no browser, no fallback user, no budget) fails, never skips.
ALL_PROOFS = bool(os.environ.get("REQUIRE_ALL_PROOFS"))
_skipped = []


def unavailable(problem):
    """Stop a test that cannot run here because of ``problem``: skipped on a developer's machine, failed in CI."""
    pytest.fail(f"{problem} (CI runs every proof)") if ALL_PROOFS else pytest.skip(problem)


CPU_ROOT = Path("/sys/fs/cgroup/cpu")


def cpu_group(name, quota=None, shares=None):
    """A cgroup v1 ``cpu`` group holding its processes to ``quota`` of one core, or weighing them ``shares`` (1024: a task's).

    A process joins it by writing its pid to the group's ``cgroup.procs``; the caller kills what is
    left and removes the group. The test stops (:func:`unavailable`) where no group can be made.
    """
    if os.geteuid() != 0 or not (CPU_ROOT / "cpu.cfs_quota_us").exists():
        unavailable("a CPU group needs root and a cgroup v1 cpu controller")
    group = CPU_ROOT / name
    group.mkdir(exist_ok=True)
    if quota is not None:
        (group / "cpu.cfs_period_us").write_text("100000")
        (group / "cpu.cfs_quota_us").write_text(str(int(quota * 100_000)))
    if shares is not None:
        (group / "cpu.shares").write_text(str(shares))
    return group


def unregistered_question_name():
    """A question name no unit of the registry has (an instructor's own names need not be q1..qN)."""
    from mnist_kit.questions import QUESTIONS, WRITTEN

    taken = {*QUESTIONS, *WRITTEN}
    return next(name for name in (f"q{n}" for n in itertools.count(len(taken) + 1)) if name not in taken)


def pytest_runtest_logreport(report):
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if ALL_PROOFS and _skipped:
        print(f"\nCI runs every proof, but {len(_skipped)} test(s) were skipped: {', '.join(_skipped)}", file=sys.stderr)
        session.exitstatus = 1


# Each xdist worker takes whole files in this order (--no-loadscope-reorder: xdist would otherwise
# order files by their number of tests): the files that take minutes go first, so that no worker
# starts one when the other is nearly done. A worker is handed two files at the start; the second
# of each is a quick one, so that no long file waits behind test_verdicts.py on the busier worker.
SLOWEST_FIRST = (
    *("test_verdicts.py", "test_attacks.py", "test_docs.py", "test_data.py", "test_mutants.py"),
    *("test_change_the_assignment.py", "test_reference_cost.py", "test_student_notebook.py", "test_gradescope_setup.py", "test_course.py"),
    *("test_cluster.py", "test_batch.py", "test_regrade.py", "test_reference_margins.py", "test_checks.py"),
    *("test_sandbox.py", "test_questions.py", "test_untrusted.py", "test_build.py", "test_collect.py"),
)


def pytest_collection_modifyitems(items):
    rank = {name: index for index, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


@pytest.fixture(scope="session")
def mnist():
    from mnist_kit.data import load_mnist

    return load_mnist()


@pytest.fixture(scope="session")
def built_kit(tmp_path_factory):
    """A copy of the kit's sources, built from scratch: its assignment/, autograder/ and dist/ zip."""
    import shutil

    from mnist_kit.build import build

    root = tmp_path_factory.mktemp("kit")
    for name in ("solution", "mnist_kit", "pyproject.toml", "requirements.lock"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, root / name)
    report = build(root, verify=False)
    return root, report


@pytest.fixture(scope="session")
def bundle(built_kit, tmp_path_factory):
    """The Gradescope zip, unzipped as Gradescope does into ``source/``."""
    import zipfile

    source = tmp_path_factory.mktemp("bundle") / "source"
    with zipfile.ZipFile(built_kit[1].zip_path) as archive:
        archive.extractall(source)
    return source
