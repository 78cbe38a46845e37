"""A question is one unit, and the kit says which file to edit when the pieces disagree."""

import ast
import copy
import dataclasses
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from mnist_kit import build, challenge, fingerprint, manifest, pins, questions
from mnist_kit.answers import GRADER_FAILED
from mnist_kit.inputs import SHARED, InputKeyError, inputs_of
from mnist_kit.questions import QUESTIONS, TOTAL_POINTS, QuestionError, Threshold, gradebook_columns
from mnist_kit.results import CheckResult, QuestionResult, Result, Status
from tests.conftest import unregistered_question_name

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "mnist_kit"


@pytest.fixture(scope="module")
def notebooks(tmp_path_factory):
    """The source notebook (otter-assign format) and the committed student release."""
    master = build._source_notebook(ROOT, tmp_path_factory.mktemp("source"))
    return json.loads(master.read_text()), json.loads((ROOT / "assignment" / "mnist.ipynb").read_text())


def _source(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _edited(notebook, old, new):
    edited = copy.deepcopy(notebook)
    hits = 0
    for cell in edited["cells"]:
        if old in _source(cell):
            cell["source"], hits = _source(cell).replace(old, new), hits + 1
    assert hits, f"{old!r} is not in the notebook"
    return edited


def _without_question(notebook, name):
    """The notebook with question ``name``'s block (BEGIN QUESTION to END QUESTION) removed."""
    cells, skipping = [], False
    for cell in notebook["cells"]:
        text = _source(cell)
        if cell["cell_type"] == "raw" and text.startswith("# BEGIN QUESTION") and f"name: {name}" in text:
            skipping = True
        if not skipping:
            cells.append(cell)
        if skipping and cell["cell_type"] == "raw" and text.startswith("# END QUESTION"):
            skipping = False
    return {**notebook, "cells": cells}


def _registry(monkeypatch, changed):
    monkeypatch.setattr(questions, "QUESTIONS", changed)


def _one_line_error(notebooks, match):
    with pytest.raises(build.BuildError, match=match) as error:
        build.check_questions(*notebooks)
    assert "\n" not in str(error.value)
    return str(error.value)


def test_the_shipped_notebook_and_units_agree(notebooks):
    build.check_questions(*notebooks)


def test_every_unit_is_one_folder_with_its_four_modules():
    for question in QUESTIONS.values():
        assert sorted(p.name for p in question.folder.glob("*.py")) == ["__init__.py", "checks.py", "collect.py", "public.py"]
        assert {check.hidden for check in question.public_checks} == {False}, f"{question.name}'s public.py holds only public checks"
        assert {check.hidden for check in question.checks} == {False, True}, f"{question.name} needs a public and a hidden check"


@pytest.mark.parametrize("name", QUESTIONS)
def test_each_public_check_is_written_once_in_public_py_and_graded_as_such(name):
    question = QUESTIONS[name]
    public_in_grade = [check for check in question.checks if not check.hidden]
    assert public_in_grade == list(question.public_checks)
    assert {check.function.__module__ for check in public_in_grade} == {f"mnist_kit.questions.{question.package}.public"}
    assert {check.function.__module__ for check in question.checks if check.hidden} == {f"mnist_kit.questions.{question.package}.checks"}


def _literal_reads(path, kind):
    """The names a unit's module reads as ``<...>.arrays["name"]`` (or ``params``), spelled as string literals."""
    return {
        node.slice.value
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Subscript)
        and isinstance(node.value, ast.Attribute)
        and node.value.attr == kind
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, str)
    }


@pytest.mark.parametrize("name", QUESTIONS)
def test_drawing_collecting_and_checking_share_one_declaration_of_the_inputs(name, small_mnist):
    unit = QUESTIONS[name]
    arrays, params = inputs_of(name, *challenge.make_challenge(3, *small_mnist, [name]))
    assert unit.inputs.undeclared(arrays, params) is None
    for path in unit.folder.glob("*.py"):
        for kind, declared in (("arrays", unit.inputs.arrays), ("params", unit.inputs.params)):
            assert _literal_reads(path, kind) <= set(declared), f"{path.name} reads {kind} its INPUTS does not declare"


