"""q1 in the student's process: shuffle_split three times on each table, and the tables after the first call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mnist_kit.answers import Failure, if_returned

from . import ANSWERS, PARTS

if TYPE_CHECKING:
    from mnist_kit.answers import Student
    from mnist_kit.inputs import Inputs


def calls(inputs: Inputs) -> dict[str, tuple[str, dict[str, Any], str]]:
    """Each call's name, keyword arguments, and the words that name its input in a message."""
    arrays, params = inputs.arrays, inputs.params
    n_rows, n_columns = arrays["small_X"].shape
    n_train, (seed, other_seed) = params["small_n_train"], params["small_seeds"]
    small = f"on a table of {n_rows} rows and {n_columns} columns with n_train={n_train}"
    large = f"on a table of {len(arrays['large_X']):,} rows"
    return {
        "small": ("small", {"n_train": n_train, "seed": seed}, f"{small}, seed={seed}"),
        "small_repeat": ("small", {"n_train": n_train, "seed": seed}, f"{small}, seed={seed} (a second time)"),
        "small_other_seed": ("small", {"n_train": n_train, "seed": other_seed}, f"{small}, seed={other_seed}"),
        "large": ("large", {}, f"{large} with the default n_train and seed"),
        "large_repeat": ("large", {}, f"{large} with the default n_train and seed (a second time)"),
        "large_other_seed": ("large", {"seed": params["large_other_seed"]}, f"{large}, seed={params['large_other_seed']}"),
    }


def collect(student: Student, inputs: Inputs) -> dict[str, Any]:
    answers = {}
    for call, (table, keywords, on) in calls(inputs).items():
        images, labels = inputs.arrays[f"{table}_X"].copy(), inputs.arrays[f"{table}_y"].astype(object)
        result = student.call("shuffle_split", images, labels, on=on, **keywords)
        if call == table:  # what the first call left of its arguments
            answers[ANSWERS.X_after_call(table=table)] = if_returned(result, images)
            answers[ANSWERS.y_after_call(table=table)] = if_returned(result, labels)
        if not isinstance(result, Failure) and not (isinstance(result, tuple) and len(result) == 4):
            result = Failure(f"{on}, shuffle_split returned a {type(result).__name__}, not the tuple (X_train, X_test, y_train, y_test)")
        parts = [result] * len(PARTS) if isinstance(result, Failure) else result
        answers.update({ANSWERS.part(call=call, part=part): value for part, value in zip(PARTS, parts, strict=True)})
    return answers
