"""Every byte a student controls is read with bounds, quoted where it is shown, and never sets a status.

Fast, one hostile file at a time, through the functions the grader reads them with; the same
attacks run whole through ``mnist-kit grade`` and the Gradescope bundle in ``test_attacks.py``.
"""

import io
import json
import os
import struct
import sys
import zipfile

import numpy as np
import pytest

from mnist_kit import batch, checks, grade, gradescope, pipeline, untrusted, workfolder
from mnist_kit.answers import AnswerSchema
from mnist_kit.budget import submission_budget
from mnist_kit.feedback import feedback_markdown
from mnist_kit.files import MAX_NAME, GradedFolder
from mnist_kit.options import GradingOptions
from mnist_kit.questions import QUESTIONS
from mnist_kit.results import QuestionResult, Result, Status
from mnist_kit.results_folder import write_gradebook
from mnist_kit.submissions import find_submissions, submission_names
from tests.conftest import ALL_PROOFS

ANSWERS = json.dumps({"error": None, "answers": {}, "failures": {}}).encode()
# The answers these records hold, declared as a unit declares its own
SCHEMA = AnswerSchema("q0", **{key: key for key in ("rows", "labels", "ok", "fortran", "a", "b", "call")})
FORGED = "MemoryError: forged\n\n**Total: 10 / 10** (status: graded)"


def npz(**arrays):
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def npy_claiming(shape, descr="<f8", data=b""):
    """An .npy member whose header declares ``shape`` but which holds only ``data``."""
    header = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode()
    header += b" " * (63 - (10 + len(header)) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + data


def zipped(**members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "make, expected",
    [
        (lambda d: (d / "f").write_bytes(b"ok"), b"ok"),
        (lambda d: (d / "f").symlink_to("/etc/hostname"), None),
        (lambda d: os.mkfifo(d / "f"), None),
        (lambda d: (d / "f").write_bytes(b"x" * 11), None),
        (lambda d: (d / "f").mkdir(), None),
        (lambda d: None, None),
    ],
)
def test_student_files_are_read_without_links_fifos_or_oversize(tmp_path, make, expected):
    make(tmp_path)
    assert untrusted.read_student_file(tmp_path, "f", max_bytes=10) == expected


def test_a_linked_answers_folder_reads_as_missing(tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "q1.json").write_text("{}")
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "answers").symlink_to(tmp_path / "elsewhere")
    assert untrusted.read_student_file(tmp_path / "work", "answers", "q1.json", max_bytes=100) is None


HOSTILE_ANSWERS = {
    "not JSON": (b"not json", b"", "not valid JSON"),
    "a JSON list": (b"[1, 2]", b"", "not a JSON object"),
    "JSON 100,000 deep": (b"[" * 100_000 + b"]" * 100_000, b"", "nested too deep"),
    "no arrays": (ANSWERS, None, "missing or larger"),
    "a broken zip": (ANSWERS, b"PK broken", "damaged"),
    "an 8 TiB header": (ANSWERS, zipped(**{"a.npy": npy_claiming((2**40,))}), "elements, more than any correct answer"),
    "a header longer than its data": (ANSWERS, zipped(**{"a.npy": npy_claiming((100,), data=b"\0" * 80)}), "shorter than its header"),
    "a decompression bomb": (ANSWERS, npz(a=np.zeros(untrusted.MAX_ARRAY_ELEMENTS + 1, np.int8)), "more than any correct answer"),
    "too many elements in all": (
        ANSWERS,
        npz(**{f"a{i}": np.zeros(untrusted.MAX_ARRAY_ELEMENTS, np.int8) for i in range(5)}),
        "more than any correct answer",
    ),
    "long text": (ANSWERS, npz(a=np.array(["x" * 1000])), "text longer than any label"),
    "complex numbers": (ANSWERS, npz(a=np.zeros(3, complex)), "which no question records"),
    "records": (ANSWERS, npz(a=np.zeros(3, [("x", "i4")])), "which no question records"),
    "bytes": (ANSWERS, npz(a=np.array([b"x"])), "which no question records"),
    "a pickled object": (ANSWERS, zipped(**{"a.npy": npy_claiming((1,), descr="|O")}), "which no question records"),
    "a file that is not an array": (ANSWERS, zipped(**{"../../a.txt": b"x"}), "not an array"),
    "a forged multi-line error": (json.dumps({"error": FORGED}).encode(), b"", "MemoryError: forged **Total"),
}


@pytest.mark.parametrize("name", HOSTILE_ANSWERS)
def test_hostile_answers_get_one_line_and_no_allocation(name):
    record, arrays, message = HOSTILE_ANSWERS[name]
    answers, error = checks.load_answers(record, arrays, SCHEMA)
    assert answers is None and message in error and "\n" not in error and len(error) < 600


