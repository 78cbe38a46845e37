"""One-edit mutants of the reference functions: each a bug a student could make, and the question it must lose.

A mutant names the reference function it edits, a piece of that function's current source and
what replaces it; :func:`mutated_source` applies the edit to the reference of the day (in
``autograder/mnist.ipynb``, built from ``solution/mnist.py``) and fails, naming the mutant, when
the piece is no longer there, so the suite follows the solution as it changes. ``EQUIVALENT``
lists the mutants that are right work after all, with the reason: they must keep full marks.
"""

from dataclasses import dataclass

from .notebooks import REFERENCE_NOTEBOOK, _functions_by_name, _load

SOLUTION_START, SOLUTION_END = "# BEGIN SOLUTION NO PROMPT", "# END SOLUTION"
SPLIT = "order = np.random.default_rng(seed).permutation(n_train)"
SPLIT_RETURN = "return X_train, X[n_train:], y_train, y[n_train:]"
CAST = "return np.asarray(y).astype(np.int8)"
TARGET = "return np.asarray(y) == digit"
FIT = 'return LogisticRegression(tol=0.1, solver="lbfgs", max_iter=1000).fit(X, y_binary)'
ACCURACY = "return float(np.mean(clf.predict(X) == y))"
CROSS_VALIDATION = 'return cross_val_score(clf, X, y, cv=cv, scoring="accuracy", n_jobs=-1)'
SGD = 'return SGDClassifier(loss="log_loss", average=True, max_iter=1, tol=None, random_state=42, n_jobs=-1).fit(X, y)'
# A cross-validation by hand, as students write it, with the bug put in by each mutant below.
BY_HAND = """folds = np.array_split(np.random.default_rng(0).permutation(len(y)), cv)
    scores = []
    for k, test in enumerate(folds):
        train = np.concatenate([f for j, f in enumerate(folds) if j != k])
        model = clone(clf).fit(X[train], y[train])
        scores.append(np.mean(model.predict(X[test]) == y[test]))
    return np.array(scores)"""


@dataclass(frozen=True)
class Mutant:
    name: str
    function: str
    old: str
    new: str
    question: str


def _by_hand(old, new):
    return "from sklearn.base import clone\n    " + BY_HAND.replace(old, new)


