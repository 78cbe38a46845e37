"""What a question's collector works with, in the student's process: the student's functions, failed calls, the answers it records.

Shared by the collector (run as ``__main__``), the question units' ``collect.py`` and their
checks, so all mean the same :class:`Failure` and read the same :class:`AnswerSchema`.
"""

import builtins
import dis
import inspect
import itertools
import os
import re
import string
import traceback
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

# What a fitted linear model is recorded as: these attributes, never the object.
MODEL_PARAMETERS = ("coef_", "intercept_", "classes_")


class AnswerKeyError(LookupError):
    """A question unit records or reads an answer its ``ANSWERS`` does not declare: a defect of the kit, not of a submission."""


class UnitCodeError(RuntimeError):
    """A question unit's own code raised while grading (a misspelt name, say): a defect of the kit, named by file and line."""


@dataclass(frozen=True)
class FittedModel:
    """Declares, in an :class:`AnswerSchema`, an answer that is a fitted linear model: recorded as its
    :data:`MODEL_PARAMETERS`, under ``<key>_coef_`` and so on."""

    template: str


@dataclass(frozen=True)
class Answer:
    """One answer a question's collector records: the key's template, and the values each of its parts may take.

    Calling it with every part gives the key; anything else is an :class:`AnswerKeyError`.

    Examples
    --------
    >>> folds = Answer("q5", "folds", "{call}_folds", {"call": ("three", "four")})
    >>> folds(call="three")
    'three_folds'
    """

    question: str
    name: str
    template: str
    values: Mapping[str, tuple] = field(default_factory=dict)
    model: bool = False

    def __call__(self, **parts: object) -> str:
        if set(parts) != set(self.values):
            raise AnswerKeyError(
                f"{self.question}'s answer {self.name} ({self.template!r}) takes the parts {sorted(self.values)}, not {sorted(parts)}"
            )
        for part, value in parts.items():
            if value not in self.values[part]:
                raise AnswerKeyError(
                    f"{self.question}'s answer {self.name}: {part}={value!r} is not among the declared {self.values[part]}"
                )
        return self.template.format(**parts)

    def parameter(self, name: str, **parts: object) -> str:
        """The stored key of parameter ``name`` (one of :data:`MODEL_PARAMETERS`) of this fitted model's answer."""
        if not self.model or name not in MODEL_PARAMETERS:
            raise AnswerKeyError(f"{self.question}'s answer {self.name} is not a fitted model with a parameter {name!r}")
        return model_parameter(self(**parts), name)

    def keys(self) -> Iterator[str]:
        """Every key this answer may be recorded under."""
        names = list(self.values)
        for chosen in itertools.product(*(self.values[name] for name in names)):
            yield self.template.format(**dict(zip(names, chosen, strict=True)))

    def stored_keys(self) -> Iterator[str]:
        """Every key of the arrays it is stored as: a model's parameters under ``<key>_<parameter>``."""
        for key in self.keys():
            yield from (model_parameter(key, name) for name in MODEL_PARAMETERS) if self.model else (key,)


def model_parameter(key: str, name: str) -> str:
    """The stored key of parameter ``name`` of the model recorded under ``key``: ``model_coef_``."""
    return f"{key}_{name}"