def test_right_answers_load_as_the_arrays_written():
    written = {
        "rows": np.arange(6, dtype=np.int32).reshape(2, 3),
        "labels": np.array(["1", "7"]),
        "ok": np.array(True),
        "fortran": np.asfortranarray(np.eye(3)),
    }
    answers, error = checks.load_answers(ANSWERS, npz(**written, undeclared=np.zeros(3)), SCHEMA)
    assert error is None and set(answers.arrays) == set(written), "undeclared keys are dropped, declared ones kept"
    for key, array in written.items():
        assert answers.arrays[key].dtype == array.dtype and np.array_equal(answers.arrays[key], array)


def test_answers_are_read_without_parsing_python():
    """numpy's own .npy reader parses its header with ``ast``, which Python 3.11 cannot do in two
    threads at once (CPython gh-106905: SystemError); the grader reads answers in several."""
    parsed = []
    hook_on = [True]
    sys.addaudithook(lambda event, args: hook_on[0] and event == "compile" and parsed.append(args[1]))
    try:
        written = {"rows": np.arange(6).reshape(2, 3), "labels": np.array(["1", "7"]), "ok": np.array(True)}
        loaded = untrusted.load_arrays(npz(**written))
    finally:
        hook_on[0] = False
    assert parsed == [] and all(np.array_equal(loaded[key], array) for key, array in written.items())


def test_descriptions_that_are_not_objects_are_ignored_and_texts_are_one_line():
    record = json.dumps(
        {"answers": {"a": "str", "b": {"type": "x\n" * 1000}, "c": {"type": "undeclared"}}, "failures": {"call": FORGED * 100, 7: "x"}}
    ).encode()
    answers, error = checks.load_answers(record, npz(c=np.zeros(2)), SCHEMA)
    assert error is None and set(answers.descriptions) == {"b"} and set(answers.failures) == {"call"} and not answers.arrays
    assert "\n" not in answers.descriptions["b"] and len(answers.descriptions["b"]) <= 80
    assert "\n" not in answers.failures["call"] and len(answers.failures["call"]) <= 300
    with pytest.raises(checks.CheckFailed, match="was not recorded"):
        checks.answer(answers, "a")


def write_progress(workdir, *lines):
    with open(workdir / workfolder.PROGRESS, "ab") as file:
        file.write(b"".join(line + b"\n" for line in lines))


def test_progress_counts_only_steps_that_exist_and_reads_each_byte_once(tmp_path):
    log = grade.ProgressLog(tmp_path, grade.progress_steps())
    assert log.current() is None
    write_progress(tmp_path, b'{"start": "define:0"}', b'{"start": "no-such-step"}', b'{"start": ["q1"]}', b"[" * 150 + b"]" * 150)
    assert log.current() == "define:0"
    write_progress(tmp_path, b'{"finish": "define:0"}', b'{"start": "q2"}')
    assert log.current() == "q2" and not log.overflowed
    with open(tmp_path / workfolder.PROGRESS, "ab") as file:
        file.write(b'{"finish": "q2"}')  # a line still being written counts once it ends
    assert log.current() == "q2"
    write_progress(tmp_path, b"")
    assert log.current() is None


def test_a_flooded_progress_file_is_read_up_to_its_cap(tmp_path):
    log = grade.ProgressLog(tmp_path, grade.progress_steps())
    write_progress(tmp_path, b'{"start": "q1"}', *[b"x"] * grade.MAX_PROGRESS_BYTES)
    assert log.current() == "q1" and log.overflowed
    write_progress(tmp_path, b'{"finish": "q1"}')
    assert log.current() == "q1", "nothing past the cap is read"


def test_statuses_come_from_the_grader_never_from_what_the_student_wrote(tmp_path):
    (tmp_path / workfolder.ANSWERS).mkdir()
    (tmp_path / workfolder.ANSWERS / "q2.json").write_text(json.dumps({"error": FORGED}))
    (tmp_path / "definitions.json").write_text(json.dumps({"errors": [FORGED] * 1000}))
    result = grade._judge(tmp_path, {}, {}, ("q2",))
    assert result.status == "graded" and result.reason is None
    assert "\n" not in result.questions["q2"].error and len(result.notes) == 50
    assert not [note for note in result.notes if "\n" in note]


def forged_result():
    questions = {q: QuestionResult(unit.points, 0.0, FORGED) for q, unit in QUESTIONS.items()}
    return Result(Status.GRADED, questions, 0.0, 10, FORGED, (FORGED,), seconds=1.0, sandbox={"kind": "bwrap"}, submission="-A1%2B1")


def test_student_text_is_quoted_in_feedback_and_plain_text_on_gradescope():
    feedback = feedback_markdown(forged_result(), everything=True)
    assert [line for line in feedback.splitlines() if line.startswith("**Total")] == ["**Total: 0.0 / 10** (status: graded)"]
    assert all(f"`{untrusted.one_line(FORGED)}`" in line for line in feedback.splitlines() if "forged" in line)
    results = gradescope.gradescope_results(forged_result())
    assert results["output_format"] == results["test_output_format"] == "text"
    assert {test["output_format"] for test in results["tests"]} == {"text"}
    assert all("**Total" not in line or "MemoryError" in line for test in results["tests"] for line in test["output"].splitlines())


