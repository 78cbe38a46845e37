"""q2: turn OpenML's string labels ('7') into small integers (7, as int8).

Graded on fresh string labels of a fresh length that always hold 9 and always lack at least one
smaller digit, as a part of MNIST may: casting through ``np.unique``'s positions then goes wrong.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mnist_kit.answers import AnswerSchema
from mnist_kit.inputs import InputSchema

if TYPE_CHECKING:
    from mnist_kit.inputs import DrawData

NAME = "q2"
POINTS = 1
FUNCTIONS = ("cast_labels",)
# The commonest mistakes (a case of sample_submissions/cases.py each): every one fails a public check.
COMMON_MISTAKES = {
    "wrong_cast_int64": "casts to int64 (astype(int)), not int8",
    "wrong_cast_float": "casts to float",
    "wrong_cast_rounds_badly": "computes the labels instead of casting them",
}
ANSWERS = AnswerSchema(NAME, cast="cast", y_after_call="y_after_call")
# What draw() makes, read by the collector and the checks through this one declaration
INPUTS = InputSchema(NAME, arrays=("y",))


def draw(rng: np.random.Generator, fixed: np.random.Generator, data: DrawData) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    present = np.append(rng.choice(9, size=int(rng.integers(4, 8)), replace=False), 9)
    labels = np.concatenate([present, rng.choice(present, size=int(rng.integers(50, 200)))])
    return {"y": rng.permutation(labels).astype(str)}, {}
