"""The assignment's questions: the registry, and what every question unit looks like.

A question is one unit, a package beside this file, and :data:`REGISTRY` (notebook order) is the
only other place that names it. Each unit has four modules, split by who may see them:

``__init__.py`` (both sides)
    The question's contract: ``NAME`` (as in the notebook's ``BEGIN QUESTION`` block), ``POINTS``,
    ``FUNCTIONS`` (the stubs students write), ``ANSWERS`` (an
    :class:`~mnist_kit.answers.AnswerSchema`: every answer its collector records, under which key;
    the collector writes and the checks read through it), ``THRESHOLDS`` (named :class:`Threshold` objects, if
    any), ``USES_DATA`` (True if its collector uses the shared MNIST views), ``WITNESSED`` (True if
    its checks read what the SGD witness saw, :mod:`mnist_kit.witness`), and
    ``draw(rng, fixed, data)``: the question's grading-time inputs, from two random streams of its
    own: ``rng`` from this grading's seed, ``fixed`` the same for every submission (see
    :mod:`mnist_kit.challenge`).
``collect.py`` (student side: runs in the sandboxed student's process)
    ``collect(student, inputs)``: calls the student's functions on the inputs and returns what
    they gave back, as arrays or a fitted model, under ``ANSWERS``' keys; it never judges anything.
``public.py`` (shipped to students; the checker's too)
    ``CHECKS``: the question's public checks (:func:`mnist_kit.checks.public`), plain functions of
    the recorded answers. ``grader.check`` runs them in the notebook (:mod:`mnist_kit.notebook`),
    and the grade runs the very same ones: each check is written once. Optionally
    ``goals(answers, inputs)``: the levels hidden checks demand, measured for ``grader.check``.
``checks.py`` (checker side: never shown to students, never copied into the sandbox)
    ``CHECKS``: the public checks, then the hidden ones (:func:`mnist_kit.checks.hidden`).
"""

from __future__ import annotations

import importlib
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from mnist_kit.answers import AnswerKeyError, AnswerSchema, Student
from mnist_kit.inputs import Inputs, InputSchema, inputs_of

if TYPE_CHECKING:  # the checker's side: never imported by the student's process through this module
    import numpy as np

    from mnist_kit.checks import Check, Goal
    from mnist_kit.rubric import Rubric

REGISTRY = (
    "q1_shuffle_split",
    "q2_cast_labels",
    "q3_binary_target",
    "q4_binary_classifier",
    "q5_accuracy",
    "q6_multiclass_classifier",
)
# Questions answered in words and marked by hand with a rubric (never run, never autograded).
WRITTEN_REGISTRY = ("q7_confusions",)
FOLDER = Path(__file__).resolve().parent


