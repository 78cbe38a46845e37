"""Benchmarks: what a student and an instructor wait for, against the tutorial's own pipeline.

    .venv/bin/python benchmarks/bench.py kit     # data, reference notebook, one grading, tutorial
    .venv/bin/python benchmarks/bench.py batch   # a class of 24 submissions: --jobs 1, default, otter run
    .venv/bin/python benchmarks/bench.py sandbox # start-up cost per submission with and without the sandbox
    .venv/bin/python benchmarks/bench.py floor   # CPU of one grading against the reference functions alone
    .venv/bin/python benchmarks/bench.py cluster # --jobs 2 against a 2-worker Dask cluster; 10,000 projected
    .venv/bin/python benchmarks/bench.py check   # grader.check per question against the student's own calls of its functions
    .venv/bin/python benchmarks/bench.py classmix  # a class as it comes: CPU per submission, the kit's share, gradings per hour

Every figure is the median of several runs on this machine, printed with its ratio to a baseline
measured in the same run. CPU figures are machine-wide: run on an otherwise idle machine. Nothing
here asserts a time; the README quotes the printed figures.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mnist_kit import build, data, grade, pipeline, sandbox, spec  # noqa: E402
from mnist_kit.files import GradedFolder  # noqa: E402
from mnist_kit.options import GradingOptions  # noqa: E402
from mnist_kit.questions import TOTAL_POINTS  # noqa: E402
from sample_submissions import cases, notebooks  # noqa: E402


def cpu_seconds():
    """CPU time the whole machine has spent since boot (all cores), from /proc/stat.

    The student's processes run inside bubblewrap as another user and are reaped there, so
    getrusage's children do not see them; machine-wide time does, on an otherwise idle machine.
    """
    with open("/proc/stat") as stat:
        fields = [int(value) for value in stat.readline().split()[1:]]
    busy = sum(fields) - fields[3] - fields[4]  # everything but idle and iowait
    return busy / os.sysconf("SC_CLK_TCK")


def median_seconds(action, repeats):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), times


def report(label, seconds, runs, baseline=None):
    ratio = f"  ({baseline[1] / seconds:.1f}x faster than {baseline[0]})" if baseline else ""
    print(f"{label:<44} median {seconds:8.2f} s over {len(runs)} runs{ratio}", flush=True)


def tutorial_pipeline():
    """The tutorial's multiclass step as it wrote it (loss='log' is now 'log_loss'): SGD on raw 0-255 pixels."""
    import numpy as np
    from sklearn.linear_model import SGDClassifier

    X, y = data.load_mnist()
    y = y.astype(np.int8)
    order = np.random.default_rng(42).permutation(spec.N_TRAIN)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = SGDClassifier(loss="log_loss", random_state=42).fit(X[: spec.N_TRAIN][order], y[: spec.N_TRAIN][order])
    return model.score(X[spec.N_TRAIN :], y[spec.N_TRAIN :])


def reference_notebook(workdir):
    notebook = notebooks.make_notebook(notebooks.Case("reference"))
    target = Path(workdir) / f"run-{time.perf_counter_ns()}"
    checks, errors = notebooks.execute_as_student(notebook, target)
    if errors or not all(checks.values()):
        raise RuntimeError(f"the reference notebook did not run clean: {errors} {checks}")
    shutil.rmtree(target)


def kit_benchmark(args):
    reference_text = (ROOT / "autograder" / "mnist.ipynb").read_text()
    checker = grade.Checker()
    load, load_runs = median_seconds(data.load_mnist, args.repeats * 3)
    report("load_mnist() (embedded copy)", load, load_runs)
    with tempfile.TemporaryDirectory() as scratch:
        notebook, notebook_runs = median_seconds(lambda: reference_notebook(scratch), args.repeats)
    graded, grade_runs = median_seconds(lambda: grade.grade_notebook(reference_text, checker), args.repeats)
    accuracies = []
    tutorial, tutorial_runs = median_seconds(lambda: accuracies.append(tutorial_pipeline()), args.tutorial_repeats)
    report("tutorial pipeline (SGD on raw pixels)", tutorial, tutorial_runs)
    report("reference notebook, end to end", notebook, notebook_runs, ("the tutorial pipeline", tutorial))
    report("grading one submission (the reference)", graded, grade_runs)
    print(f"grading / notebook run time: {graded / notebook:.2f}")
    print(f"tutorial pipeline test accuracy: {accuracies[-1]:.4f}")


