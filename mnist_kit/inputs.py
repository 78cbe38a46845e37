"""What a question's functions are graded on: the shared MNIST draw, and each side's view of it.

The fitting questions share one draw of MNIST (:func:`draw_shared`: permuted pixels, reordered
training rows, and *trap* rows). The student's process sees it as :class:`StudentData`, the
checker as :class:`CheckerData`; a question's ``draw`` receives :class:`DrawData`, and its
functions and checks an :class:`Inputs`. :mod:`mnist_kit.challenge` draws a grading's inputs
with these; the question units declare theirs with them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import spec
from .answers import model_parameter

if TYPE_CHECKING:
    from .checks import Answers, Defect

SHARED = "shared"  # the stream and key prefix of the data several questions use
TRAP_ROWS = 64
TRAP_VALUE = 255.0


def forget_the_trap(key: str) -> Defect:
    """A defect for the checks of a model fitted on the shared data: the model recorded under ``key`` gives
    the trap pixel no weight, as one fitted on only some rows would."""

    def defect(answers: Answers, inputs: Inputs) -> None:
        answers.arrays[model_parameter(key, "coef_")][:, inputs.data.trap_column] = 0.0

    return defect


@dataclass(frozen=True)
class DrawData:
    """What a question's ``draw`` may use: the checker's own MNIST and the shared draws."""

    images: np.ndarray  # (70000, 784) 0-255, in OpenML's order
    digits: np.ndarray  # (70000,) int8
    shared: dict  # see draw_shared
    memo: dict = field(default_factory=dict, repr=False)  # see once

    def once(self, compute: Callable[[DrawData], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
        """``compute(self)``, computed once for every challenge drawn with the same ``memo``; its arrays read-only.

        For inputs that depend on the data alone (no seed, no stream), such as q5's fixed models:
        drawn for every grading, they would cost a batch's checker most of its time.
        """
        if compute not in self.memo:
            self.memo[compute] = _read_only(compute(self))
        return dict(self.memo[compute])


def _read_only(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    for array in arrays.values():
        array.setflags(write=False)
    return arrays


def draw_shared(rng: np.random.Generator, images: np.ndarray, digits: np.ndarray) -> dict[str, np.ndarray]:
    """The data every fitting question is graded on: the same for every submission.

    Returns ``pixel_permutation`` (the students' pixel order), ``train_order`` (the training rows'
    order) and a trap: ``trap_rows``, a few training rows (positions in that order, all images of
    the target digit) whose ``trap_column`` pixel is set to :data:`TRAP_VALUE`. That pixel is blank
    in every MNIST image, so the trap changes no test prediction; but a model fitted on every
    training row gives it a positive weight, and a model fitted on a part of the rows that misses
    the trap rows gives it none. The trap rows lie in the second half of the order, never at a
    position a multiple of 2 to 10, so a prefix or an every-k-th-row sample misses all of them.
    """
    n_train = spec.N_TRAIN
    permutation = rng.permutation(images.shape[1])
    order = rng.permutation(n_train)
    blank = np.flatnonzero(images.max(axis=0) == 0)
    trap_pixel = int(rng.choice(blank))
    positions = np.arange(n_train // 2, n_train)
    eligible = positions[
        (digits[:n_train][order][positions] == spec.TARGET_DIGIT) & np.all([positions % k != 0 for k in range(2, 11)], axis=0)
    ]
    return {
        "pixel_permutation": permutation,
        "train_order": order,
        "trap_rows": np.sort(rng.choice(eligible, size=TRAP_ROWS, replace=False)),
        "trap_column": np.array(int(np.flatnonzero(permutation == trap_pixel)[0])),
    }


class InputKeyError(LookupError):
    """A question unit draws or reads an input its ``INPUTS`` does not declare: a defect of the kit, not of a submission."""


class DeclaredInputs(Mapping[str, Any]):
    """One question's arrays (or scalars), read only by the names its ``INPUTS`` declares.

    Reading an undeclared name is an :class:`InputKeyError` that names the question and what it
    declares (never a ``KeyError``, which the checks would blame on the student's answer).
    """

    def __init__(self, question: str, kind: str, values: Mapping[str, Any], declared: tuple[str, ...]) -> None:
        self._question, self._kind, self._values, self._declared = question, kind, dict(values), declared

    def __getitem__(self, name: str) -> Any:
        if name not in self._declared:
            raise InputKeyError(f"{self._question}'s INPUTS declares no {self._kind} {name!r}; it declares {sorted(self._declared)}")
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


@dataclass(frozen=True)
class InputSchema:
    """The inputs one question's ``draw`` makes, each declared once, in the unit's ``__init__.py`` (``INPUTS``).

    The challenge checks every draw against it (:meth:`undeclared`), and the collector and the
    checks read the inputs through it (:meth:`inputs`): the three share one declaration, as the
    collector and the checks share ``ANSWERS``.

    Examples
    --------
    >>> INPUTS = InputSchema("q3", arrays=("y",), params=("digit",))
    >>> INPUTS.undeclared({"y": 1, "z": 2}, {"digit": 2})
    "draws array 'z', which INPUTS does not declare"
    >>> INPUTS.inputs({"y": 1}, {"digit": 2}, None).params["digit"]
    2
    """

    question: str
    arrays: tuple[str, ...] = ()
    params: tuple[str, ...] = ()

    def undeclared(self, arrays: Mapping[str, Any], params: Mapping[str, Any]) -> str | None:
        """What a draw of ``arrays`` and ``params`` does against the declaration, in words; None when it matches."""
        for kind, drawn, declared in (("array", arrays, self.arrays), ("param", params, self.params)):
            extra = [name for name in drawn if name not in declared]
            if extra:
                return f"draws {kind} {extra[0]!r}, which INPUTS does not declare"
            missing = [name for name in declared if name not in drawn]
            if missing:
                return f"declares {kind} {missing[0]!r} in INPUTS but does not draw it"
        return None

    def inputs(self, arrays: Mapping[str, np.ndarray], params: Mapping[str, Any], data: Any) -> Inputs:
        """The question's :class:`Inputs`, read through this declaration."""
        return Inputs(
            DeclaredInputs(self.question, "array", arrays, self.arrays), DeclaredInputs(self.question, "param", params, self.params), data
        )


def inputs_of(name: str, arrays: Mapping[str, np.ndarray], params: Mapping[str, Any]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """One question's (or the shared data's) part of a challenge, without the prefix."""
    prefix = f"{name}_"
    return (
        {key[len(prefix) :]: value for key, value in arrays.items() if key.startswith(prefix)},
        {key[len(prefix) :]: value for key, value in params.items() if key.startswith(prefix)},
    )


@dataclass(frozen=True)
class Inputs:
    """One question's grading-time inputs, and the MNIST views it is graded on.

    In the student's process ``data`` is a :class:`StudentData`; in the checker's, a
    :class:`CheckerData`, and ``witnessed`` what the SGD witness saw (:func:`mnist_kit.witness.read_record`).
    """

    arrays: Mapping[str, np.ndarray]
    params: Mapping[str, Any]
    data: Any  # StudentData in the student's process, CheckerData in the checker's; None if it uses no MNIST
    witnessed: dict[bytes, str] = field(default_factory=dict)


class StudentData:
    """MNIST as the student's functions receive it: pixels permuted, training rows reordered, traps set.

    Built before any student code runs, from the stored bytes: select first, convert once. The
    pixels are kept as the uint8 they are (the trap's value, 255, included); each call hands out a
    fresh float64 copy, the only copy a question needs. Every float64 array a process touches the
    first time costs it page faults: a persistent float64 copy of the training images, besides the
    one each question hands its function, cost every grading about half a CPU-second.

    Examples
    --------
    >>> data = StudentData(shared_arrays)  # doctest: +SKIP
    >>> data.train_images([0, 1]).shape  # doctest: +SKIP
    (2, 784)
    """

    def __init__(self, shared_arrays: dict[str, np.ndarray]) -> None:
        from .data import read_embedded

        images, digits = read_embedded()
        permutation, order = shared_arrays["pixel_permutation"], shared_arrays["train_order"]
        # Rows first, then take() the columns: both keep one image a row in memory (indexing the
        # columns with [:, permutation] would not), which is 5x faster for the same values.
        self._train = images[: spec.N_TRAIN][order].take(permutation, axis=1)
        self._train[shared_arrays["trap_rows"], int(shared_arrays["trap_column"])] = int(TRAP_VALUE)
        self.train_digits = digits[: spec.N_TRAIN][order].astype(np.int8)
        self._test = images[spec.N_TRAIN :].take(permutation, axis=1)
        self.test_digits = digits[spec.N_TRAIN :].astype(np.int8)

    def train_images(self, rows: np.ndarray | None = None) -> np.ndarray:
        """A fresh float64 copy of the training images (of ``rows``, positions in the training order, if given)."""
        return (self._train if rows is None else self._train[rows]).astype(np.float64)

    def test_images(self, rows: np.ndarray | None = None) -> np.ndarray:
        """A fresh float64 copy of the test images (of ``rows`` if given)."""
        return (self._test if rows is None else self._test[rows]).astype(np.float64)


_TRAINING_BYTES: dict[bytes, np.ndarray] = {}  # draw_key: the training images as the students see them, in uint8


def draw_key(shared_arrays: Mapping[str, np.ndarray]) -> bytes:
    """A digest of the shared draw (:func:`draw_shared`): equal for every grading that fits on the same data."""
    return hashlib.blake2b(
        b"".join(np.ascontiguousarray(shared_arrays[name]).tobytes() for name in ("pixel_permutation", "train_order", "trap_rows"))
    ).digest()


@dataclass(frozen=True)
class CheckerData:
    """What checks measure on: the checker's own MNIST, seen as the student's functions saw it.

    ``test_images`` are permuted like the students'; the training images are never copied:
    :meth:`train_scores` computes a linear model's scores on them as the student's process
    arranged them (permuted, reordered, with the trap rows).
    """

    test_images: np.ndarray
    test_digits: np.ndarray
    showcase_image: np.ndarray
    train_digits: np.ndarray
    images: np.ndarray
    shared: dict

    @classmethod
    def from_mnist(cls, images: np.ndarray, digits: np.ndarray, shared_arrays: dict[str, np.ndarray]) -> CheckerData:
        permutation = shared_arrays["pixel_permutation"]
        views = _read_only(
            {
                "test_images": images[spec.N_TRAIN :].take(permutation, axis=1),
                "showcase_image": images[spec.SHOWCASE_IMAGE, permutation],
                "train_digits": digits[: spec.N_TRAIN][shared_arrays["train_order"]],
            }
        )
        # Read-only: one is shared by every grading of a checker.
        return cls(views["test_images"], digits[spec.N_TRAIN :], views["showcase_image"], views["train_digits"], images, shared_arrays)

    @property
    def trap_column(self) -> int:
        return int(self.shared["trap_column"])

    @property
    def draw_key(self) -> bytes:
        """A digest of the shared draw: equal for every grading that fits on the same data (see :func:`draw_key`)."""
        return draw_key(self.shared)

    def train_pixels_at(self, positions: np.ndarray) -> np.ndarray:
        """The training images at ``positions`` (in the students' row order) with the values the student's functions received.

        As uint8 (every pixel is a whole number from 0 to 255, the trap's included), in the
        students' column order: the checker fits on these what a model in the student's process
        fitted on, and gets the same model.
        """
        key = self.draw_key
        ordered = _TRAINING_BYTES.get(key)
        if ordered is None:  # 47 MB, built once per process (one draw): gathering rows of the float images costs 3x more
            ordered = self._training_bytes()
            _TRAINING_BYTES.clear()
            _TRAINING_BYTES[key] = ordered
        positions = np.asarray(positions)
        selected = ordered[positions]
        selected[np.isin(positions, self.shared["trap_rows"]), self.trap_column] = int(TRAP_VALUE)
        return selected

    def _training_bytes(self) -> np.ndarray:
        """The training images in the students' row and column order, as uint8 (converted first: 8x fewer bytes to move)."""
        pixels = np.asarray(self.images[: spec.N_TRAIN], dtype=np.uint8)
        return pixels[self.shared["train_order"]].take(self.shared["pixel_permutation"], axis=1)

    def train_scores(self, coef: np.ndarray, intercept: np.ndarray | float) -> np.ndarray:
        """``X_train @ coef.T + intercept`` for the training images as the student's functions received them.

        ``coef`` has one row per class and its columns in the students' pixel order.
        """
        coef = np.atleast_2d(coef)
        in_original_order = np.empty_like(coef)
        in_original_order[:, self.shared["pixel_permutation"]] = coef
        scores = (self.images[: spec.N_TRAIN] @ in_original_order.T)[self.shared["train_order"]] + intercept
        scores[self.shared["trap_rows"]] += TRAP_VALUE * coef[:, self.trap_column]
        return scores
