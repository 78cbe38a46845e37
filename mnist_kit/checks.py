"""The authoritative checks: plain functions of the student's recorded answers.

Nothing here imports or runs student code. Each check receives arrays and numbers (loaded from
``.npz`` without pickle and from JSON) plus the challenge that produced them, and raises
:class:`CheckFailed` with a message for the student when the answer is wrong. Fitted models
arrive as their parameters; the checker rebuilds their predictions itself on its own copy of
the test images, so no number the student's code reports is ever trusted.
"""

import io
import json
import zipfile
from dataclasses import dataclass

import numpy as np

from . import spec

class CheckFailed(AssertionError):
    """A check's verdict: the answer is wrong, and the message says how to fix it."""


@dataclass(frozen=True)
class Context:
    """What the checks compare against: the challenge and the checker's own test images.

    The test images carry the challenge's pixel permutation, like the training images the
    student's functions were given.
    """

    arrays: dict
    params: dict
    test_images: np.ndarray
    test_digits: np.ndarray
    showcase_image: np.ndarray


@dataclass(frozen=True)
class CheckResult:
    question: str
    name: str
    passed: bool
    message: str
    hidden: bool


def _require(condition, message):
    if not condition:
        raise CheckFailed(message)


def _array(answers, key):
    return answers["arrays"][key], answers["descriptions"].get(key, {})


def _is_ndarray(description):
    return description.get("type") == "ndarray"


# ---- q1: shuffle_split --------------------------------------------------------------------------


def split_shapes(answers, context):
    arrays, params = context.arrays, context.params
    n_rows, n_train = len(arrays["q1_X"]), params["q1_n_train"]
    for part, rows in (("X_train", n_train), ("X_test", n_rows - n_train), ("y_train", n_train), ("y_test", n_rows - n_train)):
        value, description = _array(answers, f"first_{part}")
        _require(_is_ndarray(description), f"{part} should be a numpy array, not {description.get('type')}.")
        _require(
            len(value) == rows,
            f"{part} has {len(value)} rows but should have {rows}: the first n_train rows are for training, the rest for testing.",
        )


def split_keeps_pairs(answers, context):
    for part in ("train", "test"):
        images, _ = _array(answers, f"first_X_{part}")
        labels, _ = _array(answers, f"first_y_{part}")
        _require(
            images.ndim == 2 and np.array_equal(images[:, 0].astype(int).astype(str), labels.astype(str)),
            f"X_{part} and y_{part} are no longer paired: shuffle the images and the labels with the same permutation.",
        )


def split_test_untouched(answers, context):
    arrays, params = context.arrays, context.params
    expected = arrays["q1_X"][params["q1_n_train"] :]
    images, _ = _array(answers, "first_X_test")
    _require(
        np.array_equal(images, expected),
        "X_test should be the last rows of X, unchanged and in their original order; shuffle only the training part.",
    )


def split_uses_training_rows(answers, context):
    arrays, params = context.arrays, context.params
    images, _ = _array(answers, "first_X_train")
    expected_ids = np.arange(params["q1_n_train"])
    _require(
        images.ndim == 2 and np.array_equal(np.sort(images[:, 0]), expected_ids),
        "X_train should hold exactly the first n_train rows of X (in shuffled order), each once.",
    )


def split_is_shuffled(answers, context):
    images, _ = _array(answers, "first_X_train")
    _require(
        images.ndim == 2 and not np.array_equal(images[:, 0], np.sort(images[:, 0])),
        "X_train is still in its original order: shuffle the training rows with a random permutation.",
    )


def split_is_reproducible(answers, context):
    first, _ = _array(answers, "first_X_train")
    repeat, _ = _array(answers, "repeat_X_train")
    _require(
        np.array_equal(first, repeat),
        "Two calls with the same seed gave different training sets: draw the permutation from a generator seeded with seed.",
    )


def split_depends_on_seed(answers, context):
    first, _ = _array(answers, "first_X_train")
    other, _ = _array(answers, "other_seed_X_train")
    _require(
        not np.array_equal(first, other),
        "Two different seeds gave the same shuffle: use the seed argument rather than a fixed number.",
    )


