"""Whether the kernel runs the graded functions the saved notebook holds, and if not, why and what to do.

The grade reads the saved file; ``grader.check`` tests the functions the kernel holds. They part
in these ways, each with one fix that needs no restart of the kernel (the last excepted):

- the cell last run to define a function **did not parse**: running it changed nothing, so the
  kernel still holds the function as it was before the edit (fix the line, run the cell);
- the saved cell was **edited and saved since the kernel ran it** (run the cell);
- the kernel ran a **newer version than the one saved** (save the notebook): the normal state
  while a student works, so ``grader.check`` says nothing of it and only ``grader.export()`` asks;
- the kernel holds a function **no saved cell defines** (write it back, or restart the kernel so
  that it forgets it: the one case where nothing else helps).

To tell them apart, ``Grader()`` (the notebook's first cell) asks IPython to report every cell it
runs (:func:`watch_cells`): when each graded function was last defined, and whether that cell
parsed; the saved file's modification time says which came last. Without IPython (a plain
Python), the kernel's input history, if any, is all there is, and the advice covers both readings.
Used by ``grader.check`` (said before any check result) and ``grader.export()`` (its refusal).
Runs in the student's kernel; standard library only.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import notebook_source

SAVE = "save the notebook (Ctrl-S / Cmd-S)"
RUN = "run that cell (Shift-Enter)"
_DEF = re.compile(r"^def\s+([A-Za-z_]\w*)\s*\(", re.M)


@dataclass(frozen=True)
class RanDefinition:
    """The last cell this kernel ran that defines a function: when, and the definition (None: the cell did not parse)."""

    at: float
    definition: str | None
    problem: str = ""  # why the cell did not parse: "has a syntax error on its line 3: invalid syntax"


@dataclass
class CellWatch:
    """What the kernel ran, as IPython reports each cell: the last definition of each function."""

    last: dict[str, RanDefinition] = field(default_factory=dict)

    def saw(self, source: str, at: float | None = None) -> None:
        """Record the functions the cell ``source`` (as Python, magics transformed) defines, run at ``at``."""
        at = time.time() if at is None else at
        try:
            tree = ast.parse(source)
        except SyntaxError as error:
            for name in _DEF.findall(source):
                self.last[name] = RanDefinition(at, None, f"has a syntax error on its line {error.lineno}: {error.msg}")
            return
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                self.last[node.name] = RanDefinition(at, ast.dump(node))


def watch_cells() -> CellWatch | None:
    """The kernel's :class:`CellWatch`, registered with IPython once; None outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    shell = get_ipython()
    if shell is None:
        return None
    watch = getattr(shell, "_mnist_kit_cell_watch", None)
    if watch is None:
        watch = CellWatch()
        shell._mnist_kit_cell_watch = watch
        shell.events.register("post_run_cell", lambda result: watch.saw(shell.transform_cell(result.info.raw_cell or "")))
    return watch


def stale_lines(
    notebook: dict[str, Any], namespace: dict[str, Any], functions: Iterable[str], path: Path | str, for_export: bool = False
) -> list[str]:
    """One line per function of ``functions`` whose saved definition is not what the kernel runs, saying why and what to do.

    Parameters
    ----------
    notebook : dict
        The saved notebook (nbformat 4 JSON).
    namespace : dict
        The kernel's globals: the functions, and IPython's input history ``_ih`` if there is one.
    functions : iterable of str
        The graded functions to compare.
    path : pathlib.Path or str
        The notebook's file: its name is said, its modification time is compared with when the kernel ran each definition.
    for_export : bool
        Also say when the kernel ran a newer version than the saved one (``grader.export()``), and end with saving.

    Examples
    --------
    >>> cell = {"cell_type": "code", "source": "def f(x):\\n    return x +\\n"}
    >>> def f(x):
    ...     return x
    >>> stale_lines({"cells": [cell]}, {"f": f}, ["f"], "mine.ipynb")[0]  # doctest: +ELLIPSIS
    'f: code cell 1 (def f(x):) has a syntax error on its line 2: invalid syntax (in the saved mine.ipynb); running...'
    """
    saved = _read_saved(notebook, Path(path))
    watch = watch_cells()
    lines = []
    for function in functions:
        kernel = _kernel_definition(namespace.get(function))
        if kernel is not None:  # else not defined here, or without source: grader.check says what it can of it
            line = _parting(function, kernel, saved, watch.last.get(function) if watch else None, namespace, for_export)
            lines += [line] if line else []
    return lines


