"""A class for the similarity review: independent submissions, and copies disguised as students disguise them.

Independent students write each graded function in one of the styles the suite's right and wrong
cases use (every style shared by several students, as right solutions are in a real class), so
nothing they share is unusual. Three originals write distinctive code; each is copied with a
disguise: variables renamed, comments and blank lines added, independent statements reordered,
equivalent rewrites (``np.mean(a == b)`` for ``(a == b).mean()``), and one function copied into
an otherwise independent submission.
"""

import json
import random
import re
import textwrap

from mnist_kit import similarity
from sample_submissions import cases
from sample_submissions.notebooks import REFERENCE_NOTEBOOK, STUDENT_NOTEBOOK, UNANSWERED

STUDENTS = 48
SHARED_BY = 6  # each style is written by at least this many independent students


def _styles():
    reference = similarity.graded_functions(json.loads(REFERENCE_NOTEBOOK.read_text()))
    styles = {name: {reference[name]} for name in reference}
    for case in cases.RIGHT + cases.WRONG:
        for name, source in case.functions.items():
            if name in styles and source != UNANSWERED:
                styles[name].add(textwrap.dedent(source).strip() + "\n")
    return reference, {name: sorted(found) for name, found in styles.items()}


def independent_class(seed=0):
    """``{student: {function: source}}``: every style of a function written by SHARED_BY students or more."""
    reference, styles = _styles()
    rng = random.Random(seed)
    names = [f"independent_{n:02d}" for n in range(STUDENTS)]
    students = {name: dict(reference) for name in names}
    for function, pool in styles.items():
        usable = pool[: STUDENTS // SHARED_BY]
        chosen = [usable[n % len(usable)] for n in range(STUDENTS)]
        rng.shuffle(chosen)
        for name, source in zip(names, chosen, strict=True):
            students[name][function] = source
    return students


ORIGINALS = {
    "original_loops": {
        "shuffle_split": """
def shuffle_split(X, y, n_train=60000, seed=42):
    generator = np.random.default_rng(seed)
    train_part, test_part = X[:n_train], X[n_train:]
    train_labels, test_labels = y[:n_train], y[n_train:]
    positions = np.arange(len(train_part))
    for last in range(len(positions) - 1, 0, -1):
        other = int(generator.integers(0, last + 1))
        positions[last], positions[other] = positions[other], positions[last]
    shuffled_part = np.take(train_part, positions, axis=0)
    shuffled_labels = np.take(train_labels, positions, axis=0)
    return shuffled_part, test_part, shuffled_labels, test_labels
""",
        "accuracy": """
def accuracy(clf, X, y):
    predicted = clf.predict(X)
    matches = 0
    for guess, truth in zip(predicted, y):
        if guess == truth:
            matches = matches + 1
    share = matches / max(len(y), 1)
    return float(share)
""",
        "cross_val_accuracy": """
def cross_val_accuracy(clf, X, y, cv=5):
    from sklearn.model_selection import KFold
    from sklearn.base import clone
    splitter = KFold(n_splits=cv)
    collected = []
    for fit_rows, score_rows in splitter.split(X):
        fresh = clone(clf)
        fresh.fit(X[fit_rows], y[fit_rows])
        correct = fresh.predict(X[score_rows]) == y[score_rows]
        collected.append(np.mean(correct))
    return np.asarray(collected, dtype=float)
""",
    },
    "original_helpers": {
        "cast_labels": """
def cast_labels(y):
    table = {text: int(text) for text in set(y.tolist())}
    converted = np.fromiter((table[text] for text in y), dtype=np.int16, count=len(y))
    small = converted.astype(np.uint8)
    assert small.shape == y.shape
    return small
""",
        "make_binary_target": """
def make_binary_target(y, digit=2):
    wanted = np.full(y.shape, digit, dtype=y.dtype)
    flags = np.equal(y, wanted)
    flags = flags.astype(bool, copy=False)
    assert flags.ndim == 1 and flags.size == y.size
    return flags
""",
        "fit_binary_classifier": """
def fit_binary_classifier(X, y_binary):
    settings = dict(max_iter=1000, tol=1e-4, C=1.0)
    classifier = LogisticRegression(**settings)
    classifier.fit(np.asarray(X), np.asarray(y_binary, dtype=bool))
    assert hasattr(classifier, "coef_")
    return classifier
""",
    },
    "original_sgd": {
        "fit_multiclass_classifier": """
def fit_multiclass_classifier(X, y):
    chunk = 5000
    model = SGDClassifier(loss="log_loss", alpha=1e-4, random_state=7)
    labels = np.unique(y)
    for epoch in range(2):
        order = np.random.default_rng(epoch).permutation(len(y))
        for begin in range(0, len(y), chunk):
            rows = order[begin:begin + chunk]
            model.partial_fit(X[rows], y[rows], classes=labels)
    return model
""",
        "accuracy": """
def accuracy(clf, X, y):
    guesses = np.asarray(clf.predict(X)).ravel()
    truth = np.asarray(y).ravel()
    wrong = np.count_nonzero(guesses != truth)
    return 1.0 - wrong / truth.size
""",
    },
}


def _renamed(source, names):
    for old, new in names.items():
        source = re.sub(rf"\b{old}\b", new, source)
    return source


def _commented(source):
    lines = []
    for number, line in enumerate(source.splitlines()):
        lines.append(line)
        if number % 2 and line.strip():
            indent = line[: len(line) - len(line.lstrip())]
            lines += ["", f"{indent}# step {number}: as seen in class"]
    return "\n".join(lines) + "\n"


DISGUISES = {
    # original, disguise name, and how: renames, comments, reordering, rewrites, a transplant
    ("original_loops", "copy_renamed"): lambda s: {
        f: _renamed(src, {"generator": "g", "positions": "idx", "collected": "scores", "matches": "n_ok", "predicted": "p"})
        for f, src in s.items()
    },
    ("original_loops", "copy_commented"): lambda s: {f: _commented(src) for f, src in s.items()},
    ("original_helpers", "copy_reordered"): lambda s: {
        **s,
        "fit_binary_classifier": s["fit_binary_classifier"].replace(
            "    settings = dict(max_iter=1000, tol=1e-4, C=1.0)\n    classifier = LogisticRegression(**settings)\n",
            "    settings = dict(C=1.0, max_iter=1000, tol=1e-4)\n    classifier = LogisticRegression(**settings)\n",
        ),
        "make_binary_target": s["make_binary_target"].replace(
            "    assert flags.ndim == 1 and flags.size == y.size\n", "    assert flags.size == y.size and flags.ndim == 1\n"
        ),
        "cast_labels": s["cast_labels"].replace(
            "    small = converted.astype(np.uint8)\n    assert small.shape == y.shape\n",
            "    assert converted.shape == y.shape\n    small = converted.astype(np.uint8)\n",
        ),
    },
    ("original_helpers", "copy_rewritten"): lambda s: {
        **s,
        "make_binary_target": s["make_binary_target"].replace("np.equal(y, wanted)", "(y == wanted)"),
        "cast_labels": s["cast_labels"].replace("set(y.tolist())", "np.unique(y).tolist()"),
    },
    ("original_sgd", "copy_rewritten_mean"): lambda s: {
        **s,
        "accuracy": s["accuracy"].replace(
            "    wrong = np.count_nonzero(guesses != truth)\n    return 1.0 - wrong / truth.size\n",
            "    return float(np.mean(guesses == truth))\n",
        ),
    },
}


def disguised_class(seed=0):
    """``(students, copied_pairs)``: the independent class, the originals, their disguised copies, and a transplant."""
    students = independent_class(seed)
    reference = similarity.graded_functions(json.loads(REFERENCE_NOTEBOOK.read_text()))
    base = sorted(students)
    copied = set()
    for number, (name, functions) in enumerate(ORIGINALS.items()):
        own = {f: textwrap.dedent(src).lstrip() for f, src in functions.items()}
        students[name] = {**students[base[number]], **own}
    for (original, disguise), change in DISGUISES.items():
        own = {f: textwrap.dedent(src).lstrip() for f, src in ORIGINALS[original].items()}
        students[disguise] = {**students[base[10 + len(copied)]], **change(own)}
        copied.add(tuple(sorted((original, disguise))))
    # One function copied into an otherwise independent submission.
    transplant = textwrap.dedent(ORIGINALS["original_loops"]["shuffle_split"]).lstrip()
    students["copy_one_function"] = {**students[base[20]], "shuffle_split": transplant}
    copied.add(("copy_one_function", "original_loops"))
    copied |= {tuple(sorted(pair)) for pair in (("copy_renamed", "copy_commented"),)}  # both copy original_loops
    copied |= {("copy_commented", "copy_one_function"), ("copy_one_function", "copy_renamed")}
    copied |= {("copy_reordered", "copy_rewritten")}
    assert reference  # the reference's own functions are what every independent student starts from
    return students, copied


def well_known():
    return similarity.well_known_fingerprints([json.loads(p.read_text()) for p in (STUDENT_NOTEBOOK, REFERENCE_NOTEBOOK)])
