"""The reference clears every threshold with its margin on the real split, for two different seeds.

(The build checks the same margins on grading-time inputs, see ``mnist_kit.build.verify_build``.)
"""

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest

from mnist_kit.checks import predict
from mnist_kit.notebook_source import definition_statements
from mnist_kit.questions import THRESHOLDS
from mnist_kit.questions.q5_accuracy import CROSS_VALIDATIONS
from mnist_kit.questions.q5_accuracy.collect import GraderModel, Journal

ROOT = Path(__file__).resolve().parent.parent
SEEDS = [0, 2026]
WEIGHTS = np.random.default_rng(0).integers(1, 2**20, size=784).astype(float)


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
def test_reference_clears_thresholds_with_margin(mnist, seed, tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the grader's model keeps its journals, removed by pytest
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
        # with the model grading passes in, at every fold count grading asks for
        "cross_val_mean": min(
            float(
                np.mean(
                    f["cross_val_accuracy"](GraderModel(Journal(X_train, WEIGHTS, f"margins-{seed}-{cv}")), X_train, target_train, cv=cv)
                )
            )
            for cv in CROSS_VALIDATIONS.values()
        ),
    }
    digits = f["fit_multiclass_classifier"](X_train / 255.0, y_train)
    measured["multiclass_accuracy"] = float(np.mean(predict(parameters(digits), X_test / 255.0) == y_test))
    short = {k: round(v, 4) for k, v in measured.items() if v < THRESHOLDS[k].value + THRESHOLDS[k].margin}
    assert short == {}, f"seed {seed}: {measured}"
    assert f["accuracy"](binary, X_test, target_test) == pytest.approx(measured["binary_accuracy"])
