"""``grader.export()`` zips the notebook the student works in, refuses a stale one, and prints a receipt.

Fast: the notebook's file is found from each source a kernel may have, functions are compared
with the saved file, and the receipt is read from bytes as the grade reads them. The whole path,
in a real Jupyter server with a renamed copy, is ``test_student_notebook.py``'s slow test.
"""

import hashlib
import importlib.util
import json
import zipfile

import pytest

from mnist_kit import export, gradescope
from mnist_kit.notebook import Grader
from mnist_kit.questions import QUESTIONS
from mnist_kit.results import Result, Status

RIGHT = "def cast_labels(y):\n    return y.astype('int8')\n"
EDITED = "def cast_labels(y):\n    return y.astype('int16')\n"


def notebook_of(*sources):
    return {"cells": [{"cell_type": "code", "metadata": {}, "source": source} for source in sources], "metadata": {}, "nbformat": 4}


def kernel_namespace(tmp_path, source):
    """The globals of a kernel that ran ``source`` (from a file, so that its functions keep their source)."""
    path = tmp_path / "kernel_cell.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("kernel_cell", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return vars(module)


def write_notebook(path, *sources):
    path.write_text(json.dumps(notebook_of(*sources)))
    return path


@pytest.fixture
def no_session(monkeypatch):
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.setattr(export, "_jupyter_session_path", lambda: None)


@pytest.mark.parametrize(
    "source",
    ["explicit", "vscode", "jupyter server", "session name"],
)
def test_the_notebook_is_found_from_each_source_a_kernel_has(tmp_path, monkeypatch, no_session, source):
    copy = write_notebook(tmp_path / "mnist-Copy1.ipynb", RIGHT)
    write_notebook(tmp_path / "mnist.ipynb", "")  # the original, which must not be picked
    monkeypatch.chdir(tmp_path)
    namespace = {}
    if source == "explicit":
        assert export.find_notebook(namespace, "mnist-Copy1.ipynb") == copy
        return
    if source == "vscode":
        namespace["__vsc_ipynb_file__"] = str(copy)
    elif source == "jupyter server":
        monkeypatch.setattr(export, "_jupyter_session_path", lambda: str(copy))
    else:
        monkeypatch.setenv("JPY_SESSION_NAME", str(copy))
    assert export.find_notebook(namespace) == copy


