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
import ast
import collections
import contextlib
import importlib.abc
import importlib.machinery
import importlib.util
import io
import json
import linecache
import numbers
import random
import re
import sys
import types
import zlib
from collections.abc import Collection, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from . import witness
from .answers import MODEL_PARAMETERS, Failure, Student, UnusableAnswer, describe_exception, model_parameter
from .challenge import SHARED, Inputs, StudentData, inputs_of, read_challenge
from .questions import QUESTIONS

PROGRESS_FILE = "progress.jsonl"
OUTPUT_DIR = "answers"
MAX_CAPTURED_OUTPUT = 100_000
_KEPT_STATEMENTS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def definition_statements(notebook: dict[str, Any]) -> tuple[list[tuple[str, str]], list[str]]:
    """Split a notebook's code into the top-level statements the grader runs.

    Parameters
    ----------
    notebook : dict
        A notebook in nbformat 4 JSON form.

    Returns
    -------
    statements : list of (str, str)
        ``(cell, source)`` for each import, definition and literal assignment, in notebook order;
        ``cell`` names the cell as a student finds it: its position among the code cells, and its first line.
    problems : list of str
        One line for each code cell that could not be parsed.
    """
    statements, problems = [], []
    for label, source, tree, problem in _code_cells(notebook):
        if tree is None:
            problems.append(f"{label} {problem}")
            continue
        for node in tree.body:
            if isinstance(node, _KEPT_STATEMENTS) or _is_literal_assignment(node):
                # Padded so that tracebacks count lines as the cell does.
                segment = "\n" * (node.lineno - 1) + (ast.get_source_segment(source, node, padded=True) or "")
                statements.append((label, segment))
    return statements, problems


def _code_cells(notebook: dict[str, Any]) -> Iterator[tuple[str, str, ast.Module | None, str]]:
    """Each code cell as ``(label, Python source, parsed tree or None, why it could not be parsed or "")``."""
    for position, cell in enumerate((c for c in notebook.get("cells", []) if c.get("cell_type") == "code"), start=1):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        label = cell_label(position, source)
        # IPython magics and shell escapes are not Python; they never define anything we grade.
        source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
        try:
            yield label, source, ast.parse(source), ""
        except SyntaxError as error:
            yield label, source, None, f"has a syntax error on its line {error.lineno}: {error.msg}"


def cell_label(position: int, source: str) -> str:
    """A code cell as a student finds it: ``code cell 12 (def fit(X, y):)``, its position among the code cells and its first line.

    Code cells only, from the top: Jupyter numbers them alike after Restart and Run All (``[12]``),
    and Markdown cells, which it never numbers, do not count.
    """
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    return f"code cell {position} ({first[:60]}{'…' * (len(first) > 60)})"


def unreadable_definitions(notebook: dict[str, Any]) -> dict[str, str]:
    """Each function a cell the grade cannot read (a syntax error) defines, by name, with that cell's problem.

    The grade skips such a cell, so its functions do not exist when graded: the failure says why
    (the cell, the line, the error), not merely that the name is missing.

    Examples
    --------
    >>> unreadable_definitions({"cells": [{"cell_type": "code", "source": "def f(x):\\n    return x +\\n"}]})
    {'f': 'code cell 1 (def f(x):) has a syntax error on its line 2: invalid syntax'}
    """
    found: dict[str, str] = {}
    for label, source, tree, problem in _code_cells(notebook):
        if tree is None:
            for name in re.findall(r"^def\s+([A-Za-z_]\w*)\s*\(", source, re.M):
                found.setdefault(name, f"{label} {problem}")
    return found


def notebook_variables(notebook: dict[str, Any]) -> set[str]:
    """The names the notebook assigns with code the grader does not run (``X_train = ...``)."""
    names = set()
    for cell in notebook.get("cells", []):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        if cell.get("cell_type") != "code":
            continue
        try:
            tree = ast.parse("\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()))
        except SyntaxError:
            continue
        for node in tree.body:
            if not (isinstance(node, _KEPT_STATEMENTS) or _is_literal_assignment(node)):
                for target in ast.walk(node):
                    if isinstance(target, ast.Name) and isinstance(target.ctx, ast.Store):
                        names.add(target.id)
    return names


def _is_literal_assignment(node: ast.AST) -> bool:
    if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
        return False
    try:
        ast.literal_eval(node.value)
    except ValueError:
        return False
    return True


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


def save_answers(directory: Path, question: str, answers: dict[str, Any]) -> None:
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
    np.savez(directory / f"{question}.npz", **arrays)
    record = {"error": None, "answers": descriptions, "failures": failures}
    (directory / f"{question}.json").write_text(json.dumps(record))


def save_error(directory: Path, question: str, message: str) -> None:
    (directory / f"{question}.json").write_text(json.dumps({"error": message, "answers": {}}))


# Imported by every notebook for what grading never calls: otter for grader.check (seconds:
# nbformat, jsonschema), pyplot for the demos' plots (0.35 CPU-s) and the matplotlib package
# under it (0.12 CPU-s); and by scikit-learn, narwhals (a grading whose functions fit nothing
# never needs it). Each loads at the first use of one of its names instead.
DEFERRED_MODULES = ("otter", "matplotlib", "matplotlib.pyplot", "narwhals", "narwhals.stable", "narwhals.stable.v2")


class _DeferredModule(types.ModuleType):
    """Stands in for a module until one of its attributes is used; then imports it for real.

    ``import otter`` binds this stand-in; ``otter.Notebook``, ``from otter import ...`` and
    ``import otter.test_files`` all import the real package first, so code that uses the module
    behaves as before, minus the import's cost when nothing does.
    """

    def __init__(self, spec: importlib.machinery.ModuleSpec) -> None:
        super().__init__(spec.name)
        self.__spec__ = spec

    def __getattr__(self, name: str) -> Any:
        real = self.__dict__.get("_real_module")
        if real is None:
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]
            real = self.__dict__["_real_module"] = importlib.import_module(self.__name__)
        return getattr(real, name)


