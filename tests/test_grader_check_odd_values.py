"""``grader.check`` answers every odd return value or exception of every graded function in one line each, never a traceback."""

import numpy as np
import pytest

from mnist_kit.feedback import failure_messages
from mnist_kit.notebook import public_check
from mnist_kit.questions import QUESTIONS


class Weird:
    """An object that lies about everything it is asked."""

    def __getattr__(self, name):
        raise RuntimeError(f"no {name} here")

    def __eq__(self, other):
        raise ValueError("cannot compare")

    def __len__(self):
        raise TypeError("no length")


def _raises(error):
    def function(*args, **kwargs):
        raise error

    return function


ODD = {
    "None": lambda *a, **k: None,
    "a string": lambda *a, **k: "done",
    "an empty array": lambda *a, **k: np.array([]),
    "a NaN": lambda *a, **k: float("nan"),
    "an object array": lambda *a, **k: np.array([object(), None], dtype=object),
    "a lying object": lambda *a, **k: Weird(),
    "ValueError": _raises(ValueError("bad input")),
    "SystemExit": _raises(SystemExit(3)),
}


@pytest.mark.parametrize("question", list(QUESTIONS))
@pytest.mark.parametrize("kind", list(ODD))
def test_every_odd_answer_gets_plain_one_line_messages(question, kind):
    functions = {name: ODD[kind] for name in QUESTIONS[question].functions}
    report = public_check(question, functions)
    assert not report.passed
    shown = repr(report)
    assert "Traceback" not in shown and 'File "' not in shown
    for message in report.failures():
        assert message and "\n" not in message, message


@pytest.mark.parametrize("question", list(QUESTIONS))
def test_one_mistake_is_said_once_with_the_checks_it_costs(question):
    """A stub fails every check that needs its call: grader.check says so once per function, not once per check."""

    def stub(*args, **kwargs):
        raise NotImplementedError("write me")

    report = public_check(question, {name: stub for name in QUESTIONS[question].functions})
    failures = report.failures()
    assert len(failures) == len(set(failures)) <= len(QUESTIONS[question].functions), failures
    failed = sum(not result.passed for result in report.results)
    if failed > len(failures):
        assert any("(this one failure fails" in message for message in failures)
    assert repr(report).count("NotImplementedError") == len(failures)


def test_the_report_counts_students_not_checks():
    from mnist_kit import report
    from mnist_kit.results import CheckResult, QuestionResult, Result, Status

    def result(messages):
        checks = tuple(CheckResult("q4", f"c{i}", False, m, False, 1.0) for i, m in enumerate(messages))
        return Result(Status.GRADED, {"q4": QuestionResult(2, 0, None, checks)}, 0, 2)

    common = report.common_failures([result(["it raised"] * 3), result(["it raised", "wrong kind"])])
    assert common["q4"] == [("it raised", 2), ("wrong kind", 1)]
    assert failure_messages(result(["it raised"] * 3).questions["q4"]) == ["it raised (this one failure fails 3 checks)"]


@pytest.mark.parametrize(
    ("fit", "told", "not_told"),
    [
        ("part of the rows", "fitted on part of the rows", "another kind"),
        ("hinge loss", "another kind of classifier", "part of the rows"),
    ],
)
def test_a_hint_names_the_cause_the_checker_saw(fit, told, not_told):
    from sklearn.linear_model import LogisticRegression, SGDClassifier

    def fit_binary_classifier(X, y_binary):
        if fit == "part of the rows":
            return LogisticRegression(tol=0.1).fit(X[:500], y_binary[:500])
        return SGDClassifier(loss="hinge", max_iter=3, tol=None, random_state=0).fit(X, y_binary)

    failures = " ".join(public_check("q4", {"fit_binary_classifier": fit_binary_classifier}).failures())
    assert told in failures and not_told not in failures, failures


@pytest.mark.parametrize("question", [q for q, unit in QUESTIONS.items() if unit.functions[0].startswith("fit_")])
def test_predictions_returned_for_a_model_get_a_message_that_says_so(question):
    """A student who returns ``clf.predict(X)`` is told to return the classifier, not sent into the kit's code."""

    def fit_returning_predictions(X, y):
        return np.zeros(len(X), dtype=bool)

    report = public_check(question, {QUESTIONS[question].functions[0]: fit_returning_predictions})
    (message,) = report.failures()
    assert message.startswith("The function returned an object of type ndarray, not a model: return the fitted classifier")
    assert "AttributeError" not in repr(report) and "collect.py" not in repr(report)


def test_a_model_that_passes_the_public_checks_is_told_the_goals_it_misses_before_the_grade():
    """The goals (97 % for q4, 88 % for q6) are hidden checks; grader.check measures them once the public checks pass."""
    from sklearn.linear_model import SGDClassifier

    def weak(X, y):
        return SGDClassifier(loss="log_loss", max_iter=1, tol=None, random_state=0).fit(X[:600], y[:600])

    report = public_check("q6", {"fit_multiclass_classifier": weak})
    assert report.passed and [goal.met for goal in report.goals] == [False]
    assert "✗ accuracy on the test images, all ten digits" in repr(report) and "hidden checks take points off until it reaches it" in repr(
        report
    )
    assert public_check("q6", {"fit_multiclass_classifier": lambda X, y: None}).goals == ()  # nothing passed: nothing measured


def test_every_goal_names_a_threshold_of_its_unit():
    goals = {name: unit.goals for name, unit in QUESTIONS.items() if unit.goals}
    assert set(goals) == {name for name, unit in QUESTIONS.items() if unit.thresholds}
