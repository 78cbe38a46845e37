"""The student release holds no line of solution code and no hidden check.

It holds the public checks (each unit's ``public.py``) and the checkers' toolkit, on purpose:
``grader.check`` runs them in the notebook, as the grade does.
"""

import re
from pathlib import Path

import pytest

from mnist_kit.questions import QUESTIONS

ROOT = Path(__file__).resolve().parent.parent
RELEASE_FILES = [p for p in (ROOT / "assignment").rglob("*") if p.is_file() and p.suffix in (".ipynb", ".py", ".txt", ".md")]
TRIVIAL = re.compile(r"^(return|pass|else:|try:|\)|\]|\}|\"\"\"|#.*|)$")


def _release_text():
    return "\n".join(path.read_text(encoding="utf-8") for path in RELEASE_FILES)


def _meaningful(lines):
    return sorted({line.strip() for line in lines if not TRIVIAL.match(line.strip())})


def solution_lines():
    """Every non-trivial line between '# BEGIN SOLUTION' and '# END SOLUTION' in the source."""
    lines, inside = [], False
    for line in (ROOT / "solution" / "mnist.py").read_text().splitlines():
        if line.strip().startswith("# END SOLUTION"):
            inside = False
        elif inside:
            lines.append(line)
        elif line.strip().startswith("# BEGIN SOLUTION"):
            inside = True
    return _meaningful(lines)


def hidden_check_lines():
    """Every non-trivial line of the hidden checks (each question's checks.py) that no shipped module holds too."""
    checkers = sorted((ROOT / "mnist_kit" / "questions").glob("*/checks.py"))
    shipped = {line for path in (ROOT / "assignment" / "mnist_kit").rglob("*.py") for line in _meaningful(path.read_text().splitlines())}
    return [line for line in _meaningful(line for path in checkers for line in path.read_text().splitlines()) if line not in shipped]


def test_the_release_holds_every_public_check_and_no_checks_py():
    names = {p.relative_to(ROOT / "assignment").as_posix() for p in RELEASE_FILES}
    assert {f"mnist_kit/questions/{q.package}/public.py" for q in QUESTIONS.values()} <= names
    assert not [name for name in names if name.endswith("/checks.py") and name != "mnist_kit/checks.py"]


def test_release_is_not_empty():
    assert {p.name for p in RELEASE_FILES} >= {"mnist.ipynb", "mnist_data.py", "public.py", "export.py"}
    assert len(solution_lines()) >= 8


@pytest.mark.parametrize("line", solution_lines())
def test_no_solution_line_in_release(line):
    release = _release_text()
    assert line not in release and line.replace('"', '\\"') not in release


@pytest.mark.parametrize("line", [line for line in hidden_check_lines() if len(line) > 25])
def test_no_hidden_check_in_release(line):
    assert line not in _release_text()
