"""The checker's toolkit: what every question's checks are written with, and how they run.

Nothing here imports or runs student code. A check (in a question unit's ``checks.py``) receives
the answers the student's process recorded, as arrays (loaded from ``.npz`` without pickle) and
descriptions (JSON), plus the question's grading-time inputs, and raises :class:`CheckFailed`
with a message for the student when the answer is wrong. Fitted models arrive as their
parameters; the checker rebuilds their predictions itself on its own copy of the test images, so
no number the student's code reports is ever trusted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from . import untrusted
from .answers import MODEL_PARAMETERS, AnswerKeyError, AnswerSchema, UnitCodeError, kit_code_failure, model_parameter
from .results import CheckResult


class CheckedQuestion(Protocol):
    """What :func:`run_checks` reads of a question (a :class:`mnist_kit.questions.Question` is one)."""

    @property
    def name(self) -> str: ...

    @property
    def functions(self) -> tuple: ...

    @property
    def checks(self) -> tuple[Check, ...]: ...


class CheckFailed(AssertionError):
    """A check's verdict: the answer is wrong, and the message says how to fix it."""


@dataclass(frozen=True)
class Answers:
    """One question's answers as the checker reads them: only keys its ``ANSWERS`` declares.

    ``arrays`` are the recorded values (a fitted model as its parameters), ``descriptions`` the
    type of each recorded answer (what a message names when it is not an array), ``failures``
    the message of each call that raised. Checks read them with :func:`answer`; defects (see
    :func:`changed`) edit ``arrays`` in place.
    """

    schema: AnswerSchema
    arrays: dict[str, np.ndarray]
    descriptions: dict[str, str]
    failures: dict[str, str]


# check(answers, inputs): raises CheckFailed, or returns what it measured against thresholds
CheckFunction = Callable[[Answers, Any], "dict | None"]
# defect(answers, inputs): edits the answers in place into ones a check must reject
Defect = Callable[[Answers, Any], None]


@dataclass(frozen=True)
class Usable:
    """What makes a graded function's main answer usable; a check that ``needs`` it counts only when it holds.

    Only work earns points: a side property (inputs left alone, reproducible, pairs kept, a dtype)
    is true of a function that does nothing, so it counts only when the function's answer is worth
    something. ``test(answers, inputs)`` raises :class:`CheckFailed`, saying why, when it is not.
    It lives in the unit's ``public.py``, so ``grader.check`` applies it exactly as the grade does.
    """

    function: str  # the graded function, as messages name it
    test: Callable[[Answers, Any], object]  # test(answers, inputs) raises CheckFailed when the answer is not usable

    def reason(self, answers: Answers, inputs: Any) -> str | None:
        """Why the answer is not usable, in one line; ``None`` when it is."""
        try:
            self.test(answers, inputs)
        except CheckFailed as failure:
            return str(failure)
        except (KeyError, ValueError, TypeError, IndexError, ArithmeticError, AttributeError):
            return f"what {self.function} returned has a shape or type the checker cannot read."
        return None


@dataclass(frozen=True)
class Check:
    """A check, whether it is hidden, its weight in the question's points, and a defect it catches.

    A hidden check's message is shown as ``spec.VISIBILITY`` says; its code never is. A question's
    points are shared among its checks by ``weight``. ``defect`` turns a right answer into one the
    check must reject (see :func:`changed`); the tests apply it to the reference's answers, so
    every check is proven able to fail. ``needs``, a :class:`Usable`, is what must hold of the
    answer before the check counts at all.
    """

    function: CheckFunction  # function(answers, inputs): raises CheckFailed, or returns what it measured
    hidden: bool
    defect: Defect  # defect(answers, inputs) edits the answers in place
    weight: float = 1.0
    needs: Usable | None = None

    @property
    def name(self) -> str:
        return self.function.__name__


def public(function: CheckFunction, defect: Defect, weight: float = 1.0, needs: Usable | None = None) -> Check:
    """Register ``function`` as a public check: ``grader.check`` in the notebook tests the same property."""
    return Check(function, hidden=False, defect=defect, weight=weight, needs=needs)


