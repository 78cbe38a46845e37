"""Grade on a Dask cluster: one task per submission on the workers; this process alone writes the folder.

``mnist-kit grade SUBMISSIONS --out GRADED --scheduler tcp://host:8786`` hands each submission's
notebook text to :func:`grade_on_worker` on a worker and gets its result back as data; the client
keeps the gradebook, results, history, feedback and report exactly as a local run does, so every
submission is in the gradebook once, an interrupted run resumes, and a regrade is the same command.

Before any task, every worker reports its kit (:func:`mnist_kit.fingerprint.autograder_parts`) and its
:mod:`mnist_kit.doctor` findings; a worker whose kit differs from the client's, or that cannot
sandbox, is refused (one line naming it and why) and gets no task. Dask balances the tasks among
the others, and reruns a task whose worker died (up to its ``allowed-failures``, 3 by default);
a submission that keeps killing workers ends as ``crashed``.

Dask (``pip install -e .[cluster]``) is imported only here. Workers are started with
``dask worker tcp://host:8786 --nthreads N`` from an install of the same kit, or under Slurm with
:func:`slurm_job_script`.
"""

import dataclasses
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TextIO

from . import doctor, sandbox as sandboxes
from .fingerprint import autograder_parts, parts_that_differ
from .grade import Checker, crashed_result, grade_notebook, invalid_result
from .options import GradingOptions
from .results import Result
from .sandbox import Limits
from .submissions import InvalidSubmission, Upload, read_upload
from .untrusted import one_line

CONNECT_TIMEOUT = "30s"


class ClusterError(RuntimeError):
    """The cluster cannot grade (unreachable, or no worker may); one line that says what to do."""


def worker_report() -> dict[str, Any]:
    """What a worker tells the client before any task: its kit's parts and its doctor's findings (runs on the worker)."""
    return {"parts": autograder_parts(), "findings": [dataclasses.astuple(f) for f in doctor.diagnose()]}


def accepted_workers(reports: Mapping[str, dict[str, Any]], parts: dict[str, str]) -> tuple[list[str], list[str]]:
    """Split workers into those that may grade and one line for each refused one.

    Parameters
    ----------
    reports : dict
        ``{worker address: worker_report()}``.
    parts : dict
        The client's :func:`mnist_kit.fingerprint.autograder_parts`.

    Examples
    --------
    >>> ok = {"parts": {"a.py": "1"}, "findings": [("bubblewrap", True, "/usr/bin/bwrap")]}
    >>> other = {"parts": {"a.py": "2"}, "findings": [("bubblewrap", True, "/usr/bin/bwrap")]}
    >>> accepted_workers({"tcp://w1": ok, "tcp://w2": other}, {"a.py": "1"})
    (['tcp://w1'], ['worker tcp://w2 refused: its kit is not this one (a.py differs)'])
    """
    accepted, refused = [], []
    for address, report in sorted(reports.items()):
        differ = parts_that_differ(parts, report["parts"])
        unsafe = [f"{name}: {detail}" for name, ok, detail in report["findings"] if not ok]
        if differ:
            refused.append(f"worker {address} refused: its kit is not this one ({', '.join(differ)})")
        elif unsafe:
            refused.append(f"worker {address} refused: it cannot grade safely ({unsafe[0]})")
        else:
            accepted.append(address)
    return accepted, refused


@cache
def _checker() -> Checker:
    return Checker()


@cache
def _sandbox(kind: str) -> sandboxes.Sandbox:
    return sandboxes.choose(kind=kind)


def grade_on_worker(notebook_text: str, seed: int | None, limits: Limits, kind: str) -> dict[str, Any]:
    """Grade one notebook on a worker, in its sandbox of ``kind``; returns the result as JSON data (:meth:`Result.to_json`).

    Each grading gets one BLAS thread, as ``mnist-kit grade`` gives each when it grades as many at
    once as there are cores: start each machine's worker with ``--nthreads`` its number of cores.
    """
    return grade_notebook(notebook_text, _checker(), dataclasses.replace(limits, threads=1), seed, _sandbox(kind)).to_json()


