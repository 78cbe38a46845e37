"""q3's hidden check: the labels left alone.

The question's CHECKS are the public ones (``public.py``) and these; never shown to students.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mnist_kit.checks import answer, changed, hidden, left_alone

from . import ANSWERS, CALLS
from .public import CHECKS as PUBLIC_CHECKS, TARGET

if TYPE_CHECKING:
    from mnist_kit.checks import Answers
    from mnist_kit.inputs import Inputs


def binary_leaves_input_alone(answers: Answers, inputs: Inputs) -> None:
    left_alone(
        "make_binary_target",
        "compare (y == digit) into a new array instead.",
        *((answer(answers, ANSWERS.y_after_call(call=call)), inputs.arrays["y"]) for call in CALLS),
    )


CHECKS = [
    *PUBLIC_CHECKS,
    hidden(binary_leaves_input_alone, defect=changed(ANSWERS.y_after_call(call="other_digit"), lambda labels: labels == 3), needs=TARGET),
]
