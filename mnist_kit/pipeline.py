"""A class from submissions to what people read: grade, then write each feedback file and the report.

Grading (:mod:`mnist_kit.batch`) knows nothing of presentation; this module joins the two, as the
command line does and as tests call it.
"""

from collections.abc import Callable, Iterable
from pathlib import Path

from . import batch, feedback, report
from .course import apply as course_apply
from .course.gradebook import CourseGradebook
from .files import GradedFolder
from .history import regrade_changes
from .marking import mark_books, with_marks
from .options import GradingOptions
from .results import Result
from .results_folder import load_results, merge


def grade_class(
    inputs: Iterable[Path | str],
    folder: GradedFolder,
    options: GradingOptions = batch.DEFAULT_OPTIONS,
    progress: Callable[..., object] | None = None,
) -> list[Result]:
    """Grade ``inputs`` into ``folder`` (:func:`mnist_kit.batch.grade_many`): each feedback file as its result comes, then the report.

    The report is written even when the grader failed on some files (:class:`~mnist_kit.batch.GraderError`,
    raised after it), so every other row, feedback and the report stand.

    Examples
    --------
    >>> results = grade_class(["submissions/"], GradedFolder("graded"), GradingOptions(jobs=2))  # doctest: +SKIP
    >>> [(r.submission, r.total) for r in results]  # doctest: +SKIP
    [('ann', 10.0), ('bob', 7.5)]
    """

    def write_feedback(result: Result) -> None:
        feedback.write_feedback(folder, result, options.all_feedback)

    try:
        results = batch.grade_many(inputs, folder, options, progress, on_result=write_feedback)
    except batch.GraderError:
        write_class_report(folder)
        raise
    write_class_report(folder)
    return results


def grade_course(
    plan: course_apply.CoursePlan,
    inputs: list[Path],
    results: list[Result],
    folder: GradedFolder,
    exports: course_apply.Exports | None = None,
    all_feedback: bool = False,
) -> tuple[CourseGradebook, list[str]]:
    """Match graded ``results`` to the course's students (:func:`mnist_kit.course.apply.apply_course`), then write each
    student's feedback and the report with its course section.

    Returns the course gradebook and one line per thing an instructor should know.
    """
    books = mark_books(folder)
    marked = [with_marks(result, books) for result in results]  # written points count once marked
    gradebook, notes = course_apply.apply_course(plan, inputs, marked, folder, exports)
    feedback.write_student_feedback(folder, gradebook, {r.submission: r for r in marked}, all_feedback)
    waiting = sum(1 for row in gradebook.rows if row.to_mark)
    if waiting:
        notes.append(f"{waiting} student(s) have written answers still to mark or review (counted as 0 until marked): mnist-kit mark")
    write_class_report(folder)
    return gradebook, notes


def write_class_report(folder: GradedFolder) -> Path:
    """(Re)write ``folder``'s report from its stored results and regrade history; return its path."""
    return report.write_report(folder, load_results(folder), regrade_changes(folder))


def merge_folders(sources: list[GradedFolder], folder: GradedFolder, all_feedback: bool = False) -> Path:
    """Combine graded folders into ``folder`` (:func:`mnist_kit.results_folder.merge`), then write feedback and report.

    Returns the report's path.
    """
    results = merge(sources, folder)
    return report.publish(folder, results, regrade_changes(folder), all_feedback)
