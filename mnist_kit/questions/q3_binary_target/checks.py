"""q3's hidden checks: True exactly at any digit asked for, and the labels left alone.

The question's CHECKS are the public ones (``public.py``) and these; never shown to students.
"""

import numpy as np

from mnist_kit.checks import answer, changed, hidden, require

from .public import CHECKS as PUBLIC_CHECKS, TARGET


def binary_other_digit(answers, inputs):
    require(
        np.array_equal(answer(answers, "other_digit", "make_binary_target(y, digit=d)"), inputs.arrays["y"] == inputs.params["digit"]),
        "make_binary_target(y, digit=d) should be True exactly where y is d: use the digit argument, not a fixed 2.",
    )


def binary_leaves_input_alone(answers, inputs):
    for key in ("default_digit_y_after_call", "other_digit_y_after_call"):
        require(
            np.array_equal(answer(answers, key), inputs.arrays["y"]),
            "make_binary_target changed the labels it was given: compare (y == digit) into a new array instead.",
        )


CHECKS = [
    *PUBLIC_CHECKS,
    hidden(binary_other_digit, defect=changed("other_digit", lambda target: ~target), needs=TARGET),
    hidden(binary_leaves_input_alone, defect=changed("other_digit_y_after_call", lambda labels: labels == 3), needs=TARGET),
]