def test_a_draw_or_a_read_beyond_the_declared_inputs_is_named(small_mnist):
    # Any unit that declares arrays and numbers will do: the instructor's units may not be these.
    unit = next(u for u in QUESTIONS.values() if u.inputs.arrays and u.inputs.params)
    arrays, params = dict.fromkeys(unit.inputs.arrays, 1), dict.fromkeys(unit.inputs.params, 2)
    with pytest.raises(QuestionError, match=rf"{unit.package}/__init__.py: draw\(\) draws array 'zz', which INPUTS does not declare"):
        unit.check_draw(arrays | {"zz": 2}, params)
    with pytest.raises(QuestionError, match=rf"draw\(\) declares param '{unit.inputs.params[0]}' in INPUTS but does not draw it"):
        unit.check_draw(arrays, {})
    inputs = unit.challenge_inputs(*challenge.make_challenge(3, *small_mnist, [unit.name]), None)
    with pytest.raises(InputKeyError, match=rf"{unit.name}'s INPUTS declares no array 'zz'; it declares \["):
        inputs.arrays["zz"]
    assert not isinstance(InputKeyError("x"), KeyError), "a unit's slip is the kit's defect, never blamed on an answer"


# The question these tests take out: the last, whatever the instructor's units are.
LAST = list(QUESTIONS)[-1]


def test_a_question_only_in_the_notebook_is_named(notebooks, monkeypatch):
    _registry(monkeypatch, {k: v for k, v in QUESTIONS.items() if k != LAST})
    message = _one_line_error(notebooks, f"solution/mnist.py has question {LAST} but mnist_kit/questions/__init__.py does not register it")
    assert "add it to REGISTRY" in message


def test_a_question_only_in_the_registry_is_named(notebooks):
    master, student = notebooks
    _one_line_error(
        (_without_question(master, LAST), student),
        re.escape(f"mnist_kit/questions/__init__.py registers {LAST} ({QUESTIONS[LAST].package}) but solution/mnist.py")
        + f" has no BEGIN QUESTION block named {LAST}",
    )


@pytest.mark.parametrize("name", QUESTIONS)
def test_removing_a_question_names_what_later_cells_lose_until_a_cell_defines_it(notebooks, monkeypatch, name):
    """The recipe "Remove a question": what the block defined and later cells use is named, in one line.

    Removing q3 loses y_train_2 (q4's cells use it), removing q1 loses X_train. Once a cell
    before the first use defines the lost names, nothing is lost.
    """
    master, student = notebooks
    _registry(monkeypatch, {k: v for k, v in QUESTIONS.items() if k != name})
    removed = _without_question(master, name)
    lost = build.undefined_names(removed)
    if not lost:
        build.check_questions(removed, student)
        return
    first_cell, first_name = lost[0]
    message = _one_line_error((removed, student), f"uses {first_name}, which no earlier cell defines")
    assert message.startswith(f"solution/mnist.py: the cell that starts '{first_cell[:40]}"), message
    first_use = next(i for i, cell in enumerate(removed["cells"]) if _source(cell) == first_cell)
    names = " = ".join(dict.fromkeys(lost_name for _, lost_name in lost))
    defined = {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None, "source": f"{names} = None"}
    assert build.undefined_names({**removed, "cells": [*removed["cells"][:first_use], defined, *removed["cells"][first_use:]]}) == []


def test_some_question_defines_what_later_cells_use(notebooks):
    """So the test above meets a lost name, not only questions that can go without a trace."""
    assert any(build.undefined_names(_without_question(notebooks[0], name)) for name in QUESTIONS)


def test_every_name_the_reference_uses_is_defined_by_an_earlier_cell(notebooks):
    assert build.undefined_names(notebooks[0]) == []


