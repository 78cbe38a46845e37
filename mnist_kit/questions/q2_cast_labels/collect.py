"""q2 in the student's process: one call of cast_labels on string labels, as OpenML gives them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mnist_kit.answers import if_returned

from . import ANSWERS

if TYPE_CHECKING:
    from mnist_kit.answers import Student
    from mnist_kit.inputs import Inputs


def collect(student: Student, inputs: Inputs) -> dict[str, Any]:
    labels = inputs.arrays["y"].astype(object)
    cast = student.call("cast_labels", labels, on=f"on {len(labels)} string labels")
    return {ANSWERS.cast(): cast, ANSWERS.y_after_call(): if_returned(cast, labels)}