class _Unit(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def points(self) -> float: ...


Unit = TypeVar("Unit", bound=_Unit)


class QuestionError(ValueError):
    """A question unit is missing or incomplete; the message names the file to edit."""


@dataclass(frozen=True)
class Threshold:
    """A level the checker measures an answer against, and how far above it the reference must land.

    ``margin`` keeps a grading-time draw from tipping the reference under ``value``; the build
    grades the reference on several seeds and fails when it lands closer than that.
    """

    value: float
    margin: float

    @property
    def percent(self) -> str:
        """How the notebook's text states the threshold: ``0.97`` is ``"97 %"``."""
        return f"{self.value * 100:g} %"


@dataclass(frozen=True)
class Question:
    """One registered question: its contract, and the way to its student and checker sides."""

    name: str
    package: str
    points: float
    functions: tuple
    answers: AnswerSchema
    inputs: InputSchema
    thresholds: dict = field(default_factory=dict)
    uses_data: bool = False
    witnessed: bool = False
    # The question's commonest mistakes, each a case of sample_submissions/cases.py with what it does:
    # each must fail a public check, so that grader.check tells the student before the due date.
    common_mistakes: dict = field(default_factory=dict)

    @property
    def folder(self) -> Path:
        return FOLDER / self.package

    def draw(self, rng: np.random.Generator, fixed: np.random.Generator, data: Any) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return self._module("").draw(rng, fixed, data)

    def check_draw(self, arrays: Mapping[str, Any], params: Mapping[str, Any]) -> None:
        """Refuse, in one line naming the unit's file, a draw that does not make exactly the inputs ``INPUTS`` declares."""
        problem = self.inputs.undeclared(arrays, params)
        if problem:
            raise QuestionError(f"{self._path('')}: draw() {problem}; declare every input in INPUTS, once")

    def challenge_inputs(self, arrays: Mapping[str, np.ndarray], params: Mapping[str, Any], data: Any) -> Inputs:
        """This question's :class:`~mnist_kit.inputs.Inputs` from a whole challenge, read through ``INPUTS``."""
        return self.inputs.inputs(*inputs_of(self.name, arrays, params), data)

    def collect(self, student: Student, inputs: Any, collector: Callable[[Student, Any], dict[str, Any]] | None = None) -> dict[str, Any]:
        """Run the student side's ``collect`` (or ``collector``, that function loaded earlier): answers under ``ANSWERS``' keys.

        Raises
        ------
        AnswerKeyError
            When the collector records a key the unit's ``ANSWERS`` does not declare (a defect of
            the unit, found by the fast tests), naming the two files to reconcile.
        """
        answers = (collector or self.collector())(student, inputs)
        undeclared = self.answers.undeclared(answers)
        if undeclared:
            raise AnswerKeyError(
                f"{self._path('collect')} records {undeclared[0]!r}, which ANSWERS in {self._path('')} does not declare; "
                "declare it there, or record under ANSWERS.<answer>(...)"
            )
        return answers

    def collector(self) -> Callable[[Student, Any], dict[str, Any]]:
        """The student side's ``collect`` function (imported in the student's process)."""
        return self._function("collect", "collect")

    @property
    def checks(self) -> tuple[Check, ...]:
        """The checker side's ``CHECKS``: the public checks, then the hidden ones."""
        return self._checks("checks", "CHECKS = [*PUBLIC_CHECKS, hidden(...)]")

    @property
    def public_checks(self) -> tuple[Check, ...]:
        """The public checks of ``public.py``: what ``grader.check`` runs, and the grade too."""
        return self._checks("public", "CHECKS = [public(...)]")

    @property
    def goals(self) -> Callable[..., list[Goal]] | None:
        """``public.py``'s ``goals(answers, inputs)`` (a list of :class:`mnist_kit.checks.Goal`), or None."""
        goals = getattr(self._module("public"), "goals", None)
        return goals if callable(goals) else None

    def _checks(self, module: str, example: str) -> tuple[Check, ...]:
        checks = self._module(module).__dict__.get("CHECKS")
        if not isinstance(checks, (list, tuple)):
            raise QuestionError(f"{self._path(module)} has no CHECKS list; add {example}")
        return tuple(checks)

    def _function(self, module: str, name: str) -> Callable[..., Any]:
        function = getattr(self._module(module), name, None)
        if not callable(function):
            raise QuestionError(f"{self._path(module)} has no function {name}(); every question unit needs one")
        return function

    def _module(self, module: str) -> ModuleType:
        dotted = f"{__name__}.{self.package}" + (f".{module}" if module else "")
        missing = f"{self._path(module)} is missing; every question unit has __init__.py, collect.py, public.py and checks.py"
        return _import_unit_module(dotted, self._path(module), missing)

    def _path(self, module: str) -> str:
        return f"mnist_kit/questions/{self.package}/{module or '__init__'}.py"


@dataclass(frozen=True)
class WrittenQuestion:
    """A question answered in words and marked by hand, by question, with the rubric beside its unit.

    Its unit is a folder with ``__init__.py`` (``NAME``, ``POINTS``, ``MANUAL = True``) and
    ``rubric.toml`` (:mod:`mnist_kit.rubric`); neither is in the student release.
    """

    name: str
    package: str
    points: float

    @property
    def folder(self) -> Path:
        return FOLDER / self.package

    @property
    def rubric_path(self) -> Path:
        return self.folder / "rubric.toml"

    def rubric(self) -> Rubric:
        """The rubric as written beside the unit; a :class:`~mnist_kit.rubric.RubricError` in one line if unusable."""
        from mnist_kit.rubric import read_rubric  # the checker's side only: the student's process never reads a rubric

        return read_rubric(self.rubric_path, self.name, self.points)


def _import_unit_module(dotted: str, path: str, missing: str) -> ModuleType:
    """Import a unit's module; whatever stops it is one :class:`QuestionError` naming the file and line, never a traceback."""
    try:
        return importlib.import_module(dotted)
    except ModuleNotFoundError as error:
        if error.name == dotted:
            raise QuestionError(missing) from None
        raise QuestionError(f"{path}{_line_in(error, path)}: {type(error).__name__}: {error}") from None
    except SyntaxError as error:
        elsewhere = error.filename and not _same_file(error.filename, path)
        raise QuestionError(f"{error.filename if elsewhere else path}, line {error.lineno}: {error.msg}; fix the unit's code") from None
    except QuestionError:
        raise
    except Exception as error:  # noqa: BLE001 - an instructor's unit raised while loading: say where, in one line
        raise QuestionError(f"{path}{_line_in(error, path)}: {type(error).__name__}: {error}") from None


def _line_in(error: BaseException, path: str) -> str:
    """``", line N"`` of the innermost frame of ``error``'s traceback in ``path``, or nothing."""
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if _same_file(frame.filename, path)]
    return f", line {frames[-1].lineno}" if frames else ""


def _same_file(filename: str, path: str) -> bool:
    """Whether ``filename`` is the unit's file ``path`` (mnist_kit/questions/<unit>/<module>.py), wherever the unit lives."""
    return Path(filename).parts[-2:] == Path(path).parts[-2:]