def _without_end_of(notebook, name):
    """The notebook with the END QUESTION cell of question ``name``'s block deleted."""
    cells, inside = [], False
    for cell in notebook["cells"]:
        text = _source(cell)
        if cell["cell_type"] == "raw" and text.startswith("# BEGIN QUESTION"):
            inside = f"name: {name}" in text
        elif inside and cell["cell_type"] == "raw" and text.startswith("# END QUESTION"):
            inside = False
            continue
        cells.append(cell)
    return {**notebook, "cells": cells}


def test_a_deleted_end_question_is_named(notebooks):
    master, student = notebooks
    first, second, *_ = QUESTIONS
    last = gradebook_columns()[-1]  # the notebook's last block: a written question's, where there is one
    for name, message in (
        (first, f"solution/mnist.py: question {first}'s block has no END QUESTION before {second}'s BEGIN QUESTION; add it"),
        (last, f"solution/mnist.py: question {last}'s block has no END QUESTION; add one after its last cell"),
    ):
        assert _one_line_error((_without_end_of(master, name), student), re.escape(message)) == message


def test_an_end_question_without_its_begin_is_named(notebooks):
    master, student = notebooks
    first = next(iter(QUESTIONS))
    begins = [i for i, cell in enumerate(master["cells"]) if _source(cell).startswith("# BEGIN QUESTION")]
    cells = master["cells"][: begins[1]] + master["cells"][begins[1] + 1 :]  # the second question's BEGIN
    _one_line_error(({**master, "cells": cells}, student), f"an END QUESTION after {first}'s has no BEGIN QUESTION before it")


def test_registry_order_follows_the_notebook(notebooks, monkeypatch):
    first, second, *rest = QUESTIONS
    _registry(monkeypatch, {k: QUESTIONS[k] for k in (second, first, *rest)})
    _one_line_error(notebooks, "order REGISTRY as the notebook")


def test_a_threshold_the_text_does_not_state_is_named(notebooks, monkeypatch):
    q6 = QUESTIONS["q6"]
    current = q6.thresholds["multiclass_accuracy"]
    other = Threshold(round(current.value + 0.01, 2), current.margin)
    raised = dataclasses.replace(q6, thresholds={"multiclass_accuracy": other})
    _registry(monkeypatch, {**QUESTIONS, "q6": raised})
    message = _one_line_error(
        notebooks,
        f"solution/mnist.py states the goals of q6 as {current.percent} but "
        f"mnist_kit/questions/q6_multiclass_classifier/__init__.py's THRESHOLDS are {other.percent}",
    )
    master, student = notebooks
    build.check_questions(_edited(master, f"at least {current.percent}", f"at least {other.percent}"), student)  # the recipe's second step
    assert "at least N %" in message


def test_points_stated_in_the_notebook_must_match(notebooks):
    master, student = notebooks
    edited = _edited(master, "name: q2", "name: q2\npoints: 3")
    _one_line_error((edited, student), "gives q2 3 points but mnist_kit/questions/q2_cast_labels/__init__.py says POINTS = 1")


def test_a_graded_function_missing_from_the_release_is_named(notebooks):
    master, student = notebooks
    renamed = _edited(student, "def cast_labels(", "def cast_label(")
    _one_line_error((master, renamed), r"q2_cast_labels/__init__.py grades cast_labels\(\) but the student release does not define it")


