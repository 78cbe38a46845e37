"""q5's checks: accuracy is the model's share of right answers; the folds are accuracies, and good ones."""

import numpy as np

from mnist_kit import spec
from mnist_kit.checks import answer, changed, hidden, predict, public, require
from mnist_kit.questions.q5_accuracy import THRESHOLDS


def accuracy_value(answers, inputs):
    arrays, data = inputs.arrays, inputs.data
    value, description = answer(answers, "accuracy")
    require(value.shape == () and np.issubdtype(value.dtype, np.number), f"accuracy should return one number, not {description.get('type')}.")
    rows = arrays["rows"]
    grader_model = {"coef_": arrays["coef"], "intercept_": arrays["intercept"], "classes_": np.array([False, True])}
    expected = float(np.mean(predict(grader_model, data.test_images[rows]) == (data.test_digits[rows] == spec.TARGET_DIGIT)))
    require(
        abs(float(value) - expected) < 1e-9,
        "accuracy returned a different share of correct predictions than the model achieves on the X and y it was given: "
        "predict on X and return the fraction (between 0 and 1) of predictions equal to y.",
    )


def cross_val_folds(answers, inputs):
    folds, description = answer(answers, "fold_accuracies")
    cv = inputs.params["cv"]
    require(
        folds.ndim == 1 and folds.shape[0] == cv and np.issubdtype(folds.dtype, np.number),
        f"cross_val_accuracy(..., cv={cv}) should return {cv} fold accuracies as an array, "
        f"not a {description.get('type')} of shape {folds.shape}.",
    )
    n_rows = len(inputs.arrays["cv_rows"])
    require(
        all(_is_share_of_a_fold(accuracy, n_rows, cv) for accuracy in folds),
        "Each fold accuracy should be the share of correct predictions on one of the cv folds of the data it was given.",
    )


def _is_share_of_a_fold(accuracy, n_rows, cv):
    """True if ``accuracy`` is (correct / fold size) for a plausible fold size of ``n_rows`` split ``cv`` ways."""
    typical = n_rows // cv
    for size in range(typical - 12, typical + 13):
        correct = accuracy * size
        if 0 <= accuracy <= 1 and abs(correct - round(correct)) < 1e-6:
            return True
    return False


def cross_val_level(answers, inputs):
    folds, _ = answer(answers, "fold_accuracies")
    require(folds.ndim == 1 and folds.size > 0, "cross_val_accuracy returned no fold accuracies.")
    mean, goal = float(np.mean(folds)), THRESHOLDS["cross_val_mean"].value
    require(
        mean >= goal,
        f"The folds average {mean:.3f}; the logistic model the grader passes in detects 2s with at least "
        f"{goal}. Fit a fresh copy of the model passed in on each training fold.",
    )
    return {"cross_val_mean": mean}


CHECKS = [
    hidden(accuracy_value, defect=changed("accuracy", lambda share: np.asarray(share * 100))),
    public(cross_val_folds, defect=changed("fold_accuracies", lambda folds: folds[:-1])),
    hidden(cross_val_level, defect=changed("fold_accuracies", lambda folds: folds * 0.9)),
]
