"""Run a student's definitions and record what their functions return, as plain data only.

This module is the only part of the kit that runs inside the student's process, so nothing it
writes is trusted: it records answers, it never scores them. It executes the notebook's imports,
function and class definitions and literal constants (everything else, such as the notebook's own
demo calls, plots and ``grader.check`` cells, is skipped), then calls each question's functions
on the grading-time challenge and writes the results as ``.npz`` (no pickle) and JSON. The
checker (:mod:`mnist_kit.checks`) reads them in a process that never runs student code.

Progress goes to ``progress.jsonl`` one line per step *before* the step runs, so when the process
dies or hangs the supervisor knows which step to blame and can rerun the rest without it.
"""

import argparse
import ast
import contextlib
import importlib.util
import io
import json
import sys
import traceback
import types
from pathlib import Path

import numpy as np

from . import spec
from .challenge import read_challenge

PROGRESS_FILE = "progress.jsonl"
OUTPUT_DIR = "answers"
MAX_CAPTURED_OUTPUT = 100_000
_KEPT_STATEMENTS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def definition_statements(notebook):
    """Split a notebook's code into the top-level statements the grader runs.

    Parameters
    ----------
    notebook : dict
        A notebook in nbformat 4 JSON form.

    Returns
    -------
    statements : list of (str, str)
        ``(label, source)`` for each import, definition and literal assignment, in notebook order.
    problems : list of str
        One line for each code cell that could not be parsed.
    """
    statements, problems = [], []
    code_cells = [cell for cell in notebook.get("cells", []) if cell.get("cell_type") == "code"]
    for number, cell in enumerate(code_cells, start=1):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        # IPython magics and shell escapes are not Python; they never define anything we grade.
        source = "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())
        try:
            tree = ast.parse(source)
        except SyntaxError as error:
            problems.append(f"code cell {number} has a syntax error on its line {error.lineno}: {error.msg}")
            continue
        for node in tree.body:
            if isinstance(node, _KEPT_STATEMENTS) or _is_literal_assignment(node):
                statements.append((f"cell {number}, line {node.lineno}", ast.get_source_segment(source, node)))
    return statements, problems


def _is_literal_assignment(node):
    if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
        return False
    try:
        ast.literal_eval(node.value)
    except ValueError:
        return False
    return True


class _Progress:
    def __init__(self, path):
        self._file = open(path, "a", buffering=1)

    def start(self, step):
        self._file.write(json.dumps({"start": step}) + "\n")

    def finish(self, step, **details):
        self._file.write(json.dumps({"finish": step, **details}) + "\n")


class _CappedText(io.TextIOBase):
    """A stdout/stderr stand-in that keeps the first characters and quietly drops the rest."""

    def __init__(self, limit):
        self.kept, self._limit = [], limit

    def write(self, text):
        room = self._limit - sum(map(len, self.kept))
        if room > 0:
            self.kept.append(text[:room])
        return len(text)


def plain(value):
    """Turn a returned value into a plain ndarray plus what it claimed to be.

    ``np.array(..., subok=False)`` copies the real buffer, so a subclass that lies about its
    ``dtype`` or overrides ``__eq__`` is reduced to its actual contents. Object arrays (string
    labels) are stored as unicode, with their dtype recorded as ``object``.
    """
    description = {"type": type(value).__name__, "dtype": None}
    array = np.array(value, subok=False)
    description["dtype"] = "object" if array.dtype == object else array.dtype.str
    if array.dtype == object:
        array = array.astype(str)
    return array, description


def _model_parameters(model):
    """The parameters a linear model predicts with; never the model object itself."""
    parameters = {}
    description = {"type": type(model).__name__, "module": type(model).__module__}
    for name in ("coef_", "intercept_", "classes_"):
        if not hasattr(model, name):
            raise AttributeError(f"the returned {description['type']} has no {name}; was it fitted?")
        parameters[name], _ = plain(getattr(model, name))
    get_params = getattr(model, "get_params", None)
    description["loss"] = str(get_params().get("loss")) if callable(get_params) else None
    return parameters, description


