"""How fast this machine is, so that a CPU-time limit means the same amount of work everywhere.

A public **calibration workload** (:func:`run_workload`: scikit-learn's SGD and a matrix
product on fixed random data, one thread) takes a few tenths of a CPU-second. Each question's
reference CPU time is recorded in workloads (``reference_cost.json`` beside this module, written
only by the deliberate re-measure, :mod:`mnist_kit.reference_cost`; the build only reads it), and
every machine that grades or checks measures the workload once and caches it
(:func:`machine_calibration`). A question's limit is then ``Limits.cpu_multiple`` times the
reference's cost *in this machine's CPU-seconds*: a laptop twice as fast as a cluster node gives
half the CPU-seconds for the same work, so both draw the line at the same work.

The cache is a JSON file in the user's cache folder (``$MNIST_KIT_CACHE``, else
``$XDG_CACHE_HOME/mnist-kit`` or ``~/.cache/mnist-kit``), keyed by machine, processor, the
numerical libraries' versions and the workload's version: a kit copied to another machine, or a
worker on another node, measures again.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .limits import Limits

WORKLOAD_VERSION = 1  # change it with the workload: every cached measurement is then taken again
REPEATS = 3  # the workload's fastest of this many runs: what a busy neighbour adds is noise, not speed
RECORD = Path(__file__).with_name("reference_cost.json")
STARTUP = "start-up"  # the step before the first question: the interpreter, the imports, the definitions


class CalibrationError(RuntimeError):
    """The workload could not be measured here; the message says why and what to do."""


@dataclass(frozen=True)
class Workload:
    """One measurement of the calibration workload: its fastest run's CPU and wall seconds."""

    cpu: float
    wall: float

    @property
    def share(self) -> float:
        """The share of one CPU the run was given (near 1 on an idle machine: the workload never waits for anything else)."""
        return self.cpu / self.wall if self.wall > 0 else 1.0


def run_workload(repeats: int = REPEATS) -> Workload:
    """Run the calibration workload ``repeats`` times in this process; its fastest run by CPU seconds.

    Examples
    --------
    >>> workload = run_workload(repeats=1)
    >>> 0 < workload.cpu < 30 and workload.wall > 0
    True
    """
    import numpy as np
    from sklearn.linear_model import SGDClassifier

    rng = np.random.default_rng(20_261_205)
    images = rng.random((2_000, 784))
    digits = rng.integers(0, 10, size=2_000)
    fastest = Workload(float("inf"), float("inf"))
    for _ in range(repeats):
        started, started_wall = time.process_time(), time.perf_counter()
        SGDClassifier(loss="log_loss", max_iter=4, tol=None, random_state=0).fit(images, digits)
        float((images[:1_000] @ images.T).sum())
        run = Workload(time.process_time() - started, time.perf_counter() - started_wall)
        fastest = min(fastest, run, key=lambda workload: workload.cpu)
    return fastest


def measure_workload() -> Workload:
    """:func:`run_workload` in a fresh Python with one BLAS and OpenMP thread, as the grade's student side runs."""
    single = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    command = [sys.executable, "-P", "-m", "mnist_kit.calibration"]
    kit_parent = Path(__file__).resolve().parent.parent
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=kit_parent,
            env={**os.environ, **single, "PYTHONPATH": str(kit_parent)},
        )
        cpu, wall = done.stdout.strip().splitlines()[-1].split()
        return Workload(float(cpu), float(wall))
    except (OSError, subprocess.TimeoutExpired, ValueError, IndexError) as error:
        raise CalibrationError(
            f"could not measure this machine's speed ({error}); check that numpy and scikit-learn import in {sys.executable}"
        ) from None


def measure_machine() -> float:
    """The CPU seconds the calibration workload takes here (:func:`measure_workload`)."""
    return measure_workload().cpu


