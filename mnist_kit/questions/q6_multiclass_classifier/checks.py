"""q6's checks: an SGDClassifier with the logistic loss that knows ten digits, and is good enough."""

import numpy as np

from mnist_kit.checks import changed, described, hidden, model, model_shapes_ok, predict, public, require
from mnist_kit.questions.q6_multiclass_classifier import THRESHOLDS


def multiclass_model_type(answers, inputs):
    parameters, description = model(answers)
    require(
        description["type"] == "SGDClassifier",
        f"fit_multiclass_classifier should return a fitted SGDClassifier, not {description['type']}.",
    )
    require(
        description.get("loss") == "log_loss",
        f"The SGDClassifier uses loss={description.get('loss')!r}; logistic regression needs loss='log_loss'.",
    )
    require(
        [int(c) for c in parameters["classes_"]] == list(range(10)) and model_shapes_ok(parameters, 784, 10),
        "The model should know all ten digits: fit it on the digit labels 0-9, not on the binary target.",
    )


def multiclass_model_quality(answers, inputs):
    test_images, test_digits = inputs.data.test_images, inputs.data.test_digits
    parameters, _ = model(answers)
    require(model_shapes_ok(parameters, test_images.shape[1], 10), "The model's coefficients do not fit 784 pixels and ten digits.")
    accuracy, goal = float(np.mean(predict(parameters, test_images / 255.0).astype(int) == test_digits)), THRESHOLDS["multiclass_accuracy"].value
    require(
        accuracy >= goal,
        f"On the scaled test images the model is right {accuracy:.3f} of the time; it needs at least "
        f"{goal}. Fit on the scaled pixels it is given, with loss='log_loss'.",
    )
    return {"multiclass_accuracy": accuracy}


CHECKS = [
    public(multiclass_model_type, defect=described("model", loss="hinge")),
    hidden(multiclass_model_quality, defect=changed("model_coef_", lambda coef: np.roll(coef, 1, axis=0))),
]
