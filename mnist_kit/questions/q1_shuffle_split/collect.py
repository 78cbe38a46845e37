"""q1 in the student's process: three calls of shuffle_split (a seed twice, another seed once)."""

PARTS = ("X_train", "X_test", "y_train", "y_test")


def collect(student, inputs):
    shuffle_split = student.function("shuffle_split")
    images, labels = inputs.arrays["X"], inputs.arrays["y"].astype(object)
    n_train, (seed, other_seed) = inputs.params["n_train"], inputs.params["seeds"]
    given_images, given_labels = images.copy(), labels.copy()
    calls = {
        "first": shuffle_split(given_images, given_labels, n_train=n_train, seed=seed),
        "repeat": shuffle_split(images.copy(), labels.copy(), n_train=n_train, seed=seed),
        "other_seed": shuffle_split(images.copy(), labels.copy(), n_train=n_train, seed=other_seed),
    }
    answers = {"X_after_call": given_images, "y_after_call": given_labels}
    for call, result in calls.items():
        if not isinstance(result, tuple) or len(result) != 4:
            raise TypeError(
                "shuffle_split must return a tuple of four arrays (X_train, X_test, y_train, y_test), "
                f"but it returned {type(result).__name__}"
            )
        answers.update({f"{call}_{part}": value for part, value in zip(PARTS, result)})
    return answers
