"""q5's hidden checks: accuracy for ten classes too; the cross-validation's folds, rebuilt from the rows its
records name and scored by models the checker fits itself, split the rows into cv parts, each scored by a
model fitted on the others, and its accuracies are those scores; the inputs left alone.

The question's CHECKS are the public ones (``public.py``) and these; never shown to students.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mnist_kit import spec
from mnist_kit.checks import answer, changed, hidden, left_alone, require
from mnist_kit.questions.q5_accuracy import ANSWERS, CROSS_VALIDATIONS, KINDS, THRESHOLDS

from .public import ACCURACY, CHECKS as PUBLIC_CHECKS, CROSS_VALIDATION, accuracy_of, fold_accuracies, folds_of, returns_measured_accuracies

if TYPE_CHECKING:
    from mnist_kit.checks import Answers
    from mnist_kit.inputs import Inputs


def accuracy_ten_classes(answers: Answers, inputs: Inputs) -> None:
    accuracy_of(answers, inputs, "digits", np.arange(10), inputs.data.test_digits)


def cross_val_partition(answers: Answers, inputs: Inputs) -> None:
    for name in CROSS_VALIDATIONS:
        folds_of(answers, inputs, name)


def cross_val_scores(answers: Answers, inputs: Inputs) -> None:
    """The returned accuracies are the ones the checker measures; the logic is public, as it also decides whether the folds count."""
    returns_measured_accuracies(answers=answers, inputs=inputs)


def cross_val_level(answers: Answers, inputs: Inputs) -> dict[str, float]:
    means = [float(np.mean(fold_accuracies(answers, inputs, call))) for call in CROSS_VALIDATIONS]
    mean, goal = min(means), THRESHOLDS["cross_val_mean"].value
    require(
        mean >= goal,
        f"The folds average {mean:.3f}; the logistic model the grader passes in detects 2s with at least {goal} "
        "on folds of the data it was given. Fit a fresh copy of the model passed in on each training part, on those rows' labels.",
    )
    return {"cross_val_mean": mean}


def accuracy_leaves_inputs_alone(answers: Answers, inputs: Inputs) -> None:
    weights = inputs.arrays["input_weights"]
    for kind in KINDS:
        rows = inputs.arrays[f"{kind}_rows"]
        truth = inputs.data.test_digits[rows] if kind == "digits" else inputs.data.test_digits[rows] == spec.TARGET_DIGIT
        _unchanged(answers, kind, inputs.data.test_images[rows] @ weights, truth, "accuracy")


def cross_val_leaves_inputs_alone(answers: Answers, inputs: Inputs) -> None:
    weights = inputs.arrays["input_weights"]
    for call in CROSS_VALIDATIONS:
        rows = inputs.arrays[f"{call}_rows"]
        _unchanged(
            answers,
            call,
            inputs.data.train_scores(weights, 0.0)[rows, 0],
            inputs.data.train_digits[rows] == spec.TARGET_DIGIT,
            "cross_val_accuracy",
        )


def _unchanged(answers: Answers, called: str, sums: np.ndarray, labels: np.ndarray, function: str) -> None:
    left_alone(
        function,
        "work on copies, never modify its arguments in place.",
        (answer(answers, ANSWERS.X_after_call(called=called)), sums),
        (answer(answers, ANSWERS.y_after_call(called=called)), labels),
    )


def _swap_fits(answers: Answers, inputs: Inputs) -> None:
    """Every prediction of the cv=3 run credited to the next fitted copy: each fold scored by a model that saw it."""
    n_fits, n_predictions = answer(answers, ANSWERS.records(call="three"))
    for i in range(n_predictions):
        key = ANSWERS.prediction_fit(call="three", number=i)
        answers.arrays[key] = np.array((int(answer(answers, key)) + 1) % n_fits)


def _fits_on_every_row(answers: Answers, inputs: Inputs) -> None:
    """Every fit of the cv=4 run claimed on all the rows, so each fold is scored by a model that saw it."""
    n_fits = int(answer(answers, ANSWERS.records(call="four"))[0])
    for i in range(n_fits):
        answers.arrays[ANSWERS.fit_rows(call="four", number=i)] = np.arange(len(inputs.arrays["four_rows"]), dtype=np.int32)


CHECKS = [
    *PUBLIC_CHECKS,
    hidden(accuracy_ten_classes, defect=changed(ANSWERS.accuracy(kind="digits"), lambda share: np.asarray(share * 0.9))),
    hidden(cross_val_partition, defect=_swap_fits, needs=CROSS_VALIDATION),
    hidden(cross_val_scores, defect=changed(ANSWERS.folds(call="three"), lambda folds: folds[::-1] * 0.99)),
    hidden(cross_val_level, defect=_fits_on_every_row, needs=CROSS_VALIDATION),
    hidden(accuracy_leaves_inputs_alone, defect=changed(ANSWERS.y_after_call(called="binary"), np.logical_not), needs=ACCURACY),
    hidden(cross_val_leaves_inputs_alone, defect=changed(ANSWERS.y_after_call(called="three"), np.logical_not), needs=CROSS_VALIDATION),
]
