"""Every check of every question, on a passing answer and on a failing one.

The passing answers are the reference's, collected in this process exactly as the student's
process collects them (the question's collector, then the ``.npz``/JSON round trip); each failing
answer is the reference's with one defect, written below per check.
"""

import copy
import io
import json
from pathlib import Path

import numpy as np
import pytest

from mnist_kit import checks, collect, grade
from mnist_kit.challenge import SHARED, Inputs, StudentData, inputs_of
from mnist_kit.questions import QUESTIONS

ROOT = Path(__file__).resolve().parent.parent
SEED = 11


def _set(key, change):
    def breaks(answers):
        answers["arrays"][key] = change(answers["arrays"][key])
    return breaks


def _describe(key, **claims):
    def breaks(answers):
        answers["descriptions"][key] = {**answers["descriptions"][key], **claims}
    return breaks


def _both(*changes):
    def breaks(answers):
        for change in changes:
            change(answers)
    return breaks


# One defect per check, each what a student's bug would produce: the check must fail on it.
BREAKS = {
    "split_shapes": _set("first_X_train", lambda a: a[:-1]),
    "split_keeps_pairs": _set("first_y_train", lambda a: np.roll(a, 1)),
    "split_test_untouched": _set("first_X_test", lambda a: a[::-1]),
    "split_uses_training_rows": _set("first_X_train", lambda a: a + 1),
    "split_is_shuffled": _set("first_X_train", lambda a: a[np.argsort(a[:, 0])]),
    "split_is_reproducible": _set("repeat_X_train", lambda a: np.roll(a, 1, axis=0)),
    "split_depends_on_seed": lambda answers: answers["arrays"].update(other_seed_X_train=answers["arrays"]["first_X_train"]),
    "split_leaves_inputs_alone": _set("X_after_call", lambda a: np.roll(a, 1, axis=0)),
    "cast_dtype": _both(_set("cast", lambda a: a.astype(np.int64)), _describe("cast", dtype=np.dtype(np.int64).str)),
    "cast_values": _set("cast", lambda a: (a + 1).astype(np.int8)),
    "binary_dtype": _both(_set("default_digit", lambda a: a.astype(np.int64)), _describe("default_digit", dtype=np.dtype(np.int64).str)),
    "binary_default_digit": _set("default_digit", lambda a: ~a),
    "binary_other_digit": _set("other_digit", lambda a: ~a),
    "binary_model_type": _describe("model", type="SGDClassifier"),
    "binary_model_quality": _set("model_coef_", lambda a: np.zeros_like(a)),
    "binary_model_showcase": _both(_set("model_coef_", lambda a: -a), _set("model_intercept_", lambda a: -a)),
    "accuracy_value": _set("accuracy", lambda a: np.asarray(a * 100)),
    "cross_val_folds": _set("fold_accuracies", lambda a: a[:-1]),
    "cross_val_level": _set("fold_accuracies", lambda a: a * 0.9),
    "multiclass_model_type": _describe("model", loss="hinge"),
    "multiclass_model_quality": _set("model_coef_", lambda a: np.roll(a, 1, axis=0)),
}
ALL_CHECKS = [(question, check) for question in QUESTIONS.values() for check in question.checks]


@pytest.fixture(scope="module")
def reference_answers(tmp_path_factory):
    """Each question's recorded answers from the reference, and the inputs they were collected on."""
    checker = grade.Checker()
    arrays, params = checker.challenge(SEED)
    namespace = {"__name__": "__student__"}
    notebook = json.loads((ROOT / "autograder" / "mnist.ipynb").read_text())
    for _, source in collect.definition_statements(notebook)[0]:
        if "mnist_data" not in source:
            exec(source, namespace)
    data = StudentData(inputs_of(SHARED, arrays, params)[0])
    folder = tmp_path_factory.mktemp("answers")
    recorded = {}
    for name, question in QUESTIONS.items():
        collect.save_answers(folder, name, question.collector()(collect.Student(namespace), Inputs(*inputs_of(name, arrays, params), data)))
        recorded[name], error = checks.load_answers((folder / f"{name}.json").read_bytes(), (folder / f"{name}.npz").read_bytes())
        assert error is None, error
    return recorded, checker.inputs(arrays, params)


def _run(question, check, answers, inputs):
    return next(r for r in checks.run_checks(question, answers, inputs[question.name]) if r.name == check.name)


def test_every_check_has_a_failing_answer_here():
    missing = [f"{q.name} {c.name}" for q, c in ALL_CHECKS if c.name not in BREAKS]
    assert not missing, f"add a failing answer for {', '.join(missing)} to BREAKS in tests/test_checks.py"


@pytest.mark.parametrize("question, check", ALL_CHECKS, ids=lambda x: getattr(x, "name", ""))
def test_check_passes_the_reference(reference_answers, question, check):
    answers, inputs = reference_answers
    result = _run(question, check, answers[question.name], inputs)
    assert result.passed, result.message


@pytest.mark.parametrize("question, check", ALL_CHECKS, ids=lambda x: getattr(x, "name", ""))
def test_check_fails_its_defect_with_a_message(reference_answers, question, check):
    answers, inputs = reference_answers
    broken = copy.deepcopy(answers[question.name])
    BREAKS[check.name](broken)
    result = _run(question, check, broken, inputs)
    assert not result.passed
    assert result.message and "\n" not in result.message and "Traceback" not in result.message


def test_quality_checks_measure_every_threshold(reference_answers):
    answers, inputs = reference_answers
    for name, question in QUESTIONS.items():
        measured = {k for r in checks.run_checks(question, answers[name], inputs[name]) for k in r.measured}
        assert measured == set(question.thresholds), f"{name}: its checks measure {measured}, its thresholds are {set(question.thresholds)}"


def test_answers_round_trip_without_pickle(reference_answers):
    answers, _ = reference_answers
    for recorded in answers.values():
        for array in recorded["arrays"].values():
            assert array.dtype != object
            np.load(io.BytesIO(_npz(array)), allow_pickle=False)


def _npz(array):
    buffer = io.BytesIO()
    np.savez(buffer, a=array)
    return buffer.getvalue()
