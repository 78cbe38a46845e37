"""Grade submissions: run the student's code in a sandboxed process, judge its answers out of it.

For each submission the checker (this process) draws a fresh challenge, starts
:mod:`mnist_kit.collect` in the sandbox (:mod:`mnist_kit.sandbox`) with its own working folder,
user, limits and time limits, and then scores the plain-data answers with :mod:`mnist_kit.checks`.
Everything the student's process wrote is read as untrusted bytes, after it and every process it
started are dead.
When the student's process dies or hangs, the step it was on gets zero and the rest is
collected again without it, so a submission keeps the points it earned.
"""

import contextlib
import dataclasses
import json
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Collection, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from . import checks, data, sandbox as sandboxes, spec, untrusted, witness, workfolder
from .budget import RunQueueWait, processes_cpu, submission_budget, submission_processes
from .calibration import STARTUP, Calibration, machine_calibration
from .challenge import challenge_files, make_challenge
from .inputs import SHARED, CheckerData, Inputs, draw_key, inputs_of
from .limits import IDLE_SHARE, Limits
from .questions import QUESTIONS, WRITTEN, Question
from .results import QuestionResult, Result, Status, WrittenAnswer, zero_result
from .sandbox import Sandbox, SubmissionRun
from .untrusted import read_student_file
from .workfolder import WorkFolder
from .written import written_in_child

MAX_RESTARTS = 8
WITNESS_FILE = "witness.bin"  # beside the submission's folder: out of its reach
DEFAULT_LIMITS = Limits()


class Checker:
    """Holds the checker's own copy of the data and draws challenges from it; never runs student code."""

    def __init__(self, calibration: Calibration | None = None) -> None:
        self._memo: dict = {}  # the draws that depend on the data alone, kept for every challenge (see make_challenge)
        self._checker_data: dict[bytes, CheckerData] = {}
        self._calibration = calibration

    @property
    def calibration(self) -> Calibration:
        """This machine's speed and the reference's costs, which turn limits into CPU-seconds (measured once, cached)."""
        if self._calibration is None:
            self._calibration = machine_calibration()
        return self._calibration

    @cached_property
    def _data(self) -> tuple[np.ndarray, np.ndarray]:
        images, labels = data.load_mnist()
        digits = labels.astype(np.int8)
        for array in (images, digits):  # shared by every grading: no check may change it
            array.setflags(write=False)
        return images, digits

    def challenge(self, seed: int, questions: Collection[str] | None = None) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """The inputs of ``seed`` for ``questions`` (all by default): see :func:`~mnist_kit.challenge.make_challenge`."""
        return make_challenge(seed, *self._data, questions, self._memo)

    def seeded_parts(self) -> tuple[str, ...]:
        """The questions (and :data:`~mnist_kit.inputs.SHARED`, the data) whose grading-time inputs change with the seed."""
        # Drawn afresh, nothing kept: what the memo holds must be found equal, not assumed so.
        first, second = make_challenge(1, *self._data), make_challenge(2, *self._data)

        def same(name: str) -> bool:
            (left, left_params), (right, right_params) = inputs_of(name, *first), inputs_of(name, *second)
            return left_params == right_params and left.keys() == right.keys() and all(np.array_equal(left[k], right[k]) for k in left)

        return tuple(name for name in [*QUESTIONS, SHARED] if not same(name))

    def seeded_questions(self) -> tuple[str, ...]:
        """The questions a seed can change: the others are graded alike on every seed, so grading them once is enough."""
        parts = self.seeded_parts()
        return tuple(name for name, unit in QUESTIONS.items() if name in parts or (SHARED in parts and unit.uses_data))

    def inputs(self, arrays: dict[str, np.ndarray], params: dict[str, Any]) -> dict[str, Inputs]:
        """Each question's grading-time inputs, with the checker's own data to measure answers on."""
        shared = inputs_of(SHARED, arrays, params)[0]
        key = draw_key(shared)
        if key not in self._checker_data:  # built once per shared draw (there is one): a permuted copy of the test images
            self._checker_data[key] = CheckerData.from_mnist(*self._data, shared)
        checker_data = self._checker_data[key]
        return {name: unit.challenge_inputs(arrays, params, checker_data) for name, unit in QUESTIONS.items()}


