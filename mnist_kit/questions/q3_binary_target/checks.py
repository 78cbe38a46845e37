"""q3's checks: a boolean array, True exactly at the default digit, and at any digit asked for."""

import numpy as np

from mnist_kit import spec
from mnist_kit.checks import answer, changed, combined, described, dtype_name, hidden, is_ndarray, public, require


def binary_dtype(answers, inputs):
    for key in ("default_digit", "other_digit"):
        _, description = answer(answers, key)
        require(is_ndarray(description), f"make_binary_target should return a numpy array, not {description.get('type')}.")
        require(
            description.get("dtype") == np.dtype(bool).str,
            f"make_binary_target returned dtype {dtype_name(description)}: return the boolean array y == digit, not 0/1 numbers.",
        )


def binary_default_digit(answers, inputs):
    target, _ = answer(answers, "default_digit")
    require(
        np.array_equal(target, inputs.arrays["y"] == spec.TARGET_DIGIT),
        f"make_binary_target(y) should be True exactly where y is {spec.TARGET_DIGIT}, the default digit.",
    )


def binary_other_digit(answers, inputs):
    target, _ = answer(answers, "other_digit")
    require(
        np.array_equal(target, inputs.arrays["y"] == inputs.params["digit"]),
        "make_binary_target(y, digit=d) should be True exactly where y is d: use the digit argument, not a fixed 2.",
    )


CHECKS = [
    public(binary_dtype, defect=combined(changed("default_digit", lambda target: target.astype(np.int64)),
                                         described("default_digit", dtype=np.dtype(np.int64).str))),
    public(binary_default_digit, defect=changed("default_digit", lambda target: ~target)),
    hidden(binary_other_digit, defect=changed("other_digit", lambda target: ~target)),
]
