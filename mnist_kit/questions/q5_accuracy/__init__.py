"""q5: measure a model: accuracy on given data, and accuracy on each fold of a cross-validation.

``accuracy`` is graded with two models of the grader's, a two-class one (the centroid direction
between 2s and the rest) and a ten-class one (the nearest digit centroid), each on 2,000 test rows
drawn for this grading. ``cross_val_accuracy`` is called twice, with cv=3 and cv=4, each on 40,000
training rows the same for every submission, with a logistic model of the grader's that records
which rows it was fitted on and which it predicted (see ``collect.GraderModel``). Those records are
the student's process's, so the checker believes none of them: it fits each fold's model itself
on the rows a record names (:func:`fit_grader_model` is deterministic) and counts the folds only
when the accuracies the student's function returned are those models' accuracies on their folds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mnist_kit import spec
from mnist_kit.answers import AnswerSchema
from mnist_kit.inputs import InputSchema
from mnist_kit.questions import Threshold

if TYPE_CHECKING:
    from mnist_kit.inputs import DrawData

NAME = "q5"
POINTS = 2
FUNCTIONS = ("accuracy", "cross_val_accuracy")
USES_DATA = True
THRESHOLDS = {"cross_val_mean": Threshold(0.97, margin=0.004)}
CROSS_VALIDATIONS = {"three": 3, "four": 4}  # never only the default (5): a function that ignores cv fails
CV_ROWS = 40_000
ACCURACY_ROWS = 2_000
KINDS = ("binary", "digits")  # the two models accuracy is called with
MAX_RECORDS = 64  # fits, and predictions, kept per cross-validation: a right one makes at most 2 x cv
RECORD_NUMBERS = range(2 * MAX_RECORDS)  # the journal keeps 2 x MAX_RECORDS records, of either kind
# The commonest mistakes (a case of sample_submissions/cases.py each): every one fails a public check.
COMMON_MISTAKES = {
    "wrong_accuracy_on_training_set": "measures the accuracy on the training images",
    "wrong_accuracy_percentage": "returns a percentage, not a fraction",
    "wrong_cross_val_mean": "returns the folds' mean, not each fold's accuracy",
    "wrong_cross_val_ignores_cv": "ignores cv",
}
ANSWERS = AnswerSchema(
    NAME,
    parts={"kind": KINDS, "call": tuple(CROSS_VALIDATIONS), "called": (*KINDS, *CROSS_VALIDATIONS), "number": RECORD_NUMBERS},
    accuracy="{kind}_accuracy",
    folds="{call}_folds",
    # What each call left of its X (a weighted sum per row) and y
    X_after_call="{called}_X_after_call",
    y_after_call="{called}_y_after_call",
    # The recording model's journal of each cross-validation: how many fits and predictions, then each one's rows
    records="{call}_records",
    fit_rows="{call}_fit{number}_rows",
    prediction_fit="{call}_prediction{number}_fit",
    prediction_rows="{call}_prediction{number}_rows",
)
# What draw() makes, read by the collector and the checks through this one declaration
INPUTS = InputSchema(
    NAME,
    arrays=(
        "binary_coef",
        "binary_intercept",
        "binary_rows",
        "digits_coef",
        "digits_intercept",
        "digits_rows",
        "four_rows",
        "input_weights",
        "three_rows",
    ),
    params=("four_cv", "three_cv"),
)


def draw(rng: np.random.Generator, fixed: np.random.Generator, data: DrawData) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    n_test = data.images.shape[0] - spec.N_TRAIN
    arrays = {
        "binary_rows": np.sort(rng.choice(n_test, size=ACCURACY_ROWS, replace=False)),
        "digits_rows": np.sort(rng.choice(n_test, size=ACCURACY_ROWS, replace=False)),
        **data.once(_fixed_models),
        # Integer weights: the images' weighted sums are exact, so a row is known by its sum.
        "input_weights": fixed.integers(1, 2**20, size=data.images.shape[1]).astype(float),
    }
    params = {}
    for call, cv in CROSS_VALIDATIONS.items():
        arrays[f"{call}_rows"] = np.sort(fixed.choice(spec.N_TRAIN, size=CV_ROWS, replace=False))
        params[f"{call}_cv"] = cv
    return arrays, params


def fit_grader_model(images: np.ndarray, labels: np.ndarray) -> Any:
    """The model ``cross_val_accuracy`` is given, fitted: one averaged pass of logistic SGD, the same bits everywhere.

    On every fold layout it averages above the ``cross_val_mean`` threshold, at a sixth of the cost
    of ``LogisticRegression(tol=0.1)``; what is graded is the folding, not the model.
    """
    from sklearn.linear_model import SGDClassifier

    # float32 whatever the caller passes (pixels are whole numbers, exact in float32): the checker,
    # which fits on the same pixels, gets the same bits, with half the memory of float64.
    images = np.asarray(images, dtype=np.float32)
    return SGDClassifier(loss="log_loss", average=True, max_iter=1, tol=None, random_state=0).fit(images, labels)


def _fixed_models(data: DrawData) -> dict[str, np.ndarray]:
    """The two models ``accuracy`` is called with; they depend on the data alone, so are computed once per checker."""
    train_images, train_digits, permutation = data.images[: spec.N_TRAIN], data.digits[: spec.N_TRAIN], data.shared["pixel_permutation"]
    binary_coef, binary_intercept = _centroid_direction(train_images, train_digits == spec.TARGET_DIGIT, permutation)
    digits_coef, digits_intercept = _nearest_centroid(train_images, train_digits, permutation)
    return {
        "binary_coef": binary_coef,
        "binary_intercept": binary_intercept,
        "digits_coef": digits_coef,
        "digits_intercept": digits_intercept,
    }


def _centroid_direction(images: np.ndarray, is_target: np.ndarray, permutation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A cheap, reasonable linear classifier: the direction from the mean non-target to the mean target.

    Its weights are for pixels in ``permutation``'s order; the means are taken before permuting,
    which gives the same numbers without a permuted copy of the images.
    """
    target_sum, total_sum = images[is_target].sum(axis=0, dtype=np.float64), images.sum(axis=0, dtype=np.float64)
    target_mean = target_sum / is_target.sum()
    other_mean = (total_sum - target_sum) / (~is_target).sum()
    coef = ((target_mean - other_mean) / 255.0)[permutation]
    intercept = -coef @ (target_mean + other_mean)[permutation] / 2.0
    return coef.reshape(1, -1), np.array([intercept])


def _nearest_centroid(images: np.ndarray, digits: np.ndarray, permutation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The nearest digit centroid as a ten-class linear model on raw pixels: scores x/255 @ m_c - |m_c|^2 / 2."""
    one_hot = np.eye(10)[digits]  # class sums as one product: a tenth of the time of ten masked means
    means = (one_hot.T @ images) / one_hot.sum(axis=0)[:, None] / 255.0
    return (means / 255.0)[:, permutation], -0.5 * (means * means).sum(axis=1)
