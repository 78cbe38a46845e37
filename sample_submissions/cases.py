"""The submissions the grader must judge correctly, each with its expected verdict.

To add a case: append a ``Case`` to the right list with the functions written your way (every
function you leave out gets the reference answer), the questions it must lose points on in
``fails``, and its ``status`` if it is not ``graded``. ``tests/test_verdicts.py`` picks it up.
"""

from .notebooks import UNANSWERED, Case

RIGHT = [
    Case(
        "right_sklearn_shuffle",
        functions={
            "shuffle_split": """
        def shuffle_split(X, y, n_train=60000, seed=42):
            from sklearn.utils import shuffle
            X_train, y_train = shuffle(X[:n_train], y[:n_train], random_state=seed)
            return X_train, X[n_train:], y_train, y[n_train:]
        """,
            "cast_labels": """
        def cast_labels(y):
            return np.asarray(y, dtype=np.int8)
        """,
        },
    ),
    Case(
        "right_randomstate_and_int_cast",
        functions={
            "shuffle_split": """
        def shuffle_split(X, y, n_train=60000, seed=42):
            order = np.random.RandomState(seed).permutation(n_train)
            train_images, train_labels = X[:n_train], y[:n_train]
            return train_images[order], X[n_train:].copy(), train_labels[order], y[n_train:].copy()
        """,
            "cast_labels": """
        def cast_labels(y):
            return y.astype(int).astype(np.int8)
        """,
        },
    ),
    Case(
        "right_np_equal_and_tuned_logistic",
        functions={
            "make_binary_target": """
        def make_binary_target(y, digit=2):
            return np.equal(y, digit)
        """,
            "fit_binary_classifier": """
        def fit_binary_classifier(X, y_binary):
            model = LogisticRegression(C=0.5, tol=0.05, solver="lbfgs", max_iter=500)
            model.fit(X, y_binary)
            return model
        """,
        },
    ),
    Case(
        "right_accuracy_by_hand_stratified_folds",
        functions={
            "accuracy": """
        def accuracy(clf, X, y):
            predictions = clf.predict(X)
            return (predictions == y).sum() / len(y)
        """,
            "cross_val_accuracy": """
        def cross_val_accuracy(clf, X, y, cv=5):
            from sklearn.base import clone
            from sklearn.model_selection import StratifiedKFold
            scores = []
            for train, test in StratifiedKFold(n_splits=cv).split(X, y):
                model = clone(clf).fit(X[train], y[train])
                scores.append(np.mean(model.predict(X[test]) == y[test]))
            return np.array(scores)
        """,
        },
    ),
    Case(
        "right_shuffled_kfold",
        functions={
            "cross_val_accuracy": """
        def cross_val_accuracy(clf, X, y, cv=5):
            from sklearn.model_selection import KFold
            return cross_val_score(clf, X, y, cv=KFold(n_splits=cv, shuffle=True, random_state=0))
        """,
            "accuracy": """
        def accuracy(clf, X, y):
            return clf.score(X, y)
        """,
        },
    ),
    Case(
        "right_sgd_other_settings",
        functions={
            "fit_multiclass_classifier": """
        def fit_multiclass_classifier(X, y):
            model = SGDClassifier(loss="log_loss", alpha=5e-5, learning_rate="adaptive", eta0=0.01, max_iter=2, tol=None, random_state=7)
            return model.fit(X, y)
        """
        },
    ),
    # No random_state anywhere: grading seeds the global generators, so it fits alike every time.
    Case(
        "right_unseeded_sgd",
        functions={
            "fit_multiclass_classifier": """
        def fit_multiclass_classifier(X, y):
            return SGDClassifier(loss="log_loss", average=True, max_iter=1, tol=None).fit(X, y)
        """,
            "shuffle_split": """
        def shuffle_split(X, y, n_train=60000, seed=42):
            order = np.random.RandomState(seed).permutation(n_train)
            return X[:n_train][order], X[n_train:], y[:n_train][order], y[n_train:]
        """,
        },
    ),
    Case(
        "right_helpers_and_constants",
        cells=[
            """
        DEFAULT_DIGIT = 2  # a student's own constant, used below

        def _permutation(n, seed):
            return np.random.default_rng(seed).permutation(n)
        """
        ],
        functions={
            "shuffle_split": """
        def shuffle_split(X, y, n_train=60000, seed=42):
            order = _permutation(n_train, seed)
            return X[:n_train][order], X[n_train:], y[:n_train][order], y[n_train:]
        """,
            "make_binary_target": """
        def make_binary_target(y, digit=DEFAULT_DIGIT):
            return y == digit
        """,
        },
    ),
    # Trained in many steps: every solve is recorded, not the first few.
    Case(
        "right_sgd_partial_fit_minibatches",
        functions={
            "fit_multiclass_classifier": """
        def fit_multiclass_classifier(X, y):
            model = SGDClassifier(loss="log_loss", average=True, random_state=0)
            for start in range(0, len(y), 10_000):  # one epoch, in six mini-batches
                model.partial_fit(X[start:start + 10_000], y[start:start + 10_000], classes=np.arange(10))
            return model
        """
        },
    ),
    Case(
        "right_sgd_warm_start_epochs",
        functions={
            "fit_multiclass_classifier": """
        def fit_multiclass_classifier(X, y):
            model = SGDClassifier(loss="log_loss", average=True, warm_start=True, max_iter=1, tol=None, random_state=0)
            model.fit(X[:500], y[:500])  # a quick first look, then whole epochs that continue from it
            for epoch in range(2):
                model.fit(X, y)
            return model
        """
        },
    ),
    Case(
        "right_sgd_early_stopping_threads_verbose",
        functions={
            "fit_multiclass_classifier": """
        def fit_multiclass_classifier(X, y):
            model = SGDClassifier(loss="log_loss", average=True, early_stopping=True, n_iter_no_change=1, random_state=0)
            return model.set_params(n_jobs=2, verbose=1).fit(X, y)
        """,
            "cross_val_accuracy": """
        def cross_val_accuracy(clf, X, y, cv=5):
            return cross_val_score(clf, X, y, cv=cv, n_jobs=2)
        """,
        },
    ),
]

