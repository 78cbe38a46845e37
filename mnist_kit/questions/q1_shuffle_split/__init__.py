"""q1: split images and labels into a shuffled training part and an untouched test part.

Graded on a small synthetic table whose first column numbers the rows, so the checker can tell
which rows went where: a fresh size, a fresh ``n_train`` and two fresh seeds for every grading.
"""

import numpy as np

NAME = "q1"
POINTS = 2
FUNCTIONS = ("shuffle_split",)


def draw(rng, data):
    n_rows = int(rng.integers(80, 160))
    row_ids = np.arange(n_rows)
    arrays = {"X": np.column_stack([row_ids, rng.normal(size=(n_rows, 3))]), "y": row_ids.astype(str)}
    params = {
        "n_train": int(rng.integers(n_rows // 3, 2 * n_rows // 3)),
        "seeds": [int(s) for s in rng.choice(10_000, size=2, replace=False)],
    }
    return arrays, params
