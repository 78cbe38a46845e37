"""What grading depends on, down to the last package, and the versions the kit pins for it.

``pyproject.toml`` pins the packages the kit imports (:data:`mnist_kit.spec.GRADING_PACKAGES`);
their results also depend on packages they bring along (scikit-learn's solvers are scipy's; its
parallel loops are joblib's and threadpoolctl's). So the Gradescope bundle and the student
release pin those too, at the versions of ``requirements.lock``, and a cluster worker that differs
in any of them is refused (:func:`mnist_kit.fingerprint.autograder_parts`).
"""

import functools
import importlib.metadata
import re
from collections.abc import Iterable
from pathlib import Path

# The packages whose code computes what a grade is made of (the student's fits, the checker's measures).
COMPUTING_PACKAGES = ("numpy", "scikit-learn", "matplotlib")


def canonical(name: str) -> str:
    """A distribution's name as the package index compares names (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.cache
def dependency_closure(packages: tuple[str, ...]) -> tuple[str, ...]:
    """``packages`` (a tuple) and everything they install on this machine, as sorted canonical names.

    Read from the installed packages' metadata; optional extras are left out, and so are
    requirements whose environment markers do not hold here (Windows-only ones on Linux). Computed
    once per process: parsing a marker evaluates Python literals (``ast``), which Python 3.11
    cannot do in two threads at once (CPython gh-106905), and gradings run in threads.

    Examples
    --------
    >>> "scipy" in dependency_closure(("scikit-learn",))
    True
    """
    from packaging.requirements import Requirement

    found, pending = set(), [canonical(name) for name in packages]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found.add(name)
        for text in importlib.metadata.requires(name) or []:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(canonical(requirement.name))
    return tuple(sorted(found))


def locked_versions(lock_file: Path) -> dict[str, str]:
    """``{canonical name: version}`` from a ``name==version`` lock file such as ``requirements.lock``."""
    pins = {}
    for line in Path(lock_file).read_text().splitlines():
        found = re.fullmatch(r"\s*([A-Za-z0-9][A-Za-z0-9_.-]*)==([^\s;#]+).*", line)
        if found:
            pins[canonical(found[1])] = found[2]
    return pins


def installed_versions(packages: Iterable[str]) -> dict[str, str]:
    """``{name: installed version}`` of the computing closure of ``packages`` ("missing" when absent)."""
    versions = {}
    for name in packages:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            versions[name] = "missing"
    return versions


# Here, at import (in the importing thread, before any grading thread starts), not at first use.
COMPUTING_CLOSURE = dependency_closure(COMPUTING_PACKAGES)
