"""Written questions: the rubric, reading the answers, the marks file, and what a mark adds to a gradebook.

The page itself, in a real browser, is tests/test_marking_browser.py's.
"""

import copy
import csv
import doctest
import json
import urllib.error
import urllib.request

import pytest

from mnist_kit import build, cli, marking, results_folder, rubric, written
from mnist_kit.files import GradedFolder
from mnist_kit.marking import Mark, MarkBook, MarkError, mark_books, with_marks
from mnist_kit.marking_page import MarkingServer, MarkingSession
from mnist_kit.questions import QUESTIONS, WRITTEN
from mnist_kit.results import MARKED, NO_ANSWER, PLACEHOLDER, TO_MARK, TO_REVIEW, QuestionResult, Result, Status, WrittenAnswer
from mnist_kit.rubric import RubricError, read_rubric
from tests.test_questions import ROOT, notebooks  # noqa: F401 - a fixture

QUESTION = next(iter(WRITTEN))
POINTS = WRITTEN[QUESTION].points


@pytest.mark.parametrize("module", [rubric, marking, written])
def test_the_modules_examples_hold(module):
    failed, tried = doctest.testmod(module)
    assert failed == 0 and tried


GOOD_ITEM = '[[item]]\nkey = "1"\npoints = 2\nlabel = "pair"\ncomment = "named a pair"\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[item]\nkey = 1", r"rubric.toml does not parse \(.*\); fix the TOML"),
        ('[[item]]\nkey = "1"\nlabel = "pair"\n', r"rubric.toml: item 1 \(1\) has no points; give it points = N"),
        (GOOD_ITEM + GOOD_ITEM, r"rubric.toml: item 2 has key '1', which another item has; give each item its own key"),
        ('[[item]]\nkey = "1"\npoints = 1\nlabel = "pair"\n', r"the positive items add up to 1 points, but q9 is worth 2; make them agree"),
        ('[[item]]\nkey = "n"\npoints = 2\nlabel = "pair"\n', r"item 1 has key 'n'; give it one of"),
        ('[[item]]\nkey = "c"\npoints = 2\nlabel = "pair"\n', r"item 1 has key 'c'; give it one of .* c to comment"),
        ('[[item]]\nkey = "1"\npoints = 2\n', r"item 1 \(1\) has no label"),
        ("", r"no \[\[item\]\] tables"),
    ],
)
def test_a_rubric_that_cannot_be_used_is_one_line_naming_the_file_and_item(tmp_path, text, message):
    path = tmp_path / "rubric.toml"
    path.write_text(text)
    with pytest.raises(RubricError, match=message) as error:
        read_rubric(path, "q9", 2)
    assert "\n" not in str(error.value) and str(path) in str(error.value)


def test_the_assignments_written_question_has_a_rubric_that_adds_up():
    loaded = WRITTEN[QUESTION].rubric()
    assert sum(item.points for item in loaded.items if item.points > 0) == POINTS
    assert any(item.points < 0 for item in loaded.items), "a deduction a marker can apply"
    assert all(item.comment for item in loaded.items), "every item says something to the student"


def _notebook(*cells):
    return {"cells": [{"cell_type": kind, "metadata": meta, "source": text} for kind, meta, text in cells]}


TAG = {"tags": [written.ANSWER_TAG]}


def test_answers_are_read_by_question_region_as_text():
    notebook = _notebook(
        ("markdown", {}, f"{written.BEGIN}\n\nWhich digits?"),
        ("code", TAG, "def f(): pass"),
        ("markdown", TAG, "<b>4s</b> read as **9s**"),
        ("markdown", {}, f"{written.END}\n\n## Next"),
        ("markdown", {}, f"{written.BEGIN} second"),
        ("markdown", TAG, PLACEHOLDER),
        ("markdown", {}, written.END),
    )
    answers = written.written_answers(notebook, ["q7", "q8", "q9"])
    assert answers["q7"].text == "<b>4s</b> read as **9s**" and answers["q7"].state == "answered"
    assert answers["q8"].state == "untouched" and answers["q9"].state == "empty"


