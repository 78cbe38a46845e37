"""The student notebook, tried as a new student would."""

import hashlib
import inspect
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mnist_kit import cli, export, gradescope, sandbox
from mnist_kit.files import GradedFolder
from mnist_kit.notebook import UPLOAD_WHICH
from mnist_kit.notebook_source import definition_statements
from mnist_kit.questions import QUESTIONS, TOTAL_POINTS, WRITTEN
from mnist_kit.results_folder import load_results
from sample_submissions.notebooks import Case, make_notebook, run_in_kernel

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


def test_every_question_has_a_check_cell_and_the_notebook_ends_with_its_export():
    sources = ["".join(c["source"]) for c in STUDENT["cells"] if c["cell_type"] == "code"]
    assert [s for s in sources if s.startswith("grader.check(")] == [f'grader.check("{q}")' for q in QUESTIONS]
    assert sources[-1] == "grader.export()"


def test_the_notebook_has_no_leftover_or_empty_text_and_names_no_file_of_its_own():
    markdown = ["".join(c["source"]) for c in STUDENT["cells"] if c["cell_type"] == "markdown"]
    assert all(text.strip() for text in markdown)
    assert not any("images/graphs" in text or "Please save before exporting" in text for text in markdown)
    code = "".join("".join(c["source"]) for c in STUDENT["cells"] if c["cell_type"] == "code")
    assert "Grader()" in code and "mnist.ipynb" not in code  # a renamed copy exports itself


def test_the_notebook_states_the_time_limits_the_grade_applies():
    text = " ".join(" ".join("".join(c["source"]) for c in STUDENT["cells"] if c["cell_type"] == "markdown").split())
    limits = sandbox.Limits()
    assert f"may use {limits.cpu_multiple:g} times the CPU time the reference needs" in text
    assert f"(at least {limits.min_step_cpu:g} and at most {limits.max_step_cpu:g} CPU-seconds)" in text
    assert f"the whole notebook {limits.max_cpu:g};" in text
    assert f"waits without computing for {limits.idle_timeout:g} seconds is stopped" in text


def test_examples_whose_digits_vary_say_about():
    """An example's output that depends on a fit is marked "about", so a student's 0.978 is not a worry."""
    for name in STUB_NAMES:
        lines = student_functions()[name].__doc__.splitlines()
        for call, shown in zip(lines, lines[1:], strict=False):
            if call.strip().startswith(">>>") and re.search(r"\d\.\d{3}", shown):
                assert "about" in call, f"{name}: {call.strip()} shows {shown.strip()} without 'about'"


def test_no_file_in_the_student_release_needs_otter():
    release = ROOT / "assignment"
    python = [p for p in release.rglob("*.py") if ".venv" not in p.parts]
    assert python and not [p for p in python if re.search(r"^\s*(import|from) otter", p.read_text(), re.MULTILINE)]
    assert "otter" not in (release / "requirements.txt").read_text()


def test_the_readme_gives_students_the_same_steps_on_windows_and_on_linux():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## For students") : readme.index("## For instructors")]
    posix, windows = re.findall(r"```bash\n(.*?)```", section, re.DOTALL)[0], re.findall(r"```bat\n(.*?)```", section, re.DOTALL)[0]
    named = {"mnist", "requirements.txt", "mnist.ipynb"}
    for block in (posix, windows):
        assert all(name in block for name in named)
    assert all((ROOT / "assignment" / name).exists() for name in named - {"mnist"})
    as_windows = posix.replace("python3.11", "py -3.11").replace(".venv/bin/", ".venv\\Scripts\\").replace(" && ", "\n")
    assert as_windows.split() == windows.split()


# A student's session in a Jupyter server in the release folder; prints the interfaces it could see, then the session.
_WORK_IN_RELEASE = """
import json, socket, sys
from sample_submissions.notebooks import work_in_jupyter_server
interfaces = [name for _, name in socket.if_nameindex()]
session = work_in_jupyter_server(json.loads(open(sys.argv[1]).read()), sys.argv[2], sys.argv[3])
print(json.dumps({"interfaces": interfaces, **session}))
"""
COPY_NAME = "my mnist work.ipynb"  # a renamed copy: the release's own mnist.ipynb stays untouched


