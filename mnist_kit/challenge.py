"""Grading-time inputs for the student's functions, drawn fresh for every grading run.

The checker draws a challenge from a seed nobody knows in advance, hands it to the student's
process as plain data (``challenge.npz`` and ``challenge.json``), and later judges the answers
against the same challenge. Outputs that were hard-coded or computed from anything but the
inputs therefore cannot pass.
"""

import json
from pathlib import Path

import numpy as np

from . import spec

ARRAYS_FILE = "challenge.npz"
PARAMS_FILE = "challenge.json"
CV_FOLD_CHOICES = (3, 4, 5)


def make_challenge(seed, images, digits):
    """Draw the inputs the checker sends to the student's functions.

    Parameters
    ----------
    seed : int
        Seed of this grading run; the same seed gives the same challenge.
    images : ndarray of shape (70000, 784)
        The checker's own copy of the MNIST pixels (0-255).
    digits : ndarray of shape (70000,), dtype int
        The checker's own copy of the labels as integers.

    Returns
    -------
    arrays : dict of str to ndarray
        Inputs that are arrays; none of them is an object array, so they travel without pickle.
    params : dict
        Scalar inputs (sizes, seeds, the digit for ``make_binary_target``), JSON-serialisable.
    """
    rng = np.random.default_rng(seed)
    n_rows = int(rng.integers(80, 160))
    row_ids = np.arange(n_rows)
    q1_images = np.column_stack([row_ids, rng.normal(size=(n_rows, 3))])
    params = {
        "seed": int(seed),
        "q1_n_train": int(rng.integers(n_rows // 3, 2 * n_rows // 3)),
        "q1_seeds": [int(s) for s in rng.choice(10_000, size=2, replace=False)],
        "q3_digit": int(rng.choice([d for d in range(10) if d != spec.TARGET_DIGIT])),
        "q5_cv": int(rng.choice(CV_FOLD_CHOICES)),
    }
    n_train = spec.N_TRAIN
    permutation = rng.permutation(images.shape[1])
    is_target = digits[:n_train] == spec.TARGET_DIGIT
    arrays = {
        "q1_X": q1_images,
        "q1_y": row_ids.astype(str),
        "q2_y": rng.integers(0, 10, size=int(rng.integers(50, 200))).astype(str),
        "q3_y": rng.integers(0, 10, size=int(rng.integers(50, 200))).astype(np.int8),
        "pixel_permutation": permutation,
        "train_order": rng.permutation(n_train),
        "q5_rows": np.sort(rng.choice(images.shape[0] - n_train, size=2_000, replace=False)),
        "q5_cv_rows": np.sort(rng.choice(n_train, size=n_train - int(rng.integers(1, 1_000)), replace=False)),
    }
    arrays["q5_coef"], arrays["q5_intercept"] = _centroid_model(images[:n_train], is_target, permutation)
    return arrays, params


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


def write_challenge(directory, arrays, params):
    """Write a challenge as plain data into ``directory``."""
    directory = Path(directory)
    np.savez(directory / ARRAYS_FILE, **arrays)
    (directory / PARAMS_FILE).write_text(json.dumps(params))


def read_challenge(directory):
    """Read a challenge written by :func:`write_challenge`, refusing anything that needs pickle."""
    directory = Path(directory)
    with np.load(directory / ARRAYS_FILE, allow_pickle=False) as stored:
        arrays = {key: stored[key] for key in stored.files}
    return arrays, json.loads((directory / PARAMS_FILE).read_text())
