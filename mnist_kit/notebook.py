"""``grader.check`` in the student's notebook: a question's public checks, the very ones the grade runs.

The notebook's first cell makes ``grader = Grader()``. ``grader.check("q4")`` then does
in the student's own kernel what grading does in the sandbox, on inputs of its own: it draws a
challenge (from :data:`NOTEBOOK_SEED`, so the advice is the same each time), calls the question's
collector on the student's functions, sends the answers through the same ``.npz``/JSON round trip,
and runs the question's public checks (``questions/<unit>/public.py``) on them. A check is written
once; what ``grader.check`` says about a public check is what the grade says about it, unless the
check's verdict depends on the inputs drawn (``tests/test_verdicts.py`` proves it does not for every
right and wrong case). Before any call, it names a graded function that reads one of the notebook's
own data variables, which do not exist when the grader calls it.

``grader.export()`` zips the notebook to submit (:mod:`mnist_kit.export`). This module is imported in the sandbox too (the
notebook's first cell runs there), so it imports nothing heavy until used.
"""

from __future__ import annotations

import contextlib
import dataclasses
import dis
import inspect
import io
import random
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported where used: the student's kernel imports this module at its first cell
    import types

    import numpy as np

    from .calibration import Calibration
    from .checks import Answers, Goal
    from .inputs import Inputs, StudentData
    from .limits import Limits
    from .questions import Question

NOTEBOOK_SEED = 20_261_126  # grader.check's challenge; the grade draws a fresh one for every grading


def _caller_globals() -> dict[str, Any]:
    """The globals of the code that called the method calling this: a notebook's, for ``grader.check("q1")``."""
    frame = inspect.currentframe()
    caller = frame.f_back.f_back if frame and frame.f_back else None
    return caller.f_globals if caller else {}


# Where the zip goes and which of several it is: every export makes a new one and keeps the older.
UPLOAD_WHICH = (
    "upload it where your course collects work (Gradescope or Canvas); if several zips lie there, the newest, named by its time, "
    "is this one."
)


class Grader:
    """The notebook's ``grader``: ``check`` runs the kit's public checks, ``export`` zips the notebook to submit.

    Neither needs otter-grader, so students install numpy, scikit-learn, matplotlib and Jupyter
    only (the instructor's side builds the notebook with otter; the grade accepts any zip holding
    the notebook, as otter's own export makes too).

    Parameters
    ----------
    notebook : str, optional
        Ignored: ``export`` finds the notebook that runs (a name written here would be wrong in a copy).

    Examples
    --------
    >>> grader = Grader()  # doctest: +SKIP
    >>> grader.check("q3")  # doctest: +SKIP
    q3: all 2 public checks pass.
    """

    def __init__(self, notebook: str | None = None) -> None:
        # Kept so that notebooks written as Grader("mnist.ipynb") still run; export never trusts a
        # written name, since a student may work in a copy (it finds the running notebook instead).
        self._written_name = notebook
        with contextlib.suppress(ImportError):  # the student release has it; the sandbox's copy of the kit does not
            from .kernel_state import watch_cells

            watch_cells()  # from now on, each cell the kernel runs is seen: grader.check can tell a stale kernel

    def check(self, question: str, global_env: dict[str, Any] | None = None) -> "CheckReport | WrittenReport":
        """Run ``question``'s public checks on the functions the notebook defines; return a report that shows itself."""
        namespace = global_env if global_env is not None else _caller_globals()
        from .questions import QUESTIONS, WRITTEN

        if question in WRITTEN:
            return written_check(question, namespace)
        report = public_check(question, namespace)
        unit = QUESTIONS.get(question)
        return dataclasses.replace(report, stale=kernel_against_saved(unit.functions, namespace)) if unit else report

    def export(
        self,
        nb_path: str | None = None,
        export_path: str | None = None,
        pdf: bool = False,
        global_env: dict[str, Any] | None = None,
        **ignored: object,
    ) -> None:
        """Zip the notebook this kernel runs (or ``nb_path``) beside it and print its receipt.

        Returns None, as otter's does, so that the cell shows the receipt and nothing else.

        Refuses, with one line and no zip, when it cannot tell which notebook runs, or when the saved
        file's graded functions are not the ones this kernel last ran (save, then export again).
        ``pdf`` and otter's other options are accepted and ignored: no PDF is made or needed.
        See :mod:`mnist_kit.export`.
        """
        from .export import ExportError, export

        namespace = global_env if global_env is not None else _caller_globals()
        try:
            zip_path, made = export(namespace, nb_path, export_path)
        except ExportError as error:
            print(f"✗ Not exported: {error}")
            return
        print("\n".join([*made.lines(), f"Wrote {zip_path.name} beside the notebook: {UPLOAD_WHICH}"]))


