"""q5: measure a model: accuracy on given data, and accuracy on each fold of a cross-validation.

``accuracy`` is graded with a model of the grader's (the centroid direction between 2s and the
rest, computed from the checker's training images) on 2,000 drawn test rows; ``cross_val_accuracy``
with a logistic model of the grader's (see ``collect.cross_validation_model``) on most of the
training rows, at a drawn number of folds.
"""

import numpy as np

from mnist_kit import spec
from mnist_kit.questions import Threshold

NAME = "q5"
POINTS = 2
FUNCTIONS = ("accuracy", "cross_val_accuracy")
THRESHOLDS = {"cross_val_mean": Threshold(0.97, margin=0.004)}
CV_FOLD_CHOICES = (3, 4, 5)


def draw(rng, data):
    n_train, n_test = spec.N_TRAIN, data.images.shape[0] - spec.N_TRAIN
    coef, intercept = _centroid_model(data.images[:n_train], data.digits[:n_train] == spec.TARGET_DIGIT,
                                      data.shared["pixel_permutation"])
    arrays = {
        "rows": np.sort(rng.choice(n_test, size=2_000, replace=False)),
        "cv_rows": np.sort(rng.choice(n_train, size=n_train - int(rng.integers(1, 1_000)), replace=False)),
        "coef": coef,
        "intercept": intercept,
    }
    return arrays, {"cv": int(rng.choice(CV_FOLD_CHOICES))}


def _centroid_model(images, is_target, permutation):
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