def test_without_the_markers_answers_are_the_tagged_cells_in_order_and_long_ones_are_cut():
    notebook = _notebook(("markdown", TAG, "x" * (written.MAX_ANSWER_CHARS + 5)), ("markdown", TAG, "second"))
    first, second = written.written_answers(notebook, ["q7", "q8"]).values()
    assert len(first.text) == written.MAX_ANSWER_CHARS and first.truncated and second.text == "second"


def _result(name, text, **questions):
    entries = {"q1": QuestionResult(1.0, 1.0)} | questions
    return Result(Status.GRADED, entries, 1.0, 1.0, submission=name, written={QUESTION: WrittenAnswer(text)})


def test_a_mark_counts_once_made_on_that_text_and_follows_the_rubrics_points(tmp_path):
    folder = GradedFolder(tmp_path)
    book = MarkBook.load(folder, WRITTEN[QUESTION])
    ann, ben, cat, dan = _result("ann", "4s and 9s"), _result("ben", "4S  and 9s"), _result("cat", PLACEHOLDER), _result("dan", "5s")
    keys = [item.key for item in book.rubric.items if item.points > 0]
    book.mark(["ann", "ben"], keys[:2], "Good eye.", ann.written[QUESTION])
    books = mark_books(folder)
    outcomes = {r.submission: with_marks(r, books).questions[QUESTION] for r in (ann, ben, cat, dan)}
    assert [outcomes[n].marking for n in ("ann", "ben", "cat", "dan")] == [MARKED, MARKED, NO_ANSWER, TO_MARK]
    assert outcomes["ann"].score == 2.0 and "Good eye." in outcomes["ann"].remarks
    assert with_marks(ann, books).total == 3.0 and with_marks(ann, books).possible == 1.0 + POINTS
    assert with_marks(dan, books).total == 1.0, "the kit never claims points it did not mark"
    books[QUESTION].set_points(keys[0], 0.5)
    assert with_marks(ann, mark_books(folder)).questions[QUESTION].score == 1.5
    resubmitted = _result("ann", "now 5s and 3s")
    again = with_marks(resubmitted, mark_books(folder)).questions[QUESTION]
    assert (again.marking, again.score) == (TO_REVIEW, 0.0)
    assert mark_books(folder)[QUESTION].marks["ann"].items == tuple(keys[:2]), "the mark is kept for review"


def test_the_gradebook_shows_marked_points_and_what_waits(tmp_path):
    folder = GradedFolder(tmp_path)
    book = MarkBook.load(folder, WRITTEN[QUESTION])
    ann, dan = _result("ann", "4s and 9s"), _result("dan", "5s")
    book.mark(["ann"], [book.rubric.items[0].key], "", ann.written[QUESTION])
    results_folder.write_gradebook(folder, [ann, dan])
    rows = {row["submission"]: row for row in csv.DictReader(folder.gradebook.open())}
    assert rows["ann"][QUESTION] == "1.0" and rows["ann"]["total"] == "2.0" and rows["ann"]["possible"] == str(1.0 + POINTS)
    assert rows["dan"][QUESTION] == TO_MARK and rows["dan"]["total"] == "1.0"


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda data: data["marks"]["ann"].update(items=["z"]), r"ann's mark applies item 'z', which its rubric has not; fix that entry"),
        (lambda data: data["rubric"].append(dict(data["rubric"][0])), r"which another item has; give each item its own key"),
        (lambda data: data["rubric"][0].pop("points"), r"has no points"),
        (lambda data: data.pop("marks"), r"cannot be read \(KeyError"),
    ],
)
def test_a_marks_file_edited_by_hand_is_refused_in_one_line_and_left_as_it_is(tmp_path, edit, message):
    folder = GradedFolder(tmp_path)
    MarkBook.load(folder, WRITTEN[QUESTION]).mark(["ann"], [], "", WrittenAnswer("4s"))
    path = folder.marks_for(QUESTION)
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    before = path.read_bytes()
    with pytest.raises(MarkError, match=message) as error:
        mark_books(folder)
    assert "\n" not in str(error.value) and path.read_bytes() == before


