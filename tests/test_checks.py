"""Every check of every question, on a passing answer and on a failing one.

The passing answers are the reference's, collected in this process exactly as the student's
process collects them (the question's collector, then the ``.npz``/JSON round trip); each failing
answer is the reference's with the defect the check declares, in its unit's ``checks.py``.
"""

import copy
import io
import json
import os
from pathlib import Path

import numpy as np
import pytest

from mnist_kit import checks, collect, grade
from mnist_kit.answers import Student
from mnist_kit.challenge import SHARED, Inputs, StudentData, inputs_of
from mnist_kit.questions import QUESTIONS

ROOT = Path(__file__).resolve().parent.parent
SEED = 11


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
    collect._seed_global_generators("reference")
    folder = tmp_path_factory.mktemp("answers")
    recorded = {}
    os.chdir(folder)  # the question's own working folder, as in the sandbox
    for name, question in QUESTIONS.items():
        collect.save_answers(folder, name, question.collector()(Student(namespace), Inputs(*inputs_of(name, arrays, params), data)))
        recorded[name], error = checks.load_answers((folder / f"{name}.json").read_bytes(), (folder / f"{name}.npz").read_bytes())
        assert error is None, error
    os.chdir(ROOT)
    return recorded, checker.inputs(arrays, params)


def _run(question, check, answers, inputs):
    return next(r for r in checks.run_checks(question, answers, inputs[question.name]) if r.name == check.name)


def test_every_check_names_the_defect_it_catches():
    for question, check in ALL_CHECKS:
        assert callable(check.defect), f"mnist_kit/questions/{question.package}/checks.py: give {check.name} a defect (an answer it must reject)"


@pytest.mark.parametrize("question, check", ALL_CHECKS, ids=lambda x: getattr(x, "name", ""))
def test_check_passes_the_reference(reference_answers, question, check):
    answers, inputs = reference_answers
    result = _run(question, check, answers[question.name], inputs)
    assert result.passed, result.message


@pytest.mark.parametrize("question, check", ALL_CHECKS, ids=lambda x: getattr(x, "name", ""))
def test_check_fails_its_defect_with_a_message(reference_answers, question, check):
    answers, inputs = reference_answers
    broken = copy.deepcopy(answers[question.name])
    check.defect(broken, inputs[question.name])
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
