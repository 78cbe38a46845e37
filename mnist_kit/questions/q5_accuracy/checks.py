"""q5's hidden checks: accuracy for ten classes too; the cross-validation's folds, rebuilt from what really
happened to the model, split the rows into cv parts, each scored by a model fitted on the others, and
its accuracies are those scores.

The question's CHECKS are the public ones (``public.py``) and these; never shown to students.
"""

import numpy as np

from mnist_kit import spec
from mnist_kit.checks import answer, changed, close, hidden, require
from mnist_kit.questions.q5_accuracy import CROSS_VALIDATIONS, THRESHOLDS

from .public import accuracy_of, CHECKS as PUBLIC_CHECKS


def accuracy_ten_classes(answers, inputs):
    accuracy_of(answers, inputs, "digits", np.arange(10), inputs.data.test_digits)


def folds_of(answers, inputs, call):
    """The folds of one cross-validation as its records show them: [(fitted weights, fold rows)] in order.

    Raises :class:`CheckFailed` unless the predictions of models fitted on the other rows split the
    rows given into cv disjoint folds.
    """
    cv, n_rows = CROSS_VALIDATIONS[call], len(inputs.arrays[f"{call}_rows"])
    answer(answers, f"{call}_folds")  # the call returned (its error, if any, is the message)
    n_fits, n_predictions = (int(n) for n in answer(answers, f"{call}_records"))
    require(n_fits > 0, f"With cv={cv}, the model passed in was never fitted: fit a fresh copy of it (clone(clf)) on each training part.")
    fits = [tuple(answer(answers, f"{call}_fit{i}_{part}") for part in ("rows", "coef", "intercept")) for i in range(n_fits)]
    require(all(len(rows) and rows.min() >= 0 for rows, _, _ in fits),
            f"With cv={cv}, the model was fitted on rows that are not rows of the X given: split X itself, unchanged.")
    folds, covered, used = [], np.zeros(n_rows, bool), set()
    leaked = False
    for i in range(n_predictions):
        fit, rows = int(answer(answers, f"{call}_prediction{i}_fit")), answer(answers, f"{call}_prediction{i}_rows")
        if not 0 <= fit < n_fits or not len(rows) or rows.min() < 0:
            continue
        fit_rows = fits[fit][0]
        seen = np.zeros(n_rows, int)
        np.add.at(seen, fit_rows, 1)
        np.add.at(seen, rows, 1)
        if seen[rows].max() > 1:
            leaked = True
        elif seen.min() == 1 and fit not in used and not covered[rows].any():
            folds.append((fits[fit][1], fits[fit][2], rows))
            covered[rows], used = True, used | {fit}
    require(not leaked or len(folds) == cv,
            f"With cv={cv}, a model was tested on rows it was fitted on: fit each copy on the other folds only, never on the fold it is scored on.")
    require(folds, f"With cv={cv}, no model was scored on exactly the rows left out of its fit: for each fold, fit on all other rows and score on that fold.")
    require(len(folds) == cv and covered.all(),
            f"With cv={cv}, the folds scored do not split the rows into {cv} disjoint parts ({len(folds)} folds covering "
            f"{covered.mean():.0%} of the rows): use each row in exactly one test fold.")
    return folds


def _recomputed(answers, inputs, call):
    """The accuracy of each fold's model on its fold, computed by the checker on its own data."""
    rows = inputs.arrays[f"{call}_rows"]
    truth = inputs.data.train_digits[rows] == spec.TARGET_DIGIT
    accuracies = []
    for coef, intercept, fold in folds_of(answers, inputs, call):
        scores = inputs.data.train_scores(coef, intercept)[rows[fold], 0]
        accuracies.append(float(np.mean((scores > 0) == truth[fold])))
    return np.array(accuracies)


def cross_val_partition(answers, inputs):
    for call in CROSS_VALIDATIONS:
        folds_of(answers, inputs, call)


def cross_val_scores(answers, inputs):
    for call, cv in CROSS_VALIDATIONS.items():
        returned, recomputed = answer(answers, f"{call}_folds"), _recomputed(answers, inputs, call)
        # In the order the folds were scored; joblib's workers may finish them in another.
        require(returned.shape == recomputed.shape and np.issubdtype(returned.dtype, np.number)
                and close(np.sort(returned.astype(float)), np.sort(recomputed), rtol=0, atol=1e-9),
                f"With cv={cv}, the accuracies returned are not each fold's model's accuracy on its own fold "
                f"(the checker measured {np.round(recomputed, 4).tolist()}): return, fold by fold, the share of right predictions.")


def cross_val_level(answers, inputs):
    means = [float(np.mean(_recomputed(answers, inputs, call))) for call in CROSS_VALIDATIONS]
    mean, goal = min(means), THRESHOLDS["cross_val_mean"].value
    require(mean >= goal,
            f"The folds average {mean:.3f}; the logistic model the grader passes in detects 2s with at least {goal} "
            "on folds of the data it was given. Fit a fresh copy of the model passed in on each training part, on those rows' labels.")
    return {"cross_val_mean": mean}


def measures_leave_inputs_alone(answers, inputs):
    weights = inputs.arrays["input_weights"]
    for kind in ("binary", "digits"):
        rows = inputs.arrays[f"{kind}_rows"]
        truth = inputs.data.test_digits[rows] if kind == "digits" else inputs.data.test_digits[rows] == spec.TARGET_DIGIT
        _unchanged(answers, kind, inputs.data.test_images[rows] @ weights, truth, "accuracy")
    for call in CROSS_VALIDATIONS:
        rows = inputs.arrays[f"{call}_rows"]
        _unchanged(answers, call, inputs.data.train_scores(weights, 0.0)[rows, 0],
                   inputs.data.train_digits[rows] == spec.TARGET_DIGIT, "cross_val_accuracy")


def _unchanged(answers, call, sums, labels, function):
    require(np.array_equal(answer(answers, f"{call}_X_after_call"), sums) and np.array_equal(answer(answers, f"{call}_y_after_call"), labels),
            f"{function} changed the X or y it was given: work on copies, never modify its arguments in place.")


def _swap_fits(answers, inputs):
    """Every prediction of the cv=3 run credited to the next fitted copy: each fold scored by a model that saw it."""
    n_fits, n_predictions = answers["arrays"]["three_records"]
    for i in range(n_predictions):
        key = f"three_prediction{i}_fit"
        answers["arrays"][key] = np.array((int(answers["arrays"][key]) + 1) % n_fits)


CHECKS = [
    *PUBLIC_CHECKS,
    hidden(accuracy_ten_classes, defect=changed("digits_accuracy", lambda share: np.asarray(share * 0.9))),
    hidden(cross_val_partition, defect=_swap_fits),
    hidden(cross_val_scores, defect=changed("three_folds", lambda folds: folds[::-1] * 0.99)),
    hidden(cross_val_level, defect=lambda answers, inputs: answers["arrays"].update(four_records=np.array([0, 0]))),
    hidden(measures_leave_inputs_alone, defect=changed("three_y_after_call", np.logical_not)),
]