class AnswerSchema:
    """The answers one question's collector records, each declared once, in the unit's ``__init__.py`` (``ANSWERS``).

    The collector records under ``ANSWERS.<answer>(<parts>)`` and the checks read through the
    same call, so both sides agree on every key by construction; the collector's output is
    checked against the schema (:meth:`undeclared`), and the checker keeps only declared keys of
    what the student's process wrote.

    Parameters
    ----------
    question : str
        The question's name, for messages.
    parts : mapping of str to iterable, optional
        The values each ``{part}`` of a template may take (finite: the schema lists every key).
    **answers : str or FittedModel
        Each answer's name and key template.

    Examples
    --------
    >>> ANSWERS = AnswerSchema("q3", parts={"call": ("default", "other")}, target="{call}_digit")
    >>> ANSWERS.target(call="other")
    'other_digit'
    >>> ANSWERS.undeclared(["default_digit", "default_digits"])
    ['default_digits']
    """

    def __init__(self, question: str, parts: Mapping[str, Iterable] | None = None, **answers: str | FittedModel) -> None:
        allowed = {name: tuple(values) for name, values in (parts or {}).items()}
        self.question, self.answers = question, {}
        for name, declared in answers.items():
            template = declared.template if isinstance(declared, FittedModel) else declared
            fields = [field for _, field, _, _ in string.Formatter().parse(template) if field is not None]
            unknown = [field for field in fields if field not in allowed]
            if unknown:
                raise AnswerKeyError(f"{question}'s answer {name} ({template!r}) uses {unknown}, which parts= does not list")
            self.answers[name] = Answer(question, name, template, {f: allowed[f] for f in fields}, isinstance(declared, FittedModel))
        self._stored = frozenset(key for answer in self.answers.values() for key in answer.stored_keys())
        self._recorded = {key: answer for answer in self.answers.values() for key in answer.keys()}

    def __getattr__(self, name: str) -> Answer:
        if name.startswith("__"):
            raise AttributeError(name)  # copy, pickle and hasattr probe for special names
        answers = self.__dict__.get("answers", {})
        if name not in answers:
            raise AnswerKeyError(f"{self.__dict__.get('question')}'s ANSWERS declares no answer {name!r}; it declares {sorted(answers)}")
        return answers[name]

    def __deepcopy__(self, memo: dict) -> "AnswerSchema":
        return self  # never changes once declared

    def stored_keys_where(self, **parts: object) -> list[str]:
        """The stored keys of every answer whose template has all of ``parts``, narrowed to those values.

        >>> AnswerSchema("q5", parts={"call": ("three", "four")}, folds="{call}_folds", n="n").stored_keys_where(call="four")
        ['four_folds']
        """
        keys: list[str] = []
        for answer in self.answers.values():
            if all(value in answer.values.get(part, ()) for part, value in parts.items()):
                narrowed = replace(answer, values={**answer.values, **{part: (value,) for part, value in parts.items()}})
                keys.extend(narrowed.stored_keys())
        return keys

    def declares(self, key: str) -> bool:
        """Whether ``key`` is a key the collector may record."""
        return key in self._recorded

    def undeclared(self, recorded: Iterable[str]) -> list[str]:
        """The keys of a collector's output that the schema does not declare."""
        return [key for key in recorded if not self.declares(key)]

    def is_model(self, key: str) -> bool:
        """Whether the collector's answer ``key`` is a fitted model (stored as its parameters)."""
        answer = self._recorded.get(key)
        return answer is not None and answer.model

    def stores(self, key: str) -> bool:
        """Whether ``key`` is the key of an array a declared answer is stored as."""
        return key in self._stored


@dataclass(frozen=True)
class Failure:
    """A call of the student's that raised: only the checks that need its answer fail."""

    message: str


class UnusableAnswer(Exception):
    """What a graded function returned cannot be judged; the message says what to return instead, as is."""


def if_returned(result: object, value: object) -> object:
    """``value`` if the call that gave ``result`` returned, else its failure: a stub leaves its inputs
    alone too, and must not earn the check that says so."""
    return result if isinstance(result, Failure) else value


def said_once(messages: Iterable[str]) -> list[str]:
    """Each distinct message once, in the order first met, with how many failed checks it stands for.

    One mistake (a stub that raises, a notebook variable read) fails every check that needs the
    call; the student is told once, and how many checks it cost.

    A function that raised alike on two inputs made one mistake: messages that differ only in
    the input they name (``On 173 labels, f raised …`` and ``On 173 labels with digit=6, f raised …``)
    count as one, said as first met.

    Examples
    --------
    >>> said_once(["it raised", "wrong shape", "it raised", "it raised"])
    ['it raised (this one failure fails 3 checks)', 'wrong shape']
    >>> said_once(["On 3 rows, f raised KeyError ('a').", "On 9 rows, f raised KeyError ('a')."])
    ["On 3 rows, f raised KeyError ('a'). (this one failure fails 2 checks)"]
    """
    first: dict[str, str] = {}
    counts: dict[str, int] = {}
    for message in messages:
        raised = _RAISED_ON.match(message)
        key = raised["what"] if raised else message
        first.setdefault(key, message)
        counts[key] = counts.get(key, 0) + 1
    return [first[key] if count == 1 else f"{first[key]} (this one failure fails {count} checks)" for key, count in counts.items()]


