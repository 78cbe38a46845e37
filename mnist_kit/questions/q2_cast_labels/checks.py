"""q2's checks: the cast labels are an int8 array, their values are the labels', and the labels are left alone."""

import numpy as np

from mnist_kit.checks import answer, changed, dtype_name, hidden, public, require


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


def cast_leaves_input_alone(answers, inputs):
    require(np.array_equal(answer(answers, "y_after_call").astype(str), inputs.arrays["y"]),
            "cast_labels changed the array it was given: return a new array (y.astype(...)) instead.")


CHECKS = [
    public(cast_dtype, defect=changed("cast", lambda cast: cast.astype(np.int64))),
    hidden(cast_values, defect=changed("cast", lambda cast: (cast + 1).astype(np.int8))),
    hidden(cast_leaves_input_alone, defect=changed("y_after_call", lambda labels: labels[::-1])),
]