MAX_PROGRESS_BYTES = 2**20  # the collector writes about 40 bytes a step
MAX_PROGRESS_LINE = 200
MAX_RECORD_BYTES = 2**20  # a question's JSON record: descriptions and failure messages
MAX_ARRAYS_BYTES = 64 * 2**20  # a question's .npz (the largest correct one holds 8.8 MB)


class ProgressLog:
    """Which step the student's process is on, from its ``progress.jsonl``, read in new parts only.

    The file is the student's to write, so at most :data:`MAX_PROGRESS_BYTES` of it is ever read
    (``overflowed`` says when it grew past that), lines longer than a step's are skipped, and a
    line counts only if it names a step that exists.
    """

    def __init__(self, workdir: Path, steps: frozenset[str]) -> None:
        self._workdir, self._steps = workdir, steps
        self._offset, self._pending = 0, b""
        self._started: list[str] = []
        self._finished: set[str] = set()
        self.overflowed = False

    def current(self) -> str | None:
        """The last step started and not finished, or None."""
        room = MAX_PROGRESS_BYTES - self._offset
        new = read_student_file(self._workdir, workfolder.PROGRESS, max_bytes=room + 1, offset=self._offset) if room >= 0 else None
        if new:
            self.overflowed = len(new) > room
            self._offset += len(new)
            *lines, self._pending = (self._pending + new).split(b"\n")
            for line in lines:
                self._read_line(line)
        unfinished = [step for step in self._started if step not in self._finished]
        return unfinished[-1] if unfinished else None

    def _read_line(self, line: bytes) -> None:
        if len(line) > MAX_PROGRESS_LINE:
            return
        try:
            event = json.loads(line)
        except (ValueError, RecursionError):
            return
        if not isinstance(event, dict):
            return
        started, finished = event.get("start"), event.get("finish")
        if isinstance(started, str) and started in self._steps:
            self._started.append(started)
        elif isinstance(finished, str) and finished in self._steps:
            self._finished.add(finished)


def progress_steps(statement_count: int = 10_000) -> frozenset[str]:
    """Every step a progress line may name: each question, and each top-level definition."""
    return frozenset(QUESTIONS) | {f"define:{index}" for index in range(statement_count)}


def _answered(workdir: Path, question: str) -> bool:
    return read_student_file(workdir, *WorkFolder.answer_parts(question, ".json"), max_bytes=MAX_RECORD_BYTES) is not None


CPU_READ_SECONDS = 0.25  # how often the grader reads the CPU counters


@dataclasses.dataclass
class RunTiming:
    """A submission's CPU limits and what its steps have used of them, over every run of its process."""

    limits: Limits
    calibration: Calibration
    deadline: float  # time.monotonic() at which the whole submission is stopped, computing or not
    used: dict[str, float] = dataclasses.field(default_factory=dict)  # CPU-s each step used, over every run

    def exhausted(self) -> bool:
        """Whether the whole submission is out of time: its wall-clock safety net, or its total CPU."""
        return time.monotonic() > self.deadline or sum(self.used.values()) > self.limits.max_cpu

    def limit(self, step: str | None) -> float:
        return self.calibration.cpu_limit(step or STARTUP, self.limits)

    def charge(self, step: str | None, seconds: float) -> None:
        key = step or STARTUP
        self.used[key] = self.used.get(key, 0.0) + seconds

    def over_limit(self, step: str | None, step_cpu: float) -> tuple[Status, str] | None:
        """Why to stop the process now: ``step`` (this run's ``step_cpu`` of it) or the submission over its CPU limit."""
        limit = self.limit(step)
        if step_cpu > limit:
            reference = self.calibration.reference_seconds(step) if step else None
            times = f" ({step_cpu / reference:.0f} times the reference's)" if reference else ""
            return (Status.TIMEOUT, f"{_step_name(step)} used {step_cpu:.0f} CPU-s{times}; the limit is {limit:.0f} CPU-s")
        if sum(self.used.values()) > self.limits.max_cpu:
            return (Status.TIMEOUT, f"the submission used up its {self.limits.max_cpu:.0f} CPU-s (during {_step_name(step)})")
        return None


