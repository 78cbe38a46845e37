"""q2's hidden check: the labels given are left alone.

The question's CHECKS are the public ones (``public.py``) and these; never shown to students.
"""

import numpy as np

from mnist_kit.checks import answer, changed, hidden, require

from .public import CAST, CHECKS as PUBLIC_CHECKS


def cast_leaves_input_alone(answers, inputs):
    require(
        np.array_equal(answer(answers, "y_after_call").astype(str), inputs.arrays["y"]),
        "cast_labels changed the array it was given: return a new array (y.astype(...)) instead.",
    )


CHECKS = [
    *PUBLIC_CHECKS,
    hidden(cast_leaves_input_alone, defect=changed("y_after_call", lambda labels: labels[::-1]), needs=CAST),
]
