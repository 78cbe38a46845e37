# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [raw]
# # ASSIGNMENT CONFIG
# name: mnist
# init_cell: true
# check_all_cell: false
# run_tests: false
# generate: false
# export_cell:
#   pdf: false
#   run_tests: false
#   instructions: "Run this cell to make the zip file you submit. It holds your notebook; no PDF and no LaTeX are needed."
# tests:
#   files: true
#   ok_format: false

# %% [markdown]
# # Recognising handwritten digits with logistic regression
#
# A post office reads millions of handwritten postcodes a day; a bank reads the amounts on
# cheques. Both started with the same question this notebook asks: *given a small grey picture of
# a digit, which digit is it?*
#
# You will work with **MNIST**, 70,000 pictures of handwritten digits, each 28 × 28 pixels, and
# teach a computer to read them with **logistic regression**, first to answer "is this a 2?", then
# to tell all ten digits apart.
#
# **How to work.** Run the cells from top to bottom (Shift+Enter). Where a function says
# `raise NotImplementedError(...)`, replace that line with your code. After each question a
# `grader.check("q…")` cell tells you at once whether your answer passes the public tests. The
# final grade also runs hidden tests on fresh inputs, so write code that works for any input,
# not just for the data in this notebook.
#
# *Data credit: MNIST is by Yann LeCun, Corinna Cortes and Christopher J. C. Burges, used under the
# CC BY-SA 3.0 license.*

# %%
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix
from sklearn.model_selection import cross_val_score

from mnist_data import load_mnist

# %% [markdown]
# ## 1. The data
#
# `load_mnist()` returns what scikit-learn's `fetch_openml('mnist_784', as_frame=False)` would
# download, but from a copy that ships with this assignment, so no network is needed:
#
# * `X`: one row per image, 784 columns (28 × 28 pixels), values from 0 (white) to 255 (black);
# * `y`: the digit in each image, **as a string** (`'0'` … `'9'`), exactly as OpenML stores it.
#
# The first 60,000 images are for training, the last 10,000 for testing.

# %%
X, y = load_mnist()
print("X:", X.shape, X.dtype, " y:", y.shape, y.dtype, " first labels:", y[:5])

# %% [markdown]
# Each row is a picture laid out flat. Folding it back into 28 × 28 lets us look at it.
# Image 36001 is a 2:

# %%
plt.figure(figsize=(2.5, 2.5))
plt.imshow(X[36001].reshape(28, 28), cmap="binary", interpolation="nearest")
plt.axis("off")
plt.title(f"label: {y[36001]!r}")
plt.show()

# %% [markdown]
# ## 2. Training and test sets (q1)
#
# A model must be judged on images it has never seen. MNIST's first 60,000 images are the training
# set and the last 10,000 the test set. The training images are grouped by writer, so we **shuffle**
# them: otherwise every cross-validation fold would hold different writers' handwriting. We shuffle
# *reproducibly*, from a seed, so that a rerun gives the same result, and we shuffle the images and
# their labels *together*, so that each image keeps its label.

# %% [raw]
# # BEGIN QUESTION
# name: q1

# %% [raw]
# # BEGIN SOLUTION

# %%
def shuffle_split(X, y, n_train=60000, seed=42):
    """Split images and labels into a shuffled training part and an untouched test part.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    n_train : int
        The first ``n_train`` rows are for training, the rest for testing.
    seed : int
        Seed for the shuffle: the same seed must give the same shuffle.

    Returns
    -------
    X_train, X_test, y_train, y_test : ndarrays
        The training rows in a random order (images and labels shuffled together), and the test
        rows in their original order. ``X`` and ``y`` themselves are left unchanged.

    Example
    -------
    >>> X_train, X_test, y_train, y_test = shuffle_split(np.arange(10).reshape(5, 2), np.array(list("abcde")), n_train=3, seed=0)
    >>> X_train, y_train   # rows 0-2, shuffled, still paired: [0 1] goes with 'a'
    (array([[4, 5], [0, 1], [2, 3]]), array(['c', 'a', 'b'], dtype='<U1'))
    >>> X_test, y_test     # rows 3-4, as they were
    (array([[6, 7], [8, 9]]), array(['d', 'e'], dtype='<U1'))

    (Your shuffled order may differ; that is fine as long as it comes from ``seed``.)
    """
    # BEGIN SOLUTION NO PROMPT
    order = np.random.default_rng(seed).permutation(n_train)
    X_train, y_train = X[:n_train][order], y[:n_train][order]
    return X_train, X[n_train:], y_train, y[n_train:]
    # END SOLUTION
    """ # BEGIN PROMPT
    raise NotImplementedError("shuffle_split: return X_train, X_test, y_train, y_test as described above")
    """ # END PROMPT


