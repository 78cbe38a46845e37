"""``grader.check`` answers every odd return value or exception of every graded function in one line each, never a traceback."""

import numpy as np
import pytest

from mnist_kit.notebook import public_check
from mnist_kit.questions import QUESTIONS


class Weird:
    """An object that lies about everything it is asked."""

    def __getattr__(self, name):
        raise RuntimeError(f"no {name} here")

    def __eq__(self, other):
        raise ValueError("cannot compare")

    def __len__(self):
        raise TypeError("no length")


def _raises(error):
    def function(*args, **kwargs):
        raise error

    return function


ODD = {
    "None": lambda *a, **k: None,
    "a string": lambda *a, **k: "done",
    "an empty array": lambda *a, **k: np.array([]),
    "a NaN": lambda *a, **k: float("nan"),
    "an object array": lambda *a, **k: np.array([object(), None], dtype=object),
    "a lying object": lambda *a, **k: Weird(),
    "ValueError": _raises(ValueError("bad input")),
    "SystemExit": _raises(SystemExit(3)),
}


@pytest.mark.parametrize("question", list(QUESTIONS))
@pytest.mark.parametrize("kind", list(ODD))
def test_every_odd_answer_gets_plain_one_line_messages(question, kind):
    functions = {name: ODD[kind] for name in QUESTIONS[question].functions}
    report = public_check(question, functions)
    assert not report.passed
    shown = repr(report)
    assert "Traceback" not in shown and 'File "' not in shown
    for message in report.failures():
        assert message and "\n" not in message, message
