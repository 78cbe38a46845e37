"""The student notebook, tried as a new student would."""

import inspect
import json
import zipfile
from pathlib import Path

import pytest

from mnist_kit import spec
from mnist_kit.collect import definition_statements
from tests.submissions.notebooks import Case, execute_as_student, make_notebook

ROOT = Path(__file__).resolve().parent.parent
STUDENT = json.loads((ROOT / "assignment" / "mnist.ipynb").read_text())


STUB_NAMES = [f for q in spec.QUESTIONS.values() for f in q["functions"]]


def student_functions():
    import sys

    sys.path.insert(0, str(ROOT / "assignment"))  # the notebook imports mnist_data from its folder
    namespace = {}
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
    assert [s for s in sources if s.startswith("grader.check(")] == [f'grader.check("{q}")' for q in spec.QUESTIONS]
    assert any("grader.export(pdf=False)" in s for s in sources)


@pytest.mark.slow
def test_filled_in_notebook_runs_clean_passes_every_check_and_exports(tmp_path):
    checks, errors = execute_as_student(make_notebook(Case("reference")), tmp_path / "release")
    assert errors == []
    assert checks == {q: True for q in spec.QUESTIONS}
    exports = list((tmp_path / "release").glob("mnist_*.zip"))
    assert len(exports) == 1
    with zipfile.ZipFile(exports[0]) as archive:
        assert "mnist.ipynb" in archive.namelist()
        assert not any(name.endswith(".pdf") for name in archive.namelist())