# %% [raw]
# # END SOLUTION

# %%
X_train, X_test, y_train, y_test = shuffle_split(X, y)
print(X_train.shape, X_test.shape, y_train[:10])

# %% [raw]
# # BEGIN TESTS

# %%
def test_split_shapes(X_train, X_test, y_train, y_test):
    assert X_train.shape == (60000, 784) and X_test.shape == (10000, 784), (
        f"X_train should be 60000 x 784 and X_test 10000 x 784, got {X_train.shape} and {X_test.shape}"
    )
    assert y_train.shape == (60000,) and y_test.shape == (10000,), (
        f"y_train should hold 60000 labels and y_test 10000, got {y_train.shape} and {y_test.shape}"
    )

test_split_shapes(X_train, X_test, y_train, y_test)

# %%
def test_split_shuffled_and_paired(np, X, y, X_train, y_train, X_test):
    assert not np.array_equal(X_train[:100], X[:100]), (
        "X_train is still in the original order: shuffle the training rows"
    )
    assert (X_test == X[60000:]).all(), "X_test should be the last 10000 rows of X, unshuffled"
    assert y_train[0] == y[np.flatnonzero((X[:60000] == X_train[0]).all(axis=1))[0]], (
        "X_train and y_train are no longer paired: shuffle both with the same permutation"
    )

test_split_shuffled_and_paired(np, X, y, X_train, y_train, X_test)

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 3. Labels as numbers (q2)
#
# The labels are strings, so `y_train == 2` is `False` everywhere (`'2'` is not `2`). Cast them
# to small integers once, and everything after becomes simpler and faster.

# %% [raw]
# # BEGIN QUESTION
# name: q2

# %% [raw]
# # BEGIN SOLUTION

# %%
def cast_labels(y):
    """Return the string labels as an array of 8-bit integers.

    Parameters
    ----------
    y : ndarray of shape (n_samples,) holding the strings '0' to '9'

    Returns
    -------
    ndarray of shape (n_samples,), dtype int8
        The same labels as numbers, in the same order.

    Example
    -------
    >>> cast_labels(np.array(['5', '0', '4'], dtype=object))
    array([5, 0, 4], dtype=int8)
    """
    # BEGIN SOLUTION NO PROMPT
    return np.asarray(y).astype(np.int8)
    # END SOLUTION
    """ # BEGIN PROMPT
    raise NotImplementedError("cast_labels: return y as an int8 array")
    """ # END PROMPT


# %% [raw]
# # END SOLUTION

# %%
y_train, y_test = cast_labels(y_train), cast_labels(y_test)
print(y_train[:10], y_train.dtype)

# %% [raw]
# # BEGIN TESTS

# %%
def test_cast_dtype(np, y_train, y_test):
    assert y_train.dtype == np.int8 and y_test.dtype == np.int8, (
        f"y_train has dtype {y_train.dtype}: labels from OpenML are strings; cast them with astype(np.int8)"
    )
    assert set(np.unique(y_train)) == set(range(10)), "y_train should hold the digits 0 to 9"

test_cast_dtype(np, y_train, y_test)

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 4. A yes/no question: is it a 2? (q3)
#
# Before telling ten digits apart, we train a *binary* classifier that answers one question:
# "is this image a 2?". Its target is `True` for every 2 and `False` for everything else.

# %% [raw]
# # BEGIN QUESTION
# name: q3

# %% [raw]
# # BEGIN SOLUTION

