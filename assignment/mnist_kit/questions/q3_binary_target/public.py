"""q3's public checks: a boolean array, True exactly at the default digit.

Shipped with the student release: ``grader.check`` runs these very checks in the notebook (on
inputs of its own, see :mod:`mnist_kit.notebook`), and the grade runs them on the grading-time inputs.
"""

import numpy as np

from mnist_kit import spec
from mnist_kit.checks import answer, changed, dtype_name, public, require


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


CHECKS = [
    public(binary_dtype, defect=changed("default_digit", lambda target: target.astype(np.int64))),
    public(binary_default_digit, defect=changed("default_digit", lambda target: ~target)),
]
