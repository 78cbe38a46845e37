"""The assignment's contract in one place: questions, their points, and the grading thresholds.

The notebook, the checks, the gradebook columns and the README all follow this file.
"""

QUESTIONS = {
    "q1": {"points": 2, "functions": ["shuffle_split"]},
    "q2": {"points": 1, "functions": ["cast_labels"]},
    "q3": {"points": 1, "functions": ["make_binary_target"]},
    "q4": {"points": 2, "functions": ["fit_binary_classifier"]},
    "q5": {"points": 2, "functions": ["accuracy", "cross_val_accuracy"]},
    "q6": {"points": 2, "functions": ["fit_multiclass_classifier"]},
}
TOTAL_POINTS = sum(question["points"] for question in QUESTIONS.values())

# Measured by the checker itself on the 10,000 test images (or the training folds), never
# taken from a number the student's code reports.
THRESHOLDS = {
    "binary_accuracy": 0.97,  # always answering "not a 2" already scores 0.897
    "binary_recall": 0.80,  # share of the test 2s the binary model finds
    "cross_val_mean": 0.97,
    "multiclass_accuracy": 0.88,
}

N_TRAIN = 60_000
TARGET_DIGIT = 2
SHOWCASE_IMAGE = 36_001  # the tutorial's example: a '2'

# What students see on Gradescope, and when: for each kind of check, one of Gradescope's
# "visible" (at once), "after_due_date", "after_published" (when grades are published) or
# "hidden" (instructors only). A hidden check's message and its points follow its setting; the
# kit's own feedback files do too, unless the instructor asks for everything. Rebuild after a change.
VISIBILITY = {"public": "visible", "hidden": "after_due_date"}
VISIBILITY_CHOICES = ("visible", "after_due_date", "after_published", "hidden")
