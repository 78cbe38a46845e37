"""Build the student release, the autograder folder and the Gradescope zip from ``solution/``.

``solution/mnist.py`` (a jupytext notebook in otter-assign format) is the single source. The
build converts it to ``.ipynb``, runs Otter Assign on it, and lays out:

* ``assignment/``: the student notebook (no solutions), the data loader and
  data, and the pinned requirements; committed, so students can take it as it is;
* ``autograder/``: the reference notebook and the Gradescope entry scripts (otter's test files stay out);
* ``dist/mnist-autograder.zip``: the Gradescope bundle, byte-identical for identical inputs;
* ``dist/mnist-student.zip``: what students are given: the release with the data file itself in
  it (in git the release only links to the package's copy, and a copied link can dangle).

It then verifies that the reference earns every point and the untouched student notebook none. It
reads the reference's recorded CPU cost and never rewrites it (:mod:`mnist_kit.reference_cost`).
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import io
import json
import os
import re
import shutil
import stat
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import answers, calibration, data, files, grade, manifest, pins, questions, reference_cost, sandbox as sandboxes, spec, written
from .notebook_source import definition_statements
from .results import Result
from .rubric import RubricError

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = Path(__file__).resolve().parent
SOURCE = Path(spec.SOURCE)
NOTEBOOK = spec.NOTEBOOK
GRADING_PACKAGES = spec.GRADING_PACKAGES
# What students install: grading's pins but otter-grader (grader.check and grader.export are the kit's:
# 306 MB and 31 packages fewer, see README), and Jupyter.
STUDENT_PACKAGES = (*(name for name in GRADING_PACKAGES if name != "otter-grader"), "jupyter")
# The reference is graded on these seeds at every build: it must clear every threshold by its margin.
MARGIN_SEEDS = (0, 1, 2)
REGISTRY_FILE = "mnist_kit/questions/__init__.py"
LOCK_FILE = "requirements.lock"
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# Jupytext's own bookkeeping; it means nothing to a student and only adds noise to diffs.
_JUPYTEXT_CELL_KEYS = ("lines_to_next_cell", "lines_to_end_of_cell_marker")


class BuildError(RuntimeError):
    """The build or its verification failed; the message says what to fix."""


@dataclass
class BuildReport:
    zip_path: Path
    zip_sha256: str
    student_zip_path: Path
    student_zip_sha256: str
    reference: Result | None = None  # the reference notebook graded on the first seed
    student: Result | None = None  # the untouched student notebook graded


def pinned_requirements(root: Path, packages: Iterable[str], closure_of: tuple[str, ...] = ()) -> str:
    """The exact pins of ``packages`` from ``pyproject.toml``, one requirement a line, then those of
    everything ``closure_of`` installs (:func:`mnist_kit.pins.dependency_closure`) from ``requirements.lock``.
    """
    declared = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    by_name = {pin.split("==")[0].strip().lower(): pin for pin in declared}
    missing = [name for name in packages if name not in by_name]
    if missing:
        raise BuildError(f"pyproject.toml has no exact pin for {', '.join(missing)}; add 'name==version' to its dependencies")
    lines = [by_name[name] for name in packages]
    if closure_of:
        lock = root / LOCK_FILE
        if not lock.is_file():
            raise BuildError(f"{LOCK_FILE} is missing from {root}: it pins what the grading packages install; restore it from git")
        locked = pins.locked_versions(lock)
        named = {pins.canonical(name) for name in packages}
        brought = [name for name in pins.dependency_closure(closure_of) if name not in named]
        unpinned = [name for name in brought if name not in locked]
        if unpinned:
            raise BuildError(f"{LOCK_FILE} has no pin for {', '.join(unpinned)}; regenerate it (see README, For contributors)")
        lines += [f"{name}=={locked[name]}" for name in brought]
    return "".join(f"{line}\n" for line in lines)


def _source_notebook(root: Path, workdir: Path) -> Path:
    import jupytext
    import nbformat

    notebook = jupytext.read(root / SOURCE)
    for cell in notebook.cells:
        for key in _JUPYTEXT_CELL_KEYS:
            cell.metadata.pop(key, None)
    notebook.metadata.pop("jupytext", None)
    path = workdir / NOTEBOOK
    nbformat.write(notebook, path)
    return path


class _TempfileIn:
    """``tempfile`` as Otter Assign's writer sees it: its temporary folders made in ``folder``.

    Otter Assign makes a folder of tests for Otter Generate even when it does not generate (the
    source says ``generate: false``: the kit builds its own bundle) and removes it only when it
    does, so every build left one in the system's temporary folder.
    """

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def mkdtemp(self, suffix: str | None = None, prefix: str | None = None) -> str:
        return tempfile.mkdtemp(suffix, prefix, dir=self._folder)


def _run_otter_assign(master: Path, result: Path) -> None:
    from otter.assign import main as otter_assign, output as otter_output

    log = io.StringIO()
    otter_output.tempfile = _TempfileIn(result.parent)
    try:
        with contextlib.redirect_stdout(log), contextlib.redirect_stderr(log):
            otter_assign(str(master), str(result), no_run_tests=True, no_pdfs=True)
    except Exception as error:  # noqa: BLE001 - whatever otter raises becomes one line naming the source
        raise BuildError(f"otter assign failed on {SOURCE}: {error}") from None
    finally:
        otter_output.tempfile = tempfile


def _normalise_notebook(path: Path) -> None:
    """Rewrite a generated notebook with sorted keys and no outputs, so builds compare equal."""
    notebook = json.loads(path.read_text())
    for index, cell in enumerate(notebook["cells"]):
        cell["id"] = f"cell-{index:03d}"
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    path.write_text(json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def _replace_dir(target: Path, files: Mapping[str, bytes | SymlinkTo]) -> None:
    """Make ``target`` hold exactly ``files`` ({relative path: bytes or a symlink target})."""
    if target.exists():
        shutil.rmtree(target)
    for relative, content in sorted(files.items()):
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, SymlinkTo):
            path.symlink_to(content.target)
        else:
            path.write_bytes(content)
            if relative.endswith((".sh", "run_autograder")):
                path.chmod(0o755)


@dataclass(frozen=True)
class SymlinkTo:
    target: str


UV_VERSION = "0.13.8"  # the same as ./dev's
# The bundle's shell scripts, as files; @NAME@ stands for a value filled in here.
BUNDLE_SCRIPTS = PACKAGE / "bundle_scripts"


def bundle_script(name: str) -> str:
    """The text of the bundle's ``name`` (``run_autograder`` or ``setup.sh``), its placeholders filled in.

    Examples
    --------
    >>> "uv==" + UV_VERSION in bundle_script("setup.sh")
    True
    """
    text = (BUNDLE_SCRIPTS / name).read_text()
    for placeholder, value in {"@UV_VERSION@": UV_VERSION, "@STUDENT_ACCOUNT@": spec.STUDENT_ACCOUNT}.items():
        text = text.replace(placeholder, value)
    if "@" in text.replace("$@", ""):
        raise BuildError(f"{BUNDLE_SCRIPTS / name} has a placeholder the build does not know; use @UV_VERSION@ or @STUDENT_ACCOUNT@")
    return text


def release_kit_files(root: Path) -> dict[str, SymlinkTo]:
    """The student release's part of the kit: :func:`mnist_kit.manifest.release_files`.

    In git each is a link to the kit's own file (one copy of every line); the student zip holds the files.
    """
    names = [path.as_posix() for path in manifest.release_files()]
    for name in names:
        if not (Path(root) / PACKAGE.name / name).is_file():
            raise BuildError(f"the student release needs {PACKAGE.name}/{name}, which is missing")
    return {f"{PACKAGE.name}/{name}": SymlinkTo("../" * (name.count("/") + 2) + f"{PACKAGE.name}/{name}") for name in names}


def _package_files(root: Path) -> dict[str, bytes]:
    package = root / PACKAGE.name
    files = {f"{PACKAGE.name}/{p.relative_to(package)}": p.read_bytes() for p in sorted(package.rglob("*.py"))}
    files[f"{PACKAGE.name}/{data.EMBEDDED_PATH.name}"] = data.EMBEDDED_PATH.read_bytes()
    files[f"{PACKAGE.name}/{calibration.RECORD.name}"] = (package / calibration.RECORD.name).read_bytes()
    return files


def write_deterministic_zip(path: Path, files: Mapping[str, bytes]) -> None:
    """Zip ``files`` ({name: bytes}) with fixed dates and modes, so equal input gives equal bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".zip.partial")
    with zipfile.ZipFile(temporary, "w") as archive:
        for name, content in sorted(files.items()):
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            executable = name.endswith((".sh", "run_autograder"))
            info.external_attr = ((0o755 if executable else 0o644) | stat.S_IFREG) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            # Level 9 takes 16 s on the 55 MB of pixels for 2% less than level 6 (1 s).
            archive.writestr(info, content, compresslevel=6 if name.endswith(".npz") else 9)
    os.replace(temporary, path)


