"""What can change a grade, and whether two kits agree on it: the autograder's parts and their hash.

A result is stored with its autograder's fingerprint (:mod:`mnist_kit.batch` redoes results of
another version); a cluster's client refuses workers whose parts differ
(:mod:`mnist_kit.cluster`).
"""

import hashlib
import json
from pathlib import Path

from . import data, pins, spec
from .files import file_sha256

PACKAGE = Path(__file__).resolve().parent


def autograder_parts(package: Path = PACKAGE) -> dict[str, str]:
    """What can change a grade, part by part: each module's digest, the data's, the versions of the
    grading packages and of everything they install (:mod:`mnist_kit.pins`).

    Every module of the kit counts (questions included: their inputs, collectors and checks), so
    two machines with the same parts grade alike; :func:`autograder_fingerprint` hashes them.
    """
    parts = {
        path.relative_to(package).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()[:16]
        for path in sorted(Path(package).rglob("*.py"))
    }
    parts["data"] = file_sha256(Path(package) / data.EMBEDDED_PATH.name)[:16]
    computing = sorted({*spec.GRADING_PACKAGES, *pins.COMPUTING_CLOSURE})
    parts.update({f"{name} version": version for name, version in pins.installed_versions(computing).items()})
    return parts


def autograder_fingerprint(package: Path = PACKAGE) -> str:
    """A hash of :func:`autograder_parts`, so that results from another version are redone."""
    return hashlib.sha256(json.dumps(autograder_parts(package), sort_keys=True).encode()).hexdigest()[:16]


def parts_that_differ(mine: dict[str, str], theirs: dict[str, str], limit: int = 3) -> list[str]:
    """The parts of two kits that differ, as short phrases (see :func:`autograder_parts`).

    Examples
    --------
    >>> parts_that_differ({"a.py": "1", "numpy version": "2.4.6"}, {"a.py": "2", "numpy version": "2.4.6", "b.py": "3"})
    ['a.py differs', 'b.py only on the worker']
    """
    phrases = [f"{part} differs" for part in mine if part in theirs and mine[part] != theirs[part]]
    phrases += [f"{part} missing on the worker" for part in mine if part not in theirs]
    phrases += [f"{part} only on the worker" for part in theirs if part not in mine]
    return phrases[:limit]