def batch_cases(count):
    """``count`` submissions cycling through right, wrong and broken cases (no infinite loops)."""
    pool = [c for c in cases.RIGHT + cases.WRONG + cases.BROKEN if c.status != "timeout"]
    mix = [pool[(i * 7) % len(pool)] for i in range(count)]
    return [notebooks.Case(f"{i:02d}_{c.name}", c.functions, c.cells, c.fails, c.status) for i, c in enumerate(mix)]


def otter_autograder_zip(workdir):
    """An otter-generated autograder for the same assignment (public tests), for ``otter run`` to use.

    The kit's own bundle ships no otter test files, so Otter Assign writes them here from the source.
    """
    tests = build.otter_test_files(Path(workdir) / "otter-assign")
    for support in (ROOT / "assignment" / "mnist_data.py", data.EMBEDDED_PATH):
        shutil.copy(support, Path(workdir) / support.name)  # otter generate takes files from its working folder
    subprocess.run(
        [
            sys.executable,
            "-m",
            "otter",
            "generate",
            "-t",
            str(tests),
            "-o",
            "autograder.zip",
            "-r",
            str(ROOT / "autograder" / "requirements.txt"),
            "mnist_data.py",
            data.EMBEDDED_PATH.name,
        ],
        check=True,
        capture_output=True,
        cwd=workdir,
    )
    return Path(workdir) / "autograder.zip"


def batch_benchmark(args):
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        paths = notebooks.write_cases(batch_cases(args.submissions), scratch / "class")
        limits = sandbox.Limits()
        serial, serial_runs = median_seconds(
            lambda: pipeline.grade_class(
                [scratch / "class"],
                GradedFolder(scratch / f"out-{time.perf_counter_ns()}"),
                GradingOptions(limits, jobs=1, identical_once=False),
            ),
            args.repeats,
        )
        busy = []

        def default_jobs():
            cpu_before, started = cpu_seconds(), time.perf_counter()
            pipeline.grade_class(
                [scratch / "class"], GradedFolder(scratch / f"out-{time.perf_counter_ns()}"), GradingOptions(limits, identical_once=False)
            )
            busy.append((cpu_seconds() - cpu_before) / ((time.perf_counter() - started) * os.cpu_count()))

        parallel, parallel_runs = median_seconds(default_jobs, args.repeats)
        otter_zip = otter_autograder_zip(scratch)

        def otter_loop():
            for path in paths.values():
                out = scratch / f"otter-{time.perf_counter_ns()}"
                out.mkdir()
                subprocess.run(
                    [sys.executable, "-m", "otter", "run", "-a", str(otter_zip), "-o", str(out), str(path)],
                    capture_output=True,
                    cwd=out,
                    check=False,
                )

        otter, otter_runs = median_seconds(otter_loop, args.otter_repeats)
    per_minute = lambda seconds: args.submissions / seconds * 60  # noqa: E731
    print(f"{args.submissions} submissions, {os.cpu_count()} cores")
    report("mnist-kit grade --jobs 1", serial, serial_runs)
    report(f"mnist-kit grade (default --jobs {os.cpu_count()})", parallel, parallel_runs, ("--jobs 1", serial))
    report("loop of otter run", otter, otter_runs)
    for label, seconds in (("--jobs 1", serial), ("default jobs", parallel), ("otter run loop", otter)):
        print(f"  {label:<16} {per_minute(seconds):6.1f} submissions per minute")
    print(f"default jobs vs otter run loop: {otter / parallel:.2f}x faster")
    print(
        f"cores kept busy with the default jobs (CPU time / (wall time x cores)): "
        f"median {statistics.median(busy):.0%} over {len(busy)} runs {[f'{b:.0%}' for b in busy]}"
    )


