"""``grader.export()`` zips the notebook the student works in, refuses a stale one, and prints a receipt.

Fast: the notebook's file is found from each source a kernel may have, functions are compared
with the saved file, and the receipt is read from bytes as the grade reads them. The whole path,
in a real Jupyter server with a renamed copy, is ``test_student_notebook.py``'s slow test.
"""

import hashlib
import importlib.util
import json
import os
import zipfile

import pytest

from mnist_kit import export, gradescope, kernel_state, notebook
from mnist_kit.notebook import Grader
from mnist_kit.questions import QUESTIONS
from mnist_kit.results import CheckResult, Result, Status

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


BROKEN = "def cast_labels(y):\n    return y.astype('int8'\n"
SAVED_AT = 1_000_000.0
_PARSE = "has a syntax error on its line 2: '(' was never closed"
_AFTER = "running that cell changed nothing, so this kernel still runs the cast_labels from before your edit: fix the line, "
_EDITED_SAVED = "cast_labels: code cell 1 (def cast_labels(y):) in the saved mine.ipynb was edited and saved since this kernel ran it"
_CANNOT_TELL = "cast_labels: code cell 1 (def cast_labels(y):) in the saved mine.ipynb is not what this kernel last ran"
_GONE = (
    "cast_labels: this kernel runs it, but no cell of the saved mine.ipynb defines it, so the grade will not find it: write it "
    "back in a cell and save the notebook (Ctrl-S / Cmd-S), or, if you removed it on purpose, restart the kernel so that it "
    "forgets it (Kernel > Restart Kernel; then run the cells again)"
)
RUN, SAVE = "run that cell (Shift-Enter)", "save the notebook (Ctrl-S / Cmd-S)"
# How the saved notebook and the kernel part: (the saved cell, the cells the kernel ran as
# (seconds after the save, source), whether IPython reported them, what grader.check says (None:
# nothing), what grader.export() says).
PARTINGS = {
    "a cell that did not parse when run": (
        RIGHT,
        [(-50, RIGHT), (50, BROKEN)],
        True,
        f"cast_labels: the cell you last ran to define it {_PARSE}; {_AFTER}{RUN}",
        f"cast_labels: the cell you last ran to define it {_PARSE}; {_AFTER}{RUN}, then {SAVE}",
    ),
    "a saved cell that does not parse": (
        BROKEN,
        [(-50, RIGHT)],
        False,
        f"cast_labels: code cell 1 (def cast_labels(y):) {_PARSE} (in the saved mine.ipynb); {_AFTER}{RUN}",
        f"cast_labels: code cell 1 (def cast_labels(y):) {_PARSE} (in the saved mine.ipynb); {_AFTER}{RUN}, then {SAVE}",
    ),
    "run but not saved yet: how a student works": (
        RIGHT,
        [(-50, RIGHT), (50, EDITED)],
        True,
        None,
        f"cast_labels: code cell 1 (def cast_labels(y):) in the saved mine.ipynb is older than the cast_labels this kernel "
        f"last ran: {SAVE}",
    ),
    "edited and saved, not run": (EDITED, [(-50, RIGHT)], True, f"{_EDITED_SAVED}: {RUN}", f"{_EDITED_SAVED}: {RUN}"),
    "outside IPython, cannot tell which came last": (
        EDITED,
        [(-50, RIGHT)],
        False,
        f"{_CANNOT_TELL}: {RUN}, then {SAVE}",
        f"{_CANNOT_TELL}: {RUN}, then {SAVE}",
    ),
    "removed from the saved notebook": ("LIMIT = 3", [(-50, RIGHT)], True, _GONE, _GONE),
}


@pytest.fixture
def checks_run(monkeypatch):
    """grader.check with its public checks replaced by a report of one passed check: what is said around them is tested here."""
    passed = CheckResult("q2", "cast", True, "", hidden=False, weight=1.0)
    monkeypatch.setattr(notebook, "public_check", lambda question, namespace: notebook.CheckReport(question, (passed,)))


@pytest.mark.parametrize("parting", PARTINGS)
def test_a_kernel_that_parted_from_the_saved_notebook_is_told_why_and_what_to_do(
    tmp_path, monkeypatch, no_session, checks_run, capsys, parting
):
    saved_cell, ran, reported, checked_words, exported_words = PARTINGS[parting]
    saved = write_notebook(tmp_path / "mine.ipynb", saved_cell)
    os.utime(saved, (SAVED_AT, SAVED_AT))
    watch = kernel_state.CellWatch()
    for seconds, source in ran:
        watch.saw(source, at=SAVED_AT + seconds)
    monkeypatch.setattr(kernel_state, "watch_cells", lambda: watch if reported else None)
    kernel_source = next(source for _, source in reversed(ran) if source != BROKEN)
    namespace = {**kernel_namespace(tmp_path, kernel_source), "_ih": ["", *(s for _, s in ran)], "__vsc_ipynb_file__": str(saved)}
    # grader.check says it first, before any check result (or nothing); export refuses with its own words, and zips nothing.
    checked = repr(Grader().check("q2", global_env=namespace)).splitlines()
    if checked_words is None:
        assert checked[0] == "q2: all 1 public check pass.", checked
    else:
        assert checked[:2] == [
            "The saved notebook is not what this kernel runs, and the grade reads the saved one:",
            f"  ! {checked_words}",
        ]
        assert checked[2:4] == ["Until then, what follows checks the kernel's version:", "q2: all 1 public check pass."]
    assert Grader().export(global_env=namespace) is None
    assert capsys.readouterr().out == f"✗ Not exported: {exported_words}, then run this cell again\n"
    assert not list(tmp_path.glob("*.zip"))


def test_a_kernel_that_runs_the_saved_notebook_hears_nothing_of_it(tmp_path, no_session, checks_run):
    saved = write_notebook(tmp_path / "mine.ipynb", "import numpy as np", RIGHT)
    namespace = {**kernel_namespace(tmp_path, RIGHT), "_ih": ["", RIGHT], "__vsc_ipynb_file__": str(saved)}
    assert kernel_state.stale_lines(json.loads(saved.read_text()), namespace, ["cast_labels"], saved, for_export=True) == []
    assert repr(Grader().check("q2", global_env=namespace)).startswith("q2: all 1 public check pass.")


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
    assert printed.endswith(f"Wrote {zip_path.name} beside the notebook: {notebook.UPLOAD_WHICH}\n")
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


def test_the_graders_own_children_import_nothing_from_the_current_folder(tmp_path, monkeypatch):
    """An instructor may run the kit from a folder holding a student's files: its numpy.py must never run."""
    from mnist_kit.written import written_in_child

    marker = tmp_path / "ran"
    for name in ("numpy", "json", "mnist_kit"):
        (tmp_path / f"{name}.py").write_text(f"open({str(marker)!r}, 'a').write('{name} ')\n")
    monkeypatch.chdir(tmp_path)
    raw = json.dumps(notebook_of(RIGHT)).encode()
    assert export.receipt_in_child(raw, "mine.ipynb").startswith("Receipt for mine.ipynb")
    assert set(written_in_child(raw, ["q7"])) == {"q7"}
    assert not marker.exists(), marker.read_text()
