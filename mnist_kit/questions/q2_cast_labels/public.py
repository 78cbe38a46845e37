"""q2's public checks: the cast labels are an int8 array holding the labels' values.

Shipped with the student release: ``grader.check`` runs these very checks in the notebook (on
inputs of its own, see :mod:`mnist_kit.notebook`), and the grade runs them on the grading-time inputs.
"""

import numpy as np

from mnist_kit.checks import answer, changed, dtype_name, public, require


def cast_dtype(answers, inputs):
    cast = answer(answers, "cast", "cast_labels's result")
    require(cast.dtype == np.int8,
            f"cast_labels returned dtype {dtype_name(cast)}: labels from OpenML are strings; cast them with astype(np.int8).")


def cast_values(answers, inputs):
    cast = answer(answers, "cast", "cast_labels's result")
    expected = inputs.arrays["y"].astype(np.int8)
    require(
        cast.shape == expected.shape and np.array_equal(cast.astype(np.int64), expected.astype(np.int64)),
        "cast_labels changed some labels' values: '7' must become 7, for every label, in the same order "
        "(even when some digits do not occur).",
    )


CHECKS = [
    public(cast_dtype, defect=changed("cast", lambda cast: cast.astype(np.int64))),
    public(cast_values, defect=changed("cast", lambda cast: (cast + 1).astype(np.int8))),
]
