"""q3 in the student's process: make_binary_target with its default digit and with another one."""


def collect(student, inputs):
    make_binary_target = student.function("make_binary_target")
    digits = inputs.arrays["y"]
    return {
        "default_digit": make_binary_target(digits.copy()),
        "other_digit": make_binary_target(digits.copy(), digit=inputs.params["digit"]),
    }
