"""q6: fit a ten-digit logistic regression by stochastic gradient descent on scaled pixels.

Graded on the shared training images (see q4), scaled to 0-1; the checker measures the model on
its own scaled test images.
"""

from mnist_kit.questions import Threshold

NAME = "q6"
POINTS = 2
FUNCTIONS = ("fit_multiclass_classifier",)
THRESHOLDS = {"multiclass_accuracy": Threshold(0.88, margin=0.02)}


def draw(rng, data):
    return {}, {}
