"""q6 in the student's process: fit_multiclass_classifier on the scaled training images, its SGD solves recorded."""

import contextlib
import hashlib

import numpy as np

from mnist_kit.answers import Failure, if_returned


def _digest(weights):
    return hashlib.blake2b(np.ascontiguousarray(weights, dtype=np.float64).tobytes(), digest_size=16).digest()


@contextlib.contextmanager
def recorded_sgd_solves():
    """Record every run of scikit-learn's SGD solver: {digest of the weights it returned: the loss it minimised}.

    Every solve is kept (only a digest of its weights), however many a fit makes: ``partial_fit``
    over mini-batches and ``warm_start`` epochs run the solver thousands of times.
    """
    from sklearn.linear_model import _stochastic_gradient

    original, learnt = _stochastic_gradient._get_plain_sgd_function, {}

    def recording(*args, **kwargs):
        solver = original(*args, **kwargs)

        def solve(*solver_args, **solver_kwargs):
            result = solver(*solver_args, **solver_kwargs)
            loss = type(solver_args[4] if len(solver_args) > 4 else solver_kwargs.get("loss")).__name__
            for weights in (result[0], result[2]):
                if weights is not None:
                    learnt.setdefault(_digest(weights), loss)
            return result

        return solve

    _stochastic_gradient._get_plain_sgd_function = recording
    try:
        yield learnt
    finally:
        _stochastic_gradient._get_plain_sgd_function = original


def _losses_of(model, learnt):
    """The loss each row of the model's ``coef_`` was learnt with ("" for a row no solve returned)."""
    try:
        rows = np.atleast_2d(np.array(model.coef_, dtype=np.float64, subok=False))
    except Exception:  # noqa: BLE001 - a model without usable weights: the checks say so from its parameters
        return np.array([], dtype=str)
    return np.array([learnt.get(_digest(row), "") for row in rows[:64]], dtype=str)


def collect(student, inputs):
    data = inputs.data
    images, digits = data.train_images / 255.0, data.train_digits.copy()
    given = digits.copy()
    with recorded_sgd_solves() as learnt:
        model = student.call("fit_multiclass_classifier", images, given, on="on the 60,000 scaled training images")
    return {
        "model": model,
        "X_after_call": if_returned(model, images @ inputs.arrays["input_weights"]),
        "y_after_call": if_returned(model, given),
        "learnt_losses": model if isinstance(model, Failure) else _losses_of(model, learnt),
    }
