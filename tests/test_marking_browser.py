"""A class of 12 with written answers, marked through the page in headless Chromium, into course.csv and Canvas.

Everything a course does: grade with a roster, mark by keyboard on ``mnist-kit mark`` (a real
process, killed afterwards: every mark must already be on disk), change a rubric item's points,
rerun the grade, export for Canvas, then a resubmission with new text, which must be shown for
review and never scored with the old mark. Every number is checked against values computed here.
"""

import csv
import io
import json
import os
import signal
import subprocess
import sys

import pytest

from mnist_kit import cli
from mnist_kit.files import GradedFolder
from mnist_kit.questions import WRITTEN
from mnist_kit.results import PLACEHOLDER
from sample_submissions.notebooks import make_notebook
from tests.conftest import unavailable
from tests.course import canvas_shapes
from tests.course.realistic import KINDS, RAW, Person
from tests.test_report_browser import CHROMIUM, CHROMIUM_ARGS

QUESTION = next(iter(WRITTEN))
SAME = "The model reads 4s as 9s: a 4 with a closed top IS a 9."
WRITTEN_ANSWERS = {
    1: SAME,
    2: "  the model reads 4s as 9s:\n a 4 with a CLOSED top is a 9.  ",  # the same after whitespace and case
    3: "THE MODEL READS 4S AS 9S: A 4 WITH A CLOSED TOP IS A 9.",
    4: "",  # emptied
    5: PLACEHOLDER,  # untouched
    6: "<img src=x onerror=\"document.title='pwned'\"> **5s** as <b>3s</b> <script>document.title='pwned'</script>",
    7: "7s and 9s: the slanted stroke.",
    8: "2s and 7s.",
    9: "3s and 8s share their right half.",
    10: "1s and 7s.",
    11: "I do not know.",
    12: "5s and 6s: an open loop.",
}
PEOPLE = [Person(n, f"s{n:02d}", ("q1-q3", "q1", "none")[n % 3]) for n in range(1, 13)]
RESUBMITTED = 7


def _write_class(folder, changed=None):
    folder.mkdir(parents=True, exist_ok=True)
    for attachment, person in enumerate(PEOPLE, start=5000):
        text = (changed or {}).get(person.number, WRITTEN_ANSWERS[person.number])
        case = KINDS[person.kind]
        notebook = make_notebook(type(case)(case.name, case.functions, written={QUESTION: text}))
        (folder / f"{person.canvas_prefix}_{attachment}_mnist.ipynb").write_text(json.dumps(notebook))


def _roster(path):
    students = [canvas_shapes.CanvasStudent(p.name, p.id, p.sis_id, p.login, p.section) for p in PEOPLE]
    path.write_bytes(canvas_shapes.export(canvas_shapes.SHAPES["older, muted"], students).encode())


def _grade(tmp_path):
    command = ["grade", str(tmp_path / "class"), "--out", str(tmp_path / "graded"), "--roster", str(tmp_path / "roster.csv")]
    assert cli.main(command) == 0


