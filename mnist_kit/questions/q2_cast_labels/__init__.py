"""q2: turn OpenML's string labels ('7') into small integers (7, as int8).

Graded on fresh string labels of a fresh length.
"""

NAME = "q2"
POINTS = 1
FUNCTIONS = ("cast_labels",)


def draw(rng, data):
    return {"y": rng.integers(0, 10, size=int(rng.integers(50, 200))).astype(str)}, {}