MUTANTS = [
    # q1: shuffle_split
    Mutant("split_fixed_seed", "shuffle_split", "default_rng(seed)", "default_rng(42)", "q1"),
    Mutant("split_no_seed", "shuffle_split", "default_rng(seed)", "default_rng()", "q1"),
    Mutant("split_seed_plus_one", "shuffle_split", "default_rng(seed)", "default_rng(seed + 1)", "q1"),
    Mutant("split_hard_coded_size", "shuffle_split", "permutation(n_train)", "permutation(60000)", "q1"),
    Mutant("split_permutes_all_rows", "shuffle_split", "permutation(n_train)", "permutation(len(X))", "q1"),
    Mutant("split_labels_not_shuffled", "shuffle_split", "y[:n_train][order]", "y[:n_train]", "q1"),
    Mutant("split_images_not_shuffled", "shuffle_split", "X[:n_train][order]", "X[:n_train]", "q1"),
    Mutant("split_labels_other_shuffle", "shuffle_split", "y[:n_train][order]", "y[:n_train][order[::-1]]", "q1"),
    Mutant("split_index_by_order_only", "shuffle_split", "X[:n_train][order]", "X[order]", "q1"),
    Mutant("split_one_row_short", "shuffle_split", "permutation(n_train)", "permutation(n_train - 1)", "q1"),
    Mutant("split_columns", "shuffle_split", "X[:n_train][order]", "X[:, :n_train][order]", "q1"),
    Mutant("split_test_off_by_one", "shuffle_split", SPLIT_RETURN, "return X_train, X[n_train + 1:], y_train, y[n_train + 1:]", "q1"),
    Mutant("split_test_reversed", "shuffle_split", SPLIT_RETURN, "return X_train, X[n_train:][::-1], y_train, y[n_train:][::-1]", "q1"),
    Mutant("split_test_is_training", "shuffle_split", SPLIT_RETURN, "return X_train, X[:n_train], y_train, y[:n_train]", "q1"),
    Mutant("split_lists", "shuffle_split", SPLIT_RETURN, "return list(X_train), list(X[n_train:]), list(y_train), list(y[n_train:])", "q1"),
    Mutant(
        "split_in_place", "shuffle_split", SPLIT, f"{SPLIT}\n    X[:n_train] = X[:n_train][order]\n    order = np.arange(n_train)", "q1"
    ),
    # q2: cast_labels
    Mutant("cast_unsigned", "cast_labels", "np.int8", "np.uint8", "q2"),
    Mutant("cast_int64", "cast_labels", "np.int8", "np.int64", "q2"),
    Mutant("cast_float", "cast_labels", ".astype(np.int8)", ".astype(float)", "q2"),
    Mutant("cast_unique_inverse", "cast_labels", CAST, "return np.unique(y, return_inverse=True)[1].astype(np.int8)", "q2"),
    Mutant("cast_int16", "cast_labels", "np.int8", "np.int16", "q2"),
    Mutant("cast_list", "cast_labels", CAST, "return list(np.asarray(y).astype(np.int8))", "q2"),
    Mutant("cast_sorted", "cast_labels", CAST, "return np.sort(np.asarray(y).astype(np.int8))", "q2"),
    Mutant("cast_in_place", "cast_labels", CAST, "y[:] = np.asarray(y).astype(np.int8)\n    return y", "q2"),
    Mutant("cast_through_float", "cast_labels", ".astype(np.int8)", ".astype(float).astype(np.int8)", "q2"),
    Mutant("cast_asarray_dtype", "cast_labels", CAST, "return np.asarray(y, dtype=np.int8)", "q2"),
    # q3: make_binary_target
    Mutant("target_fixed_digit", "make_binary_target", "== digit", "== 2", "q3"),
    Mutant("target_negated", "make_binary_target", "== digit", "!= digit", "q3"),
    Mutant("target_ints", "make_binary_target", TARGET, "return (np.asarray(y) == digit).astype(int)", "q3"),
    Mutant("target_string_digit", "make_binary_target", "== digit", "== str(digit)", "q3"),
    Mutant("target_at_least", "make_binary_target", "== digit", ">= digit", "q3"),
    Mutant("target_reversed", "make_binary_target", TARGET, "return np.asarray(y)[::-1] == digit", "q3"),
    Mutant("target_list", "make_binary_target", TARGET, "return list(np.asarray(y) == digit)", "q3"),
    Mutant("target_in_place", "make_binary_target", TARGET, "y[:] = np.asarray(y) == digit\n    return y.astype(bool)", "q3"),
    Mutant("target_np_equal", "make_binary_target", TARGET, "return np.equal(y, digit)", "q3"),
    # q4: fit_binary_classifier
    Mutant("binary_prefix", "fit_binary_classifier", ".fit(X, y_binary)", ".fit(X[:1000], y_binary[:1000])", "q4"),
    Mutant("binary_first_half", "fit_binary_classifier", ".fit(X, y_binary)", ".fit(X[:30000], y_binary[:30000])", "q4"),
    Mutant("binary_tenth", "fit_binary_classifier", ".fit(X, y_binary)", ".fit(X[::10], y_binary[::10])", "q4"),
    Mutant("binary_one_iteration", "fit_binary_classifier", "max_iter=1000", "max_iter=1", "q4"),
    Mutant(
        "binary_hinge_sgd",
        "fit_binary_classifier",
        'LogisticRegression(tol=0.1, solver="lbfgs", max_iter=1000)',
        'SGDClassifier(loss="hinge", max_iter=2, tol=None, random_state=0)',
        "q4",
    ),
    Mutant("binary_int_target", "fit_binary_classifier", ".fit(X, y_binary)", ".fit(X, y_binary.astype(int))", "q4"),
    Mutant("binary_inverted_target", "fit_binary_classifier", ".fit(X, y_binary)", ".fit(X, ~y_binary)", "q4"),
    Mutant("binary_scaled", "fit_binary_classifier", ".fit(X, y_binary)", ".fit(X / 255, y_binary)", "q4"),
    Mutant("binary_scaled_in_place", "fit_binary_classifier", FIT, f"X /= 255.0\n    {FIT}", "q4"),
    Mutant("binary_unfitted", "fit_binary_classifier", ".fit(X, y_binary)", "", "q4"),
    Mutant("binary_loose_tolerance", "fit_binary_classifier", "tol=0.1", "tol=0.05", "q4"),
    # q5: accuracy
    Mutant("accuracy_wrong_ones", "accuracy", "== y", "!= y", "q5"),
    Mutant("accuracy_count", "accuracy", "np.mean", "np.sum", "q5"),
    Mutant("accuracy_percent", "accuracy", ACCURACY, "return 100 * float(np.mean(clf.predict(X) == y))", "q5"),
    Mutant("accuracy_threshold_probability", "accuracy", "clf.predict(X)", "(clf.predict_proba(X)[:, 1] > 0.5)", "q5"),
    Mutant("accuracy_rounded", "accuracy", ACCURACY, "return round(float(np.mean(clf.predict(X) == y)), 2)", "q5"),
    Mutant("accuracy_score_method", "accuracy", ACCURACY, "return clf.score(X, y)", "q5"),
    # q5: cross_val_accuracy
    Mutant("cv_ignores_cv", "cross_val_accuracy", "cv=cv", "cv=5", "q5"),
    Mutant("cv_fixed_three", "cross_val_accuracy", "cv=cv", "cv=3", "q5"),
    Mutant("cv_mean", "cross_val_accuracy", "n_jobs=-1)", "n_jobs=-1).mean()", "q5"),
    Mutant("cv_precision", "cross_val_accuracy", 'scoring="accuracy"', 'scoring="precision"', "q5"),
    Mutant("cv_part_of_rows", "cross_val_accuracy", "clf, X, y,", "clf, X[:1000], y[:1000],", "q5"),
    Mutant("cv_two_workers", "cross_val_accuracy", "n_jobs=-1", "n_jobs=2", "q5"),
    Mutant("cv_by_hand", "cross_val_accuracy", CROSS_VALIDATION, _by_hand("", ""), "q5"),
    Mutant(
        "cv_leaks_test_fold",
        "cross_val_accuracy",
        CROSS_VALIDATION,
        _by_hand("clone(clf).fit(X[train], y[train])", "clone(clf).fit(X, y)"),
        "q5",
    ),
    Mutant(
        "cv_wrong_fold",
        "cross_val_accuracy",
        CROSS_VALIDATION,
        _by_hand("predict(X[test]) == y[test]", "predict(X[folds[k - 1]]) == y[folds[k - 1]]"),
        "q5",
    ),
    Mutant(
        "cv_overlapping_folds",
        "cross_val_accuracy",
        CROSS_VALIDATION,
        _by_hand(
            "np.array_split(np.random.default_rng(0).permutation(len(y)), cv)",
            "[np.random.default_rng(k).choice(len(y), len(y) // cv, replace=False) for k in range(cv)]",
        ),
        "q5",
    ),
    Mutant(
        "cv_one_model",
        "cross_val_accuracy",
        CROSS_VALIDATION,
        _by_hand("model = clone(clf).fit(X[train], y[train])", "model = clone(clf).fit(X[folds[1]], y[folds[1]])"),
        "q5",
    ),
    Mutant("cv_constant", "cross_val_accuracy", CROSS_VALIDATION, "return np.full(cv, 0.98)", "q5"),
    # q6: fit_multiclass_classifier
    Mutant("digits_hinge", "fit_multiclass_classifier", 'loss="log_loss"', 'loss="hinge"', "q6"),
    Mutant(
        "digits_hinge_relabelled",
        "fit_multiclass_classifier",
        SGD,
        SGD.replace('loss="log_loss"', 'loss="hinge"') + '.set_params(loss="log_loss")',
        "q6",
    ),
    Mutant("digits_modified_huber", "fit_multiclass_classifier", 'loss="log_loss"', 'loss="modified_huber"', "q6"),
    Mutant("digits_tenth", "fit_multiclass_classifier", ".fit(X, y)", ".fit(X[::10], y[::10])", "q6"),
    Mutant("digits_prefix", "fit_multiclass_classifier", ".fit(X, y)", ".fit(X[:6000], y[:6000])", "q6"),
    Mutant("digits_binary_target", "fit_multiclass_classifier", ".fit(X, y)", ".fit(X, y == 2)", "q6"),
    Mutant("digits_unscaled", "fit_multiclass_classifier", ".fit(X, y)", ".fit(X * 255, y)", "q6"),
    Mutant("digits_shifted_labels", "fit_multiclass_classifier", ".fit(X, y)", ".fit(X, np.roll(y, 1))", "q6"),
    Mutant("digits_scaled_in_place", "fit_multiclass_classifier", SGD, f"X *= 2.0\n    {SGD}", "q6"),
    Mutant("digits_old_loss_name", "fit_multiclass_classifier", 'loss="log_loss"', 'loss="log"', "q6"),
    Mutant("digits_unseeded", "fit_multiclass_classifier", "random_state=42", "random_state=None", "q6"),
]