def sandbox_benchmark(args):
    """What the sandbox adds to each submission: starting the student's Python, and grading a no-op notebook."""
    empty = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'
    checker = grade.Checker()
    checker.challenge(0)  # load the checker's data before timing
    kinds = ["none", "bwrap"] + (["user"] if sandbox.user_problem() is None else [])
    figures = {}
    for kind in kinds:
        box = sandbox.choose(kind=kind)
        limits = sandbox.Limits()

        def start_python(box=box, limits=limits):
            with tempfile.TemporaryDirectory() as scratch, box.account() as uid:
                workdir = Path(scratch) / "work"
                workdir.mkdir()
                box.prepare(workdir, uid)
                process = box.start(sandbox.SubmissionRun(workdir, uid, limits), ["-c", "pass"], subprocess.DEVNULL)
                process.wait()
                box.stop(process, uid)

        figures[kind] = (
            median_seconds(start_python, args.repeats * 3),
            median_seconds(lambda box=box: grade.grade_notebook(empty, checker, seed=1, sandbox=box), args.repeats),
        )
    base_start, base_grade = figures["none"][0][0], figures["none"][1][0]
    for kind, ((start, start_runs), (graded, grade_runs)) in figures.items():
        report(f"start the student's Python ({kind})", start, start_runs)
        report(f"grade an empty notebook ({kind})", graded, grade_runs)
        if kind != "none":
            print(
                f"  {kind} adds {start - base_start:+.3f} s to starting the student's Python "
                f"and {graded - base_grade:+.3f} s to grading a submission (vs none, same run)"
            )


FLOOR_SCRIPT = """
import json, sys, time
from pathlib import Path
from mnist_kit import collect, notebook_source
from mnist_kit.challenge import read_challenge
from mnist_kit.inputs import inputs_of
from mnist_kit.inputs import SHARED, Inputs, StudentData
from mnist_kit.questions import QUESTIONS
notebook = json.loads(Path(sys.argv[1]).read_text())
namespace = {"__name__": "__student__"}
for _, source in notebook_source.definition_statements(notebook)[0]:
    exec(source, namespace)
arrays, params = read_challenge(sys.argv[2])
data = StudentData(inputs_of(SHARED, arrays, params)[0])
started = time.process_time()
for name, question in QUESTIONS.items():
    question.collect(collect.Student(namespace), question.challenge_inputs(arrays, params, data))
print(time.process_time() - started)
"""


def floor_benchmark(args):
    """Grading's CPU against its floor: the reference functions alone, on the same challenge, same threads."""
    from mnist_kit.challenge import write_challenge

    reference = ROOT / "autograder" / "mnist.ipynb"
    checker, box = grade.Checker(), sandbox.choose()
    limits = sandbox.Limits(threads=1)  # what each of two concurrent gradings gets on two cores
    floors, gradings = [], []
    for seed in range(args.repeats):
        with tempfile.TemporaryDirectory() as scratch:
            write_challenge(scratch, *checker.challenge(seed))
            env = dict(box.environment(Path(scratch), limits.threads), PYTHONPATH=f"{ROOT}:{ROOT / 'assignment'}")
            run = subprocess.run(
                [sys.executable, "-c", FLOOR_SCRIPT, str(reference), scratch], env=env, capture_output=True, text=True, check=True
            )
            floors.append(float(run.stdout.split()[-1]))
        before = cpu_seconds()
        result = grade.grade_notebook(reference.read_text(), checker, limits, seed=seed, sandbox=box)
        gradings.append(cpu_seconds() - before)
        assert result.total == TOTAL_POINTS, result
    floor, graded = statistics.median(floors), statistics.median(gradings)
    print(f"reference functions alone (the floor)      median {floor:8.2f} CPU-s over {len(floors)} seeds {[round(f, 1) for f in floors]}")
    print(
        f"grading the reference ({box.kind}, 1 thread) median {graded:8.2f} CPU-s "
        f"over {len(gradings)} seeds {[round(g, 1) for g in gradings]}"
    )
    print(f"grading / floor: {graded / floor:.2f} (the kit adds {graded / floor - 1:+.0%}; target <= +15%)")


