"""The course around the grading: roster, matching, late policy, overrides, Gradescope's export, Canvas.

The fast tests call the course's functions on made-up results; the slow one runs the README's
"Run a course" blocks, as pasted, on a realistic course (tests/course/realistic.py) and checks
every number Canvas would import against expectations written by hand.
"""

import ast
import csv
import dataclasses
import datetime as dt
import doctest
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path, PurePosixPath

import pytest

from mnist_kit import cli, feedback, files
from mnist_kit.course import CourseError, apply, config, gradebook, gradescope_export, late, lms, matching, roster as rosters
from mnist_kit.course.late import LatePolicy
from mnist_kit.files import GradedFolder
from mnist_kit.questions import ASSIGNMENT_POINTS, QUESTIONS, TOTAL_POINTS
from mnist_kit.results import QuestionResult, Result, Status
from tests.conftest import unregistered_question_name
from tests.course import canvas_shapes, realistic

ROOT = Path(__file__).resolve().parent.parent
UTC = dt.timezone.utc


@pytest.mark.parametrize("module", [config, late, gradebook, rosters, lms, matching, gradescope_export])
def test_the_course_modules_examples_hold(module, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the examples' files go where pytest removes them
    failed, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert failed == 0 and (tried or module in (gradebook, matching, gradescope_export))


def write(path, text):
    path.write_text(text)
    return path


CANVAS_HEADER = "Student,ID,SIS User ID,SIS Login ID,Section,MNIST (81234)\n    Points Possible,,,,,10\n"


def test_a_canvas_export_is_read_with_its_points_row_and_test_student_left_out(tmp_path):
    path = write(tmp_path / "r.csv", CANVAS_HEADER + '"Lee, Ann",17,900017,alee,Section A,\n"Student, Test",99,,,Section A,\n')
    roster = rosters.read_roster(path)
    assert roster.kind == "canvas" and roster.assignment_columns == ("MNIST (81234)",)
    assert [(s.id, s.name, s.login, s.sis_id, s.section) for s in roster.students] == [("17", "Lee, Ann", "alee", "900017", "Section A")]
    assert [s.id for s in roster.find("ALEE")] == ["17"] and [s.id for s in roster.find("900017")] == ["17"]


@pytest.mark.parametrize(
    "text, words",
    [
        ("name,login\nAnn,alee\n", "neither a Canvas gradebook export"),
        ("Student,ID,Section\nAnn,17,A\n", "column(s) SIS Login ID"),
        ("id,name\n17,Ann\n17,Bob\n", "row 3: Bob has the same id"),
        ("id,name\n,Ann\n", "row 2: Ann has no id"),
        ("id,name,favourite\n17,Ann,x\n", "unknown column(s) favourite"),
        ("", "the roster is empty"),
    ],
)
def test_a_bad_roster_is_one_line_naming_the_file_and_row(tmp_path, text, words):
    path = write(tmp_path / "roster.csv", text)
    with pytest.raises(CourseError) as error:
        rosters.read_roster(path)
    assert words in str(error.value) and str(path) in str(error.value) and "\n" not in str(error.value)


COURSE = """[assignment]
name = "MNIST"
due = 2026-12-04T23:59:00
timezone = "America/Chicago"
[late]
grace_minutes = 15
penalty_percent = 10
max_penalty_percent = 50
zero_after_days = 7
"""


@pytest.mark.parametrize(
    "text, words",
    [
        ('[assignment]\ndue = "next friday"\n', "assignment.due: 'next friday' is not a time"),
        ('[assignment]\ntimezone = "Mars/Olympus"\n', "'Mars/Olympus' is not a time zone"),
        ("[late]\npenalty_percent = -5\n", "late.penalty_percent must be a number of at least 0"),
        ('[late]\nper = "week"\n', 'late.per must be "day" or "hour"'),
        ("[late]\npenalty = 5\n", "unknown field late.penalty"),
        ('[files]\nroster = "nowhere.csv"\n', "files.roster names"),
        ("[assignment\n", "not valid TOML"),
    ],
)
def test_a_bad_course_file_is_one_line_naming_the_field(tmp_path, text, words):
    path = write(tmp_path / "course.toml", text)
    with pytest.raises(CourseError) as error:
        config.read_course(path)
    assert words in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize(
    "late_by, fraction",
    [
        (dt.timedelta(minutes=-5), 0.0),
        (dt.timedelta(minutes=15), 0.0),  # the grace's last minute
        (dt.timedelta(minutes=16), 0.1),
        (dt.timedelta(hours=24), 0.1),
        (dt.timedelta(hours=24, seconds=1), 0.2),
        (dt.timedelta(days=6, hours=1), 0.5),  # capped
        (dt.timedelta(days=7), 0.5),
        (dt.timedelta(days=7, seconds=1), 1.0),  # zero after 7 days
    ],
)
def test_the_late_policy_counts_started_periods_after_the_grace(late_by, fraction):
    policy = LatePolicy(grace_minutes=15, penalty_percent=10, max_penalty_percent=50, zero_after_days=7)
    assert policy.penalty_fraction(late_by) == pytest.approx(fraction)


def test_an_hourly_policy_counts_hours():
    assert LatePolicy(penalty_percent=2, per="hour").penalty_fraction(dt.timedelta(hours=3, minutes=1)) == pytest.approx(0.08)


def test_times_without_an_offset_are_in_the_courses_time_zone(tmp_path):
    course = config.read_course(write(tmp_path / "course.toml", COURSE))
    assert course.due == dt.datetime(2026, 12, 5, 5, 59, tzinfo=UTC)  # 23:59 in Chicago is 05:59 UTC
    assert config.parse_time("2026-12-05T05:59:00Z", course.timezone, "x") == course.due


def _roster(tmp_path):
    return rosters.read_roster(
        write(tmp_path / "roster.csv", "id,name,login,sis_id,email\n17,Ann Lee,alee,900017,ann@x.edu\n18,Bo Kim,bkim,900018,\n")
    )


def _upload(relative, root=Path("/subs")):
    relative = PurePosixPath(relative)
    return matching.Upload(relative.as_posix().replace("/", "~"), root.joinpath(*relative.parts), relative)


@pytest.mark.parametrize(
    "relative, students, how",
    [
        ("leeann_17_5001_mnist.ipynb", ("17",), "canvas name"),
        ("leeann_LATE_17_5001_mnist-1.ipynb", ("17",), "canvas name"),
        ("alee/mnist.ipynb", ("17",), "login or id in the name"),
        ("900018.ipynb", ("18",), "login or id in the name"),
        ("ALEE.zip", ("17",), "login or id in the name"),
        ("mnist (1).ipynb", (), ""),
        ("leeann_99_5001_mnist.ipynb", (), ""),  # a Canvas id not on the roster
        ("alee/bkim.ipynb", (), ""),  # names two students
    ],
)
def test_a_submission_is_matched_by_the_name_the_platform_gave_it(tmp_path, relative, students, how):
    found = matching.claim(_upload(relative), _roster(tmp_path), matching.Sources({}, {}, {}))
    assert (found.students, found.how) == (students, how)
    assert bool(found.problem) == (not students)


def test_the_mapping_comes_first_and_a_late_flag_is_kept(tmp_path):
    roster, upload = _roster(tmp_path), _upload("leeann_LATE_17_5001_mnist.ipynb")
    flagged = matching.claim(upload, roster, matching.Sources({}, {}, {}))
    assert flagged.time == matching.SubmissionTime(None, "canvas late flag", True) and flagged.order == (5001,)
    mapped = matching.claim(upload, roster, matching.Sources({upload.relative.name: "bkim"}, {}, {}))
    assert (mapped.students, mapped.how) == (("18",), "mapping")


def _result(name, scores, status="graded"):
    questions = {q: QuestionResult(unit.points, scores.get(q, 0.0)) for q, unit in QUESTIONS.items()}
    return Result(Status(status), questions, round(sum(scores.values()), 2), TOTAL_POINTS, submission=name)


def _claim(name, students, at=None, flagged=False, order=()):
    time = matching.SubmissionTime(at, "times file" if at else "canvas late flag", flagged) if (at or flagged) else None
    return matching.Claim(_upload(name), students, "test", time, order)


def test_the_gradebook_keeps_raw_overrides_and_penalty_apart(tmp_path):
    roster = _roster(tmp_path)
    course = config.read_course(write(tmp_path / "course.toml", COURSE + "[extensions]\nbkim = 2\n"))
    due = course.due
    results = {"a1": _result("a1", {"q1": 2.0}), "a2": _result("a2", {"q1": 2.0, "q2": 1.0}), "b": _result("b", {"q1": 2.0})}
    claims = [
        _claim("a1", ("17",), due - dt.timedelta(days=1), order=(1,)),
        _claim("a2", ("17",), due + dt.timedelta(hours=30), order=(2,)),  # the later one counts: 2 days late
        _claim("b", ("18",), due + dt.timedelta(hours=30)),  # within bkim's extension
        _claim("stray", ()),
    ]
    results["stray"] = _result("stray", {"q1": 1.0})
    overrides = (gradebook.Override("17", "q4", 2.0, "regrade"),)
    book = gradebook.build(results, claims, roster, course, overrides)
    ann, bo = book.rows
    assert (ann.submission, ann.not_counted, ann.raw, ann.adjusted, ann.penalty, ann.final) == ("a2", ("a1",), 3.0, 5.0, 1.0, 4.0)
    assert ann.lateness.late_seconds == 30 * 3600 and ann.grader_scores["q4"] == 0.0 and ann.questions["q4"] == 2.0
    assert (bo.final, bo.penalty, bo.lateness.late_seconds) == (2.0, 0.0, 0.0)
    assert [(r.submission, r.status) for r in book.unmatched] == [("stray", "unmatched")]
    assert gradebook.CourseGradebook.from_json(book.to_json()) == book


def test_a_student_without_a_submission_is_missing_with_zero(tmp_path):
    book = gradebook.build({}, [], _roster(tmp_path), config.Course(None))
    assert [(r.status, r.final, r.submission) for r in book.rows] == [("missing", 0.0, "")] * 2


@pytest.mark.parametrize(
    "rows, words",
    [
        ("zed,q1,1,x", "'zed' is not one student on the roster"),
        ("alee,q9,1,x", "there is no question 'q9'"),
        ("alee,q1,5,x", "score '5' is not between 0 and q1's 2"),
        ("alee,q1,1,", "give a reason"),
        ("alee,q1,1,x\nalee,q1,2,y", "row 3: q1 of alee is overridden twice"),
    ],
)
def test_a_bad_override_is_one_line_naming_the_row(tmp_path, rows, words):
    path = write(tmp_path / "overrides.csv", "student,question,score,reason\n" + rows + "\n")
    with pytest.raises(CourseError) as error:
        gradebook.read_overrides(path, _roster(tmp_path))
    assert words in str(error.value) and str(path) in str(error.value)


def test_an_extension_for_someone_not_on_the_roster_stops_before_grading(tmp_path):
    write(tmp_path / "roster.csv", "id,name\n17,Ann\n")
    course = write(tmp_path / "course.toml", COURSE + '[files]\nroster = "roster.csv"\n[extensions]\nzed = 2\n')
    with pytest.raises(CourseError, match="the extension for 'zed' names 0 students"):
        apply.load_plan(course, None, tmp_path / "graded")


def test_canvas_csv_has_canvas_header_points_row_and_the_roster_order(tmp_path):
    path = write(tmp_path / "r.csv", CANVAS_HEADER.replace("MNIST (81234)", "Quiz (1),MNIST (81234)") + '"Lee, Ann",17,900017,alee,A,,\n')
    roster = rosters.read_roster(path)
    book = gradebook.build({}, [], roster, config.Course(None, name="mnist"))
    rows = list(csv.reader(io.StringIO(lms.canvas_csv(book, roster))))
    assert rows == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "MNIST (81234)"],
        ["    Points Possible", "", "", "", "", f"{ASSIGNMENT_POINTS:g}"],
        ["Lee, Ann", "17", "900017", "alee", "A", "0"],
    ]