def split_leaves_inputs_alone(answers, context):
    arrays = context.arrays
    images, _ = _array(answers, "X_after_call")
    labels, _ = _array(answers, "y_after_call")
    _require(
        np.array_equal(images, arrays["q1_X"]) and np.array_equal(labels.astype(str), arrays["q1_y"]),
        "shuffle_split changed the arrays it was given: index into them (X[permutation]) instead of shuffling in place.",
    )


# ---- q2: cast_labels ----------------------------------------------------------------------------


def cast_dtype(answers, context):
    cast, description = _array(answers, "cast")
    _require(_is_ndarray(description), f"cast_labels should return a numpy array, not {description.get('type')}.")
    _require(
        description.get("dtype") == np.dtype(np.int8).str,
        f"cast_labels returned dtype {_dtype_name(description)}: labels from OpenML are strings; cast them with astype(np.int8).",
    )


def cast_values(answers, context):
    arrays = context.arrays
    cast, _ = _array(answers, "cast")
    expected = arrays["q2_y"].astype(np.int8)
    _require(
        cast.shape == expected.shape and np.array_equal(cast.astype(np.int64), expected.astype(np.int64)),
        "cast_labels changed some labels' values: '7' must become 7, for every label, in the same order.",
    )


def _dtype_name(description):
    dtype = description.get("dtype")
    return "object" if dtype == "object" else str(np.dtype(dtype)) if dtype else "unknown"


# ---- q3: make_binary_target ---------------------------------------------------------------------


def binary_dtype(answers, context):
    for key in ("default_digit", "other_digit"):
        _, description = _array(answers, key)
        _require(_is_ndarray(description), f"make_binary_target should return a numpy array, not {description.get('type')}.")
        _require(
            description.get("dtype") == np.dtype(bool).str,
            f"make_binary_target returned dtype {_dtype_name(description)}: return the boolean array y == digit, not 0/1 numbers.",
        )


def binary_default_digit(answers, context):
    arrays = context.arrays
    target, _ = _array(answers, "default_digit")
    _require(
        np.array_equal(target, arrays["q3_y"] == spec.TARGET_DIGIT),
        f"make_binary_target(y) should be True exactly where y is {spec.TARGET_DIGIT}, the default digit.",
    )


def binary_other_digit(answers, context):
    arrays, params = context.arrays, context.params
    target, _ = _array(answers, "other_digit")
    _require(
        np.array_equal(target, arrays["q3_y"] == params["q3_digit"]),
        "make_binary_target(y, digit=d) should be True exactly where y is d: use the digit argument, not a fixed 2.",
    )


# ---- models (q4, q6) ----------------------------------------------------------------------------


def decision_function(parameters, images):
    """The linear scores ``images @ coef_.T + intercept_``, as scikit-learn computes them."""
    scores = images @ parameters["coef_"].T + parameters["intercept_"]
    return scores.ravel() if scores.shape[1] == 1 else scores


def predict(parameters, images):
    """Predicted classes from a linear model's parameters, without the model object."""
    scores = decision_function(parameters, images)
    classes = parameters["classes_"]
    return classes[(scores > 0).astype(int)] if scores.ndim == 1 else classes[scores.argmax(axis=1)]


def _model(answers):
    parameters = {name: answers["arrays"][f"model_{name}"] for name in ("coef_", "intercept_", "classes_")}
    return parameters, answers["descriptions"]["model"]


def _model_shapes_ok(parameters, n_features, n_classes):
    coef, intercept = parameters["coef_"], parameters["intercept_"]
    rows = 1 if n_classes == 2 else n_classes
    return coef.shape == (rows, n_features) and intercept.shape == (rows,) and np.all(np.isfinite(coef))


def binary_model_type(answers, context):
    parameters, description = _model(answers)
    _require(
        description["type"] == "LogisticRegression",
        f"fit_binary_classifier should return a fitted LogisticRegression, not {description['type']}.",
    )
    _require(
        [bool(c) for c in parameters["classes_"]] == [False, True] and _model_shapes_ok(parameters, 784, 2),
        "The model should be fitted on all 784 pixels with the boolean target (classes False and True).",
    )


