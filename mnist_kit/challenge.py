"""Grading-time inputs for the student's functions, drawn fresh for every grading run.

The checker draws a challenge from a seed nobody knows in advance, hands it to the student's
process as plain data (``challenge.npz`` and ``challenge.json``), and later judges the answers
against the same challenge. Outputs that were hard-coded or computed from anything but the
inputs therefore cannot pass.

Every question draws its inputs from a random stream of its own, derived from the seed and the
question's name, so adding, removing or changing a question never changes another's inputs.
The data the fitting questions share (MNIST with its pixel columns permuted, the training rows
in a drawn order) comes from a stream of its own too.
"""

import json
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import spec
from .questions import QUESTIONS

ARRAYS_FILE = "challenge.npz"
PARAMS_FILE = "challenge.json"
SHARED = "shared"  # the stream and key prefix of the data several questions use


def stream(seed, name):
    """The random generator of one part of the challenge: the same seed and name, the same draws."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode())])


@dataclass(frozen=True)
class DrawData:
    """What a question's ``draw`` may use: the checker's own MNIST and the shared draws."""

    images: np.ndarray  # (70000, 784) uint8, 0-255, in OpenML's order
    digits: np.ndarray  # (70000,) int8
    shared: dict  # pixel_permutation, train_order


def make_challenge(seed, images, digits):
    """Draw the inputs the checker sends to the student's functions.

    Parameters
    ----------
    seed : int
        Seed of this grading run; the same seed gives the same challenge.
    images : ndarray of shape (70000, 784)
        The checker's own copy of the MNIST pixels (0-255).
    digits : ndarray of shape (70000,), dtype int
        The checker's own copy of the labels as integers.

    Returns
    -------
    arrays : dict of str to ndarray
        Inputs that are arrays, each key prefixed with its question's name (``q1_X``); none is
        an object array, so they travel without pickle.
    params : dict
        Scalar inputs, keyed alike, plus the ``seed``; JSON-serialisable.

    Examples
    --------
    >>> arrays, params = make_challenge(7, *load_embedded())  # doctest: +SKIP
    >>> params["q5_cv"]  # doctest: +SKIP
    4
    """
    rng = stream(seed, SHARED)
    shared = {"pixel_permutation": rng.permutation(images.shape[1]), "train_order": rng.permutation(spec.N_TRAIN)}
    arrays = {f"{SHARED}_{key}": value for key, value in shared.items()}
    params = {"seed": int(seed)}
    data = DrawData(images, digits, shared)
    for name, question in QUESTIONS.items():
        question_arrays, question_params = question.draw(stream(seed, name), data)
        arrays.update({f"{name}_{key}": value for key, value in question_arrays.items()})
        params.update({f"{name}_{key}": value for key, value in question_params.items()})
    return arrays, params


def inputs_of(name, arrays, params):
    """One question's (or the shared data's) part of a challenge, without the prefix."""
    prefix = f"{name}_"
    return ({key[len(prefix):]: value for key, value in arrays.items() if key.startswith(prefix)},
            {key[len(prefix):]: value for key, value in params.items() if key.startswith(prefix)})


def write_challenge(directory, arrays, params):
    """Write a challenge as plain data into ``directory``."""
    directory = Path(directory)
    np.savez(directory / ARRAYS_FILE, **arrays)
    (directory / PARAMS_FILE).write_text(json.dumps(params))


def read_challenge(directory):
    """Read a challenge written by :func:`write_challenge`, refusing anything that needs pickle."""
    directory = Path(directory)
    with np.load(directory / ARRAYS_FILE, allow_pickle=False) as stored:
        arrays = {key: stored[key] for key in stored.files}
    return arrays, json.loads((directory / PARAMS_FILE).read_text())


@dataclass(frozen=True)
class Inputs:
    """One question's grading-time inputs, and the MNIST views it is graded on.

    In the student's process ``data`` is a :class:`StudentData`; in the checker's, a
    :class:`CheckerData`.
    """

    arrays: dict
    params: dict
    data: object


class StudentData:
    """MNIST as the student's functions receive it: pixels permuted, training rows reordered.

    Built before any student code runs, from the stored bytes: select first, convert once.
    """

    def __init__(self, shared_arrays):
        from .data import read_embedded

        images, digits = read_embedded()
        permuted = images[:, shared_arrays["pixel_permutation"]]
        order = shared_arrays["train_order"]
        self.train_images = permuted[: spec.N_TRAIN][order].astype(np.float64)
        self.train_digits = digits[: spec.N_TRAIN][order].astype(np.int8)
        self.test_images = permuted[spec.N_TRAIN :].astype(np.float64)
        self.test_digits = digits[spec.N_TRAIN :].astype(np.int8)


@dataclass(frozen=True)
class CheckerData:
    """What checks measure on: the checker's own test images, permuted like the student's."""

    test_images: np.ndarray
    test_digits: np.ndarray
    showcase_image: np.ndarray

    @classmethod
    def from_mnist(cls, images, digits, shared_arrays):
        permutation = shared_arrays["pixel_permutation"]
        return cls(images[spec.N_TRAIN :, permutation], digits[spec.N_TRAIN :], images[spec.SHOWCASE_IMAGE, permutation])
