"""Small file helpers the grader's parts share: a graded folder's layout, atomic writes, file digests, safe CSV cells."""

import hashlib
import os
import tempfile
import urllib.parse
from dataclasses import dataclass
from pathlib import Path, PurePath

MAX_NAME = 150
NAME_SEPARATOR = "~"  # joins a submission's folders in its name on disk
# What a name on disk may hold as it is, besides letters and digits: what every common file system
# (Windows' included) takes in a file name, so a file people open keeps the name they gave it.
READABLE_KEEPS = frozenset(" -_.,()[]{}+=@!'&#;$^")


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
        """The feedback file of ``submission`` (its name on disk), named as people read it, yet safe (:func:`readable_file_stem`)."""
        return self.feedback / f"{readable_file_stem(submission)}.md"

    @property
    def marks(self) -> Path:
        """The written questions' marks, one file a question (``mnist-kit mark``)."""
        return self.root / "marks"

    def marks_for(self, question: str) -> Path:
        return self.marks / f"{question}.json"

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


def _escape(part: str, readable: bool) -> str:
    """``part`` with every character a file name should not hold %-escaped (``%`` and ``~`` included, so names stay distinct)."""
    kept = "".join(
        c
        if (c.isascii() and c.isalnum()) or c in "-_." or (readable and ((c.isalnum() and c.isprintable()) or c in READABLE_KEEPS))
        else "".join(f"%{byte:02X}" for byte in c.encode())
        for c in part
    )
    if kept.startswith("."):
        kept = "%2E" + kept[1:]  # never a hidden file
    if readable and kept.endswith((" ", ".")):
        kept = kept[:-1] + f"%{ord(kept[-1]):02X}"  # Windows drops a trailing space or dot
    return kept


def submission_name(parts: tuple[str, ...]) -> str:
    """A submission's name on disk (``results/<name>.json``) from its path's parts below the graded folder.

    Folders are joined with ``~``; every character but ASCII letters, digits, ``-``, ``_`` and
    inner dots is %-escaped, so two paths never make one name and :func:`shown_name` gives the
    path back. A name longer than :data:`MAX_NAME` is cut and ends in a hash of the whole.

    Examples
    --------
    >>> submission_name(("s1", "x", "hw")), submission_name(("mnist (1)",)), submission_name((".x",))
    ('s1~x~hw', 'mnist%20%281%29', '%2Ex')
    """
    name = NAME_SEPARATOR.join(_escape(part, readable=False) for part in parts)
    if len(name) > MAX_NAME:
        name = f"{name[: MAX_NAME - 17]}{NAME_SEPARATOR}{hashlib.sha256(name.encode()).hexdigest()[:16]}"
    return name


def shown_name(name: str) -> str:
    """A submission's name as people read it: its path as it was, from its name on disk (:func:`submission_name`).

    Every output people read (gradebooks, feedback, the report, the terminal) shows this; each
    escapes it for itself (CSV formulas, HTML, Markdown).

    Examples
    --------
    >>> shown_name("mnist%20%281%29"), shown_name("s1~x~hw"), shown_name("owenotto_48216_700161_MNIST%20final")
    ('mnist (1)', 's1/x/hw', 'owenotto_48216_700161_MNIST final')
    """
    return "/".join(urllib.parse.unquote(part) for part in name.split(NAME_SEPARATOR))


def readable_file_stem(name: str) -> str:
    """A file name people open for a submission (its feedback): the shown name, escaping only what a file name cannot hold.

    Examples
    --------
    >>> readable_file_stem("mnist%20%281%29"), readable_file_stem("s1~x~hw"), readable_file_stem("a%3Ab%7Ec")
    ('mnist (1)', 's1~x~hw', 'a%3Ab%7Ec')
    """
    parts = PurePath(*shown_name(name).split("/")).parts if name else ("",)
    stem = NAME_SEPARATOR.join(_escape(part, readable=True) for part in parts)
    return stem if len(stem) <= MAX_NAME else name