def check_visibility(visibility: Mapping[str, str]) -> None:
    """Raise :class:`BuildError` unless ``visibility`` gives each kind of check one of Gradescope's settings."""
    if set(visibility) != {"public", "hidden"}:
        raise BuildError(f"spec.VISIBILITY must have exactly the keys 'public' and 'hidden', not {sorted(visibility)}")
    for kind, setting in visibility.items():
        if setting not in spec.VISIBILITY_CHOICES:
            raise BuildError(f"spec.VISIBILITY[{kind!r}] is {setting!r}; choose one of {', '.join(spec.VISIBILITY_CHOICES)}")


def student_zip_files(release_files: Mapping[str, bytes | SymlinkTo], release_dir: Path) -> dict[str, bytes]:
    """The student zip's members: the release under one folder, each link replaced by the bytes it points to."""
    return {
        f"{spec.STUDENT_ZIP_FOLDER}/{name}": (release_dir / name).read_bytes() if isinstance(content, SymlinkTo) else content
        for name, content in release_files.items()
    }


def _otter_assign_outputs(root: Path) -> tuple[dict[str, bytes | SymlinkTo], dict[str, bytes]]:
    """The student release's and the autograder folder's files as Otter Assign makes them from the source, checked.

    Otter's test files are left out of both: they import otter, which students do not install
    (``grader.check`` runs the kit's public checks itself), and ``run_autograder`` grades with the
    kit's own checks, never otter's test files.
    """
    with tempfile.TemporaryDirectory(prefix="mnist-kit-build-") as scratch_dir:
        scratch = Path(scratch_dir)
        (scratch / "source").mkdir()
        master = _source_notebook(root, scratch / "source")
        _run_otter_assign(master, scratch / "otter")
        student_dir, autograder_dir = scratch / "otter" / "student", scratch / "otter" / "autograder"
        for path in (student_dir / NOTEBOOK, autograder_dir / NOTEBOOK):
            _normalise_notebook(path)
        check_questions(json.loads(master.read_text()), json.loads((student_dir / NOTEBOOK).read_text()))
        student: dict[str, bytes | SymlinkTo] = dict(_files_besides_tests(student_dir))
        return student, _files_besides_tests(autograder_dir)


