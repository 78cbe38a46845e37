"""q6 in the student's process: fit_multiclass_classifier on the scaled training images.

Its SGD solves run in the witness (:mod:`mnist_kit.witness`), started by the collector before any
student code: nothing here records how the model was learnt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mnist_kit.answers import if_returned

from . import ANSWERS

if TYPE_CHECKING:
    from mnist_kit.answers import Student
    from mnist_kit.inputs import Inputs


def collect(student: Student, inputs: Inputs) -> dict[str, Any]:
    on = "on the 60,000 scaled training images"
    stub = student.stub_failure("fit_multiclass_classifier", None, None, on=on)
    if stub:
        return dict.fromkeys((ANSWERS.model(), ANSWERS.X_after_call(), ANSWERS.y_after_call()), stub)
    data = inputs.data
    images, digits = data.train_images(), data.train_digits.copy()
    images /= 255.0  # in place: the same values as images / 255.0, without a second 376 MB array
    given = digits.copy()
    model = student.call("fit_multiclass_classifier", images, given, on=on)
    return {
        ANSWERS.model(): model,
        ANSWERS.X_after_call(): if_returned(model, images @ inputs.arrays["input_weights"]),
        ANSWERS.y_after_call(): if_returned(model, given),
    }
