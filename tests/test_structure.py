"""The kit's code stays small enough to hold in one's head: no function over 60 lines or 6 parameters.

Lines count the whole definition, docstring included; parameters count every argument a caller
may pass (``self`` and ``cls`` aside). Options travel as one object (``GradingOptions``,
``SubmissionRun``, ``WorkerJob``) and paths as one folder (``GradedFolder``, ``WorkFolder``).
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "mnist_kit"
MAX_LINES = 60
MAX_PARAMETERS = 6


def _functions(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def _parameters(function):
    arguments = function.args
    names = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
    named = [a.arg for a in names if a is not None]
    return named[1:] if named[:1] in (["self"], ["cls"]) else named


def _too_large(path):
    for function in _functions(path):
        lines = function.end_lineno - function.lineno + 1
        parameters = _parameters(function)
        if lines > MAX_LINES or len(parameters) > MAX_PARAMETERS:
            yield f"{function.name} (line {function.lineno}): {lines} lines, {len(parameters)} parameters"


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_function_is_over_60_lines_or_6_parameters(path):
    assert not list(_too_large(path)), f"{path.relative_to(PACKAGE.parent)}: split these, or pass one options object"


def test_the_measure_finds_a_long_function_and_a_long_signature(tmp_path):
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_LINES))
    source = tmp_path / "big.py"
    source.write_text(
        f"def long():\n{body}\n\n\ndef wide(self, a, b, c, d, e, f, *, g):\n    pass\n\n\ndef fine(self, a, b, c, d, e, f):\n    pass\n"
    )
    assert [line.split(" ")[0] for line in _too_large(source)] == ["long", "wide"]
