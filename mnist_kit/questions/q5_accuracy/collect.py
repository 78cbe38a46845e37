"""q5 in the student's process: accuracy with two fixed models, cross_val_accuracy with a recording one.

The model handed to ``cross_val_accuracy`` writes down what happened to it: every fit (which rows
of X) and every prediction (which fitted copy, on which rows). Rows are known by an exact weighted
sum of their pixels. The records are only claims (the student's code could rewrite them): the
checker fits each claimed fold's model itself and counts a fold only if the accuracy the student's
function returned is what that model scores on that fold.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from mnist_kit import spec
from mnist_kit.answers import if_returned

from . import ANSWERS, CROSS_VALIDATIONS, MAX_RECORDS, fit_grader_model

if TYPE_CHECKING:
    from mnist_kit.answers import Student
    from mnist_kit.inputs import Inputs


class Journal:
    """Every fit and prediction of the grader's model and of its copies, in a folder of record files.

    ``clone`` shares the journal, and joblib's worker processes (``n_jobs=2``) write into the same
    folder, so nothing that happens to a copy goes unrecorded.
    """

    def __init__(self, images: np.ndarray, weights: np.ndarray, name: str) -> None:
        self._weights, self._folder = weights, Path(tempfile.mkdtemp(prefix=f"journal-{name}-")).resolve()
        self._row_of = {key: row for row, key in enumerate((images @ weights).tolist())}

    def __deepcopy__(self, memo: dict) -> Journal:
        return self

    def rows(self, images: np.ndarray) -> np.ndarray:
        """Which rows of the X given to cross_val_accuracy ``images`` are (-1: not one of them)."""
        images = np.asarray(images, dtype=np.float64)
        if images.ndim != 2 or images.shape[1] != len(self._weights):
            return np.array([-1])
        return np.array([self._row_of.get(key, -1) for key in (images @ self._weights).tolist()], dtype=np.int32)

    def _write(self, kind: str, **arrays: Any) -> str:
        if len(list(self._folder.iterdir())) < 2 * MAX_RECORDS:
            name = f"{time.monotonic_ns():020d}-{os.getpid()}-{uuid.uuid4().hex[:8]}-{kind}.npz"
            np.savez(self._folder / name, **arrays)
            return name
        return ""

    def fitted(self, images: np.ndarray) -> str:
        return self._write("fit", rows=self.rows(images))

    def predicted(self, fit: str, images: np.ndarray) -> None:
        self._write("prediction", fit=np.array(fit), rows=self.rows(images))

    def read(self) -> tuple[list[np.ndarray], list[tuple[int, np.ndarray]]]:
        """The fits [rows] and predictions [(fit number, rows)], in the order they happened; the folder goes."""
        fits: list[np.ndarray] = []
        predictions: list[tuple[int, np.ndarray]] = []
        numbers: dict[str, int] = {}
        for path in sorted(self._folder.iterdir()):
            with np.load(path, allow_pickle=False) as record:
                if path.stem.endswith("-fit"):
                    numbers[path.name] = len(fits)
                    fits.append(record["rows"])
                else:
                    predictions.append((numbers.get(str(record["fit"]), -1), record["rows"]))
        shutil.rmtree(self._folder, ignore_errors=True)
        return fits, predictions


class GraderModel(ClassifierMixin, BaseEstimator):
    """The model cross_val_accuracy is given: :func:`fit_grader_model`, recording what happens to it."""

    def __init__(self, journal: Journal | None = None) -> None:
        self.journal = journal  # None only as scikit-learn's parameter default: the grader always passes one

    @property
    def _journal(self) -> Journal:
        if self.journal is None:
            raise ValueError("GraderModel records into a Journal: GraderModel(Journal(...))")
        return self.journal

    def fit(self, X: np.ndarray, y: np.ndarray) -> GraderModel:
        fitted = fit_grader_model(X, y)
        self.coef_, self.intercept_, self.classes_ = fitted.coef_, fitted.intercept_, fitted.classes_
        self.n_features_in_ = fitted.n_features_in_
        self.fit_number_ = self._journal.fitted(X)
        return self

    def decision_function(self, X: np.ndarray) -> np.ndarray:
        self._journal.predicted(self.fit_number_, X)
        return np.asarray(X, dtype=np.float64) @ self.coef_.ravel() + self.intercept_[0]

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[(self.decision_function(X) > 0).astype(int)]

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        positive = 1.0 / (1.0 + np.exp(-np.clip(self.decision_function(X), -500, 500)))
        return np.column_stack([1.0 - positive, positive])


def _fixed_model(coef: np.ndarray, intercept: np.ndarray, classes: np.ndarray) -> Any:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression()
    model.coef_, model.intercept_, model.classes_ = coef, intercept, classes
    model.n_features_in_ = coef.shape[1]
    return model


AFTER_CALL = (ANSWERS.X_after_call, ANSWERS.y_after_call)


def collect(student: Student, inputs: Inputs) -> dict[str, Any]:
    arrays, data, weights = inputs.arrays, inputs.data, inputs.arrays["input_weights"]
    answers = {}
    for kind, classes, truth in (
        ("binary", np.array([False, True]), data.test_digits == spec.TARGET_DIGIT),
        ("digits", np.arange(10), data.test_digits),
    ):
        rows = arrays[f"{kind}_rows"]
        images, labels = data.test_images(rows), truth[rows].copy()
        model = _fixed_model(arrays[f"{kind}_coef"], arrays[f"{kind}_intercept"], classes)
        returned = student.call("accuracy", model, images, labels, on=f"with a {len(classes)}-class model on {len(rows):,} test images")
        answers[ANSWERS.accuracy(kind=kind)] = returned
        answers[ANSWERS.X_after_call(called=kind)] = if_returned(returned, images @ weights)
        answers[ANSWERS.y_after_call(called=kind)] = if_returned(returned, labels)
    for call, cv in CROSS_VALIDATIONS.items():
        rows = arrays[f"{call}_rows"]
        on = f"with cv={cv} on {len(rows):,} training images"
        stub = student.stub_failure("cross_val_accuracy", None, None, None, cv=cv, on=on)
        if stub:
            answers.update({key: stub for key in (ANSWERS.folds(call=call), *(after(called=call) for after in AFTER_CALL))})
            answers[ANSWERS.records(call=call)] = np.array([0, 0])
            continue
        images, labels = data.train_images(rows), data.train_digits[rows] == spec.TARGET_DIGIT
        journal = Journal(images, weights, call)
        returned = student.call("cross_val_accuracy", GraderModel(journal), images, labels, cv=cv, on=on)
        answers[ANSWERS.folds(call=call)] = returned
        answers[ANSWERS.X_after_call(called=call)] = if_returned(returned, images @ weights)
        answers[ANSWERS.y_after_call(called=call)] = if_returned(returned, labels)
        fits, predictions = journal.read()
        answers[ANSWERS.records(call=call)] = np.array([len(fits), len(predictions)])
        answers.update({ANSWERS.fit_rows(call=call, number=number): fit_rows for number, fit_rows in enumerate(fits)})
        for number, (fit, predicted_rows) in enumerate(predictions):
            answers[ANSWERS.prediction_fit(call=call, number=number)] = np.array(fit)
            answers[ANSWERS.prediction_rows(call=call, number=number)] = predicted_rows
    return answers
