"""q1: split images and labels into a shuffled training part and an untouched test part.

Graded on synthetic tables whose first column numbers the rows, so the checker can tell which row
went where: a small one with more columns than rows and a fresh ``n_train`` and seeds for every
grading, and one the size of MNIST's (60,000 training rows and a few more), called with the
function's defaults, as the notebook calls it. Each table is split three times: with a seed, with
the same seed again, and with another seed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mnist_kit import spec
from mnist_kit.answers import AnswerSchema
from mnist_kit.inputs import InputSchema

if TYPE_CHECKING:
    from mnist_kit.inputs import DrawData

NAME = "q1"
POINTS = 2
FUNCTIONS = ("shuffle_split",)
DEFAULT_N_TRAIN, DEFAULT_SEED = spec.N_TRAIN, 42  # shuffle_split's defaults
TABLES = ("small", "large")
# Each table split with a seed, with the same seed again, and with another seed.
CALLS = ("small", "small_repeat", "small_other_seed", "large", "large_repeat", "large_other_seed")
PARTS = ("X_train", "X_test", "y_train", "y_test")
# The commonest mistakes (a case of sample_submissions/cases.py each): every one fails a public check.
COMMON_MISTAKES = {
    "wrong_no_shuffle": "no shuffle: the first rows as they come",
    "wrong_shuffles_X_not_y": "shuffles the images but not their labels with them",
    "wrong_shuffles_test_part": "shuffles the test part too",
    "wrong_split_index": "splits one row off the asked n_train",
    "wrong_split_hard_coded_size": "splits at 60,000 whatever n_train says",
    "wrong_modifies_inputs": "shuffles X and y in place",
    "wrong_shuffle_without_seed": "ignores the seed (np.random.permutation): two calls, two splits",
}
ANSWERS = AnswerSchema(
    NAME,
    parts={"call": CALLS, "part": PARTS, "table": TABLES},
    part="{call}_{part}",  # each part a call returned; each holds the call's failure if it raised
    # A table's arrays after its first call returned
    X_after_call="{table}_X_after_call",
    y_after_call="{table}_y_after_call",
)
# What draw() makes, read by the collector and the checks through this one declaration
INPUTS = InputSchema(NAME, arrays=("large_X", "large_y", "small_X", "small_y"), params=("large_other_seed", "small_n_train", "small_seeds"))


def _table(n_rows: int, n_columns: int, rng: np.random.Generator) -> np.ndarray:
    return np.column_stack([np.arange(n_rows), rng.normal(size=(n_rows, n_columns - 1))])


def draw(rng: np.random.Generator, fixed: np.random.Generator, data: DrawData) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    n_rows = int(rng.integers(40, 80))
    n_large = DEFAULT_N_TRAIN + int(rng.integers(100, 400))
    seeds = [int(s) for s in rng.choice(np.setdiff1d(np.arange(10_000), [DEFAULT_SEED]), size=3, replace=False)]
    arrays = {
        "small_X": _table(n_rows, n_rows + int(rng.integers(5, 30)), rng),  # more columns than rows
        "large_X": _table(n_large, 2, rng),
    }
    arrays.update({f"{size}_y": np.arange(len(arrays[f"{size}_X"])).astype(str) for size in ("small", "large")})
    params = {"small_n_train": int(rng.integers(n_rows // 3, 2 * n_rows // 3)), "small_seeds": seeds[:2], "large_other_seed": seeds[2]}
    return arrays, params
