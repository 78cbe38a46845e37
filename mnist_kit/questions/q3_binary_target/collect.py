"""q3 in the student's process: make_binary_target with its default digit and with another one."""


def collect(student, inputs):
    digits, other = inputs.arrays["y"], inputs.params["digit"]
    first, second = digits.copy(), digits.copy()
    return {
        "default_digit": student.call("make_binary_target", first, on=f"on {len(digits)} labels with the default digit"),
        "other_digit": student.call("make_binary_target", second, digit=other, on=f"on {len(digits)} labels with digit={other}"),
        "default_digit_y_after_call": first,
        "other_digit_y_after_call": second,
    }
