"""q3 in the student's process: make_binary_target with its default digit and with another one."""

from mnist_kit.answers import if_returned

from . import ANSWERS


def collect(student, inputs):
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