def hidden(function: CheckFunction, defect: Defect, weight: float = 1.0, needs: Usable | None = None) -> Check:
    """Register ``function`` as a hidden check: it runs at grading time only."""
    return Check(function, hidden=True, defect=defect, weight=weight, needs=needs)


def changed(key: str, change: Callable[[np.ndarray], Any]) -> Defect:
    """A defect: the recorded answer ``key`` (an ``ANSWERS`` key) replaced by ``change(answer)``.

    Examples
    --------
    >>> public(split_shapes, defect=changed(ANSWERS.part(call="small", part="X_train"), lambda rows: rows[:-1]))  # doctest: +SKIP
    """

    def defect(answers: Answers, inputs: Any) -> None:
        answers.arrays[key] = change(answer(answers, key))

    return defect


def combined(*defects: Defect) -> Defect:
    """A defect made of several, applied in order."""

    def defect(answers: Answers, inputs: Any) -> None:
        for each in defects:
            each(answers, inputs)

    return defect


@dataclass(frozen=True)
class Goal:
    """A level the grade checks only with hidden checks, measured where ``grader.check`` can measure it cheaply.

    A unit's ``public.py`` may define ``goals(answers, inputs)``, returning these; ``grader.check``
    shows them once the public checks pass, so a student learns before the due date whether a
    right-looking model is good enough.
    """

    what: str  # "accuracy on the 10,000 test images"
    measured: float
    goal: float

    @property
    def met(self) -> bool:
        return self.measured >= self.goal

    def line(self) -> str:
        verdict = "✓" if self.met else "✗"
        after = "" if self.met else ": below the goal, so the grade's hidden checks take points off until it reaches it"
        return f"{verdict} {self.what}: {self.measured:.3f} here (goal: at least {self.goal}){after}"


def require(condition: object, message: str) -> None:
    """Fail the check with ``message`` (what is wrong and how to fix it) unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message)


def left_alone(
    function: str, advice: str, *compared: tuple[np.ndarray, np.ndarray], same: Callable[[np.ndarray, np.ndarray], bool] = np.array_equal
) -> None:
    """Fail unless ``function`` left its arguments as they were drawn: each ``(recorded, drawn)`` pair ``same``.

    What a call left of its arguments is recorded right after it returns (see
    :func:`mnist_kit.answers.if_returned`); ``advice`` says how to leave them alone.

    Examples
    --------
    >>> left_alone("fit", "work on copies (X / 255, not X /= 255).", (np.array([1]), np.array([1])))
    """
    require(all(same(recorded, drawn) for recorded, drawn in compared), f"{function} changed the arrays it was given: {advice}")


def answer(answers: Answers, key: str, name: str | None = None) -> np.ndarray:
    """One recorded answer, as an array; :class:`CheckFailed` saying why when there is none.

    An answer is missing when the call that should give it raised (the message says on what
    input, and where) or when the function returned something that is not an array or a number.
    The description only words the message: the verdict comes from the data alone.

    Parameters
    ----------
    answers : Answers
        As :func:`load_answers` returns them.
    key : str
        The answer's key, from the unit's ``ANSWERS`` (``ANSWERS.folds(call="three")``).
    name : str, optional
        How the message calls the answer (``"X_train"``); ``key`` by default.

    Raises
    ------
    AnswerKeyError
        When ``key`` is not a key ``ANSWERS`` declares: a defect of the unit, not of the answer.
    """
    if not answers.schema.stores(key):
        raise AnswerKeyError(f"a check of {answers.schema.question} reads {key!r}, which its ANSWERS does not declare")
    if key in answers.arrays:
        return answers.arrays[key]
    for call, message in answers.failures.items():
        if key == call or key.startswith(f"{call}_"):
            raise CheckFailed(message[:1].upper() + message[1:] + ("" if message.endswith(".") else "."))
    returned = answers.descriptions.get(key)
    raise CheckFailed(
        f"{name or key} should be a numpy array or a number, not {returned}." if returned else f"{name or key} was not recorded."
    )


def array_of(answers: Answers, key: str, name: str, ndim: int = 1) -> np.ndarray:
    """A recorded answer that must be a numpy array with ``ndim`` dimensions (a number has none)."""
    value = answer(answers, key, name)
    require(
        value.ndim == ndim,
        f"{name} should be a numpy array with {ndim} dimension{'s' * (ndim != 1)}, not of shape {value.shape}."
        if ndim
        else f"{name} should be one number, not an array of shape {value.shape}.",
    )
    return value


def close(array: np.ndarray, expected: np.ndarray, rtol: float, atol: float) -> bool:
    """Whether ``array`` has ``expected``'s shape and values within the tolerances.

    The shape comes first: a student's array of another shape would broadcast against the
    grader's (a (60000, 1) against a (60000,) makes 3.6 billion comparisons).
    """
    return np.shape(array) == np.shape(expected) and bool(np.allclose(array, expected, rtol=rtol, atol=atol))


def dtype_name(array: np.ndarray) -> str:
    return str(array.dtype) if array.dtype.kind != "U" else "str (the labels were not cast)"


def decision_function(parameters: Mapping[str, np.ndarray], images: np.ndarray) -> np.ndarray:
    """The linear scores ``images @ coef_.T + intercept_``, as scikit-learn computes them."""
    scores = images @ parameters["coef_"].T + parameters["intercept_"]
    return scores.ravel() if scores.shape[1] == 1 else scores


def predict(parameters: Mapping[str, np.ndarray], images: np.ndarray) -> np.ndarray:
    """Predicted classes from a linear model's parameters, without the model object."""
    scores = decision_function(parameters, images)
    classes = parameters["classes_"]
    return classes[(scores > 0).astype(int)] if scores.ndim == 1 else classes[scores.argmax(axis=1)]