# %%
def make_binary_target(y, digit=2):
    """Return a boolean array: True where the label is ``digit``, False elsewhere.

    Parameters
    ----------
    y : ndarray of shape (n_samples,), integer labels
    digit : int, default=2

    Returns
    -------
    ndarray of shape (n_samples,), dtype bool

    Example
    -------
    >>> make_binary_target(np.array([2, 7, 2, 0]))
    array([ True, False,  True, False])
    >>> make_binary_target(np.array([2, 7, 2, 0]), digit=7)
    array([False,  True, False, False])
    """
    # BEGIN SOLUTION NO PROMPT
    return np.asarray(y) == digit
    # END SOLUTION
    """ # BEGIN PROMPT
    raise NotImplementedError("make_binary_target: return the boolean array y == digit")
    """ # END PROMPT


# %% [raw]
# # END SOLUTION

# %%
y_train_2, y_test_2 = make_binary_target(y_train), make_binary_target(y_test)
print(f"{y_train_2.mean():.1%} of the training images are 2s")

# %% [raw]
# # BEGIN TESTS

# %%
def test_binary_target(y_train, y_train_2):
    assert y_train_2.dtype == bool, (
        f"make_binary_target returned dtype {y_train_2.dtype}: return y == digit, a boolean array"
    )
    assert y_train_2.sum() == (y_train == 2).sum(), "y_train_2 should be True exactly where y_train is 2"

test_binary_target(y_train, y_train_2)

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 5. Fitting a logistic regression (q4)
#
# Logistic regression gives each pixel a weight, adds them up, and turns the sum into a
# probability of "this is a 2". Fitting searches for the weights that make the training labels
# most likely. Use `LogisticRegression(tol=0.1, solver="lbfgs")`: the loose tolerance stops the
# search as soon as it stops paying off, which here takes about a second.
#
# **The goal:** on the 10,000 test images your model must be right at least 97 % of the time
# *and* find at least 80 % of the 2s.

# %% [raw]
# # BEGIN QUESTION
# name: q4

# %% [raw]
# # BEGIN SOLUTION

# %%
def fit_binary_classifier(X, y_binary):
    """Fit and return a logistic regression that predicts ``y_binary`` from the pixels ``X``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, 784), the training images
    y_binary : ndarray of shape (n_samples,), dtype bool

    Returns
    -------
    sklearn.linear_model.LogisticRegression, already fitted on X and y_binary

    Example
    -------
    >>> clf = fit_binary_classifier(X_train, y_train_2)
    >>> clf.predict(X[36001:36002])
    array([ True])
    """
    # BEGIN SOLUTION NO PROMPT
    return LogisticRegression(tol=0.1, solver="lbfgs", max_iter=1000).fit(X, y_binary)
    # END SOLUTION
    """ # BEGIN PROMPT
    raise NotImplementedError("fit_binary_classifier: return a LogisticRegression fitted on X and y_binary")
    """ # END PROMPT


# %% [raw]
# # END SOLUTION

# %%
binary_clf = fit_binary_classifier(X_train, y_train_2)
print("Is image 36001 a 2?", binary_clf.predict(X[36001:36002])[0])

# %% [raw]
# # BEGIN TESTS

# %%
def test_binary_model(LogisticRegression, load_mnist, fit_binary_classifier):
    # A fresh copy of the data, so this check judges q4 alone, whatever q1-q3 did to X and y.
    X, y = load_mnist()
    clf = fit_binary_classifier(X[:60000:5], y[:60000:5] == "2")
    assert isinstance(clf, LogisticRegression), (
        f"fit_binary_classifier should return a LogisticRegression, not {type(clf).__name__}"
    )
    assert hasattr(clf, "coef_") and clf.coef_.shape == (1, 784), (
        "the model is not fitted on 784 pixels: call .fit(X, y_binary) and return the model"
    )
    assert bool(clf.predict(X[36001:36002])[0]), (
        "trained on every fifth training image, the model should say True for image 36001, a 2: "
        "fit on the X and y_binary you are given"
    )

test_binary_model(LogisticRegression, load_mnist, fit_binary_classifier)

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 6. How good is it? (q5)
#
# **Accuracy** is the share of images the model labels correctly. Careful: only about 10 % of the
# images are 2s, so a "model" that always answers "not a 2" is already right 90 % of the time. A
# good detector must beat that clearly.
#
# **Cross-validation** gives a more honest estimate than a single split: cut the training set into
# `cv` folds, train on all folds but one, measure on the one left out, and repeat for each fold.
# A good "is it a 2?" model averages at least 97 % over the folds.

