"""q3 in the student's process: make_binary_target with its default digit and with another one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mnist_kit.answers import if_returned

from . import ANSWERS

if TYPE_CHECKING:
    from mnist_kit.answers import Student
    from mnist_kit.inputs import Inputs


def collect(student: Student, inputs: Inputs) -> dict[str, Any]:
    digits, other = inputs.arrays["y"], inputs.params["digit"]
    first, second = digits.copy(), digits.copy()
    default = student.call("make_binary_target", first, on=f"on {len(digits)} labels with the default digit")
    chosen = student.call("make_binary_target", second, digit=other, on=f"on {len(digits)} labels with digit={other}")
    return {
        ANSWERS.target(call="default_digit"): default,
        ANSWERS.target(call="other_digit"): chosen,
        ANSWERS.y_after_call(call="default_digit"): if_returned(default, first),
        ANSWERS.y_after_call(call="other_digit"): if_returned(chosen, second),
    }