def model(answers: Answers, key: str) -> dict[str, np.ndarray]:
    """The parameters of the model recorded under ``key``: ``coef_``, ``intercept_`` and ``classes_``."""
    return {name: answer(answers, model_parameter(key, name), f"the model's {name}") for name in MODEL_PARAMETERS}


def model_shapes_ok(parameters: Mapping[str, np.ndarray], n_features: int, n_classes: int) -> bool:
    coef, intercept = parameters["coef_"], parameters["intercept_"]
    rows = 1 if n_classes == 2 else n_classes
    return coef.shape == (rows, n_features) and intercept.shape == (rows,) and bool(np.all(np.isfinite(coef)))


def require_a_learnt_classifier(
    answers: Answers, key: str, images: np.ndarray, labels: np.ndarray, classes: Sequence[int], function: str
) -> None:
    """Fail unless the model recorded under ``key`` is a usable classifier: the gate of a fitting question.

    Usable means fitted on the question's ``classes`` (by value), one finite weight per pixel, and
    right more often than always answering the commonest label of ``labels`` on ``images``: a
    model that learnt nothing earns no side check.
    """
    parameters = model(answers, key)
    known = parameters["classes_"]
    require(
        known.shape == (len(classes),) and known.dtype.kind in "biu" and np.array_equal(known.astype(np.int64), classes),
        f"{function} should return a classifier fitted on the labels {list(classes)}, not on {known.tolist()[:12]}.",
    )
    require(
        model_shapes_ok(parameters, images.shape[1], len(classes)) and bool(np.all(np.isfinite(parameters["intercept_"]))),
        f"{function}'s model should have one finite weight per pixel for each class.",
    )
    share = float(np.mean(predict(parameters, images) == labels))
    commonest = float(np.max(np.unique(labels, return_counts=True)[1]) / len(labels))
    require(
        share > commonest,
        f"{function}'s model is right {share:.3f} of the time on the test images, no better than "
        f"always answering the commonest label ({commonest:.3f}): it learnt nothing.",
    )