def _defer_imports(names: Iterable[str]) -> None:
    """Put a :class:`_DeferredModule` in ``sys.modules`` for each of ``names`` that is installed and not loaded yet.

    Specs are found without importing anything: ``importlib.util.find_spec("a.b")`` would import
    ``a`` (the very cost deferring saves). A deferred submodule is also an attribute of its deferred
    parent, so ``import a.b as c`` binds the stand-in without loading ``a``.
    """
    for name in names:
        parent_name, _, child = name.rpartition(".")
        parent = sys.modules.get(parent_name) if parent_name else None
        if name in sys.modules or (parent_name and parent is None):
            continue
        locations = parent.__spec__.submodule_search_locations if parent is not None and parent.__spec__ else None
        spec = importlib.machinery.PathFinder.find_spec(name, locations)
        if spec is not None:
            sys.modules[name] = _DeferredModule(spec)
            if isinstance(parent, _DeferredModule):
                parent.__dict__[child] = sys.modules[name]


class _UnparsedDocstring(collections.defaultdict):
    """Stands in for SciPy's numpydoc parser while grading: every section empty, the text as written.

    At import, SciPy parses and rewrites the docstrings of about 620 of its functions (to add notes
    on array backends, ``axis`` and ``nan_policy``): about 0.3 of the 1.5 CPU-s that importing the
    notebook's scikit-learn modules costs (measured), in every student's process and every grader's,
    for text grading never reads. With this stand-in each keeps its docstring as written; no code,
    signature or result changes (a fast test compares them).
    """

    def __init__(self, obj: object, *args: object, **kwargs: object) -> None:
        super().__init__(list)
        self._text = getattr(obj, "__doc__", None) or ""

    def __str__(self) -> str:
        return "\n" + self._text  # SciPy drops the first line, where the parser puts the signature


def skip_scipy_docstring_rewrites() -> bool:
    """Install :class:`_UnparsedDocstring` before anything imports SciPy; a SciPy without that parser is left alone."""
    try:
        from scipy._lib import _docscrape
    except ImportError:
        return False
    if not hasattr(_docscrape, "FunctionDoc"):
        return False
    _docscrape.FunctionDoc = _UnparsedDocstring
    return True


class _PandasUnseenByScikitLearn(importlib.abc.MetaPathFinder):
    """Answers scikit-learn's own ``import pandas`` with "not installed"; any other import of pandas is untouched.

    ``sklearn.utils.fixes`` imports pandas when it is installed (the grading environment has it,
    through otter-grader; the student's install does not), and scikit-learn then loads it on every
    fit to ask whether its input is a data frame: 0.17 CPU-s (measured) of every grading process
    that fits. It asks through ``sys.modules``, so with pandas never imported the answer is "no"
    at no cost, as on the student's machine; code that imports pandas itself gets the real one,
    and scikit-learn then reads its data frames as before (a test fits one).
    """

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name != "pandas":  # asked first about every import of the process
            return None
        fixes = sys.modules.get("sklearn.utils.fixes")
        if fixes is not None and getattr(fixes.__spec__, "_initializing", False):
            raise ModuleNotFoundError("pandas is not offered to scikit-learn while grading", name=name)
        return None


def lighten_scientific_imports() -> None:
    """SciPy's docstrings left as written and pandas unseen by scikit-learn, in this process, before either is imported.

    About 0.5 CPU-s less for importing scikit-learn and fitting with it; no code, signature or
    result changes (fast tests compare them). The student's process calls it before any student
    code runs; the grader's entry points, before grading.
    """
    skip_scipy_docstring_rewrites()
    if not any(isinstance(finder, _PandasUnseenByScikitLearn) for finder in sys.meta_path):
        sys.meta_path.insert(0, _PandasUnseenByScikitLearn())


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
    _defer_imports(DEFERRED_MODULES)
    lighten_scientific_imports()
    workdir = Path(workdir)
    progress = _Progress(workdir / PROGRESS_FILE)
    answers_dir = workdir / OUTPUT_DIR
    answers_dir.mkdir(exist_ok=True)
    arrays, params = read_challenge(workdir)
    notebook = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
    statements, problems = definition_statements(notebook)
    questions = {name: question for name, question in QUESTIONS.items() if only is None or name in only}
    collectors = {name: question.collector() for name, question in questions.items()}
    # Loaded before any student code runs, and only when a question to collect uses it.
    shared = inputs_of(SHARED, arrays, params)[0]
    data = StudentData(shared) if any(question.uses_data for question in questions.values()) else None
    if witness_fd is not None and any(question.witnessed for question in questions.values()):
        witness.start(witness_fd)
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
    (workdir / "definitions.json").write_text(json.dumps({"errors": definition_errors}))
    for question, collector in collectors.items():
        if question in skip:
            continue
        progress.start(question)
        with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
            try:
                seed_global_generators(question)
                inputs = Inputs(*inputs_of(question, arrays, params), data)
                save_answers(answers_dir, question, QUESTIONS[question].collect(student, inputs, collector))
            except BaseException as error:  # noqa: BLE001 - the same: whatever it raises is the question's error
                save_error(answers_dir, question, describe_exception(error))
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
