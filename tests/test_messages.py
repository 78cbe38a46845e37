"""Each message a student reads says the true cause, once and whole, in the same words in grader.check, the feedback and Gradescope.

grader.check (:func:`mnist_kit.notebook.public_check`) and the grade run the same collectors and
checks, so a message made there is the grade's; tests/test_verdicts.py proves on every honest
case that both fail the same public checks. Each test here is one message that used to say
something else (issue: "Every student can start, and every common mistake is caught early").
"""

import json
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from mnist_kit import collect, notebook_source
from mnist_kit.answers import Student, UnusableAnswer
from mnist_kit.checks import Goal
from mnist_kit.feedback import feedback_markdown
from mnist_kit.notebook import public_check
from mnist_kit.questions import QUESTIONS
from mnist_kit.results import CheckResult, QuestionResult, Result, Status
from tests.test_student_notebook import student_functions

ROOT = Path(__file__).resolve().parent.parent


def failing(report_):
    return {result.name for result in report_.results if not result.passed}


def test_ignoring_the_digit_fails_a_public_check_before_the_due_date():
    checked = public_check("q3", {"make_binary_target": lambda y, digit=2: y == 2})
    assert failing(checked) == {"binary_other_digit"}
    assert checked.failures() == [
        "make_binary_target(y, digit=d) should be True exactly where y is d: use the digit argument, not a fixed 2."
    ]


def test_an_unconverged_logistic_regression_is_said_to_be_one():
    from sklearn.linear_model import LogisticRegression

    def fit_binary_classifier(X, y_binary):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return LogisticRegression(tol=0.1, max_iter=1).fit(X, y_binary)

    said = " ".join(public_check("q4", {"fit_binary_classifier": fit_binary_classifier}).failures())
    assert "It is a LogisticRegression whose solver stopped before it converged" in said and "another kind" not in said
    # The advice keeps the settings the notebook asks for, never "leave tol at its default".
    (asked,) = set(re.findall(r"Use `(LogisticRegression\([^`]*\))`", (ROOT / "solution" / "mnist.py").read_text()))
    assert asked in said and "default" not in said, said


def test_a_returned_pipeline_is_named_as_one_not_as_unfitted():
    from sklearn.linear_model import SGDClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    fitted = make_pipeline(StandardScaler(), SGDClassifier(loss="log_loss", max_iter=5, tol=None)).fit(
        rng.random((40, 4)), np.arange(40) % 3
    )
    with pytest.raises(UnusableAnswer) as said:
        collect._model_parameters(fitted)
    assert "returned a Pipeline of steps, not the classifier its docstring asks for" in str(said.value)
    assert "after fitting it" not in str(said.value)


def test_a_syntax_error_in_a_functions_cell_is_said_as_the_cause():
    notebook = {
        "cells": [{"cell_type": "markdown", "source": "# q1"}, {"cell_type": "code", "source": "def shuffle_split(X, y)\n    return X\n"}]
    }
    student = Student({}, unreadable=notebook_source.unreadable_definitions(notebook))
    failed = student.call("shuffle_split", 1, 2, on="on a table of 3 rows")
    assert failed.message == (
        "The function shuffle_split does not exist when graded: code cell 1 (def shuffle_split(X, y)) has a syntax error on its line 1: "
        "expected ':', and the grade skips that cell; fix it, run it, and save"
    )


def test_a_function_reading_the_notebooks_variables_fails_in_grader_check_as_when_graded():
    """q5: accuracy reads X_test, cross_val_accuracy is right: grader.check runs what it can, as the grade does (not "could not run")."""
    from sklearn.model_selection import cross_val_score

    X_test = np.zeros((2, 784))  # noqa: F841 - the notebook's variable the function reads

    namespace = {"X_test": X_test}
    exec("def accuracy(clf, X, y):\n    return float((clf.predict(X_test) == y[:2]).mean())\n", namespace)
    namespace["cross_val_accuracy"] = lambda clf, X, y, cv=5: cross_val_score(clf, X, y, cv=cv)
    checked = public_check("q5", namespace)
    assert not checked.problem and "could not run" not in repr(checked)
    assert 0 < sum(r.passed for r in checked.results) < len(checked.results), checked
    assert all("accuracy uses X_test, a variable of the notebook" in message for message in checked.failures()), checked.failures()