def load_answers(record: bytes, arrays: bytes | None, schema: AnswerSchema) -> tuple[Answers | None, str | None]:
    """Parse one question's answers from the bytes the student's process wrote, keeping only keys ``schema`` declares.

    Every byte is the student's: the record is parsed with :func:`mnist_kit.untrusted.parse_json`,
    its texts made single lines of bounded length, and the arrays read by
    :func:`mnist_kit.untrusted.load_arrays`, which checks each one's header (kind, size) before it
    reads a byte of it and never unpickles.

    Parameters
    ----------
    record : bytes
        The question's JSON record: an error message, or a description of each answer.
    arrays : bytes or None
        The question's ``.npz``.
    schema : mnist_kit.answers.AnswerSchema
        The question's ``ANSWERS``: whatever else the student's process wrote is dropped unread.

    Returns
    -------
    answers : Answers or None
        The answers, or None when there is an error.
    error : str or None
        Why the question has no answers, in one line.
    """
    try:
        parsed = untrusted.parse_json(record, "the recorded answer")
    except untrusted.UntrustedBytes as error:
        return None, f"{error} (did the notebook write into answers/?)"
    if not isinstance(parsed, dict):
        return None, "the recorded answer is not a JSON object (did the notebook write into answers/?)"
    if parsed.get("error"):
        return None, untrusted.one_line(parsed["error"])
    recorded, failed = parsed.get("answers"), parsed.get("failures")
    descriptions = {
        key: untrusted.one_line(value.get("type", ""), 80)
        for key, value in (recorded.items() if isinstance(recorded, dict) else ())
        if isinstance(value, dict) and schema.declares(key)
    }
    failures = {
        call: untrusted.one_line(message)
        for call, message in (failed.items() if isinstance(failed, dict) else ())
        if isinstance(call, str) and schema.declares(call)
    }
    if arrays is None:
        return None, "the recorded answer's arrays are missing or larger than any correct answer's (did the notebook write into answers/?)"
    try:
        loaded = untrusted.load_arrays(arrays)
    except untrusted.UntrustedBytes as error:
        return None, f"{error} (did the notebook write into answers/?)"
    return Answers(schema, {key: array for key, array in loaded.items() if schema.stores(key)}, descriptions, failures), None


def run_checks(question: CheckedQuestion, answers: Answers, inputs: Any, checks: Sequence[Check] | None = None) -> list[CheckResult]:
    """Run every check of ``question`` (or only ``checks``) on its answers and return the :class:`CheckResult` list.

    A check passes when it returns; what it returns (if anything) is what it measured against
    the question's thresholds, which the build uses to prove the reference's margins.

    Parameters
    ----------
    question : CheckedQuestion
        A :class:`mnist_kit.questions.Question`.
    answers : dict
        As :func:`load_answers` returns them.
    inputs : mnist_kit.inputs.Inputs
        The question's grading-time inputs, with the checker's own data.
    checks : sequence of Check, optional
        Run only these (``grader.check`` runs ``question.public_checks``); all of ``question.checks`` by default.
    """
    results, unusable = [], {}
    for check in question.checks if checks is None else checks:
        try:
            measured = check.function(answers, inputs) or {}
        except CheckFailed as failure:
            results.append(CheckResult(question.name, check.name, False, str(failure), check.hidden, check.weight, {}))
            continue
        except (KeyError, ValueError, TypeError, IndexError, ArithmeticError, AttributeError):
            # Missing or malformed answers (wrong shapes, wrong types) are the student's, not the checker's.
            results.append(
                CheckResult(question.name, check.name, False, _malformed_message(question, check), check.hidden, check.weight, {})
            )
            continue
        except (NameError, ImportError) as error:
            # Never the student's: the checks read plain data. A typo in the unit's (or the kit's) code.
            where = kit_code_failure(error, units_only=False)
            if where is None:
                raise
            raise UnitCodeError(f"{where} (checking {question.name}'s {check.name}); fix the unit's code") from None
        if check.needs is not None and check.needs not in unusable:
            unusable[check.needs] = check.needs.reason(answers, inputs)
        reason = unusable.get(check.needs) if check.needs is not None else None
        if reason and check.needs is not None:
            # The reason itself: every check that needs the answer fails for this one mistake, said once with their count.
            message = reason
            results.append(CheckResult(question.name, check.name, False, message, check.hidden, check.weight, {}))
        else:
            results.append(CheckResult(question.name, check.name, True, "", check.hidden, check.weight, measured))
    return results


def _malformed_message(question: CheckedQuestion, check: Check) -> str:
    functions = " and ".join(question.functions)
    return (
        f"What {functions} returned has a shape or type this check ({check.name.replace('_', ' ')}) cannot read: "
        "return exactly what the docstring describes (the types, and the shapes of its example)."
    )
