"""q5's public checks: accuracy is the model's share of right answers, and cross-validation returns cv fold accuracies.

Shipped with the student release: ``grader.check`` runs these very checks in the notebook (on
inputs of its own, see :mod:`mnist_kit.notebook`), and the grade runs them on the grading-time inputs.
"""

import numpy as np

from mnist_kit import spec
from mnist_kit.checks import answer, array_of, changed, predict, public, require
from mnist_kit.questions.q5_accuracy import CROSS_VALIDATIONS


def accuracy_of(answers, inputs, kind, classes, truth):
    value = array_of(answers, f"{kind}_accuracy", "accuracy's result", ndim=0)
    require(np.issubdtype(value.dtype, np.number), f"accuracy should return a number, not a {value.dtype} value.")
    rows, arrays = inputs.arrays[f"{kind}_rows"], inputs.arrays
    model = {"coef_": arrays[f"{kind}_coef"], "intercept_": arrays[f"{kind}_intercept"], "classes_": classes}
    expected = float(np.mean(predict(model, inputs.data.test_images[rows]) == truth[rows]))
    require(abs(float(value) - expected) < 1e-9,
            f"With a {len(classes)}-class model, accuracy returned {float(value):.4g} but the model is right on a share "
            f"{expected:.4f} of the X and y it was given: compare clf.predict(X) with y and return the fraction "
            "(between 0 and 1) that are equal.")


def accuracy_value(answers, inputs):
    accuracy_of(answers, inputs, "binary", np.array([False, True]), inputs.data.test_digits == spec.TARGET_DIGIT)


def cross_val_folds(answers, inputs):
    for call, cv in CROSS_VALIDATIONS.items():
        folds = answer(answers, f"{call}_folds", f"cross_val_accuracy(..., cv={cv})'s result")
        require(folds.ndim == 1 and folds.shape[0] == cv and np.issubdtype(folds.dtype, np.number),
                f"cross_val_accuracy(..., cv={cv}) should return {cv} fold accuracies as an array, not an array of shape "
                f"{folds.shape}: use the cv argument.")


CHECKS = [
    public(accuracy_value, defect=changed("binary_accuracy", lambda share: np.asarray(share * 100))),
    public(cross_val_folds, defect=changed("four_folds", lambda folds: folds[:-1])),
]