def _start_marking(graded):
    process = subprocess.Popen(
        [sys.executable, "-m", "mnist_kit", "mark", str(graded)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    for line in process.stdout:
        if line.startswith("open "):
            return process, line.split(" ", 1)[1].strip()
    raise AssertionError(process.stderr.read())


def _course(graded):
    return {row["login"]: row for row in csv.DictReader((graded / "course.csv").open(encoding="utf-8"))}


def _canvas(tmp_path):
    assert cli.main(["export", "canvas", str(tmp_path / "graded"), "--out", str(tmp_path / "canvas.csv"), "--column", "MNIST (81234)"]) == 0
    rows = list(csv.DictReader(io.StringIO((tmp_path / "canvas.csv").read_text(encoding="utf-8"))))
    column = next(c for c in rows[0] if c.startswith("MNIST"))
    return {row["SIS Login ID"]: row[column] for row in rows if row["SIS Login ID"]}


def _plain(tmp_path):
    assert cli.main(["export", "csv", str(tmp_path / "graded"), "--out", str(tmp_path / "plain.csv")]) == 0
    return {row["login"]: row for row in csv.DictReader((tmp_path / "plain.csv").open(encoding="utf-8"))}


def _expected(marked):
    """Each student's final: the autograded points of their kind, and the written points marked on their current text."""
    return {p.login: round(RAW[p.kind] + marked.get(p.number, 0.0), 2) for p in PEOPLE}


def _mark_three_by_keyboard(page, url, keys):
    from playwright.sync_api import expect

    page.goto(url)
    page.wait_for_selector(".item")
    assert page.inner_text("#position") == "Answer 1 of 8"  # 12 answers: 2 blank, 3 the same: 8 to mark
    assert "3 students wrote this" in page.inner_text("#members")
    page.keyboard.press(keys[0])
    page.keyboard.press(keys[1])
    page.wait_for_selector(f".item.on[data-key='{keys[1]}']")
    page.keyboard.press("n")
    # The answer with HTML in it: shown as the text it is, nothing of it run or drawn.
    assert "<script>" in page.inner_text("#answer") and page.locator("#answer img").count() == 0
    page.keyboard.press(keys[2])
    page.wait_for_selector(f".item.on[data-key='{keys[2]}']")
    page.keyboard.press("ArrowRight")
    page.keyboard.press(keys[0])
    page.keyboard.press(keys[2])
    page.wait_for_selector(f".item.on[data-key='{keys[2]}']")
    page.keyboard.press("c")
    page.keyboard.type("Good reading of the matrix.")
    page.keyboard.press("Escape")
    expect(page.locator("#saved")).to_have_text("saved")  # (the page's policy allows no eval: no wait_for_function)
    # Item 1 is worth half a point from now on: every answer marked with it follows.
    assert page.inner_text("#score") == "2 / 3"
    page.fill(f"input[aria-label='points of item {keys[0]}']", "0.5")
    page.press(f"input[aria-label='points of item {keys[0]}']", "Tab")
    expect(page.locator("#score")).to_have_text("1.5 / 3")
    assert page.title() == "Marking"


@pytest.mark.slow
def test_a_class_marked_through_the_page_counts_its_marks_everywhere(tmp_path):
    from playwright.sync_api import sync_playwright

    if CHROMIUM is None:
        unavailable("Chromium is not installed (apt-get install chromium; .ci/run does)")
    _write_class(tmp_path / "class")
    _roster(tmp_path / "roster.csv")
    _grade(tmp_path)
    graded = tmp_path / "graded"
    rows = {row["submission"].split("_")[0]: row for row in csv.DictReader((graded / "grades.csv").open())}
    assert sorted(row[QUESTION] for row in rows.values()).count("to mark") == 10, "12 answers, 2 blank"
    rubric = WRITTEN[QUESTION].rubric()
    keys = [item.key for item in rubric.items if item.points > 0]
    marking, url = _start_marking(graded)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            errors = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            _mark_three_by_keyboard(page, url, keys)
            page.reload()
            page.wait_for_selector(".item")
            assert page.inner_text("#score") == "1.5 / 3" and page.inner_text("#state") == "marked"
            assert page.inner_text("#summary").startswith("3 of 8 answers marked")
            page.screenshot(path=str(tmp_path / "marking.png"))
            browser.close()
        assert errors == []
    finally:
        marking.send_signal(signal.SIGKILL)  # no chance to save anything more: every mark must be on disk already
        marking.wait()
    saved = json.loads(GradedFolder(graded).marks_for(QUESTION).read_text())
    login = {name: next(p.login for p in PEOPLE if name.startswith(p.canvas_prefix + "_")) for name in saved["marks"]}
    assert {login[name]: mark["items"] for name, mark in saved["marks"].items()} == {
        **{p.login: [keys[0], keys[1]] for p in PEOPLE[:3]},
        "s06": [keys[2]],
        "s07": [keys[0], keys[2]],
    }
    written = {1: 1.5, 2: 1.5, 3: 1.5, 6: 1.0, 7: 1.5}  # item 1 now 0.5, items 2 and 3 one point each

    _grade(tmp_path)  # nothing is graded again: the marks enter course.csv, the feedback and the report
    course = _course(graded)
    assert {login: float(row["final"]) for login, row in course.items()} == _expected(written)
    assert course["s07"]["to_mark"] == "" and course["s08"]["to_mark"] == f"{QUESTION} (to mark)" and course["s04"]["to_mark"] == ""
    assert {login: float(v) for login, v in _canvas(tmp_path).items()} == _expected(written)
    plain = _plain(tmp_path)
    assert {login: float(row["final"]) for login, row in plain.items()} == _expected(written)
    assert {login: float(row[QUESTION]) for login, row in plain.items()} == {p.login: written.get(p.number, 0.0) for p in PEOPLE}
    feedback = next((graded / "students").glob("s07*.md")).read_text()
    assert "Good reading of the matrix." in feedback and f"{QUESTION} (written, marked by hand): 1.5 / 3" in feedback
    assert "written-" + QUESTION in (graded / "report.html").read_text()

    # A resubmission with new text: its mark is kept, shown for review, and counts nothing until marked again.
    (tmp_path / "class").rename(tmp_path / "first")
    _write_class(tmp_path / "class", {RESUBMITTED: "Now I think 5s and 3s."})
    _grade(tmp_path)
    course = _course(graded)
    assert course["s07"]["to_mark"] == f"{QUESTION} (to review)"
    assert {login: float(row["final"]) for login, row in course.items()} == _expected({**written, RESUBMITTED: 0.0})
    assert {login: float(v) for login, v in _canvas(tmp_path).items()} == _expected({**written, RESUBMITTED: 0.0})
    marking, url = _start_marking(graded)
    try:
        import urllib.request

        state = json.loads(urllib.request.urlopen(url.replace("/?", "/api/state?"), timeout=10).read())  # noqa: S310 - ours
        review = [g for g in state["groups"] if g["state"] == "to review"]
        assert [g["text"] for g in review] == ["Now I think 5s and 3s."] and review[0]["items"] == [keys[0], keys[2]]
    finally:
        os.kill(marking.pid, signal.SIGTERM)
        marking.wait()


def test_keys_pressed_while_a_save_is_on_its_way_are_neither_undone_nor_lost(tmp_path):
    """The server's answer to an older save arrives after newer keys: the newer keys stay, shown and saved.

    The second save is held in the browser until the page has heard back from the first, so the
    order that lost a mark in CI (an older answer redrawn over newer keys, then sent back) happens every run.
    """
    import threading

    from playwright.sync_api import expect, sync_playwright

    from mnist_kit.marking_page import MarkingServer, MarkingSession
    from tests.test_marking import _graded, _result

    if CHROMIUM is None:
        unavailable("Chromium is not installed (apt-get install chromium; .ci/run does)")
    folder = _graded(tmp_path, _result("ann", "4s and 9s"))
    keys = [item.key for item in WRITTEN[QUESTION].rubric().items if item.points > 0]
    server = MarkingServer(MarkingSession(folder, QUESTION))
    threading.Thread(target=server.serve, daemon=True).start()
    held, saves = [], []
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()

            def hold_the_second(route):
                saves.append(route.request.post_data_json)
                held.append(route) if len(saves) == 2 else route.continue_()

            page.route("**/api/mark?*", hold_the_second)
            page.goto(server.url)
            page.wait_for_selector(".item")
            page.keyboard.press(keys[0])
            page.keyboard.press(keys[1])
            while not held:  # the first save has come back; the second waits here
                page.wait_for_timeout(20)
            on = page.locator(".item.on")
            expect(on).to_have_count(2)
            page.keyboard.press("c")
            page.keyboard.type("Both.")
            page.keyboard.press("Escape")  # a third save, sent after the held one
            held[0].continue_()
            expect(page.locator("#saved")).to_have_text("saved")
            assert [save["items"] for save in saves] == [keys[:1], keys[:2], keys[:2]] and saves[2]["comment"] == "Both."
            assert page.inner_text("#score") == "2 / 3"
            browser.close()
    finally:
        server.stop()
    mark = json.loads(GradedFolder(tmp_path).marks_for(QUESTION).read_text())["marks"]["ann"]
    assert (mark["items"], mark["comment"]) == (keys[:2], "Both.")
