"""What a question's collector works with, in the student's process: the student's functions, and calls that raised.

Shared by the collector (run as ``__main__``) and the question units' ``collect.py``, so both
mean the same :class:`Failure`.
"""

import traceback
from dataclasses import dataclass


@dataclass(frozen=True)
class Failure:
    """A call of the student's that raised: only the checks that need its answer fail."""

    message: str


class UnusableAnswer(Exception):
    """What a graded function returned cannot be judged; the message says what to return instead, as is."""


def if_returned(result, value):
    """``value`` if the call that gave ``result`` returned, else its failure: a stub leaves its inputs
    alone too, and must not earn the check that says so."""
    return result if isinstance(result, Failure) else value


def said_once(messages):
    """Each distinct message once, in the order first met, with how many failed checks it stands for.

    One mistake (a stub that raises, a notebook variable read) fails every check that needs the
    call; the student is told once, and how many checks it cost.

    Examples
    --------
    >>> said_once(["it raised", "wrong shape", "it raised", "it raised"])
    ['it raised (this one failure fails 3 checks)', 'wrong shape']
    """
    counts: dict[str, int] = {}
    for message in messages:
        counts[message] = counts.get(message, 0) + 1
    return [message if count == 1 else f"{message} (this one failure fails {count} checks)" for message, count in counts.items()]


def notebook_variable_message(function, variable):
    """What ``grader.check`` and the grade both say of a graded function that reads a variable of the notebook."""
    return (
        f"{function} uses {variable}, a variable of the notebook: use only its arguments (the grader calls "
        f"{function} on other data, where {variable} does not exist)."
    )


class Student:
    """The student's definitions, as a question's collector reaches them.

    ``notebook_variables`` are the names the notebook assigns with code the grader does not run
    (``X_train = ...``): a function that reads one raises ``NameError`` when graded, and the
    failure says why.
    """

    def __init__(self, namespace, notebook_variables=frozenset()):
        self.namespace, self.notebook_variables = namespace, frozenset(notebook_variables)

    def function(self, name):
        if not callable(self.namespace.get(name)):
            raise NameError(f"the notebook does not define a function named {name}")
        return self.namespace[name]

    def call(self, name, *args, on, **kwargs):
        """Call the student's function ``name``; if it raises, a :class:`Failure` that says on what input.

        Parameters
        ----------
        name : str
            The function's name in the notebook.
        *args, **kwargs
            Its arguments.
        on : str
            The input, in a student's words: ``"on a table of 150 rows with n_train=100"``.
        """
        try:
            return self.function(name)(*args, **kwargs)
        except MemoryError:
            raise  # the question ran out of memory: its status says so, not one check
        except NameError as error:
            if getattr(error, "name", None) in self.notebook_variables:
                return Failure(f"{on}, {notebook_variable_message(name, error.name)}")
            return Failure(f"{on}, {name} raised {describe_exception(error)}")
        except (Exception, SystemExit, GeneratorExit) as error:  # noqa: BLE001 - whatever the student's code raises is its answer
            return Failure(f"{on}, {name} raised {describe_exception(error)}")


def describe_exception(error):
    """One line about what the student's code raised, where a student finds it (cell, line, text), and its message.

    Examples
    --------
    ``ValueError in cell 23 (def fit(X, y):), line 20: `return clf.fit(X, y)` (bad input)``
    """
    if isinstance(error, UnusableAnswer):
        return str(error)
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.startswith("<student ") or _IPYTHON_CELL in f.filename]
    where = ""
    if frames:
        frame = frames[-1]
        cell = frame.filename[1:-1].partition(": ")[2] if frame.filename.startswith("<student ") else "a cell of your notebook"
        code = f": `{frame.line.strip()[:120]}`" if frame.line and frame.line.strip() else ""
        where = f" in {cell}, line {frame.lineno}{code}"
    text = str(error).strip().splitlines()[0][:300] if str(error).strip() else ""
    return f"{type(error).__name__}{where}" + (f" ({text})" if text else "")


_IPYTHON_CELL = "/ipykernel_"  # how IPython names a cell's code in tracebacks (grader.check runs there)
