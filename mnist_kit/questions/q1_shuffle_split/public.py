"""q1's public checks: the split's shapes, its pairs, its test part, its order, its seed, and the inputs left alone.

Shipped with the student release: ``grader.check`` runs these very checks in the notebook (on
inputs of its own, see :mod:`mnist_kit.notebook`), and the grade runs them on the grading-time inputs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mnist_kit.checks import CheckFailed, Usable, answer, changed, left_alone, public, require

from . import ANSWERS, CALLS, DEFAULT_N_TRAIN, PARTS, TABLES

if TYPE_CHECKING:
    from mnist_kit.checks import Answers
    from mnist_kit.inputs import Inputs


def _table(call: str) -> str:
    return call.split("_")[0]


def expected_rows(inputs: Inputs, call: str) -> tuple[int, int]:
    n_rows = len(inputs.arrays[f"{_table(call)}_X"])
    n_train = inputs.params["small_n_train"] if _table(call) == "small" else DEFAULT_N_TRAIN
    return n_train, n_rows - n_train


def _parts(answers: Answers, call: str) -> dict[str, np.ndarray]:
    return {part: answer(answers, ANSWERS.part(call=call, part=part), part) for part in PARTS}


def returned_calls(answers: Answers) -> dict[str, dict[str, np.ndarray]]:
    """The calls that returned four arrays, as {call: parts}; fails when none did."""
    returned: dict = {}
    first_problem: CheckFailed | None = None
    for call in CALLS:
        try:
            returned[call] = _parts(answers, call)
        except CheckFailed as problem:
            first_problem = first_problem or problem
    if not returned:
        raise first_problem or CheckFailed("shuffle_split returned nothing on either table")
    return returned


def split_is_a_split(answers: Answers, inputs: Inputs) -> None:
    """Usable: every call that returned split X's rows, each row once, into X_train and X_test (with as many labels)."""
    for call, parts in returned_calls(answers).items():
        table = inputs.arrays[f"{_table(call)}_X"]
        images = [parts["X_train"], parts["X_test"]]
        require(
            all(part.ndim == 2 and part.shape[1] == table.shape[1] for part in images)
            and all(parts[f"y_{part}"].ndim == 1 and len(parts[f"y_{part}"]) == len(parts[f"X_{part}"]) for part in ("train", "test"))
            and np.array_equal(np.sort(np.concatenate([part[:, 0] for part in images])), np.arange(len(table))),
            "shuffle_split should split the rows of X: X_train and X_test together hold every row of X exactly once, "
            "and y_train and y_test one label for each.",
        )


SPLIT = Usable("shuffle_split", split_is_a_split)


def split_shapes(answers: Answers, inputs: Inputs) -> None:
    for call in CALLS:
        parts = _parts(answers, call)
        n_train, n_test = expected_rows(inputs, call)
        n_columns = inputs.arrays[f"{_table(call)}_X"].shape[1]
        for part, rows in (("X_train", n_train), ("X_test", n_test), ("y_train", n_train), ("y_test", n_test)):
            value = parts[part]
            require(
                value.ndim >= 1 and len(value) == rows,
                f"{part} has {len(value) if value.ndim else 0} rows but should have {rows}: the first n_train rows are for "
                f"training, the rest for testing (split the rows, not the columns, and use n_train, not a fixed size).",
            )
            require(
                part[0] == "y" or (value.ndim == 2 and value.shape[1] == n_columns),
                f"{part} should keep all {n_columns} columns of X; it has shape {value.shape}.",
            )


def split_keeps_pairs(answers: Answers, inputs: Inputs) -> None:
    for parts in returned_calls(answers).values():
        for part in ("train", "test"):
            images, labels = parts[f"X_{part}"], parts[f"y_{part}"]
            require(
                images.ndim == 2
                and len(images) == len(labels)
                and np.array_equal(images[:, 0].astype(int).astype(str), labels.astype(str)),
                f"X_{part} and y_{part} are no longer paired: shuffle the images and the labels with the same permutation.",
            )


def split_test_untouched(answers: Answers, inputs: Inputs) -> None:
    for call, parts in returned_calls(answers).items():
        expected = inputs.arrays[f"{_table(call)}_X"][expected_rows(inputs, call)[0] :]
        require(
            np.array_equal(parts["X_test"], expected),
            "X_test should be the last rows of X, unchanged and in their original order; shuffle only the training part.",
        )


def split_is_shuffled(answers: Answers, inputs: Inputs) -> None:
    for parts in returned_calls(answers).values():
        ids = parts["X_train"][:, 0] if parts["X_train"].ndim == 2 else parts["X_train"]
        require(
            not np.array_equal(ids, np.sort(ids)),
            "X_train is in the same order as the rows of X: shuffle the training rows with a random permutation.",
        )


def split_leaves_inputs_alone(answers: Answers, inputs: Inputs) -> None:
    checked, first_problem = 0, None  # the first problem: both tables have one when none was checked
    for table in TABLES:
        try:  # judged on the tables whose first call returned, like every other property
            images, labels = answer(answers, ANSWERS.X_after_call(table=table)), answer(answers, ANSWERS.y_after_call(table=table))
        except CheckFailed as problem:
            first_problem = first_problem or problem
            continue
        checked += 1
        left_alone(
            "shuffle_split",
            "index into them (X[permutation]) instead of shuffling in place.",
            (images, inputs.arrays[f"{table}_X"]),
            (labels.astype(str), inputs.arrays[f"{table}_y"]),
        )
    if not checked:
        raise first_problem or CheckFailed("shuffle_split returned nothing on either table")


def compared_pairs(answers: Answers, suffix: str, same: bool, message: str) -> None:
    returned = returned_calls(answers)
    pairs = [(table, f"{table}_{suffix}") for table in TABLES if table in returned and f"{table}_{suffix}" in returned]
    require(pairs, message)
    for first, second in pairs:
        require(np.array_equal(returned[first]["X_train"], returned[second]["X_train"]) == same, message)


def split_is_reproducible(answers: Answers, inputs: Inputs) -> None:
    compared_pairs(
        answers,
        "repeat",
        True,
        "Two calls with the same seed gave different training sets, so the seed is not used: draw the permutation from a "
        "generator made with it, np.random.default_rng(seed).permutation(n_train).",
    )


CHECKS = [
    public(split_shapes, defect=changed(ANSWERS.part(call="small", part="X_train"), lambda rows: rows[:-1]), needs=SPLIT),
    # Mixing up images and labels ruins every later question: it weighs more than a wrong size.
    public(
        split_keeps_pairs,
        defect=changed(ANSWERS.part(call="large", part="y_train"), lambda labels: np.roll(labels, 1)),
        weight=2,
        needs=SPLIT,
    ),
    public(split_test_untouched, defect=changed(ANSWERS.part(call="small", part="X_test"), lambda rows: rows[::-1]), needs=SPLIT),
    public(
        split_is_shuffled,
        defect=changed(ANSWERS.part(call="large", part="X_train"), lambda rows: rows[np.argsort(rows[:, 0])]),
        needs=SPLIT,
    ),
    # Ignoring the seed is the commonest mistake here; two calls with one seed show it, no hidden input needed.
    public(
        split_is_reproducible,
        defect=changed(ANSWERS.part(call="small_repeat", part="X_train"), lambda rows: np.roll(rows, 1, axis=0)),
        needs=SPLIT,
    ),
    public(
        split_leaves_inputs_alone, defect=changed(ANSWERS.X_after_call(table="small"), lambda rows: np.roll(rows, 1, axis=0)), needs=SPLIT
    ),
]