def test_an_untouched_stub_is_said_whole_with_what_to_write():
    (message,) = public_check("q1", {"shuffle_split": student_functions()["shuffle_split"]}).failures()
    assert message.startswith("The function shuffle_split is still the stub the notebook came with")
    assert message.endswith(
        "with your code (shuffle_split: return X_train, X_test, y_train, y_test as described above). (this one failure fails 6 checks)"
    )
    assert "…" not in message


def test_a_goal_not_met_is_said_in_a_whole_sentence():
    line = Goal("accuracy on the test images", 0.81, 0.9).line()
    assert line.endswith("below the goal, so the grade's hidden checks take points off until it reaches it")


def test_one_mistake_is_listed_once_in_the_feedback_with_every_check_it_costs():
    said = "On 5 rows, accuracy raised KeyError ('a')."
    checks = tuple(CheckResult("q5", check.name, False, said, check.hidden, check.weight) for check in QUESTIONS["q5"].checks)
    questions = {q: QuestionResult(unit.points, 0.0, None, checks if q == "q5" else ()) for q, unit in QUESTIONS.items()}
    feedback = feedback_markdown(Result(Status.GRADED, questions, 0.0, 10.0, submission="s"), everything=True)
    assert feedback.count("KeyError") == 1 and f"(this one failure fails {len(checks)} checks)" in feedback


def test_the_receipt_names_the_cell_with_a_syntax_error():
    from mnist_kit import export

    made = export.receipt({"cells": [{"cell_type": "code", "source": "def cast_labels(y)\n    return y\n"}]}, "mine.ipynb")
    assert any("has a syntax error on its line 1" in problem for problem in made.problems), made.problems
    assert json.dumps(made.lines())


def test_returning_the_folds_mean_is_said_in_plain_words():
    namespace = {"cross_val_accuracy": lambda clf, X, y, cv=3: np.mean(np.full(cv, 0.97)), "accuracy": lambda clf, X, y: 0.97}
    said = public_check("q5", namespace).failures()
    assert (
        "cross_val_accuracy(..., cv=3) returned one number; it should return the accuracy of each of the 3 folds, as "
        "cross_val_score does (not their mean), with cv passed on to it."
    ) in said, said
    assert not any("shape" in message for message in said), said


def test_a_parameter_scikit_learn_refuses_is_named_with_the_value_given_and_the_nearest_allowed():
    from sklearn.linear_model import SGDClassifier

    namespace = {"fit_multiclass_classifier": lambda X, y: SGDClassifier(loss="log").fit(X, y)}
    (said,) = public_check("q6", namespace).failures()
    assert "SGDClassifier does not accept loss='log': the nearest value it accepts is 'log_loss'" in said
    assert "…" not in said


def test_every_notebook_variable_a_function_reads_is_named_at_once():
    namespace = {"X_test": np.zeros((2, 784)), "y_test": np.zeros(2)}
    exec("def accuracy(clf, X, y):\n    return float((clf.predict(X_test) == y_test).mean())\n", namespace)
    namespace["cross_val_accuracy"] = lambda clf, X, y, cv=3: np.zeros(cv)
    said = public_check("q5", namespace).failures()
    assert any("accuracy uses X_test and y_test, variables of the notebook" in message for message in said), said


@pytest.mark.parametrize("question", ["q1", "q4", "q5"])
def test_no_message_speaks_the_kits_jargon(question):
    """A stub's or a wrong answer's messages never say "property", "Otter", "usable answer" or "shape ()"."""
    said = " ".join(public_check(question, {name: (lambda *a, **k: 0) for name in QUESTIONS[question].functions}).failures())
    assert said and not re.search(r"propert|Otter|usable answer|shape \(\)", said), said