@dataclass(frozen=True)
class CheckReport:
    """What ``grader.check`` found: each public check's name, verdict and message."""

    question: str
    results: tuple  # of mnist_kit.checks.CheckResult
    problem: str = ""  # why no check could run (a function missing, or leaning on the notebook's variables)
    goals: tuple = ()  # of mnist_kit.checks.Goal: what hidden checks demand, measured here once the public checks pass
    time: str = ""  # the CPU time the calls used here against the grade's limit for them on this machine (time_line)
    stale: tuple = ()  # of str: where the saved notebook is not what this kernel runs (kernel_state.stale_lines), said first

    @property
    def passed(self) -> bool:
        return not self.problem and all(result.passed for result in self.results)

    def failures(self) -> list[str]:
        """The messages of the failed checks (or the one problem), as the grade words them."""
        from .answers import said_once

        return [self.problem] if self.problem else said_once(result.message for result in self.results if not result.passed)

    def __repr__(self) -> str:
        count = len(self.results)
        if self.passed:
            head = f"{self.question}: all {count} public check{'s' * (count != 1)} pass."
        elif self.problem:
            head = f"{self.question}: the public checks could not run."
        else:
            head = f"{self.question}: {sum(r.passed for r in self.results)} of {count} public checks pass."
        lines = [head, *(f"  ✗ {message}" for message in self.failures())]
        if self.stale:  # said first: until it is fixed, these results are not the grade's
            lines = ["The saved notebook is not what this kernel runs, and the grade reads the saved one:"]
            lines += [f"  ! {line}" for line in self.stale]
            lines += ["Until then, what follows checks the kernel's version:", head, *(f"  ✗ {m}" for m in self.failures())]
        if self.goals:
            lines.append("The grade also checks these goals (hidden checks), measured here on this notebook's inputs:")
            lines += [f"  {goal.line()}" for goal in self.goals]
        if self.time:
            lines.append(self.time)
        lines.append("The grade runs these checks again on other inputs, and hidden checks too: write code that works for any input.")
        return "\n".join(lines)

    def _repr_markdown_(self) -> str:
        return "```text\n" + repr(self) + "\n```"


@dataclass(frozen=True)
class WrittenReport:
    """What ``grader.check`` says of a written question: whether the saved notebook holds an answer (never judged)."""

    line: str

    def __repr__(self) -> str:
        return self.line + "\nIt is read and marked by hand after the due date, with a rubric."

    def _repr_markdown_(self) -> str:
        return "```text\n" + repr(self) + "\n```"


def kernel_against_saved(functions: Sequence[str], namespace: dict[str, Any]) -> tuple[str, ...]:
    """Where the saved notebook this kernel runs defines ``functions`` otherwise than the kernel does (nothing if it cannot be read)."""
    import json

    from .export import ExportError, find_notebook
    from .kernel_state import stale_lines

    try:
        path = find_notebook(namespace)
        saved = json.loads(path.read_text(encoding="utf-8"))
    except (ExportError, OSError, ValueError):
        return ()
    return tuple(stale_lines(saved, namespace, functions, path))


def written_check(question: str, namespace: dict[str, Any]) -> WrittenReport:
    """Whether the saved notebook this kernel runs answers the written ``question`` (what the grade will read)."""
    import json

    from .export import ExportError, find_notebook
    from .written import answer_line, written_answers

    try:
        saved = json.loads(find_notebook(namespace).read_text(encoding="utf-8"))
    except (ExportError, OSError, ValueError) as error:
        return WrittenReport(f"{question} (written, marked by hand): cannot read the saved notebook ({error})")
    return WrittenReport(answer_line(question, written_answers(saved, [question])[question]))