@pytest.mark.parametrize(
    "checks, public_checks, message",
    [
        (
            lambda every: tuple(c for c in every if not c.hidden),
            None,
            r"q2_cast_labels/checks.py must list CHECKS = \[\*PUBLIC_CHECKS, hidden",
        ),
        (lambda every: every[1:], None, r"q2_cast_labels/checks.py must list CHECKS = \[\*PUBLIC_CHECKS"),
        (None, lambda public: (), r"q2_cast_labels/public.py must list the question's public checks, at least one"),
        (None, lambda public: (*public, dataclasses.replace(public[0], hidden=True)), r"q2_cast_labels/public.py must list .* only public"),
    ],
    ids=["no hidden check", "a public check missing from the grade", "no public check", "a hidden check in public.py"],
)
def test_a_unit_whose_public_and_hidden_checks_disagree_is_named(notebooks, monkeypatch, checks, public_checks, message):
    class Changed(type(QUESTIONS["q2"])):
        @property
        def checks(self):
            return checks(super().checks) if checks else super().checks

        @property
        def public_checks(self):
            return public_checks(super().public_checks) if public_checks else super().public_checks

    q2 = Changed(**{f.name: getattr(QUESTIONS["q2"], f.name) for f in dataclasses.fields(QUESTIONS["q2"])})
    _registry(monkeypatch, {**QUESTIONS, "q2": q2})
    _one_line_error(notebooks, message)


# What a unit's __init__.py holds besides its NAME and POINTS, at the least
UNIT_BODY = (
    "from mnist_kit.answers import AnswerSchema\nfrom mnist_kit.inputs import InputSchema\n"
    "FUNCTIONS = ()\nANSWERS = AnswerSchema(NAME)\nINPUTS = InputSchema(NAME)\ndef draw(rng, fixed, data):\n    return {}, {}\n"
)


@pytest.fixture
def unit_folder(tmp_path, monkeypatch):
    """A place for question units of a test's own, importable as mnist_kit.questions.<name>."""
    monkeypatch.setattr(questions, "__path__", [*questions.__path__, str(tmp_path)])
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("mnist_kit.questions.q7_")]:
        del sys.modules[name]


@pytest.mark.parametrize(
    "files, message",
    [
        ({}, r"mnist_kit/questions/q7_missing/__init__.py is missing: REGISTRY in mnist_kit/questions/__init__.py names 'q7_missing'"),
        ({"__init__.py": "NAME = 'q7'\nFUNCTIONS = ()\n"}, r"q7_missing/__init__.py does not define POINTS, ANSWERS, INPUTS, draw"),
        ({"__init__.py": f"NAME = 'q7'\nPOINTS = 0\n{UNIT_BODY}"}, r"POINTS is 0"),
        ({"__init__.py": f"NAME = 'q7'\nPOINTS = 1\n{UNIT_BODY}".replace("AnswerSchema(NAME)", "{}")}, r"ANSWERS must be an AnswerSchema"),
        ({"__init__.py": f"NAME = 'q1'\nPOINTS = 1\n{UNIT_BODY}"}, r"both named q1"),
    ],
)
def test_a_broken_unit_is_named_when_the_registry_loads(unit_folder, files, message):
    if files:
        (unit_folder / "q7_missing").mkdir()
        for name, text in files.items():
            (unit_folder / "q7_missing" / name).write_text(text)
    with pytest.raises(QuestionError, match=message):
        questions._questions((*questions.REGISTRY, "q7_missing"), questions._load)


def test_a_unit_without_checks_or_collector_is_named(unit_folder):
    (unit_folder / "q7_partial").mkdir()
    (unit_folder / "q7_partial" / "__init__.py").write_text(f"NAME = 'q7'\nPOINTS = 1\n{UNIT_BODY}")
    question = questions._questions(("q7_partial",), questions._load)["q7"]
    with pytest.raises(QuestionError, match="mnist_kit/questions/q7_partial/checks.py is missing"):
        _ = question.checks
    with pytest.raises(QuestionError, match="mnist_kit/questions/q7_partial/collect.py is missing"):
        question.collector()
    (unit_folder / "q7_partial" / "checks.py").write_text("")
    with pytest.raises(QuestionError, match=r"q7_partial/checks.py has no CHECKS list; add CHECKS = \[\*PUBLIC_CHECKS"):
        _ = question.checks
    with pytest.raises(QuestionError, match="mnist_kit/questions/q7_partial/public.py is missing"):
        _ = question.public_checks