def otter_test_files(scratch: Path, root: Path = ROOT) -> Path:
    """Otter Assign's test files for the source notebook, written under ``scratch``; the folder they are in.

    The kit ships none (``grader.check`` and the grade run the units' checks); a benchmark's
    baseline, a loop of ``otter run``, needs them.
    """
    (scratch / "source").mkdir(parents=True)
    _run_otter_assign(_source_notebook(root, scratch / "source"), scratch / "otter")
    return scratch / "otter" / "autograder" / "tests"


def _files_besides_tests(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.relative_to(folder).parts[0] != "tests"
    }


def build(root: Path = ROOT, verify: bool = True, out: str = "dist") -> BuildReport:
    """Regenerate ``assignment/`` and ``autograder/``, check that the pieces agree, and write the two zips.

    Parameters
    ----------
    root : path-like
        The kit's repository root.
    verify : bool
        Grade the reference (it must earn every point, and clear every threshold by its margin on
        each of :data:`MARGIN_SEEDS`) and the untouched student notebook (it must earn none, with
        every question reporting a result) before any zip is written.
    out : str
        Folder under ``root`` for the zips; ignored by git.

    Returns
    -------
    BuildReport

    Raises
    ------
    BuildError
        If ``spec.VISIBILITY`` is not a Gradescope setting, the notebook and the question units
        disagree (:func:`check_questions`), Otter Assign fails, or the verification does not
        hold. Nothing under ``out`` is written then.
    """
    root = Path(root)
    check_visibility(spec.VISIBILITY)
    student_files, autograder_files = _otter_assign_outputs(root)
    student_files.update(release_kit_files(root))
    student_files.update(
        {
            # One copy of the loader and the data in git: the release links to the package's files
            # (the zip holds their bytes).
            spec.DATA_MODULE: SymlinkTo(f"../{PACKAGE.name}/{Path(data.__file__).name}"),
            data.EMBEDDED_PATH.name: SymlinkTo(f"../{PACKAGE.name}/{data.EMBEDDED_PATH.name}"),
            "requirements.txt": pinned_requirements(root, STUDENT_PACKAGES, closure_of=pins.COMPUTING_PACKAGES).encode(),
        }
    )
    autograder_files.update(
        {
            "run_autograder": bundle_script("run_autograder").encode(),
            "setup.sh": bundle_script("setup.sh").encode(),
            "requirements.txt": pinned_requirements(root, GRADING_PACKAGES, closure_of=GRADING_PACKAGES).encode(),
        }
    )
    _replace_dir(root / "assignment", student_files)
    _replace_dir(root / "autograder", autograder_files)
    # The build reads the recorded costs, never rewrites them (mnist_kit.reference_cost): it says when they are stale.
    stale = reference_cost.stale_line(json.loads(autograder_files[NOTEBOOK]), root / PACKAGE.name / calibration.RECORD.name)
    if stale:
        print(stale, file=sys.stderr)
    verified = verify_build(root) if verify else (None, None)
    # Written only now: a build that fails its verification leaves no zip to hand out.
    bundle = {**autograder_files, **_package_files(root)}
    zip_path, student_zip_path = root / out / spec.AUTOGRADER_ZIP, root / out / spec.STUDENT_ZIP
    write_deterministic_zip(zip_path, bundle)
    write_deterministic_zip(student_zip_path, student_zip_files(student_files, root / "assignment"))
    return BuildReport(zip_path, files.file_sha256(zip_path), student_zip_path, files.file_sha256(student_zip_path), *verified)


