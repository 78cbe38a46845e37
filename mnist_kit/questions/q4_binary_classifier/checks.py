"""q4's checks: a LogisticRegression on 784 pixels and two classes, good enough, right on the showcase 2."""

import numpy as np

from mnist_kit import spec
from mnist_kit.checks import changed, combined, described, hidden, model, model_shapes_ok, predict, public, require
from mnist_kit.questions.q4_binary_classifier import THRESHOLDS


def binary_model_type(answers, inputs):
    parameters, description = model(answers)
    require(
        description["type"] == "LogisticRegression",
        f"fit_binary_classifier should return a fitted LogisticRegression, not {description['type']}.",
    )
    require(
        [bool(c) for c in parameters["classes_"]] == [False, True] and model_shapes_ok(parameters, 784, 2),
        "The model should be fitted on all 784 pixels with the boolean target (classes False and True).",
    )


def binary_model_quality(answers, inputs):
    test_images, test_digits = inputs.data.test_images, inputs.data.test_digits
    parameters, _ = model(answers)
    require(model_shapes_ok(parameters, test_images.shape[1], 2), "The model's coefficients do not fit 784 pixels.")
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


def binary_model_showcase(answers, inputs):
    showcase_image = inputs.data.showcase_image
    parameters, _ = model(answers)
    require(
        model_shapes_ok(parameters, showcase_image.shape[0], 2) and bool(predict(parameters, showcase_image[None, :])[0]),
        f"The model should say True for image {spec.SHOWCASE_IMAGE}, the 2 shown at the top of the notebook.",
    )


CHECKS = [
    public(binary_model_type, defect=described("model", type="SGDClassifier")),
    hidden(binary_model_quality, defect=changed("model_coef_", np.zeros_like)),
    hidden(binary_model_showcase, defect=combined(changed("model_coef_", np.negative), changed("model_intercept_", np.negative))),
]
