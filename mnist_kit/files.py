"""Small file helpers the grader's parts share: a graded folder's layout, atomic writes, file digests, safe CSV cells."""

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GradedFolder:
    """Every path of a graded folder (what ``mnist-kit grade --out`` writes), known in this one place.

    Parameters
    ----------
    root : str or Path
        The folder itself.

    Examples
    --------
    >>> graded = GradedFolder("graded")
    >>> graded.result("alice").as_posix()
    'graded/results/alice.json'
    >>> graded.gradebook.as_posix(), graded.report.as_posix()
    ('graded/grades.csv', 'graded/report.html')
    """

    root: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", Path(self.root))

    @property
    def gradebook(self) -> Path:
        """One row a submission: ``grades.csv``."""
        return self.root / "grades.csv"

    @property
    def results(self) -> Path:
        """One JSON file a submission, every check with its message."""
        return self.root / "results"

    def result(self, submission: str) -> Path:
        return self.results / f"{submission}.json"

    @property
    def history(self) -> Path:
        """The results and gradebook each regrade replaced, one folder per regrade."""
        return self.results / "history"

    @property
    def feedback(self) -> Path:
        """One Markdown file a submission, for its student."""
        return self.root / "feedback"

    def feedback_for(self, submission: str) -> Path:
        return self.feedback / f"{submission}.md"

    @property
    def report(self) -> Path:
        return self.root / "report.html"

    @property
    def course_gradebook(self) -> Path:
        """One row a student on the roster (``mnist-kit grade --roster``): raw, late, penalty, final."""
        return self.root / "course.csv"

    @property
    def course_state(self) -> Path:
        """The course gradebook as data, for ``mnist-kit export`` and the report."""
        return self.root / "course.json"

    @property
    def student_feedback(self) -> Path:
        """One Markdown file a student on the roster, named by login, to return through the LMS."""
        return self.root / "students"

    @property
    def overrides(self) -> Path:
        """The instructor's overrides (``student, question, score, reason``), applied after every grading."""
        return self.root / "overrides.csv"

    @property
    def gradescope_exports(self) -> Path:
        """Gradescope export zips, unpacked to be graded."""
        return self.root / "gradescope-exports"

    @property
    def similarity(self) -> Path:
        """One row a flagged pair of submissions (``mnist-kit similarity``)."""
        return self.root / "similarity.csv"

    @property
    def similarity_page(self) -> Path:
        """The flagged pairs, and what was removed as common code."""
        return self.root / "similarity.html"

    @property
    def similarity_pairs(self) -> Path:
        """One page a flagged pair, the two submissions side by side."""
        return self.root / "similarity"


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half of it."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as file:
        file.write(text)
    os.replace(temporary, path)


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, as hex, read in parts (an upload may be of any size)."""
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def spreadsheet_safe(value: object) -> object:
    """A gradebook cell no spreadsheet runs as a formula: text starting with = + - @ tab or CR gets a leading '.

    Examples
    --------
    >>> [spreadsheet_safe(v) for v in ("-A1%2B1", "=1+1", "ann", 2.5)]
    ["'-A1%2B1", "'=1+1", 'ann', 2.5]
    """
    return f"'{value}" if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")) else value
