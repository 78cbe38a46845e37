"""The assignment's identity and settings, in one place.

Its name decides every file the kit writes for it; its questions (points, functions, thresholds)
are units in :mod:`mnist_kit.questions`; the data's layout and when students see which checks are
here.
"""

ASSIGNMENT = "mnist"
SOURCE = f"solution/{ASSIGNMENT}.py"  # the single source: reference notebook + public tests
NOTEBOOK = f"{ASSIGNMENT}.ipynb"
AUTOGRADER_ZIP = f"{ASSIGNMENT}-autograder.zip"
STUDENT_ZIP = f"{ASSIGNMENT}-student.zip"
STUDENT_ZIP_FOLDER = ASSIGNMENT  # students unzip one folder, not loose files
STUDENT_ACCOUNT = f"{ASSIGNMENT}-student"  # created by the Gradescope bundle's setup.sh
DATA_MODULE = f"{ASSIGNMENT}_data.py"  # the loader, as the notebook imports it
# What a grade depends on: pinned exactly in pyproject.toml, copied into the student release and
# the Gradescope bundle, and part of the regrade fingerprint.
GRADING_PACKAGES = ("numpy", "scikit-learn", "otter-grader", "matplotlib")

# The seed of the inputs every submission is graded on alike (the data the models are fitted on,
# the cross-validation folds' rows); each grading draws the rest from a seed of its own.
ASSIGNMENT_SEED = 20_260_101
N_TRAIN = 60_000
GRADER_PYTHON = (3, 11)  # the Python the grade runs on (Gradescope's bundle, the kit's venv): students may use newer ones
TARGET_DIGIT = 2
SHOWCASE_IMAGE = 36_001  # the tutorial's example: a '2'

# What students see on Gradescope, and when: for each kind of check, one of Gradescope's
# "visible" (at once), "after_due_date", "after_published" (when grades are published) or
# "hidden" (instructors only). A hidden check's message and its points follow its setting; the
# kit's own feedback files do too, unless the instructor asks for everything. Rebuild after a change.
VISIBILITY = {"public": "visible", "hidden": "after_due_date"}
VISIBILITY_CHOICES = ("visible", "after_due_date", "after_published", "hidden")