@dataclass(frozen=True)
class _SavedNotebook:
    """The saved file as the comparison needs it: each function's cell and definition, and the cells that do not parse."""

    definitions: dict[str, tuple[str, str]]  # function: (its cell's label, ast dump), the last definition winning
    unparsed: dict[str, str]  # function: its cell's label and parse error
    name: str
    saved_at: float | None


def _read_saved(notebook: dict[str, Any], path: Path) -> _SavedNotebook:
    definitions = {}
    for label, source in notebook_source.definition_statements(notebook)[0]:
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef):
                definitions[node.name] = (label, ast.dump(node))
    saved_at = path.stat().st_mtime if path.is_file() else None
    return _SavedNotebook(definitions, notebook_source.unreadable_definitions(notebook), path.name, saved_at)


def _parting(
    function: str, kernel: str, saved: _SavedNotebook, ran: RanDefinition | None, namespace: dict[str, Any], for_export: bool
) -> str:
    """Why ``function`` as the kernel runs it (``kernel``, an ast dump) is not the saved one, and what to do; "" when it is."""
    name, then_save = saved.name, f", then {SAVE}" if for_export else ""
    if ran and ran.definition is None:
        broken = f"the cell you last ran to define it {ran.problem}"
    else:
        broken = f"{saved.unparsed[function]} (in the saved {name})" if function in saved.unparsed else ""
    if broken:
        return (
            f"{function}: {broken}; running that cell changed nothing, so this kernel still runs the {function} "
            f"from before your edit: fix the line, {RUN}{then_save}"
        )
    if function not in saved.definitions:
        return (
            f"{function}: this kernel runs it, but no cell of the saved {name} defines it, so the grade will not find "
            f"it: write it back in a cell and {SAVE}, or, if you removed it on purpose, restart the kernel so that it "
            "forgets it (Kernel > Restart Kernel; then run the cells again)"
        )
    label, definition = saved.definitions[function]
    if definition == kernel:
        return ""
    newer = _kernel_is_newer(function, definition, ran, saved.saved_at, namespace)
    if newer:
        return f"{function}: {label} in the saved {name} is older than the {function} this kernel last ran: {SAVE}" if for_export else ""
    if newer is False:
        return f"{function}: {label} in the saved {name} was edited and saved since this kernel ran it: {RUN}"
    return f"{function}: {label} in the saved {name} is not what this kernel last ran: {RUN}, then {SAVE}"


def _kernel_is_newer(
    function: str, saved: str, ran: RanDefinition | None, saved_at: float | None, namespace: dict[str, Any]
) -> bool | None:
    """Whether the kernel ran ``function`` after the file was saved (True), before (False), or None: cannot tell."""
    if ran is not None and saved_at is not None:
        return ran.at > saved_at
    if saved in _history_definitions(namespace).get(function, ()):
        return True  # the saved version ran once; the kernel has run another since
    return None


def _kernel_definition(function: Any) -> str | None:
    """The ast dump of the kernel's ``function``, or None (not a function, or no source kept)."""
    if not inspect.isfunction(function):
        return None
    try:
        return ast.dump(ast.parse(textwrap.dedent(inspect.getsource(function))).body[0])
    except (OSError, TypeError, SyntaxError, IndexError):
        return None


def _history_definitions(namespace: dict[str, Any]) -> dict[str, set[str]]:
    """Each function's definitions (ast dumps) in the cells this kernel ran, from IPython's input history ``_ih``."""
    history = namespace.get("_ih")
    found: dict[str, set[str]] = {}
    for source in history if isinstance(history, list) else []:
        watch = CellWatch()
        watch.saw(source if isinstance(source, str) else "", at=0.0)
        for function, ran in watch.last.items():
            if ran.definition is not None:
                found.setdefault(function, set()).add(ran.definition)
    return found
