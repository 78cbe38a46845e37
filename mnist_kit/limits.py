"""What one submission may use, as one typed object: the grader enforces it, ``grader.check`` shows it.

Time is limited in **CPU seconds**, the work all the submission's processes do together, never in
seconds of the clock: how busy the grading machine is, how many submissions it grades at once, or
whether it is a laptop, a cluster node or Gradescope never changes a verdict. Each question's limit
is a multiple of the reference's CPU time for it *on the machine that grades*, which the machine
learns from a public calibration workload (:mod:`mnist_kit.calibration`). The clock stops only a
step that makes no progress (asleep, blocked: ``idle_timeout``) and, as a last safety net, a
submission that has run for ``timeout`` seconds.
"""

import os
from dataclasses import dataclass

IDLE_SHARE = 0.01  # a step using less than this share of one core is making no progress


@dataclass(frozen=True)
class Limits:
    """How much one submission may use. Steps are single definitions or questions.

    Examples
    --------
    >>> limits = Limits()
    >>> limits.step_cpu(reference_units=2.0, machine_seconds=0.5)  # 100 x the reference's 1 CPU-s
    100.0
    >>> limits.step_cpu(reference_units=None, machine_seconds=0.5)  # start-up, or a definition
    30.0
    """

    cpu_multiple: float = 100.0  # a question may use this many times the reference's CPU time for it, on this machine
    min_step_cpu: float = 30.0  # every step's limit is at least this many CPU-s (start-up's and a definition's is exactly this)
    max_step_cpu: float = 600.0  # and at most this many: absolute caps, whatever the calibration says
    max_cpu: float = 1800.0  # CPU seconds for the whole submission, all its steps together
    idle_timeout: float = 120.0  # wall seconds a step may go using under IDLE_SHARE of a core (asleep, blocked)
    timeout: float = 3600.0  # wall seconds for the whole submission: a safety net no computing submission nears
    max_memory: int = 6 * 2**30
    max_file_size: int = 2**30  # joblib spills big arrays to disk for its workers
    max_processes: int = 256  # processes and threads of the student's user: a fork bomb stays inside
    max_open_files: int = 1024
    threads: int = os.cpu_count() or 1  # BLAS and OpenMP threads of the student's process (joblib runs in it)
    max_disk: int = 2 * 2**30  # every file of the submission together (its folder is a tmpfs of this size)
    max_upload: int = 50 * 10**6  # the uploaded notebook, or the notebook inside an uploaded zip

    def __post_init__(self) -> None:
        for name in ("cpu_multiple", "min_step_cpu", "max_step_cpu", "max_cpu", "idle_timeout", "timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name}={getattr(self, name)!r}: a limit must be a positive number")
        if self.min_step_cpu > self.max_step_cpu:
            raise ValueError(f"min_step_cpu={self.min_step_cpu:g} is above max_step_cpu={self.max_step_cpu:g}: lower the first")

    def step_cpu(self, reference_units: float | None, machine_seconds: float) -> float:
        """The CPU seconds one step may use on a machine where the calibration workload takes ``machine_seconds``.

        ``reference_units`` is the reference's CPU time for the question in calibration workloads
        (None for start-up and a top-level definition, which get ``min_step_cpu``).
        """
        if reference_units is None:
            return self.min_step_cpu
        return min(self.max_step_cpu, max(self.min_step_cpu, self.cpu_multiple * reference_units * machine_seconds))
