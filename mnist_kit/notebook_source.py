"""A notebook's code as the grader reads it: the statements it runs, and the names and cells it reports.

Parsed, never run: the collector (in the student's process) runs what :func:`definition_statements`
keeps; the build, the receipt of ``grader.export`` and the similarity review read the same split.
"""

import ast
import re
import types
from collections.abc import Iterator
from typing import Any

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
                span = _with_decorators(node)
                segment = "\n" * (span.lineno - 1) + (ast.get_source_segment(source, span, padded=True) or "")
                statements.append((label, segment))
    return statements, problems


def _with_decorators(node: ast.stmt) -> Any:
    """Where ``node`` is written, its decorators included (a definition's own position starts at ``def``)."""
    decorators = getattr(node, "decorator_list", [])
    if not decorators:
        return node
    # A top-level statement starts its line: the first decorator's "@" is at column 0.
    return types.SimpleNamespace(lineno=decorators[0].lineno, col_offset=0, end_lineno=node.end_lineno, end_col_offset=node.end_col_offset)


def cell_source(cell: object) -> str:
    """A cell's text, whether the notebook stores it as one string or as a list of lines ("" for a cell that is not a dict).

    Examples
    --------
    >>> cell_source({"source": ["def f():\\n", "    pass"]}), cell_source({"source": "x = 1"}), cell_source([])
    ('def f():\\n    pass', 'x = 1', '')
    """
    source = cell.get("source", "") if isinstance(cell, dict) else ""
    return "".join(source) if isinstance(source, list) else str(source)


def _code_cells(notebook: dict[str, Any]) -> Iterator[tuple[str, str, ast.Module | None, str]]:
    """Each code cell as ``(label, Python source, parsed tree or None, why it could not be parsed or "")``."""
    for position, cell in enumerate((c for c in notebook.get("cells", []) if c.get("cell_type") == "code"), start=1):
        source = cell_source(cell)
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
        source = cell_source(cell)
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
