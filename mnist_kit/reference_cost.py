"""The reference's CPU cost, as shipped: re-measured only on purpose, read by every build, said to be stale when its code moved.

Every question's CPU limit is ``Limits.cpu_multiple`` times the reference's cost for it
(:mod:`mnist_kit.calibration`), and that cost travels in the bundle
(``mnist_kit/reference_cost.json``). A measurement made on a busy machine is wrong (there the
calibration workload and a question slow down by different factors), so nothing a TA runs
routinely writes the record: the build only reads it, and says in one line when

* a question's code changed since its cost was measured (:func:`stale_line`: the record keeps a
  digest of the code it was measured on, :func:`code_digest`), or
* the build's own run of the reference gives a limit far from the record's (:func:`drift_line`).

:func:`remeasure` (``mnist-kit measure-cost``) is the deliberate re-measure: several runs of the
reference, each between two runs of the calibration workload so that both see the same machine;
it refuses to write when the workload was not given most of a CPU or when the runs disagree, and
shows the old and new limits before writing.
"""

from __future__ import annotations

import ast
import hashlib
import statistics
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import calibration, grade, questions as registry, sandbox as sandboxes
from .calibration import Calibration, Workload
from .limits import Limits
from .notebook_source import definition_statements
from .questions import Question
from .results import Result

RUNS = 5  # runs of the reference a re-measure makes by default; the cost recorded is their median
# A question's runs may disagree by this factor (largest over smallest) before the machine is called busy: on
# an idle 2-core VM here five runs spread up to 1.43 times (q4), a loaded one twice (11.0 and 5.7 workloads).
MAX_SPREAD = 1.6
MIN_SHARE = 0.8  # the calibration workload must be given this share of one CPU: less, and other work is competing
DRIFT = 1.5  # the build warns when its own run gives a limit this many times above or below the record's
COMMAND = "mnist-kit measure-cost"
DEFAULT_LIMITS = Limits()  # the limits each question's cost is shown against
_SHOWN_RECORD = "mnist_kit/reference_cost.json"


class CostError(RuntimeError):
    """The cost could not be measured well enough to record; the message says why and what to do."""


def code_digest(question: Question, reference: dict[str, Any]) -> str:
    """A digest of what a question's reference cost measures: its unit's student side and the reference's functions.

    That is the unit's ``__init__.py`` (the inputs it draws) and ``collect.py`` (what runs in the
    student's process), the SGD witness for a witnessed question, and the reference notebook's
    definitions of the question's functions and of every notebook name they use, transitively.
    Python is compared by its syntax tree: comments and layout do not make a record stale.

    Examples
    --------
    >>> from mnist_kit.questions import QUESTIONS
    >>> q3 = QUESTIONS["q3"]
    >>> def reference(source):
    ...     return {"cells": [{"cell_type": "code", "source": source.format(q3.functions[0])}]}
    >>> plain = reference("def {}(y, digit=2):\\n    return y == digit")
    >>> code_digest(q3, plain) == code_digest(q3, reference("def {}(y, digit=2):  # why\\n    return (y == digit)"))
    True
    >>> code_digest(q3, plain) == code_digest(q3, reference("def {}(y, digit=3):\\n    return y == digit"))
    False
    """
    digest = hashlib.sha256()
    paths = [question.folder / "__init__.py", question.folder / "collect.py"]
    if question.witnessed:
        paths.append(Path(calibration.__file__).with_name("witness.py"))
    for path in paths:
        digest.update(f"{path.name}\0{_syntax(path.read_text())}\0".encode())
    for source in _reference_definitions(reference, question.functions):
        digest.update(f"{_syntax(source)}\0".encode())
    return digest.hexdigest()[:16]


def _syntax(source: str) -> str:
    try:
        return ast.dump(ast.parse(source))
    except SyntaxError:
        return source


def _reference_definitions(reference: dict[str, Any], functions: Sequence[str]) -> list[str]:
    """The notebook's top-level definitions of ``functions`` and of every notebook name they use, in name order."""
    defined: dict[str, tuple[str, ast.AST]] = {}
    for _, source in definition_statements(reference)[0]:
        source = source.lstrip("\n")
        try:
            node = ast.parse(source).body[0]
        except (SyntaxError, IndexError):
            continue
        for name in _bound_names(node):
            defined[name] = (source, node)
    wanted, found = list(functions), {}
    while wanted:
        name = wanted.pop()
        if name in found or name not in defined:
            continue
        found[name] = defined[name][0]
        wanted += [used.id for used in ast.walk(defined[name][1]) if isinstance(used, ast.Name)]
    return [found[name] for name in sorted(found)]


