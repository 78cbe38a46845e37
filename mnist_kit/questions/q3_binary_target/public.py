"""q3's public checks: a boolean array, True exactly at the default digit and at any other digit asked for.

Ignoring ``digit`` (``return y == 2``) is this question's commonest mistake: a public check
catches it, so that the student learns before the due date.

Shipped with the student release: ``grader.check`` runs these very checks in the notebook (on
inputs of its own, see :mod:`mnist_kit.notebook`), and the grade runs them on the grading-time inputs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mnist_kit import spec
from mnist_kit.checks import CheckFailed, Usable, answer, changed, dtype_name, public, require

from . import ANSWERS, CALLS

if TYPE_CHECKING:
    from mnist_kit.checks import Answers
    from mnist_kit.inputs import Inputs


def binary_dtype(answers: Answers, inputs: Inputs) -> None:
    for call in CALLS:
        target = answer(answers, ANSWERS.target(call=call), "make_binary_target's result")
        require(
            target.dtype == bool,
            f"make_binary_target returned dtype {dtype_name(target)}: return the boolean array y == digit, not 0/1 numbers.",
        )


def binary_default_digit(answers: Answers, inputs: Inputs) -> None:
    require(
        np.array_equal(
            answer(answers, ANSWERS.target(call="default_digit"), "make_binary_target(y)"), inputs.arrays["y"] == spec.TARGET_DIGIT
        ),
        f"make_binary_target(y) should be True exactly where y is {spec.TARGET_DIGIT}, the default digit.",
    )


def binary_target_is_a_target(answers: Answers, inputs: Inputs) -> None:
    """Usable: for the default digit or the other one asked for, the answer says (as booleans or 0/1) which labels are that digit."""
    labels, right = inputs.arrays["y"], False
    for call, digit in zip(CALLS, (spec.TARGET_DIGIT, inputs.params["digit"]), strict=True):
        try:
            target = answer(answers, ANSWERS.target(call=call))
        except CheckFailed:
            continue
        right = right or (target.dtype.kind in "biuf" and target.shape == labels.shape and np.array_equal(target, labels == digit))
    require(right, "make_binary_target should say, for each label, whether it is the digit asked for (y == digit).")


def binary_other_digit(answers: Answers, inputs: Inputs) -> None:
    require(
        np.array_equal(
            answer(answers, ANSWERS.target(call="other_digit"), "make_binary_target(y, digit=d)"),
            inputs.arrays["y"] == inputs.params["digit"],
        ),
        "make_binary_target(y, digit=d) should be True exactly where y is d: use the digit argument, not a fixed 2.",
    )


TARGET = Usable("make_binary_target", binary_target_is_a_target)


CHECKS = [
    public(binary_dtype, defect=changed(ANSWERS.target(call="default_digit"), lambda target: target.astype(np.int64)), needs=TARGET),
    public(binary_default_digit, defect=changed(ANSWERS.target(call="default_digit"), lambda target: ~target), needs=TARGET),
    public(binary_other_digit, defect=changed(ANSWERS.target(call="other_digit"), lambda target: ~target), needs=TARGET),
]