_GOAL = re.compile(r"at least (\d+(?:\.\d+)?) ?%")


def check_questions(master: dict[str, Any], student: dict[str, Any]) -> None:
    """Raise :class:`BuildError` unless the notebook and the registered question units agree.

    Every ``BEGIN QUESTION`` block of the source is a registered unit and every unit has a block,
    in the same order, with the unit's points if the block states any; every unit has a
    collector and at least one public and one hidden check; every function it grades is defined
    in the reference and in the student release; and the goals the notebook's text states around
    a question ("at least 97 %") are exactly the unit's thresholds; every ``BEGIN QUESTION`` has
    its ``END QUESTION``; and no cell uses a name that no earlier cell defines
    (:func:`undefined_names`).

    Parameters
    ----------
    master : dict
        The source notebook (otter-assign format), as nbformat JSON.
    student : dict
        The student release's notebook made from it.
    """
    every_block, texts = _question_blocks(master)
    blocks = {name: config for name, config in every_block.items() if not config.get("manual")}
    registered = questions.QUESTIONS
    _check_registered(list(blocks), registered)
    _check_written({name: config for name, config in every_block.items() if config.get("manual")}, student)
    undefined = undefined_names(master)
    if undefined:
        cell, name = undefined[0]
        raise BuildError(
            f"{SOURCE}: the cell that starts {cell.strip().splitlines()[0][:60]!r} uses {name}, which no earlier cell "
            "defines (did a removed question's block define it?); define it in a cell before that one"
        )
    defined = {f"the reference in {SOURCE}": _defined_functions(master), "the student release": _defined_functions(student)}
    for name, question in registered.items():
        _check_unit(question, blocks[name].get("points"), texts.get(name, ""), defined)