def test_canvas_export_without_an_assignment_name_says_how_to_name_it(tmp_path):
    roster = _roster(tmp_path)
    book = gradebook.build({}, [], roster, config.Course(None))
    with pytest.raises(CourseError, match=r"set \[assignment\] name"):
        lms.canvas_csv(book, roster)


def test_a_gradescope_export_is_unpacked_with_bounds(tmp_path):
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "a_export/submission_metadata.yml",
            "submission_1:\n  :submitters:\n  - :sid: '900017'\n  :created_at: 2026-12-05 06:00:00.000000000 +00:00\n",
        )
        archive.writestr("a_export/submission_1/mnist.ipynb", "x" * 100)
        archive.writestr("a_export/submission_1/../../evil.ipynb", "x")
        archive.writestr("a_export/submission_2/unlisted.ipynb", "x")
        archive.writestr("a_export/submission_1/notes.txt", "x")
    assert gradescope_export.is_export(path)
    unpacked = gradescope_export.unpack(path, tmp_path / "out", max_bytes=10)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "out").rglob("*") if p.is_file()) == [
        "out/submission_1/mnist.ipynb"
    ]
    assert (tmp_path / "out/submission_1/mnist.ipynb").stat().st_size == 11  # cut just past the cap: graded as too large
    assert unpacked.submissions == {tmp_path / "out/submission_1": (("900017",), dt.datetime(2026, 12, 5, 6, tzinfo=UTC))}