# %% [raw]
# # BEGIN QUESTION
# name: q5

# %% [raw]
# # BEGIN SOLUTION

# %%
def accuracy(clf, X, y):
    """Return the share of images in ``X`` that the fitted model ``clf`` labels as in ``y``.

    Parameters
    ----------
    clf : a fitted scikit-learn classifier
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,), the true labels

    Returns
    -------
    float between 0 and 1 (0.978, not 97.8)

    Example
    -------
    >>> accuracy(binary_clf, X_test, y_test_2)   # about 0.98
    0.9808
    """
    # BEGIN SOLUTION NO PROMPT
    return float(np.mean(clf.predict(X) == y))
    # END SOLUTION
    """ # BEGIN PROMPT
    raise NotImplementedError("accuracy: return the fraction of predictions on X that equal y")
    """ # END PROMPT


def cross_val_accuracy(clf, X, y, cv=5):
    """Return the accuracy of ``clf`` on each of ``cv`` cross-validation folds of ``X``, ``y``.

    Parameters
    ----------
    clf : a scikit-learn classifier (fitted or not; each fold trains a fresh copy)
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    cv : int, default=5, the number of folds

    Returns
    -------
    ndarray of shape (cv,), one accuracy (between 0 and 1) per fold

    Example
    -------
    >>> cross_val_accuracy(LogisticRegression(tol=0.1), X_train, y_train_2, cv=3)
    array([0.979, 0.978, 0.979])
    """
    # BEGIN SOLUTION NO PROMPT
    return cross_val_score(clf, X, y, cv=cv, scoring="accuracy", n_jobs=-1)
    # END SOLUTION
    """ # BEGIN PROMPT
    raise NotImplementedError("cross_val_accuracy: return an array with the accuracy of each fold")
    """ # END PROMPT


# %% [raw]
# # END SOLUTION

# %%
print(f"test accuracy: {accuracy(binary_clf, X_test, y_test_2):.4f}")
print(f"always 'not a 2': {np.mean(~y_test_2):.4f}")
fold_accuracies = cross_val_accuracy(binary_clf, X_train, y_train_2)
print("fold accuracies:", fold_accuracies.round(4), "mean:", fold_accuracies.mean().round(4))

# %% [raw]
# # BEGIN TESTS

# %%
def test_scores(np, LogisticRegression, load_mnist, accuracy, cross_val_accuracy):
    # A model of its own on a few thousand fresh images, so this check judges q5 alone.
    X, y = load_mnist()
    X_small, y_small = X[:3000] / 255.0, y[:3000] == "2"
    X_check, y_check = X[60000:61000] / 255.0, y[60000:61000] == "2"
    clf = LogisticRegression(tol=0.1, max_iter=1000).fit(X_small, y_small)
    score = accuracy(clf, X_check, y_check)
    assert 0 <= score <= 1, f"accuracy returned {score}: return a fraction between 0 and 1, not a percentage"
    expected = np.mean(clf.predict(X_check) == y_check)
    assert np.isclose(score, expected), (
        f"accuracy returned {score:.4f} but the model labels {expected:.4f} of these images correctly: "
        "compare clf.predict(X) with y on the X and y you are given"
    )
    folds = cross_val_accuracy(LogisticRegression(tol=0.1, max_iter=1000), X_small, y_small, cv=5)
    assert np.shape(folds) == (5,), (
        f"cross_val_accuracy(..., cv=5) should return 5 fold accuracies, got shape {np.shape(folds)}"
    )
    assert np.all((0 <= np.asarray(folds)) & (np.asarray(folds) <= 1)), (
        "each fold accuracy should be a fraction between 0 and 1"
    )

