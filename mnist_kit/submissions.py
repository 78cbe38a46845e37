"""What a submission is: which files of an upload or a folder are graded, and the notebook read from each.

Every byte here is the student's: an upload is read with a cap on its size, a zip is streamed
member by member, and the notebook chosen among several by a stated rule (:func:`choose_notebook`),
so that :mod:`mnist_kit.batch`, Gradescope's entry point and a cluster's client read alike.
"""

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from . import untrusted
from .files import submission_name
from .questions import QUESTIONS
from .results import Result
from .sandbox import Limits

SUBMISSION_SUFFIXES = (".ipynb", ".zip")


class InvalidSubmission(ValueError):
    """The uploaded file is not a notebook the grader can read; the message says why."""


# Never a submission, wherever it is found: Jupyter's checkpoints, macOS's zip debris, hidden files
# and editors' backups (what a student gets by dragging their whole folder into an upload).
NEVER_GRADED_FOLDERS = (".ipynb_checkpoints", "__MACOSX")
BACKUP_ENDINGS = ("~", ".bak", ".orig", ".swp", "-checkpoint.ipynb")


def is_candidate(name: str) -> bool:
    """Whether the file at the relative path ``name`` may be graded: a notebook or zip, and none of the never-graded kinds.

    Examples
    --------
    >>> [is_candidate(n) for n in ("mnist.ipynb", ".ipynb_checkpoints/mnist-checkpoint.ipynb", "__MACOSX/._mnist.ipynb")]
    [True, False, False]
    >>> [is_candidate(n) for n in ("a/.hidden.ipynb", "mnist.ipynb~", "#mnist.ipynb#", "export.zip", "notes.txt")]
    [False, False, False, True, False]
    """
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if not parts or any(part in NEVER_GRADED_FOLDERS or part.startswith(".") for part in parts):
        return False
    last = parts[-1]
    return last.endswith(SUBMISSION_SUFFIXES) and not last.startswith("#") and not last.endswith(BACKUP_ENDINGS)


@dataclass(frozen=True)
class NotebookChoice:
    """Which of an upload's files is graded, and the other candidates, which are not."""

    chosen: str
    others: tuple[str, ...] = ()

    @property
    def note(self) -> str:
        """One line saying which file was graded and which were not ("" when there was one candidate)."""
        if not self.others:
            return ""
        named = ", ".join(untrusted.one_line(n, 80) for n in self.others[:5]) + (", …" if len(self.others) > 5 else "")
        return (
            f"graded {untrusted.one_line(self.chosen, 80)}, one of {len(self.others) + 1} notebooks uploaded (the rule: the one "
            f"least deep in folders, then with the most graded functions answered, then the largest); not graded: {named}; "
            "upload only the notebook you worked in"
        )


MAX_RANKED = 8  # candidates whose answered functions are counted (each in a child process, bounded)


def choose_notebook(sizes: Mapping[str, int], read: Callable[[str], bytes] | None = None) -> NotebookChoice:
    """The file of an upload to grade, from its files' relative paths and sizes (and, to rank notebooks, a reader of their bytes).

    Only candidates count (:func:`is_candidate`); notebooks before zips. Of several, the one
    least deep in folders, then with the fewest graded functions unanswered (a stub or missing,
    as the receipt finds them; only when ``read`` is given), then the largest, then the first by
    name.

    Raises
    ------
    InvalidSubmission
        When no file is a candidate.

    Examples
    --------
    >>> choose_notebook({"mnist.ipynb": 9_000, ".ipynb_checkpoints/mnist-checkpoint.ipynb": 5_000}).chosen
    'mnist.ipynb'
    >>> choose_notebook({"mnist.ipynb": 5_000, "mnist-Copy1.ipynb": 9_000}).others
    ('mnist.ipynb',)
    """
    candidates = [name for name in sizes if is_candidate(name)]
    notebooks = [name for name in candidates if name.endswith(".ipynb")] or candidates
    if not notebooks:
        raise InvalidSubmission("no .ipynb or .zip file was submitted; upload your notebook or the zip grader.export() made")

    def depth(name: str) -> int:
        return len(PurePosixPath(name).parts)

    shallowest = sorted((n for n in notebooks if depth(n) == min(map(depth, notebooks))), key=lambda n: (-sizes[n], n))
    ranked = shallowest[:MAX_RANKED] if read and len(shallowest) > 1 and shallowest[0].endswith(".ipynb") else []
    unanswered = {name: _unanswered(read, name) for name in ranked} if read else {}
    unranked = len(QUESTIONS) * 10 + 1 if unanswered else 0  # beyond MAX_RANKED: after those counted
    order = sorted(notebooks, key=lambda n: (depth(n), unanswered.get(n, unranked), -sizes[n], n))
    return NotebookChoice(order[0], tuple(order[1:]))


def _unanswered(read: Callable[[str], bytes], name: str) -> int:
    """How many graded functions the notebook ``name`` leaves unanswered (a stub, or not defined), from its receipt."""
    from .export import receipt_in_child

    unreadable = len(QUESTIONS) * 10  # after every readable notebook
    try:
        made = receipt_in_child(read(name), "candidate.ipynb")
    except (untrusted.UntrustedBytes, OSError):
        return unreadable
    if made.startswith("No receipt"):
        return unreadable
    return sum(1 for line in made.splitlines() if "still raises NotImplementedError" in line or ": NOT FOUND" in line)


