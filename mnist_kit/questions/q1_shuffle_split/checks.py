"""q1's hidden checks: the training rows each once, and the seed's effect.

The question's CHECKS are the public ones (``public.py``) and these; never shown to students.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mnist_kit.checks import answer, changed, hidden, require

from . import ANSWERS
from .public import CHECKS as PUBLIC_CHECKS, SPLIT, compared_pairs, expected_rows, returned_calls

if TYPE_CHECKING:
    from mnist_kit.checks import Answers
    from mnist_kit.inputs import Inputs


def split_uses_training_rows(answers: Answers, inputs: Inputs) -> None:
    for call, parts in returned_calls(answers).items():
        images = parts["X_train"]
        require(
            images.ndim == 2 and np.array_equal(np.sort(images[:, 0]), np.arange(expected_rows(inputs, call)[0])),
            "X_train should hold exactly the first n_train rows of X (in shuffled order), each once.",
        )


def split_depends_on_seed(answers: Answers, inputs: Inputs) -> None:
    compared_pairs(
        answers, "other_seed", False, "Two different seeds gave the same shuffle: use the seed argument rather than a fixed number."
    )


def _same_shuffle_for_another_seed(answers: Answers, inputs: Inputs) -> None:
    """The large table's other-seed call credited with the first call's training rows."""
    answers.arrays[ANSWERS.part(call="large_other_seed", part="X_train")] = answer(answers, ANSWERS.part(call="large", part="X_train"))


CHECKS = [
    *PUBLIC_CHECKS,
    hidden(split_uses_training_rows, defect=changed(ANSWERS.part(call="small", part="X_train"), lambda rows: rows + 1), needs=SPLIT),
    hidden(split_depends_on_seed, defect=_same_shuffle_for_another_seed, needs=SPLIT),
]
