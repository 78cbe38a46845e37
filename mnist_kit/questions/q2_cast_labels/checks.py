"""q2's checks: the cast labels are int8, and their values are the labels'."""

import numpy as np

from mnist_kit.checks import answer, changed, combined, described, dtype_name, hidden, is_ndarray, public, require


def cast_dtype(answers, inputs):
    cast, description = answer(answers, "cast")
    require(is_ndarray(description), f"cast_labels should return a numpy array, not {description.get('type')}.")
    require(
        description.get("dtype") == np.dtype(np.int8).str,
        f"cast_labels returned dtype {dtype_name(description)}: labels from OpenML are strings; cast them with astype(np.int8).",
    )


def cast_values(answers, inputs):
    cast, _ = answer(answers, "cast")
    expected = inputs.arrays["y"].astype(np.int8)
    require(
        cast.shape == expected.shape and np.array_equal(cast.astype(np.int64), expected.astype(np.int64)),
        "cast_labels changed some labels' values: '7' must become 7, for every label, in the same order.",
    )


CHECKS = [
    public(cast_dtype, defect=combined(changed("cast", lambda cast: cast.astype(np.int64)), described("cast", dtype=np.dtype(np.int64).str))),
    hidden(cast_values, defect=changed("cast", lambda cast: (cast + 1).astype(np.int8))),
]