@dataclass(frozen=True)
class Upload:
    """A readable upload: the notebook's JSON text, and the note its result carries ("" unless a zip held several notebooks)."""

    text: str
    note: str = ""

    def noted(self, result: Result) -> Result:
        """``result`` with this upload's note first among its notes."""
        return result.replace(notes=(self.note, *result.notes)) if self.note else result


def read_notebook(path: Path | str, max_bytes: int = Limits.max_upload) -> str:
    """Return the notebook JSON text inside ``path`` (a ``.ipynb`` or an otter export ``.zip``): :func:`read_upload`'s text."""
    return read_upload(path, max_bytes).text


def read_upload(path: Path | str, max_bytes: int = Limits.max_upload) -> Upload:
    """Read the notebook inside ``path`` (a ``.ipynb`` or an otter export ``.zip``), and which of a zip's notebooks it is.

    The upload, and the notebook inside a zip, may be at most ``max_bytes`` long; a zip is
    streamed with that cap, never decompressed whole.

    Raises
    ------
    InvalidSubmission
        With a one-line reason when the file is not a readable notebook.
    """
    path = Path(path)
    try:
        raw = untrusted.read_upload(path, max_bytes)
    except untrusted.UntrustedBytes as error:
        raise InvalidSubmission(f"{error}; clear the notebook's outputs (Kernel > Restart & Clear Output) and submit again") from None
    note = ""
    if path.suffix == ".zip":
        chosen: list[NotebookChoice] = []

        def choose(sizes: Mapping[str, int]) -> str:
            chosen.append(_notebook_in_zip(zipped, sizes, max_bytes))
            return chosen[0].chosen

        try:
            zipped = raw
            raw = untrusted.read_zip_member(zipped, choose, max_bytes)
            note = chosen[0].note
        except untrusted.UntrustedBytes as error:
            raise InvalidSubmission(f"{error}; export the notebook again with grader.export()") from None
    if not raw.strip():
        raise InvalidSubmission("the file is empty")
    problem = untrusted.notebook_problem(raw)
    if problem:
        renamed = "not UTF-8" in problem or "not valid JSON" in problem
        raise InvalidSubmission(f"{problem}, so it is not a notebook (was another file renamed .ipynb?)" if renamed else problem)
    return Upload(raw.decode("utf-8"), note)


def _notebook_in_zip(raw: bytes, sizes: Mapping[str, int], max_bytes: int) -> NotebookChoice:
    notebooks = {name: size for name, size in sizes.items() if name.endswith(".ipynb") and is_candidate(name)}
    if not notebooks:
        nested = [name for name in sizes if name.endswith(".zip")]
        detail = f" (only nested zips: {', '.join(untrusted.one_line(n, 80) for n in nested[:3])})" if nested else ""
        raise InvalidSubmission(f"the zip holds no notebook{detail}; submit the zip grader.export() makes")
    return choose_notebook(notebooks, lambda name: untrusted.read_zip_member(raw, lambda _: name, max_bytes))


def find_submissions(inputs: Iterable[Path | str]) -> tuple[list[Path], Path]:
    """Expand files and folders into the submission files to grade, sorted, each once.

    Returns
    -------
    paths : list of pathlib.Path
    root : pathlib.Path
        The folder every submission's name is relative to: the common folder of the inputs.

    Raises
    ------
    FileNotFoundError
        When an input does not exist, or a folder holds no submission, naming it.
    """
    found, roots = [], []
    for item in map(Path, inputs):
        if item.is_dir():
            # Jupyter's checkpoints, macOS's __MACOSX, hidden files and backups are never submissions.
            in_folder = [p for p in item.rglob("*") if p.is_file() and is_candidate(p.relative_to(item).as_posix())]
            if not in_folder:
                raise FileNotFoundError(f"{item} holds no .ipynb or .zip file; pass the folder of submissions")
            found += in_folder
            roots.append(item.resolve())
        elif item.is_file():
            found.append(item)
            roots.append(item.resolve().parent)
        else:
            raise FileNotFoundError(f"no such file or folder: {item}")
    return sorted(set(found), key=lambda p: str(p)), Path(os.path.commonpath(roots))


def submission_names(paths: list[Path], root: Path) -> dict[Path, str]:
    """A unique, file-system-safe and stable name for each submission: its path below ``root`` (:func:`files.submission_name`).

    The file's suffix is dropped unless two files differ only by it.

    Examples
    --------
    >>> [submission_names([Path(p)], Path("."))[Path(p)] for p in ("s1/x/hw.ipynb", "a b.zip", ".x.ipynb")]
    ['s1~x~hw', 'a%20b', '%2Ex']
    """
    relative = {path: Path(os.path.relpath(path.resolve(), root)) for path in paths}
    stems = [r.with_suffix("") for r in relative.values()]
    return {
        path: submission_name((rel if stems.count(rel.with_suffix("")) > 1 else rel.with_suffix("")).parts)
        for path, rel in relative.items()
    }
