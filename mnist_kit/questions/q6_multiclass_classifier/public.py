"""q6's public checks: ten digits on 784 pixels, weights learnt by SGD with the logistic loss.

Shipped with the student release: ``grader.check`` runs these very checks in the notebook (on
inputs of its own, see :mod:`mnist_kit.notebook`), and the grade runs them on the grading-time inputs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mnist_kit.checks import (
    CheckFailed,
    Goal,
    Usable,
    changed,
    model,
    model_shapes_ok,
    predict,
    public,
    require,
    require_a_learnt_classifier,
)
from mnist_kit.questions.q6_multiclass_classifier import ANSWERS, THRESHOLDS
from mnist_kit.witness import CONTINUED, weights_digest

if TYPE_CHECKING:
    from mnist_kit.checks import Answers
    from mnist_kit.inputs import Inputs

LOGISTIC_SOLVER_LOSS = "CyHalfBinomialLoss"  # scikit-learn's loss object for loss="log_loss"
LOSS_NAMES = {
    LOGISTIC_SOLVER_LOSS: "log_loss",
    "Hinge": "hinge",
    "SquaredHinge": "squared_hinge",
    "ModifiedHuber": "modified_huber",
    "CyHalfSquaredError": "squared_error",
    "CyHuberLoss": "huber",
    "EpsilonInsensitive": "epsilon_insensitive",
    "SquaredEpsilonInsensitive": "squared_epsilon_insensitive",
}


def multiclass_model_learnt(answers: Answers, inputs: Inputs) -> None:
    """Usable: a ten-digit model on every pixel that is right more often than always answering the commonest digit."""
    require_a_learnt_classifier(
        answers, ANSWERS.model(), inputs.data.test_images / 255.0, inputs.data.test_digits, list(range(10)), "fit_multiclass_classifier"
    )


LEARNT = Usable("fit_multiclass_classifier", multiclass_model_learnt)


def multiclass_model_type(answers: Answers, inputs: Inputs) -> None:
    parameters = model(answers, ANSWERS.model())
    require(
        parameters["classes_"].tolist() == list(range(10)),
        f"The model knows the classes {parameters['classes_'].tolist()[:12]}; fit it on the digit labels 0-9, not on the binary target.",
    )
    n_pixels = inputs.data.test_images.shape[1]
    require(
        model_shapes_ok(parameters, n_pixels, 10),
        f"The model should be fitted on all {n_pixels} pixels: its coefficients have another shape.",
    )


def multiclass_model_is_logistic_sgd(answers: Answers, inputs: Inputs) -> None:
    """Decided from the witness's record (:mod:`mnist_kit.witness`), which the student's code cannot reach."""
    losses = [inputs.witnessed.get(weights_digest(row), "") for row in np.atleast_2d(model(answers, ANSWERS.model())["coef_"])]
    require(
        any(losses),
        "The model's weights were not learnt by an SGDClassifier's fit: create SGDClassifier(loss='log_loss'), fit it on X "
        "and y, and return that fitted model itself.",
    )
    other = next((loss for loss in losses if loss != LOGISTIC_SOLVER_LOSS), None)
    if other is not None:
        raise CheckFailed(_not_logistic(other))


def _not_logistic(loss: str) -> str:
    if loss == "":
        return "The model's weights are not the ones its SGD fit learnt: return the fitted SGDClassifier itself."
    if loss == CONTINUED:
        return (
            "The model's weights were trained on from weights no logistic SGD fit learnt (another model's, or coef_init): "
            "fit SGDClassifier(loss='log_loss') from its start."
        )
    return (
        f"The model's weights were learnt with loss={LOSS_NAMES.get(loss, loss)!r}; logistic regression needs "
        "loss='log_loss' when it is fitted (changing the setting afterwards changes nothing)."
    )


def goals(answers: Answers, inputs: Inputs) -> list[Goal]:
    """The accuracy on the test images (scaled as the notebook scales them), which a hidden check requires."""
    found = predict(model(answers, ANSWERS.model()), inputs.data.test_images / 255.0)
    accuracy = float(np.mean(found == inputs.data.test_digits))
    return [Goal("accuracy on the test images, all ten digits", accuracy, THRESHOLDS["multiclass_accuracy"].value)]


CHECKS = [
    public(multiclass_model_type, defect=changed(ANSWERS.model.parameter("classes_"), lambda classes: classes[:2]), needs=LEARNT),
    public(
        multiclass_model_is_logistic_sgd,
        defect=changed(ANSWERS.model.parameter("coef_"), lambda coef: np.nextafter(coef, np.inf)),
        needs=LEARNT,
    ),
]
