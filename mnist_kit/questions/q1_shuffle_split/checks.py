"""q1's checks: the split's shapes, pairing, order, reproducibility, and the inputs left alone."""

import numpy as np

from mnist_kit.checks import answer, changed, hidden, is_ndarray, public, require


def split_shapes(answers, inputs):
    n_rows, n_train = len(inputs.arrays["X"]), inputs.params["n_train"]
    for part, rows in (("X_train", n_train), ("X_test", n_rows - n_train), ("y_train", n_train), ("y_test", n_rows - n_train)):
        value, description = answer(answers, f"first_{part}")
        require(is_ndarray(description), f"{part} should be a numpy array, not {description.get('type')}.")
        require(
            len(value) == rows,
            f"{part} has {len(value)} rows but should have {rows}: the first n_train rows are for training, the rest for testing.",
        )


def split_keeps_pairs(answers, inputs):
    for part in ("train", "test"):
        images, _ = answer(answers, f"first_X_{part}")
        labels, _ = answer(answers, f"first_y_{part}")
        require(
            images.ndim == 2 and np.array_equal(images[:, 0].astype(int).astype(str), labels.astype(str)),
            f"X_{part} and y_{part} are no longer paired: shuffle the images and the labels with the same permutation.",
        )


def split_test_untouched(answers, inputs):
    expected = inputs.arrays["X"][inputs.params["n_train"] :]
    images, _ = answer(answers, "first_X_test")
    require(
        np.array_equal(images, expected),
        "X_test should be the last rows of X, unchanged and in their original order; shuffle only the training part.",
    )


def split_uses_training_rows(answers, inputs):
    images, _ = answer(answers, "first_X_train")
    expected_ids = np.arange(inputs.params["n_train"])
    require(
        images.ndim == 2 and np.array_equal(np.sort(images[:, 0]), expected_ids),
        "X_train should hold exactly the first n_train rows of X (in shuffled order), each once.",
    )


def split_is_shuffled(answers, inputs):
    images, _ = answer(answers, "first_X_train")
    require(
        images.ndim == 2 and not np.array_equal(images[:, 0], np.sort(images[:, 0])),
        "X_train is still in its original order: shuffle the training rows with a random permutation.",
    )


def split_is_reproducible(answers, inputs):
    first, _ = answer(answers, "first_X_train")
    repeat, _ = answer(answers, "repeat_X_train")
    require(
        np.array_equal(first, repeat),
        "Two calls with the same seed gave different training sets: draw the permutation from a generator seeded with seed.",
    )


def split_depends_on_seed(answers, inputs):
    first, _ = answer(answers, "first_X_train")
    other, _ = answer(answers, "other_seed_X_train")
    require(
        not np.array_equal(first, other),
        "Two different seeds gave the same shuffle: use the seed argument rather than a fixed number.",
    )


def split_leaves_inputs_alone(answers, inputs):
    images, _ = answer(answers, "X_after_call")
    labels, _ = answer(answers, "y_after_call")
    require(
        np.array_equal(images, inputs.arrays["X"]) and np.array_equal(labels.astype(str), inputs.arrays["y"]),
        "shuffle_split changed the arrays it was given: index into them (X[permutation]) instead of shuffling in place.",
    )


CHECKS = [
    public(split_shapes, defect=changed("first_X_train", lambda rows: rows[:-1])),
    hidden(split_keeps_pairs, defect=changed("first_y_train", lambda labels: np.roll(labels, 1))),
    hidden(split_test_untouched, defect=changed("first_X_test", lambda rows: rows[::-1])),
    hidden(split_uses_training_rows, defect=changed("first_X_train", lambda rows: rows + 1)),
    hidden(split_is_shuffled, defect=changed("first_X_train", lambda rows: rows[np.argsort(rows[:, 0])])),
    hidden(split_is_reproducible, defect=changed("repeat_X_train", lambda rows: np.roll(rows, 1, axis=0))),
    hidden(split_depends_on_seed, defect=lambda answers: answers["arrays"].update(other_seed_X_train=answers["arrays"]["first_X_train"])),
    hidden(split_leaves_inputs_alone, defect=changed("X_after_call", lambda rows: np.roll(rows, 1, axis=0))),
]