def cluster_benchmark(args):
    """The same class graded by the local pool (--jobs 2) and by a local Dask cluster of 2 one-thread workers.

    Runs alternate, so that both see the machine alike. The cluster's overhead is its median's
    excess over the pool's; the projection divides the measured machine CPU per grading among N
    workers of this machine's size.
    """
    from distributed import LocalCluster

    with tempfile.TemporaryDirectory() as scratch, LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as dask:
        scratch = Path(scratch)
        notebooks.write_cases(batch_cases(args.submissions), scratch / "class")
        limits = sandbox.Limits()
        walls = {"local": [], "cluster": []}
        cpu = []
        for _ in range(args.repeats):
            for mode, scheduler in (("local", None), ("cluster", dask.scheduler_address)):
                cpu_before, started = cpu_seconds(), time.perf_counter()
                out = scratch / f"out-{time.perf_counter_ns()}"
                options = GradingOptions(limits, jobs=2, scheduler=scheduler, identical_once=False)
                pipeline.grade_class([scratch / "class"], GradedFolder(out), options)
                walls[mode].append(time.perf_counter() - started)
                if mode == "local":
                    cpu.append((cpu_seconds() - cpu_before) / args.submissions)
        local, cluster = statistics.median(walls["local"]), statistics.median(walls["cluster"])
        report(f"{args.submissions} submissions, --jobs 2", local, walls["local"])
        report(f"{args.submissions} submissions, 2-worker Dask cluster", cluster, walls["cluster"])
        print(f"cluster overhead: {100 * (cluster / local - 1):+.1f} % (goal: within 5 %)")
        per_grading = statistics.median(cpu)
        print(f"machine CPU per grading: {per_grading:.1f} s (median of {len(cpu)} runs)")
        cores = os.cpu_count()
        for workers in (1, 10, 50, 200):
            hours = 10_000 * per_grading / (workers * cores) / 3600
            print(f"10,000 submissions on {workers:>3} workers of {cores} cores: ~{hours:.2f} h")


# Right answers as students write them after the tutorial (q6: its SGDClassifier(loss="log_loss",
# random_state=42), default max_iter), the others the reference's.
TUTORIAL_Q6 = "def fit_multiclass_classifier(X, y):\n    return SGDClassifier(loss='log_loss', random_state=42).fit(X, y)\n"


def check_benchmark(args):
    """For each question: grader.check's wall time, against the time its calls of the student's functions take.

    The student's functions are wrapped to time each of their calls inside grader.check, with the
    very arguments it gives them: the ratio is what checking adds to what the student's code costs.
    (q6's SGD runs through the witness there, which runs scikit-learn's own solver: the same work.)
    """
    from threadpoolctl import threadpool_limits

    from mnist_kit import collect, notebook_source
    from mnist_kit.notebook import public_check
    from mnist_kit.questions import QUESTIONS

    namespace = {"__name__": "__main__"}
    reference = notebooks.make_notebook(cases.Case("reference"))
    for index, (label, source) in enumerate(notebook_source.definition_statements(reference)[0]):
        if "mnist_data" not in source:
            exec(collect._compile_student(source, label, index), namespace)
    exec(TUTORIAL_Q6, namespace)
    spent = []

    def timed(name):
        function = namespace[name]

        def wrapper(*a, **k):
            started = time.perf_counter()
            try:
                return function(*a, **k)
            finally:
                spent.append(time.perf_counter() - started)

        return wrapper

    warnings.simplefilter("ignore")
    with threadpool_limits(1):
        for question, unit in QUESTIONS.items():
            checks, owns = [], []
            for _ in range(args.repeats):
                spent.clear()
                started = time.perf_counter()
                verdict = public_check(question, {**namespace, **{name: timed(name) for name in unit.functions}})
                checks.append(time.perf_counter() - started)
                owns.append(sum(spent))
            check, own = statistics.median(checks), statistics.median(owns)
            passes = "passes" if verdict.passed else "FAILS"
            print(
                f"{question}: grader.check median {check:6.2f} s, in the student's {len(spent)} call(s) {own:6.2f} s, "
                f"ratio {check / own:6.2f} ({passes}; {args.repeats} runs)",
                flush=True,
            )


