import os

import numpy as np
import pytest

from mnist_kit import answers, collect, notebook_source
from mnist_kit.answers import Student, describe_exception
from mnist_kit.collect import plain
from mnist_kit.notebook_source import definition_statements


def _notebook(*sources):
    return {
        "cells": [
            {"cell_type": "markdown", "source": "# Title"},
            *({"cell_type": "code", "source": s} for s in sources),
            {"cell_type": "markdown", "source": "def x(): pass"},
        ]
    }


def test_keeps_definitions_and_drops_everything_else():
    notebook = _notebook(
        "import numpy as np\nfrom os import path\nLIMIT = 3\nTABLE = {'a': (1, 2)}\nclf = make()\nprint('hi')\n",
        "%matplotlib inline\ndef f(x):\n    return x\n\nclass C:\n    pass\nwhile True:\n    pass\nimport os; os._exit(0)\n",
    )
    statements, problems = definition_statements(notebook)
    kept = [source.lstrip("\n").split("\n")[0] for _, source in statements]
    assert kept == ["import numpy as np", "from os import path", "LIMIT = 3", "TABLE = {'a': (1, 2)}", "def f(x):", "class C:", "import os"]
    assert problems == []


def test_keeps_a_definition_with_its_decorators_where_the_cell_has_them():
    cell = (
        "import functools\n\n\n@functools.cache\n# a comment between\n@staticmethod\ndef f(x):\n    return x\n"
        "\n\n@dataclass\nclass C:\n    x: int = 1\n"
    )
    statements, problems = definition_statements(_notebook(cell))
    assert [source for _, source in statements] == [
        "import functools",
        "\n\n\n@functools.cache\n# a comment between\n@staticmethod\ndef f(x):\n    return x",
        "\n" * 10 + "@dataclass\nclass C:\n    x: int = 1",
    ]
    assert problems == []


def test_reports_a_cell_with_a_syntax_error_and_keeps_the_others():
    statements, problems = definition_statements(_notebook("def f(:\n    pass", "def g():\n    return 1"))
    assert [label for label, _ in statements] == ["code cell 2 (def g():)"]  # Markdown cells are not counted
    assert problems == ["code cell 1 (def f(:) has a syntax error on its line 1: invalid syntax"]


class _LyingDtype(np.ndarray):
    @property
    def dtype(self):
        return np.dtype(bool)


class _AlwaysEqual(np.ndarray):
    def __eq__(self, other):
        return True


@pytest.mark.parametrize(
    "value, dtype, contents",
    [
        (np.array([1, 0, 1]).view(_LyingDtype), np.dtype(int).str, [1, 0, 1]),
        (np.zeros(3, dtype=np.int8).view(_AlwaysEqual), "|i1", [0, 0, 0]),
        (np.array(["5", "7"], dtype=object), "object", ["5", "7"]),
        (np.float64(0.25), "<f8", 0.25),
        (3, np.dtype(int).str, 3),
    ],
    ids=["lying-dtype", "always-equal", "object-strings", "numpy-number", "python-number"],
)
def test_plain_records_what_the_value_really_holds(value, dtype, contents):
    array, description = plain(value)
    assert type(array) is np.ndarray
    assert description["dtype"] == dtype
    assert array.tolist() == contents


@pytest.mark.parametrize("value", [[True, False], (1, 2), "7", None, {"a": 1}], ids=repr)
def test_plain_keeps_nothing_but_arrays_and_numbers(value):
    array, description = plain(value)
    assert array is None and description == {"type": type(value).__name__}


def test_errors_point_at_the_cell_as_jupyter_shows_it_and_the_real_line_with_its_text():
    """The cell by its position among all cells and its first line; the line as the cell counts it (two
    statements of one cell, each kept, and the error in the second's 20th line)."""
    helper = "def helper():\n    return 1\n\n\n"
    body = "".join(f"    step{i} = {i}\n" for i in range(13))
    notebook = _notebook("import numpy as np", helper + "def f(x):\n    # Doc.\n" + body + "    return x[5]\n")
    namespace = {}
    for index, (label, source) in enumerate(definition_statements(notebook)[0]):
        exec(collect._compile_student(source, label, index), namespace)
    with pytest.raises(IndexError) as raised:
        namespace["f"](np.arange(3))
    assert describe_exception(raised.value) == (
        "IndexError in code cell 2 (def helper():), line 20: `return x[5]` (index 5 is out of bounds for axis 0 with size 3)"
    )


def _raised_in(filename, source, call="f()"):
    namespace = {}
    exec(compile(source, filename, "exec"), namespace)
    try:
        eval(call, namespace)
    except Exception as error:  # noqa: BLE001 - the test hands on whatever it raised
        return error
    raise AssertionError(f"{call} raised nothing")


