"""q4's public checks: a logistic regression on 784 pixels and two boolean classes, that recognises the notebook's 2.

Shipped with the student release: ``grader.check`` runs these very checks in the notebook (on
inputs of its own, see :mod:`mnist_kit.notebook`), and the grade runs them on the grading-time inputs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mnist_kit import spec
from mnist_kit.checks import (
    CheckFailed,
    Goal,
    Usable,
    changed,
    combined,
    model,
    model_shapes_ok,
    predict,
    public,
    require,
    require_a_learnt_classifier,
)
from mnist_kit.questions.q4_binary_classifier import ANSWERS, THRESHOLDS

if TYPE_CHECKING:
    from mnist_kit.checks import Answers
    from mnist_kit.inputs import Inputs

# A fitted LogisticRegression's probabilities score a log loss of 0.077-0.087 on the test images
# (tol from 0.05 to 0.5, C from 0.01 to 1, lbfgs or liblinear); a linear SVM's 0.19, a ridge
# classifier's 0.37, a hinge SGD's 0.78: a model's kind shows in its probabilities.
LOGISTIC_LOG_LOSS = 0.13


def binary_model_learnt(answers: Answers, inputs: Inputs) -> None:
    """Usable: a two-class model on every pixel that tells 2s from the rest better than always answering "not a 2"."""
    require_a_learnt_classifier(
        answers, ANSWERS.model(), inputs.data.test_images, inputs.data.test_digits == spec.TARGET_DIGIT, [0, 1], "fit_binary_classifier"
    )


LEARNT = Usable("fit_binary_classifier", binary_model_learnt)


def binary_model_type(answers: Answers, inputs: Inputs) -> None:
    parameters = model(answers, ANSWERS.model())
    require(
        parameters["classes_"].dtype == bool and parameters["classes_"].tolist() == [False, True],
        f"The model's classes are {parameters['classes_'].tolist()}; fit it on the boolean target it is given "
        "(classes False and True), so that predict returns booleans.",
    )
    n_pixels = inputs.data.test_images.shape[1]
    require(
        model_shapes_ok(parameters, n_pixels, 2),
        f"The model should be fitted on all {n_pixels} pixels: its coefficients have another shape.",
    )


def binary_model_is_logistic(answers: Answers, inputs: Inputs) -> None:
    parameters = model(answers, ANSWERS.model())
    n_pixels = inputs.data.test_images.shape[1]
    require(model_shapes_ok(parameters, n_pixels, 2), f"The model's coefficients do not fit {n_pixels} pixels.")
    scores = np.clip(inputs.data.test_images @ parameters["coef_"].ravel() + parameters["intercept_"][0], -500, 500)
    truth = inputs.data.test_digits == spec.TARGET_DIGIT
    log_loss = float(np.mean(np.logaddexp(0, -scores) * truth + np.logaddexp(0, scores) * ~truth))
    if log_loss <= LOGISTIC_LOG_LOSS:
        return
    # Say the cause the checker sees: a model that never met the pixel only late rows use was fitted on
    # part of the rows (a LogisticRegression on X[:500] is still a LogisticRegression); a model that says
    # it is a LogisticRegression stopped before it converged. The type only words the message.
    if parameters["coef_"][0, inputs.data.trap_column] <= 0:
        cause = (
            "It gives no weight to a pixel that only late training rows use, so it was fitted on part of the rows: "
            "fit on all of X and y_binary."
        )
    elif answers.descriptions.get(ANSWERS.model()) == "LogisticRegression":
        cause = (
            "It is a LogisticRegression whose solver stopped before it converged: keep the notebook's "
            'LogisticRegression(tol=0.1, solver="lbfgs") and raise max_iter (1000 is plenty) if it warns that it did not converge.'
        )
    else:
        cause = "Its probabilities are far from a logistic regression's: fit a LogisticRegression, not another kind of classifier."
    raise CheckFailed(
        f"The model's probabilities on the test images have a log loss of {log_loss:.2f}; a logistic regression fitted on "
        f"every row stays under {LOGISTIC_LOG_LOSS}. {cause}"
    )


def binary_model_showcase(answers: Answers, inputs: Inputs) -> None:
    showcase_image = inputs.data.showcase_image
    parameters = model(answers, ANSWERS.model())
    require(
        model_shapes_ok(parameters, showcase_image.shape[0], 2) and bool(predict(parameters, showcase_image[None, :])[0]),
        f"The model should say True for image {spec.SHOWCASE_IMAGE}, the 2 shown at the top of the notebook.",
    )


def goals(answers: Answers, inputs: Inputs) -> list[Goal]:
    """The accuracy and the share of 2s found on the test images, which hidden checks require."""
    found = predict(model(answers, ANSWERS.model()), inputs.data.test_images)
    truth = inputs.data.test_digits == spec.TARGET_DIGIT
    return [
        Goal("accuracy on the test images", float(np.mean(found == truth)), THRESHOLDS["binary_accuracy"].value),
        Goal("share of the test images' 2s it finds", float(np.mean(found[truth])), THRESHOLDS["binary_recall"].value),
    ]


CHECKS = [
    public(binary_model_type, defect=changed(ANSWERS.model.parameter("classes_"), lambda classes: classes.astype(int)), needs=LEARNT),
    public(binary_model_is_logistic, defect=changed(ANSWERS.model.parameter("coef_"), lambda coef: coef * 40), needs=LEARNT),
    public(
        binary_model_showcase,
        defect=combined(
            changed(ANSWERS.model.parameter("coef_"), np.negative), changed(ANSWERS.model.parameter("intercept_"), np.negative)
        ),
        needs=LEARNT,
    ),
]
