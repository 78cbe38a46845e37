"""q5's public checks: accuracy is the model's share of right answers, and cross-validation returns cv fold accuracies.

Shipped with the student release: ``grader.check`` runs these very checks in the notebook (on
inputs of its own, see :mod:`mnist_kit.notebook`), and the grade runs them on the grading-time inputs.
Here too is what makes each function's answer usable (:class:`mnist_kit.checks.Usable`), and how
the checker rebuilds a cross-validation: from the rows the recording model names, with models it
fits itself, never with anything the student's process computed.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import numpy as np

from mnist_kit import spec
from mnist_kit.checks import CheckFailed, Goal, Usable, answer, array_of, changed, predict, public, require
from mnist_kit.questions import q5_accuracy
from mnist_kit.questions.q5_accuracy import ANSWERS, CROSS_VALIDATIONS, RECORD_NUMBERS, fit_grader_model

if TYPE_CHECKING:
    from mnist_kit.checks import Answers
    from mnist_kit.inputs import CheckerData, Inputs


def accuracy_of(answers: Answers, inputs: Inputs, kind: str, classes: np.ndarray, truth: np.ndarray) -> None:
    value = array_of(answers, ANSWERS.accuracy(kind=kind), "accuracy's result", ndim=0)
    require(np.issubdtype(value.dtype, np.number), f"accuracy should return a number, not a {value.dtype} value.")
    rows, arrays = inputs.arrays[f"{kind}_rows"], inputs.arrays
    model = {"coef_": arrays[f"{kind}_coef"], "intercept_": arrays[f"{kind}_intercept"], "classes_": classes}
    expected = float(np.mean(predict(model, inputs.data.test_images[rows]) == truth[rows]))
    require(
        abs(float(value) - expected) < 1e-9,
        f"With a {len(classes)}-class model, accuracy returned {float(value):.4g} but the model is right on a share "
        f"{expected:.4f} of the X and y it was given: compare clf.predict(X) with y and return the fraction "
        "(between 0 and 1) that are equal.",
    )


def accuracy_value(answers: Answers, inputs: Inputs) -> None:
    accuracy_of(answers, inputs, "binary", np.array([False, True]), inputs.data.test_digits == spec.TARGET_DIGIT)


def accuracy_is_the_models(answers: Answers, inputs: Inputs) -> None:
    """Usable: with the two-class model or the ten-class one, accuracy returned the model's own accuracy."""
    problems = []
    for kind, classes, truth in (
        ("binary", np.array([False, True]), inputs.data.test_digits == spec.TARGET_DIGIT),
        ("digits", np.arange(10), inputs.data.test_digits),
    ):
        try:
            accuracy_of(answers, inputs, kind, classes, truth)
            return
        except CheckFailed as problem:
            problems.append(problem)
    raise problems[0]


ACCURACY = Usable("accuracy", accuracy_is_the_models)


def folds_of(answers: Answers, inputs: Inputs, call: str) -> list[tuple[np.ndarray, np.ndarray]]:
    """The folds of one cross-validation as its records claim them: [(rows fitted on, rows scored)] in order.

    Raises :class:`CheckFailed` unless the predictions of models fitted on the other rows split the
    rows given into cv disjoint folds. Records are only claims: see :func:`fold_accuracies`.
    """
    cv, n_rows = CROSS_VALIDATIONS[call], len(inputs.arrays[f"{call}_rows"])
    answer(answers, ANSWERS.folds(call=call))  # the call returned (its error, if any, is the message)
    # Claims of the student's process: never more than the journal keeps (the keys stop there).
    n_fits, n_predictions = (min(int(n), len(RECORD_NUMBERS)) for n in answer(answers, ANSWERS.records(call=call)))
    require(n_fits > 0, f"With cv={cv}, the model passed in was never fitted: fit a fresh copy of it (clone(clf)) on each training part.")
    fits = [answer(answers, ANSWERS.fit_rows(call=call, number=i)) for i in range(n_fits)]
    require(
        all(rows.ndim == 1 and len(rows) and rows.min() >= 0 and rows.max() < n_rows for rows in fits),
        f"With cv={cv}, the model was fitted on rows that are not rows of the X given: split X itself, unchanged.",
    )
    folds, covered, used = [], np.zeros(n_rows, bool), set[int]()
    leaked = False
    for i in range(n_predictions):
        fit = int(answer(answers, ANSWERS.prediction_fit(call=call, number=i)))
        rows = answer(answers, ANSWERS.prediction_rows(call=call, number=i))
        if not 0 <= fit < n_fits or rows.ndim != 1 or not len(rows) or rows.min() < 0 or rows.max() >= n_rows:
            continue
        seen = np.zeros(n_rows, int)
        np.add.at(seen, fits[fit], 1)
        np.add.at(seen, rows, 1)
        if seen[rows].max() > 1:
            leaked = True
        elif seen.min() == 1 and fit not in used and not covered[rows].any():
            folds.append((fits[fit], rows))
            covered[rows], used = True, used | {fit}
    require(
        not leaked or len(folds) == cv,
        f"With cv={cv}, a model was tested on rows it was fitted on: "
        "fit each copy on the other folds only, never on the fold it is scored on.",
    )
    require(
        folds,
        f"With cv={cv}, no model was scored on exactly the rows left out of its fit: "
        "for each fold, fit on all other rows and score on that fold.",
    )
    require(
        len(folds) == cv and covered.all(),
        f"With cv={cv}, the folds scored do not split the rows into {cv} disjoint parts ({len(folds)} folds covering "
        f"{covered.mean():.0%} of the rows): use each row in exactly one test fold.",
    )
    return folds


