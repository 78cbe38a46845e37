"""q5 in the student's process: accuracy with a fixed model, cross_val_accuracy with a fresh one."""

import numpy as np

from mnist_kit import spec


def cross_validation_model():
    """The unfitted model the grader hands to the student's ``cross_val_accuracy``.

    A logistic regression fitted by one averaged pass of SGD: on every fold layout it averages
    above the ``cross_val_mean`` threshold like ``LogisticRegression(tol=0.1)`` does, at a sixth
    of the cost, and the cost of this question is paid by every grading. What is graded is the
    folding, not the model.
    """
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(loss="log_loss", average=True, max_iter=1, tol=None, random_state=0)


def _fixed_logistic_model(coef, intercept, classes):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression()
    model.coef_, model.intercept_, model.classes_ = coef, intercept, classes
    model.n_features_in_ = coef.shape[1]
    return model


def collect(student, inputs):
    accuracy = student.function("accuracy")
    cross_val_accuracy = student.function("cross_val_accuracy")
    arrays, data = inputs.arrays, inputs.data
    rows, cv_rows = arrays["rows"], arrays["cv_rows"]
    model = _fixed_logistic_model(arrays["coef"], arrays["intercept"], np.array([False, True]))
    return {
        "accuracy": accuracy(model, data.test_images[rows], data.test_digits[rows] == spec.TARGET_DIGIT),
        "fold_accuracies": cross_val_accuracy(
            cross_validation_model(),
            data.train_images[cv_rows],
            data.train_digits[cv_rows] == spec.TARGET_DIGIT,
            cv=inputs.params["cv"],
        ),
    }
