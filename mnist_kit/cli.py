"""``mnist-kit``: build the assignment and grade submissions. A thin layer over plain functions."""

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from . import (
    build as build_module,
    calibration,
    cluster,
    doctor,
    import_patches,
    pipeline,
    questions,
    reference_cost,
    report,
    results_folder,
    sandbox as sandboxes,
    similarity,
    spec,
)
from .answers import UnitCodeError
from .course import CourseError, apply as course_apply, gradebook as course_gradebook, lms
from .files import GradedFolder, shown_name, write_atomically
from .history import regrade_changes
from .marking import mark_books
from .marking_page import MarkingServer, MarkingSession
from .options import GradingOptions
from .questions import QuestionError
from .submissions import InvalidSubmission, find_submissions, read_notebook


def _shown(path: Path) -> Path:
    return path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path


def _build(args: argparse.Namespace) -> int:
    report = build_module.build(verify=not args.no_verify)
    print("wrote assignment/ and autograder/")
    print(f"wrote {_shown(report.zip_path)} (upload to Gradescope), sha256 {report.zip_sha256}")
    print(f"wrote {_shown(report.student_zip_path)} (hand out to students), sha256 {report.student_zip_sha256}")
    if report.reference and report.student:
        written = "".join(f" ({q}, written: to mark)" for q in report.reference.written)
        print(
            f"verified: reference {report.reference.total}/{report.reference.possible}{written}, "
            f"untouched student notebook {report.student.total}/{report.student.possible}"
        )
    return 0