def binary_model_quality(answers, context):
    test_images, test_digits = context.test_images, context.test_digits
    parameters, _ = _model(answers)
    _require(_model_shapes_ok(parameters, test_images.shape[1], 2), "The model's coefficients do not fit 784 pixels.")
    predicted = predict(parameters, test_images).astype(bool)
    truth = test_digits == spec.TARGET_DIGIT
    accuracy, recall = float(np.mean(predicted == truth)), float(predicted[truth].mean())
    _require(
        accuracy >= spec.THRESHOLDS["binary_accuracy"] and recall >= spec.THRESHOLDS["binary_recall"],
        f"On the test images the model scores accuracy {accuracy:.3f} and finds {recall:.0%} of the 2s; "
        f"it needs at least {spec.THRESHOLDS['binary_accuracy']} and {spec.THRESHOLDS['binary_recall']:.0%}. "
        "Fit on the training images it is given, all of them, until the solver converges.",
    )


def binary_model_showcase(answers, context):
    showcase_image = context.showcase_image
    parameters, _ = _model(answers)
    _require(
        _model_shapes_ok(parameters, showcase_image.shape[0], 2) and bool(predict(parameters, showcase_image[None, :])[0]),
        f"The model should say True for image {spec.SHOWCASE_IMAGE}, the 2 shown at the top of the notebook.",
    )


def multiclass_model_type(answers, context):
    parameters, description = _model(answers)
    _require(
        description["type"] == "SGDClassifier",
        f"fit_multiclass_classifier should return a fitted SGDClassifier, not {description['type']}.",
    )
    _require(
        description.get("loss") == "log_loss",
        f"The SGDClassifier uses loss={description.get('loss')!r}; logistic regression needs loss='log_loss'.",
    )
    _require(
        [int(c) for c in parameters["classes_"]] == list(range(10)) and _model_shapes_ok(parameters, 784, 10),
        "The model should know all ten digits: fit it on the digit labels 0-9, not on the binary target.",
    )


def multiclass_model_quality(answers, context):
    test_images, test_digits = context.test_images, context.test_digits
    parameters, _ = _model(answers)
    _require(_model_shapes_ok(parameters, test_images.shape[1], 10), "The model's coefficients do not fit 784 pixels and ten digits.")
    accuracy = float(np.mean(predict(parameters, test_images / 255.0).astype(int) == test_digits))
    _require(
        accuracy >= spec.THRESHOLDS["multiclass_accuracy"],
        f"On the scaled test images the model is right {accuracy:.3f} of the time; it needs at least "
        f"{spec.THRESHOLDS['multiclass_accuracy']}. Fit on the scaled pixels it is given, with loss='log_loss'.",
    )


# ---- q5: accuracy and cross_val_accuracy --------------------------------------------------------


def accuracy_value(answers, context):
    arrays, test_images, test_digits = context.arrays, context.test_images, context.test_digits
    value, description = _array(answers, "accuracy")
    _require(value.shape == () and np.issubdtype(value.dtype, np.number), f"accuracy should return one number, not {description.get('type')}.")
    rows = arrays["q5_rows"]
    model = {"coef_": arrays["q5_coef"], "intercept_": arrays["q5_intercept"], "classes_": np.array([False, True])}
    expected = float(np.mean(predict(model, test_images[rows]) == (test_digits[rows] == spec.TARGET_DIGIT)))
    _require(
        abs(float(value) - expected) < 1e-9,
        "accuracy returned a different share of correct predictions than the model achieves on the X and y it was given: "
        "predict on X and return the fraction (between 0 and 1) of predictions equal to y.",
    )


def cross_val_folds(answers, context):
    arrays, params = context.arrays, context.params
    folds, description = _array(answers, "fold_accuracies")
    cv = params["q5_cv"]
    _require(
        folds.ndim == 1 and folds.shape[0] == cv and np.issubdtype(folds.dtype, np.number),
        f"cross_val_accuracy(..., cv={cv}) should return {cv} fold accuracies as an array, not {_describe_shape(folds, description)}.",
    )
    n_rows = len(arrays["q5_cv_rows"])
    _require(
        all(_is_share_of_a_fold(accuracy, n_rows, cv) for accuracy in folds),
        "Each fold accuracy should be the share of correct predictions on one of the cv folds of the data it was given.",
    )


def _is_share_of_a_fold(accuracy, n_rows, cv):
    """True if ``accuracy`` is (correct / fold size) for a plausible fold size of ``n_rows`` split ``cv`` ways."""
    typical = n_rows // cv
    for size in range(typical - 12, typical + 13):
        correct = accuracy * size
        if 0 <= accuracy <= 1 and abs(correct - round(correct)) < 1e-6:
            return True
    return False