@pytest.mark.slow
def test_student_zip_works_offline_in_jupyter_and_exports_the_copy_worked_in(built_kit, tmp_path):
    """What a student does with the zip the instructor hands out: unzip, open a copy in Jupyter,
    work through it, export (refused until saved), and submit; the receipt is what the grade sees."""
    _, report = built_kit
    with zipfile.ZipFile(report.student_zip_path) as archive:
        archive.extractall(tmp_path / "downloads")
    release = tmp_path / "downloads" / "mnist"
    assert not (release / "mnist_784.npz").is_symlink()
    original = (release / "mnist.ipynb").read_bytes()
    filled = tmp_path / "filled.ipynb"
    # Every question answered, the written one too: the receipt then has nothing to flag.
    filled.write_text(json.dumps(make_notebook(Case("reference", written={q: "It reads 4s as 9s." for q in WRITTEN}))))
    # The same interpreter and packages (nothing installed), and no network: only a loopback.
    run = subprocess.run(
        ["bwrap", "--dev-bind", "/", "/", "--unshare-net", "--die-with-parent", "--chdir", str(ROOT),
         sys.executable, "-c", _WORK_IN_RELEASE, str(filled), str(release), COPY_NAME],
        capture_output=True, text=True, timeout=1200, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    outcome = json.loads(run.stdout.splitlines()[-1])
    assert outcome["interfaces"] == ["lo"]
    assert outcome["errors"] == []
    assert set(outcome["checks"]) == set(QUESTIONS)
    assert all(text.startswith(f"{q}: all ") for q, text in outcome["checks"].items()), outcome["checks"]
    # Exported before saving: refused, one line, no zip.
    assert outcome["unsaved"].startswith("✗ Not exported: ") and outcome["unsaved"].count("\n") == 1
    assert f"in the saved {COPY_NAME} is older than" in outcome["unsaved"] and export.SAVE_FIRST in outcome["unsaved"]
    (exported,) = release.glob("*.zip")
    assert exported.name.startswith("my mnist work_") and (release / "mnist.ipynb").read_bytes() == original
    with zipfile.ZipFile(exported) as archive:
        assert archive.namelist() == [COPY_NAME]
        inside = archive.read(COPY_NAME)
    assert inside == (release / COPY_NAME).read_bytes()
    sources = [["".join(c["source"]) for c in json.loads(text)["cells"]] for text in (inside, filled.read_text())]
    assert sources[0] == sources[1]
    # The receipt the student saw is the one Gradescope shows, and says what the grade then finds.
    shown = outcome["saved"].splitlines()
    assert shown[-1] == f"Wrote {exported.name} beside the notebook: {UPLOAD_WHICH}"
    assert shown[-2] == f"  zip SHA-256 {hashlib.sha256(exported.read_bytes()).hexdigest()}"
    assert shown[:-2] == gradescope.upload_receipt(inside.decode(), COPY_NAME).splitlines()
    assert not any("NOT FOUND" in line or "NotImplementedError" in line or "✗" in line for line in shown)
    assert cli.main(["grade", str(exported), "--out", str(tmp_path / "graded")]) == 0
    (result,) = load_results(GradedFolder(tmp_path / "graded"))
    assert (result.status, result.total) == ("graded", TOTAL_POINTS)


def test_the_readme_tells_students_which_pythons_work_and_how_to_start_and_come_back():
    readme = (ROOT / "README.md").read_text()
    section = " ".join(readme[readme.index("## For students") : readme.index("## For instructors")].split())
    assert "Python 3.11, 3.12 or 3.13 works" in section and "docs/students.md" in section
    section = " ".join((ROOT / "docs" / "students.md").read_text().split())
    for words in (
        "Python 3.11, 3.12 or 3.13",
        "tests/test_student_pythons.py",
        "python3.12-venv",
        "python3.11 python3.11-venv",
        "brew install python@3.13",
        "py -0",
        "mnist-student\\mnist\\",
        "Coming back the next day",
        "the name you gave it if you renamed it",
        "Handing in",
        "Gradescope or Canvas",
        "upload the newest",
        "JupyterHub",
        "VS Code",
        "Colab",
        "Download .ipynb",
    ):
        assert words in section, words


_CAST = "def cast_labels(y):\n    return y.astype({})\n"


@pytest.mark.slow
def test_a_syntax_error_is_named_first_and_fixing_it_needs_no_restart(tmp_path):
    """In a real Jupyter kernel: a graded cell broken, run and saved; grader.check names the parse
    error before any result, export refuses with the cause; fixed, run and saved, export succeeds."""
    from jupyter_client.manager import start_new_kernel

    path = tmp_path / "mnist.ipynb"
    cells = ["from mnist_kit.notebook import Grader\ngrader = Grader()", "import numpy as np", _CAST.format("np.int8")]

    def save():
        path.write_text(
            json.dumps({"cells": [{"cell_type": "code", "metadata": {}, "source": c} for c in cells], "metadata": {}, "nbformat": 4})
        )

    env = {**os.environ, "PYTHONPATH": str(ROOT), "JPY_SESSION_NAME": str(path)}
    manager, client = start_new_kernel(kernel_name="python3", env=env, cwd=str(tmp_path))
    try:

        def run(code):
            printed, raised = run_in_kernel(client, code, timeout=300)
            return printed + "".join(raised)

        for cell in cells:
            run(cell)
        save()
        assert run('grader.check("q2")').startswith("q2: all ")
        cells[2] = _CAST.format("np.int8")[:-2] + "\n"  # the closing parenthesis deleted
        assert run(cells[2]).startswith("SyntaxError")
        save()
        checked = run('grader.check("q2")').splitlines()
        assert checked[0] == "The saved notebook is not what this kernel runs, and the grade reads the saved one:"
        assert checked[1].startswith("  ! cast_labels: the cell you last ran to define it has a syntax error on its line 2: ")
        assert "fix the line, run that cell (Shift-Enter)" in checked[1]
        refused = run("grader.export()")
        assert refused.startswith("✗ Not exported: cast_labels: the cell you last ran to define it has a syntax error on its line 2")
        assert not list(tmp_path.glob("*.zip"))
        cells[2] = _CAST.format('"int8"')  # fixed, run, saved: no restart
        assert run(cells[2]) == ""
        save()
        assert run('grader.check("q2")').startswith("q2: all ")
        exported = run("grader.export()")
        assert exported.splitlines()[-1].startswith("Wrote mnist_") and len(list(tmp_path.glob("*.zip"))) == 1, exported
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_the_notebook_promises_no_wall_clock_time():
    """A busy machine took 15-39 s where the text said "about 5 seconds": times are CPU-seconds, or not said."""
    text = " ".join(cell_text for cell in STUDENT["cells"] for cell_text in ["".join(cell["source"])] if cell["cell_type"] == "markdown")
    assert not re.search(r"about (a|\d+) seconds?|\d s on our", text), re.findall(r"[^.]*seconds?[^.]*", text)
