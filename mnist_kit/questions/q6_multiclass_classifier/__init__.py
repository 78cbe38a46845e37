"""q6: fit a ten-digit logistic regression by stochastic gradient descent on scaled pixels.

Graded on the shared training images (see q4), scaled to 0-1; the checker measures the model on
its own scaled test images. Every pass of scikit-learn's SGD solver runs in the witness
(:mod:`mnist_kit.witness`), a process the student's code cannot reach, which writes down the loss
each weight vector was learnt with: the checker tells from that record that the returned weights
were learnt with the logistic loss, whatever the model or the student's process says of itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mnist_kit.answers import AnswerSchema, FittedModel
from mnist_kit.inputs import InputSchema
from mnist_kit.questions import Threshold

if TYPE_CHECKING:
    import numpy as np

    from mnist_kit.inputs import DrawData

NAME = "q6"
POINTS = 2
FUNCTIONS = ("fit_multiclass_classifier",)
USES_DATA = True
# The fitted model, and what the fit left of its X (a weighted sum per row) and y
# The commonest mistakes (a case of sample_submissions/cases.py each): every one fails a public check.
COMMON_MISTAKES = {
    "wrong_sgd_hinge": "SGDClassifier's default hinge loss (the textbook's), not loss='log_loss'",
    "wrong_sgd_binary_target": "fits on the binary target, not the ten digits",
}
ANSWERS = AnswerSchema(NAME, model=FittedModel("model"), X_after_call="X_after_call", y_after_call="y_after_call")
# What draw() makes, read by the collector and the checks through this one declaration
INPUTS = InputSchema(NAME, arrays=("input_weights",))
WITNESSED = True
THRESHOLDS = {"multiclass_accuracy": Threshold(0.88, margin=0.02)}


def draw(rng: np.random.Generator, fixed: np.random.Generator, data: DrawData) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    return {"input_weights": fixed.integers(1, 2**20, size=data.images.shape[1]).astype(float)}, {}