class ClusterRunner:
    """Grades on the workers of the Dask scheduler at ``options.scheduler`` (the interface of :class:`mnist_kit.batch.LocalRunner`).

    Raises
    ------
    ClusterError
        When the scheduler cannot be reached, or no worker may grade.
    """

    def __init__(self, options: GradingOptions, notes: TextIO | None = None) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise ClusterError("grading on a cluster needs Dask: pip install -e '.[cluster]' in the kit") from None
        address = options.scheduler
        if not address:
            raise ClusterError("no scheduler to grade on; pass its address (tcp://host:8786)")
        self.limits, self.seed = options.limits, options.seed
        self.kind = options.sandbox.kind if options.sandbox else sandboxes.choose().kind
        try:
            self.client = Client(address, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as error:
            raise ClusterError(f"cannot reach the Dask scheduler at {address} ({error}); is it running, and the address right?") from None
        reports = self.client.run(worker_report)
        self.accepted, refused = accepted_workers(reports, autograder_parts())
        for line in refused:
            print(f"mnist-kit grade: {line}", file=notes or sys.stderr)
        if not self.accepted:
            self.client.close()
            raise ClusterError(
                f"no worker of {address} may grade ({len(reports)} connected, all refused); "
                "start workers from this kit's install, and run mnist-kit doctor on them"
            )

    def workers(self) -> int:
        """How many of the accepted workers are connected now."""
        connected = self.client.scheduler_info().get("workers", {})
        return sum(address in connected for address in self.accepted)

    def run(self, pending: list[tuple[Path, str]]) -> Iterator[tuple[Path, str, Result | BaseException]]:
        """Yield ``(path, key, result)`` for each of ``pending`` as it finishes (the exception, if grading raised)."""
        from distributed import as_completed
        from distributed.scheduler import KilledWorker

        futures: dict[Any, tuple[Path, str, Upload]] = {}
        for path, key in pending:
            try:
                upload = read_upload(path, self.limits.max_upload)
            except InvalidSubmission as error:
                yield path, key, invalid_result(str(error))
                continue
            future = self.client.submit(
                grade_on_worker,
                upload.text,
                self.seed,
                self.limits,
                self.kind,
                key=f"grade-{key}-{len(futures)}",
                workers=self.accepted,
                allow_other_workers=False,
                pure=False,
            )
            futures[future] = (path, key, upload)
        for future in as_completed(futures):
            path, key, upload = futures[future]
            try:
                yield path, key, upload.noted(Result.from_json(future.result()))
            except KilledWorker as error:
                reason = f"grading it stopped the Dask workers it ran on more often than the cluster allows ({one_line(error, 160)})"
                yield path, key, crashed_result(reason)
            except Exception as error:  # noqa: BLE001 - the grader's own bug, reported by grade_many
                yield path, key, error

    def close(self) -> None:
        self.client.close()


@dataclass(frozen=True)
class WorkerJob:
    """One Slurm job that runs one Dask worker of the kit: its resources (``sbatch`` options).

    Parameters
    ----------
    cores, memory, walltime, queue
        The job's resources. The worker runs one grading per core.
    python : str, optional
        The kit's interpreter on the cluster (default: this one).
    extra : tuple of str
        More ``#SBATCH`` options, e.g. ``("--account=cs101",)``.
    """

    cores: int = 2
    memory: str = "8GB"
    walltime: str = "02:00:00"
    queue: str | None = None
    python: str | None = None
    extra: tuple[str, ...] = ()


DEFAULT_JOB = WorkerJob()


def slurm_job_script(scheduler: str, job: WorkerJob = DEFAULT_JOB) -> str:
    """The job script that starts one Dask worker for the kit under Slurm, made by dask-jobqueue's ``SLURMJob``.

    Parameters
    ----------
    scheduler : str
        The scheduler's address, ``tcp://host:8786`` (started by ``dask scheduler`` on a login node).
    job : WorkerJob
        The job's resources and interpreter.

    Examples
    --------
    >>> print(slurm_job_script("tcp://login1:8786", WorkerJob(python="/opt/kit/.venv/bin/python")))  # doctest: +SKIP
    #!/usr/bin/env bash
    #SBATCH -J dask-worker
    ...
    /opt/kit/.venv/bin/python -m distributed.cli.dask_worker tcp://login1:8786 --name ... --nthreads 2 ...
    """
    from dask_jobqueue.slurm import SLURMJob

    python = job.python or sys.executable
    slurm = SLURMJob(
        scheduler=scheduler,
        name="mnist-kit-worker",
        cores=job.cores,
        processes=1,
        memory=job.memory,
        walltime=job.walltime,
        queue=job.queue,
        python=python,
        job_extra_directives=list(job.extra),
        # Grading needs the sandbox: a worker that cannot (mnist-kit doctor) stops before it joins.
        job_script_prologue=[f"{python} -m mnist_kit doctor || exit 1"],
    )
    return slurm.job_script()
