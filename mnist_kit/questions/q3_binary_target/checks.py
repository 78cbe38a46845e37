"""q3's checks: a boolean array, True exactly at the default digit and at any digit asked for; the labels left alone."""

import numpy as np

from mnist_kit import spec
from mnist_kit.checks import answer, changed, dtype_name, hidden, public, require


def binary_dtype(answers, inputs):
    for key in ("default_digit", "other_digit"):
        target = answer(answers, key, "make_binary_target's result")
        require(target.dtype == bool,
                f"make_binary_target returned dtype {dtype_name(target)}: return the boolean array y == digit, not 0/1 numbers.")


def binary_default_digit(answers, inputs):
    require(
        np.array_equal(answer(answers, "default_digit", "make_binary_target(y)"), inputs.arrays["y"] == spec.TARGET_DIGIT),
        f"make_binary_target(y) should be True exactly where y is {spec.TARGET_DIGIT}, the default digit.",
    )


def binary_other_digit(answers, inputs):
    require(
        np.array_equal(answer(answers, "other_digit", "make_binary_target(y, digit=d)"), inputs.arrays["y"] == inputs.params["digit"]),
        "make_binary_target(y, digit=d) should be True exactly where y is d: use the digit argument, not a fixed 2.",
    )


def binary_leaves_input_alone(answers, inputs):
    for key in ("default_digit_y_after_call", "other_digit_y_after_call"):
        require(np.array_equal(answer(answers, key), inputs.arrays["y"]),
                "make_binary_target changed the labels it was given: compare (y == digit) into a new array instead.")


CHECKS = [
    public(binary_dtype, defect=changed("default_digit", lambda target: target.astype(np.int64))),
    public(binary_default_digit, defect=changed("default_digit", lambda target: ~target)),
    hidden(binary_other_digit, defect=changed("other_digit", lambda target: ~target)),
    hidden(binary_leaves_input_alone, defect=changed("other_digit_y_after_call", lambda labels: labels == 3)),
]