test_scores(np, LogisticRegression, load_mnist, accuracy, cross_val_accuracy)

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 7. All ten digits (q6)
#
# Now the real task: which of the ten digits is it? `SGDClassifier(loss="log_loss")` fits a
# logistic regression by *stochastic gradient descent*: it walks through the images one at a time
# and nudges the weights after each, which scales to big data sets.
#
# Gradient descent is sensitive to the size of its inputs. On raw pixels (0–255) the steps are
# enormous, the weights swing back and forth, and the original version of this tutorial needed
# minutes to reach about 88 %. Dividing the pixels by 255 puts them between 0 and 1; the same model
# then settles in seconds at about 91 %. So we scale first.
#
# One more trick makes it faster still: `average=True` keeps the average of the weights along the
# walk, which wobbles far less than the last step's weights, so three passes over the images
# (`max_iter=3, tol=None`) already reach about 91 %. **The goal:** at least 88 % of the scaled
# test images labelled correctly.

# %%
X_train_scaled, X_test_scaled = X_train / 255.0, X_test / 255.0

# %% [raw]
# # BEGIN QUESTION
# name: q6

# %% [raw]
# # BEGIN SOLUTION

# %%
def fit_multiclass_classifier(X, y):
    """Fit and return an SGDClassifier with ``loss="log_loss"`` that predicts the digit ``y`` from ``X``.

    Parameters
    ----------
    X : ndarray of shape (n_samples, 784), pixels already scaled to [0, 1]
    y : ndarray of shape (n_samples,), dtype int8, the digits 0 to 9

    Returns
    -------
    sklearn.linear_model.SGDClassifier, fitted, with loss="log_loss"

    Example
    -------
    >>> sgd = fit_multiclass_classifier(X_train_scaled, y_train)
    >>> sgd.classes_
    array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], dtype=int8)
    """
    # BEGIN SOLUTION NO PROMPT
    return SGDClassifier(loss="log_loss", average=True, max_iter=3, tol=None, random_state=42, n_jobs=-1).fit(X, y)
    # END SOLUTION
    """ # BEGIN PROMPT
    raise NotImplementedError("fit_multiclass_classifier: return an SGDClassifier(loss='log_loss') fitted on X and y")
    """ # END PROMPT


# %% [raw]
# # END SOLUTION

# %%
digit_clf = fit_multiclass_classifier(X_train_scaled, y_train)
print(f"test accuracy on all ten digits: {accuracy(digit_clf, X_test_scaled, y_test):.4f}")

# %% [raw]
# # BEGIN TESTS

# %%
def test_multiclass_model(np, SGDClassifier, load_mnist, fit_multiclass_classifier):
    # A fresh copy of the data, so this check judges q6 alone, whatever q1-q2 did to the labels.
    X, y = load_mnist()
    clf = fit_multiclass_classifier(X[:60000:60] / 255.0, y[:60000:60].astype(np.int8))
    assert isinstance(clf, SGDClassifier), (
        f"fit_multiclass_classifier should return an SGDClassifier, not {type(clf).__name__}"
    )
    assert clf.loss == "log_loss", f"use loss='log_loss' (logistic regression), not {clf.loss!r}"
    assert list(clf.classes_) == list(range(10)), "fit on the digit labels y (0-9) you are given, not on the binary target"

test_multiclass_model(np, SGDClassifier, load_mnist, fit_multiclass_classifier)

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 8. Where does it go wrong?
#
# A **confusion matrix** counts, for each true digit (row), how often the model predicted each
# digit (column). The diagonal holds the correct answers; bright cells off the diagonal are the
# mix-ups.

# %%
predicted = digit_clf.predict(X_test_scaled)
ConfusionMatrixDisplay(confusion_matrix(y_test, predicted)).plot(colorbar=False)
plt.title("Multiclass model on the 10,000 test images")
plt.show()

# %% [markdown]
# And some of the images it got wrong. Would you have read them correctly?

# %%
wrong = np.flatnonzero(predicted != y_test)[:15]
fig, axes = plt.subplots(3, 5, figsize=(7, 4.8))
for ax, index in zip(axes.ravel(), wrong):
    ax.imshow(X_test[index].reshape(28, 28), cmap="binary")
    ax.set_title(f"said {predicted[index]}, is {y_test[index]}", fontsize=9)
    ax.axis("off")
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Submit
#
# Save the notebook (Ctrl+S), then run the cell below and upload the zip file it makes.