# The tutorial's own q6 (default max_iter, tol): what a student porting it writes.
TUTORIAL_CASE = notebooks.Case("right_tutorial_defaults", functions={"fit_multiclass_classifier": TUTORIAL_Q6})


def class_mix():
    """A class as it comes: every right case of the suite, the tutorial's defaults, and every sixth wrong one."""
    return [*cases.RIGHT, TUTORIAL_CASE, *[c for c in cases.WRONG if c.status != "timeout"][::6]]


def classmix_benchmark(args):
    """What a class costs the machine per submission, split into the submissions' own processes and the kit's share."""
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        mix = class_mix()
        notebooks.write_cases(mix, scratch / "class")
        options = GradingOptions(sandbox.Limits(), jobs=args.jobs, identical_once=False)
        cpu_before, started = cpu_seconds(), time.perf_counter()
        results = pipeline.grade_class([scratch / "class"], GradedFolder(scratch / "graded"), options)
        wall, machine = time.perf_counter() - started, cpu_seconds() - cpu_before
    students = [r.student_cpu for r in results if r.student_cpu is not None]
    if len(students) != len(results):
        print("the submissions' own CPU is not counted on this machine (no cgroups): run as root where cgroups work")
        return
    student = sum(students)
    kit = machine - student
    print(f"{len(results)} submissions ({len(cases.RIGHT) + 1} right, {len(results) - len(cases.RIGHT) - 1} wrong), --jobs {args.jobs}")
    print(f"machine CPU per submission {machine / len(results):6.2f} CPU-s (whole machine, /proc/stat)")
    print(f"  the submissions' own      {student / len(results):6.2f} CPU-s (their cgroups: student code, collector, witness)")
    print(
        f"  the kit's share           {kit / len(results):6.2f} CPU-s = {100 * kit / student:.1f} % of the submissions' own (goal <= 15 %)"
    )
    print(f"gradings per hour on this machine: {len(results) / wall * 3600:.0f} ({wall:.0f} s wall)")
    timed = [(r.submission, q, e) for r in results for q, e in r.questions.items() if e.cpu is not None and e.cpu_limit]
    submission, question, entry = max(timed, key=lambda found: found[2].cpu / found[2].cpu_limit)
    share = entry.cpu / entry.cpu_limit
    print(f"closest to a CPU limit: {submission}'s {question}, {entry.cpu:.1f} of {entry.cpu_limit:.0f} CPU-s ({100 * share:.0f} %)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    kit_parser = commands.add_parser("kit")
    kit_parser.add_argument("--repeats", type=int, default=3)
    kit_parser.add_argument("--tutorial-repeats", type=int, default=3)
    kit_parser.set_defaults(run=kit_benchmark)
    batch_parser = commands.add_parser("batch")
    batch_parser.add_argument("--submissions", type=int, default=24)
    batch_parser.add_argument("--repeats", type=int, default=3)
    batch_parser.add_argument("--otter-repeats", type=int, default=1)
    batch_parser.set_defaults(run=batch_benchmark)
    sandbox_parser = commands.add_parser("sandbox")
    sandbox_parser.add_argument("--repeats", type=int, default=5)
    sandbox_parser.set_defaults(run=sandbox_benchmark)
    floor_parser = commands.add_parser("floor")
    floor_parser.add_argument("--repeats", type=int, default=3)
    floor_parser.set_defaults(run=floor_benchmark)
    cluster_parser = commands.add_parser("cluster")
    cluster_parser.add_argument("--submissions", type=int, default=8)
    cluster_parser.add_argument("--repeats", type=int, default=3)
    cluster_parser.set_defaults(run=cluster_benchmark)
    check_parser = commands.add_parser("check")
    check_parser.add_argument("--repeats", type=int, default=3)
    check_parser.set_defaults(run=check_benchmark)
    mix_parser = commands.add_parser("classmix")
    mix_parser.add_argument("--jobs", type=int, default=os.cpu_count())
    mix_parser.set_defaults(run=classmix_benchmark)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
