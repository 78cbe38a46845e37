"""Three right-or-slow submissions that a CPU-time limit must tell apart the same way on any machine, under any load.

``fast_right`` is the reference's q1; ``slow_right`` computes for half of q1's limit before
answering as the reference does; ``over_limit`` would compute for twice the limit. Each leaves
q4-q6 unanswered, so a grading costs little more than its own q1. The limit comes from the
machine's calibration exactly as the grade's does (never from the ``min_step_cpu`` floor), so the
cases prove the calibrated limit, not a constant.
"""

import re

from mnist_kit.calibration import Calibration
from mnist_kit.limits import Limits
from sample_submissions.attacks import STUBS
from sample_submissions.notebooks import Case

LIMITED = "q1"
STEP_LIMIT = 6.0  # CPU-s q1 may use in these gradings (the reference's takes a fraction of one)
STARTUP_LIMIT = 4.0  # and start-up or a definition (the interpreter and its imports take 1-2)


def limits_for(calibration: Calibration) -> Limits:
    """Limits under which :data:`LIMITED` may use :data:`STEP_LIMIT` CPU-s on the machine ``calibration`` measured."""
    reference = calibration.reference_seconds(LIMITED)
    assert reference, f"no reference cost recorded for {LIMITED}: run ./dev build"
    return Limits(cpu_multiple=STEP_LIMIT / reference, min_step_cpu=STARTUP_LIMIT, idle_timeout=60, timeout=600)


def _computing_for(seconds: float) -> str:
    return f"""
def shuffle_split(X, y, n_train=60000, seed=42):
    import time
    if not getattr(shuffle_split, "worked", False):  # once in all: q1 calls it several times
        shuffle_split.worked = True
        started = time.process_time()
        while time.process_time() - started < {seconds}:  # work: this process's CPU time, whatever the machine does
            pass
    order = np.random.default_rng(seed).permutation(n_train)
    return X[:n_train][order], X[n_train:], y[:n_train][order], y[n_train:]
"""


UNANSWERED = ("q4", "q5", "q6")
CASES = (
    Case("fast_right", functions=dict(STUBS), fails=UNANSWERED),
    Case("slow_right", functions={**STUBS, "shuffle_split": _computing_for(STEP_LIMIT / 2)}, fails=UNANSWERED),
    Case(
        "over_limit",
        functions={**STUBS, "shuffle_split": _computing_for(STEP_LIMIT * 2)},
        fails=(LIMITED, *UNANSWERED),
        status="timeout",
    ),
)


def verdicts(results) -> dict[str, tuple[str, dict[str, float]]]:
    """Each result's status and question scores, by submission: what must not change with the machine."""
    return {r.submission: (str(r.status), {q: e.score for q, e in r.questions.items()}) for r in results}


def check_verdicts(results, limits: Limits, calibration: Calibration) -> None:
    """Assert the cases' expected verdicts, and that the one over its limit is stopped at it and reported with its CPU time.

    ``limits`` and ``calibration`` are those the gradings ran with (the calibration of the machine that graded).
    """
    by_name = {r.submission: r for r in results}
    assert set(by_name) == {case.name for case in CASES}
    for case in CASES:
        result = by_name[case.name]
        assert result.status == case.status, (case.name, result.status, result.reason)
        assert {q for q, e in result.questions.items() if e.score < e.possible} == set(case.fails), (case.name, result.reason)
    limit = calibration.cpu_limit(LIMITED, limits)
    assert STEP_LIMIT * 0.6 < limit < STEP_LIMIT * 1.6, "the cases no longer sit at half and twice the limit"
    over = by_name["over_limit"].questions[LIMITED]
    assert over.cpu_limit == round(limit, 1) and limit <= over.cpu < limit + 1.5, over
    stopped = rf"{LIMITED} \(shuffle_split\) used \d+ CPU-s \(\d+ times the reference's\); the limit is {limit:.0f} CPU-s"
    assert re.fullmatch(stopped, over.error), over.error
    slow = by_name["slow_right"].questions[LIMITED]
    assert STEP_LIMIT / 2 <= slow.cpu < limit, slow