@pytest.mark.parametrize(
    ("named", "message"),
    [
        (None, 'cannot tell which notebook this kernel runs: pass its file name, for example grader.export("mnist.ipynb")'),
        ("gone.ipynb", "does not exist: save the notebook, or pass its file name"),
        ("notes.txt", "notes.txt is not a notebook"),
    ],
)
def test_a_notebook_that_cannot_be_found_is_refused_in_one_line(tmp_path, monkeypatch, no_session, capsys, named, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("")
    assert Grader().export(named, global_env={}) is None
    printed = capsys.readouterr().out
    assert printed.startswith("✗ Not exported: ") and message in printed and printed.count("\n") == 1
    assert not list(tmp_path.glob("*.zip"))


def test_functions_the_kernel_ran_unsaved_are_named_and_nothing_is_zipped(tmp_path, monkeypatch, no_session, capsys):
    saved = write_notebook(tmp_path / "mine.ipynb", RIGHT)
    namespace = kernel_namespace(tmp_path, EDITED)
    assert export.unsaved_functions(json.loads(saved.read_text()), namespace) == ["cast_labels"]
    assert Grader().export(str(saved), global_env=namespace) is None
    printed = capsys.readouterr().out
    assert "cast_labels in the saved mine.ipynb is not what this kernel last ran" in printed
    assert export.SAVE_FIRST in printed and printed.count("\n") == 1 and not list(tmp_path.glob("*.zip"))


def test_a_saved_notebook_is_zipped_beside_itself_with_its_receipt(tmp_path, monkeypatch, no_session, capsys):
    work = tmp_path / "course" / "week 3"
    work.mkdir(parents=True)
    saved = write_notebook(work / "mine.ipynb", "import numpy as np", "# a comment the kernel never saw\n" + RIGHT)
    monkeypatch.chdir(tmp_path)  # the kernel's folder is not the notebook's
    namespace = kernel_namespace(tmp_path, RIGHT)
    assert Grader().export(global_env={**namespace, "__vsc_ipynb_file__": str(saved)}) is None
    printed = capsys.readouterr().out
    (zip_path,) = tmp_path.rglob("*.zip")
    assert zip_path.parent == work and zipfile.ZipFile(zip_path).namelist() == ["mine.ipynb"]
    assert printed.endswith(f"Wrote {zip_path.name} beside the notebook: upload it.\n")
    assert zipfile.ZipFile(zip_path).read("mine.ipynb") == saved.read_bytes()
    assert f"zip SHA-256 {hashlib.sha256(zip_path.read_bytes()).hexdigest()}" in printed
    assert "q2  cast_labels: code cell 2, at def cast_labels(y):" in printed  # its own def line, not the cell's first
    assert "q1  shuffle_split: NOT FOUND" in printed


def test_the_receipt_names_stubs_missing_functions_syntax_errors_and_notebook_variables():
    notebook = notebook_of(
        "X_test = load()\nLIMIT = 3",
        'def accuracy(clf, X, y):\n    """Doc."""\n    raise NotImplementedError("accuracy: ...")',
        "def cross_val_accuracy(clf, X, y, cv=5):\n    def score():\n        return X_test.sum() + LIMIT\n    return score()",
        "def fit_binary_classifier(X, y_binary):\n    return (",
    )
    found = {f.name: f for _, functions in export.receipt(notebook, "n.ipynb").questions for f in functions}
    assert found["accuracy"].unanswered and found["accuracy"].cell == "code cell 2, at def accuracy(clf, X, y):"
    assert found["cross_val_accuracy"].reads == ("X_test",)  # LIMIT is a literal: the grade defines it too
    assert found["fit_binary_classifier"].cell is None
    assert set(found) == {f for unit in QUESTIONS.values() for f in unit.functions}
    (problem,) = export.receipt(notebook, "n.ipynb").problems
    assert problem == "code cell 4 (def fit_binary_classifier(X, y_binary):) has a syntax error on its line 2: '(' was never closed"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "No receipt: the upload cannot be read as a notebook"),
        (b"\xff\xfe", "No receipt: the upload cannot be read as a notebook"),
        (json.dumps(notebook_of("x = (" * 300 + ")" * 300)).encode(), "has a syntax error"),
        (json.dumps(notebook_of("def f():\n    return 1\n" * 20_000)).encode(), "is too long to read"),
    ],
)
def test_a_hostile_upload_gets_a_receipt_or_one_line(raw, expected):
    text = export.receipt_in_child(raw, "up.ipynb")
    assert expected in text and len(text) < 2_000


def test_gradescope_shows_the_receipt_first_visible_and_worth_nothing():
    result = Result(Status.GRADED, {}, 1.0, 1.0, sandbox={"kind": "bwrap"})
    shown = gradescope.gradescope_results(result, visibility={"public": "visible", "hidden": "visible"}, receipt="Receipt for x")
    first = shown["tests"][0]
    assert (first["name"], first["score"], first["max_score"], first["visibility"]) == (gradescope.RECEIPT_TEST, 0, 0, "visible")
    assert first["output"] == "Receipt for x" and shown["score"] == 1.0


def test_two_exports_in_the_same_second_never_overwrite_one_another(tmp_path, monkeypatch, no_session):
    path = write_notebook(tmp_path / "mnist.ipynb", RIGHT)
    namespace = kernel_namespace(tmp_path, RIGHT)
    monkeypatch.setattr(export.time, "strftime", lambda pattern: "2026_12_05T00_43_08")  # one second, frozen
    made = [export.export(namespace, path)[0] for _ in range(3)]
    assert [p.name for p in made] == ["mnist_2026_12_05T00_43_08.zip", "mnist_2026_12_05T00_43_08_2.zip", "mnist_2026_12_05T00_43_08_3.zip"]
    assert all(zipfile.ZipFile(p).namelist() == ["mnist.ipynb"] for p in made)