def _fixed_logistic_model(coef, intercept, classes):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression()
    model.coef_, model.intercept_, model.classes_ = coef, intercept, classes
    model.n_features_in_ = coef.shape[1]
    return model


def cross_validation_model():
    """The unfitted model the grader hands to the student's ``cross_val_accuracy``.

    A logistic regression fitted by one averaged pass of SGD: on every fold layout it averages
    above ``spec.THRESHOLDS["cross_val_mean"]`` like ``LogisticRegression(tol=0.1)`` does, at a
    sixth of the cost, and the cost of this question is paid by every grading. What is graded
    is the folding, not the model.
    """
    from sklearn.linear_model import SGDClassifier

    return SGDClassifier(loss="log_loss", average=True, max_iter=1, tol=None, random_state=0)


class _Answers:
    """Calls the student's functions on the challenge, one question at a time."""

    def __init__(self, namespace, arrays, params):
        from .data import read_embedded

        self.namespace, self.arrays, self.params = namespace, arrays, params
        # Select on the stored bytes and convert once: the same float64 pixels as load_mnist's.
        images, digits = read_embedded()
        permuted = images[:, arrays["pixel_permutation"]]
        order = arrays["train_order"]
        self.train_images = permuted[: spec.N_TRAIN][order].astype(np.float64)
        self.train_digits = digits[: spec.N_TRAIN][order].astype(np.int8)
        self.test_images = permuted[spec.N_TRAIN :].astype(np.float64)
        self.test_digits = digits[spec.N_TRAIN :].astype(np.int8)

    def function(self, name):
        if not callable(self.namespace.get(name)):
            raise NameError(f"the notebook does not define a function named {name}")
        return self.namespace[name]

    def q1(self):
        shuffle_split = self.function("shuffle_split")
        images, labels = self.arrays["q1_X"], self.arrays["q1_y"].astype(object)
        n_train, (seed, other_seed) = self.params["q1_n_train"], self.params["q1_seeds"]
        given_images, given_labels = images.copy(), labels.copy()
        calls = {
            "first": shuffle_split(given_images, given_labels, n_train=n_train, seed=seed),
            "repeat": shuffle_split(images.copy(), labels.copy(), n_train=n_train, seed=seed),
            "other_seed": shuffle_split(images.copy(), labels.copy(), n_train=n_train, seed=other_seed),
        }
        answers = {"X_after_call": given_images, "y_after_call": given_labels}
        for call, result in calls.items():
            if not isinstance(result, tuple) or len(result) != 4:
                raise TypeError(
                    "shuffle_split must return a tuple of four arrays (X_train, X_test, y_train, y_test), "
                    f"but it returned {type(result).__name__}"
                )
            for part, value in zip(("X_train", "X_test", "y_train", "y_test"), result):
                answers[f"{call}_{part}"] = value
        return answers

    def q2(self):
        return {"cast": self.function("cast_labels")(self.arrays["q2_y"].astype(object))}

    def q3(self):
        make_binary_target = self.function("make_binary_target")
        digits = self.arrays["q3_y"]
        return {
            "default_digit": make_binary_target(digits.copy()),
            "other_digit": make_binary_target(digits.copy(), digit=self.params["q3_digit"]),
        }

    def q4(self):
        target = self.train_digits == spec.TARGET_DIGIT
        return {"model": self.function("fit_binary_classifier")(self.train_images, target)}

    def q5(self):
        accuracy = self.function("accuracy")
        cross_val_accuracy = self.function("cross_val_accuracy")
        rows = self.arrays["q5_rows"]
        model = _fixed_logistic_model(self.arrays["q5_coef"], self.arrays["q5_intercept"], np.array([False, True]))
        cv_rows = self.arrays["q5_cv_rows"]
        return {
            "accuracy": accuracy(model, self.test_images[rows], self.test_digits[rows] == spec.TARGET_DIGIT),
            "fold_accuracies": cross_val_accuracy(
                cross_validation_model(),
                self.train_images[cv_rows],
                self.train_digits[cv_rows] == spec.TARGET_DIGIT,
                cv=self.params["q5_cv"],
            ),
        }

    def q6(self):
        scaled = self.train_images / 255.0
        return {"model": self.function("fit_multiclass_classifier")(scaled, self.train_digits.copy())}