# Wrong work that, graded by a checker that believed what the student's process says of its
# answers, scored 7/10 where it is worth 2/10.
LIED_ABOUT = {
    "cast_labels": """
        def cast_labels(y):
            return y.astype(np.uint8)
        """,
    "make_binary_target": """
        def make_binary_target(y, digit=2):
            return (y == digit).astype(np.int64)
        """,
    "cross_val_accuracy": """
        def cross_val_accuracy(clf, X, y, cv=5):
            return np.full(cv, 0.98)
        """,
    "fit_multiclass_classifier": """
        def fit_multiclass_classifier(X, y):
            model = SGDClassifier(loss="hinge", average=True, max_iter=1, tol=None, random_state=42).fit(X, y)
            return model.set_params(loss="log_loss")
        """,
}

WRONG = [
    Case(
        "wrong_no_shuffle",
        fails=("q1",),
        functions={
            "shuffle_split": """
        def shuffle_split(X, y, n_train=60000, seed=42):
            return X[:n_train], X[n_train:], y[:n_train], y[n_train:]
        """
        },
    ),
    Case(
        "wrong_shuffles_X_not_y",
        fails=("q1",),
        functions={
            "shuffle_split": """
        def shuffle_split(X, y, n_train=60000, seed=42):
            order = np.random.default_rng(seed).permutation(n_train)
            return X[:n_train][order], X[n_train:], y[:n_train], y[n_train:]
        """
        },
    ),
    Case(
        "wrong_shuffle_without_seed",
        fails=("q1",),
        functions={
            "shuffle_split": """
        def shuffle_split(X, y, n_train=60000, seed=42):
            order = np.random.permutation(n_train)
            return X[:n_train][order], X[n_train:], y[:n_train][order], y[n_train:]
        """
        },
    ),
    Case(
        "wrong_shuffles_test_part",
        fails=("q1",),
        functions={
            "shuffle_split": """
        def shuffle_split(X, y, n_train=60000, seed=42):
            order = np.random.default_rng(seed).permutation(len(X))
            X, y = X[order], y[order]
            return X[:n_train], X[n_train:], y[:n_train], y[n_train:]
        """
        },
    ),
    Case(
        "wrong_split_index",
        fails=("q1",),
        functions={
            "shuffle_split": """
        def shuffle_split(X, y, n_train=60000, seed=42):
            order = np.random.default_rng(seed).permutation(n_train - 1)
            return X[:n_train - 1][order], X[n_train - 1:], y[:n_train - 1][order], y[n_train - 1:]
        """
        },
    ),
    Case(
        "wrong_modifies_inputs",
        fails=("q1",),
        functions={
            "shuffle_split": """
        def shuffle_split(X, y, n_train=60000, seed=42):
            order = np.random.default_rng(seed).permutation(n_train)
            X[:n_train], y[:n_train] = X[:n_train][order], y[:n_train][order]
            return X[:n_train], X[n_train:], y[:n_train], y[n_train:]
        """
        },
    ),
    Case(
        "wrong_cast_int64",
        fails=("q2",),
        functions={
            "cast_labels": """
        def cast_labels(y):
            return y.astype(np.int64)
        """
        },
    ),
    Case(
        "wrong_cast_float",
        fails=("q2",),
        functions={
            "cast_labels": """
        def cast_labels(y):
            return y.astype(float)
        """
        },
    ),
    Case(
        "wrong_cast_rounds_badly",
        fails=("q2",),
        functions={
            "cast_labels": """
        def cast_labels(y):
            return (y.astype(float) * 0.99).astype(np.int8)
        """
        },
    ),
    Case(
        "wrong_binary_digit",
        fails=("q3",),
        functions={
            "make_binary_target": """
        def make_binary_target(y, digit=2):
            return y == digit + 1
        """
        },
    ),
    Case(
        "wrong_binary_as_ints",
        fails=("q3",),
        functions={
            "make_binary_target": """
        def make_binary_target(y, digit=2):
            return (y == digit).astype(int)
        """
        },
    ),
    Case(
        "wrong_binary_ignores_digit",
        fails=("q3",),
        functions={
            "make_binary_target": """
        def make_binary_target(y, digit=2):
            return y == 2
        """
        },
    ),
    Case(
        "wrong_fit_on_test_set",
        fails=("q4",),
        functions={
            "fit_binary_classifier": """
        def fit_binary_classifier(X, y_binary):
            return LogisticRegression(tol=0.1, max_iter=1000).fit(X_test, y_test_2)
        """
        },
    ),
    Case(
        "wrong_fit_on_1000_rows",
        fails=("q4",),
        functions={
            "fit_binary_classifier": """
        def fit_binary_classifier(X, y_binary):
            return LogisticRegression(tol=0.1, max_iter=1000).fit(X[:1000], y_binary[:1000])
        """
        },
    ),
    Case(
        "wrong_max_iter_1",
        fails=("q4",),
        functions={
            "fit_binary_classifier": """
        def fit_binary_classifier(X, y_binary):
            return LogisticRegression(tol=0.1, max_iter=1).fit(X, y_binary)
        """
        },
    ),
    Case(
        "wrong_accuracy_on_training_set",
        fails=("q5",),
        functions={
            "accuracy": """
        def accuracy(clf, X, y):
            return clf.score(X_train, y_train_2)
        """
        },
    ),
    Case(
        "wrong_accuracy_percentage",
        fails=("q5",),
        functions={
            "accuracy": """
        def accuracy(clf, X, y):
            return 100 * float(np.mean(clf.predict(X) == y))
        """
        },
    ),
    Case(
        "wrong_cross_val_mean",
        fails=("q5",),
        functions={
            "cross_val_accuracy": """
        def cross_val_accuracy(clf, X, y, cv=5):
            return cross_val_score(clf, X, y, cv=cv).mean()
        """
        },
    ),
    Case(
        "wrong_sgd_hinge",
        fails=("q6",),
        functions={
            "fit_multiclass_classifier": """
        def fit_multiclass_classifier(X, y):
            return SGDClassifier(loss="hinge", average=True, max_iter=1, tol=None, random_state=42).fit(X, y)
        """
        },
    ),
    Case(
        "wrong_sgd_binary_target",
        fails=("q6",),
        functions={
            "fit_multiclass_classifier": """
        def fit_multiclass_classifier(X, y):
            return SGDClassifier(loss="log_loss", random_state=42).fit(X, y == 2)
        """
        },
    ),
    # Each bug below once survived grading (found by the mutation suite, sample_submissions/mutants.py).
    Case(
        "wrong_split_hard_coded_size",
        fails=("q1",),
        functions={
            "shuffle_split": """
        def shuffle_split(X, y, n_train=60000, seed=42):
            order = np.random.default_rng(seed).permutation(60000)
            return X[:60000][order], X[60000:], y[:60000][order], y[60000:]
        """
        },
    ),
    Case(
        "wrong_split_columns",
        fails=("q1",),
        functions={
            "shuffle_split": """
        def shuffle_split(X, y, n_train=60000, seed=42):
            order = np.random.default_rng(seed).permutation(n_train)
            return X[:, :n_train][order], X[:, n_train:], y[:n_train][order], y[n_train:]
        """
        },
    ),
    Case(
        "wrong_split_returns_lists",
        fails=("q1",),
        functions={
            "shuffle_split": """
        def shuffle_split(X, y, n_train=60000, seed=42):
            order = np.random.default_rng(seed).permutation(n_train)
            return list(X[:n_train][order]), list(X[n_train:]), list(y[:n_train][order]), list(y[n_train:])
        """
        },
    ),
    Case(
        "wrong_cast_unique_inverse",
        fails=("q2",),
        functions={
            "cast_labels": """
        def cast_labels(y):
            return np.unique(y, return_inverse=True)[1].astype(np.int8)
        """
        },
    ),
    Case(
        "wrong_binary_overwrites_input",
        fails=("q3",),
        functions={
            "make_binary_target": """
        def make_binary_target(y, digit=2):
            y[:] = y == digit
            return y.astype(bool)
        """
        },
    ),
    Case(
        "wrong_fit_on_a_tenth",
        fails=("q4",),
        functions={
            "fit_binary_classifier": """
        def fit_binary_classifier(X, y_binary):
            return LogisticRegression(tol=0.1, max_iter=1000).fit(X[::10], y_binary[::10])
        """
        },
    ),
    Case(
        "wrong_fit_on_int_target",
        fails=("q4",),
        functions={
            "fit_binary_classifier": """
        def fit_binary_classifier(X, y_binary):
            return LogisticRegression(tol=0.1, max_iter=1000).fit(X, y_binary.astype(int))
        """
        },
    ),
    # Returns predictions, not the model: the grade and grader.check both say so in one line (no traceback).
    Case(
        "wrong_binary_returns_predictions",
        fails=("q4",),
        functions={
            "fit_binary_classifier": """
        def fit_binary_classifier(X, y_binary):
            return LogisticRegression(tol=0.1, max_iter=100).fit(X[:2000], y_binary[:2000]).predict(X)
        """
        },
    ),
    Case(
        "wrong_binary_hinge_sgd",
        fails=("q4",),
        functions={
            "fit_binary_classifier": """
        def fit_binary_classifier(X, y_binary):
            return SGDClassifier(loss="hinge", max_iter=2, tol=None, random_state=0).fit(X, y_binary)
        """
        },
    ),
    Case(
        "wrong_accuracy_thresholds_probability",
        fails=("q5",),
        functions={
            "accuracy": """
        def accuracy(clf, X, y):
            return float(np.mean((clf.predict_proba(X)[:, 1] > 0.5) == y))
        """
        },
    ),
    Case(
        "wrong_cross_val_ignores_cv",
        fails=("q5",),
        functions={
            "cross_val_accuracy": """
        def cross_val_accuracy(clf, X, y, cv=5):
            return cross_val_score(clf, X, y, cv=5)
        """
        },
    ),
    Case(
        "wrong_cross_val_leaks_test_fold",
        fails=("q5",),
        functions={
            "cross_val_accuracy": """
        def cross_val_accuracy(clf, X, y, cv=5):
            from sklearn.base import clone
            folds = np.array_split(np.arange(len(y)), cv)
            return np.array([np.mean(clone(clf).fit(X, y).predict(X[test]) == y[test]) for test in folds])
        """
        },
    ),
    Case(
        "wrong_cross_val_overlapping_folds",
        fails=("q5",),
        functions={
            "cross_val_accuracy": """
        def cross_val_accuracy(clf, X, y, cv=5):
            from sklearn.base import clone
            scores = []
            for k in range(cv):
                test = np.random.default_rng(k).choice(len(y), len(y) // cv, replace=False)
                train = np.setdiff1d(np.arange(len(y)), test)
                scores.append(np.mean(clone(clf).fit(X[train], y[train]).predict(X[test]) == y[test]))
            return np.array(scores)
        """
        },
    ),
    Case(
        "wrong_cross_val_constant",
        fails=("q5",),
        functions={
            "cross_val_accuracy": """
        def cross_val_accuracy(clf, X, y, cv=5):
            return np.full(cv, 0.98)
        """
        },
    ),
    Case(
        "wrong_sgd_hinge_relabelled",
        fails=("q6",),
        functions={
            "fit_multiclass_classifier": """
        def fit_multiclass_classifier(X, y):
            model = SGDClassifier(loss="hinge", average=True, max_iter=1, tol=None, random_state=42).fit(X, y)
            return model.set_params(loss="log_loss")
        """
        },
    ),
    Case(
        "wrong_sgd_on_a_tenth",
        fails=("q6",),
        functions={
            "fit_multiclass_classifier": """
        def fit_multiclass_classifier(X, y):
            return SGDClassifier(loss="log_loss", average=True, max_iter=3, tol=None, random_state=42).fit(X[::10], y[::10])
        """
        },
    ),
    # What a student who lies about it would have written honestly (see tamper_lying_descriptions).
    Case("wrong_declared_honestly", fails=("q2", "q3", "q5", "q6"), functions=LIED_ABOUT),
    # The witness's record (mnist_kit.witness) is out of the student's reach: every descriptor the
    # student's processes can open gets forged "learnt with log_loss" records for a hinge model.
    Case(
        "forge_witness_record",
        fails=("q6",),
        functions={
            "fit_multiclass_classifier": """
        def fit_multiclass_classifier(X, y):
            import glob, os
            from mnist_kit.witness import weights_digest
            model = SGDClassifier(loss="hinge", average=True, max_iter=1, tol=None, random_state=42).fit(X, y)
            forged = b"".join(weights_digest(row) + bytes([0]) for row in model.coef_)
            others = [p for p in glob.glob("/proc/[0-9]*") if p != f"/proc/{os.getpid()}"]
            for path in [fd for p in others for fd in glob.glob(f"{p}/fd/*") + glob.glob(f"{p}/task/*/fd/*")]:
                try:
                    if "witness" in os.readlink(path):
                        with open(path, "ab") as descriptor:
                            descriptor.write(forged)
                except OSError:
                    pass
            return model
        """
        },
    ),
    # Hinge weights passed through a logistic solve that changes nothing: the chain starts from
    # weights no logistic solve learnt.
    Case(
        "launder_hinge_weights",
        fails=("q6",),
        functions={
            "fit_multiclass_classifier": """
        def fit_multiclass_classifier(X, y):
            hinge = SGDClassifier(loss="hinge", average=True, max_iter=1, tol=None, random_state=42).fit(X, y)
            laundered = SGDClassifier(loss="log_loss", learning_rate="constant", eta0=1e-300, max_iter=1, tol=None)
            return laundered.fit(X, y, coef_init=hinge.coef_, intercept_init=hinge.intercept_)
        """
        },
    ),
    # The same through an averaged logistic solve: scikit-learn starts the averaged vector at zero
    # whatever coef_init is, and it returns that vector (the hinge weights to 7e-15).
    Case(
        "launder_hinge_weights_averaged",
        fails=("q6",),
        functions={
            "fit_multiclass_classifier": """
        def fit_multiclass_classifier(X, y):
            hinge = SGDClassifier(loss="hinge", average=True, alpha=1e-3, max_iter=1, tol=None, random_state=42).fit(X, y)
            laundered = SGDClassifier(
                loss="log_loss", average=True, learning_rate="constant", eta0=1e-300, max_iter=1, tol=None
            )
            return laundered.fit(X, y, coef_init=hinge.coef_, intercept_init=hinge.intercept_)
        """
        },
    ),
    # The same through warm_start: hinge weights put in the attributes an averaged warm start reads.
    Case(
        "launder_hinge_weights_warm_start",
        fails=("q6",),
        functions={
            "fit_multiclass_classifier": """
        def fit_multiclass_classifier(X, y):
            import numpy as np
            hinge = SGDClassifier(loss="hinge", average=True, alpha=1e-3, max_iter=1, tol=None, random_state=42).fit(X, y)
            laundered = SGDClassifier(
                loss="log_loss", average=True, warm_start=True, learning_rate="constant", eta0=1e-300, max_iter=1, tol=None
            ).fit(X[:100], y[:100])
            laundered.coef_, laundered.intercept_ = hinge.coef_.copy(), hinge.intercept_.copy()
            laundered._standard_coef, laundered._standard_intercept = hinge.coef_.copy(), hinge.intercept_.copy()
            laundered._average_coef = np.zeros_like(hinge.coef_)
            laundered._average_intercept = np.zeros_like(hinge.intercept_)
            return laundered.fit(X, y)
        """
        },
    ),
]

