"""q3: the binary target "is it a 2?" (or any other digit), as a boolean array.

Graded on fresh int8 labels, with the default digit and with a drawn other digit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mnist_kit import spec
from mnist_kit.answers import AnswerSchema
from mnist_kit.inputs import InputSchema

if TYPE_CHECKING:
    import numpy as np

    from mnist_kit.inputs import DrawData

NAME = "q3"
POINTS = 1
FUNCTIONS = ("make_binary_target",)
# make_binary_target(y) and make_binary_target(y, digit=d)
CALLS = ("default_digit", "other_digit")
# The commonest mistakes (a case of sample_submissions/cases.py each): every one fails a public check.
COMMON_MISTAKES = {
    "wrong_binary_ignores_digit": "ignores digit: return y == 2",
    "wrong_binary_as_ints": "returns 0/1 integers, not booleans",
    "wrong_binary_digit": "compares with another digit",
}
ANSWERS = AnswerSchema(NAME, parts={"call": CALLS}, target="{call}", y_after_call="{call}_y_after_call")
# What draw() makes, read by the collector and the checks through this one declaration
INPUTS = InputSchema(NAME, arrays=("y",), params=("digit",))


def draw(rng: np.random.Generator, fixed: np.random.Generator, data: DrawData) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    arrays = {"y": rng.integers(0, 10, size=int(rng.integers(50, 200))).astype("int8")}
    params = {"digit": int(rng.choice([d for d in range(10) if d != spec.TARGET_DIGIT]))}
    return arrays, params