def test_cli_course_mistakes_are_one_line_before_anything_is_graded(tmp_path, capsys):
    write(tmp_path / "roster.csv", "id,name\n17,Ann\n17,Bo\n")
    (tmp_path / "subs").mkdir()
    write(tmp_path / "subs" / "a.ipynb", "{}")
    assert cli.main(["grade", str(tmp_path / "subs"), "--out", str(tmp_path / "graded"), "--roster", str(tmp_path / "roster.csv")]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "row 3: Bo has the same id" in error
    assert not (tmp_path / "graded").exists()


def _readme_course_blocks():
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### Run a course") :]
    section = section[: section.index("\n#", 1)]
    toml = re.findall(r"```toml\n(.*?)```", section, re.S)
    shell = re.findall(r"```sh\n(.*?)```", section, re.S)
    assert len(toml) == 1 and len(shell) == 4, "the README's course section changed shape: update this test"
    return toml[0], shell


def _finals(path):
    """Canvas's import file: the identity columns as the roster had them, Points Possible, and each student's final score by ID."""
    rows = list(csv.reader(open(path, newline="")))
    assert rows[1][0] == "    Points Possible" and rows[0][-1] == "MNIST (81234)", rows[:2]
    return {row[rows[0].index("ID")]: float(row[-1]) for row in rows[2:]}


def _run_in_process(block, cwd, monkeypatch):
    """The ``mnist-kit`` lines of a README block, run by :func:`mnist_kit.cli.main` (reruns need no new interpreter)."""
    monkeypatch.chdir(cwd)
    for line in block.splitlines():
        words = shlex.split(line, comments=True)
        if words:
            assert words[0] == "mnist-kit" and cli.main(words[1:]) == 0, line


def _run(block, cwd):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (block, done.stdout[-2000:], done.stderr[-2000:])
    return done


@pytest.mark.slow
def test_the_readme_course_path_grades_a_course_of_40_students_into_canvas(tmp_path, monkeypatch):
    if not shutil.which("bwrap"):
        pytest.fail("bubblewrap is needed to grade")
    toml, (grade, override, export, gradescope) = _readme_course_blocks()
    realistic.build(tmp_path)
    (tmp_path / "course.toml").write_text(toml)
    graded = _run(grade, tmp_path)  # as pasted, in bash; the blocks after it are mnist-kit lines, run in-process
    # Three distinct files among 38: each graded once; the mangled file is named, and graded under its name.
    assert len({(r["seed"]) for r in map(_json, (tmp_path / "graded/results").glob("*.json"))}) == 3
    assert "mnist (1): names no student on the roster" in graded.stderr
    assert f"{realistic.ANONYMOUS[:-6]}: Canvas's anonymous name anon_x8Yz1" in graded.stderr
    _run(override, tmp_path)
    _run_in_process(export, tmp_path, monkeypatch)
    assert _finals(tmp_path / "canvas.csv") == realistic.expected_finals()
    # Canvas's columns go back as Canvas wrote them; every name shown is the file's name as it was.
    header, _, first_row, *_ = csv.reader(open(tmp_path / "canvas.csv", newline=""))
    person = realistic.PEOPLE[0]
    assert header[:7] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Integration ID", "Root Account", "Section"]
    assert first_row[:7] == [person.name, person.id, person.sis_id, person.login, f"int-{person.id}", "canvas.example.edu", person.section]
    shown = {row["submission"] for row in csv.DictReader(open(tmp_path / "graded/grades.csv"))}
    assert {"mnist (1)", realistic.ANONYMOUS[:-6]} <= shown and not any("%" in name for name in shown)
    unmatched = {
        row["submission"]: row["note"] for row in csv.DictReader(open(tmp_path / "graded/course.csv")) if row["status"] == "unmatched"
    }
    assert set(unmatched) == {"mnist (1)", realistic.ANONYMOUS[:-6]} and "mapping file" in unmatched[realistic.ANONYMOUS[:-6]]
    assert (tmp_path / "graded/feedback/mnist (1).md").read_text().startswith("# Feedback for `mnist (1)`")
    by_student = {row["login"]: row for row in csv.DictReader(open(tmp_path / "by-student.csv"))}
    assert (by_student["dpatel"]["raw"], by_student["dpatel"]["final"], by_student["dpatel"]["q4"]) == ("4.0", "6.0", "2.0")
    assert (by_student["flate"]["late_hours"], by_student["flate"]["penalty"]) == ("30.0", "0.8")
    assert by_student["s38"]["status"] == "missing" and by_student["fmangled"]["status"] == "missing"
    feedback = (tmp_path / "graded/students/dpatel.md").read_text()
    assert "Adjusted by your instructor: q4 0 -> 2" in feedback
    assert "Late penalty: 20 %" in (tmp_path / "graded/students/flate.md").read_text()
    report = (tmp_path / "graded/report.html").read_text()
    assert "Last05, First05" in report and "regrade request: the q4 cell was run out of order" in report

    # A new policy changes exactly the late students' final scores; again, nothing more; back, all as before.
    policy = tmp_path / "course.toml"
    first = policy.read_text()
    policy.write_text(first.replace("penalty_percent = 10 ", "penalty_percent = 25 "))
    for _ in range(2):
        _run_in_process(grade + export, tmp_path, monkeypatch)
        assert _finals(tmp_path / "canvas.csv") == realistic.expected_finals(at_25=True)
    policy.write_text(first)
    _run_in_process(grade + export, tmp_path, monkeypatch)
    assert _finals(tmp_path / "canvas.csv") == realistic.expected_finals()

    # Canvas's other shapes of the same gradebook give the same grades (nothing is graded again).
    for shape in ("older, muted", "split names, semicolons, no SIS user id"):
        realistic.write_roster(tmp_path / "roster.csv", shape)
        _run_in_process(grade + export, tmp_path, monkeypatch)
        assert _finals(tmp_path / "canvas.csv") == realistic.expected_finals(), shape
    realistic.write_roster(tmp_path / "roster.csv")  # Gradescope's submitters are matched by SIS id, which that last shape lacks

    # Gradescope's export of the same assignment: its submitters (a group among them) and its times.
    _run_in_process(gradescope, tmp_path, monkeypatch)
    rows = {row["login"]: row for row in csv.DictReader(open(tmp_path / "graded-gradescope/course.csv")) if row["login"]}
    assert {login: float(row["final"]) for login, row in rows.items() if row["status"] != "missing"} == realistic.EXPECTED_GRADESCOPE
    assert rows["s02"]["time_source"] == "gradescope" and rows["s02"]["late_hours"] == "5.0"


def _json(path):
    import json

    return json.loads(path.read_text())


@pytest.mark.parametrize("everything", [True, False])
def test_a_students_feedback_says_lateness_penalty_and_overrides(tmp_path, everything):

    roster = _roster(tmp_path)
    course = config.read_course(write(tmp_path / "course.toml", COURSE))
    result = _result("a", {"q1": 2.0, "q2": 1.0})
    claims = [_claim("a", ("17",), course.due + dt.timedelta(hours=2))]
    book = gradebook.build({"a": result}, claims, roster, course, (gradebook.Override("17", "q4", 2.0, "emailed in time"),))
    text = feedback.student_feedback_markdown(book.rows[0], result, book.policy, everything)
    assert "Submitted 2026-12-05 01:59 (UTC-06:00), 2 hours after your due time" in text
    assert "Adjusted by your instructor: q4 0 -> 2 (`emailed in time`)" in text
    assert ("Late penalty: 10 %" in text) and (("-0.5 points" in text) == everything)
    assert (f"**Final score: 4.5 / {TOTAL_POINTS:g}**" in text) == everything
    missing = feedback.student_feedback_markdown(book.rows[1], None, book.policy, everything)
    assert f"No submission of yours was received: 0 / {ASSIGNMENT_POINTS:g}" in missing


def test_docs_course_documents_every_field_of_the_course_file():
    documented = set(re.findall(r"^\| `([a-z_.<>]+)` \|", (ROOT / "docs" / "course.md").read_text(), re.M))
    assert documented == set(config.FIELDS), "docs/course.md's field table and mnist_kit/course/config.py's FIELDS differ"


def test_the_readme_example_course_file_reads_as_documented(tmp_path):
    toml, _ = _readme_course_blocks()
    write(tmp_path / "roster.csv", "id,name,login\n1,B,bkim\n2,C,cruiz\n")
    write(tmp_path / "times.csv", "file,submitted_at\n")
    course = config.read_course(write(tmp_path / "course.toml", toml))
    assert course.late == LatePolicy(grace_minutes=15, penalty_percent=10, per="day", max_penalty_percent=50, zero_after_days=7)
    assert course.extensions["bkim"] == 2 and course.extensions["cruiz"].isoformat() == "2026-12-07T23:59:00-06:00"


def test_a_bad_override_stops_a_regrade_and_loses_nothing(tmp_path, capsys):
    write(tmp_path / "roster.csv", "id,name,login\n17,Ann Lee,alee\n")
    (tmp_path / "subs").mkdir()
    write(tmp_path / "subs" / "alee.ipynb", "{}")
    graded = tmp_path / "graded"
    graded.mkdir()
    kept = {name: write(graded / name, f"{name} as graded before\n") for name in ("grades.csv", "course.csv")}
    unknown = unregistered_question_name()
    write(graded / "overrides.csv", f"student,question,score,reason\nalee,{unknown},1,typo\n")
    assert cli.main(["grade", str(tmp_path / "subs"), "--out", str(graded), "--roster", str(tmp_path / "roster.csv")]) == 1
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and f"overrides.csv, row 2: there is no question '{unknown}'" in error
    assert all(path.read_text() == f"{name} as graded before\n" for name, path in kept.items())
    assert not (graded / "results").exists()


@pytest.mark.parametrize("shape", list(canvas_shapes.SHAPES))
def test_canvas_export_is_read_in_every_shape_canvas_writes(tmp_path, shape):
    options = canvas_shapes.SHAPES[shape]
    path = tmp_path / "gradebook.csv"
    path.write_bytes(canvas_shapes.export(options).encode())
    roster = rosters.read_roster(path)
    expected = [
        (
            s.id,
            s.name,  # "=Eve, Zed", not '="=Eve", Zed'
            s.login,
            s.sis_id if options.include_sis_id else "",
            s.section,
            s.integration_id if options.integration_id else "",
            s.root_account if options.root_account else "",
        )
        for s in canvas_shapes.STUDENTS
    ]
    assert [(s.id, s.name, s.login, s.sis_id, s.section, s.integration_id, s.root_account) for s in roster.students] == expected
    assert roster.kind == "canvas" and roster.assignment_columns == canvas_shapes.ASSIGNMENTS
    assert roster.students[0].sis_id in ("000017", "")  # leading zeros kept


@pytest.mark.parametrize("shape", list(canvas_shapes.SHAPES))
def test_the_kits_canvas_export_reads_back_as_the_same_roster(tmp_path, shape):
    path = tmp_path / "gradebook.csv"
    path.write_bytes(canvas_shapes.export(canvas_shapes.SHAPES[shape]).encode())
    roster = rosters.read_roster(path)
    book = gradebook.build({}, [], roster, config.Course(None, name="MNIST"))
    written = lms.canvas_csv(book, roster)
    header, points = list(csv.reader(io.StringIO(written)))[:2]
    assert (
        header == [*roster.identity_columns, "MNIST (81234)"]
        and points[0] == "    Points Possible"
        and points[-1] == f"{ASSIGNMENT_POINTS:g}"
    )
    again = rosters.read_roster(write(tmp_path / "canvas.csv", written))
    assert again.students == roster.students and again.identity_columns == roster.identity_columns


def test_a_malformed_row_of_a_canvas_export_names_its_line(tmp_path):
    text = canvas_shapes.export(canvas_shapes.SHAPES["older, muted"]).replace('\n"Lee, Ann",17,', '\n"Lee, Ann",,', 1)
    with pytest.raises(CourseError) as error:
        rosters.read_roster(write(tmp_path / "gradebook.csv", text))
    assert str(error.value) == f"{tmp_path / 'gradebook.csv'}, row 4: Lee, Ann has no ID; every student needs one"


def test_an_anonymous_canvas_download_is_graded_unmatched_until_mapped(tmp_path):
    roster, upload = _roster(tmp_path), _upload("anon_x8Yz1_LATE_5003_mnist.ipynb")
    found = matching.claim(upload, roster, matching.Sources({}, {}, {}))
    assert (found.students, found.order, found.time.flagged_late) == ((), (5003,), True)
    assert "anon_x8Yz1" in found.problem and "mapping file" in found.problem
    mapped = matching.claim(upload, roster, matching.Sources({"anon_x8Yz1": "alee"}, {}, {}))
    assert (mapped.students, mapped.how) == (("17",), "mapping")


def test_names_people_read_are_as_the_file_was_named(tmp_path):
    key = "owenotto_48216_700161_MNIST%20final"
    results = {key: _result(key, {"q1": 2.0}), "mnist%20%281%29": _result("mnist%20%281%29", {"q1": 1.0})}
    claims = [_claim(key, ("17",)), _claim("mnist%20%281%29", ())]
    text = gradebook.course_csv(gradebook.build(results, claims, _roster(tmp_path), config.Course(None)))
    shown = {row["name"] or row["status"]: row["submission"] for row in csv.DictReader(io.StringIO(text))}
    assert shown == {"Ann Lee": "owenotto_48216_700161_MNIST final", "Bo Kim": "", "unmatched": "mnist (1)"}
    assert GradedFolder(tmp_path).feedback_for("mnist%20%281%29").name == "mnist (1).md"


@pytest.mark.parametrize("parts", [("mnist (1)",), ("s1", "x", "hw"), ("a~b",), ("a", "b"), (".hidden",), ("é t:é?",), ("100%",), ("x ",)])
def test_a_name_on_disk_is_safe_distinct_and_gives_the_name_back(parts):
    name = files.submission_name(parts)
    assert "/" not in name and not name.startswith(".") and files.shown_name(name) == "/".join(parts)
    stem = files.readable_file_stem(name)
    assert not any(c in stem for c in '/\\:*?"<>|') and not stem.startswith(".") and not stem.endswith((" ", "."))


def test_lms_formats_are_one_registry_the_cli_offers(tmp_path, capsys):
    with pytest.raises(SystemExit):
        cli.main(["export", "--help"])
    help_text = capsys.readouterr().out
    assert all(name in help_text for name in lms.FORMATS)
    roster = rosters.read_roster(write(tmp_path / "r.csv", "id,name,login,sis_id,email\n17,Ann Lee,alee,900017,ann@x.edu\n"))
    book = gradebook.build({}, [], roster, config.Course(None, name="MNIST"))
    rows = list(csv.reader(io.StringIO(lms.export(book, "moodle", lms.ExportTarget()))))
    assert rows == [["ID number", "Email address", "Username", "Full name", "MNIST"], ["900017", "ann@x.edu", "alee", "Ann Lee", "0"]]
    with pytest.raises(CourseError, match="no LMS format 'blackboard'; choose one of canvas, moodle, csv"):
        lms.export(book, "blackboard", lms.ExportTarget())


def test_a_new_lms_format_is_one_entry_in_the_registry(tmp_path, monkeypatch, capsys):
    """Adding a format touches course/lms.py alone: the command line offers it and writes it."""
    roster = rosters.read_roster(write(tmp_path / "r.csv", "id,name,login,sis_id,email\n17,Ann Lee,alee,900017,ann@x.edu\n"))
    book = gradebook.build({}, [], roster, config.Course(None, name="MNIST"))
    folder = GradedFolder(tmp_path / "graded")
    folder.root.mkdir()
    gradebook.write(folder, book)
    blackboard = lms.LmsFormat(
        "blackboard", "Blackboard's grade upload", lambda b, target: "".join(f"{r.rostered.login},{r.final}\n" for r in b.rows)
    )
    monkeypatch.setitem(lms.FORMATS, "blackboard", blackboard)
    assert cli.main(["export", "blackboard", str(folder.root), "--out", str(tmp_path / "bb.csv")]) == 0
    assert (tmp_path / "bb.csv").read_text() == "alee,0.0\n"
    with pytest.raises(SystemExit):
        cli.main(["export", "--help"])
    assert "blackboard: Blackboard's grade upload" in " ".join(capsys.readouterr().out.split())


LATE_FIELDS = {f.name for f in dataclasses.fields(late.LatePolicy)}


@pytest.mark.parametrize("path", sorted((ROOT / "mnist_kit").rglob("*.py")), ids=lambda p: p.name)
def test_only_the_late_policy_reads_its_rules(path):
    """A late rule changes in course/late.py alone: no other module reads a policy's fields (it asks the policy)."""
    if path.name == "late.py":
        return
    tree = ast.parse(path.read_text())
    reads = [
        node.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and node.attr in LATE_FIELDS
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == "late"
    ]
    assert not reads, f"{path.name} reads the late policy's {reads}; ask LatePolicy (course/late.py) instead"


def test_a_gradescope_export_that_lists_files_is_read_as_otter_graders_fixture_has_it(tmp_path):
    # The shape of otter-grader's test/test-grade/gradescope-export/submission_metadata.yml: keys are files.
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "submission_metadata.yml",
            "---\nodd_filename--s2034.ipynb:\n  :submitters:\n  - :name: Some Student\n    :email: ann@x.edu\n    :sid: '900017'\n"
            "  :created_at: 2019-09-04 21:03:57.297916000 Z\n  :score: 10.0\n  :original_filename: hw01.ipynb\n",
        )
        archive.writestr("odd_filename--s2034.ipynb", "{}")
    unpacked = gradescope_export.unpack(path, tmp_path / "out", 10**6)
    (target, (submitters, when)), *_ = unpacked.submissions.items()
    assert target == tmp_path / "out" / "odd_filename--s2034.ipynb" and submitters == ("900017",)
    assert when == dt.datetime(2019, 9, 4, 21, 3, 57, 297916, tzinfo=UTC)
    upload = matching.Upload("odd", target, PurePosixPath("odd_filename--s2034.ipynb"))
    found = matching.claim(upload, _roster(tmp_path), matching.Sources({}, {}, unpacked.submissions))
    assert (found.students, found.how) == (("17",), "gradescope")
