"""q4's public checks: a logistic regression on 784 pixels and two boolean classes, that recognises the notebook's 2.

Shipped with the student release: ``grader.check`` runs these very checks in the notebook (on
inputs of its own, see :mod:`mnist_kit.notebook`), and the grade runs them on the grading-time inputs.
"""

import numpy as np

from mnist_kit import spec
from mnist_kit.checks import Usable, changed, combined, model, model_shapes_ok, predict, public, require, require_a_learnt_classifier

# A fitted LogisticRegression's probabilities score a log loss of 0.077-0.087 on the test images
# (tol from 0.05 to 0.5, C from 0.01 to 1, lbfgs or liblinear); a linear SVM's 0.19, a ridge
# classifier's 0.37, a hinge SGD's 0.78: a model's kind shows in its probabilities.
LOGISTIC_LOG_LOSS = 0.13


def binary_model_learnt(answers, inputs):
    """Usable: a two-class model on every pixel that tells 2s from the rest better than always answering "not a 2"."""
    require_a_learnt_classifier(
        answers, inputs.data.test_images, inputs.data.test_digits == spec.TARGET_DIGIT, [0, 1], "fit_binary_classifier"
    )


LEARNT = Usable("fit_binary_classifier", binary_model_learnt)


def binary_model_type(answers, inputs):
    parameters = model(answers)
    require(
        parameters["classes_"].dtype == bool and parameters["classes_"].tolist() == [False, True],
        f"The model's classes are {parameters['classes_'].tolist()}; fit it on the boolean target it is given "
        "(classes False and True), so that predict returns booleans.",
    )
    require(model_shapes_ok(parameters, 784, 2), "The model should be fitted on all 784 pixels: its coefficients have another shape.")


def binary_model_is_logistic(answers, inputs):
    parameters = model(answers)
    require(model_shapes_ok(parameters, 784, 2), "The model's coefficients do not fit 784 pixels.")
    scores = np.clip(inputs.data.test_images @ parameters["coef_"].ravel() + parameters["intercept_"][0], -500, 500)
    truth = inputs.data.test_digits == spec.TARGET_DIGIT
    log_loss = float(np.mean(np.logaddexp(0, -scores) * truth + np.logaddexp(0, scores) * ~truth))
    require(
        log_loss <= LOGISTIC_LOG_LOSS,
        f"The model's probabilities on the test images have a log loss of {log_loss:.2f}; a fitted logistic regression's "
        f"stay under {LOGISTIC_LOG_LOSS}. Fit a LogisticRegression, not another kind of classifier.",
    )


def binary_model_showcase(answers, inputs):
    showcase_image = inputs.data.showcase_image
    parameters = model(answers)
    require(
        model_shapes_ok(parameters, showcase_image.shape[0], 2) and bool(predict(parameters, showcase_image[None, :])[0]),
        f"The model should say True for image {spec.SHOWCASE_IMAGE}, the 2 shown at the top of the notebook.",
    )


CHECKS = [
    public(binary_model_type, defect=changed("model_classes_", lambda classes: classes.astype(int)), needs=LEARNT),
    public(binary_model_is_logistic, defect=changed("model_coef_", lambda coef: coef * 40), needs=LEARNT),
    public(
        binary_model_showcase, defect=combined(changed("model_coef_", np.negative), changed("model_intercept_", np.negative)), needs=LEARNT
    ),
]
