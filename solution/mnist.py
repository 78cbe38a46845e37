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
# init_cell: false
# check_all_cell: false
# run_tests: false
# generate: false
# export_cell: false
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
# `grader.check("q…")` cell runs that question's *public checks* on your functions and tells you
# what to fix. The grade runs the very same public checks, on other inputs, and hidden checks
# besides, so write code that works for any input, not just for the data in this notebook. Your
# functions may use only their arguments: when you are graded, the notebook's own variables
# (`X_train`, `y_test`, …) do not exist.
#
# **Time.** Time is counted in CPU-seconds, the work your code does, so a busy grading machine
# never costs you points. At grading, each question's calls may use 100 times the CPU time the
# reference needs for it (at least 30 and at most 600 CPU-seconds), the whole notebook 1800; a
# call that waits without computing for 120 seconds is stopped. The model fits here take a few
# seconds each, and `grader.check` shows what your call used against its limit on your machine.
#
# **Submitting.** The last cell, `grader.export()`, zips the notebook you are working in and
# prints a receipt of what the grade will find in it. Save the notebook first.
#
# *Data credit: MNIST is by Yann LeCun, Corinna Cortes and Christopher J. C. Burges, used under the
# CC BY-SA 3.0 license.*

# %%
# grader.check("q1") runs q1's public checks (the grade runs them too); grader.export() makes the zip you submit.
from mnist_kit.notebook import Grader

grader = Grader()

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
# set and the last 10,000 the test set. We **shuffle** the training images before we use them. A
# file's order can hide a pattern (images sorted by digit, or by the person who wrote them), and
# the models below notice order: SGD (in q6) learns from one image after another, so a long run of
# similar images pulls its weights one way, and cross-validation (in q5) cuts the training set
# into consecutive folds, which should each look like the whole. Shuffling costs nothing and rules
# that out. We shuffle *reproducibly*, from a seed, so that a rerun gives the same result, and we
# shuffle the images and their labels *together*, so that each image keeps its label.

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
def test_q1_public_checks(shuffle_split):
    from mnist_kit.notebook import assert_public_checks_pass

    assert_public_checks_pass("q1", shuffle_split=shuffle_split)

test_q1_public_checks(shuffle_split)

# %% [raw]
# # END TESTS

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## 3. Labels as numbers (q2)
#
# The labels are strings, so `y_train == 2` is `False` everywhere (`'2'` is not `2`). Cast them
# to small integers once, and everything after becomes simpler and faster. The cell after your
# function replaces `y_train` and `y_test` with the numbers: if you ran it with a wrong
# `cast_labels`, run the split cell of section 2 again before running it with the fixed one.

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
def test_q2_public_checks(cast_labels):
    from mnist_kit.notebook import assert_public_checks_pass

    assert_public_checks_pass("q2", cast_labels=cast_labels)

test_q2_public_checks(cast_labels)

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
def test_q3_public_checks(make_binary_target):
    from mnist_kit.notebook import assert_public_checks_pass

    assert_public_checks_pass("q3", make_binary_target=make_binary_target)

test_q3_public_checks(make_binary_target)

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
# search as soon as it stops paying off: the fit is a few CPU-seconds of work, longer to wait for
# on a busy machine (`grader.check` shows what it used).
#
# **The goal:** on the 10,000 test images your model must be right at least 97 % of the time
# *and* find at least 80 % of the 2s (its *recall* on the 2s). The cell after your function
# measures both. The grader measures them again on the same test images, seen as its inputs
# arrange them (a different order of the pixels and of the training rows), so the numbers move
# a little: clear each goal by a point or more here and it holds there too.

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
said_2, is_2 = binary_clf.predict(X_test).astype(bool), np.asarray(y_test_2).astype(bool)
print(f"right on {np.mean(said_2 == is_2):.1%} of the test images (goal: 97 %)")
print(f"finds {said_2[is_2].mean():.1%} of the 2s among them (goal: 80 %)")

# %% [raw]
# # BEGIN TESTS

# %%
def test_q4_public_checks(fit_binary_classifier):
    from mnist_kit.notebook import assert_public_checks_pass

    assert_public_checks_pass("q4", fit_binary_classifier=fit_binary_classifier)

