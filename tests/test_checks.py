"""Every check of every question, on a passing answer and on a failing one.

The passing answers are the reference's, collected in this process exactly as the student's
process collects them (the question's collector, then the ``.npz``/JSON round trip); each failing
answer is the reference's with the defect the check declares, in its unit's ``checks.py``.
"""

import copy
import dataclasses
import io
import json
import os
from pathlib import Path

import numpy as np
import pytest

from mnist_kit import checks, collect, grade, notebook_source, untrusted, witness
from mnist_kit.answers import AnswerKeyError, Student, UnitCodeError
from mnist_kit.inputs import SHARED, StudentData, inputs_of
from mnist_kit.questions import QUESTIONS
from mnist_kit.workfolder import WorkFolder

ROOT = Path(__file__).resolve().parent.parent
SEED = 11


ALL_CHECKS = [(question, check) for question in QUESTIONS.values() for check in question.checks]


class ReferenceAnswers:
    """Each question's recorded answers from the reference, collected when a test first asks for them.

    So ``-k q7`` collects q7's alone, and MNIST is prepared only for a question that uses it.
    """

    def __init__(self, folder):
        checker = grade.Checker()
        self._arrays, self._params = checker.challenge(SEED)
        self.inputs = checker.inputs(self._arrays, self._params)
        self._namespace = {"__name__": "__student__"}
        notebook = json.loads((ROOT / "autograder" / "mnist.ipynb").read_text())
        for _, source in notebook_source.definition_statements(notebook)[0]:
            if "mnist_data" not in source:
                exec(source, self._namespace)
        self._folder, self._data, self._recorded = folder, None, {}
        self._work = WorkFolder(folder)
        self._work.answers.mkdir()

    def __getitem__(self, name):
        if name not in self._recorded:
            question = QUESTIONS[name]
            if question.uses_data and self._data is None:
                self._data = StudentData(inputs_of(SHARED, self._arrays, self._params)[0])
            collect.seed_global_generators(name)
            os.chdir(self._folder)  # the question's own working folder, as in the sandbox
            try:
                inputs = question.challenge_inputs(self._arrays, self._params, self._data)
                with witness.in_process() as witnessed:
                    answers = question.collect(Student(self._namespace), inputs)
                collect.save_answers(self._work, name, answers)
                if question.witnessed:
                    self.inputs[name] = dataclasses.replace(self.inputs[name], witnessed=witnessed)
            finally:
                os.chdir(ROOT)
            recorded, error = checks.load_answers(
                self._work.answer_record(name).read_bytes(), self._work.answer_arrays(name).read_bytes(), question.answers
            )
            assert error is None, error
            self._recorded[name] = recorded
        return self._recorded[name]


@pytest.fixture(scope="module")
def reference_answers(tmp_path_factory):
    answers = ReferenceAnswers(tmp_path_factory.mktemp("answers"))
    return answers, answers.inputs


def _run(question, check, answers, inputs):
    (result,) = checks.run_checks(question, answers, inputs[question.name], [check])
    return result


def test_every_check_names_the_defect_it_catches():
    for question, check in ALL_CHECKS:
        assert callable(check.defect), (
            f"mnist_kit/questions/{question.package}/checks.py: give {check.name} a defect (an answer it must reject)"
        )


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


@pytest.mark.parametrize("name", QUESTIONS)
def test_every_answer_a_unit_declares_is_one_its_collector_records(reference_answers, name):
    """The collector records only declared keys (``Question.collect`` refuses others) and no declaration is left unused."""
    recorded = reference_answers[0][name].arrays
    unused = [answer.name for answer in QUESTIONS[name].answers.answers.values() if not any(k in recorded for k in answer.stored_keys())]
    assert not unused, (
        f"mnist_kit/questions/{QUESTIONS[name].package}/__init__.py: ANSWERS declares {unused}, which the reference never records"
    )


def test_a_collector_recording_an_undeclared_answer_is_named_with_its_unit():
    unit = QUESTIONS["q2"]
    with pytest.raises(AnswerKeyError, match=r"q2_cast_labels/collect.py records 'casted', which ANSWERS in .*q2_cast_labels/__init__.py"):
        unit.collect(Student({}), None, collector=lambda student, inputs: {unit.answers.cast(): np.zeros(2), "casted": np.zeros(2)})


