"""q6 in the student's process: fit_multiclass_classifier on the scaled training images, its SGD solves recorded."""

import contextlib

import numpy as np

from mnist_kit.answers import if_returned

MAX_SOLVES = 64  # one per class and fit: a right answer makes ten


@contextlib.contextmanager
def recorded_sgd_solves():
    """Record every run of scikit-learn's SGD solver: the loss it minimised and the weights it returned."""
    from sklearn.linear_model import _stochastic_gradient

    original, solves = _stochastic_gradient._get_plain_sgd_function, []

    def recording(*args, **kwargs):
        solver = original(*args, **kwargs)

        def solve(*solver_args, **solver_kwargs):
            result = solver(*solver_args, **solver_kwargs)
            loss = solver_args[4] if len(solver_args) > 4 else solver_kwargs.get("loss")
            if len(solves) < MAX_SOLVES:
                solves.append((type(loss).__name__, np.array(result[0]), np.array(result[2]) if result[2] is not None else None))
            return result
        return solve

    _stochastic_gradient._get_plain_sgd_function = recording
    try:
        yield solves
    finally:
        _stochastic_gradient._get_plain_sgd_function = original


def collect(student, inputs):
    data = inputs.data
    images, digits = data.train_images / 255.0, data.train_digits.copy()
    given = digits.copy()
    with recorded_sgd_solves() as solves:
        model = student.call("fit_multiclass_classifier", images, given, on="on the 60,000 scaled training images")
    answers = {"model": model, "X_after_call": if_returned(model, images @ inputs.arrays["input_weights"]),
               "y_after_call": if_returned(model, given),
               "solve_losses": np.array([loss for loss, _, _ in solves], dtype=str)}
    for number, (_, weights, averaged) in enumerate(solves):
        answers[f"solve{number}_weights"] = weights
        if averaged is not None:
            answers[f"solve{number}_averaged"] = averaged
    return answers