def test_an_error_of_a_units_own_code_names_the_units_file_and_line():
    units = os.path.join(os.path.dirname(answers.__file__), "questions")
    typo = _raised_in(os.path.join(units, "q7_typo", "collect.py"), "def f():\n    return y_train_3\n")
    message = describe_exception(typo)
    assert message == f"{answers.GRADER_FAILED}mnist_kit/questions/q7_typo/collect.py, line 2: NameError: name 'y_train_3' is not defined"
    assert answers.grader_failure(message) == "mnist_kit/questions/q7_typo/collect.py, line 2: NameError: name 'y_train_3' is not defined"


def test_a_students_error_raised_through_the_kit_stays_the_students():
    """A student's function that is a library's (no line of the student's) fails in the student's call, not the kit's."""
    failure = Student({"shuffle_split": np.random.shuffle}, set()).call("shuffle_split", 1, 2, 3, on="on 3 rows")
    assert failure.message.startswith("on 3 rows, shuffle_split raised TypeError") and answers.GRADER_FAILED not in failure.message
    assert answers.grader_failure(failure.message) is None


def test_a_function_reading_a_variable_of_the_notebook_is_named_at_grading():
    notebook = _notebook("X_test = load()\nX_train, y_train = split()\nLIMIT = 3", "def fit(X, y):\n    return X_test")
    assert notebook_source.notebook_variables(notebook) == {"X_test", "X_train", "y_train"}
    namespace = {}
    for index, (label, source) in enumerate(definition_statements(notebook)[0]):
        exec(collect._compile_student(source, label, index), namespace)
    failure = Student(namespace, notebook_source.notebook_variables(notebook)).call("fit", 1, 2, on="on 3 rows")
    assert failure.message == (
        "on 3 rows, fit uses X_test, a variable of the notebook: use only its arguments "
        "(the grader calls fit on other data, where X_test does not exist)."
    )


DEFERRED_OTTER = """
import sys
from mnist_kit import import_patches
import_patches.defer_imports(import_patches.DEFERRED_MODULES)
import_patches.lighten_scientific_imports()
import numpy as np
from sklearn.linear_model import LogisticRegression
print("pandas" in sys.modules, type(sys.modules["narwhals"]).__name__)  # scikit-learn imported, neither loaded
X, y = np.arange(40.0).reshape(20, 2), np.arange(20) % 2
print(LogisticRegression().fit(X, y).coef_.shape, "pandas" in sys.modules)  # fitting never loads pandas
import pandas as pd
print(list(LogisticRegression().fit(pd.DataFrame(X, columns=["a", "b"]), y).feature_names_in_))
import_patches.defer_imports(["otter"])
import otter
print("otter.api" in sys.modules)           # not loaded by the import statement
from otter import Notebook
print("otter.api" in sys.modules, Notebook.__name__)
import otter.test_files
print(otter.test_files.__name__)
import_patches.defer_imports(["matplotlib", "matplotlib.pyplot"])
import matplotlib.pyplot as plt
print(type(sys.modules["matplotlib"]).__name__, "matplotlib.rcsetup" in sys.modules)   # the package is not loaded either
print(type(sys.modules["matplotlib.pyplot"]).__name__, plt.figure.__name__, type(sys.modules["matplotlib.pyplot"]).__name__)
print(type(sys.modules["matplotlib"]).__name__, sys.modules["matplotlib"].pyplot is sys.modules["matplotlib.pyplot"])
import matplotlib
print(matplotlib.get_backend().lower(), matplotlib.pyplot.gcf().__class__.__name__)
"""


@pytest.mark.slow  # 7 s: a fresh interpreter imports scikit-learn, pandas, otter and matplotlib
def test_a_deferred_module_loads_at_its_first_use_and_then_behaves_as_itself():
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", DEFERRED_OTTER], capture_output=True, text=True, check=True)
    assert run.stdout.splitlines() == [
        # scikit-learn imports and fits without loading pandas, and still reads a data frame
        "False _DeferredModule",
        "(1, 2) False",
        "['a', 'b']",
        "False",
        "True Notebook",
        "otter.test_files",
        "_DeferredModule False",
        "_DeferredModule figure module",
        "module True",
        "agg Figure",
    ]


SCIPY_AND_SKLEARN_AT_WORK = """
import inspect, json, sys
from mnist_kit import import_patches
if sys.argv[1] == "stand-in":
    import_patches.lighten_scientific_imports()
import numpy as np, scipy.linalg, scipy.stats
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.model_selection import cross_val_score
rng = np.random.default_rng(0)
X = rng.normal(size=(300, 5))
y = X[:, 0] + 0.3 * rng.normal(size=300) > 0
decorated = (scipy.stats.ttest_ind, scipy.stats.gmean, scipy.stats.mode, scipy.linalg.bandwidth)
said = {
    "installed": scipy._lib._docscrape.FunctionDoc is import_patches._UnparsedDocstring,
    "coef": LogisticRegression().fit(X, y).coef_.tolist(),
    "folds": cross_val_score(SGDClassifier(random_state=0), X, y, cv=3).tolist(),
    "p": float(scipy.stats.ttest_ind(X[:, 0], X[:, 1]).pvalue),
    "signatures": [str(inspect.signature(f)) for f in decorated],
    "first_lines": [f.__doc__.strip().splitlines()[0] for f in decorated],
    "pandas_loaded": "pandas" in sys.modules,
}
import pandas as pd
frame = pd.DataFrame(X, columns=[f"pixel{i}" for i in range(5)])
from_a_frame = LogisticRegression().fit(frame, y)
said["from_a_frame"] = [list(from_a_frame.feature_names_in_), from_a_frame.coef_.tolist()]
print(json.dumps(said))
"""