@dataclass(frozen=True)
class Calibration:
    """This machine's speed, and each question's reference cost: what turns :class:`~mnist_kit.limits.Limits` into CPU-seconds.

    Parameters
    ----------
    machine_seconds : float
        CPU seconds the calibration workload takes on this machine.
    reference_units : mapping of str to float
        Each question's reference CPU time, in calibration workloads.
    """

    machine_seconds: float
    reference_units: Mapping[str, float]

    def cpu_limit(self, step: str, limits: Limits) -> float:
        """The CPU seconds ``step`` (a question, a top-level definition or :data:`STARTUP`) may use here."""
        return limits.step_cpu(self.reference_units.get(step), self.machine_seconds)

    def reference_seconds(self, question: str) -> float | None:
        """The reference's CPU seconds for ``question`` on this machine, or None where none is recorded."""
        units = self.reference_units.get(question)
        return None if units is None else units * self.machine_seconds


def reference_units(record: Path = RECORD) -> dict[str, float]:
    """Each question's reference CPU time in calibration workloads, as the build recorded it (empty if it did not)."""
    try:
        content = json.loads(record.read_text())
        return {str(name): float(units) for name, units in content["questions"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def write_reference_units(units: Mapping[str, float], code: Mapping[str, str], record: Path = RECORD) -> None:
    """Record each question's reference CPU time in calibration workloads, and a digest of the code measured.

    Only :func:`mnist_kit.reference_cost.remeasure` calls it: the build reads the record, never writes it.
    """
    content = {
        "about": "each question's reference CPU time in calibration workloads (mnist_kit.calibration), and a digest of "
        "the code measured; written only by `mnist-kit measure-cost` (docs/changing-the-assignment.md)",
        "workload_version": WORKLOAD_VERSION,
        "questions": {name: round(value, 2) for name, value in units.items()},
        "measured_code": dict(code),
    }
    record.write_text(json.dumps(content, indent=1) + "\n")


def measured_code(record: Path = RECORD) -> dict[str, str]:
    """The digest of the code each question's cost was measured on (:func:`mnist_kit.reference_cost.code_digest`)."""
    try:
        content = json.loads(record.read_text())
        return {str(name): str(digest) for name, digest in content["measured_code"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def cache_folder() -> Path:
    """Where measurements are cached: ``$MNIST_KIT_CACHE``, else the user's cache folder."""
    if os.environ.get("MNIST_KIT_CACHE"):
        return Path(os.environ["MNIST_KIT_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mnist-kit"


def machine_key() -> str:
    """What a measurement holds for: this machine, its processor, the numerical libraries and the workload."""
    from importlib.metadata import PackageNotFoundError, version

    processor = ""
    with contextlib.suppress(OSError):
        processor = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), "")
    versions = []
    for package in ("numpy", "scikit-learn"):
        try:
            versions.append(f"{package} {version(package)}")
        except PackageNotFoundError:
            versions.append(f"{package} ?")
    return " | ".join([platform.node(), processor or platform.machine(), *versions, f"workload {WORKLOAD_VERSION}"])


def machine_seconds(folder: Path | None = None) -> float:
    """This machine's calibration, measured once and cached (:func:`cache_folder`); measured again for another machine."""
    path = (folder or cache_folder()) / "calibration.json"
    key = machine_key()
    try:
        cached = json.loads(path.read_text())
    except (OSError, ValueError):
        cached = {}
    if not isinstance(cached, dict):
        cached = {}
    with contextlib.suppress(KeyError, TypeError, ValueError):
        return float(cached[key])
    seconds = measure_machine()
    with contextlib.suppress(OSError):  # a cache that cannot be written costs a measurement next time, nothing more
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as temporary:
            json.dump({**cached, key: seconds}, temporary, indent=1)
        os.replace(temporary.name, path)
    return seconds


@cache
def machine_calibration() -> Calibration:
    """This machine's :class:`Calibration` (measured once per process at most, and once per machine thanks to the cache)."""
    return Calibration(machine_seconds(), reference_units())


if __name__ == "__main__":
    measured = run_workload()
    print(f"{measured.cpu:.6f} {measured.wall:.6f}")