def _load(package: str) -> Question:
    where = f"mnist_kit/questions/{package}/__init__.py"
    absent = f"{where} is missing: REGISTRY in mnist_kit/questions/__init__.py names {package!r}; write the unit or remove the name"
    module = _import_unit_module(f"{__name__}.{package}", where, absent)
    missing = [name for name in ("NAME", "POINTS", "FUNCTIONS", "ANSWERS", "INPUTS", "draw") if not hasattr(module, name)]
    if missing:
        raise QuestionError(f"{where} does not define {', '.join(missing)}; every question unit declares them")
    if not (isinstance(module.POINTS, (int, float)) and module.POINTS > 0):
        raise QuestionError(f"{where}: POINTS is {module.POINTS!r}; give the question a positive number of points")
    if not isinstance(module.ANSWERS, AnswerSchema):
        raise QuestionError(f"{where}: ANSWERS must be an AnswerSchema(NAME, ...) declaring every answer the collector records")
    if not isinstance(module.INPUTS, InputSchema):
        raise QuestionError(f"{where}: INPUTS must be an InputSchema(NAME, arrays=(...), params=(...)) declaring every input draw() makes")
    thresholds = getattr(module, "THRESHOLDS", {})
    if not all(isinstance(t, Threshold) for t in thresholds.values()):
        raise QuestionError(f"{where}: every THRESHOLDS value must be a Threshold(value, margin)")
    return Question(
        module.NAME,
        package,
        module.POINTS,
        tuple(module.FUNCTIONS),
        module.ANSWERS,
        module.INPUTS,
        dict(thresholds),
        bool(getattr(module, "USES_DATA", False)),
        bool(getattr(module, "WITNESSED", False)),
        dict(getattr(module, "COMMON_MISTAKES", {})),
    )


def _load_written(package: str) -> WrittenQuestion:
    where = f"mnist_kit/questions/{package}/__init__.py"
    absent = f"{where} is missing: WRITTEN_REGISTRY in mnist_kit/questions/__init__.py names {package!r}; write the unit or remove the name"
    module = _import_unit_module(f"{__name__}.{package}", where, absent)
    missing = [name for name in ("NAME", "POINTS", "MANUAL") if not hasattr(module, name)]
    if missing or module.MANUAL is not True:
        raise QuestionError(f"{where} does not define {', '.join(missing) or 'MANUAL = True'}; a written question's unit declares them")
    if not (isinstance(module.POINTS, (int, float)) and module.POINTS > 0):
        raise QuestionError(f"{where}: POINTS is {module.POINTS!r}; give the question a positive number of points")
    return WrittenQuestion(module.NAME, package, module.POINTS)


def _questions(registry: Iterable[str], load: Callable[[str], Unit]) -> dict[str, Unit]:
    loaded = [load(package) for package in registry]
    names = [question.name for question in loaded]
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise QuestionError(f"two units in mnist_kit/questions/__init__.py's REGISTRY are both named {repeated[0]}; give each its own NAME")
    return {question.name: question for question in loaded}


class Registry(Mapping[str, Unit], Generic[Unit]):
    """The registered questions by name, in notebook order, loaded at the first use.

    Importing the kit loads no unit: a broken one raises its :class:`QuestionError` where it is
    first needed, inside a command, which reports it in one line like any other error.
    """

    def __init__(self, packages: tuple[str, ...], load: Callable[[str], Unit]) -> None:
        self._packages, self._load = packages, load
        self._loaded: dict[str, Unit] | None = None
        # Gradings run in threads: one loads the units, the others wait (Python 3.11 cannot compile
        # in two threads at once, CPython gh-106905, and a first import compiles).
        self._lock = threading.Lock()

    def _questions(self) -> dict[str, Unit]:
        with self._lock:
            if self._loaded is None:
                self._loaded = _questions(self._packages, self._load)
            return self._loaded

    def __getitem__(self, name: str) -> Unit:
        return self._questions()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._questions())

    def __len__(self) -> int:
        return len(self._questions())

    @property
    def total_points(self) -> float:
        """What a submission with every question right scores."""
        return sum(question.points for question in self.values())


QUESTIONS: Registry[Question] = Registry(REGISTRY, _load)
# The written questions, by name, in notebook order (each a WrittenQuestion).
WRITTEN: Registry[WrittenQuestion] = Registry(WRITTEN_REGISTRY, _load_written)


def points_of(name: str) -> float:
    """The points of question ``name``, autograded or written; ``KeyError`` for no such question."""
    return QUESTIONS[name].points if name in QUESTIONS else WRITTEN[name].points


def assignment_points() -> float:
    """What the whole assignment is out of: the autograded questions' points and the written ones'."""
    return QUESTIONS.total_points + WRITTEN.total_points


def gradebook_columns() -> list[str]:
    """Every question a gradebook has a column for: the autograded ones, then the written ones."""
    return [*QUESTIONS, *WRITTEN]


def __getattr__(name: str) -> object:
    # TOTAL_POINTS, ASSIGNMENT_POINTS and THRESHOLDS read the registries: computed when asked for, as they are loaded.
    if name == "TOTAL_POINTS":  # the autograded questions' points
        return QUESTIONS.total_points
    if name == "ASSIGNMENT_POINTS":  # every question's, the written ones' too
        return assignment_points()
    if name == "THRESHOLDS":  # every question's thresholds, by name (each name is unique across questions)
        return {name: threshold for question in QUESTIONS.values() for name, threshold in question.thresholds.items()}
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
