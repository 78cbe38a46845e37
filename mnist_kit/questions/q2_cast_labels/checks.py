"""q2's hidden check: the labels given are left alone.

The question's CHECKS are the public ones (``public.py``) and these; never shown to students.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mnist_kit.checks import answer, changed, hidden, left_alone

from . import ANSWERS
from .public import CAST, CHECKS as PUBLIC_CHECKS

if TYPE_CHECKING:
    from mnist_kit.checks import Answers
    from mnist_kit.inputs import Inputs


def cast_leaves_input_alone(answers: Answers, inputs: Inputs) -> None:
    left_alone(
        "cast_labels",
        "return a new array (y.astype(...)) instead.",
        (answer(answers, ANSWERS.y_after_call()).astype(str), inputs.arrays["y"]),
    )


CHECKS = [
    *PUBLIC_CHECKS,
    hidden(cast_leaves_input_alone, defect=changed(ANSWERS.y_after_call(), lambda labels: labels[::-1]), needs=CAST),
]