test_q4_public_checks(fit_binary_classifier)

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
# A good "is it a 2?" model averages at least 97 % over the folds. Five folds are five fits: the
# cell after your functions does five times the work of one fit, and takes that much longer.

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
    >>> cross_val_accuracy(LogisticRegression(tol=0.1), X_train, y_train_2, cv=3)   # about 0.98 each
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
print(f"always 'not a 2': {1 - np.mean(y_test_2):.4f}")
fold_accuracies = cross_val_accuracy(binary_clf, X_train, y_train_2)
print("fold accuracies:", fold_accuracies.round(4), "mean:", fold_accuracies.mean().round(4))

# %% [raw]
# # BEGIN TESTS

# %%
def test_q5_public_checks(accuracy, cross_val_accuracy):
    from mnist_kit.notebook import assert_public_checks_pass

    assert_public_checks_pass("q5", accuracy=accuracy, cross_val_accuracy=cross_val_accuracy)

test_q5_public_checks(accuracy, cross_val_accuracy)

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
# enormous and the weights swing back and forth: fitted on raw pixels, this model stays far below
# what it can do. Dividing the pixels by 255 puts them between 0 and 1, and the same model then
# settles at about 91 %. So we scale first.
#
# One more trick makes it faster still: `average=True` keeps the average of the weights along the
# walk, which wobbles far less than the last step's weights, so a single pass over the images
# (`max_iter=1, tol=None`) already reaches about 91 % (more passes take longer, and the goal does
# not need them). **The goal:** at least 88 % of the scaled test images labelled correctly. As in q4, the
# grader measures on the same test images seen through its own inputs: keep a point or more of margin.

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

    Train it any way you like: one ``fit``, ``partial_fit`` over mini-batches, ``warm_start``
    epochs, ``early_stopping=True``, ``n_jobs``: what counts is that the weights it returns were
    learnt by SGD with ``loss="log_loss"`` from X and y.

    Example
    -------
    >>> sgd = fit_multiclass_classifier(X_train_scaled, y_train)
    >>> sgd.classes_
    array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], dtype=int8)
    """
    # BEGIN SOLUTION NO PROMPT
    return SGDClassifier(loss="log_loss", average=True, max_iter=1, tol=None, random_state=42, n_jobs=-1).fit(X, y)
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
def test_q6_public_checks(fit_multiclass_classifier):
    from mnist_kit.notebook import assert_public_checks_pass

    assert_public_checks_pass("q6", fit_multiclass_classifier=fit_multiclass_classifier)

test_q6_public_checks(fit_multiclass_classifier)

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
# ## 9. Reading the mistakes (q7, written)
#
# Code can be checked by a machine; reading your model's mistakes is a question for you. Your
# answer is read and marked by hand, with a rubric.

# %% [raw]
# # BEGIN QUESTION
# name: q7
# manual: true
# points: 3

# %% [markdown]
# **Which two digits does your model confuse most often, and why might it, looking at the
# images?** Answer in two or three sentences in the cell below: name the pair (read the largest
# cells off the diagonal of the confusion matrix: a row is the true digit, a column what the model
# said), then say what in the images could lead a model that weighs single pixels astray.

# %% [raw]
# # BEGIN SOLUTION

# %% [markdown]
# The largest cells off the diagonal are 4s read as 9s and 5s read as 3s (then 7s as 9s): the row
# of the true 4s has its biggest mistake in the column of the 9s. A 4 whose top is closed looks
# like a 9, and a 5 with a round belly like a 3: they share most of their strokes, so their pixels
# overlap, and a model that adds up one weight per pixel cannot tell them apart by shape.

# %% [raw]
# # END SOLUTION

# %% [raw]
# # END QUESTION

# %% [markdown]
# ## Submit your work
#
# Save the notebook (Ctrl+S, or Cmd+S on a Mac), then run the cell below. It zips *this* notebook,
# the one you are working in, whatever its name, and prints a receipt: the functions the grade will
# find for each question and the cell each is in. If the receipt is not what you expect, fix the
# notebook and export again. Upload the zip it names; no PDF is needed.

# %%
grader.export()
