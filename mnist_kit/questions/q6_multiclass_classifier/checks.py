"""q6's hidden checks: good enough on the test images, fitted on every row, the inputs left alone.

The question's CHECKS are the public ones (``public.py``) and these; never shown to students.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mnist_kit import spec
from mnist_kit.checks import answer, changed, close, hidden, left_alone, model, model_shapes_ok, predict, require
from mnist_kit.inputs import forget_the_trap
from mnist_kit.questions.q6_multiclass_classifier import ANSWERS, FUNCTIONS, THRESHOLDS

from .public import CHECKS as PUBLIC_CHECKS, LEARNT

if TYPE_CHECKING:
    from mnist_kit.checks import Answers
    from mnist_kit.inputs import Inputs


def multiclass_model_quality(answers: Answers, inputs: Inputs) -> dict[str, float]:
    test_images, test_digits = inputs.data.test_images, inputs.data.test_digits
    parameters = model(answers, ANSWERS.model())
    require(
        model_shapes_ok(parameters, test_images.shape[1], 10),
        f"The model's coefficients do not fit {test_images.shape[1]} pixels and ten digits.",
    )
    accuracy = float(np.mean(predict(parameters, test_images / 255.0).astype(int) == test_digits))
    goal = THRESHOLDS["multiclass_accuracy"].value
    require(
        accuracy >= goal,
        f"On the scaled test images the model is right {accuracy:.3f} of the time; it needs at least "
        f"{goal}. Fit on the scaled pixels it is given, all of them, with loss='log_loss'.",
    )
    return {"multiclass_accuracy": accuracy}


def multiclass_model_saw_every_row(answers: Answers, inputs: Inputs) -> None:
    parameters = model(answers, ANSWERS.model())
    require(
        model_shapes_ok(parameters, inputs.data.test_images.shape[1], 10)
        and parameters["coef_"][spec.TARGET_DIGIT, inputs.data.trap_column] > 0,
        "The model was not fitted on every training row it was given (a pixel only some late rows use has no weight): "
        "fit on all of X and y.",
    )


def multiclass_fit_leaves_inputs_alone(answers: Answers, inputs: Inputs) -> None:
    drawn = (inputs.data.train_scores(inputs.arrays["input_weights"], 0.0).ravel() / 255.0, inputs.data.train_digits)
    recorded = (answer(answers, ANSWERS.X_after_call()), answer(answers, ANSWERS.y_after_call()))
    advice = "work on copies, never modify X or y in place."
    left_alone(FUNCTIONS[0], advice, *zip(recorded, drawn, strict=True), same=lambda mine, given: close(mine, given, rtol=1e-9, atol=0))


CHECKS = [
    *PUBLIC_CHECKS,
    hidden(multiclass_model_quality, defect=changed(ANSWERS.model.parameter("coef_"), lambda coef: np.roll(coef, 1, axis=0)), needs=LEARNT),
    hidden(multiclass_model_saw_every_row, defect=forget_the_trap(ANSWERS.model()), needs=LEARNT),
    hidden(multiclass_fit_leaves_inputs_alone, defect=changed(ANSWERS.y_after_call(), lambda digits: (digits + 1) % 10), needs=LEARNT),
]
