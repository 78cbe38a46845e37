"""Run a student's definitions and record what their functions return, as plain data only.

This module (with each question unit's ``collect.py``, see :mod:`mnist_kit.questions`) is the
only part of the kit that runs inside the student's process, so nothing it writes is trusted: it
records answers, it never scores them. It executes the notebook's imports,
function and class definitions and literal constants (everything else, such as the notebook's own
demo calls, plots and ``grader.check`` cells, is skipped), then calls each question's collector
on the grading-time challenge and writes the results as ``.npz`` (no pickle) and JSON. The
checker (:mod:`mnist_kit.checks`) reads them in a process that never runs student code.

Progress goes to ``progress.jsonl`` one line per step *before* the step runs, so when the process
dies or hangs the supervisor knows which step to blame and can rerun the rest without it.
"""

import argparse
import contextlib
import io
import json
import linecache
import numbers
import random
import sys
import types
import zlib
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np

from . import data as loader, witness
from .answers import MODEL_PARAMETERS, Failure, Student, UnusableAnswer, describe_exception, model_parameter
from .challenge import read_challenge
from .import_patches import DEFERRED_MODULES, defer_imports, lighten_scientific_imports
from .inputs import SHARED, StudentData, inputs_of
from .notebook_source import definition_statements, notebook_variables, unreadable_definitions
from .questions import QUESTIONS
from .spec import DATA_MODULE
from .workfolder import WorkFolder

MAX_CAPTURED_OUTPUT = 100_000


class _Progress:
    def __init__(self, path: Path) -> None:
        self._file = open(path, "a", buffering=1)

    def start(self, step: str) -> None:
        self._file.write(json.dumps({"start": step}) + "\n")

    def finish(self, step: str, **details: object) -> None:
        self._file.write(json.dumps({"finish": step, **details}) + "\n")


class _CappedText(io.TextIOBase):
    """A stdout/stderr stand-in that keeps the first characters and quietly drops the rest."""

    def __init__(self, limit: int) -> None:
        self.kept: list[str] = []
        self._limit = limit

    def write(self, text: str) -> int:
        room = self._limit - sum(map(len, self.kept))
        if room > 0:
            self.kept.append(text[:room])
        return len(text)


def plain(value: object) -> tuple[np.ndarray | None, dict[str, Any]]:
    """Turn a returned value into a plain array, or None, plus what it was (for messages only).

    Only what the checker can judge as data is kept: numpy arrays, reduced by
    ``np.array(..., subok=False)`` to their real buffer (a subclass that lies about its
    ``dtype`` or overrides ``__eq__`` keeps only its actual contents), and single numbers, as
    0-d arrays. Anything else (a list, a tuple, a string) is not stored, so a check that needs an
    array fails on it whatever the description says. Object arrays (string labels) are stored as
    unicode, so their stored dtype is not ``object``.
    """
    description = {"type": type(value).__name__}
    if isinstance(value, np.ndarray):
        array = np.array(value, subok=False)
    elif isinstance(value, (numbers.Number, np.generic)) and not isinstance(value, (str, bytes)):
        array = np.asarray(value)
    else:
        return None, description
    description["dtype"] = "object" if array.dtype == object else array.dtype.str
    if array.dtype == object:
        array = array.astype(str)
    return array, description


def _model_parameters(model: Any) -> tuple[dict[str, np.ndarray | None], dict[str, str | None]]:
    """The parameters a linear model predicts with; never the model object itself."""
    parameters = {}
    description: dict[str, str | None] = {"type": type(model).__name__, "module": type(model).__module__}
    if not callable(getattr(model, "fit", None)):
        raise UnusableAnswer(
            f"The function returned an object of type {description['type']}, not a model: "
            "return the fitted classifier itself (return clf), not its predictions or its score."
        )
    if hasattr(model, "named_steps"):
        raise UnusableAnswer(
            f"The function returned a {description['type']} of steps, not the classifier its docstring asks for: "
            "return the classifier itself, fitted on X and y as they are given (no pipeline, no scaler)."
        )
    for name in MODEL_PARAMETERS:
        parameters[name], _ = plain(getattr(model, name, None))
        if parameters[name] is None:
            raise UnusableAnswer(f"The returned {description['type']} has no {name}: return it after fitting it (clf.fit(X, y)).")
    get_params = getattr(model, "get_params", None)
    description["loss"] = str(get_params().get("loss")) if callable(get_params) else None
    return parameters, description