class StepWatch:
    """Follows one run of the student's process: the step it is on, the CPU each step uses, and when to stop it.

    CPU time comes from the submission's cgroup where it has one, else from its processes
    (:func:`mnist_kit.budget.processes_cpu`); the clock stops only a step that makes no progress:
    one that neither computes nor waits for a core (:class:`mnist_kit.budget.RunQueueWait`), so a
    step starved by a neighbour that takes the machine is never called idle.
    """

    def __init__(self, run: SubmissionRun, process: subprocess.Popen, progress: ProgressLog, timing: RunTiming) -> None:
        self._run, self._process, self._progress, self._timing = run, process, progress, timing
        self._last_cpu = self._cpu() or 0.0
        self._wait = RunQueueWait()
        self._wait.since_last(self._processes())

    def _processes(self) -> set[int]:
        counted = self._run.budget.pids() if self._run.budget else None
        if counted is not None:
            return counted
        return submission_processes(self._process.pid, None if self._run.uid == os.getuid() else self._run.uid)

    def _cpu(self) -> float | None:
        counted = self._run.budget.cpu_seconds() if self._run.budget else None
        if counted is not None:
            return counted
        return processes_cpu(self._process.pid, None if self._run.uid == os.getuid() else self._run.uid)

    def until_done(self) -> tuple[Status, str] | None:
        """Wait for the process to end; the reason the grader stops it first (a limit, a flooded progress file), if any."""
        limits, timing = self._run.limits, self._timing
        step, step_cpu = None, 0.0
        idle_since, idle_cpu = time.monotonic(), 0.0
        next_read = 0.0
        while self._process.poll() is None:
            time.sleep(0.05)
            current, now = self._progress.current(), time.monotonic()
            if current != step:  # what was used until now was the finished step's
                timing.charge(step, self._used_since_last())
                step, step_cpu, idle_since, idle_cpu = current, 0.0, now, 0.0
            if self._progress.overflowed:
                flooded = f"wrote more than {MAX_PROGRESS_BYTES // 2**20} MiB into the grader's progress file"
                return (Status.CRASHED, f"{_step_name(step)} {flooded}")
            if now > timing.deadline:
                return (Status.TIMEOUT, f"the submission ran for {limits.timeout:.0f} s of wall-clock time, the grader's safety net")
            if now < next_read:
                continue
            next_read = now + CPU_READ_SECONDS
            used = self._used_since_last()
            step_cpu += used
            timing.charge(step, used)
            idle_cpu += used + self._wait.since_last(self._processes())  # waiting for a core is not idling
            if idle_cpu >= IDLE_SHARE * limits.idle_timeout:  # progress: the idle clock starts again
                idle_since, idle_cpu = now, 0.0
            stop = timing.over_limit(step, step_cpu) or self._idle_reason(step, now - idle_since)
            if stop:
                return stop
        timing.charge(step, self._used_since_last())  # what it did since the last reading counts too
        return None

    def _used_since_last(self) -> float:
        now = self._cpu()
        if now is None:
            return 0.0
        used, self._last_cpu = max(0.0, now - self._last_cpu), max(now, self._last_cpu)
        return used

    def _idle_reason(self, step: str | None, idle: float) -> tuple[Status, str] | None:
        if idle <= self._run.limits.idle_timeout:
            return None
        return (
            Status.TIMEOUT,
            f"{_step_name(step)} made no progress for {self._run.limits.idle_timeout:.0f} s "
            f"(under {IDLE_SHARE:.0%} of a core, used or waited for: sleeping or blocked)",
        )


