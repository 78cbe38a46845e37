"""How a class is graded: one frozen object, made once from the command line and passed down.

:func:`mnist_kit.batch.grade_many` and its runners (:class:`mnist_kit.batch.LocalRunner`,
:class:`mnist_kit.cluster.ClusterRunner`) read every setting from a :class:`GradingOptions`, as
otter-grader's configuration is one typed object; the paths are a
:class:`~mnist_kit.files.GradedFolder`'s.
"""

import dataclasses
import os
from dataclasses import dataclass

from .sandbox import Limits, Sandbox


@dataclass(frozen=True)
class GradingOptions:
    """Every setting of a class's grading.

    Parameters
    ----------
    limits : mnist_kit.sandbox.Limits
        What one submission may use (time, memory, disk, processes, upload size).
    seed : int, optional
        Fix the grading-time challenge (to reproduce a grade); a fresh one per submission by default.
    force : bool
        Grade again where a result for the same file and autograder exists.
    jobs : int, optional
        Submissions graded at once on this machine; the number of cores by default.
    scheduler : str, optional
        A Dask scheduler's address (``tcp://host:8786``): grade on its workers instead
        (:mod:`mnist_kit.cluster`); this process alone writes the graded folder.
    sandbox : mnist_kit.sandbox.Sandbox, optional
        Where students' code runs; bubblewrap by default (chosen once, before anything is graded).
    all_feedback : bool
        Feedback files show every check; by default they withhold what ``spec.VISIBILITY`` withholds.
    identical_once : bool
        Grade a file once however many submissions are byte for byte the same: the others get its
        result under their own names (a grade is a function of the bytes; the suite proves it).

    Examples
    --------
    >>> options = GradingOptions(jobs=2, seed=7)
    >>> options.per_grading().limits.threads == max(1, (os.cpu_count() or 1) // 2)
    True
    """

    limits: Limits = Limits()
    seed: int | None = None
    force: bool = False
    jobs: int | None = None
    scheduler: str | None = None
    sandbox: Sandbox | None = dataclasses.field(default=None, compare=False)
    all_feedback: bool = False
    identical_once: bool = True

    def __post_init__(self) -> None:
        if self.jobs is not None and self.jobs < 1:
            raise ValueError(f"jobs={self.jobs}: grade at least one submission at a time")

    @property
    def parallel(self) -> int:
        """Submissions graded at once here: ``jobs``, or the number of cores."""
        return self.jobs or os.cpu_count() or 1

    def per_grading(self) -> "GradingOptions":
        """These options with each grading's share of the cores as its BLAS threads (see ``Sandbox.environment``)."""
        threads = max(1, (os.cpu_count() or 1) // self.parallel)
        return dataclasses.replace(self, limits=dataclasses.replace(self.limits, threads=threads))
