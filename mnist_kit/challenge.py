"""Grading-time inputs for the student's functions, drawn fresh for every grading run.

The checker draws a challenge from a seed nobody knows in advance, hands it to the student's
process as plain data (``challenge.npz`` and ``challenge.json``), and later judges the answers
against the same challenge. Outputs that were hard-coded or computed from anything but the
inputs therefore cannot pass.

Every question draws its inputs from random streams of its own, derived from the question's name,
so adding, removing or changing a question never changes another's inputs. Each question has
two: one from this grading's seed (inputs where any draw tests a property alike, such as a
synthetic table for ``shuffle_split``), and one from ``spec.ASSIGNMENT_SEED``, the same for every
submission (inputs whose verdict could depend on the draw, such as the rows a model is judged by).
The data the fitting questions share is drawn from the assignment's seed too: MNIST with its pixel
columns permuted, the training rows in a drawn order, and a few *trap* rows (see
:func:`draw_shared`).
"""

from __future__ import annotations

import dataclasses
import io
import json
import zlib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from . import spec
from .inputs import SHARED, DrawData, draw_shared
from .questions import QUESTIONS
from .workfolder import CHALLENGE_ARRAYS, CHALLENGE_PARAMS, WorkFolder


def stream(seed: int, name: str) -> np.random.Generator:
    """The random generator of one part of the challenge: the same seed and name, the same draws."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode())])


def make_challenge(
    seed: int, images: np.ndarray, digits: np.ndarray, questions: Collection[str] | None = None, memo: dict | None = None
) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Draw the inputs the checker sends to the student's functions.

    Parameters
    ----------
    seed : int
        Seed of this grading run; the same seed gives the same challenge.
    images : ndarray of shape (70000, 784)
        The checker's own copy of the MNIST pixels (0-255).
    digits : ndarray of shape (70000,), dtype int
        The checker's own copy of the labels as integers.
    questions : collection of str, optional
        Draw only these questions' inputs (every question by default). Each question draws from
        streams of its own, so leaving one out changes no other's inputs.
    memo : dict, optional
        Where the draws that depend on the data alone (the shared data's, and those questions
        compute with :meth:`DrawData.once`) are kept between calls; pass the same dict for every
        challenge drawn from the same ``images`` and ``digits``. Nothing is kept by default.

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
    >>> params["q1_n_train"]  # doctest: +SKIP
    41
    """
    unshared = DrawData(images, digits, {}, {} if memo is None else memo)
    shared = unshared.once(_shared_draw)
    data = dataclasses.replace(unshared, shared=shared)
    arrays = {f"{SHARED}_{key}": value for key, value in shared.items()}
    params = {"seed": int(seed)}
    for name, question in QUESTIONS.items():
        if questions is not None and name not in questions:
            continue
        question_arrays, question_params = question.draw(stream(seed, name), stream(spec.ASSIGNMENT_SEED, name), data)
        question.check_draw(question_arrays, question_params)
        arrays.update({f"{name}_{key}": value for key, value in question_arrays.items()})
        params.update({f"{name}_{key}": value for key, value in question_params.items()})
    return arrays, params


def _shared_draw(data: DrawData) -> dict[str, np.ndarray]:
    """The shared data's draw: from the assignment's seed and the data alone, so the same for every challenge."""
    return draw_shared(stream(spec.ASSIGNMENT_SEED, SHARED), data.images, data.digits)


def challenge_files(arrays: Mapping[str, Any], params: dict[str, Any]) -> dict[str, bytes]:
    """A challenge as plain data: ``{file name in the work folder: its bytes}``, as :func:`read_challenge` reads it."""
    stored = io.BytesIO()
    np.savez(stored, **arrays)
    return {CHALLENGE_ARRAYS: stored.getvalue(), CHALLENGE_PARAMS: json.dumps(params).encode()}


def write_challenge(directory: Path, arrays: Mapping[str, Any], params: dict[str, Any]) -> None:
    """Write a challenge as plain data into ``directory``."""
    for name, content in challenge_files(arrays, params).items():
        (Path(directory) / name).write_bytes(content)


def read_challenge(directory: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """Read a challenge written by :func:`write_challenge`, refusing anything that needs pickle."""
    directory = Path(directory)
    work = WorkFolder(directory)
    with np.load(work.challenge_arrays, allow_pickle=False) as stored:
        arrays = {key: stored[key] for key in stored.files}
    return arrays, json.loads(work.challenge_params.read_text())
