"""The Gradescope bundle set up as Gradescope sets it up: ``setup.sh`` runs, then ``run_autograder``.

Slow: ``setup.sh`` builds its virtual environment from PyPI with the bundle's pins, exactly as
Gradescope's image build does, and two submissions are graded with that environment.

``setup.sh`` runs as root in a private mount namespace whose ``/etc`` is a scratch copy, so the
``mnist-student`` account it creates exists only for this test (on the CI machine itself, that
account would change which user every other test's gradings run as). Everything else is this
machine: its Python 3.11, its Debian packages, its bubblewrap.
"""

import json
import shutil
import stat
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest

from mnist_kit import build
from mnist_kit.questions import TOTAL_POINTS
from sample_submissions import cases, notebooks
from tests.test_verdicts import bundle_verdict, expected, lean

pytestmark = pytest.mark.slow
SETUP_TIMEOUT = 1800  # a cold pip download of numpy, scikit-learn, matplotlib and otter-grader


@pytest.fixture(scope="module")
def set_up_bundle(built_kit):
    """An autograder root (``source/`` = the unzipped bundle after ``setup.sh``) and its private /etc."""
    # Under /tmp and traversable, like /autograder: the unprivileged user must reach source/.venv.
    root = Path(tempfile.mkdtemp(prefix="mnist-kit-gradescope-"))
    root.chmod(0o755)
    try:
        with zipfile.ZipFile(built_kit[1].zip_path) as archive:
            archive.extractall(root / "source")
        for name in ("setup.sh", "run_autograder"):
            (root / "source" / name).chmod(0o755)  # Gradescope keeps the zip's modes; extractall does not
        etc = root / "etc"
        shutil.copytree("/etc", etc, symlinks=True)
        wrap = ["bwrap", "--dev-bind", "/", "/", "--bind", str(etc), "/etc", "--die-with-parent"]
        setup = subprocess.run([*wrap, str(root / "source" / "setup.sh")], capture_output=True, text=True, timeout=SETUP_TIMEOUT)
        assert setup.returncode == 0, setup.stderr[-3000:]
        yield root, wrap
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_setup_installs_the_pinned_packages_and_the_student_account(set_up_bundle):
    root, wrap = set_up_bundle
    python = root / "source" / ".venv" / "bin" / "python"
    pins = dict(line.split("==") for line in (root / "source" / "requirements.txt").read_text().split())
    assert len(pins) > len(build.GRADING_PACKAGES)
    report = subprocess.run(
        [
            str(python),
            "-c",
            "import importlib.metadata as m, json, sys; print(json.dumps({p: m.version(p) for p in sys.argv[1:]}))",
            *pins,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(report.stdout) == pins  # every package grading installs, not only those pyproject.toml names
    assert "\nmnist-student:" in "\n" + (root / "etc" / "passwd").read_text()
    assert subprocess.run(["id", "mnist-student"], capture_output=True).returncode != 0, "the account leaked onto this machine"


def test_setup_closes_the_checker_to_the_student_account(set_up_bundle):
    root, _ = set_up_bundle
    source = root / "source"
    assert stat.S_IMODE(source.stat().st_mode) == 0o711
    for path in [source / "mnist_kit" / "checks.py", source / "mnist_kit", source / "tests", source / "mnist.ipynb"]:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path


# The right case is graded whole: every question's fits run with the set-up environment's packages.
# The wrong one (the student account's run) leaves the costly questions it is not about as stubs.
@pytest.mark.parametrize(
    "case, isolation", [(cases.RIGHT[0], "bwrap"), (lean(cases.WRONG[0]), "user")], ids=["right, bubblewrap", "wrong, student account"]
)
def test_run_autograder_grades_with_the_set_up_environment(set_up_bundle, case, isolation, tmp_path):
    root, wrap = set_up_bundle
    for folder in ("submission", "results"):
        shutil.rmtree(root / folder, ignore_errors=True)
    (root / "submission").mkdir()
    (root / "submission" / "mnist.ipynb").write_text(json.dumps(notebooks.make_notebook(case)))
    # Gradescope's PATH has no python of ours: run_autograder must find the venv setup.sh made.
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "AUTOGRADER_ROOT": str(root)}
    options = ["--threads", "1"] + (["--sandbox", isolation] if isolation != "bwrap" else [])
    run = subprocess.run([*wrap, str(root / "source" / "run_autograder"), *options], env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    assert (results["output"].split()[1], bundle_verdict(results)) == expected(case), results["output"]
    assert f"Isolation: {isolation}" in results["output"]
    assert sum(t["max_score"] for t in results["tests"]) == TOTAL_POINTS
