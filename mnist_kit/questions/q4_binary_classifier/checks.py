"""q4's hidden checks: good enough on the test images, fitted on every row, the inputs left alone.

The question's CHECKS are the public ones (``public.py``) and these; never shown to students.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mnist_kit import spec
from mnist_kit.checks import answer, changed, hidden, left_alone, model, model_shapes_ok, predict, require
from mnist_kit.inputs import forget_the_trap
from mnist_kit.questions.q4_binary_classifier import ANSWERS, FUNCTIONS, THRESHOLDS

from .public import CHECKS as PUBLIC_CHECKS, LEARNT

if TYPE_CHECKING:
    from mnist_kit.checks import Answers
    from mnist_kit.inputs import Inputs


def binary_model_quality(answers: Answers, inputs: Inputs) -> dict[str, float]:
    test_images, test_digits = inputs.data.test_images, inputs.data.test_digits
    parameters = model(answers, ANSWERS.model())
    require(model_shapes_ok(parameters, test_images.shape[1], 2), f"The model's coefficients do not fit {test_images.shape[1]} pixels.")
    predicted = predict(parameters, test_images).astype(bool)
    truth = test_digits == spec.TARGET_DIGIT
    accuracy, recall = float(np.mean(predicted == truth)), float(predicted[truth].mean())
    goal_accuracy, goal_recall = THRESHOLDS["binary_accuracy"].value, THRESHOLDS["binary_recall"].value
    require(
        accuracy >= goal_accuracy and recall >= goal_recall,
        f"On the test images the model scores accuracy {accuracy:.3f} and finds {recall:.0%} of the 2s; "
        f"it needs at least {goal_accuracy} and {goal_recall:.0%}. "
        "Fit on the training images it is given, all of them, until the solver converges.",
    )
    return {"binary_accuracy": accuracy, "binary_recall": recall}


def binary_model_saw_every_row(answers: Answers, inputs: Inputs) -> None:
    parameters = model(answers, ANSWERS.model())
    require(
        model_shapes_ok(parameters, inputs.data.test_images.shape[1], 2) and parameters["coef_"][0, inputs.data.trap_column] > 0,
        "The model was not fitted on every training row it was given (a pixel only some late rows use has no weight): "
        "fit on all of X and y_binary.",
    )


def binary_fit_leaves_inputs_alone(answers: Answers, inputs: Inputs) -> None:
    drawn = (inputs.data.train_scores(inputs.arrays["input_weights"], 0.0).ravel(), inputs.data.train_digits == spec.TARGET_DIGIT)
    recorded = (answer(answers, ANSWERS.X_after_call()), answer(answers, ANSWERS.y_after_call()))
    left_alone(FUNCTIONS[0], "work on copies (X / 255, not X /= 255).", *zip(recorded, drawn, strict=True))


CHECKS = [
    *PUBLIC_CHECKS,
    hidden(binary_model_quality, defect=changed(ANSWERS.model.parameter("coef_"), np.zeros_like), needs=LEARNT),
    hidden(binary_model_saw_every_row, defect=forget_the_trap(ANSWERS.model()), needs=LEARNT),
    hidden(binary_fit_leaves_inputs_alone, defect=changed(ANSWERS.X_after_call(), lambda keys: keys / 255), needs=LEARNT),
]