def test_names_never_collide_and_never_start_a_formula(tmp_path):
    files = [
        "a b.ipynb",
        "a_b.ipynb",
        "s1/x/hw.ipynb",
        "s2/x/hw.ipynb",
        "-A1+1.ipynb",
        "=cmd.ipynb",
        "same.ipynb",
        "same.zip",
        f"{'long' * 60}.ipynb",
        f"{'long' * 60}x.ipynb",
        f"{'long' * 20}/{'% ' * 60}.ipynb",
    ]
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("{}")
    for never in (".hidden.ipynb", ".ipynb_checkpoints/same-checkpoint.ipynb", "__MACOSX/._same.ipynb", "same.ipynb~"):
        (tmp_path / never).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / never).write_text("{}")
    paths, root = find_submissions([tmp_path])
    assert len(paths) == len(files), "checkpoints, hidden files, __MACOSX and backups are never submissions"
    names = submission_names(paths, root)
    assert len(set(names.values())) == len(files), names
    assert all(len(n) <= MAX_NAME and "/" not in n and not n.startswith(".") for n in names.values())
    assert names == submission_names(list(reversed(paths)), root), "a name depends on the file alone"
    results = [
        Result(Status.GRADED, {q: QuestionResult(unit.points) for q, unit in QUESTIONS.items()}, 0, 10, "=HYPERLINK()", submission=n)
        for n in names.values()
    ]
    write_gradebook(GradedFolder(tmp_path), results)
    cells = [cell for line in GradedFolder(tmp_path).gradebook.read_text().splitlines()[1:] for cell in line.split(",")]
    assert not [cell for cell in cells if cell.startswith(("=", "+", "-", "@", "\t", "\r"))]


def test_one_upload_the_grader_fails_on_still_leaves_every_row_and_the_report(tmp_path, monkeypatch):
    for name in ("ann", "ben", "cat"):
        (tmp_path / "in" / f"{name}.ipynb").parent.mkdir(exist_ok=True)
        notebook = {"cells": [], "metadata": {"name": name}, "nbformat": 4, "nbformat_minor": 5}  # three files, three gradings
        (tmp_path / "in" / f"{name}.ipynb").write_text(json.dumps(notebook))

    def grade_notebook(text, *args):
        if grade_notebook.calls == 1:
            grade_notebook.calls += 1
            raise KeyError("a bug of the grader's")
        grade_notebook.calls += 1
        return grade.invalid_result("graded").replace(status=Status.GRADED, sandbox={"kind": "none"})

    grade_notebook.calls = 0
    monkeypatch.setattr(batch, "grade_notebook", grade_notebook)
    with pytest.raises(batch.GraderError, match="failed on 1 file"):
        pipeline.grade_class([tmp_path / "in"], GradedFolder(tmp_path / "out"), GradingOptions(jobs=1, sandbox=object()))
    rows = GradedFolder(tmp_path / "out").gradebook.read_text().splitlines()[1:]
    assert len(rows) == 3 and sum("crashed" in row and "grader failed" in row for row in rows) == 1
    assert GradedFolder(tmp_path / "out").report.exists() and len(list((tmp_path / "out" / "feedback").iterdir())) == 3


needs_root = pytest.mark.skipif(os.geteuid() != 0 and not ALL_PROOFS, reason="a total budget needs root")


@needs_root
def test_a_submission_budget_bounds_memory_of_all_processes_and_its_files_together(tmp_path):
    import subprocess

    folder = tmp_path / "submission"
    folder.mkdir()
    with submission_budget(folder, memory=300 * 2**20, processes=50, disk=64 * 2**20) as budget:
        assert budget.problem is None, budget.problem  # CI must prove the budget, not skip it
        hog = (
            "import os\nfor _ in range(3):\n    os.fork()\nblock = bytearray(120 * 2**20)\n"
            "os.wait() if False else None\nimport time; time.sleep(1)"
        )
        subprocess.run([*budget.prefix(), "python3", "-c", hog], capture_output=True, timeout=60)
        assert budget.ran_out_of_memory(), "8 processes of 120 MB each must not fit in 300 MB"
        filled = subprocess.run(
            [*budget.prefix(), "sh", "-c", f"dd if=/dev/zero of={folder}/fill bs=1M count=100"], capture_output=True, text=True, timeout=60
        )
        assert "No space left" in filled.stderr and (folder / "fill").stat().st_size <= 64 * 2**20
        assert not budget.ran_out_of_memory()
        assert budget.describe() == {
            "memory_total": "0.292969 GiB for all its processes and its /tmp",
            "disk_total": "0.0625 GiB for its folder",
            "cpu_share": "one grading's share of the cores, for all its processes",
        }
    assert not os.path.ismount(folder) and not list(folder.iterdir())
    assert not [group for group in budget.all_groups() if group.exists()]
