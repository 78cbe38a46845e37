"""The Gradescope bundle set up as Gradescope sets it up: ``setup.sh`` runs, then ``run_autograder``.

Slow: ``setup.sh`` builds its virtual environment from PyPI with the bundle's pins, exactly as
Gradescope's image build does (``docs/specs.md`` in gradescope/autograder_samples: the zip in
``source/``, ``setup.sh`` as root, ``run_autograder`` per submission, ``results/results.json``),
with the distribution's own ``python3.11`` first on ``PATH`` (Debian 12's 3.11.2, older than what
some packages' newest releases ask for, as Ubuntu 22.04's is), and uploads of every shape
students make are graded with that environment, each results.json checked against Gradescope's
specification (tests/gradescope_schema.py).

``setup.sh`` runs as root in a private mount namespace whose ``/etc`` is a scratch copy, so the
``mnist-student`` account it creates exists only for this test (on the CI machine itself, that
account would change which user every other test's gradings run as). Everything else is this
machine: its Debian packages, its bubblewrap.
"""

import json
import os
import shutil
import stat
import subprocess
import tempfile
import zipfile
from pathlib import Path

import pytest

from mnist_kit import build
from mnist_kit.questions import QUESTIONS, TOTAL_POINTS
from sample_submissions import cases, notebooks
from sample_submissions.uploads import zipped
from tests import gradescope_schema
from tests.test_verdicts import bundle_verdict, expected, lean

pytestmark = pytest.mark.slow
SETUP_TIMEOUT = 1800  # a cold pip download of numpy, scikit-learn, matplotlib and otter-grader
DISTRIBUTION_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"  # the image's own python3.11, not one a developer installed


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
        env = {**os.environ, "PATH": DISTRIBUTION_PATH}  # the machine's package-index settings, the distribution's Python
        setup = subprocess.run([*wrap, str(root / "source" / "setup.sh")], capture_output=True, text=True, timeout=SETUP_TIMEOUT, env=env)
        assert setup.returncode == 0, setup.stderr[-3000:]
        (root / "setup.log").write_text(setup.stdout + setup.stderr)
        yield root, wrap
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_setup_uses_the_distributions_python_and_logs_what_the_image_enforces(set_up_bundle):
    root, _ = set_up_bundle
    distribution = subprocess.run(
        ["/usr/bin/python3.11", "-c", "import platform; print(platform.python_version())"], capture_output=True, text=True
    )
    config = (root / "source" / ".venv" / "pyvenv.cfg").read_text()
    assert f"version = {distribution.stdout.strip()}" in config and "home = /usr/bin" in config, config
    log = (root / "setup.log").read_text()
    checks = ("bubblewrap", "namespaces", "confinement", "packages", "data", "calibration")
    assert all(f" {check}: " in log for check in checks), log[-2000:]


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
    assert not (source / "tests").exists(), "otter's test files are not used by run_autograder and are not shipped"
    for path in [source / "mnist_kit" / "checks.py", source / "mnist_kit", source / "mnist.ipynb"]:
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


# Uploads as students make them. "Right" is the reference; the others answer q1-q3 (4 points) and
# leave the costly questions as stubs, so that which file was graded shows in the score.
STUBS_AFTER_Q3 = {name: notebooks.UNANSWERED for q in list(QUESTIONS)[3:] for name in QUESTIONS[q].functions}
Q1_TO_Q3 = json.dumps(notebooks.make_notebook(cases.Case("q1-q3", functions=STUBS_AFTER_Q3)))  # smaller than the untouched release
UNTOUCHED = notebooks.STUDENT_NOTEBOOK.read_text()
UPLOADS = {
    "reference": ({"mnist.ipynb": json.dumps(notebooks.make_notebook(cases.RIGHT[0]))}, TOTAL_POINTS, "graded", ""),
    "untouched": ({"mnist.ipynb": UNTOUCHED}, 0.0, "graded", ""),
    "export zip": ({"mnist_2026_12_04T23_58_01.zip": zipped({"mnist.ipynb": Q1_TO_Q3})}, 4.0, "graded", ""),
    "a folder with checkpoints": (
        {"mnist/mnist.ipynb": Q1_TO_Q3, "mnist/.ipynb_checkpoints/mnist-checkpoint.ipynb": UNTOUCHED, "__MACOSX/mnist/._mnist.ipynb": "x"},
        4.0,
        "graded",
        "",
    ),
    "two notebooks": ({"mnist.ipynb": UNTOUCHED, "mnist-Copy1.ipynb": Q1_TO_Q3}, 4.0, "graded", "not graded: mnist.ipynb"),
    "empty": ({}, 0.0, "invalid", "no .ipynb or .zip file was submitted"),
    "not a notebook": ({"mnist.pdf": b"%PDF-1.4 ..."}, 0.0, "invalid", "no .ipynb or .zip file was submitted"),
}


@pytest.mark.parametrize("upload", list(UPLOADS))
def test_every_upload_students_make_gets_a_valid_results_json_and_its_score(set_up_bundle, upload):
    root, wrap = set_up_bundle
    files, score, status, words = UPLOADS[upload]
    for folder in ("submission", "results"):
        shutil.rmtree(root / folder, ignore_errors=True)
    (root / "submission").mkdir()
    for name, content in files.items():
        path = root / "submission" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    env = {"PATH": DISTRIBUTION_PATH, "AUTOGRADER_ROOT": str(root)}
    run = subprocess.run(
        [*wrap, str(root / "source" / "run_autograder"), "--threads", "1"], env=env, capture_output=True, text=True, timeout=900
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    assert gradescope_schema.problems(results) == [], results
    assert sum(t["score"] for t in results["tests"]) == pytest.approx(score), results["output"]
    assert sum(t["max_score"] for t in results["tests"]) == TOTAL_POINTS and f"Status: {status}" in results["output"]
    assert words in json.dumps(results), results