class ProgressLine:
    """A one-line progress bar on a terminal; plain lines otherwise."""

    def __init__(self, stream: TextIO | None = None) -> None:
        stream = stream or sys.stderr
        self.stream, self.started, self.tty = stream, time.monotonic(), stream.isatty()

    def __call__(self, done: int, total: int, failures: int, workers: int | None = None) -> None:
        elapsed = time.monotonic() - self.started
        remaining = elapsed / done * (total - done) if done else 0.0
        text = f"{done}/{total} graded, {failures} not graded cleanly, {elapsed:.0f} s elapsed, ~{remaining:.0f} s left"
        if workers is not None:
            text += f", {workers} worker(s) connected"
        if self.tty:
            width = 24
            bar = "#" * int(width * done / max(total, 1))
            self.stream.write(f"\r[{bar:<{width}}] {text}" + ("\n" if done == total else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def _options(args: argparse.Namespace) -> GradingOptions:
    """``mnist-kit grade``'s options, its sandbox chosen (and a warning printed when it is not bubblewrap)."""
    limits = sandboxes.Limits(
        cpu_multiple=args.cpu_multiple,
        idle_timeout=args.idle_timeout,
        timeout=args.timeout,
        max_memory=int(args.max_memory * 2**30),
        max_disk=int(args.max_disk * 2**30),
        max_upload=int(args.max_upload * 10**6),
    )
    sandbox = sandboxes.choose(allow_weaker=args.no_sandbox)
    if not args.scheduler:  # this machine's speed, before anything is graded (a cluster's workers measure their own)
        calibration.machine_calibration()
    if sandbox.kind != "bwrap":
        print(
            f"mnist-kit grade: warning: grading WITHOUT the bubblewrap sandbox (isolation: {sandbox.kind}); "
            "students' code can reach the network and whatever this user can; every result and the report record it",
            file=sys.stderr,
        )
    return GradingOptions(limits, args.seed, args.force, args.jobs, args.scheduler, sandbox, args.all_feedback)


def _print_changes(folder: GradedFolder, run_before: str | None) -> None:
    """The grades this run's regrade changed (an older regrade is in the report, not news)."""
    changes = regrade_changes(folder)
    if not changes or changes.run == run_before:
        return
    print(report.changed_grades_summary(changes))
    for submission, *cells in report.changed_grade_rows(changes):
        named = zip(report.changed_grade_header()[1:], cells, strict=True)
        print(f"  {submission}: " + ", ".join(f"{name} {cell}" for name, cell in named if cell))


def _grade(args: argparse.Namespace) -> int:
    folder = GradedFolder(args.out)
    # Mistakes in the course's files, and a mistyped folder, are named before anything is graded.
    plan = course_apply.load_plan(args.course, args.roster, folder) if (args.course or args.roster) else None
    inputs, exports = course_apply.expand_exports(args.submissions, folder, int(args.max_upload * 10**6))
    find_submissions(inputs)
    mark_books(folder)  # a marks file edited by hand is named now, not after the class is graded
    run_before = getattr(regrade_changes(folder), "run", None)
    options = _options(args)
    results = pipeline.grade_class(inputs, folder, options, progress=ProgressLine())
    for result in results:
        reason = f"  ({result.reason})" if result.reason else ""
        print(f"{shown_name(result.submission or '')}: {result.total}/{result.possible} {result.status}{reason}")
    _print_changes(folder, run_before)
    if plan:
        course, notes = pipeline.grade_course(plan, inputs, results, folder, exports, options.all_feedback)
        for line in notes:
            print(f"mnist-kit grade: note: {line}", file=sys.stderr)
        late = sum(1 for row in course.rows if row.penalty)
        missing = sum(1 for row in course.rows if row.status == course_gradebook.MISSING)
        print(f"{len(course.rows)} students: {missing} without a submission, {late} with a late penalty, {len(plan.overrides)} override(s)")
        print(f"wrote {folder.course_gradebook} (one row per student) and {folder.student_feedback}/ (feedback by login)")
    elif folder.course_state.exists():
        print(
            f"mnist-kit grade: note: {folder.course_gradebook} was not recomputed; rerun with --course (or --roster) to update it",
            file=sys.stderr,
        )
    print(f"wrote {folder.gradebook}, {folder.report} and {folder.feedback}/")
    return 0


def _export(args: argparse.Namespace) -> int:
    course = course_gradebook.load(GradedFolder(args.graded))
    if course is None:
        raise FileNotFoundError(f"{args.graded} has no course gradebook; grade it with --roster (or --course course.toml) first")
    text = lms.export(course, args.format, lms.ExportTarget(Path(args.roster) if args.roster else None, args.column))
    write_atomically(Path(args.out), text)
    print(f"wrote {args.out} ({len(course.rows)} students)")
    return 0


def _report(args: argparse.Namespace) -> int:
    folder = GradedFolder(args.out)
    if not results_folder.load_results(folder):
        raise FileNotFoundError(f"{args.out} holds no graded results; run mnist-kit grade --out {args.out} first")
    print(f"wrote {pipeline.write_class_report(folder)}")
    return 0


def _similarity(args: argparse.Namespace) -> int:
    folder = GradedFolder(args.out)
    sources, problems = similarity.sources_of_graded(folder, read_notebook)
    known = similarity.well_known_fingerprints(similarity.release_notebooks())
    review = similarity.compare(sources, known, jobs=args.jobs)
    written = similarity.write_review(folder, review, problems)
    for line in problems:
        print(f"mnist-kit similarity: note: {line}", file=sys.stderr)
    print(f"{len(review.pairs)} pairs of {len(sources)} submissions share unusual code (similar code, for review)")
    for pair in review.pairs[:10]:
        print(f"  {pair.a} and {pair.b}: {pair.score:.2f} ({', '.join(pair.functions)})")
    if results_folder.load_results(folder):
        pipeline.write_class_report(folder)
    print(f"wrote {written}, {folder.similarity_page} and its section of {folder.report}")
    return 0


def _doctor(args: argparse.Namespace) -> int:
    findings = doctor.diagnose()
    for finding in findings:
        print(finding.line())
    if doctor.grading_is_safe(findings):
        print("this machine can grade as the kit promises")
        return 0
    print("mnist-kit doctor: grading here would not be safe; fix the lines marked FAIL", file=sys.stderr)
    return 1


def _slurm_script(args: argparse.Namespace) -> int:
    job = cluster.WorkerJob(args.cores, args.memory, args.walltime, args.queue, args.python, tuple(args.sbatch))
    print(cluster.slurm_job_script(args.scheduler, job), end="")
    return 0


def _merge(args: argparse.Namespace) -> int:
    folder = GradedFolder(args.out)
    written = pipeline.merge_folders([GradedFolder(f) for f in args.folders], folder, args.all_feedback)
    print(f"wrote {folder.gradebook} and {written}")
    return 0


def _mark(args: argparse.Namespace) -> int:
    written = list(questions.WRITTEN)
    if args.question is None and len(written) != 1:
        raise ValueError(f"name the written question to mark with --question (one of {', '.join(written) or 'none'})")
    session = MarkingSession(GradedFolder(args.graded), args.question or written[0])
    server = MarkingServer(session, args.port)
    groups, answers = len(session.groups), sum(len(g.members) for g in session.groups)
    print(f"marking {session.question}: {answers} answer(s) in {groups} group(s), {session.blank} without an answer")
    print(f"open {server.url}", flush=True)
    print("every mark is saved as it is made; press Ctrl-C to stop, then rerun mnist-kit grade to count the marks", flush=True)
    try:
        server.serve()
    except KeyboardInterrupt:
        print("stopped; every mark is saved")
    finally:
        server.stop()
    return 0


def _positive(kind: Callable[[str], float]) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
        return value

    return parse


def _add_all_feedback(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--all-feedback",
        action="store_true",
        help="feedback files show every check's points and message (default: withhold what spec.VISIBILITY withholds)",
    )


def parser() -> argparse.ArgumentParser:
    """``mnist-kit``'s arguments: a subcommand each, added by its own function below."""
    main = argparse.ArgumentParser(prog="mnist-kit", description=f"Build and grade the {spec.ASSIGNMENT} assignment.")
    commands = main.add_subparsers(dest="command", required=True)
    for add in (
        _add_build_command,
        _add_measure_cost_command,
        _add_grade_command,
        _add_report_command,
        _add_similarity_command,
        _add_export_command,
        _add_doctor_command,
        _add_slurm_script_command,
        _add_merge_command,
        _add_mark_command,
    ):
        add(commands)
    return main


def _add_build_command(commands: Any) -> None:
    build = commands.add_parser(
        "build", help=f"regenerate assignment/, autograder/, dist/{spec.AUTOGRADER_ZIP} and dist/{spec.STUDENT_ZIP}, then verify"
    )
    build.add_argument("--no-verify", action="store_true", help="skip grading the reference and the student notebook")
    build.set_defaults(run=_build)


def _add_measure_cost_command(commands: Any) -> None:
    measure = commands.add_parser(
        "measure-cost",
        help=f"re-measure the reference's CPU cost (each question's CPU limit) into {build_module.PACKAGE.name}/"
        f"{calibration.RECORD.name}, on an idle machine; refused on a busy one",
    )
    measure.add_argument(
        "--runs", type=_positive(int), default=reference_cost.RUNS, help=f"runs of the reference (default {reference_cost.RUNS})"
    )
    measure.add_argument("--questions", nargs="+", metavar="Q", help="measure only these questions (default: every autograded one)")
    measure.add_argument("--dry-run", action="store_true", help="measure and show the old and new limits, write nothing")
    measure.set_defaults(run=_measure_cost)


def _measure_cost(args: argparse.Namespace) -> int:
    unknown = [name for name in args.questions or () if name not in questions.QUESTIONS]
    if unknown:
        raise ValueError(f"--questions {' '.join(unknown)}: not an autograded question; choose from {', '.join(questions.QUESTIONS)}")
    notebook = build_module.ROOT / "autograder" / spec.NOTEBOOK
    reference = notebook.read_text()
    measured = reference_cost.remeasure(reference, runs=args.runs, questions=args.questions)
    print("\n".join(reference_cost.limits_table(measured)))
    if args.dry_run:
        print("dry run: nothing written")
        return 0
    reference_cost.write_record(measured, json.loads(reference))
    print(
        f"wrote {build_module.PACKAGE.name}/{calibration.RECORD.name}: now run ./dev build and commit both (the bundle carries the record)"
    )
    return 0


def _add_grade_command(commands: Any) -> None:
    grade_cmd = commands.add_parser("grade", help="grade notebooks or otter export zips into a gradebook")
    grade_cmd.add_argument("submissions", nargs="+", help=".ipynb or .zip files, or folders holding them")
    grade_cmd.add_argument("--out", required=True, help="output folder for grades.csv and results/")
    grade_cmd.add_argument("--jobs", type=_positive(int), default=os.cpu_count(), help="submissions graded at once (default: cores)")
    defaults = sandboxes.Limits()
    grade_cmd.add_argument(
        "--cpu-multiple",
        type=_positive(float),
        default=defaults.cpu_multiple,
        help=f"a question may use this many times the reference's CPU time, on the grading machine (default {defaults.cpu_multiple:g})",
    )
    grade_cmd.add_argument(
        "--idle-timeout",
        type=_positive(float),
        default=defaults.idle_timeout,
        help=f"seconds a question may wait without computing (default {defaults.idle_timeout:g})",
    )
    grade_cmd.add_argument(
        "--timeout",
        type=_positive(float),
        default=defaults.timeout,
        help=f"wall-clock seconds per submission, a safety net: limits are in CPU time (default {defaults.timeout:g})",
    )
    grade_cmd.add_argument(
        "--max-memory", type=_positive(float), default=6.0, help="GiB of memory for all of a submission's processes together (default 6)"
    )
    grade_cmd.add_argument("--max-disk", type=_positive(float), default=2.0, help="GiB of files a submission may write (default 2)")
    grade_cmd.add_argument(
        "--max-upload",
        type=_positive(float),
        default=50.0,
        help="MB an uploaded notebook, or the notebook in an uploaded zip, may be (default 50)",
    )
    grade_cmd.add_argument("--force", action="store_true", help="grade again submissions already graded")
    grade_cmd.add_argument("--seed", type=int, default=None, help="fix the grading-time challenge (to reproduce a grade)")
    grade_cmd.add_argument(
        "--no-sandbox",
        action="store_true",
        help="grade even where bubblewrap cannot run (recorded in every result; never for untrusted work)",
    )
    grade_cmd.add_argument(
        "--scheduler",
        help="grade on a Dask cluster: its scheduler's address (tcp://host:8786); every worker must pass mnist-kit doctor",
    )
    grade_cmd.add_argument(
        "--course", help="course.toml: due date, extensions, late policy and the roster (see docs/course.md); writes course.csv"
    )
    grade_cmd.add_argument(
        "--roster", help="the class list (Canvas gradebook export or plain CSV); every student gets one row in course.csv"
    )
    _add_all_feedback(grade_cmd)
    grade_cmd.set_defaults(run=_grade)


def _add_report_command(commands: Any) -> None:
    report_cmd = commands.add_parser("report", help="(re)write OUT/report.html from graded results")
    report_cmd.add_argument("out", help="a folder written by mnist-kit grade --out")
    report_cmd.set_defaults(run=_report)


def _add_similarity_command(commands: Any) -> None:
    similarity_cmd = commands.add_parser(
        "similarity", help="rank pairs of submissions whose graded functions share unusual code, for review"
    )
    similarity_cmd.add_argument("out", help="a folder written by mnist-kit grade --out (its submissions' files must still be there)")
    similarity_cmd.add_argument(
        "--jobs", type=_positive(int), default=os.cpu_count(), help="processes to fingerprint with (default: cores)"
    )
    similarity_cmd.set_defaults(run=_similarity)


def _add_export_command(commands: Any) -> None:
    export_cmd = commands.add_parser("export", help="write the course's grades for an LMS (after grade --roster or --course)")
    export_cmd.add_argument("format", choices=list(lms.FORMATS), help="; ".join(f"{f.name}: {f.help}" for f in lms.FORMATS.values()))
    export_cmd.add_argument("graded", help="a folder written by mnist-kit grade --out with a roster")
    export_cmd.add_argument("--out", required=True, help="the CSV file to write")
    export_cmd.add_argument("--roster", help="the Canvas gradebook export to write back into (default: the roster graded with)")
    export_cmd.add_argument(
        "--column", default="", help='the Canvas column, e.g. "MNIST (81234)" (default: from course.toml or the roster)'
    )
    export_cmd.set_defaults(run=_export)


def _add_doctor_command(commands: Any) -> None:
    doctor_cmd = commands.add_parser("doctor", help="check that this machine can grade safely: sandbox, budgets, pins, data")
    doctor_cmd.set_defaults(run=_doctor)


def _add_slurm_script_command(commands: Any) -> None:
    slurm_cmd = commands.add_parser("slurm-script", help="print a Slurm job script that starts one checked Dask worker of this kit")
    slurm_cmd.add_argument("scheduler", help="the Dask scheduler's address, tcp://host:8786")
    slurm_cmd.add_argument("--cores", type=_positive(int), default=2, help="cores per job; the worker grades that many at once (default 2)")
    slurm_cmd.add_argument("--memory", default="8GB", help="memory per job (default 8GB; a grading may use 6 GiB)")
    slurm_cmd.add_argument("--walltime", default="02:00:00", help="the job's time limit (default 02:00:00)")
    slurm_cmd.add_argument("--queue", help="the Slurm partition")
    slurm_cmd.add_argument("--python", help="the kit's interpreter on the cluster (default: this one)")
    slurm_cmd.add_argument("--sbatch", action="append", default=[], help="another #SBATCH option, e.g. --sbatch=--account=cs101")
    slurm_cmd.set_defaults(run=_slurm_script)


def _add_merge_command(commands: Any) -> None:
    merge_cmd = commands.add_parser("merge", help="combine folders graded on several machines")
    merge_cmd.add_argument("folders", nargs="+", help="folders written by mnist-kit grade --out")
    merge_cmd.add_argument("--out", required=True, help="the combined folder")
    _add_all_feedback(merge_cmd)
    merge_cmd.set_defaults(run=_merge)


def _add_mark_command(commands: Any) -> None:
    mark_cmd = commands.add_parser(
        "mark", help="mark a written question across the class on a local web page, by rubric (every mark saved as made)"
    )
    mark_cmd.add_argument("graded", help="a folder written by mnist-kit grade --out")
    mark_cmd.add_argument("--question", help="the written question (default: the assignment's only one)")
    mark_cmd.add_argument("--port", type=int, default=0, help="the port on 127.0.0.1 (default: any free one)")
    mark_cmd.set_defaults(run=_mark)


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    import_patches.lighten_scientific_imports()
    try:
        return args.run(args)
    except (
        build_module.BuildError,
        calibration.CalibrationError,
        reference_cost.CostError,
        InvalidSubmission,
        sandboxes.SandboxUnavailable,
        cluster.ClusterError,
        CourseError,
        QuestionError,  # a question unit that cannot load: one line naming its file
        UnitCodeError,  # a question unit's code that raised while grading: its file and line
        OSError,
        ValueError,
    ) as error:
        print(f"mnist-kit {args.command}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"mnist-kit {args.command}: interrupted; finished results are kept, rerun to resume", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
