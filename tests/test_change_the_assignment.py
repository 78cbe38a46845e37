"""The recipes of docs/changing-the-assignment.md, followed on a copy of the kit: add a question, change a threshold, change visibility.

The test applies the "Add a question" recipe's code blocks themselves (each names its file and
where it goes), so the recipe cannot drift from what works, then the threshold and visibility
recipes' one-line edits. Then it builds the copy (which verifies that the reference earns 11/11
on three seeds and the untouched release 0), runs the copy's fast tests of its questions, checks
and visibility, and grades the recipe's wrong case.
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
RECIPE = Path("docs") / "changing-the-assignment.md"
SECTION = "**Add a question.**"
BLOCK = re.compile(r"```python\n(.*?)```", re.S)
DIRECTIVE = re.compile(r'# (?P<path>\S+?)(?:: insert (?P<where>before the cell that starts|after the line with) "(?P<marker>.*)")?$')


def recipe_blocks(page):
    """The ``(path, where, marker, text)`` of each code block in the recipe "Add a question"."""
    section = page[page.index(SECTION) :]
    section = section.split("\n## ", 1)[0]
    blocks = []
    for block in BLOCK.findall(section):
        first, text = block.split("\n", 1)
        match = DIRECTIVE.fullmatch(first)
        assert match, f"a block of the recipe does not say where it goes: {first!r}"
        blocks.append((match["path"], match["where"], match["marker"], text))
    return blocks


def apply_block(root, path, where, marker, text):
    target = root / path
    if where is None:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return
    lines = target.read_text().splitlines(keepends=True)
    if where == "after the line with":
        index = next(i for i, line in enumerate(lines) if marker in line) + 1
    else:
        start = next(i for i, line in enumerate(lines) if line.rstrip() == f"# {marker}")
        index = max(i for i in range(start) if lines[i].startswith("# %%"))
    target.write_text("".join(lines[:index]) + text + "".join(lines[index:]))


def test_the_recipe_names_every_file_it_touches():
    paths = [path for path, *_ in recipe_blocks((ROOT / RECIPE).read_text())]
    new_unit = {p for p in paths if p.startswith("mnist_kit/questions/q7_")}
    assert len({Path(p).parent for p in new_unit}) == 1, "one new unit"
    assert set(paths) - new_unit == {"solution/mnist.py", "mnist_kit/questions/__init__.py", "sample_submissions/cases.py"}


@pytest.fixture(scope="module")
def kit_with_q7(tmp_path_factory):
    root = tmp_path_factory.mktemp("kit-with-q7")
    for name in ("solution", "mnist_kit", "tests", "sample_submissions", "pyproject.toml", "requirements.lock", "README.md", "docs"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
        else:
            shutil.copy(source, root / name)
    for block in recipe_blocks((root / RECIPE).read_text()):
        apply_block(root, *block)
    # The recipes "Change a threshold" and "Change when students see the checks", on the same copy:
    # the unit's Threshold and the goal the notebook states; spec.VISIBILITY.
    for path, old, new in (
        ("mnist_kit/questions/q6_multiclass_classifier/__init__.py", "Threshold(0.88, margin=0.02)", "Threshold(0.87, margin=0.02)"),
        ("solution/mnist.py", "at least 88 % of the scaled test images", "at least 87 % of the scaled test images"),
        ("mnist_kit/spec.py", '"hidden": "after_due_date"}', '"hidden": "after_published"}'),
    ):
        text = (root / path).read_text()
        assert text.count(old) == 1, f"{path} no longer holds {old!r}: update the recipe test"
        (root / path).write_text(text.replace(old, new))
    return root


def run_in(root, *command):
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run([sys.executable, *command], cwd=root, env=env, capture_output=True, text=True, timeout=900)


@pytest.mark.slow
def test_a_question_added_by_the_recipe_is_built_checked_and_graded(kit_with_q7, tmp_path):
    root = kit_with_q7
    built = run_in(root, "-m", "mnist_kit.cli", "build")
    assert built.returncode == 0, built.stderr
    assert "verified: reference 11.0/11, untouched student notebook 0.0/11" in built.stdout
    student = (root / "assignment" / "mnist.ipynb").read_text()
    assert 'grader.check(\\"q7\\")' in student and "hits / np.sum(y_pred)" not in student
    assert (root / "autograder" / "tests" / "q7.py").exists()
    assert "at least 87 %" in student

    # The copy's own fast tests: its checks pass the reference and fail their defects, the unit is whole.
    tested = run_in(
        root,
        "-m",
        "pytest",
        "-q",
        "-m",
        "not slow",
        "-p",
        "no:cacheprovider",
        "tests/test_questions.py",
        "tests/test_verdicts.py",
        "tests/test_checks.py",
        "tests/test_visibility.py",
        "-k",
        "q7 or not test_checks",
    )
    assert tested.returncode == 0, tested.stdout[-3000:]
    assert "q7" in run_in(root, "-m", "pytest", "--co", "-q", "tests/test_checks.py").stdout

    writer = (
        "import sys; from pathlib import Path; from sample_submissions import cases, notebooks; "
        "notebooks.write_cases([c for c in cases.WRONG if c.fails == ('q7',) and not c.earns_nothing], Path(sys.argv[1]))"
    )
    assert run_in(root, "-c", writer, str(tmp_path / "class")).returncode == 0
    graded = run_in(root, "-m", "mnist_kit.cli", "grade", str(tmp_path / "class"), "--out", str(tmp_path / "graded"))
    assert graded.returncode == 0, graded.stderr
    [result] = [json.loads(p.read_text()) for p in (tmp_path / "graded" / "results").glob("*.json")]
    lost = {q: e["score"] < e["possible"] for q, e in result["questions"].items()}
    assert lost == {**{f"q{i}": False for i in range(1, 7)}, "q7": True}, result
    assert "q7" in (tmp_path / "graded" / "grades.csv").read_text().splitlines()[0]
    # The visibility set in the copy reaches the student's feedback: q7's hidden check is withheld until published.
    [feedback] = (tmp_path / "graded" / "feedback").glob("*.md")
    assert "when grades are published" in feedback.read_text()
