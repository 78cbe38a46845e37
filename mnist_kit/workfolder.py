"""The sandbox's work folder: every file the grader, the student's process and ``grader.check`` exchange, named once.

The grader writes the notebook, the loader and the challenge into it; the collector (in the
student's process) writes the progress log, the definitions' record and each question's answers;
the grader reads those back as untrusted bytes (by their relative parts, through
:func:`mnist_kit.untrusted.read_student_file`). ``grader.check`` makes the same answer files in a
folder of its own, so the student's round trip is the grade's.

Standard library only: it is imported inside the student's process.
"""

from dataclasses import dataclass
from pathlib import Path

NOTEBOOK = "submission.ipynb"
PROGRESS = "progress.jsonl"
DEFINITIONS = "definitions.json"
ANSWERS = "answers"
CHALLENGE_ARRAYS = "challenge.npz"
CHALLENGE_PARAMS = "challenge.json"


@dataclass(frozen=True)
class WorkFolder:
    """The paths of one work folder.

    Examples
    --------
    >>> work = WorkFolder(Path("/submission"))
    >>> work.answer_record("q2").as_posix(), WorkFolder.answer_parts("q2", ".npz")
    ('/submission/answers/q2.json', ('answers', 'q2.npz'))
    """

    root: Path

    @property
    def notebook(self) -> Path:
        """The submitted notebook, as the collector runs it."""
        return self.root / NOTEBOOK

    @property
    def progress(self) -> Path:
        """One JSON line per step, written before the step runs: which step a crash or a hang was in."""
        return self.root / PROGRESS

    @property
    def definitions(self) -> Path:
        """The errors of the notebook's definitions, as the collector recorded them."""
        return self.root / DEFINITIONS

    @property
    def answers(self) -> Path:
        """The folder of the questions' answers: ``<q>.json`` (descriptions, failures) and ``<q>.npz`` (arrays)."""
        return self.root / ANSWERS

    def answer_record(self, question: str) -> Path:
        return self.root.joinpath(*self.answer_parts(question, ".json"))

    def answer_arrays(self, question: str) -> Path:
        return self.root.joinpath(*self.answer_parts(question, ".npz"))

    @staticmethod
    def answer_parts(question: str, suffix: str) -> tuple[str, str]:
        """A question's answer file, relative to the work folder (``suffix`` ``.json`` or ``.npz``)."""
        return ANSWERS, f"{question}{suffix}"

    @property
    def challenge_arrays(self) -> Path:
        return self.root / CHALLENGE_ARRAYS

    @property
    def challenge_params(self) -> Path:
        return self.root / CHALLENGE_PARAMS
