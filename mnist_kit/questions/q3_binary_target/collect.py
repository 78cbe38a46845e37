"""q3 in the student's process: make_binary_target with its default digit and with another one."""

from mnist_kit.answers import if_returned


def collect(student, inputs):
    digits, other = inputs.arrays["y"], inputs.params["digit"]
    first, second = digits.copy(), digits.copy()
    default = student.call("make_binary_target", first, on=f"on {len(digits)} labels with the default digit")
    chosen = student.call("make_binary_target", second, digit=other, on=f"on {len(digits)} labels with digit={other}")
    return {
        "default_digit": default,
        "other_digit": chosen,
        "default_digit_y_after_call": if_returned(default, first),
        "other_digit_y_after_call": if_returned(chosen, second),
    }