def _describe_shape(value, description):
    return f"a {description.get('type')} of shape {value.shape}"


def cross_val_level(answers, context):
    folds, _ = _array(answers, "fold_accuracies")
    _require(folds.ndim == 1 and folds.size > 0, "cross_val_accuracy returned no fold accuracies.")
    mean = float(np.mean(folds))
    _require(
        mean >= spec.THRESHOLDS["cross_val_mean"],
        f"The folds average {mean:.3f}; the logistic model the grader passes in detects 2s with at least "
        f"{spec.THRESHOLDS['cross_val_mean']}. Fit a fresh copy of the model passed in on each training fold.",
    )


# ---- the registry -------------------------------------------------------------------------------

# (question, check, hidden): hidden checks' messages are shown, their code never is
CHECKS = [
    ("q1", split_shapes, False),
    ("q1", split_keeps_pairs, True),
    ("q1", split_test_untouched, True),
    ("q1", split_uses_training_rows, True),
    ("q1", split_is_shuffled, True),
    ("q1", split_is_reproducible, True),
    ("q1", split_depends_on_seed, True),
    ("q1", split_leaves_inputs_alone, True),
    ("q2", cast_dtype, False),
    ("q2", cast_values, True),
    ("q3", binary_dtype, False),
    ("q3", binary_default_digit, False),
    ("q3", binary_other_digit, True),
    ("q4", binary_model_type, False),
    ("q4", binary_model_quality, True),
    ("q4", binary_model_showcase, True),
    ("q5", accuracy_value, True),
    ("q5", cross_val_folds, False),
    ("q5", cross_val_level, True),
    ("q6", multiclass_model_type, False),
    ("q6", multiclass_model_quality, True),
]


MAX_ANSWER_ARRAY_BYTES = 2 * 2**30


def load_answers(record, arrays):
    """Parse one question's answers from the bytes the student's process wrote.

    Parameters
    ----------
    record : bytes
        The question's JSON record: an error message, or a description of each answer.
    arrays : bytes or None
        The question's ``.npz``; never unpickled, and refused if it would unpack to more than
        ``MAX_ANSWER_ARRAY_BYTES``.

    Returns
    -------
    answers : dict or None
        ``{"arrays": ..., "descriptions": ...}``, or None when there is an error.
    error : str or None
        Why the question has no answers, in one line.
    """
    try:
        parsed = json.loads(record)
        if not isinstance(parsed, dict):
            raise ValueError("not an object")
    except ValueError:
        return None, "the recorded answer is not valid JSON (did the notebook write into answers/?)"
    if parsed.get("error"):
        return None, str(parsed["error"])[:500]
    descriptions = parsed.get("answers") if isinstance(parsed.get("answers"), dict) else {}
    try:
        with zipfile.ZipFile(io.BytesIO(arrays or b"")) as archive:
            if sum(member.file_size for member in archive.infolist()) > MAX_ANSWER_ARRAY_BYTES:
                return None, "the recorded answer is larger than any correct answer could be"
        with np.load(io.BytesIO(arrays), allow_pickle=False) as stored:
            loaded = {key: stored[key] for key in stored.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return None, "the recorded answer's arrays are missing or damaged (did the notebook write into answers/?)"
    return {"arrays": loaded, "descriptions": descriptions}, None


def run_checks(question, answers, context):
    """Run every check of ``question`` on its answers and return the :class:`CheckResult` list."""
    results = []
    for owner, check, hidden in CHECKS:
        if owner != question:
            continue
        try:
            check(answers, context)
        except CheckFailed as failure:
            results.append(CheckResult(question, check.__name__, False, str(failure), hidden))
        except (KeyError, ValueError, TypeError, IndexError) as error:
            # Missing or malformed answers (wrong shapes, wrong types) are the student's, not the checker's.
            results.append(CheckResult(question, check.__name__, False, _malformed_message(check, error), hidden))
        else:
            results.append(CheckResult(question, check.__name__, True, "", hidden))
    return results


def _malformed_message(check, error):
    return f"The answer could not be checked ({check.__name__}): it has an unexpected shape or type ({type(error).__name__})."