def test_the_lighter_imports_apply_to_the_pinned_scipy_and_scikit_learn_and_change_no_result():
    import json
    import subprocess
    import sys

    def run(mode):
        done = subprocess.run([sys.executable, "-c", SCIPY_AND_SKLEARN_AT_WORK, mode], capture_output=True, text=True, check=True)
        return json.loads(done.stdout)

    said = {mode: run(mode) for mode in ("as installed", "stand-in")}
    assert said["stand-in"].pop("installed") is True, "the pinned SciPy has no _docscrape.FunctionDoc: the stand-in no longer applies"
    assert said["as installed"].pop("installed") is False
    # scikit-learn as pinned imports pandas itself: if it stops, the finder has nothing left to do
    assert (said["stand-in"].pop("pandas_loaded"), said["as installed"].pop("pandas_loaded")) == (False, True)
    assert said["stand-in"] == said["as installed"]


def _defined(source):
    namespace = {}
    exec(collect._compile_student(source, "<student 0: cell 1>", 0), namespace)
    return namespace


STUB = 'def fit(X, y):\n    """Fit it.\n\n    >>> fit(X, y)\n    """\n    raise NotImplementedError("fit: write this function")\n'


@pytest.mark.parametrize(
    "source, is_stub",
    [
        (STUB, True),
        ("def fit(X, y):\n    raise NotImplementedError\n", True),
        ("def fit(X, y):\n    return X\n", False),
        ("def fit(X, y):\n    X.sort()\n    raise NotImplementedError('fit')\n", False),  # reads an argument first
        ("def fit(X, y):\n    yield\n    raise NotImplementedError('fit')\n", False),
        (f"NotImplementedError = ValueError\n{STUB}", False),  # not the built-in exception
        (f"import functools\ndef logged(f):\n    return functools.wraps(f)(lambda *a: f(*a))\n@logged\n{STUB}", False),
        ("fit = lambda X, y: None\n", False),
    ],
    ids=["stub", "bare raise", "returns", "reads an argument", "generator", "rebound name", "decorated", "lambda"],
)
def test_a_stub_is_told_apart_from_any_function_that_could_read_its_inputs(source, is_stub):
    assert Student(_defined(source)).untouched("fit") is is_stub


def test_a_stub_whose_builtins_were_replaced_is_not_a_stub():
    import types

    stub = _defined(STUB)["fit"]
    replaced = types.FunctionType(stub.__code__, {"__builtins__": {"NotImplementedError": ValueError}})
    assert Student({"fit": stub}).untouched("fit") and not Student({"fit": replaced}).untouched("fit")


def test_a_stub_gives_the_answers_its_call_with_the_real_inputs_gives(monkeypatch):
    """q4-q6's collectors skip building their inputs for a stub: every answer is what the call with them records."""
    import json
    from pathlib import Path

    from mnist_kit import grade
    from mnist_kit.inputs import StudentData, inputs_of
    from mnist_kit.questions import QUESTIONS

    release = json.loads((Path(__file__).resolve().parent.parent / "assignment" / "mnist.ipynb").read_text())
    namespace = {}
    for index, (label, source) in enumerate(definition_statements(release)[0]):
        if "mnist_data" not in source:
            exec(collect._compile_student(source, label, index), namespace)
    fitting = [q for q, unit in QUESTIONS.items() if unit.uses_data]
    arrays, params = grade.Checker().challenge(3, fitting)
    data = StudentData(inputs_of("shared", arrays, params)[0])

    def collected():
        return {q: QUESTIONS[q].collect(Student(namespace), QUESTIONS[q].challenge_inputs(arrays, params, data)) for q in fitting}

    skipped = collected()
    monkeypatch.setattr(Student, "stub_failure", lambda self, *placeholders, **kwargs: None)  # build the inputs, call the stub
    called = collected()
    assert skipped.keys() == called.keys() and fitting
    for question in fitting:
        assert skipped[question].keys() == called[question].keys(), question
        for key, value in called[question].items():
            kept = skipped[question][key]
            same = np.array_equal(kept, value) if isinstance(value, np.ndarray) else kept == value
            assert type(kept) is type(value) and same, (question, key)