IMPORT_EVERY_MODULE = """
import importlib, pkgutil, mnist_kit
from mnist_kit import questions
for module in pkgutil.walk_packages(mnist_kit.__path__, "mnist_kit."):
    if not module.name.startswith("mnist_kit.questions.q") and module.name != "mnist_kit.__main__":
        importlib.import_module(module.name)
print(questions.QUESTIONS._loaded is None)
"""


def test_importing_the_kit_loads_no_question_unit():
    """The registry loads at its first use, inside a command: a broken unit is then one error line, like any other."""
    run = subprocess.run([sys.executable, "-c", IMPORT_EVERY_MODULE], capture_output=True, text=True, check=True)
    assert run.stdout.strip() == "True"


@pytest.mark.parametrize(
    "module, text, message",
    [
        (
            "checks.py",
            "CHECKS = [\n    oops(\n",
            r"^mnist_kit/questions/q7_typo/checks.py, line 2: '\(' was never closed; fix the unit's code$",
        ),
        (
            "collect.py",
            "import numpy as np\nTABLE = np.zeroes(3)\n",
            r"^mnist_kit/questions/q7_typo/collect.py, line 2: AttributeError: .*zeroes",
        ),
        (
            "public.py",
            "from mnist_kit.checks import nothing_such\n",
            r"^mnist_kit/questions/q7_typo/public.py, line 1: ImportError: cannot import name",
        ),
    ],
)
def test_a_unit_that_fails_to_load_is_one_line_naming_its_file_and_line(unit_folder, module, text, message):
    (unit_folder / "q7_typo").mkdir()
    (unit_folder / "q7_typo" / "__init__.py").write_text(f"NAME = 'q7'\nPOINTS = 1\n{UNIT_BODY}")
    (unit_folder / "q7_typo" / module).write_text(text)
    question = questions._questions(("q7_typo",), questions._load)["q7"]
    load = {"checks.py": lambda: question.checks, "collect.py": question.collector, "public.py": lambda: question.public_checks}[module]
    with pytest.raises(QuestionError) as error:
        load()
    assert re.match(message, str(error.value)) and "\n" not in str(error.value), str(error.value)


def test_the_cli_names_a_broken_unit_in_one_line(tmp_path):
    copy_root = tmp_path / "kit"
    shutil.copytree(PACKAGE, copy_root / "mnist_kit", ignore=shutil.ignore_patterns("__pycache__", "*.npz"))
    shutil.copytree(ROOT / "solution", copy_root / "solution")
    registry = copy_root / "mnist_kit" / "questions" / "__init__.py"
    registry.write_text(registry.read_text().replace('"q6_multiclass_classifier",', '"q6_multiclass_classifier",\n    "q7_precision",'))
    run = subprocess.run(
        [sys.executable, "-m", "mnist_kit.cli", "build"],
        cwd=copy_root,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(copy_root)},
    )
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.strip().splitlines() == [
        "mnist-kit build: error: mnist_kit/questions/q7_precision/__init__.py is missing: REGISTRY in "
        "mnist_kit/questions/__init__.py names 'q7_precision'; write the unit or remove the name"
    ]