def save_answers(work: WorkFolder, question: str, answers: dict[str, Any]) -> None:
    """Write one question's answers: arrays to ``<q>.npz``; descriptions and failed calls to ``<q>.json``.

    A fitted model (an answer its ``ANSWERS`` declares a :class:`~mnist_kit.answers.FittedModel`)
    is stored as its parameters; a :class:`Failure` as the message of the call that raised;
    anything :func:`plain` cannot store, as its description only.
    """
    arrays: dict[str, Any] = {}
    descriptions: dict[str, dict[str, Any]] = {}
    failures: dict[str, str] = {}
    schema = QUESTIONS[question].answers
    for key, value in answers.items():
        if isinstance(value, Failure):
            failures[key] = value.message
        elif schema.is_model(key):
            parameters, descriptions[key] = _model_parameters(value)
            arrays.update({model_parameter(key, name): array for name, array in parameters.items()})
        else:
            array, descriptions[key] = plain(value)
            if array is not None:
                arrays[key] = array
    np.savez(work.answer_arrays(question), **arrays)
    record = {"error": None, "answers": descriptions, "failures": failures}
    work.answer_record(question).write_text(json.dumps(record))


def save_error(work: WorkFolder, question: str, message: str) -> None:
    work.answer_record(question).write_text(json.dumps({"error": message, "answers": {}}))


def seed_global_generators(name: str) -> None:
    """Seed the generators that code without a ``random_state`` draws from, the same way in every grading.

    So a submission's answers (an unseeded ``SGDClassifier``'s too) are the same each time it is
    graded, whichever questions ran before and however often the process restarted.
    """
    seed = zlib.crc32(name.encode())
    random.seed(seed)
    np.random.seed(seed)


def run(
    notebook_path: str, workdir: Path | str, skip: Collection[str] = (), only: Collection[str] | None = None, witness_fd: int | None = None
) -> None:
    """Execute the student's definitions and record the questions' answers in ``workdir``.

    ``skip`` lists steps not to run again (after a crash or a hang); ``only``, the questions to
    collect (all by default); ``witness_fd``, the grader's file for the SGD witness
    (:mod:`mnist_kit.witness`), started before any student code when a question to collect needs it.
    """
    defer_imports(DEFERRED_MODULES)
    lighten_scientific_imports()
    work = WorkFolder(Path(workdir))
    progress = _Progress(work.progress)
    work.answers.mkdir(exist_ok=True)
    arrays, params = read_challenge(work.root)
    notebook = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
    statements, problems = definition_statements(notebook)
    questions = {name: question for name, question in QUESTIONS.items() if only is None or name in only}
    collectors = {name: question.collector() for name, question in questions.items()}
    # Loaded before any student code runs, and only when a question to collect uses it.
    shared = inputs_of(SHARED, arrays, params)[0]
    data = StudentData(shared) if any(question.uses_data for question in questions.values()) else None
    if witness_fd is not None and any(question.witnessed for question in questions.values()):
        witness.start(witness_fd)
    # The notebook imports its loader by the name it has beside the notebook. The work folder is
    # never on sys.path (sandbox.student_python), so that nothing the student's code writes there is
    # imported by a later run: the kit's own copy, read-only, answers that import.
    sys.modules.setdefault(DATA_MODULE.removesuffix(".py"), loader)
    namespace = {"__name__": "__student__"}
    student = Student(namespace, notebook_variables(notebook), unreadable_definitions(notebook))
    captured = _CappedText(MAX_CAPTURED_OUTPUT)
    definition_errors = list(problems)
    for index, (label, source) in enumerate(statements):
        step = f"define:{index}"
        if step in skip:
            continue
        progress.start(step)
        with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
            try:
                seed_global_generators(step)
                exec(_compile_student(source, label, index), namespace)
            except BaseException as error:  # noqa: BLE001 - student code may raise anything, SystemExit included
                definition_errors.append(f"defining {label}: {describe_exception(error)}")
        progress.finish(step)
    work.definitions.write_text(json.dumps({"errors": definition_errors}))
    for question, collector in collectors.items():
        if question in skip:
            continue
        progress.start(question)
        with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
            try:
                seed_global_generators(question)
                inputs = QUESTIONS[question].challenge_inputs(arrays, params, data)
                save_answers(work, question, QUESTIONS[question].collect(student, inputs, collector))
            except BaseException as error:  # noqa: BLE001 - the same: whatever it raises is the question's error
                save_error(work, question, describe_exception(error))
        progress.finish(question)


def _compile_student(source: str, label: str, index: int) -> types.CodeType:
    """Compile a statement of the student's so that tracebacks show its cell, its line and the line's text.

    The filename holds the statement's index too: two statements of one cell keep their own lines.
    """
    filename = f"<student {index}: {label}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    return compile(source, filename, "exec")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook")
    parser.add_argument("workdir")
    parser.add_argument("--skip", default="", help="comma-separated steps not to run again")
    parser.add_argument("--only", default="", help="comma-separated questions to collect (default: all)")
    parser.add_argument("--witness-fd", type=int, help="the grader's file for the SGD witness's record")
    args = parser.parse_args(argv)
    only = set(filter(None, args.only.split(","))) or None
    run(args.notebook, args.workdir, skip=set(filter(None, args.skip.split(","))), only=only, witness_fd=args.witness_fd)


if __name__ == "__main__":
    main()