# (draw, rows): the checker's fit; a class's submissions mostly share their folds
_FITTED: dict[tuple[bytes, bytes], tuple[np.ndarray, float]] = {}


def _fitted_on(data: CheckerData, positions: np.ndarray) -> tuple[np.ndarray, float]:
    """The grader's model as the checker fits it on the training rows at ``positions``: (coef, intercept)."""
    key = (data.draw_key, hashlib.blake2b(positions.astype(np.int64).tobytes()).digest())
    fitted = _FITTED.get(key)  # read once: a grading in another thread may clear the cache meanwhile
    if fitted is None:
        model = fit_grader_model(data.train_pixels_at(positions), data.train_digits[positions] == spec.TARGET_DIGIT)
        fitted = (model.coef_.ravel().copy(), float(model.intercept_[0]))
        if len(_FITTED) >= 256:
            _FITTED.clear()
        _FITTED[key] = fitted
    return fitted


_MEASURED: dict[tuple, np.ndarray] = {}  # (draw, call, records): the folds' accuracies; three checks ask for them


def fold_accuracies(answers: Answers, inputs: Inputs, call: str) -> np.ndarray:
    """Each claimed fold's accuracy, as the checker measures it with a model it fitted itself on the claimed rows."""
    records = hashlib.blake2b(call.encode())
    for stored in sorted(stored for stored in ANSWERS.stored_keys_where(call=call) if stored in answers.arrays):
        array = np.ascontiguousarray(answers.arrays[stored])
        records.update(f"{stored}:{array.dtype.str}:{array.shape};".encode() + array.tobytes())
    key = (inputs.data.draw_key, call, records.digest())
    measured = _MEASURED.get(key)
    if measured is None:
        measured = _measure_folds(answers, inputs, call)
        if len(_MEASURED) >= 256:
            _MEASURED.clear()
        _MEASURED[key] = measured
    return measured.copy()


def _measure_folds(answers: Answers, inputs: Inputs, call: str) -> np.ndarray:
    rows = inputs.arrays[f"{call}_rows"]
    truth = inputs.data.train_digits[rows] == spec.TARGET_DIGIT
    folds = folds_of(answers, inputs, call)
    models = [_fitted_on(inputs.data, rows[fitted_rows]) for fitted_rows, _ in folds]
    # One pass over the training images scores every fold's model: column k is fold k's.
    coefs, intercepts = np.array([coef for coef, _ in models]), np.array([intercept for _, intercept in models])
    scores = inputs.data.train_scores(coefs, intercepts)[rows]
    return np.array([float(np.mean((scores[fold, k] > 0) == truth[fold])) for k, (_, fold) in enumerate(folds)])


def returns_measured_accuracies(answers: Answers, inputs: Inputs) -> None:
    """Each cross-validation returned, fold by fold, the accuracy the checker measures on the folds its records claim."""
    for call, cv in CROSS_VALIDATIONS.items():
        returned, measured = answer(answers, ANSWERS.folds(call=call)), fold_accuracies(answers, inputs, call)
        # In the order the folds were scored; joblib's workers may finish them in another.
        require(
            returned.shape == measured.shape
            and np.issubdtype(returned.dtype, np.number)
            and np.allclose(np.sort(returned.astype(float)), np.sort(measured), rtol=0, atol=1e-9),
            f"With cv={cv}, the accuracies returned are not each fold's model's accuracy on its own fold "
            f"(the checker measured {np.round(measured, 4).tolist()}): return, fold by fold, the share of right predictions.",
        )


# A cross-validation is usable when what it returned is what the checker measures on the folds its
# records claim: forging the records then means returning a real cross-validation's accuracies.
CROSS_VALIDATION = Usable("cross_val_accuracy", returns_measured_accuracies)


def cross_val_folds(answers: Answers, inputs: Inputs) -> None:
    for call, cv in CROSS_VALIDATIONS.items():
        folds = answer(answers, ANSWERS.folds(call=call), f"cross_val_accuracy(..., cv={cv})'s result")
        if folds.ndim == 0:
            returned = "one number"
        elif folds.ndim == 1:
            returned = f"{folds.shape[0]} value{'s' * (folds.shape[0] != 1)}"
        else:
            returned = "a table of values"
        require(
            folds.ndim == 1 and folds.shape[0] == cv and np.issubdtype(folds.dtype, np.number),
            f"cross_val_accuracy(..., cv={cv}) returned {returned}; it should return the accuracy of each of the {cv} folds, "
            f"as cross_val_score does (not their mean), with cv passed on to it.",
        )


def goals(answers: Answers, inputs: Inputs) -> list[Goal]:
    """The folds' average accuracy with the model the grader passes in, measured on the folds claimed (already measured)."""
    averages = [float(np.mean(fold_accuracies(answers, inputs, call))) for call in CROSS_VALIDATIONS]
    goal = q5_accuracy.THRESHOLDS["cross_val_mean"].value
    return [Goal("cross-validated accuracy of the grader's model, lowest cv", min(averages), goal)]


CHECKS = [
    public(accuracy_value, defect=changed(ANSWERS.accuracy(kind="binary"), lambda share: np.asarray(share * 100))),
    public(cross_val_folds, defect=changed(ANSWERS.folds(call="four"), lambda folds: folds[:-1]), needs=CROSS_VALIDATION),
]