_RAISED_ON = re.compile(r"^On .+?, (?P<what>[A-Za-z_][A-Za-z0-9_]* raised .+)$", re.S)


def notebook_variable_message(function: str, variables: Sequence[str]) -> str:
    """What ``grader.check`` and the grade both say of a graded function that reads variables of the notebook, all named at once.

    Examples
    --------
    >>> notebook_variable_message("score", ["X_test", "y_test"])  # doctest: +ELLIPSIS
    'score uses X_test and y_test, variables of the notebook: use only its arguments (... where they do not exist).'
    """
    names = " and ".join([", ".join(variables[:-1]), variables[-1]] if len(variables) > 1 else variables)
    what, they, exist = ("variables", "they", "do") if len(variables) > 1 else ("a variable", names, "does")
    return (
        f"{function} uses {names}, {what} of the notebook: use only its arguments (the grader calls "
        f"{function} on other data, where {they} {exist} not exist)."
    )


class Student:
    """The student's definitions, as a question's collector reaches them.

    ``notebook_variables`` are the names the notebook assigns with code the grader does not run
    (``X_train = ...``): a function that reads one raises ``NameError`` when graded, and the
    failure says why.
    """

    def __init__(
        self,
        namespace: dict[str, Any],
        notebook_variables: Iterable[str] = frozenset(),
        unreadable: Mapping[str, str] | None = None,
        leaning: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        self.namespace, self.notebook_variables = namespace, frozenset(notebook_variables)
        self.unreadable = dict(unreadable or {})  # functions defined only in cells the grade cannot read, with why
        # grader.check's: functions that read a variable of the notebook (which exists there, not when
        # graded), each failing its every call as the grade's call of it fails, in the grade's words.
        self.leaning = dict(leaning or {})

    def function(self, name: str) -> Callable[..., Any]:
        if not callable(self.namespace.get(name)):
            raise NameError(f"the notebook does not define a function named {name} (if its cell raised an error when run, fix that first)")
        return self.namespace[name]

    def untouched(self, name: str) -> bool:
        """Whether ``name`` is still a stub: its code reads none of its arguments and only raises ``NotImplementedError``.

        Such a function fails alike whatever it is given (the name must be the built-in exception,
        as it was before any student code ran; a decorated or rebound function is not a stub here).
        """
        function = self.namespace.get(name)
        if not isinstance(function, types.FunctionType):
            return False
        code = function.__code__
        if code.co_names != ("NotImplementedError",) or code.co_freevars or code.co_flags & _SUSPENDING:
            return False
        builtin_names = getattr(function, "__builtins__", {})  # what the function's code looks names up in, after its globals
        if "NotImplementedError" in function.__globals__ or builtin_names.get("NotImplementedError") is not _NOT_IMPLEMENTED:
            return False
        operations = {instruction.opname for instruction in dis.get_instructions(code)}
        return "RAISE_VARARGS" in operations and operations <= _STUB_OPERATIONS

    def stub_failure(self, name: str, *placeholders: Any, on: str, **kwargs: Any) -> Failure | None:
        """What calling ``name`` gives, if it is :meth:`untouched`, called with ``placeholders``; else None (call it with its inputs).

        A stub fails alike on any input, so the collector passes placeholders of the real call's
        arity (``None``) and builds no input: for the fitting questions, hundreds of megabytes of
        images a stub would never read. The failure is the very one a call with the inputs gives
        (:func:`stub_message`).
        """
        if not self.untouched(name):
            return None
        failed = self.call(name, *placeholders, on=on, **kwargs)
        return failed if isinstance(failed, Failure) else None

    def call(self, name: str, *args: Any, on: str, **kwargs: Any) -> Any:
        """Call the student's function ``name``; if it raises, a :class:`Failure` that says on what input.

        Parameters
        ----------
        name : str
            The function's name in the notebook.
        *args, **kwargs
            Its arguments.
        on : str
            The input, in a student's words: ``"on a table of 150 rows with n_train=100"``.
        """
        if name in self.leaning:
            return Failure(f"{on}, {notebook_variable_message(name, self.leaning[name])}")
        if name in self.unreadable and not callable(self.namespace.get(name)):
            return Failure(
                f"The function {name} does not exist when graded: {self.unreadable[name]}, and the grade skips that cell; "
                "fix it, run it, and save"
            )
        try:
            return self.function(name)(*args, **kwargs)
        except MemoryError:
            raise  # the question ran out of memory: its status says so, not one check
        except _NOT_IMPLEMENTED as error:
            if self.untouched(name):  # the stub as the notebook came: said whole, the same on every input
                return Failure(stub_message(name, self.function(name), _first_line(error)))
            return Failure(f"{on}, {name} raised {describe_exception(error)}")
        except NameError as error:
            variable = getattr(error, "name", None)
            if variable in self.notebook_variables:
                # Every one it reads, not only the first it met: the student fixes them in one round.
                read = set(getattr(getattr(self.namespace.get(name), "__code__", None), "co_names", ()))
                return Failure(f"{on}, {notebook_variable_message(name, sorted((read & self.notebook_variables) | {str(variable)}))}")
            return Failure(f"{on}, {name} raised {describe_exception(error)}")
        except (Exception, SystemExit, GeneratorExit) as error:  # noqa: BLE001 - whatever the student's code raises is its answer
            return Failure(f"{on}, {name} raised {describe_exception(error)}")


# A stub's code (Python 3.11): look up NotImplementedError, call it on constants, raise. No argument is read.
_STUB_OPERATIONS = frozenset({"RESUME", "PUSH_NULL", "LOAD_GLOBAL", "LOAD_CONST", "PRECALL", "CALL", "KW_NAMES", "RAISE_VARARGS"})
_SUSPENDING = inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR
_NOT_IMPLEMENTED = builtins.NotImplementedError  # as it is before any student code runs (this module is imported first)


def stub_message(name: str, function: Callable[..., Any], says: str) -> str:
    """What a still-untouched stub costs, said whole: where it is, what to replace, and what its docstring asks for.

    Examples
    --------
    >>> def f(y):
    ...     raise NotImplementedError("f: return y as int8")
    >>> stub_message("f", f, "f: return y as int8").endswith("raise NotImplementedError(...) with your code (f: return y as int8).")
    True
    """
    filename = getattr(getattr(function, "__code__", None), "co_filename", "")
    cell = filename[1:-1].partition(": ")[2] if filename.startswith("<student ") else ""
    where = f" in {cell}" if cell else ""
    asks = f" ({says.rstrip('.')})" if says else ""
    replace = "replace its line raise NotImplementedError(...) with your code"
    return f"The function {name} is still the stub the notebook came with{where}: {replace}{asks}."


def describe_exception(error: BaseException) -> str:
    """One line about what the student's code raised, where a student finds it (cell, line, text), and its message.

    When a question unit's own code raised it (a typo in its ``collect.py``, say), the line says
    so and names the unit's file and line instead, after :data:`GRADER_FAILED`.

    Examples
    --------
    ``ValueError in cell 23 (def fit(X, y):), line 20: `return clf.fit(X, y)` (bad input)``
    """
    if isinstance(error, UnusableAnswer):
        return str(error)
    failed_at = kit_code_failure(error, units_only=True)
    if failed_at:
        return GRADER_FAILED + failed_at
    frames = [f for f in traceback.extract_tb(error.__traceback__) if _is_students(f)]
    where = ""
    if frames:
        frame = frames[-1]
        cell = frame.filename[1:-1].partition(": ")[2] if frame.filename.startswith("<student ") else "a cell of your notebook"
        code = f": `{frame.line.strip()[:120]}`" if frame.line and frame.line.strip() else ""
        where = f" in {cell}, line {frame.lineno}{code}"
    return f"{type(error).__name__}{where}" + (f" ({_first_line(error)})" if _first_line(error) else "")


def kit_code_failure(error: BaseException, *, units_only: bool) -> str | None:
    """``"<file>, line <n>: <error>"`` when the kit's own code (a question unit's, if ``units_only``) raised ``error``; else None.

    The innermost frame of the student's or the kit's code decides, so a student's function that
    is a library's (``shuffle_split = np.random.shuffle``) fails in the kit's call of it, which
    lies outside the question units, and stays the student's.
    """
    frames = traceback.extract_tb(error.__traceback__)
    ours = [f for f in frames if _is_students(f) or os.path.realpath(f.filename).startswith(_PACKAGE)]
    innermost = os.path.realpath(ours[-1].filename) if ours else ""
    if not innermost.startswith(_UNITS if units_only else _PACKAGE):
        return None
    path, message = os.path.relpath(innermost, os.path.dirname(os.path.dirname(_PACKAGE))), _first_line(error)
    return f"{path}, line {ours[-1].lineno}: {type(error).__name__}" + (f": {message}" if message else "")


def _is_students(frame: traceback.FrameSummary) -> bool:
    return frame.filename.startswith("<student ") or _IPYTHON_CELL in frame.filename


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    invalid = _INVALID_PARAMETER.match(text)
    if invalid:
        return _invalid_parameter(**invalid.groupdict())
    return text.splitlines()[0][:300] if text else ""


# scikit-learn's InvalidParameterError: its list of allowed values is long and its "Got ..." comes last.
_INVALID_PARAMETER = re.compile(
    r"The '(?P<parameter>\w+)' parameter of (?P<owner>\w+) must be (?P<allowed>.*)\. Got (?P<got>.+) instead\.", re.S
)


def _invalid_parameter(parameter: str, owner: str, allowed: str, got: str) -> str:
    """scikit-learn's refusal of a parameter in the student's words: the value given and the allowed one nearest to it.

    Examples
    --------
    >>> _invalid_parameter("loss", "SGDClassifier", "a str among {'hinge', 'log_loss', 'modified_huber'}", "'log'")
    "SGDClassifier does not accept loss='log': the nearest value it accepts is 'log_loss'"
    """
    import difflib

    choices = re.findall(r"'([^']*)'", allowed)
    given = got.strip("'\"")
    nearest = difflib.get_close_matches(given, choices, n=1, cutoff=0.0)
    if nearest:
        return f"{owner} does not accept {parameter}={got}: the nearest value it accepts is '{nearest[0]}'"
    return f"{owner} does not accept {parameter}={got}: it must be {allowed}"[:300]


def grader_failure(message: str) -> str | None:
    """Where a question unit's own code failed (``"<file>, line <n>: <error>"``), if ``message`` says so; else None.

    Examples
    --------
    >>> grader_failure(GRADER_FAILED + "mnist_kit/questions/q3_binary_target/collect.py, line 9: NameError: name 'y2' is not defined")
    "mnist_kit/questions/q3_binary_target/collect.py, line 9: NameError: name 'y2' is not defined"
    >>> grader_failure("ValueError in cell 23 (def fit(X, y):), line 20") is None
    True
    """
    return message[len(GRADER_FAILED) :] if message.startswith(GRADER_FAILED) else None


# A unit's own code raised, not the student's: the kit's defect, which the build reports as such.
GRADER_FAILED = "the grader's own code failed at "
_PACKAGE = os.path.dirname(os.path.realpath(__file__)) + os.sep
_UNITS = os.path.join(_PACKAGE, "questions") + os.sep
_IPYTHON_CELL = "/ipykernel_"  # how IPython names a cell's code in tracebacks (grader.check runs there)