def public_check(question: str, namespace: dict[str, Any], seed: int = NOTEBOOK_SEED) -> CheckReport:
    """Run ``question``'s public checks on the functions defined in ``namespace``.

    Parameters
    ----------
    question : str
        ``"q1"`` to ``"q6"``.
    namespace : dict
        The notebook's globals (or any dict holding the question's functions by name).
    seed : int
        The challenge's seed.

    Returns
    -------
    CheckReport

    Raises
    ------
    ValueError
        If ``question`` is not one of the assignment's questions.
    """
    from joblib import parallel_config

    from . import checks, witness
    from .answers import Student
    from .questions import QUESTIONS

    unit = QUESTIONS.get(question)
    if unit is None:
        raise ValueError(f"there is no question {question!r}; the questions are {', '.join(QUESTIONS)}")
    problem = _definition_problem(unit.functions, namespace)
    if problem:
        return CheckReport(question, (), problem)
    # A function that reads the notebook's variables fails as it fails when graded, the others are checked as there.
    leaning = {name: used for name in unit.functions if (used := notebook_variables_used(namespace[name]))}
    arrays, params, student_data, checker_inputs = _challenge(seed)
    inputs = unit.challenge_inputs(arrays, params, student_data if unit.uses_data else None)
    # As in the grade: seeded generators, and joblib in this process (the grade's LOKY_MAX_CPU_COUNT=1).
    witnessing: contextlib.AbstractContextManager[dict] = witness.in_process() if unit.witnessed else contextlib.nullcontext({})
    with (
        _seeded(question),
        parallel_config(backend="sequential"),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
        witnessing as witnessed,
    ):
        started = _cpu_seconds()
        answers = unit.collect(Student(namespace, leaning=leaning), inputs)
        cpu_used = _cpu_seconds() - started
    timed = time_line(question, cpu_used)
    recorded, error = _round_trip(question, answers)
    if recorded is None:
        return CheckReport(question, (), error or "the recorded answer could not be read", time=timed)
    seen = dataclasses.replace(checker_inputs[question], witnessed=witnessed) if unit.witnessed else checker_inputs[question]
    results = tuple(checks.run_checks(unit, recorded, seen, unit.public_checks))
    goals = _goals(unit, recorded, seen) if all(r.passed for r in results) else ()
    return CheckReport(question, results, goals=goals, time=timed)


NEAR_LIMIT = 0.5  # grader.check warns from this share of a question's limit: a slower run could cross it


def _cpu_seconds() -> float:
    """CPU seconds of this kernel (all its threads) and of the child processes it has waited for (on Windows, its own only)."""
    try:
        import resource
    except ImportError:  # Windows has no rusage
        import time

        return time.process_time()
    mine, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + children.ru_utime + children.ru_stime


def time_line(question: str, used: float, limits: Limits | None = None, calibration: Calibration | None = None) -> str:
    """What ``grader.check`` says of ``used`` CPU seconds against ``question``'s limit at grading, on this machine.

    Examples
    --------
    >>> from mnist_kit.calibration import Calibration
    >>> print(time_line("q6", 1.2, calibration=Calibration(0.2, {"q6": 10.0})))
    Time: the calls used 1.2 CPU-s here; the grade stops them at 200 CPU-s on this machine (100 times the reference's 2.0).
    >>> print(time_line("q6", 150.0, calibration=Calibration(0.2, {"q6": 10.0})))
    ✗ Time: the calls used 150 CPU-s here, near the grade's limit of 200 CPU-s on this machine: make them do less work.
    """
    from .calibration import CalibrationError, machine_calibration
    from .limits import Limits

    limits = limits or Limits()
    try:
        calibration = calibration or machine_calibration()
    except CalibrationError as error:
        return f"Time: the calls used {used:.1f} CPU-s here; the grade's limit could not be worked out ({error})."
    limit, reference = calibration.cpu_limit(question, limits), calibration.reference_seconds(question)
    if used > NEAR_LIMIT * limit:
        over = f"over the grade's limit of {limit:.0f} CPU-s: the grade stops them and {question} earns nothing"
        near = f"near the grade's limit of {limit:.0f} CPU-s on this machine: make them do less work"
        return f"✗ Time: the calls used {used:.0f} CPU-s here, {over if used > limit else near}."
    calibrated = reference and limits.min_step_cpu < limit < limits.max_step_cpu  # neither floor nor cap set it
    times = f" ({limits.cpu_multiple:g} times the reference's {reference:.1f})" if calibrated else ""
    return f"Time: the calls used {used:.1f} CPU-s here; the grade stops them at {limit:.0f} CPU-s on this machine{times}."


def _goals(unit: Question, recorded: Answers, seen: Inputs) -> tuple[Goal, ...]:
    """What ``unit``'s public goals measure of answers that pass its public checks (nothing when it has none)."""
    from .checks import CheckFailed

    try:
        return tuple(unit.goals(recorded, seen)) if unit.goals else ()
    except CheckFailed:
        return ()  # nothing to measure: the public checks already said why