def save_answers(directory, question, answers):
    """Write one question's answers: arrays to ``<q>.npz``, descriptions to ``<q>.json``."""
    arrays, descriptions = {}, {}
    for key, value in answers.items():
        if key == "model":
            parameters, descriptions[key] = _model_parameters(value)
            arrays.update({f"model_{name}": array for name, array in parameters.items()})
        else:
            arrays[key], descriptions[key] = plain(value)
    np.savez(directory / f"{question}.npz", **arrays)
    (directory / f"{question}.json").write_text(json.dumps({"error": None, "answers": descriptions}))


def save_error(directory, question, message):
    (directory / f"{question}.json").write_text(json.dumps({"error": message, "answers": {}}))


def describe_exception(error):
    """One line about what the student's code raised, pointing at the student's own frame."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith("<student")]
    where = f" (in {frames[-1].name}, {frames[-1].filename.strip('<>')})" if frames else ""
    text = str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
    return f"{type(error).__name__}{where}: {text}" if text else f"{type(error).__name__}{where}"


# Imported by every notebook for grader.check, which grading never calls; importing otter takes
# seconds (nbformat, jsonschema), so it loads at the first use of one of its names instead.
DEFERRED_MODULES = ("otter",)


class _DeferredModule(types.ModuleType):
    """Stands in for a module until one of its attributes is used; then imports it for real.

    ``import otter`` binds this stand-in; ``otter.Notebook``, ``from otter import ...`` and
    ``import otter.test_files`` all import the real package first, so code that uses the module
    behaves as before, minus the import's cost when nothing does.
    """

    def __init__(self, spec):
        super().__init__(spec.name)
        self.__spec__ = spec

    def __getattr__(self, name):
        real = self.__dict__.get("_real_module")
        if real is None:
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]
            real = self.__dict__["_real_module"] = importlib.import_module(self.__name__)
        return getattr(real, name)


def _defer_imports(names):
    for name in names:
        spec = None if name in sys.modules else importlib.util.find_spec(name)
        if spec is not None:
            sys.modules[name] = _DeferredModule(spec)


def run(notebook_path, workdir, skip=()):
    """Execute the student's definitions and record every question's answers in ``workdir``."""
    _defer_imports(DEFERRED_MODULES)
    workdir = Path(workdir)
    progress = _Progress(workdir / PROGRESS_FILE)
    answers_dir = workdir / OUTPUT_DIR
    answers_dir.mkdir(exist_ok=True)
    arrays, params = read_challenge(workdir)
    notebook = json.loads(Path(notebook_path).read_text(encoding="utf-8"))
    statements, problems = definition_statements(notebook)
    answers = _Answers({}, arrays, params)  # loads the data before any student code runs
    namespace = answers.namespace
    namespace["__name__"] = "__student__"
    captured = _CappedText(MAX_CAPTURED_OUTPUT)
    definition_errors = list(problems)
    for index, (label, source) in enumerate(statements):
        step = f"define:{index}"
        if step in skip:
            continue
        progress.start(step)
        with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
            try:
                exec(compile(source, f"<student {label}>", "exec"), namespace)
            except BaseException as error:  # noqa: B036 - student code may raise anything, SystemExit included
                definition_errors.append(f"{label}: {describe_exception(error)}")
        progress.finish(step)
    (workdir / "definitions.json").write_text(json.dumps({"errors": definition_errors}))
    for question in spec.QUESTIONS:
        if question in skip:
            continue
        progress.start(question)
        with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
            try:
                save_answers(answers_dir, question, getattr(answers, question)())
            except BaseException as error:  # noqa: B036
                save_error(answers_dir, question, describe_exception(error))
        progress.finish(question)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook")
    parser.add_argument("workdir")
    parser.add_argument("--skip", default="", help="comma-separated steps not to run again")
    args = parser.parse_args(argv)
    run(args.notebook, args.workdir, skip=set(filter(None, args.skip.split(","))))


if __name__ == "__main__":
    sys.exit(main())
