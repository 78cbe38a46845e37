"""What students are shown, and when: public checks at once, hidden checks as spec.VISIBILITY says."""

import pytest

from mnist_kit import build, cli, feedback, gradescope, spec
from mnist_kit.questions import QUESTIONS, TOTAL_POINTS
from mnist_kit.results import CheckResult, QuestionResult, Result, Status

HIDDEN_MESSAGE = "a hidden check's message"
PUBLIC_MESSAGE = "a public check's message"
# A setting of our own, so these tests hold whatever spec.VISIBILITY an instructor chooses.
WITHHOLD_HIDDEN = {"public": "visible", "hidden": "after_due_date"}


def graded_result(passing):
    """A result in which each check passes when ``passing(question, index)`` says so."""
    questions = {}
    for question, info in QUESTIONS.items():
        ran = tuple(
            CheckResult(
                question,
                check.name,
                passing(question, index),
                "" if passing(question, index) else (HIDDEN_MESSAGE if check.hidden else PUBLIC_MESSAGE),
                check.hidden,
                check.weight,
            )
            for index, check in enumerate(info.checks)
        )
        score = round(info.points * sum(c.weight for c in ran if c.passed) / sum(c.weight for c in ran), 2)
        questions[question] = QuestionResult(info.points, score, None, ran)
    total = round(sum(q.score for q in questions.values()), 2)
    return Result(Status.GRADED, questions, total, TOTAL_POINTS, submission="ann", sandbox={"kind": "bwrap"})


PATTERNS = {
    "all pass": lambda question, index: True,
    "none pass": lambda question, index: False,
    "every other": lambda question, index: index % 2 == 0,
    "first fails": lambda question, index: index > 0,
}


@pytest.mark.parametrize("question", QUESTIONS)
def test_parts_add_up_to_the_question_exactly_whichever_checks_pass(question):
    count = len(QUESTIONS[question].checks)
    for passing in range(2**count):  # every subset of the question's checks
        entry = graded_result(lambda q, index, passing=passing: bool(passing >> index & 1)).questions[question]
        parts = feedback.question_parts(question, entry)
        assert [p.kind for p in parts] == ["public", "hidden"]
        assert round(sum(p.score for p in parts), 2) == entry.score
        assert round(sum(p.possible for p in parts), 2) == entry.possible
        for part in parts:
            assert 0 <= part.score <= part.possible
            assert (part.score == part.possible) == (part.passed == part.count)


def test_gradescope_shows_each_kind_of_check_as_the_setting_says():
    results = gradescope.gradescope_results(graded_result(PATTERNS["none pass"]))
    assert [t["name"] for t in results["tests"]] == [f"{q}: {kind} checks" for q in QUESTIONS for kind in ("public", "hidden")]
    for test in results["tests"]:
        kind = test["name"].split()[1]
        assert test["visibility"] == spec.VISIBILITY[kind]
        # a withheld message only ever sits in a withheld test
        assert (HIDDEN_MESSAGE in test["output"]) == (kind == "hidden")
    if set(spec.VISIBILITY.values()) != {"visible"}:
        assert "score" not in results, "a total beside withheld tests would state their points"
    assert sum(t["max_score"] for t in results["tests"]) == TOTAL_POINTS


def test_gradescope_states_the_total_when_everything_is_visible():
    result = graded_result(PATTERNS["every other"])
    results = gradescope.gradescope_results(result, {"public": "visible", "hidden": "visible"})
    assert results["score"] == result.total == round(sum(t["score"] for t in results["tests"]), 2)


def test_an_error_is_told_in_the_public_test():
    result = graded_result(PATTERNS["all pass"])
    result = result.replace(questions={**result.questions, "q4": QuestionResult(2, 0.0, "ValueError: no samples")})
    tests = {t["name"]: t for t in gradescope.gradescope_results(result)["tests"]}
    assert "ValueError: no samples" in tests["q4: public checks"]["output"]
    assert tests["q4: hidden checks"]["output"] == "hidden checks: not run"
    assert tests["q4: public checks"]["score"] == tests["q4: hidden checks"]["score"] == 0


def test_feedback_withholds_what_gradescope_withholds():
    text = feedback.feedback_markdown(graded_result(PATTERNS["none pass"]), visibility=WITHHOLD_HIDDEN)
    assert PUBLIC_MESSAGE in text and HIDDEN_MESSAGE not in text
    assert "hidden checks, released after the due date" in text and "this is not your total" in text
    withheld = round(
        sum(
            p.possible
            for q, e in graded_result(PATTERNS["none pass"]).questions.items()
            for p in feedback.question_parts(q, e)
            if p.kind == "hidden"
        ),
        2,
    )
    assert f"{withheld} more of the {TOTAL_POINTS} points are withheld" in text
    # q1: 7 of 9 weights are public (split_keeps_pairs counts twice), 2 hidden
    assert "| q1 | 0.0 / 1.56 | 0.44 withheld, released after the due date |" in text
    assert "Total:" not in text


def test_feedback_shows_everything_when_asked():
    result = graded_result(PATTERNS["every other"])
    text = feedback.feedback_markdown(result, everything=True)
    assert PUBLIC_MESSAGE in text and HIDDEN_MESSAGE in text and "released" not in text
    assert f"**Total: {result.total} / {TOTAL_POINTS}**" in text


def test_feedback_follows_another_setting():
    text = feedback.feedback_markdown(graded_result(PATTERNS["none pass"]), visibility={"public": "visible", "hidden": "after_published"})
    assert "released when grades are published" in text and HIDDEN_MESSAGE not in text


@pytest.mark.parametrize(
    "visibility, message",
    [
        ({"public": "visible", "hidden": "after_due"}, "spec.VISIBILITY['hidden'] is 'after_due'; choose one of visible, after_due_date"),
        ({"public": "visible"}, "must have exactly the keys 'public' and 'hidden'"),
    ],
)
def test_a_wrong_setting_stops_the_build_with_one_line(visibility, message):
    with pytest.raises(build.BuildError, match=message.replace("[", r"\[").replace("]", r"\]")) as error:
        build.check_visibility(visibility)
    assert "\n" not in str(error.value)


def test_the_shipped_setting_is_valid_and_the_cli_can_ask_for_everything():
    build.check_visibility(spec.VISIBILITY)
    assert cli.parser().parse_args(["grade", "x", "--out", "y", "--all-feedback"]).all_feedback
    assert cli.parser().parse_args(["merge", "x", "--out", "y", "--all-feedback"]).all_feedback
    assert not cli.parser().parse_args(["grade", "x", "--out", "y"]).all_feedback


SETTINGS = [{"public": public, "hidden": hidden} for public in ("visible", "after_due_date") for hidden in spec.VISIBILITY_CHOICES]


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: f"{s['public']}-{s['hidden']}")
def test_an_instructors_setting_is_followed_everywhere(setting, monkeypatch):
    """README, "Change when students see the checks": edit spec.VISIBILITY; Gradescope and the feedback follow."""
    monkeypatch.setattr(spec, "VISIBILITY", setting)
    build.check_visibility(spec.VISIBILITY)
    result = graded_result(PATTERNS["every other"])
    tests = gradescope.gradescope_results(result)["tests"]
    assert all(t["visibility"] == setting[t["name"].split()[1]] for t in tests)
    text = feedback.feedback_markdown(result)
    for kind, message in (("public", PUBLIC_MESSAGE), ("hidden", HIDDEN_MESSAGE)):
        assert (message in text) == (setting[kind] == "visible"), f"the feedback shows {kind} messages against the setting"
    assert ("Total:" in text) == (set(setting.values()) == {"visible"})