def run_student_process(
    run: SubmissionRun, sandbox: Sandbox, timing: RunTiming, questions: Sequence[str] | None = None
) -> dict[str, tuple[Status, str]]:
    """Collect answers, restarting past every step that kills or hangs the student's process.

    The collector runs ``run.workdir``'s notebook inside ``sandbox`` as ``run.uid`` (within
    ``run.budget``, a :class:`mnist_kit.budget.Budget`) and collects ``questions``, each step
    within its CPU limit in ``timing`` (which keeps what each step used); when it ends, however it
    ends, every process it started is killed before anything it wrote is read.

    Returns
    -------
    failed_steps : dict of str to (str, str)
        For each abandoned step, ``(status, one-line reason)``; the status is what the grader
        saw (a time limit it enforced, the kernel's out-of-memory kill in the submission's
        cgroup, or an exit), never what the student's process wrote.
    """
    failed_steps: dict[str, tuple[Status, str]] = {}
    questions = tuple(QUESTIONS) if questions is None else tuple(questions)
    steps = progress_steps()

    def unanswered(reason: tuple[Status, str]) -> dict[str, tuple[Status, str]]:
        return {q: reason for q in questions if not _answered(run.workdir, q)}

    for _ in range(MAX_RESTARTS + 1):
        lost = _ready_for_a_run(run)
        if lost:
            return failed_steps | unanswered(lost)
        progress = ProgressLog(run.workdir, steps)
        process = _start_collector(run, sandbox, questions, failed_steps)
        try:
            reason = StepWatch(run, process, progress, timing).until_done()
        finally:
            sandbox.stop(process, run.uid)  # the student's code may have left children behind
            if run.budget:
                run.budget.kill_all()
        step = progress.current()
        if reason is None and run.budget and run.budget.ran_out_of_memory():
            reason = (Status.MEMORY, f"{_step_name(step)} used more than the submission's {run.limits.max_memory / 2**30:g} GiB of memory")
        if run.budget and run.budget.folder_full(run.workdir.parent):
            # Nothing more can be recorded in a full folder: what is not answered yet is lost to it.
            during = f" (during {_step_name(step)})" if step else ""
            full = (
                Status.CRASHED,
                f"the submission filled its {run.budget.disk / 2**30:g} GiB of disk{during}, so nothing more could be recorded",
            )
            return failed_steps | ({step: full} if step and step not in questions else {}) | unanswered(full)
        if step is None and process.returncode == 0 and reason is None:
            return failed_steps
        if reason is None:
            reason = (Status.CRASHED, f"the Python process died during {_step_name(step)} (exit code {process.returncode})")
        if step is None:
            return failed_steps | unanswered(reason)
        failed_steps[step] = reason
        if reason[0] == Status.TIMEOUT and timing.exhausted():
            return failed_steps | unanswered(reason)
    return failed_steps


def _ready_for_a_run(run: SubmissionRun) -> tuple[Status, str] | None:
    """Ready the work folder for a run of the collector; why it cannot be, or None."""
    with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
        WorkFolder(run.workdir).progress.unlink()  # each run reports its own steps
    try:
        hand_over(run)
    except OSError as error:  # its folder is full, or a name is held by something the grader cannot remove
        return (Status.CRASHED, f"the grader could not hand its files over to the submission's folder ({error.strerror})")
    return None


def _start_collector(
    run: SubmissionRun, sandbox: Sandbox, questions: Sequence[str], failed_steps: Mapping[str, object]
) -> subprocess.Popen:
    """Start the collector on ``questions``, past ``failed_steps``; its output and the witness's record go beside its folder."""
    # Beside the folder: the student's code can neither read nor replace them.
    with open(run.workdir.parent / "stderr.txt", "ab") as stderr, open(run.workdir.parent / WITNESS_FILE, "ab") as record:
        python_args = ["-m", "mnist_kit.collect", workfolder.NOTEBOOK, ".", "--skip", ",".join(failed_steps), "--only", ",".join(questions)]
        python_args += ["--witness-fd", str(record.fileno())]
        return sandbox.start(run, python_args, stderr, pass_fds=(record.fileno(),))


def _step_name(step: str | None) -> str:
    if step is None:
        return "start-up"
    if step.startswith("define:"):
        return "a top-level definition"
    return f"{step} ({', '.join(QUESTIONS[step].functions)})"


