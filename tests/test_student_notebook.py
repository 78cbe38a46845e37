"""The student notebook, tried as a new student would."""

import inspect
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mnist_kit import batch, cli
from mnist_kit.collect import definition_statements
from mnist_kit.questions import QUESTIONS, TOTAL_POINTS
from tests.submissions.notebooks import Case, make_notebook

ROOT = Path(__file__).resolve().parent.parent
STUDENT = json.loads((ROOT / "assignment" / "mnist.ipynb").read_text())


STUB_NAMES = [f for q in QUESTIONS.values() for f in q.functions]


def student_functions():
    namespace = {}
    # The notebook imports mnist_data from its folder; for this call only (the release's mnist_kit
    # must never shadow the kit's for the rest of the suite, nor for processes it starts).
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(ROOT / "assignment"))
        for _, source in definition_statements(STUDENT)[0]:
            exec(source, namespace)
    return namespace


@pytest.mark.parametrize("name", STUB_NAMES)
def test_each_stub_raises_not_implemented_naming_itself(name):
    function = student_functions()[name]
    arguments = [None] * len([p for p in inspect.signature(function).parameters.values() if p.default is p.empty])
    with pytest.raises(NotImplementedError, match=f"^{name}: "):
        function(*arguments)


@pytest.mark.parametrize("name", STUB_NAMES)
def test_every_stub_documents_its_return_value_and_an_example(name):
    doc = student_functions()[name].__doc__
    assert "Returns" in doc and "Example" in doc and ">>>" in doc


def test_every_question_has_a_check_cell_and_the_notebook_exports_without_pdf():
    sources = ["".join(c["source"]) for c in STUDENT["cells"] if c["cell_type"] == "code"]
    assert [s for s in sources if s.startswith("grader.check(")] == [f'grader.check("{q}")' for q in QUESTIONS]
    assert any("grader.export(pdf=False)" in s for s in sources)


# Runs a notebook in a release folder and prints the network interfaces it could see, then its results.
_RUN_IN_RELEASE = """
import json, socket, sys
from tests.submissions.notebooks import execute_in_release
interfaces = [name for _, name in socket.if_nameindex()]
checks, errors = execute_in_release(json.loads(open(sys.argv[1]).read()), sys.argv[2])
print(json.dumps({"interfaces": interfaces, "checks": checks, "errors": errors}))
"""


@pytest.mark.slow
def test_student_zip_works_offline_in_an_empty_folder_and_its_export_earns_full_marks(built_kit, tmp_path):
    """What a student does with the zip the instructor hands out: unzip, work through, export, submit."""
    _, report = built_kit
    with zipfile.ZipFile(report.student_zip_path) as archive:
        archive.extractall(tmp_path / "downloads")
    release = tmp_path / "downloads" / "mnist"
    assert not (release / "mnist_784.npz").is_symlink()
    filled = tmp_path / "filled.ipynb"
    filled.write_text(json.dumps(make_notebook(Case("reference"))))
    # The same interpreter and packages (nothing installed), and no network: only a loopback.
    run = subprocess.run(
        [
            "bwrap",
            "--dev-bind",
            "/",
            "/",
            "--unshare-net",
            "--die-with-parent",
            "--chdir",
            str(ROOT),
            sys.executable,
            "-c",
            _RUN_IN_RELEASE,
            str(filled),
            str(release),
        ],
        capture_output=True,
        text=True,
        timeout=1200,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert run.returncode == 0, run.stderr[-2000:]
    outcome = json.loads(run.stdout.splitlines()[-1])
    assert outcome["interfaces"] == ["lo"]
    assert outcome["errors"] == []
    assert set(outcome["checks"]) == set(QUESTIONS)
    assert all(text.startswith(f"{q}: all ") for q, text in outcome["checks"].items()), outcome["checks"]
    exports = list(release.glob("mnist_*.zip"))
    assert len(exports) == 1
    with zipfile.ZipFile(exports[0]) as archive:
        assert "mnist.ipynb" in archive.namelist()
        assert not any(name.endswith(".pdf") for name in archive.namelist())
    assert cli.main(["grade", str(exports[0]), "--out", str(tmp_path / "graded")]) == 0
    (result,) = batch.load_results(tmp_path / "graded")
    assert (result["status"], result["total"]) == ("graded", TOTAL_POINTS)
