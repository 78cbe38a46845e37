"""Which of the kit's files each side may see: the one list the sandbox and the build both read.

The student's process sees the collector and what it imports, and each unit's ``__init__.py`` and
``collect.py``; the student release adds what ``grader.check`` needs to run the public checks as
the grade does (the checkers' toolkit, each unit's ``public.py``). No list holds a unit's
``checks.py``: hidden checks are never shown to students.
"""

from pathlib import Path

from . import questions

# The kit's own modules, relative to the package
SANDBOX_MODULES = (
    "__init__.py",
    "answers.py",
    "challenge.py",
    "collect.py",
    "confine.py",
    "data.py",
    "import_patches.py",
    "inputs.py",
    "notebook.py",
    "notebook_source.py",
    "spec.py",
    "witness.py",
    "workfolder.py",
)
RELEASE_MODULES = (
    *SANDBOX_MODULES,
    "calibration.py",
    "checks.py",
    "export.py",
    "kernel_state.py",
    "limits.py",
    "reference_cost.json",  # grader.check states each question's limit as the grade computes it
    "results.py",
    "untrusted.py",
    "written.py",
)
# Each question unit's modules (a written question's unit has its __init__.py only: its rubric is never shown)
SANDBOX_UNIT_MODULES = ("__init__.py", "collect.py")
RELEASE_UNIT_MODULES = (*SANDBOX_UNIT_MODULES, "public.py")


def sandbox_files() -> list[Path]:
    """The kit's files the student's process may see, relative to the package: never a checker."""
    return _files(SANDBOX_MODULES, SANDBOX_UNIT_MODULES)


def release_files() -> list[Path]:
    """The kit's files the student release holds, relative to the package: never a hidden check."""
    return _files(RELEASE_MODULES, RELEASE_UNIT_MODULES)


def _files(modules: tuple[str, ...], unit_modules: tuple[str, ...]) -> list[Path]:
    folder = Path(questions.FOLDER.name)
    units = [folder / package / name for package in questions.REGISTRY for name in unit_modules]
    written = [folder / package / "__init__.py" for package in questions.WRITTEN_REGISTRY]
    return [Path(name) for name in modules] + [folder / "__init__.py"] + units + written
