"""q4: fit a logistic regression that answers "is it a 2?".

Graded on the data every submission is graded on alike (see ``mnist_kit.challenge``): all 60,000
training images with their pixel columns permuted, the rows in a drawn order, and trap rows that
show whether the model saw every row. The checker measures the model itself on its own copy of
the 10,000 test images, permuted alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mnist_kit.answers import AnswerSchema, FittedModel
from mnist_kit.inputs import InputSchema
from mnist_kit.questions import Threshold

if TYPE_CHECKING:
    import numpy as np

    from mnist_kit.inputs import DrawData

NAME = "q4"
POINTS = 2
FUNCTIONS = ("fit_binary_classifier",)
USES_DATA = True
# The fitted model, and what the fit left of its X (a weighted sum per row) and y
# The commonest mistakes (a case of sample_submissions/cases.py each): every one fails a public check.
COMMON_MISTAKES = {
    "wrong_fit_on_test_set": "fits on the test images",
    "wrong_fit_on_1000_rows": "fits on the first 1,000 rows only",
    "wrong_max_iter_1": "a LogisticRegression stopped before it converged (max_iter=1)",
    "wrong_binary_hinge_sgd": "a hinge-loss SGDClassifier (a textbook's default) instead of a LogisticRegression",
    "wrong_fit_on_int_target": "fits on 0/1 integers, not the boolean target",
}
ANSWERS = AnswerSchema(NAME, model=FittedModel("model"), X_after_call="X_after_call", y_after_call="y_after_call")
# What draw() makes, read by the collector and the checks through this one declaration
INPUTS = InputSchema(NAME, arrays=("input_weights",))
THRESHOLDS = {
    "binary_accuracy": Threshold(0.97, margin=0.005),  # always answering "not a 2" already scores 0.897
    "binary_recall": Threshold(0.80, margin=0.03),  # share of the test 2s the model finds
}


def draw(rng: np.random.Generator, fixed: np.random.Generator, data: DrawData) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    # Integer weights: the images' weighted sums are exact, so the checker can tell whether they changed.
    return {"input_weights": fixed.integers(1, 2**20, size=data.images.shape[1]).astype(float)}, {}
