"""q2's public checks: the cast labels are an int8 array holding the labels' values.

Shipped with the student release: ``grader.check`` runs these very checks in the notebook (on
inputs of its own, see :mod:`mnist_kit.notebook`), and the grade runs them on the grading-time inputs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mnist_kit.checks import Usable, answer, changed, dtype_name, public, require

from . import ANSWERS

if TYPE_CHECKING:
    from mnist_kit.checks import Answers
    from mnist_kit.inputs import Inputs


def cast_dtype(answers: Answers, inputs: Inputs) -> None:
    cast = answer(answers, ANSWERS.cast(), "cast_labels's result")
    require(
        cast.dtype == np.int8,
        f"cast_labels returned dtype {dtype_name(cast)}: labels from OpenML are strings; cast them with astype(np.int8).",
    )


def cast_values(answers: Answers, inputs: Inputs) -> None:
    cast = answer(answers, ANSWERS.cast(), "cast_labels's result")
    expected = inputs.arrays["y"].astype(np.int8)
    require(
        cast.dtype.kind in "iuf" and cast.shape == expected.shape and np.array_equal(cast, expected.astype(np.int64)),
        "cast_labels should return numbers equal to the labels: '7' must become 7, for every label, in the same order "
        "(even when some digits do not occur).",
    )


CAST = Usable("cast_labels", cast_values)


CHECKS = [
    public(cast_dtype, defect=changed(ANSWERS.cast(), lambda cast: cast.astype(np.int64)), needs=CAST),
    public(cast_values, defect=changed(ANSWERS.cast(), lambda cast: (cast + 1).astype(np.int8))),
]