@pytest.fixture(scope="module")
def small_mnist():
    """A stand-in for MNIST with its shape: drawing inputs needs the rows and the labels, not the real pictures."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(70_000, 784), dtype=np.uint8)
    images[:, :20] = 0  # MNIST's blank border, where the trap goes
    return images, rng.integers(0, 10, size=70_000).astype(np.int8)


def _by_question(arrays, params, names):
    return {name: inputs_of(name, arrays, params) for name in names}


def _same(left, right):
    (left_arrays, left_params), (right_arrays, right_params) = left, right
    return (
        left_params == right_params
        and left_arrays.keys() == right_arrays.keys()
        and all(np.array_equal(left_arrays[k], right_arrays[k]) for k in left_arrays)
    )


def test_removing_or_adding_a_question_leaves_the_others_inputs_alone(small_mnist, monkeypatch):
    before = _by_question(*challenge.make_challenge(5, *small_mnist), [*QUESTIONS, SHARED])
    new = unregistered_question_name()
    first, middle = list(QUESTIONS)[0], list(QUESTIONS)[len(QUESTIONS) // 2]
    added = dataclasses.replace(QUESTIONS[first], name=new)  # a new question that draws as much as the first
    for changed in ({k: v for k, v in QUESTIONS.items() if k != middle}, {**QUESTIONS, new: added}):
        monkeypatch.setattr(challenge, "QUESTIONS", changed)
        after = _by_question(*challenge.make_challenge(5, *small_mnist), [*changed, SHARED])
        for name in set(before) & set(after):
            assert _same(before[name], after[name]), f"{name}'s inputs changed"
    monkeypatch.undo()
    other_seed = _by_question(*challenge.make_challenge(6, *small_mnist), [first])
    assert not _same(before[first], other_seed[first]), "another seed draws other inputs"


def test_a_checker_keeps_only_what_no_seed_changes(small_mnist):
    """Challenges drawn with a memo (as a Checker draws them, once per grading) equal those drawn afresh."""
    memo, names = {}, [*QUESTIONS, SHARED]
    for seed in (5, 6, 5):
        kept, fresh = challenge.make_challenge(seed, *small_mnist, memo=memo), challenge.make_challenge(seed, *small_mnist)
        assert all(_same(a, b) for a, b in zip(_by_question(*kept, names).values(), _by_question(*fresh, names).values(), strict=True))
    assert memo, "the shared draw at least is kept"
    kept_arrays = [array for arrays in memo.values() for array in arrays.values()]
    assert kept_arrays and not any(array.flags.writeable for array in kept_arrays), "what every grading shares is read-only"


def _fingerprint_of_a_copy(tmp_path, change=None):
    copy_root = tmp_path / "package"
    if copy_root.exists():
        shutil.rmtree(copy_root)
    shutil.copytree(PACKAGE, copy_root, ignore=shutil.ignore_patterns("__pycache__", "*.npz"))
    shutil.copy(PACKAGE / "mnist_784.npz", copy_root / "mnist_784.npz")
    if change:
        change(copy_root)
    return fingerprint.autograder_fingerprint(copy_root)


def _append(relative, text=b"\n# changed\n"):
    def change(root):
        with open(root / relative, "ab") as file:
            file.write(text)

    return change


GRADING_SIDE = [
    "grade.py",
    "sandbox.py",
    "collect.py",
    "checks.py",
    "challenge.py",
    "spec.py",
    "data.py",
    "questions/__init__.py",
    "questions/q5_accuracy/__init__.py",
    "questions/q2_cast_labels/collect.py",
    "questions/q6_multiclass_classifier/checks.py",
    "mnist_784.npz",
]


def test_the_regrade_fingerprint_covers_everything_that_can_change_a_grade(tmp_path, monkeypatch):
    original = _fingerprint_of_a_copy(tmp_path)
    assert original == _fingerprint_of_a_copy(tmp_path), "the same files, the same fingerprint"
    for relative in GRADING_SIDE:
        assert _fingerprint_of_a_copy(tmp_path, _append(relative)) != original, f"changing {relative} triggers no regrade"

    def new_unit(root):
        shutil.copytree(root / "questions" / "q2_cast_labels", root / "questions" / "q7_new")

    assert _fingerprint_of_a_copy(tmp_path, new_unit) != original, "a new question triggers no regrade"
    real_version = pins.importlib.metadata.version
    for package in ("numpy", "scikit-learn", "otter-grader", "scipy", "joblib", "threadpoolctl"):
        monkeypatch.setattr(pins.importlib.metadata, "version", lambda name, p=package: "0.0" if name == p else real_version(name))
        assert _fingerprint_of_a_copy(tmp_path) != original, f"another {package} triggers no regrade"


def test_the_student_side_holds_every_collector_and_no_checker():
    files = {str(p) for p in manifest.sandbox_files()}
    assert {f"questions/{q.package}/collect.py" for q in QUESTIONS.values()} <= files
    assert not [f for f in files if f.endswith("checks.py") or f in ("grade.py", "batch.py", "build.py")]


# The kit's floors (the README's), ground first: a module imports only from floors below its own.
def _readme_floors():
    """The kit's floors as the README's contributors' section lists them, ground first: ``floor N: module module ...``."""
    lines = (ROOT / "README.md").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("mnist_kit/ "))
    floors: list[set[str]] = []
    for line in lines[start + 1 :]:
        if not line.startswith(" " * 25):
            break
        text = line.strip()
        if re.match(r"floor \d+:", text):
            floors.append(set())
            text = text.split(":", 1)[1]
        if floors:
            floors[-1].update(text.split())
    return floors


