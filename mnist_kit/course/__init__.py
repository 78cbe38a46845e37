"""The course around the grading: who each submission belongs to, when it was due, and the LMS.

- :mod:`~mnist_kit.course.roster` reads the class list (Canvas's gradebook export, or a plain CSV).
- :mod:`~mnist_kit.course.config` reads ``course.toml``: the due date, extensions, the course's files.
- :mod:`~mnist_kit.course.late` holds every rule of the late policy: reading it, pricing lateness, stating it.
- :mod:`~mnist_kit.course.matching` finds each submission's student from the names platforms give files.
- :mod:`~mnist_kit.course.gradescope_export` unpacks Gradescope's "Export Submissions" zip, with bounds.
- :mod:`~mnist_kit.course.gradebook` turns graded results into one row per student: raw score,
  instructor overrides, lateness, penalty and final score, recomputed from the raw score every time.
- :mod:`~mnist_kit.course.lms` writes what an LMS imports, one entry of its registry a format.
- :mod:`~mnist_kit.course.apply` ties a course to a graded folder (the plan read before grading, the gradebook after).

Nothing here grades: a course is applied to results, so a change of policy never needs a regrade.
"""


class CourseError(ValueError):
    """An instructor's course file, roster or override that cannot be used, said in one line naming the file and row."""