# Work that does nothing useful: true of it are only side properties (inputs left alone, pairs
# kept, reproducible, a dtype), which count once the answer itself is usable. Each scores 0.
DOES_NOTHING = [
    Case(
        "nothing_split_returns_inputs",
        fails=("q1",),
        earns_nothing=("q1",),
        functions={
            "shuffle_split": """
        def shuffle_split(X, y, n_train=60000, seed=42):
            return X, X, y, y
        """
        },
    ),
    Case(
        "nothing_cast_returns_strings",
        fails=("q2",),
        earns_nothing=("q2",),
        functions={
            "cast_labels": """
        def cast_labels(y):
            return y
        """
        },
    ),
    Case(
        "nothing_binary_returns_labels",
        fails=("q3",),
        earns_nothing=("q3",),
        functions={
            "make_binary_target": """
        def make_binary_target(y, digit=2):
            return y
        """
        },
    ),
    Case(
        "nothing_binary_model_infinite",
        fails=("q4",),
        earns_nothing=("q4",),
        functions={
            "fit_binary_classifier": """
        def fit_binary_classifier(X, y_binary):
            model = LogisticRegression()
            model.coef_, model.intercept_ = np.full((1, X.shape[1]), np.inf), np.zeros(1)
            model.classes_ = np.array([False, True])
            return model
        """
        },
    ),
    Case(
        "nothing_measures_constants",
        fails=("q5",),
        earns_nothing=("q5",),
        functions={
            "accuracy": """
        def accuracy(clf, X, y):
            return 0.5
        """,
            "cross_val_accuracy": """
        def cross_val_accuracy(clf, X, y, cv=5):
            return np.full(cv, 0.97)
        """,
        },
    ),
    Case(
        "nothing_multiclass_untrained",
        fails=("q6",),
        earns_nothing=("q6",),
        functions={
            "fit_multiclass_classifier": """
        def fit_multiclass_classifier(X, y):
            model = SGDClassifier(loss="log_loss")
            model.coef_, model.intercept_, model.classes_ = np.zeros((10, X.shape[1])), np.zeros(10), np.arange(10)
            return model
        """
        },
    ),
    # A cross-validation that scores every fold with a model fitted on all the rows, and writes
    # records claiming fits on the other folds only: the checker fits those claimed models itself.
    Case(
        "forge_cross_val_records",
        fails=("q5",),
        functions={
            "cross_val_accuracy": """
        def cross_val_accuracy(clf, X, y, cv=5):
            from sklearn.base import clone
            seen_everything = clone(clf).fit(X, y)
            journal, scores = clf.journal, []
            for test in np.array_split(np.arange(len(y)), cv):
                train = np.setdiff1d(np.arange(len(y)), test)
                claimed = journal._write("fit", rows=journal.rows(X[train]))
                journal._write("prediction", fit=np.array(claimed), rows=journal.rows(X[test]))
                scores.append(np.mean(seen_everything.predict(X[test]) == y[test]))
            return np.array(scores)
        """
        },
    ),
]
WRONG += DOES_NOTHING