def _graded(tmp_path, *results):
    folder = GradedFolder(tmp_path)
    for result in results:
        results_folder.store_result(folder, result)
    return folder


def test_a_mark_of_a_submission_the_folder_has_not_is_named_before_the_page_starts(tmp_path, capsys):
    folder = _graded(tmp_path, _result("ann", "4s"))
    book = MarkBook.load(folder, WRITTEN[QUESTION])
    book.marks["zed"] = Mark((), "", "x")
    book.save()
    assert cli.main(["mark", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "marks 'zed', which has no result here" in err


def test_marking_an_unknown_question_or_an_ungraded_folder_is_one_line(tmp_path, capsys):
    assert cli.main(["mark", str(tmp_path), "--question", "q1"]) == 1
    assert "there is no written question 'q1'" in capsys.readouterr().err
    assert cli.main(["mark", str(tmp_path)]) == 1
    assert "holds no graded results" in capsys.readouterr().err


def _request(url, body=None, host=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    if host:
        request.add_header("Host", host)
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own server on 127.0.0.1
        return json.loads(response.read())


def test_the_page_answers_only_with_its_secret_and_saves_each_mark_before_it_answers(tmp_path):
    import threading

    folder = _graded(tmp_path, _result("ann", "<script>alert(1)</script> 4s"), _result("ben", "4S"), _result("cat", "4s"))
    server = MarkingServer(MarkingSession(folder, QUESTION))
    threading.Thread(target=server.serve, daemon=True).start()
    try:
        base, token = server.url.split("?")
        for url, host in (
            (base + "api/state", None),
            (base + "api/state?token=wrong", None),
            (server.url.replace("/?", "/api/state?"), "evil.example:80"),
        ):
            with pytest.raises(urllib.error.HTTPError) as refused:
                _request(url, host=host)
            assert refused.value.code == 403
        state = _request(server.url.replace("/?", "/api/state?"))
        groups = {tuple(g["members"]): g for g in state["groups"]}
        assert set(groups) == {("ann",), ("ben", "cat")}, "the same answer after whitespace and case is one group"
        assert groups[("ann",)]["text"] == "<script>alert(1)</script> 4s", "the text as written, for the page to show as text"
        key = state["rubric"][0]["key"]
        _request(server.url.replace("/?", "/api/mark?"), {"index": groups[("ben", "cat")]["index"], "items": [key], "comment": "ok"})
        saved = json.loads(folder.marks_for(QUESTION).read_text())["marks"]
        assert saved["ben"]["items"] == [key] and saved["cat"]["items"] == [key]
    finally:
        server.stop()


def _without_block(master, name):
    edited = copy.deepcopy(master)
    cells = edited["cells"]
    start = next(i for i, c in enumerate(cells) if c["cell_type"] == "raw" and f"name: {name}" in "".join(c["source"]))
    end = next(i for i in range(start, len(cells)) if "# END QUESTION" in "".join(cells[i]["source"]))
    del cells[start : end + 1]
    return edited


def test_the_build_names_a_written_question_the_pieces_disagree_on(notebooks):  # noqa: F811 - the fixture
    master, student = notebooks
    with pytest.raises(
        build.BuildError, match=rf"has the written questions \[\] \(manual: true\) but WRITTEN_REGISTRY .* lists \['{QUESTION}'\]"
    ):
        build.check_questions(_without_block(master, QUESTION), student)
    no_answer = copy.deepcopy(student)
    no_answer["cells"] = [
        c for c in no_answer["cells"] if not (c["cell_type"] == "markdown" and written.ANSWER_TAG in c["metadata"].get("tags", []))
    ]
    with pytest.raises(build.BuildError, match=rf"written question {QUESTION} has no answer cell in the student release"):
        build.check_questions(master, no_answer)
    wrong_points = copy.deepcopy(master)
    for cell in wrong_points["cells"]:
        text = "".join(cell["source"])
        if cell["cell_type"] == "raw" and f"name: {QUESTION}" in text:
            cell["source"] = text.replace(f"points: {POINTS:g}", "points: 1")
    with pytest.raises(build.BuildError, match=rf"gives {QUESTION} 1 points but"):
        build.check_questions(wrong_points, student)


def test_a_rubric_without_a_question_is_named(notebooks, tmp_path, monkeypatch):  # noqa: F811 - the fixture
    from mnist_kit import questions

    stray = tmp_path / "q9_stray"
    stray.mkdir()
    (stray / "rubric.toml").write_text(GOOD_ITEM)
    monkeypatch.setattr(questions, "FOLDER", tmp_path)
    with pytest.raises(build.BuildError, match=r"q9_stray/rubric.toml is a rubric without a question: WRITTEN_REGISTRY"):
        build.check_questions(*notebooks)


def test_the_rubric_stays_out_of_the_student_release():
    release = {path.relative_to(ROOT / "assignment").as_posix() for path in (ROOT / "assignment").rglob("*") if path.is_file()}
    unit = f"mnist_kit/questions/{WRITTEN[QUESTION].package}"
    assert [p for p in release if WRITTEN[QUESTION].package in p] == [f"{unit}/__init__.py"], "its name and points, never its rubric"
    shipped = "".join((ROOT / "assignment" / p).read_text(errors="replace") for p in release if not p.endswith(".npz"))
    assert not [item.label for item in WRITTEN[QUESTION].rubric().items if item.label in shipped or item.comment in shipped]
    assert QUESTIONS, "the autograded questions are still there"


def test_the_receipt_and_grader_check_say_whether_the_written_answer_is_there_never_if_it_is_right(tmp_path):
    from mnist_kit import export
    from mnist_kit.notebook import Grader

    student = json.loads((ROOT / "assignment" / "mnist.ipynb").read_text())
    lines = export.receipt(student, "mnist.ipynb").lines()
    still = f'its cell still holds the text "{PLACEHOLDER}"'
    assert f"  {QUESTION} (written, marked by hand): ✗ not answered yet: {still}; write your answer over it, then save." in lines
    assert not any("Otter" in line for line in lines)  # students do not know Otter
    answered = copy.deepcopy(student)
    cell = next(c for c in answered["cells"] if c["cell_type"] == "markdown" and written.ANSWER_TAG in c["metadata"].get("tags", []))
    cell["source"] = "4s look like 9s to it."
    assert f"  {QUESTION} (written, marked by hand): your answer is there (6 words)." in export.receipt(answered, "m.ipynb").lines()
    saved = tmp_path / "mine.ipynb"
    saved.write_text(json.dumps(answered))
    report = Grader().check(QUESTION, {"__vsc_ipynb_file__": str(saved)})
    assert repr(report).startswith(f"{QUESTION} (written, marked by hand): your answer is there (6 words).")
    assert "marked by hand after the due date" in repr(report)


def test_answers_are_read_in_a_bounded_child_never_in_the_grader():
    long = {"cells": [{"cell_type": "markdown", "metadata": TAG, "source": "é" * (written.MAX_ANSWER_CHARS * 3)}]}
    (answer,) = written.written_in_child(json.dumps(long).encode(), ["q7"]).values()
    assert answer.truncated and answer.text == "é" * written.MAX_ANSWER_CHARS
    for hostile in (b"\xff\xfe not json", b"[" * 100_000 + b"]" * 100_000, b"[" + b"{}," * 3_000_000 + b"{}]"):
        assert written.written_in_child(hostile, ["q7"]) == {"q7": WrittenAnswer("")}


def test_the_export_receipt_keeps_the_written_answers_line(tmp_path):
    from mnist_kit import export

    saved = tmp_path / "mine.ipynb"
    saved.write_text((ROOT / "assignment" / "mnist.ipynb").read_text())
    _, made = export.export({"__vsc_ipynb_file__": str(saved)})
    assert made.sha256 and any(line.startswith(f"  {QUESTION} (written, marked by hand)") for line in made.lines())
