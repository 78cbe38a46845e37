"""A written question's rubric: its items, each with points and the comment the student reads.

A rubric lives beside its question (``mnist_kit/questions/<unit>/rubric.toml``), never in the
student release. Each item is a ``[[item]]`` table::

    [[item]]
    key = "1"                   # what the marker presses to apply it (not n, p or c: the page's own)
    points = 1                  # earned (positive) or taken off (negative)
    label = "Names a pair the matrix shows"
    comment = "You named two digits the matrix really mixes up."

The positive items add up to the question's points; a mark's score is the sum of the items it
applies, kept between 0 and the question's points. Marking may change an item's points later
(:meth:`Rubric.with_points`): every score is computed from the items applied, never stored.
"""

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

KEYS = "123456789abdefghijklmoqrstuvwxyz"  # keys a marker may give an item: the page keeps n, p (move) and c (comment)


class RubricError(ValueError):
    """A rubric that cannot be used, said in one line naming its file and item."""


@dataclass(frozen=True)
class RubricItem:
    """One line of a rubric."""

    key: str
    points: float
    label: str
    comment: str = ""


@dataclass(frozen=True)
class Rubric:
    """A written question's items, and the points the question is worth.

    Examples
    --------
    >>> rubric = Rubric("q7", 2, (RubricItem("1", 1, "pair"), RubricItem("2", 1, "why"), RubricItem("x", -1, "off topic")))
    >>> rubric.score(["1", "2"]), rubric.score(["1", "x"]), rubric.score(["x"])
    (2.0, 0.0, 0.0)
    >>> rubric.with_points("1", 1.5).score(["1"])
    1.5
    """

    question: str
    points: float
    items: tuple[RubricItem, ...]

    def item(self, key: str) -> RubricItem:
        """The item marked ``key``; ``KeyError`` if the rubric has none."""
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    def score(self, applied: Iterable[str]) -> float:
        """The points of the items ``applied``, kept between 0 and the question's points."""
        total = sum(self.item(key).points for key in applied)
        return float(round(min(max(total, 0.0), float(self.points)), 2))

    def with_points(self, key: str, points: float) -> "Rubric":
        """This rubric with item ``key`` worth ``points``."""
        self.item(key)
        return replace(self, items=tuple(replace(i, points=float(points)) if i.key == key else i for i in self.items))

    def to_json(self) -> list[dict[str, object]]:
        return [{"key": i.key, "points": i.points, "label": i.label, "comment": i.comment} for i in self.items]


def rubric_from_items(question: str, points: float, items: object, where: str, authored: bool = True) -> Rubric:
    """A rubric from its items as TOML or JSON gives them (``where`` names the file in errors).

    ``authored`` (a rubric as written beside its unit) also requires the positive items to add up
    to ``points``; a rubric whose items' points changed while marking need not (scores stay
    between 0 and ``points``).

    Raises
    ------
    RubricError
        In one line naming ``where`` and the item: no points, two items with one key, a key a
        marker cannot press, no label, or (``authored``) positive items that do not add up to ``points``.
    """
    if not isinstance(items, list) or not items:
        raise RubricError(f"{where}: no [[item]] tables; give the rubric at least one item (key, points, label, comment)")
    made: list[RubricItem] = []
    for number, entry in enumerate(items, start=1):
        if not isinstance(entry, dict):
            raise RubricError(f"{where}: item {number} is not a table; write it as [[item]] with key, points, label, comment")
        key, named = str(entry.get("key", "")), f"item {number}"
        value = entry.get("points")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise RubricError(f"{where}: {named} ({key or 'no key'}) has no points; give it points = N (negative to take off)")
        if len(key) != 1 or key not in KEYS:
            raise RubricError(f"{where}: {named} has key {key!r}; give it one of {KEYS} (the page keeps n and p to move, c to comment)")
        if any(item.key == key for item in made):
            raise RubricError(f"{where}: {named} has key {key!r}, which another item has; give each item its own key")
        if not str(entry.get("label", "")).strip():
            raise RubricError(f"{where}: {named} ({key}) has no label; say in a few words what it marks")
        made.append(RubricItem(key, float(value), str(entry["label"]), str(entry.get("comment", ""))))
    positive = sum(item.points for item in made if item.points > 0)
    if authored and abs(positive - points) > 1e-9:
        raise RubricError(f"{where}: the positive items add up to {positive:g} points, but {question} is worth {points:g}; make them agree")
    return Rubric(question, float(points), tuple(made))


def read_rubric(path: Path, question: str, points: float) -> Rubric:
    """The rubric of ``question`` (worth ``points``) in the TOML file ``path``; :class:`RubricError` in one line if unusable."""
    try:
        table = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RubricError(f"{path} is missing: {question} is marked by hand and needs a rubric beside its unit") from None
    except tomllib.TOMLDecodeError as error:
        raise RubricError(f"{path} does not parse ({error}); fix the TOML") from None
    return rubric_from_items(question, points, table.get("item"), str(path))