def _question_blocks(master: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Each question's ``BEGIN QUESTION`` settings, and the Markdown text of its block, by name, in notebook order."""
    blocks: dict[str, dict[str, Any]] = {}
    texts: dict[str, str] = {}
    text: list[str] = []
    open_block: str | None = None  # the question whose BEGIN QUESTION has not met its END QUESTION yet
    for cell in master["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] == "markdown":
            text.append(source)
        elif cell["cell_type"] == "raw" and source.lstrip().startswith("# BEGIN QUESTION"):
            config = yaml.safe_load(source.split("\n", 1)[1]) if "\n" in source else None
            if not isinstance(config, dict) or "name" not in config:
                raise BuildError(f"{SOURCE}: a BEGIN QUESTION block has no 'name: qN' line; name the question")
            if open_block is not None:
                raise BuildError(
                    f"{SOURCE}: question {open_block}'s block has no END QUESTION before {config['name']}'s BEGIN QUESTION; add it"
                )
            blocks[str(config["name"])], open_block = config, str(config["name"])
        elif cell["cell_type"] == "raw" and source.lstrip().startswith("# END QUESTION"):
            if open_block is None:
                after = f" after {list(blocks)[-1]}'s" if blocks else ""
                raise BuildError(f"{SOURCE}: an END QUESTION{after} has no BEGIN QUESTION before it; remove it or add the BEGIN")
            texts[open_block], text, open_block = "\n".join(text), [], None
    if open_block is not None:
        raise BuildError(f"{SOURCE}: question {open_block}'s block has no END QUESTION; add one after its last cell")
    return blocks, texts


def _check_written(blocks: dict[str, dict[str, Any]], student: dict[str, Any]) -> None:
    """The notebook's written questions (``manual: true``) are the written registry's, in its order, each with its
    points, a rubric that adds up to them, and an answer cell in the student release."""
    registered = questions.WRITTEN
    stray = [path for path in sorted(questions.FOLDER.glob("*/rubric.toml")) if path.parent.name not in questions.WRITTEN_REGISTRY]
    if stray:
        raise BuildError(
            f"mnist_kit/questions/{stray[0].parent.name}/rubric.toml is a rubric without a question: WRITTEN_REGISTRY in {REGISTRY_FILE} "
            "does not list its unit; register it (and its manual: true block), or remove the rubric"
        )
    if list(blocks) != list(registered):
        raise BuildError(
            f"{SOURCE} has the written questions {list(blocks)} (manual: true) but WRITTEN_REGISTRY in {REGISTRY_FILE} "
            f"lists {list(registered)}; register each written question's unit there, in notebook order"
        )
    answers = written.answer_cells(student)
    for index, (name, question) in enumerate(registered.items()):
        unit = f"mnist_kit/questions/{question.package}"
        if blocks[name].get("points") != question.points:
            raise BuildError(
                f"{SOURCE} gives {name} {blocks[name].get('points')} points but {unit}/__init__.py says POINTS = {question.points}"
            )
        try:
            question.rubric()
        except RubricError as error:
            raise BuildError(str(error)) from None
        if index >= len(answers):
            raise BuildError(
                f"{SOURCE}: written question {name} has no answer cell in the student release; put a Markdown cell between "
                "its BEGIN SOLUTION and END SOLUTION (Otter Assign makes the student's answer cell from it)"
            )


def _check_registered(names: list[str], registered: Mapping[str, questions.Question]) -> None:
    """The notebook's questions are the registry's, in its order."""
    for name in names:
        if name not in registered:
            raise BuildError(
                f"{SOURCE} has question {name} but {REGISTRY_FILE} does not register it; write its unit "
                "mnist_kit/questions/<qN_what_it_does>/ and add it to REGISTRY (README: Change the assignment)"
            )
    for name, question in registered.items():
        if name not in names:
            raise BuildError(
                f"{REGISTRY_FILE} registers {name} ({question.package}) but {SOURCE} has no BEGIN QUESTION block "
                f"named {name}; add the question to the notebook or remove it from REGISTRY"
            )
    if names != list(registered):
        raise BuildError(
            f"{REGISTRY_FILE} lists the questions as {list(registered)} but {SOURCE} has them as {names}; order REGISTRY as the notebook"
        )


def _check_unit(question: questions.Question, points: object, text: str, defined: Mapping[str, set[str]]) -> None:
    """One unit agrees with its block: points, a collector, its checks' lists, its functions defined, its goals stated."""
    name, unit = question.name, f"mnist_kit/questions/{question.package}"
    if points is not None and points != question.points:
        raise BuildError(f"{SOURCE} gives {name} {points} points but {unit}/__init__.py says POINTS = {question.points}; make them agree")
    question.collector()
    public, every = question.public_checks, question.checks
    if not public or any(check.hidden for check in public):
        raise BuildError(f"{unit}/public.py must list the question's public checks, at least one, and only public(...) ones")
    if list(every[: len(public)]) != list(public) or any(not check.hidden for check in every[len(public) :]) or len(every) == len(public):
        raise BuildError(
            f"{unit}/checks.py must list CHECKS = [*PUBLIC_CHECKS, hidden(...), ...]: the public checks of "
            "public.py (each written once, there), then at least one hidden check"
        )
    for function in question.functions:
        for where, functions in defined.items():
            if function not in functions:
                raise BuildError(
                    f"{unit}/__init__.py grades {function}() but {where} does not define it; "
                    f"write it in {name}'s BEGIN SOLUTION block of {SOURCE} (or fix FUNCTIONS)"
                )
    stated = {float(match) for match in _GOAL.findall(text)}
    wanted = {round(threshold.value * 100, 6) for threshold in question.thresholds.values()}
    if stated != wanted:
        raise BuildError(
            f"{SOURCE} states the goals of {name} as {_percents(stated)} but {unit}/__init__.py's THRESHOLDS are "
            f"{_percents(wanted)}; write each as 'at least N %' in the text before {name}'s END QUESTION"
        )


def _percents(values: Iterable[float]) -> str:
    return ", ".join(f"{value:g} %" for value in sorted(values)) or "none"


def _python(source: str) -> str:
    # IPython magics and shell lines are not Python
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _walk_module_level(node: ast.AST) -> Iterator[ast.AST]:
    """The nodes evaluated when ``node`` runs at module level: not function, class, lambda or comprehension bodies."""
    yield node
    if isinstance(node, ast.ClassDef):
        children: list[ast.expr | None] = [*node.decorator_list, *node.bases]
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        children = [*node.decorator_list, *node.args.defaults, *node.args.kw_defaults]
    else:
        children = []
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        for child in children:
            if child is not None:
                yield from _walk_module_level(child)
        return
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        yield from _walk_module_level(node.generators[0].iter)  # evaluated in the enclosing scope
        return
    if isinstance(node, ast.Lambda):
        return
    for nested in ast.iter_child_nodes(node):
        yield from _walk_module_level(nested)


def _loads_then_binds(node: ast.AST, defined: set[str], found: list[tuple[str, str]], source: str) -> None:
    nodes = list(_walk_module_level(node))
    for item in nodes:
        if isinstance(item, ast.Name) and isinstance(item.ctx, ast.Load) and item.id not in defined:
            found.append((source, item.id))
    for item in nodes:
        if isinstance(item, ast.Name) and isinstance(item.ctx, (ast.Store, ast.Del)):
            defined.add(item.id)
        elif isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined.add(item.name)
        elif isinstance(item, (ast.Import, ast.ImportFrom)):
            defined.update((a.asname or a.name).split(".")[0] for a in item.names)


def _statements(body: list[ast.stmt], defined: set[str], found: list[tuple[str, str]], source: str) -> None:
    for node in body:
        if isinstance(node, (ast.For, ast.AsyncFor)):
            _loads_then_binds(node.iter, defined, found, source)
            _loads_then_binds(node.target, defined, found, source)
            _statements(node.body + node.orelse, defined, found, source)
        elif isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                _loads_then_binds(item.context_expr, defined, found, source)
                if item.optional_vars is not None:
                    _loads_then_binds(item.optional_vars, defined, found, source)
            _statements(node.body, defined, found, source)
        elif isinstance(node, (ast.If, ast.While)):
            _loads_then_binds(node.test, defined, found, source)
            _statements(node.body + node.orelse, defined, found, source)
        elif isinstance(node, ast.Try):
            _statements(node.body, defined, found, source)
            for handler in node.handlers:
                if handler.type is not None:
                    _loads_then_binds(handler.type, defined, found, source)
                if handler.name:
                    defined.add(handler.name)
                _statements(handler.body, defined, found, source)
            _statements(node.orelse + node.finalbody, defined, found, source)
        else:
            _loads_then_binds(node, defined, found, source)


def undefined_names(notebook: dict[str, Any]) -> list[tuple[str, str]]:
    """``(cell source, name)`` for each name a code cell uses, outside function bodies, before any cell defines it.

    A static reading of the notebook top to bottom, as a student runs it: it catches what the
    reference would lose when a question's block (and what it defined) is removed, without
    running the notebook.

    Examples
    --------
    >>> cells = [{"cell_type": "code", "source": "x = 1"}, {"cell_type": "code", "source": "print(x + y)"}]
    >>> undefined_names({"cells": cells})
    [('print(x + y)', 'y')]
    """
    defined = set(dir(builtins)) | {"__name__", "__file__", "display", "get_ipython"}
    found: list[tuple[str, str]] = []
    for cell in notebook["cells"]:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        if cell["cell_type"] != "code":
            continue
        try:
            tree = ast.parse(_python(source))
        except SyntaxError:
            continue  # the build names syntax errors elsewhere
        _statements(tree.body, defined, found, source)
    return found


def _defined_functions(notebook: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for _, source in definition_statements(notebook)[0]:
        with contextlib.suppress(SyntaxError):
            names.update(node.name for node in ast.parse(source).body if isinstance(node, ast.FunctionDef))
    return names


def verify_build(root: Path = ROOT, seeds: Sequence[int] = MARGIN_SEEDS) -> tuple[Result, Result]:
    """Grade the reference on ``seeds`` and the untouched student notebook; raise unless they earn 100 % and 0 %.

    On every seed the reference must also land above each question's thresholds by that
    threshold's margin, as its checks measure it. After the first seed, only the questions a seed
    can change are graded again (:meth:`mnist_kit.grade.Checker.seeded_questions`): the others
    would be graded on the very same inputs.

    Returns
    -------
    reference, student : dict
        The reference's result on the first seed, and the student notebook's.
    """
    checker = grade.Checker()
    # Both notebooks are our own, so a machine without bubblewrap may verify them without it.
    sandbox = sandboxes.choose(allow_weaker=True)
    if sandbox.kind != "bwrap":
        print(f"note: verifying the build without the bubblewrap sandbox ({sandboxes.bwrap_problem()})", file=sys.stderr)
    # Two at a time, each with its share of the cores (they lease different users).
    limits = sandboxes.Limits(threads=max(1, (os.cpu_count() or 1) // 2))
    reference_text, student_text = ((root / folder / NOTEBOOK).read_text() for folder in ("autograder", "assignment"))
    seeded = checker.seeded_questions()
    later = [(reference_text, seed, seeded) for seed in seeds[1:]] if seeded else []
    jobs = [(reference_text, seeds[0], None), *later, (student_text, seeds[0], None)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        *references, student = pool.map(
            lambda job: grade.grade_notebook(job[0], checker, limits, seed=job[1], sandbox=sandbox, questions=job[2]), jobs
        )
    problems = reference_problems(references, seeds)
    if student.total != 0:
        problems.append(f"the untouched student notebook scores {student.total}, not 0")
    silent = [q for q, e in student.questions.items() if not e.error and not e.checks]
    if silent:
        problems.append(f"questions {silent} report no result for the student notebook")
    # Written questions are never scored by the build: the reference's answer is there to mark, the release's untouched.
    problems += [f"the reference has no answer to {q} (marked by hand)" for q, a in references[0].written.items() if not a.needs_marking]
    problems += [
        f"the student notebook's answer to {q} is not Otter's placeholder" for q, a in student.written.items() if a.state != "untouched"
    ]
    if problems:
        raise BuildError("; ".join(problems))
    drift = reference_cost.drift_line(references[0], checker.calibration)
    if drift:
        print(drift, file=sys.stderr)
    return references[0], student


def reference_problems(references: Sequence[Result], seeds: Sequence[int]) -> list[str]:
    """What keeps the reference's results on ``seeds`` from full marks with every margin, one line each.

    Raises
    ------
    BuildError
        When a question unit's own code failed while grading the reference: one line naming the
        unit's file and line, said once however many seeds met it.

    Examples
    --------
    >>> from mnist_kit.results import QuestionResult, Result, Status
    >>> failed = "the grader's own code failed at mnist_kit/questions/q3_x/collect.py, line 9: NameError: y2"
    >>> reference = Result(Status.GRADED, {"q3": QuestionResult(1.0, score=0.0, error=failed)}, 0.0, 1.0)
    >>> reference_problems([reference, reference], [0, 1])
    Traceback (most recent call last):
    mnist_kit.build.BuildError: mnist_kit/questions/q3_x/collect.py, line 9: NameError: y2 (grading the reference's q3); fix the unit's code
    """
    for reference in references:
        for name, entry in reference.questions.items():
            where = answers.grader_failure(entry.error or "")
            if where:
                raise BuildError(f"{where} (grading the reference's {name}); fix the unit's code")
    problems = []
    for seed, reference in zip(seeds, references, strict=False):
        lost = {q: e.error or [c.message for c in e.failures] for q, e in reference.questions.items() if e.score < e.possible}
        if lost:
            problems.append(f"the reference scores {reference.total}/{reference.possible} on seed {seed}, losing points on {lost}")
        else:
            problems += _short_margins(reference, seed)
    return problems


def _short_margins(reference: Result, seed: int) -> list[str]:
    problems = []
    for name, entry in reference.questions.items():
        question = questions.QUESTIONS[name]
        measured = {key: value for check in entry.checks for key, value in check.measured.items()}
        unit = f"mnist_kit/questions/{question.package}"
        for threshold_name, threshold in question.thresholds.items():
            if threshold_name not in measured:
                problems.append(
                    f"no check in {unit}/checks.py measures {threshold_name}; "
                    f"return {{{threshold_name!r}: value}} from the check that tests it"
                )
            elif measured[threshold_name] < threshold.value + threshold.margin:
                problems.append(
                    f"on seed {seed} the reference's {threshold_name} is {measured[threshold_name]:.4f}, under {threshold.value} "
                    f"+ the margin {threshold.margin} that {unit}/__init__.py asks; "
                    f"improve the reference in {SOURCE} or change the threshold"
                )
    return problems