BROKEN = [
    Case(
        "broken_syntax_error",
        fails=("q2",),
        functions={
            "cast_labels": """
        def cast_labels(y):
            return y.astype(np.int8
        """
        },
    ),
    Case("broken_stub_left", fails=("q3",), functions={"make_binary_target": UNANSWERED}),
    Case(
        "broken_function_raises",
        fails=("q5",),
        functions={
            "accuracy": """
        def accuracy(clf, X, y):
            raise ValueError("I will finish this later")
        """
        },
    ),
    # Waits rather than spins, so the suite's cores keep grading while it waits out its step
    # limit; a spinning step is stopped in test_batch.py, under a shorter limit.
    Case(
        "broken_runs_forever",
        fails=("q3",),
        status="timeout",
        functions={
            "make_binary_target": """
        def make_binary_target(y, digit=2):
            import threading
            threading.Event().wait()  # for an event nobody will ever set
        """
        },
    ),
    Case(
        "broken_deletes_data",
        cells=[
            """
        import os
        os.remove("mnist_784.npz")
        """
        ],
        functions={
            "cast_labels": """
        def cast_labels(y):
            import os, glob
            for path in glob.glob("*.npz") + glob.glob("mnist_data.py"):
                os.remove(path)
            return y.astype(np.int8)
        """
        },
    ),
    Case(
        "broken_prints_megabytes",
        functions={
            "shuffle_split": """
        def shuffle_split(X, y, n_train=60000, seed=42):
            import sys
            for _ in range(200):
                print("#" * 50_000)
                sys.stderr.write("!" * 50_000)
            order = np.random.default_rng(seed).permutation(n_train)
            return X[:n_train][order], X[n_train:], y[:n_train][order], y[n_train:]
        """
        },
    ),
    Case(
        "broken_memory_bomb",
        fails=("q2",),
        status="memory",
        functions={
            "cast_labels": """
        def cast_labels(y):
            hoard = []
            while True:
                hoard.append(np.ones(10**8))  # 800 MB more each time, until the memory limit stops it
        """
        },
    ),
    Case(
        "broken_kernel_dies",
        fails=("q3",),
        status="crashed",
        functions={
            "make_binary_target": """
        def make_binary_target(y, digit=2):
            import ctypes
            ctypes.string_at(0)  # segmentation fault
        """
        },
    ),
]

