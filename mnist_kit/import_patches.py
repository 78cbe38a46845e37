"""Lighter imports for a grading process: modules loaded at their first use, and two costs of SciPy and scikit-learn skipped.

Measured, none changes a result (fast tests compare code, signatures, docstrings and fits with
and without): the student's process calls them before any student code runs (:mod:`mnist_kit.collect`),
and the grader's entry points before grading.
"""

import collections
import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Iterable
from typing import Any

# Imported by every notebook for what grading never calls: otter for grader.check (seconds:
# nbformat, jsonschema), pyplot for the demos' plots (0.35 CPU-s) and the matplotlib package
# under it (0.12 CPU-s); and by scikit-learn, narwhals (a grading whose functions fit nothing
# never needs it). Each loads at the first use of one of its names instead.
DEFERRED_MODULES = ("otter", "matplotlib", "matplotlib.pyplot", "narwhals", "narwhals.stable", "narwhals.stable.v2")


class _DeferredModule(types.ModuleType):
    """Stands in for a module until one of its attributes is used; then imports it for real.

    ``import otter`` binds this stand-in; ``otter.Notebook``, ``from otter import ...`` and
    ``import otter.test_files`` all import the real package first, so code that uses the module
    behaves as before, minus the import's cost when nothing does.
    """

    def __init__(self, spec: importlib.machinery.ModuleSpec) -> None:
        super().__init__(spec.name)
        self.__spec__ = spec

    def __getattr__(self, name: str) -> Any:
        real = self.__dict__.get("_real_module")
        if real is None:
            if sys.modules.get(self.__name__) is self:
                del sys.modules[self.__name__]
            real = self.__dict__["_real_module"] = importlib.import_module(self.__name__)
        return getattr(real, name)


def defer_imports(names: Iterable[str]) -> None:
    """Put a :class:`_DeferredModule` in ``sys.modules`` for each of ``names`` that is installed and not loaded yet.

    Specs are found without importing anything: ``importlib.util.find_spec("a.b")`` would import
    ``a`` (the very cost deferring saves). A deferred submodule is also an attribute of its deferred
    parent, so ``import a.b as c`` binds the stand-in without loading ``a``.
    """
    for name in names:
        parent_name, _, child = name.rpartition(".")
        parent = sys.modules.get(parent_name) if parent_name else None
        if name in sys.modules or (parent_name and parent is None):
            continue
        locations = parent.__spec__.submodule_search_locations if parent is not None and parent.__spec__ else None
        spec = importlib.machinery.PathFinder.find_spec(name, locations)
        if spec is not None:
            sys.modules[name] = _DeferredModule(spec)
            if isinstance(parent, _DeferredModule):
                parent.__dict__[child] = sys.modules[name]


class _UnparsedDocstring(collections.defaultdict):
    """Stands in for SciPy's numpydoc parser while grading: every section empty, the text as written.

    At import, SciPy parses and rewrites the docstrings of about 620 of its functions (to add notes
    on array backends, ``axis`` and ``nan_policy``): about 0.3 of the 1.5 CPU-s that importing the
    notebook's scikit-learn modules costs (measured), in every student's process and every grader's,
    for text grading never reads. With this stand-in each keeps its docstring as written; no code,
    signature or result changes (a fast test compares them).
    """

    def __init__(self, obj: object, *args: object, **kwargs: object) -> None:
        super().__init__(list)
        self._text = getattr(obj, "__doc__", None) or ""

    def __str__(self) -> str:
        return "\n" + self._text  # SciPy drops the first line, where the parser puts the signature


def skip_scipy_docstring_rewrites() -> bool:
    """Install :class:`_UnparsedDocstring` before anything imports SciPy; a SciPy without that parser is left alone."""
    try:
        from scipy._lib import _docscrape
    except ImportError:
        return False
    if not hasattr(_docscrape, "FunctionDoc"):
        return False
    _docscrape.FunctionDoc = _UnparsedDocstring
    return True


class _PandasUnseenByScikitLearn(importlib.abc.MetaPathFinder):
    """Answers scikit-learn's own ``import pandas`` with "not installed"; any other import of pandas is untouched.

    ``sklearn.utils.fixes`` imports pandas when it is installed (the grading environment has it,
    through otter-grader; the student's install does not), and scikit-learn then loads it on every
    fit to ask whether its input is a data frame: 0.17 CPU-s (measured) of every grading process
    that fits. It asks through ``sys.modules``, so with pandas never imported the answer is "no"
    at no cost, as on the student's machine; code that imports pandas itself gets the real one,
    and scikit-learn then reads its data frames as before (a test fits one).
    """

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name != "pandas":  # asked first about every import of the process
            return None
        fixes = sys.modules.get("sklearn.utils.fixes")
        if fixes is not None and getattr(fixes.__spec__, "_initializing", False):
            raise ModuleNotFoundError("pandas is not offered to scikit-learn while grading", name=name)
        return None


def lighten_scientific_imports() -> None:
    """SciPy's docstrings left as written and pandas unseen by scikit-learn, in this process, before either is imported.

    About 0.5 CPU-s less for importing scikit-learn and fitting with it; no code, signature or
    result changes (fast tests compare them). The student's process calls it before any student
    code runs; the grader's entry points, before grading.
    """
    skip_scipy_docstring_rewrites()
    if not any(isinstance(finder, _PandasUnseenByScikitLearn) for finder in sys.meta_path):
        sys.meta_path.insert(0, _PandasUnseenByScikitLearn())