def grade_notebook(
    notebook_text: str,
    checker: Checker | None = None,
    limits: Limits = DEFAULT_LIMITS,
    seed: int | None = None,
    sandbox: Sandbox | None = None,
    questions: Sequence[str] | None = None,
) -> Result:
    """Grade one notebook and return its result as a JSON-ready dict.

    Parameters
    ----------
    notebook_text : str
        The notebook's JSON, as :func:`read_notebook` returns it.
    checker : Checker, optional
        Reuse one checker (its copy of MNIST, and the machine's calibration) across submissions.
    limits : Limits
        CPU time, memory and other limits of the student's processes.
    seed : int, optional
        Seed of the grading-time challenge; a fresh random one by default.
    sandbox : mnist_kit.sandbox.Sandbox, optional
        Where the student's code runs; by default bubblewrap, and
        :class:`~mnist_kit.sandbox.SandboxUnavailable` if it cannot run here.
    questions : sequence of str, optional
        Grade only these questions (the others are skipped: not run, not in the result, not in
        ``possible``); every question by default.

    Returns
    -------
    mnist_kit.results.Result
        The status, each question's score, checks and CPU time, the totals, the seed, and ``sandbox``.

    Examples
    --------
    >>> result = grade_notebook(Path("autograder/mnist.ipynb").read_text())  # doctest: +SKIP
    >>> result.total, result.possible  # doctest: +SKIP
    (10.0, 10)
    """
    checker = checker or Checker()
    sandbox = sandbox or sandboxes.choose()
    questions = _registered(questions)
    seed = secrets.randbits(32) if seed is None else seed
    arrays, params = checker.challenge(seed, questions)
    started = time.monotonic()
    # The folder goes before the lease does: the next grading under this user never meets it.
    with (
        sandbox.account() as uid,
        tempfile.TemporaryDirectory(prefix=sandboxes.WORK_PREFIX) as scratch,
        submission_budget(
            Path(scratch), limits.max_memory, limits.max_processes, sandbox.folder_bytes(limits.max_disk), enforce=sandbox.kind != "none"
        ) as budget,
    ):
        run = SubmissionRun(_work_folder(Path(scratch)), uid, limits, budget, _handed(notebook_text, arrays, params))
        sandbox.prepare(run.workdir, uid)
        timing = RunTiming(limits, checker.calibration, started + limits.timeout)
        failed_steps = run_student_process(run, sandbox, timing, questions)
        result = _judge(run.workdir, checker.inputs(arrays, params), failed_steps, questions, _events(run, failed_steps))
        result = _with_cpu(result, timing, budget.cpu_seconds()).replace(student_memory=budget.peak_memory())
    seconds = round(time.monotonic() - started, 2)
    return result.replace(seed=seed, seconds=seconds, sandbox=sandbox.describe() | budget.describe(), written=_written(notebook_text))


def _with_cpu(result: Result, timing: RunTiming, counted: float | None) -> Result:
    """``result`` with the CPU seconds each question used and its limit, and the submission's total."""
    questions = {
        name: dataclasses.replace(entry, cpu=round(timing.used.get(name, 0.0), 2), cpu_limit=round(timing.limit(name), 1))
        for name, entry in result.questions.items()
    }
    total = counted if counted is not None else sum(timing.used.values())
    return result.replace(questions=questions, student_cpu=round(total, 2))


def _events(run: SubmissionRun, failed_steps: Mapping[str, tuple[Status, str]]) -> list[tuple[Status, str]]:
    """What the grader saw of a run: each abandoned step's status and reason, and a kill for memory its cgroup recorded."""
    events = list(failed_steps.values())
    if run.budget and run.budget.killed_for_memory() and not any(status == Status.MEMORY for status, _ in events):
        what = f"a process of the submission was killed for using more than its {run.limits.max_memory / 2**30:g} GiB"
        events.append((Status.MEMORY, f"{what} of memory (all its processes together)"))
    return events


def _written(notebook_text: str) -> dict[str, WrittenAnswer]:
    """The written questions' answers, read from the notebook as text in a bounded child (never run, never judged)."""
    return written_in_child(notebook_text.encode("utf-8"), list(WRITTEN))


def _registered(questions: Sequence[str] | None) -> tuple[str, ...]:
    """``questions`` (every registered one if None), refused in one line if one is not registered."""
    chosen = tuple(QUESTIONS) if questions is None else tuple(questions)
    unknown = [q for q in chosen if q not in QUESTIONS]
    if unknown:
        raise ValueError(f"questions={unknown} are not registered; choose among {', '.join(QUESTIONS)}")
    return chosen


def _work_folder(scratch: Path) -> Path:
    """The student's work folder in ``scratch``, with its own copy of the loader and data (the rest is handed over at each run)."""
    # A private parent too: a notebook that writes or deletes in "..", touches only its own folder.
    workdir = scratch / "work"
    workdir.mkdir()
    # The student's own copy of the loader and data: deleting or editing it harms nobody else.
    shutil.copy(data.__file__, workdir / spec.DATA_MODULE)
    shutil.copy(data.EMBEDDED_PATH, workdir / data.EMBEDDED_PATH.name)
    return workdir