def test_a_check_reading_an_undeclared_answer_is_named_with_its_unit():
    schema = QUESTIONS["q5"].answers
    recorded = checks.Answers(schema, {"three_folds": np.zeros(3)}, {}, {})
    with pytest.raises(AnswerKeyError, match="a check of q5 reads 'three_fold'"):
        checks.answer(recorded, "three_fold")
    with pytest.raises(AnswerKeyError, match="q5's ANSWERS declares no answer 'fold'"):
        schema.fold(call="three")
    with pytest.raises(AnswerKeyError, match=r"q5's answer folds \('\{call\}_folds'\) takes the parts \['call'\], not \['cv'\]"):
        schema.folds(cv="three")
    with pytest.raises(AnswerKeyError, match="call='five' is not among the declared"):
        schema.folds(call="five")
    assert checks.answer(recorded, schema.folds(call="three")).shape == (3,)


def test_a_typo_in_a_units_check_is_named_by_its_file_and_line(reference_answers):
    """A misspelt name inside a check function: the kit's defect, one line naming the file and line, not a student's failure."""
    unit = QUESTIONS["q2"]
    namespace = {}
    filename = os.path.join(unit.folder, "checks.py")
    exec(compile("def cast_is_right(answers, inputs):\n    return answerz\n", filename, "exec"), namespace)
    check = dataclasses.replace(unit.checks[0], function=namespace["cast_is_right"])
    answers, inputs = reference_answers
    with pytest.raises(UnitCodeError) as error:
        checks.run_checks(unit, answers["q2"], inputs["q2"], [check])
    assert str(error.value) == (
        "mnist_kit/questions/q2_cast_labels/checks.py, line 2: NameError: name 'answerz' is not defined "
        "(checking q2's cast_is_right); fix the unit's code"
    )


def test_quality_checks_measure_every_threshold(reference_answers):
    answers, inputs = reference_answers
    for name, question in QUESTIONS.items():
        measured = {k for r in checks.run_checks(question, answers[name], inputs[name]) for k in r.measured}
        assert measured == set(question.thresholds), f"{name}: its checks measure {measured}, its thresholds are {set(question.thresholds)}"


def test_answers_round_trip_without_pickle(reference_answers):
    answers, _ = reference_answers
    for recorded in (answers[name] for name in QUESTIONS):
        for array in recorded.arrays.values():
            assert array.dtype != object
            np.load(io.BytesIO(_npz(array)), allow_pickle=False)


def _npz(array):
    buffer = io.BytesIO()
    np.savez(buffer, a=array)
    return buffer.getvalue()


@pytest.mark.parametrize("name", QUESTIONS)
def test_the_reference_answers_fit_the_bounds_with_room(reference_answers, name):
    """The caps on answer arrays must never cost right work a point: every correct answer stays far under them."""
    arrays = reference_answers[0][name].arrays.values()
    assert max(a.size for a in arrays) * 8 <= untrusted.MAX_ARRAY_ELEMENTS
    assert sum(a.size for a in arrays) * 3 <= untrusted.MAX_ANSWER_ELEMENTS
    assert all(a.dtype.kind in untrusted.ALLOWED_ARRAY_KINDS for a in arrays)
    assert all(a.dtype.itemsize <= 4 * untrusted.MAX_TEXT_CHARACTERS / 2 for a in arrays if a.dtype.kind == "U")


MALFORMED = {
    "scalars": lambda a: np.array(7),
    "empty": lambda a: a.reshape(-1)[:0],
    "one more dimension": lambda a: a[..., None],
    "text": lambda a: np.full(a.shape, "x"),
    "booleans": lambda a: np.ones(a.shape, bool),
    "huge values": lambda a: np.full(a.shape, 1e308),
    "not a number": lambda a: np.full(a.shape, np.nan),
    "negative integers": lambda a: np.full(a.shape, -(2**62), np.int64),
}


@pytest.mark.parametrize("name", QUESTIONS)
@pytest.mark.parametrize("malformed", MALFORMED)
def test_malformed_answers_fail_checks_and_never_raise(reference_answers, name, malformed):
    """Any array the bounds let through ends as failed checks with messages, never as an exception in the grader."""
    answers, inputs = reference_answers
    broken = dataclasses.replace(answers[name], arrays={key: MALFORMED[malformed](array) for key, array in answers[name].arrays.items()})
    with np.errstate(all="ignore"):
        results = checks.run_checks(QUESTIONS[name], broken, inputs[name])
    assert not all(r.passed for r in results)
    assert all(r.message and "\n" not in r.message for r in results if not r.passed)