LAYERS = _readme_floors()


def _layer(module):
    return next(index for index, layer in enumerate(LAYERS) if module in layer)


def _kit_imports(path):
    """The layer names of the kit's modules that ``path`` imports at run time (see :func:`_module_name`).

    Imports under ``if TYPE_CHECKING:`` are left out: they name a type for the checker, and are
    never run (a unit's ``draw`` names the DrawData the challenge gives it).
    """
    package = ".".join(("mnist_kit", *path.relative_to(PACKAGE).parent.parts))
    found = set()
    tree = ast.parse(path.read_text())
    for block in [n for n in ast.walk(tree) if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"]:
        block.body = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or not (node.level or (node.module or "").startswith("mnist_kit")):
            continue
        base = importlib.util.resolve_name("." * node.level + (node.module or ""), package) if node.level else node.module
        for name in (f"{base}.{alias.name}" for alias in node.names):
            found.add(_layer_name(name if _is_module(name) else base))
    return found


def _is_module(dotted):
    relative = Path(*dotted.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").is_file() or (PACKAGE / relative / "__init__.py").is_file()


def _layer_name(dotted):
    parts = dotted.split(".")[1:]
    if not parts:
        return "mnist_kit"
    if parts[0] == "questions":
        return "questions"  # a unit reaches the registry (Threshold) or a sibling module of its own
    if parts[0] == "course":
        return "course" if len(parts) == 1 else f"course.{parts[1]}"
    return parts[0]


def _module_name(path):
    relative = path.relative_to(PACKAGE)
    if relative.parts[0] == "questions":
        return "questions" if len(relative.parts) == 2 else "questions/*"
    if relative.parts[0] == "course":
        return "course" if relative.stem == "__init__" else f"course.{relative.stem}"
    return relative.stem


def test_every_module_has_a_layer():
    assert {_module_name(path) for path in PACKAGE.rglob("*.py")} - {"__init__"} == {m for layer in LAYERS for m in layer}


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_imports_its_own_floor_or_one_above(path):
    """A module imports only from floors below its own (imports in functions too): no circle, no arrow back up."""
    module = _module_name(path)
    known = {m for layer in LAYERS for m in layer}
    above = {name for name in _kit_imports(path) - {module} if name in known and _layer(name) >= _layer(module)}
    assert not above, f"{path.relative_to(ROOT)} ({module}) imports {above}, on its own floor or above (see the README's floors)"


def test_question_code_lives_in_its_unit():
    """No module outside the units names a question's functions: they are the units' to know."""
    names = {f for q in QUESTIONS.values() for f in q.functions}
    for path in PACKAGE.glob("*.py"):
        text = path.read_text()
        assert not [n for n in names if f"{n}(" in text or f'"{n}"' in text], f"{path.name} names a question's function"


def test_a_reference_too_close_to_a_threshold_is_named():
    def reference(**changed):
        measured = {name: {t: threshold.value + threshold.margin for t, threshold in q.thresholds.items()} for name, q in QUESTIONS.items()}
        for name, values in changed.items():
            measured[name] = values
        checks = {name: (CheckResult(name, "measures", True, "", False, 1.0, values),) for name, values in measured.items()}
        return Result(Status.GRADED, {name: QuestionResult(QUESTIONS[name].points, checks=checks[name]) for name in QUESTIONS}, 0, 0)

    assert build._short_margins(reference(), seed=0) == []
    goal = QUESTIONS["q6"].thresholds["multiclass_accuracy"]
    short = goal.value + goal.margin / 2
    [problem] = build._short_margins(reference(q6={"multiclass_accuracy": short}), seed=2)
    assert problem == (
        f"on seed 2 the reference's multiclass_accuracy is {short:.4f}, under {goal.value} + the margin {goal.margin} that "
        "mnist_kit/questions/q6_multiclass_classifier/__init__.py asks; improve the reference in solution/mnist.py "
        "or change the threshold"
    )
    without_recall = {t: v for t, v in reference().questions["q4"].checks[0].measured.items() if t != "binary_recall"}
    problems = build._short_margins(reference(q4=without_recall), 0)
    assert "no check in mnist_kit/questions/q4_binary_classifier/checks.py measures binary_recall" in problems[0]


def test_a_units_own_error_grading_the_reference_is_one_line_naming_its_file_once():
    """A typo inside a function of a unit's collect.py, met on every seed: the file and line, said once."""
    failed = f"{GRADER_FAILED}mnist_kit/questions/q2_cast_labels/collect.py, line 14: NameError: name 'casted' is not defined"
    lost = {name: QuestionResult(q.points, error=failed if name == "q2" else None) for name, q in QUESTIONS.items()}
    references = [Result(Status.GRADED, lost, TOTAL_POINTS - QUESTIONS["q2"].points, TOTAL_POINTS)] * 3
    with pytest.raises(build.BuildError) as error:
        build.reference_problems(references, [0, 1, 2])
    assert str(error.value) == (
        "mnist_kit/questions/q2_cast_labels/collect.py, line 14: NameError: name 'casted' is not defined "
        "(grading the reference's q2); fix the unit's code"
    )


GRADE_THE_REFERENCE_ON_Q2 = """
from pathlib import Path
from mnist_kit import build, grade
reference = grade.grade_notebook(Path("{notebook}").read_text(), questions=["q2"])
print(reference.questions["q2"].error)
try:
    build.reference_problems([reference, reference], [0, 1])
except build.BuildError as error:
    print(error)
"""


def test_a_typo_in_a_function_of_a_units_collect_py_is_named_when_grading_the_reference(tmp_path):
    copy_root = tmp_path / "kit"
    shutil.copytree(PACKAGE, copy_root / "mnist_kit", ignore=shutil.ignore_patterns("__pycache__", "*.npz"))
    (copy_root / "mnist_kit" / "mnist_784.npz").symlink_to(PACKAGE / "mnist_784.npz")
    collector = copy_root / "mnist_kit" / "questions" / "q2_cast_labels" / "collect.py"
    text = collector.read_text()
    assert text.count("if_returned(cast, labels)") == 1, "q2's collector changed: pick another line to misspell"
    collector.write_text(text.replace("if_returned(cast, labels)", "if_returned(cast, lables)"))
    line = text[: text.index("if_returned(cast, labels)")].count("\n") + 1
    code = GRADE_THE_REFERENCE_ON_Q2.format(notebook=ROOT / "autograder" / "mnist.ipynb")
    run = subprocess.run(
        [sys.executable, "-c", code], cwd=copy_root, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(copy_root)}
    )
    where = f"mnist_kit/questions/q2_cast_labels/collect.py, line {line}: NameError: name 'lables' is not defined"
    assert run.stdout.splitlines() == [GRADER_FAILED + where, f"{where} (grading the reference's q2); fix the unit's code"], run.stderr


def test_zips_are_written_only_after_the_build_is_verified(built_kit, monkeypatch):
    root, _ = built_kit

    def fails(*args, **kwargs):
        raise build.BuildError("the reference scores 9/10")

    monkeypatch.setattr(build, "verify_build", fails)
    with pytest.raises(build.BuildError, match="the reference scores 9/10"):
        build.build(root, verify=True, out="dist-unverified")
    assert not (root / "dist-unverified").exists()