TAMPERING = [
    Case(
        "tamper_patch_otter_runner",
        fails=("q4", "q5", "q6"),
        cells=[
            """
        import otter.test_files.exception_test as exception_test
        exception_test.ExceptionTestFile.run = lambda self, env: None
        grader.check = lambda *args, **kwargs: True
        """
        ],
        functions={
            "shuffle_split": """
            def shuffle_split(X, y, n_train=60000, seed=42):
                import otter.test_files.exception_test as exception_test
                exception_test.ExceptionTestFile.run = lambda self, env: None
                order = np.random.default_rng(seed).permutation(n_train)
                return X[:n_train][order], X[n_train:], y[:n_train][order], y[n_train:]
            """,
            "fit_binary_classifier": UNANSWERED,
            "accuracy": UNANSWERED,
            "cross_val_accuracy": UNANSWERED,
            "fit_multiclass_classifier": UNANSWERED,
        },
    ),
    Case(
        "tamper_patch_scoring",
        fails=("q4", "q5"),
        functions={
            "fit_binary_classifier": """
        def fit_binary_classifier(X, y_binary):
            import sklearn.metrics
            sklearn.metrics.accuracy_score = lambda *args, **kwargs: 1.0
            LogisticRegression.score = lambda self, X, y, sample_weight=None: 1.0
            return LogisticRegression(max_iter=1).fit(X[:200], y_binary[:200])
        """,
            "accuracy": """
        def accuracy(clf, X, y):
            return clf.score(X, y)
        """,
        },
    ),
    Case(
        "tamper_overwrite_grader",
        fails=("q6",),
        cells=[
            """
        class AlwaysPasses:
            def check(self, *args, **kwargs):
                return "All tests passed!"
        grader = AlwaysPasses()
        """
        ],
        functions={"fit_multiclass_classifier": UNANSWERED},
    ),
    Case(
        "tamper_eq_always_true",
        fails=("q2",),
        functions={
            "cast_labels": """
        def cast_labels(y):
            class Agreeable(np.ndarray):
                def __eq__(self, other):
                    return True
                def __ne__(self, other):
                    return False
            return np.zeros(len(y), dtype=np.int8).view(Agreeable)
        """
        },
    ),
    Case(
        "tamper_dtype_lies",
        fails=("q3",),
        functions={
            "make_binary_target": """
        def make_binary_target(y, digit=2):
            class LyingArray(np.ndarray):
                @property
                def dtype(self):
                    return np.dtype(bool)
            return (y == digit).astype(np.int64).view(LyingArray)
        """
        },
    ),
    Case(
        "tamper_fake_results",
        fails=("q1",),
        functions={
            "shuffle_split": """
        def shuffle_split(X, y, n_train=60000, seed=42):
            import json, os
            fake = {"error": None, "answers": {}}
            os.makedirs("answers", exist_ok=True)
            for question in ["q1", "q2", "q3", "q4", "q5", "q6"]:
                with open(f"answers/{question}.json", "w") as f:
                    json.dump(fake, f)
            for name in ["results.json", "grades.csv", "../results.json"]:
                with open(name, "w") as f:
                    f.write('{"score": 10, "total": 10}')
            raise RuntimeError("nothing to see here")
        """
        },
    ),
    Case(
        "tamper_reads_disk",
        fails=("q1", "q3"),
        functions={
            "shuffle_split": """
        def shuffle_split(X, y, n_train=60000, seed=42):
            import glob
            stolen = np.load(glob.glob("challenge.npz")[0])
            X_all = stolen["q1_X"]
            return X_all[:n_train], X_all[n_train:], y[:n_train], y[n_train:]
        """,
            "make_binary_target": """
        def make_binary_target(y, digit=2):
            import json, pathlib, mnist_kit.checks
            pathlib.Path(mnist_kit.checks.__file__).read_text()
            params = json.loads(pathlib.Path("challenge.json").read_text())
            return y == params["q3_digit"]
        """,
        },
    ),
    Case(
        "tamper_exit_midway",
        fails=("q4",),
        status="crashed",
        cells=[
            """
        import os
        os._exit(0)
        """
        ],
        functions={
            "fit_binary_classifier": """
        def fit_binary_classifier(X, y_binary):
            import os
            os._exit(0)
        """
        },
    ),
    # The checker compares arrays with np.array_equal; patching it changes nothing there, but in the
    # student's own process it also stops scipy's L-BFGS after one step, so q4's model is lost too
    # (q5's folds, fitted by the grader's SGD model, do not use it).
    Case(
        "tamper_patch_numpy",
        fails=("q1", "q4"),
        functions={
            "shuffle_split": """
        def shuffle_split(X, y, n_train=60000, seed=42):
            np.array_equal = lambda *args, **kwargs: True
            np.allclose = lambda *args, **kwargs: True
            np.testing.assert_array_equal = lambda *args, **kwargs: None
            return X[:n_train], X[n_train:], y[:n_train], y[n_train:]
        """
        },
    ),
    # The collector runs as __main__ in the student's process: patched there, it describes every
    # answer as the right kind. The verdicts must be those of the honest twin, wrong_declared_honestly.
    Case(
        "tamper_lying_descriptions",
        fails=("q2", "q3", "q5", "q6"),
        functions=LIED_ABOUT,
        cells=[
            """
        import __main__

        class _Liar:  # a class body runs at definition time, where the collector runs the notebook
            real_plain, real_parameters = __main__.plain, __main__._model_parameters

            def plain(value, real=real_plain):
                array, description = real(value)
                if array is not None and array.dtype.kind in "iu" and array.ndim == 1:
                    description.update(type="ndarray", dtype="|i1" if array.dtype.itemsize == 1 else "|b1")
                return array, description

            def parameters(model, real=real_parameters):
                parameters, description = real(model)
                return parameters, {**description, "type": "SGDClassifier", "loss": "log_loss"}

            __main__.plain, __main__._model_parameters = plain, parameters
        """
        ],
    ),
    Case(
        "tamper_patch_kit",
        fails=("q5",),
        functions={
            "accuracy": """
        def accuracy(clf, X, y):
            import mnist_kit.checks, mnist_kit.collect
            mnist_kit.checks.run_checks = lambda *args, **kwargs: []
            mnist_kit.checks._require = lambda *args, **kwargs: None
            return 1.0
        """
        },
    ),
]

ALL = RIGHT + WRONG + BROKEN + TAMPERING
