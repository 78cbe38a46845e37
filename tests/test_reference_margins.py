"""The reference clears every threshold with its margin on the real split, for five different seeds.

(The build checks the same margins on grading-time inputs, see ``mnist_kit.build.verify_build``.)
"""

import json
from pathlib import Path

import numpy as np
import pytest

from mnist_kit.checks import predict
from mnist_kit.collect import definition_statements
from mnist_kit.questions import THRESHOLDS
from mnist_kit.questions.q5_accuracy import CV_FOLD_CHOICES
from mnist_kit.questions.q5_accuracy.collect import cross_validation_model

ROOT = Path(__file__).resolve().parent.parent
SEEDS = [0, 1, 7, 42, 2026]


def reference_functions():
    namespace = {}
    notebook = json.loads((ROOT / "autograder" / "mnist.ipynb").read_text())
    for _, source in definition_statements(notebook)[0]:
        if "mnist_data" not in source:
            exec(source, namespace)
    return namespace


def parameters(model):
    return {"coef_": model.coef_, "intercept_": model.intercept_, "classes_": model.classes_}


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_reference_clears_thresholds_with_margin(mnist, seed):
    f = reference_functions()
    X, y = mnist
    X_train, X_test, y_train, y_test = f["shuffle_split"](X, y, seed=seed)
    y_train, y_test = f["cast_labels"](y_train), f["cast_labels"](y_test)
    target_train, target_test = f["make_binary_target"](y_train), f["make_binary_target"](y_test)
    binary = f["fit_binary_classifier"](X_train, target_train)
    predicted = predict(parameters(binary), X_test).astype(bool)  # the checker's own arithmetic
    measured = {
        "binary_accuracy": float(np.mean(predicted == target_test)),
        "binary_recall": float(predicted[target_test].mean()),
        # with the model grading passes in, at the fewest and the most folds a challenge asks for
        "cross_val_mean": min(float(np.mean(f["cross_val_accuracy"](cross_validation_model(), X_train, target_train, cv=cv)))
                              for cv in (min(CV_FOLD_CHOICES), max(CV_FOLD_CHOICES))),
    }
    digits = f["fit_multiclass_classifier"](X_train / 255.0, y_train)
    measured["multiclass_accuracy"] = float(np.mean(predict(parameters(digits), X_test / 255.0) == y_test))
    short = {k: round(v, 4) for k, v in measured.items() if v < THRESHOLDS[k].value + THRESHOLDS[k].margin}
    assert short == {}, f"seed {seed}: {measured}"
    assert f["accuracy"](binary, X_test, target_test) == pytest.approx(measured["binary_accuracy"])
