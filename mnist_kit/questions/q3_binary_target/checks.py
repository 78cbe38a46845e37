"""q3's hidden checks: True exactly at any digit asked for, and the labels left alone.

The question's CHECKS are the public ones (``public.py``) and these; never shown to students.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mnist_kit.checks import answer, changed, hidden, left_alone, require

from . import ANSWERS, CALLS
from .public import CHECKS as PUBLIC_CHECKS, TARGET

if TYPE_CHECKING:
    from mnist_kit.challenge import Inputs
    from mnist_kit.checks import Answers


def binary_other_digit(answers: Answers, inputs: Inputs) -> None:
    require(
        np.array_equal(
            answer(answers, ANSWERS.target(call="other_digit"), "make_binary_target(y, digit=d)"),
            inputs.arrays["y"] == inputs.params["digit"],
        ),
        "make_binary_target(y, digit=d) should be True exactly where y is d: use the digit argument, not a fixed 2.",
    )


def binary_leaves_input_alone(answers: Answers, inputs: Inputs) -> None:
    left_alone(
        "make_binary_target",
        "compare (y == digit) into a new array instead.",
        *((answer(answers, ANSWERS.y_after_call(call=call)), inputs.arrays["y"]) for call in CALLS),
    )


CHECKS = [
    *PUBLIC_CHECKS,
    hidden(binary_other_digit, defect=changed(ANSWERS.target(call="other_digit"), lambda target: ~target), needs=TARGET),
    hidden(binary_leaves_input_alone, defect=changed(ANSWERS.y_after_call(call="other_digit"), lambda labels: labels == 3), needs=TARGET),
]