EQUIVALENT = {
    "split_seed_plus_one": "another seeded generator gives another shuffle, as reproducible and as seed-dependent",
    "split_index_by_order_only": "a permutation of range(n_train) picks exactly the first n_train rows, so X[order] is X[:n_train][order]",
    "cast_through_float": "digits 0-9 pass through float exactly",
    "cast_asarray_dtype": "np.asarray(y, dtype=np.int8) casts string labels alike",
    "target_np_equal": "np.equal(y, digit) is y == digit",
    "binary_loose_tolerance": "a tighter tolerance only fits longer",
    "accuracy_score_method": "a classifier's score is its accuracy",
    "cv_two_workers": "joblib's worker processes do the same folds; the grader's model records them from every process",
    "cv_by_hand": "shuffled folds by hand, each model fitted on the others: a right cross-validation",
    "digits_unseeded": "grading seeds the global generators, so an unseeded SGD fits the same each time",
}


def mutated_source(mutant, reference=None):
    """The mutant's version of its function: the reference's source with the edit applied once."""
    reference = reference or _functions_by_name(_load(REFERENCE_NOTEBOOK))
    source = reference[mutant.function]
    # Only the solution's code is edited, never the docstring or the stub's message.
    start = source.index(SOLUTION_START)
    end = source.index(SOLUTION_END, start)
    head, body, tail = source[:start], source[start:end], source[end:]
    if body.count(mutant.old) != 1:
        raise AssertionError(
            f"mutant {mutant.name}: {mutant.old!r} is not in the code of the reference's {mutant.function} "
            "exactly once; update it in sample_submissions/mutants.py to follow the solution"
        )
    return head + body.replace(mutant.old, mutant.new) + tail