def _bound_names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return [target.id for target in targets if isinstance(target, ast.Name)]
    return []


def stale_questions(reference: dict[str, Any], record: Path = calibration.RECORD) -> list[str]:
    """The questions whose recorded cost is missing or was measured on other code than ``reference``'s and the units'."""
    recorded, digests = calibration.reference_units(record), calibration.measured_code(record)
    return [
        name
        for name, question in registry.QUESTIONS.items()
        if name not in recorded or digests.get(name) != code_digest(question, reference)
    ]


def stale_line(reference: dict[str, Any], record: Path = calibration.RECORD) -> str | None:
    """One line naming the questions whose recorded cost is stale (:func:`stale_questions`), or None.

    Examples
    --------
    >>> print(stale_line({"cells": []}, Path("no-such-record.json")))  # doctest: +ELLIPSIS
    note: mnist_kit/reference_cost.json has no cost, or one measured on other code, for q1, q2, ..., q6: ...
    """
    stale = stale_questions(reference, record)
    if not stale:
        return None
    return (
        f"note: {_SHOWN_RECORD} has no cost, or one measured on other code, for {', '.join(stale)}: "
        f"their CPU limits are the old reference's; on an idle machine run `{COMMAND}`, then ./dev build, and commit both"
    )


def drift_line(reference: Result, measured_here: Calibration, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """One line when this run of the reference gives a limit :data:`DRIFT` times off the record's, or None.

    The record is kept either way: one run on a machine that may be busy is no measurement to ship.

    Examples
    --------
    >>> from mnist_kit.results import QuestionResult, Status
    >>> here = Calibration(0.2, {"q4": 11.0})
    >>> run = Result(Status.GRADED, {"q4": QuestionResult(1.0, 1.0, cpu=1.14)}, 1.0, 1.0)
    >>> print(drift_line(run, here))  # doctest: +ELLIPSIS
    note: the reference's q4 used 5.7 workloads here where the record says 11.0 (a limit of 114 CPU-s, not 220): the record is kept; ...
    """
    moved = []
    for name, entry in reference.questions.items():
        old = measured_here.reference_units.get(name)
        if entry.cpu is None or old is None:
            continue
        new = entry.cpu / measured_here.machine_seconds
        new_limit = limits.step_cpu(new, measured_here.machine_seconds)
        old_limit = limits.step_cpu(old, measured_here.machine_seconds)
        if max(new_limit, old_limit) > DRIFT * min(new_limit, old_limit):
            limit = f"a limit of {new_limit:.0f} CPU-s, not {old_limit:.0f}"
            moved.append(f"{name} used {new:.1f} workloads here where the record says {old:.1f} ({limit})")
    if not moved:
        return None
    return f"note: the reference's {'; '.join(moved)}: the record is kept; if the reference changed, run `{COMMAND}` on an idle machine"


@dataclass(frozen=True)
class Remeasurement:
    """The runs of a re-measure: the calibration workload around each run, and each run's cost per question in workloads.

    ``workloads`` has one more entry than ``runs``: run ``i`` lies between ``workloads[i]`` and ``workloads[i + 1]``.
    """

    workloads: tuple[Workload, ...]
    runs: tuple[Mapping[str, float], ...]

    @property
    def units(self) -> dict[str, float]:
        """Each question's cost in workloads: the median of its runs."""
        return {name: statistics.median(run[name] for run in self.runs) for name in self.runs[0]}

    def busy(self, limits: Limits = DEFAULT_LIMITS) -> str | None:
        """Why this machine was too busy to measure (one line), or None.

        It was busy when a calibration workload got less than :data:`MIN_SHARE` of a CPU, or when a
        question's runs disagree by more than :data:`MAX_SPREAD` (a question whose limit is the
        floor on every run is not judged: its noise moves no limit).

        Examples
        --------
        >>> steady = Remeasurement((Workload(0.2, 0.21),) * 3, ({"q4": 11.0}, {"q4": 11.6}))
        >>> print(steady.busy())
        None
        >>> print(Remeasurement((Workload(0.2, 0.21),) * 3, ({"q4": 11.0}, {"q4": 5.7})).busy())
        the runs disagree: q4 measured 5.7 to 11.0 workloads (1.93 times apart, more than 1.6)
        """
        starved = [workload for workload in self.workloads if workload.share < MIN_SHARE]
        if starved:
            least = min(workload.share for workload in starved)
            return f"the calibration workload got {least:.0%} of a CPU (less than {MIN_SHARE:.0%}): other work is competing"
        spread = []
        machine = statistics.median(workload.cpu for workload in self.workloads)
        for name in self.runs[0]:
            costs = [run[name] for run in self.runs]
            if max(limits.step_cpu(cost, machine) for cost in costs) <= limits.min_step_cpu:
                continue
            low, high = min(costs), max(costs)
            if high > MAX_SPREAD * low:
                spread.append(f"{name} measured {low:.1f} to {high:.1f} workloads ({high / low:.2f} times apart, more than {MAX_SPREAD})")
        return f"the runs disagree: {'; '.join(spread)}" if spread else None


def remeasure(
    reference_text: str,
    runs: int = RUNS,
    questions: Sequence[str] | None = None,
    sandbox: sandboxes.Sandbox | None = None,
    progress: Callable[[str], None] = print,
) -> Remeasurement:
    """Measure the reference's cost of ``questions`` (all by default) over ``runs`` runs; raise :class:`CostError` on a busy machine.

    Parameters
    ----------
    reference_text : str
        The reference notebook's JSON (``autograder/mnist.ipynb``, as the build made it).
    runs : int
        Runs of the reference; each lies between two runs of the calibration workload, in a fresh Python each.
    questions : sequence of str, optional
        Measure only these; every autograded question by default.
    sandbox : mnist_kit.sandbox.Sandbox, optional
        Where the reference runs (bubblewrap by default, as at grading).
    progress : callable
        Told one line per run.

    Returns
    -------
    Remeasurement

    Raises
    ------
    CostError
        When the machine is too busy (:meth:`Remeasurement.busy`; refused as soon as a workload
        shows it) or the reference loses a point: nothing is measured well enough to record.
    """
    if runs < 2:
        raise CostError(f"runs={runs}: a re-measure needs at least 2 runs to tell noise from cost")
    sandbox = sandbox or sandboxes.choose()
    limits = Limits(threads=1)  # one BLAS thread, as the calibration workload runs
    recorded = calibration.reference_units()
    workloads, costs = [_unhurried(calibration.measure_workload())], []
    for number in range(1, runs + 1):
        checker = grade.Checker(Calibration(workloads[-1].cpu, recorded))
        result = grade.grade_notebook(reference_text, checker, limits, seed=0, sandbox=sandbox, questions=questions)
        lost = [name for name, entry in result.questions.items() if entry.score < entry.possible or entry.cpu is None]
        if lost:
            raise CostError(f"the reference lost points on {', '.join(lost)} (run {number}); run ./dev build and fix what it says first")
        workloads.append(_unhurried(calibration.measure_workload()))
        machine = (workloads[-2].cpu + workloads[-1].cpu) / 2
        costs.append({name: entry.cpu / machine for name, entry in result.questions.items() if entry.cpu is not None})
        progress(f"run {number}/{runs}: " + ", ".join(f"{name} {units:.2f}" for name, units in costs[-1].items()) + " workloads")
    measured = Remeasurement(tuple(workloads), tuple(costs))
    problem = measured.busy()
    if problem:
        raise CostError(f"{problem}; the machine is too busy to measure, nothing was written: rerun `{COMMAND}` when it is idle")
    return measured


def _unhurried(workload: Workload) -> Workload:
    if workload.share < MIN_SHARE:
        raise CostError(
            f"the calibration workload got {workload.share:.0%} of a CPU (less than {MIN_SHARE:.0%}): the machine is too busy "
            f"to measure, nothing was written; rerun `{COMMAND}` when it is idle"
        )
    return workload


def limits_table(measured: Remeasurement, limits: Limits = DEFAULT_LIMITS, record: Path = calibration.RECORD) -> list[str]:
    """One line per question measured: its old and new cost, and the limits both give on this machine."""
    old, machine = calibration.reference_units(record), statistics.median(w.cpu for w in measured.workloads)
    lines = [f"calibration workload here: {machine:.3f} CPU-s (median of {len(measured.workloads)})"]
    for name, units in measured.units.items():
        before = old.get(name)
        was = "none" if before is None else f"{before:.2f} workloads, limit {limits.step_cpu(before, machine):.0f} CPU-s"
        lines.append(f"{name}: {was} -> {units:.2f} workloads, limit {limits.step_cpu(units, machine):.0f} CPU-s")
    return lines


def write_record(measured: Remeasurement, reference: dict[str, Any], record: Path = calibration.RECORD) -> None:
    """Record the measured questions' costs and code digests; every other registered question keeps its entry."""
    units, digests = calibration.reference_units(record), calibration.measured_code(record)
    units.update(measured.units)
    digests.update({name: code_digest(registry.QUESTIONS[name], reference) for name in measured.units})
    kept = [name for name in registry.QUESTIONS if name in units]
    calibration.write_reference_units(
        {name: units[name] for name in kept}, {name: digests[name] for name in kept if name in digests}, record
    )