def _round_trip(question: str, answers: dict[str, Any]) -> tuple[Any, str | None]:
    """``answers`` saved as the collector saves them and loaded as the checker loads them (the grade's round trip, byte
    for byte): the loaded answers, or None and why."""
    from . import checks, collect
    from .answers import describe_exception
    from .questions import QUESTIONS
    from .workfolder import WorkFolder

    with tempfile.TemporaryDirectory(prefix="mnist-kit-check-") as folder:
        work = WorkFolder(Path(folder))
        work.answers.mkdir()
        try:
            collect.save_answers(work, question, answers)
        except Exception as unsaved:  # noqa: BLE001 - what the grade records for the same answer (collect.run), never a traceback
            return None, describe_exception(unsaved)
        record, stored_arrays = work.answer_record(question).read_bytes(), work.answer_arrays(question).read_bytes()
        return checks.load_answers(record, stored_arrays, QUESTIONS[question].answers)


def assert_public_checks_pass(question: str, **functions: Callable[..., Any]) -> None:
    """What the otter test files (``tests/qN.py``) run: :func:`public_check`, failing with its messages.

    Examples
    --------
    >>> assert_public_checks_pass("q3", make_binary_target=lambda y, digit=2: y == digit)  # doctest: +SKIP
    """
    report = public_check(question, functions)
    assert report.passed, " ".join(report.failures())


@cache
def _challenge(seed: int) -> tuple[dict[str, np.ndarray], dict[str, Any], StudentData, dict[str, Inputs]]:
    """The challenge of ``seed``, the MNIST views students' functions get, and the checker's inputs (built once)."""
    import numpy as np

    from .challenge import make_challenge
    from .data import read_embedded
    from .inputs import SHARED, CheckerData, StudentData, inputs_of
    from .questions import QUESTIONS

    images, digits = read_embedded()
    digits = digits.astype(np.int8)
    arrays, params = make_challenge(seed, images, digits)
    shared = inputs_of(SHARED, arrays, params)[0]
    checker_data = CheckerData.from_mnist(images, digits, shared)
    checker_inputs = {name: unit.challenge_inputs(arrays, params, checker_data) for name, unit in QUESTIONS.items()}
    return arrays, params, StudentData(shared), checker_inputs


@contextlib.contextmanager
def _seeded(step: str) -> Iterator[None]:
    """The global generators seeded as the grade seeds them for ``step``, and restored afterwards."""
    import numpy as np

    from .collect import seed_global_generators

    saved = random.getstate(), np.random.get_state()
    seed_global_generators(step)
    try:
        yield
    finally:
        random.setstate(saved[0])
        np.random.set_state(saved[1])


def _definition_problem(functions: Sequence[str], namespace: dict[str, Any]) -> str | None:
    """Why the question's functions cannot be checked yet: one is missing.

    A function that reads the notebook's variables is checked, and fails as it fails when graded.
    """
    for name in functions:
        if not callable(namespace.get(name)):
            return f"the notebook does not define {name} yet: run its cell first (if it raised an error, fix that first)."
    return ""


def notebook_variables_used(function: Callable[..., Any]) -> list[str]:
    """The data variables of its notebook (arrays, fitted models) that ``function`` reads, directly or through a helper.

    Examples
    --------
    >>> import numpy as np
    >>> X_test = np.zeros(3)
    >>> def uses_it(X):
    ...     return X_test.sum()
    >>> notebook_variables_used(uses_it)
    ['X_test']
    """
    namespace, found, seen, pending = getattr(function, "__globals__", {}), [], set(), [function]
    while pending:
        current = pending.pop()
        code = getattr(current, "__code__", None)
        if code is None or code in seen:
            continue
        seen.add(code)
        for name in _global_names(code):
            value = namespace.get(name)
            if _is_data(value) and name not in found:
                found.append(name)
            elif inspect.isfunction(value) and value.__globals__ is namespace:
                pending.append(value)  # a helper of the notebook's
    return found


def _global_names(code: types.CodeType) -> list[str]:
    names = [instruction.argval for instruction in dis.get_instructions(code) if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME")]
    for constant in code.co_consts:
        if inspect.iscode(constant):
            names += _global_names(constant)
    return names


def _is_data(value: object) -> bool:
    """An array, or a model: what a notebook computes, never what a graded function may rely on."""
    import numpy as np

    if inspect.isclass(value) or inspect.ismodule(value) or inspect.isroutine(value):
        return False
    return isinstance(value, np.ndarray) or hasattr(value, "fit")
