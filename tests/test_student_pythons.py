"""The student release on each Python students have: 3.11 (the grader's), 3.12 (Ubuntu 24.04's) and 3.13 (Homebrew's).

Slow: for each, the release zip is unpacked into an empty folder, a venv of that Python gets the
release's own requirements.txt (from the package index, as a student installs them), and in it a
correct notebook's functions run ``grader.check`` for every question and ``grader.export``; the
export is graded by the kit (full marks). On 3.12 and 3.13 a cell that only they can read (an
f-string reusing its quotes, a ``type`` statement) is named in the receipt, since the grade's
Python 3.11 would skip it. The interpreters are the machine's (pyenv's on every machine here).
"""

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mnist_kit import cli
from mnist_kit.files import GradedFolder
from mnist_kit.questions import QUESTIONS, TOTAL_POINTS
from mnist_kit.results_folder import load_results
from sample_submissions.notebooks import Case, make_notebook
from tests.conftest import unavailable

pytestmark = pytest.mark.slow
COPY = "my work.ipynb"
NEWER_ONLY = 'label = f"{dict(a="x")["a"]}"\n'  # Python 3.12+: an f-string reusing its quotes

# Run by the release's Python, in the release folder: each question's grader.check, then export.
_STUDENT = """
import json, sys
sys.path.insert(0, ".")
from mnist_kit.notebook_source import definition_statements
from mnist_kit.notebook import Grader
notebook = json.load(open(sys.argv[1]))
namespace = {"__name__": "__main__"}
for label, source in definition_statements(notebook)[0]:
    exec(compile(source, label, "exec"), namespace)
grader = Grader()
checks = {q: repr(grader.check(q, global_env=namespace)) for q in json.loads(sys.argv[2])}
grader.export(sys.argv[1], global_env=namespace)
print(json.dumps({"checks": checks, "python": sys.version.split()[0]}))
"""


def interpreter(minor):
    found = sorted(Path.home().glob(f".pyenv/versions/{minor}.*/bin/python{minor}")) or [
        Path(p) for p in [shutil.which(f"python{minor}")] if p
    ]
    if not found:
        unavailable(f"no Python {minor} on this machine (pyenv install {minor})")
    return found[-1]


@pytest.mark.parametrize("minor", ["3.11", "3.12", "3.13"])
def test_the_release_works_on_the_pythons_students_have(built_kit, tmp_path, minor):
    python = interpreter(minor)
    with zipfile.ZipFile(built_kit[1].student_zip_path) as archive:
        archive.extractall(tmp_path)
    release = tmp_path / "mnist"
    subprocess.run([str(python), "-m", "venv", str(release / ".venv")], check=True, timeout=300)
    venv_python = release / ".venv" / "bin" / "python"
    install = [sys.executable, "-m", "uv", "pip", "install", "--quiet", "--python", str(venv_python), "-r", "requirements.txt"]
    subprocess.run(install, cwd=release, check=True, timeout=900)
    notebook = make_notebook(Case("reference"))
    newer = minor != "3.11"
    if newer:  # one more code cell, that only 3.12+ reads: named in the receipt, and skipped by the grade
        notebook["cells"].append({"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": NEWER_ONLY})
    (release / COPY).write_text(json.dumps(notebook, indent=1))
    run = subprocess.run(
        [str(venv_python), "-c", _STUDENT, COPY, json.dumps(list(QUESTIONS))],
        cwd=release, capture_output=True, text=True, timeout=900,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    receipt, outcome = run.stdout.rsplit("\n", 2)[0], json.loads(run.stdout.splitlines()[-1])
    assert outcome["python"].startswith(minor + ".")
    assert all(text.startswith(f"{q}: all ") for q, text in outcome["checks"].items()), outcome["checks"]
    assert ("cannot read: use the other kind of quotes" in receipt) is newer, receipt
    (exported,) = release.glob("my work_*.zip")
    assert cli.main(["grade", str(exported), "--out", str(tmp_path / "graded")]) == 0
    (result,) = load_results(GradedFolder(tmp_path / "graded"))
    assert (result.status, result.total) == ("graded", TOTAL_POINTS)
