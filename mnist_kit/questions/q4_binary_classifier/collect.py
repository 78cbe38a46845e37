"""q4 in the student's process: fit_binary_classifier on the training images and the boolean target."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mnist_kit import spec
from mnist_kit.answers import if_returned

from . import ANSWERS

if TYPE_CHECKING:
    from mnist_kit.answers import Student
    from mnist_kit.inputs import Inputs


def collect(student: Student, inputs: Inputs) -> dict[str, Any]:
    on = "on the 60,000 training images"
    stub = student.stub_failure("fit_binary_classifier", None, None, on=on)
    if stub:
        return dict.fromkeys((ANSWERS.model(), ANSWERS.X_after_call(), ANSWERS.y_after_call()), stub)
    data = inputs.data
    images, target = data.train_images(), data.train_digits == spec.TARGET_DIGIT
    given = target.copy()
    model = student.call("fit_binary_classifier", images, given, on=on)
    return {
        ANSWERS.model(): model,
        ANSWERS.X_after_call(): if_returned(model, images @ inputs.arrays["input_weights"]),
        ANSWERS.y_after_call(): if_returned(model, given),
    }
