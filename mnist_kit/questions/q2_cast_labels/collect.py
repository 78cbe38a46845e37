"""q2 in the student's process: one call of cast_labels on string labels, as OpenML gives them."""

from mnist_kit.answers import if_returned

from . import ANSWERS


def collect(student, inputs):
    labels = inputs.arrays["y"].astype(object)
    cast = student.call("cast_labels", labels, on=f"on {len(labels)} string labels")
    return {ANSWERS.cast(): cast, ANSWERS.y_after_call(): if_returned(cast, labels)}