def _handed(notebook_text: str, arrays: dict[str, np.ndarray], params: dict[str, Any]) -> dict[str, bytes]:
    """What the collector reads of its folder: the notebook and the challenge, as the grader wrote them."""
    return {workfolder.NOTEBOOK: notebook_text.encode("utf-8"), **challenge_files(arrays, params)}


def hand_over(run: SubmissionRun) -> None:
    """Write ``run.handed`` into its work folder, over whatever stands at those names (a file, a link, a folder).

    Called with none of the student's processes alive, so nothing swaps a path between the
    removal and the new file, which is created, never opened through a link.
    """
    for name, content in run.handed.items():
        target = run.workdir / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink(missing_ok=True)
        with open(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644), "wb") as file:
            file.write(content)


def _judge(
    workdir: Path,
    inputs: dict[str, Inputs],
    failed_steps: dict[str, tuple[Status, str]],
    graded: Sequence[str],
    events: list[tuple[Status, str]] | None = None,
) -> Result:
    """Score what the student's process recorded; its status and reason come from the grader's ``events`` alone.

    ``events`` are ``(status, reason)`` pairs the grader observed, by default those of ``failed_steps``.
    """
    events = list(failed_steps.values()) if events is None else events
    witnessed = witness.read_record(workdir.parent / WITNESS_FILE)
    notes = _definition_errors(read_student_file(workdir, workfolder.DEFINITIONS, max_bytes=MAX_RECORD_BYTES))
    notes += [f"skipped {_step_name(step)}: {reason}" for step, (_, reason) in failed_steps.items() if step.startswith("define:")]
    questions = {
        question: _judge_question(workdir, unit, inputs, failed_steps, witnessed)
        for question, unit in QUESTIONS.items()
        if question in graded
    }
    status = next((s for s in (Status.MEMORY, Status.TIMEOUT, Status.CRASHED) if any(e[0] == s for e in events)), Status.GRADED)
    return Result(
        status,
        questions,
        total=round(sum(q.score for q in questions.values()), 2),
        possible=sum(q.possible for q in questions.values()),
        reason="; ".join(dict.fromkeys(reason for _, reason in events)) or None,
        notes=tuple(notes),
    )


def _judge_question(
    workdir: Path, unit: Question, inputs: dict[str, Inputs], failed_steps: dict[str, tuple[Status, str]], witnessed: dict[bytes, str]
) -> QuestionResult:
    question = unit.name
    if question in failed_steps:
        return QuestionResult(unit.points, error=failed_steps[question][1])
    record = read_student_file(workdir, *WorkFolder.answer_parts(question, ".json"), max_bytes=MAX_RECORD_BYTES)
    if record is None:
        return QuestionResult(unit.points, error="no answer was recorded for this question (or its record was larger than any answer's)")
    arrays = read_student_file(workdir, *WorkFolder.answer_parts(question, ".npz"), max_bytes=MAX_ARRAYS_BYTES)
    answers, error = checks.load_answers(record, arrays, unit.answers)
    if answers is None:
        return QuestionResult(unit.points, error=error)
    seen = dataclasses.replace(inputs[question], witnessed=witnessed) if unit.witnessed else inputs[question]
    results = tuple(checks.run_checks(unit, answers, seen))
    score = round(unit.points * sum(r.weight for r in results if r.passed) / sum(r.weight for r in results), 2)
    return QuestionResult(unit.points, score, None, results)


def _definition_errors(content: bytes | None) -> list[str]:
    try:
        errors = untrusted.parse_json(content, "the record of the notebook's definitions")["errors"] if content else []
    except (untrusted.UntrustedBytes, TypeError, KeyError, IndexError):
        return ["the record of the notebook's definitions was damaged"]
    return [untrusted.one_line(error) for error in errors[:50]] if isinstance(errors, list) else []


def invalid_result(reason: str) -> Result:
    """The result of a file that could not be read as a notebook: a row with zero points."""
    return zero_result(Status.INVALID, reason, {name: unit.points for name, unit in QUESTIONS.items()})


def crashed_result(reason: str) -> Result:
    """The result of a file the grader itself failed on: zero points and the grader's own reason."""
    return invalid_result(reason).replace(status=Status.CRASHED)
